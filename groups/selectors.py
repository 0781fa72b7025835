"""Reads for group complaints. ``access_group`` is the only way an edge gets a group.

Who stands how to a group is read from the cases, with the cases' own rules
(``cases.models.case_roles``): a consumer is a member through their own case, a merchant's
staff and the office's regulators as they would be on a case of the group's merchant in
the group's office, the mediator as the group's mediator. So a change to how a regulator's
access is computed (transfers between offices) applies to groups as it does to cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from cases.models import Case, CaseRole, State, case_roles
from cases.selectors import cases_visible_to
from groups.models import (
    AgreementShare,
    CaseGroup,
    GroupAgreement,
    GroupEvidence,
    GroupMembership,
    GroupMessage,
    GroupNomination,
)
from odr.errors import NotAllowed, NotFound

# The states a case may be grouped in: before the office's decision or in the group's own
# mediation. A case further on (agreed, failed, referred) has its own outcome already.
GROUPABLE_STATES = (State.SUBMITTED, State.NEGOTIATION, State.REVIEW, State.MEDIATION)


class GroupAction:
    VIEW = "view"
    MANAGE = "manage"  # members, representatives, acceptance, closing: the office
    ANSWER = "answer"  # the merchant's one answer
    MEDIATE = "mediate"  # the group's terms: its mediator
    SPEAK = "speak"  # the group room (a consumer only as a representative)
    UPLOAD = "upload"  # shared evidence (a consumer only as a representative)
    MEMBER = "member"  # nominate, accept the terms, object and leave


ACTION_ROLES = {
    GroupAction.VIEW: {
        CaseRole.CONSUMER,
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.MEDIATOR,
        CaseRole.ADMIN,
    },
    GroupAction.MANAGE: {CaseRole.REGULATOR, CaseRole.ADMIN},
    GroupAction.ANSWER: {CaseRole.MERCHANT},
    GroupAction.MEDIATE: {CaseRole.MEDIATOR},
    GroupAction.SPEAK: {
        CaseRole.CONSUMER,
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.MEDIATOR,
    },
    GroupAction.UPLOAD: {
        CaseRole.CONSUMER,
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.MEDIATOR,
    },
    GroupAction.MEMBER: {CaseRole.CONSUMER},
}


def office_case(group: CaseGroup) -> Case:
    """A case of the group's merchant in the group's office, never saved: the roles a user
    would hold on it are their office and merchant roles on the group."""
    case = Case(merchant_id=group.merchant_id, division_code=group.division_code)
    # The office that handles a case, where cases record it apart from the place.
    case.office_code = group.division_code
    return case


def membership_of(group: CaseGroup, user) -> GroupMembership | None:
    """The user's own active membership (through their case), if any."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        GroupMembership.objects.filter(group=group, case__consumer=user, left_at__isnull=True)
        .select_related("case")
        .first()
    )


def group_roles(group: CaseGroup, user) -> set[str]:
    """Every role the user holds in the group. One condition per line: each has a test."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    roles = case_roles(office_case(group), user) & {
        CaseRole.MERCHANT,
        CaseRole.REGULATOR,
        CaseRole.ADMIN,
    }
    if membership_of(group, user) is not None:
        roles.add(CaseRole.CONSUMER)
    if group.mediator_id == user.pk and user.has_role(Role.Kind.MEDIATOR):
        roles.add(CaseRole.MEDIATOR)
    return roles


def access_group(*, user, ref: str, action: str = GroupAction.VIEW) -> tuple[CaseGroup, set]:
    """The group with this reference and the user's roles in it, if they may ``action``."""
    group = CaseGroup.objects.select_related("merchant", "mediator").filter(reference=ref).first()
    if group is None:
        raise NotFound(_("There is no group complaint %(ref)s.") % {"ref": ref})
    roles = group_roles(group, user)
    if not roles:
        raise NotAllowed(
            _("You are not part of group complaint %(ref)s.") % {"ref": ref},
            code="not_your_group",
        )
    if not roles & ACTION_ROLES[action]:
        raise NotAllowed(_("Your role in this group does not allow this."), code="not_your_action")
    return group, roles


