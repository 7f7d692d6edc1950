"""Handwritten model answers with the noise real models produce."""

from __future__ import annotations

import pytest
from task_helpers import keys, make

from adelie.schema import Table, Task
from adelie.tasks import Instance, get_task

NER = get_task(Task.NER)
RE = get_task(Task.RELATION_EXTRACTION)
RC = get_task(Task.RELATION_CLASSIFICATION)
OIE = get_task(Task.OPEN_IE)
ODIE = get_task(Task.ON_DEMAND)
NER_INST = make(Task.NER, [("Obama", "person"), ("Hawaii", "location")], labels=["person", "location"])
BOTH = {("obama", "person"), ("hawaii", "location")}


@pytest.mark.parametrize("answer", [
    "[Answer]: Obama: person; Hawaii: location",
    "Obama: person; Hawaii: location",  # no prefix
    "[answer] :  obama : PERSON ;  hawaii: Location ",  # case and spacing
    "[Answer]: Obama: person; Hawaii: location\n\nThese are all the entities I found. Note: none else.",
    "[Answer]: Obama: person; Obama: person; Hawaii: location; hawaii: location",  # repeats
    "[Answer]:\n- Obama: person\n- Hawaii: location",  # bullets over lines
    "[Answer]: person: Obama; location: Hawaii",  # type first
    "[Answer]: Obama: person, Hawaii: location",  # commas
    "```\n[Answer]: Obama: person; Hawaii: location\n```",
    'Sure! Here you go:\n```json\n[{"entity": "Obama", "type": "person"}, '
    '{"entity": "Hawaii", "type": "location"}]\n```',
    "[Answer]: [{'entity': 'Obama', 'type': 'person'}, {'entity': 'Hawaii', 'type': 'location'}]",  # repr
    '[Answer]: {"entities": [{"Entity": "Obama", "Type": "person"}, {"name": "Hawaii", "label": "location"}]}',
    '[Answer]: {"person": ["Obama"], "location": ["Hawaii"]}',
    '[Answer]: {"Obama": "person", "Hawaii": "location"}',
    '[Answer]: [["Obama", "person"], ["Hawaii", "location"]]',
    '[Answer]: "Obama" is a person. "Hawaii" is a location. I hope this helps.',
    "Obama is a person. Hawaii is a location.",  # unquoted sentences
    "**Answer:** Obama: person; Hawaii: location",
])
def test_ner_noise_is_salvaged(answer: str) -> None:
    parsed = NER.parse(answer, NER_INST)
    assert parsed.ok, answer
    assert keys(parsed.items) == BOTH, parsed


def test_truncated_json_keeps_complete_objects() -> None:
    answer = '[Answer]: [{"entity": "Obama", "type": "person"}, {"entity": "Haw'
    parsed = NER.parse(answer, NER_INST)
    assert parsed.ok and parsed.format == "json"
    assert parsed.items == (("Obama", "person"),)


def test_truncated_repr_json_keeps_complete_objects() -> None:
    parsed = NER.parse("[{'entity': 'Obama', 'type': 'person'}, {'entity': 'Hawaii', 'ty", NER_INST)
    assert parsed.items == (("Obama", "person"),)


def test_label_not_offered_is_kept() -> None:
    parsed = NER.parse("[Answer]: Obama: politician", NER_INST)
    assert parsed.ok and parsed.items == (("Obama", "politician"),)
    assert NER.score(parsed, NER_INST).tp_pred == 0


def test_explanation_is_read() -> None:
    parsed = NER.parse("[Explanation]: Obama is a name.\n[Answer]: Obama: person", NER_INST)
    assert parsed.explanation == "Obama is a name." and parsed.items == (("Obama", "person"),)
    parsed = NER.parse("[Explanation]: Obama is a name. Answer: Obama: person", NER_INST)
    assert parsed.items == ()  # a mid-line "Answer:" is no marker: the explanation never ended
    parsed = NER.parse("[Explanation]: Obama is a name.\nAnswer: Obama: person", NER_INST)
    assert parsed.explanation == "Obama is a name." and parsed.items == (("Obama", "person"),)


@pytest.mark.parametrize("answer", [
    "[Answer]: NA", "NA", "[Answer]: None.", "N/A", "[Answer]: []", "```json\n[]\n```", "[Answer]: nothing",
    "[Answer]: No entities of the given types are mentioned (NA).", "There are no entities in this text.",
    "[Answer]: NA\n\nThe text only talks about the weather.",
])
def test_na_answers_are_empty_and_ok(answer: str) -> None:
    parsed = NER.parse(answer, NER_INST)
    assert parsed.ok and parsed.items == (), answer


