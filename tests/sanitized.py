"""Running a script against an AddressSanitizer/UBSan build of a C module: the ASan runtime is
preloaded into a fresh interpreter, every report is fatal, and a clean run's stdout is returned."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def asan_runtime() -> str | None:
    """Path of gcc's libasan.so, or None without gcc or the runtime."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    out = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True)
    path = out.stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def run_sanitized(script: str, *args: str, timeout: float = 600) -> str:
    """Run `script` (python -c, from the project root) with `args`; fail the test on a crash or
    any sanitizer report; return its stdout."""
    runtime = asan_runtime()
    if runtime is None:
        pytest.fail("gcc with the AddressSanitizer runtime is needed for this test")
    env = dict(os.environ, LD_PRELOAD=runtime,
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    return proc.stdout
