"""The Extractor end to end over scripted models: every method and its batch form, grounding, scores,
warnings, chunking of long texts, and errors for bad arguments."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import adelie
from adelie.extract import ExtractionError, ExtractionResult, ExtractionWarning, Extractor
from adelie.extract.chunking import chunk_text
from adelie.extract.merge import Found, merge_all, type_relation_spans
from adelie.extract.records import RelationRecord, SpanRecord

Build = Callable[..., Extractor]
TEXT = "Barack Obama was born in Hawaii. Obama later moved to Chicago."


def check_span(text: str, span: dict[str, Any]) -> None:
    """The contract of a span dict."""
    assert 0 < span["score"] <= 1
    if span["alignment"] == "not_found":
        assert span["start"] is None and span["end"] is None
    else:
        assert text[span["start"]:span["end"]] == span["text"]
    if "answer" in span:
        assert span["answer"] != span["text"]


def quiet(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [str(w.message) for w in caught if issubclass(w.category, ExtractionWarning)]


# --- entities ------------------------------------------------------------------------------------------------


def test_entities_are_grounded_in_the_text(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person; Hawaii : location")
    spans, notes = quiet(lambda: ex.entities(TEXT, ["person", "location"]))
    assert notes == []
    assert [(s["text"], s["label"], s["start"], s["alignment"]) for s in spans] == [
        ("Obama", "person", 7, "exact"), ("Hawaii", "location", 25, "exact"),
    ]
    for s in spans:
        check_span(TEXT, s)
        assert "answer" not in s


def test_entities_batch_form_gives_one_list_per_text(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person; Hawaii : location")
    texts = ["obama visited HAWAII", "Nothing here.", TEXT]
    out = ex.entities(texts, ["person", "location"])
    assert len(out) == 3
    first = out[0]
    assert [(s["text"], s["answer"], s["alignment"]) for s in first] == [
        ("obama", "Obama", "exact"), ("HAWAII", "Hawaii", "exact"),
    ]
    assert [s["alignment"] for s in out[1]] == ["not_found", "not_found"]  # hallucinated for this text
    for text, spans in zip(texts, out, strict=True):
        for s in spans:
            check_span(text, s)
    assert out[2] == ex.entities(TEXT, ["person", "location"])  # batching changes nothing


def test_hallucinated_strings_are_not_found(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person; Zeus : location")
    spans = ex.entities(TEXT, ["person", "location"])
    zeus = spans[1]
    assert zeus == {"start": None, "end": None, "text": "Zeus", "label": "location", "score": zeus["score"],
                    "alignment": "not_found"}
    assert 0 < zeus["score"] <= 1


def test_repeated_mentions_map_to_successive_occurrences(scripted_extractor: Build) -> None:
    ex = scripted_extractor("one: person; one : location")
    text = "Then one said one more thing."
    spans = ex.entities(text, ["person", "location"])
    assert [(s["start"], s["label"]) for s in spans] == [(5, "person"), (14, "location")]


def test_labels_are_matched_loosely_and_foreign_labels_dropped_with_a_warning(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: Person")
    assert ex.entities(TEXT, ["person"])[0]["label"] == "person"  # the user's spelling of the label
    ex = scripted_extractor("Zeus: god")
    spans, notes = quiet(lambda: ex.entities(TEXT, ["person"]))
    assert spans == []
    assert len(notes) == 1 and "not one of those asked for: 'god'" in notes[0]


def test_a_close_variant_of_an_offered_label_is_read_as_it_with_a_warning(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama; lived in ; Hawaii")
    result = ex.extract("relations", TEXT, relation_labels=["live in", "born in"])[0]
    assert [(r["head"]["text"], r["label"], r["tail"]["text"]) for r in result["relations"]] == [
        ("Obama", "live in", "Hawaii")]
    assert result["warnings"] == ["label 'lived in' read as 'live in'"]
    ex = scripted_extractor("Obama: persons")
    spans, notes = quiet(lambda: ex.entities(TEXT, ["person", "location"]))
    assert [s["label"] for s in spans] == ["person"] and notes == ["label 'persons' read as 'person'"]
    spans, notes = quiet(lambda: ex.entities(TEXT, ["person", "personas"]))  # two labels as close: not guessed
    assert spans == [] and len(notes) == 1 and "not one of those asked for: 'persons'" in notes[0]


def test_no_answer_and_unreadable_answers(scripted_extractor: Build) -> None:
    spans, notes = quiet(lambda: scripted_extractor("NA").entities(TEXT, ["person"]))
    assert spans == [] and notes == []
    result = scripted_extractor('{"bar').extract("ner", [TEXT], labels=["person"])[0]
    assert result["entities"] == []
    assert len(result["warnings"]) == 1 and "could not be read as a ner answer" in result["warnings"][0]


def test_an_answer_cut_at_max_new_tokens_is_reported(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person", end=False, max_new_tokens=10)
    result = ex.extract("ner", TEXT, labels=["person"])[0]
    assert any("cut off at max_new_tokens=10" in w for w in result["warnings"])


# --- the other tasks ----------------------------------------------------------------------------------------


def test_relations_and_their_batch_form(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama; born in ; Hawaii")
    (rel,) = ex.relations(TEXT, ["born in", "lives in"])
    assert rel["label"] == "born in" and 0 < rel["score"] <= 1
    assert (rel["head"]["text"], rel["head"]["start"], rel["head"]["label"]) == ("Obama", 7, "")
    assert (rel["tail"]["text"], rel["tail"]["start"]) == ("Hawaii", 25)
    check_span(TEXT, rel["head"])
    check_span(TEXT, rel["tail"])
    batch = ex.relations([TEXT, "Hawaii and Obama."], ["born in"])
    assert [len(b) for b in batch] == [1, 1] and batch[1][0]["head"]["start"] == 11


def test_relations_with_entity_labels_run_entity_extraction_too(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama; born in ; Hawaii")
    calls = []
    generate = ex.generator.generate
    ex.generator.generate = lambda convs, config=None, grammars=None: calls.append(len(convs)) or generate(
        convs, config, grammars)
    result = ex.extract("relations", [TEXT], relation_labels=["born in"], entity_labels=["person"])[0]
    assert calls == [2]  # one relation prompt and one entity prompt, in one generator call
    assert len(result["relations"]) == 1
    assert any("as a ner answer" in w for w in result["warnings"])  # this script is no NER answer


def test_relation_spans_take_the_types_of_the_entities_found() -> None:
    def span(text: str, start: int | None, label: str = "") -> SpanRecord:
        return SpanRecord(start=start, end=None if start is None else start + len(text), text=text, label=label,
                          score=0.5, alignment="exact" if start is not None else "not_found")

    found = Found(TEXT, entities=[span("Obama", 7, "person"), span("Hawaii", 25, "location")],
                  relations=[RelationRecord(head=span("Obama", 7), tail=span("Hawaii", 25), label="born in",
                                            score=0.5),
                             RelationRecord(head=span("Obama", None), tail=span("Chicago", 54), label="moved to",
                                            score=0.5)])
    type_relation_spans(found)
    assert [(r.head.label, r.tail.label) for r in found.relations] == [("person", "location"), ("person", "")]


def test_events_and_their_arguments(scripted_extractor: Build) -> None:
    ex = scripted_extractor("shot: attack")
    text = "The rebels shot the guard."
    (event,) = ex.events(text, ["attack", "meet"])
    assert (event["type"], event["trigger"]["text"], event["trigger"]["start"], event["trigger"]["label"]) == (
        "attack", "shot", 11, "attack")
    assert event["arguments"] == []
    # with roles, a second pass fills them (the scripted model gives the same answer to that prompt)
    (event,) = ex.events(text, ["attack"], roles={"attack": ["attack", "target"]})
    assert [(a["text"], a["role"], a["label"], a["start"]) for a in event["arguments"]] == [
        ("shot", "attack", "attack", 11)]
    batch = ex.events([text, "They shot twice."], ["attack"], roles=["attack"])
    assert [[a["role"] for a in evs[0]["arguments"]] for evs in batch] == [["attack"], ["attack"]]


def test_arguments_for_a_trigger_string_or_offsets(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Rebels: attacker")
    text = "Rebels shot the guard."
    (arg,) = ex.arguments(text, "shot", ["attacker", "target"], event_type="attack")
    assert (arg["text"], arg["role"], arg["start"], arg["end"]) == ("Rebels", "attacker", 0, 6)
    check_span(text, arg)
    assert ex.arguments(text, {"start": 7, "end": 11, "text": "shot"}, ["attacker"]) == [arg]
    assert ex.arguments([text, text], (7, 11), ["attacker"]) == [[arg], [arg]]
    args, notes = quiet(lambda: ex.arguments(text, "exploded", ["attacker"]))
    assert args == [arg] and any("does not occur in the text" in n for n in notes)
    with pytest.raises(ExtractionError, match="outside text 0"):
        ex.arguments(text, (5, 99), ["attacker"])


def test_open_triples(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama; born in ; Hawaii")
    (triple,) = ex.open_triples(TEXT)
    assert (triple["subject"]["text"], triple["predicate"]["text"], [o["text"] for o in triple["objects"]]) == (
        "Obama", "born in", ["Hawaii"])
    assert (triple["subject"]["label"], triple["predicate"]["label"], triple["objects"][0]["label"]) == (
        "subject", "predicate", "object")
    assert triple["predicate"]["start"] == TEXT.index("born in")
    assert 0 < triple["score"] <= 1
    assert len(ex.open_triples([TEXT, TEXT])) == 2


def test_table(scripted_extractor: Build) -> None:
    ex = scripted_extractor("[{ \"Name\": 'Ada'}]")
    text = "Ada Lovelace wrote the first program."
    table = ex.table(text, "List the people.")
    assert table["columns"] == ["Name"] and 0 < table["score"] <= 1
    assert table["rows"] == [[{"text": "Ada", "start": 0, "end": 3, "alignment": "exact"}]]
    assert ex.table([text, "No one."], "List the people.")[1]["rows"][0][0]["alignment"] == "not_found"
    result = scripted_extractor("NA").extract("table", [text], instruction="List the people.")[0]
    assert result["table"] == {"columns": [], "rows": [], "score": result["table"]["score"]}


# --- the generic form ---------------------------------------------------------------------------------------


def test_extract_returns_the_contract_dicts_and_run_the_typed_records(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person; Hawaii : location")
    typed = ex.run("ner", [TEXT, ""], labels=["person", "location"])
    assert all(isinstance(r, ExtractionResult) for r in typed)
    dicts = ex.extract("ner", [TEXT, ""], labels=["person", "location"])
    assert dicts == [r.model_dump() for r in typed]
    assert set(dicts[0]) == {"text", "task", "entities", "relations", "events", "arguments", "triples", "table",
                             "warnings", "decoding"}
    assert dicts[0]["decoding"] == "free"
    assert (dicts[0]["task"], dicts[0]["relations"], dicts[0]["table"]) == ("ner", [], None)
    assert dicts[1]["warnings"] == ["the text is empty: nothing was extracted"] and dicts[1]["entities"] == []
    assert ex.extract("ner", [], labels=["person"]) == []
    # `labels` stands for a task's own label list; options of other tasks may be None
    assert ex.extract("relations", TEXT, labels=["born in"], instruction=None)[0]["relations"] == []


def test_the_top_level_package_exports_the_extractor_lazily() -> None:
    assert adelie.Extractor is Extractor
    with pytest.raises(AttributeError):
        _ = adelie.NoSuchThing  # type: ignore[attr-defined]


# --- long texts ---------------------------------------------------------------------------------------------


def test_long_texts_are_chunked_and_duplicates_merged(scripted_extractor: Build, tiny_tokenizer: Any) -> None:
    ex = scripted_extractor("Obama: person", max_chunk_tokens=40, overlap_tokens=20)
    sentences = [f"Sentence {i} says little." for i in range(12)]
    chunks, _ = chunk_text(" ".join(sentences), tiny_tokenizer, 40, 20)
    assert len(chunks) > 3
    in_overlaps = 0
    for i in range(len(sentences)):
        text = " ".join([*sentences[:i], "Obama spoke.", *sentences[i:]])
        start = text.index("Obama")
        holding = [c for c in chunk_text(text, tiny_tokenizer, 40, 20)[0] if c.start <= start < c.end]
        in_overlaps += len(holding) > 1
        result = ex.extract("ner", [text], labels=["person"])[0]
        # every chunk answers "Obama": found once (merged when chunks overlap), the misses of other chunks dropped
        assert [(e["start"], e["alignment"]) for e in result["entities"]] == [(start, "exact")]
        assert result["warnings"] == []
    assert in_overlaps > 0  # some placements fall in an overlap, so merging was exercised


def test_merge_keeps_the_best_score_of_duplicates() -> None:
    a = SpanRecord(start=0, end=5, text="Obama", label="person", score=0.4, alignment="exact")
    b = a.model_copy(update={"score": 0.9})
    c = a.model_copy(update={"label": "location"})
    found = Found("Obama", entities=[a, b, c])
    merge_all(found)
    assert [(e.label, e.score) for e in found.entities] == [("person", 0.9), ("location", 0.4)]


def test_a_window_too_small_for_the_answer_is_an_error(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obama: person", max_new_tokens=1000)  # the tiny model's window is 1024 tokens
    with pytest.raises(ExtractionError, match="lower max_new_tokens"):
        ex.entities(TEXT, ["person"])


# --- bad arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda ex: ex.entities(TEXT, []), r"needs labels: a non-empty list of strings, got \[\]"),
    (lambda ex: ex.entities(TEXT, "person"), "got the single string 'person'"),
    (lambda ex: ex.entities(TEXT, ["person", " "]), r"labels\[1\] must be a non-empty string"),
    (lambda ex: ex.entities(42, ["person"]), "must be a string or a list of strings, got int"),
    (lambda ex: ex.entities(["ok", None], ["person"]), r"texts\[1\] must be a string, got NoneType"),
    (lambda ex: ex.extract("sentiment", [TEXT]), "unknown task 'sentiment'; the tasks are: ner, relations"),
    (lambda ex: ex.extract("ner", [TEXT], labels=["x"], colour="red"), "unknown option"),
    (lambda ex: ex.extract("open_ie", [TEXT], labels=["x"]), "do not apply to task 'open_ie'"),
    (lambda ex: ex.extract("ner", [TEXT]), "task 'ner' needs labels: a non-empty list of strings$"),
    (lambda ex: ex.extract("relations", [TEXT], labels=["a"], relation_labels=["b"]), "give one of them"),
    (lambda ex: ex.relations(TEXT, ["born in"], entity_labels=[3]), r"entity_labels\[0\]"),
    (lambda ex: ex.events(TEXT, ["attack"], roles={"meet": ["place"]}), "not one of event_types"),
    (lambda ex: ex.arguments(TEXT, "", ["attacker"]), "trigger must be a non-empty string"),
    (lambda ex: ex.arguments(TEXT, 3.5, ["attacker"]), "trigger must be a string, a span dict"),
    (lambda ex: ex.arguments(TEXT, "born", ["attacker"], event_type=""), "event_type must be a non-empty"),
    (lambda ex: ex.table(TEXT, "  "), "needs instruction"),
])
def test_bad_arguments_raise_clear_errors(scripted_extractor: Build, call: Callable[[Extractor], Any],
                                          message: str) -> None:
    ex = scripted_extractor("NA")
    with pytest.raises(ExtractionError, match=message):
        call(ex)


def test_bad_settings_raise_clear_errors(scripted_extractor: Build) -> None:
    ex = scripted_extractor("NA")
    model, tokenizer = ex.model, ex.tokenizer
    with pytest.raises(ExtractionError, match=r"Extractor\.load"):
        Extractor("default", tokenizer)
    with pytest.raises(ExtractionError, match="max_new_tokens must be a positive integer"):
        Extractor(model, tokenizer, max_new_tokens=0)
    with pytest.raises(ExtractionError, match="fuzzy_threshold"):
        Extractor(model, tokenizer, fuzzy_threshold=150)
    with pytest.raises(ExtractionError, match="at most half of max_chunk_tokens"):
        Extractor(model, tokenizer, max_chunk_tokens=10, overlap_tokens=6)
    with pytest.raises(ExtractionError, match="model must be"):
        Extractor.load("")


# --- constrained decoding ------------------------------------------------------------------------------------


def test_constrained_extraction_uses_only_offered_labels_and_exact_spans(scripted_extractor: Build) -> None:
    """The same scripted model: free, its invented label is dropped with a warning and a misspelt span is matched
    fuzzily; constrained, every entity has an offered label and an exact span, and the result says so."""
    answer = "Obamma: chef"
    free = scripted_extractor(answer).run("ner", [TEXT], labels=["person", "location"])[0]
    assert free.decoding == "free" and not free.entities and any("chef" in w for w in free.warnings)
    constrained = scripted_extractor(answer, decoding="constrained").run("ner", [TEXT], labels=["person", "location"])
    (result,) = constrained
    assert result.decoding == "constrained"
    assert not any("not one of those asked for" in w for w in result.warnings)
    assert result.entities  # the scripted model is steered to some offered label
    for e in result.entities:
        assert e.alignment == "exact" and TEXT[e.start:e.end] == e.text and e.label in ("person", "location")


def test_constrained_relations_and_open_ie_are_grounded(scripted_extractor: Build) -> None:
    ex = scripted_extractor("Obamma: king", decoding="constrained")
    rels = ex.run("relations", [TEXT], relation_labels=["born in", "live in"])[0]
    assert rels.relations
    for r in rels.relations:
        assert r.label in ("born in", "live in")
        assert r.head.alignment == r.tail.alignment == "exact"
    triples = ex.run("open_ie", [TEXT])[0]
    assert triples.triples
    for t in triples.triples:
        assert all(s.alignment == "exact" for s in (t.subject, t.predicate, *t.objects))


def test_unknown_decoding_is_an_error(scripted_extractor: Build) -> None:
    with pytest.raises(ExtractionError, match="decoding must be one of constrained, free"):
        scripted_extractor("NA", decoding="greedy")
