"""The C core built with AddressSanitizer and UndefinedBehaviorSanitizer runs the differential
and bad-input checks without a report (a separate build, loaded in a subprocess)."""
from __future__ import annotations

import textwrap
from pathlib import Path

from bss2emu.chipsim._build_core import make_builder

from tests.sanitized import run_sanitized

SCRIPT = textwrap.dedent("""
    import copy, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import _bss2_core_sanitized as sanitized
    import bss2emu.chipsim.engine as engine
    import bss2emu.chipsim.registers as registers
    engine.ffi, engine.lib = sanitized.ffi, sanitized.lib
    registers.ffi, registers.lib = sanitized.ffi, sanitized.lib
    from bss2emu.chipsim import Chip, ChipError, input_events
    from tests.chipsim.netgen import random_network
    rng = np.random.default_rng(11)
    spikes = 0
    for k in range(60):
        chip = Chip(seed=k, threshold_noise=0.002 * (k % 2))
        events, duration = random_network(rng, chip)
        twin, stepped, replayed = copy.deepcopy(chip), copy.deepcopy(chip), copy.deepcopy(chip)
        a = chip.run(events, duration, engine="event", record=[0, 300])
        b = twin.run(events, duration, engine="reference", record=[0, 300])
        stepped.run(events, duration, engine="stepped", record=[0, 300])
        assert np.array_equal(a.spikes, b.spikes), k
        assert np.array_equal(a.madc, b.madc), k
        assert np.array_equal(replayed.run(events, duration).spikes, a.spikes), k
        spikes += a.spikes.size
    try:  # invalid arrivals are rejected by the C core itself, not only by Python
        from bss2emu.chipsim.engine import CNetwork, event_run
        tables = chip._tables(np.zeros(0, np.int64), np.zeros(0, np.int64), 100)[0]
        event_run(CNetwork(tables), chip.state, np.array([5, 1]), np.array([0, 0]), 100)
        raise SystemExit("unsorted arrivals were accepted")
    except ChipError:
        pass
    # an adapting neuron on the stepped engine (the linear propagator's matrix exponential)
    from bss2emu.protocol import builders as bld
    tonic = Chip(seed=1)
    tonic.write_many(*bld.concat(
        bld.neuron_capmem(3, v_leak=600, v_reset=300, v_threshold=400, i_bias_leak=500),
        bld.neuron_config(3, membrane_capacitor_size=20, enable_fire=1,
                          enable_threshold_comparator=1, enable_adaptation=1),
        bld.neuron_backend(3, refractory_time=2, enable_spike_out=1)))
    assert tonic.run(duration=2000, record=[3]).spikes.size > 10
    print("ok", spikes)
""")


def test_core_under_asan_and_ubsan(tmp_path: Path):
    make_builder("_bss2_core_sanitized", sanitize=True).compile(tmpdir=str(tmp_path))
    out = run_sanitized(SCRIPT, str(tmp_path))
    assert out.startswith("ok")
    assert int(out.split()[1]) > 100
