"""The API reference builds from the docstrings with no warning (mkdocs + mkdocstrings, strict)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is in the docs extra: pip install 'snt-geo[docs]'")
    pytest.importorskip(
        "mkdocstrings", reason="mkdocstrings is in the docs extra: pip install 'snt-geo[docs]'"
    )
    site = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    tasking = (site / "api" / "tasking" / "index.html").read_text(encoding="utf-8")
    # Built from the docstrings: the public names and their numpydoc sections are there.
    assert "tasking_assessment" in tasking and "TaskingAssessment" in tasking
    assert "Parameters" in tasking and "cluster_min_incidents" in tasking
    maps = (site / "api" / "maps" / "index.html").read_text(encoding="utf-8")
    assert "render_briefing" in maps and "draw_hotspot_cells" in maps


def test_every_public_package_has_an_api_page():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    packages = [p.parent.name for p in (ROOT / "snt_geo").glob("*/__init__.py")]
    for name in sorted(set(packages) - {"datasets"}):
        page = ROOT / "docs" / "api" / f"{name}.md"
        assert f"::: snt_geo.{name}" in page.read_text(encoding="utf-8")
        assert f"api/{name}.md" in config
