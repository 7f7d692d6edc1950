"""General chat data: every supported layout, licence exclusion, and the evaluation-only guard."""

import json

import pytest

from adelie.errors import AdelieError, DataFormatError
from adelie.instruct.general import BUILTIN, load_sources, read_file, to_messages


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_layouts_become_chat_messages(tmp_path):
    p = tmp_path / "x.jsonl"
    assert to_messages({"prompt": "Q?\n", "completion": "A<|endoftext|>"}, p, 1) == [
        {"role": "user", "content": "Q?"}, {"role": "assistant", "content": "A"}]
    gsm = to_messages({"question": "2+2?", "answer": "2+2 = <<2+2=4>>4\n#### 4"}, p, 1)
    assert gsm[1]["content"] == "2+2 = 4\nThe answer is 4."
    alpaca = to_messages({"instruction": "Fix", "input": "teh", "output": "the",
                          "history": [["Hi", "Hello"]]}, p, 1)
    assert [m["role"] for m in alpaca] == ["user", "assistant", "user", "assistant"]
    assert alpaca[2]["content"] == "Fix\n\nteh"
    seed = to_messages({"instruction": "Name a fruit.", "instances": [{"input": "", "output": "Apple"}]}, p, 1)
    assert seed == [{"role": "user", "content": "Name a fruit."}, {"role": "assistant", "content": "Apple"}]
    assert to_messages({"prompt": "Q", "completion": "<|endoftext|>"}, p, 1) is None  # empty answer: skipped


@pytest.mark.parametrize(("record", "message"), [
    ({"text": "hi"}, "expected `messages`, prompt/completion"),
    ({"messages": [{"role": "user", "content": "hi"}]}, "ends with an assistant turn"),
    ({"messages": [{"role": "bot", "content": "hi"}, {"role": "assistant", "content": "x"}]}, "unknown role 'bot'"),
    ({"question": 3, "answer": "x"}, "expected a string in 'question'"),
])
def test_malformed_records_name_file_and_line(tmp_path, record, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [record])
    with pytest.raises(DataFormatError, match=rf"bad.jsonl, line 1: .*{message}"):
        read_file(path, "bad", "unstated")


def _general_dir(tmp_path):
    root = tmp_path / "general"
    write_jsonl(root / "oasst1" / "oasst1_en_validation_top1_conversations.jsonl", [
        {"id": "a", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}])
    write_jsonl(root / "oasst1" / "oasst_en_100_top1_conversations.jsonl", [
        {"id": "a", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]},
        {"id": "b", "messages": [{"role": "user", "content": "Yo"}, {"role": "assistant", "content": "Hey"}]}])
    (root / "lima").mkdir()
    (root / "lima" / "lima.json").write_text(json.dumps([{"instruction": "Q", "input": "", "output": "A"}]))
    return root


def test_builtin_sources_dedupe_and_licence_exclusion(tmp_path):
    root = _general_dir(tmp_path)
    pool = load_sources(["oasst1", "lima"], root)
    assert [c.id for c in pool.conversations] == ["oasst1:a", "oasst1:b", "lima:lima/lima.json:0"]
    pool = load_sources(["oasst1", "lima"], root, exclude_licences=["non-commercial"])
    assert [c.source for c in pool.conversations] == ["oasst1", "oasst1"] and pool.excluded_sources == ["lima"]
    assert BUILTIN["alpaca-gpt4-demo"].licence_class == "non-commercial"


def test_evaluation_only_sets_are_refused(tmp_path):
    for rel in ("gsm8k/test.jsonl", "mmlu/x.jsonl", "self-instruct/user_oriented_instructions.jsonl"):
        path = write_jsonl(tmp_path / "general" / rel, [{"question": "q", "answer": "a"}])
        with pytest.raises(AdelieError, match="evaluation-only set"):
            load_sources([str(path)], tmp_path / "general")


def test_unknown_source_is_named(tmp_path):
    root = _general_dir(tmp_path)
    with pytest.raises(AdelieError, match="unknown general source 'nope'"):
        load_sources(["nope"], root)


@pytest.mark.data
def test_the_shared_general_sets_load():
    from adelie.instruct.general import general_dir

    try:
        root = general_dir()
    except AdelieError:
        pytest.skip("no general data directory")
    pool = load_sources(None, root)
    sources = {c.source for c in pool.conversations}
    assert sources == set(BUILTIN)
    assert len(pool.conversations) > 10_000
