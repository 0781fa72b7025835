"""The words of every notice, in Chinese and English, kept as data.

Keyed by template kind (an event kind, qualified by the clock for deadline events), then by
the recipient's role on the case (``"*"`` for every role), then by language. Each entry is
(subject, SMS text, full text): the subject titles the email and the inbox entry, the SMS
text is short (a Chinese SMS segment is 70 characters; with the link to the case that
``render`` adds, an SMS stays within three) and says in plain words what happened and what
to do, citing no article (the full text and the documents cite the rule), the full text
goes by email and to the inbox. Placeholders are filled by ``render``; services/recording.py builds their
values from the event, formatted for the language (dates, amounts, legal grounds).

These texts are not in the .po catalogue on purpose: a notice is rendered in the
recipient's language, whatever language the request that caused it was in, and the texts
are reviewed as a set per event by the people who answer for what the service tells the
public.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from string import Formatter

LANGUAGES = ("zh-hans", "en")
FALLBACK_LANGUAGE = "zh-hans"
SMS_PREFIX = {"zh-hans": "【ODR 12315】", "en": "[ODR 12315] "}
# Ends every SMS: the case's page, an absolute address (services/recording.py).
SMS_LINK = {"zh-hans": "详情：{link}", "en": " Details: {link}"}

# A ground of a refusal or of the end of mediation in a few plain words, for an SMS, by
# ground code (the codes mean the same in every rule set; cases/rulesets.py has the full
# texts and the articles).
GROUND_REASONS: dict[str, dict[str, dict[str, str]]] = {
    "refusal": {
        "outside_remit": {
            "zh-hans": "不属于市场监督管理部门的处理范围",
            "en": "it is outside the market regulation office's remit",
        },
        "already_handled": {
            "zh-hans": "同一纠纷已由其他机构受理或者处理",
            "en": "the same dispute is or was handled elsewhere",
        },
        "not_consumer_dispute": {
            "zh-hans": "不属于生活消费纠纷，或者未能证明与商家存在消费纠纷",
            "en": "no consumer dispute with the merchant is shown",
        },
        "limitation": {
            "zh-hans": "自知道权益受损之日起已超过三年",
            "en": "more than three years have passed since you knew of the harm",
        },
        "materials": {
            "zh-hans": "投诉材料不齐全或者不真实",
            "en": "the required materials are missing or false",
        },
        "identity": {
            "zh-hans": "冒用他人名义，或者拒绝配合核实身份",
            "en": "the complainant's identity could not be verified",
        },
        "other": {
            "zh-hans": "属于法律规定不予受理的其他情形",
            "en": "another legal ground for not accepting it",
        },
    },
    "termination": {
        "withdrawn_or_settled": {
            "zh-hans": "投诉已撤回，或者双方已自行和解",
            "en": "the complaint was withdrawn or the parties settled",
        },
        "testing_no_agreement": {
            "zh-hans": "双方对检测、鉴定及其费用未能协商一致",
            "en": "the parties could not agree on testing or its cost",
        },
        "absent_or_refused": {
            "zh-hans": "一方无正当理由不参加调解，或者拒绝调解",
            "en": "a party did not take part or refused mediation",
        },
        "agreement_impossible": {
            "zh-hans": "一方明确表示无法达成调解协议",
            "en": "a party said no agreement is possible",
        },
        "time_limit": {
            "zh-hans": "调解期限内未能达成调解协议",
            "en": "no agreement was reached within the time limit",
        },
        "refusal_ground_found": {
            "zh-hans": "受理后发现存在不予受理的情形",
            "en": "a ground for not accepting the complaint was found",
        },
        "party_ceased": {
            "zh-hans": "一方当事人死亡或者终止",
            "en": "a party has died or ceased to exist",
        },
        "other": {
            "zh-hans": "属于法律规定应当终止调解的其他情形",
            "en": "another legal ground for ending mediation",
        },
    },
}


@dataclass(frozen=True)
class Text:
    subject: str
    sms: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    sms: str
    body: str


def _t(subject: str, sms: str, body: str) -> Text:
    return Text(subject, sms, body)


# fmt: off
TEXTS: dict[str, dict[str, dict[str, Text]]] = {
    # --- A complaint arrives -------------------------------------------------------
    "deadline.started:negotiation_answer": {
        "consumer": {
            "zh-hans": _t(
                "您的投诉 {ref} 已收到",
                "您的投诉 {ref} 已收到并转交{merchant}，商家应在{due}前答复，答复后您可以在平台查看并回应。",
                "您对{merchant}的投诉已收到，编号 {ref}。该商家已加入在线纠纷解决（ODR），"
                "投诉已直接转交商家，商家应在{due}前答复。商家逾期未答复的，投诉将转交市场监督管理部门处理。",
            ),
            "en": _t(
                "Your complaint {ref} was received",
                "Your complaint {ref} was received and sent to {merchant}, which must answer by {due}. "
                "You can read and reply to the answer on the platform.",
                "We received your complaint about {merchant}, reference {ref}. The merchant takes part in "
                "online dispute resolution (ODR), so the complaint went straight to them, and they must "
                "answer by {due}. If they do not, the complaint goes to the market regulation office.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "新投诉 {ref}：请于{due}前答复",
                "贵单位收到新投诉 {ref}，请于{due}前登录平台答复或提出和解方案，逾期将转交市场监督管理部门。",
                "消费者对贵单位提出投诉，编号 {ref}。请于{due}前登录平台答复或者提出和解方案。"
                "逾期未答复的，投诉将转交市场监督管理部门处理。",
            ),
            "en": _t(
                "New complaint {ref}: please answer by {due}",
                "New complaint {ref} against your business. Please answer on the platform by {due}, "
                "or it goes to the market regulation office.",
                "A consumer has filed a complaint against your business, reference {ref}. Please answer "
                "or make an offer on the platform by {due}. Without an answer by then, the complaint "
                "goes to the market regulation office.",
            ),
        },
    },
    "deadline.started:acceptance_decision": {
        "consumer": {
            "zh-hans": _t(
                "投诉 {ref} 已转交市场监督管理部门",
                "您的投诉 {ref} 已转交市场监督管理部门，将于{due}前决定是否受理，结果会通知您。",
                "您的投诉（编号 {ref}，被投诉人：{merchant}）已转交市场监督管理部门。"
                "市场监督管理部门将于{due}前决定是否受理，并告知您结果。",
            ),
            "en": _t(
                "Complaint {ref} is with the market regulation office",
                "Your complaint {ref} is with the market regulation office, which decides by {due} "
                "whether to accept it. We will tell you the result.",
                "Your complaint about {merchant}, reference {ref}, is with the market regulation office. "
                "The office decides by {due} whether to accept it and will tell you the result.",
            ),
        },
        "regulator": {
            "zh-hans": _t(
                "待决定是否受理：{ref}",
                "投诉 {ref} 待您决定是否受理，请于{due}前作出受理或者不予受理的决定。",
                "投诉 {ref}（被投诉人：{merchant}）待本部门决定是否受理，请于{due}前作出受理或者不予受理的决定。",
            ),
            "en": _t(
                "Decision needed on complaint {ref}",
                "Complaint {ref} awaits your decision. Please accept or refuse it by {due}.",
                "Complaint {ref} about {merchant} awaits your office's decision to accept or refuse it. "
                "Please decide by {due}.",
            ),
        },
    },
    "deadline.started:mediation_limit": {
        "mediator": {
            "zh-hans": _t(
                "您被指派调解案件 {ref}",
                "您已被指派调解案件 {ref}，请联系双方安排调解，调解期限至{due}。",
                "投诉 {ref}（被投诉人：{merchant}）已受理，并指派您组织调解。调解期限至{due}。",
            ),
            "en": _t(
                "You are assigned to mediate {ref}",
                "You are assigned to mediate case {ref}. Please arrange mediation with both sides; "
                "it must end by {due}.",
                "Complaint {ref} about {merchant} was accepted and you are assigned to mediate it. "
                "Mediation must end by {due}.",
            ),
        },
    },
    "deadline.started:arbitration_acceptance": {
        "arbitration": {
            "zh-hans": _t(
                "收到仲裁移交：{ref}",
                "案件 {ref} 已移交贵委员会，请于{due}前决定是否受理。",
                "案件 {ref}（被申请人：{merchant}）经调解未能解决，双方同意仲裁，已移交贵委员会。"
                "请于{due}前决定是否受理。",
            ),
            "en": _t(
                "Referral received: {ref}",
                "Case {ref} was referred to your body. Please decide by {due} whether to accept it.",
                "Case {ref} against {merchant} was not resolved in mediation; both parties agreed to "
                "arbitration and the case was referred to your body. Please decide by {due} whether to accept it.",
            ),
        },
    },
    # --- Negotiation -------------------------------------------------------------------
    "offer.made": {
        "consumer": {
            "zh-hans": _t(
                "收到和解方案：{ref}",
                "{merchant}就投诉 {ref} 提出和解方案：{offer}，有效期至{valid_until}。请在平台接受、拒绝或者提出新的方案。",
                "{merchant}就您的投诉 {ref} 提出和解方案：{offer}。说明：{description}。"
                "方案有效期至{valid_until}。请登录平台接受、拒绝或者提出新的方案。",
            ),
            "en": _t(
                "Offer received: {ref}",
                "{merchant} made an offer on complaint {ref}: {offer}, valid until {valid_until}. "
                "Accept it, reject it or make your own on the platform.",
                "{merchant} made an offer on your complaint {ref}: {offer}. Details: {description}. "
                "The offer is valid until {valid_until}. Please accept it, reject it or make your own on the platform.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "收到和解方案：{ref}",
                "消费者就投诉 {ref} 提出和解方案：{offer}，有效期至{valid_until}。请在平台接受、拒绝或者提出新的方案。",
                "消费者就投诉 {ref} 提出和解方案：{offer}。说明：{description}。"
                "方案有效期至{valid_until}。请登录平台接受、拒绝或者提出新的方案。",
            ),
            "en": _t(
                "Offer received: {ref}",
                "The consumer made an offer on complaint {ref}: {offer}, valid until {valid_until}. "
                "Accept it, reject it or make your own on the platform.",
                "The consumer made an offer on complaint {ref}: {offer}. Details: {description}. "
                "The offer is valid until {valid_until}. Please accept it, reject it or make your own on the platform.",
            ),
        },
    },
    "offer.rejected": {
        "*": {
            "zh-hans": _t(
                "和解方案被拒绝：{ref}",
                "您就案件 {ref} 提出的和解方案已被对方拒绝，您可以在平台提出新的方案。",
                "您就案件 {ref} 提出的和解方案已被对方拒绝。{reason_line}您可以提出新的方案。",
            ),
            "en": _t(
                "Offer rejected: {ref}",
                "Your offer on case {ref} was rejected. You may make a new offer on the platform.",
                "Your offer on case {ref} was rejected by the other side. {reason_line}You may make a new offer.",
            ),
        },
    },
    "message.posted": {
        "*": {
            "zh-hans": _t(
                "新消息：{ref}",
                "案件 {ref} 有新消息，请登录平台查看。",
                "协商中对方就案件 {ref} 发来新消息，请登录平台查看。",
            ),
            "en": _t(
                "New message: {ref}",
                "There is a new message on case {ref}. Please read it on the platform.",
                "The other side sent a new message on case {ref}. Please read it on the platform.",
            ),
        },
    },
    "case.merchant_linked": {
        "consumer": {
            "zh-hans": _t(
                "投诉 {ref} 已关联经营者",
                "市场监督管理部门已将您的投诉 {ref} 关联至经营者{merchant}，后续进展会通知您。",
                "市场监督管理部门已将您的投诉 {ref} 关联至经营者{merchant}的登记信息。",
            ),
            "en": _t(
                "Complaint {ref} linked to the merchant",
                "Your complaint {ref} was linked to the merchant {merchant}. We will tell you what happens next.",
                "The market regulation office linked your complaint {ref} to the registered merchant {merchant}.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "投诉 {ref} 已关联贵单位",
                "投诉 {ref} 已由市场监督管理部门关联至贵单位，请登录平台查看。",
                "市场监督管理部门已将投诉 {ref} 关联至贵单位。请登录平台查看投诉内容。",
            ),
            "en": _t(
                "Complaint {ref} linked to your business",
                "The market regulation office linked complaint {ref} to your business.",
                "The market regulation office linked complaint {ref} to your business. Please read it on the platform.",
            ),
        },
    },
    # --- Transitions -----------------------------------------------------------------
    "transition.escalate": {
        "merchant": {
            "zh-hans": _t(
                "投诉 {ref} 已转交市场监督管理部门",
                "投诉 {ref} 未能通过协商解决，已转交市场监督管理部门决定是否受理，进展可在平台查看。",
                "投诉 {ref} 未能通过协商解决，已转交市场监督管理部门，由其决定是否受理。",
            ),
            "en": _t(
                "Complaint {ref} went to the market regulation office",
                "Complaint {ref} was not resolved by negotiation and went to the market regulation office, "
                "which decides whether to accept it.",
                "Complaint {ref} was not resolved by negotiation and went to the market regulation office, "
                "which decides whether to accept it.",
            ),
        },
    },
    "transition.accept": {
        "*": {
            "zh-hans": _t(
                "投诉 {ref} 已受理",
                "投诉 {ref} 已受理，调解员将联系您安排调解，请留意平台通知。",
                "市场监督管理部门已受理投诉 {ref}，并指派调解员组织调解。调解员将与各方联系安排调解。",
            ),
            "en": _t(
                "Complaint {ref} accepted",
                "Complaint {ref} was accepted. A mediator will contact you to arrange mediation.",
                "The market regulation office accepted complaint {ref} and assigned a mediator, who will "
                "contact both sides to arrange mediation.",
            ),
        },
    },
    "transition.reject": {
        "consumer": {
            "zh-hans": _t(
                "投诉 {ref} 不予受理",
                "您的投诉 {ref} 不予受理，原因：{ground_reason}。您仍可以申请仲裁或者向人民法院起诉。",
                "市场监督管理部门决定对投诉 {ref} 不予受理。依据：{ground}。"
                "您可以依法通过其他途径解决，例如申请仲裁或者向人民法院起诉。",
            ),
            "en": _t(
                "Complaint {ref} not accepted",
                "Your complaint {ref} was not accepted: {ground_reason}. You may still apply for "
                "arbitration or go to court.",
                "The market regulation office decided not to accept complaint {ref}. Ground: {ground}. "
                "You may still seek a remedy in other ways, such as arbitration or a lawsuit.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "投诉 {ref} 不予受理",
                "市场监督管理部门决定对投诉 {ref} 不予受理，贵单位无需再作处理。",
                "市场监督管理部门决定对投诉 {ref} 不予受理。依据：{ground}。",
            ),
            "en": _t(
                "Complaint {ref} not accepted",
                "The market regulation office decided not to accept complaint {ref}. Nothing more is "
                "needed from you.",
                "The market regulation office decided not to accept complaint {ref}. Ground: {ground}.",
            ),
        },
    },
    "transition.settle": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 已和解",
                "案件 {ref} 已达成和解，应于{performance_due}前履行；履行完毕后，由消费者在平台确认。",
                "案件 {ref} 已达成和解。和解内容：{terms}。履行期限：{performance_due}。"
                "履行完毕后，请消费者在平台确认。",
            ),
            "en": _t(
                "Case {ref} settled",
                "Case {ref} is settled and must be carried out by {performance_due}. The consumer "
                "confirms it on the platform once it is done.",
                "Case {ref} is settled. Terms: {terms}. To be performed by {performance_due}. "
                "Once it is done, the consumer confirms it on the platform.",
            ),
        },
    },
    "transition.reach_agreement": {
        "*": {
            "zh-hans": _t(
                "调解协议待确认：{ref}",
                "案件 {ref} 已达成调解协议，请登录平台确认。",
                "调解员已记录案件 {ref} 的调解协议。协议内容：{terms}。履行期限：{performance_due}。"
                "请登录平台查看并确认。",
            ),
            "en": _t(
                "Agreement ready to confirm: {ref}",
                "An agreement was reached on case {ref}. Please confirm it on the platform.",
                "The mediator recorded the agreement on case {ref}. Terms: {terms}. To be performed by "
                "{performance_due}. Please read and confirm it on the platform.",
            ),
        },
    },
    "transition.terminate": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 调解终止",
                "案件 {ref} 的调解已终止，原因：{ground_reason}。如仍有争议，可以申请仲裁或者向人民法院起诉。",
                "案件 {ref} 的调解已终止。依据：{ground}。"
                "您可以依照《中华人民共和国消费者权益保护法》第三十九条申请仲裁或者向人民法院起诉。",
            ),
            "en": _t(
                "Mediation ended on case {ref}",
                "Mediation on case {ref} ended without agreement: {ground_reason}. You may still apply "
                "for arbitration or go to court.",
                "Mediation on case {ref} ended without agreement. Ground: {ground}. Under article 39 of "
                "the Consumer Protection Law you may apply for arbitration or bring a lawsuit.",
            ),
        },
    },
    "transition.refer_to_arbitration": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 已移交仲裁",
                "案件 {ref} 已移交{arbitration_body}，由其决定是否受理，结果会通知您。",
                "案件 {ref} 已移交{arbitration_body}，由其决定是否受理。",
            ),
            "en": _t(
                "Case {ref} referred to arbitration",
                "Case {ref} was referred to {arbitration_body}, which decides whether to accept it. "
                "We will tell you the result.",
                "Case {ref} was referred to {arbitration_body}, which decides whether to accept it.",
            ),
        },
    },
    "transition.arbitration_accept": {
        "*": {
            "zh-hans": _t(
                "仲裁委员会已受理案件 {ref}",
                "{arbitration_body}已受理案件 {ref}，将依照仲裁规则审理，请留意其通知。",
                "{arbitration_body}已受理案件 {ref}，将依照仲裁规则进行审理。",
            ),
            "en": _t(
                "Arbitration accepted: {ref}",
                "{arbitration_body} accepted case {ref} and will hear it under its rules. Watch for its notices.",
                "{arbitration_body} accepted case {ref} and will hear it under its rules.",
            ),
        },
    },
    "transition.arbitration_decline": {
        "*": {
            "zh-hans": _t(
                "仲裁委员会未受理案件 {ref}",
                "{arbitration_body}未受理案件 {ref}，后续可选的办法请在平台查看。",
                "{arbitration_body}未受理案件 {ref}。{reason_line}",
            ),
            "en": _t(
                "Arbitration declined: {ref}",
                "{arbitration_body} declined case {ref}. See on the platform what you can do next.",
                "{arbitration_body} declined case {ref}. {reason_line}",
            ),
        },
    },
    "transition.record_award": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 已作出裁决",
                "案件 {ref} 已作出仲裁裁决，应于{performance_due}前履行；履行完毕后，由消费者在平台确认。",
                "{arbitration_body}已就案件 {ref} 作出裁决。裁决内容：{terms}。履行期限：{performance_due}。",
            ),
            "en": _t(
                "Award recorded: {ref}",
                "An award was made on case {ref}; it must be carried out by {performance_due}. The "
                "consumer confirms it on the platform once it is done.",
                "{arbitration_body} made its award on case {ref}. Terms: {terms}. To be performed by {performance_due}.",
            ),
        },
    },
    "transition.close": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 已结案",
                "案件 {ref} 已结案，结案情况和文书可在平台查看。",
                "案件 {ref} 已结案。",
            ),
            "en": _t(
                "Case {ref} closed",
                "Case {ref} is closed. The outcome and its documents are on the platform.",
                "Case {ref} is closed.",
            ),
        },
    },
    "transition.confirm_performance": {
        "*": {
            "zh-hans": _t(
                "消费者已确认履行：{ref}",
                "消费者已确认案件 {ref} 履行完毕，案件已结案，无需再作处理。",
                "消费者已确认案件 {ref} 的协议履行完毕，案件结案。",
            ),
            "en": _t(
                "Performance confirmed: {ref}",
                "The consumer confirmed case {ref} was carried out; the case is closed and nothing more "
                "is needed.",
                "The consumer confirmed that the agreement on case {ref} was performed. The case is closed.",
            ),
        },
    },
    "transition.report_breach": {
        "*": {
            "zh-hans": _t(
                "消费者报告未履行：{ref}",
                "消费者报告案件 {ref} 的协议未按期履行，请登录平台查看并处理。",
                "消费者报告案件 {ref} 的协议未按期履行。{reason_line}",
            ),
            "en": _t(
                "Breach reported: {ref}",
                "The consumer reported that the agreement on case {ref} was not carried out. Please "
                "see it on the platform.",
                "The consumer reported that the agreement on case {ref} was not performed. {reason_line}",
            ),
        },
    },
    "transition.withdraw": {
        "*": {
            "zh-hans": _t(
                "投诉 {ref} 已撤回",
                "消费者已撤回投诉 {ref}，案件终结，无需再作处理。",
                "消费者已撤回投诉 {ref}，案件终结。",
            ),
            "en": _t(
                "Complaint {ref} withdrawn",
                "The consumer withdrew complaint {ref}; the case is over and nothing more is needed.",
                "The consumer withdrew complaint {ref}; the case is over.",
            ),
        },
    },
    # --- Clocks ----------------------------------------------------------------------
    "deadline.reminder:performance": {
        "consumer": {
            "zh-hans": _t(
                "提醒：案件 {ref} 履行期限将至",
                "提醒：案件 {ref} 的履行期限为{due}。履行完毕后请在平台确认。",
                "案件 {ref} 的协议应于{due}前履行。履行完毕后请在平台确认；未履行的，可以在平台报告。",
            ),
            "en": _t(
                "Reminder: performance due on {ref}",
                "Reminder: case {ref} is due to be performed by {due}. Confirm on the platform once done.",
                "The agreement on case {ref} is due to be performed by {due}. Confirm on the platform once "
                "it is done, or report it there if it is not.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "提醒：案件 {ref} 履行期限将至",
                "提醒：案件 {ref} 的协议应于{due}前履行，请按时履行。",
                "案件 {ref} 的协议应于{due}前履行，请按时履行。",
            ),
            "en": _t(
                "Reminder: performance due on {ref}",
                "Reminder: the agreement on case {ref} must be carried out by {due}. Please do it on time.",
                "The agreement on case {ref} must be performed by {due}. Please perform it on time.",
            ),
        },
    },
    "deadline.started": {
        "*": {
            "zh-hans": _t(
                "案件 {ref}：{clock_name}期限开始计算",
                "案件 {ref} 的{clock_name}期限开始计算，应于{due}前完成，请在平台查看。",
                "案件 {ref}（被投诉人：{merchant}）的{clock_name}期限开始计算，应于{due}前完成。",
            ),
            "en": _t(
                "Case {ref}: {clock_name} due by {due}",
                "Case {ref}: {clock_name} is due by {due}. See the platform.",
                "{clock_name_cap} on case {ref} against {merchant} is due by {due}.",
            ),
        },
    },
    "deadline.moved": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 的{clock_name}期限调整为{due}",
                "根据国务院公布的节假日安排，案件 {ref} 的{clock_name}期限由{from}调整为{due}，请以新日期为准。",
                "国务院公布了节假日安排，工作日据此重新计算：案件 {ref} 的{clock_name}期限由{from}"
                "调整为{due}。",
            ),
            "en": _t(
                "Case {ref}: {clock_name} now due by {due}",
                "Case {ref}: with the State Council's holiday schedule, {clock_name} is now due by {due} (was {from}).",
                "The State Council published its holiday schedule, so working days were counted again: "
                "{clock_name} on case {ref} is now due by {due} instead of {from}.",
            ),
        },
    },
    "deadline.expired:mediation_limit": {
        "regulator": {
            "zh-hans": _t(
                "案件 {ref} 调解期限已过，请作出终止调解决定",
                "案件 {ref} 的调解期限（{due}）已过，未达成调解协议，请决定是否终止调解。",
                "案件 {ref}（被投诉人：{merchant}）的调解期限（{due}）已过，双方未达成调解协议。"
                "请依据调解期限届满的规定作出终止调解的决定，并在七个工作日内告知双方。",
            ),
            "en": _t(
                "Mediation time limit passed on {ref}: decision needed",
                "The mediation time limit on case {ref} ({due}) passed without agreement. Please decide on ending it.",
                "The mediation time limit on case {ref} against {merchant} ({due}) passed without an "
                "agreement. Please decide to end the mediation on that ground, and tell the parties "
                "within 7 working days.",
            ),
        },
        "mediator": {
            "zh-hans": _t(
                "案件 {ref} 调解期限已过",
                "案件 {ref} 的调解期限（{due}）已过，已交由市场监督管理部门决定终止调解。",
                "案件 {ref} 的调解期限（{due}）已过，双方未达成调解协议，已交由市场监督管理部门决定终止调解。",
            ),
            "en": _t(
                "Mediation time limit passed on {ref}",
                "The mediation time limit on case {ref} ({due}) passed; the office decides on ending it.",
                "The mediation time limit on case {ref} ({due}) passed without agreement; the market "
                "regulation office now decides on ending the mediation.",
            ),
        },
    },
    "deadline.expired": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 的{clock_name}期限已过",
                "案件 {ref} 的{clock_name}期限（{due}）已过，请登录平台查看。",
                "案件 {ref} 的{clock_name}期限（{due}）已过。",
            ),
            "en": _t(
                "{clock_name_cap} passed on {ref}",
                "Case {ref}: the time for {clock_name} ({due}) has passed. See the platform.",
                "The time for {clock_name} on case {ref} ({due}) has passed.",
            ),
        },
    },
    "deadline.reminder": {
        "*": {
            "zh-hans": _t(
                "提醒：案件 {ref} 的{clock_name}期限将至",
                "提醒：案件 {ref} 的{clock_name}期限为{due}，请及时处理。",
                "案件 {ref} 的{clock_name}期限为{due}，请及时处理。",
            ),
            "en": _t(
                "Reminder: {clock_name} due on {ref}",
                "Reminder: {clock_name} on case {ref} is due by {due}. Please act in time.",
                "{clock_name_cap} on case {ref} is due by {due}. Please act in time.",
            ),
        },
    },
    "deadline.overdue:performance": {
        "consumer": {
            "zh-hans": _t(
                "案件 {ref} 履行期限已过",
                "案件 {ref} 的履行期限（{due}）已过。如未履行，可在平台报告。",
                "案件 {ref} 的履行期限（{due}）已过。如商家未履行，您可以在平台报告。",
            ),
            "en": _t(
                "Performance overdue on {ref}",
                "Case {ref} was due to be performed by {due}. If it was not, report it on the platform.",
                "Case {ref} was due to be performed by {due}. If the merchant did not perform, you can report it on the platform.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "案件 {ref} 履行期限已过",
                "案件 {ref} 的履行期限（{due}）已过，请尽快履行。",
                "案件 {ref} 的协议履行期限（{due}）已过，请尽快履行。",
            ),
            "en": _t(
                "Performance overdue on {ref}",
                "The agreement on case {ref} was due by {due}. Please perform it now.",
                "The agreement on case {ref} was due to be performed by {due}. Please perform it now.",
            ),
        },
    },
    "deadline.overdue": {
        "*": {
            "zh-hans": _t(
                "逾期：案件 {ref} 的{clock_name}期限已过",
                "逾期：案件 {ref} 的{clock_name}期限（{due}）已过，请尽快处理。",
                "案件 {ref} 的{clock_name}期限（{due}）已过，请尽快处理。",
            ),
            "en": _t(
                "Overdue: {clock_name} on {ref}",
                "Overdue: {clock_name} on case {ref} was due by {due}. Please act now.",
                "{clock_name_cap} on case {ref} was due by {due} and is overdue. Please act now.",
            ),
        },
    },
    # --- Proof of identity (SAMR form 4) and recusal of the mediator (form 7) -----------
    "deadline.started:identity_proof": {
        "consumer": {
            "zh-hans": _t(
                "请于{due}前提供身份证明材料：{ref}",
                "市场监督管理部门请您在{due}前为投诉 {ref} 提供身份证明材料，请在平台本案页面上传。",
                "为核实投诉人身份，市场监督管理部门请您在{due}前为投诉 {ref}（被投诉人：{merchant}）"
                "提供身份证明材料，并已发出限期提供身份证明材料通知书。请在平台本案页面上传，材料仅供"
                "市场监督管理部门核实身份，不向商家提供。逾期未提供的，投诉可能依照《市场监督管理投诉举报"
                "处理办法》第十六条第六项不予受理。",
            ),
            "en": _t(
                "Please provide proof of identity by {due}: {ref}",
                "The market regulation office asks you to provide proof of identity for complaint "
                "{ref} by {due}. Upload it on the case's page.",
                "To verify who made complaint {ref} about {merchant}, the market regulation office "
                "asks you to provide proof of identity by {due}, and has sent you a notice saying "
                "so. Upload it on the case's page: only the office sees it, never the merchant. If "
                "it does not come in time, the complaint may be refused under art. 16(6) of the "
                "Measures for Handling Complaints and Reports on Market Regulation.",
            ),
        },
    },
    "deadline.overdue:identity_proof": {
        "regulator": {
            "zh-hans": _t(
                "投诉 {ref}：身份证明材料逾期未提供",
                "投诉 {ref} 的投诉人未在{due}前提供身份证明材料，请决定是否不予受理。",
                "投诉 {ref}（被投诉人：{merchant}）的投诉人未在限期（{due}）内提供身份证明材料。"
                "本部门可以依照《市场监督管理投诉举报处理办法》第十六条第六项决定不予受理；已受理的，"
                "可以由调解人员依照第二十三条第一款第六项终止调解。是否作出决定，由本部门决定。",
            ),
            "en": _t(
                "Complaint {ref}: proof of identity not provided in time",
                "The complainant of {ref} did not provide proof of identity by {due}. Please decide "
                "whether to refuse the complaint.",
                "The complainant of {ref} (about {merchant}) did not provide proof of identity by "
                "the time limit ({due}). Your office may refuse the complaint under art. 16(6) of "
                "the Measures; once accepted, the mediator may end mediation under art. 23(1)(6). "
                "The decision is the office's.",
            ),
        },
    },
    "identity.provided": {
        "regulator": {
            "zh-hans": _t(
                "投诉 {ref}：投诉人已提供身份证明材料",
                "投诉 {ref} 的投诉人已上传身份证明材料，请在平台核实。",
                "投诉 {ref}（被投诉人：{merchant}）的投诉人已上传身份证明材料，请在平台本案页面核实。",
            ),
            "en": _t(
                "Complaint {ref}: proof of identity provided",
                "The complainant of {ref} uploaded proof of identity. Please check it on the platform.",
                "The complainant of {ref} (about {merchant}) uploaded proof of identity. Please check "
                "it on the case's page.",
            ),
        },
    },
    "deadline.started:recusal_window": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 的调解人员：{mediator}",
                "案件 {ref} 由{mediator}调解。如认为其与本案有利害关系，可在{due}前在平台申请回避。",
                "案件 {ref}（被投诉人：{merchant}）由调解人员{mediator}主持调解，详见投诉调解通知书。"
                "如您认为调解人员是投诉人或者被投诉人的近亲属或者有其他利害关系，可能影响公正处理投诉的，"
                "可以在{due}前在平台本案页面申请回避，并说明理由。",
            ),
            "en": _t(
                "Case {ref}: your mediator is {mediator}",
                "Case {ref} is mediated by {mediator}. If they have an interest in the case, you may "
                "ask on the platform by {due} that they step aside.",
                "Case {ref} (about {merchant}) is mediated by {mediator}; the mediation notice has "
                "the details. If you consider that the mediator is a close relative of a party, or "
                "has another interest that may affect the fair handling of the complaint, you may "
                "ask by {due}, on the case's page and with your reasons, that they step aside.",
            ),
        },
    },
    "recusal.requested": {
        "regulator": {
            "zh-hans": _t(
                "案件 {ref}：当事人申请调解人员回避",
                "案件 {ref} 的当事人申请调解人员{mediator}回避，请在平台作出决定。",
                "案件 {ref}（被投诉人：{merchant}）的当事人申请调解人员{mediator}回避。{reason_line}"
                "请在平台本案页面决定准予（并改派调解人员）或者驳回。",
            ),
            "en": _t(
                "Case {ref}: recusal of the mediator requested",
                "A party to case {ref} asks that mediator {mediator} step aside. Please decide on "
                "the platform.",
                "A party to case {ref} (about {merchant}) asks that mediator {mediator} step aside. "
                "{reason_line}Please grant it (and assign another mediator) or refuse it on the "
                "case's page.",
            ),
        },
        "mediator": {
            "zh-hans": _t(
                "案件 {ref}：当事人申请您回避",
                "案件 {ref} 的当事人申请您回避，由市场监督管理部门决定，结果会通知您。",
                "案件 {ref} 的当事人申请您回避。{reason_line}市场监督管理部门将作出决定，结果会通知您。",
            ),
            "en": _t(
                "Case {ref}: a party asks you to step aside",
                "A party to case {ref} asks that you step aside as mediator. The office decides; "
                "you will be told.",
                "A party to case {ref} asks that you step aside as mediator. {reason_line}The "
                "market regulation office decides, and you will be told.",
            ),
        },
        "*": {
            "zh-hans": _t(
                "案件 {ref}：对方申请调解人员回避",
                "案件 {ref} 的对方当事人申请调解人员回避，由市场监督管理部门决定，结果会通知您。",
                "案件 {ref} 的对方当事人申请调解人员{mediator}回避，市场监督管理部门将作出决定，结果会通知您。",
            ),
            "en": _t(
                "Case {ref}: the other side asks for the mediator's recusal",
                "The other side of case {ref} asks that the mediator step aside. The office "
                "decides; you will be told.",
                "The other side of case {ref} asks that mediator {mediator} step aside. The market "
                "regulation office decides, and you will be told.",
            ),
        },
    },
    "recusal.granted": {
        "mediator": {
            "zh-hans": _t(
                "案件 {ref}：回避申请已准予",
                "市场监督管理部门已准予案件 {ref} 的回避申请，您不再主持该案调解。",
                "市场监督管理部门已准予案件 {ref} 的回避申请，改由{new_mediator}调解，您不再主持该案调解。",
            ),
            "en": _t(
                "Case {ref}: recusal granted",
                "The office granted the recusal on case {ref}; you no longer mediate it.",
                "The market regulation office granted the request for recusal on case {ref}: "
                "{new_mediator} mediates it now, and you no longer do.",
            ),
        },
        "*": {
            "zh-hans": _t(
                "案件 {ref}：回避申请已准予，改由{new_mediator}调解",
                "案件 {ref} 的回避申请已准予，改由{new_mediator}调解，新的调解通知书可在平台查看。",
                "市场监督管理部门已准予案件 {ref} 的回避申请，改派{new_mediator}为调解人员，并发出新的"
                "投诉调解通知书。{reason_line}",
            ),
            "en": _t(
                "Case {ref}: recusal granted, {new_mediator} mediates",
                "The recusal on case {ref} was granted: {new_mediator} mediates now. The new "
                "mediation notice is on the platform.",
                "The market regulation office granted the request for recusal on case {ref} and "
                "assigned {new_mediator} as mediator, with a new mediation notice. {reason_line}",
            ),
        },
    },
    "case.transferred": {
        "consumer": {
            "zh-hans": _t(
                "投诉 {ref} 已转交{to_office}",
                "您的投诉 {ref} 已转交{to_office}处理，编号和证据不变，受理期限自其收到之日起计算。",
                "您的投诉（编号 {ref}，被投诉人：{merchant}）依据{transfer_basis}应由{to_office}处理"
                "（{transfer_reason}），{from_office}已将其转交。投诉编号、证据和办理记录都不变，"
                "您无须重新投诉。{to_office}自收到之日起计算受理期限，并会告知您是否受理。",
            ),
            "en": _t(
                "Complaint {ref} was transferred to {to_office}",
                "Your complaint {ref} was transferred to {to_office}. Its reference and "
                "evidence stay; that office decides on acceptance, counting from its receipt.",
                "Your complaint about {merchant}, reference {ref}, is for {to_office} to handle "
                "({transfer_reason}; {transfer_basis}), so {from_office} sent it there. The "
                "reference, the evidence and the record stay the same, and you need not "
                "complain again. {to_office} counts its time limit for deciding on acceptance "
                "from its receipt and will tell you whether it accepts the complaint.",
            ),
        },
        "merchant": {
            "zh-hans": _t(
                "投诉 {ref} 已转交{to_office}",
                "关于贵方的投诉 {ref} 已转交{to_office}处理，后续由该部门联系。",
                "关于贵方的投诉（编号 {ref}）依据{transfer_basis}应由{to_office}处理"
                "（{transfer_reason}），{from_office}已将其转交，后续由{to_office}联系贵方。",
            ),
            "en": _t(
                "Complaint {ref} was transferred to {to_office}",
                "The complaint {ref} about you was transferred to {to_office}, which will be "
                "in touch.",
                "The complaint about you, reference {ref}, is for {to_office} to handle "
                "({transfer_reason}; {transfer_basis}), so {from_office} sent it there. "
                "{to_office} will be in touch from now on.",
            ),
        },
    },
    "recusal.refused": {
        "*": {
            "zh-hans": _t(
                "案件 {ref}：回避申请未准予",
                "案件 {ref} 的回避申请未准予，调解人员不变，理由可在平台查看。",
                "市场监督管理部门决定驳回案件 {ref} 的回避申请，调解人员{mediator}继续主持调解。{reason_line}",
            ),
            "en": _t(
                "Case {ref}: recusal refused",
                "The request for recusal on case {ref} was refused; the mediator stays. The "
                "reasons are on the platform.",
                "The market regulation office refused the request for recusal on case {ref}; "
                "{mediator} goes on mediating. {reason_line}",
            ),
        },
    },
    "mediation.mediator_assigned": {
        "mediator": {
            "zh-hans": _t(
                "您被指派调解案件 {ref}",
                "因原调解人员回避，您被指派调解案件 {ref}，请联系双方安排调解。",
                "因准予回避申请，市场监督管理部门指派您调解投诉 {ref}（被投诉人：{merchant}）。"
                "请联系双方安排调解。",
            ),
            "en": _t(
                "You are assigned to mediate {ref}",
                "The previous mediator stepped aside: you are assigned to mediate case {ref}. "
                "Please arrange mediation with both sides.",
                "After a granted recusal, the market regulation office assigned you to mediate "
                "complaint {ref} about {merchant}. Please arrange mediation with both sides.",
            ),
        },
    },
    # --- Sent by apps still to come (mediation, documents): the texts are ready. -----------
    "arbitration.info_requested": {
        "*": {
            "zh-hans": _t(
                "仲裁机构要求补充材料：{ref}",
                "{arbitration_body}要求就案件 {ref} 补充材料，请登录平台查看。",
                "{arbitration_body}要求就案件 {ref} 补充材料：{request_text}。请登录平台查看并按要求提交。",
            ),
            "en": _t(
                "More information requested: {ref}",
                "{arbitration_body} asks for more information on case {ref}. Please log in to see it.",
                "{arbitration_body} asks for more information on case {ref}: {request_text}. Please log in to see it and reply as asked.",
            ),
        },
    },
    "mediation.session_scheduled": {
        "*": {
            "zh-hans": _t(
                "调解安排：{ref}",
                "案件 {ref} 的在线调解定于{when}进行，请按时登录平台参加。",
                "案件 {ref} 的调解定于{when}在线进行。请按时登录平台参加。",
            ),
            "en": _t(
                "Mediation scheduled: {ref}",
                "Mediation on case {ref} is scheduled online for {when}. Please log in on time.",
                "Mediation on case {ref} is scheduled online for {when}. Please log in on time.",
            ),
        },
    },
    "mediation.session_reminder": {
        "*": {
            "zh-hans": _t(
                "提醒：案件 {ref} 调解即将开始",
                "提醒：案件 {ref} 的在线调解将于{when}开始，请按时登录平台参加。",
                "案件 {ref} 的在线调解将于{when}开始，请按时登录平台参加。",
            ),
            "en": _t(
                "Reminder: mediation on {ref}",
                "Reminder: mediation on case {ref} starts online at {when}. Please log in on time.",
                "Mediation on case {ref} starts online at {when}. Please log in on time.",
            ),
        },
    },
    "document.ready": {
        "*": {
            "zh-hans": _t(
                "文书已生成：{ref}",
                "案件 {ref} 的{document}已生成，可在平台下载。",
                "案件 {ref} 的{document}已生成，可在平台下载并核验。",
            ),
            "en": _t(
                "Document ready: {ref}",
                "The {document} for case {ref} is ready to download.",
                "The {document} for case {ref} is ready. You can download and verify it on the platform.",
            ),
        },
    },
    # --- Group complaints (groups/). ------------------------------------------------------
    "group.member_added": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 已并入群体投诉 {group}",
                "您的投诉 {ref} 已由市场监督管理部门并入群体投诉 {group}，可在平台查看并推选代表。",
                "市场监督管理部门已将您对{merchant}的投诉 {ref} 与其他消费者就同一事项的投诉并入群体投诉"
                " {group}，统一处理。您的投诉保留自己的编号和结果；您可在平台推选代表、跟进调解，也可提出异议退出。",
            ),
            "en": _t(
                "Case {ref} is now part of group complaint {group}",
                "The office linked your complaint {ref} into group complaint {group}. See it and "
                "nominate a representative on the platform.",
                "The market regulation office linked your complaint {ref} about {merchant} with other "
                "consumers' complaints on the same matter into group complaint {group}. Your complaint "
                "keeps its own number and outcome; you can nominate a representative, follow the "
                "mediation, or object and leave.",
            ),
        },
    },
    "group.representatives_confirmed": {
        "*": {
            "zh-hans": _t(
                "群体投诉 {group}：代表已确定",
                "群体投诉 {group}（您的投诉 {ref}）的代表已确定，可在平台查看。",
                "市场监督管理部门已根据成员推选确定群体投诉 {group} 的代表（您的投诉 {ref}）。代表与经营者、"
                "调解人员协商；您可在平台跟进，并可提出异议退出。",
            ),
            "en": _t(
                "Group complaint {group}: representatives confirmed",
                "The representatives of group complaint {group} (your complaint {ref}) are confirmed. "
                "See them on the platform.",
                "The market regulation office confirmed the representatives the members nominated for "
                "group complaint {group} (your complaint {ref}). They talk with the merchant and the "
                "mediator; you can follow on the platform, or object and leave.",
            ),
        },
    },
    "group.terms_proposed": {
        "*": {
            "zh-hans": _t(
                "群体投诉 {group}：调解方案待您确认",
                "群体投诉 {group} 的调解方案已提出，请在平台确认您的投诉 {ref} 是否接受。",
                "调解人员已就群体投诉 {group} 提出调解方案，您的投诉 {ref} 的金额单独列明。接受后，调解协议"
                "在您的案件中生效，您还需以短信验证码确认调解书；不接受可提出异议退出，您的投诉单独处理。",
            ),
            "en": _t(
                "Group complaint {group}: terms for you to answer",
                "Terms were proposed for group complaint {group}. Please answer for your complaint "
                "{ref} on the platform.",
                "The mediator proposed terms for group complaint {group}, with the amount for your "
                "complaint {ref}. If you accept, the agreement is reached on your case and you confirm "
                "your mediation agreement by SMS code; if not, you can object and leave, and your "
                "complaint goes on alone.",
            ),
        },
    },
    # --- When nothing more specific exists. ----------------------------------------------
    "*": {
        "*": {
            "zh-hans": _t(
                "案件 {ref} 有新进展",
                "案件 {ref} 有新进展，请登录平台查看。",
                "案件 {ref} 有新进展，请登录平台查看。",
            ),
            "en": _t(
                "News on case {ref}",
                "There is news on case {ref}. Please check the platform.",
                "There is news on case {ref}. Please check the platform.",
            ),
        },
    },
}
# fmt: on

# Lines added to the full text (email and inbox) in each language.
LINK_LINE = {"zh-hans": "查看：{link}", "en": "See: {link}"}
FOOTER = {
    "zh-hans": "您收到此通知，是因为您是该案件的当事人或者承办人。通知方式可在 {preferences} 修改。",
    "en": "You receive this notice as a party to or officer on this case. "
    "Choose how you are notified at {preferences}.",
}


def language_of(code: str | None) -> str:
    code = (code or "").lower()
    if code in LANGUAGES:
        return code
    if code.startswith("zh"):
        return "zh-hans"
    if code.startswith("en"):
        return "en"
    return FALLBACK_LANGUAGE


def template_for(kind: str, audience: str, language: str) -> Text:
    """The most specific text: this kind and role, this kind for any role, then generic."""
    language = language_of(language)
    base_kind = kind.split(":", 1)[0]
    for key in (kind, base_kind, "*"):
        by_audience = TEXTS.get(key)
        if not by_audience:
            continue
        for who in (audience, "*"):
            if who in by_audience:
                return by_audience[who][language]
    raise KeyError(kind)  # unreachable: "*" / "*" exists


def placeholders(text: Text) -> set[str]:
    names: set[str] = set()
    for part in (text.subject, text.sms, text.body):
        names.update(name for _, name, _, _ in Formatter().parse(part) if name)
    return names


def ground_reason(kind: str, code: str, language: str) -> str | None:
    """A ground in a few plain words (``kind``: "refusal" or "termination"), or None."""
    found = GROUND_REASONS.get(kind, {}).get(code)
    return found[language_of(language)] if found else None


def render(
    *, kind: str, audience: str, language: str, values: Mapping[str, str], link: str = ""
) -> Rendered:
    """Fill a template. A value the event did not supply shows as a dash, never an error:
    a notice with one blank is better than a case transition that fails on a notice.
    ``values`` may compute what it lacks (a dict with ``__missing__``). ``link``, the
    case's absolute address, ends the SMS."""
    language = language_of(language)
    text = template_for(kind, audience, language)
    filled = values if hasattr(values, "__missing__") else _Defaulting(values)
    return Rendered(
        subject=text.subject.format_map(filled)[:200],
        sms=SMS_PREFIX[language]
        + text.sms.format_map(filled)
        + (SMS_LINK[language].format(link=link) if link else ""),
        body=text.body.format_map(filled),
    )


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def has_values(*, kind: str, audience: str, language: str, values: Mapping[str, str]) -> bool:
    """Whether ``values`` fills every placeholder of the subject and full text (the inbox)."""
    text = template_for(kind, audience, language)
    needed = {
        name
        for part in (text.subject, text.body)
        for _, name, _, _ in Formatter().parse(part)
        if name
    }
    return needed <= set(values)


def values_for(
    *, kind: str, audience: str, values: Callable[[str], Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The placeholder values of a notice in every language, kept with it so the inbox can
    show it in the reader's language later. ``values(language)`` gives the event's values
    in one language (computed on demand); only those the texts use are kept."""
    kept: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        source = values(language)
        kept[language] = {
            name: str(source[name])
            for name in sorted(placeholders(template_for(kind, audience, language)))
        }
    return kept
