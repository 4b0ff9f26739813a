"""docs/ppu.md's vector I/O table names every region of the bus map with its base."""
from __future__ import annotations

from pathlib import Path

from bss2emu.chipsim.ppu.bus import REGIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "ppu.md"


def test_every_vector_io_region_is_documented():
    text = DOC.read_text()
    for region in REGIONS:
        base = f"`0x{region.base >> 16:04X}_{region.base & 0xFFFF:04X}`"
        assert base in text, f"{region.name} at {base} missing from docs/ppu.md"
        assert str(region.count) in text


def test_runtime_header_bases_match_the_bus_map():
    """ppu.h's PPU_VIO_<REGION> defines are the bases the chip model serves."""
    import re

    from bss2emu.chipsim.ppu.bus import CADC_BUFFERED, EXTMEM_VECTOR_BASE
    from bss2emu.ppu_programs import RUNTIME_DIR

    text = (RUNTIME_DIR / "include" / "ppu.h").read_text()
    defines = {name: int(value, 16) for name, value in
               re.findall(r"#define PPU_VIO_(\w+) (0x[0-9A-Fa-f]+)u", text)}
    for region in REGIONS:
        if region.name.endswith("_buffered"):
            plain = region.name.removesuffix("_buffered").upper()
            assert defines[plain] | defines["CADC_BUFFERED"] == region.base
        else:
            assert defines[region.name.upper()] == region.base, region.name
    assert defines["CADC_BUFFERED"] == CADC_BUFFERED
    assert defines["EXTMEM"] == EXTMEM_VECTOR_BASE
