"""The README's Python example runs as written (on the real data beside the repository)."""

import re
import warnings
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(shared_data, tmp_path, monkeypatch):
    text = README.read_text()
    block = re.search(r"```python\n(import snt_geo.*?)```", text, re.S)
    assert block, "README lost its Python example"
    code = block.group(1).replace('"../shared/data"', repr(str(shared_data)))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        exec(compile(code, str(README), "exec"), namespace)
    assert (tmp_path / "briefing.html").stat().st_size > 10_000
    profile = namespace["profile"]
    assert len(getattr(profile, "wards", profile)) == 25  # a WardProfile: one row per ward
    assert namespace["labels"].index.equals(namespace["incidents"].index)


def test_readme_python_examples_import_only_public_namespaces():
    from tests.test_examples import non_public, snt_geo_imports

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks
    for code in blocks:
        assert snt_geo_imports(code)
        assert non_public(code) == []


def test_readme_quick_start_commands_are_the_ci_commands():
    text = README.read_text()
    quick = re.search(r"## Quick start.*?```bash\n(.*?)```", text, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "snt-geo demo --out" in commands[0]
    ci = (README.parent / ".ci" / "run").read_text()
    assert commands[1] in ci
    assert "snt-geo demo --out" in ci
