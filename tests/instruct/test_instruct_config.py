"""The IEInstruct config: ADELIE's defaults, YAML loading, and errors that name the file and the key."""

import pytest

from adelie.errors import AdelieError
from adelie.instruct.config import InstructConfig, config_from_dict, load_config


def test_defaults_are_adelie_values():
    cfg = load_config(None)
    assert cfg == InstructConfig()
    assert cfg.per_dataset_cap == 5000 and cfg.datasets is None and cfg.no_answer_max == 0.2
    assert cfg.formats == {"canonical": 0.8, "json": 0.1, "natural": 0.1}
    assert (cfg.few_shot.rate, cfg.few_shot.min_shots, cfg.few_shot.max_shots) == (0.5, 1, 8)
    assert cfg.explanations.rate == 0.1 and cfg.explanations.path is None and cfg.explanations.fallback == "gold"
    k = cfg.labels
    assert (k.description_rate, k.description_max_labels, k.example_rate, k.example_max_labels) == (0.2, 10, 0.2, 15)
    assert (k.class_dropout, k.symbolic_rate, k.distractors) == (0.1, 0.05, True)
    assert cfg.general.share == 0.1 and cfg.length.tokenizer == "default"


def test_yaml_sets_nested_fields_and_keeps_the_rest(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: 3\nper_dataset_cap: 50\nlabels:\n  class_dropout: 0.3\ncaps: {conll2003: 10}\n")
    cfg = load_config(path)
    assert (cfg.seed, cfg.per_dataset_cap, cfg.labels.class_dropout) == (3, 50, 0.3)
    assert cfg.labels.description_rate == 0.2
    assert cfg.cap_for("conll2003") == 10 and cfg.cap_for("wnut17") == 50
    assert config_from_dict(cfg.to_dict()) == cfg


def test_empty_yaml_is_the_default(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("")
    assert load_config(path) == InstructConfig()


@pytest.mark.parametrize(("text", "message"), [
    ("labels:\n  dropout: 0.1\n", r"c.yaml: invalid IEInstruct config: labels.dropout"),
    ("seed: abc\n", r"c.yaml: invalid IEInstruct config: seed"),
    ("few_shot: {rate: 1.5}\n", r"c.yaml: few_shot.rate must be between 0 and 1, got 1.5"),
    ("formats: {xml: 1}\n", r"c.yaml: formats must map some of"),
    ("- a\n- b\n", r"c.yaml: expected a YAML mapping of config fields, got list"),
    ("few_shot: {min_shots: 5, max_shots: 2}\n", r"min_shots <= max_shots"),
    ("explanations: {fallback: teacher}\n", r"c.yaml: explanations.fallback must be one of gold, none, got 'teacher'"),
])
def test_bad_configs_name_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(AdelieError, match=message):
        load_config(path)


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(AdelieError, match=r"cannot read config .*nope\.yaml"):
        load_config(tmp_path / "nope.yaml")
