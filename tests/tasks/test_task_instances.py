"""instances() on small handmade examples, for every task."""

from __future__ import annotations

import pytest

from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.errors import AdelieError
from adelie.schema import (
    Event,
    EventRelation,
    Example,
    OpenTuple,
    Relation,
    Table,
    Task,
    make_argument,
    make_span,
)
from adelie.tasks import LabelMapError, TaskError, get_task, instances_for


def span(text: str, sub: str, label: str | None = None, nth: int = 0):  # type: ignore[no-untyped-def]
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return make_span(text, start, start + len(sub), label)


TEXT = "Obama was born in Hawaii. Obama later led the USA."
ENTITIES = (span(TEXT, "Hawaii", "LOC"), span(TEXT, "Obama", "PER"), span(TEXT, "USA", "LOC"),
            span(TEXT, "Obama", None, 1))
NER_MAP = {"PER": "person", "LOC": "location", "ORG": "organization", "GPE": "location"}


def example(**fields) -> Example:  # type: ignore[no-untyped-def]
    return Example(**{"id": "ex1", "dataset": "toy", "split": "train", "text": TEXT, **fields})


def test_ner() -> None:
    [inst] = get_task("ner").instances(example(entities=ENTITIES), NER_MAP)
    assert inst.task == Task.NER and inst.text == TEXT and inst.example_id == "ex1"
    assert inst.labels == ("person", "location", "organization")  # map order, no repeats
    assert inst.gold == (("Obama", "person"), ("Hawaii", "location"), ("USA", "location"))  # text order


def test_ner_label_map_errors() -> None:
    with pytest.raises(LabelMapError, match=r"ex1.*'LOC' is not in the label map"):
        get_task("ner").instances(example(entities=ENTITIES), {"PER": "person"})
    with pytest.raises(LabelMapError, match="empty"):
        get_task("ner").instances(example(entities=ENTITIES), {})


def relations() -> tuple[Relation, ...]:
    obama, hawaii, usa = span(TEXT, "Obama"), span(TEXT, "Hawaii"), span(TEXT, "USA")
    return (Relation(head=obama, tail=hawaii, label="born"), Relation(head=hawaii, tail=usa, label="Other"),
            Relation(head=span(TEXT, "Obama", nth=1), tail=usa, label="lead"))


REL_MAP = {"born": "born in", "lead": "leader of", "Other": "other"}


def test_relation_classification() -> None:
    insts = get_task(Task.RELATION_CLASSIFICATION).instances(example(relations=relations()), REL_MAP, "Other")
    assert [i.gold for i in insts] == [(("born in",),), (), (("leader of",),)]
    assert insts[0].labels == ("born in", "leader of")  # the no-relation label is not offered
    assert insts[1].query == {"head": "Hawaii", "tail": "USA"}
    # "Obama" occurs twice: the query names which one with its context
    assert insts[0].query["head"] == 'Obama (in "Obama was born in Hawaii.")'
    assert insts[2].query["head"] == 'Obama (in "was born in Hawaii. Obama later led the USA.")'
    assert insts[0].meta["head_text"] == "Obama"
    assert len({i.meta["instance_id"] for i in insts}) == 3


def test_relation_extraction() -> None:
    [inst] = get_task(Task.RELATION_EXTRACTION).instances(example(relations=relations()), REL_MAP, "Other")
    assert inst.gold == (("Obama", "born in", "Hawaii"), ("Obama", "leader of", "USA"))
    assert inst.labels == ("born in", "leader of")
    [inst] = get_task(Task.RELATION_EXTRACTION).instances(example(relations=relations()), REL_MAP)
    assert ("Hawaii", "other", "USA") in inst.gold


LONG = " ".join(f"Sentence {i} says the army attacked town {i}." for i in range(6))


def long_example() -> Example:
    sents, pos = [], 0
    for part in LONG.split(" Sentence"):
        body = part if not sents else "Sentence" + part
        start = LONG.index(body, pos)
        sents.append((start, start + len(body)))
        pos = start + len(body)
    events = []
    for i in range(6):
        trig = span(LONG, "attacked", nth=i)
        place = span(LONG, f"town {i}")
        army = span(LONG, "the army", nth=i)
        args = (make_argument(LONG, place.start, place.end, "place"),
                make_argument(LONG, army.start, army.end, "attacker"))
        if i == 2:
            args += (make_argument(LONG, army.start, army.end, "weird"),)
        events.append(Event(trigger=trig, type="Conflict.Attack", arguments=args))
    return Example(id="doc", dataset="toy", split="train", text=LONG, sentences=tuple(sents), events=tuple(events))


