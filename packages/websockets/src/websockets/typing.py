"""Re-export of :mod:`ws_frames.typing`."""

from __future__ import annotations

from ws_frames.typing import *  # noqa: F403
from ws_frames.typing import (
    BytesLike as BytesLike,
    ConnectionOption as ConnectionOption,
    DataLike as DataLike,
    ExtensionHeader as ExtensionHeader,
    UpgradeProtocol as UpgradeProtocol,
    __all__ as __all__,
)
