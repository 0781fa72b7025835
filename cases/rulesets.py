"""The rules a case is handled under, as dated data: clocks and the legal grounds.

The rule set in force on the day a complaint was submitted governs the whole case
(DESIGN.md, "Clocks"): SAMR Order 20 up to 2026-04-14, SAMR Order 121 from 2026-04-15.
Every time limit and every ground that a decision may cite is here, with its article, so
that a change of the law is a new rule set and never an edit scattered through the code.
This module is plain Python: importable without a database or Django settings.

Ground codes are the same in both rule sets where the ground means the same thing
('limitation', 'time_limit'), so that services and statistics can name a ground without
knowing which order governs the case; the article says where each rule set has it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

# "agreed": the due date is the one the parties or the award set (performance), not counted.
Unit = Literal["working_days", "calendar_days", "years", "agreed"]
UNITS: tuple[Unit, ...] = ("working_days", "calendar_days", "years", "agreed")
GroundKind = Literal["refusal", "termination"]
# What the deadline sweep does once a clock has passed (and its date can no longer move):
# "flag" marks it overdue and tells the people the clock names, and the clock keeps running
# until the act, which then ends it late; "expire" ends it as passed; "escalate" ends it as
# passed and takes the clock's `escalate_with` transition.
OnExpiry = Literal["flag", "expire", "escalate"]
ON_EXPIRY: tuple[OnExpiry, ...] = ("flag", "expire", "escalate")
# Who may be told of a clock: the roles notifications route to (notifications/selectors.py).
AUDIENCES = ("consumer", "merchant", "regulator", "mediator", "arbitration")

# The clocks that code names (credit reads the answer and performance clocks, the intake
# the limitation): every rule set has them. A rule set may declare more.
CLOCK_KEYS = (
    "negotiation_answer",
    "acceptance_decision",
    "mediation_limit",
    "termination_notice",
    "arbitration_acceptance",
    "limitation",
    "performance",
)
# The transitions after which what was agreed or awarded is to be carried out: every other
# clock no longer applies.
SETTLED_BY = ("settle", "reach_agreement", "record_award")

_ZH_DIGITS = "零一二三四五六七八九"


def _zh_number(n: int) -> str:
    """Chinese numerals as legal texts write article numbers (1–99): 十五, 二十一, 四十二."""
    if not 1 <= n <= 99:
        raise ValueError(f"article numbers here run from 1 to 99, not {n}")
    tens, units = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _ZH_DIGITS[tens] + "十")
    return text + (_ZH_DIGITS[units] if units else "")


@dataclass(frozen=True, slots=True)
class Article:
    """A place in a legal text: article, paragraph (款) and item (项)."""

    number: int
    paragraph: int | None = None
    item: int | None = None

    @property
    def zh(self) -> str:
        """As Chinese legal texts cite it: 第二十三条第一款第五项 (items cited without brackets)."""
        text = f"第{_zh_number(self.number)}条"
        if self.paragraph is not None:
            text += f"第{_zh_number(self.paragraph)}款"
        if self.item is not None:
            text += f"第{_zh_number(self.item)}项"
        return text

    @property
    def en(self) -> str:
        """As English texts cite it: art. 23(1)(5)."""
        text = f"art. {self.number}"
        if self.paragraph is not None:
            text += f"({self.paragraph})"
        if self.item is not None:
            text += f"({self.item})"
        return text

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True, slots=True)
class Notify:
    """Who is told when a clock starts, two working days before it passes, and when it has
    passed; the words are in notifications/texts.py (generic ones serve a new clock)."""

    start: tuple[str, ...] = ()
    reminder: tuple[str, ...] = ()
    expiry: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for roles in (self.start, self.reminder, self.expiry):
            unknown = set(roles) - set(AUDIENCES)
            if unknown:
                raise ValueError(f"unknown audience {sorted(unknown)}; known: {AUDIENCES}")


@dataclass(frozen=True, slots=True)
class Clock:
    """A time limit, declared once: how long, counted how, the law that sets it, its name,
    which steps start, end and cancel it, what its expiry does and who is told.

    `starts`, `ends`, `fails` and `cancels` name transitions (cases/services/transitions.py
    SPECS) or actions that change no state (cases/services/actions.py ACTIONS). An `ends`
    step is the act the clock waits for: it ends the clock met when taken by the due time,
    late after. A `fails` step records that the act will not come (a breach reported): the
    clock ends as passed. A `cancels` step makes it no longer apply. Every running clock is
    cancelled when the case ends (closed, refused, withdrawn) and when it is settled.
    """

    key: str
    amount: int
    unit: Unit
    citation_zh: str
    citation_en: str
    # For staff only (the case page shows it to officers, never to the parties, and no
    # signed document prints it): where the text of the law is still to be confirmed.
    note_zh: str = ""
    note_en: str = ""
    # The clock's name on pages, in notices and in reports.
    label_zh: str = ""
    label_en: str = ""
    starts: tuple[str, ...] = ()
    ends: tuple[str, ...] = ()
    fails: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()
    on_expiry: OnExpiry = "flag"
    escalate_with: str = ""
    notify: Notify = field(default_factory=Notify)
    # Whether its start, reminder and expiry are posted in the mediation rooms.
    room_notices: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"clock {self.key!r}: unknown unit {self.unit!r}")
        if self.unit != "agreed" and self.amount < 1:
            raise ValueError(f"clock {self.key!r}: amount must be positive, not {self.amount}")
        if self.on_expiry not in ON_EXPIRY:
            raise ValueError(f"clock {self.key!r}: unknown expiry {self.on_expiry!r}")
        if (self.on_expiry == "escalate") != bool(self.escalate_with):
            raise ValueError(
                f"clock {self.key!r}: escalate_with names the transition an escalating "
                "expiry takes, and only then"
            )
        if not (self.label_zh and self.label_en):
            raise ValueError(f"clock {self.key!r}: label_zh and label_en are required")

    def label(self, language: str | None) -> str:
        """The clock's name in `language` (a Django language code; Chinese unless English)."""
        return self.label_en if (language or "").startswith("en") else self.label_zh

    @property
    def counted(self) -> bool:
        """Whether its due date is counted from its start (not set by an agreement)."""
        return self.unit != "agreed"


