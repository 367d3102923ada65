from __future__ import annotations

from hypothesis import given, settings, strategies as st
from werkzeug.routing import Map, Rule

from ws_http.routing import RouteMatch, RouteRedirect, mark_websocket_rules, match_route


def room() -> None:
    """Endpoint of the rules below."""


def make_url_map() -> Map:
    url_map = Map(
        [
            Rule("/rooms/<name>", endpoint=room),
            Rule("/lobby/", endpoint=room),
            Rule("/count/<int:number>", endpoint=room),
        ]
    )
    mark_websocket_rules(url_map)
    return url_map


def test_mark_websocket_rules() -> None:
    url_map = Map([Rule("/a", endpoint=room), Rule("/b", endpoint=room)])
    mark_websocket_rules(url_map)
    assert all(rule.websocket for rule in url_map.iter_rules())


def test_match_route() -> None:
    match = match_route(make_url_map(), "example.com", "ws", "/rooms/chat?x=1")
    assert match == RouteMatch(room, {"name": "chat"})


def test_match_route_converter() -> None:
    match = match_route(make_url_map(), "example.com", "ws", "/count/42")
    assert match == RouteMatch(room, {"number": 42})


def test_match_route_redirect() -> None:
    match = match_route(make_url_map(), "example.com:8765", "wss", "/lobby")
    assert match == RouteRedirect("wss://example.com:8765/lobby/")


def test_match_route_not_found() -> None:
    assert match_route(make_url_map(), "example.com", "ws", "/nowhere") is None
    assert match_route(make_url_map(), "example.com", "ws", "/count/x") is None


@settings(max_examples=50)
@given(st.text(alphabet="abc/?=&%-_.", max_size=30))
def test_match_route_any_path(path: str) -> None:
    result = match_route(make_url_map(), "example.com", "ws", "/" + path)
    assert result is None or isinstance(result, (RouteMatch, RouteRedirect))
