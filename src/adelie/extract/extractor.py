"""The Extractor: grounded information extraction with an (aligned) language model.

Each call renders one fixed instruction per task: the task module's first training template
(`<task>/train/00`) with the canonical answer format and a phrasing that does not depend on the text, so the
prompt reads like the ones the model was trained on. Texts longer than the model's window are chunked
(`adelie.extract.chunking`), every chunk of every text goes to the generator in one call (which batches
prompts by length), answers are read with the task's own parser, every extracted string is grounded in the
text (`adelie.extract.grounding`) and scored from its tokens' log-probabilities (`adelie.extract.scoring`).
Duplicates (same label, same offsets; overlapping chunks produce them) keep the highest score.

What a result may be missing or may have guessed is never silent: an answer cut at `max_new_tokens`, a repetition
stopped by the generator, an unreadable answer, items with labels that were not asked for, labels read as a close
variant of one that was ("worked for" as "work for", see `adelie.extract.labels`) and sentences cut inside a chunk
are listed in the result's `warnings` (the single-task methods emit them as `ExtractionWarning`s).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adelie.constrained import DECODINGS
from adelie.extract.chunking import Chunk, chunk_text
from adelie.extract.errors import ExtractionError, ExtractionWarning
from adelie.extract.grounding import DEFAULT_THRESHOLD, Grounder
from adelie.extract.labels import LabelMatcher
from adelie.extract.merge import (
    Found,
    merge_all,
    merge_arguments,
    result_of,
    table_record,
    type_relation_spans,
)
from adelie.extract.options import TASKS, Request, check_request, check_texts
from adelie.extract.records import (
    ArgumentRecord,
    EventRecord,
    ExtractionResult,
    RelationRecord,
    SpanRecord,
    TableRecord,
    TripleRecord,
)
from adelie.extract.scoring import AnswerScorer
from adelie.generate import GenerationConfig, Generator, Output, render_prompts
from adelie.schema import Task
from adelie.tasks import Instance, get_task
from adelie.tasks.context import mention
from adelie.tasks.formats import normalise

FORMAT = "canonical"
NO_ANSWER = "NA"
UNSPECIFIED_EVENT = "unspecified"  # what the prompt calls the event type of `arguments` without one
_KEY = "adelie-extract"  # a fixed instance key: the same format-instruction phrasing for every text
_MARGIN = 8  # tokens kept free in the window: a chunk inside the prompt may tokenize a little differently


@dataclass
class _Job:
    """One prompt: which text, which chunk of it, the instance, the labels offered (as the user wrote them)."""

    index: int
    kind: str  # the task name whose records it yields
    chunk: Chunk
    where: str  # prefix for warnings ("" for an unchunked text)
    inst: Instance
    labels: tuple[str, ...] = ()
    event: EventRecord | None = None  # an arguments job run for a detected event


class Extractor:
    """Grounded extraction with a loaded transformers model and its tokenizer (see the module docstring).

    `max_new_tokens` bounds each answer; `batch_size` the prompts decoded together; `max_chunk_tokens` caps
    the tokens of text per prompt (default: what the window leaves after the instruction and the answer);
    `overlap_tokens` how much consecutive chunks share (default: an eighth of a chunk); `fuzzy_threshold`
    (0-100) the similarity a fuzzy match needs. `decoding`: "constrained" (default) lets the model write only
    well-formed answers with the labels asked for and spans copied from the text (so every span aligns
    `exact`); "free" decodes any text and salvages it. Every result names the decoding that made it.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        max_new_tokens: int = 512,
        batch_size: int = 8,
        max_chunk_tokens: int | None = None,
        overlap_tokens: int | None = None,
        fuzzy_threshold: float = DEFAULT_THRESHOLD,
        decoding: str = "constrained",
        progress: bool = False,
    ) -> None:
        if model is None or isinstance(model, str) or tokenizer is None:
            raise ExtractionError(
                "Extractor(model, tokenizer) takes a loaded model and its tokenizer; to load one by name or "
                "directory use Extractor.load('default' | directory | hub name)"
            )
        for name, value in (("max_new_tokens", max_new_tokens), ("batch_size", batch_size)):
            if not isinstance(value, int) or value < 1:
                raise ExtractionError(f"{name} must be a positive integer, got {value!r}")
        if max_chunk_tokens is not None and (not isinstance(max_chunk_tokens, int) or max_chunk_tokens < 1):
            raise ExtractionError(f"max_chunk_tokens must be a positive integer or None, got {max_chunk_tokens!r}")
        if overlap_tokens is not None and (not isinstance(overlap_tokens, int) or overlap_tokens < 0):
            raise ExtractionError(f"overlap_tokens must be a non-negative integer or None, got {overlap_tokens!r}")
        if max_chunk_tokens is not None and overlap_tokens is not None and overlap_tokens * 2 > max_chunk_tokens:
            raise ExtractionError(
                f"overlap_tokens ({overlap_tokens}) must be at most half of max_chunk_tokens ({max_chunk_tokens})"
            )
        if not isinstance(fuzzy_threshold, int | float) or not 0 <= fuzzy_threshold <= 100:
            raise ExtractionError(f"fuzzy_threshold must be a number between 0 and 100, got {fuzzy_threshold!r}")
        if decoding not in DECODINGS:
            raise ExtractionError(f"decoding must be one of {', '.join(DECODINGS)}, got {decoding!r}")
        self.decoding = decoding
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.max_chunk_tokens = max_chunk_tokens
        self.overlap_tokens = overlap_tokens
        self.fuzzy_threshold = float(fuzzy_threshold)
        config = GenerationConfig(max_new_tokens=max_new_tokens, batch_size=batch_size, temperature=0.0, seed=0)
        self.generator = Generator(model, tokenizer, config, backend="transformers", progress=progress)

    @classmethod
    def load(
        cls,
        model: str = "default",
        *,
        device: str | None = None,
        dtype: Any = "auto",
        trust_remote_code: bool = False,
        **settings: Any,
    ) -> Extractor:
        """An Extractor for `model` ("default", a model directory or a hub name) loaded on `device` (CUDA when
        available) in `dtype` ("auto": bfloat16 on GPUs and on CPUs with native bf16, else float32); `settings`
        are the keyword arguments of `Extractor` (max_new_tokens, batch_size, ...)."""
        from adelie.models import load_model

        if not isinstance(model, str) or not model.strip():
            raise ExtractionError(f"model must be 'default', a model directory or a hub name, got {model!r}")
        loaded, tokenizer = load_model(model, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
        return cls(loaded, tokenizer, **settings)

    # --- the API -----------------------------------------------------------------------------------------

    def entities(self, text: str | Sequence[str], labels: Sequence[str]) -> Any:
        """Named entities of the types `labels`: a list of span dicts (a list of lists for a list of texts)."""
        return self._single("ner", text, "entities", labels=labels)

    def relations(
        self, text: str | Sequence[str], relation_labels: Sequence[str], entity_labels: Sequence[str] | None = None
    ) -> Any:
        """(head, relation, tail) triples of the types `relation_labels`; with `entity_labels`, entities are
        extracted too and heads and tails get their entity types as labels."""
        return self._single("relations", text, "relations", relation_labels=relation_labels,
                            entity_labels=entity_labels)

    def events(
        self,
        text: str | Sequence[str],
        event_types: Sequence[str],
        roles: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    ) -> Any:
        """Event triggers of the types `event_types`; with `roles` (one list for every type, or a list per
        type), each found event's arguments are extracted too, in a second generator call."""
        return self._single("events", text, "events", event_types=event_types, roles=roles)

    def arguments(
        self,
        text: str | Sequence[str],
        trigger: str | Mapping[str, Any] | tuple[int, int],
        roles: Sequence[str],
        event_type: str | None = None,
    ) -> Any:
        """The arguments of the event that `trigger` (a string, a span dict or (start, end) offsets) triggers,
        for the roles `roles`."""
        return self._single("arguments", text, "arguments", trigger=trigger, roles=roles, event_type=event_type)

    def open_triples(self, text: str | Sequence[str]) -> Any:
        """Open IE tuples (subject, predicate, objects), no schema."""
        return self._single("open_ie", text, "triples")

    def table(self, text: str | Sequence[str], instruction: str) -> Any:
        """The table `instruction` asks for (columns [] and rows [] when the text holds none)."""
        return self._single("table", text, "table", instruction=instruction)

    def extract(self, task: str, texts: str | Sequence[str], **options: Any) -> list[dict[str, Any]]:
        """One result dict per text for `task` (ner, relations, events, arguments, open_ie, table); see
        `run` for the options."""
        return [r.model_dump() for r in self.run(task, texts, **options)]

    def run(self, task: str, texts: str | Sequence[str], **options: Any) -> list[ExtractionResult]:
        """Typed results for `extract`. Options: labels (the task's label list; for relations, events and
        arguments also spelled relation_labels, event_types and roles), entity_labels (relations), roles
        (events: extract arguments too), trigger and event_type (arguments), instruction (table). Options that
        do not apply to `task` must be None or empty."""
        return self._run(check_request(task, options), check_texts(texts))

    # --- one pass ----------------------------------------------------------------------------------------

    def _single(self, task: str, text: Any, key: str, **options: Any) -> Any:
        batch = not isinstance(text, str)
        results = self.run(task, text if batch else [text], **options)
        out = []
        for i, result in enumerate(results):
            for w in result.warnings:
                warnings.warn(f"text {i}: {w}" if batch else w, ExtractionWarning, stacklevel=3)
            if key == "table":
                table = result.table or TableRecord(columns=[], rows=[], score=0.0)
                out.append(table.model_dump())
            else:
                out.append([r.model_dump() for r in getattr(result, key)])
        return out if batch else out[0]

    def _run(self, req: Request, texts: list[str]) -> list[ExtractionResult]:
        accs = [Found(t) for t in texts]
        jobs: list[_Job] = []
        for i, text in enumerate(texts):
            if not text.strip():
                accs[i].warnings.append("the text is empty: nothing was extracted")
                continue
            jobs += self._jobs_for(req, i, text, accs[i])
            if req.task == "relations" and req.entity_labels:
                jobs += self._jobs_for(Request("ner", req.entity_labels), i, text, accs[i])
        self._generate_into(jobs, accs)
        for acc in accs:
            merge_all(acc)
        if req.task == "events" and req.roles:
            self._event_arguments(req.roles, accs)
        if req.task == "relations" and req.entity_labels:
            for acc in accs:
                type_relation_spans(acc)
        return [result_of(req.task, acc).model_copy(update={"decoding": self.decoding}) for acc in accs]

    def _generate_into(self, jobs: list[_Job], accs: list[Found]) -> None:
        if not jobs:
            return
        conversations = [[{"role": "user", "content": self._prompt(job.inst)}] for job in jobs]
        grammars = None
        if self.decoding == "constrained":
            grammars = [self._grammar(job.inst) for job in jobs]
        outputs = self.generator.generate(conversations, grammars=grammars)
        for job, outs in zip(jobs, outputs, strict=True):
            self._read(job, outs[0], accs[job.index])

    def _event_arguments(self, roles: Mapping[str, tuple[str, ...]], accs: list[Found]) -> None:
        """Second pass for `events(roles=...)`: the arguments of every detected event with roles to fill."""
        by_type = {normalise(k): v for k, v in roles.items()}
        jobs = []
        for i, acc in enumerate(accs):
            for ev in acc.events:
                wanted = by_type.get(normalise(ev.type)) or by_type.get("")
                if not wanted:
                    continue
                if ev.trigger.start is None or ev.trigger.end is None:
                    acc.warnings.append(
                        f"no arguments were extracted for the {ev.type} event {ev.trigger.text!r}: its trigger "
                        "was not found in the text"
                    )
                    continue
                request = Request("arguments", wanted, trigger=(ev.trigger.start, ev.trigger.end),
                                   event_type=ev.type)
                for job in self._jobs_for(request, i, acc.text, acc):
                    job.event = ev
                    job.where = f"arguments of the {ev.type} event {ev.trigger.text!r}: {job.where}"
                    jobs.append(job)
        self._generate_into(jobs, accs)
        for acc in accs:
            for ev in acc.events:
                ev.arguments = merge_arguments(ev.arguments)

    # --- prompts and chunks ------------------------------------------------------------------------------

    @staticmethod
    def _grammar(inst: Instance) -> str | None:
        """The answer grammar of a prompt; open IE predicates are copied from the text too, so every extracted
        string is grounded."""
        task = get_task(inst.task)
        if inst.task == Task.OPEN_IE:
            return task.answer_grammar(inst, FORMAT, NO_ANSWER, predicates="text")  # type: ignore[call-arg]
        return task.answer_grammar(inst, FORMAT, NO_ANSWER)

    def _prompt(self, inst: Instance) -> str:
        task = get_task(inst.task)
        template = next(t for t in task.templates("train") if t.id == f"{inst.task.value}/train/00")
        return task.render_prompt(inst, template, FORMAT, NO_ANSWER)

    def _budget(self, inst: Instance) -> int | None:
        """Tokens of text a prompt like `inst` can hold: the window minus the instruction (the prompt with an
        empty text), the answer and a margin; capped by `max_chunk_tokens`. None when the window is unknown and
        no cap is set."""
        window = getattr(getattr(self.model, "config", None), "max_position_embeddings", None)
        if not isinstance(window, int) or window <= 0:
            window = getattr(self.tokenizer, "model_max_length", None)
            window = window if isinstance(window, int) and 0 < window < 10**7 else None
        if window is None:
            return self.max_chunk_tokens
        empty = _instance(inst.task, "", inst.labels, inst.query)
        overhead = len(render_prompts(self.tokenizer, [[{"role": "user", "content": self._prompt(empty)}]])[0])
        budget = window - overhead - self.max_new_tokens - _MARGIN
        if budget < 1:
            raise ExtractionError(
                f"the instruction ({overhead} tokens) and max_new_tokens ({self.max_new_tokens}) leave no room for "
                f"text in the model's window of {window} tokens: lower max_new_tokens or shorten the labels"
            )
        return min(budget, self.max_chunk_tokens) if self.max_chunk_tokens else budget

    def _jobs_for(self, req: Request, index: int, text: str, acc: Found) -> list[_Job]:
        """The prompts for one text (one per chunk; for arguments, the chunk holding the trigger)."""
        task = TASKS[req.task]
        query: dict[str, str] = {}
        span: tuple[int, int] | None = None
        if req.task == "arguments":
            span = self._trigger_span(req.trigger, text, index, acc)
            query = {"trigger": mention(text, *span) if span else str(req.trigger),
                     "event_type": req.event_type or UNSPECIFIED_EVENT}
        elif req.task == "table":
            query = {"instruction": req.instruction or ""}
        budget = self._budget(_instance(task, text, req.labels, query))
        if budget is None:
            chunks, notes = [Chunk(0, len(text), text)], []
        else:
            chunks, notes = chunk_text(text, self.tokenizer, budget, self.overlap_tokens)
        acc.warnings += notes
        if span is not None and len(chunks) > 1:
            chunks = [_central(chunks, span)]
        jobs = []
        for k, chunk in enumerate(chunks):
            where = f"chunk {k + 1} of {len(chunks)} (characters {chunk.start}-{chunk.end}): "
            where = where if len(chunks) > 1 else ""
            q = dict(query)
            if span is not None and chunk.start <= span[0] and span[1] <= chunk.end:
                q["trigger"] = mention(chunk.text, span[0] - chunk.start, span[1] - chunk.start)
            jobs.append(_Job(index, req.task, chunk, where, _instance(task, chunk.text, req.labels, q), req.labels))
        return jobs

    def _trigger_span(self, trigger: Any, text: str, index: int, acc: Found) -> tuple[int, int] | None:
        """Offsets of the trigger in `text`: checked offsets, or where its string occurs (first occurrence,
        ignoring case and spacing); None with a warning when it does not occur."""
        if isinstance(trigger, tuple):
            s, e = trigger
            if not 0 <= s < e <= len(text):
                raise ExtractionError(
                    f"trigger offsets ({s}, {e}) fall outside text {index} (length {len(text)}); expected "
                    "0 <= start < end <= len(text)"
                )
            return s, e
        found = Grounder(text, self.fuzzy_threshold).ground(trigger, fuzzy=False)
        if found.start is None or found.end is None:
            acc.warnings.append(f"the trigger {trigger!r} does not occur in the text; it was passed to the model "
                                "as given")
            return None
        return found.start, found.end

    # --- reading answers ---------------------------------------------------------------------------------

    def _read(self, job: _Job, output: Output, acc: Found) -> None:
        """Parse, ground and score one answer into `acc` (or into the event the job was run for)."""
        task = get_task(job.inst.task)
        parsed = task.parse(output.text, job.inst)
        notes = acc.warnings
        if output.finish_reason == "length":
            notes.append(f"{job.where}the answer was cut off at max_new_tokens={self.max_new_tokens}: items after "
                         "the cut are missing (raise max_new_tokens)")
        elif output.finish_reason == "repetition":
            notes.append(f"{job.where}the model started repeating itself and was stopped: items after that point "
                         "are missing")
        if not parsed.ok:
            notes.append(f"{job.where}the answer could not be read as a {job.kind} answer, so nothing was taken "
                         f"from it: {output.text[:200]!r}")
            return
        scorer = AnswerScorer(self.tokenizer, output)
        grounder = Grounder(job.chunk.text, self.fuzzy_threshold)

        def span(answer: str, label: str, score: float, cls: type[SpanRecord] = SpanRecord, **extra: Any) -> Any:
            g = grounder.ground(answer)
            shift = job.chunk.start
            return cls(
                start=None if g.start is None else g.start + shift, end=None if g.end is None else g.end + shift,
                text=g.text, label=label, score=score, alignment=g.alignment,
                answer=None if g.text == answer else answer, **extra,
            )

        if job.kind == "table":
            acc.tables.append(table_record(parsed.table, grounder, job.chunk.start, scorer.score()))
            return
        matcher = LabelMatcher(job.labels)
        dropped: list[str] = []
        read_as: dict[str, str] = {}
        bare: list[str] = []
        for item in parsed.items:
            score, fields = scorer.item(item)
            if job.kind == "open_ie":
                if len(item) < 2:
                    bare.append(item[0])
                    continue
                acc.triples.append(TripleRecord(
                    subject=span(item[1], "subject", fields[1]),
                    predicate=span(item[0], "predicate", fields[0]),
                    objects=[span(a, "object", f) for a, f in zip(item[2:], fields[2:], strict=True) if a.strip()],
                    score=score,
                ))
                continue
            match = matcher.match(item[1])  # every labelled task has its label second
            if match is None:
                dropped.append(item[1])
                continue
            label = match.label
            if match.variant:
                read_as.setdefault(item[1].strip(), label)
            if job.kind == "ner":
                acc.entities.append(span(item[0], label, score))
            elif job.kind == "relations":
                head, tail = span(item[0], "", fields[0]), span(item[2], "", fields[2])
                acc.relations.append(RelationRecord(head=head, tail=tail, label=label, score=score))
            elif job.kind == "events":
                acc.events.append(EventRecord(trigger=span(item[0], label, score), type=label, score=score))
            else:
                arg = span(item[0], label, score, ArgumentRecord, role=label)
                (job.event.arguments if job.event is not None else acc.arguments).append(arg)
        if dropped:
            notes.append(f"{job.where}dropped {len(dropped)} item(s) whose label is not one of those asked for: "
                         + ", ".join(repr(d) for d in dict.fromkeys(dropped)))
        notes += [f"{job.where}label {answered!r} read as {label!r}" for answered, label in read_as.items()]
        if bare:
            notes.append(f"{job.where}dropped {len(bare)} tuple(s) without arguments: "
                         + ", ".join(repr(b) for b in dict.fromkeys(bare)))


def _instance(task: Task, text: str, labels: Sequence[str], query: Mapping[str, str]) -> Instance:
    return Instance(task=task, dataset=_KEY, example_id=_KEY, text=text, labels=tuple(labels), query=dict(query),
                    meta={"instance_id": _KEY})


def _central(chunks: list[Chunk], span: tuple[int, int]) -> Chunk:
    """The chunk holding `span` with the span nearest its middle (the nearest chunk when none holds it)."""
    mid = (span[0] + span[1]) / 2
    holding = [c for c in chunks if c.start <= span[0] and span[1] <= c.end] or chunks
    return min(holding, key=lambda c: abs((c.start + c.end) / 2 - mid))
