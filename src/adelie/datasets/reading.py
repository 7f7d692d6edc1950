"""What every reader shares: the bad-record policy and small file helpers that report file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from adelie.errors import DataFormatError, MissingDataError
from adelie.schema import Example


@dataclass
class ReadContext:
    """How a reader treats bad records: raise at the first (default), or skip and count them."""

    skip_invalid: bool = False
    skipped: list[DataFormatError] = field(default_factory=list)

    def fail(self, path: str | Path, where: str | int | None, message: str) -> None:
        """Report a bad record: raises `DataFormatError`, or records it when skipping."""
        err = DataFormatError(path, where, message)
        if not self.skip_invalid:
            raise err
        self.skipped.append(err)

    def example(self, path: str | Path, where: str | int | None, **fields: Any) -> Example | None:
        """Build an `Example`; a record whose offsets or fields are wrong is reported through `fail`."""
        try:
            return Example(**fields)
        except (ValidationError, ValueError) as exc:
            self.fail(path, where, f"invalid record: {_short(exc)}")
            return None


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()[:3]
        )
    return str(exc)


def require_file(path: Path) -> Path:
    """Return `path` if it is a file, else raise `MissingDataError` naming it."""
    if not path.is_file():
        raise MissingDataError(f"missing data file: {path}")
    return path


def read_json(path: Path, ctx: ReadContext | None = None) -> Any:
    """Parse a whole JSON file; a syntax error names the file, line and column."""
    require_file(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFormatError(path, exc.lineno, f"invalid JSON ({exc.msg}, column {exc.colno})") from None


def iter_jsonl(path: Path, ctx: ReadContext) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed object) for each non-blank line; bad JSON lines go through `ctx.fail`."""
    require_file(path)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                ctx.fail(path, lineno, f"expected one JSON object per line ({exc.msg}, column {exc.colno})")
