"""Argument checks, written once, each raising the house message.

A message names the argument as spelled in the signature, the value received and, where it
helps, the fix: `` `cell_size_m` must be a positive number of metres; got -250. `` Every check
has the same shape, ``check_x(name, value, ..., *, hint="")``, and returns the value as a plain
Python number (or the choice) so callers can use what it returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from snt_geo.errors import SchemaError

__all__ = [
    "check_choice",
    "check_incident_columns",
    "check_fraction",
    "check_non_negative",
    "check_positive",
    "check_whole",
]


def _fail(name: str, what: str, value: object, hint: str) -> ValueError:
    tail = f" {hint}" if hint else ""
    return ValueError(f"`{name}` must be {what}; got {value!r}.{tail}")


def _as_real(value: object) -> float | None:
    """Return the value as a float, or None when it is not a real number (bools are not numbers)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _kind(unit: str, *, integer: bool, sign: str) -> str:
    noun = "whole number" if integer else "number"
    text = f"a {sign} {noun}"
    return f"{text} of {unit}" if unit else text


def check_positive(
    name: str, value: object, *, unit: str = "", integer: bool = False, hint: str = ""
) -> float:
    """``value`` as a float if it is a finite number > 0 (a whole one if ``integer``).

    ``unit`` names the unit in the message (``"metres"``, ``"months"``); ``hint`` is appended.
    """
    out = _as_real(value)
    if out is None or out <= 0 or (integer and not out.is_integer()):
        raise _fail(name, _kind(unit, integer=integer, sign="positive"), value, hint)
    return out


def check_non_negative(
    name: str, value: object, *, unit: str = "", integer: bool = False, hint: str = ""
) -> float:
    """``value`` as a float if it is a finite number >= 0 (a whole one if ``integer``)."""
    out = _as_real(value)
    if out is None or out < 0 or (integer and not out.is_integer()):
        raise _fail(name, _kind(unit, integer=integer, sign="non-negative"), value, hint)
    return out


def check_whole(name: str, value: object, *, minimum: int = 0, hint: str = "") -> int:
    """``value`` as an int if it is an integer (not a float, not a bool) >= ``minimum``."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < minimum
    ):
        raise _fail(name, f"a whole number >= {minimum}", value, hint)
    return int(value)


def check_fraction(
    name: str,
    value: object,
    *,
    low_open: bool = True,
    high_open: bool = True,
    what: str = "a fraction",
    hint: str = "",
) -> float:
    """``value`` as a float if it lies between 0 and 1 (each end open or closed as asked).

    The message states the interval, e.g. `` `min_share` must be a fraction in [0, 1); got 2. ``
    """
    out = _as_real(value)
    ok = out is not None and (0 < out if low_open else 0 <= out)
    ok = ok and (out < 1 if high_open else out <= 1)  # type: ignore[operator]
    if not ok:
        interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
        raise _fail(name, f"{what} in {interval}", value, hint)
    return out  # type: ignore[return-value]


def check_choice(name: str, value: object, choices: Iterable[object], *, hint: str = "") -> object:
    """``value`` if it is one of ``choices`` (the message lists them, quoted)."""
    options = list(choices)
    if isinstance(value, (bool, np.bool_)) or value not in options:
        shown = [repr(c) for c in options]
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        what = listed if len(shown) <= 2 else f"one of {listed}"
        raise _fail(name, what, value, hint)
    return value


def check_incident_columns(incidents: pd.DataFrame) -> None:
    """Raise a SchemaError when ``incidents`` lacks ``month`` or ``crime_type`` (listing which)."""
    missing = [c for c in ("month", "crime_type") if c not in incidents.columns]
    if missing:
        raise SchemaError(
            "`incidents` needs the columns month and crime_type; read it with "
            "snt_geo.io.read_police_uk or incidents_from_frame.",
            [f"missing column {c!r}" for c in missing],
        )
