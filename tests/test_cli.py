"""The `snt-geo` command: demo output, one-line input errors with exit code 2."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from snt_geo.cli import main, parse_period
from snt_geo.datasets import sample_paths


def test_demo_writes_the_briefing_and_prints_path_and_size(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    page = out / "briefing.html"
    assert page.exists() and page.stat().st_size > 100_000
    text = page.read_text(encoding="utf-8")
    assert 'id="ward-problem-solving"' in text and 'id="method"' in text
    printed = capsys.readouterr().out
    assert str(page) in printed and "kB" in printed
    assert "1. Ward problem solving" in printed and "3. Links to borough issues" in printed


def test_demo_ward_pages_one_per_ward_of_the_profile(tmp_path, capsys):
    # This path broke silently when the profile became a WardProfile (it iterated the result's
    # index): one page per ward of the sample, each naming its ward.
    from snt_geo.datasets import load_sample

    out = tmp_path / "out"
    assert main(["demo", "--out", str(out), "--quiet", "--ward-pages"]) == 0
    wards = load_sample().wards
    pages = sorted((out / "wards").glob("*.html"))
    assert [p.stem for p in pages] == sorted(wards.index)
    for page in pages:
        assert str(wards.loc[page.stem, "ward_name"]) in page.read_text(encoding="utf-8")
    assert f"{len(pages)} ward pages" in capsys.readouterr().out


def test_brief_with_sample_files_in_a_subprocess(tmp_path):
    """The console script end to end on the sample files; progress goes to stderr."""
    paths = sample_paths()
    out = tmp_path / "b.html"
    exe = shutil.which("snt-geo")
    cmd = [exe] if exe else [sys.executable, "-m", "snt_geo.cli"]
    run = subprocess.run(
        [
            *cmd,
            "brief",
            "--wards",
            str(paths.wards),
            "--crimes",
            str(paths.police_uk),
            "--priorities",
            str(paths.priorities),
            "--period",
            "2023-01:2023-06",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert out.exists()
    assert str(out) in run.stdout
    assert "ward profile" in run.stderr and "8/8" in run.stderr  # the tqdm bar
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("argument", "replace"),
    [
        ("--wards", "/no/such/wards.gpkg"),
        ("--crimes", "/no/such/crimes"),
        ("--estates", "/no/such/estates.gpkg"),
        ("--priorities", "/no/such/register.csv"),
        ("--demographics", "/no/such/people.csv"),
        ("--register", "/no/such/plans.gpkg"),
        ("--searches", "/no/such/searches"),
    ],
)
def test_missing_file_exits_2_naming_the_argument(tmp_path, capsys, argument, replace):
    paths = sample_paths()
    args = {"--wards": str(paths.wards), "--crimes": str(paths.police_uk), argument: replace}
    argv = ["brief", *[x for kv in args.items() for x in kv], "--out", str(tmp_path / "b.html")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"error: {argument}:" in err and "not found" in err and replace in err


def test_brief_with_stop_and_search(tmp_path, capsys, shared_data):
    """--searches reads police.uk stop-and-search files into the briefing's per-ward table."""
    import pandas as pd

    from snt_geo.io import read_stop_and_search

    city = shared_data / "police-uk-city-of-london"
    out = tmp_path / "b.html"
    argv = [
        "brief",
        "--wards",
        str(sample_paths().wards),
        "--crimes",
        str(city / "street"),
        "--searches",
        str(city / "stop-and-search"),
        "--period",
        "2019-01:2019-06",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "<h3>Stop and search</h3>" in text
    with pytest.warns(UserWarning):
        searches = read_stop_and_search(city / "stop-and-search")
    months = searches["month"]
    in_period = int(((months >= pd.Period("2019-01")) & (months <= pd.Period("2019-06"))).sum())
    assert in_period > 100  # the City searched hundreds of times in those months
    bad = argv.copy()
    bad[bad.index("--searches") + 1] = str(sample_paths().priorities)  # a CSV, not searches
    assert main(bad) == 2
    assert "error: --searches:" in capsys.readouterr().err


def test_schema_error_exits_2_with_one_line(tmp_path, capsys):
    paths = sample_paths()
    argv = [
        "brief",
        "--wards",
        str(paths.wards),
        "--crimes",
        str(paths.priorities),  # a CSV, but not police.uk
        "--out",
        str(tmp_path / "b.html"),
        "--quiet",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "error: --crimes:" in err and "police.uk" in err


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Column names longer than 10:UserWarning")
def test_crs_error_exits_2(tmp_path, capsys):
    import geopandas as gpd
    import shapely

    wards = tmp_path / "nocrs.shp"  # a shapefile without its .prj: no CRS
    frame = gpd.GeoDataFrame(
        {"ward_code": ["W1"], "ward_name": ["One"], "borough_code": ["B"], "borough_name": ["B"]},
        geometry=[shapely.box(530000, 180000, 531000, 181000)],
    )
    frame.to_file(wards)
    argv = ["brief", "--wards", str(wards), "--crimes", str(sample_paths().police_uk)]
    assert main([*argv, "--out", str(tmp_path / "b.html"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: --wards:" in err and "no CRS" in err


def test_out_folder_must_exist(tmp_path, capsys):
    paths = sample_paths()
    argv = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk)]
    assert main([*argv, "--out", str(tmp_path / "no" / "b.html")]) == 2
    assert "error: --out:" in capsys.readouterr().err


def test_bad_period_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["brief", "--wards", "w", "--crimes", "c", "--out", "o", "--period", "2023"])
    assert exc.value.code == 2
    assert "--period" in capsys.readouterr().err


def test_parse_period():
    assert parse_period("2023-01:2023-06") == ("2023-01", "2023-06")
    assert parse_period("2023-03") == ("2023-03", "2023-03")
    with pytest.raises(Exception, match="backwards"):
        parse_period("2023-06:2023-01")


def test_period_names_the_bad_month(capsys):
    with pytest.raises(SystemExit) as exc:
        main(
            ["brief", "--wards", "w", "--crimes", "c", "--out", "o", "--period", "2023-13:2023-06"]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'2023-13' is not a month (months run 01 to 12)" in err
    assert "backwards" not in err


@pytest.mark.parametrize("value", ["", "."])
def test_empty_wards_is_one_line_not_a_traceback(tmp_path, capsys, value):
    paths = sample_paths()
    argv = ["brief", "--wards", value, "--crimes", str(paths.police_uk)]
    assert main([*argv, "--out", str(tmp_path / "b.html")]) == 2
    err = capsys.readouterr().err
    assert "error: --wards: no file given (an empty value)" in err
    assert "Traceback" not in err


def test_borough_selects_its_wards(tmp_path, capsys):
    paths = sample_paths()
    argv = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk), "--quiet"]
    assert main([*argv, "--borough", "Camden", "--out", str(tmp_path / "b.html")]) == 2
    assert (
        "--borough: no ward of 'Camden' in --wards; boroughs there: E09000001 City of London"
        in (capsys.readouterr().err)
    )
    out = tmp_path / "city.html"
    code = main(
        [*argv, "--borough", "city of london", "--period", "2023-01:2023-06", "--out", str(out)]
    )
    assert code == 0 and out.exists()


def _one_plan_register(path, ward_code):
    """A real problem-solving register (GeoPackage/SQLite) holding one open plan."""
    from snt_geo.problem_solving import create_register, new_plan

    plan = new_plan(
        "P1",
        ward_code=ward_code,
        theme="asb",
        problem_statement="ASB on the estate walkways",
        opened_on="2023-01-09",
    )
    with create_register(path) as reg:
        reg.add_plan(plan, who="test")
    return path


def test_brief_with_a_problem_solving_register(tmp_path, capsys):
    paths = sample_paths()
    register = _one_plan_register(tmp_path / "plans.gpkg", "E05000001")
    out = tmp_path / "b.html"
    args = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk)]
    args += ["--register", str(register), "--period", "2023-01:2023-06", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'id="plans-by-stage"' in text and "<table" in text.split('id="plans-by-stage"')[0][-200:]


def test_register_that_is_not_a_register_exits_2_naming_the_argument(tmp_path, capsys):
    paths = sample_paths()
    bad = tmp_path / "plans.gpkg"
    bad.write_text("not a database", encoding="utf-8")
    args = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk)]
    args += ["--register", str(bad), "--quiet", "--out", str(tmp_path / "b.html")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "error: --register:" in err and "not a problem-solving register" in err


def test_brief_also_writes_the_pdf_and_the_word_document(tmp_path, capsys):
    import docx
    import pypdf

    paths = sample_paths()
    args = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk)]
    args += ["--period", "2023-01:2023-06", "--quiet", "--seed", "1"]
    pdf, word = tmp_path / "b.pdf", tmp_path / "b.docx"
    assert (
        main([*args, "--out", str(tmp_path / "b.html"), "--pdf", str(pdf), "--docx", str(word)])
        == 0
    )
    printed = capsys.readouterr().out
    assert str(pdf) in printed and str(word) in printed
    assert len(pypdf.PdfReader(pdf).pages) > 3
    assert len(docx.Document(str(word)).tables) >= 3


def test_pdf_folder_must_exist(tmp_path, capsys):
    paths = sample_paths()
    argv = ["brief", "--wards", str(paths.wards), "--crimes", str(paths.police_uk)]
    assert (
        main([*argv, "--out", str(tmp_path / "b.html"), "--pdf", str(tmp_path / "no" / "b.pdf")])
        == 2
    )
    assert "error: --pdf: folder" in capsys.readouterr().err
