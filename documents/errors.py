"""Errors of document production that the tasks tell apart."""


class TransientSigningError(Exception):
    """Signing failed for a reason that may pass (the time-stamp authority is unreachable)."""


class DocumentIntegrityError(Exception):
    """A stored draft no longer matches the hash the parties confirmed."""


class SealKeyMissing(TransientSigningError):
    """The key of the office, organisation or person who must sign is not configured yet.

    Transient: the document waits in preparation (or, confirmed, for its signature) and
    the task's retries and the sweep issue it once the key is there; the transition that
    asked for it is never failed, and the document never signed with another key."""
