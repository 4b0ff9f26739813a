"""The device server: serves one emulated FPGA + chip to one host at a time over a byte stream
(TCP on a loopback or LAN address, or a pseudo-terminal), speaking `protocol.link` frames.

Per frame type (PTYPE):

* UT: the payload words are executed by `chipsim.fpga.Executor` (consecutive UT frames that
  arrive together are executed as one batch); the response words go back in UT frames;
* ARQ_RESET (payload word 0x0000_0000_ABAB_ABAB; any other word is ignored): starts a new host
  session: a partly received program is abandoned (chip state kept), the sequence check
  restarts, the frame is echoed. The host's `connect()` sends one to check the link;
* LOOPBACK: echoed unchanged (link test); FLUSH and the other types are ignored.

A second TCP client while one is served gets the busy notice (`protocol.link.notice`: a
CFG frame whose payload starts with `BUSY`, then a reason) and is disconnected. A client that
disconnects, even mid-frame, ends its session: the partial frame is never executed, a partly
received program is abandoned, the chip keeps its state and the server waits for the next
client. A partial frame with no new bytes for `IDLE_FLUSH_S` (2 s) is given up (on a pty a
vanished client cannot be detected otherwise). Nothing a client sends can stop the server: a
failing program is logged and answered with a decode-error notification.
"""
from __future__ import annotations

import logging
import os
import select
import selectors
import socket
import threading
import time
import tty
from collections.abc import Callable

import numpy as np
from bss2emu.protocol.link import (
    ARQ_RESET_MAGIC,
    Frame,
    FrameReader,
    FrameWriter,
    PacketType,
    notice,
)

from .chip import Chip
from .fpga import DECODE_ERROR_WORD, Executor, Limits, ProgramCancelled

log = logging.getLogger("bss2emu.server")

RECV_BYTES = 1 << 20
#: a receive of at least this many bytes is part of a long program: the server then also takes
#: what else has arrived, up to DRAIN_MAX_BYTES in all, before handling it (fewer, larger feeds:
#: the device's CPU per bulk synapse program in process is 1.29 ms fed in 64 KiB pieces, 1.05
#: in 256 KiB and 0.92 ms in one piece; the cap keeps the device working while the rest of a
#: long program arrives)
DRAIN_BYTES = 16 << 10
DRAIN_MAX_BYTES = 256 << 10
POLL_S = 0.1
#: a partial frame without new bytes for this long is given up (long enough that a live host
#: stalled mid-frame by a busy machine is not cut off, short against host timeouts)
IDLE_FLUSH_S = 2.0
SEND_TIMEOUT_S = 10.0
#: a client that sends nothing for this long while holding the device is disconnected
IDLE_CLIENT_S = 600.0
#: after answering, the TCP server polls for the client's next bytes without sleeping for this
#: long (seconds): hosts that send programs back to back are then heard without the cost of
#: waking a sleeping process (tens of microseconds and cold caches on a virtual machine). Costs
#: at most this much CPU per answer; 0 for a server sharing its interpreter with the host
SPIN_S = 0.001


