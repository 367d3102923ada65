"""Non-ASCII header values between uvicorn and its clients.

ASGI hands header values to the application as bytes, and Starlette reads them
as ISO-8859-1. websockets 17.0 reads and writes header values in ISO-8859-1:
the sans-I/O server turns ``caf\\xe9`` on the wire into ``"café"`` and writes
``"café"`` as ``caf\\xe9``; its client does the same. Its legacy server is
older: it refuses a request with a non-ASCII header value (closing without a
response) and writes response header values in UTF-8. The expected values
below are what websockets 17.0 does under the same uvicorn, clients included.

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
ACCENT_WIRE = {SANSIO: ACCENT.encode("iso-8859-1"), LEGACY: ACCENT.encode("utf-8")}

SERVER_DECODES = (
    "the sans-I/O server decodes header values as ASCII with surrogate escapes, "
    "not ISO-8859-1: uvicorn cannot encode them for ASGI and drops the connection"
)
SERVER_ENCODES = "the sans-I/O server encodes header values in UTF-8, not ISO-8859-1"
CLIENT_ENCODES = "our client encodes header values in UTF-8, not ISO-8859-1"
CLIENT_DECODES = (
    "our client decodes header values as ASCII with surrogate escapes, not ISO-8859-1"
)
LEGACY_ACCEPTS = (
    "the legacy server accepts non-ASCII header values (as surrogate escapes) "
    "where 17.0 refuses the request: uvicorn cannot encode them and answers 500"
)


def case(client: str, impl: str, *reasons: str) -> object:
    marks = [pytest.mark.xfail(strict=True, reason="; ".join(reasons))]
    return pytest.param(client, impl, marks=marks if reasons else [])


@pytest.mark.parametrize(
    "client, impl",
    [
        case("raw", SANSIO, SERVER_DECODES),
        case("ours", SANSIO, CLIENT_ENCODES, SERVER_DECODES),
        case("node", SANSIO, SERVER_DECODES),
    ],
)
def test_request_header_reaches_the_application(
    server: Uvicorn, run: Runner, key: str
) -> None:
    visit = Visit(f"/echo?id={key}", headers=[("X-Name", ACCENT)])
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    assert server.recorder.wait(key).header("x-name") == [ACCENT]


@pytest.mark.parametrize("client, impl", [case("raw", SANSIO, SERVER_DECODES)])
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
        case("raw", LEGACY, LEGACY_ACCEPTS),
        case("ours", LEGACY, LEGACY_ACCEPTS),
        case("node", LEGACY, LEGACY_ACCEPTS),
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
        case("raw", SANSIO, SERVER_ENCODES),
        case("raw", LEGACY),
        case("ours", SANSIO, SERVER_ENCODES, CLIENT_DECODES),
        case("ours", LEGACY, CLIENT_DECODES),
        case("node", SANSIO, SERVER_ENCODES),
        case("node", LEGACY),
    ],
)
def test_response_header(server: Uvicorn, run: Runner, key: str) -> None:
    visit = Visit(f"/accent?id={key}")
    outcome = run(server.url(visit.path), visit)
    assert outcome.status == 101, outcome.describe() + server.errors()
    # Every client reads ISO-8859-1: the raw socket's value is the wire's bytes.
    assert outcome.headers["x-name"] == ACCENT_WIRE[server.ws].decode("iso-8859-1")
