"""PPU programs shipped with bss2emu: the runtime (runtime/: start-up code, linker script,
headers) and the examples (examples/), as data files located through this package."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RUNTIME_DIR = ROOT / "runtime"
EXAMPLES_DIR = ROOT / "examples"
