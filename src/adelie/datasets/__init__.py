"""Readers for every supported IE dataset, and the registry that names them."""

from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import (
    DatasetSpec,
    SplitSpec,
    all_specs,
    check_trainable,
    data_dir,
    get,
    iter_examples,
    licence_text,
    load,
    select,
    training_pool,
)

__all__ = [
    "DatasetSpec", "ReadContext", "SplitSpec", "all_specs", "check_trainable", "data_dir", "get",
    "iter_examples", "licence_text", "load", "select", "training_pool",
]
