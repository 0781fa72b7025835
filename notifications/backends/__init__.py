"""Message providers, and what they tell the sender: a receipt or an error that says
whether trying again can help."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Receipt:
    """A provider took the message: its id for it, and its status at that moment."""

    provider_id: str
    status: str = "sent"
    provider: str = ""  # "twilio" when the id is a Twilio SID


class ProviderError(Exception):
    """A send or look-up that did not succeed.

    ``retryable``: a network error, a timeout or a server error (5xx, or 429 Too Many
    Requests): the same request may succeed later. Otherwise the request itself is wrong
    (a bad number, a refused sender) and trying again cannot help.
    """

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
