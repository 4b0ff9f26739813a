"""The plasticity processor (PPU): Power ISA core with the FXV vector unit, and its place
on the chip."""
