"""The register: priorities and problem-solving plans in one GeoPackage file.

One ``.gpkg`` file (SQLite) holds the ward priority register and every plan, with their
responses, review dates and an append-only history of changes (who, when, what). Analysts can
open it in QGIS: ``plans`` and ``responses`` are feature layers (their areas, EPSG:27700);
``priorities``, ``reviews`` and ``history`` are attribute tables.

Writes are SQLite transactions (``BEGIN IMMEDIATE`` ... ``COMMIT``, rollback journal), so a
writer that crashes or is killed leaves the file as it was before its change: nothing is
half-written, and the next opener rolls the unfinished change back. Concurrent writers are
serialised by SQLite's lock (waiting up to ``timeout_s``) and checked optimistically: each plan
carries the version it was read at, and saving a plan that someone else saved in the meantime
raises :class:`ConflictError` (nothing is merged).

Create a register with :func:`create_register`, open one with :func:`open_register`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd

from snt_geo.errors import SntGeoError
from snt_geo.problem_solving import _gpkg
from snt_geo.problem_solving.plans import STAGES, Plan, Response, Review

__all__ = [
    "SCHEMA_VERSION",
    "ConflictError",
    "Register",
    "RegisterVersionError",
    "create_register",
    "open_register",
]

#: Version of the register's tables written by this snt_geo (recorded in ``snt_register_meta``).
SCHEMA_VERSION = 1

_PLAN_TEXT = (
    "ward_code",
    "theme",
    "stage",
    "status",
    "problem_statement",
    "community",
    "harm",
    "expectation",
    "events",
    "recurring",
    "similarity",
    "analysis_notes",
    "objective",
    "assessment",
    "outcome",
)

_TABLES = f"""
CREATE TABLE snt_register_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE plans (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, plan_id TEXT NOT NULL UNIQUE,
    {", ".join(f"{c} TEXT" for c in _PLAN_TEXT)},
    {", ".join(f"{s}_on TEXT" for s in STAGES)},
    stage_dates TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL);
CREATE TABLE responses (
    fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB,
    plan_id TEXT NOT NULL REFERENCES plans(plan_id), response_id TEXT NOT NULL,
    description TEXT, type TEXT, lead TEXT, partner TEXT, start_on TEXT, end_on TEXT,
    implemented_as_planned INTEGER, UNIQUE (plan_id, response_id));
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT NOT NULL REFERENCES plans(plan_id),
    due_on TEXT NOT NULL, held_on TEXT, note TEXT, UNIQUE (plan_id, due_on));
CREATE TABLE priorities (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ward_code TEXT NOT NULL, theme TEXT NOT NULL,
    status TEXT NOT NULL, set_on TEXT, review_on TEXT, source TEXT, extra TEXT);
CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL,
    subject TEXT NOT NULL, plan_id TEXT, version INTEGER, action TEXT NOT NULL,
    what TEXT NOT NULL);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
    BEGIN SELECT RAISE(ABORT, 'the register history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
    BEGIN SELECT RAISE(ABORT, 'the register history is append-only'); END;
"""

_CONTENTS = (
    ("plans", "problem-solving plans (Form 302), one per priority; geometry: problem area", "geom"),
    ("responses", "responses (interventions) of the plans; geometry: where they run", "geom"),
    ("reviews", "review dates of the plans (held_on blank until held)", None),
    ("priorities", "the ward priority register", None),
    ("history", "append-only history of changes: who, when, what", None),
)


class ConflictError(SntGeoError):
    """A stale write: the plan changed in the register since it was read. Nothing was written."""


class RegisterVersionError(SntGeoError):
    """The register file was written by a newer snt_geo (a newer schema version)."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


def _iso(day: _dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day(text: str | None) -> _dt.date | None:
    return None if text is None else _dt.date.fromisoformat(text)


def _check_who(who: object) -> str:
    if not isinstance(who, str) or not who.strip():
        raise ValueError(
            f"`who` must name the person making the change (for the history); got {who!r}."
        )
    return who.strip()


def _connect(path: Path, timeout_s: float) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = FULL")
    return con


def create_register(path, *, timeout_s: float = 30.0) -> Register:
    """Create an empty register (a new GeoPackage file) at ``path`` and open it.

    Raises
    ------
    FileExistsError
        ``path`` exists (open it with :func:`open_register`).
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(
            f"`path` {str(path)!r} already exists; open it with open_register(path), or choose "
            "a new file name."
        )
    # Built under a temporary name and renamed into place: a crash leaves no half-made register.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.creating")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp, isolation_level=None)
    try:
        _gpkg.init_geopackage(con)
        con.executescript(_TABLES)
        for table, description, geometry in _CONTENTS:
            _gpkg.register_table(con, table, description=description, geometry=geometry)
        con.executemany(
            "INSERT INTO snt_register_meta VALUES (?, ?)",
            [("schema_version", str(SCHEMA_VERSION)), ("created_at", _now())],
        )
    finally:
        con.close()
    try:
        os.link(tmp, path)  # fails if someone created `path` meanwhile; never overwrites
    except FileExistsError:
        raise FileExistsError(
            f"`path` {str(path)!r} already exists; open it with open_register(path)."
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return open_register(path, timeout_s=timeout_s)


def open_register(path, *, timeout_s: float = 30.0) -> Register:
    """Open the register at ``path``.

    Parameters
    ----------
    path
        A register created by :func:`create_register`.
    timeout_s
        How long a write waits for another writer's transaction to finish (seconds).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist (create it with :func:`create_register`).
    RegisterVersionError
        The file was written by a newer snt_geo (its schema version is higher than
        :data:`SCHEMA_VERSION`).
    SntGeoError
        The file is not an snt_geo register.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"`path` {str(path)!r} does not exist; create a register with create_register(path)."
        )
    con = _connect(path, timeout_s)
    try:
        app = con.execute("PRAGMA application_id").fetchone()[0]
        row = con.execute(
            "SELECT value FROM snt_register_meta WHERE key = 'schema_version'"
        ).fetchone()
    except sqlite3.DatabaseError as err:
        con.close()
        raise SntGeoError(
            f"`path` {str(path)!r} is not an snt_geo register ({err}); create one with "
            "create_register(path)."
        ) from None
    if app != _gpkg.APPLICATION_ID or row is None:
        con.close()
        raise SntGeoError(
            f"`path` {str(path)!r} is not an snt_geo register (not a GeoPackage, or no schema "
            "version); create one with create_register(path)."
        )
    version = int(row[0])
    if version > SCHEMA_VERSION:
        con.close()
        raise RegisterVersionError(
            f"register {str(path)!r} has schema version {version}, newer than this snt_geo "
            f"reads (version {SCHEMA_VERSION}); it was written by a newer snt-geo. Upgrade "
            "(pip install -U snt-geo) to open it; the file was not changed."
        )
    return Register(path, con)


# --------------------------------------------------------------------------------------------------
# Rows <-> plans


def _plan_row(plan: Plan) -> dict[str, object]:
    row: dict[str, object] = {c: getattr(plan, c) for c in _PLAN_TEXT}
    for stage in STAGES:
        dates = [on for s, on in plan.stage_dates if s == stage]
        row[f"{stage}_on"] = _iso(dates[-1]) if dates else None
    row["stage_dates"] = json.dumps([[s, _iso(on)] for s, on in plan.stage_dates])
    row["geom"] = _gpkg.to_blob(plan.area)
    return row


def _plain(plan: Plan) -> dict[str, object]:
    """Plan fields as JSON-ready values, for the history's before/after."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(plan):
        if f.name == "version":
            continue
        value = getattr(plan, f.name)
        if f.name == "area":
            value = None if value is None else value.wkt
        elif f.name == "responses":
            value = [
                {
                    **{k: v for k, v in dataclasses.asdict(r).items() if k != "area"},
                    "start_on": _iso(r.start_on),
                    "end_on": _iso(r.end_on),
                    "area": None if r.area is None else r.area.wkt,
                }
                for r in value
            ]
        elif f.name == "reviews":
            value = [[_iso(r.due_on), _iso(r.held_on), r.note] for r in value]
        elif f.name == "stage_dates":
            value = [[s, _iso(on)] for s, on in value]
        out[f.name] = value
    return out


def _load_plan(con: sqlite3.Connection, plan_id: str) -> Plan | None:
    con.row_factory = sqlite3.Row
    try:
        row = con.execute("SELECT * FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
        if row is None:
            return None
        responses = tuple(
            Response(
                response_id=r["response_id"],
                description=r["description"],
                type=r["type"],
                lead=r["lead"],
                partner=r["partner"] or "",
                start_on=_day(r["start_on"]),
                end_on=_day(r["end_on"]),
                implemented_as_planned=None
                if r["implemented_as_planned"] is None
                else bool(r["implemented_as_planned"]),
                area=_gpkg.from_blob(r["geom"]),
            )
            for r in con.execute(
                "SELECT * FROM responses WHERE plan_id = ? ORDER BY fid", (plan_id,)
            )
        )
        reviews = tuple(
            Review(_dt.date.fromisoformat(r["due_on"]), _day(r["held_on"]), r["note"] or "")
            for r in con.execute(
                "SELECT * FROM reviews WHERE plan_id = ? ORDER BY due_on", (plan_id,)
            )
        )
    finally:
        con.row_factory = None
    fields = {c: row[c] for c in _PLAN_TEXT}
    return Plan(
        plan_id=row["plan_id"],
        **fields,
        responses=responses,
        reviews=reviews,
        stage_dates=tuple(
            (s, _dt.date.fromisoformat(d)) for s, d in json.loads(row["stage_dates"])
        ),
        area=_gpkg.from_blob(row["geom"]),
        version=int(row["version"]),
    )


def _write_plan(con: sqlite3.Connection, plan: Plan, *, version: int, who: str, at: str) -> None:
    row = _plan_row(plan)
    row.update(plan_id=plan.plan_id, version=version, updated_at=at, updated_by=who)
    names = list(row)
    con.execute(
        f"INSERT INTO plans ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
        f"ON CONFLICT(plan_id) DO UPDATE SET "
        + ", ".join(f"{n} = excluded.{n}" for n in names if n != "plan_id"),
        [row[n] for n in names],
    )
    con.execute("DELETE FROM responses WHERE plan_id = ?", (plan.plan_id,))
    con.executemany(
        "INSERT INTO responses (geom, plan_id, response_id, description, type, lead, partner, "
        "start_on, end_on, implemented_as_planned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                _gpkg.to_blob(r.area),
                plan.plan_id,
                r.response_id,
                r.description,
                r.type,
                r.lead,
                r.partner,
                _iso(r.start_on),
                _iso(r.end_on),
                None if r.implemented_as_planned is None else int(r.implemented_as_planned),
            )
            for r in plan.responses
        ],
    )
    con.execute("DELETE FROM reviews WHERE plan_id = ?", (plan.plan_id,))
    con.executemany(
        "INSERT INTO reviews (plan_id, due_on, held_on, note) VALUES (?, ?, ?, ?)",
        [(plan.plan_id, _iso(r.due_on), _iso(r.held_on), r.note) for r in plan.reviews],
    )


def _append_history(
    con: sqlite3.Connection,
    *,
    at: str,
    who: str,
    subject: str,
    plan_id: str | None,
    version: int | None,
    action: str,
    what: dict,
) -> None:
    con.execute(
        "INSERT INTO history (at, who, subject, plan_id, version, action, what) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, who, subject, plan_id, version, action, json.dumps(what, default=str)),
    )


# --------------------------------------------------------------------------------------------------
# The register


class Register:
    """An open register file (see the module docstring). Use as a context manager, or close().

    Not thread-safe: open one per thread or process (SQLite serialises their writes).
    """

    def __init__(self, path: Path, con: sqlite3.Connection) -> None:
        self.path = path
        self._con = con

    def __repr__(self) -> str:
        """Show the register's path."""
        return f"Register({str(self.path)!r})"

    def __enter__(self) -> Register:
        """Return the open register."""
        return self

    def __exit__(self, *exc) -> None:
        """Close the register."""
        self.close()

    def close(self) -> None:
        """Close the file (a transaction in progress is rolled back)."""
        self._con.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: takes the write lock first, commits or rolls back entirely."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    # ---------------------------------------------------------------- plans

    def plan(self, plan_id: str) -> Plan:
        """Return the stored plan ``plan_id`` (its ``version`` is the one to save against).

        Raises
        ------
        KeyError
            No such plan.
        """
        plan = _load_plan(self._con, plan_id)
        if plan is None:
            known = [r[0] for r in self._con.execute("SELECT plan_id FROM plans LIMIT 10")]
            raise KeyError(f"no plan {plan_id!r} in register {str(self.path)!r}; e.g. {known}.")
        return plan

    def load_plans(self) -> list[Plan]:
        """Every stored plan, in plan_id order."""
        ids = [r[0] for r in self._con.execute("SELECT plan_id FROM plans ORDER BY plan_id")]
        return [self.plan(i) for i in ids]

    def add_plan(self, plan: Plan, *, who: str) -> Plan:
        """Store a new plan; returns it at version 1.

        Raises
        ------
        ConflictError
            A plan with that id already exists.
        """
        who = _check_who(who)
        at = _now()
        with self._transaction() as con:
            row = con.execute(
                "SELECT version FROM plans WHERE plan_id = ?", (plan.plan_id,)
            ).fetchone()
            if row is not None:
                raise ConflictError(
                    f"plan {plan.plan_id!r} already exists in the register (version {row[0]}); "
                    "read it with register.plan(plan_id) and save changes with save_plan."
                )
            _write_plan(con, plan, version=1, who=who, at=at)
            _append_history(
                con,
                at=at,
                who=who,
                subject="plan",
                plan_id=plan.plan_id,
                version=1,
                action="create",
                what=_plain(plan),
            )
        return dataclasses.replace(plan, version=1)

    def save_plan(self, plan: Plan, *, who: str) -> Plan:
        """Store a changed plan read from this register; returns it at its new version.

        The write succeeds only if the register still holds the version ``plan`` was read at;
        the history records each changed field (before and after).

        Raises
        ------
        ConflictError
            The plan was saved by someone else since it was read (the message names the plan,
            both versions and who saved the newer one), or it was never stored. Nothing is
            written: read the plan again, reapply the change and save.
        """
        who = _check_who(who)
        at = _now()
        with self._transaction() as con:
            stored = _load_plan(con, plan.plan_id)
            if stored is None:
                raise ConflictError(
                    f"plan {plan.plan_id!r} is not in the register; store it with add_plan."
                )
            if stored.version != plan.version:
                by = con.execute(
                    "SELECT updated_by, updated_at FROM plans WHERE plan_id = ?", (plan.plan_id,)
                ).fetchone()
                raise ConflictError(
                    f"plan {plan.plan_id!r} changed since you read it: you have version "
                    f"{plan.version}, the register holds version {stored.version} (saved by "
                    f"{by[0]!r} at {by[1]}). Nothing was written; read it again with "
                    f"register.plan({plan.plan_id!r}), reapply your change and save."
                )
            before, after = _plain(stored), _plain(plan)
            changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
            if not changed:
                return plan
            version = stored.version + 1
            _write_plan(con, plan, version=version, who=who, at=at)
            _append_history(
                con,
                at=at,
                who=who,
                subject="plan",
                plan_id=plan.plan_id,
                version=version,
                action="update",
                what=changed,
            )
        return dataclasses.replace(plan, version=version)

    # ---------------------------------------------------------------- tables

    def plans(self) -> gpd.GeoDataFrame:
        """One row per plan, indexed by ``plan_id``.

        Columns: ``ward_code``, ``theme``, ``stage``, ``status``, the problem statement, CHEERS,
        analysis, objective, assessment and outcome texts, ``<stage>_on`` for each of
        :data:`~snt_geo.problem_solving.STAGES` (date last entered; ``datetime64``),
        ``version``, ``updated_at``, ``updated_by``, ``geometry`` (problem area, EPSG:27700).
        """
        frame = pd.read_sql_query("SELECT * FROM plans ORDER BY plan_id", self._con)
        return self._features(
            frame.drop(columns=["stage_dates"]), "plan_id", [f"{s}_on" for s in STAGES]
        )

    def responses(self) -> gpd.GeoDataFrame:
        """Return one row per response.

        Columns ``plan_id``, ``response_id``, ``description``, ``type``, ``lead``, ``partner``,
        ``start_on``, ``end_on`` (``datetime64``),
        ``implemented_as_planned`` (boolean, NA unknown), ``geometry`` (EPSG:27700); a RangeIndex.
        """
        frame = pd.read_sql_query("SELECT * FROM responses ORDER BY plan_id, fid", self._con)
        frame["implemented_as_planned"] = frame["implemented_as_planned"].astype("boolean")
        return self._features(frame, None, ["start_on", "end_on"])

    def reviews(self) -> pd.DataFrame:
        """Return one row per review date.

        Columns ``plan_id``, ``due_on``, ``held_on`` (``datetime64``), ``note``; a RangeIndex.
        """
        frame = pd.read_sql_query(
            "SELECT plan_id, due_on, held_on, note FROM reviews ORDER BY plan_id, due_on",
            self._con,
        )
        for c in ("due_on", "held_on"):
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
        return frame

    def history(self, plan_id: str | None = None) -> pd.DataFrame:
        """Return the history, oldest first.

        Columns ``at`` (UTC), ``who``, ``subject`` (``plan`` or ``priorities``), ``plan_id``,
        ``version``, ``action``, ``what`` (dict: changed fields
        as ``[before, after]``, or the created plan, or the import summary).
        """
        query = "SELECT at, who, subject, plan_id, version, action, what FROM history"
        params: tuple = ()
        if plan_id is not None:
            query += " WHERE plan_id = ?"
            params = (plan_id,)
        frame = pd.read_sql_query(query + " ORDER BY id", self._con, params=params)
        frame["at"] = pd.to_datetime(frame["at"], utc=True)
        frame["what"] = [json.loads(w) for w in frame["what"]]
        return frame

    def _features(self, frame: pd.DataFrame, index: str | None, dates: list[str]):
        for c in dates:
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
        geometry = [_gpkg.from_blob(b) for b in frame.pop("geom")]
        frame = frame.drop(columns=["fid"])
        out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:27700")
        return out.set_index(index) if index else out

    # ---------------------------------------------------------------- priorities

    def priorities(self) -> pd.DataFrame:
        """Return the priority register in the schema of :func:`snt_geo.profile.read_priorities`."""
        from snt_geo.profile.priorities import PRIORITY_COLUMNS, validate_priorities

        raw = pd.read_sql_query(
            f"SELECT {', '.join(PRIORITY_COLUMNS)}, extra FROM priorities ORDER BY id", self._con
        )
        extra = pd.DataFrame([json.loads(e) if e else {} for e in raw.pop("extra")])
        frame = pd.concat([raw, extra], axis=1) if len(extra.columns) else raw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # checked on import already
            return validate_priorities(frame.astype("string"))

    def import_priorities(self, source, *, who: str, wards=None) -> pd.DataFrame:
        """Replace the stored priority register with ``source``, in one transaction.

        Parameters
        ----------
        source
            A register CSV (read by :func:`snt_geo.profile.read_priorities`), an ``.xlsx``
            workbook (first sheet, same columns), or a DataFrame.
        who
            Who imports it (for the history).
        wards
            Passed to the validation (ward codes checked against it).

        Returns
        -------
        pandas.DataFrame
            The validated register as stored. The history records the source, the row count,
            the (ward, theme, status) rows added and removed, and every replaced row in full
            (``replaced_rows``), so an import never loses a row.
        """
        from snt_geo.profile.priorities import (
            PRIORITY_COLUMNS,
            read_priorities,
            validate_priorities,
        )

        who = _check_who(who)
        if isinstance(source, pd.DataFrame):
            frame, origin = validate_priorities(source, wards=wards), "a DataFrame"
        else:
            path = Path(source)
            origin = str(path)
            if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                if not path.exists():
                    raise FileNotFoundError(f"`source` {origin!r} does not exist.")
                raw = pd.read_excel(path, dtype="string", keep_default_na=False)
                frame = validate_priorities(raw, wards=wards)
            else:
                frame = read_priorities(path, wards=wards)
        rows = []
        extra_cols = [c for c in frame.columns if c not in PRIORITY_COLUMNS]
        for rec in frame.to_dict("records"):
            extra = {c: None if pd.isna(rec[c]) else str(rec[c]) for c in extra_cols}
            rows.append(
                (
                    rec["ward_code"],
                    rec["theme"],
                    rec["status"],
                    None if pd.isna(rec["set_on"]) else rec["set_on"].date().isoformat(),
                    None if pd.isna(rec["review_on"]) else rec["review_on"].date().isoformat(),
                    None if pd.isna(rec["source"]) else rec["source"],
                    json.dumps(extra) if extra else None,
                )
            )
        at = _now()
        with self._transaction() as con:
            # The replaced rows go into the history whole: an import never loses a row.
            previous = con.execute(
                "SELECT ward_code, theme, status, set_on, review_on, source, extra "
                "FROM priorities ORDER BY id"
            ).fetchall()
            old = {r[:3] for r in previous}
            new = {r[:3] for r in rows}
            con.execute("DELETE FROM priorities")
            con.executemany(
                "INSERT INTO priorities (ward_code, theme, status, set_on, review_on, source, "
                "extra) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            _append_history(
                con,
                at=at,
                who=who,
                subject="priorities",
                plan_id=None,
                version=None,
                action="import",
                what={
                    "source": origin,
                    "rows": len(rows),
                    "added": sorted(new - old),
                    "removed": sorted(old - new),
                    "replaced_rows": [list(r) for r in previous],
                },
            )
        return self.priorities()

    def export_priorities(self, path) -> Path:
        """Write the priority register to ``path`` and return the path.

        ``.csv`` (UTF-8, ISO dates, readable by :func:`snt_geo.profile.read_priorities`) or
        ``.xlsx``.
        """
        path = Path(path)
        frame = self.priorities()
        for c in ("set_on", "review_on"):
            frame[c] = frame[c].dt.strftime("%Y-%m-%d")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".xlsx":
            frame.astype(object).where(frame.notna(), "").to_excel(path, index=False)
        else:
            raise ValueError(f"`path` must end in .csv or .xlsx; got {str(path)!r}.")
        return path
