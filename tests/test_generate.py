"""adelie.generate with the tiny random model and scripted models (see conftest.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from adelie.errors import AdelieError
from adelie.generate import GenerationConfig, Generator, plan_batches, repetition_end
from adelie.models import load_model

PROMPTS = [
    "Marie Curie won the Nobel Prize.",
    "Extract all named entities from the sentence below. " * 4,
    "Hi",
    "Apple Inc. is based in Cupertino, California, and the European Union signed a trade agreement with Japan.",
    "Answer with one entity per line.",
    "The quick brown fox jumps over the lazy dog. " * 2,
    "Event extraction finds triggers.",
]
CONVERSATIONS = [[{"role": "user", "content": p}] for p in PROMPTS]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path):
    return load_model(str(tiny_model_dir), device="cpu")


def generator(tiny, **settings) -> Generator:
    model, tokenizer = tiny
    return Generator(model, tokenizer, GenerationConfig(**settings), progress=False)


def word(tokenizer, text: str) -> int:
    (token,) = tokenizer(text, add_special_tokens=False)["input_ids"]
    return token


# --- ordering, batching, padding -------------------------------------------------------------------------------


def test_batched_greedy_equals_unbatched_in_input_order(tiny) -> None:
    batched = generator(tiny, max_new_tokens=12, batch_size=3).generate(CONVERSATIONS)
    alone = generator(tiny, max_new_tokens=12, batch_size=1)
    assert len(batched) == len(CONVERSATIONS)
    for outputs, conversation in zip(batched, CONVERSATIONS, strict=True):
        (expected,) = alone.generate([conversation])[0]
        assert outputs[0].token_ids == expected.token_ids
        assert outputs[0].text == expected.text
        assert outputs[0].logprobs == pytest.approx(expected.logprobs, abs=1e-4)
    assert len({tuple(o[0].token_ids) for o in batched}) > 1  # prompts differ, so a mix-up would show


def test_plan_batches_sorts_by_length_and_respects_token_budget() -> None:
    lengths = [5, 50, 20, 30, 10]
    assert plan_batches(lengths, GenerationConfig(batch_size=2)) == [[1, 3], [2, 4], [0]]
    budget = GenerationConfig(batch_size=8, max_new_tokens=10, n=2, max_batch_tokens=200)
    batches = plan_batches(lengths, budget)
    assert sorted(i for b in batches for i in b) == list(range(5))
    assert all(len(b) * 2 * (lengths[b[0]] + 10) <= 200 for b in batches if len(b) > 1)


def test_logprobs_are_the_model_log_probabilities(tiny) -> None:
    model, tokenizer = tiny
    (out,) = generator(tiny, max_new_tokens=8, repetition_guard=False).generate(CONVERSATIONS[:1])[0]
    prompt = tokenizer.apply_chat_template(CONVERSATIONS[0], tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt_ids + out.token_ids])
    with torch.no_grad():
        logprobs = torch.log_softmax(model(ids).logits[0, len(prompt_ids) - 1 : -1], dim=-1)
    expected = logprobs.gather(1, torch.tensor(out.token_ids)[:, None]).squeeze(1).tolist()
    assert out.logprobs == pytest.approx(expected, abs=1e-4)
    assert out.mean_logprob == pytest.approx(sum(expected) / len(expected), abs=1e-4)


# --- sampling ----------------------------------------------------------------------------------------------------


def test_seeded_sampling_is_reproducible(tiny) -> None:
    def tokens(seed: int) -> list[list[list[int]]]:
        outputs = generator(tiny, max_new_tokens=10, temperature=1.0, top_p=0.9, seed=seed, batch_size=4)
        return [[o.token_ids for o in outs] for outs in outputs.generate(CONVERSATIONS)]

    torch.manual_seed(123)
    state = torch.get_rng_state()
    assert tokens(7) == tokens(7)
    assert tokens(7) != tokens(8)
    assert torch.equal(torch.get_rng_state(), state)  # the caller's random state is left alone


def test_n_samples_per_prompt(tiny) -> None:
    outputs = generator(tiny, max_new_tokens=8, temperature=1.0, n=4, batch_size=2).generate(CONVERSATIONS[:3])
    assert [len(o) for o in outputs] == [4, 4, 4]
    assert all(len({tuple(s.token_ids) for s in samples}) > 1 for samples in outputs)
    greedy = generator(tiny, max_new_tokens=8, n=3).generate(CONVERSATIONS[:2])
    for samples in greedy:
        assert len(samples) == 3 and len({tuple(s.token_ids) for s in samples}) == 1
        assert samples[0].token_ids is not samples[1].token_ids


def test_max_new_tokens_is_respected(tiny) -> None:
    for outs in generator(tiny, max_new_tokens=5, temperature=1.0, n=2).generate(CONVERSATIONS):
        for out in outs:
            assert out.num_tokens <= 5 and len(out.logprobs) == out.num_tokens
            assert out.finish_reason in ("length", "stop")
            assert out.finish_reason == "stop" or out.num_tokens == 5


# --- stopping ----------------------------------------------------------------------------------------------------


def test_stops_at_end_of_turn(scripted_model, tiny_tokenizer) -> None:
    text, colon, im_end = word(tiny_tokenizer, "Text"), word(tiny_tokenizer, ":"), tiny_tokenizer.eos_token_id
    model, tokenizer = load_model(scripted_model({text: colon, colon: im_end}, default=text), device="cpu")
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=50, temperature=1.0, n=2), progress=False)
    for outs in gen.generate(CONVERSATIONS[:3]):
        for out in outs:
            assert (out.text, out.token_ids, out.finish_reason) == ("Text:", [text, colon, im_end], "stop")
            assert all(-1e-3 < lp <= 0 for lp in out.logprobs)


def test_repetition_guard_stops_a_forced_loop(scripted_model, tiny_tokenizer) -> None:
    again, and_ = word(tiny_tokenizer, " again"), word(tiny_tokenizer, " and")
    model, tokenizer = load_model(scripted_model({again: and_, and_: again}, default=again), device="cpu")
    guarded = Generator(model, tokenizer, GenerationConfig(max_new_tokens=300, batch_size=2), progress=False)
    for (out,) in guarded.generate(CONVERSATIONS[:3]):
        assert out.finish_reason == "repetition"
        assert out.num_tokens == 48  # repetition_min_span: a period-2 loop fires once 48 tokens repeat
        assert out.text == " again and" * 24
    unguarded = GenerationConfig(max_new_tokens=60, repetition_guard=False)
    (out,) = Generator(model, tokenizer, unguarded, progress=False).generate(CONVERSATIONS[:1])[0]
    assert (out.finish_reason, out.num_tokens) == ("length", 60)


def test_stop_strings(scripted_model, tiny_tokenizer) -> None:
    the, again, and_ = (word(tiny_tokenizer, w) for w in (" the", " again", " and"))
    model, tokenizer = load_model(scripted_model({the: again, again: and_, and_: the}, default=the), device="cpu")
    config = GenerationConfig(max_new_tokens=30, stop=[" and"])
    (out,) = Generator(model, tokenizer, config, progress=False).generate(CONVERSATIONS[:1])[0]
    assert (out.text, out.token_ids, out.finish_reason) == (" the again", [the, again, and_], "stop")


def test_guard_matches_reference_rule() -> None:
    """The per-step tensor guard fires exactly where the pure-Python rule says."""
    from adelie._hf_decoding import RepetitionGuard

    rng = random.Random(0)
    rows = []
    for _ in range(30):
        head = [rng.randrange(50) for _ in range(rng.randrange(0, 40))]
        block = [rng.randrange(50) for _ in range(rng.randrange(1, 12))]
        rows.append(head + block * rng.randrange(1, 12) + [rng.randrange(50) for _ in range(5)])
    width = max(len(r) for r in rows)
    prompt = 7
    guard = RepetitionGuard(prompt, max_period=16, min_repeats=3, min_span=12)
    fired_at: list[int | None] = [None] * len(rows)
    ids = torch.tensor([[0] * prompt + r + [0] * (width - len(r)) for r in rows])
    for step in range(1, width + 1):
        hit = guard(ids[:, : prompt + step], None)
        for i in range(len(rows)):
            if hit[i] and fired_at[i] is None:
                fired_at[i] = step
    for row, fired, recorded in zip(rows, fired_at, guard.fired.tolist(), strict=True):
        expected = repetition_end(row + [0] * (width - len(row)), 16, 3, 12)
        assert fired == expected
        assert recorded == (expected if expected is not None else -1)


def test_repetition_end() -> None:
    assert repetition_end([1, 2, 3, 4], 4, 2, 1) is None
    assert repetition_end([9, 1, 2, 1, 2, 1, 2], 4, 3, 1) == 7
    assert repetition_end([5] * 10, 4, 2, 8) == 8
    assert repetition_end([5] * 7, 4, 2, 8) is None


# --- interface ---------------------------------------------------------------------------------------------------


def test_interface_errors_and_spec_loading(tiny, tiny_model_dir: Path) -> None:
    model, tokenizer = tiny
    with pytest.raises(AdelieError, match="temperature"):
        GenerationConfig(temperature=-1)
    with pytest.raises(AdelieError, match="model path"):
        Generator(model, tokenizer, backend="vllm")
    with pytest.raises(AdelieError, match="tokenizer"):
        Generator(model)
    gen = Generator(str(tiny_model_dir), config=GenerationConfig(max_new_tokens=3), progress=False)
    assert gen.backend == "transformers"
    assert gen.generate([]) == []
    assert len(gen.generate(CONVERSATIONS[:2])) == 2
    with pytest.raises(AdelieError, match="conversation 0"):
        gen.generate([[{"role": "user"}]])
    with pytest.raises(AdelieError, match="at most 1024"):
        gen.generate([[{"role": "user", "content": "Marie Curie " * 600}]])
    gen.model.train()
    gen.generate(CONVERSATIONS[:1])
    assert gen.model.training  # decoding ran in eval mode and restored the caller's mode


def test_vllm_backend_maps_outputs(monkeypatch: pytest.MonkeyPatch, tiny_model_dir: Path, tiny_tokenizer) -> None:
    """The vLLM adapter against a stand-in ``vllm`` module shaped like its documented API (vLLM needs CUDA)."""
    import sys
    import types
    from types import SimpleNamespace as NS

    calls: dict = {}
    loop = [word(tiny_tokenizer, " again"), word(tiny_tokenizer, " and")] * 40
    im_end = tiny_tokenizer.eos_token_id

    def completion(ids: list[int], reason: str, text: str) -> NS:
        return NS(token_ids=ids, text=text, finish_reason=reason, logprobs=[{t: NS(logprob=-0.5)} for t in ids])

    class LLM:
        def __init__(self, **kwargs) -> None:
            calls["init"] = kwargs

        def generate(self, requests, params, use_tqdm=True):
            calls["requests"], calls["params"] = requests, params
            done = completion([5, 6, im_end], "stop", tiny_tokenizer.decode([5, 6]))
            looping = completion(loop[:60], "length", tiny_tokenizer.decode(loop[:60]))
            return [NS(outputs=[done if i % 2 == 0 else looping] * params[i].n) for i in range(len(requests))]

    fake = types.ModuleType("vllm")
    fake.LLM, fake.SamplingParams = LLM, lambda **kwargs: NS(**kwargs)
    sampling = types.ModuleType("vllm.sampling_params")
    sampling.StructuredOutputsParams = lambda **kwargs: NS(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sampling)
    gen = Generator(str(tiny_model_dir), config=GenerationConfig(max_new_tokens=60, n=2), backend="vllm")
    outputs = gen.generate(CONVERSATIONS[:3])
    params = calls["params"][0]
    assert calls["init"]["model"] == str(tiny_model_dir) and params.n == 1  # greedy: decoded once
    assert calls["requests"][0]["prompt_token_ids"][-1] == tiny_tokenizer("\n")["input_ids"][-1]
    assert params.stop_token_ids == [im_end] and params.logprobs == 1
    assert not hasattr(params, "structured_outputs")
    assert [len(o) for o in outputs] == [2, 2, 2]
    first, second = outputs[0][0], outputs[1][0]
    assert (first.token_ids, first.finish_reason, first.logprobs) == ([5, 6, im_end], "stop", [-0.5] * 3)
    assert (second.finish_reason, second.num_tokens) == ("repetition", 48)
    assert second.text == " again and" * 24
    gen.generate(CONVERSATIONS[:2], grammars=['root ::= "x"', None])  # grammars go to vLLM's structured outputs
    assert calls["params"][0].structured_outputs.grammar == 'root ::= "x"'
    assert not hasattr(calls["params"][1], "structured_outputs")


def test_rows_that_finish_leave_the_batch_without_changing_the_others(tiny) -> None:
    """Rows stopping at different steps are dropped from the batch (and its cache) mid-way; what the remaining rows
    generate must equal their unbatched greedy output, cut at the stop token."""
    from adelie._hf_decoding import decode_batch
    from adelie.generate import render_prompts

    model, tokenizer = tiny
    config = GenerationConfig(max_new_tokens=16, repetition_guard=False)
    prompts = render_prompts(tokenizer, CONVERSATIONS)
    alone = [decode_batch(model, tokenizer, [p], config, [2])[0][0].token_ids for p in prompts]
    # a stop token that ends some rows early and others late (or never)
    counts: dict[int, set[int]] = {}
    for ids in alone:
        for pos, tok in enumerate(ids):
            counts.setdefault(tok, set()).add(pos)
    stop = max(counts, key=lambda t: (len(counts[t]), len(counts[t]) > 1))
    assert len(counts[stop]) > 1  # it ends rows at different steps
    batched = decode_batch(model, tokenizer, prompts, config, [2, stop])
    for ids, (out,) in zip(alone, batched, strict=True):
        cut = next((i + 1 for i, t in enumerate(ids) if t in (2, stop)), len(ids))
        assert out.token_ids == ids[:cut]
        assert out.finish_reason == ("stop" if cut < len(ids) or ids[-1] in (2, stop) else "length")
