"""Charts of the public statistics page: the geometry of SVG bar charts (the template draws them)."""

CHART_WIDTH = 300
CHART_ROW = 38
CHART_LABEL_CHARS = 48


def bar_chart(series):
    """Geometry of a horizontal bar chart: a label line above each bar, the value after it."""
    largest = max((value for _, value in series.rows), default=0) or 1
    room = CHART_WIDTH - 36
    bars = []
    for index, (label, value) in enumerate(series.rows):
        top = index * CHART_ROW
        width = round(room * value / largest) if value else 0
        short = label if len(label) <= CHART_LABEL_CHARS else label[:CHART_LABEL_CHARS - 1] + "…"
        bars.append({"label": short, "value": value, "label_y": top + 13, "bar_y": top + 18, "width": max(width, 1),
                     "value_x": max(width, 1) + 5, "value_y": top + 30})
    return {"width": CHART_WIDTH, "height": max(CHART_ROW, len(bars) * CHART_ROW), "bars": bars}