@dataclass(frozen=True, slots=True)
class Ground:
    """A legal ground a refusal or a termination of mediation cites."""

    code: str
    article: Article
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class RecusalGround:
    """A reason a party may give for asking that the mediator step aside."""

    code: str
    text_zh: str
    text_en: str


@dataclass(frozen=True, slots=True)
class RecusalRule:
    """Who may ask for the mediator's recusal, on which grounds, under which provision.

    The window to ask is the clock "recusal_window" (it starts when a mediator is assigned,
    as the mediation notice, SAMR form 7, tells the parties); the office decides.
    """

    citation_zh: str
    citation_en: str
    grounds: tuple[RecusalGround, ...]
    # Who may ask: the case roles of the parties.
    parties: tuple[str, ...] = ("consumer", "merchant")
    # For staff only, as a clock's note: what is still to be confirmed.
    note_zh: str = ""
    note_en: str = ""

    def ground(self, code: str) -> RecusalGround:
        return _by_code(self.grounds, code, "recusal ground")


def _by_code(items, code: str, what: str):
    """The item of a coded list (grounds, reasons) with `code`; a KeyError naming the known."""
    for candidate in items:
        if candidate.code == code:
            return candidate
    raise KeyError(f"no {what} {code!r}; known: {[i.code for i in items]}")


@dataclass(frozen=True, slots=True)
class TransferReason:
    """Why a complaint goes to another office (转办): a rule of jurisdiction, or other."""

    code: str
    text_zh: str
    text_en: str
    # Where the rule set says it ('' for "other").
    citation_zh: str = ""
    citation_en: str = ""


@dataclass(frozen=True, slots=True)
class TransferRule:
    """Transfers to the competent office (cases/services/transfers.py, ADR 0010): the
    reasons an officer picks from, the provision on jurisdiction they rest on, and, for
    staff only, what is still to be confirmed. The receiving office's acceptance clock
    restarts from its receipt (the clock "acceptance_decision" names the step)."""

    citation_zh: str
    citation_en: str
    reasons: tuple[TransferReason, ...]
    note_zh: str = ""
    note_en: str = ""

    def reason(self, code: str) -> TransferReason:
        return _by_code(self.reasons, code, "transfer reason")


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The clocks and grounds of one regulation, and the days it governs submissions on."""

    key: str
    name_zh: str
    name_en: str
    in_force_from: dt.date
    in_force_until: dt.date | None
    clocks: Mapping[str, Clock] = field(hash=False)
    refusal_grounds: tuple[Ground, ...]
    termination_grounds: tuple[Ground, ...]
    # Recusal of the mediator (SAMR form 7); None where the rule set has none.
    recusal: RecusalRule | None = None
    # Transfers to the competent office (转办); None where the rule set has none.
    transfer: TransferRule | None = None

    def __post_init__(self) -> None:
        # A read-only view of a private copy: a rule set never changes once built.
        object.__setattr__(self, "clocks", MappingProxyType(dict(self.clocks)))
        missing = [key for key in CLOCK_KEYS if key not in self.clocks]
        if missing:
            raise ValueError(f"rule set {self.key!r}: clocks {missing} are missing")
        for key, clock in self.clocks.items():
            if clock.key != key:
                raise ValueError(f"rule set {self.key!r}: clock {clock.key!r} filed as {key!r}")
        for kind, grounds in (
            ("refusal", self.refusal_grounds),
            ("termination", self.termination_grounds),
        ):
            codes = [g.code for g in grounds]
            if len(set(codes)) != len(codes):
                raise ValueError(f"rule set {self.key!r}: duplicate {kind} ground codes")

    def in_force_on(self, day: dt.date) -> bool:
        """Whether a complaint submitted on `day` is governed by this rule set."""
        return self.in_force_from <= day and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def clock(self, key: str) -> Clock:
        """The clock `key`, or a KeyError that names the known clocks."""
        try:
            return self.clocks[key]
        except KeyError:
            raise KeyError(
                f"rule set {self.key!r} has no clock {key!r}; it has {', '.join(self.clocks)}"
            ) from None

    def cite_zh(self, ground: Ground) -> str:
        """The full Chinese citation of a ground, for decisions: 《…》第十六条第四项."""
        return f"《{self.name_zh}》{ground.article.zh}"

    def cite_en(self, ground: Ground) -> str:
        """The full English citation of a ground: the rule set's name and the article."""
        return f"{self.name_en}, {ground.article.en}"


# --- SAMR Order 20: 《市场监督管理投诉举报处理暂行办法》 ------------------------------------

_O20 = "市场监督管理投诉举报处理暂行办法"
_O121 = "市场监督管理投诉举报处理办法"
_ARBITRATION_LAW = "《中华人民共和国仲裁法》第二十四条"

# Refusal grounds (1)–(4) read the same in both orders.
_REFUSAL_OUTSIDE_REMIT = (
    "outside_remit",
    "投诉事项不属于市场监督管理部门职责，或者本行政机关不具有处理权限的",
    "The complaint is outside the remit of market regulation, or this office has no "
    "authority to handle it.",
)
_REFUSAL_ALREADY_HANDLED = (
    "already_handled",
    "法院、仲裁机构、市场监督管理部门或者其他行政机关、消费者协会或者依法成立的其他调解组织"
    "已经受理或者处理过同一消费者权益争议的",
    "A court, an arbitration body, a market regulation office or another administrative "
    "agency, a consumer association or another lawfully established mediation organisation "
    "has already accepted or handled the same consumer dispute.",
)
_REFUSAL_NOT_CONSUMER = (
    "not_consumer_dispute",
    "不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议的",
    "The goods or services were not bought or used for personal consumption, or no consumer "
    "dispute with the merchant is shown.",
)
_REFUSAL_LIMITATION = (
    "limitation",
    "除法律另有规定外，投诉人知道或者应当知道自己的权益受到被投诉人侵害之日起超过三年的",
    "Unless a law provides otherwise, more than three years have passed since the "
    "complainant knew or should have known that the merchant infringed their rights.",
)
_REFUSAL_OTHER = (
    "other",
    "法律、法规、规章规定不予受理的其他情形",
    "Any other circumstance in which laws, regulations or rules provide that a complaint "
    "is not accepted.",
)
_TERMINATION_OTHER = (
    "other",
    "法律、法规、规章规定的应当终止调解的其他情形",
    "Any other circumstance in which laws, regulations or rules require mediation to end.",
)


