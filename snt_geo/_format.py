"""Number formatting for display: one rule per kind of number, used by tooltips, tables and text.

Every value a person reads (a map tooltip, a briefing table cell, a method-note sentence) goes
through these functions, so one p-value reads the same everywhere and a missing value is always
:data:`NA_TEXT`. They return plain text; HTML escaping is the caller's job.

Rules
-----
- missing (None, ``pd.NA``, ``NaT``, NaN): ``"n/a"``
- counts: whole numbers with thousands separators (``1,234``)
- p-values and q-values: ``"< 0.001"`` below 0.001, else three decimals (``0.012``); with
  ``prefix=True`` a sentence form (``"p < 0.001"``, ``"p = 0.012"``)
- rates: one decimal by default (``12.3``)
- shares (0..1): a whole percentage (``12%``)
- changes already in percent: signed whole percentage (``+12%``, ``-3%``)
- any other number: up to four significant figures below 1,000, whole above (``0.0123``,
  ``12.35``, ``1,235``); never scientific notation except below 0.001 (``0.00012``)

Examples
--------
>>> format_pvalue(0.0004), format_pvalue(0.0123), format_pvalue(0.0123, prefix=True)
('< 0.001', '0.012', 'p = 0.012')
>>> format_count(1234.0), format_rate(12.345), format_percent(0.123), format_change(12.4)
('1,234', '12.3', '12%', '+12%')
>>> format_value([1, float("nan"), True])
'1, n/a, yes'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "NA_TEXT",
    "format_change",
    "format_count",
    "format_number",
    "format_percent",
    "format_pvalue",
    "format_rate",
    "format_value",
    "is_missing",
]

#: How a missing value reads, everywhere.
NA_TEXT = "n/a"

#: Below this a p-value is shown as "< 0.001".
P_FLOOR = 0.001


def is_missing(v: Any) -> bool:
    """Return True for None, ``pd.NA``, ``pd.NaT`` and float NaN (not for strings or containers)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float | np.floating):
        return math.isnan(v)
    return False


def format_count(v: Any) -> str:
    """Return a whole number with thousands separators (``1,234``); missing as ``n/a``."""
    if is_missing(v):
        return NA_TEXT
    return f"{round(float(v)):,}"


def format_number(v: Any) -> str:
    """Return a number at a readable precision (see the module rules); missing as ``n/a``."""
    if is_missing(v):
        return NA_TEXT
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    v = float(v)
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 1:
        text = f"{v:,.2f}"
    elif a >= 0.001:
        text = f"{v:.4f}"
    else:
        return f"{v:.2g}"
    return text.rstrip("0").rstrip(".")


def format_rate(v: Any, *, digits: int = 1) -> str:
    """Return a rate (e.g. per 1,000 residents) to ``digits`` decimals; missing as ``n/a``."""
    if is_missing(v):
        return NA_TEXT
    return f"{float(v):,.{digits}f}"


def format_pvalue(v: Any, *, prefix: bool = False) -> str:
    """Return a p-value (or q-value): ``"< 0.001"`` below 0.001, else three decimals.

    With ``prefix=True`` the sentence form: ``"p < 0.001"`` or ``"p = 0.012"``.
    """
    if is_missing(v):
        return f"p {NA_TEXT}" if prefix else NA_TEXT
    v = float(v)
    if v < P_FLOOR:
        return "p < 0.001" if prefix else "< 0.001"
    return f"p = {v:.3f}" if prefix else f"{v:.3f}"


def format_percent(share: Any, *, digits: int = 0) -> str:
    """Return a share (0 to 1) as a percentage (``0.123`` -> ``"12%"``); missing as ``n/a``."""
    if is_missing(share):
        return NA_TEXT
    return f"{float(share) * 100:.{digits}f}%"


def format_change(pct: Any, *, digits: int = 0) -> str:
    """Return a change already in percent, signed (``12.4`` -> ``"+12%"``); missing as ``n/a``."""
    if is_missing(pct):
        return NA_TEXT
    if math.isinf(float(pct)):
        return "new" if float(pct) > 0 else NA_TEXT
    return f"{float(pct):+.{digits}f}%"


def format_value(v: Any) -> str:
    """Any table or tooltip value: yes/no, counts, numbers, lists joined by commas, text as is."""
    if is_missing(v):
        return NA_TEXT
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, int | np.integer | float | np.floating):
        return format_number(v)
    if isinstance(v, Mapping):
        return ", ".join(f"{k} {format_value(x)}" for k, x in v.items())
    if isinstance(v, list | tuple | set | frozenset | np.ndarray):
        return ", ".join(format_value(x) for x in v)
    return str(v)