def test_custom_no_answer_phrase() -> None:
    assert NER.parse("[Answer]: nix", NER_INST, no_answer="nix").items == ()
    assert not NER.parse("[Answer]: nix", NER_INST).ok


@pytest.mark.parametrize("answer", [
    "", "   ", "I cannot help with that", "[Explanation]: I think the answer is", "[Answer]:", '[{"entity": "Oba',
    '["Obama", "Hawaii"]', "}{", "[[[[[[[[", "\x00\x01",
])
def test_unreadable_answers(answer: str) -> None:
    parsed = NER.parse(answer, NER_INST)
    assert not parsed.ok and parsed.items == (), answer


def test_parse_never_raises_on_odd_input() -> None:
    for task in Task:
        t = get_task(task)
        for text in ["[" * 5000, "{" * 5000 + "}" * 5000, '"' * 101, "(" * 3000, "|\n" * 50, None]:
            assert isinstance(t.parse(text), type(t.parse("")))  # type: ignore[arg-type]


RE_INST = make(Task.RELATION_EXTRACTION, [("Obama", "born in", "Hawaii"), ("Obama", "president of", "USA")])


@pytest.mark.parametrize("answer", [
    "[Answer]: (Obama; born in; Hawaii); (Obama; president of; USA)",
    "(Obama, born in, Hawaii), (Obama, president of, USA)",
    "[Answer]: ('Obama', 'born in', 'Hawaii'), ('Obama', 'president of', 'USA')",
    "[Answer]:\n(Obama; born in; Hawaii)\n(obama; PRESIDENT OF; usa)\n\nBoth relations hold (see text).",
    "[Answer]:\nObama; born in; Hawaii\nObama; president of; USA",
    '[Answer]: [["Obama", "born in", "Hawaii"], ["Obama", "president of", "USA"]]',
    '[{"subject": "Obama", "predicate": "born in", "object": "Hawaii"}, '
    '{"head": "Obama", "relation": "president of", "tail": "USA"}]',
    '"Obama" has the relation born in with "Hawaii". "Obama" has the relation president of with "USA".',
])
def test_triples_noise(answer: str) -> None:
    parsed = RE.parse(answer, RE_INST)
    assert parsed.ok, answer
    assert keys(parsed.items) == keys(RE_INST.gold), parsed


def test_truncated_triple_is_dropped() -> None:
    parsed = RE.parse("[Answer]: (Obama; born in; Hawaii); (Obama; president", RE_INST)
    assert parsed.ok and parsed.items == (("Obama", "born in", "Hawaii"),)


def test_wrong_arity_triples_are_dropped() -> None:
    parsed = RE.parse("[Answer]: (Obama; born in); (Obama; born in; Hawaii; 1961)", RE_INST)
    assert not parsed.ok


RC_INST = make(Task.RELATION_CLASSIFICATION, [("founder of",)], labels=["founder of", "employee of"],
               head="Jobs", tail="Apple")


@pytest.mark.parametrize("answer", [
    "[Answer]: founder of", "Founder Of.", "[Answer]: founder of\n\nJobs started Apple in 1976.",
    '{"relation": "founder of"}', '[Answer]: "founder of"', "The relation is founder of.",
    'The relation between "Jobs" and "Apple" is founder of.', "```\nfounder of\n```",
])
def test_relation_classification_noise(answer: str) -> None:
    parsed = RC.parse(answer, RC_INST)
    assert parsed.ok and keys(parsed.items[:1]) == {("founder of",)}, answer


@pytest.mark.parametrize("answer", [
    "[Answer]: NA", '{"relation": null}', '{"relation": "NA"}', "There is no relation between them (NA).",
    'The relation between "Jobs" and "Apple" is none.',
])
def test_relation_classification_na(answer: str) -> None:
    parsed = RC.parse(answer, RC_INST)
    assert parsed.ok and parsed.items == (), answer


def test_a_quoted_na_label_is_a_label() -> None:
    assert RC.parse('[Answer]: "NA"', RC_INST).items == (("NA",),)


