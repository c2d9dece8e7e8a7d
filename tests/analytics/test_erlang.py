from __future__ import annotations

import math

import pytest

from hybridcx.analytics.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_c,
    service_level,
    staffing,
    traffic_erlangs,
)


def test_textbook_case_ten_erlangs_180s_80_in_20() -> None:
    # 200 contacts an hour at 180 s is A = 10 erlangs.
    result = agents_needed(200, 180, 0.8, 20)
    assert result.traffic_erlangs == pytest.approx(10.0)
    assert result.agents == 14
    assert round(result.service_level * 100, 1) == 88.8
    assert round(result.average_speed_of_answer, 1) == 7.8
    assert round(result.occupancy * 100, 1) == 71.4


def test_one_agent_fewer_misses_the_target() -> None:
    assert service_level(13, 10.0, 180, 20) < 0.8


def test_erlang_c_limits() -> None:
    assert erlang_c(5, 0) == 0.0
    assert erlang_c(10, 10) == 1.0
    assert average_speed_of_answer(10, 10, 180) == math.inf
    # M/M/1: P(wait) is the utilisation.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)


def test_more_agents_never_hurt() -> None:
    levels = [staffing(n, 10.0, 180, 20).service_level for n in range(11, 20)]
    assert levels == sorted(levels)


def test_large_traffic_does_not_overflow() -> None:
    result = agents_needed(traffic_erlangs(36_000, 300) * 3600 / 300, 300)
    assert result.agents > 3000 and result.service_level >= 0.8


def test_max_occupancy_adds_agents() -> None:
    assert agents_needed(200, 180, 0.8, 20, max_occupancy=0.6).agents == 17


def test_bad_targets_are_rejected() -> None:
    with pytest.raises(ValueError):
        agents_needed(200, 180, 80, 20)
    with pytest.raises(ValueError):
        agents_needed(200, 0)
