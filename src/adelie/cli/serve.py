"""`adelie serve`: the extraction service (REST API, OpenAPI docs and playground) over uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from adelie.cli import extract as extract_cli
from adelie.constrained import DECODINGS

console = Console(stderr=True)


def serve(
    model: Annotated[str, typer.Option(help="'default', a model directory, or a hub name.")] = "default",
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the service to the network.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    max_new_tokens: Annotated[int, typer.Option(min=1, help="Most tokens generated per answer.")] = 512,
    batch_size: Annotated[int, typer.Option(min=1, help="Texts per model batch (also the micro-batch cap).")] = 16,
    batch_wait_ms: Annotated[float, typer.Option(min=0, help="How long requests wait for others to batch with.")] = (
        5.0
    ),
    timeout: Annotated[float, typer.Option(min=0.001, help="Seconds per request before a 504.")] = 60.0,
    max_text_chars: Annotated[int, typer.Option(min=1, help="Longest text accepted.")] = 10_000,
    max_texts: Annotated[int, typer.Option(min=1, help="Most texts per request.")] = 32,
    max_labels: Annotated[int, typer.Option(min=1, help="Most labels (or roles, types) per list.")] = 50,
    device: Annotated[str | None, typer.Option(help="cpu, cuda, ... (default: the best available).")] = None,
    decoding: Annotated[str, typer.Option(help=extract_cli.DECODING_HELP)] = "constrained",
) -> None:
    """Serve POST /v1/extract, GET /health, the API docs at /docs and a playground page at /."""
    import uvicorn

    from adelie.serve.app import ServeSettings, create_app

    settings = ServeSettings(
        model_name=model,
        max_text_chars=max_text_chars,
        max_texts=max_texts,
        max_labels=max_labels,
        timeout_s=timeout,
        max_batch=batch_size,
        batch_wait_ms=batch_wait_ms,
    )
    console.print(f"loading {model} …", soft_wrap=True)
    if decoding not in DECODINGS:
        raise typer.BadParameter(f"--decoding must be constrained or free, got {decoding!r}")
    extractor = extract_cli.load_extractor(model, max_new_tokens, batch_size, device, decoding)
    app = create_app(extractor, settings)
    console.print(f"serving on http://{host}:{port} (playground at /, API docs at /docs)", soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
