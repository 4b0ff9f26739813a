"""Markdown tables of docs/chip.md generated from the omnibus declarations (address map and
register layouts), so the document cannot drift from the code.

`python -m bss2emu.protocol.omnibus_doc docs/chip.md` rewrites every block between
`<!-- generated: NAME -->` and `<!-- end generated -->`; a test checks the file is current.
"""
from __future__ import annotations

import sys

from . import doctables
from . import omnibus as ob


def address_map() -> str:
    """One row per kind of register block: bases of its copies, entries, stride, layout."""
    lines = ["| Block | Base word address(es) | Entries | Stride | Layout | Access |",
             "|---|---|---|---|---|---|"]
    kinds: dict[str, list[ob.Block]] = {}
    for block in ob.BLOCKS:
        kinds.setdefault(block.kind, []).append(block)
    for kind, blocks in kinds.items():
        if kind == "capmem":
            bases = ", ".join(f"{base:#010x}" for base in ob.CAPMEM_BASE)
            entries = f"{ob.CAPMEM_COLUMNS} columns x {ob.CAPMEM_ROWS} rows"
            stride = f"column {ob.CAPMEM_COLUMN_STRIDE}, row 1"
        else:
            bases = ", ".join(f"{b.base:#010x}" for b in blocks)
            entries, stride = str(blocks[0].count), str(blocks[0].stride)
        first = blocks[0]
        access = "rw" if first.readable and first.writable else ("r" if first.readable else "w")
        lines.append(f"| {kind} | {bases} | {entries} | {stride} | {first.layout.name} | "
                     f"{access} |")
    return "\n".join(lines)


def layouts() -> str:
    """Every register word layout with its fields' bit ranges."""
    lines = ["| Layout | Fields (bit ranges, most significant first) |", "|---|---|"]
    seen = {}
    for block in ob.BLOCKS:
        seen.setdefault(block.layout.name, block.layout)
    for name, layout in seen.items():
        parts = []
        for field, (shift, width) in layout.fields.items():
            bits = f"{shift}" if width == 1 else f"{shift + width - 1}:{shift}"
            parts.append(f"{field}[{bits}]")
        lines.append(f"| {name} | {', '.join(parts)} |")
    return "\n".join(lines)


def capmem_rows() -> str:
    """Row index of each named per-neuron CapMem cell."""
    lines = ["| Row | Per-neuron cell (columns 0..127) |", "|---|---|"]
    lines += [f"| {i} | {name} |" for i, name in enumerate(ob.CAPMEM_NEURON_ROWS)]
    lines += [f"| {i} (column 128) | {name} (shared per block) |"
              for i, name in enumerate(ob.CAPMEM_SHARED_ROWS)]
    return "\n".join(lines)


TABLES = {"omnibus_map": address_map, "omnibus_layouts": layouts, "capmem_rows": capmem_rows}


def regenerate(text: str) -> str:
    """The document with every generated block replaced by the current table."""
    return doctables.regenerate(text, TABLES)


if __name__ == "__main__":
    sys.exit(doctables.main(sys.argv[1:], TABLES))
