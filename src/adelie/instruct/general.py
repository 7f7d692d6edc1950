"""General (non-IE) chat data to mix into IEInstruct, so SFT does not pull the model away from chat.

Sources are the built-in sets of the general-data directory (see its README.md) or any JSON/JSONL file whose
records are chat `messages`, prompt/completion pairs, question/answer pairs, or Alpaca-style
instruction/input/output (with optional `history`). Evaluation-only sets (MMLU, BBH, GSM8K test, ...) are
refused wherever they are named.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adelie.errors import AdelieError, DataFormatError, MissingDataError
from adelie.jsonl import jsonl_records

Message = dict[str, str]
ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class GeneralSource:
    """A built-in general source: files relative to the general-data directory and their licence class."""

    name: str
    files: tuple[str, ...]  # paths or glob patterns
    licence_class: str
    licence: str


BUILTIN: dict[str, GeneralSource] = {s.name: s for s in (
    GeneralSource("oasst1", ("oasst1/oasst1_en_validation_top1_conversations.jsonl",
                             "oasst1/oasst_en_100_top1_conversations.jsonl"), "open", "Apache-2.0"),
    GeneralSource("self-instruct", ("self-instruct/seed_tasks.jsonl",), "open", "Apache-2.0"),
    GeneralSource("p3-sample", ("p3-sample/*.jsonl",), "research-only",
                  "Apache-2.0 templates; source datasets mixed (research use)"),
    GeneralSource("gsm8k", ("gsm8k/train.jsonl",), "open", "MIT"),
    GeneralSource("lima", ("lima/lima.json",), "non-commercial", "CC BY-NC-SA 4.0"),
    GeneralSource("alpaca-gpt4-demo", ("alpaca-gpt4-demo/alpaca_en_demo.json",), "non-commercial", "CC BY-NC 4.0"),
)}

# Sets kept for the general-ability check: never trained on.
EVAL_ONLY_FOLDERS = frozenset({"mmlu", "arc", "hellaswag", "commonsense-alt", "bbh", "truthfulqa", "tydiqa-goldp",
                               "ifeval", "mt-bench", "alpaca-eval"})
EVAL_ONLY_FILES = frozenset({("gsm8k", "test.jsonl"), ("self-instruct", "user_oriented_instructions.jsonl")})


@dataclass(frozen=True)
class Conversation:
    """One general chat record: where it comes from and its messages (ending with an assistant turn)."""

    source: str
    id: str
    messages: tuple[Message, ...]
    licence_class: str


def general_dir(explicit: str | Path | None = None) -> Path:
    """The general-data directory: `explicit`, else $ADELIE_GENERAL_DIR, else ../shared/general (from the
    working directory, then from the repository root)."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_dir():
            raise MissingDataError(f"general data directory {path} does not exist")
        return path
    env = os.environ.get("ADELIE_GENERAL_DIR")
    if env:
        if not Path(env).is_dir():
            raise MissingDataError(f"ADELIE_GENERAL_DIR={env} is not a directory")
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    candidates = [Path.cwd() / ".." / "shared" / "general", repo_root / ".." / "shared" / "general"]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise MissingDataError(
        f"no general data directory: set ADELIE_GENERAL_DIR or general.dir (tried {', '.join(map(str, candidates))})"
    )


def check_not_eval_only(path: Path) -> None:
    """Raise AdelieError when `path` is one of the evaluation-only general sets."""
    parts = path.resolve().parts
    if parts[-2] in EVAL_ONLY_FOLDERS or tuple(parts[-2:]) in EVAL_ONLY_FILES:
        raise AdelieError(f"{path} is an evaluation-only set (general-ability check): it can never be trained on")


def _text(value: Any, path: Path, where: int, key: str) -> str:
    if not isinstance(value, str):
        raise DataFormatError(path, where, f"expected a string in {key!r}, got {type(value).__name__}")
    return value.strip()


_CALC = re.compile(r"<<[^<>]*>>")
_FINAL = re.compile(r"\n?####\s*(.+)\s*$")


def _gsm8k_answer(answer: str) -> str:
    """A GSM8K worked answer without calculator annotations, ending with a plain final-answer sentence."""
    answer = _CALC.sub("", answer)
    return _FINAL.sub(lambda m: f"\nThe answer is {m.group(1).strip()}.", answer).strip()


