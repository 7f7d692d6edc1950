"""`adelie extract` as a user runs it: records from stdin and files, JSONL or --pretty, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adelie.cli import extract as extract_cli
from adelie.cli import main
from adelie.errors import DataFormatError

WORDS = {"Marie Curie": "person", "Warsaw": "location", "Paris": "location", "[/bold] x": "markup"}


class FakeExtractor:
    """Finds the WORDS whose label is asked for; records (task, texts, options) of every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], dict[str, Any]]] = []

    def extract(self, task: str, texts: list[str], **options: Any) -> list[dict[str, Any]]:
        self.calls.append((task, list(texts), options))
        results = []
        for text in texts:
            entities = [
                {"start": text.find(w), "end": text.find(w) + len(w), "text": w, "label": label, "score": 0.75,
                 "alignment": "exact"}
                for w, label in WORDS.items() if w in text and label in options.get("labels", [])
            ]
            results.append({"text": text, "task": task, "entities": entities, "relations": [], "events": [],
                            "arguments": [], "triples": [], "table": None, "warnings": []})
        return results


@pytest.fixture
def fake(monkeypatch) -> FakeExtractor:
    fake = FakeExtractor()
    loads: list[tuple] = []

    def load(*args: Any) -> FakeExtractor:
        loads.append(args)
        return fake

    monkeypatch.setattr(extract_cli, "load_extractor", load)
    fake.loads = loads  # type: ignore[attr-defined]
    return fake


def run(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run `adelie ARGS` in-process through the console entry point; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["adelie", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def test_stdin_gives_one_record_per_non_empty_line(monkeypatch, capsys, fake):
    stdin = "Marie Curie was born in Warsaw.\n\n   \nShe died near Paris.\n"
    code, out, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "person, location,",
                         "--model", "tiny", "--max-new-tokens", "32", "--batch-size", "4", stdin=stdin)
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["source"] for r in records] == ["<stdin>:1", "<stdin>:4"]
    assert [[(e["text"], e["label"]) for e in r["entities"]] for r in records] == [
        [("Marie Curie", "person"), ("Warsaw", "location")], [("Paris", "location")]]
    assert fake.calls == [("ner", ["Marie Curie was born in Warsaw.", "She died near Paris."],
                           {"labels": ["person", "location"]})]
    assert fake.loads == [("tiny", 32, 4, None, "constrained")]


def test_files_jsonl_and_output(monkeypatch, capsys, fake, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("Marie Curie\nlived in Paris.\n")
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"id": 7, "text": "Warsaw"}) + "\n\n" + json.dumps({"text": "Paris"}) + "\n")
    out_path = tmp_path / "out.jsonl"
    code, out, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "location", str(doc),
                         str(data), "--output", str(out_path), "--batch-size", "2")
    assert code == 0, err
    assert out == "" and f"{out_path}: 3 results written" in err
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [(r["source"], r.get("id")) for r in records] == [
        (str(doc), None), (f"{data}:1", "7"), (f"{data}:3", None)]
    assert records[0]["text"] == "Marie Curie\nlived in Paris.\n"
    assert [len(texts) for _, texts, _ in fake.calls] == [2, 1]  # --batch-size chunks the stream


def test_per_line_and_per_file_override_the_default(tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text("one\n\ntwo\n")
    per_line = list(extract_cli.read_records([str(doc)], per_line=True))
    assert [(r.source, r.text) for r in per_line] == [(f"{doc}:1", "one"), (f"{doc}:3", "two")]
    whole = list(extract_cli.read_records(["-"], per_line=False, stdin=io.StringIO("a\nb\n")))
    assert [(r.source, r.text) for r in whole] == [("<stdin>", "a\nb\n")]


def test_bad_jsonl_line_names_file_and_line(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps({"text": "ok"}) + "\n" + json.dumps({"body": "no text"}) + "\n")
    with pytest.raises(DataFormatError, match=r"in\.jsonl, line 2: expected a JSON object with a string \"text\""):
        list(extract_cli.read_records([str(data)]))
    data.write_text("{not json\n")
    with pytest.raises(DataFormatError, match=r"line 1: is not JSON"):
        list(extract_cli.read_records([str(data)]))


def test_pretty_prints_a_table(monkeypatch, capsys, fake):
    code, out, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "person,location", "--pretty",
                         stdin="Marie Curie was born in Warsaw.\nNothing.\n")
    assert code == 0, err
    assert "<stdin>:1: Marie Curie was born in Warsaw." in out
    assert "entity" in out and "person" in out and "0-11" in out and "24-30" in out and "0.75" in out
    assert "(nothing extracted)" in out
    code, out, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "markup", "--pretty",
                         stdin="[red]a[/red] [/bold] x\n")
    assert code == 0, err
    assert "[red]a[/red] [/bold] x" in out and "[/bold] x" in out.split("\n", 1)[1]  # printed as-is, not as markup
    assert not out.lstrip().startswith("{")


