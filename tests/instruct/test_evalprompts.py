"""Held-out prompt files: eval-only templates, gold last, rebuildable instances, k-shot from training data."""

import pytest
from fake_data import install

from adelie.errors import AdelieError
from adelie.instruct.evalprompts import build_eval_prompts, eval_splits
from adelie.instruct.records import instance_from_dict, read_jsonl
from adelie.tasks import get_task


@pytest.fixture
def fake(monkeypatch, tmp_path):
    return install(monkeypatch, tmp_path)


def test_zero_shot_records_rebuild_their_instances(fake, tmp_path):
    manifest = build_eval_prompts(tmp_path / "ev", shots=0)
    assert set(manifest["datasets"]) == {"toyheld"}
    records = read_jsonl(tmp_path / "ev" / "toyheld.jsonl")
    assert len(records) == 10 and manifest["datasets"]["toyheld"]["records"] == 10
    eval_ids = {t.id for t in get_task("ner").templates("eval")}
    for r in records:
        assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
        assert r["metadata"]["template"] in eval_ids and r["metadata"]["split"] == "test"
        inst = instance_from_dict(r["instance"])
        task = get_task(inst.task)
        parsed = task.parse(r["messages"][-1]["content"], inst)
        c = task.score(parsed, inst)
        assert c.tp_gold == c.gold and c.tp_pred == c.pred
        assert inst.text in r["messages"][0]["content"]


def test_k_shot_demonstrations_come_from_the_same_tasks_training_data(fake, tmp_path):
    manifest = build_eval_prompts(tmp_path / "ev", shots=4, seed=3)
    records = read_jsonl(tmp_path / "ev" / "toyheld.jsonl")
    assert manifest["datasets"]["toyheld"]["with_demonstrations"] == 10
    for r in records:
        assert len(r["messages"]) == 10 and r["metadata"]["shots"] == 4
        demo_prompts = " ".join(m["content"] for m in r["messages"][:-2])
        assert "Held-out sentence" not in demo_prompts  # demonstrations are training text, not held-out text
    again = build_eval_prompts(tmp_path / "ev2", shots=4, seed=3)
    assert again == manifest
    assert (tmp_path / "ev" / "toyheld.jsonl").read_bytes() == (tmp_path / "ev2" / "toyheld.jsonl").read_bytes()


def test_limit_and_names(fake, tmp_path):
    manifest = build_eval_prompts(tmp_path / "ev", names=["toyheld"], limit=4)
    assert manifest["datasets"]["toyheld"]["records"] == 4
    with pytest.raises(AdelieError, match="toyner has no held-out split"):
        build_eval_prompts(tmp_path / "ev", names=["toyner"])


def test_eval_split_choice(fake):
    assert eval_splits(fake["toyheld"]) == ["test"]
    assert eval_splits(fake["toyner"]) == []
