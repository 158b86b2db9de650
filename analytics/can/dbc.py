"""Load DBC files the way people have them: through cantools, with documented, logged repairs.

Many real DBC files (a good share of ``opendbc``) do not load in cantools as they are. Each
repair below is applied to the text before parsing, recorded with its line number, and
logged; anything else that does not parse raises :class:`DbcError` naming the line.

Repairs (``Repair.kind``):

``extended_id``        a ``BO_`` id above 0x7FF without the extended flag (bit 31): the flag
                       is set, and every reference to the id (``SG_MUL_VAL_``, ``BA_``,
                       ``CM_``, ``VAL_``, ``SIG_VALTYPE_``, ``BO_TX_BU_``) follows.
``orphan_value_table`` a ``VAL_`` table for a signal the message does not have: dropped.
``comment_keyword``    a ``CM_`` line whose object keyword is missing (``CM_ 145 "..."``
                       becomes ``CM_ BO_ 145 "..."``), or a ``CM_ SG_`` without a signal
                       name (kept as a message comment).
``missing_semicolon`` a one-line statement (``CM_``, ``VAL_``, ``BA_``...) without its ``;``.
``stray_line``         a line that is not a DBC statement at all: dropped.
``digit_name``         a message or signal name starting with a digit: prefixed with ``_``
                       (``2017_5`` becomes ``_2017_5``), references follow.
``multiplexer_marker`` a multiplexer signal marked ``m`` (no value) instead of ``M``.
``bare_decimal``       a number written ``.25`` in a scale/offset: written ``0.25``.
``overlapping_signals`` two signals that share bits outside multiplexing: kept (both
                       decode independently, as cantools does with ``strict=False``); noted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analytics.errors import DbcError

__all__ = ["DbcLoad", "Repair", "load_dbc", "repair_dbc_text"]

log = logging.getLogger(__name__)

_KEYWORDS = (
    "VERSION",
    "NS_",
    "BS_",
    "BU_",
    "BO_",
    "SG_",
    "CM_",
    "BA_",
    "VAL_",
    "VAL_TABLE_",
    "SIG_VALTYPE_",
    "SG_MUL_VAL_",
    "BO_TX_BU_",
    "EV_",
    "ENVVAR_DATA_",
    "SIG_GROUP_",
    "SGTYPE_",
    "SIG_TYPE_REF_",
    "BA_DEF_",
    "BA_DEF_DEF_",
    "BA_DEF_REL_",
    "BA_REL_",
    "BA_DEF_DEF_REL_",
    "BA_DEF_SGTYPE_",
    "BU_SG_REL_",
    "BU_EV_REL_",
    "BU_BO_REL_",
    "CAT_DEF_",
    "CAT_",
    "FILTER",
    "SIG_VALTYPE_",
    "SGTYPE_VAL_",
    "NS_DESC_",
    "ENVVAR_",
)
_NS_SYMBOLS = re.compile(r"^\s+[A-Z_]+\s*$")
_BO_RE = re.compile(r"^(\s*BO_\s+)(\d+)(\s+)([A-Za-z0-9_]+)(\s*:.*)$")
_SG_RE = re.compile(r"^(\s*SG_\s+)([A-Za-z0-9_]+)(\s.*)$")
_ID_REF = {
    # statement prefix -> regex whose group 2 is the id
    "SG_MUL_VAL_": re.compile(r"^(\s*SG_MUL_VAL_\s+)(\d+)(\b.*)$"),
    "BA_": re.compile(r"^(\s*BA_\s+\"[^\"]*\"\s+(?:BO_|SG_)\s+)(\d+)(\b.*)$"),
    "CM_": re.compile(r"^(\s*CM_\s+(?:BO_|SG_)\s+)(\d+)(\b.*)$"),
    "VAL_": re.compile(r"^(\s*VAL_\s+)(\d+)(\b.*)$"),
    "SIG_VALTYPE_": re.compile(r"^(\s*SIG_VALTYPE_\s+)(\d+)(\b.*)$"),
    "BO_TX_BU_": re.compile(r"^(\s*BO_TX_BU_\s+)(\d+)(\b.*)$"),
}
_TERMINATED = (
    "CM_",
    "VAL_",
    "BA_",
    "BA_DEF_",
    "BA_DEF_DEF_",
    "SIG_VALTYPE_",
    "SG_MUL_VAL_",
    "VAL_TABLE_",
    "BO_TX_BU_",
)
_BARE_DEC = re.compile(r"([(,|\[])(-?)\.(\d)")


@dataclass(frozen=True)
class Repair:
    """One change made to a DBC so that it loads; ``line`` is 1-based in the original file."""

    kind: str
    line: int | None
    detail: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass
class DbcLoad:
    """A loaded DBC: the cantools database plus what was repaired to load it."""

    path: Path
    sha256: str
    db: Any  # cantools.database.can.Database
    repairs: list[Repair] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def _open_quotes(line: str) -> bool:
    """True when the line leaves a string open (odd number of unescaped quotes)."""
    return (len(re.findall(r'(?<!\\)"', line)) % 2) == 1


def _statement_lines(lines: list[str]) -> list[tuple[int, bool]]:
    """For each line: (index, starts_statement) — continuation lines of strings are False."""
    out = []
    in_string = False
    for i, line in enumerate(lines):
        out.append((i, not in_string))
        if _open_quotes(line):
            in_string = not in_string
    return out


def repair_dbc_text(text: str) -> tuple[str, list[Repair]]:
    """Apply the text repairs; return the repaired text and the list of repairs."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    repairs: list[Repair] = []
    starts = _statement_lines(lines)

    # pass 1: ids, names, messages and their signals
    id_map: dict[int, int] = {}
    name_map: dict[str, str] = {}
    signals: dict[int, set[str]] = {}
    current: int | None = None
    for i, is_start in starts:
        if not is_start:
            continue
        line = lines[i]
        m = _BO_RE.match(line)
        if m:
            fid, name = int(m.group(2)), m.group(4)
            new_id = fid
            if 0x7FF < fid < 0x80000000:
                new_id = fid | 0x80000000
                id_map[fid] = new_id
                repairs.append(
                    Repair(
                        "extended_id", i + 1, f"message {name} id {fid:#x} marked extended (29-bit)"
                    )
                )
            if name[0].isdigit():
                name_map[name] = "_" + name
                repairs.append(Repair("digit_name", i + 1, f"message {name} renamed _{name}"))
                name = "_" + name
            lines[i] = f"{m.group(1)}{new_id}{m.group(3)}{name}{m.group(5)}"
            current = new_id
            signals[current] = set()
            continue
        m = _SG_RE.match(line)
        if m and current is not None:
            sname = m.group(2)
            if sname[0].isdigit():
                repairs.append(Repair("digit_name", i + 1, f"signal {sname} renamed _{sname}"))
                name_map[sname] = "_" + sname
                sname = "_" + sname
                lines[i] = f"{m.group(1)}{sname}{m.group(3)}"
            signals[current].add(sname)
            mm = re.match(r"^(\s*SG_\s+\w+\s+)m(\s*:.*)$", lines[i])
            if mm:
                repairs.append(
                    Repair(
                        "multiplexer_marker",
                        i + 1,
                        f"signal {sname}: multiplexer marked 'm' without a value, read as 'M'",
                    )
                )
                lines[i] = f"{mm.group(1)}M{mm.group(2)}"
            fixed = _BARE_DEC.sub(r"\1\g<2>0.\3", lines[i])
            if fixed != lines[i]:
                repairs.append(
                    Repair("bare_decimal", i + 1, f"signal {sname}: number without leading 0")
                )
                lines[i] = fixed
            continue
        if line.strip() and not line.startswith((" ", "\t")):
            current = None if not line.lstrip().startswith("SG_") else current

    # pass 2: references, comments, value tables, stray lines
    out: list[str] = []
    for i, is_start in starts:
        line = lines[i]
        if not is_start:
            out.append(line)
            continue
        stripped = line.strip()
        word = stripped.split(" ", 1)[0].split(":", 1)[0] if stripped else ""
        for key, rx in _ID_REF.items():
            if word == key:
                m = rx.match(line)
                if m and int(m.group(2)) in id_map:
                    line = f"{m.group(1)}{id_map[int(m.group(2))]}{m.group(3)}"
                break
        if name_map and word in ("VAL_", "CM_", "SIG_VALTYPE_", "SG_MUL_VAL_", "BA_"):
            for old, new in name_map.items():
                line = re.sub(rf"(?<![\w\"]){re.escape(old)}(?![\w])", new, line, count=2)
        if _NS_SYMBOLS.match(line):
            out.append(line)
            continue
        if word in _TERMINATED and not _open_quotes(line) and not stripped.endswith(";"):
            nxt = i + 1
            if nxt >= len(lines) or starts[nxt][1]:
                repairs.append(Repair("missing_semicolon", i + 1, f"{word} statement without ';'"))
                line = line.rstrip() + ";"
        if word == "CM_":
            line = _repair_comment(line, i, repairs)
        elif word == "VAL_":
            m = re.match(r"^\s*VAL_\s+(\d+)\s+([A-Za-z0-9_]+)\b", line)
            if m and m.group(2) not in signals.get(int(m.group(1)), ()):
                repairs.append(
                    Repair(
                        "orphan_value_table",
                        i + 1,
                        f"VAL_ for absent signal {m.group(2)} of message "
                        f"{int(m.group(1)) & 0x1FFFFFFF:#x} dropped",
                    )
                )
                continue
        elif stripped and word not in _KEYWORDS and not _NS_SYMBOLS.match(line):
            if not stripped.startswith("//"):
                repairs.append(
                    Repair("stray_line", i + 1, f"not a DBC statement, dropped: {stripped[:60]}")
                )
            continue
        out.append(line)
    return "\n".join(out), repairs


