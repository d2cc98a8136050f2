"""The import graph: data flows io -> profile / linkage -> tasking -> maps, never back.

Two checks: what a fresh interpreter has loaded after importing each analysis package (catches
imports made at import time, however indirect), and a static scan of every module's import
statements (catches imports inside functions, which run only on some paths).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import snt_geo

PACKAGE = Path(snt_geo.__file__).parent

#: Presentation: only snt_geo.maps (and the CLI, which draws the briefing) may import these.
PRESENTATION = ("folium", "branca", "snt_geo.maps", "matplotlib")


def _loaded_after(module: str) -> list[str]:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.splitlines()[-1])


def _under(names: list[str], prefix: str) -> list[str]:
    return [n for n in names if n == prefix or n.startswith(prefix + ".")]


@pytest.mark.parametrize("module", ["snt_geo.profile", "snt_geo.linkage"])
def test_profile_and_linkage_load_no_tasking_or_maps(module):
    loaded = _loaded_after(module)
    assert _under(loaded, "snt_geo.maps") == []
    assert _under(loaded, "snt_geo.tasking") == []
    assert _under(loaded, "folium") == []


#: Every analysis subpackage (all but maps/), found on disk so a new one is checked too.
ANALYSIS = sorted(
    f"snt_geo.{p.parent.name}"
    for p in PACKAGE.glob("*/__init__.py")
    if p.parent.name not in ("maps", "__pycache__")
)


def test_the_analysis_subpackages_are_found():
    assert {"snt_geo.io", "snt_geo.profile", "snt_geo.linkage", "snt_geo.tasking"} <= set(ANALYSIS)


@pytest.mark.parametrize("module", ["snt_geo", *ANALYSIS])
def test_analysis_loads_no_presentation(module):
    loaded = _loaded_after(module)
    for name in PRESENTATION:
        assert _under(loaded, name) == [], f"{module} loads {name}"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import statement in ``path``, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(("snt_geo", *path.relative_to(PACKAGE).parent.parts))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base]) if base else ".".join(parts)
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return out


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (PACKAGE / f).rglob("*.py"))


def _offences(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in paths:
        for line, name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return found


def test_static_scan_profile_and_linkage_never_import_tasking_or_maps():
    paths = _modules("profile", "linkage")
    assert len(paths) > 10
    assert _offences(paths, ("snt_geo.tasking", *PRESENTATION)) == []


def test_static_scan_no_analysis_module_imports_presentation():
    # Everything outside maps/ and the CLI is analysis (io, profile, linkage, tasking, the private
    # domain-fact modules, and any new subpackage).
    paths = [
        p
        for p in PACKAGE.rglob("*.py")
        if p.relative_to(PACKAGE).parts[0] not in ("maps", "cli.py")
    ]
    assert _offences(paths, PRESENTATION) == []


def test_static_scan_catches_an_import_inside_a_function(tmp_path, monkeypatch):
    # The scanner itself can fail: an import hidden in a function body is found.
    fake = tmp_path / "snt_geo" / "linkage" / "fake.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from ..maps import layers\n    import folium\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "snt_geo")
    found = _offences([fake], PRESENTATION)
    assert any("snt_geo.maps" in f for f in found) and any("folium" in f for f in found)
