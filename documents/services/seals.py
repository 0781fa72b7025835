"""Who signs a document and whose seal it carries (docs/adr/0008).

A decision is sealed by the office that made it, not by the platform: the office of the
regulator who took the act for the acceptance and refusal decisions and the identity
notice (SAMR forms 4, 5, 6); the mediation organisation that conducts the mediation for
its notice and its termination (forms 7, 8); the office that handles the case for the
mediation agreement (form 9), which the mediator signs in person first. The platform's
key signs only what the platform itself records: settlement and arbitration agreements
the parties make between themselves, transcripts, closure reports, referral letters.

The plan is worked out once, when the document is rendered (its issuer is printed on
it), and kept with the document (``Document.signers``): a draft confirmed today is signed
tomorrow by the same signers, whatever has changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import MediationOrganisation, RegulatorOffice, Role
from cases.models import Case, CaseEvent
from documents.kinds import Kind
from documents.services.pki import (
    OFFICE,
    ORGANISATION,
    PERSON,
    SignerIdentity,
    platform_identity,
)
from odr import divisions, formatting

ACTING_OFFICE = "acting_office"  # the office of the regulator who took the act
CASE_OFFICE = "case_office"  # the office that handles the case (the one that accepted it)
MEDIATION_ORGANISATION = "mediation_organisation"  # the body conducting the mediation
PLATFORM = "platform"  # the platform's own record

SEALED_BY: dict[str, str] = {
    Kind.ACCEPTANCE_NOTICE: ACTING_OFFICE,
    Kind.REFUSAL_NOTICE: ACTING_OFFICE,
    Kind.IDENTITY_NOTICE: ACTING_OFFICE,
    Kind.MEDIATION_NOTICE: MEDIATION_ORGANISATION,
    Kind.TERMINATION_NOTICE: MEDIATION_ORGANISATION,
    Kind.MEDIATION_AGREEMENT: CASE_OFFICE,
    Kind.SETTLEMENT_AGREEMENT: PLATFORM,
    Kind.ARBITRATION_AGREEMENT: PLATFORM,
    Kind.ARBITRATION_REFERRAL: PLATFORM,
    Kind.MEDIATION_TRANSCRIPT: PLATFORM,
    Kind.CLOSURE_REPORT: PLATFORM,
}

# Kinds the mediator signs with their own certificate before the seal (form 9: 调解书由
# 当事人签名或者盖章，调解人员签名，并加盖市场监督管理部门印章). The parties' part is
# their SMS confirmation of the draft (services/confirm.py), recorded in the case log.
SIGNED_BY_MEDIATOR = frozenset({Kind.MEDIATION_AGREEMENT})

MEDIATOR = "mediator"
SEAL = "seal"


@dataclass(frozen=True)
class SigningPlan:
    seal: SignerIdentity
    # Signs before the seal, in person (the mediator), or None.
    signer: SignerIdentity | None = None

    def identities(self) -> list[SignerIdentity]:
        return [s for s in (self.signer, self.seal) if s is not None]

    def as_list(self) -> list[dict]:
        """What ``Document.signers`` stores: in signing order, each with its role."""
        rows = []
        if self.signer is not None:
            rows.append({"role": MEDIATOR, **self.signer.as_dict()})
        rows.append({"role": SEAL, **self.seal.as_dict()})
        return rows

    @classmethod
    def from_list(cls, rows: list[dict]) -> SigningPlan | None:
        seal = next((r for r in rows or () if r.get("role") == SEAL), None)
        if seal is None:
            return None
        signer = next((r for r in rows if r.get("role") == MEDIATOR), None)
        return cls(
            seal=SignerIdentity.from_dict(seal),
            signer=SignerIdentity.from_dict(signer) if signer else None,
        )


def signing_plan(document) -> SigningPlan:
    """The plan kept with the document, or, before it has one, the plan for it now."""
    kept = SigningPlan.from_list(document.signers)
    if kept is not None:
        return kept
    case = document.case
    event = document.event
    # A kind without an entry is an error, not the platform's by default: a new decision
    # must say whose seal it carries (tests check that every kind has one).
    rule = SEALED_BY[document.kind]
    if rule == ACTING_OFFICE:
        seal = office_identity(acting_office_code(case, event.actor) or case_office_code(case))
    elif rule == CASE_OFFICE:
        seal = office_identity(case_office_code(case))
    elif rule == MEDIATION_ORGANISATION:
        organisation = case.mediation_organisation
        seal = (
            organisation_identity(organisation)
            if organisation is not None
            else office_identity(case_office_code(case))
        )
    else:
        seal = platform_identity()
    signer = mediator_identity(case, event) if document.kind in SIGNED_BY_MEDIATOR else None
    return SigningPlan(seal=seal, signer=signer)


# --- Offices --------------------------------------------------------------------------


def _specificity(code: str) -> int:
    return 0 if code.endswith("0000") else 1 if code.endswith("00") else 2


def acting_office_code(case: Case, actor) -> str:
    """The jurisdiction in which ``actor`` acted on ``case``: of their regulator roles that
    cover the case's handling office (Case.office_code), the most local one; '' if none."""
    if actor is None or getattr(actor, "is_system", False) or not getattr(actor, "pk", None):
        return ""
    jurisdictions = [
        role.jurisdiction
        for role in Role.objects.filter(user_id=actor.pk, kind=Role.Kind.REGULATOR)
        if divisions.division_covers(role.jurisdiction, case.office_code)
    ]
    return max(jurisdictions, key=_specificity, default="")