def test_event_detection_windows() -> None:
    ed = get_task(Task.EVENT_DETECTION)
    ex = long_example()
    [whole] = ed.instances(ex, {"Conflict.Attack": "attack"})
    assert whole.text == LONG and len(whole.gold) == 1  # same (trigger, type) six times: one item
    ed.max_chars = 100  # type: ignore[misc]
    try:
        insts = ed.instances(ex, {"Conflict.Attack": "attack"})
    finally:
        del ed.max_chars
    assert len(insts) == 3 and all(len(i.text) <= 100 for i in insts)
    assert " ".join(i.text for i in insts) == LONG
    assert all(i.gold == (("attacked", "attack"),) for i in insts)
    assert [i.meta["instance_id"] for i in insts] == ["doc#w0", "doc#w1", "doc#w2"]


def test_event_arguments() -> None:
    eae = get_task(Task.EVENT_ARGUMENTS)
    roles = {"place": "place", "attacker": "attacker", "target": "target", "weird": "weird role"}
    insts = eae.instances(long_example(), roles, {"Conflict.Attack": "attack"},
                          {"Conflict.Attack": ("attacker", "target", "place")})
    assert len(insts) == 6
    third = insts[2]
    assert third.labels == ("attacker", "target", "place")
    assert third.query["event_type"] == "attack"
    assert third.query["trigger"].startswith('attacked (in "')
    assert set(third.gold) == {("town 2", "place"), ("the army", "attacker")}
    assert third.meta["dropped_roles"] == ("weird role",)
    # without per-type role lists every role is offered; without an event type map the raw type shows
    [first, *_] = eae.instances(long_example(), roles)
    assert first.labels == ("place", "attacker", "target", "weird role") and first.query["event_type"] == (
        "Conflict.Attack")


def test_event_arguments_window_keeps_the_trigger() -> None:
    eae = get_task(Task.EVENT_ARGUMENTS)
    eae.max_chars = 100  # type: ignore[misc]
    try:
        insts = eae.instances(long_example(), {"place": "place", "attacker": "attacker", "weird": "w"})
    finally:
        del eae.max_chars
    for i, inst in enumerate(insts):
        assert f"town {i}" in inst.text and len(inst.text) <= 100
        assert ("the army", "attacker") in inst.gold


def test_event_relation_uses_the_sentences_of_both_triggers() -> None:
    text = "He said it rained. Then he left. Later he slept."
    sents = ((0, 18), (19, 32), (33, 48))
    rels = (EventRelation(head=span(text, "said"), tail=span(text, "left"), label="BEFORE"),
            EventRelation(head=span(text, "slept"), tail=span(text, "left"), label="AFTER"))
    ex = Example(id="m", dataset="matres", split="test", text=text, sentences=sents, event_relations=rels)
    insts = get_task(Task.EVENT_RELATION).instances(ex, {"BEFORE": "before", "AFTER": "after"})
    assert insts[0].text == "He said it rained. Then he left."
    assert insts[1].text == "Then he left. Later he slept."
    assert insts[0].query == {"head": "said", "tail": "left"}
    assert insts[1].query == {"head": "slept", "tail": "left"}
    assert insts[0].gold == (("before",),) and insts[0].labels == ("before", "after")


def test_open_ie_and_on_demand() -> None:
    ex = example(tuples=(OpenTuple(predicate="was born in", arguments=("Obama", "Hawaii")),
                         OpenTuple(predicate="led", arguments=("Obama", "the USA"))))
    [inst] = get_task(Task.OPEN_IE).instances(ex, {})
    assert inst.gold == (("was born in", "Obama", "Hawaii"), ("led", "Obama", "the USA"))
    table = Table(header=("Person", "Birthplace"), rows=(("Obama", "Hawaii"),))
    [inst] = get_task(Task.ON_DEMAND).instances(example(instruction="List people and birthplaces.", table=table), {})
    assert inst.table == table and inst.query == {"instruction": "List people and birthplaces."}
    with pytest.raises(AdelieError, match="needs an instruction"):
        get_task(Task.ON_DEMAND).instances(example(), {})


def test_instances_from_spec() -> None:
    spec = DatasetSpec(name="toy", folder="toy", tasks=(Task.NER, Task.RELATION_CLASSIFICATION),
                       splits=(SplitSpec("train", "train", 1),), licence_class="open", reader=lambda *a: [],
                       entity_labels=NER_MAP, relation_labels=REL_MAP, no_relation="Other")
    ex = example(entities=ENTITIES, relations=relations())
    assert instances_for("ner", ex, spec)[0].labels == ("person", "location", "organization")
    assert [i.gold for i in instances_for(Task.RELATION_CLASSIFICATION, ex, spec)][1] == ()


def test_get_task() -> None:
    assert get_task("ner") is get_task(Task.NER)
    with pytest.raises(TaskError, match="unknown task 'nre'"):
        get_task("nre")