class Session:
    """One host's framed byte stream: bytes in -> response bytes out. With a `sink`, responses
    produced during a long program are sent as they come (streaming); `cancel` is polled
    between the chip's runs and stops the program when it returns True."""

    def __init__(self, executor: Executor, peer: str,
                 sink: Callable[[bytes], bool] | None = None,
                 cancel: Callable[[], bool] | None = None) -> None:
        self.executor = executor
        self.peer = peer
        self.sink = sink
        self.cancel = cancel
        self.cancelled = False
        self.reader = FrameReader()
        self.writer = FrameWriter(reader=self.reader)
        self.programs = 0
        self.last_data = time.monotonic()
        self._handlers: dict[PacketType, Callable[[Frame], bytes]] = {
            PacketType.ARQ_RESET: self._arq_reset,
            PacketType.LOOPBACK: lambda f: self.writer.frame(PacketType.LOOPBACK, f.words),
        }

    def feed(self, data: bytes) -> bytes:
        """Consume received bytes; return the bytes to send back."""
        self.last_data = time.monotonic()
        return self._handle(self.reader.feed(data))

    def idle(self) -> bytes:
        """Give up a partial frame that has waited `IDLE_FLUSH_S` without new bytes."""
        if self.reader.pending_bytes and time.monotonic() - self.last_data > IDLE_FLUSH_S:
            return self._handle(self.reader.flush())
        return b""

    def close(self) -> None:
        """The host went away: abandon its unfinished program (chip state kept)."""
        if self.executor.in_program:
            log.info("%s left inside a program; abandoned", self.peer)
            self.executor.abort_program()
        log.info("%s disconnected (%s)", self.peer, self.reader.report())

    def _handle(self, frames: list[Frame]) -> bytes:
        if len(frames) == 1 and frames[0].ptype is PacketType.UT:  # a short program
            return self._execute(frames[0].words)
        out: list[bytes] = []
        batch: list[np.ndarray] = []
        for frame in frames:
            if frame.ptype is PacketType.UT:
                batch.append(frame.words)
                continue
            if batch:
                out.append(self._execute(_joined(batch)))
                batch = []
            handler = self._handlers.get(frame.ptype)
            if handler is None:
                log.debug("%s: ignored %s frame", self.peer, frame.ptype.name)
            else:
                out.append(handler(frame))
        if batch:
            out.append(self._execute(_joined(batch)))
        return b"".join(out)

    def _execute(self, words: np.ndarray) -> bytes:
        ex = self.executor
        ex.emit = self._stream if self.sink is not None else None
        ex.should_cancel = self.cancel
        try:
            response = ex.execute(words)
        except ProgramCancelled:
            log.info("%s: program cancelled (host gone or server stopping)", self.peer)
            ex.abort_program()
            self.cancelled = True
            return b""
        except Exception:  # a bug must not take the server down
            log.exception("%s: program execution failed; program abandoned", self.peer)
            self.executor.abort_program()
            response = np.array([DECODE_ERROR_WORD], np.uint64)
        finally:
            ex.emit = ex.should_cancel = None
        done = ex.programs_done
        if done:
            if log.isEnabledFor(logging.DEBUG):  # statistics formatted only if logged
                for number, stats in enumerate(done, start=self.programs + 1):
                    log.debug("%s program %d: %s", self.peer, number, stats)
            self.programs += len(done)
            done.clear()
        out = self.writer.frames(response) if len(response) else b""
        for reason in ex.notices:
            log.info("%s: program abandoned: %s", self.peer, reason)
            out += self.writer.frame(PacketType.CFG, notice("limit", reason))
        ex.notices.clear()
        return out

    def _stream(self, words: np.ndarray) -> None:
        """Send responses produced so far; a host that cannot take them cancels the program."""
        if self.sink is not None and not self.sink(self.writer.frames(words)):
            raise ProgramCancelled("the host stopped taking responses")

    def _arq_reset(self, frame: Frame) -> bytes:
        if int(frame.words[0]) != ARQ_RESET_MAGIC:
            log.info("%s: ARQ_RESET with word %#x instead of the magic %#x ignored", self.peer,
                     int(frame.words[0]), ARQ_RESET_MAGIC)
            return b""
        if self.executor.in_program:
            self.executor.abort_program()
        self.reader.restart_sequence()
        return self.writer.frame(PacketType.ARQ_RESET, frame.words)


def _joined(batch: list[np.ndarray]) -> np.ndarray:
    """The words of consecutive UT frames as one array (a single frame's as they are)."""
    return batch[0] if len(batch) == 1 else np.concatenate(batch)


