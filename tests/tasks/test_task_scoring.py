"""Strict scoring, single-label scoring, instance_score, and the delegation of open IE / on-demand scoring."""

from __future__ import annotations

import pytest
from task_helpers import make

from adelie.schema import Table, Task
from adelie.tasks import Counts, Instance, Parsed, get_task, instance_score
from adelie.tasks.scoring import strict_counts

NER = get_task(Task.NER)
RC = get_task(Task.RELATION_CLASSIFICATION)


def counts(task: Task, gold: list, answer: str, **query: str) -> Counts:
    inst = make(task, gold, **query)
    t = get_task(task)
    return t.score(t.parse(answer, inst), inst)


def test_hand_computed_strict_counts() -> None:
    gold = [("Obama", "person"), ("Hawaii", "location"), ("USA", "country")]
    c = counts(Task.NER, gold, "[Answer]: obama: Person; Hawaii: place; Paris: location")
    assert c == Counts(1, 3, 1, 3)
    assert c.precision == pytest.approx(1 / 3) and c.recall == pytest.approx(1 / 3)
    assert c.f1 == pytest.approx(1 / 3)


def test_case_whitespace_quotes_and_edge_punctuation_are_ignored() -> None:
    c = counts(Task.NER, [("New York", "city")], '[Answer]: "  new   YORK ": City.')
    assert c == Counts(1, 1, 1, 1)
    assert strict_counts([("«New York»", "city!")], [("new york", "CITY")]) == Counts(1, 1, 1, 1)
    assert strict_counts([("New-York", "city")], [("New York", "city")]) == Counts(0, 1, 0, 1)  # inner punct


def test_duplicates_count_once_on_both_sides() -> None:
    assert strict_counts([("a", "x"), ("A", "x"), ("a ", "X")], [("a", "x"), ("a", "x")]) == Counts(1, 1, 1, 1)


def test_empty_gold_and_empty_prediction() -> None:
    c = counts(Task.NER, [], "[Answer]: NA")
    assert c == Counts(0, 0, 0, 0)
    assert instance_score(c) == 1.0


def test_empty_gold_with_prediction_and_empty_prediction_with_gold() -> None:
    c = counts(Task.NER, [], "[Answer]: Obama: person")
    assert c == Counts(0, 1, 0, 0) and instance_score(c) == 0.0
    c = counts(Task.NER, [("Obama", "person")], "[Answer]: NA")
    assert c == Counts(0, 0, 0, 1) and instance_score(c) == 0.0


def test_unreadable_list_answer_is_an_empty_prediction() -> None:
    assert counts(Task.NER, [("Obama", "person")], "I am not sure.") == Counts(0, 0, 0, 1)
    assert counts(Task.NER, [], "I am not sure.") == Counts(0, 0, 0, 0)


def test_instance_score_is_f1_otherwise() -> None:
    assert instance_score(Counts.strict(1, 2, 1)) == pytest.approx(2 / 3)
    assert instance_score(Counts(0.5, 1, 0.25, 1)) == pytest.approx(Counts(0.5, 1, 0.25, 1).f1)


@pytest.mark.parametrize(("gold", "answer", "expected"), [
    ([("founder of",)], "[Answer]: Founder of", Counts(1, 1, 1, 1)),
    ([("founder of",)], "[Answer]: employee of", Counts(0, 1, 0, 1)),
    ([("founder of",)], "[Answer]: employee of; founder of", Counts(0, 1, 0, 1)),  # only the first counts
    ([("founder of",)], "[Answer]: NA", Counts(0, 0, 0, 1)),
    ([("founder of",)], "", Counts(0, 1, 0, 1)),  # unreadable: one wrong prediction
    ([], "[Answer]: NA", Counts(0, 0, 0, 0)),  # no-relation gold, NA answer
    ([], "[Answer]: founder of", Counts(0, 1, 0, 0)),
    ([], "[Explanation]: hmm", Counts(0, 1, 0, 0)),
])
def test_single_label_semantics(gold: list, answer: str, expected: Counts) -> None:
    for task in (Task.RELATION_CLASSIFICATION, Task.EVENT_RELATION):
        assert counts(task, gold, answer, head="Jobs", tail="Apple") == expected, (task, answer)


def test_open_ie_score_calls_carb_with_items(monkeypatch: pytest.MonkeyPatch) -> None:
    import adelie.tasks.carb as carb

    seen = []

    def fake(pred, gold):  # type: ignore[no-untyped-def]
        seen.append((tuple(pred), tuple(gold)))
        return Counts(0.5, 1, 0.5, 1)

    monkeypatch.setattr(carb, "carb_counts", fake)
    oie = get_task(Task.OPEN_IE)
    inst = make(Task.OPEN_IE, [("was born in", "Obama", "Hawaii")])
    assert oie.score(oie.parse("(Obama; born in; Hawaii)"), inst) == Counts(0.5, 1, 0.5, 1)
    assert oie.score(Parsed(items=(("x", "y"),), ok=False), inst) == Counts(0.5, 1, 0.5, 1)
    assert seen == [((("born in", "Obama", "Hawaii"),), inst.gold), ((), inst.gold)]


def test_on_demand_score_calls_header_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    import adelie.tasks.table_score as table_score

    seen = []
    monkeypatch.setattr(table_score, "header_counts", lambda pred, gold: seen.append((pred, gold)) or Counts())
    odie = get_task(Task.ON_DEMAND)
    gold = Table(header=("a",), rows=(("1",),))
    inst = Instance(task=Task.ON_DEMAND, dataset="toy", example_id="x", text="t", query={"instruction": "i"},
                    table=gold)
    odie.score(odie.parse("| a |\n|---|\n| 2 |"), inst)
    odie.score(odie.parse("no idea"), inst)
    assert seen == [(Table(header=("a",), rows=(("2",),)), gold), (None, gold)]