# Transfers to the competent office (转办). Order 20 as amended in 2022, art. 12: 投诉由被投诉人
# 实际经营地或者住所地县级市场监督管理部门处理；对电子商务平台经营者以及通过自建网站、其他网络服务
# 销售商品或者提供服务的电子商务经营者的投诉，由其住所地县级市场监督管理部门处理；对平台内经营者的
# 投诉，由其实际经营地或者平台经营者住所地县级市场监督管理部门处理；上级市场监督管理部门认为有必要的，
# 可以处理下级市场监督管理部门收到的投诉。Art. 13: where two offices both have authority, the one that
# received the complaint first handles it. Art. 14: 具有本办法规定的处理权限的市场监督管理部门，应当自
# 收到投诉之日起七个工作日内作出受理或者不予受理的决定 (read from a transcription of the 2022 text).
# Neither order, as far as could be read, sets a time limit for forwarding a complaint,
# so no clock runs for the sending office.
_ACCEPTANCE_TRANSFER_NOTE_ZH = (
    "转办后，受理期限自接收部门收到投诉之日起重新计算：据《市场监督管理投诉举报处理暂行办法》"
    "第十四条“具有本办法规定的处理权限的市场监督管理部门……自收到投诉之日起”的文义，为本平台的理解；"
    "平台将转办件送达接收部门的工作台即视为收到（参照《中华人民共和国民法典》第一百三十七条第二款"
    "关于数据电文进入指定系统的规定）。两部规章均未见移送期限的规定，第121号令的转办条文待与正式文本核对"
)
_ACCEPTANCE_TRANSFER_NOTE_EN = (
    "After a transfer the limit counts again from the receiving office's receipt: the "
    "platform's reading of Order 20 art. 14 (the office with authority decides within 7 "
    "working days of receiving the complaint). Delivery into the receiving office's queue "
    "on the platform is its receipt (by analogy with Civil Code art. 137(2) on data messages "
    "entering a designated system). Neither order was found to set a time limit for "
    "forwarding; Order 121's provision on transfers is to be confirmed against the official "
    "text"
)


def _transfer_rule(order_zh: str, order_en: str, article: str, note: tuple[str, str]):
    """The transfer rule of an order; ``article`` is "第十二条|art. 12", or "|" where the
    article is not known (then a reason cites the order alone)."""
    art_zh, art_en = article.split("|")

    def cite(paragraph: int) -> tuple[str, str]:
        if not art_zh:
            return f"《{order_zh}》", order_en
        return (
            f"《{order_zh}》{art_zh}第{_zh_number(paragraph)}款",
            f"{order_en}, {art_en}({paragraph})",
        )

    return TransferRule(
        citation_zh=f"《{order_zh}》{art_zh}：投诉由被投诉人实际经营地或者住所地县级市场监督管理部门"
        "处理；对电子商务平台经营者的投诉，由其住所地县级市场监督管理部门处理；对平台内经营者的投诉，"
        "由其实际经营地或者平台经营者住所地县级市场监督管理部门处理",
        citation_en=f"{order_en}{', ' + art_en if art_en else ''}: a complaint is handled by the county-level office "
        "where the merchant actually operates or is domiciled; one against an e-commerce "
        "platform, by the office where the platform is domiciled; one against a merchant on a "
        "platform, by the office where the merchant operates or where the platform is domiciled",
        reasons=(
            TransferReason(
                "registered_place",
                "被投诉人住所地（登记地）属接收部门管辖",
                "The merchant is domiciled (registered) in the receiving office's division",
                *cite(1),
            ),
            TransferReason(
                "place_of_business",
                "被投诉人实际经营地（交易发生地）属接收部门管辖",
                "The merchant actually operates (the transaction took place) in the receiving "
                "office's division",
                *cite(1),
            ),
            TransferReason(
                "platform_domicile",
                "电子商务平台经营者住所地属接收部门管辖",
                "The e-commerce platform is domiciled in the receiving office's division",
                *cite(2),
            ),
            TransferReason(
                "higher_office",
                "上级市场监督管理部门决定自行处理",
                "The higher office takes the complaint over",
                *cite(3),
            ),
            TransferReason("other", "其他原因（请说明）", "Another reason (explain)"),
        ),
        note_zh=note[0],
        note_en=note[1],
    )


# Recusal of the mediator. The grounds as SAMR's form 7 (投诉调解通知书) words them, read from
# a transcription of the Order 121 forms (文书式样七): "如果您认为调解人员是投诉人或者被投诉人的
# 近亲属或者有其他利害关系，可能影响公正处理投诉的，可以自收到本通知书之日起____日内对调解人员
# 提出回避申请". The 2019 forms of Order 20 have the same form 7 (投诉调解通知书).
_RECUSAL_GROUNDS = (
    RecusalGround(
        "party_or_relative",
        "调解人员是投诉人或者被投诉人，或者是其近亲属",
        "The mediator is the complainant or the merchant, or a close relative of either.",
    ),
    RecusalGround(
        "interest",
        "调解人员与本投诉有利害关系，可能影响公正处理投诉",
        "The mediator has an interest in this complaint that may affect its fair handling.",
    ),
    RecusalGround(
        "other_relationship",
        "调解人员与当事人有其他关系，可能影响公正处理投诉",
        "The mediator has another relationship with a party that may affect the fair "
        "handling of the complaint.",
    ),
)
_RECUSAL_FORM_NOTE_ZH = (
    "回避的情形取自文书式样七（投诉调解通知书）的转录本；申请回避的期限在式样中留空，由市场监督"
    "管理部门填写，三日为本平台的默认值，并非规章规定；规定回避的条文序号尚未核实，均待与正式文本核对。"
    "回避申请期间是否中止调解、调解期限是否扣除，亦待核实"
)
_RECUSAL_FORM_NOTE_EN = (
    "The grounds are read from a transcription of form 7 (the mediation notice); the form "
    "leaves the number of days to ask blank for the office to fill in, so 3 days is this "
    "platform's default, not a rule; the article that provides for recusal is not yet "
    "identified. Whether mediation is suspended while a request is decided, and whether "
    "that time counts against the mediation limit, is also unconfirmed. All to be checked "
    "against the official text"
)


