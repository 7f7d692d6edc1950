"""Label descriptions and synonyms: well-formed, unambiguous, and in step with the registry's train labels."""

from __future__ import annotations

import json
import re

import pytest

from adelie.datasets.registry import all_specs, dataset_dir
from adelie.errors import DataFormatError, MissingDataError
from adelie.schema import Task
from adelie.tasks import labels
from adelie.tasks.labels import KIND_OF_MAP, KINDS, TASK_KIND, Kind, normalise

# FewRel's spec maps every FewRel split's labels; only the 16 relations of val_wiki are trained on.
FEWREL_TRAIN_PIDS = frozenset({
    "P25", "P26", "P40", "P59", "P155", "P177", "P206", "P361", "P364", "P410", "P412", "P413", "P463", "P641",
    "P921", "P2094",
})


def _train_labels() -> dict[Kind, dict[str, set[str]]]:
    """Readable names of every label of a dataset with a train-role split: kind -> name -> {dataset:raw}."""
    out: dict[Kind, dict[str, set[str]]] = {k: {} for k in KINDS}
    for spec in all_specs().values():
        if not any(s.role == "train" for s in spec.splits):
            continue
        for attr, kind in KIND_OF_MAP.items():
            for raw, name in getattr(spec, attr).items():
                if spec.name == "fewrel" and raw not in FEWREL_TRAIN_PIDS:
                    continue
                out[kind].setdefault(normalise(name), set()).add(f"{spec.name}:{raw}")
    return out


def test_lookup() -> None:
    assert labels.description("person") == labels.description("  PERSON ") is not None
    assert "organisation" in labels.synonyms("organization")
    assert labels.description("location", "relation") != labels.description("location", "entity")
    assert labels.description("location") == labels.description("location", "entity")  # entity kind comes first
    assert labels.description("no such label") is None and labels.synonyms("no such label") == ()
    assert labels.description("cell_line") == labels.description("cell line")
    with pytest.raises(ValueError, match="label kind"):
        labels.description("person", "entities")  # type: ignore[arg-type]


def test_task_kinds() -> None:
    assert TASK_KIND[Task.NER] == "entity" and TASK_KIND[Task.EVENT_ARGUMENTS] == "role"
    assert set(TASK_KIND.values()) == set(KINDS)
    assert labels.description("location", TASK_KIND[Task.RELATION_EXTRACTION]) == labels.description(
        "location", "relation"
    )


def test_descriptions_and_synonyms_cover_the_same_names() -> None:
    for kind in KINDS:
        names = labels.names(kind)
        assert names, kind
        assert all(labels.synonyms(n, kind) for n in names), kind
        assert labels._synonyms()[kind].keys() == labels._descriptions()[kind].keys(), kind


def test_descriptions_are_single_sentences() -> None:
    for kind in KINDS:
        for name in labels.names(kind):
            text = labels.description(name, kind)
            assert text is not None and text[0].isupper() and text.endswith("."), (kind, name)
            assert not re.search(r"[.!?]\s+[A-Z]", text[:-1]), (kind, name)
            assert 10 <= len(text) <= 200, (kind, name)


def test_synonyms_are_distinct_paraphrases() -> None:
    for kind in KINDS:
        names = {normalise(n) for n in labels.names(kind)}
        owner: dict[str, str] = {}
        for name in labels.names(kind):
            syns = [normalise(s) for s in labels.synonyms(name, kind)]
            assert 2 <= len(syns) <= 5, (kind, name)
            assert len(set(syns)) == len(syns), (kind, name)
            for s in syns:
                assert s not in names, f"{kind} {name!r}: synonym {s!r} is itself a {kind} label"
                assert owner.setdefault(s, name) == name, f"{kind}: {s!r} is a synonym of {owner[s]!r} and {name!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_every_train_label_is_described_and_nothing_else(kind: Kind) -> None:
    wanted = _train_labels()[kind]
    have = {normalise(n) for n in labels.names(kind)}
    missing = {n: sorted(src)[:3] for n, src in wanted.items() if n not in have}
    assert not missing, f"{kind} labels of train-role datasets without a description: {missing}"
    extra = sorted(have - wanted.keys())
    assert not extra, f"{kind} entries that are no train-role dataset's label (renamed? held-out?): {extra}"


@pytest.mark.data
def test_fewrel_train_pids_are_those_of_val_wiki() -> None:
    spec = all_specs()["fewrel"]
    try:
        folder = dataset_dir(spec)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    data = json.loads((folder / "val_wiki.json").read_text(encoding="utf-8"))
    assert set(data) == FEWREL_TRAIN_PIDS


@pytest.mark.parametrize(
    "body, problem",
    [
        ("entity: {}\nrelation: {}\nevent: {}\n", "exactly the sections"),
        ("entity: {Person: a, person: b}\nrelation: {}\nevent: {}\nrole: {}\n", "duplicates 'Person'"),
        ("entity: []\nrelation: {}\nevent: {}\nrole: {}\n", "mapping from label name"),
        ("entity: {person: ''}\nrelation: {}\nevent: {}\nrole: {}\n", "non-empty one-sentence"),
        ("entity: [unclosed\n", "readable YAML"),
    ],
)
def test_malformed_files_name_the_file_and_problem(tmp_path, monkeypatch, body: str, problem: str) -> None:
    path = tmp_path / "descriptions.yaml"
    path.write_text(body)
    monkeypatch.setattr(labels, "DESCRIPTIONS_PATH", path)
    labels._descriptions.cache_clear()
    try:
        with pytest.raises(DataFormatError, match=re.escape(problem)) as err:
            labels.description("person")
        assert str(path) in str(err.value)
    finally:
        labels._descriptions.cache_clear()
