"""Reading answered labels as offered ones: exact, punctuation-blind, close variants, and ambiguity."""

from __future__ import annotations

import pytest

from adelie.extract.labels import LabelMatch, LabelMatcher, inflected_variant, loose

RELATIONS = ["work for", "located in", "live in", "organization based in", "kill", "per:city_of_birth"]


@pytest.mark.parametrize(("answered", "expected"), [
    ("work for", LabelMatch("work for")),
    (" Work  For. ", LabelMatch("work for")),
    ("per city of birth", LabelMatch("per:city_of_birth")),  # only the punctuation differs: not a guess
    ("located-in", LabelMatch("located in")),
    ("worked for", LabelMatch("work for", variant=True)),
    ("locate in", LabelMatch("located in", variant=True)),
    ("lives in", LabelMatch("live in", variant=True)),
    ("killed", LabelMatch("kill", variant=True)),
    ("organisation based in", LabelMatch("organization based in", variant=True)),  # ratio 95
    ("born in", None),
    ("live", None),
    ("", None),
    ("???", None),
])
def test_answered_labels_read_as_offered_ones(answered: str, expected: LabelMatch | None) -> None:
    assert LabelMatcher(RELATIONS).match(answered) == expected


def test_a_variant_is_taken_only_when_no_other_label_comes_within_five_points() -> None:
    assert LabelMatcher(["work for", "works for"]).match("worked for") is None
    assert LabelMatcher(["person", "personas"]).match("persons") is None
    assert LabelMatcher(["kill", "kills"]).match("killed") == LabelMatch("kill", variant=True)  # 80 against 73
    assert LabelMatcher(["located in", "located_in"]).match("located.in") is None  # two read the same
    assert LabelMatcher(["Located In", "located in"]).match("LOCATED IN") == LabelMatch("located in")


def test_inflections_and_loose_forms() -> None:
    assert loose(" Per:City_of  Birth! ") == "per city of birth"
    assert inflected_variant("worked for", "work for") and inflected_variant("locate in", "located in")
    assert inflected_variant("marry", "married") and inflected_variant("stop", "stopped")
    assert inflected_variant("make", "making")
    assert not inflected_variant("work for", "work for")
    assert not inflected_variant("work for", "worker for")
    assert not inflected_variant("in", "ins")  # too short to inflect
    assert not inflected_variant("work for", "worked")
