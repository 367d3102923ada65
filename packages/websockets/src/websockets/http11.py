"""
:mod:`ws_http.http11` under its ``websockets`` name.

Importing this module also gives :class:`Request` and :class:`Response` the
``exception`` property that websockets 10.3 deprecated. Every module of this
package that hands out requests or responses imports it.

"""

from __future__ import annotations

import warnings

from ws_http.http11 import (
    MAX_BODY_SIZE as MAX_BODY_SIZE,
    MAX_LINE_LENGTH as MAX_LINE_LENGTH,
    MAX_NUM_HEADERS as MAX_NUM_HEADERS,
    PYTHON_VERSION as PYTHON_VERSION,
    SERVER as SERVER,
    USER_AGENT as USER_AGENT,
    Request as Request,
    Response as Response,
)


__all__ = ["Request", "Response", "SERVER", "USER_AGENT"]


def _deprecated_exception(owner: str, replacement: str) -> property:
    def exception(self: Request | Response) -> Exception | None:
        # deprecated in websockets 10.3 - 2022-04-17
        warnings.warn(
            f"{owner}.exception is deprecated; use {replacement}.handshake_exc instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._exception

    exception.__doc__ = f"Deprecated: see ``{replacement}.handshake_exc``."
    return property(exception)


# The classes are those of ws_http, which has no deprecated members: adding
# the property to them reaches the instances that the protocols create too.
# Python imports this module once, so it's added once.
for _cls, _replacement in [(Request, "ServerProtocol"), (Response, "ClientProtocol")]:
    _property = _deprecated_exception(_cls.__name__, _replacement)
    setattr(_cls, "exception", _property)  # noqa: B010
