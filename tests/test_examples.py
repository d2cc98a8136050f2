"""Every script in examples/ runs to the end in a fresh Python process, as CI runs them."""

from __future__ import annotations

import ast
import os
import re
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


#: The namespaces users import from; everything else under snt_geo is an implementation detail.
PUBLIC = {
    "snt_geo",
    "snt_geo.io",
    "snt_geo.profile",
    "snt_geo.linkage",
    "snt_geo.tasking",
    "snt_geo.maps",
    "snt_geo.problem_solving",
    "snt_geo.temporal",
    "snt_geo.scale",
}


def snt_geo_imports(code: str) -> list[tuple[str, str]]:
    """(module, name) of every import from snt_geo in ``code`` (name "" for ``import x``)."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.split(".")[0] == "snt_geo"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "snt_geo":
            found += [(node.module, a.name) for a in node.names]
    return found


def non_public(code: str) -> list[str]:
    return [
        f"{module}.{name}".rstrip(".")
        for module, name in snt_geo_imports(code)
        if module not in PUBLIC or name.startswith("_")
    ]


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_imports_only_public_namespaces(script):
    code = script.read_text(encoding="utf-8")
    assert snt_geo_imports(code), f"{script.name} imports nothing from snt_geo"
    assert non_public(code) == []


def test_public_import_check_can_fail():
    assert non_public("from snt_geo.linkage.links import Links\nimport snt_geo.maps.layers") == [
        "snt_geo.linkage.links.Links",
        "snt_geo.maps.layers",
    ]
    assert non_public("from snt_geo import _format") == ["snt_geo._format"]


NOTEBOOK = EXAMPLES[0].parent / "sn_analyst_session.ipynb"


def test_analyst_notebook_runs_and_saves_the_briefing(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert re.search(r"briefing\.html [\d.]+ MB", text)
    saved = tmp_path / "briefing.html"  # saved in the notebook's folder
    assert saved.stat().st_size > 100_000
    assert "<!DOCTYPE html>" in saved.read_text(encoding="utf-8")[:100]
    # Result objects show as HTML in the notebook (their _repr_html_), not only as text.
    html_reprs = [o for o in outputs if "text/html" in o.get("data", {})]
    assert any("Tasking assessment" in o["data"]["text/html"] for o in html_reprs)
    assert "from snt_geo" in NOTEBOOK.read_text(encoding="utf-8")
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert non_public(cell.source) == []
