"""Conformance options: `--device URL` runs the word-level conformance checks against a device
server (any `bss2emu.host.connection.connect` URL, e.g. socket://127.0.0.1:PORT from
`bss2emu serve --listen 127.0.0.1:PORT`) instead of an embedded emulator."""
from __future__ import annotations

import pytest
from bss2emu.host.connection import connect


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--device", default=None, metavar="URL",
                     help="device server for the conformance word checks "
                          "(default: an embedded emulator)")


@pytest.fixture(scope="session")
def device_url(request: pytest.FixtureRequest) -> str | None:
    """The --device URL, or None for the embedded emulator."""
    return request.config.getoption("device", default=None)


@pytest.fixture(scope="session")
def device(device_url):
    """One connection for the session: the --device server, or an embedded emulator."""
    with connect(device_url) as conn:
        yield conn
