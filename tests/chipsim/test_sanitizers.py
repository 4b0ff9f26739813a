"""The C core built with AddressSanitizer and UndefinedBehaviorSanitizer runs the differential
and bad-input checks without a report (a separate build, loaded in a subprocess)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chipsim._build_core import make_builder

SCRIPT = textwrap.dedent("""
    import copy, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import _bss2_core_sanitized as sanitized
    import chipsim.engine as engine
    import chipsim.registers as registers
    engine.ffi, engine.lib = sanitized.ffi, sanitized.lib
    registers.ffi, registers.lib = sanitized.ffi, sanitized.lib
    from chipsim import Chip, ChipError, input_events
    from tests.chipsim.netgen import random_network
    rng = np.random.default_rng(11)
    spikes = 0
    for k in range(60):
        chip = Chip(seed=k, threshold_noise=0.002 * (k % 2))
        events, duration = random_network(rng, chip)
        twin, stepped = copy.deepcopy(chip), copy.deepcopy(chip)
        a = chip.run(events, duration, engine="event")
        b = twin.run(events, duration, engine="reference")
        stepped.run(events, duration, engine="stepped", record=[0, 300])
        assert np.array_equal(a.spikes, b.spikes), k
        spikes += a.spikes.size
    try:  # invalid arrivals are rejected by the C core itself, not only by Python
        from chipsim.engine import CNetwork, event_run
        tables = chip._tables(np.zeros(0, np.int64), np.zeros(0, np.int64), 100)[0]
        event_run(CNetwork(tables), chip.state, np.array([5, 1]), np.array([0, 0]), 100)
        raise SystemExit("unsorted arrivals were accepted")
    except ChipError:
        pass
    print("ok", spikes)
""")


def _runtime() -> str | None:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    out = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True)
    path = out.stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def test_core_under_asan_and_ubsan(tmp_path: Path):
    runtime = _runtime()
    if runtime is None:
        pytest.fail("gcc with the AddressSanitizer runtime is needed for this test")
    make_builder("_bss2_core_sanitized", sanitize=True).compile(tmpdir=str(tmp_path))
    env = dict(os.environ, LD_PRELOAD=runtime,
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "runtime error" not in proc.stderr and "AddressSanitizer" not in proc.stderr
    assert proc.stdout.startswith("ok")
    assert int(proc.stdout.split()[1]) > 100
