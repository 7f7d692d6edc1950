"""SFT and DPO over TRL: settings dataclasses beside thin trainer wrappers, one profile file for all stages.

```python
from adelie.train import load_profile, train_sft, train_dpo

profile = load_profile("configs/quick.yaml")   # or load_profile() for the embedded default (smol-cpu)
sft_model = train_sft(profile)                 # <sft.output>/model
dpo_model = train_dpo(profile)                 # starts from the SFT model
```
"""

from adelie.train.config import (
    DPOSettings,
    LoRASettings,
    ModelSettings,
    Profile,
    SFTSettings,
    StageSettings,
    load_profile,
    profile_from_dict,
)
from adelie.train.dpo import build_dpo_trainer, train_dpo
from adelie.train.runtime import model_dir
from adelie.train.sft import build_sft_trainer, train_sft

__all__ = [
    "DPOSettings",
    "LoRASettings",
    "ModelSettings",
    "Profile",
    "SFTSettings",
    "StageSettings",
    "build_dpo_trainer",
    "build_sft_trainer",
    "load_profile",
    "model_dir",
    "profile_from_dict",
    "train_dpo",
    "train_sft",
]
