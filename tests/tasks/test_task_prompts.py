"""Template loading and checking, prompt rendering, and the output-format instruction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from task_helpers import make

from adelie.schema import Table, Task
from adelie.tasks import FORMATS, Instance, Template, TemplateError, get_task
from adelie.tasks.prompting import load_templates

NER_SLOTS = ("text", "labels", "no_answer")


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ner.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_load_templates_from_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "train:\n  - 'Find {labels} in: {text}'\n  - '{text} -> {labels}? Else {no_answer}.'\n"
                           "eval:\n  - 'Types {labels}. Text {text}. Literal {{braces}}.'\n")
    train = load_templates(Task.NER, "train", NER_SLOTS, path)
    assert [t.id for t in train] == ["ner/train/00", "ner/train/01"]
    [ev] = load_templates(Task.NER, "eval", NER_SLOTS, path)
    inst = make(Task.NER, labels=["person", "location"])
    prompt = get_task(Task.NER).render_prompt(inst, ev, "canonical")
    assert prompt.startswith("Types person, location. Text Some text.. Literal {braces}.\n\n")


@pytest.mark.parametrize(("body", "message"), [
    ("train:\n  - '{text} {head}'\neval:\n  - '{text}'\n", r"ner/train/00: unknown slot \{head\}"),
    ("train:\n  - 'no text here {labels}'\neval:\n  - '{text}'\n", r"expected a \{text\} slot"),
    ("train:\n  - '{text} {'\neval:\n  - '{text}'\n", "literal braces"),
    ("train:\n  - '{text} {0}'\neval:\n  - '{text}'\n", "not a slot name"),
    ("train:\n  - '{text}'\n", "expected `eval:`"),
    ("train: [1, 2]\neval: ['{text}']\n", "expected `train:`"),
    ("- just a list\n", "expected a mapping"),
    ("train: [\n", "cannot read templates"),
])
def test_bad_template_files(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(TemplateError, match=message) as err:
        load_templates(Task.NER, "train", NER_SLOTS, path)
    assert str(path) in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="missing"):
        load_templates(Task.NER, "train", NER_SLOTS, tmp_path / "nope.yaml")


def test_a_hand_made_template_with_a_foreign_slot() -> None:
    with pytest.raises(TemplateError, match=r"no value for slot \{head\}"):
        get_task(Task.NER).render_prompt(make(Task.NER), Template("x/0", "{text} {head}"), "json")


def instance_for(task: Task, i: int = 0) -> Instance:
    if task == Task.ON_DEMAND:
        return Instance(task=task, dataset="toy", example_id=f"x{i}", text="Ann is 34.",
                        query={"instruction": "List people and ages."}, table=Table(header=("Name",)))
    query = {
        Task.RELATION_CLASSIFICATION: {"head": "Jobs", "tail": "Apple"},
        Task.EVENT_RELATION: {"head": "said", "tail": "left"},
        Task.EVENT_ARGUMENTS: {"trigger": "attacked", "event_type": "attack"},
    }.get(task, {})
    return dataclasses.replace(make(task, labels=["alpha", "beta"], **query), example_id=f"x{i}")


NA_SAID = {"canonical": "NA", "json": "[]", "natural": "(NA)"}


@pytest.mark.parametrize("task", list(Task))
def test_packaged_templates_render_for_every_format(task: Task) -> None:
    t = get_task(task)
    for split in ("train", "eval"):
        templates = t.templates(split)
        assert templates and all(tpl.id.startswith(f"{task.value}/{split}/") for tpl in templates)
        for tpl in templates:
            for fmt in FORMATS:
                inst = instance_for(task)
                prompt = t.render_prompt(inst, tpl, fmt)
                instruction = prompt.rsplit("\n\n", 1)[-1]
                assert inst.text in prompt and "[Answer]" in instruction
                if "labels" in t.slots and "{labels}" in tpl.text:
                    assert "alpha, beta" in prompt
                na = '{"relation": "NA"}' if fmt == "json" and task in (
                    Task.RELATION_CLASSIFICATION, Task.EVENT_RELATION) else NA_SAID[fmt]
                if task == Task.ON_DEMAND and fmt == "json":
                    na = '{"columns": [], "rows": []}'
                assert na in instruction, (fmt, prompt)


def test_prompts_are_reproducible_and_phrasings_vary() -> None:
    t = get_task(Task.NER)
    tpl = t.templates("train")[0]
    for fmt in FORMATS:
        first = [t.render_prompt(instance_for(Task.NER, i), tpl, fmt) for i in range(30)]
        again = [t.render_prompt(instance_for(Task.NER, i), tpl, fmt) for i in range(30)]
        assert first == again
        assert len({p.rsplit("\n\n", 1)[-1] for p in first}) > 1, fmt


def test_custom_no_answer_is_stated_and_rendered() -> None:
    t = get_task(Task.NER)
    tpl = Template("t/0", "{text} ({labels}); say {no_answer} if none")
    inst = make(Task.NER, labels=["person"])
    prompt = t.render_prompt(inst, tpl, "canonical", no_answer="None")
    assert "say None if none" in prompt and "None`" in prompt.rsplit("\n\n", 1)[-1]
    assert t.render_answer(inst, "canonical", no_answer="None") == "[Answer]: None"
    assert t.parse("[Answer]: None", inst).items == ()


def test_answers_render_as_documented() -> None:
    ner = get_task(Task.NER)
    inst = make(Task.NER, [("Obama", "person"), ("Hawaii", "location")])
    assert ner.render_answer(inst, "canonical") == "[Answer]: Obama: person; Hawaii: location"
    assert ner.render_answer(inst, "json") == (
        '[Answer]: [{"entity": "Obama", "type": "person"}, {"entity": "Hawaii", "type": "location"}]')
    assert ner.render_answer(inst, "natural") == '[Answer]: "Obama" is a person. "Hawaii" is a location.'
    assert ner.render_answer(inst, "canonical", explanation="Both are names.") == (
        "[Explanation]: Both are names.\n[Answer]: Obama: person; Hawaii: location")
    empty = make(Task.NER)
    assert [ner.render_answer(empty, f) for f in FORMATS] == [
        "[Answer]: NA", "[Answer]: []", "[Answer]: No entities of the given types are mentioned (NA)."]
    re_ = get_task(Task.RELATION_EXTRACTION)
    tri = make(Task.RELATION_EXTRACTION, [("Obama", "born in", "Hawaii; USA")])
    assert re_.render_answer(tri, "canonical") == '[Answer]: (Obama; born in; "Hawaii; USA")'
    assert re_.render_answer(tri, "natural") == '[Answer]: "Obama" has the relation born in with "Hawaii; USA".'
    rc = get_task(Task.RELATION_CLASSIFICATION)
    one = make(Task.RELATION_CLASSIFICATION, [("founder of",)], head="Jobs", tail="Apple")
    assert rc.render_answer(one, "json") == '[Answer]: {"relation": "founder of"}'
    assert rc.render_answer(one, "natural") == '[Answer]: The relation between "Jobs" and "Apple" is founder of.'
    none = make(Task.RELATION_CLASSIFICATION, [], head="Jobs", tail="Apple")
    assert rc.render_answer(none, "natural") == '[Answer]: There is no relation between "Jobs" and "Apple" (NA).'
    odie = get_task(Task.ON_DEMAND)
    table = Instance(task=Task.ON_DEMAND, dataset="t", example_id="x", text="t", query={"instruction": "i"},
                     table=Table(header=("Name", "Age"), rows=(("Ann", "34"),)))
    assert odie.render_answer(table, "canonical") == "[Answer]:\n| Name | Age |\n| --- | --- |\n| Ann | 34 |"
    assert odie.render_answer(table, "natural") == (
        '[Answer]: The table has the columns "Name" and "Age". Row 1 is "Ann" and "34".')
