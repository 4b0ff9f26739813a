"""Markdown tables of docs/chip.md generated from the omnibus declarations (address map and
container layouts), so the document cannot drift from the code.

`python -m bss2emu.chipsim.doc docs/chip.md` rewrites every block between
`<!-- generated: NAME -->` and `<!-- end generated -->` (these tables and the chip model's);
a test checks the file is current.
"""
from __future__ import annotations

from . import omnibus as ob
from .container import INVERTED, REVERSED, Container


def _access(block: ob.Block) -> str:
    return "rw" if block.readable and block.writable else ("r" if block.readable else "w")


def _placement(block: ob.Block) -> str:
    """How entry i's words are addressed, relative to the base."""
    offsets = block.word_offsets
    words = (f"+ {offsets[0]:#x}" if len(offsets) == 1 else
             "+ " + ", ".join(f"{o:#x}" for o in offsets))
    if block.per_row is not None:
        entry = (f"{block.row_stride} (i div {block.per_row}) + {block.stride} "
                 f"(i mod {block.per_row})")
    else:
        entry = "i" if block.stride == 1 else f"{block.stride} i"
    if block.count == 1:
        return words.replace("+ ", "")
    return f"{entry} {words}"


def address_map() -> str:
    """One row per container kind: bases of its copies, entries, addressing, access."""
    lines = ["| Kind | Base word address(es) | Entries | Entry i, word k at base + | Container "
             "| Access |", "|---|---|---|---|---|---|"]
    for kind, blocks in ob.KINDS.items():
        bases = ", ".join(f"{b.base:#010x}" for b in blocks)
        first = blocks[0]
        lines.append(f"| {kind} | {bases} | {first.count} | {_placement(first)} | "
                     f"{first.container.name} | {_access(first)} |")
    return "\n".join(lines)


def _word_fields(container: Container, k: int) -> str:
    parts = []
    for raw, (shift, width) in reversed(container.words[k].fields.items()):
        bits = f"{shift}" if width == 1 else f"{shift + width - 1}:{shift}"
        mark = {INVERTED: " (inv)", REVERSED: " (rev)"}.get(container.encodings.get(raw), "")
        parts.append(f"{bits} {raw}{mark}")
    return ", ".join(parts)


def layouts() -> str:
    """Every container: each word's fields from bit 0 up, encodings, default words."""
    lines = ["| Container | Word | Fields (bits, from bit 0; inv = stored inverted, rev = bit "
             "order reversed) | Default |", "|---|---|---|---|"]
    seen: dict[str, Container] = {}
    for block in ob.BLOCKS:
        seen.setdefault(block.container.name, block.container)
    for name, container in seen.items():
        for k, default in enumerate(container.default_words):
            lines.append(f"| {name if k == 0 else ''} | {k} | {_word_fields(container, k)} | "
                         f"{default:#x} |")
    return "\n".join(lines)


def capmem_rows() -> str:
    """Row of each per-neuron CapMem cell, then the shared cells' (column, row)."""
    lines = ["| Row | Per-neuron cell (columns 0..127) |", "|---|---|"]
    lines += [f"| {i} | {name} |" for i, name in enumerate(ob.CAPMEM_NEURON_ROWS)]
    lines += ["", "| Shared cell (every block) | Column, row |", "|---|---|"]
    lines += [f"| {name} | {col}, {row} |" for name, (col, row) in ob.CAPMEM_SHARED_CELLS.items()]
    return "\n".join(lines)


TABLES = {"omnibus_map": address_map, "omnibus_layouts": layouts, "capmem_rows": capmem_rows}