def groups_visible_to(*, user) -> QuerySet[CaseGroup]:
    """The groups of the cases the user may see (the list page and GET /api/v1/groups/):
    a consumer's through their own active memberships, staff's through their cases."""
    if not user.is_authenticated:
        return CaseGroup.objects.none()
    cases = cases_visible_to(user=user)
    condition = Q(memberships__case__in=cases.values("pk"), memberships__left_at__isnull=True)
    condition |= Q(mediator=user)
    visible = CaseGroup.objects.filter(condition).distinct()
    # A consumer sees only the groups they are a member of, not their merchant's others.
    return (
        CaseGroup.objects.filter(pk__in=visible.values("pk"))
        .select_related("merchant")
        .annotate(member_count=Count("memberships", filter=Q(memberships__left_at__isnull=True)))
        .order_by("-created_at")
    )


def group_members(*, group: CaseGroup) -> list[GroupMembership]:
    return list(
        group.memberships.filter(left_at__isnull=True)
        .select_related("case", "case__consumer")
        .order_by("number")
    )


def group_former_members(*, group: CaseGroup) -> list[GroupMembership]:
    return list(group.memberships.filter(left_at__isnull=False).select_related("case"))


def group_messages(*, group: CaseGroup, after_seq: int = 0) -> QuerySet[GroupMessage]:
    return group.messages.filter(seq__gt=after_seq).order_by("seq")


def group_evidence(*, group: CaseGroup) -> list[GroupEvidence]:
    return list(group.evidence.all())


def nomination_counts(*, group: CaseGroup) -> dict[int, int]:
    """Active members by id: how many members nominated them."""
    rows = (
        GroupNomination.objects.filter(
            group=group, nominee__left_at__isnull=True, nominator__left_at__isnull=True
        )
        .values("nominee_id")
        .annotate(n=Count("id"))
    )
    return {r["nominee_id"]: r["n"] for r in rows}


def current_agreement(*, group: CaseGroup) -> GroupAgreement | None:
    return (
        group.agreements.exclude(status=GroupAgreement.Status.WITHDRAWN)
        .order_by("-proposed_at", "-id")
        .first()
    )


def share_of(*, agreement: GroupAgreement, membership: GroupMembership) -> AgreementShare | None:
    return AgreementShare.objects.filter(agreement=agreement, membership=membership).first()


def active_membership_of_case(*, case: Case) -> GroupMembership | None:
    return (
        GroupMembership.objects.filter(case=case, left_at__isnull=True)
        .select_related("group", "group__merchant")
        .first()
    )


def groupable_cases(*, user, merchant_id: int) -> QuerySet[Case]:
    """The cases of a merchant that the regulator may put into a group: in their office,
    in a groupable state, in no group now."""
    in_group = GroupMembership.objects.filter(left_at__isnull=True).values("case_id")
    return (
        cases_visible_to(user=user)
        .filter(merchant_id=merchant_id, state__in=GROUPABLE_STATES)
        .exclude(pk__in=in_group)
        .order_by("submitted_at")
    )


@dataclass(frozen=True)
class Offered:
    group: CaseGroup
    members: int


def open_groups_for(*, merchant_id: int | None, category: str = "") -> list[Offered]:
    """The open groups a complaint against this merchant may join: same merchant, and the
    same category where the complaint has one (the matter of a group is its merchant and
    its category; the consumer reads the group's title and decides)."""
    if not merchant_id:
        return []
    groups = CaseGroup.objects.filter(merchant_id=merchant_id, status=CaseGroup.Status.OPEN)
    if category:
        groups = groups.filter(category=category)
    groups = groups.annotate(
        members=Count("memberships", filter=Q(memberships__left_at__isnull=True))
    ).order_by("-created_at")
    return [Offered(g, g.members) for g in groups[:3]]


def groups_for_dashboard(*, cases: QuerySet[Case]) -> list[dict]:
    """Open groups of the cases in a dashboard's scope: reference, merchant, members."""
    groups = (
        CaseGroup.objects.filter(
            status=CaseGroup.Status.OPEN,
            memberships__case__in=cases.values("pk"),
            memberships__left_at__isnull=True,
        )
        .distinct()
        .select_related("merchant")
    )
    rows = []
    for g in groups.order_by("-created_at")[:50]:
        rows.append(
            {
                "group": g,
                "members": g.memberships.filter(left_at__isnull=True).count(),
                "representatives": g.memberships.filter(
                    left_at__isnull=True, is_representative=True
                ).count(),
            }
        )
    return rows


def former_case_of(*, group: CaseGroup, user) -> Case | None:
    """The case of a consumer who has just left the group (to take them back to it)."""
    row = (
        GroupMembership.objects.filter(group=group, case__consumer=user, left_at__isnull=False)
        .select_related("case")
        .order_by("-left_at")
        .first()
    )
    return row.case if row else None