def _repair_comment(line: str, i: int, repairs: list[Repair]) -> str:
    m = re.match(r'^(\s*CM_\s+)(\d+)(\s+".*)$', line)
    if m:
        repairs.append(
            Repair("comment_keyword", i + 1, "CM_ without BO_ keyword: taken as a message comment")
        )
        line = f"{m.group(1)}BO_ {m.group(2)}{m.group(3)}"
    m = re.match(r'^(\s*CM_\s+)SG_(\s+\d+\s+".*)$', line)
    if m:
        repairs.append(
            Repair(
                "comment_keyword",
                i + 1,
                "CM_ SG_ without a signal name: taken as a message comment",
            )
        )
        line = f"{m.group(1)}BO_{m.group(2)}"
    return line


def _overlaps(db: Any) -> list[Repair]:
    """Signals sharing bits that cantools' strict mode would reject (same mux branch)."""
    found: list[Repair] = []
    for msg in db.messages:
        owners: dict[tuple[Any, int], str] = {}
        reported: set[tuple[str, str]] = set()
        for sig in msg.signals:
            branch = (sig.multiplexer_signal, tuple(sig.multiplexer_ids or ()))
            for bit in _bits(sig):
                key = (branch, bit)
                other = owners.get(key)
                if other is not None and other != sig.name and (other, sig.name) not in reported:
                    reported.add((other, sig.name))
                    found.append(
                        Repair(
                            "overlapping_signals",
                            None,
                            f"{msg.name}: {other} and {sig.name} share bits; both kept",
                        )
                    )
                owners[key] = sig.name
    return found


