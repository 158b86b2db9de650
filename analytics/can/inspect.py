"""A readable report of a DBC: messages, signals, repairs, and the mapping to the catalog."""

from __future__ import annotations

from pathlib import Path

from analytics.can.dbc import load_dbc
from analytics.can.decode import compile_database
from analytics.can.signal_map import default_map_path, load_signal_map

__all__ = ["inspect_dbc"]


def inspect_dbc(
    path: str | Path, signal_map: str | Path | None = None, all_signals: bool = False
) -> list[str]:
    """Lines describing the DBC (used by ``analytics dbc inspect``)."""
    d = load_dbc(path)
    plans = compile_database(d.db)
    n_sig = sum(len(p.signals) for p in plans.values())
    n_fd = sum(1 for p in plans.values() if p.is_fd)
    n_ext = sum(1 for p in plans.values() if p.frame_id & 0x80000000)
    n_mux = sum(1 for p in plans.values() if p.children)
    lines = [
        f"{d.path}  sha256 {d.sha256[:16]}",
        f"{len(plans)} messages ({n_ext} extended id, {n_fd} CAN FD, {n_mux} multiplexed), "
        f"{n_sig} signals",
    ]
    lines.append(f"repairs applied: {len(d.repairs)}")
    lines += [f"  {r}" for r in d.repairs[:200]]
    if len(d.repairs) > 200:
        lines.append(f"  ... {len(d.repairs) - 200} more")
    map_path = Path(signal_map) if signal_map else default_map_path(d.path)
    mapped = {}
    if map_path is None:
        lines.append(
            "signal map: none found (pass --signal-map FILE to map signals to the catalog)"
        )
    else:
        sm = load_signal_map(map_path)
        mapped = sm.bind(plans)
        n = sum(len(v) for v in mapped.values())
        lines.append(
            f"signal map: {map_path} ({n} signals mapped to "
            f"{len({m.path for v in mapped.values() for m in v})} catalog signals)"
        )
        for r in sm.unmatched(plans):
            lines.append(f"  warning: map line {r.line} ({r.message}.{r.signal}) matches no signal")
    lines.append("messages:")
    for fid, p in sorted(plans.items(), key=lambda kv: kv[0] & 0x1FFFFFFF):
        ms = mapped.get(fid, [])
        ext = "x" if fid & 0x80000000 else " "
        flags = ("FD " if p.is_fd else "") + ("mux " if p.children else "")
        lines.append(
            f"  {fid & 0x1FFFFFFF:#010x}{ext} {p.name:<32} {p.length:>2} B {flags:<7}"
            f"{len(p.signals):>3} signals{f', {len(ms)} mapped' if ms else ''}"
        )
        by_sig: dict[str, list[str]] = {}
        for m in ms:
            by_sig.setdefault(m.signal, []).append(
                m.path + (f" ({m.aggregate})" if m.aggregate else "")
            )
        if all_signals or ms:
            for s in p.signals:
                if not all_signals and s.name not in by_sig:
                    continue
                target = ", ".join(by_sig.get(s.name, [])) or "-"
                mux = (
                    f" m{','.join(map(str, s.mux_ids))}"
                    if s.mux_ids
                    else (" M" if s.is_multiplexer else "")
                )
                lines.append(f"      {s.name:<34}{mux:<6} {s.unit or '':<8} -> {target}")
    return lines
