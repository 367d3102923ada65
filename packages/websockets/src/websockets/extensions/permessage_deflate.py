"""Re-export of :mod:`ws_deflate.permessage_deflate`."""

from __future__ import annotations

from ws_deflate.permessage_deflate import (
    ClientPerMessageDeflateFactory as ClientPerMessageDeflateFactory,
    PerMessageDeflate as PerMessageDeflate,
    ServerPerMessageDeflateFactory as ServerPerMessageDeflateFactory,
    enable_client_permessage_deflate as enable_client_permessage_deflate,
    enable_server_permessage_deflate as enable_server_permessage_deflate,
)


__all__ = [
    "ClientPerMessageDeflateFactory",
    "enable_client_permessage_deflate",
    "enable_server_permessage_deflate",
    "PerMessageDeflate",
    "ServerPerMessageDeflateFactory",
]