def _grounds(
    article: int, paragraph: int | None, *items: tuple[str, str, str]
) -> tuple[Ground, ...]:
    """Numbered grounds of one article (and paragraph), items in the order the law lists them."""
    return tuple(
        Ground(code, Article(article, paragraph, number), text_zh, text_en)
        for number, (code, text_zh, text_en) in enumerate(items, start=1)
    )


ORDER_20 = RuleSet(
    key="samr-order-20",
    name_zh=_O20,
    name_en="Interim Measures for Handling Complaints and Reports on Market Regulation "
    "(SAMR Order No. 20 of 2019, amended 2022)",
    in_force_from=dt.date(2020, 1, 1),
    in_force_until=dt.date(2026, 4, 14),
    clocks={
        "negotiation_answer": Clock(
            "negotiation_answer",
            10,
            "working_days",
            "全国12315平台在线消费纠纷解决（ODR）工作惯例：经营者应当在十个工作日内作出答复；"
            "不计入市场监督管理部门的投诉处理时限",
            "SAMR 12315 platform online dispute resolution (ODR) practice: the merchant "
            "answers within 10 working days; not counted in the regulator's own time limits",
            label_zh="商家答复",
            label_en="The merchant's answer",
            starts=("start_negotiation",),
            ends=("merchant_answer",),
            cancels=("request_review", "escalate"),
            on_expiry="escalate",
            escalate_with="escalate",
            notify=Notify(start=("consumer", "merchant"), reminder=("merchant",)),
        ),
        "acceptance_decision": Clock(
            "acceptance_decision",
            7,
            "working_days",
            f"《{_O20}》第十四条：自收到投诉之日起七个工作日内作出受理或者不予受理的决定",
            "SAMR Order 20, art. 14: decision to accept or refuse within 7 working days of "
            "receiving the complaint",
            label_zh="受理决定",
            label_en="The decision on accepting the complaint",
            # A transfer (转办) restarts it: the receiving office counts from its receipt.
            starts=("request_review", "escalate", "transfer"),
            ends=("accept", "reject"),
            cancels=("transfer",),
            note_zh=_ACCEPTANCE_TRANSFER_NOTE_ZH,
            note_en=_ACCEPTANCE_TRANSFER_NOTE_EN,
            notify=Notify(
                start=("consumer", "regulator"), reminder=("regulator",), expiry=("regulator",)
            ),
        ),
        "mediation_limit": Clock(
            "mediation_limit",
            45,
            "working_days",
            f"《{_O20}》第二十一条第一款第五项：自投诉受理之日起四十五个工作日内未能达成调解协议的，"
            "终止调解",
            "SAMR Order 20, art. 21(1)(5): mediation ends if no agreement is reached within "
            "45 working days of acceptance",
            label_zh="调解期限",
            label_en="The time limit for mediation",
            starts=("accept",),
            ends=("reach_agreement", "terminate"),
            # Passed: the case waits for the regulator's decision to end mediation on the
            # ground of the time limit, which is offered only then.
            on_expiry="expire",
            notify=Notify(
                start=("mediator",),
                reminder=("mediator", "regulator"),
                expiry=("mediator", "regulator"),
            ),
            room_notices=True,
        ),
        "termination_notice": Clock(
            "termination_notice",
            7,
            "working_days",
            f"《{_O20}》第二十一条第二款：自作出终止调解决定之日起七个工作日内告知投诉人和被投诉人",
            "SAMR Order 20, art. 21(2): the parties are told within 7 working days of the "
            "decision to end mediation",
            label_zh="终止调解告知",
            label_en="The notice that mediation has ended",
            starts=("terminate",),
            ends=("termination_notice_delivered",),
            notify=Notify(reminder=("regulator",), expiry=("regulator",)),
        ),
        "arbitration_acceptance": Clock(
            "arbitration_acceptance",
            5,
            "calendar_days",
            f"{_ARBITRATION_LAW}：仲裁委员会收到仲裁申请书之日起五日内决定是否受理",
            "Arbitration Law, art. 24: the arbitration commission decides within 5 days of "
            "receiving the application whether to accept it",
            label_zh="仲裁受理决定",
            label_en="The arbitration body's decision on the referral",
            starts=("refer_to_arbitration",),
            ends=("arbitration_accept", "arbitration_decline"),
            notify=Notify(
                start=("arbitration",),
                reminder=("arbitration",),
                expiry=("arbitration", "regulator"),
            ),
        ),
        "limitation": Clock(
            "limitation",
            3,
            "years",
            f"《{_O20}》第十五条第四项：除法律另有规定外，投诉人知道或者应当知道自己的权益"
            "受到被投诉人侵害之日起超过三年的，不予受理",
            "SAMR Order 20, art. 15(4): unless a law provides otherwise, a complaint made more "
            "than three years after the complainant knew or should have known of the harm is "
            "not accepted",
            label_zh="投诉时效",
            label_en="The limitation period",
        ),
        "performance": Clock(
            "performance",
            0,
            "agreed",
            "调解协议、和解协议或者仲裁裁决确定的履行期限",
            "the date the agreement or the award sets for carrying it out",
            label_zh="履行",
            label_en="Carrying out what was agreed",
            starts=SETTLED_BY,
            ends=("confirm_performance",),
            fails=("report_breach",),
            notify=Notify(
                reminder=("consumer", "merchant"), expiry=("consumer", "merchant", "regulator")
            ),
        ),
        "recusal_window": Clock(
            "recusal_window",
            3,
            "calendar_days",
            f"《{_O20}》及投诉调解通知书（文书式样七）：当事人认为调解人员是投诉人或者被投诉人的"
            "近亲属或者有其他利害关系，可能影响公正处理投诉的，可以自收到通知书之日起三日内申请回避",
            "SAMR Order 20 and the mediation notice (form 7): a party who considers that the "
            "mediator is a close relative of the complainant or the merchant, or has another "
            "interest that may affect the fair handling of the complaint, may ask for the "
            "mediator's recusal within 3 days of receiving the notice",
            note_zh=_RECUSAL_FORM_NOTE_ZH,
            note_en=_RECUSAL_FORM_NOTE_EN,
            label_zh="申请调解人员回避",
            label_en="Asking for the mediator's recusal",
            # A mediator is assigned on acceptance, and again when a recusal is granted;
            # each assignment is a new mediation notice and a new window.
            starts=("accept", "mediator_assign"),
            # No longer applies once that mediator steps aside, or mediation has ended.
            cancels=("recusal_grant", "terminate"),
            on_expiry="expire",
            notify=Notify(start=("consumer", "merchant")),
        ),
    },
    refusal_grounds=_grounds(
        15,
        None,
        _REFUSAL_OUTSIDE_REMIT,
        _REFUSAL_ALREADY_HANDLED,
        _REFUSAL_NOT_CONSUMER,
        _REFUSAL_LIMITATION,
        (
            "materials",
            "未提供本办法第九条第一款和第十条规定的材料的",
            "The materials required by arts. 9(1) and 10 of these Measures were not provided.",
        ),
        _REFUSAL_OTHER,
    ),
    termination_grounds=_grounds(
        21,
        1,
        (
            "withdrawn_or_settled",
            "投诉人撤回投诉或者双方自行和解的",
            "The complainant withdrew the complaint, or the parties settled between themselves.",
        ),
        (
            "testing_no_agreement",
            "投诉人与被投诉人对委托承担检定、检验、检测、鉴定工作的技术机构或者费用承担无法协商一致的",
            "The parties cannot agree on the technical body to be entrusted with "
            "verification, inspection, testing or appraisal, or on who bears its cost.",
        ),
        (
            "absent_or_refused",
            "投诉人或者被投诉人无正当理由不参加调解，或者被投诉人明确拒绝调解的",
            "The complainant or the merchant does not take part in mediation without good "
            "reason, or the merchant expressly refuses mediation.",
        ),
        (
            "agreement_impossible",
            "经组织调解，投诉人或者被投诉人明确表示无法达成调解协议的",
            "After mediation was organised, the complainant or the merchant expressly "
            "states that no agreement can be reached.",
        ),
        (
            "time_limit",
            "自投诉受理之日起四十五个工作日内投诉人和被投诉人未能达成调解协议的",
            "The parties have not reached a mediation agreement within 45 working days of "
            "the acceptance of the complaint.",
        ),
        (
            "refusal_ground_found",
            "市场监督管理部门受理投诉后，发现存在本办法第十五条规定情形的",
            "After accepting the complaint, the office finds a circumstance listed in art. "
            "15 of these Measures.",
        ),
        _TERMINATION_OTHER,
    ),
    recusal=RecusalRule(
        citation_zh=f"《{_O20}》；投诉调解通知书（文书式样七）",
        citation_en="SAMR Order 20; the mediation notice (form 7)",
        grounds=_RECUSAL_GROUNDS,
        note_zh=_RECUSAL_FORM_NOTE_ZH,
        note_en=_RECUSAL_FORM_NOTE_EN,
    ),
    transfer=_transfer_rule(
        _O20,
        "SAMR Order 20",
        "第十二条|art. 12",
        (
            "条文序号据2022年修正文本的转录本（第十二条管辖，第十三条先收到者处理，第十四条受理期限），"
            "待与正式文本核对。" + _ACCEPTANCE_TRANSFER_NOTE_ZH,
            "Article numbers from a transcription of the 2022 amended text (art. 12 "
            "jurisdiction, art. 13 first to receive handles, art. 14 the acceptance limit); to be "
            "checked against the official text. " + _ACCEPTANCE_TRANSFER_NOTE_EN,
        ),
    ),
)


