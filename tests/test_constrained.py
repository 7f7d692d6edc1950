"""Grammar-constrained decoding: each task's answer grammar (adelie.tasks.grammar and the task modules) and the
decode loop that follows it (adelie.constrained, adelie._hf_decoding)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from adelie.constrained import GrammarEngine
from adelie.generate import GenerationConfig, Generator
from adelie.models import load_model
from adelie.schema import Table, Task
from adelie.tasks import get_task
from adelie.tasks.base import Instance
from adelie.tasks.grammar import MAX_SPAN_TOKENS, asks_explanation, text_tokens

TEXT = "Barack Obama was born in Honolulu, Hawaii, and worked for the University of Chicago."


@pytest.fixture(scope="module")
def engine(tiny_tokenizer) -> GrammarEngine:
    return GrammarEngine(tiny_tokenizer, len(tiny_tokenizer), [tiny_tokenizer.eos_token_id])


def accepts(engine: GrammarEngine, tokenizer, grammar: str, answer: str) -> bool:
    """Whether `answer`, fed token by token, is accepted and then complete (the end of turn is allowed)."""
    matcher = engine.matcher(engine.compile(grammar))
    for token in tokenizer(answer, add_special_tokens=False)["input_ids"]:
        if not engine.advance(matcher, token):
            return False
    return engine.finished(matcher) or engine.advance(matcher, tokenizer.eos_token_id)


def inst(task: Task, text: str = TEXT, labels: tuple[str, ...] = (), gold=(), **kw) -> Instance:
    return Instance(task=task, dataset="d", example_id="e", text=text, labels=labels, gold=tuple(gold), **kw)


NER = inst(Task.NER, labels=("person", "location", "organization"),
           gold=[("Barack Obama", "person"), ("Honolulu", "location"), ("University of Chicago", "organization")])
RE = inst(Task.RELATION_EXTRACTION, labels=("born in", "work for", "located in"),
          gold=[("Barack Obama", "born in", "Honolulu"), ("Barack Obama", "work for", "University of Chicago")])
ED = inst(Task.EVENT_DETECTION, labels=("Life:Be-Born", "Personnel:Start-Position"),
          gold=[("born", "Life:Be-Born"), ("worked", "Personnel:Start-Position")])
EA = inst(Task.EVENT_ARGUMENTS, labels=("person", "place"), gold=[("Barack Obama", "person"), ("Honolulu", "place")],
          query={"trigger": "born", "event_type": "Life:Be-Born"})
RC = inst(Task.RELATION_CLASSIFICATION, labels=("born in", "work for", "no relation"), gold=[("born in",)],
          query={"head": "Barack Obama", "tail": "Honolulu"})
ER = inst(Task.EVENT_RELATION, labels=("BEFORE", "AFTER", "EQUAL", "VAGUE"), gold=[("BEFORE",)],
          query={"head": "born", "tail": "worked"})
OIE = inst(Task.OPEN_IE, gold=[("was born in", "Barack Obama", "Honolulu"), ("worked for", "Barack Obama",
                                                                             "the University of Chicago")])
TABLE = Table(header=("Name", "Birthplace"), rows=(("Barack Obama", "Honolulu"),))
OD = inst(Task.ON_DEMAND, query={"instruction": "List people and where they were born."}, table=TABLE)
ALL = [NER, RE, ED, EA, RC, ER, OIE, OD]


@pytest.mark.parametrize("fmt", ["canonical", "json"])
@pytest.mark.parametrize("instance", ALL, ids=[i.task.value for i in ALL])
def test_gold_answer_is_accepted_token_by_token(engine, tiny_tokenizer, instance, fmt) -> None:
    task = get_task(instance.task)
    grammar = task.answer_grammar(instance, fmt)
    assert grammar is not None
    gold = task.render_answer(instance, fmt)
    assert accepts(engine, tiny_tokenizer, grammar, gold), gold
    empty = Instance(**{**instance.__dict__, "gold": (), "table": Table(header=("Name",), rows=())
                        if instance.task == Task.ON_DEMAND else None})
    assert accepts(engine, tiny_tokenizer, grammar, task.render_answer(empty, fmt))  # the NA answer


def test_natural_answers_stay_free() -> None:
    assert all(get_task(i.task).answer_grammar(i, "natural") is None for i in ALL)


# (instance, off-list label, span not in the text, broken separator), canonical answers
BAD = [
    (NER, "[Answer]: Barack Obama: politician", "[Answer]: Barack Obamas: person", "[Answer]: Barack Obama - person"),
    (RE, "[Answer]: (Barack Obama; president of; Honolulu)", "[Answer]: (Obama Barack; born in; Honolulu)",
     "[Answer]: (Barack Obama, born in, Honolulu)"),
    (ED, "[Answer]: born: Birth", "[Answer]: birth: Life:Be-Born", "[Answer]: born = Life:Be-Born"),
    (EA, "[Answer]: Honolulu: location", "[Answer]: Hawai: place", "[Answer]: Honolulu: place, Barack Obama: person"),
    (RC, "[Answer]: lives in", None, "[Answer]: born in; work for"),
    (ER, "[Answer]: before", None, "[Answer]: BEFORE."),
    (OIE, None, "[Answer]: (Barack Obama; was born in; Kenya)", "[Answer]: Barack Obama; was born in; Honolulu"),
]


@pytest.mark.parametrize(("instance", "off_list", "not_in_text", "broken"), BAD, ids=[b[0].task.value for b in BAD])
def test_grammar_masks_off_list_labels_foreign_spans_and_broken_separators(
    engine, tiny_tokenizer, instance, off_list, not_in_text, broken
) -> None:
    grammar = get_task(instance.task).answer_grammar(instance, "canonical")
    for answer in (off_list, not_in_text, broken):
        if answer is not None:
            assert not accepts(engine, tiny_tokenizer, grammar, answer), answer


def test_json_grammar_masks_off_list_labels_and_foreign_spans(engine, tiny_tokenizer) -> None:
    grammar = get_task(Task.NER).answer_grammar(NER, "json")
    assert accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "Hawaii", "type": "location"}]')
    assert not accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "Hawaii", "type": "place"}]')
    assert not accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "Kenya", "type": "location"}]')
    assert not accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"type": "location", "entity": "Hawaii"}]')


def test_table_rows_need_the_headers_number_of_cells(engine, tiny_tokenizer) -> None:
    grammar = get_task(Task.ON_DEMAND).answer_grammar(OD, "canonical")
    good = "[Answer]:\n| Name | Place |\n| --- | --- |\n| Obama | Honolulu |\n| Curie | Warsaw |"
    assert accepts(engine, tiny_tokenizer, grammar, good)
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]:\n| Name | Place |\n| --- | --- |\n| Obama |")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]:\n| Name | Place |\n| --- |\n| a | b |")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]:\n| Name | Place |\n| --- | --- |")  # no row
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]:\n| " + "x" * 201 + " |\n| --- |\n| a |")
    jgrammar = get_task(Task.ON_DEMAND).answer_grammar(OD, "json")
    assert accepts(engine, tiny_tokenizer, jgrammar, '[Answer]: {"columns": ["a", "b"], "rows": [["1", "2"]]}')
    assert not accepts(engine, tiny_tokenizer, jgrammar, '[Answer]: {"columns": ["a", "b"], "rows": [["1"]]}')


def test_explanation_line_only_when_asked(engine, tiny_tokenizer) -> None:
    task = get_task(Task.NER)
    answer = "[Explanation]: Obama is a person.\n[Answer]: Barack Obama: person"
    assert accepts(engine, tiny_tokenizer, task.answer_grammar(NER, "canonical", explanation=True), answer)
    assert accepts(engine, tiny_tokenizer, task.answer_grammar(NER, "canonical", explanation=True),
                   "[Answer]: Barack Obama: person")
    assert not accepts(engine, tiny_tokenizer, task.answer_grammar(NER, "canonical"), answer)
    assert asks_explanation("Start with a short explanation (`[Explanation]: ...`), then the answer.")
    assert not asks_explanation("Answer in the form `[Answer]: entity: type`.")


def test_spans_are_word_aligned_bounded_and_stop_at_delimiters(engine, tiny_tokenizer) -> None:
    task = get_task(Task.NER)
    grammar = task.answer_grammar(NER, "canonical")
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: University of Chicago: organization")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: Univers: organization")  # not on a word boundary
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: Honolulu, Hawaii,: location")  # ends on a comma
    long_text = " ".join(f"w{i}" for i in range(40))
    long = inst(Task.NER, text=long_text, labels=("thing",))
    g = task.answer_grammar(long, "canonical")
    fits = " ".join(f"w{i}" for i in range(MAX_SPAN_TOKENS))
    assert accepts(engine, tiny_tokenizer, g, f"[Answer]: {fits}: thing")
    assert not accepts(engine, tiny_tokenizer, g, f"[Answer]: {fits} w{MAX_SPAN_TOKENS}: thing")
    # a ';' inside the text ends spans there in the canonical format (it is the item separator)
    semi = inst(Task.NER, text="Alpha Beta; Gamma", labels=("x",))
    g = task.answer_grammar(semi, "canonical")
    assert accepts(engine, tiny_tokenizer, g, "[Answer]: Alpha Beta: x; Gamma: x")
    assert not accepts(engine, tiny_tokenizer, g, "[Answer]: Beta; Gamma: x")


@pytest.mark.parametrize(("text", "span"), [
    ("東京大学の山田太郎さんが来た。", "山田太郎"),  # CJK: every character is a token
    ("Zoë and Ångström met François Müller.", "François Müller"),  # precomposed letters
    ("Jose\u0301 Marti\u0301 wrote poems.", "Jose\u0301 Marti\u0301"),  # combining marks stay with their letter
    ("The 🚀 launch by SpaceX 🎉 went well.", "SpaceX"),
    ("Paris is big. Paris is old. I love Paris.", "Paris"),  # repeated mentions
])
def test_unicode_texts(engine, tiny_tokenizer, text, span) -> None:
    task = get_task(Task.NER)
    instance = inst(Task.NER, text=text, labels=("name",))
    for fmt, answer in (("canonical", f"[Answer]: {span}: name"),
                        ("json", f'[Answer]: [{{"entity": "{span}", "type": "name"}}]')):
        assert accepts(engine, tiny_tokenizer, task.answer_grammar(instance, fmt), answer)
    assert not accepts(engine, tiny_tokenizer, task.answer_grammar(instance, "canonical"), f"[Answer]: {span}x: name")


def test_cjk_spans_start_on_any_character(engine, tiny_tokenizer) -> None:
    instance = inst(Task.NER, text="東京大学の山田太郎さん", labels=("name",))
    assert [k for _, _, k in text_tokens("東京 abc")] == ["char", "char", "word"]
    grammar = get_task(Task.NER).answer_grammar(instance, "canonical")
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: 太郎: name")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: 太郎京: name")


def test_json_spans_are_escaped(engine, tiny_tokenizer) -> None:
    instance = inst(Task.NER, text='He said "Hi" to C:\\dir\\x today.', labels=("thing",))
    grammar = get_task(Task.NER).answer_grammar(instance, "json")
    assert accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "said \\"Hi", "type": "thing"}]')
    assert accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "C:\\\\dir\\\\x", "type": "thing"}]')
    assert not accepts(engine, tiny_tokenizer, grammar, '[Answer]: [{"entity": "said "Hi", "type": "thing"}]')


def test_two_hundred_labels(engine, tiny_tokenizer) -> None:
    labels = tuple(f"type {i:03d}" for i in range(200))
    instance = inst(Task.NER, labels=labels)
    grammar = get_task(Task.NER).answer_grammar(instance, "canonical")
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: Hawaii: type 199; Barack Obama: type 000")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: Hawaii: type 200")


def test_empty_text_allows_only_the_no_answer(engine, tiny_tokenizer) -> None:
    for task_name in (Task.NER, Task.RELATION_EXTRACTION, Task.EVENT_DETECTION, Task.OPEN_IE):
        task = get_task(task_name)
        for text in ("", "   ", "... !!"):
            instance = inst(task_name, text=text, labels=("person", "born in"))
            assert accepts(engine, tiny_tokenizer, task.answer_grammar(instance, "canonical"), "[Answer]: NA")
            assert accepts(engine, tiny_tokenizer, task.answer_grammar(instance, "json"), "[Answer]: []")
            assert not accepts(engine, tiny_tokenizer, task.answer_grammar(instance, "canonical"),
                               "[Answer]: x: person")


def test_no_answer_word_follows_the_prompt(engine, tiny_tokenizer) -> None:
    grammar = get_task(Task.NER).answer_grammar(NER, "canonical", no_answer="None")
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: None")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: NA")


def test_open_ie_free_predicates(engine, tiny_tokenizer) -> None:
    task = get_task(Task.OPEN_IE)
    free = task.answer_grammar(OIE, "canonical")  # the default
    assert accepts(engine, tiny_tokenizer, free, "[Answer]: (Barack Obama; is a native of; Honolulu)")
    assert not accepts(engine, tiny_tokenizer, task.answer_grammar(OIE, "canonical", predicates="text"),
                       "[Answer]: (Barack Obama; is a native of; Honolulu)")
    assert not accepts(engine, tiny_tokenizer, free, "[Answer]: (Barack Obama; " + "a " * 9 + "b; Honolulu)")


def test_every_answer_parses_back_to_its_items() -> None:
    """What the grammar writes is what the parser reads: spans copied from the text survive the round trip."""
    for instance in ALL:
        task = get_task(instance.task)
        for fmt in ("canonical", "json"):
            parsed = task.parse(task.render_answer(instance, fmt), instance)
            assert parsed.ok
            if instance.task != Task.ON_DEMAND:
                assert set(parsed.items) == set(instance.gold)


# --- the decode loop -------------------------------------------------------------------------------------------


def _ids(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def test_scripted_model_off_list_answer_becomes_on_list(scripted_model, tiny_tokenizer) -> None:
    """A model whose free greedy answer is `[Answer]: kill` (not offered) answers with an offered label under the
    grammar."""
    free_answer = _ids(tiny_tokenizer, "[Answer]: kill")
    assert len(set(free_answer)) == len(free_answer)  # the scripted model follows the last token only
    chain = dict(itertools.pairwise(free_answer))
    chain[free_answer[-1]] = tiny_tokenizer.eos_token_id
    model_dir = scripted_model(chain, default=free_answer[0])
    model, tokenizer = load_model(str(model_dir), device="cpu")
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=40), progress=False)
    instance = inst(Task.RELATION_CLASSIFICATION, labels=("work for", "live in"),
                    query={"head": "Barack Obama", "tail": "Honolulu"})
    conv = [[{"role": "user", "content": "Which relation?"}]]
    (free,) = gen.generate(conv)[0]
    assert free.text == "[Answer]: kill"
    task = get_task(Task.RELATION_CLASSIFICATION)
    (constrained,) = gen.generate(conv, grammars=[task.answer_grammar(instance, "canonical")])[0]
    assert constrained.finish_reason == "stop"
    assert constrained.text in {"[Answer]: work for", "[Answer]: live in", "[Answer]: NA"}


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path):
    return load_model(str(tiny_model_dir), device="cpu")


def test_batch_mixing_tasks_and_free_rows(tiny) -> None:
    """A random model, constrained, writes only well-formed answers: every row follows its own grammar, and a free
    row in the same batch is unaffected."""
    model, tokenizer = tiny
    instances = [NER, RE, RC, ER, OIE, OD, ED, EA]
    fmts = ["canonical", "json"] * 4
    grammars: list[str | None] = [get_task(i.task).answer_grammar(i, f) for i, f in zip(instances, fmts, strict=True)]
    convs = [[{"role": "user", "content": f"prompt {k} " * (k + 1)}] for k in range(len(instances) + 1)]
    config = GenerationConfig(max_new_tokens=48, batch_size=4)
    gen = Generator(model, tokenizer, config, progress=False)
    outs = gen.generate(convs, grammars=[*grammars, None])
    free_alone = gen.generate(convs[-1:])[0][0]
    assert outs[-1][0].text == free_alone.text  # the free row decodes as it would alone
    for instance, (out,) in zip(instances, outs, strict=False):
        task = get_task(instance.task)
        parsed = task.parse(out.text, instance)
        if out.finish_reason == "stop":
            assert parsed.ok, (instance.task, out.text)
        assert out.text.startswith("[Answer]:"), out.text
        for item in parsed.items:
            assert all(s in instance.text for s in task.item_spans(item)), (item, out.text)
            assert all(lab in instance.labels for lab in task.item_labels(item)), (item, out.text)


def test_constrained_greedy_is_deterministic_and_n_samples(tiny) -> None:
    model, tokenizer = tiny
    grammar = get_task(Task.NER).answer_grammar(NER, "canonical")
    conv = [[{"role": "user", "content": "entities?"}]]
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=24, temperature=1.0, n=3, seed=1),
                    progress=False)
    first = [o.text for o in gen.generate(conv, grammars=[grammar])[0]]
    assert first == [o.text for o in gen.generate(conv, grammars=[grammar])[0]]
    assert len(first) == 3 and all(t.startswith("[Answer]: ") for t in first)


def test_grammar_count_must_match(tiny) -> None:
    from adelie.errors import AdelieError

    model, tokenizer = tiny
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=4), progress=False)
    with pytest.raises(AdelieError, match="2 grammars for 1 conversations"):
        gen.generate([[{"role": "user", "content": "x"}]], grammars=[None, None])


def test_broken_grammar_is_a_clear_error(engine) -> None:
    from adelie.constrained import GrammarError

    with pytest.raises(GrammarError, match="does not compile"):
        engine.compile("root ::= undefined_rule")


def test_control_and_separator_characters_in_texts(engine, tiny_tokenizer) -> None:
    """Texts with a tab, NEL, line/paragraph separators and a form feed compile, and spans never cross them."""
    text = "Alpha\tBeta\x85Gamma Delta\u2028Epsilon\u2029Zeta\x0cEta Theta"
    instance = inst(Task.NER, text=text, labels=("x",))
    for fmt in ("canonical", "json"):
        engine.compile(get_task(Task.NER).answer_grammar(instance, fmt))
    grammar = get_task(Task.NER).answer_grammar(instance, "canonical")
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: Alpha\tBeta: x; Gamma Delta: x; Eta Theta: x")
    assert not accepts(engine, tiny_tokenizer, grammar, "[Answer]: Delta\u2028Epsilon: x")
    jgrammar = get_task(Task.NER).answer_grammar(instance, "json")
    assert accepts(engine, tiny_tokenizer, jgrammar, '[Answer]: [{"entity": "Alpha\\tBeta", "type": "x"}]')


def test_a_constrained_loop_stops_at_the_third_repeat(scripted_model, tiny_tokenizer) -> None:
    """A free row loops until the guard's 48 tokens; a constrained row repeating itself (`x: a; x: a; ...` is the
    only loop a grammar leaves) stops after 3 repeats over 12 tokens."""
    from adelie._hf_decoding import ITEM_REPEATS, ITEM_SPAN

    again, and_ = (_ids(tiny_tokenizer, w)[0] for w in (" again", " and"))
    model, tokenizer = load_model(str(scripted_model({again: and_, and_: again}, default=again)), device="cpu")
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=100), progress=False)
    conv = [[{"role": "user", "content": "loop"}]]
    (free,) = gen.generate(conv)[0]
    (tight,) = gen.generate(conv, grammars=['root ::= ( " again and" )+'])[0]
    assert (free.finish_reason, free.num_tokens) == ("repetition", 48)
    assert (tight.finish_reason, tight.num_tokens) == ("repetition", max(2 * ITEM_REPEATS, ITEM_SPAN))
    assert tight.text == " again and" * 6


def test_a_cut_constrained_answer_ends_after_its_last_whole_item(scripted_model, tiny_tokenizer) -> None:
    """An answer cut by the token budget is trimmed back to where the grammar was last complete: no half label."""
    again, and_ = (_ids(tiny_tokenizer, w)[0] for w in (" again", " and"))
    model, tokenizer = load_model(str(scripted_model({again: and_, and_: again}, default=again)), device="cpu")
    gen = Generator(model, tokenizer, GenerationConfig(max_new_tokens=5), progress=False)
    (out,) = gen.generate([[{"role": "user", "content": "loop"}]], grammars=['root ::= ( " again and" )+'])[0]
    assert (out.finish_reason, out.text, out.num_tokens) == ("length", " again and again and", 4)


def test_document_spans_are_bounded_by_overlapping_windows(engine, tiny_tokenizer) -> None:
    """A long text (more tokens x bound than BOUNDED_RULES) gets windowed chains: every span of up to the bound is
    allowed wherever it starts, none over a quarter longer, and the grammar stays about 5 rules per token."""
    from adelie.tasks.grammar import BOUNDED_RULES

    words = [f"w{i}" for i in range(300)]
    text = " ".join(words)
    assert 300 * MAX_SPAN_TOKENS > BOUNDED_RULES
    instance = inst(Task.NER, text=text, labels=("x",))
    grammar = get_task(Task.NER).answer_grammar(instance, "canonical")
    assert grammar.count("\n") < 2 * 6 * 300  # bare and quoted chains, about 5 rules per token each
    for start in (0, 3, 150, 283):
        span = " ".join(words[start:start + MAX_SPAN_TOKENS])
        assert accepts(engine, tiny_tokenizer, grammar, f"[Answer]: {span}: x"), start
    too_long = " ".join(words[10:10 + MAX_SPAN_TOKENS + MAX_SPAN_TOKENS // 4])
    assert not accepts(engine, tiny_tokenizer, grammar, f"[Answer]: {too_long}: x")


def test_bare_spans_hold_no_quote_and_tuples_at_most_four_arguments(engine, tiny_tokenizer) -> None:
    quoted = inst(Task.NER, text='He said, "Hi there" and left.', labels=("x",))
    grammar = get_task(Task.NER).answer_grammar(quoted, "canonical")
    assert not accepts(engine, tiny_tokenizer, grammar, '[Answer]: said, "Hi there: x')
    assert accepts(engine, tiny_tokenizer, grammar, '[Answer]: "said, \\"Hi there": x')
    assert accepts(engine, tiny_tokenizer, grammar, "[Answer]: Hi there: x")
    oie = get_task(Task.OPEN_IE).answer_grammar(OIE, "canonical")
    four = "[Answer]: (Barack Obama; was born; Honolulu; Hawaii; Chicago)"  # four arguments
    assert accepts(engine, tiny_tokenizer, oie, four)
    assert not accepts(engine, tiny_tokenizer, oie, four.replace(")", "; University of Chicago)"))
