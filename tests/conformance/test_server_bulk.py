"""Long programs over TCP: the device server takes what has arrived in one feed (up to its
drain limit) and the chip ends up as with the words written one program at a time."""
from __future__ import annotations

import socket

import numpy as np
from bss2emu.chipsim.chip import Chip
from bss2emu.chipsim.server import DRAIN_BYTES, DRAIN_MAX_BYTES, DeviceServer
from bss2emu.host.connection import connect
from bss2emu.host.program import PlaybackProgramBuilder
from bss2emu.protocol import builders as b
from bss2emu.protocol import omnibus as ob
from test_host_end_to_end import TIMEOUT, ServerThread


def test_drain_takes_what_has_arrived_up_to_its_limit():
    server = DeviceServer(spin_s=0.0)
    left, right = socket.socketpair()
    for end in (left, right):  # room for all bytes in flight: sendall returns without a reader
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * DRAIN_MAX_BYTES)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * DRAIN_MAX_BYTES)
    left.settimeout(5)
    try:
        data = np.random.default_rng(0).integers(
            0, 256, DRAIN_BYTES + 100 + DRAIN_MAX_BYTES + 5000, np.uint8).tobytes()
        left.sendall(data[:DRAIN_BYTES + 100])
        right.setblocking(False)
        first = right.recv_into(server._received)
        assert server._drain(right, first) == DRAIN_BYTES + 100  # nothing more has come
        left.sendall(data[DRAIN_BYTES + 100:])
        count = server._drain(right, 0)
        assert count == DRAIN_MAX_BYTES  # the rest waits for the next receive
        assert bytes(server._received[:count]) == data[DRAIN_BYTES + 100:][:count]
    finally:
        left.close()
        right.close()


def test_whole_synapse_arrays_over_tcp_equal_a_chip_written_directly():
    rng = np.random.default_rng(3)
    rows = np.arange(ob.SYNAPSE_ROWS)
    writes = [b.synapse_rows(h, rows, rng.integers(0, 64, (ob.SYNAPSE_ROWS, ob.COLUMNS)),
                             rng.integers(0, 64, (ob.SYNAPSE_ROWS, ob.COLUMNS)))
              for h in range(ob.HEMISPHERES)]
    addresses, words = b.concat(*writes)
    reference = Chip(seed=1)
    reference.write_many(addresses, words)
    server = ServerThread("tcp", seed=1)
    try:
        with connect(server.url, timeout=TIMEOUT) as conn:
            for _ in range(2):  # the second program finds the connection warmed up
                builder = PlaybackProgramBuilder(timer_setup=False)
                builder.write_many(addresses, words)
                tickets = [builder.read(int(a)) for a in addresses[::997]]
                conn.run(builder.done())
                assert [t.value for t in tickets] == words[::997].tolist()
        chip = server.server.chip
        assert np.array_equal(chip.config.weight, reference.config.weight)
        assert np.array_equal(chip.config.label, reference.config.label)
    finally:
        server.stop()
