"""The `adelie` command line. Each area's commands live in their own module; this file only wires them
and turns adelie's errors into one clear line instead of a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from adelie.errors import AdelieError

app = typer.Typer(
    name="adelie",
    help="Align language models on information extraction, then extract grounded structures with them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


def _register() -> None:
    # One line per area; each module defines a `typer.Typer()` named `app` or a command function.
    from adelie.cli import build, data, evaluate, extract, feedback, predict, serve, train

    app.add_typer(data.app, name="data")
    app.command("predict")(predict.predict)
    app.add_typer(build.app, name="build")
    app.add_typer(train.app, name="train")
    app.command("eval")(evaluate.eval_command)
    app.command("report")(evaluate.report_command)
    from adelie.cli.pipeline import pipeline_command
    app.command("pipeline")(pipeline_command)
    feedback.register(app)  # `adelie build feedback` once the build group is registered above this line
    app.command("extract")(extract.extract)
    app.command("serve")(serve.serve)


_register()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except AdelieError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
