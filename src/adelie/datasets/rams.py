"""RAMS 1.0: document-level event argument extraction (Ebner et al., ACL 2020), dev and test (no train here).

Each line of `{split}.jsonlines` is one 5-sentence news passage: `sentences` (token lists), `evt_triggers`
`[[start, end, [[event_type, 1.0]]]]` (inclusive token offsets over the concatenated sentences; one trigger per
passage), `gold_evt_links` `[[[trigger start, end], [argument start, end], role]]`, `ent_spans` (the argument
spans again) and `doc_key`. Tokens are detokenized; each passage is one Example with its sentence boundaries.

Roles keep the raw RAMS string (`evt089arg01victim`); `roles` maps it to its name (`victim`). The ontology below
is the SCPRG `meta.json` (shipped as `role_meta_scprg.json`) written out with word breaks (`_`) so readable
names can be derived: raw names drop the `_`, `-` marks an unused argument slot. One role is added: test uses
`evt071arg04result` (government.vote.n/a), which meta.json omits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adelie.datasets._event_common import build_example, ensure
from adelie.datasets.detok import detokenize
from adelie.datasets.reading import ReadContext, iter_jsonl
from adelie.datasets.registry import DatasetSpec, SplitSpec
from adelie.schema import Argument, Event, Example, Span, Task, make_argument, make_span

NAME = "rams"

# evt number, event type (level1.level2.level3, `_` between words), then its roles by argument number.
_ONTOLOGY = """
001 artifact_existence.damage_destroy.n/a: damager_destroyer artifact instrument place
002 artifact_existence.damage_destroy.damage: damager artifact instrument place
003 artifact_existence.damage_destroy.destroy: destroyer artifact instrument place
004 conflict.attack.n/a: attacker target instrument place
005 conflict.attack.airstrike_missile_strike: attacker target instrument place
006 conflict.attack.biological_chemical_poison_attack: attacker target instrument place
007 conflict.attack.bombing: attacker target instrument place
008 conflict.attack.firearm_attack: attacker target instrument place
009 conflict.attack.hanging: attacker target instrument place
010 conflict.attack.invade: attacker target instrument place
011 conflict.attack.self_directed_battle: attacker target instrument place
012 conflict.attack.set_fire: attacker target instrument place
013 conflict.attack.stabbing: attacker target instrument place
014 conflict.attack.steal_rob_hijack: attacker target instrument place artifact
015 conflict.attack.strangling: attacker target instrument place
016 conflict.demonstrate.n/a: demonstrator place
017 conflict.demonstrate.march_protest_political_gathering: demonstrator place
018 conflict.yield.n/a: yielder recipient place
019 conflict.yield.retreat: retreater origin destination
020 conflict.yield.surrender: surrenderer recipient place
021 contact.collaborate.n/a: participant participant place
022 contact.collaborate.correspondence: participant participant place
023 contact.collaborate.meet: participant participant place
024 contact.command_order.n/a: communicator recipient place
025 contact.command_order.broadcast: communicator recipient place
026 contact.command_order.correspondence: communicator recipient place
027 contact.command_order.meet: communicator recipient place
028 contact.commitment_promise_express_intent.n/a: communicator recipient place
029 contact.commitment_promise_express_intent.broadcast: communicator recipient place
030 contact.commitment_promise_express_intent.correspondence: communicator recipient place
031 contact.commitment_promise_express_intent.meet: communicator recipient place
032 contact.discussion.n/a: participant participant place
033 contact.discussion.correspondence: participant participant place
034 contact.discussion.meet: participant participant place
035 contact.funeral_vigil.n/a: participant participant deceased place
036 contact.funeral_vigil.meet: participant participant deceased place
037 contact.media_statement.n/a: communicator recipient place
038 contact.media_statement.broadcast: communicator recipient place
039 contact.negotiate.n/a: participant participant place
040 contact.negotiate.correspondence: participant participant place
041 contact.negotiate.meet: participant participant place
042 contact.prevarication.n/a: communicator recipient place
043 contact.prevarication.broadcast: communicator recipient place
044 contact.prevarication.correspondence: communicator recipient place
045 contact.prevarication.meet: communicator recipient place
046 contact.public_statement_in_person.n/a: communicator recipient place
047 contact.public_statement_in_person.broadcast: communicator recipient place
048 contact.request_advise.n/a: communicator recipient place
049 contact.request_advise.broadcast: communicator recipient place
050 contact.request_advise.correspondence: communicator recipient place
051 contact.request_advise.meet: communicator recipient place
052 contact.threaten_coerce.n/a: communicator recipient place
053 contact.threaten_coerce.broadcast: communicator recipient place
054 contact.threaten_coerce.correspondence: communicator recipient place
055 contact.threaten_coerce.meet: communicator recipient place
057 disaster.accident_crash.accident_crash: driver_passenger vehicle crash_object place
059 disaster.fire_explosion.fire_explosion: fire_explosion_object instrument place
060 government.agreements.n/a: participant participant place
061 government.agreements.accept_agreement_contract_ceasefire: participant participant place
062 government.agreements.reject_nullify_agreement_contract_ceasefire: rejecter_nullifier other_participant place
063 government.agreements.violate_agreement: violator other_participant place
064 government.formation.n/a: gpe founder place
065 government.formation.merge_gpe: participant participant place
066 government.formation.start_gpe: gpe founder place
068 government.legislate.legislate: government_body law place
070 government.spy.spy: spy observed_entity beneficiary place
071 government.vote.n/a: voter candidate ballot result place
072 government.vote.cast_vote: voter candidate ballot result place
073 government.vote.violations_prevent_vote: preventer voter candidate ballot place
074 inspection.sensory_observe.n/a: observer observed_entity place
075 inspection.sensory_observe.inspect_people_organization: inspector inspected_entity place
076 inspection.sensory_observe.monitor_election: monitor monitored_entity place
077 inspection.sensory_observe.physical_investigate_inspect: inspector inspected_entity place
079 justice.arrest_jail_detain.arrest_jail_detain: jailer detainee crime place
080 justice.initiate_judicial_process.n/a: prosecutor defendant judge_court crime place
081 justice.initiate_judicial_process.charge_indict: prosecutor defendant judge_court crime place
082 justice.initiate_judicial_process.trial_hearing: prosecutor defendant judge_court crime place
083 justice.investigate.n/a: investigator defendant place
084 justice.investigate.investigate_crime: investigator defendant crime place
085 justice.judicial_consequences.n/a: judge_court defendant crime place
086 justice.judicial_consequences.convict: judge_court defendant crime place
087 justice.judicial_consequences.execute: executioner defendant crime place
088 justice.judicial_consequences.extradite: extraditer defendant crime origin destination
089 life.die.n/a: victim place
090 life.die.death_caused_by_violent_events: killer victim instrument place
091 life.die.nonviolent_death: victim place
092 life.injure.n/a: victim injurer place
093 life.injure.illness_degradation_hunger_thirst: victim place
094 life.injure.illness_degradation_physical: victim
095 life.injure.injury_caused_by_violent_events: injurer victim instrument place
096 manufacture.artifact.n/a: manufacturer artifact instrument place
097 manufacture.artifact.build: manufacturer artifact instrument place
098 manufacture.artifact.create_intellectual_property: manufacturer artifact instrument place
099 manufacture.artifact.create_manufacture: manufacturer artifact instrument place
100 movement.transport_artifact.n/a: transporter artifact vehicle origin destination
101 movement.transport_artifact.bring_carry_unload: transporter artifact vehicle origin destination
102 movement.transport_artifact.disperse_separate: transporter artifact vehicle origin destination
103 movement.transport_artifact.fall: artifact origin destination
104 movement.transport_artifact.grant_entry: transporter artifact origin destination
105 movement.transport_artifact.hide: transporter artifact hiding_place vehicle origin
106 movement.transport_artifact.nonviolent_throw_launch: transporter artifact vehicle origin destination
107 movement.transport_artifact.prevent_entry: preventer transporter artifact origin destination
108 movement.transport_artifact.prevent_exit: preventer transporter artifact origin destination
109 movement.transport_artifact.receive_import: transporter artifact vehicle origin destination
110 movement.transport_artifact.send_supply_export: transporter artifact vehicle origin destination
111 movement.transport_artifact.smuggle_extract: transporter artifact vehicle origin destination
112 movement.transport_person.n/a: transporter passenger vehicle origin destination
113 movement.transport_person.bring_carry_unload: transporter passenger vehicle origin destination
114 movement.transport_person.disperse_separate: transporter passenger vehicle origin destination
115 movement.transport_person.evacuation_rescue: transporter passenger vehicle origin destination
116 movement.transport_person.fall: passenger origin destination
117 movement.transport_person.grant_entry_asylum: granter transporter passenger origin destination
118 movement.transport_person.hide: transporter passenger hiding_place vehicle origin
119 movement.transport_person.prevent_entry: preventer transporter passenger origin destination
120 movement.transport_person.prevent_exit: preventer transporter passenger origin destination
121 movement.transport_person.self_motion: transporter - origin destination
122 movement.transport_person.smuggle_extract: transporter passenger vehicle origin destination
123 personnel.elect.n/a: voter candidate place
124 personnel.elect.win_election: voter candidate place
125 personnel.end_position.n/a: employee place_of_employment place
126 personnel.end_position.firing_layoff: employee place_of_employment place
127 personnel.end_position.quit_retire: employee place_of_employment place
128 personnel.start_position.n/a: employee place_of_employment place
129 personnel.start_position.hiring: employee place_of_employment place
130 transaction.transaction.n/a: participant participant beneficiary place
131 transaction.transaction.embargo_sanction: preventer giver recipient artifact_money place
132 transaction.transaction.gift_grant_provide_aid: giver recipient beneficiary place
133 transaction.transfer_money.n/a: giver recipient beneficiary money place
134 transaction.transfer_money.borrow_lend: giver recipient beneficiary money place
135 transaction.transfer_money.embargo_sanction: preventer giver recipient money place
136 transaction.transfer_money.gift_grant_provide_aid: giver recipient beneficiary money place
137 transaction.transfer_money.pay_for_service: giver recipient beneficiary money place
138 transaction.transfer_money.purchase: giver recipient beneficiary money place
139 transaction.transfer_ownership.n/a: giver recipient beneficiary artifact place
140 transaction.transfer_ownership.borrow_lend: giver recipient beneficiary artifact place
141 transaction.transfer_ownership.embargo_sanction: preventer giver recipient artifact place
142 transaction.transfer_ownership.gift_grant_provide_aid: giver recipient beneficiary artifact place
143 transaction.transfer_ownership.purchase: giver recipient beneficiary artifact place
144 transaction.transaction.transfer_control: giver recipient beneficiary territory_or_facility place
"""
_EXPECTED = ("a RAMS record {doc_key, sentences: [[token, ...], ...], evt_triggers: [[start, end, [[type, score]]]], "
             "gold_evt_links: [[[start, end], [start, end], role]]}")


def _type_name(event_type: str) -> str:
    """`conflict.attack.airstrike_missile_strike` -> `attack: airstrike missile strike`; `life.die.n/a` -> `die`."""
    _, level2, level3 = (part.replace("_", " ").replace("gpe", "GPE") for part in event_type.split("."))
    return level2 if level3 in ("n/a", level2) else f"{level2}: {level3}"


def _ontology() -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """(event types, roles, event roles, coarse types) from the table above."""
    event_types: dict[str, str] = {}
    roles: dict[str, str] = {}
    event_roles: dict[str, tuple[str, ...]] = {}
    coarse: dict[str, str] = {}
    for line in _ONTOLOGY.strip().splitlines():
        number, _, rest = line.partition(" ")
        typed, _, names = rest.partition(":")
        raw_type = typed.replace("_", "")
        event_types[raw_type] = _type_name(typed)
        coarse[raw_type] = raw_type.rsplit(".", 1)[0]
        raw_roles = []
        for slot, name in enumerate(names.split(), 1):
            if name != "-":
                raw = f"evt{number}arg{slot:02d}{name.replace('_', '')}"
                roles[raw] = "geopolitical entity" if name == "gpe" else name.replace("_", " ")
                raw_roles.append(raw)
        event_roles[raw_type] = tuple(raw_roles)
    return event_types, roles, event_roles, coarse


EVENT_TYPES, ROLES, EVENT_ROLES, COARSE = _ontology()


def read_rams(folder: Path, split: str, ctx: ReadContext) -> Iterator[Example]:
    """Read one split (`dev`, `test`): one Example per passage."""
    path = folder / f"{split}.jsonlines"
    for lineno, record in iter_jsonl(path, ctx):
        example = build_example(path, lineno, ctx, _EXPECTED, lambda r=record: _fields(r, split))
        if example is not None:
            yield example


def _fields(record: dict[str, Any], split: str) -> dict[str, Any]:
    sentences = record["sentences"]
    ensure(all(isinstance(t, str) for s in sentences for t in s), "'sentences' must be lists of string tokens")
    text, offsets = detokenize([t for s in sentences for t in s])
    bounds, first = [], 0
    for sentence in sentences:
        if sentence:
            bounds.append((offsets[first][0], offsets[first + len(sentence) - 1][1]))
        first += len(sentence)
    events = []
    links = [(tuple(trig), arg, role) for trig, arg, role in record["gold_evt_links"]]
    for start, end, labels in record["evt_triggers"]:
        arguments: list[Argument] = [
            make_argument(text, *_char_range(offsets, *arg), role=role)
            for trig, arg, role in links if trig == (start, end)
        ]
        events.append(Event(trigger=_span(text, offsets, start, end), type=labels[0][0], arguments=tuple(arguments)))
    orphans = [link for link in links if link[0] not in {(s, e) for s, e, _ in record["evt_triggers"]}]
    ensure(not orphans, f"every gold_evt_links trigger among evt_triggers, not {orphans[:1]!r}")
    return dict(id=f"{NAME}-{record['doc_key']}", dataset=NAME, split=split, text=text, doc_id=record["doc_key"],
                sentences=tuple(bounds), events=tuple(events), meta={"source_url": record.get("source_url")})


def _char_range(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Character (start, end) of the inclusive token range [start, end]."""
    ensure(isinstance(start, int) and isinstance(end, int) and 0 <= start <= end < len(offsets),
           f"token range [{start}, {end}] inside the {len(offsets)} tokens")
    return offsets[start][0], offsets[end][1]


def _span(text: str, offsets: list[tuple[int, int]], start: int, end: int) -> Span:
    return make_span(text, *_char_range(offsets, start, end))


SPECS: list[DatasetSpec] = [
    DatasetSpec(
        name=NAME,
        folder="rams",
        tasks=(Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS),
        splits=(
            SplitSpec("dev", "train", 924, "the training pool: RAMS train is absent from this snapshot"),
            SplitSpec("test", "held-out", 871),
        ),
        licence_class="unstated",
        reader=read_rams,
        description="RAMS: document-level event argument extraction, one trigger per 5-sentence news passage, "
        "139 event types (AIDA ontology) and their roles.",
        event_types=EVENT_TYPES,
        roles=ROLES,
        event_roles=EVENT_ROLES,
        coarse=COARSE,
    )
]
