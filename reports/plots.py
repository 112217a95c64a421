"""The report's figures: one function per figure, each returning a matplotlib ``Figure``.

Figures are built with the object API on ``matplotlib.figure.Figure`` (rendered by the Agg and
SVG backends, never a GUI and never pyplot's global state). Order is deterministic (tools and
cases sorted as in the scores); :func:`to_svg` writes SVG with fixed ids and no date, so the
same scores give byte-identical SVG.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

COLORS = {"buggy": "#c0392b", "patched": "#2471a3"}
RATE_COLORS = {"detection": "#1e8449", "false_alarm": "#c0392b", "localization": "#7d3c98"}
RATE_LABELS = {"detection": "detection (buggy)", "false_alarm": "false alarm (patched)",
               "localization": "localized (buggy)"}
_RC = {"font.size": 9, "svg.fonttype": "none", "axes.spines.top": False,
       "axes.spines.right": False}


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(_RC):
        return Figure(figsize=(width, height), layout="constrained")


def _log_seconds(ax: Any) -> None:
    """Log x axis with plain tick labels (0.5, 1, 2, 5, 10 …) instead of 2×10⁰."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def detection_rates(scores: Mapping[str, Any]) -> Figure | None:
    """Per tool: detection, false-alarm and localization rates with Wilson 95 % intervals."""
    tools = list(scores["tools"])
    if not tools:
        return None
    fig = _figure(7.0, 0.55 * len(tools) + 1.2)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        height = 0.25
        for k, key in enumerate(RATE_COLORS):
            ys, xs, lows, highs = [], [], [], []
            for i, tool in enumerate(tools):
                r = scores["tools"][tool][key]
                if r["rate"] is None:
                    continue
                ys.append(i + (k - 1) * height)
                xs.append(r["rate"])
                lows.append(r["rate"] - r["low"])
                highs.append(r["high"] - r["rate"])
            ax.barh(ys, xs, height=height * 0.9, color=RATE_COLORS[key], label=RATE_LABELS[key],
                    xerr=[lows, highs], error_kw={"ecolor": "#333", "capsize": 2, "lw": 0.8})
        ax.set_yticks(range(len(tools)), tools)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("rate over units (bars: Wilson 95 % interval)")
        fig.legend(loc="outside upper center", ncols=3, fontsize=8, frameon=False)
    return fig


def time_to_detection(scores: Mapping[str, Any]) -> Figure | None:
    """Per tool: seconds to the first stop request (or finding) of every detected buggy run;
    the paper's times for the same cases as hollow markers."""
    tools = list(scores["tools"])
    points = {t: sorted(u["wall_s"] for u in scores["units"] if u["tool"] == t
                        and u["variant"] == "buggy" and u["detected"] and u["wall_s"] is not None)
              for t in tools}
    if not any(points.values()):
        return None
    paper = {t: sorted(r["tools"][t]["paper"]["time_s"] for r in scores["cases"].values()
                       if t in r["tools"] and (r["tools"][t]["paper"] or {}).get("detected")
                       and "time_s" in r["tools"][t]["paper"]) for t in tools}
    fig = _figure(7.0, 0.5 * len(tools) + 1.2)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        for i, tool in enumerate(tools):
            xs = points[tool]
            jitter = [((j * 0.37) % 1 - 0.5) * 0.25 for j in range(len(xs))]
            ax.scatter(xs, [i - 0.12 + d * 0.5 for d in jitter], s=18, color="#1f618d",
                       label="ours (one dot per run)" if i == 0 else None, zorder=3)
            if xs:
                median = statistics.median(xs)
                ax.plot([median, median], [i - 0.3, i + 0.05], color="#1f618d", lw=2)
            ax.scatter(paper[tool], [i + 0.18] * len(paper[tool]), s=22, facecolors="none",
                       edgecolors="#b9770e", label="paper (its hardware)" if i == 0 else None)
        ax.set_yticks(range(len(tools)), tools)
        ax.invert_yaxis()
        _log_seconds(ax)
        ax.margins(x=0.08, y=0.15)
        ax.set_xlabel("seconds to detection (log scale); bar: our median")
        fig.legend(loc="outside upper center", ncols=2, fontsize=8, frameon=False)
    return fig