def case_office_code(case: Case) -> str:
    """The office that handles the case: the one whose regulator accepted it; before that
    (or when no regulator did), the most local office covering the case's division, or
    the division's city when there is no office on record."""
    accepted = (
        CaseEvent.objects.filter(case=case, kind="transition.accept")
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    if accepted is not None:
        code = acting_office_code(case, accepted.actor)
        if code:
            return code
    office = RegulatorOffice.objects.covering(case.office_code)
    if office is not None:
        return office.division_code
    code = case.office_code or ""
    return code[:4] + "00" if len(code) == 6 and not code.endswith("0000") else code


def office_name_zh(code: str) -> str:
    """The name SAMR's offices go by (临沂市兰山区市场监督管理局), from the division list,
    for an office not on record."""
    own = divisions.division_name(code)
    if not own:
        return f"{code} 市场监督管理局"
    if not code.endswith("00"):  # a county: with its city
        own = divisions.division_name(code[:4] + "00") + own
    return f"{own}市场监督管理局"


def office_identity(code: str) -> SignerIdentity:
    office = RegulatorOffice.objects.filter(division_code=code).first()
    if office is not None:
        return SignerIdentity(
            kind=OFFICE, code=code, name_zh=office.name, name_en=office.name_en or office.name
        )
    name = office_name_zh(code)
    return SignerIdentity(kind=OFFICE, code=code, name_zh=name, name_en=name)


def organisation_identity(organisation: MediationOrganisation) -> SignerIdentity:
    return SignerIdentity(
        kind=ORGANISATION,
        code=str(organisation.pk),
        name_zh=organisation.name,
        name_en=organisation.name_en or organisation.name,
    )


def mediator_identity(case: Case, event: CaseEvent) -> SignerIdentity | None:
    """The mediator who reached the agreement (the event's actor, when a mediator), else
    the case's mediator; signing for the case's mediation organisation."""
    person = event.actor if event.actor_role == "mediator" and event.actor_id else case.mediator
    if person is None:
        return None
    organisation = case.mediation_organisation
    if organisation is None:
        role = (
            Role.objects.filter(user=person, kind=Role.Kind.MEDIATOR)
            .select_related("mediation_organisation")
            .first()
        )
        organisation = role.mediation_organisation if role else None
    return person_identity(person, organisation)


def person_identity(person, organisation: MediationOrganisation | None) -> SignerIdentity:
    """A mediator signing for ``organisation``; their key is configured by username."""
    name = formatting.person(person)
    return SignerIdentity(
        kind=PERSON,
        code=person.username,
        name_zh=name,
        name_en=name,
        organisation_zh=organisation.name if organisation else "",
        organisation_en=(organisation.name_en or organisation.name) if organisation else "",
    )
