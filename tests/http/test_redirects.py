from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidStatus, SecurityError
from ws_http.datastructures import Headers
from ws_http.http11 import Response
from ws_http.redirects import (
    CREDENTIAL_HEADERS,
    REDIRECT_STATUSES,
    process_redirect,
    same_origin,
    without_credentials,
)
from ws_http.uri import parse_uri


def redirect(location: str | None, status: int = 302) -> InvalidStatus:
    headers = Headers() if location is None else Headers(Location=location)
    return InvalidStatus(Response(status, "Found", headers))


def follow(
    exc: Exception,
    uri: str = "ws://example.com/",
    *,
    sock: bool = False,
    unix: bool = False,
) -> Exception | str:
    return process_redirect(exc, uri, sock=sock, unix=unix)


def test_same_origin() -> None:
    assert same_origin(parse_uri("ws://a/x"), parse_uri("ws://a:80/y"))
    assert not same_origin(parse_uri("ws://a/"), parse_uri("wss://a/"))
    assert not same_origin(parse_uri("ws://a/"), parse_uri("ws://b/"))
    assert not same_origin(parse_uri("ws://a/"), parse_uri("ws://a:81/"))


def test_without_credentials() -> None:
    assert without_credentials(None) is None
    headers = without_credentials(
        [
            ("Authorization", "Basic eDp5"),
            ("X-Kept", "1"),
            ("cookie", "a=b"),
            ("Proxy-Authorization", "Basic eDp5"),
            ("X-Kept", "2"),
        ]
    )
    assert headers is not None
    assert list(headers.raw_items()) == [("X-Kept", "1"), ("X-Kept", "2")]


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                ["Authorization", "cookie", "X-A", "x-b", "PROXY-AUTHORIZATION"]
            ),
            st.text(alphabet="abc =", max_size=5),
        )
    )
)
def test_without_credentials_keeps_other_headers(items: list[tuple[str, str]]) -> None:
    headers = without_credentials(items)
    assert headers is not None
    assert list(headers.raw_items()) == [
        (name, value) for name, value in items if name.lower() not in CREDENTIAL_HEADERS
    ]


def test_process_redirect_relative_location() -> None:
    assert follow(redirect("/new")) == "ws://example.com/new"


def test_process_redirect_absolute_location() -> None:
    assert follow(redirect("wss://other.example/x")) == "wss://other.example/x"


def test_process_redirect_not_a_redirect() -> None:
    other = ValueError("other")
    assert follow(other) is other
    exc = redirect("/new", status=304)
    assert follow(exc) is exc
    exc = redirect(None)
    assert follow(exc) is exc


def test_process_redirect_with_preexisting_socket() -> None:
    result = follow(redirect("/new"), sock=True)
    assert isinstance(result, ValueError)
    assert str(result) == (
        "cannot follow redirect to ws://example.com/new with a preexisting socket"
    )


def test_process_redirect_to_non_secure_uri() -> None:
    result = follow(redirect("ws://example.com/"), "wss://example.com/")
    assert isinstance(result, SecurityError)
    assert str(result) == "cannot follow redirect to non-secure URI ws://example.com/"


def test_process_redirect_unix() -> None:
    assert follow(redirect("/new"), unix=True) == "ws://example.com/new"
    result = follow(redirect("ws://other/"), unix=True)
    assert isinstance(result, ValueError)
    assert str(result) == (
        "cannot follow cross-origin redirect to ws://other/ with a Unix socket"
    )


@pytest.mark.parametrize("status", sorted(REDIRECT_STATUSES))
def test_process_redirect_statuses(status: int) -> None:
    assert follow(redirect("/new", status=status)) == "ws://example.com/new"
