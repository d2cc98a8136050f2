"""Tests for snt_geo.maps.report_pdf: the briefing printed to PDF by headless Chromium."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

pypdf = pytest.importorskip("pypdf")

from snt_geo.maps import render_briefing  # noqa: E402
from snt_geo.maps.layers import HOTSPOT_PALETTE  # noqa: E402
from snt_geo.maps.report_pdf import CHROMIUM_PRINT_FLAGS, find_chromium, save_pdf  # noqa: E402

A4_POINTS = (595.0, 842.0)


class _Titles(HTMLParser):
    """Text of every h1/h2/h3 and <summary> (the section headings and table titles)."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h1", "h2", "h3", "summary"):
            self._open = []

    def handle_data(self, data):
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3", "summary") and self._open is not None:
            self.titles.append("".join(self._open))
            self._open = None


def _squash(text: str) -> str:
    """NFKC (ligatures such as 'fi' become two letters) without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def briefing(sample_assessment):
    try:
        find_chromium()
    except FileNotFoundError as err:
        pytest.skip(str(err))
    return render_briefing(sample_assessment, sample_caveat=True)


@pytest.fixture(scope="module")
def printed(briefing, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    first = save_pdf(briefing, folder / "first.pdf")
    second = save_pdf(briefing, folder / "second.pdf")
    return first, second


def test_every_section_heading_and_table_title_is_in_the_pdf_text(briefing, printed):
    reader = pypdf.PdfReader(printed[0])
    text = _squash(" ".join(page.extract_text() for page in reader.pages))
    parser = _Titles()
    parser.feed(briefing.html)
    assert len(parser.titles) >= 8
    missing = [t for t in parser.titles if _squash(t) not in text]
    assert missing == []


def test_pages_are_a4_and_the_page_count_is_stable(printed):
    first, second = (pypdf.PdfReader(p) for p in printed)
    assert len(first.pages) == len(second.pages) > 3
    for page in first.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (width, height) == pytest.approx(A4_POINTS, abs=1.5)


def test_the_map_page_is_painted_with_the_static_map(printed, tmp_path):
    reader = pypdf.PdfReader(printed[0])
    starts = [i for i, p in enumerate(reader.pages) if p.extract_text().lstrip().startswith("Map")]
    assert len(starts) == 1, "the map section starts one page"
    number = starts[0] + 1
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            str(number),
            "-l",
            str(number),
            "-r",
            "60",
            "-png",
            str(printed[0]),
            str(tmp_path / "map"),
        ],
        check=True,
        capture_output=True,
    )
    (png,) = tmp_path.glob("map*.png")
    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    rows = pixels.shape[0]
    # Where the map is: below the section heading, above the legend (the middle of the page).
    body = pixels[int(rows * 0.1) : int(rows * 0.55)]
    ink = (body.min(axis=-1) < 200).mean()
    assert ink > 0.01, f"map area nearly blank ({ink:.2%} dark pixels)"
    red = np.array([int(HOTSPOT_PALETTE["hot_99"][i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(body - red).max(axis=-1) <= 12).sum() > 10, "no hot spot cell painted"


def test_printed_offline_with_no_controls(printed):
    # The print run blocks every request (closed proxy, unresolvable hosts), so a PDF that has
    # its map was printed with nothing fetched.
    assert "--proxy-server=127.0.0.1:9" in CHROMIUM_PRINT_FLAGS
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in CHROMIUM_PRINT_FLAGS
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(printed[0]).pages)
    for control in ("Zoom in", "Zoom out", "Leaflet"):
        assert control not in text


def test_errors_name_the_argument(briefing, tmp_path):
    with pytest.raises(FileNotFoundError, match="`path` .* does not exist"):
        save_pdf(briefing, tmp_path / "missing" / "b.pdf")
    with pytest.raises(FileNotFoundError, match="`chromium`: no browser found"):
        save_pdf(briefing, tmp_path / "b.pdf", chromium="/nonexistent/chromium")
    with pytest.raises(TypeError, match="`briefing` must be a Briefing"):
        save_pdf(42, tmp_path / "b.pdf")
