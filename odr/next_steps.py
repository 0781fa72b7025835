"""Steps that other apps ask of a case's reader, for the case page's "what happens next".

``cases`` works out the next step from the case itself (cases/next_step.py) but knows none of
the apps that react to it; an app whose own records can ask something of the reader (the
documents app: an agreement waiting for this party's confirmation) registers a function in
its ``AppConfig.ready()``. The first registered function that returns a step wins over the
step of the case's state.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AskedStep:
    text: str  # what the reader is to do, in plain words
    label: str  # the primary action's words
    href: str  # where it is done
    clock: str = ""  # the running clock that sets its time, if any


_askers: list[tuple[str, Callable[[Any, Any], AskedStep | None]]] = []


def register(name: str, func: Callable[[Any, Any], AskedStep | None]) -> None:
    """``func(case, user)`` returns the step it asks of this reader, or None."""
    if not any(n == name for n, _f in _askers):
        _askers.append((name, func))


def asked_of(case: Any, user: Any) -> AskedStep | None:
    for _name, func in _askers:
        step = func(case, user)
        if step is not None:
            return step
    return None
