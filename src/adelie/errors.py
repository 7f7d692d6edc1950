"""Errors that adelie reports to users: each names where the problem is and what was expected."""

from __future__ import annotations

from pathlib import Path


class AdelieError(Exception):
    """Base class for every error adelie shows to a user (the CLI prints these without a traceback)."""


class DataFormatError(AdelieError):
    """A record in a data file is malformed: names the file, the line or record id, and what was expected."""

    def __init__(self, path: str | Path, where: str | int | None, message: str) -> None:
        self.path = str(path)
        self.where = where
        self.message = message
        loc = self.path
        if isinstance(where, int):
            loc += f", line {where}"
        elif where:
            loc += f", record {where}"
        super().__init__(f"{loc}: {message}")


class MissingDataError(AdelieError):
    """A dataset file or directory is not where the registry expects it."""


class UnknownDatasetError(AdelieError):
    """A dataset name (or split) that the registry does not know."""


class HeldOutError(AdelieError):
    """A held-out (or never-use) split was requested for training."""
