"""The service over HTTP (in-process): validation, batching, timeouts, health, docs and the playground page."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from serve_fakes import FakeExtractor

from adelie.errors import AdelieError
from adelie.serve import ServeSettings, create_app
from adelie.serve.app import SettingsError
from adelie.serve.batcher import MicroBatcher, Overloaded
from adelie.serve.options import FORMS, LIST_OPTIONS, TEXT_OPTIONS

TEXT = "Marie Curie was born in Warsaw and worked at the Sorbonne in Paris."


def client_for(fake: FakeExtractor, **settings: object) -> TestClient:
    return TestClient(create_app(fake, ServeSettings(model_name="fake", **settings)))  # type: ignore[arg-type]


def test_extract_one_text_returns_grounded_entities(fake):
    with client_for(fake) as client:
        r = client.post("/v1/extract", json={"task": "ner", "text": TEXT, "labels": ["person", "location"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "fake" and body["took_ms"] >= 0
    (result,) = body["results"]
    assert [(e["text"], e["label"]) for e in result["entities"]] == [
        ("Marie Curie", "person"), ("Warsaw", "location"), ("Paris", "location")]
    assert all(TEXT[e["start"] : e["end"]] == e["text"] for e in result["entities"])
    assert fake.calls == [("ner", 1, {"labels": ["person", "location"]})]


def test_texts_give_one_result_each_in_order(fake):
    texts = ["Paris is big.", "Nothing here.", "Marie Curie."]
    with client_for(fake) as client:
        r = client.post("/v1/extract", json={"task": "ner", "texts": texts, "labels": ["person", "location"]})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [res["text"] for res in results] == texts
    assert [[e["text"] for e in res["entities"]] for res in results] == [["Paris"], [], ["Marie Curie"]]


def test_other_tasks_pass_their_options(fake):
    with client_for(fake) as client:
        r = client.post("/v1/extract", json={"task": "relations", "text": TEXT, "relation_labels": "born in,work for",
                                            "entity_labels": ["person"]})
        assert r.status_code == 422  # lists are JSON lists over HTTP, not comma-separated strings
        r = client.post("/v1/extract", json={"task": "relations", "text": TEXT, "relation_labels": ["born in"],
                                            "entity_labels": ["person", "location"]})
        assert r.status_code == 200
        assert r.json()["results"][0]["relations"][0]["label"] == "born in"
        r = client.post("/v1/extract", json={"task": "open_ie", "text": TEXT})
        assert r.json()["results"][0]["warnings"] == ["no triples"]
        r = client.post("/v1/extract", json={"task": "events", "text": TEXT, "event_types": ["birth"],
                                            "roles": {"birth": ["person", "place"]}})
        assert r.status_code == 200
    assert fake.calls[0] == ("relations", 1, {"relation_labels": ["born in"], "entity_labels": ["person", "location"]})
    assert fake.calls[1] == ("open_ie", 1, {})
    assert fake.calls[2] == ("events", 1, {"event_types": ["birth"], "roles": {"birth": ["person", "place"]}})


def test_forms_agree_with_the_extractor_rules():
    from adelie.extract.options import OPTIONS

    assert set(FORMS) == set(OPTIONS)
    for task, form in FORMS.items():
        assert set(form.required + form.optional) <= OPTIONS[task]
        assert set(form.required + form.optional) <= set(LIST_OPTIONS + TEXT_OPTIONS)


BAD_REQUESTS = [
    ({"task": "nre", "text": "x", "labels": ["a"]}, "unknown task 'nre'; the tasks are: ner, relations"),
    ({"task": "ner", "text": "x"}, "task 'ner' needs labels"),
    ({"task": "ner", "text": "x", "labels": []}, "task 'ner' needs labels"),
    ({"task": "ner", "text": "x", "labels": [" ", ""]}, "labels[0] must be a non-empty string"),
    ({"task": "arguments", "text": "x", "trigger": "born"}, "task 'arguments' needs roles"),
    ({"task": "table", "text": "x", "instruction": "  "}, "task 'table' needs instruction"),
    ({"task": "open_ie", "text": "x", "labels": ["a"]}, "option(s) labels do not apply to task 'open_ie'"),
    ({"task": "events", "text": "x", "event_types": ["a"], "roles": {"b": ["x"]}}, "roles names the event type 'b'"),
    ({"task": "ner", "labels": ["a"]}, "give exactly one of text and texts"),
    ({"task": "ner", "text": "x", "texts": ["y"], "labels": ["a"]}, "give exactly one of text and texts"),
    ({"task": "ner", "texts": [], "labels": ["a"]}, "texts is empty"),
    ({"task": "ner", "text": 5, "labels": ["a"]}, "Input should be a valid string"),
    ({"task": "ner", "text": "x", "label": ["a"]}, "Extra inputs are not permitted"),
    ({"task": "ner", "text": "x" * 101, "labels": ["a"]}, "text has 101 characters; the limit is 100"),
    ({"task": "ner", "texts": ["x", "y" * 101], "labels": ["a"]}, "text has 101 characters"),
    ({"task": "ner", "texts": ["x"] * 5, "labels": ["a"]}, "at most 4 texts per request, got 5"),
    ({"task": "ner", "text": "x", "labels": [f"l{i}" for i in range(4)]}, "at most 3 labels, got 4"),
    ({"task": "ner", "text": "x", "labels": ["l" * 21]}, "labels entries have at most 20 characters"),
    ({"task": "events", "text": "x", "event_types": ["a"], "roles": {"a": ["r"] * 4}}, "at most 3 roles, got 4"),
    ({"task": "arguments", "text": "x", "trigger": "t" * 21, "roles": ["a"]}, "trigger has 21 characters"),
]


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS)
def test_bad_requests_are_422_with_a_clear_message(fake, body, message):
    with client_for(fake, max_text_chars=100, max_texts=4, max_labels=3, max_label_chars=20) as client:
        r = client.post("/v1/extract", json=body)
    assert r.status_code == 422, r.text
    messages = " | ".join(e["msg"] for e in r.json()["detail"])
    assert message in messages
    assert fake.calls == []  # never reached the model


def test_a_body_over_the_size_limit_is_413_before_it_is_read(fake):
    with client_for(fake, max_body_bytes=1000) as client:
        r = client.post("/v1/extract", json={"task": "ner", "text": "x" * 2000, "labels": ["a"]})
    assert r.status_code == 413 and "the limit is 1000" in r.json()["detail"]


def test_not_json_is_422(fake):
    with client_for(fake) as client:
        r = client.post("/v1/extract", content=b"task=ner", headers={"content-type": "application/json"})
    assert r.status_code == 422


def test_validation_errors_do_not_echo_the_body(fake):
    long_text = "z" * 100_000
    bodies = [
        {"task": "ner", "text": long_text},  # model-level check: pydantic's input is the whole body
        {"task": "ner", "text": "x", "labels": ["a"], "junk": long_text},  # field-level: input is the field
        {"task": "ner", "texts": [long_text, 5], "labels": ["a"]},
    ]
    with client_for(fake) as client:
        for body in bodies:
            r = client.post("/v1/extract", json=body)
            assert r.status_code == 422
            assert len(r.content) < 1000 and "zzz" not in r.text
            for error in r.json()["detail"]:
                assert {"type", "loc", "msg"} <= set(error) and "input" not in error
        r = client.post("/v1/extract", content=b"{bad", headers={"content-type": "application/json"})
    (error,) = r.json()["detail"]
    assert error["type"] == "json_invalid" and "input" not in error and isinstance(error["ctx"]["error"], str)


def test_validation_errors_keep_only_json_safe_context():
    from adelie.serve.app import validation_errors

    errors = [{"type": "value_error", "loc": ("body", "text"), "msg": "bad", "input": "x" * 10,
               "ctx": {"error": ValueError("bad"), "limit": 3}},
              {"type": "missing", "loc": ("body", "task"), "msg": "Field required", "input": {},
               "ctx": {"error": ValueError("no")}}]
    assert validation_errors(errors) == [
        {"type": "value_error", "loc": ("body", "text"), "msg": "bad", "ctx": {"limit": 3}},
        {"type": "missing", "loc": ("body", "task"), "msg": "Field required"}]


def test_extraction_error_is_422_and_a_crash_is_500(fake):
    with client_for(fake) as client:
        fake.fail = AdelieError("labels must be short")
        r = client.post("/v1/extract", json={"task": "ner", "text": TEXT, "labels": ["person"]})
        assert r.status_code == 422 and r.json()["detail"][0]["msg"] == "labels must be short"
        fake.fail = RuntimeError("CUDA out of memory")
        r = client.post("/v1/extract", json={"task": "ner", "text": TEXT, "labels": ["person"]})
        assert r.status_code == 500 and r.json()["detail"] == "extraction failed: RuntimeError: CUDA out of memory"
        fake.fail = None
        r = client.post("/v1/extract", json={"task": "ner", "text": TEXT, "labels": ["person"]})
        assert r.status_code == 200  # the worker survives both


def test_health_tasks_docs_and_playground(fake):
    with client_for(fake, max_texts=7) as client:
        assert client.get("/health").json() == {"status": "ok", "model": "fake", "pending": 0}
        tasks = client.get("/v1/tasks").json()
        assert tasks["tasks"]["arguments"]["required"] == ["trigger", "roles"]
        assert tasks["limits"]["max_texts"] == 7
        assert client.get("/docs").status_code == 200
        schema = client.get("/openapi.json").json()
        assert "/v1/extract" in schema["paths"]
        assert "ner" in schema["components"]["schemas"]["ExtractRequest"]["properties"]["task"]["enum"]
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert 'id="extract"' in page.text and "data-label" in page.text and "<script>" in page.text


async def _burst(app, bodies: list[dict]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await asyncio.gather(*(client.post("/v1/extract", json=body) for body in bodies))


def test_concurrent_requests_are_batched_by_task_and_options():
    fake = FakeExtractor(delay=0.05)
    app = create_app(fake, ServeSettings(max_batch=8, batch_wait_ms=20))
    bodies = []
    for i in range(32):
        labels = ["person"] if i % 2 else ["location"]
        bodies.append({"task": "ner", "text": f"{i}: Marie Curie left Warsaw.", "labels": labels})
    responses = asyncio.run(_burst(app, bodies))
    app.state.batcher.close()
    for body, r in zip(bodies, responses, strict=True):
        assert r.status_code == 200, r.text
        (result,) = r.json()["results"]
        assert result["text"] == body["text"]
        expected = "Marie Curie" if body["labels"] == ["person"] else "Warsaw"
        assert [e["text"] for e in result["entities"]] == [expected]
    sizes = [n for _, n, _ in fake.calls]
    assert sum(sizes) == 32
    assert len(fake.calls) < 16 and max(sizes) > 1 and max(sizes) <= 8  # batched, within the cap
    assert fake.max_active == 1  # the model never ran concurrently


def test_timeout_is_504_and_a_queued_request_that_timed_out_never_runs(fake):
    fake.gate = threading.Event()
    app = create_app(fake, ServeSettings(timeout_s=0.3, batch_wait_ms=0))
    bodies = [{"task": "ner", "text": "Paris", "labels": ["location"]},
              {"task": "ner", "text": "Paris", "labels": ["person"]}]  # another group: queued behind the first
    try:
        responses = asyncio.run(_burst(app, bodies))
    finally:
        fake.gate.set()
    for r in responses:
        assert r.status_code == 504
        assert r.json()["detail"].startswith("extraction did not finish within the server's 0.3 s limit")
    time.sleep(0.2)
    app.state.batcher.close()
    assert len(fake.calls) == 1  # the second job was cancelled before the model reached it


def test_batcher_refuses_jobs_past_max_pending(fake):
    fake.gate = threading.Event()
    batcher = MicroBatcher(fake, max_batch=1, wait_s=0, max_pending=1)
    try:
        running = batcher.submit("ner", ["a"], {"labels": ["x"]})
        assert fake.entered.wait(5)
        queued = batcher.submit("ner", ["b"], {"labels": ["x"]})
        with pytest.raises(Overloaded):
            batcher.submit("ner", ["c"], {"labels": ["x"]})
        fake.gate.set()
        assert running.result(5)[0]["text"] == "a" and queued.result(5)[0]["text"] == "b"
    finally:
        fake.gate.set()
        batcher.close()


def test_batcher_rejects_a_wrong_number_of_results():
    class Short:
        def extract(self, task, texts, **options):
            return []

    batcher = MicroBatcher(Short())
    future = batcher.submit("open_ie", ["a", "b"], {})
    with pytest.raises(RuntimeError, match="returned 0 results for 2 texts"):
        future.result(5)
    batcher.close()


def test_settings_must_be_positive():
    with pytest.raises(SettingsError, match="max_texts must be positive"):
        ServeSettings(max_texts=0)
    assert ServeSettings(batch_wait_ms=0).batch_wait_ms == 0


def test_the_real_extractor_behind_the_service(tiny_model_dir):
    from adelie.extract import Extractor
    from adelie.models import load_model

    model, tokenizer = load_model(str(tiny_model_dir), device="cpu")
    extractor = Extractor(model, tokenizer, max_new_tokens=8, batch_size=4)
    with TestClient(create_app(extractor, ServeSettings(model_name="tiny"))) as client:
        r = client.post("/v1/extract", json={"task": "ner", "texts": [TEXT, "Paris."], "labels": ["person"]})
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [res["text"] for res in results] == [TEXT, "Paris."]
        for res in results:
            assert res["task"] == "ner" and isinstance(res["warnings"], list)
            for e in res["entities"]:
                assert e["alignment"] == "not_found" or res["text"][e["start"] : e["end"]] == e["text"]
        r = client.post("/v1/extract", json={"task": "ner", "text": TEXT, "labels": ["person"], "roles": ["x"]})
        assert r.status_code == 422 and "do not apply to task 'ner'" in r.json()["detail"][0]["msg"]
