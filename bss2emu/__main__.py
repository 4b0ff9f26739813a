"""`python -m bss2emu`: the `bss2emu` command."""
import sys

from bss2emu.tools.cli import main

sys.exit(main())
