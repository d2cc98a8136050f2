"""The register file: a real GeoPackage, real SQLite transactions, real crashes."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from snt_geo.datasets import __file__ as _datasets_init
from snt_geo.problem_solving import (
    ConflictError,
    RegisterVersionError,
    create_register,
    open_register,
)
from snt_geo.profile import read_priorities

CITY_PRIORITIES = os.path.join(os.path.dirname(_datasets_init), "city_priorities.csv")


@pytest.fixture
def register(tmp_path, full_plan):
    path = tmp_path / "register.gpkg"
    with create_register(path) as reg:
        reg.add_plan(full_plan, who="alice")
    return path


def test_round_trip_and_history(register, full_plan):
    with open_register(register) as reg:
        stored = reg.plan("BAR-01")
        assert stored.version == 1
        assert dataclasses.replace(stored, version=0) == full_plan
        changed = dataclasses.replace(stored, assessment="Burglary fell 40%")
        saved = reg.save_plan(changed, who="bob")
        assert saved.version == 2
        history = reg.history("BAR-01")
    assert list(history["action"]) == ["create", "update"]
    assert list(history["who"]) == ["alice", "bob"]
    assert history["what"].iloc[1] == {"assessment": ["Burglary fell 35%", "Burglary fell 40%"]}
    assert history["at"].is_monotonic_increasing


def test_two_writers_on_the_same_plan_second_gets_a_conflict(register):
    first = open_register(register)
    second = open_register(register)
    try:
        a = first.plan("BAR-01")
        b = second.plan("BAR-01")
        first.save_plan(dataclasses.replace(a, assessment="from first"), who="alice")
        with pytest.raises(
            ConflictError,
            match=r"plan 'BAR-01' changed since you read it: you have version 1, the register "
            r"holds version 2 \(saved by 'alice'",
        ):
            second.save_plan(dataclasses.replace(b, assessment="from second"), who="bob")
        assert second.plan("BAR-01").assessment == "from first"
        assert len(second.history("BAR-01")) == 2
    finally:
        first.close()
        second.close()


_CRASHER = textwrap.dedent(
    """
    import dataclasses, sys, time
    from snt_geo.problem_solving import open_register, store

    reg = open_register(sys.argv[1])
    plan = reg.plan("BAR-01")
    real = store._append_history

    def hold(con, **kw):  # the last write of the transaction: stop here, lock held
        real(con, **kw)
        print("holding", flush=True)
        time.sleep(120)

    store._append_history = hold
    reg.save_plan(
        dataclasses.replace(plan, assessment="half-written", responses=(), reviews=()),
        who="crasher",
    )
    """
)


def test_a_writer_killed_mid_transaction_loses_nothing(register, tmp_path):
    script = tmp_path / "crasher.py"
    script.write_text(_CRASHER)
    child = subprocess.Popen(
        [sys.executable, str(script), str(register)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "holding"
        # The open transaction has written everything but not committed: readers see none of it.
        with open_register(register) as reader:
            assert reader.plan("BAR-01").assessment == "Burglary fell 35%"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    with open_register(register) as reg:
        plan = reg.plan("BAR-01")
        assert plan.version == 1
        assert plan.assessment == "Burglary fell 35%"
        assert len(plan.responses) == 1 and len(plan.reviews) == 1
        assert len(reg.history()) == 1
        # The register still takes writes after the crash.
        saved = reg.save_plan(dataclasses.replace(plan, assessment="after"), who="alice")
        assert saved.version == 2
    con = sqlite3.connect(register)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


_WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from conftest import make_plan
    from snt_geo.problem_solving import open_register

    with open_register(sys.argv[1]) as reg:
        for i in range(6):
            reg.add_plan(make_plan(f"{sys.argv[2]}-{i:02d}"), who=sys.argv[2])
    """
)


