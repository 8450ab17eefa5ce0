"""Charts drawn on the server with matplotlib: SVG for the pages, PNG for the PDF report.

Readable without colour: the plan is a dashed line with square markers, the actual a solid line
with round markers, both labelled directly at their last point, and every point carries its value.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from core.text import vn_number

if TYPE_CHECKING:
    from roadmap.progress import ProvinceReport

FONT = "Noto Sans"  # Debian's fonts-noto-core: full Vietnamese diacritics


def _figure(report: ProvinceReport):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and workers
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.8), dpi=100)
    ax = fig.add_subplot()
    years = report.years
    planned = report.planned_cumulative
    actual = report.actual_cumulative
    ax.plot(years, planned, linestyle="--", marker="s", color="#555555", linewidth=1.6, label="Kế hoạch lũy kế")
    shown = [(y, a) for y, a in zip(years, actual, strict=True) if y <= report.as_of.year]
    ax.plot([y for y, _ in shown], [a for _, a in shown], linestyle="-", marker="o", color="#000000",
            linewidth=2.2, label="Thực hiện lũy kế")
    for y, p in zip(years, planned, strict=True):
        ax.annotate(vn_number(p), (y, p), textcoords="offset points", xytext=(0, 7), ha="center",
                    fontsize=7, color="#333333", family=FONT)
    for y, a in shown:
        ax.annotate(vn_number(a), (y, a), textcoords="offset points", xytext=(0, -13), ha="center",
                    fontsize=7, fontweight="bold", family=FONT)
    if planned:
        ax.annotate("Kế hoạch", (years[-1], planned[-1]), textcoords="offset points", xytext=(8, 0),
                    va="center", fontsize=8, family=FONT)
    if shown:
        ax.annotate("Thực hiện", (shown[-1][0], shown[-1][1]), textcoords="offset points", xytext=(8, -4),
                    va="center", fontsize=8, fontweight="bold", family=FONT)
    if report.total.inventory:
        ax.axhline(report.total.inventory, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_xticks(years, [str(y) for y in years], fontsize=8, family=FONT)
    ax.tick_params(axis="y", labelsize=8)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: vn_number(v)))
    ax.set_ylabel("Số kết quả (lũy kế)", fontsize=8, family=FONT)
    ax.set_xlim(years[0] - 0.4, years[-1] + 0.9)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(loc="upper left", fontsize=8, frameon=False, prop={"family": FONT, "size": 8})
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _attributes(match: re.Match[str]) -> str:
    """style="fill: #fff; stroke-width: 0.8" → fill="#fff" stroke-width="0.8".

    The web app's Content-Security-Policy forbids inline styles; SVG presentation attributes are not
    styles, so the chart keeps its dashes and markers under that policy.
    """
    decls = [d.split(":", 1) for d in match.group(1).split(";") if ":" in d]
    return " ".join(f'{k.strip()}="{v.strip()}"' for k, v in decls)


def cumulative_chart_svg(report: ProvinceReport) -> str:
    """Cumulative planned vs actual by year, as an inline SVG element (text kept as text)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": FONT}):
        _figure(report).savefig(buf, format="svg")
    title = f"Tiến độ số hóa lũy kế của {report.province.name}: kế hoạch và thực hiện theo năm"
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined in HTML
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r'style="([^"]*)"', _attributes, svg)
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1', svg, count=1)  # scale with the page
    return svg.replace(">", f' role="img" aria-label="{title}" class="chart"><title>{title}</title>', 1)


def cumulative_chart_png(report: ProvinceReport, dpi: int = 150) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"font.family": FONT}):
        _figure(report).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