def _bits(sig: Any) -> range | list[int]:
    if sig.byte_order == "little_endian":
        return range(sig.start, sig.start + sig.length)
    m = (sig.start // 8) * 8 + (7 - sig.start % 8)
    return range(m, m + sig.length)  # linear big-endian numbering; unique per signal set


def load_dbc(path: str | Path) -> DbcLoad:
    """Load a DBC with cantools, repairing what can be repaired; raise :class:`DbcError` else."""
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError as exc:
        raise DbcError(f"cannot read DBC {p}: {exc}") from exc
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _load_cached(path_s: str, _mtime_ns: int = 0, _size: int = 0) -> DbcLoad:
    """Parse once per file version (path, modification time, size)."""
    import cantools
    from cantools.database.errors import ParseError as _Unused  # noqa: F401

    path = Path(path_s)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DbcError(f"cannot read DBC {path}: {exc}") from exc
    sha = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8", errors="replace") if _is_utf8(raw) else raw.decode("cp1252")
    fixed, repairs = repair_dbc_text(text)
    try:
        db = cantools.database.load_string(fixed, database_format="dbc", strict=False)
    except Exception as exc:  # cantools raises several unrelated types
        raise DbcError(_explain(path, fixed, text, exc)) from exc
    repairs += _overlaps(db)
    if repairs:
        kinds = sorted({str(r).split(":")[0] for r in repairs})
        log.info(
            "%s: %d repair(s) applied (%s); `analytics dbc inspect %s` lists them",
            path.name,
            len(repairs),
            ", ".join(kinds),
            path,
        )
    for r in repairs:
        log.debug("%s: repaired %s", path.name, r)
    if not db.messages:
        raise DbcError(f"{path}: no messages (BO_) found; is this a DBC file?")
    return DbcLoad(path, sha, db, repairs)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _explain(path: Path, fixed: str, original: str, exc: Exception) -> str:
    msg = str(exc).replace("\n", " ")
    m = re.search(r"in message (\w+)", msg)
    if m:
        for n, line in enumerate(original.split("\n"), 1):
            if re.match(rf"\s*BO_\s+\d+\s+{re.escape(m.group(1))}\s*:", line):
                return (
                    f"{path}: line {n}: {msg[:200]} ({line.strip()[:80]!r}). "
                    "Correct or remove that message and try again."
                )
    m = re.search(r"line (\d+)", msg)
    if m:
        n = int(m.group(1))
        bad = fixed.split("\n")[n - 1] if n <= fixed.count("\n") + 1 else ""
        return (
            f"{path}: cannot parse DBC at line {n} (after repairs): {bad.strip()[:120]!r}; "
            f"{msg[:200]}. Fix or remove that line and try again."
        )
    return f"{path}: cannot load DBC: {msg[:300]}. Fix the file (see docs/can.md for the repairs applied automatically)."
