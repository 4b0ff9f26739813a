"""Build hook: compiles the chip emulator's C core through cffi (out-of-line API mode)."""
from setuptools import setup

setup(cffi_modules=["chipsim/_build_core.py:ffibuilder", "chipsim/_build_core.py:ppu_ffibuilder"])
