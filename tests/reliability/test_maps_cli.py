"""The bad-input matrix for the maps and the CLI (issue 16), and determinism: the same inputs and
seed give byte-identical HTML, tables and files."""

from __future__ import annotations

import hashlib
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from reliability_helpers import HEADER, quiet, row

import snt_geo
from snt_geo.cli import main
from snt_geo.errors import CRSError, SchemaError
from snt_geo.io import read_police_uk
from snt_geo.maps import (
    draw_hotspot_cells,
    draw_ward_choropleth,
    find_remote_references,
    make_map,
    save_offline_html,
)

# --- maps ----------------------------------------------------------------------------------------

MAP_ERRORS = [
    (
        "choropleth_missing_column",
        lambda w: draw_ward_choropleth(w, column="nope"),
        SchemaError,
        r"(?s)`wards` cannot be drawn.*'nope'",
    ),  # noqa: E501
    (
        "choropleth_k",
        lambda w: draw_ward_choropleth(w.assign(v=range(len(w))), column="v", k=0),
        ValueError,
        r"`k` must be an integer number of classes",
    ),  # noqa: E501
    (
        "choropleth_scheme",
        lambda w: draw_ward_choropleth(w.assign(v=range(len(w))), column="v", scheme="magic"),
        ValueError,
        r"`scheme` must be one of",
    ),  # noqa: E501
    (
        "choropleth_no_crs",
        lambda w: draw_ward_choropleth(
            w.assign(v=1.0).set_crs(None, allow_override=True), column="v"
        ),
        CRSError,
        r"`wards` has no CRS",
    ),  # noqa: E501
    (
        "hotspot_cells_missing_columns",
        lambda w: draw_hotspot_cells(w),
        SchemaError,
        r"hotspot_class",
    ),  # noqa: E501
    ("make_map_tiles", lambda w: make_map(tiles="Google"), ValueError, r"`tiles` must be None"),
    (
        "save_not_a_map",
        lambda w: save_offline_html(42, "x.html"),
        TypeError,
        r"`map_or_html` must be a folium Map",
    ),  # noqa: E501
    (
        "save_remote_script",
        lambda w: save_offline_html('<script src="https://cdn.example/x.js"></script>', "x.html"),
        ValueError,
        r"`map_or_html` would load 1 remote",
    ),  # noqa: E501
    (
        "save_remote_css",
        lambda w: save_offline_html("<style>a{background:url(//e.x/a.png)}</style>", "x.html"),
        ValueError,
        r"would load 1 remote",
    ),  # noqa: E501
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in MAP_ERRORS], ids=[c[0] for c in MAP_ERRORS]
)
def test_maps_refuse(sample, tmp_path, monkeypatch, call, error, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=match):
        quiet(call, sample.wards)
    assert not (tmp_path / "x.html").exists()  # nothing half-written


@pytest.mark.parametrize(
    "text",
    [
        "url(https://evil.example/a.png)",
        "url('//evil.example/a.png')",
        "@import url(https://evil.example/c.css)",
        '<img src="https://evil.example/x.png">',
    ],
)
def test_escaped_text_is_not_a_remote_load(tmp_path, text):
    # Issue 16 item 9: an escaped url(...) in a title blocked saving ("would load 1 remote").
    path = save_offline_html(make_map(title=text), tmp_path / "m.html")
    html = path.read_text()
    assert find_remote_references(html) == []
    assert "evil.example" in html  # the text is on the page, as text


# --- CLI: every input error is one line and a non-zero exit, checked before any work -------------


@pytest.fixture(scope="module")
def files(tmp_path_factory, sample):
    root = tmp_path_factory.mktemp("cli")
    wards = root / "wards.gpkg"
    sample.wards.reset_index().to_file(wards, layer="wards")
    no_features = root / "empty.gpkg"
    sample.wards.reset_index().iloc[:0].to_file(no_features, layer="wards")
    crimes = root / "2023-01-x-street.csv"
    crimes.write_text(HEADER + "".join(row(i) for i in range(20)))
    table = root / "table.csv"
    table.write_text("ward_code,theme\nE05000001,asb\n")
    swapped = root / "2023-02-x-street.csv"
    swapped.write_text(HEADER + "".join(row(i, lon=51.5155, lat=-0.0922) for i in range(5)))
    return {
        "wards": wards,
        "no_features": no_features,
        "crimes": crimes,
        "table": table,
        "swapped": swapped,
        "root": root,
    }


def _brief(files, **overrides):
    args = {
        "--wards": files["wards"],
        "--crimes": files["crimes"],
        "--out": files["root"] / "out" / "b.html",
    }
    args.update(overrides)
    argv = ["brief", "--quiet"]
    for key, value in args.items():
        argv += [key, str(value)]
    return argv


