"""docs/ppu_isa.md's instruction and cycle tables are the core's instruction table
(chipsim/csrc/ppu_isa.h) rendered: the test fails when either drifts."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "chipsim" / "csrc" / "ppu_isa.h"
DOC = ROOT / "docs" / "ppu_isa.md"
ROW = re.compile(r'X\((\w+),\s*"([^"]+)",\s*(\d+),\s*(-?\d+),\s*([^,]+),\s*(\w+)\)')
FORMS = (("ISA_OE", "OE"), ("ISA_RC", "Rc"), ("ISA_LK", "LK"), ("ISA_A5", "A-form"))


def cycle_constants(text: str) -> dict[str, int]:
    return {name: int(value) for name, value in re.findall(r"#define (CYC_\w+) (\d+)", text)}


def instruction_rows() -> list[str]:
    """The Markdown rows of the instruction table, in table order."""
    text = HEADER.read_text()
    cycles = cycle_constants(text)
    rows = []
    for _, mnemonic, primary, extended, flags, cost in ROW.findall(text):
        forms = ", ".join(label for flag, label in FORMS if flag in flags) or "-"
        cost_text = "vector unit" if cost == "0" else str(cycles[cost])
        rows.append(f"| `{mnemonic}` | {primary} | {'-' if extended == '-1' else extended} "
                    f"| {forms} | {cost_text} |")
    return rows


def test_instruction_table_in_docs_matches_the_core():
    doc_rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `")]
    assert doc_rows[:len(instruction_rows())] == instruction_rows()


def test_cycle_constants_in_docs_match_the_core():
    doc = DOC.read_text()
    for name, value in cycle_constants(HEADER.read_text()).items():
        assert re.search(rf"\| {name} \| {value} \|", doc), name


if __name__ == "__main__":
    print("\n".join(instruction_rows()))
