"""The extraction service: a FastAPI app around an Extractor, with micro-batching and a playground page.

`create_app(extractor, settings)` and `ServeSettings` live in `adelie.serve.app`; they are imported lazily here so
that `adelie.serve.options` stays cheap to import (the CLI uses it without FastAPI).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServeSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from adelie.serve import app

        return getattr(app, name)
    raise AttributeError(f"module 'adelie.serve' has no attribute {name!r}")
