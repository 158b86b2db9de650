"""The whole pipeline, stage by stage, each reading the previous stage's tables.

Every stage module exposes ``run_stage(wh, vehicles=None, *, executor=None, changed=None)
-> dict`` (a short summary for printing) and can be run alone through its own subcommand.
``run`` executes the stages that are installed, in order, on one executor, and with
``incremental`` re-models only vehicles whose inputs changed (see docs/scale.md).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from analytics.execute import Executor, local_executor
from analytics.execute.incremental import (
    changed_vehicles,
    input_fingerprints,
    record_fingerprints,
    stored_fingerprints,
)
from analytics.warehouse.db import Warehouse

__all__ = ["STAGES", "Stage", "run_stages"]


@dataclass(frozen=True)
class Stage:
    name: str
    target: str  # "package.module:function"

    def load(self) -> Callable[..., dict[str, Any]] | None:
        module, func = self.target.split(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                return None  # the stage is not part of this installation
            raise
        return getattr(mod, func)


STAGES: tuple[Stage, ...] = (
    Stage("quality", "analytics.quality.stage:run_stage"),
    Stage("sessions", "analytics.sessions.stage:run_stage"),
    Stage("soh", "analytics.soh.stage:run_stage"),
    Stage("forecast", "analytics.forecast.stage:run_stage"),
    Stage("charging", "analytics.charging.stage:run_stage"),
)
FLEET_STAGES = frozenset({"forecast"})  # pooled over the fleet: redone whole when anything changed


def run_stages(
    wh: Warehouse,
    *,
    only: Sequence[str] | None = None,
    vehicles: Sequence[str] | None = None,
    echo: Callable[[str], None] = print,
    executor: Executor | None = None,
    incremental: bool = False,
) -> dict[str, dict[str, Any]]:
    """Run the installed stages in order and return each one's summary.

    ``executor`` runs the per-vehicle work (default: in this process). With ``incremental``
    (and no ``vehicles``), each stage re-models only the vehicles whose input fingerprint
    changed since it last modelled them, and is skipped when none did; fleet-level steps
    (forecast pooling, charging fleet tables) are redone whenever any vehicle changed.
    Every run records the fingerprints it modelled from in ``stage_inputs``.
    """
    ex = executor or local_executor()
    current = input_fingerprints(wh)
    out: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        if only and stage.name not in only:
            continue
        fn = stage.load()
        if fn is None:
            continue
        t0 = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if incremental and not vehicles:
            changed = changed_vehicles(current, stored_fingerprints(wh, stage.name))
            if not changed:
                out[stage.name] = {"unchanged_vehicles": len(current)}
                echo(f"[{stage.name}] unchanged_vehicles={len(current)}, nothing to re-model")
                continue
            if stage.name not in FLEET_STAGES:
                kwargs["changed"] = changed
        summary = fn(wh, vehicles=list(vehicles) if vehicles else None, executor=ex, **kwargs)
        summary = dict(summary or {})
        if "changed" in kwargs:
            summary["inputs_changed"] = len(kwargs["changed"])
        record_fingerprints(
            wh,
            stage.name,
            {v: fp for v, fp in current.items() if not vehicles or v in set(vehicles)},
        )
        summary["seconds"] = round(time.perf_counter() - t0, 1)
        out[stage.name] = summary
        echo(f"[{stage.name}] " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return out
