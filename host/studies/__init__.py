"""Studies: many training runs over a grid of settings (`bss2emu sweep`), serial or on Dask."""
