"""Re-export of :mod:`ws_asyncio.legacy.framing`."""

from __future__ import annotations

from ws_asyncio.legacy.framing import (
    BytesLike as BytesLike,
    Close as Close,
    DataLike as DataLike,
    Frame as Frame,
    PayloadTooBig as PayloadTooBig,
    ProtocolError as ProtocolError,
    apply_mask as apply_mask,
    encode_data as encode_data,
    parse_close as parse_close,
    prepare_ctrl as prepare_ctrl,
    prepare_data as prepare_data,
    serialize_close as serialize_close,
)
