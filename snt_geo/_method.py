"""The one provenance shape: a frozen method record at ``frame.attrs["method"]``.

Every analysis result says what ran with one frozen dataclass deriving from
:class:`MethodRecord`: ``to_dict()`` (plain values for a log or JSON), ``describe()`` (one
paragraph for a BIU method note), a readable ``repr`` and ``_repr_html_`` for notebooks. A frame
result carries it at ``frame.attrs["method"]``; a result with several tables is a frozen
dataclass holding the tables and the record.

pandas keeps ``attrs`` through ``pd.concat`` only when every input's attrs are equal, so two
slices of one result keep their record, while results of different runs lose it. Read the record
with :func:`method_of`, which explains that case, and combine results with
:func:`concat_results`, which records every input's method in a :class:`CombinedMethod`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from snt_geo.errors import SntGeoError

__all__ = ["CombinedMethod", "MethodRecord", "concat_results", "method_of"]

#: The key in ``frame.attrs`` holding a result's method record.
METHOD_KEY = "method"


@dataclass(frozen=True, repr=False)
class MethodRecord:
    """Base of every method record: subclass it as ``@dataclass(frozen=True, repr=False)``.

    Subclasses add their fields and override :meth:`describe`; ``repr=False`` keeps the readable
    one-field-per-line ``repr`` defined here.
    """

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain values (nested records and dataclasses as dicts)."""
        return asdict(self)

    def describe(self) -> str:
        """One paragraph for a method note."""
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return f"{type(self).__name__}: {shown}."

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}("]
        for f in fields(self):
            value = repr(getattr(self, f.name))
            if len(value) > 200:
                value = value[:197] + "..."
            lines.append(f"    {f.name}={value},")
        lines.append(")")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(f.name)}</th>"
            f"<td style='text-align:left'>{html.escape(repr(getattr(self, f.name)))}</td></tr>"
            for f in fields(self)
        )
        return (
            f"<div><strong>{html.escape(type(self).__name__)}</strong>"
            f"<p>{html.escape(self.describe())}</p><table>{rows}</table></div>"
        )


@dataclass(frozen=True, repr=False)
class CombinedMethod(MethodRecord):
    """The method records of results combined by :func:`concat_results`, in input order.

    Attributes
    ----------
    parts
        Each distinct input record once, in order of first appearance.
    """

    parts: tuple[Any, ...]

    def describe(self) -> str:
        """Return the parts' descriptions, numbered (one when every input ran the same method)."""
        if len(self.parts) == 1:
            return self.parts[0].describe()
        return " ".join(f"({i}) {p.describe()}" for i, p in enumerate(self.parts, start=1))


def method_of(result: pd.DataFrame | pd.Series, *, argument: str = "result") -> Any:
    """Return the method record of a frame result (``result.attrs["method"]``).

    Raises
    ------
    SntGeoError
        When ``result`` carries none; the message says why that happens (``pd.concat`` of results
        from different runs) and what to do instead.
    """
    attrs = getattr(result, "attrs", None)
    record = attrs.get(METHOD_KEY) if isinstance(attrs, dict) else None
    if record is None:
        raise SntGeoError(
            f"`{argument}` carries no method record (attrs['method']). pandas drops attrs on "
            "pd.concat / merge when the inputs' method records differ (results of different "
            "runs). Combine results with snt_geo.concat_results([...]), which keeps every "
            "input's record, or read each result's attrs['method'] before combining."
        )
    return record


def concat_results(results: Sequence[pd.DataFrame] | Iterable[pd.DataFrame], **kwargs: Any):
    """``pd.concat`` of results, keeping their method records in a :class:`CombinedMethod`.

    Parameters
    ----------
    results
        Frames that each carry ``attrs["method"]`` (e.g. one per borough or per period).
    **kwargs
        Passed to :func:`pandas.concat` (``keys=``, ``names=``, ...).

    Returns
    -------
    DataFrame or GeoDataFrame
        The concatenated frame; ``attrs["method"]`` is a :class:`CombinedMethod` over the inputs'
        distinct records (the single record itself when all inputs share one).
    """
    frames = list(results)
    records: list[Any] = []
    for i, frame in enumerate(frames):
        record = method_of(frame, argument=f"results[{i}]")
        if record not in records:
            records.append(record)
    out = pd.concat(frames, **kwargs)
    out.attrs = {METHOD_KEY: records[0] if len(records) == 1 else CombinedMethod(tuple(records))}
    return out
