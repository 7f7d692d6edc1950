"""The shared CoNLL-style reader on handwritten fixtures, plus a count check on the real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adelie.datasets import conll
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import DatasetSpec, dataset_dir
from adelie.errors import DataFormatError, MissingDataError, UnknownDatasetError
from adelie.schema import Example

FIXTURES = Path(__file__).parent.parent / "fixtures"
SPECS = {s.name: s for s in conll.SPECS}


def _read(name: str, split: str, folder: Path | None = None, ctx: ReadContext | None = None) -> list[Example]:
    spec = SPECS[name]
    return list(spec.reader(folder or FIXTURES / spec.folder, split, ctx or ReadContext()))


def _ents(ex: Example) -> list[tuple[str, str | None]]:
    return [(s.text, s.label) for s in ex.entities]


def _copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


# --- tags ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "spans"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),  # BIO
        (["I-PER", "I-PER", "O", "I-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),  # IOB1: I- starts an entity
        (["I-ORG", "I-ORG", "B-ORG", "I-ORG"], [(0, 2, "ORG"), (2, 4, "ORG")]),  # IOB1: B- between same type
        (["B-LOC", "B-LOC", "I-LOC"], [(0, 1, "LOC"), (1, 3, "LOC")]),
        (["I-MISC", "I-LOC", "B-x_y/z", "I-x_y/z"], [(0, 1, "MISC"), (1, 2, "LOC"), (2, 4, "x_y/z")]),
        (["O", "O"], []),
    ],
)
def test_decode_tags(tags: list[str], spans: list[tuple[int, int, str]]) -> None:
    assert conll.decode_tags(tags) == spans


def test_decode_tags_rejects_unknown_tags() -> None:
    with pytest.raises(ValueError, match="expected the tag O, B-<type> or I-<type>, got 'E-PER'"):
        conll.decode_tags(["O", "E-PER"])


def test_parse_line_columns_and_prefix() -> None:
    assert conll.parse_line("EU NNP B-NP I-ORG") == ("EU", "I-ORG")  # token first, tag last
    assert conll.parse_line("New York\tB-LOC") == ("New York", "B-LOC")  # tabs win over spaces
    assert conll.parse_line("en:Rome\tB-LOC", "en:") == ("Rome", "B-LOC")


# --- readers ---------------------------------------------------------------------------------------------


def test_conll2003_iob1_documents_and_offsets() -> None:
    exs = _read("conll2003", "train")
    assert [e.id for e in exs] == [f"conll2003-train-{i}" for i in range(4)]
    assert [e.doc_id for e in exs] == ["conll2003-train-doc0"] * 2 + ["conll2003-train-doc1"] * 2
    lena, deal, oslo, team = exs
    assert lena.text == "Lena Brandt visited Oslo on Monday."
    assert [(s.start, s.end, s.label) for s in lena.entities] == [(0, 11, "PER"), (20, 24, "LOC")]
    assert deal.text == "Kenya Airways Air France signed a deal (Reuters)"
    assert _ents(deal) == [("Kenya Airways", "ORG"), ("Air France", "ORG"), ("Reuters", "ORG")]
    assert _ents(oslo) == [("OSLO", "LOC")]
    assert _ents(team) == [("Dutch", "MISC"), ("Amsterdam", "LOC")]
    assert lena.meta == {"tokens": ["Lena", "Brandt", "visited", "Oslo", "on", "Monday", "."], "line": 3}
    assert team.meta["line"] == 28 and {e.dataset for e in exs} == {"conll2003"}


def test_wikiann_prefix_bio_and_tab_only_separator() -> None:
    rio, trust, cities = _read("wikiann_en", "dev")
    assert rio.text == "Rio de Janeiro, Brazil" and rio.doc_id is None
    assert _ents(rio) == [("Rio de Janeiro", "LOC"), ("Brazil", "LOC")]
    assert trust.text == "The Kestrel Trust hired Ada Lin."  # the line holding only a tab ends a sentence
    assert _ents(trust) == [("Kestrel Trust", "ORG"), ("Ada Lin", "PER")]
    assert _ents(cities) == [("Paris", "LOC"), ("Lyon", "LOC"), ("Nice", "LOC")]
    assert not any(t.startswith("en:") for e in (rio, trust, cities) for t in e.meta["tokens"])


def test_crossner_domain_reads_its_subfolder() -> None:
    spec = SPECS["crossner_music"]
    assert spec.folder == "crossner"
    band, award = _read("crossner_music", "dev")
    assert band.id == "crossner_music-dev-0" and band.text == "The band Velvet Owls released Night Tide in 1999."
    assert _ents(band) == [("Velvet Owls", "band"), ("Night Tide", "album")]
    assert _ents(award) == [("Golden Lyre", "award")]
    assert spec.label_name("musicalartist") == "musical artist"


def test_fewnerd_fine_labels_and_coarse() -> None:
    athlete, party = _read("fewnerd_inter", "test")
    assert _ents(athlete) == [("Mira Holt", "person_athlete"), ("Vantor GT", "product_car")]
    # I- of another type right after an entity starts a new one (as in the real INTER test file)
    assert _ents(party) == [("Lakeland", "organization_government/governmentagency"),
                            ("Green Party", "organization_politicalparty")]
    spec = SPECS["fewnerd_inter"]
    assert spec.label_name("person_athlete") == "athlete" and spec.coarse["person_athlete"] == "person"
    assert spec.label_name("organization_government/governmentagency") == "government agency"


def test_bad_column_count_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "conll2003")
    _append(folder / "train.txt", "\nlonely\n")
    with pytest.raises(DataFormatError, match=r"train\.txt, line 35: expected a token and a tag"):
        _read("conll2003", "train", folder)


def test_bad_tag_names_file_and_line(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "wikiann_en")
    _append(folder / "dev", "\nen:Rome\tS-LOC\n")
    with pytest.raises(DataFormatError, match=r"dev, line 19: expected the tag O, B-<type> or I-<type>.*'S-LOC'"):
        _read("wikiann_en", "dev", folder)


def test_missing_prefix_is_reported(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "wikiann_en")
    _append(folder / "dev", "\nRome\tB-LOC\n")
    with pytest.raises(DataFormatError, match=r"line 19: expected a token starting with 'en:', got 'Rome'"):
        _read("wikiann_en", "dev", folder)


def test_skip_invalid_drops_bad_sentences_and_keeps_ids(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "conll2003")
    # a bad sentence (two bad lines, one report), a good one, and a bad last line without a final newline
    _append(folder / "train.txt", "\nBad\nAlso bad\n\nRome NNP I-NP I-LOC\n\nGood NNP I-NP O\nRome NNP I-NP Q-LOC")
    ctx = ReadContext(skip_invalid=True)
    exs = _read("conll2003", "train", folder, ctx)
    assert [e.id for e in exs][-2:] == ["conll2003-train-3", "conll2003-train-5"]
    assert _ents(exs[-1]) == [("Rome", "LOC")]
    assert [(Path(e.path).name, e.where) for e in ctx.skipped] == [("train.txt", 35), ("train.txt", 41)]


def test_missing_file_and_unknown_split(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"emerging\.dev\.conll"):
        _read("wnut17", "dev", tmp_path)
    with pytest.raises(UnknownDatasetError, match="no split 'train'"):
        _read("jnlpba_genia", "train", tmp_path)


def test_specs() -> None:
    assert list(SPECS) == [
        "conll2003", "wnut17", "wikiann_en", "bc5cdr", "ncbi_disease", "jnlpba_genia", "crossner_ai",
        "crossner_literature", "crossner_music", "crossner_politics", "crossner_science", "fewnerd_inter",
    ]
    assert SPECS["conll2003"].roles_summary == (
        "train: train; dev: dev; test: in-domain test; test_original: in-domain test")
    assert SPECS["conll2003"].licence_class == "research-only"
    assert [(s.name, s.role, s.expected) for s in SPECS["jnlpba_genia"].splits] == [
        ("dev", "train", 1739), ("test", "in-domain test", 3856)]
    crossner = [s for s in SPECS.values() if s.name.startswith("crossner_")]
    assert {s.role for spec in crossner for s in spec.splits} == {"held-out"}
    assert [(s.name, s.role, s.expected) for s in SPECS["fewnerd_inter"].splits] == [("test", "held-out", 14006)]
    assert all(spec.entity_labels for spec in SPECS.values())


@pytest.mark.data
@pytest.mark.parametrize("name", list(SPECS))
def test_real_data_counts(name: str) -> None:
    spec: DatasetSpec = SPECS[name]
    try:
        folder = dataset_dir(spec)
    except MissingDataError as exc:
        pytest.skip(str(exc))
    for split in spec.splits:
        labels: set[str] = set()
        n = 0
        for ex in spec.reader(folder, split.name, ReadContext()):
            n += 1
            labels.update(s.label for s in ex.entities if s.label)
        assert n == split.expected, f"{name}/{split.name}"
        assert labels <= set(spec.entity_labels), f"{name}/{split.name}: unnamed labels"
