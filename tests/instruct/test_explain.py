"""Teacher explanations: the HTTP client (retries, cache, key from the environment) and the consistency rule."""

import pytest
from fake_data import echo_gold

from adelie.errors import AdelieError
from adelie.instruct.explain import (
    ExplainItem,
    TeacherClient,
    consistent_explanation,
    explain,
    gold_signature,
    instance_key,
    load_explanations,
    split_response,
    write_explanations,
)
from adelie.schema import Task
from adelie.tasks import get_task
from adelie.tasks.base import Instance

NER = get_task(Task.NER)


def inst(gold=(("Anna Berg", "person"),), eid="e1"):
    return Instance(task=Task.NER, dataset="toy", example_id=eid, text="Anna Berg lives in Oslo.", gold=gold,
                    labels=("person", "organization"))


def client(teacher, tmp_path, **kw):
    return TeacherClient(teacher.url, "teacher-x", tmp_path / "cache", backoff=0.01, **kw)


def test_retries_then_caches_and_sends_the_key_from_the_environment(teacher, tmp_path, monkeypatch):
    monkeypatch.setenv("ADELIE_TEACHER_API_KEY", "sk-test")
    script = iter([(500, ""), (429, ""), (200, "because\n[Answer]: NA")])
    teacher.reply = lambda body: next(script)
    c = client(teacher, tmp_path)
    messages = [{"role": "user", "content": "explain"}]
    assert c.chat(messages) == "because\n[Answer]: NA"
    assert len(teacher.requests) == 3 and c.calls == 3
    assert teacher.requests[-1]["path"] == "/v1/chat/completions"
    assert teacher.requests[-1]["auth"] == "Bearer sk-test"
    assert teacher.requests[-1]["body"]["model"] == "teacher-x"
    assert c.chat(messages) == "because\n[Answer]: NA"  # from the cache: no new request
    assert len(teacher.requests) == 3 and c.cache_path(messages).is_file()


def test_no_key_no_header_and_client_errors_are_not_retried(teacher, tmp_path, monkeypatch):
    monkeypatch.delenv("ADELIE_TEACHER_API_KEY", raising=False)
    teacher.reply = lambda body: (401, "")
    with pytest.raises(AdelieError, match="refused the request: HTTP 401"):
        client(teacher, tmp_path).chat([{"role": "user", "content": "x"}])
    assert len(teacher.requests) == 1 and teacher.requests[0]["auth"] is None


def test_persistent_failures_give_up_after_the_retries(teacher, tmp_path):
    teacher.reply = lambda body: (503, "")
    with pytest.raises(AdelieError, match=r"failed after 3 attempts .*HTTP 503"):
        client(teacher, tmp_path, retries=2).chat([{"role": "user", "content": "x"}])
    assert len(teacher.requests) == 3


def test_unreachable_endpoint_is_reported(tmp_path):
    c = TeacherClient("http://127.0.0.1:9", "m", tmp_path, retries=1, backoff=0.01, timeout=2)
    with pytest.raises(AdelieError, match="failed after 2 attempts"):
        c.chat([{"role": "user", "content": "x"}])


@pytest.mark.parametrize(("response", "kept", "reason"), [
    ("Anna Berg is named as a person.\n[Answer]: Anna Berg: person", True, "ok"),
    ("**Answer:** Anna Berg: person", False, "no explanation before the answer"),
    ("Anna Berg is a person.\nAnswer: Anna Berg: person", True, "ok"),
    ("Anna Berg is a person.", False, "no final 'Answer:' line"),
    ("Anna Berg and Oslo.\n[Answer]: Anna Berg: person; Oslo: organization", False, "stated answer differs"),
    ("Someone lives somewhere.\n[Answer]: Anna Berg: person", False, "does not mention every gold item"),
])
def test_consistency_rule(response, kept, reason):
    text, why = consistent_explanation(NER, inst(), response)
    assert (text is not None) == kept and reason in why
    if kept:
        assert text == "Anna Berg is named as a person." or text.startswith("Anna Berg is a person")


def test_empty_gold_needs_an_empty_answer():
    assert consistent_explanation(NER, inst(gold=()), "No entity is named.\n[Answer]: NA")[1] == "ok"
    assert consistent_explanation(NER, inst(gold=()), "Oslo.\n[Answer]: Oslo: organization")[0] is None


def test_split_response_takes_the_last_answer_line():
    assert split_response("[Explanation]: x\nAnswer: a\nmore\n[Answer]: b") == ("x\nAnswer: a\nmore", "b")


def test_explain_keeps_consistent_explanations_and_merges_files(teacher, tmp_path):
    teacher.reply = echo_gold
    template = NER.templates("train")[0]
    items = [ExplainItem(NER, inst(eid=f"e{i}"), template) for i in range(3)]
    result = explain(items, client(teacher, tmp_path), workers=2)
    assert len(result.kept) == 3 and result.reasons == {"ok": 3}
    first = result.kept[0]
    assert first["key"] == instance_key(items[0].inst) and first["gold"] == gold_signature(items[0].inst)
    assert first["explanation"].startswith("The text states it directly: Anna Berg: person")
    path = tmp_path / "expl.jsonl"
    assert write_explanations(path, result.kept[:2]) == 2
    assert write_explanations(path, result.kept[1:]) == 3
    assert set(load_explanations(path)) == {r["key"] for r in result.kept}
    prompt = teacher.requests[0]["body"]["messages"][-1]["content"]
    assert "Anna Berg lives in Oslo." in prompt and "[Answer]: Anna Berg: person" in prompt


def test_bad_explanations_file_is_named(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_text('{"key": "k"}\n')
    with pytest.raises(AdelieError, match=r"e.jsonl, line 1: expected an object with string key"):
        load_explanations(path)
