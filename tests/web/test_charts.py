from alliance.checkins.charts import ChartPoint, alliance_svg, describe


def test_text_alternative_names_range_latest_and_ruptures():
    points = [
        ChartPoint(1, 5.0, "Session 1"),
        ChartPoint(2, 3.0, "Session 2", "open"),
        ChartPoint(3, 6.0, "Session 3", "repaired"),
    ]
    assert describe(points) == (
        "Alliance over 3 check-ins, sessions 1 to 3, on a scale of 1 to 7. "
        "Lowest 3.0, highest 6.0, latest 6.0. Rupture at session 2 not yet resolved. "
        "Rupture at session 3 resolved or closed."
    )


def test_no_points_says_so():
    assert describe([]) == "No check-ins yet."
    assert "No check-ins yet." in alliance_svg([])


def test_labels_are_escaped_in_the_svg():
    svg = alliance_svg([ChartPoint(1, 4.0, "<script>x</script>")])
    assert "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;: 4.0" in svg


def test_ruptures_are_marked_by_shape_not_only_colour():
    svg = alliance_svg([ChartPoint(1, 4.0, "a", "open"), ChartPoint(2, 5.0, "b", "repaired")])
    assert 'class="mark-open" d="M' in svg  # a triangle
    assert '<rect class="mark-repaired"' in svg  # a square


def test_several_ruptures_are_listed_in_the_plural():
    points = [ChartPoint(1, 3.0, "a", "open"), ChartPoint(2, 3.5, "b", "open")]
    assert describe(points).endswith("Ruptures at sessions 1, 2 not yet resolved.")
