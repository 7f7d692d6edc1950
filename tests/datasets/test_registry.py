"""Registry guard, selection, licences, overlap and validation, on a small fake registry."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from adelie.datasets import registry
from adelie.datasets.overlap import find_overlaps, normalize_text
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.datasets.validate import validate_all
from adelie.errors import HeldOutError, MissingDataError, UnknownDatasetError
from adelie.schema import Example, Task

SENTENCES = {
    ("trainset", "train"): ["The committee approved the new budget on Tuesday morning.", "Short one."],
    ("trainset", "test"): ["A completely different sentence about rivers and lakes."],
    ("heldout", "test"): ["the Committee approved the new budget, on Tuesday morning!", "Short one."],
    ("never", "all"): ["Nothing in common with anything else in this small fixture."],
}


def _reader(name: str):
    def read(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
        for i, s in enumerate(SENTENCES[(name, split)]):
            ex = ctx.example(folder / f"{split}.txt", i + 1, id=f"{name}-{i}", dataset=name, split=split, text=s)
            if ex is not None:
                yield ex
    return read


@pytest.fixture
def fake_registry(tmp_path, monkeypatch):
    for folder in ("trainset", "heldout", "never"):
        (tmp_path / folder).mkdir()
    (tmp_path / "trainset" / "SOURCE.txt").write_text("repository: x\nlicence: CC BY 4.0 (stated in README)\n")
    specs = {
        "trainset": DatasetSpec("trainset", "trainset", (Task.NER,), (SplitSpec("train", "train", 2),
                                SplitSpec("test", "in-domain test", 1)), "open", _reader("trainset")),
        "heldout": DatasetSpec("heldout", "heldout", (Task.NER,), (SplitSpec("test", "held-out", 2),),
                               "non-commercial", _reader("heldout")),
        "never": DatasetSpec("never", "never", (Task.RELATION_CLASSIFICATION,), (SplitSpec("all", "never", 3),),
                             "unstated", _reader("never")),
    }
    monkeypatch.setattr(registry, "_SPECS", specs)
    monkeypatch.setenv("ADELIE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_held_out_and_never_splits_cannot_be_trained_on(fake_registry):
    registry.check_trainable("trainset", "train")
    with pytest.raises(HeldOutError, match="heldout/test has role 'held-out'"):
        registry.check_trainable("heldout", "test")
    with pytest.raises(HeldOutError, match="never/all has role 'never'"):
        registry.check_trainable("never", "all")
    with pytest.raises(HeldOutError, match="trainset/test has role 'in-domain test'"):
        registry.check_trainable("trainset", "test")
    pool = registry.training_pool()
    assert [(d.name, s.name) for d, s in pool] == [("trainset", "train")]
    with pytest.raises(HeldOutError, match="heldout has no train-role split"):
        registry.training_pool(names=["trainset", "heldout"])


def test_select_filters(fake_registry):
    assert [d.name for d, _ in registry.select(task="relation_classification")] == ["never"]
    assert [d.name for d, _ in registry.select(licences=["open", "unstated"])] == ["trainset", "trainset", "never"]
    assert [(d.name, s.name) for d, s in registry.select(role="held-out")] == [("heldout", "test")]


def test_unknown_names_suggest_close_matches(fake_registry):
    with pytest.raises(UnknownDatasetError, match=r"unknown dataset 'trainst'\. Did you mean trainset"):
        registry.get("trainst")
    with pytest.raises(UnknownDatasetError, match="has no split 'dev'; its splits are: train, test"):
        registry.load("trainset", "dev")


def test_licence_comes_from_source_txt(fake_registry):
    assert registry.licence_text(registry.get("trainset")) == "CC BY 4.0 (stated in README)"
    assert "no licence line" not in registry.licence_text(registry.get("trainset"))
    assert registry.licence_text(registry.get("heldout")).startswith("(non-commercial; SOURCE.txt not found")


def test_data_dir_resolution(fake_registry, monkeypatch, tmp_path):
    assert registry.data_dir() == fake_registry
    monkeypatch.setenv("ADELIE_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(MissingDataError, match=r"ADELIE_DATA_DIR=.*nope is not a directory"):
        registry.data_dir()
    with pytest.raises(MissingDataError, match="does not exist"):
        registry.data_dir(tmp_path / "also-nope")


def test_missing_dataset_folder_is_named(fake_registry):
    (fake_registry / "heldout").rmdir()
    with pytest.raises(MissingDataError, match=r"dataset 'heldout': folder .*heldout is missing"):
        registry.load("heldout", "test")


def test_overlap_check_finds_normalised_matches_and_ignores_short_sentences(fake_registry):
    assert normalize_text("  The Committee, approved! ") == "the committee approved"
    report = find_overlaps()
    assert report.checked_train == ["trainset/train"]
    assert report.checked_protected == ["heldout/test", "never/all"]
    assert report.shared == {("trainset/train", "heldout/test"): 1}  # "Short one." is below the length floor
    assert report.to_dict()["overlaps"][0]["sample"].startswith("the committee approved")


def test_validate_reports_sizes_and_overlap(fake_registry):
    report = validate_all()
    by = {(r.dataset, r.split): r for r in report.splits}
    assert by[("trainset", "train")].ok and by[("heldout", "test")].ok
    assert not by[("never", "all")].ok and by[("never", "all")].examples == 1  # expected 3
    assert not report.ok
    assert report.overlap is not None and not report.overlap.clean


@pytest.mark.parametrize(("dataset", "raw", "name"), [
    ("casie", "Attack", "attack"),
    ("casie", "Vulnerability-related", "vulnerability-related"),
    ("rams", "conflict.attack", "attack"),
    ("rams", "contact.commitmentpromiseexpressintent", "commitment promise express intent"),
    ("rams", "disaster.accidentcrash", "accident crash"),
    ("rams", "life.die", "die"),
    ("wikievents", "ArtifactExistence.DamageDestroyDisableDismantle", "damage destroy disable dismantle"),
    ("wikievents", "Justice.ArrestJailDetain", "arrest jail detain"),
    ("fewnerd_inter", "person", "person"),
])
def test_coarse_types_have_readable_names(dataset, raw, name):
    assert registry.get(dataset).coarse_name(raw) == name


@pytest.mark.parametrize("dataset", ["casie", "rams", "wikievents", "fewnerd_inter"])
def test_every_coarse_name_reads_as_words(dataset):
    spec = registry.get(dataset)
    fine_words = {w for raw in spec.coarse for w in spec.label_name(raw).replace(":", " ").split()}
    for raw in set(spec.coarse.values()):
        name = spec.coarse_name(raw)
        assert name == name.lower() and "." not in name and "_" not in name, (raw, name)
        # no glued ids such as "commitmentpromiseexpressintent": each word is a word of the fine names or short
        assert all(w in fine_words or len(w) <= 12 for w in name.replace("-", " ").split()), (raw, name)