class DeviceServer:
    """Serves one `Executor` (its chip persists across clients) until `stop` is set."""

    def __init__(self, executor: Executor | None = None, seed: int = 0,
                 limits: Limits | None = None, idle_timeout: float = IDLE_CLIENT_S,
                 spin_s: float = SPIN_S) -> None:
        self.executor = executor if executor is not None else Executor(Chip(seed=seed), limits)
        self.idle_timeout = idle_timeout
        self.spin_s = spin_s
        self.stop = threading.Event()
        self.lock = threading.Lock()  # held while a client's program executes
        #: receives land here (a `recv` of RECV_BYTES would allocate that much every time)
        self._received = memoryview(bytearray(RECV_BYTES))

    @property
    def chip(self) -> Chip:
        """The served chip."""
        return self.executor.chip

    # -- TCP -----------------------------------------------------------------------------------
    def serve_tcp(self, listener: socket.socket) -> None:
        """Accept clients on a listening socket, one session at a time, until `stop`."""
        listener.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(listener, selectors.EVENT_READ, None)
        client: tuple[socket.socket, Session] | None = None
        hot_until = 0.0  # poll without sleeping until then (SPIN_S after the last answer)
        try:
            while not self.stop.is_set():
                # the client first: a host that closed and reconnects at once must find its
                # old session ended, not a busy device
                hot = time.perf_counter() < hot_until
                keys = sorted(sel.select(0.0 if hot else POLL_S), key=lambda kv: kv[0].data is None)
                if hot and not keys:
                    if client is None:
                        os.sched_yield()  # a process that needs this core gets it
                        continue
                    served = self._poll_client(client, hot_until)
                    if served is False:
                        client = self._end(sel, client)
                    elif served:
                        hot_until = time.perf_counter() + self.spin_s
                    continue
                for key, _ in keys:
                    if key.data is None:
                        client = self._check_alive(sel, client)
                        client = self._accept(listener, sel, client)
                    elif client is not None and self._serve_bytes(*client) is False:
                        client = self._end(sel, client)
                    else:
                        hot_until = time.perf_counter() + self.spin_s
                if client is not None:
                    reply = client[1].idle()
                    quiet = time.monotonic() - client[1].last_data
                    if quiet > self.idle_timeout:
                        log.info("%s sent nothing for %.0f s: disconnected", client[1].peer,
                                 quiet)
                    if (quiet > self.idle_timeout
                            or reply and not self._send(client[0], reply, client[1].peer)):
                        client = self._end(sel, client)
        finally:
            if client is not None:
                self._drop(*client)
            sel.close()

    def _check_alive(self, sel: selectors.BaseSelector,
                     client: tuple[socket.socket, Session] | None
                     ) -> tuple[socket.socket, Session] | None:
        """Serve what the current client has sent; None if it has gone."""
        if client is None:
            return None
        readable, _, _ = select.select([client[0]], [], [], 0)
        if readable and self._serve_bytes(*client) is False:
            return self._end(sel, client)
        return client

    def _accept(self, listener: socket.socket, sel: selectors.BaseSelector,
                client: tuple[socket.socket, Session] | None
                ) -> tuple[socket.socket, Session] | None:
        try:
            conn, addr = listener.accept()
        except (BlockingIOError, OSError):
            return client
        peer = f"{addr[0]}:{addr[1]}"
        conn.settimeout(SEND_TIMEOUT_S)
        if client is not None:
            log.info("refused %s: busy serving %s", peer, client[1].peer)
            reason = f"device busy: serving another host ({client[1].peer})"
            self._send(conn, FrameWriter().frame(PacketType.CFG, notice("busy", reason)), peer)
            conn.close()
            return client
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.setblocking(False)  # reads follow the selector; `_send` waits only when it must
        log.info("serving %s", peer)
        sel.register(conn, selectors.EVENT_READ, peer)
        return conn, Session(self.executor, peer,
                             sink=lambda data: self._send(conn, data, peer),
                             cancel=lambda: self.stop.is_set() or self._gone(conn))

    @staticmethod
    def _gone(conn: socket.socket) -> bool:
        """Whether the peer closed the connection (checked without consuming its bytes)."""
        readable, _, _ = select.select([conn], [], [], 0)
        if not readable:
            return False
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True

    def _poll_client(self, client: tuple[socket.socket, Session], until: float) -> bool | None:
        """Poll the client's socket without sleeping until `until` (perf_counter), yielding
        the core between tries, and answer the first bytes that come: True if it did, False
        when the client has gone, None if nothing came. A direct receive: a request is found
        and handled without a pass through the selector and the idle checks."""
        while True:
            served = self._serve_bytes(*client)
            if served is not None or time.perf_counter() >= until:
                return served
            os.sched_yield()  # a process that needs this core (the host) gets it

    def _serve_bytes(self, conn: socket.socket, session: Session) -> bool | None:
        """Read what arrived and answer it: True if it did, False when the client is gone,
        None if nothing had arrived."""
        try:
            count = conn.recv_into(self._received)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            return False
        return bool(count) and self._answer(conn, session, count)

    def _answer(self, conn: socket.socket, session: Session, count: int) -> bool:
        """Handle the `count` bytes just received (and, for a long program, what else has
        arrived) and send the reply; False when the client is gone."""
        if count >= DRAIN_BYTES:
            count = self._drain(conn, count)
        with self.lock:
            reply = session.feed(self._received[:count].tobytes())
        if session.cancelled:
            return False
        return not reply or self._send(conn, reply, session.peer)

    def _drain(self, conn: socket.socket, count: int) -> int:
        """Append what else has arrived to the `count` bytes received (without waiting); the
        new total. A closed connection is seen by the next receive."""
        while count < DRAIN_MAX_BYTES:
            try:
                more = conn.recv_into(self._received[count:DRAIN_MAX_BYTES])
            except (BlockingIOError, InterruptedError, OSError):
                break
            if not more:
                break
            count += more
        return count

    @staticmethod
    def _send(conn: socket.socket, data: bytes, peer: str) -> bool:
        """Send everything: what fits the socket's buffer at once, the rest waiting up to
        SEND_TIMEOUT_S. False (logged) if the client is gone or stopped reading."""
        try:
            try:
                sent = conn.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            if sent < len(data):
                previous = conn.gettimeout()
                conn.settimeout(SEND_TIMEOUT_S)
                try:
                    conn.sendall(memoryview(data)[sent:])
                finally:
                    conn.settimeout(previous)
            return True
        except OSError as err:
            log.info("%s: send failed (%s)", peer, err)
            return False

    def _end(self, sel: selectors.BaseSelector, client: tuple[socket.socket, Session]) -> None:
        """Stop watching a client that has gone or is sent away, and end its session; None
        (the server's client from then on)."""
        sel.unregister(client[0])
        self._drop(*client)

    def _drop(self, conn: socket.socket, session: Session) -> None:
        with self.lock:
            session.close()
        conn.close()

    # -- pty -----------------------------------------------------------------------------------
    def open_pty(self) -> tuple[int, int, str]:
        """A raw pseudo-terminal: (master fd, slave fd, slave path for the host)."""
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        return master, slave, os.ttyname(slave)

    def serve_pty(self, master: int) -> None:
        """Serve the host on the other side of a pty master until `stop`. The server keeps the
        slave open, so hosts can come and go; each `connect()` starts a session with an
        ARQ_RESET frame."""
        session = Session(self.executor, "pty", sink=lambda data: self._write_pty(master, data),
                          cancel=self.stop.is_set)
        while not self.stop.is_set():
            ready, _, _ = select.select([master], [], [], POLL_S)
            reply = b""
            if ready:
                try:
                    data = os.read(master, RECV_BYTES)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as err:
                    log.warning("pty read failed: %s", err)
                    time.sleep(POLL_S)
                    continue
                with self.lock:
                    reply = session.feed(data)
                session.cancelled = False  # a pty session outlives its programs
            else:
                reply = session.idle()
            if reply:
                self._write_pty(master, reply)
        session.close()

    def _write_pty(self, master: int, data: bytes) -> bool:
        """Write everything within SEND_TIMEOUT_S; a host that stops reading loses the rest
        (False)."""
        view = memoryview(data)
        deadline = time.monotonic() + SEND_TIMEOUT_S
        while view and time.monotonic() < deadline and not self.stop.is_set():
            _, writable, _ = select.select([], [master], [], POLL_S)
            if not writable:
                continue
            try:
                view = view[os.write(master, view):]
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as err:
                log.warning("pty write failed: %s", err)
                return False
        if view:
            log.warning("pty host is not reading; dropped %d response bytes", len(view))
        return not view


class EmbeddedServer:
    """A device server on 127.0.0.1 (ephemeral port) in a background thread of this process:
    what `host.connect()` without a URL starts. `close()` stops it."""

    def __init__(self, seed: int = 0, executor: Executor | None = None) -> None:
        self.server = DeviceServer(executor, seed=seed, spin_s=0.0)  # the host shares the GIL
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._run, name="bss2emu-embedded", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.server.serve_tcp(self._listener)
        finally:
            self._listener.close()

    @property
    def chip(self) -> Chip:
        """The emulated chip (for inspection in tests; hosts use the protocol)."""
        return self.server.chip

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving and wait for the server thread (idempotent)."""
        self.server.stop.set()
        self._thread.join(timeout)
