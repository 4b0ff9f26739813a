"""Markdown tables of docs/protocol.md generated from the declarations, so they cannot drift.

`python -m bss2emu.protocol.doctables docs/protocol.md` rewrites every block between
`<!-- generated: NAME -->` and `<!-- end generated -->`; a test checks the file is current.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .link import HEADER, LENGTHS, MAX_PAYLOAD_WORDS, TRAILER, PacketType
from .ut.dictionary import FROM_FPGA, TO_FPGA, InstructionSpec

_BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n).*?(<!-- end generated -->)", re.S)


def _fields(row: InstructionSpec) -> str:
    """`name[hi:lo]` of every field, most significant first."""
    parts = []
    for name, (shift, width) in row.fields.items():
        bits = f"{shift}" if width == 1 else f"{shift + width - 1}:{shift}"
        parts.append(f"{name}[{bits}]")
    return ", ".join(parts) or "—"


def ut_table(rows: tuple[InstructionSpec, ...]) -> str:
    """Index, name, payload and message width, field bit ranges within the payload."""
    lines = ["| Idx | Instruction | Payload bits | Message bits | Payload fields (bit ranges) |",
             "|---|---|---|---|---|"]
    lines += [f"| {r.header} | {r.name} | {r.payload_width} | {r.word_width} | {_fields(r)} |"
              for r in rows]
    return "\n".join(lines)


def header_table() -> str:
    """Byte layout of a frame, from the construct declarations of header and trailer."""
    lines = ["| Offset | Bytes | Field |", "|---|---|---|"]
    offset = 0
    for sub in HEADER.subcons:
        size = sub.sizeof()
        lines.append(f"| {offset} | {size} | {sub.name} |")
        offset += size
    lines.append(f"| {offset} | 8·LEN | payload words (big-endian) |")
    for sub in TRAILER.subcons:
        lines.append(f"| {offset} + 8·LEN | {sub.sizeof()} | {sub.name} |")
    return "\n".join(lines)


def ptype_table() -> str:
    """Packet types and the payload lengths the reader accepts for each."""
    lines = ["| PTYPE | Name | Payload words |", "|---|---|---|"]
    for ptype in PacketType:
        low, high = LENGTHS[ptype]
        span = f"{low}..{high if high is not None else MAX_PAYLOAD_WORDS}"
        lines.append(f"| {ptype:#06x} | {ptype.name} | {span if low != high else low} |")
    return "\n".join(lines)


TABLES = {
    "to_fpga": lambda: ut_table(TO_FPGA),
    "from_fpga": lambda: ut_table(FROM_FPGA),
    "frame": header_table,
    "ptype": ptype_table,
}


def regenerate(text: str, tables: dict | None = None) -> str:
    """The document with every generated block replaced by the current table."""
    tables = TABLES if tables is None else tables
    return _BLOCK.sub(lambda m: f"{m.group(1)}{tables[m.group(2)]()}\n{m.group(3)}", text)


def main(argv: list[str], tables: dict | None = None) -> int:
    """Rewrite the given markdown files in place."""
    for name in argv:
        path = Path(name)
        path.write_text(regenerate(path.read_text(), tables))
    return 0



if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
