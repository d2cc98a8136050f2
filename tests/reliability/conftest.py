"""Fixtures of the bad-input matrix (issue 16): the bundled sample and a police.uk file writer.

The helpers (``HEADER``, ``row``, ``quiet``, ``assert_accounted``) live in reliability_helpers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import quiet


@pytest.fixture(scope="session")
def sample():
    from snt_geo.datasets import load_sample

    return quiet(load_sample)


@pytest.fixture
def street_file(tmp_path):
    """Write a police.uk street file from text or bytes; returns its path."""

    def write(content: str | bytes, name: str = "2023-01-x-street.csv") -> Path:
        path = tmp_path / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return write
