"""Analysis never imports presentation: problem_solving loads neither folium nor snt_geo.maps."""

from __future__ import annotations

import subprocess
import sys


def test_problem_solving_imports_no_presentation():
    code = (
        "import sys\n"
        "import snt_geo.problem_solving as ps\n"
        "import snt_geo.problem_solving.store, snt_geo.profile.priorities\n"
        "bad = sorted(m for m in sys.modules if m == 'folium' or m.startswith('folium.')\n"
        "             or m.startswith('snt_geo.maps') or m.startswith('matplotlib'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
