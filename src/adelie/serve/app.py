"""The extraction service: `create_app(extractor, settings)` builds a FastAPI app.

Endpoints: `POST /v1/extract` (validated, micro-batched, with a per-request timeout), `GET /v1/tasks` (what each
task takes, and the limits), `GET /health`, the OpenAPI docs at `/docs`, and the playground page at `/`.
The app only calls `extractor.extract`; it never loads or trains a model itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, fields
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from adelie import __version__
from adelie.errors import AdelieError
from adelie.serve.batcher import MicroBatcher, Overloaded, SupportsExtract
from adelie.serve.options import FORMS, LIST_OPTIONS, TEXT_OPTIONS
from adelie.serve.schemas import ExtractRequest, ExtractResponse, Health


class SettingsError(AdelieError):
    """A service setting is out of range."""


@dataclass(frozen=True)
class ServeSettings:
    """Limits and batching of the service. Requests beyond a limit get a 422 naming the limit."""

    model_name: str = "default"  # reported in every response
    max_text_chars: int = 10_000  # per text (and per table instruction)
    max_texts: int = 32  # texts per request
    max_labels: int = 50  # entries per label list (labels, roles, event_types...)
    max_label_chars: int = 100  # per label, trigger and event type
    timeout_s: float = 60.0  # per request, queueing included: past it the answer is a 504
    max_batch: int = 16  # texts collected into one model call (one request may exceed it alone)
    batch_wait_ms: float = 5.0  # how long the worker waits for more requests to join a batch
    max_pending: int = 256  # requests waiting for the model before new ones get a 503
    max_body_bytes: int = 8_000_000  # larger request bodies (by Content-Length) get a 413 before being read

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "model_name" and (value < 0 or (value == 0 and f.name != "batch_wait_ms")):
                raise SettingsError(f"serve setting {f.name} must be positive, got {value}")


def _error(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"type": "limit_exceeded", "loc": loc, "msg": msg}


def limit_errors(request: ExtractRequest, settings: ServeSettings) -> list[dict[str, Any]]:
    """Every way `request` exceeds `settings`' limits, in FastAPI's 422 `detail` shape (empty when within)."""
    errors = []
    texts = request.all_texts()
    if len(texts) > settings.max_texts:
        errors.append(_error(["body", "texts"], f"at most {settings.max_texts} texts per request, got {len(texts)}"))
    for i, text in enumerate(texts):
        if len(text) > settings.max_text_chars:
            loc: list[str | int] = ["body", "text"] if request.text is not None else ["body", "texts", i]
            errors.append(_error(loc, f"text has {len(text)} characters; the limit is {settings.max_text_chars}"))
    for name in LIST_OPTIONS:
        value = getattr(request, name) or []
        lists = value.items() if isinstance(value, dict) else [(None, value)]  # roles may be given per event type
        for key, labels in lists:
            where: list[str | int] = ["body", name] if key is None else ["body", name, key]
            if len(labels) > settings.max_labels:
                errors.append(_error(where, f"at most {settings.max_labels} {name}, got {len(labels)}"))
            too_long = [(j, label) for j, label in enumerate(labels) if len(label) > settings.max_label_chars]
            if key is not None and len(key) > settings.max_label_chars:
                too_long.append((-1, key))
            for j, label in too_long:
                msg = f"{name} entries have at most {settings.max_label_chars} characters, got {len(label)}"
                errors.append(_error(where if j < 0 else [*where, j], msg))
    for name in TEXT_OPTIONS:
        value = getattr(request, name)
        limit = settings.max_text_chars if name == "instruction" else settings.max_label_chars
        if value is not None and len(value) > limit:
            errors.append(_error(["body", name], f"{name} has {len(value)} characters; the limit is {limit}"))
    return errors


_JSON_SCALARS = (str, int, float, bool, type(None))


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's 422 `detail` without the echoed `input` (it may be a whole 100k-character body) and with only
    the JSON-safe scalar entries of `ctx` (dropped when none is left): `type`, `loc` and `msg` are kept as they are.
    """
    detail = []
    for error in errors:
        kept = {key: error[key] for key in ("type", "loc", "msg") if key in error}
        ctx = {k: v for k, v in (error.get("ctx") or {}).items() if isinstance(v, _JSON_SCALARS)}
        if ctx:
            kept["ctx"] = ctx
        detail.append(kept)
    return detail


def _playground() -> str:
    return (resources.files("adelie.serve") / "static" / "playground.html").read_text(encoding="utf-8")


def create_app(extractor: SupportsExtract, settings: ServeSettings | None = None) -> FastAPI:
    """Build the service around `extractor` (anything with `extract(task, texts, **options)`)."""
    settings = settings or ServeSettings()
    batcher = MicroBatcher(extractor, settings.max_batch, settings.batch_wait_ms / 1000, settings.max_pending)
    page = _playground()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        batcher.close()

    app = FastAPI(
        title="adelie",
        version=__version__,
        description="Grounded information extraction: every extracted string comes with its offsets in the text.",
        lifespan=lifespan,
    )
    app.state.batcher = batcher
    app.state.settings = settings

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > settings.max_body_bytes:
            msg = f"the request body has {length} bytes; the limit is {settings.max_body_bytes}"
            return JSONResponse({"detail": msg}, status_code=413)
        return await call_next(request)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def playground() -> str:
        return page

    @app.get("/health")
    async def health() -> Health:
        """The service is up."""
        return Health(status="ok", model=settings.model_name, pending=batcher.pending)

    @app.get("/v1/tasks")
    async def tasks() -> dict[str, Any]:
        """The tasks, the options each one needs and takes, and the request limits."""
        return {
            "tasks": {n: {"required": f.required, "optional": f.optional, "help": f.help} for n, f in FORMS.items()},
            "limits": {k: v for k, v in asdict(settings).items() if k != "model_name"},
        }

    @app.post("/v1/extract", responses={503: {"description": "Busy"}, 504: {"description": "Timed out"}})
    async def extract(request: ExtractRequest) -> ExtractResponse:
        """Extract from `text` (or each of `texts`); results are grounded with character offsets."""
        started = time.perf_counter()
        errors = limit_errors(request, settings)
        if errors:
            raise HTTPException(422, detail=errors)
        try:
            future = batcher.submit(request.task, request.all_texts(), request.options())
        except Overloaded as exc:
            raise HTTPException(503, detail=f"the server is busy ({exc}); retry later") from None
        try:
            results = await asyncio.wait_for(asyncio.wrap_future(future), settings.timeout_s)
        except TimeoutError:
            msg = (
                f"extraction did not finish within the server's {settings.timeout_s:g} s limit; "
                "send fewer or shorter texts"
            )
            raise HTTPException(504, detail=msg) from None
        except AdelieError as exc:
            raise HTTPException(422, detail=[{"type": "extraction_error", "loc": ["body"], "msg": str(exc)}]) from None
        except Exception as exc:
            raise HTTPException(500, detail=f"extraction failed: {type(exc).__name__}: {exc}") from None
        took_ms = round((time.perf_counter() - started) * 1000, 1)
        return ExtractResponse(results=results, model=settings.model_name, took_ms=took_ms)

    return app
