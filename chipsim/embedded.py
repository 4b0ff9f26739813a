"""The emulated device inside the host's interpreter: what `host.connect()` without a URL
starts. The host's link frames go straight into a device session and its response frames
come straight back, byte for byte what a TCP client exchanges with `bss2emu serve`, but with
no socket and no server thread: nothing waits for a thread switch or for the GIL, and the
device runs on the caller's thread while the host waits for its answer."""
from __future__ import annotations

from .chip import Chip
from .fpga import Executor, Limits
from .server import Session


class EmbeddedDevice:
    """One device session fed in-process: `feed(bytes)` returns the response bytes."""

    url = "embedded"

    def __init__(self, seed: int = 0, executor: Executor | None = None,
                 limits: Limits | None = None) -> None:
        self.executor = executor if executor is not None else Executor(Chip(seed=seed), limits)
        self.session: Session | None = Session(self.executor, "embedded host")

    @property
    def chip(self) -> Chip:
        """The emulated chip (for inspection in tests; hosts use the protocol)."""
        return self.executor.chip

    @property
    def closed(self) -> bool:
        """Whether `close()` has ended the session."""
        return self.session is None

    def feed(self, data: bytes) -> bytes:
        """Execute what the host sent; the bytes the device answers (b"" once closed)."""
        return self.session.feed(data) if self.session is not None else b""

    def close(self) -> None:
        """End the session: an unfinished program is abandoned, the chip keeps its state
        (idempotent)."""
        if self.session is not None:
            self.session.close()
            self.session = None
