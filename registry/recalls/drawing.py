"""The completion chart of a campaign as SVG: units complete (remedied or destroyed) over time,
against the population."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

W, H, LEFT, BOTTOM, TOP, RIGHT = 640, 240, 56, 36, 16, 16


def completion_svg(series: list[tuple[date, int]], population: int, *, until: date) -> Markup:
    """A step line from the opening day to `until` (the last change or today)."""
    if series[-1][0] < until:
        series = series + [(until, series[-1][1])]
    first, last = series[0][0], series[-1][0]
    span = max((last - first).days, 1)
    top = max(population, 1)

    def x(day: date) -> float:
        return LEFT + (W - LEFT - RIGHT) * (day - first).days / span

    def y(count: int) -> float:
        return H - BOTTOM - (H - BOTTOM - TOP) * count / top

    points, previous = [], None
    for day, done in series:
        if previous is not None:
            points.append(f"{x(day):.1f},{y(previous):.1f}")
        points.append(f"{x(day):.1f},{y(done):.1f}")
        previous = done
    done = series[-1][1]
    share = f"{100 * done / population:.1f}%" if population else "n/a"
    ticks = sorted({round(top * k / 4) for k in range(5)})
    grid = "".join(
        f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e7ee"/>'
        f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>'
        for tick in ticks
    )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="completion" role="img" width="100%" viewBox="0 0 {W} {H}" '
        f'font-family="system-ui, sans-serif" font-size="11">'
        f"<title>{done} of {population} units complete ({share})</title>{grid}"
        f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y(population):.1f}" y2="{y(population):.1f}" stroke="#c0392b" '
        f'stroke-dasharray="4 3"/>'
        f'<polyline fill="none" stroke="#2e7d32" stroke-width="2.5" points="{" ".join(points)}"/>'
        f'<text x="{LEFT}" y="{H - 12}">{escape(first.isoformat())}</text>'
        f'<text x="{W - RIGHT}" y="{H - 12}" text-anchor="end">{escape(last.isoformat())}</text>'
        f'<text x="{W - RIGHT}" y="{TOP + 10}" text-anchor="end" fill="#2e7d32" font-weight="600">'
        f"{done} / {population} complete ({share})</text></svg>"
    )
