"""The SVG charts: one bar per item, proportional, and every label escaped."""

import datetime as dt

from supervision.charts import bar_chart, column_chart


def test_bars_are_proportional_and_labelled():
    svg = str(bar_chart([("甲", 10), ("乙", 5), ("丙", 0)], title="图"))
    assert svg.count('<g class="bar">') == 3
    assert 'width="160.0"' in svg  # the longest bar: 340 - 130 - 50
    assert 'width="80.0"' in svg  # half of it
    assert 'width="0.0"' in svg
    assert "<desc>甲: 10; 乙: 5; 丙: 0</desc>" in svg


def test_labels_are_escaped():
    svg = str(bar_chart([("<script>alert(1)</script>", 1)], title="<b>"))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "<title>&lt;b&gt;</title>" in svg


def test_empty_charts_draw():
    assert "<svg" in str(bar_chart([], title="x"))
    assert "<svg" in str(column_chart([], title="x"))


def test_columns_one_per_day():
    days = [(dt.date(2026, 11, d), d % 3) for d in range(1, 31)]
    svg = str(column_chart(days, title="x"))
    assert svg.count("<rect") == 30
    assert "2026-11-01" in svg and "2026-11-30" in svg
