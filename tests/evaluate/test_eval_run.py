"""The evaluation loop on handwritten fixtures: prompts, resume, run checks, the CLI with the tiny model, and
the comparison report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adelie.cli import app
from adelie.errors import AdelieError
from adelie.evaluate import EvalConfig, build_items, compare_markdown, read_predictions, resolve_suite, run_eval
from adelie.evaluate.prompts import pick
from adelie.evaluate.run import RunMismatchError
from adelie.evaluate.suites import HELDOUT, EvalSet, SuiteError
from adelie.generate import Output
from adelie.schema import Task
from adelie.tasks import get_task

FIXTURES = str(Path(__file__).parent.parent / "fixtures")
SUITE = "semeval2010_task8:test,carb:dev"


class Fake:
    """A model stand-in that answers NA and counts the prompts it saw."""

    def __init__(self) -> None:
        self.seen = 0
        self.budgets: list[int] = []
        self.grammars: list[str | None] = []

    def __call__(self, convs: Sequence[list[dict[str, str]]], budget: int = 512,
                 grammars: Sequence[str | None] | None = None) -> list[Output]:
        self.seen += len(convs)
        self.budgets.append(budget)
        self.grammars += list(grammars) if grammars is not None else [None] * len(convs)
        return [Output("NA", [1], [-0.5], "stop") for _ in convs]


def _config(**kw: object) -> EvalConfig:
    base: dict[str, object] = dict(model="fake", suite=SUITE, limit=3, draws=50, data_dir=FIXTURES)
    return EvalConfig(**{**base, **kw})  # type: ignore[arg-type]


def test_heldout_suite_covers_the_paper_sets() -> None:
    sets = resolve_suite("heldout")
    assert len(sets) == len(HELDOUT) == 16
    assert EvalSet("wikievents", "test", Task.EVENT_DETECTION) in sets
    assert EvalSet("matres", "platinum", Task.EVENT_RELATION) in sets
    assert [es.dataset for es in resolve_suite("heldout", ["carb"])] == ["carb"]
    with pytest.raises(SuiteError, match="not in suite"):
        resolve_suite("heldout", ["conll2003"])
    with pytest.raises(SuiteError, match="no task"):
        resolve_suite("carb:test:ner")


def test_prompts_are_seeded_and_limit_is_a_subset() -> None:
    es = resolve_suite("carb:dev")[0]
    full = build_items(es, root=FIXTURES)
    assert len(full) == 3 and all(it.template.startswith("open_ie/eval/") for it in full)
    picked = [it.key for it in build_items(es, limit=2, seed=3, root=FIXTURES)]
    assert len(picked) == 2 and set(picked) <= {it.key for it in full}
    assert picked == sorted(picked, key=lambda k: int(k.rsplit("/", 1)[1]))  # kept in reader order
    es = resolve_suite("semeval2010_task8:test")[0]  # demonstrations from its train split
    full = build_items(es, root=FIXTURES)
    a = build_items(es, limit=1, seed=3, shots=1, root=FIXTURES)
    assert [it.messages for it in a] == [it.messages for it in build_items(es, limit=1, seed=3, shots=1, root=FIXTURES)]
    assert len(full) == 2 and len(a) == 1 and {it.key for it in a} <= {it.key for it in full}
    assert all(it.shots == 1 and len(it.messages) == 3 for it in a)
    assert all(it.messages[0]["content"] != it.messages[2]["content"] for it in a)


def test_limits_are_nested_and_seeded() -> None:
    es = EvalSet("carb", "test", Task.OPEN_IE)
    small, large = pick(es, 100, 5, seed=1), pick(es, 100, 20, seed=1)
    assert len(small) == 5 and len(large) == 20 and set(small) <= set(large) and large == sorted(large)
    assert pick(es, 100, 20, seed=1) == large != pick(es, 100, 20, seed=2)
    assert pick(es, 3, 10, seed=1) == [0, 1, 2]


def test_run_writes_and_resumes(tmp_path: Path) -> None:
    fake = Fake()
    metrics = run_eval(_config(), tmp_path, generate=fake)
    records = read_predictions(tmp_path / "predictions.jsonl")
    assert fake.seen == len(records) == 5  # 2 SemEval pairs + 3 CaRB sentences
    assert set(metrics["sets"]) == {"semeval2010_task8/test/relation_classification", "carb/dev/open_ie"}
    assert json.loads((tmp_path / "metrics.json").read_text())["sets"] == metrics["sets"]
    assert "## Open IE" in (tmp_path / "report.md").read_text()

    again = Fake()
    assert run_eval(_config(), tmp_path, generate=again)["sets"] == metrics["sets"]
    assert again.seen == 0

    lines = (tmp_path / "predictions.jsonl").read_text().splitlines()
    (tmp_path / "predictions.jsonl").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])  # torn last write
    third = Fake()
    run_eval(_config(), tmp_path, generate=third)
    assert third.seen == 1 and len(read_predictions(tmp_path / "predictions.jsonl")) == 5

    with pytest.raises(RunMismatchError, match="shots"):
        run_eval(_config(shots=4), tmp_path, generate=Fake())
    with pytest.raises(AdelieError, match="--limit"):
        _config(limit=0)


def test_cli_eval_with_tiny_model_and_report(tmp_path: Path, tiny_model_dir: Path) -> None:
    runner = CliRunner()
    args = ["eval", "--model", str(tiny_model_dir), "--suite", SUITE, "--limit", "3", "--max-new-tokens", "8",
            "--draws", "50", "--data-dir", FIXTURES]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert "carb/dev/open_ie: F1" in first.output
    records = read_predictions(tmp_path / "a" / "predictions.jsonl")
    assert len(records) == 5 and all(r["finish_reason"] in ("stop", "length", "repetition") for r in records)
    resumed = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--compat", "adelie"])
    assert resumed.exit_code == 0, resumed.output
    assert len(read_predictions(tmp_path / "a" / "predictions.jsonl")) == 5
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["compat"] == "adelie"

    fake = run_eval(_config(), tmp_path / "b", generate=Fake())
    assert fake["sets"]
    report = runner.invoke(app, ["report", str(tmp_path / "a"), str(tmp_path / "b"), "--labels", "tiny,na",
                                 "--out", str(tmp_path / "cmp" / "report.md")])
    assert report.exit_code == 0, report.output
    text = (tmp_path / "cmp" / "report.md").read_text()
    assert "| set | tiny | na |" in text and "## Summary" in text
    for task in ("relation_classification", "open_ie"):
        png = tmp_path / "cmp" / f"report_{task}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_of_missing_run_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert isinstance(result.exception, AdelieError) and "metrics.json" in str(result.exception)


def test_compare_without_charts(tmp_path: Path) -> None:
    metrics = run_eval(_config(), tmp_path / "r", generate=Fake())
    text = compare_markdown(["x"], [metrics], tmp_path / "o.md", charts=False)
    assert "semeval2010_task8/test" in text and not list(tmp_path.glob("o_*.png"))


def test_run_from_built_eval_prompts(tmp_path: Path) -> None:
    from adelie.instruct.evalprompts import build_eval_prompts

    build_eval_prompts(tmp_path / "prompts", names=["semeval2010_task8"], data_dir=FIXTURES)
    fake = Fake()
    config = _config(suite="semeval2010_task8:test", prompts=str(tmp_path / "prompts"))
    metrics = run_eval(config, tmp_path / "run", generate=fake)
    records = read_predictions(tmp_path / "run" / "predictions.jsonl")
    assert fake.seen == 2 and metrics["sets"]["semeval2010_task8/test/relation_classification"]["n"] == 2
    assert all(r["messages"][-1]["role"] == "user" for r in records)  # the gold turn is not shown to the model
    with pytest.raises(AdelieError, match="eval-prompts"):
        run_eval(_config(suite="carb:dev", prompts=str(tmp_path / "prompts")), tmp_path / "run2", generate=Fake())


def test_gold_answers_score_one_on_every_task_kind(tmp_path: Path) -> None:
    from adelie.tasks import get_task

    suite = "odie:test,wikievents:test,rams:test,semeval2010_task8:test"
    gold = {}
    for es in resolve_suite(suite):
        for it in build_items(es, root=FIXTURES):
            gold[it.messages[-1]["content"]] = get_task(es.task).render_answer(it.inst, "canonical")

    def oracle(convs: Sequence[list[dict[str, str]]], budget: int, grammars: object = None) -> list[Output]:
        return [Output(gold[c[-1]["content"]], [1], [-0.1], "stop") for c in convs]

    metrics = run_eval(_config(suite=suite), tmp_path, generate=oracle)
    assert {m["task"] for m in metrics["sets"].values()} == {
        "on_demand", "event_detection", "event_arguments", "relation_classification"}
    for name, m in metrics["sets"].items():
        if m["counts"][3]:  # sets with gold items
            assert m["f1"] == pytest.approx(1.0), name
        assert m["parsed"] == 1.0, name
    assert metrics["sets"]["odie/test/on_demand"]["content_rouge"] == pytest.approx(1.0)
    assert set(metrics["families"]) == {"closed", "on-demand"}


def test_demonstrations_stay_within_the_character_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    import adelie.evaluate.prompts as prompts

    es = resolve_suite("semeval2010_task8:test")[0]
    (item,) = build_items(es, limit=1, seed=3, shots=1, root=FIXTURES)
    demo = sum(len(m["content"]) for m in item.messages[:2])
    monkeypatch.setattr(prompts, "DEMO_CHARS", demo)  # exactly fits: kept
    assert build_items(es, limit=1, seed=3, shots=1, root=FIXTURES)[0].shots == 1
    monkeypatch.setattr(prompts, "DEMO_CHARS", 10)  # nothing fits: zero-shot, and the record says so
    (short,) = build_items(es, limit=1, seed=3, shots=1, root=FIXTURES)
    assert short.shots == 0 and short.messages == item.messages[2:]


def test_answer_budget_follows_the_longest_gold_answer_of_the_set(tmp_path: Path) -> None:
    from adelie.evaluate.prompts import answer_budget

    assert answer_budget(0, 512) == 512  # nothing known: the cap
    assert answer_budget(3, 512) == 64  # "NA": the floor
    assert answer_budget(300, 512) == 232  # 2 x 300 / 3 + 32
    assert answer_budget(3000, 512) == 512  # never above the cap
    es = resolve_suite("semeval2010_task8:test")[0]
    items = build_items(es, root=FIXTURES)
    longest = max(len(get_task(es.task).render_answer(it.inst, "canonical")) for it in
                  build_items(es, root=FIXTURES))
    assert {it.longest_gold for it in items} == {longest}
    assert {it.longest_gold for it in build_items(es, limit=1, root=FIXTURES)} == {longest}  # not the subset's
    fake = Fake()
    run_eval(_config(suite="semeval2010_task8:test", max_new_tokens=100), tmp_path, generate=fake)
    assert fake.budgets == [answer_budget(longest, 100)]


def test_decoding_is_part_of_the_identity_and_grammars_reach_the_generator(tmp_path: Path) -> None:
    fake = Fake()
    metrics = run_eval(_config(), tmp_path / "c", generate=fake)
    assert metrics["run"]["decoding"] == "constrained"  # the default
    assert fake.grammars and all(g is not None and g.startswith("root ::= ") for g in fake.grammars)
    assert all(m["decoding"] == ["constrained"] for m in metrics["sets"].values())
    with pytest.raises(RunMismatchError, match="decoding"):
        run_eval(_config(decoding="free"), tmp_path / "c", generate=Fake())
    free = Fake()
    assert run_eval(_config(decoding="free"), tmp_path / "f", generate=free)["run"]["decoding"] == "free"
    assert free.grammars and all(g is None for g in free.grammars)
    assert "decoding `free`" in (tmp_path / "f" / "report.md").read_text()
    with pytest.raises(AdelieError, match="unknown --decoding 'greedy'"):
        _config(decoding="greedy")


def test_gold_answers_of_the_fixture_sets_fit_their_grammars(tmp_path: Path, tiny_tokenizer) -> None:
    """The grammar of every fixture prompt accepts the prompt's gold answer (so constrained decoding can be right)
    for the sets whose gold is copied from the text (CaRB and ODIE gold may not be)."""
    from adelie.constrained import GrammarEngine
    from adelie.evaluate.run import item_grammar

    engine = GrammarEngine(tiny_tokenizer, len(tiny_tokenizer), [tiny_tokenizer.eos_token_id])
    checked, sets = 0, set()
    for es in resolve_suite("heldout"):
        if es.task in (Task.OPEN_IE, Task.ON_DEMAND):
            continue
        try:
            items = build_items(es, root=FIXTURES)
        except AdelieError:  # no fixture for this set
            continue
        sets.add(es.task)
        for it in items:
            matcher = engine.matcher(engine.compile(item_grammar(it, "canonical", "NA")))
            answer = get_task(es.task).render_answer(it.inst, "canonical")
            ids = tiny_tokenizer(answer, add_special_tokens=False)["input_ids"]
            assert all(engine.advance(matcher, t) for t in ids), (es.name, answer)
            assert engine.finished(matcher) or engine.advance(matcher, tiny_tokenizer.eos_token_id)
            checked += 1
    assert checked >= 10 and len(sets) >= 4, (checked, sets)
