"""The monthly chart of an intervention evaluation: treated (A), buffer (B), control (C).

Draws :class:`snt_geo.problem_solving.InterventionEvaluation` ``.monthly`` with the before and
after periods shaded and the response marked, for a review or a printed assessment. Built
without ``pyplot`` (no global state); matplotlib is imported only when a chart is drawn
(``pip install "snt-geo[report]"``). Write it with :func:`snt_geo.maps.figures.save_figure`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["plot_evaluation"]

_HINT = 'the evaluation chart needs matplotlib: pip install "snt-geo[report]"'
_MM_PER_INCH = 25.4
# Okabe & Ito (2008) colour-blind-safe colours.
_COLOURS = {"treated": "#D55E00", "buffer": "#E69F00", "control": "#0072B2"}
_LABELS = {"treated": "Treated area (A)", "buffer": "Buffer (B)", "control": "Control (C)"}


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - the report extra is installed in CI
        raise ImportError(_HINT) from err
    return Figure


def _months(text: str) -> tuple[pd.Period, pd.Period]:
    first, last = text.split("..")
    return pd.Period(first, "M"), pd.Period(last, "M")


def _default_title(evaluation) -> str:
    text = "The problem declined" if evaluation.declined else "No decline beyond normal variation"
    if evaluation.displaced:
        text += "; displacement into the buffer"
    elif evaluation.diffused:
        text += "; diffusion of benefits into the buffer"
    return text


def plot_evaluation(
    evaluation,
    *,
    title: str | None = None,
    width_mm: float = 170.0,
    height_mm: float = 90.0,
) -> Any:
    """Monthly counts in the treated area, buffer and control, with the response marked.

    Parameters
    ----------
    evaluation
        An :class:`~snt_geo.problem_solving.InterventionEvaluation`.
    title
        Figure title. Default: the verdict in a few words ("The problem declined; displacement
        into the buffer").
    width_mm, height_mm
        Figure size in millimetres (default 170 x 90, the width of an A4 page's content).

    Returns
    -------
    matplotlib.figure.Figure
        Treated and buffer counts on the left axis, the control on the right axis (its scale is
        usually far larger); before and after periods shaded; the months between them (the
        response starting) hatched and the first after month marked by a dashed line.
    """
    monthly = getattr(evaluation, "monthly", None)
    method = getattr(evaluation, "method", None)
    if not isinstance(monthly, pd.DataFrame) or method is None:
        raise TypeError(
            "`evaluation` must be the result of snt_geo.problem_solving.evaluate_intervention; "
            f"got {type(evaluation).__name__}."
        )
    for name, value in (("width_mm", width_mm), ("height_mm", height_mm)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"`{name}` must be a positive number of millimetres; got {value!r}.")
    figure_cls = _figure_class()
    fig = figure_cls(
        figsize=(width_mm / _MM_PER_INCH, height_mm / _MM_PER_INCH), layout="constrained"
    )
    ax = fig.add_subplot()
    x = pd.PeriodIndex(monthly.index).to_timestamp(how="start")
    for area in ("treated", "buffer"):
        ax.plot(x, monthly[area], marker="o", color=_COLOURS[area], label=_LABELS[area], lw=2)
    ax.set_ylabel("incidents per month (A, B)")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    right.plot(
        x,
        monthly["control"],
        color=_COLOURS["control"],
        label=_LABELS["control"],
        lw=1.5,
        ls="-.",
    )
    right.set_ylabel("incidents per month (C)")
    right.set_ylim(bottom=0)

    b0, b1 = _months(method.before)
    a0, a1 = _months(method.after)
    end = lambda p: (p + 1).to_timestamp(how="start")  # noqa: E731 - month's right edge
    ax.axvspan(b0.to_timestamp(), end(b1), color="#999999", alpha=0.12, lw=0, label="Before")
    ax.axvspan(a0.to_timestamp(), end(a1), color="#009E73", alpha=0.12, lw=0, label="After")
    if end(b1) < a0.to_timestamp():
        ax.axvspan(
            end(b1),
            a0.to_timestamp(),
            facecolor="none",
            hatch="//",
            edgecolor="#666666",
            lw=0,
            label="Response starts",
        )
    ax.axvline(a0.to_timestamp(), color="#333333", ls="--", lw=1)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    fig.legend(handles + h2, labels + l2, loc="outside lower center", fontsize="small", ncols=4)
    ax.set_title(title if title is not None else _default_title(evaluation), fontsize="medium")
    fig.autofmt_xdate()
    return fig