def overhead(scores: Mapping[str, Any]) -> Figure | None:
    """Per tool: train time over the no-tool control (comparable pairs filled, others hollow)."""
    tools = [t for t in scores["tools"]
             if any(u["tool"] == t and u["overhead"] is not None for u in scores["units"])]
    if not tools:
        return None
    fig = _figure(7.0, 0.5 * len(tools) + 1.2)
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
        for i, tool in enumerate(tools):
            units = sorted((u for u in scores["units"] if u["tool"] == tool
                            and u["overhead"] is not None),
                           key=lambda u: (u["case_id"], u["variant"], u["seed"]))
            same = [u["overhead"] for u in units if u["overhead_comparable"]]
            other = [u["overhead"] for u in units if not u["overhead_comparable"]]
            ax.scatter(same, [i] * len(same), s=20, color="#1f618d",
                       label="comparable pair" if i == 0 else None, zorder=3)
            ax.scatter(other, [i + 0.2] * len(other), s=20, facecolors="none",
                       edgecolors="#7f8c8d", label="stopped early / other" if i == 0 else None)
        ax.axvline(1.0, color="#555", lw=0.8, ls="--")
        ax.margins(x=0.08, y=0.15)
        ax.set_yticks(range(len(tools)), tools)
        ax.invert_yaxis()
        ax.set_xlabel("train time / no-tool train time (1 = no overhead)")
        fig.legend(loc="outside upper center", ncols=2, fontsize=8, frameon=False)
    return fig


def _series(fits: Sequence[Mapping[str, Any]], metric: str) -> tuple[list[int], list[float | None]]:
    """One metric over all fits of a run, epochs numbered from 1 across fits."""
    xs: list[int] = []
    ys: list[float | None] = []
    for fit in fits:
        values = (fit.get("history") or {}).get(metric) or []
        start = len(xs)
        xs.extend(range(start + 1, start + len(values) + 1))
        ys.extend(values)
    return xs, ys


def training_curves(runs: Sequence[Mapping[str, Any]]) -> Figure | None:
    """Loss and accuracy per epoch, buggy vs patched. ``runs``: ``{variant, label, fits}`` with
    ``fits`` a unit's ``history.json``. Non-finite values (stored as null) are marked ✕ on the
    top edge of the panel."""
    metrics = [m for m in ("loss", "accuracy") if any(_series(r["fits"], m)[0] for r in runs)]
    if not runs or not metrics:
        return None
    fig = _figure(7.0, 2.6)
    with matplotlib.rc_context(_RC):
        axes = fig.subplots(1, len(metrics), squeeze=False)[0]
        for ax, metric in zip(axes, metrics):
            finite_values = []
            labelled: set[str] = set()
            for run in runs:
                xs, ys = _series(run["fits"], metric)
                color = COLORS.get(run["variant"], "#555")
                label = run["variant"] if run["variant"] not in labelled else None
                labelled.add(run["variant"])
                fx = [x for x, y in zip(xs, ys) if y is not None and math.isfinite(y)]
                fy = [y for y in ys if y is not None and math.isfinite(y)]
                finite_values.extend(fy)
                ax.plot(fx, fy, color=color, lw=1.2, alpha=0.75, marker="o", ms=2.5, label=label)
                bad = [x for x, y in zip(xs, ys) if y is None or not math.isfinite(y)]
                top = blended_transform_factory(ax.transData, ax.transAxes)
                ax.scatter(bad, [1.0] * len(bad), transform=top, marker="x", color=color,
                           s=28, clip_on=False, zorder=4)
            positive = [v for v in finite_values if v > 0]
            if metric == "loss" and positive and max(positive) / min(positive) > 100:
                ax.set_yscale("log")
            ax.set_title(metric + "  (✕ = non-finite)" if metric == "loss" else metric,
                         fontsize=9)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.margins(y=0.12)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2,
                   fontsize=8, frameon=False)
    return fig


def to_svg(fig: Figure, salt: str) -> str:
    """The figure as an ``<svg>`` element for inline HTML (no XML prolog, stable ids)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({**_RC, "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def to_png(fig: Figure, path: Path) -> Path:
    with matplotlib.rc_context(_RC):
        fig.savefig(path, format="png", dpi=110, metadata={"Software": None})
    return path
