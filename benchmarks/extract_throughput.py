"""Extraction throughput: NER documents/s and latency three ways, measured in the same run.

The documents are the first ``--n-docs`` sentences of a held-out NER split (CrossNER music test by default),
read through ``adelie.datasets``; the labels are that dataset's entity types. Every mode decodes greedily with
the same ``--max-new-tokens``:

- naive: one ``Extractor.entities`` call per document, one at a time, with ``batch_size=1``;
- api: one ``Extractor.entities`` call with every document (``--batch-size`` prompts decoded together); its
  latency is the call's duration, since every document's result arrives with it;
- service: ``adelie.serve.create_app`` served by uvicorn on a free localhost port in a background thread, hit by
  ``--concurrency`` clients at once, each request one document, so the micro-batcher has to batch them.

Each mode is warmed up on one document first (not timed). Generated tokens and model calls are counted at the
Extractor's generator. Batching may flip a few answers through numerics: the identical count is reported, not
enforced.

    python benchmarks/extract_throughput.py [--model default] [--n-docs 64] [--json OUT] [--markdown]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import socket
import statistics
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from adelie.constrained import DECODINGS
from adelie.datasets import registry
from adelie.extract import ExtractionWarning, Extractor
from adelie.serve import ServeSettings, create_app

Entities = list[tuple[Any, ...]]


class Tally:
    """Counts what an Extractor's generator does: model calls, prompts, generated tokens, answers cut short."""

    def __init__(self, extractor: Extractor) -> None:
        self.reset()
        inner = extractor.generator.generate

        def counted(conversations: Any, config: Any = None, grammars: Any = None) -> Any:
            outputs = inner(conversations, config, grammars)
            self.calls, self.prompts = self.calls + 1, self.prompts + len(outputs)
            self.tokens += sum(o.num_tokens for outs in outputs for o in outs)
            self.cut += sum(o.finish_reason == "length" for outs in outputs for o in outs)
            return outputs

        extractor.generator.generate = counted  # type: ignore[method-assign]

    def reset(self) -> None:
        self.calls = self.prompts = self.tokens = self.cut = 0

    def counts(self) -> dict[str, int]:
        return {"model_calls": self.calls, "prompts": self.prompts, "generated_tokens": self.tokens,
                "answers_cut": self.cut}


@dataclass
class Mode:
    """One mode's timing, per-document latencies and entities, and its generator counts."""

    name: str
    seconds: float
    latencies: list[float]
    entities: list[Entities]
    counts: dict[str, int]

    def summary(self) -> dict[str, Any]:
        (p50, p95), n, t = percentiles(self.latencies), len(self.entities), self.seconds
        return {"seconds": round(t, 3), "documents_per_second": round(n / t, 3), "latency_p50_s": round(p50, 3),
                "latency_p95_s": round(p95, 3), **self.counts,
                "generated_tokens_per_second": round(self.counts["generated_tokens"] / t, 2)}


def percentiles(values: list[float]) -> tuple[float, float]:
    """The 50th and 95th percentiles (linear interpolation between the values)."""
    if len(values) == 1:
        return values[0], values[0]
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return cuts[9], cuts[18]


def load_documents(dataset: str, split: str, n: int, root: str | None = None) -> tuple[list[str], list[str]]:
    """The first `n` texts of `dataset`/`split` and the dataset's entity types (readable names, registry order)."""
    texts = [ex.text for ex in registry.load(dataset, split, root) if ex.text.strip()][:n]
    if len(texts) < n:
        raise SystemExit(f"{dataset}/{split} has only {len(texts)} texts; --n-docs asked for {n}")
    labels = list(dict.fromkeys(registry.get(dataset).entity_labels.values()))
    if not labels:
        raise SystemExit(f"{dataset} has no entity types: choose an NER dataset")
    return texts, labels


