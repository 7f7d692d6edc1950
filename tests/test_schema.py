import pytest
from pydantic import ValidationError

from adelie.schema import Event, Example, OpenTuple, Relation, Span, Table, make_argument, make_span

TEXT = "Marie Curie worked in Paris for the University of Paris."


def test_example_accepts_matching_spans():
    curie, paris = make_span(TEXT, 0, 11, "PER"), make_span(TEXT, 22, 27, "LOC")
    ev = Event(trigger=make_span(TEXT, 12, 18), type="Work", arguments=(make_argument(TEXT, 0, 11, "agent"),))
    ex = Example(id="x", dataset="d", split="train", text=TEXT, entities=(curie, paris),
                 relations=(Relation(head=curie, tail=paris, label="Live_In"),), events=(ev,))
    assert [s.text for _, s in ex.iter_spans()] == ["Marie Curie", "Paris", "Marie Curie", "Paris", "worked",
                                                     "Marie Curie"]


def test_span_text_must_match_the_source():
    bad = Span(start=0, end=5, text="Curie")
    with pytest.raises(ValidationError, match=r"entities\[0\] says 'Curie' but text\[0:5\] is 'Marie'"):
        Example(id="x", dataset="d", split="train", text=TEXT, entities=(bad,))


def test_span_past_the_end_and_nested_relation_spans_are_checked():
    with pytest.raises(ValidationError, match="runs past the end"):
        Example(id="x", dataset="d", split="t", text="short", entities=(Span(start=3, end=8, text="rt..."),))
    good = make_span(TEXT, 0, 5)
    with pytest.raises(ValidationError, match=r"relations\[0\]\.tail"):
        Example(id="x", dataset="d", split="t", text=TEXT,
                relations=(Relation(head=good, tail=Span(start=1, end=2, text="Z"), label="r"),))


def test_span_length_and_order():
    with pytest.raises(ValidationError, match="before its start"):
        Span(start=5, end=2, text="")
    with pytest.raises(ValidationError, match="covers 3 characters"):
        Span(start=0, end=3, text="ab")
    with pytest.raises(ValueError, match="outside the text"):
        make_span("abc", 2, 9)


def test_nested_entities_allowed_and_sentences_checked():
    ex = Example(id="x", dataset="d", split="t", text=TEXT,
                 entities=(make_span(TEXT, 36, 55, "ORG"), make_span(TEXT, 50, 55, "LOC")), sentences=((0, 56),))
    assert ex.sentence_texts() == [TEXT]
    with pytest.raises(ValidationError, match="sentence 0 boundaries"):
        Example(id="x", dataset="d", split="t", text="abc", sentences=((0, 9),))


def test_open_tuple_and_table_shapes():
    OpenTuple(predicate="worked in", arguments=("Marie Curie", "Paris"))
    with pytest.raises(ValidationError, match="2 argument spans for 1 arguments"):
        OpenTuple(predicate="p", arguments=("a",), argument_spans=(None, None))
    assert Table(header=("drug", "dose"), rows=(("x", "1 mg"),)).rows[0][1] == "1 mg"
    with pytest.raises(ValidationError, match="row 0 has 1 cells, the header has 2"):
        Table(header=("drug", "dose"), rows=(("x",),))


def test_json_round_trip():
    ex = Example(id="x", dataset="d", split="t", text=TEXT, entities=(make_span(TEXT, 0, 11, "PER"),),
                 table=Table(header=("a",), rows=(("b",),)), meta={"k": 1})
    assert Example.model_validate_json(ex.model_dump_json(exclude_defaults=True)) == ex
