from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings, strategies as st

from ws_frames.exceptions import InvalidHeaderValue
from ws_http.auth import (
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    UNSUPPORTED_CREDENTIALS,
    credentials_checker,
    is_credentials,
    read_basic_credentials,
)
from ws_http.datastructures import Headers
from ws_http.headers import build_authorization_basic


def test_is_credentials() -> None:
    assert is_credentials(("a", "b"))
    assert is_credentials(["a", "b"])
    assert not is_credentials(("a", 1))
    assert not is_credentials("ab")
    assert not is_credentials(None)
    assert not is_credentials(("a", "b", "c"))


def test_credentials_checker_one_pair() -> None:
    check = credentials_checker(("hello", "iloveyou"))
    assert check("hello", "iloveyou")
    assert not check("hello", "ihateyou")
    assert not check("goodbye", "iloveyou")


def test_credentials_checker_several_pairs() -> None:
    check = credentials_checker([("hello", "iloveyou"), ("bye", "été")])
    assert check("hello", "iloveyou")
    assert check("bye", "été")
    assert not check("bye", "ete")
    assert not check("hello", "été")


@pytest.mark.parametrize("credentials", ["ab", 42, [("a", "b"), ("c",)], [("a", 1)]])
def test_credentials_checker_rejects_invalid_argument(credentials: object) -> None:
    with pytest.raises(TypeError, match="invalid credentials argument"):
        credentials_checker(credentials)  # type: ignore[arg-type]


@settings(max_examples=50)
@given(st.text(), st.text(), st.text(), st.text())
def test_credentials_checker_accepts_only_given_pair(
    username: str, password: str, other_username: str, other_password: str
) -> None:
    check = credentials_checker((username, password))
    assert check(username, password)
    assert check(other_username, other_password) == (
        (other_username, other_password) == (username, password)
    )


def test_read_basic_credentials() -> None:
    headers = Headers(Authorization=build_authorization_basic("hello", "iloveyou"))
    assert read_basic_credentials(headers) == ("hello", "iloveyou")


def test_read_basic_credentials_missing() -> None:
    assert read_basic_credentials(Headers()) == MISSING_CREDENTIALS


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer token",
        "Basic",
        "Basic !!!",
        "Basic " + base64.b64encode(b"nocolon").decode(),
    ],
)
def test_read_basic_credentials_unsupported(authorization: str) -> None:
    headers = Headers(Authorization=authorization)
    assert read_basic_credentials(headers) == UNSUPPORTED_CREDENTIALS


def test_invalid_credentials_text() -> None:
    assert INVALID_CREDENTIALS == "Invalid credentials\n"


@settings(max_examples=50)
@given(st.text(max_size=40))
def test_read_basic_credentials_garbage(authorization: str) -> None:
    headers = Headers()
    try:
        headers["Authorization"] = authorization
    except InvalidHeaderValue:
        return
    result = read_basic_credentials(headers)
    assert isinstance(result, (str, tuple))
    if isinstance(result, str):
        assert result == UNSUPPORTED_CREDENTIALS
