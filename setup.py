"""Build hook: compiles the C cores through cffi (out-of-line API mode): the chip emulator's
network core and PPU, and the learning code's first-spike-time kernel."""
from setuptools import setup

setup(cffi_modules=["chipsim/_build_core.py:ffibuilder", "chipsim/_build_core.py:ppu_ffibuilder",
                    "host/learning/_build_spiketime.py:ffibuilder"])
