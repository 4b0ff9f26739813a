"""End to end: host.connect() -> link frames -> device server -> emulated FPGA -> chip, over
TCP, a pty and the embedded emulator; busy and disconnect handling; error cases; the
`bss2emu serve` command; tick-for-tick agreement with Chip.run."""
from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from bss2emu.chipsim import Chip, input_events
from bss2emu.chipsim.server import DeviceServer
from bss2emu.host.connection import (
    Connection,
    ConnectionLost,
    DeviceBusy,
    ProgramTimeout,
    connect,
)
from bss2emu.host.program import AccessTimeout, PlaybackProgramBuilder, ProgramError
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.link import FrameWriter, PacketType
from bss2emu.protocol.ut import (
    Direction,
    FromFPGA,
    LoopbackKind,
    decode,
    encode,
    jtag_data,
    jtag_init,
    jtag_scaler,
    loopback,
    omnibus_writes,
    system_reset,
    timer_setup,
    wait_until,
)
from chip_setups import input_spikes, network_writes

TIMEOUT = 10.0
PADI = ob.PADI_BASE[1] + 1  # CommonPADIBusConfig (+ 0 is the write-only event trigger)
UNKNOWN = 0x000D_0000


class ServerThread:
    """A DeviceServer on 127.0.0.1 (TCP) or on a pty, in a background thread."""

    def __init__(self, kind: str, seed: int = 0) -> None:
        self.server = DeviceServer(seed=seed)
        if kind == "tcp":
            listener = socket.create_server(("127.0.0.1", 0))
            self.url = f"socket://127.0.0.1:{listener.getsockname()[1]}"
            target, args = self.server.serve_tcp, (listener,)
            self._closers = [listener.close]
        else:
            master, slave, self.url = self.server.open_pty()
            target, args = self.server.serve_pty, (master,)
            self._closers = [lambda: _close_fd(master), lambda: _close_fd(slave)]
        self.thread = threading.Thread(target=target, args=args, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.stop.set()
        self.thread.join(TIMEOUT)
        for close in self._closers:
            close()


def _close_fd(fd: int) -> None:
    import os

    os.close(fd)


@pytest.fixture(params=["tcp", "pty", "embedded"])
def conn(request) -> Iterator[Connection]:
    if request.param == "embedded":
        with connect(timeout=TIMEOUT) as c:
            yield c
        return
    server = ServerThread(request.param)
    try:
        with connect(server.url, timeout=TIMEOUT) as c:
            yield c
    finally:
        server.stop()


@pytest.fixture
def tcp_server() -> Iterator[ServerThread]:
    server = ServerThread("tcp", seed=2)
    yield server
    server.stop()


def test_program_with_writes_reads_jtag_and_spikes(conn):
    builder = PlaybackProgramBuilder()
    idcode = builder.jtag_idcode()
    builder.write(PADI, 0b1010)
    padi = builder.read(PADI)
    driver = b.synapse_driver(1, 3, enable_receiver=1, row_mode_bottom=1, enable_address_out=1)
    builder.write_many(*driver)
    drivers = builder.read_many(driver[0])
    missing = builder.read(UNKNOWN)
    builder.wait_until(1000).inject(np.array([1000, 1000, 1200]), np.array([1, 2, 3]))
    builder.wait_until(2000)
    program = builder.done()
    with pytest.raises(ProgramError, match="not been run"):
        _ = padi.value
    result = conn.run(program)
    assert idcode.value == 0x348580AF
    assert padi.value == 0b1010 and padi.ok
    assert drivers.value.tolist() == driver[1].tolist()
    assert not missing.ok
    with pytest.raises(AccessTimeout, match="0x000d0000"):
        _ = missing.value
    assert result.timeouts.tolist() == [UNKNOWN]
    assert result.spikes.size == 0  # nothing routes these labels to the FPGA


def test_minimal_real_system_sequence_gives_exactly_two_responses(conn):
    words = encode([system_reset(True), timer_setup(), wait_until(10), system_reset(False),
                    wait_until(100), jtag_scaler(3), jtag_init(),
                    jtag_data(0, 32, keep_response=True), wait_until(10000),
                    loopback(LoopbackKind.HALT)], Direction.TO_FPGA)
    raw, responses = conn.exchange(words, timeout=TIMEOUT)
    messages = decode(raw, Direction.FROM_FPGA)
    assert [m.instruction for m in messages] == [FromFPGA.JTAG_DATA, FromFPGA.LOOPBACK]
    assert responses.jtag["value"].tolist() == [0x348580AF]


def test_spikes_match_chip_run_tick_for_tick(conn):
    """10,000 input spikes over 100 ms into a configured network: every chip spike comes
    back at the FPGA tick Chip.run gives, with its label."""
    duration = 12_500_000  # 100 ms
    rng = np.random.default_rng(11)
    addresses, words = network_writes(rng)
    times, labels = input_spikes(rng, 10_000, duration)
    reference = Chip(seed=0)
    reference.write_many(addresses, words)
    expect = reference.run(input_events(times, labels), duration).events
    builder = PlaybackProgramBuilder()
    builder.write_many(addresses, words).inject(times, labels).wait_until(duration)
    result = conn.run(builder.done(), timeout=60)
    assert expect.size > 1000
    assert result.spikes["time"].tolist() == expect["time"].tolist()
    assert result.spikes["label"].tolist() == expect["label"].tolist()
    assert np.allclose(result.spikes["seconds"], expect["time"] * 8e-9)


def test_times_count_from_the_last_timer_setup(conn):
    rng = np.random.default_rng(5)
    builder = PlaybackProgramBuilder()
    builder.write_many(*network_writes(rng)).wait_until(5000)
    builder.timer_setup()
    times, labels = input_spikes(rng, 300, 50_000)
    builder.inject(times, labels).wait_until(50_000)
    result = conn.run(builder.done())
    assert result.spikes.size > 0
    assert result.spikes["time"].min() >= 0 and result.spikes["time"].max() < 50_000
    assert (result.spikes["systime"] - result.spikes["time"] >= 5000).all()


def test_madc_samples_arrive_as_arrays(conn):
    builder = PlaybackProgramBuilder()
    builder.madc_record([7]).wait_until(1000).madc_stop()
    result = conn.run(builder.done())
    assert result.madc.size == pytest.approx(1000 * 2 / 8.5, abs=2)
    assert (result.madc["channel"] == 0).all()
    assert np.all(np.diff(result.madc["time"]) >= 0) and result.madc["time"].max() < 1000


def test_second_client_gets_a_busy_error_and_may_connect_later(tcp_server):
    with connect(tcp_server.url, timeout=TIMEOUT):
        with pytest.raises(DeviceBusy, match="busy"):
            connect(tcp_server.url, timeout=TIMEOUT)
    with connect(tcp_server.url, timeout=TIMEOUT) as again:
        builder = PlaybackProgramBuilder()
        ticket = builder.read(PADI)
        again.run(builder.done())
        assert ticket.value == 0


def test_disconnect_mid_frame_leaves_server_and_chip_intact(tcp_server):
    with connect(tcp_server.url, timeout=TIMEOUT) as first:
        builder = PlaybackProgramBuilder()
        builder.write(PADI, 5)
        first.run(builder.done())
    frame = FrameWriter().frame(PacketType.UT, omnibus_writes(np.array([PADI]), np.array([9])))
    for cut in (7, len(frame) // 2, len(frame) - 1):
        with socket.create_connection(tcp_server.url[9:].split(":"), TIMEOUT) as raw:
            raw.sendall(frame[:cut])
    with connect(tcp_server.url, timeout=TIMEOUT) as second:
        builder = PlaybackProgramBuilder()
        ticket = builder.read(PADI)
        second.run(builder.done())
    assert ticket.value == 5
    assert tcp_server.server.chip.read(PADI) == 5


def test_a_program_abandoned_by_its_host_does_not_leak_into_the_next(tcp_server):
    with socket.create_connection(tcp_server.url[9:].split(":"), TIMEOUT) as raw:
        raw.sendall(FrameWriter().frame(  # no halt: the program never ends
            PacketType.UT, encode([jtag_init(), jtag_data(0, 32, keep_response=True)],
                                  Direction.TO_FPGA)))
    with connect(tcp_server.url, timeout=TIMEOUT) as conn:
        builder = PlaybackProgramBuilder(timer_setup=False)
        ticket = builder.jtag_idcode()
        result = conn.run(builder.done())
    assert ticket.value == 0x348580AF and result.jtag.size == 1


def test_each_program_is_logged_once_at_debug_level(tcp_server, caplog):
    with caplog.at_level(logging.DEBUG, logger="bss2emu.server"):
        with connect(tcp_server.url, timeout=TIMEOUT) as conn:
            for _ in range(3):
                builder = PlaybackProgramBuilder()
                builder.read(PADI)
                conn.run(builder.done())
    lines = [r.getMessage() for r in caplog.records if " program " in r.getMessage()]
    assert len(lines) == 3 and all("3 reads" in line for line in lines)


def test_connect_to_nothing_raises_connection_lost():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ConnectionLost):
        connect(f"socket://127.0.0.1:{port}", timeout=1.0)


def test_a_silent_device_times_out():
    silent = socket.create_server(("127.0.0.1", 0))
    try:
        with pytest.raises(ProgramTimeout):
            connect(f"socket://127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
    finally:
        silent.close()


def test_embedded_program_without_its_halt_times_out_and_the_next_one_runs():
    with connect(timeout=0.3) as c:
        builder = PlaybackProgramBuilder()
        builder.read(PADI)
        words = builder.done().words
        with pytest.raises(ProgramTimeout):
            c.exchange(words[:-1])  # the device waits for the rest; nothing comes back
        c.handshake()  # a fresh session abandons the unfinished program
        builder = PlaybackProgramBuilder()
        idcode = builder.jtag_idcode()
        c.run(builder.done())
        assert idcode.value == 0x348580AF


def test_server_going_away_raises_instead_of_hanging(tcp_server):
    conn = connect(tcp_server.url, timeout=1.0)
    tcp_server.stop()
    builder = PlaybackProgramBuilder()
    builder.read(PADI)
    with pytest.raises((ConnectionLost, ProgramTimeout)):
        conn.run(builder.done())
    conn.close()


def test_embedded_emulator_stops_on_close():
    conn = connect(seed=4)
    emulator = conn.emulator
    assert emulator.chip.seed == 4
    conn.close()
    assert emulator.closed
    with pytest.raises(ConnectionLost):
        conn.run(PlaybackProgramBuilder().done())
    conn.close()  # idempotent


@pytest.mark.parametrize("mode", ["--listen", "--pty"])
def test_serve_command(mode):
    args = ["--listen", "127.0.0.1:0"] if mode == "--listen" else ["--pty"]
    proc = subprocess.Popen([sys.executable, "-m", "bss2emu", "serve", *args, "--seed", "1",
                             "--log-level", "warning"], stdout=subprocess.PIPE, text=True)
    try:
        where = proc.stdout.readline().strip()
        assert where.startswith("socket://127.0.0.1:" if mode == "--listen" else "/dev/")
        with connect(where, timeout=TIMEOUT) as conn:
            builder = PlaybackProgramBuilder()
            idcode = builder.jtag_idcode()
            conn.run(builder.done())
        assert idcode.value == 0x348580AF
    finally:
        proc.terminate()
        assert proc.wait(TIMEOUT) == 0


def test_the_documented_host_example_runs(capsys):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()
    example = doc.split("## 5. Host API")[1].split("```python\n")[1].split("```")[0]
    exec(compile(example, "docs/protocol.md", "exec"), {})
    assert capsys.readouterr().out.startswith("0x348580af 15 []")


def test_serve_command_rejects_a_bad_address(capsys):
    from bss2emu.tools.cli import main

    assert main(["serve", "--listen", "no-port-here"]) == 2
    assert "HOST:PORT" in capsys.readouterr().err


def test_nothing_can_follow_the_halt():
    builder = PlaybackProgramBuilder()
    builder.halt()
    with pytest.raises(ProgramError, match="halt"):
        builder.read(PADI)
    assert builder.done().words.size == 4  # setup, two systime reads, halt
