"""Scoring records and aggregating them: micro sums, task and family averages, ADELIE compat rules."""

from __future__ import annotations

from typing import Any

import pytest

from adelie.evaluate.compat import compat_counts
from adelie.evaluate.metrics import aggregate, score_record
from adelie.instruct.records import instance_to_dict
from adelie.schema import Task
from adelie.tasks import Instance, get_task


def _ner(i: int, gold: tuple[tuple[str, str], ...], dataset: str = "crossner_music") -> Instance:
    return Instance(task=Task.NER, dataset=dataset, example_id=f"e{i}", text="Bob met Alice in Paris.", gold=gold,
                    labels=("person", "location"))


def _rc(label: str | None, dataset: str = "semeval2010_task8") -> Instance:
    return Instance(task=Task.RELATION_CLASSIFICATION, dataset=dataset, example_id="r", text="A causes B.",
                    gold=((label,),) if label else (), labels=("causes", "is caused by"),
                    query={"head": "A", "tail": "B"})


def _record(inst: Instance, output: str, i: int = 0, split: str = "test") -> dict[str, Any]:
    name = f"{inst.dataset}/{split}/{inst.task.value}"
    return {"key": f"{name}/{i}", "set": name, "dataset": inst.dataset, "split": split, "task": inst.task.value,
            "output": output, "mean_logprob": -0.5, "instance": instance_to_dict(inst)}


def test_perfect_and_empty_answers_sum_micro() -> None:
    ner = get_task(Task.NER)
    two = _ner(0, (("Bob", "person"), ("Paris", "location")))
    one = _ner(1, (("Alice", "person"),))
    records = [_record(two, ner.render_answer(two, "canonical"), 0), _record(one, "NA", 1)]
    metrics = aggregate(records, draws=50)
    m = metrics["sets"]["crossner_music/test/ner"]
    assert m["counts"] == [2, 2, 2, 3]
    assert m["precision"] == 1.0 and m["recall"] == pytest.approx(2 / 3) and m["f1"] == pytest.approx(0.8)
    assert m["n"] == 2 and m["parsed"] == 1.0
    assert m["f1_ci"][0] <= m["f1"] <= m["f1_ci"][1]
    assert metrics["tasks"] == {"ner": pytest.approx(0.8)}
    assert metrics["families"] == {"closed": pytest.approx(0.8)}


def test_family_average_is_mean_of_set_f1() -> None:
    ner = get_task(Task.NER)
    a = _ner(0, (("Bob", "person"),))
    b = _ner(0, (("Bob", "person"),), dataset="mit_restaurant")
    records = [_record(a, ner.render_answer(a, "canonical")), _record(b, "Alice: person")]
    metrics = aggregate(records, draws=20)
    assert metrics["sets"]["mit_restaurant/test/ner"]["f1"] == 0.0
    assert metrics["families"]["closed"] == pytest.approx(0.5)


def test_score_record_never_raises_on_garbage() -> None:
    s = score_record(_record(_ner(0, (("Bob", "person"),)), "\x00 ]]] {{{ lorem"))
    assert s["counts"].tp_gold == 0 and s["counts"].gold == 1


def test_semeval_compat_drops_off_list_answers_from_recall() -> None:
    rc = get_task(Task.RELATION_CLASSIFICATION)
    inst = _rc("causes")
    off_list = rc.parse("is the topic of", inst)
    own = rc.score(off_list, inst)
    adelie = compat_counts("adelie", off_list, inst)
    assert own.gold == 1
    assert adelie is not None and (adelie.pred, adelie.gold) == (0, 0)
    right = compat_counts("adelie", rc.parse("causes", inst), inst)
    assert right is not None and (right.tp_pred, right.pred, right.gold) == (1, 1, 1)
    na = compat_counts("adelie", rc.parse("NA", inst), inst)
    assert na is not None and (na.pred, na.gold) == (0, 1)
    assert compat_counts("none", off_list, inst) is None
    assert compat_counts("adelie", off_list, _rc("causes", dataset="fewrel")) is None


def test_fewnerd_compat_ignores_off_list_types_and_keeps_one_type_per_entity() -> None:
    ner = get_task(Task.NER)
    inst = Instance(task=Task.NER, dataset="fewnerd_inter", example_id="f", text="Bob plays in Paris.",
                    gold=(("Bob", "athlete"),), labels=("athlete", "actor"))
    parsed = ner.parse("Bob: athlete; Paris: city", inst)
    own = ner.score(parsed, inst)
    adelie = compat_counts("adelie", parsed, inst)
    assert own.pred == 2
    assert adelie is not None and (adelie.tp_pred, adelie.pred, adelie.gold) == (1, 1, 1)
    twice = compat_counts("adelie", ner.parse("Bob: athlete; Bob: actor", inst), inst)
    assert twice is not None and (twice.tp_pred, twice.pred) == (0, 1)  # the last type read wins


def test_off_list_and_ungrounded_rates_answer_tokens_and_seconds() -> None:
    """Hand-counted: 3 NER items, one with a label not offered (planet), one span not in the text (Kenya); an RC
    answer with an off-list label; the rates are None where nothing was predicted."""
    ner = _ner(0, (("Bob", "person"),))
    records = [
        {**_record(ner, "[Answer]: Bob: person; Kenya: location; Paris: planet", 0), "num_tokens": 12,
         "seconds": 0.5, "decoding": "free"},
        {**_record(ner, "NA", 1), "num_tokens": 2, "seconds": 0.25, "decoding": "free"},
    ]
    m = aggregate(records, draws=20)["sets"]["crossner_music/test/ner"]
    assert m["off_list"] == pytest.approx(1 / 3) and m["ungrounded"] == pytest.approx(1 / 3)
    assert m["answer_tokens"] == 7 and m["seconds"] == 0.75 and m["decoding"] == ["free"]
    rc = aggregate([_record(_rc("causes"), "[Answer]: kills")], draws=20)["sets"]["semeval2010_task8/test/"
                                                                                   "relation_classification"]
    assert rc["off_list"] == 1.0 and rc["ungrounded"] is None  # relation classification predicts no spans
    empty = aggregate([_record(ner, "NA")], draws=20)["sets"]["crossner_music/test/ner"]
    assert empty["off_list"] is None and empty["ungrounded"] is None
    assert empty["decoding"] == ["free"]  # records from before the field existed were decoded freely
