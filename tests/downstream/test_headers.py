"""Non-ASCII header values between uvicorn and its clients.

ASGI hands header values to the application as bytes, and Starlette reads them
as ISO-8859-1. websockets 17.0 reads and writes header values in ISO-8859-1:
the sans-I/O server turns ``caf\\xe9`` on the wire into ``"café"`` and writes
``"café"`` as ``caf\\xe9``; its client does the same. Its legacy server is
older: it refuses a request with a non-ASCII header value (closing without a
response) and writes response header values in UTF-8. The expected values
below are what websockets 17.0 does under the same uvicorn, clients included,
but for one deliberate difference: our legacy server writes response header
values in ISO-8859-1 too, so that the bytes an ASGI application sets are the
bytes on the wire.

Each client is run against each server: the raw socket shows the server alone,
Node's ``ws`` (which reads and writes ISO-8859-1) too, our client both sides.
"""

from __future__ import annotations

import pytest

from tests.downstream.app import ACCENT
from tests.downstream.clients import Visit
from tests.downstream.conftest import Runner
from tests.downstream.server import LEGACY_HANDLER_WARNING, Uvicorn


pytestmark = pytest.mark.filterwarnings(LEGACY_HANDLER_WARNING)

SANSIO, LEGACY = "websockets-sansio", "websockets"


# What the server of ``/accent`` puts on the wire for ``X-Name: café``.
@pytest.mark.parametrize(
    "client, impl",
    [
        ("raw", SANSIO),
        ("ours", SANSIO),
        ("node", SANSIO),
    ],
)
def test_request_header_reaches_the_application(
    server: Uvicorn, run: Runner, key: str
) -> None:
    visit = Visit(f"/echo?id={key}", headers=[("X-Name", ACCENT)])
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert server.recorder.wait(key).header("x-name") == [ACCENT]


@pytest.mark.parametrize("client, impl", [("raw", SANSIO)])
def test_request_header_in_utf8_reaches_the_application_as_iso_8859_1(
    server: Uvicorn, run: Runner, key: str
) -> None:
    # The bytes a client writing UTF-8 sends: the server doesn't guess.
    mojibake = ACCENT.encode("utf-8").decode("iso-8859-1")
    visit = Visit(f"/echo?id={key}", headers=[("X-Name", mojibake)])
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert server.recorder.wait(key).header("x-name") == [mojibake]


@pytest.mark.parametrize(
    "client, impl",
    [
        ("raw", LEGACY),
        ("ours", LEGACY),
        ("node", LEGACY),
    ],
)
def test_legacy_server_refuses_request_header(
    server: Uvicorn, run: Runner, key: str
) -> None:
    visit = Visit(f"/echo?id={key}", headers=[("X-Name", ACCENT)])
    outcome = run(server.url(visit.path), visit)
    # 17.0 closes the connection without a response; a 4xx would say more
    # and is fine too. A 5xx is not: the request is at fault.
    assert outcome.status is None or 400 <= outcome.status < 500, (
        outcome.describe() + server.errors()
    )
    assert server.recorder.get(key) is None


@pytest.mark.parametrize(
    "client, impl",
    [
        ("raw", SANSIO),
        ("raw", LEGACY),
        ("ours", SANSIO),
        ("ours", LEGACY),
        ("node", SANSIO),
        ("node", LEGACY),
    ],
)
def test_response_header(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/accent?id={key}")
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    # Every client reads ISO-8859-1: the raw socket's value is the wire's bytes.
    assert outcome.headers["x-name"] == ACCENT
