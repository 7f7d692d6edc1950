"""adelie.feedback: pairing rules on handcrafted scores, held-out refusal, the build on fixture data (with a
scripted generator and with the tiny model), resume from the sample cache, config loading."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from adelie.errors import AdelieError, HeldOutError
from adelie.feedback import FeedbackConfig, build_feedback, draw_prompts, load_feedback_config, make_pair, train_splits
from adelie.generate import Output

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = ["s0", "s1", "s2", "s3"]


def test_best_vs_worst_picks_highest_and_lowest_earliest_on_ties() -> None:
    pair = make_pair(SAMPLES, [0.5, 1.0, 0.0, 0.0], "gold", random.Random(0), margin=0.1, gold_share=0.0)
    assert pair is not None
    assert (pair.kind, pair.chosen, pair.rejected, pair.gap) == ("best_vs_worst", "s1", "s2", 1.0)


def test_gold_vs_worst_uses_the_gold_answer() -> None:
    pair = make_pair(SAMPLES, [0.5, 0.25, 0.75, 0.3], "gold", random.Random(0), margin=0.1, gold_share=1.0)
    assert pair is not None
    assert (pair.kind, pair.chosen, pair.rejected, pair.chosen_score, pair.rejected_score) == (
        "gold_vs_worst", "gold", "s1", 1.0, 0.25)


def test_small_gaps_and_all_perfect_samples_give_no_pair() -> None:
    assert make_pair(SAMPLES[:2], [0.6, 0.7], "gold", random.Random(0), margin=0.1, gold_share=0.0) is None
    assert make_pair(SAMPLES[:2], [0.6, 0.75], "gold", random.Random(0), margin=0.1, gold_share=0.0) is not None
    assert make_pair(SAMPLES[:2], [0.95, 0.95], "gold", random.Random(0), margin=0.1, gold_share=0.0) is None
    assert make_pair(SAMPLES[:2], [0.95, 0.95], "gold", random.Random(0), margin=0.1, gold_share=1.0) is None
    assert make_pair(SAMPLES[:2], [1.0, 1.0], "gold", random.Random(0), margin=0.0, gold_share=1.0) is None


def test_gold_share_is_respected_over_many_prompts() -> None:
    r = random.Random(5)
    kinds = [make_pair(SAMPLES, [0.0, 1.0, 0.5, 0.5], "gold", r, gold_share=0.7).kind for _ in range(2000)]
    assert 0.66 < kinds.count("gold_vs_worst") / len(kinds) < 0.74


@pytest.mark.parametrize("name", ["semeval2010_task8", "crossner_ai", "carb"])
def test_held_out_datasets_are_refused(name: str) -> None:
    from adelie.datasets import registry

    if name not in registry.all_specs():
        pytest.skip(f"{name} is not registered under that name")
    with pytest.raises(HeldOutError, match=name):
        train_splits(FeedbackConfig(datasets=[name]))


def test_config_section_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("feedback:\n  samples: 3\n  margin: 0.2\n")
    cfg = load_feedback_config(path)
    assert (cfg.samples, cfg.margin, cfg.gold_share) == (3, 0.2, 0.7)
    path.write_text("feedback:\n  sample: 3\n")
    with pytest.raises(AdelieError, match="sample"):
        load_feedback_config(path)
    path.write_text("feedback:\n  gold_share: 1.5\n")
    with pytest.raises(AdelieError, match="gold_share"):
        load_feedback_config(path)


class ScriptedGenerator:
    """Answers each prompt with scripted samples: the gold answer for the first prompt only, garbage otherwise."""

    def __init__(self, golds: dict[str, str]) -> None:
        self.golds = golds
        self.calls = 0

    def generate(self, conversations, config, grammars=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        out = []
        for convo in conversations:
            gold = self.golds[convo[-1]["content"]]
            texts = [gold, gold] if "Kell" in convo[-1]["content"] else [gold, "no idea"]
            out.append([Output(t, [], [], "stop") for t in texts][: config.n])
        return out


def _cfg(**kw) -> FeedbackConfig:  # type: ignore[no-untyped-def]
    values = dict(datasets=["conll04"], data_dir=str(FIXTURES), prompts_per_dataset=4, samples=2, gold_share=0.0,
                  max_new_tokens=8, batch_size=2, overlap_guard=False)  # fixtures lack the protected splits
    values.update(kw)
    return FeedbackConfig(**values)  # type: ignore[arg-type]


def test_build_writes_trl_preference_pairs_and_manifest(tmp_path: Path) -> None:
    cfg = _cfg()
    golds = {p.messages[-1]["content"]: p.gold for p in draw_prompts(cfg)}
    gen = ScriptedGenerator(golds)
    manifest = build_feedback("scripted", cfg, tmp_path / "fb", generator=gen)
    pairs = [json.loads(line) for line in (tmp_path / "fb" / "pairs.jsonl").read_text().splitlines()]
    assert manifest["prompts"] == 4 and manifest["dropped_all_perfect"] == 2  # the Kell prompts: all samples perfect
    assert len(pairs) == 2 and manifest["pairs_by_kind"] == {"gold_vs_worst": 0, "best_vs_worst": 2}
    assert manifest["mean_gap"] == 1.0
    for rec in pairs:
        # TRL's conversational preference format (DPOTrainer renders prompt + chosen / prompt + rejected)
        assert set(rec) == {"prompt", "chosen", "rejected", "metadata"}
        assert all(set(m) == {"role", "content"} for m in rec["prompt"] + rec["chosen"] + rec["rejected"])
        assert rec["prompt"][-1]["role"] == "user" and rec["chosen"][0]["role"] == "assistant"
        assert rec["chosen"][0]["content"] == golds[rec["prompt"][-1]["content"]]
        assert rec["rejected"] == [{"role": "assistant", "content": "no idea"}]
        assert rec["metadata"]["dataset"] == "conll04" and rec["metadata"]["scores"] == [1.0, 0.0]
    assert sum(manifest["scores_by_task"]["ner"]["histogram"].values()) == 4

    # resume: the cache answers everything (a partial last line is dropped and regenerated)
    cache = tmp_path / "fb" / "samples.jsonl"
    lines = cache.read_text().splitlines(keepends=True)
    cache.write_text("".join(lines[:-1]) + lines[-1][:10])
    calls = gen.calls
    again = build_feedback("scripted", cfg, tmp_path / "fb", generator=gen)
    assert gen.calls == calls + 1 and again == manifest
    assert cache.read_text().splitlines() == [line.rstrip("\n") for line in lines]
    with pytest.raises(AdelieError, match="another model or config"):
        build_feedback("scripted", _cfg(margin=0.2), tmp_path / "fb", generator=gen)


def test_build_with_the_tiny_model_is_seeded(tiny_model_dir: Path, tmp_path: Path) -> None:
    cfg = _cfg(prompts_per_dataset=2, samples=3, max_new_tokens=6, gold_share=0.7)
    for name in ("a", "b"):
        build_feedback(str(tiny_model_dir), cfg, tmp_path / name)
    first = (tmp_path / "a" / "samples.jsonl").read_text()
    assert first == (tmp_path / "b" / "samples.jsonl").read_text()
    assert len(first.splitlines()) == 2
    assert (tmp_path / "a" / "pairs.jsonl").read_text() == (tmp_path / "b" / "pairs.jsonl").read_text()


def test_overlap_guard_drops_examples_with_held_out_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    from adelie.instruct import guard

    index = guard.ProtectedIndex()
    index.add(index.text_keys("Kell Systems Inc. is based in Lyon, France."))
    monkeypatch.setattr(guard, "protected_index", lambda root=None: index)
    kept = draw_prompts(_cfg(overlap_guard=True))
    assert kept and not any("Kell" in p.inst.text for p in kept)
    assert any("Kell" in p.inst.text for p in draw_prompts(_cfg()))


def test_cli_builds_and_refuses_held_out(tiny_model_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from adelie.cli import app

    command = ["build", "feedback"] if any(g.name == "build" for g in app.registered_groups) else ["feedback"]
    config = tmp_path / "c.yaml"
    config.write_text(f"feedback:\n  datasets: [conll04]\n  data_dir: {FIXTURES}\n  prompts_per_dataset: 1\n"
                      "  samples: 2\n  max_new_tokens: 4\n  overlap_guard: false\n")
    args = [*command, "--model", str(tiny_model_dir), "--config", str(config), "--out", str(tmp_path / "fb")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "fb" / "manifest.json").read_text())["prompts"] == 1
    config.write_text("feedback:\n  datasets: [semeval2010_task8]\n")
    result = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "fb2")])
    assert isinstance(result.exception, HeldOutError)


def test_register_prefers_the_build_group() -> None:
    import typer

    from adelie.cli import feedback

    root, build = typer.Typer(), typer.Typer()
    root.add_typer(build, name="build")
    feedback.register(root)
    assert [c.name for c in build.registered_commands] == ["feedback"] and not root.registered_commands


def test_constrained_feedback_sampling_passes_a_grammar_per_prompt(tmp_path: Path) -> None:
    cfg = _cfg()
    golds = {p.messages[-1]["content"]: p.gold for p in draw_prompts(cfg)}
    seen: list = []

    class Recording(ScriptedGenerator):
        def generate(self, conversations, config, grammars=None):  # type: ignore[no-untyped-def]
            seen.append(grammars)
            return super().generate(conversations, config)

    build_feedback("scripted", cfg, tmp_path / "free", generator=Recording(golds))
    assert seen and all(g is None for g in seen)  # free by default: pairs need the model's own mistakes
    seen.clear()
    build_feedback("scripted", _cfg(decoding="constrained"), tmp_path / "c", generator=Recording(golds))
    assert seen and all(g is not None and all(x.startswith("root ::= ") for x in g) for g in seen)
    with pytest.raises(AdelieError, match="decoding must be constrained or free"):
        _cfg(decoding="greedy").check()
