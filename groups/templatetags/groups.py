"""The group complaint's panel on a member case's page, and the groups offered on the
complaint wizard's review step: the case and wizard templates load these tags, so the
cases app never imports groups."""

from django import template

from cases.models import CaseRole, case_roles

register = template.Library()


@register.inclusion_tag("groups/_case_panel.html", takes_context=True)
def case_group(context, case):
    from groups.models import GroupAgreement
    from groups.selectors import (
        active_membership_of_case,
        current_agreement,
        group_evidence,
        group_roles,
        share_of,
    )

    request = context.get("request")
    user = getattr(request, "user", None)
    membership = active_membership_of_case(case=case)
    if membership is None or user is None:
        return {"membership": None}
    group = membership.group
    if not group_roles(group, user):
        # Someone on the case (an arbitration body) who is no part of the group: only
        # that the case is in a group.
        return {"membership": membership, "group": group, "outside": True}
    agreement = current_agreement(group=group)
    own = CaseRole.CONSUMER in case_roles(case, user)
    share = share_of(agreement=agreement, membership=membership) if agreement else None
    return {
        "membership": membership,
        "group": group,
        "own": own,
        "agreement": agreement,
        "proposed": agreement is not None and agreement.status == GroupAgreement.Status.PROPOSED,
        "share": share,
        "evidence": group_evidence(group=group),
        "representatives": list(
            group.memberships.filter(left_at__isnull=True, is_representative=True).values_list(
                "number", flat=True
            )
        ),
    }


@register.inclusion_tag("groups/_wizard_offers.html")
def group_offers(draft, chosen=""):
    from groups.selectors import open_groups_for

    data = getattr(draft, "data", None) or {}
    merchant = data.get("merchant") if isinstance(data.get("merchant"), int) else None
    category = data.get("category") if isinstance(data.get("category"), str) else ""
    return {"offers": open_groups_for(merchant_id=merchant, category=category), "chosen": chosen}


@register.inclusion_tag("groups/_dashboard.html", takes_context=True)
def dashboard_groups(context):
    """The supervision dashboard's open group complaints of the reader's office."""
    from groups.models import CaseGroup
    from groups.selectors import groups_visible_to

    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return {"groups": []}
    groups = groups_visible_to(user=user).filter(status=CaseGroup.Status.OPEN)[:20]
    return {"groups": list(groups)}


@register.inclusion_tag("groups/_alert_suggestion.html")
def group_suggestion(alert):
    """A surge of complaints against one merchant (the merchant_spike rule): suggest
    grouping them, with the merchant's open groups if any."""
    from groups.selectors import open_groups_for

    subject = getattr(alert, "subject", "") or ""
    if getattr(alert, "kind", "") != "merchant_spike" or not subject.startswith("merchant:"):
        return {"merchant_id": None}
    tail = subject.removeprefix("merchant:")
    merchant_id = int(tail) if tail.isdigit() and len(tail) < 10 else None
    return {"merchant_id": merchant_id, "open": open_groups_for(merchant_id=merchant_id)}