# --- SAMR Order 121: 《市场监督管理投诉举报处理办法》 -------------------------------------
# Read from transcriptions of the Order 121 document forms (DESIGN.md); confirm the texts
# against the official gazette when it can be had.

ORDER_121 = RuleSet(
    key="samr-order-121",
    name_zh=_O121,
    name_en="Measures for Handling Complaints and Reports on Market Regulation "
    "(SAMR Order No. 121)",
    in_force_from=dt.date(2026, 4, 15),
    in_force_until=None,
    clocks={
        **ORDER_20.clocks,
        "acceptance_decision": replace(
            ORDER_20.clocks["acceptance_decision"],
            citation_zh=f"《{_O121}》：自收到投诉之日起七个工作日内作出受理或者不予受理的决定",
            citation_en="SAMR Order 121: decision to accept or refuse within 7 working days of "
            "receiving the complaint",
            note_zh=f"假定沿用《{_O20}》第十四条的规定，待与正式文本核对。"
            + _ACCEPTANCE_TRANSFER_NOTE_ZH,
            note_en="assumed unchanged from Order 20 art. 14; to be confirmed against the "
            "official text. " + _ACCEPTANCE_TRANSFER_NOTE_EN,
        ),
        "mediation_limit": replace(
            ORDER_20.clocks["mediation_limit"],
            amount=60,
            unit="calendar_days",
            citation_zh=f"《{_O121}》第二十三条第一款第五项：自投诉受理之日起六十日内未能达成调解协议的，"
            "终止调解",
            citation_en="SAMR Order 121, art. 23(1)(5): mediation ends if no agreement is "
            "reached within 60 days of acceptance",
        ),
        "termination_notice": replace(
            ORDER_20.clocks["termination_notice"],
            citation_zh=f"《{_O121}》第二十三条：自作出终止调解决定之日起七个工作日内告知投诉人和被投诉人",
            citation_en="SAMR Order 121, art. 23: the parties are told within 7 working days of "
            "the decision to end mediation",
            note_zh=f"假定沿用《{_O20}》第二十一条第二款的规定，待与正式文本核对",
            note_en="assumed unchanged from Order 20 art. 21(2); to be confirmed against the "
            "official text",
        ),
        "identity_proof": Clock(
            "identity_proof",
            5,
            "working_days",
            f"《{_O121}》第十条第三款、第十六条第六项：市场监督管理部门可以通知投诉人限期提供身份"
            "证明材料；逾期未提供或者提供虚假材料的，不予受理",
            "SAMR Order 121, arts. 10(3) and 16(6): the office may ask the complainant to provide "
            "proof of identity within a time limit; if it is not provided in time, or is false, "
            "the complaint is not accepted",
            note_zh="条文序号和逾期后果取自文书式样四（限期提供身份证明材料通知书）的转录本，"
            "该式样还援引《中华人民共和国消费者权益保护法实施条例》第四十六条第一款。式样中的期限"
            "由市场监督管理部门填写具体日期，五个工作日为本平台的默认值，并非规章规定；身份核验期间"
            "是否计入七个工作日的受理期限亦未核实。均待与正式文本核对。不予受理由市场监督管理部门决定，"
            "不会自动作出",
            note_en="The articles and the consequence are read from a transcription of form 4 "
            "(the notice to provide proof of identity), which also cites the Consumer Protection "
            "Law Implementing Regulations, art. 46(1). The form leaves the date to the office: "
            "5 working days is this platform's default, not a rule; whether the time counts "
            "against the 7 working days for the acceptance decision is unconfirmed. All to be "
            "checked against the official text. The office decides on the refusal; it is never "
            "automatic",
            label_zh="提供身份证明材料",
            label_en="Proof of identity",
            starts=("identity_request",),
            ends=("identity_provide",),
            cancels=("terminate",),
            # Passed: the case stays with the office, which is offered the refusal on
            # art. 16(6) (or, after acceptance, the end of mediation on art. 23(1)(6)).
            on_expiry="flag",
            notify=Notify(start=("consumer",), reminder=("consumer",), expiry=("regulator",)),
        ),
        "recusal_window": replace(
            ORDER_20.clocks["recusal_window"],
            citation_zh=f"《{_O121}》及投诉调解通知书（文书式样七）：当事人认为调解人员是投诉人或者"
            "被投诉人的近亲属或者有其他利害关系，可能影响公正处理投诉的，可以自收到通知书之日起三日内"
            "申请回避",
            citation_en="SAMR Order 121 and the mediation notice (form 7): a party who considers "
            "that the mediator is a close relative of the complainant or the merchant, or has "
            "another interest that may affect the fair handling of the complaint, may ask for "
            "the mediator's recusal within 3 days of receiving the notice",
        ),
        "limitation": replace(
            ORDER_20.clocks["limitation"],
            citation_zh=f"《{_O121}》第十六条第四项：除法律另有规定外，投诉人知道或者应当知道自己的"
            "权益受到被投诉人侵害之日起超过三年的，不予受理",
            citation_en="SAMR Order 121, art. 16(4): unless a law provides otherwise, a "
            "complaint made more than three years after the complainant knew or should have "
            "known of the harm is not accepted",
        ),
    },
    refusal_grounds=_grounds(
        16,
        None,
        _REFUSAL_OUTSIDE_REMIT,
        _REFUSAL_ALREADY_HANDLED,
        _REFUSAL_NOT_CONSUMER,
        _REFUSAL_LIMITATION,
        (
            "materials",
            "未提供本办法第十条第一款和第十一条规定的材料，或者提供的材料虚假的",
            "The materials required by arts. 10(1) and 11 of these Measures were not "
            "provided, or are false.",
        ),
        (
            "identity",
            "冒用他人名义投诉，或者拒绝配合市场监督管理部门核实身份的",
            "The complaint is made in another person's name, or the complainant refuses to "
            "let the office verify their identity.",
        ),
        _REFUSAL_OTHER,
    ),
    termination_grounds=_grounds(
        23,
        1,
        (
            "withdrawn_or_settled",
            "投诉人撤回投诉或者双方自行和解的",
            "The complainant withdrew the complaint, or the parties settled between themselves.",
        ),
        (
            "absent_or_refused",
            "投诉人或者被投诉人无正当理由不参加调解，或者拒绝调解的",
            "The complainant or the merchant does not take part in mediation without good "
            "reason, or refuses mediation.",
        ),
        (
            "agreement_impossible",
            "经组织调解，投诉人或者被投诉人明确表示无法达成调解协议的",
            "After mediation was organised, the complainant or the merchant expressly "
            "states that no agreement can be reached.",
        ),
        (
            "testing_no_agreement",
            "投诉人与被投诉人对检定、检验、检测、鉴定费用的承担无法协商一致的",
            "The parties cannot agree on who bears the cost of verification, inspection, "
            "testing or appraisal.",
        ),
        (
            "time_limit",
            "自投诉受理之日起六十日内投诉人和被投诉人未能达成调解协议的",
            "The parties have not reached a mediation agreement within 60 days of the "
            "acceptance of the complaint.",
        ),
        (
            "refusal_ground_found",
            "市场监督管理部门受理投诉后，发现存在本办法第十六条或者第四十二条规定情形的",
            "After accepting the complaint, the office finds a circumstance listed in art. "
            "16 or art. 42 of these Measures.",
        ),
        (
            "party_ceased",
            "投诉人或者被投诉人死亡或者终止的",
            "The complainant or the merchant has died or ceased to exist.",
        ),
        _TERMINATION_OTHER,
    ),
    recusal=RecusalRule(
        citation_zh=f"《{_O121}》；投诉调解通知书（文书式样七）",
        citation_en="SAMR Order 121; the mediation notice (form 7)",
        grounds=_RECUSAL_GROUNDS,
        note_zh=_RECUSAL_FORM_NOTE_ZH,
        note_en=_RECUSAL_FORM_NOTE_EN,
    ),
    transfer=_transfer_rule(
        _O121,
        "SAMR Order 121",
        "|",
        (
            "假定沿用第20号令第十二条的管辖规定；据报道第121号令完善了平台内经营者投诉的管辖，"
            "条文序号和内容均待与正式文本核对。" + _ACCEPTANCE_TRANSFER_NOTE_ZH,
            "Assumed unchanged from Order 20 art. 12; Order 121 is reported to revise the "
            "jurisdiction over merchants on platforms: article and text to be checked against "
            "the official text. " + _ACCEPTANCE_TRANSFER_NOTE_EN,
        ),
    ),
)

