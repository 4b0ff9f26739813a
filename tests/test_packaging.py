"""Packaging: one import package `bss2emu` whose subpackages live in the repository's
top-level folders; every folder and data file is shipped, nothing else lands at the top."""
from __future__ import annotations

import fnmatch
import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

import bss2emu

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_source_package_is_declared_under_bss2emu():
    declared = set(SETUPTOOLS["packages"])
    found = set()
    for name, folder in SETUPTOOLS["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    assert found == declared
    assert all(p == "bss2emu" or p.startswith("bss2emu.") for p in declared)


def test_c_sources_and_ppu_runtime_are_package_data():
    """Every C, assembly and linker file the build or the PPU toolchain needs is shipped."""
    data = SETUPTOOLS["package-data"]
    for package, folder in SETUPTOOLS["package-dir"].items():
        patterns = data.get(package, [])
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".c", ".h", ".S", ".ld") or path.name.startswith("_core"):
                continue
            rel = path.relative_to(ROOT / folder).as_posix()
            assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{folder}/{rel} not shipped"


def test_version_is_one_value():
    assert bss2emu.__version__ == importlib.metadata.version("bss2emu")
    out = subprocess.run([sys.executable, "-m", "bss2emu", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"bss2emu {bss2emu.__version__}"


def test_user_modules_named_like_old_top_level_packages_do_not_shadow(tmp_path: Path):
    """A user's protocol.py or host.py beside a script must not break the emulator's imports."""
    for name in ("protocol", "host", "chipsim", "tools"):
        (tmp_path / f"{name}.py").write_text("raise ImportError('user module imported')\n")
    script = ("from bss2emu.chipsim import Chip; from bss2emu.host.connection import connect; "
              "from bss2emu.protocol import builders; import bss2emu.tools.cli; print('ok')")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
