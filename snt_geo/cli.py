"""The ``snt-geo`` command: a thin layer over :func:`snt_geo.maps.briefing.tasking_briefing`.

``snt-geo brief --wards PATH --crimes PATH [...] --out briefing.html`` reads the files with the
snt_geo readers and writes the briefing; ``snt-geo demo --out DIR`` writes the briefing of the
bundled City of London sample. Input errors (a missing file, a file outside its schema, a CRS
problem) end with one line naming the argument and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser", "parse_period"]

#: Period of the demo briefing: the last six months of the sample, compared with the six before
#: (the sample has a gap 2020-12 .. 2022-06, so a 12-month period would have no baseline).
DEMO_PERIOD = ("2023-01", "2023-06")


class CliError(Exception):
    """An input problem to report in one line (exit code 2)."""


def parse_period(text: str) -> tuple[str, str]:
    """``'YYYY-MM:YYYY-MM'`` (or one month ``'YYYY-MM'``) -> ``(first, last)``.

    >>> parse_period("2023-01:2023-06")
    ('2023-01', '2023-06')
    """
    import re

    parts = text.split(":")
    if len(parts) not in (1, 2) or not all(re.fullmatch(r"\d{4}-\d{2}", p.strip()) for p in parts):
        raise argparse.ArgumentTypeError(
            f"expected YYYY-MM:YYYY-MM (first and last month, inclusive); got {text!r}"
        )
    first, last = parts[0].strip(), parts[-1].strip()
    for month in dict.fromkeys((first, last)):
        if not 1 <= int(month[5:]) <= 12:
            raise argparse.ArgumentTypeError(
                f"{month!r} is not a month (months run 01 to 12) in {text!r}; "
                "expected YYYY-MM:YYYY-MM"
            )
    if last < first:
        raise argparse.ArgumentTypeError(f"the period runs backwards: {text!r}")
    return first, last


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``snt-geo`` (sub-commands ``brief`` and ``demo``)."""
    parser = argparse.ArgumentParser(
        prog="snt-geo",
        description="Ward profiles, hotspots and linkage flags for Safer Neighbourhoods tasking.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{brief,demo}")

    brief = sub.add_parser(
        "brief",
        help="write the tasking (TTCG) briefing: one offline HTML file",
        description="Write the tasking briefing for a set of wards and police.uk incidents.",
    )
    brief.add_argument("--wards", required=True, type=Path, help="ward boundaries file")
    brief.add_argument(
        "--crimes",
        required=True,
        type=Path,
        help="police.uk street-level CSV, a folder of them, or a police.uk zip archive",
    )
    brief.add_argument("--demographics", type=Path, help="ward population table (CSV/XLSX)")
    brief.add_argument("--estates", type=Path, help="housing estates (GeoPackage, GeoJSON...)")
    brief.add_argument("--priorities", type=Path, help="priority register CSV")
    brief.add_argument(
        "--searches",
        type=Path,
        help="police.uk stop-and-search CSV, a folder of them, or a police.uk zip archive: "
        "searches per ward in the briefing and a map layer",
    )
    brief.add_argument(
        "--register",
        type=Path,
        help="problem-solving register (.gpkg from snt_geo.problem_solving): plans by stage, "
        "overdue reviews and evaluations in section 1",
    )
    brief.add_argument(
        "--period",
        type=parse_period,
        help="months briefed, YYYY-MM:YYYY-MM (default: the last 12 complete months)",
    )
    brief.add_argument(
        "--borough",
        help="brief only the wards of this borough (code such as E09000007, or name)",
    )
    brief.add_argument("--title", help="page title")
    brief.add_argument(
        "--tiles",
        choices=["OpenStreetMap", "CartoDB positron"],
        help="add an online basemap (default: none, the page works offline)",
    )
    brief.add_argument("--seed", type=int, default=None, help="seed for the permutation tests")
    brief.add_argument("--out", required=True, type=Path, help="output HTML file")
    brief.add_argument(
        "--pdf", type=Path, help="also print the briefing to this A4 PDF (headless Chromium)"
    )
    brief.add_argument(
        "--docx", type=Path, help="also write the tactical assessment as a Word document"
    )
    brief.add_argument("--quiet", action="store_true", help="no progress bar, no warnings")

    demo = sub.add_parser(
        "demo",
        help="write the briefing for the bundled City of London sample",
        description="Write DIR/briefing.html for the bundled City of London sample.",
    )
    demo.add_argument("--out", required=True, type=Path, help="output folder (created)")
    demo.add_argument(
        "--ward-pages", action="store_true", help="also write DIR/wards/<ward code>.html"
    )
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _progress(quiet: bool):
    """Return a ``progress(step, done, total)`` callback drawing a tqdm bar on stderr, or None."""
    if quiet:
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency

        def plain(step: str, done: int, total: int) -> None:
            print(f"[{done}/{total}] {step}", file=sys.stderr, flush=True)

        return plain, lambda: None
    bar = tqdm(total=8, file=sys.stderr, unit="step", leave=True, dynamic_ncols=True)

    def update(step: str, done: int, total: int) -> None:
        bar.total = total
        bar.set_description(step)
        bar.update(done - bar.n)

    return update, bar.close


