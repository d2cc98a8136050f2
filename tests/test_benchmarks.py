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
