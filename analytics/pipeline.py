"""The whole pipeline, stage by stage, each reading the previous stage's tables.

Every stage module exposes ``run_stage(wh, vehicles=None) -> dict`` (a short summary for
printing) and can be run alone through its own subcommand. ``run`` executes the stages that
are installed, in order.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


def run_stages(
    wh: Warehouse,
    *,
    only: Sequence[str] | None = None,
    vehicles: Sequence[str] | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Run the installed stages in order and return each one's summary."""
    out: dict[str, dict[str, Any]] = {}
    for stage in STAGES:
        if only and stage.name not in only:
            continue
        fn = stage.load()
        if fn is None:
            continue
        t0 = time.perf_counter()
        summary = fn(wh, vehicles=list(vehicles) if vehicles else None)
        summary = dict(summary or {})
        summary["seconds"] = round(time.perf_counter() - t0, 1)
        out[stage.name] = summary
        echo(f"[{stage.name}] " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return out
