"""The whole ADELIE recipe in one call: IEInstruct, SFT, IEFeedback, DPO, evaluation and a report.

```python
from adelie.pipeline import load_pipeline_config, run_pipeline

config = load_pipeline_config("configs/smol-cpu.yaml", "runs/smol", quick=True)
run_pipeline(config)                     # RUN/<stage>/stage.json per stage, RUN/report.md at the end
run_pipeline(config, start="dpo")        # force DPO and everything after it
```

- `config`: one YAML file, a section per stage, paths resolved against the run directory; `QUICK`.
- `runner`: stage order, manifests, fingerprints, skip / resume / force.
- `stages`, `evalstage`, `report`: what each stage does.
"""

from adelie.pipeline.config import (
    QUICK,
    STAGES,
    EvalSettings,
    PipelineConfig,
    PipelineSettings,
    load_pipeline_config,
    pipeline_config_from_dict,
)
from adelie.pipeline.runner import Outcome, PipelineError, QuietReporter, Reporter, read_manifest, run_pipeline

__all__ = [
    "QUICK", "STAGES", "EvalSettings", "Outcome", "PipelineConfig", "PipelineError", "PipelineSettings",
    "QuietReporter", "Reporter", "load_pipeline_config", "pipeline_config_from_dict", "read_manifest", "run_pipeline",
]