ALL_RULESETS: tuple[RuleSet, ...] = (ORDER_20, ORDER_121)
# Every rule set a case may name: the real ones, and any a test registers (`registered`).
_BY_KEY: dict[str, RuleSet] = {ruleset.key: ruleset for ruleset in ALL_RULESETS}


@contextmanager
def registered(ruleset: RuleSet) -> Iterator[RuleSet]:
    """Make `ruleset` known by its key while the block runs (tests declare clocks with it).

    It governs no submission date (`ruleset_for` reads only ALL_RULESETS); cases name it.
    """
    if ruleset.key in _BY_KEY:
        raise ValueError(f"rule set {ruleset.key!r} is already known")
    _BY_KEY[ruleset.key] = ruleset
    try:
        yield ruleset
    finally:
        del _BY_KEY[ruleset.key]


def all_clocks() -> dict[str, Clock]:
    """Every clock any known rule set declares, by key (the newest rule set's declaration)."""
    found: dict[str, Clock] = {}
    for ruleset in _BY_KEY.values():
        found.update(ruleset.clocks)
    return found


def clock_label(key: str, language: str | None) -> str:
    """A clock's name in `language`; its key when no rule set declares it."""
    clock = all_clocks().get(key)
    return clock.label(language) if clock else key


def ruleset_for(submitted_on: dt.date) -> RuleSet:
    """The rule set governing a complaint submitted on `submitted_on` (a Beijing date).

    Raises ValueError for a day no rule set covers (before Order 20 came into force).
    """
    for ruleset in ALL_RULESETS:
        if ruleset.in_force_on(submitted_on):
            return ruleset
    raise ValueError(
        f"no rule set governs complaints submitted on {submitted_on.isoformat()}; the "
        f"earliest is {ALL_RULESETS[0].key} from {ALL_RULESETS[0].in_force_from.isoformat()}"
    )


