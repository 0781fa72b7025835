"""What a named reporter is told of the office's decision, in Chinese and English, kept as
data like notifications/texts.py: rendered in the reporter's language (the language the
report was filed in), whatever the office's. Plain words, the reference, the rule cited
once, the link to the report's page. Nothing else about the report, and nothing about
the reporter, is in a notice.
"""

from __future__ import annotations

SMS_PREFIX = {"zh-hans": "【ODR 12315】", "en": "[ODR 12315] "}

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    # kind -> language -> (subject, SMS)
    "report.opened": {
        "zh-hans": (
            "举报 {ref} 已立案",
            "您的举报 {ref} 已立案，市场监督管理部门将依法调查处理。依照{citation}告知您。详情：{link}",
        ),
        "en": (
            "Report {ref}: a case was opened",
            "Your report {ref}: the market regulation office has opened a case and will "
            "investigate. You are told this under {citation}. Details: {link}",
        ),
    },
    "report.not_opened": {
        "zh-hans": (
            "举报 {ref} 不予立案",
            "您的举报 {ref} 经核查不予立案，原因：{reasons}。依照{citation}告知您。详情：{link}",
        ),
        "en": (
            "Report {ref}: no case was opened",
            "Your report {ref}: after checking it, the office decided not to open a case. "
            "Reasons: {reasons}. You are told this under {citation}. Details: {link}",
        ),
    },
}
REASONS_IN_SMS = 60


def language_of(language: str) -> str:
    return "en" if (language or "").startswith("en") else "zh-hans"


def render(kind: str, language: str, **values: str) -> tuple[str, str]:
    """(subject, SMS) for a decision in ``language``."""
    language = language_of(language)
    subject, sms = TEXTS[kind][language]
    return subject.format(**values), SMS_PREFIX[language] + sms.format(**values)
