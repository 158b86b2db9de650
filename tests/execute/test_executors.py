"""Executors return results in input order, keep bounded work in flight, and limit threads."""

from __future__ import annotations

import operator

import pytest

from analytics.execute import open_executor


def test_local_runs_in_order_one_at_a_time():
    pulled: list[int] = []

    def items():
        for i in range(6):
            pulled.append(i)
            yield (i, 10)

    with open_executor("local") as ex:
        out = []
        for r in ex.map(operator.add, items()):
            out.append(r)
            assert len(pulled) == len(out)  # read one, compute one: as a plain loop
    assert out == [10, 11, 12, 13, 14, 15]


def test_processes_bounded_in_flight_and_ordered():
    pulled: list[int] = []

    def items():
        for i in range(12):
            pulled.append(i)
            yield (i, i)

    with open_executor("processes=2") as ex:
        out = []
        for r in ex.map(operator.mul, items(), ahead=3):
            assert len(pulled) - len(out) <= 3  # never more than `ahead` inputs held
            out.append(r)
        reports = ex.thread_reports()
    assert out == [i * i for i in range(12)]
    assert reports and all(r["polars_threads"] == 1 for r in reports)
    assert all(r["duckdb_threads"] == 1 for r in reports)
    assert all(r["env"]["OMP_NUM_THREADS"] == "1" for r in reports)


def test_an_error_in_a_worker_reaches_the_driver():
    with open_executor("processes=2") as ex, pytest.raises(ZeroDivisionError):
        list(ex.map(operator.truediv, [(1, 1), (1, 0), (2, 1)]))


def test_dask_map_keeps_input_order():
    from analytics.execute.cluster import DaskExecutor

    with DaskExecutor(workers=1) as ex:
        out = list(ex.map(operator.sub, ((i, 1) for i in range(8)), ahead=2))
    assert out == list(range(-1, 7))


def test_dask_unreachable_scheduler_says_what_to_do():
    from analytics.errors import ConfigError
    from analytics.execute.cluster import DaskExecutor

    with pytest.raises(ConfigError, match="dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", connect_timeout="2s")  # nothing listens there
