"""docs/ppu.md's vector I/O table names every region of the bus map with its base."""
from __future__ import annotations

from pathlib import Path

from chipsim.ppu.bus import REGIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "ppu.md"


def test_every_vector_io_region_is_documented():
    text = DOC.read_text()
    for region in REGIONS:
        base = f"`0x{region.base >> 16:04X}_{region.base & 0xFFFF:04X}`"
        assert base in text, f"{region.name} at {base} missing from docs/ppu.md"
        assert str(region.count) in text
