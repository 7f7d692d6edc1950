"""Chat templates: adelie's named training templates, choosing one for a tokenizer, and finding end-of-turn tokens.

Named templates live in ``adelie/templates/*.jinja``: ``chatml`` and ``tulu``. Both wrap assistant content (and
the end-of-turn token) in ``{% generation %}`` markers, which TRL's ``assistant_only_loss`` needs.

Default system message: SmolLM2's own template adds "You are a helpful AI assistant named SmolLM, trained by Hugging
Face" when a conversation has no system turn. The named ``chatml`` template adds none; but when a tokenizer's own
template has no generation markers, ``resolve_chat_template`` derives ChatML *with that template's default system
message baked in* and uses it only if it renders exactly like the own template, so the default model keeps its
behaviour (prompts identical to SmolLM2's) while gaining generation markers.
"""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError

logger = logging.getLogger(__name__)

_GENERATION_RE = re.compile(r"\{%-?\s*generation\s*-?%\}")
_PROBE_USER = "@@user@@"
# Conversations on which a derived template must render exactly like the tokenizer's own one.
_PROBES: list[list[dict[str, str]]] = [
    [{"role": "user", "content": "Hi there."}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi."}],
    [{"role": "user", "content": "A?"}, {"role": "assistant", "content": "B."}, {"role": "user", "content": "C?"}],
    [{"role": "system", "content": "S"}, {"role": "user", "content": "A?"}, {"role": "assistant", "content": "B."}],
]


def template_names() -> list[str]:
    """Names of the chat templates shipped with adelie."""
    folder = resources.files("adelie") / "templates"
    return sorted(p.name.removesuffix(".jinja") for p in folder.iterdir() if p.name.endswith(".jinja"))


def named_template(name: str) -> str:
    """The text of a shipped template (``chatml``, ``tulu``)."""
    if name not in template_names():
        raise AdelieError(f"unknown chat template {name!r}: choose one of {template_names()} or give a .jinja path")
    return (resources.files("adelie") / "templates" / f"{name}.jinja").read_text(encoding="utf-8")


def has_generation_markers(template: str | None) -> bool:
    """Whether a template marks assistant content with ``{% generation %}`` (needed for assistant-only loss)."""
    return bool(template) and _GENERATION_RE.search(template) is not None


def chatml_with_default_system(message: str | None) -> str:
    """The ``chatml`` template, with ``message`` baked in as the system turn used when a conversation has none."""
    text = named_template("chatml")
    if not message:
        return text
    return "{%- set default_system_message = " + json.dumps(message, ensure_ascii=False) + " -%}\n" + text


def _render(tokenizer: Any, template: str, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=generation_prompt
    )


def _default_system_of(tokenizer: Any, template: str) -> str | None:
    """The system message a ChatML-style template adds when a conversation has none (None when it adds none)."""
    text = _render(tokenizer, template, [{"role": "user", "content": _PROBE_USER}], False)
    head = "<|im_start|>system\n"
    tail = f"<|im_end|>\n<|im_start|>user\n{_PROBE_USER}"
    if text.startswith(head) and tail in text:
        return text[len(head) : text.index(tail)]
    return None


def renders_like(tokenizer: Any, template: str, reference: str) -> bool:
    """Whether ``template`` renders the probe conversations exactly like ``reference`` (with and without a
    generation prompt)."""
    try:
        return all(
            _render(tokenizer, template, m, g) == _render(tokenizer, reference, m, g)
            for m in _PROBES
            for g in (True, False)
        )
    except Exception:  # a reference template may reject some probe (e.g. a system role)
        return False


def _read_template_file(path: Path) -> str:
    if not path.is_file():
        raise AdelieError(
            f"chat template file {path} does not exist: give a path to a .jinja file or one of {template_names()}"
        )
    return path.read_text(encoding="utf-8")


def resolve_chat_template(tokenizer: Any, chat_template: str | Path | None = None) -> str:
    """The chat template text to use with ``tokenizer``.

    ``chat_template`` is None (the tokenizer's own template if it has generation markers; otherwise ``chatml``,
    with the own template's default system message baked in when that reproduces the own template exactly, as
    for SmolLM2), a shipped name (``chatml``, ``tulu``), a path to a ``.jinja`` file, or a template text.
    """
    if chat_template is None:
        own = getattr(tokenizer, "chat_template", None)
        if isinstance(own, dict):  # named variants: the default one is what apply_chat_template uses
            own = own.get("default")
        if has_generation_markers(own):
            return own
        if not own:
            return named_template("chatml")
        derived = chatml_with_default_system(_default_system_of(tokenizer, own))
        if renders_like(tokenizer, derived, own):
            return derived
        logger.warning(
            "the tokenizer's chat template has no generation markers and is not ChatML: using adelie's 'chatml' "
            "template, so prompts are formatted differently from the model's own template"
        )
        return named_template("chatml")
    if isinstance(chat_template, Path):
        return _read_template_file(chat_template)
    if "{%" in chat_template or "{{" in chat_template:
        return chat_template
    if chat_template in template_names():
        return named_template(chat_template)
    if chat_template.endswith(".jinja") or "/" in chat_template or Path(chat_template).exists():
        return _read_template_file(Path(chat_template).expanduser())
    raise AdelieError(
        f"unknown chat template {chat_template!r}: choose one of {template_names()} or give a .jinja path"
    )


def end_of_turn_ids(tokenizer: Any, model_eos: int | list[int] | None = None) -> list[int]:
    """Token ids that end an assistant turn: the special token the chat template puts right after assistant content
    (e.g. ``<|im_end|>``), the tokenizer's eos, and the model's generation-config eos ids."""
    ids: list[int] = []
    messages = [{"role": "user", "content": "u"}, {"role": "assistant", "content": "@@reply@@"}]
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False)
    except Exception:
        text = ""
    if "@@reply@@" in text:
        after = text.split("@@reply@@", 1)[1]
        special = set(tokenizer.all_special_ids) | set(tokenizer.get_added_vocab().values())
        for tid in tokenizer(after, add_special_tokens=False)["input_ids"]:
            if tid in special:
                ids.append(tid)
                break
    if tokenizer.eos_token_id is not None:
        ids.append(tokenizer.eos_token_id)
    if model_eos is not None:
        ids.extend([model_eos] if isinstance(model_eos, int) else model_eos)
    return list(dict.fromkeys(ids))