def test_event_arguments_and_detection_sentences() -> None:
    eae = get_task(Task.EVENT_ARGUMENTS)
    inst = make(Task.EVENT_ARGUMENTS, [("the rebels", "attacker")], labels=["attacker", "target"])
    assert eae.parse('"the rebels" plays the role attacker.', inst).items == (("the rebels", "attacker"),)
    ed = get_task(Task.EVENT_DETECTION)
    assert ed.parse('"attacked" triggers an Attack event.').items == (("attacked", "Attack"),)


OIE_GOLD = (("was born in", "Obama", "Hawaii"), ("visited", "Obama", "Paris", "in 2010"))


@pytest.mark.parametrize("answer", [
    "[Answer]: (Obama; was born in; Hawaii); (Obama; visited; Paris; in 2010)",
    '[{"predicate": "was born in", "arguments": ["Obama", "Hawaii"]}, '
    '{"relation": "visited", "arg1": "Obama", "arg2": "Paris", "arg3": "in 2010"}]',
    '[["Obama", "was born in", "Hawaii"], ["Obama", "visited", "Paris", "in 2010"]]',
    'The predicate "was born in" has the arguments "Obama" and "Hawaii". '
    'The predicate "visited" has the arguments "Obama", "Paris" and "in 2010".',
])
def test_open_ie_formats(answer: str) -> None:
    parsed = OIE.parse(answer)
    assert parsed.ok and keys(parsed.items) == keys(OIE_GOLD), parsed


def test_open_ie_reading_order_and_lone_predicate() -> None:
    inst = make(Task.OPEN_IE, [("rains",), ("was born in", "Obama", "Hawaii")])
    answer = OIE.render_answer(inst, "canonical")
    assert answer == "[Answer]: (rains); (Obama; was born in; Hawaii)"
    assert OIE.parse(answer).items == inst.gold


ODIE_INST = Instance(task=Task.ON_DEMAND, dataset="toy", example_id="x", text="t", query={"instruction": "i"},
                     table=Table(header=("Name", "Age"), rows=(("Ann", "34"), ("Bob", "5"))))


@pytest.mark.parametrize("answer", [
    "[Answer]:\n| Name | Age |\n| --- | --- |\n| Ann | 34 |\n| Bob | 5 |",
    "Here is the table you asked for:\n\n```markdown\n| Name | Age |\n|---|---|\n| Ann | 34 |\n| Bob | 5 |\n```\n"
    "Let me know if you need more.",
    "Name | Age\n--- | ---\nAnn | 34\nBob | 5",
    '[{"Name": "Ann", "Age": 34}, {"Name": "Bob", "Age": 5}]',
    '{"table": {"header": ["Name", "Age"], "rows": [["Ann", "34"], ["Bob", "5"]]}}',
    'The table has the columns "Name" and "Age". Row 1 is "Ann" and "34". Row 2 is "Bob" and "5".',
])
def test_on_demand_tables(answer: str) -> None:
    parsed = ODIE.parse(answer, ODIE_INST)
    assert parsed.ok and parsed.table == ODIE_INST.table, parsed


def test_on_demand_na_and_garbage() -> None:
    for answer in ("[Answer]: NA", '{"columns": [], "rows": []}', "No table can be built from the text (NA)."):
        parsed = ODIE.parse(answer)
        assert parsed.ok and parsed.table is None, answer
    assert not ODIE.parse("I don't know.").ok
    assert not ODIE.parse("[Explanation]: thinking...").ok


@pytest.mark.parametrize("table", [None, Table(header=()), Table(header=("Company", "Revenue"))])
def test_on_demand_empty_tables_are_answered_as_the_instruction_says(table: Table | None) -> None:
    inst = Instance(task=Task.ON_DEMAND, dataset="toy", example_id="x", text="t",
                    query={"instruction": "List the companies and their revenues."}, table=table)
    template = ODIE.templates("train")[0]
    said = {"canonical": "[Answer]: NA", "json": '[Answer]: {"columns": [], "rows": []}',
            "natural": "[Answer]: No table can be built from the text (NA)."}
    for fmt, answer in said.items():
        assert ODIE.render_answer(inst, fmt) == answer
        assert answer.removeprefix("[Answer]: ") in ODIE.render_prompt(inst, template, fmt)  # what it promises
        parsed = ODIE.parse(answer, inst)
        assert parsed.ok and parsed.table is None and parsed.format == fmt, (fmt, parsed)
    # a model's header-only table keeps its header: header matching still credits it
    assert ODIE.parse('{"columns": ["Company"], "rows": []}').table == Table(header=("Company",))
