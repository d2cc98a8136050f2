"""The account a reader keeps of what it read, kept and dropped."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from snt_geo._format import format_count
from snt_geo._method import MethodRecord
from snt_geo._warn import warn_at_caller

__all__ = ["ReadReport", "read_report"]

_ATTR = "read_report"


@dataclass(frozen=True, repr=False)
class ReadReport(MethodRecord):
    """What a reader read, kept and dropped, per file and in total.

    For every file ``rows_read == rows_kept + sum(dropped.values())``.

    Attributes
    ----------
    reader
        Name of the reader function.
    files
        File name -> ``{"rows_read": n, "rows_kept": n, "<reason>": n, ...}``; drop reasons are the
        keys listed in ``reasons``.
    reasons
        Drop reasons in the order they are tested; a row is counted under the first that applies.
    notes
        Counts of things kept but worth knowing (``duplicate_crime_ids``, ``repaired_geometries``,
        ``unknown_crime_types``) per file, same layout as ``files``.
    encodings
        File name -> text encoding used, where one was detected.
    codes
        Named lists of codes worth knowing, e.g. ``codes_without_ward`` and
        ``wards_without_demographics`` (codes kept that match no ward, and wards with no row),
        each a tuple of str.
    """

    reader: str
    files: Mapping[str, Mapping[str, int]]
    reasons: tuple[str, ...]
    notes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    encodings: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return sum(f["rows_read"] for f in self.files.values())

    @property
    def rows_kept(self) -> int:
        return sum(f["rows_kept"] for f in self.files.values())

    @property
    def dropped(self) -> dict[str, int]:
        """Rows dropped per reason, over all files (every reason listed, zeros included)."""
        return {r: sum(f.get(r, 0) for f in self.files.values()) for r in self.reasons}

    def note(self, name: str) -> int:
        """Total of one note (e.g. ``"duplicate_crime_ids"``) over all files."""
        return sum(n.get(name, 0) for n in self.notes.values())

    def to_frame(self) -> pd.DataFrame:
        """Return one row per file plus a ``TOTAL`` row.

        Columns ``rows_read``, ``rows_kept``, one per reason, then one per note.
        """
        note_names = sorted({k for n in self.notes.values() for k in n})
        cols = ["rows_read", "rows_kept", *self.reasons, *note_names]
        rows = {
            name: {**{c: 0 for c in cols}, **counts, **self.notes.get(name, {})}
            for name, counts in self.files.items()
        }
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=cols).astype("int64")
        frame.index.name = "file"
        frame.loc["TOTAL"] = frame.sum()
        return frame

    def summary(self) -> str:
        """One sentence with the totals."""
        dropped = {r: n for r, n in self.dropped.items() if n}
        text = (
            f"{self.reader}: read {format_count(self.rows_read)} rows from {len(self.files)} "
            f"file(s), kept {format_count(self.rows_kept)}"
        )
        if dropped:
            parts = ", ".join(
                f"{r.replace('_', ' ')} {format_count(n)}" for r, n in dropped.items()
            )
            text += f"; dropped {format_count(sum(dropped.values()))} ({parts})"
        notes = {k: self.note(k) for k in sorted({k for n in self.notes.values() for k in n})}
        notes = {k: v for k, v in notes.items() if v}
        if notes:
            text += "; kept but noted: " + ", ".join(
                f"{k.replace('_', ' ')} {format_count(v)}" for k, v in notes.items()
            )
        return text + "."

    def describe(self) -> str:
        """One sentence with the totals (as :meth:`summary`), for a method note."""
        return self.summary()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<p>{_escape(self.summary())}</p>" + self.to_frame().to_html()

    def warn(self, stacklevel: int | None = 3) -> None:
        """Issue one ``UserWarning`` with the summary if anything was dropped or noted.

        ``stacklevel`` as for :func:`warnings.warn`; None points the warning at the first caller
        outside snt_geo (for readers reached at several call depths).
        """
        if any(self.dropped.values()) or any(v for n in self.notes.values() for v in n.values()):
            if stacklevel is None:
                warn_at_caller(self.summary())
            else:
                warnings.warn(self.summary(), UserWarning, stacklevel=stacklevel)


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def read_report(frame: pd.DataFrame) -> ReadReport:
    """Return the :class:`ReadReport` a snt_geo reader attached to ``frame`` (``frame.attrs``).

    Raises
    ------
    KeyError
        If ``frame`` did not come from a snt_geo reader (or the report was lost in a pandas
        operation that drops ``attrs``).
    """
    try:
        return frame.attrs[_ATTR]
    except KeyError:
        raise KeyError(
            "`frame` carries no read report: it did not come from a snt_geo reader, or a pandas "
            "operation dropped its attrs. Keep the reader's output to inspect the report."
        ) from None


def attach(frame: pd.DataFrame, report: ReadReport) -> None:
    frame.attrs[_ATTR] = report
