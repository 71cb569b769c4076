# Copyright (c) 2026, korczewski.platform developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The page's latency sparkline: SVG polyline points from a series with gaps."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette", reason="the dashboard's dependencies (dashboard/requirements-test.txt)")

from korczewski_dashboard.web import _percent, _sparkline  # noqa: E402  pylint: disable=wrong-import-position


def test_points_scale_to_the_highest_value_and_skip_gaps():
    assert _sparkline([10.0, None, 20.0], width=10, height=10) == "0.0,5.0 10.0,0.0"
    assert _sparkline([None, None]) == "" and _sparkline([]) == ""


def test_a_single_point_is_drawn_as_a_dot():
    assert _sparkline([None, 5.0, None], width=10, height=10) == "5.0,0.0 5.0,0.0"


def test_percentages():
    assert (_percent(None), _percent(100.0), _percent(99.5)) == ("-", "100%", "99.50%")
