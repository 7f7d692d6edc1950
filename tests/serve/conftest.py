"""Fixtures of the service tests."""

from __future__ import annotations

import pytest
from serve_fakes import FakeExtractor


@pytest.fixture
def fake() -> FakeExtractor:
    """A fresh fake extractor (see serve_fakes)."""
    return FakeExtractor()