def ruleset_by_key(key: str) -> RuleSet:
    """The rule set a case recorded by key, or a KeyError that names the known keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown rule set {key!r}; known: {', '.join(_BY_KEY)}") from None


def ground(ruleset: RuleSet, code: str, kind: GroundKind = "refusal") -> Ground:
    """The ground `code` of `ruleset` that a refusal or a termination cites.

    Raises ValueError for an unknown kind and KeyError for a code this rule set lacks (an
    Order 121 ground such as 'identity' cited on an Order 20 case is an error, not a
    fallback).
    """
    if kind == "refusal":
        grounds = ruleset.refusal_grounds
    elif kind == "termination":
        grounds = ruleset.termination_grounds
    else:
        raise ValueError(f"ground kind must be 'refusal' or 'termination', not {kind!r}")
    for candidate in grounds:
        if candidate.code == code:
            return candidate
    raise KeyError(
        f"{ruleset.key} has no {kind} ground {code!r}; it has {', '.join(g.code for g in grounds)}"
    )


# --- Reports (举报): the office's clocks on a report of a suspected violation -----------
# A report is not a complaint: nobody's dispute is mediated, the office checks a lead and
# decides whether to open a case (立案) under the administrative-penalty procedure. The
# report's clocks are declared here beside the complaints' (same Clock, same calendar);
# reports/services/clocks.py moves them. The rule set in force on the day a report is
# received governs it, as for complaints.

_PENALTY_RULES = "市场监督管理行政处罚程序规定"
_PENALTY_RULES_EN = (
    "Provisions on Administrative Penalty Procedures for Market Regulation (SAMR Order No. 2 "
    "of 2018, amended 2021 and 2022)"
)
# Read from the text of art. 18 as SAMR offices publish it (e.g. the 14th Division's
# market regulation bureau, btdsss.gov.cn, 2025-05-14, quoting the 2022 text).
_VERIFY_ZH = (
    f"《{_PENALTY_RULES}》第十八条第一款：对通过投诉、举报等途径发现的违法行为线索，应当自发现线索"
    "或者收到材料之日起十五个工作日内予以核查，由市场监督管理部门负责人决定是否立案"
)
_VERIFY_EN = (
    "Administrative Penalty Procedure Provisions for Market Regulation, art. 18(1): a lead "
    "received through a complaint or a report is verified within 15 working days of receiving "
    "the materials, and the head of the office decides whether to open a case"
)
_VERIFY_NOTE_ZH = (
    "第十八条第二款：检测、检验、检疫、鉴定以及权利人辨认或者鉴别等所需时间，不计入前款规定期限；"
    "本平台不自动扣除这些时间，办案人员在延期或者决定时写明。第十八条的文字取自地方市场监督管理部门"
    "公布的2022年修正文本，待与国家市场监督管理总局公布的正式文本核对"
)
_VERIFY_NOTE_EN = (
    "Art. 18(2): time for testing, inspection, quarantine, appraisal and identification by the "
    "right holder does not count; the platform does not deduct it, the officer states it when "
    "extending or deciding. The text of art. 18 is read from a local office's publication of "
    "the 2022 text; to be checked against SAMR's official text"
)
_EXTEND_ZH = f"《{_PENALTY_RULES}》第十八条第一款：特殊情况下，经市场监督管理部门负责人批准，可以延长十五个工作日"
_EXTEND_EN = (
    "Administrative Penalty Procedure Provisions for Market Regulation, art. 18(1): in special "
    "circumstances, with the approval of the head of the office, the time may be extended by "
    "15 working days"
)
_EXTEND_NOTE_ZH = (
    "规定未明示延长期间的起算点；本平台自原期限届满之日起再计十五个工作日，待核实。延长只能一次，"
    "并须在原期限届满前经负责人批准"
)
_EXTEND_NOTE_EN = (
    "The provision does not say from when the extension counts; the platform counts 15 more "
    "working days from the end of the first period (to be confirmed). One extension only, "
    "approved before the first period ends"
)


@dataclass(frozen=True, slots=True)
class ReportRuleSet:
    """The clocks of a report and the provisions its handling cites, with the days it
    governs reports received on."""

    key: str
    name_zh: str
    name_en: str
    in_force_from: dt.date
    in_force_until: dt.date | None
    clocks: Mapping[str, Clock] = field(hash=False)
    # Who is told of the decision (a named reporter), and that the reporter is kept secret.
    notice_citation_zh: str = ""
    notice_citation_en: str = ""
    confidentiality_zh: str = ""
    confidentiality_en: str = ""
    # For staff only, as a clock's note.
    note_zh: str = ""
    note_en: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "clocks", MappingProxyType(dict(self.clocks)))
        missing = [key for key in REPORT_CLOCK_KEYS if key not in self.clocks]
        if missing:
            raise ValueError(f"report rule set {self.key!r}: clocks {missing} are missing")
        for key, clock in self.clocks.items():
            if clock.key != key:
                raise ValueError(f"report rule set {self.key!r}: {clock.key!r} filed as {key!r}")

    def in_force_on(self, day: dt.date) -> bool:
        return self.in_force_from <= day and (
            self.in_force_until is None or day <= self.in_force_until
        )

    def clock(self, key: str) -> Clock:
        try:
            return self.clocks[key]
        except KeyError:
            raise KeyError(f"report rule set {self.key!r} has no clock {key!r}") from None


# The clocks code names: the decision whether to open a case, the same decision once
# extended, and telling a named reporter the decision.
REPORT_CLOCK_KEYS = ("report_decision", "report_decision_extended", "reporter_notice")
# The steps of a report (reports/services/handling.py) the clocks name.
REPORT_STEPS = (
    "report_file",
    "report_verify",
    "report_extend",
    "report_open",
    "report_not_open",
    "reporter_notified",
)


def _report_clocks(order_zh: str, order_en: str, notice_article: str, notice_note: tuple):
    return {
        "report_decision": Clock(
            "report_decision",
            15,
            "working_days",
            _VERIFY_ZH,
            _VERIFY_EN,
            note_zh=_VERIFY_NOTE_ZH,
            note_en=_VERIFY_NOTE_EN,
            label_zh="决定是否立案",
            label_en="The decision whether to open a case",
            starts=("report_file",),
            ends=("report_open", "report_not_open"),
            cancels=("report_extend",),
            on_expiry="flag",
        ),
        "report_decision_extended": Clock(
            "report_decision_extended",
            15,
            "working_days",
            _EXTEND_ZH,
            _EXTEND_EN,
            note_zh=_EXTEND_NOTE_ZH,
            note_en=_EXTEND_NOTE_EN,
            label_zh="决定是否立案（已延长）",
            label_en="The decision whether to open a case (extended)",
            starts=("report_extend",),
            ends=("report_open", "report_not_open"),
            on_expiry="flag",
        ),
        "reporter_notice": Clock(
            "reporter_notice",
            5,
            "working_days",
            f"《{order_zh}》{notice_article}：举报人实名举报的，有处理权限的市场监督管理部门还应当自作出"
            "是否立案决定之日起五个工作日内告知举报人",
            f"{order_en}: where the reporter gave their real name, the office tells them "
            "within 5 working days of deciding whether to open a case",
            note_zh=notice_note[0],
            note_en=notice_note[1],
            label_zh="告知实名举报人",
            label_en="Telling the named reporter",
            starts=("report_open", "report_not_open"),
            ends=("reporter_notified",),
            on_expiry="flag",
        ),
    }


REPORTS_ORDER_20 = ReportRuleSet(
    key="samr-order-20-reports",
    name_zh=_O20,
    name_en=ORDER_20.name_en,
    in_force_from=ORDER_20.in_force_from,
    in_force_until=ORDER_20.in_force_until,
    clocks=_report_clocks(
        _O20,
        "SAMR Order 20, art. 31",
        "第三十一条",
        (
            "条文序号依2022年修正本（国家市场监督管理总局令第61号）的通行文本，待与正式文本核对",
            "Article number as in the common text of the 2022 amendment (SAMR Order 61); to be "
            "checked against the official text",
        ),
    ),
    notice_citation_zh=f"《{_O20}》第三十一条",
    notice_citation_en="SAMR Order 20, art. 31",
    confidentiality_zh=f"《{_O20}》第三十三条：市场监督管理部门应当对举报人的信息予以保密，不得将举报人"
    "个人信息、举报办理情况等泄露给被举报人或者与办理举报工作无关的人员",
    confidentiality_en="SAMR Order 20, art. 33: the office keeps the reporter's information "
    "secret and discloses neither the reporter's personal information nor the handling of the "
    "report to the merchant reported or to anyone not handling it",
    note_zh="第三十一条、第三十三条的条文序号依2022年修正本的通行文本，待与正式文本核对；第三十三条"
    "另有例外：材料同时包含投诉和举报内容、需要向被举报人提供组织调解所必需信息的除外",
    note_en="Arts. 31 and 33 as numbered in the common text of the 2022 amendment, to be "
    "checked; art. 33 excepts what a merchant must be given to mediate a complaint filed "
    "together with the report",
)

REPORTS_ORDER_121 = ReportRuleSet(
    key="samr-order-121-reports",
    name_zh=_O121,
    name_en=ORDER_121.name_en,
    in_force_from=ORDER_121.in_force_from,
    in_force_until=ORDER_121.in_force_until,
    clocks=_report_clocks(
        _O121,
        "SAMR Order 121",
        "",
        (
            f"假定沿用《{_O20}》第三十一条的规定（五个工作日），条文序号未核实，待与正式文本核对",
            "Assumed unchanged from Order 20 art. 31 (5 working days); the article number is "
            "not yet known; to be checked against the official text",
        ),
    ),
    notice_citation_zh=f"《{_O121}》",
    notice_citation_en="SAMR Order 121",
    confidentiality_zh=f"《{_O121}》：市场监督管理部门应当对举报人的信息予以保密，不得将举报人个人信息、"
    "举报办理情况等泄露给被举报人或者与办理举报工作无关的人员",
    confidentiality_en="SAMR Order 121: the office keeps the reporter's information secret and "
    "discloses neither the reporter's personal information nor the handling of the report to "
    "the merchant reported or to anyone not handling it",
    note_zh=f"假定沿用《{_O20}》第三十一条、第三十三条，条文序号未核实，待与正式文本核对",
    note_en="Assumed unchanged from Order 20 arts. 31 and 33; article numbers not yet known; "
    "to be checked against the official text",
)

REPORT_RULESETS: tuple[ReportRuleSet, ...] = (REPORTS_ORDER_20, REPORTS_ORDER_121)
_REPORTS_BY_KEY: dict[str, ReportRuleSet] = {r.key: r for r in REPORT_RULESETS}


def report_ruleset_for(received_on: dt.date) -> ReportRuleSet:
    """The rule set governing a report received on `received_on` (a Beijing date)."""
    for ruleset in REPORT_RULESETS:
        if ruleset.in_force_on(received_on):
            return ruleset
    raise ValueError(f"no rule set governs reports received on {received_on.isoformat()}")


def report_ruleset_by_key(key: str) -> ReportRuleSet:
    try:
        return _REPORTS_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown report rule set {key!r}") from None
