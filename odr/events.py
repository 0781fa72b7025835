"""The registry of case-event handlers: the one place to see who reacts to what.

``cases`` appends an event and calls :func:`dispatch`; apps that react (credit,
notifications, documents, mediation broadcasts) register handlers in their
``AppConfig.ready()``. A handler is either run inside the transaction that wrote the
event (it must be a database write that belongs with it, such as a credit record) or after
that transaction commits (messages, PDFs, broadcasts). Nothing here reacts to ``save()``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

Phase = Literal["in_transaction", "after_commit"]


@dataclass(frozen=True)
class Handler:
    kinds: frozenset[str]  # event kinds, or {"*"} for every kind
    func: Callable[[Any], None]
    phase: Phase
    name: str


_handlers: list[Handler] = []


def register(*kinds: str, phase: Phase, name: str | None = None):
    """Decorator: ``@register("transition.accept", phase="after_commit")``."""

    def decorate(func: Callable[[Any], None]) -> Callable[[Any], None]:
        handler_name = name or f"{func.__module__}.{func.__qualname__}"
        if not any(h.name == handler_name for h in _handlers):
            _handlers.append(Handler(frozenset(kinds or ("*",)), func, phase, handler_name))
        return func

    return decorate


def handlers() -> list[Handler]:
    return list(_handlers)


def dispatch(event: Any) -> None:
    """Run in-transaction handlers now; schedule after-commit handlers with their event id."""
    for handler in _handlers:
        if "*" not in handler.kinds and event.kind not in handler.kinds:
            continue
        if handler.phase == "in_transaction":
            handler.func(event)
        else:
            transaction.on_commit(lambda h=handler, e=event: h.func(e))
