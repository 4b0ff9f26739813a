"""`bss2emu serve`: run the device server (emulated FPGA + chip) for one host at a time, on
TCP (--listen HOST:PORT, port 0 picks a free one) or on a pseudo-terminal (--pty). Prints
where hosts connect (`socket://HOST:PORT` or the pty path) on stdout, then logs one line per
program. Stops on Ctrl-C / SIGTERM.
"""
from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading

from bss2emu.tools.cli import UserError

HELP = "serve the emulated chip to one host at a time over TCP or a pty"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the subcommand."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:0",
                       help="TCP address to listen on (default 127.0.0.1:0 = free port)")
    where.add_argument("--pty", action="store_true", help="serve on a new pseudo-terminal")
    parser.add_argument("--seed", type=int, default=0, help="chip seed (its identity)")
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"])


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UserError(f"--listen wants HOST:PORT, got {text!r}")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from bss2emu.chipsim.server import DeviceServer  # imported lazily: `bss2emu --help` stays fast

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.seed < 0:
        raise UserError("--seed must be >= 0")
    server = DeviceServer(seed=args.seed)
    signal.signal(signal.SIGTERM, lambda *_: server.stop.set())
    if args.pty:
        master, _slave, path = server.open_pty()
        print(path, flush=True)
        target, target_args = server.serve_pty, (master,)
    else:
        try:
            listener = socket.create_server(_address(args.listen))
        except OSError as err:
            raise UserError(f"cannot listen on {args.listen}: {err}") from err
        host, port = listener.getsockname()[:2]
        print(f"socket://{host}:{port}", flush=True)
        target, target_args = server.serve_tcp, (listener,)
    thread = threading.Thread(target=target, args=target_args, daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        server.stop.set()
        thread.join(5)
    return 0
