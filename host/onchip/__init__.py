"""On-chip learning: the host side of training by the PPU (program, memory layout, streaming)."""
