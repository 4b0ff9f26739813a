"""Host side of the PPU: cross-compiling programs, reading ELF files, loading and running them."""