def _read(argument: str, reader, *args, **kwargs):
    """Call a reader; turn input errors into a CliError naming the command-line argument."""
    from snt_geo.errors import CRSError, SchemaError

    try:
        return reader(*args, **kwargs)
    except FileNotFoundError as exc:
        path = args[0] if args else ""
        raise CliError(f"{argument}: file not found: {path} ({_first_line(exc)})") from None
    except (SchemaError, CRSError, ValueError) as exc:
        # SchemaError and CRSError are ValueErrors; any other ValueError from a reader is also
        # a problem with that input file.
        raise CliError(f"{argument}: {_first_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - whatever a reader raises, the file is the cause
        path = args[0] if args else ""
        raise CliError(
            f"{argument}: cannot read {path}: {type(exc).__name__}: {_first_line(exc)}"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    head = lines[0] if lines else text
    if len(lines) > 1:
        head += " " + "; ".join(lines[1:4])
    return head


def _check_exists(argument: str, path: Path | None) -> None:
    if path is None:
        return
    if str(path) in ("", "."):
        raise CliError(f"{argument}: no file given (an empty value); pass the file's path")
    if not path.exists():
        raise CliError(f"{argument}: file not found: {path}")
    if argument not in ("--crimes", "--searches") and path.is_dir():  # these read folders
        raise CliError(f"{argument}: {path} is a folder; pass the file inside it")


def _check_out(path: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if str(path) in ("", "."):
        raise CliError("--out: no file given (an empty value); pass e.g. briefing.html")
    if path.is_dir():
        raise CliError(
            f"--out: {path} is a folder; pass a file name, e.g. {path / 'briefing.html'}"
        )
    if not path.parent.exists():
        raise CliError(f"--out: folder {path.parent} does not exist; create it first")
    try:
        # A real trial write: permissions, read-only file systems and full disks all show here.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".snt-geo-", suffix=".tmp"):
            pass
        if path.exists():
            with path.open("ab"):
                pass
    except OSError as exc:
        raise CliError(f"--out: cannot write {path}: {exc.strerror or exc}") from None


def _select_borough(wards, borough: str):
    """Return the wards of ``borough`` (code or name, any case); a CliError lists the choices."""
    key = borough.strip().casefold()
    keep = None
    for col in ("borough_code", "borough_name"):
        if col in wards.columns:
            match = wards[col].astype("string").str.strip().str.casefold() == key
            if match.fillna(False).any():
                keep = match.fillna(False).to_numpy(dtype=bool)
                break
    if keep is None:
        names = sorted(
            {
                f"{c} {n}" if isinstance(n, str) else str(c)
                for c, n in zip(
                    wards.get("borough_code", wards.index),
                    wards.get("borough_name", [None] * len(wards)),
                    strict=True,
                )
            }
        )
        raise CliError(
            f"--borough: no ward of {borough!r} in --wards; boroughs there: {', '.join(names[:10])}"
        )
    return wards[keep]


def _brief(args: argparse.Namespace) -> int:
    from snt_geo.errors import CRSError, SchemaError
    from snt_geo.io.boundaries import read_wards
    from snt_geo.io.demographics import read_demographics
    from snt_geo.io.estates import read_estates
    from snt_geo.io.police_uk import read_police_uk
    from snt_geo.io.stop_search import read_stop_and_search
    from snt_geo.maps.briefing import tasking_briefing
    from snt_geo.profile.priorities import read_priorities

    for name in (
        "wards",
        "crimes",
        "demographics",
        "estates",
        "priorities",
        "searches",
        "register",
    ):
        _check_exists(f"--{name}", getattr(args, name))
    _check_out(args.out)
    for flag in ("--pdf", "--docx"):
        extra = getattr(args, flag[2:])
        if extra is not None and not extra.parent.exists():
            raise CliError(f"{flag}: folder {extra.parent} does not exist; create it first")
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore", UserWarning)
        wards = _read("--wards", read_wards, args.wards)
        if len(wards) == 0:
            raise CliError(f"--wards: {args.wards} holds no ward polygons (no features)")
        if args.borough is not None:
            wards = _select_borough(wards, args.borough)
        incidents = _read("--crimes", read_police_uk, args.crimes)
        demographics = estates = priorities = searches = None
        if args.demographics:
            demographics = _read(
                "--demographics", read_demographics, args.demographics, wards=wards
            )
        if args.estates:
            estates = _read("--estates", read_estates, args.estates)
        if args.priorities:
            priorities = _read("--priorities", read_priorities, args.priorities, wards=wards)
        if args.searches:
            searches = _read("--searches", read_stop_and_search, args.searches)
        progress, close = _progress(args.quiet)
        try:
            briefing = tasking_briefing(
                wards,
                incidents,
                demographics=demographics,
                estates=estates,
                priorities=priorities,
                searches=searches,
                register=args.register,
                period=args.period,
                title=args.title,
                tiles=args.tiles,
                rng=args.seed,
                progress=progress,
            )
        except (SchemaError, CRSError) as exc:
            raise CliError(f"inputs: {_first_line(exc)}") from None
        except sqlite3.DatabaseError as exc:
            raise CliError(
                f"--register: {args.register} is not a problem-solving register "
                f"({_first_line(exc)}); make one with snt_geo.problem_solving.create_register"
            ) from None
        except ValueError as exc:
            if "period" in str(exc):
                raise CliError(f"--period: {_first_line(exc)}") from None
            raise CliError(f"inputs: {_first_line(exc)}") from None
        finally:
            close()
    try:
        path = briefing.save(args.out)
    except (OSError, ValueError) as exc:
        raise CliError(f"--out: {args.out} not written: {_first_line(exc)}") from None
    print(f"{path} ({_size(path)})")
    _extra_outputs(briefing, args)
    return 0


def _extra_outputs(briefing, args: argparse.Namespace) -> None:
    """Write the printed PDF and the Word document when asked for (after the HTML is safe)."""
    from snt_geo.errors import SntGeoError
    from snt_geo.maps.report_docx import save_docx
    from snt_geo.maps.report_pdf import save_pdf

    for flag, target, write in (("--pdf", args.pdf, save_pdf), ("--docx", args.docx, save_docx)):
        if target is None:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                path = write(briefing, target)
        except (OSError, ImportError, SntGeoError) as exc:
            raise CliError(f"{flag}: {target} not written: {_first_line(exc)}") from None
        print(f"{path} ({_size(path)})")


def _demo(args: argparse.Namespace) -> int:
    from snt_geo.datasets import load_sample
    from snt_geo.maps.briefing import tasking_briefing

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise CliError(f"--out: {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sample = load_sample()
    progress, close = _progress(args.quiet)
    with warnings.catch_warnings():
        # The sample's expected drops (incidents outside the City wards) are in the method note.
        warnings.simplefilter("ignore", UserWarning)
        try:
            briefing = tasking_briefing(
                sample.wards,
                sample.incidents,
                demographics=sample.demographics,
                estates=sample.estates,
                priorities=sample.priorities,
                period=DEMO_PERIOD,
                sample_caveat=True,
                rng=2024,
                progress=progress,
            )
        finally:
            close()
    written = [briefing.save(out / "briefing.html")]
    if args.ward_pages:
        from snt_geo.maps.ward_page import render_ward_page

        folder = out / "wards"
        folder.mkdir(exist_ok=True)
        for code in briefing.profile.wards.index:
            page = render_ward_page(
                briefing.profile,
                code,
                priorities=sample.priorities,
                suggestions=briefing.evidence[briefing.evidence["rank"] <= 3],
            )
            written.append(page.save(folder / f"{code}.html"))
    print(f"City of London sample, {DEMO_PERIOD[0]} to {DEMO_PERIOD[1]}:")
    for line in briefing.summary().splitlines():
        print(f"  {line}")
    print(f"{written[0]} ({_size(written[0])})")
    if len(written) > 1:
        total = sum(p.stat().st_size for p in written[1:])
        print(f"{out / 'wards'}/ ({len(written) - 1} ward pages, {_fmt_bytes(total)})")
    print(
        f"done in {time.perf_counter() - started:.1f} s; open the file in any browser (no "
        "network needed)."
    )
    return 0


def _fmt_bytes(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:.0f} kB"


def _size(path: Path) -> str:
    return _fmt_bytes(path.stat().st_size)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``snt-geo``; return the exit code (0 success, 1 internal error, 2 input or usage error).

    Every error is one line on stderr, never a traceback (``SNT_GEO_DEBUG=1`` shows the traceback
    of an internal error).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "brief":
            return _brief(args)
        return _demo(args)
    except CliError as exc:
        print(f"snt-geo {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback (unless debugging)
        if os.environ.get("SNT_GEO_DEBUG"):
            raise
        print(
            f"snt-geo {args.command}: internal error: {type(exc).__name__}: {_first_line(exc)} "
            "(please report it; set SNT_GEO_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