CLI_ERRORS = [
    pytest.param({"--wards": "nowhere.gpkg"}, r"--wards: file not found", id="wards_missing"),
    pytest.param({"--wards": "{table}"}, r"--wards: .*not a boundary file", id="wards_csv"),
    pytest.param(
        {"--wards": "{no_features}"},
        r"--wards: .*(no ward polygons|no features)",
        id="wards_no_features",
    ),
    pytest.param({"--crimes": "nowhere.csv"}, r"--crimes: file not found", id="crimes_missing"),
    pytest.param(
        {"--crimes": "{table}"}, r"--crimes: .*lacks required columns", id="crimes_not_police_uk"
    ),
    pytest.param(
        {"--crimes": "{swapped}"},
        r"--crimes: .*longitude and latitude swapped",
        id="crimes_swapped",
    ),
    pytest.param({"--estates": "{table}"}, r"--estates: ", id="estates_csv"),
    pytest.param({"--demographics": "{wards}"}, r"--demographics: ", id="demographics_gpkg"),
    pytest.param({"--priorities": "{wards}"}, r"--priorities: .*not a CSV", id="priorities_gpkg"),
    pytest.param({"--out": "{root}"}, r"--out: .* is a folder", id="out_is_a_folder"),
    pytest.param(
        {"--out": "{root}/nowhere/b.html"},
        r"--out: folder .* does not exist",
        id="out_folder_missing",
    ),
    pytest.param(
        {"--out": "/proc/b.html"}, r"--out: cannot write /proc/b.html", id="out_unwritable"
    ),
]


@pytest.mark.parametrize(("overrides", "match"), CLI_ERRORS)
def test_cli_input_errors_are_one_line(files, capsys, overrides, match):
    (files["root"] / "out").mkdir(exist_ok=True)
    overrides = {k: v.format(**{n: str(p) for n, p in files.items()}) for k, v in overrides.items()}
    rc = main(_brief(files, **overrides))
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert re.match(f"snt-geo brief: error: {match}", lines[0]), lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["brief", "--wards", "w.gpkg"],  # --crimes and --out missing
        ["brief", "--wards", "w", "--crimes", "c", "--out", "o", "--period", "2023-13:2023-01"],
        ["brief", "--wards", "w", "--crimes", "c", "--out", "o", "--seed", "abc"],
        ["frobnicate"],
    ],
    ids=["missing_arguments", "bad_period", "bad_seed", "unknown_command"],
)
def test_cli_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" in err


def test_cli_refuses_unwritable_out_before_reading_anything(files, capsys):
    # The output is checked first: a wards file that would fail is never read.
    rc = main(_brief(files, **{"--wards": str(files["table"]), "--out": "/proc/b.html"}))
    assert rc == 2
    assert "--out: cannot write" in capsys.readouterr().err


# --- determinism (issue 16 item 10) --------------------------------------------------------------


@pytest.fixture(scope="module")
def two_briefings(sample):
    incidents = sample.incidents[sample.incidents["month"] >= pd.Period("2022-07", "M")].copy()
    # Hostile text in a location name and the title: escaped, inert, and saved (item 9).
    incidents["location"] = incidents["location"].astype(str)
    incidents.loc[incidents.index[:50], "location"] = "On or near url(https://evil.example/x.png)"
    kwargs = {
        "period": ("2023-01", "2023-06"),
        "title": "Tasking url(https://evil.example/t.png) <b>x</b>",
        "rng": 7,
        "permutations": 99,
    }
    return [quiet(snt_geo.tasking_briefing, sample.wards, incidents, **kwargs) for _ in range(2)]


def test_same_inputs_and_seed_give_identical_html(two_briefings, tmp_path):
    a, b = two_briefings
    assert a.html == b.html
    pa, pb = a.save(tmp_path / "a.html"), b.save(tmp_path / "b.html")
    assert hashlib.sha256(pa.read_bytes()).digest() == hashlib.sha256(pb.read_bytes()).digest()
    assert find_remote_references(pa.read_text()) == []


def test_same_inputs_and_seed_give_identical_tables(two_briefings):
    a, b = two_briefings
    for name in ("profile", "hotspots", "clusters", "links", "changes", "evidence", "shared"):
        ta, tb = getattr(a, name), getattr(b, name)
        if ta is None:
            assert tb is None
            continue
        if hasattr(ta, "to_frame") and not isinstance(ta, pd.DataFrame):
            ta, tb = ta.to_frame(), tb.to_frame()
        pd.testing.assert_frame_equal(pd.DataFrame(ta), pd.DataFrame(tb), check_exact=True)


def test_reading_twice_gives_identical_frames_and_files(sample, tmp_path):
    from snt_geo.datasets import sample_paths

    first = quiet(read_police_uk, sample_paths().police_uk)
    second = quiet(read_police_uk, sample_paths().police_uk)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    for name, frame in (("a", first), ("b", second)):
        table = frame.assign(month=frame["month"].astype(str))
        table.attrs = {}  # the read report is an object, not file content
        table.to_parquet(tmp_path / f"{name}.parquet")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_grid_results_are_deterministic():
    from snt_geo.linkage import find_hotspots

    area = gpd.GeoSeries([shapely.box(531000, 180500, 533000, 182500)], crs=27700)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([531100 + 7.0 * i for i in range(200)], [181000.0] * 200),
        crs=27700,
    )
    a = quiet(find_hotspots, pts, area=area, cell_size_m=100)
    b = quiet(find_hotspots, pts, area=area, cell_size_m=100)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