def _key(spans: list[dict[str, Any]]) -> Entities:
    """What must agree between modes: each entity's offsets, text and label (scores may differ a little)."""
    return sorted((-1 if s["start"] is None else s["start"], -1 if s["end"] is None else s["end"], s["text"],
                   s["label"]) for s in spans)


def run_naive(ex: Extractor, tally: Tally, texts: list[str], labels: list[str]) -> Mode:
    ex.entities(texts[0], labels)  # warm-up
    tally.reset()
    latencies, found, start = [], [], time.perf_counter()
    for text in texts:
        begun = time.perf_counter()
        found.append(_key(ex.entities(text, labels)))
        latencies.append(time.perf_counter() - begun)
    return Mode("naive", time.perf_counter() - start, latencies, found, tally.counts())


def run_api(ex: Extractor, tally: Tally, texts: list[str], labels: list[str]) -> Mode:
    ex.entities(texts[:1], labels)  # warm-up
    tally.reset()
    start = time.perf_counter()
    found = [_key(spans) for spans in ex.entities(texts, labels)]
    seconds = time.perf_counter() - start
    return Mode("api", seconds, [seconds] * len(texts), found, tally.counts())


async def _post_all(url: str, texts: list[str], labels: list[str], concurrency: int
                    ) -> tuple[float, list[tuple[float, Entities]]]:
    """Post every text as its own request, at most `concurrency` in flight at once."""
    import httpx

    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=None, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(text: str) -> tuple[float, Entities]:
            async with gate:
                start = time.perf_counter()
                r = await client.post(url, json={"task": "ner", "text": text, "labels": labels})
                if r.status_code != 200:
                    raise RuntimeError(f"the service answered {r.status_code}: {r.text[:500]}")
                return time.perf_counter() - start, _key(r.json()["results"][0]["entities"])

        start = time.perf_counter()
        done = await asyncio.gather(*(one(t) for t in texts))
        return time.perf_counter() - start, done


