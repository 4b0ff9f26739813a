"""The device server stays bounded whatever a client sends: the four reproducers of issue 12
(a tonically firing neuron, MADC sampling, an AdEx neuron on the time-stepped engine, a
background source at full rate to the FPGA), each with a wait the emulator cannot finish,
end with a clear error within the server's limits and leave it serving the next client; a
client that disconnects cancels its program; SIGTERM ends `bss2emu serve` within a second."""
from __future__ import annotations

import resource
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from bss2emu.chipsim import Chip
from bss2emu.chipsim.fpga import Executor, Limits
from bss2emu.chipsim.server import EmbeddedServer
from bss2emu.host.connection import ProgramLimitExceeded, connect
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import builders as b
from bss2emu.protocol.link import FrameWriter, PacketType
from bss2emu.protocol.ut import Direction, encode, timer_setup, wait_until

FOREVER = 0xFFFF_FFFF  # the longest WAIT_UNTIL: 34 s of emulated time
NEURON = 3


def _tonic() -> b.Writes:
    """One neuron whose leak lies above its threshold: it fires for as long as time runs."""
    return b.concat(
        b.neuron_capmem(NEURON, v_leak=600, v_reset=300, v_threshold=400, i_bias_leak=500),
        b.neuron_config(NEURON, membrane_capacitor_size=20, enable_fire=1,
                        enable_threshold_comparator=1),
        b.neuron_backend(NEURON, refractory_time=2, enable_spike_out=1),
        b.crossbar_node(0, 8, 0, 0))


def _adex() -> b.Writes:
    """The same neuron with adaptation on: the chip switches to its time-stepped engine."""
    return b.concat(_tonic(), b.neuron_config(NEURON, membrane_capacitor_size=20, enable_fire=1,
                                              enable_threshold_comparator=1,
                                              enable_adaptation=1))


def _background() -> b.Writes:
    """Background source 0 at period 1, every event routed to the FPGA."""
    return b.concat(b.crossbar_node(12, 8, 0, 0), b.background_source(0, period=1))


def _program(config: b.Writes, madc: bool = False, until: int = FOREVER):
    builder = PlaybackProgramBuilder()
    builder.write_many(*config)
    if madc:
        builder.madc_record([NEURON])
    builder.wait_until(until)
    return builder.done()


def _still_serving(url: str) -> None:
    with connect(url, timeout=10.0) as conn:
        builder = PlaybackProgramBuilder()
        idcode = builder.jtag_idcode()
        conn.run(builder.done())
        assert idcode.value == 0x348580AF


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture
def server():
    """A TCP device server with small limits (emulated 20 ms, 2 MiB, 3 s wall per program)."""
    srv = EmbeddedServer(executor=Executor(Chip(seed=1), Limits(program_ms=20,
                                                                response_mib=2, wall_s=3)))
    yield srv
    srv.close()


@pytest.mark.parametrize("name, config, madc", [
    ("tonic neuron", _tonic(), False), ("MADC", _tonic(), True), ("AdEx", _adex(), False),
    ("background at period 1", _background(), False)])
def test_unbounded_waits_end_at_the_time_limit(server, name, config, madc):
    with connect(server.url, timeout=10.0) as conn:
        start = time.perf_counter()
        with pytest.raises(ProgramLimitExceeded, match="emulated time, over the limit of 20"):
            conn.run(_program(config, madc))
        assert time.perf_counter() - start < 2.0  # refused before running
    _still_serving(server.url)


@pytest.mark.parametrize("name, config, madc, limit", [
    ("MADC", _tonic(), True, "exceed 2 MiB"),
    ("background at period 1", _background(), False, "exceed 2 MiB|wall time"),
    ("AdEx", _adex(), False, "exceed 2 MiB|wall time"),  # its spikes fill 2 MiB in < 1 s now
])
def test_long_programs_inside_the_time_limit_end_at_the_other_limits(name, config, madc, limit):
    """900 ms of emulated time, allowed, but too many responses (2 MiB) or too slow to emulate
    (1 s of wall time): the program is stopped while it runs, its responses streamed, never all
    held."""
    srv = EmbeddedServer(executor=Executor(Chip(seed=1), Limits(response_mib=2, wall_s=1)))
    before = _rss_mib()
    try:
        with connect(srv.url, timeout=10.0) as conn:
            start = time.perf_counter()
            with pytest.raises(ProgramLimitExceeded, match=limit):
                conn.run(_program(config, madc, until=900 * 125_000))
            assert time.perf_counter() - start < 1.0 + 2.0
        assert _rss_mib() - before < 200
        _still_serving(srv.url)
    finally:
        srv.close()


def test_a_client_that_disconnects_cancels_its_program():
    """An AdEx neuron for 900 ms of emulated time (about a minute of wall time) is cancelled
    within a slice once its host is gone; the next host is served at once."""
    srv = EmbeddedServer(executor=Executor(Chip(seed=1), Limits(wall_s=600)))
    try:
        host, port = srv.url.removeprefix("socket://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            words = np.concatenate([
                encode([timer_setup()], Direction.TO_FPGA),
                _words(_adex()), encode([wait_until(900 * 125_000)], Direction.TO_FPGA)])
            sock.sendall(FrameWriter().frame(PacketType.UT, words))
            time.sleep(0.5)
        start = time.perf_counter()
        _still_serving(srv.url)
        assert time.perf_counter() - start < 3.0
    finally:
        srv.close()


def _words(writes: b.Writes) -> np.ndarray:
    from bss2emu.protocol.ut import omnibus_writes

    return omnibus_writes(*writes)


def test_sigterm_ends_the_server_within_a_second_even_mid_program():
    proc = subprocess.Popen([sys.executable, "-m", "bss2emu", "serve", "--listen",
                             "127.0.0.1:0", "--max-wall-s", "600"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().strip()
        host, port = url.removeprefix("socket://").split(":")
        sock = socket.create_connection((host, int(port)))
        words = np.concatenate([encode([timer_setup()], Direction.TO_FPGA), _words(_adex()),
                                encode([wait_until(900 * 125_000)], Direction.TO_FPGA)])
        sock.sendall(FrameWriter().frame(PacketType.UT, words))
        time.sleep(1.0)  # the program is running
        start = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.perf_counter() - start < 1.0
        sock.close()
    finally:
        proc.kill()
