"""docs/protocol.md tables are generated from the declarations and must be current."""
from __future__ import annotations

from pathlib import Path

from bss2emu.protocol.doctables import TABLES, regenerate

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_doc_tables_match_declarations():
    text = DOC.read_text()
    assert regenerate(text) == text, "run: python -m bss2emu.protocol.doctables docs/protocol.md"


def test_every_generated_table_is_in_the_doc():
    text = DOC.read_text()
    for name in TABLES:
        assert f"<!-- generated: {name} -->" in text


def test_regenerate_replaces_a_stale_block():
    stale = "<!-- generated: ptype -->\n| old |\n<!-- end generated -->"
    fresh = regenerate(stale)
    assert "| old |" not in fresh and "| 0x0010 | UT |" in fresh
