"""Reading JSON Lines files strictly: every error names the file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.errors import DataFormatError, MissingDataError


def jsonl_records(path: str | Path, missing: str | None = None) -> Iterator[tuple[int, Any]]:
    """Yield (line number, parsed value) for each non-blank line of a JSONL file.

    A missing file raises MissingDataError (`missing` is its message); a line that is not JSON, or bytes that are
    not UTF-8, raise DataFormatError naming the file and the line. Callers check the shape of each value.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(missing or f"{path} does not exist")
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataFormatError(path, number, f"is not UTF-8 text ({exc.reason})") from None
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(path, number, f"is not JSON ({exc.msg}, column {exc.colno})") from None
            yield number, value