def to_messages(record: Any, path: Path, where: int) -> list[Message] | None:
    """The chat messages of one record in any supported layout; None when a message is empty (such records
    exist in the published sets: they are skipped and counted); DataFormatError when no layout fits."""
    if not isinstance(record, dict):
        raise DataFormatError(path, where, f"expected a JSON object, got {type(record).__name__}")
    if "messages" in record:
        msgs = record["messages"]
        if not isinstance(msgs, list) or not all(isinstance(m, dict) for m in msgs):
            raise DataFormatError(path, where, "expected `messages` to be a list of {role, content} objects")
        out = [{"role": str(m.get("role")), "content": _text(m.get("content"), path, where, "content")} for m in msgs]
    elif "prompt" in record and "completion" in record:
        completion = _text(record["completion"], path, where, "completion").removesuffix("<|endoftext|>")
        out = [{"role": "user", "content": _text(record["prompt"], path, where, "prompt")},
               {"role": "assistant", "content": completion.strip()}]
    elif "question" in record and "answer" in record:
        out = [{"role": "user", "content": _text(record["question"], path, where, "question")},
               {"role": "assistant", "content": _gsm8k_answer(_text(record["answer"], path, where, "answer"))}]
    elif "instruction" in record and "instances" in record:  # self-instruct seed task: its first instance
        inst = record["instances"][0] if isinstance(record["instances"], list) and record["instances"] else {}
        if not isinstance(inst, dict):
            raise DataFormatError(path, where, "expected `instances` to hold {input, output} objects")
        user = _text(record["instruction"], path, where, "instruction")
        extra = _text(inst.get("input", ""), path, where, "input")
        out = [{"role": "user", "content": f"{user}\n\n{extra}" if extra else user},
               {"role": "assistant", "content": _text(inst.get("output"), path, where, "output")}]
    elif "instruction" in record and "output" in record:
        out = []
        for pair in record.get("history") or []:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise DataFormatError(path, where, "expected `history` to be a list of [user, assistant] pairs")
            out += [{"role": "user", "content": _text(pair[0], path, where, "history")},
                    {"role": "assistant", "content": _text(pair[1], path, where, "history")}]
        user = _text(record["instruction"], path, where, "instruction")
        extra = _text(record.get("input") or "", path, where, "input")
        out += [{"role": "user", "content": f"{user}\n\n{extra}" if extra else user},
                {"role": "assistant", "content": _text(record["output"], path, where, "output")}]
    else:
        raise DataFormatError(path, where, "expected `messages`, prompt/completion, question/answer or "
                                           "instruction/input/output fields")
    if any(not m["content"] for m in out):
        return None
    _check_messages(out, path, where)
    return out


def _check_messages(msgs: list[Message], path: Path, where: int) -> None:
    bad = [m["role"] for m in msgs if m["role"] not in ROLES]
    if bad:
        raise DataFormatError(path, where, f"unknown role {bad[0]!r}; expected system, user or assistant")
    if not msgs or msgs[-1]["role"] != "assistant" or not any(m["role"] == "user" for m in msgs):
        raise DataFormatError(path, where, "expected a conversation with a user turn that ends with an assistant turn")


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or index, record) from a JSONL file or a JSON list."""
    if not path.is_file():
        raise MissingDataError(f"general data file {path} does not exist")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataFormatError(path, exc.lineno, f"invalid JSON ({exc.msg})") from None
        if not isinstance(data, list):
            raise DataFormatError(path, None, "expected a JSON list of records")
        yield from enumerate(data)
        return
    yield from jsonl_records(path)


def read_file(
    path: Path, source: str, licence_class: str, root: Path | None = None
) -> tuple[list[Conversation], int]:
    """The conversations of one file and the number of records skipped for an empty message."""
    check_not_eval_only(path)
    rel = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else path.name
    out: list[Conversation] = []
    skipped = 0
    for where, record in _records(path):
        msgs = to_messages(record, path, where)
        if msgs is None:
            skipped += 1
            continue
        rid = record.get("id")
        cid = f"{source}:{rid}" if isinstance(rid, str) and rid else f"{source}:{rel}:{where}"
        out.append(Conversation(source, cid, tuple(msgs), licence_class))
    return out, skipped


@dataclass
class GeneralPool:
    """The conversations available for mixing, and what was left out on the way."""

    conversations: list[Conversation]
    skipped_empty: dict[str, int]  # source -> records with an empty message
    excluded_sources: list[str]  # sources left out for their licence class


def load_sources(
    names: list[str] | None = None, root: str | Path | None = None, exclude_licences: list[str] | None = None
) -> GeneralPool:
    """Every conversation of the chosen sources (built-in names or file paths), deduplicated by id, in a
    stable order. Sources whose licence class is excluded are left out (custom files count as "unstated")."""
    excluded = set(exclude_licences or [])
    base = general_dir(root)
    out: dict[str, Conversation] = {}
    pool = GeneralPool([], {}, [])
    for name in names if names is not None else list(BUILTIN):
        if name in BUILTIN:
            src = BUILTIN[name]
            if src.licence_class in excluded:
                pool.excluded_sources.append(name)
                continue
            files = sorted(f for pattern in src.files for f in base.glob(pattern))
            if not files:
                raise MissingDataError(f"general source {name!r}: none of {list(src.files)} found under {base}")
            read = [read_file(f, name, src.licence_class, base) for f in files]
        else:
            path = Path(name)
            if not path.is_file():
                raise AdelieError(
                    f"unknown general source {name!r}: give a built-in name ({', '.join(BUILTIN)}) or a JSON/JSONL file"
                )
            if "unstated" in excluded:
                pool.excluded_sources.append(name)
                continue
            name = path.stem
            read = [read_file(path, name, "unstated")]
        for convs, skipped in read:
            for c in convs:
                out.setdefault(c.id, c)
            if skipped:
                pool.skipped_empty[name] = pool.skipped_empty.get(name, 0) + skipped
    pool.conversations = list(out.values())
    return pool
