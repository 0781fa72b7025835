"""Reports in any state, for tests."""

from __future__ import annotations

import datetime as dt

from reports.services.filing import ReportData, report_file

SECRET_NAME = "欧阳秘密举报人"
SECRET_PHONE = "+8613912345678"
SECRET_ID = "11010519491231002X"


def named(merchant, *, reporter=None, now: dt.datetime | None = None, **overrides):
    values = {
        "violation_kind": "price_fraud",
        "facts": "标价 100 元，结算 300 元。",
        "merchant": merchant,
        "name": SECRET_NAME,
        "phone": SECRET_PHONE,
        "id_number": SECRET_ID,
        "wants_notice": True,
    }
    values.update(overrides)
    return report_file(reporter=reporter, data=ReportData(**values), now=now)


def anonymous(merchant, *, now: dt.datetime | None = None, **overrides):
    values = {
        "violation_kind": "counterfeit",
        "facts": "卖的是假货。",
        "merchant": merchant,
        "anonymous": True,
    }
    values.update(overrides)
    return report_file(reporter=None, data=ReportData(**values), now=now)
