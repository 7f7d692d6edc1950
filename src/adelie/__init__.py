"""adelie: align language models on information extraction, then extract grounded structures with them."""

__version__ = "0.1.0"
