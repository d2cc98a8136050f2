"""The briefing as a PDF, printed by headless Chromium from the page's own print stylesheet.

Why Chromium's ``--print-to-pdf``: the briefing is an HTML page whose print stylesheet
(A4, static map, page breaks) is already what a browser prints, so the PDF is exactly what an
analyst gets from File > Print, with no second layout to keep in step. Chromium is the browser
the test suite already drives (Debian ``chromium``); calling it as a program needs no Python
package (selenium is only a test dependency) and its ``--no-pdf-header-footer`` switch drops the
date/URL header. The HTML-to-PDF libraries that avoid a browser (WeasyPrint, xhtml2pdf) would be
a new heavy dependency with their own CSS subset. The page is printed with the network blocked:
the briefing is self-contained, so nothing is fetched and the PDF is the same offline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from snt_geo.errors import SntGeoError

__all__ = ["CHROMIUM_PRINT_FLAGS", "find_chromium", "save_pdf"]

#: Flags of every print run: headless, no sandbox (containers run as root), no GPU, no network.
CHROMIUM_PRINT_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    "--virtual-time-budget=15000",
)

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Folded parts are printed open, except those marked class="print-closed" (raw provenance).
_DETAILS = re.compile(r"<details(?![^>]*\bopen\b)(?![^>]*print-closed)")


def find_chromium(chromium: str | os.PathLike | None = None) -> Path:
    """Return the Chromium (or Chrome) executable to print with.

    Parameters
    ----------
    chromium
        Path or command name. Default: the ``SNT_CHROMIUM`` environment variable, else the first
        of ``chromium``, ``chromium-browser``, ``google-chrome`` on the ``PATH``.

    Raises
    ------
    FileNotFoundError
        Naming what was looked for and how to install or point at a browser.
    """
    wanted = chromium or os.environ.get("SNT_CHROMIUM")
    names = (str(wanted),) if wanted else _CANDIDATES
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise FileNotFoundError(
        f"`chromium`: no browser found (looked for {', '.join(names)}). Install Chromium "
        "(Debian: apt-get install chromium) or pass chromium='/path/to/chrome' (or set "
        "SNT_CHROMIUM)."
    )


def save_pdf(
    briefing: Any,
    path: str | os.PathLike,
    *,
    chromium: str | os.PathLike | None = None,
    open_details: bool = True,
    timeout_s: float = 180.0,
) -> Path:
    """Print a briefing page to an A4 PDF with headless Chromium.

    Parameters
    ----------
    briefing
        A :class:`snt_geo.maps.Briefing` (or any object with an ``html`` string, or the HTML
        text itself).
    path
        The PDF to write; its folder must exist. Overwritten if present.
    chromium
        Browser executable; default :func:`find_chromium`'s search.
    open_details
        Print folded parts (``<details>``: the full register, key locations, clusters) unfolded,
        since paper cannot be clicked open; the raw parameter provenance (marked
        ``class="print-closed"``) stays folded, its title printed. Default True.
    timeout_s
        Seconds to wait for the browser; default 180.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError
        ``path``'s folder does not exist, or no browser was found.
    SntGeoError
        The browser failed or wrote no PDF (its last error lines are quoted).
    """
    text = briefing if isinstance(briefing, str) else getattr(briefing, "html", None)
    if not isinstance(text, str) or not text:
        raise TypeError(
            "`briefing` must be a Briefing (snt_geo.maps.render_briefing) or its HTML text; got "
            f"{type(briefing).__name__}."
        )
    target = Path(path)
    if not target.parent.exists():
        raise FileNotFoundError(
            f"`path` {str(target)!r}: folder {str(target.parent)!r} does not exist; create it "
            "first or choose another path."
        )
    exe = find_chromium(chromium)
    if open_details:
        text = _DETAILS.sub("<details open", text)
    with tempfile.TemporaryDirectory(prefix="snt_geo_pdf_") as tmp:
        page = Path(tmp) / "briefing.html"
        page.write_text(text, encoding="utf-8")
        out = Path(tmp) / "briefing.pdf"
        command = [
            str(exe),
            *CHROMIUM_PRINT_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            raise SntGeoError(
                f"Chromium did not finish printing within `timeout_s`={timeout_s:g} s; raise it "
                "for a very large briefing."
            ) from err
        if run.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            tail = "\n".join(run.stderr.strip().splitlines()[-5:])
            raise SntGeoError(
                f"Chromium ({exe}) could not print the briefing (exit code {run.returncode}):\n"
                f"{tail}"
            )
        shutil.copyfile(out, target)
    return target
