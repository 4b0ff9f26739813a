"""docs/chip.md tables are generated from the omnibus declarations and must be current."""
from __future__ import annotations

from pathlib import Path

from bss2emu.chipsim.doc import TABLES, regenerate

DOC = Path(__file__).resolve().parents[2] / "docs" / "chip.md"


def test_chip_doc_tables_match_declarations():
    text = DOC.read_text()
    assert regenerate(text) == text, "run: python -m bss2emu.chipsim.doc docs/chip.md"
    for name in TABLES:
        assert f"<!-- generated: {name} -->" in text