def test_concurrent_writers_in_two_processes_lose_nothing(register, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    here = os.path.dirname(__file__)
    procs = [
        subprocess.Popen([sys.executable, str(script), str(register), who, here])
        for who in ("w1", "w2")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with open_register(register) as reg:
        plans = reg.plans()
        history = reg.history()
    assert len(plans) == 13
    assert (history["who"].value_counts()[["w1", "w2"]] == 6).all()


def test_a_newer_schema_version_is_refused(register):
    con = sqlite3.connect(register)
    con.execute("UPDATE snt_register_meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(
        RegisterVersionError,
        match=r"schema version 2, newer than this snt_geo reads \(version 1\).*pip install -U",
    ):
        open_register(register)


def test_not_a_register_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="create_register"):
        open_register(tmp_path / "nope.gpkg")
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(Exception, match="is not an snt_geo register"):
        open_register(other)
    with create_register(tmp_path / "a.gpkg"):
        pass
    with pytest.raises(FileExistsError, match="already exists"):
        create_register(tmp_path / "a.gpkg")


def test_history_is_append_only(register):
    con = sqlite3.connect(register)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM history")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE history SET who = 'mallory'")
    con.close()


def test_opens_as_a_geopackage(register, full_plan):
    layers = dict(pyogrio.list_layers(register))
    assert {"plans", "responses", "reviews", "priorities", "history"} <= set(layers)
    plans = gpd.read_file(register, layer="plans")
    assert plans.crs.to_epsg() == 27700
    assert list(plans["plan_id"]) == ["BAR-01"]
    responses = gpd.read_file(register, layer="responses")
    assert responses.geometry.iloc[0].equals(full_plan.responses[0].area)
    assert shapely.area(responses.geometry.iloc[0]) == 1_000_000
    reviews = pyogrio.read_dataframe(register, layer="reviews")
    assert list(reviews["due_on"].astype(str)) == ["2024-03-15"]


def test_priorities_import_export_round_trip(tmp_path, register):
    # The bundled register leaves one ward with no active priority: the check warns each read.
    with pytest.warns(UserWarning, match="fewer than 3 active priorities"):
        original = read_priorities(CITY_PRIORITIES)
    with open_register(register) as reg:
        with pytest.warns(UserWarning, match="fewer than 3 active priorities"):
            stored = reg.import_priorities(CITY_PRIORITIES, who="alice")
        csv = reg.export_priorities(tmp_path / "out.csv")
        xlsx = reg.export_priorities(tmp_path / "out.xlsx")
        history = reg.history()
    cols = ["ward_code", "theme", "status", "set_on", "review_on", "source"]
    pd.testing.assert_frame_equal(stored[cols], original[cols])
    with pytest.warns(UserWarning, match="fewer than 3 active priorities"):
        pd.testing.assert_frame_equal(read_priorities(csv)[cols], original[cols])
    with create_register(tmp_path / "b.gpkg") as other:
        with pytest.warns(UserWarning, match="fewer than 3 active priorities"):
            again = other.import_priorities(xlsx, who="bob")
    pd.testing.assert_frame_equal(again[cols], original[cols])
    entry = history[history["subject"] == "priorities"].iloc[-1]
    assert entry["what"]["rows"] == len(original)
    assert len(entry["what"]["added"]) == len(original[cols[:3]].drop_duplicates())
    assert entry["what"]["replaced_rows"] == []
    # A second import keeps the replaced rows, whole, in the history.
    with open_register(register) as reg:
        reg.import_priorities(original.iloc[:3][cols], who="bob")
        last = reg.history()["what"].iloc[-1]
    assert len(last["replaced_rows"]) == len(original)
    assert last["replaced_rows"][0][:4] == ["E05000001", "asb", "active", "2023-07-01"]
    assert len(last["removed"]) == len(original[cols[:3]].drop_duplicates()) - 3


def test_who_is_required(register, full_plan):
    with open_register(register) as reg:
        with pytest.raises(ValueError, match="`who` must name the person"):
            reg.save_plan(reg.plan("BAR-01"), who="")
