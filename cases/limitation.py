"""The three-year limitation of a complaint, as the regulator weighs it.

Whether more than three years have passed since the consumer knew or should have known of
the harm is the office's decision (Order 121 art. 16(4); Order 20 art. 15(4)), not the
intake's: the limit may have been interrupted, for example by a claim made to the merchant,
after which it runs anew (Civil Code art. 195). So a complaint is always filed, and the case
page shows the office the dates the consumer gave and the limit they give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from cases.rulesets import RuleSet


@dataclass(frozen=True)
class Limitation:
    knew_of_harm_on: dt.date
    claimed_on: dt.date | None  # the consumer's last claim to the merchant, if given
    runs_from: dt.date
    ends_on: dt.date
    passed: bool
    years: int

    def as_dict(self) -> dict:
        return {
            "knew_of_harm_on": self.knew_of_harm_on.isoformat(),
            "claimed_on": self.claimed_on.isoformat() if self.claimed_on else None,
            "runs_from": self.runs_from.isoformat(),
            "ends_on": self.ends_on.isoformat(),
            "passed": self.passed,
        }


def limitation_of(
    *, ruleset: RuleSet, knew_of_harm_on: dt.date, claimed_on: dt.date | None, on: dt.date
) -> Limitation:
    """The limit the consumer's dates give on day `on` (the day of filing, for a complaint).

    A claim to the merchant after the harm was known counts only if it was made before
    the limit had run out; an earlier or later one changes nothing.
    """
    years = ruleset.clock("limitation").amount
    runs_from = knew_of_harm_on
    first_end = knew_of_harm_on + relativedelta(years=years)
    if claimed_on and knew_of_harm_on < claimed_on <= min(first_end, on):
        runs_from = claimed_on
    ends_on = runs_from + relativedelta(years=years)
    return Limitation(
        knew_of_harm_on=knew_of_harm_on,
        claimed_on=claimed_on,
        runs_from=runs_from,
        ends_on=ends_on,
        passed=ends_on < on,
        years=years,
    )
