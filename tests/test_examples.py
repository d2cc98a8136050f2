"""Every script in examples/ runs to the end in a fresh Python process, as CI runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_examples_folder_is_not_empty():
    names = {p.name for p in EXAMPLES}
    assert {"profile_a_borough.py", "find_and_link_hotspots.py", "make_the_briefing.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "TMPDIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,  # examples must not depend on the working directory
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert run.returncode == 0, f"{script.name} failed:\n{run.stderr[-3000:]}"
    assert run.stdout.strip(), f"{script.name} printed nothing"
    assert "Traceback" not in run.stderr
    text = script.read_text(encoding="utf-8")
    assert "# %%" in text and "Open Government Licence v3.0" in text
