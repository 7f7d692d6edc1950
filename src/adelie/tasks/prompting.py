"""Instruction templates and the output-format instruction that follows them.

Template files are `tasks/templates/<task>.yaml` with two keys, `train:` and `eval:`, each a list of strings
with `{slot}` placeholders (`{{`/`}}` for literal braces). Template ids are `<task>/<split>/<NN>` (position in
the list, from 00). A template may use only its task's slots and must use `{text}`.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from adelie.schema import Task
from adelie.tasks.base import Format, Template, TemplateError, TemplateSplit
from adelie.tasks.formats import pick

TEMPLATE_DIR = Path(__file__).parent / "templates"
SPLITS: tuple[TemplateSplit, ...] = ("train", "eval")


def template_slots(text: str, where: str) -> list[str]:
    """The slot names used by a template text; TemplateError on unbalanced braces or `{}`/`{0}` slots."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise TemplateError(f"{where}: {exc} (write literal braces as {{{{ and }}}})") from None
    for name in names:
        if not name.isidentifier():
            raise TemplateError(f"{where}: slot {{{name}}} is not a slot name such as {{text}}")
    return names


def check_template(text: str, slots: Sequence[str], where: str) -> None:
    """TemplateError unless `text` uses only `slots` and uses `{text}`."""
    used = template_slots(text, where)
    unknown = sorted(set(used) - set(slots))
    if unknown:
        raise TemplateError(
            f"{where}: unknown slot {', '.join('{' + u + '}' for u in unknown)}; "
            f"this task fills {', '.join('{' + s + '}' for s in slots)}"
        )
    if "text" not in used:
        raise TemplateError(f"{where}: the template never shows the text; expected a {{text}} slot")


def load_templates(
    task: Task, split: TemplateSplit, slots: Sequence[str], path: str | Path | None = None
) -> tuple[Template, ...]:
    """The `split` templates of `task` from `path` (default: the packaged `templates/<task>.yaml`), checked
    against `slots`. Missing or malformed files raise TemplateError naming the file."""
    if split not in SPLITS:
        raise TemplateError(f"unknown template split {split!r}; expected one of {', '.join(SPLITS)}")
    p = Path(path) if path is not None else TEMPLATE_DIR / f"{Task(task).value}.yaml"
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        raise TemplateError(
            f"template file {p} is missing; expected a YAML file with `train:` and `eval:` lists of templates"
        ) from None
    return _load(str(p), mtime, Task(task).value, tuple(slots))[split]


@functools.lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, task: str, slots: tuple[str, ...]) -> dict[str, tuple[Template, ...]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot read templates: {exc}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: expected a mapping with `train:` and `eval:` keys")
    out = {}
    for split in SPLITS:
        texts = data.get(split)
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise TemplateError(f"{path}: expected `{split}:` to be a non-empty list of template strings")
        templates = []
        for i, text in enumerate(texts):
            tid = f"{task}/{split}/{i:02d}"
            check_template(text, slots, f"{path}, template {tid}")
            templates.append(Template(tid, text))
        out[split] = tuple(templates)
    return out


def fill(template: Template, values: Mapping[str, str]) -> str:
    """The template text with its slots filled from `values`; TemplateError when a slot has no value."""
    try:
        return template.text.format_map(values).strip()
    except KeyError as exc:
        raise TemplateError(
            f"template {template.id}: no value for slot {{{exc.args[0]}}}; this task fills "
            f"{', '.join('{' + k + '}' for k in values)}"
        ) from None
    except (ValueError, IndexError, AttributeError) as exc:
        raise TemplateError(f"template {template.id}: {exc}") from None


@dataclass(frozen=True)
class AnswerHelp:
    """How a task's answer looks, for the output-format instruction. `nothing` completes "If ...";
    `natural` describes the sentences, ending with an example sentence."""

    nothing: str
    canonical: str
    json: str
    natural: str


_PHRASINGS: dict[str, tuple[str, ...]] = {
    "canonical": (
        "Answer in the form `[Answer]: {canonical}`. If {nothing}, answer `[Answer]: {na}`.",
        "Write the answer after `[Answer]:` as {canonical}. If {nothing}, write `[Answer]: {na}`.",
        "Output format: [Answer]: {canonical}\nWhen {nothing}, the answer is `{na}`.",
    ),
    "json": (
        "Answer with JSON after `[Answer]:`, for example `[Answer]: {json}`. If {nothing}, answer "
        "`[Answer]: {json_na}`.",
        "Give the answer as JSON in the form `[Answer]: {json}`. If {nothing}, give `[Answer]: {json_na}`.",
        "Output format: [Answer]: followed by JSON such as {json}\nWhen {nothing}, output `[Answer]: {json_na}`.",
    ),
    "natural": (
        "Answer in plain sentences after `[Answer]:`, {natural} If {nothing}, write `[Answer]: {natural_na}`",
        "Write the answer after `[Answer]:` in sentences, {natural} If {nothing}, write: {natural_na}",
        "Output format: [Answer]: then {natural}\nWhen {nothing}, say: {natural_na}",
    ),
}


def format_instruction(
    help: AnswerHelp, fmt: Format, na: str, json_na: str, natural_na: str, key: Sequence[object]
) -> str:
    """The output-format instruction for `fmt`, one of several phrasings chosen stably from `key`. It
    states how to say "nothing applies": `na` (canonical), `json_na` (JSON), `natural_na` (sentences)."""
    options = _PHRASINGS[fmt]
    chosen = options[pick(len(options), fmt, *key)]
    return chosen.format(
        canonical=help.canonical, json=help.json, natural=help.natural, nothing=help.nothing,
        na=na, json_na=json_na, natural_na=natural_na,
    )
