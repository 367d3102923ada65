"""
Matching of WebSocket request paths against a werkzeug URL map, shared by the
asyncio and threading routers.

werkzeug is imported only when a request is matched, so that importing this
module doesn't require it.

"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from werkzeug.routing import Map


__all__ = ["RouteMatch", "RouteRedirect", "mark_websocket_rules", "match_route"]


@dataclasses.dataclass(frozen=True)
class RouteMatch:
    """
    A rule matched the path.

    Attributes:
        endpoint: Endpoint of the rule, a connection handler.
        arguments: Values that the rule captured in the path.

    """

    endpoint: Any
    arguments: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RouteRedirect:
    """
    A rule matches another URL, for instance with a trailing slash.

    Attributes:
        url: URL to redirect the client to.

    """

    url: str


def mark_websocket_rules(url_map: Map) -> None:
    """Make every rule of ``url_map`` match WebSocket requests only."""
    for rule in url_map.iter_rules():
        rule.websocket = True


def match_route(
    url_map: Map,
    server_name: str,
    url_scheme: str,
    path: str,
) -> RouteMatch | RouteRedirect | None:
    """
    Match the request target ``path`` against ``url_map``.

    Args:
        url_map: Rules mapping paths to endpoints.
        server_name: Host that the rules are matched against, and that
            redirect URLs point to.
        url_scheme: ``ws`` or ``wss``, for redirect URLs.
        path: Request target: path and query string.

    Returns:
        The match, a redirect, or :obj:`None` when no rule matches.

    """
    from werkzeug.exceptions import NotFound
    from werkzeug.routing import RequestRedirect

    url_map_adapter = url_map.bind(server_name=server_name, url_scheme=url_scheme)
    try:
        parsed = urllib.parse.urlparse(path)
        endpoint, arguments = url_map_adapter.match(
            path_info=parsed.path,
            query_args=parsed.query,
        )
    except RequestRedirect as redirect:
        return RouteRedirect(redirect.new_url)
    except NotFound:
        return None
    return RouteMatch(endpoint, dict(arguments))
