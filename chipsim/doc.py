"""Regenerate the tables of docs/chip.md from the declarations: the protocol's address map and
layouts and the chip model's field effects.

Usage: python -m bss2emu.chipsim.doc docs/chip.md
"""
from __future__ import annotations

import sys

from bss2emu.protocol import doctables, omnibus_doc

from . import effects

TABLES = {**omnibus_doc.TABLES, **effects.TABLES}


def regenerate(text: str) -> str:
    """The document with every generated block replaced by the current table."""
    return doctables.regenerate(text, TABLES)


if __name__ == "__main__":
    sys.exit(doctables.main(sys.argv[1:], TABLES))
