"""adelie: align language models on information extraction, then extract grounded structures with them."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adelie.extract import Extractor

__version__ = "0.1.0"
__all__ = ["Extractor", "__version__"]


def __getattr__(name: str) -> Any:
    """`adelie.Extractor`, imported on first use so that `import adelie` stays light."""
    if name == "Extractor":
        from adelie.extract import Extractor

        return Extractor
    raise AttributeError(f"module 'adelie' has no attribute {name!r}")
