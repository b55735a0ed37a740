"""A grouped bar chart drawn as SVG on the server, for public pages: no script, no style sheet
(the Content-Security-Policy forbids inline styles, so presentation attributes only), a title
and a description for screen readers, and the same data given as a table next to it. A hidden
value (fewer than 5 people) is drawn as no bar with a « < 5 » mark."""

from __future__ import annotations

from html import escape

COLOURS = ("#00546b", "#b35c00", "#5a3d8a")  # 3:1 against white at least, told apart in grey
# Text sizes in viewBox units: readable once the 640-wide chart is shrunk to a phone's width.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP, FONT = 640, 380, 56, 130, 16, 20


def _ticks(top: int) -> list[int]:
    step = max(1, -(-top // 4))
    return list(range(0, top + step, step))[:6]


def bar_chart_svg(
    labels: list[str], series: dict[str, list[int | None]], title: str, description: str
) -> str:
    values = [v for values in series.values() for v in values if v is not None]
    ticks = _ticks(max(values, default=0) or 1)
    top = ticks[-1] or 1
    plot_h, plot_w = HEIGHT - BOTTOM - TOP, WIDTH - LEFT - 8
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="graphique-titre graphique-desc" font-family="system-ui, sans-serif"'
        f' font-size="{FONT}">',
        f'<title id="graphique-titre">{escape(title)}</title>',
        f'<desc id="graphique-desc">{escape(description)}</desc>',
    ]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / top
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0"/><text x="{LEFT - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end" fill="#1b1b1b">{tick}</text>'
        )
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        for j, (colour, values) in enumerate(zip(COLOURS, series.values(), strict=False)):
            value = values[i]
            x = x0 + j * bar
            if value is None:
                out.append(
                    f'<text x="{x + bar / 2:.1f}" y="{TOP + plot_h - 4}" '
                    f'text-anchor="middle" fill="#1b1b1b" '
                    f'font-size="{FONT - 4}">&lt;5</text>'
                )
                continue
            h = plot_h * value / top
            out.append(
                f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
        out.append(
            f'<text x="{x0 + slot * 0.4:.1f}" y="{TOP + plot_h + FONT + 4}" '
            f'text-anchor="middle" fill="#1b1b1b">{escape(label)}</text>'
        )
    for j, (colour, name) in enumerate(zip(COLOURS, series, strict=False)):  # one per line
        y = TOP + plot_h + 2 * FONT + 16 + j * (FONT + 8)
        out.append(
            f'<rect x="{LEFT}" y="{y - FONT + 4}" width="{FONT}" height="{FONT}" '
            f'fill="{colour}"/><text x="{LEFT + FONT + 8}" y="{y}" '
            f'fill="#1b1b1b">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
