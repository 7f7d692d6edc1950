"""Synthetic on-demand items: tables built from gold annotations, readable by the on-demand task."""

import random

import pytest

from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.instruct.ondemand import DATASET, MISSING, RELATIONS, _header, synthesize
from adelie.schema import Event, Example, Relation, Task, make_argument, make_span
from adelie.tasks import get_task


def _spec(name, **maps):
    return DatasetSpec(name, name, (Task.NER,), (SplitSpec("train", "train", 1),), "open", lambda *a: iter(()),
                       **maps)


def _conll04_example():
    text = "Anna Berg, a lawyer for Acme Corp, lives in Oslo."
    anna, acme, oslo = (make_span(text, text.find(s), text.find(s) + len(s), lab)
                        for s, lab in (("Anna Berg", "Peop"), ("Acme Corp", "Org"), ("Oslo", "Loc")))
    return Example(id="c1", dataset="conll04", split="train", text=text, entities=(anna, acme, oslo),
                   relations=(Relation(head=anna, tail=acme, label="Work_For"),
                              Relation(head=anna, tail=oslo, label="Live_In")))


CONLL04 = _spec("conll04", entity_labels={"Peop": "person", "Org": "organization", "Loc": "location"},
                relation_labels={"Work_For": "works for", "Live_In": "lives in"})


def test_relation_tables_follow_the_annotations():
    ex = _conll04_example()
    seen = set()
    for seed in range(60):
        synth = synthesize(random.Random(seed), ex, CONLL04)
        assert synth is not None and synth.dataset == DATASET and synth.text == ex.text
        assert synth.meta["source_dataset"] == "conll04" and synth.meta["source_id"] == "c1"
        rows = set(synth.table.rows)
        if synth.meta["recipe"] == "relation_item" and len(synth.table.header) == 2:
            assert rows in ({("Anna Berg", "Acme Corp")}, {("Anna Berg", "Oslo")})
            seen.add(rows.pop()[1])
        elif synth.meta["recipe"] == "relation_item":
            assert rows == {("Anna Berg", "works for", "Acme Corp"), ("Anna Berg", "lives in", "Oslo")}
    assert seen == {"Acme Corp", "Oslo"}


def test_headers_vary_only_when_the_instruction_names_them():
    columns = RELATIONS[("conll04", "Work_For")].columns
    outcomes = set()
    for seed in range(50):
        header, clause = _header(random.Random(seed), columns)
        if clause:
            assert all(h in clause for h in header)
        else:
            assert header == tuple(c.name for c in columns)
        outcomes.add(bool(clause))
    assert outcomes == {True, False}


def test_event_tables_use_argument_roles():
    text = "A man given insulin 10 units developed lipoatrophy."
    trig = make_span(text, text.find("developed"), text.find("developed") + 9)
    args = tuple(make_argument(text, text.find(s), text.find(s) + len(s), role)
                 for s, role in (("insulin", "Treatment.Drug"), ("10 units", "Treatment.Dosage"),
                                 ("lipoatrophy", "Effect")))
    ex = Example(id="p1", dataset="phee", split="train", text=text,
                 events=(Event(trigger=trig, type="Adverse_event", arguments=args),))
    spec = _spec("phee", event_types={"Adverse_event": "adverse event"},
                 roles={"Treatment.Drug": "drug", "Treatment.Dosage": "dosage", "Effect": "effect",
                        "Subject": "subject"})
    tables = [synthesize(random.Random(s), ex, spec).table for s in range(40)]
    drug_dose = [t for t in tables if t.header[:2] in (("Drug", "Dosage"), ("Medication", "Dose"))]
    assert drug_dose and all(t.rows == (("insulin", "10 units", "lipoatrophy"),) for t in drug_dose)
    assert any(MISSING in r for t in tables for r in t.rows)  # the subject column of the patient recipe


def test_entity_tables_and_the_task_round_trip():
    text = "Aspirin and ibuprofen can cause nausea."
    ents = tuple(make_span(text, text.find(s), text.find(s) + len(s), lab)
                 for s, lab in (("Aspirin", "Chemical"), ("ibuprofen", "Chemical"), ("nausea", "Disease")))
    ex = Example(id="b1", dataset="bc", split="train", text=text, entities=ents)
    spec = _spec("bc", entity_labels={"Chemical": "chemical", "Disease": "disease"})
    task = get_task(Task.ON_DEMAND)
    for seed in range(20):
        synth = synthesize(random.Random(seed), ex, spec)
        assert synth.meta["recipe"] == "entity_item"
        (inst,) = task.instances(synth, {})
        assert inst.task == Task.ON_DEMAND and inst.table == synth.table
        for fmt in ("canonical", "json", "natural"):
            parsed = task.parse(task.render_answer(inst, fmt), inst)
            c = task.score(parsed, inst)
            if synth.table.rows:
                assert c.tp_pred == pytest.approx(c.pred) and c.tp_gold == pytest.approx(c.gold), fmt


def test_no_annotations_give_nothing():
    ex = Example(id="x", dataset="d", split="train", text="Nothing here.")
    assert synthesize(random.Random(0), ex, _spec("d")) is None
