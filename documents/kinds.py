"""The catalogue of outcome documents: what each kind is called, which case event issues
it, and the words the documents themselves use for states, outcomes and parties.

Document titles follow the rule set of the case: SAMR Order 121 has its own forms (文书式样:
投诉受理决定书, 投诉不予受理决定书, 投诉终止调解决定书, 投诉调解书); cases under Order 20 keep
the titles used before it (受理告知书, 不予受理告知书, 终止调解告知书, 调解协议书). The words in
here are printed in legal documents, so they are fixed texts per language rather than
gettext messages that a translation catalogue could change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ACCEPTANCE_NOTICE = "acceptance_notice", _("acceptance notice")
    REFUSAL_NOTICE = "refusal_notice", _("refusal notice")
    SETTLEMENT_AGREEMENT = "settlement_agreement", _("settlement agreement")
    MEDIATION_AGREEMENT = "mediation_agreement", _("mediation agreement")
    TERMINATION_NOTICE = "termination_notice", _("mediation termination notice")
    ARBITRATION_REFERRAL = "arbitration_referral", _("arbitration referral letter")
    MEDIATION_TRANSCRIPT = "mediation_transcript", _("mediation transcript")
    CLOSURE_REPORT = "closure_report", _("case closure report")
    ARBITRATION_AGREEMENT = "arbitration_agreement", _("arbitration agreement")
    IDENTITY_NOTICE = "identity_notice", _("notice to provide proof of identity")
    MEDIATION_NOTICE = "mediation_notice", _("mediation notice")


ORDER_121 = "samr-order-121"


@dataclass(frozen=True)
class KindSpec:
    kind: str
    # Two letters in the document number: LY-2026-000123-MA1-7KQ2XD.
    code: str
    title_zh: str
    title_en: str
    # Titles of the SAMR Order 121 forms, where they differ.
    title_zh_121: str = ""
    title_en_121: str = ""
    # Both parties confirm the draft with an SMS code before the organisation signs it.
    needs_confirmation: bool = False

    def title(self, *, language: str, ruleset: str) -> str:
        english = language.startswith("en")
        if ruleset == ORDER_121:
            chosen = self.title_en_121 if english else self.title_zh_121
            if chosen:
                return chosen
        return self.title_en if english else self.title_zh


SPECS: dict[str, KindSpec] = {
    s.kind: s
    for s in (
        KindSpec(
            Kind.ACCEPTANCE_NOTICE,
            "AN",
            "投诉受理告知书",
            "Notice of Acceptance of the Complaint",
            "投诉受理决定书",
            "Decision to Accept the Complaint",
        ),
        KindSpec(
            Kind.REFUSAL_NOTICE,
            "RN",
            "投诉不予受理告知书",
            "Notice of Refusal of the Complaint",
            "投诉不予受理决定书",
            "Decision Not to Accept the Complaint",
        ),
        KindSpec(
            Kind.SETTLEMENT_AGREEMENT,
            "SA",
            "和解协议书",
            "Settlement Agreement",
            needs_confirmation=True,
        ),
        KindSpec(
            Kind.MEDIATION_AGREEMENT,
            "MA",
            "调解协议书",
            "Mediation Agreement",
            "投诉调解书",
            "Complaint Mediation Agreement",
            needs_confirmation=True,
        ),
        KindSpec(
            Kind.TERMINATION_NOTICE,
            "TN",
            "终止调解告知书",
            "Notice of Termination of Mediation",
            "投诉终止调解决定书",
            "Decision to Terminate Mediation",
        ),
        KindSpec(Kind.ARBITRATION_REFERRAL, "AR", "仲裁移送函", "Arbitration Referral Letter"),
        KindSpec(
            Kind.MEDIATION_TRANSCRIPT, "MT", "调解笔录", "Mediation Transcript (Joint Session)"
        ),
        KindSpec(Kind.CLOSURE_REPORT, "CR", "结案报告", "Case Closure Report"),
        KindSpec(
            Kind.ARBITRATION_AGREEMENT,
            "AG",
            "仲裁协议书",
            "Arbitration Agreement",
            needs_confirmation=True,
        ),
        # SAMR's Order 121 forms 4 and 7; under Order 20 the same notices, by their old names.
        KindSpec(
            Kind.IDENTITY_NOTICE,
            "IN",
            "限期提供身份证明材料通知书",
            "Notice to Provide Proof of Identity within a Time Limit",
        ),
        KindSpec(
            Kind.MEDIATION_NOTICE,
            "MN",
            "投诉调解通知书",
            "Notice of Mediation of the Complaint",
        ),
    )
}

# Which case event issues which documents. The handlers in apps.py register for these
# kinds; the sweep in tasks.py catches up on events whose documents were never prepared.
TRIGGERS: dict[str, tuple[str, ...]] = {
    # Form 5, and form 7 for the mediator assigned with the acceptance.
    "transition.accept": (Kind.ACCEPTANCE_NOTICE, Kind.MEDIATION_NOTICE),
    "transition.reject": (Kind.REFUSAL_NOTICE,),
    "transition.settle": (Kind.SETTLEMENT_AGREEMENT,),
    "transition.reach_agreement": (Kind.MEDIATION_AGREEMENT, Kind.MEDIATION_TRANSCRIPT),
    "transition.terminate": (Kind.TERMINATION_NOTICE, Kind.MEDIATION_TRANSCRIPT),
    "transition.refer_to_arbitration": (Kind.ARBITRATION_REFERRAL,),
    "transition.close": (Kind.CLOSURE_REPORT,),
    "transition.confirm_performance": (Kind.CLOSURE_REPORT,),
    "transition.report_breach": (Kind.CLOSURE_REPORT,),
    "transition.withdraw": (Kind.CLOSURE_REPORT,),
    # arbitration/services/consent.py: the agreement both parties confirm.
    "arbitration.agreement_proposed": (Kind.ARBITRATION_AGREEMENT,),
    # SAMR form 4: the office asks the complainant for proof of identity by a date
    # (cases/services/identity.py).
    "identity.requested": (Kind.IDENTITY_NOTICE,),
    # SAMR form 7: who mediates and the window to ask for recusal, on every assignment of a
    # mediator: on acceptance, and after a granted recusal (cases/services/recusal.py).
    "mediation.mediator_assigned": (Kind.MEDIATION_NOTICE,),
}


def document_language(case) -> str:
    """Documents are in Chinese unless the case is conducted in English."""
    return "en" if (case.language or "").startswith("en") else "zh-hans"


# --- Words printed in documents ---------------------------------------------------------

STATE_WORDS: dict[str, tuple[str, str]] = {
    "submitted": ("已提交", "submitted"),
    "negotiation": ("在线和解", "negotiation"),
    "review": ("受理审查", "under review"),
    "mediation": ("调解中", "mediation"),
    "mediation_failed": ("调解终止", "mediation ended without agreement"),
    "referred": ("已移送仲裁", "referred to arbitration"),
    "arbitrating": ("仲裁中", "in arbitration"),
    "settled": ("已达成协议，待履行", "agreed, performance pending"),
    "awarded": ("已裁决，待履行", "awarded, performance pending"),
    "closed": ("已结案", "closed"),
    "rejected": ("不予受理", "not accepted"),
    "withdrawn": ("已撤回", "withdrawn"),
}

EVENT_WORDS: dict[str, tuple[str, str]] = {
    "case.submitted": ("提交投诉", "Complaint submitted"),
    "transition.start_negotiation": ("转经营者在线和解", "Sent to the merchant to negotiate"),
    "transition.request_review": ("转市场监管部门审查", "Sent to the regulator for review"),
    "transition.escalate": ("请求市场监管部门介入", "Regulator asked to step in"),
    "transition.settle": ("达成和解", "Settled"),
    "transition.accept": ("受理投诉", "Complaint accepted"),
    "transition.reject": ("不予受理", "Complaint not accepted"),
    "transition.reach_agreement": ("达成调解协议", "Mediation agreement reached"),
    "transition.terminate": ("终止调解", "Mediation terminated"),
    "transition.refer_to_arbitration": ("移送仲裁", "Referred to arbitration"),
    "transition.arbitration_accept": ("仲裁机构受理", "Arbitration body accepted"),
    "transition.arbitration_decline": ("仲裁机构不予受理", "Arbitration body declined"),
    "transition.record_award": ("作出仲裁裁决", "Award recorded"),
    "transition.confirm_performance": ("确认已履行", "Performance confirmed"),
    "transition.report_breach": ("报告未履行", "Breach reported"),
    "transition.withdraw": ("撤回投诉", "Complaint withdrawn"),
    "transition.close": ("结案", "Case closed"),
    "identity.requested": ("通知限期提供身份证明材料", "Proof of identity requested"),
    "identity.provided": ("提供身份证明材料", "Proof of identity provided"),
    "recusal.requested": ("申请调解人员回避", "Recusal of the mediator requested"),
    "recusal.granted": ("准予回避", "Recusal granted"),
    "recusal.refused": ("驳回回避申请", "Recusal refused"),
    "mediation.mediator_assigned": ("改派调解人员", "Another mediator assigned"),
    "document.issued": ("签发文书", "Document issued"),
    "document.confirmed": ("当事人确认文书", "Document confirmed by a party"),
    "arbitration.agreement_proposed": ("提出仲裁协议", "Arbitration agreement proposed"),
    "arbitration.referral_delivered": ("仲裁案卷送达", "Referral file delivered"),
    "arbitration.acknowledged": ("仲裁机构确认收到", "Arbitration body acknowledged receipt"),
    "arbitration.info_requested": (
        "仲裁机构要求补充材料",
        "Arbitration body asked for information",
    ),
}

OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "performed": ("协议已履行", "agreement performed"),
    "breached": ("协议未履行", "agreement not performed"),
    "withdrawn": ("投诉人撤回投诉", "complaint withdrawn"),
    "rejected": ("不予受理", "complaint not accepted"),
    "mediation_failed": ("调解不成", "mediation without agreement"),
}

ROLE_WORDS: dict[str, tuple[str, str]] = {
    "consumer": ("投诉人", "Complainant"),
    "merchant": ("被投诉人", "Merchant"),
    "mediator": ("调解员", "Mediator"),
    "regulator": ("市场监管部门", "Regulator"),
    "arbitration": ("仲裁机构", "Arbitration body"),
    "admin": ("平台管理员", "Administrator"),
    "system": ("系统", "System"),
}

OFFER_KIND_WORDS: dict[str, tuple[str, str]] = {
    "refund": ("退款", "refund"),
    "replacement": ("更换", "replacement"),
    "repair": ("修理", "repair"),
    "compensation": ("赔偿", "compensation"),
    "other": ("其他", "other"),
}


def word(table: dict[str, tuple[str, str]], key: str, language: str) -> str:
    """The word for `key` in the document's language; the key itself if the table lacks it."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if language.startswith("en") else pair[0]
