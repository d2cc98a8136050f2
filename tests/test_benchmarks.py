"""The benchmark scripts run end to end in their quick mode, so they cannot rot.

Each script is run as a user would (``python benchmarks/bench_x.py --quick``) in a subprocess. It
must exit 0 (every script asserts that our result agrees with the peer's), print its agreement
line and print a speed-up / memory ratio line. Times are not asserted (STYLE.md section 6).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# `pytest -m "not benchmark"` skips these smoke runs on a laptop; `.ci/run` runs every test.
pytestmark = pytest.mark.benchmark

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

SCRIPTS = [
    "bench_ingest.py",
    "bench_profile.py",
    "bench_hotspots.py",
    "bench_kde.py",
    "bench_dbscan.py",
    "bench_hdbscan.py",
    "bench_map_size.py",
    "bench_briefing.py",
    "bench_national.py",
    "bench_exceptions.py",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_mode_runs_and_agrees(script: str, shared_data: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
    out = proc.stdout
    assert re.search(r"^agree", out, flags=re.MULTILINE), f"no agreement line:\n{out}"
    assert re.search(r"speed-up \d+(\.\d+)?x", out), f"no speed-up line:\n{out}"
    assert re.search(r"memory(:| ratio)", out), f"no memory ratio:\n{out}"


def test_every_benchmark_script_is_covered() -> None:
    found = {p.name for p in BENCHMARKS.glob("bench_*.py")}
    assert found == set(SCRIPTS)


def test_national_archive_generator_quick_mode(tmp_path: Path, shared_data: Path) -> None:
    """The generator writes the police.uk layout that snt_geo.io.read_archive reads back."""
    import warnings

    from snt_geo.io import list_archive, read_archive

    out = tmp_path / "national"
    proc = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "make_national_archive.py"),
            "--quick",
            "--out",
            str(out),
        ],
        cwd=BENCHMARKS.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    files = list_archive(out)
    assert set(files["kind"]) == {"street", "outcomes"}
    assert files["force"].nunique() == 45
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        incidents = read_archive(out)
    assert len(incidents) == 100_000
    assert incidents["outcome_type"].notna().sum() > 0
    match = re.search(
        r"\(([\d.]+) rows per location; real City of London 36 months: ([\d.]+)\)", proc.stdout
    )
    assert match, proc.stdout
