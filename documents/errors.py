"""Errors of document production that the tasks tell apart."""


class TransientSigningError(Exception):
    """Signing failed for a reason that may pass (the time-stamp authority is unreachable)."""


class DocumentIntegrityError(Exception):
    """A stored draft no longer matches the hash the parties confirmed."""
