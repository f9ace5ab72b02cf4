"""The exception tree and the exit codes the CLI maps them to.

Everything unspun raises on purpose derives from :class:`UnspunError`, so a caller can catch
the whole family in one place, or a single branch of it.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FATAL",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "ConfigError",
    "InputReadError",
    "NotFoundError",
    "StoreError",
    "UnspunError",
]

EXIT_OK = 0
"""Everything asked for was done."""
EXIT_FATAL = 1
"""Nothing useful could be done: the store could not be opened, an internal error."""
EXIT_USAGE = 2
"""The command line was wrong (unknown option, missing path, unknown story)."""
EXIT_PARTIAL = 3
"""The run completed, but some inputs could not be read; each has an error record."""


class UnspunError(Exception):
    """Base of every error unspun raises on purpose."""

    exit_code = EXIT_FATAL


class ConfigError(UnspunError):
    """A setting or argument that cannot work."""

    exit_code = EXIT_USAGE


class NotFoundError(UnspunError):
    """A story, article or path that is not there."""

    exit_code = EXIT_USAGE


class InputReadError(UnspunError):
    """One input could not be read; the pipeline turns it into an ``InputError`` record."""

    def __init__(self, source: str, reason: str, detail: str) -> None:
        super().__init__(f"{source}: {reason}: {detail}")
        self.source = source
        self.reason = reason
        self.detail = detail


class StoreError(UnspunError):
    """The store could not be opened, migrated or written."""
