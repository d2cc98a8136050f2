"""Run the ``>>>`` examples in snt_geo's docstrings as doctests, one test per module.

The examples work on the bundled sample (:mod:`snt_geo.datasets`), so they run offline and fast.
Every extra is installed in CI, so every module imports; a module that fails to import fails here.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import snt_geo

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = [snt_geo.__name__]
    for info in pkgutil.walk_packages(snt_geo.__path__, prefix=f"{snt_geo.__name__}."):
        names.append(info.name)
    return sorted(names)


def _tests_of(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    # Only the module's own objects: a re-exported function is tested in the module defining it.
    return [t for t in finder.find(module, name, module=module) if t.examples]


MODULES_WITH_EXAMPLES = [name for name in _module_names() if _tests_of(name)]


def test_examples_are_collected() -> None:
    """Guard the collection itself: a broken walk would otherwise pass with zero tests."""
    assert len(MODULES_WITH_EXAMPLES) >= 10


@pytest.mark.parametrize("name", MODULES_WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    """Every example of the module runs and prints what its docstring shows."""
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    failures: list[str] = []
    for test in _tests_of(name):
        result = runner.run(test, out=failures.append)
        assert result.attempted == len(test.examples)
    assert runner.failures == 0, "".join(failures)
