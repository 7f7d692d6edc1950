"""Label-set diversity: plans applied consistently to query and demonstrations, rates, notes."""

import random

from adelie.instruct.config import LabelKnobs
from adelie.instruct.labels import LabelExamples, LabelPlan, label_notes, plan_labels
from adelie.schema import Task
from adelie.tasks.base import Instance

NER_POS = (1,)


def ner(labels, gold, text="Anna Berg works at Acme Corp in Oslo.", eid="e1"):
    return Instance(task=Task.NER, dataset="d", example_id=eid, text=text, gold=tuple(gold), labels=tuple(labels))


def test_dropout_removes_the_label_and_its_gold():
    plan = LabelPlan(drop=frozenset({"location"}))
    shown = plan.apply(ner(["person", "location"], [("Anna Berg", "person"), ("Oslo", "location")]), NER_POS)
    assert shown.labels == ("person",)
    assert shown.gold == (("Anna Berg", "person"),)


def test_dropout_never_empties_the_options():
    plan = LabelPlan(drop=frozenset({"person"}))
    shown = plan.apply(ner(["person"], [("Anna Berg", "person")]), NER_POS)
    assert shown.labels == ("person",) and shown.gold == (("Anna Berg", "person"),)


def test_rename_maps_options_and_gold_and_merges_coarse_types():
    plan = LabelPlan(rename={"actor": "person", "athlete": "person", "city": "place"})
    inst = ner(["actor", "athlete", "city"], [("Anna", "actor"), ("Tom", "athlete"), ("Oslo", "city")])
    shown = plan.apply(inst, NER_POS)
    assert shown.labels == ("person", "place")
    assert shown.gold == (("Anna", "person"), ("Tom", "person"), ("Oslo", "place"))
    assert plan.original("person") == ["actor", "athlete"]


def test_symbolic_names_are_consistent_between_query_and_demonstrations():
    knobs = LabelKnobs(symbolic_rate=1.0, coarse_rate=0.0, class_dropout=0.0, distractors=False)
    plan = plan_labels(random.Random(1), knobs, ["person", "location", "organization"])
    assert plan.knobs == ("symbolic",)
    q = plan.apply(ner(["person", "location", "organization"], [("Anna Berg", "person")]), NER_POS)
    d = plan.apply(ner(["person", "location", "organization"], [("Oslo", "location"), ("Tim", "person")], eid="e2"),
                   NER_POS)
    assert q.labels == d.labels and all(lab not in ("person", "location", "organization") for lab in q.labels)
    assert q.gold[0][1] == d.gold[1][1] == plan.rename["person"]


def test_distractors_are_offered_but_never_in_the_gold():
    knobs = LabelKnobs(distractor_rate=1.0, distractor_max=2, symbolic_rate=0, synonym_rate=0, class_dropout=0)
    plan = plan_labels(random.Random(0), knobs, ["disease"], distractor_pool=["gene", "protein", "species"])
    assert plan.knobs == ("distractors",) and 1 <= len(plan.distractors) <= 2
    shown = plan.apply(ner(["disease"], [("flu", "disease")], text="She had the flu."), NER_POS)
    assert set(plan.distractors) < set(shown.labels) and "disease" in shown.labels
    assert shown.gold == (("flu", "disease"),)


def test_single_label_tasks_keep_their_gold_label():
    knobs = LabelKnobs(class_dropout=1.0)
    plan = plan_labels(random.Random(0), knobs, ["spouse", "child"], allow_dropout=False)
    assert not plan.drop


def test_knob_rates_follow_the_config():
    knobs = LabelKnobs()
    vocab = ["person", "location", "organization", "miscellaneous"]
    plans = [plan_labels(random.Random(i), knobs, vocab, distractor_pool=["gene"],
                         synonyms=lambda lab: ("human",) if lab == "person" else ()) for i in range(4000)]
    share = {k: sum(k in p.knobs for p in plans) / len(plans) for k in ("symbolic", "synonyms", "distractors")}
    assert abs(share["symbolic"] - 0.05) < 0.015
    assert abs(share["synonyms"] - 0.095) < 0.02  # drawn when symbolic was not
    assert abs(share["distractors"] - 0.5) < 0.03
    dropped = sum(len(p.drop) for p in plans) / (len(plans) * len(vocab))
    assert abs(dropped - 0.1) < 0.01
    assert abs(sum(p.describe for p in plans) / len(plans) - 0.2) < 0.02


def test_notes_give_a_legend_for_symbols_and_examples_without_the_answer():
    knobs = LabelKnobs()
    plan = LabelPlan(rename={"person": "LABEL_1"}, exemplify=True, knobs=("symbolic",))
    examples = LabelExamples()
    for i, name in enumerate(["Anna Berg", "Tom Hale", "Rita Moss", "Omar Said"]):
        examples.add(ner(["person"], [(name, "person")], eid=f"x{i}"), NER_POS)
    text, used = label_notes(random.Random(0), plan, "ner", ["LABEL_1"], "Anna Berg met Tom Hale.", knobs,
                             lambda _: None, examples)
    line = text.splitlines()[1]
    assert line.startswith("- LABEL_1: person; such as ")
    assert "Anna Berg" not in line and "Tom Hale" not in line and "Rita Moss" in line
    assert used == ["examples"]


def test_notes_are_empty_when_nothing_applies():
    assert label_notes(random.Random(0), LabelPlan(), "ner", ["person"], "x", LabelKnobs(), lambda _: "A human.",
                       None) == ("", [])