def run_service(ex: Extractor, tally: Tally, texts: list[str], labels: list[str], settings: ServeSettings,
                concurrency: int) -> Mode:
    import httpx
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held until the server listens on it
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1/extract"
    server = uvicorn.Server(uvicorn.Config(create_app(ex, settings), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the service did not start (see the log above)")
            time.sleep(0.02)
        httpx.post(url, json={"task": "ner", "text": texts[0], "labels": labels}, timeout=None)  # warm-up
        tally.reset()
        seconds, done = asyncio.run(_post_all(url, texts, labels, concurrency))
        return Mode("service", seconds, [d[0] for d in done], [d[1] for d in done], tally.counts())
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def machine(ex: Extractor) -> str:
    device = str(ex.model.device)
    where = (torch.cuda.get_device_name(0) if device.startswith("cuda")
             else f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
                  f"{os.cpu_count()} cores")
    return f"{where}; torch {torch.__version__}; {ex.model.dtype}, {device}"


def report(result: dict[str, Any], markdown: bool) -> str:
    """The results as a table; with `markdown`, a BENCHMARKS.md section (date, machine, command, documents)."""
    s, d, same, modes = result["settings"], result["documents"], result["identical"], result["modes"]
    lines = [
        "| mode | seconds | documents/s | p50 latency (s) | p95 latency (s) | generated tokens | tokens/s | "
        "model calls | answers cut |",
        "|---|---|---|---|---|---|---|---|---|",
        *(f"| {name} | {m['seconds']:.1f} | {m['documents_per_second']:.2f} | {m['latency_p50_s']:.2f} | "
          f"{m['latency_p95_s']:.2f} | {m['generated_tokens']} | {m['generated_tokens_per_second']:.1f} | "
          f"{m['model_calls']} | {m['answers_cut']} |" for name, m in modes.items()),
        "",
        f"Identical entities, naive = api = service: {same['all']}/{d['n']} (api vs naive {same['api_vs_naive']}, "
        f"service vs api {same['service_vs_api']}). Speed-up over naive in documents/s: api "
        f"{modes['api']['documents_per_second'] / modes['naive']['documents_per_second']:.1f}x, service "
        f"{modes['service']['documents_per_second'] / modes['naive']['documents_per_second']:.1f}x.",
    ]
    if not markdown:
        return "\n".join(lines)
    return "\n".join([
        f"## Extraction throughput ({result['date']})\n",
        f"- machine: {result['machine']}; model {s['model']}",
        f"- command: `{result['command']}`",
        f"- documents: the first {d['n']} sentences of {s['dataset']}/{s['split']} ({d['chars_min']}-{d['chars_max']} "
        f"characters, mean {d['chars_mean']:.0f}); NER with its {len(d['labels'])} entity types",
        f"- greedy, max {s['max_new_tokens']} new tokens; api: one call, batch {s['batch_size']}; service: uvicorn "
        f"on localhost, {s['concurrency']} concurrent clients posting one document each, micro-batch cap "
        f"{s['batch_size']}, wait {s['batch_wait_ms']:g} ms; api latency = the duration of its single call",
        "", *lines,
    ])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the three modes; print the table; return (and with --json write) the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default', a model directory or a hub name")
    parser.add_argument("--dataset", default="crossner_music", help="an NER dataset of the registry")
    parser.add_argument("--split", default="test")
    parser.add_argument("--data-dir", help="the IE data directory (default: adelie's own lookup)")
    parser.add_argument("--n-docs", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16, help="api batch size and the service's micro-batch cap")
    parser.add_argument("--concurrency", type=int, default=16, help="service clients with a request in flight")
    parser.add_argument("--batch-wait-ms", type=float, default=ServeSettings.batch_wait_ms)
    parser.add_argument("--device", help="cpu, cuda, ... (default: the best available)")
    parser.add_argument("--decoding", default="constrained", choices=list(DECODINGS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--markdown", action="store_true", help="print a BENCHMARKS.md section")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    texts, labels = load_documents(args.dataset, args.split, args.n_docs, args.data_dir)
    batched = Extractor.load(args.model, device=args.device, max_new_tokens=args.max_new_tokens,
                             batch_size=args.batch_size, decoding=args.decoding)
    naive = Extractor(batched.model, batched.tokenizer, max_new_tokens=args.max_new_tokens, batch_size=1,
                      decoding=args.decoding)
    tally = Tally(batched)  # the api and the service share the batched Extractor
    settings = ServeSettings(model_name=args.model, max_batch=args.batch_size, batch_wait_ms=args.batch_wait_ms,
                             timeout_s=24 * 3600.0, max_pending=max(256, args.n_docs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtractionWarning)  # cut answers are counted instead
        modes = [run_naive(naive, Tally(naive), texts, labels), run_api(batched, tally, texts, labels),
                 run_service(batched, tally, texts, labels, settings, args.concurrency)]
    pairs = list(zip(*(m.entities for m in modes), strict=True))  # (naive, api, service) per document
    given = {k: v for k, v in vars(args).items() if k not in ("json", "markdown")}
    command = "python benchmarks/extract_throughput.py " + " ".join(
        f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k.replace('_', '-')} {v}"
        for k, v in given.items() if v is not None)
    lengths = [len(t) for t in texts]
    result = {
        "date": datetime.date.today().isoformat(), "machine": machine(batched), "command": command,
        "settings": given,
        "documents": {"n": len(texts), "labels": labels, "chars_min": min(lengths), "chars_max": max(lengths),
                      "chars_mean": sum(lengths) / len(lengths)},
        "modes": {m.name: m.summary() for m in modes},
        "identical": {"all": sum(a == b == c for a, b, c in pairs), "api_vs_naive": sum(a == b for a, b, _ in pairs),
                      "service_vs_api": sum(b == c for _, b, c in pairs)},
    }
    print(report(result, args.markdown))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
