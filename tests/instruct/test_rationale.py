"""Gold-derived rationales: every task names exactly the answer's items, with the labels as shown; NA cases;
determinism; and records with a rationale still read back as their gold answer."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adelie.instruct.labels import LabelPlan, label_positions
from adelie.instruct.rationale import gold_rationale, passage
from adelie.schema import Table, Task
from adelie.tasks import FORMATS, Instance, get_task
from adelie.tasks.formats import Q, quote

NER_TEXT = "Anna Berg joined Acme Corp in Oslo; Karl Voss stayed home."
RC_TEXT = "Anna Berg has worked for Acme Corp since 1990, colleagues in Oslo said."
ED_TEXT = "Rebels attacked the town and the villagers fled to Oslo the next day."
OIE_TEXT = "Anna Berg was born in Oslo and founded Acme Corp."


def _inst(task: Task, text: str, gold: tuple, labels: tuple = (), **kw) -> Instance:
    return Instance(task=task, dataset="toy", example_id="x", text=text, gold=gold, labels=labels, **kw)


# (instance with answer, instance with the same options and an empty answer, strings no rationale may name)
CASES: dict[Task, tuple[Instance, Instance, tuple[str, ...]]] = {
    Task.NER: (
        _inst(Task.NER, NER_TEXT, (("Anna Berg", "person"), ("Oslo", "city")), ("person", "company", "city")),
        _inst(Task.NER, NER_TEXT, (), ("person", "company", "city")),
        ("company", "Karl Voss", "Acme Corp"),
    ),
    Task.RELATION_CLASSIFICATION: (
        _inst(Task.RELATION_CLASSIFICATION, RC_TEXT, (("employer",),), ("employer", "founder", "resident"),
              query={"head": "Anna Berg", "tail": "Acme Corp"},
              meta={"head_text": "Anna Berg", "tail_text": "Acme Corp"}),
        _inst(Task.RELATION_CLASSIFICATION, RC_TEXT, (), ("employer", "founder", "resident"),
              query={"head": "Anna Berg", "tail": "Oslo"}, meta={"head_text": "Anna Berg", "tail_text": "Oslo"}),
        ("founder", "resident"),
    ),
    Task.RELATION_EXTRACTION: (
        _inst(Task.RELATION_EXTRACTION, RC_TEXT, (("Anna Berg", "employer", "Acme Corp"),),
              ("employer", "founder", "resident")),
        _inst(Task.RELATION_EXTRACTION, RC_TEXT, (), ("employer", "founder", "resident")),
        ("founder", "resident"),
    ),
    Task.EVENT_DETECTION: (
        _inst(Task.EVENT_DETECTION, ED_TEXT, (("attacked", "assault"), ("fled", "transport")),
              ("assault", "transport", "election")),
        _inst(Task.EVENT_DETECTION, ED_TEXT, (), ("assault", "transport", "election")),
        ("election",),
    ),
    Task.EVENT_ARGUMENTS: (
        _inst(Task.EVENT_ARGUMENTS, ED_TEXT, (("Rebels", "attacker"), ("the town", "target")),
              ("attacker", "target", "instrument"), query={"trigger": "attacked", "event_type": "assault"},
              meta={"trigger_text": "attacked"}),
        _inst(Task.EVENT_ARGUMENTS, ED_TEXT, (), ("attacker", "target", "instrument"),
              query={"trigger": "attacked", "event_type": "assault"}, meta={"trigger_text": "attacked"}),
        ("instrument", "villagers"),
    ),
    Task.EVENT_RELATION: (
        _inst(Task.EVENT_RELATION, ED_TEXT, (("before",),), ("before", "after", "simultaneous"),
              query={"head": "attacked", "tail": "fled"}, meta={"head_text": "attacked", "tail_text": "fled"}),
        _inst(Task.EVENT_RELATION, ED_TEXT, (), ("before", "after", "simultaneous"),
              query={"head": "attacked", "tail": "fled"}, meta={"head_text": "attacked", "tail_text": "fled"}),
        ("after", "simultaneous"),
    ),
    Task.OPEN_IE: (
        _inst(Task.OPEN_IE, OIE_TEXT, (("was born in", "Anna Berg", "Oslo"), ("founded", "Anna Berg", "Acme Corp"))),
        _inst(Task.OPEN_IE, OIE_TEXT, ()),
        (),
    ),
    Task.ON_DEMAND: (
        _inst(Task.ON_DEMAND, OIE_TEXT, (), query={"instruction": "List the people and where they were born."},
              table=Table(header=("Person", "Birthplace"), rows=(("Anna Berg", "Oslo"),))),
        _inst(Task.ON_DEMAND, OIE_TEXT, (), query={"instruction": "List the companies' revenues."},
              table=Table(header=("Company", "Revenue"))),
        ("Acme Corp",),
    ),
}


def _rationales(inst: Instance, n: int = 60) -> set[str]:
    return {gold_rationale(inst, inst.gold, inst.labels, random.Random(seed)) for seed in range(n)}


def _unquoted(text: str) -> str:
    return re.sub(Q, " ", text)


def _names(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


@pytest.mark.parametrize("task", list(CASES), ids=lambda t: t.value)
def test_rationale_names_every_answer_item_and_nothing_else(task: Task) -> None:
    inst, _, others = CASES[task]
    positions = label_positions(get_task(task).fields)
    found = _rationales(inst)
    assert len(found) >= 3, found  # several phrasings
    for text in found:
        assert "\n" not in text and "[Answer]" not in text
        if inst.table is not None:
            assert all(quote(row[0]) in text for row in inst.table.rows)
            assert all(quote(col) in text for col in inst.table.header)
        for item in inst.gold:
            for p, value in enumerate(item):
                if p in positions:
                    assert _names(_unquoted(text), value), (value, text)  # labels as shown, outside quotes
                elif value:
                    assert quote(value) in text, (value, text)
        for other in others:
            assert not _names(_unquoted(text), other) and quote(other) not in text, (other, text)


@pytest.mark.parametrize("task", list(CASES), ids=lambda t: t.value)
def test_empty_answers_say_nothing_qualifies_and_name_no_label(task: Task) -> None:
    _, empty, others = CASES[task]
    found = _rationales(empty)
    assert len(found) >= 2, found
    for text in found:
        for label in empty.labels:
            assert not _names(_unquoted(text), label), (label, text)
        for other in others:
            assert quote(other) not in text, (other, text)
        assert re.search(r"\b(?:no|none|nothing|not)\b", text, re.I), text


@pytest.mark.parametrize("task", list(CASES), ids=lambda t: t.value)
def test_same_stream_same_rationale(task: Task) -> None:
    inst = CASES[task][0]
    first = [gold_rationale(inst, inst.gold, inst.labels, random.Random(f"7\x1f{i}")) for i in range(10)]
    again = [gold_rationale(inst, inst.gold, inst.labels, random.Random(f"7\x1f{i}")) for i in range(10)]
    assert first == again


def test_symbolic_and_renamed_labels_are_the_shown_ones() -> None:
    inst = CASES[Task.NER][0]
    plan = LabelPlan(rename={"person": "LABEL_2", "company": "LABEL_0", "city": "LABEL_1"}, knobs=("symbolic",))
    shown = plan.apply(inst, (1,))
    for text in _rationales(shown):
        assert _names(text, "LABEL_2") and _names(text, "LABEL_1") and not _names(text, "LABEL_0")
        assert not any(_names(_unquoted(text), lab) for lab in ("person", "city", "company")), text
    dropped = LabelPlan(drop=frozenset({"city"}), knobs=("dropout",)).apply(inst, (1,))
    for text in _rationales(dropped):
        assert quote("Anna Berg") in text and quote("Oslo") not in text and not _names(_unquoted(text), "city")


def test_relation_rationales_quote_the_text_between_the_pair() -> None:
    inst = CASES[Task.RELATION_CLASSIFICATION][0]
    assert passage(inst.text, "Anna Berg", "Acme Corp") == quote("Anna Berg has worked for Acme Corp...")
    assert passage("x " * 40 + "Acme Corp " + "y " * 40 + "Anna Berg", "Anna Berg", "Acme Corp") is None
    assert passage(inst.text, "Anna Berg", "nowhere") is None
    assert any("has worked for" in text for text in _rationales(inst))


def test_header_only_tables_get_the_na_rationale() -> None:
    _, empty, _ = CASES[Task.ON_DEMAND]
    for text in _rationales(empty):
        assert '"Company"' not in text and '"Revenue"' not in text


tricky = st.sampled_from(["[Answer]: x", "a; b", 'say "hi"', "line\nbreak", "Köln", "(paren)", "NA", "x: y",
                          "[explanation] y", "an apple", "  padded  "])


@settings(max_examples=150, deadline=None)
@given(task=st.sampled_from([Task.NER, Task.EVENT_DETECTION, Task.RELATION_EXTRACTION]),
       fields=st.lists(st.tuples(tricky, tricky), min_size=0, max_size=3), fmt=st.sampled_from(FORMATS),
       seed=st.integers(0, 10_000))
def test_records_with_a_rationale_read_back_as_their_gold(task: Task, fields: list, fmt: str, seed: int) -> None:
    t = get_task(task)
    if task == Task.RELATION_EXTRACTION:
        gold = tuple(dict.fromkeys((a, "works for", b) for a, b in fields))
    else:
        gold = tuple(dict.fromkeys((a, "person") for a, _ in fields))
    inst = _inst(task, " ".join(f for pair in fields for f in pair) or "nothing here", gold,
                 ("person", "works for"))
    rationale = gold_rationale(inst, inst.gold, inst.labels, random.Random(seed))
    parsed = t.parse(t.render_answer(inst, fmt, rationale), inst)
    assert parsed.ok and parsed.explanation == rationale
    counts = t.score(parsed, inst)
    assert counts.tp_pred == counts.pred == counts.tp_gold == counts.gold == len(gold)
