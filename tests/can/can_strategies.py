"""Hypothesis strategies: random DBC message layouts (as DBC text) and payloads."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["FD_LENGTHS", "layouts"]

FD_LENGTHS = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]
_SCALES = [1.0, 0.1, 0.5, 0.001, 2.0, 1e-07, 0.05, 0.125, 3.0]
_OFFSETS = [0.0, -40.0, 1.0, -1000.5, 0.25]


def _start(byte_order_le: bool, first: int) -> int:
    """DBC start bit from a linear position (LE: lsb; BE: linear msb -> sawtooth)."""
    if byte_order_le:
        return first
    return (first // 8) * 8 + (7 - first % 8)


@st.composite
def _signal(draw, name: str, nbits: int, mux: str = "") -> str:
    le = draw(st.booleans())
    kind = draw(st.sampled_from(["int", "int", "int", "float"]))
    if kind == "float":
        length = draw(st.sampled_from([32, 64]) if nbits >= 64 else st.just(32))
        if length > nbits:
            kind = "int"
    if kind == "int":
        length = draw(st.integers(1, min(64, nbits)))
    first = draw(st.integers(0, nbits - length))
    signed = "-" if (kind == "float" or draw(st.booleans())) else "+"
    if kind == "float":
        scale, offset = 1.0, 0.0
    else:
        scale, offset = draw(st.sampled_from(_SCALES)), draw(st.sampled_from(_OFFSETS))
    order = "1" if le else "0"
    text = (
        f" SG_ {name} {mux}: {_start(le, first)}|{length}@{order}{signed} "
        f'({scale!r},{offset!r}) [0|0] "" X'
    )
    return text, (name, kind == "float", length)


@st.composite
def layouts(draw, fd: bool = True) -> tuple[str, int, int]:
    """(dbc_text, frame_id_with_ext_flag, length): one message, maybe multiplexed."""
    length = draw(st.sampled_from(FD_LENGTHS if fd else FD_LENGTHS[:8]))
    nbits = 8 * length
    extended = draw(st.booleans())
    fid = (
        draw(st.integers(0x800, 0x1FFFFFFF)) | 0x80000000
        if extended
        else draw(st.integers(0, 0x7FF))
    )
    lines, floats, mul_val = [], [], []
    n_plain = draw(st.integers(0, 5))
    for i in range(n_plain):
        t, info = draw(_signal(f"S{i}", nbits))
        lines.append(t)
        if info[1]:
            floats.append(info)
    mode = draw(st.sampled_from(["none", "mux", "extmux"]))
    if mode != "none" and nbits >= 4:
        mlen = draw(st.integers(1, min(4, nbits)))
        mfirst = draw(st.integers(0, nbits - mlen))
        mle = draw(st.booleans())
        lines.append(
            f' SG_ Mux M : {_start(mle, mfirst)}|{mlen}@{1 if mle else 0}+ (1,0) [0|0] "" X'
        )
        nvals = min(2**mlen, 4)
        for j in range(draw(st.integers(1, 4))):
            v = draw(st.integers(0, nvals - 1))
            t, info = draw(_signal(f"B{j}", nbits, f"m{v} "))
            lines.append(t)
            mul_val.append(f"SG_MUL_VAL_ {fid} B{j} Mux {v}-{v};")
            if info[1]:
                floats.append(info)
        if mode == "extmux":
            v = draw(st.integers(0, nvals - 1))
            slen = draw(st.integers(1, min(3, nbits)))
            sfirst = draw(st.integers(0, nbits - slen))
            lines.append(f' SG_ Sub m{v}M : {sfirst}|{slen}@1+ (1,0) [0|0] "" X')
            mul_val.append(f"SG_MUL_VAL_ {fid} Sub Mux {v}-{v};")
            for j in range(draw(st.integers(1, 3))):
                w = draw(st.integers(0, 2**slen - 1))
                t, info = draw(_signal(f"C{j}", nbits, f"m{w} "))
                lines.append(t)
                mul_val.append(f"SG_MUL_VAL_ {fid} C{j} Sub {w}-{w};")
                if info[1]:
                    floats.append(info)
    if not lines:
        t, info = draw(_signal("S0", nbits))
        lines.append(t)
        if info[1]:
            floats.append(info)
    valtype = [f"SIG_VALTYPE_ {fid} {n} : {1 if ln == 32 else 2};" for n, _, ln in floats]
    fmt = ""
    if length > 8:
        fmt = (
            'BA_DEF_ BO_ "VFrameFormat" ENUM "StandardCAN","ExtendedCAN","r","r","r","r","r",'
            '"r","r","r","r","r","r","r","StandardCAN_FD","ExtendedCAN_FD";\n'
            'BA_DEF_DEF_ "VFrameFormat" "StandardCAN";\n'
            f'BA_ "VFrameFormat" BO_ {fid} {15 if extended else 14};\n'
        )
    text = (
        'VERSION ""\n\nNS_ :\n\nBS_:\n\nBU_: X\n\n'
        f"BO_ {fid} M{fid & 0xFFFF}: {length} X\n"
        + "\n".join(lines)
        + "\n\n"
        + fmt
        + "\n".join(valtype)
        + "\n"
        + ("\n".join(mul_val) if mode == "extmux" else "")
        + "\n"
    )
    return text, fid, length
