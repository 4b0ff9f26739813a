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
    limits = parser.add_argument_group("limits per program (a program over one is abandoned "
                                       "and its host told why)")
    limits.add_argument("--max-program-ms", type=float, default=1000.0,
                        help="emulated time from the program's start (default 1000 ms)")
    limits.add_argument("--max-response-mib", type=float, default=256.0,
                        help="responses sent back (default 256 MiB)")
    limits.add_argument("--max-wall-s", type=float, default=120.0,
                        help="wall time spent emulating it (default 120 s)")
    parser.add_argument("--idle-timeout-s", type=float, default=600.0,
                        help="disconnect a host that sends nothing for this long (default 600)")
    parser.add_argument("--log-level", default="info",
                        choices=["debug", "info", "warning", "error"],
                        help="info (default): connections and abandoned programs; debug: one "
                             "line per program")


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
    from bss2emu.chipsim.fpga import Limits

    if args.seed < 0:
        raise UserError("--seed must be >= 0")
    for flag in ("max_program_ms", "max_response_mib", "max_wall_s", "idle_timeout_s"):
        value = getattr(args, flag)
        if not 0 < value < float("inf"):
            raise UserError(f"--{flag.replace('_', '-')} must be a positive number, got {value}")
    limits = Limits(program_ms=args.max_program_ms, response_mib=args.max_response_mib,
                    wall_s=args.max_wall_s)
    server = DeviceServer(seed=args.seed, limits=limits, idle_timeout=args.idle_timeout_s)
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
