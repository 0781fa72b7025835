"""Demo reports for `seed_demo`: an anonymous one still to be decided, and a named one
(whose reporter asked to be told) on which the office opened a case."""

from django.db import transaction

from accounts.models import Merchant, Role, User
from reports.models import Report
from reports.services.filing import ReportData, report_file
from reports.services.handling import report_decide, report_verify

ANONYMOUS_FACTS = "店铺页面宣称“原装进口”，实物包装为国产分装，涉嫌虚假宣传。（演示数据）"
NAMED_FACTS = "店内手机标价与结算价不一致，结算时多收 200 元，涉嫌价格欺诈。（演示数据）"


def seed_demo_reports() -> None:
    merchant = Merchant.objects.filter(uscc="91371300MA3C8TXK2D").first()
    regulator = (
        User.objects.filter(roles__kind=Role.Kind.REGULATOR, roles__jurisdiction__startswith="3713")
        .order_by("pk")
        .first()
    )
    if merchant is None or Report.objects.filter(facts__in=(ANONYMOUS_FACTS, NAMED_FACTS)).exists():
        return
    report_file(
        reporter=None,
        data=ReportData(
            violation_kind="false_advertising",
            facts=ANONYMOUS_FACTS,
            merchant=merchant,
            anonymous=True,
        ),
    )
    named = report_file(
        reporter=None,
        data=ReportData(
            violation_kind="price_fraud",
            facts=NAMED_FACTS,
            merchant=merchant,
            name="李四",
            phone="+8613800000009",
            wants_notice=True,
        ),
    )
    if regulator is not None:
        with transaction.atomic():
            report_verify(report=named, actor=regulator)
            report_decide(
                report=named,
                actor=regulator,
                decision="open",
                reasons="经核查，有证据初步证明存在价格违法行为，属于本部门管辖，决定立案调查。",
            )
