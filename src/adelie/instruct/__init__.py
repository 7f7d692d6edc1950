"""IEInstruct: the instruction corpus built from every train-role IE dataset.

- `config`: `InstructConfig`, every diversity knob with ADELIE's values as defaults (`load_config`).
- `pool`: the candidates (task instances) of each train-role dataset, the held-out guard applied.
- `labels`: label plans (dropout, coarse types, synonyms, symbols, distractors) and label notes.
- `ondemand`: synthetic on-demand IE items from gold annotations (ODIE has no training split).
- `render`: a candidate as a chat record (template, format, demonstrations, explanation).
- `general`: general chat data to mix in; `explain`: teacher explanations; `length`: token limits.
- `build`: `build_instruct` writes train.jsonl, validation.jsonl and manifest.json.
- `evalprompts`: `build_eval_prompts` writes the held-out prompt files the evaluator reads.
- `records`: the record format (`messages` + `metadata`, + `instance` for evaluation) and JSONL writing.
"""

from adelie.instruct.build import build_instruct
from adelie.instruct.config import InstructConfig, config_from_dict, load_config
from adelie.instruct.evalprompts import build_eval_prompts
from adelie.instruct.records import instance_from_dict, instance_to_dict, read_jsonl

__all__ = [
    "InstructConfig", "build_eval_prompts", "build_instruct", "config_from_dict", "instance_from_dict",
    "instance_to_dict", "load_config", "read_jsonl",
]
