"""Tuning the alert rules: a regulator edits the rules of their jurisdiction, or makes one
for it from the national default (which then stops applying inside that area)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from odr.errors import NotAllowed
from supervision.models import AlertRule
from supervision.selectors.scope import Scope
from supervision.services.alerts import check_rule_editable

TUNABLE = ("enabled", "severity", "weeks", "sigmas", "min_count", "days")


def rule_update(*, rule: AlertRule, scope: Scope, actor, values: dict) -> AlertRule:
    check_rule_editable(rule=rule, scope=scope)
    with transaction.atomic():
        locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
        for name in TUNABLE:
            if name in values:
                setattr(locked, name, values[name])
        locked.updated_by = actor
        locked.full_clean()
        locked.save()
    return locked


def rule_override(*, kind: str, jurisdiction: str, scope: Scope, actor) -> AlertRule:
    """The rule of this kind for the jurisdiction, made from the national default if none."""
    if not scope.everything and jurisdiction not in scope.jurisdictions:
        raise NotAllowed(
            _("You may only tune the rules of your own jurisdiction."), code="not_your_rule"
        )
    base = AlertRule.objects.filter(kind=kind, jurisdiction="").first()
    defaults = {name: getattr(base, name) for name in TUNABLE} if base else {}
    rule, _created = AlertRule.objects.get_or_create(
        kind=kind, jurisdiction=jurisdiction, defaults={**defaults, "updated_by": actor}
    )
    return rule


# The national defaults (issue 9), as the migration 0002_default_rules seeds them:
# kind, severity, weeks, sigmas, min_count, days.
DEFAULTS = (
    ("merchant_spike", "high", 8, 3, 5, 90),
    ("category_spike", "medium", 8, 3, 5, 90),
    ("platform_spike", "medium", 8, 3, 5, 90),
    ("repeated_breaches", "high", 8, 3, 2, 90),
    ("same_product", "medium", 8, 3, 10, 30),
    ("report_surge", "high", 8, 3, 3, 90),
)


def rules_seed_defaults() -> int:
    """Create any missing national default rule (the migration's rows, if a database was
    flushed); existing rules are left as tuned. The number created."""
    created = 0
    for kind, severity, weeks, sigmas, min_count, days in DEFAULTS:
        _rule, made = AlertRule.objects.get_or_create(
            kind=kind,
            jurisdiction="",
            defaults={
                "severity": severity,
                "weeks": weeks,
                "sigmas": sigmas,
                "min_count": min_count,
                "days": days,
            },
        )
        created += made
    return created