def test_result_rows_cover_every_task_shape():
    span = {"start": 0, "end": 5, "text": "Paris", "label": "x", "score": 0.5, "alignment": "fuzzy"}
    lost = {"start": None, "end": None, "text": "Rome", "label": "x", "score": 0.1, "alignment": "not_found"}
    result = {
        "entities": [span], "relations": [{"head": span, "tail": lost, "label": "near", "score": 0.4}],
        "events": [{"trigger": span, "type": "travel", "score": 0.3, "arguments": [{**lost, "role": "to"}]}],
        "arguments": [{**span, "role": "place"}],
        "triples": [{"subject": span, "predicate": lost, "objects": [span, lost], "score": 0.2}],
        "table": {"columns": ["city"], "rows": [[span]], "score": 0.9}, "warnings": ["truncated"],
    }
    rows = extract_cli.result_rows(result)
    assert rows == [
        ("entity", "x", "Paris", "0-5 ~", "0.50"),
        ("relation", "near", "Paris → Rome", "", "0.40"),
        ("event", "travel", "Paris", "0-5 ~", "0.30"),
        ("  argument", "to", "Rome", "not found", "0.10"),
        ("argument", "place", "Paris", "0-5 ~", "0.50"),
        ("triple", "Rome", "Paris | Paris; Rome", "", "0.20"),
        ("row", "1", "city=Paris", "", ""),
        ("warning", "", "truncated", "", ""),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "nre", "--labels", "a"], "unknown task 'nre'; the tasks are: ner, relations"),
        (["--task", "ner"], "task 'ner' needs labels"),
        (["--task", "ner", "--labels", " , "], "task 'ner' needs labels"),
        (["--task", "open_ie", "--labels", "a"], "option(s) labels do not apply to task 'open_ie'"),
        (["--task", "arguments", "--trigger", "born"], "task 'arguments' needs roles"),
        (["--task", "ner", "--labels", "a", "missing.txt"], "input missing.txt is missing"),
        (["--task", "ner", "--labels", "a", "--pretty", "--output", "x.jsonl"], "--pretty prints to the terminal"),
    ],
)
def test_bad_options_are_one_line_errors_before_loading(monkeypatch, capsys, fake, args, message):
    code, out, err = run(monkeypatch, capsys, "extract", *args)
    assert code == 2
    assert message in err and err.startswith("error:")
    assert "Traceback" not in err and out == ""
    assert fake.loads == []  # the model is not loaded for a mistake in the options


def test_empty_input_and_bad_numbers(monkeypatch, capsys, fake):
    code, _, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "a", stdin="\n \n")
    assert code == 2 and "no text to extract from: - held no non-empty records" in err
    code, _, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "a", "--batch-size", "0")
    assert code == 2 and "Invalid value for '--batch-size'" in err and "Traceback" not in err


def test_errors_through_the_real_entry_point():
    code = "from adelie.cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code, "extract", "--task", "ner"], capture_output=True, text=True,
                       input="", timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: task 'ner' needs labels: a non-empty list of strings"


def test_serve_command_builds_the_app_and_runs_uvicorn(monkeypatch, capsys, fake):
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    code, _, err = run(monkeypatch, capsys, "serve", "--model", "some/model", "--port", "8123", "--timeout", "3",
                       "--batch-size", "4")
    assert code == 0, err
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123  # localhost unless asked otherwise
    settings = seen["app"].state.settings
    assert (settings.model_name, settings.timeout_s, settings.max_batch) == ("some/model", 3.0, 4)
    assert fake.loads == [("some/model", 512, 4, None, "constrained")]
    assert "serving on http://127.0.0.1:8123" in err


def test_help_documents_the_record_rules(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "extract", "--help")
    assert code == 0
    flat = " ".join(out.split())
    assert "one record per non-empty line" in flat and ".jsonl" in flat and "--per-line" in flat


def test_real_extractor_on_the_tiny_model(monkeypatch, capsys, tiny_model_dir: Path):
    code, out, err = run(monkeypatch, capsys, "extract", "--task", "ner", "--labels", "person,location",
                         "--model", str(tiny_model_dir), "--max-new-tokens", "8", "--device", "cpu",
                         stdin="Marie Curie was born in Warsaw.\nParis.\n")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["source"] for r in records] == ["<stdin>:1", "<stdin>:2"]
    for record in records:
        assert record["task"] == "ner" and isinstance(record["entities"], list)
        for e in record["entities"]:
            if e["alignment"] != "not_found":
                assert record["text"][e["start"] : e["end"]] == e["text"]
