"""What other apps add to the complaint wizard's review step ("also report this").

``cases`` owns the wizard but knows none of the apps built on it; an app that offers
something to do with the complaint in the same submission (the reports app: file the same
facts as a report of a suspected violation) registers a ``ReviewExtra`` in its
``AppConfig.ready()``. The review step shows each extra's template inside its form, checks
each extra's answer before the complaint is filed (a refusal files nothing), and hands the
filed case to each extra that was chosen.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReviewExtra:
    name: str
    template: str  # included inside the review form, with ``extra`` (what context() gives)
    context: Callable[[Any, Any], dict]  # (posted data or None, user) -> template values
    check: Callable[[Any, Any], Any]  # (posted data, user) -> values, or None if not chosen
    submitted: Callable[..., str]  # (case=, user=, values=) -> a line for the user


_extras: list[ReviewExtra] = []


def register(extra: ReviewExtra) -> None:
    if not any(e.name == extra.name for e in _extras):
        _extras.append(extra)


def review_extras() -> list[ReviewExtra]:
    return list(_extras)
