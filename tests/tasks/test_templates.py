"""The packaged instruction templates: counts, slots, uniqueness, and train/eval separation."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from adelie.schema import Task
from adelie.tasks import get_task
from adelie.tasks.prompting import TEMPLATE_DIR, load_templates

SPLITS = ("train", "eval")
# The slots each task fills (from the task classes); every template uses all of them except {no_answer}.
SLOTS: dict[Task, tuple[str, ...]] = {task: get_task(task).slots for task in Task}
OPTIONAL = {"no_answer"}
NGRAM = 6  # an eval template may share no run of this many words with any train template (of any task)


def _raw(task: Task) -> dict[str, list[str]]:
    return yaml.safe_load(Path(TEMPLATE_DIR, f"{task.value}.yaml").read_text(encoding="utf-8"))


ALL = {(task, split): _raw(task)[split] for task in Task for split in SPLITS}


def _words(text: str) -> list[str]:
    return re.findall(r"\{\w+\}|[a-z0-9']+", text.lower())


def _ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    w = _words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def _fields(text: str) -> list[tuple[str, str, str | None]]:
    return [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text) if name is not None]


def test_files_hold_exactly_train_and_eval_lists_of_strings() -> None:
    for task in Task:
        data = _raw(task)
        assert set(data) == set(SPLITS), task
        assert all(isinstance(t, str) and t.strip() for split in SPLITS for t in data[split]), task


@pytest.mark.parametrize("task", list(Task))
def test_counts(task: Task) -> None:
    assert len(ALL[task, "train"]) >= 18
    assert len(ALL[task, "eval"]) >= 8


@pytest.mark.parametrize("task", list(Task))
def test_slots_are_allowed_and_required_ones_present(task: Task) -> None:
    allowed = set(SLOTS[task])
    required = allowed - OPTIONAL
    for split in SPLITS:
        for i, text in enumerate(ALL[task, split]):
            fields = _fields(text)
            names = {name for name, _, _ in fields}
            assert names <= allowed, (task, split, i, names - allowed)
            assert required <= names, (task, split, i, required - names)
            assert all(not spec and conv is None for _, spec, conv in fields), (task, split, i)


@pytest.mark.parametrize("task", list(Task))
def test_templates_format_with_all_slots(task: Task) -> None:
    values = {slot: f"<{slot.upper()}>" for slot in SLOTS[task]}
    for split in SPLITS:
        for text in ALL[task, split]:
            out = text.format(**values)
            assert "<TEXT>" in out and not re.search(r"\{\w*\}", out), out


@pytest.mark.parametrize("task", list(Task))
def test_the_shared_loader_accepts_every_template(task: Task) -> None:
    for split in SPLITS:
        loaded = load_templates(task, split, SLOTS[task])
        assert [t.text for t in loaded] == ALL[task, split]
        assert len({t.id for t in loaded}) == len(loaded)


@pytest.mark.parametrize("task", list(Task))
def test_no_output_format_instructions(task: Task) -> None:
    banned = re.compile(r"json|\[answer\]|\[explanation\]|markdown|\bformat|\btable\b|one per line", re.IGNORECASE)
    for split in SPLITS:
        for text in ALL[task, split]:
            assert not banned.search(text), text


def test_no_duplicate_templates() -> None:
    for task in Task:
        texts = [" ".join(_words(t)) for split in SPLITS for t in ALL[task, split]]
        assert len(texts) == len(set(texts)), task


def test_eval_templates_share_no_long_ngram_with_any_train_template() -> None:
    train_grams: dict[tuple[str, ...], str] = {}
    for task in Task:
        for i, text in enumerate(ALL[task, "train"]):
            for g in _ngrams(text):
                train_grams.setdefault(g, f"{task.value}/train/{i}")
    clashes = [
        (f"{task.value}/eval/{i}", train_grams[g], " ".join(g))
        for task in Task for i, text in enumerate(ALL[task, "eval"]) for g in _ngrams(text) if g in train_grams
    ]
    assert not clashes, clashes


def test_the_ngram_check_catches_a_paraphrase() -> None:
    train = "Find all named entities in the text below that belong to one of these types: {labels}."
    near = "Please find all named entities in the text below. Types: {labels}. {text}"
    other = "Sort the names mentioned above into these buckets: {labels}. {text}"
    assert _ngrams(train) & _ngrams(near)
    assert not _ngrams(train) & _ngrams(other)
