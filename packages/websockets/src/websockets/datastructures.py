"""Re-export of :mod:`ws_http.datastructures`."""

from __future__ import annotations

from ws_http.datastructures import (
    Headers as Headers,
    HeadersLike as HeadersLike,
    MultipleValuesError as MultipleValuesError,
    SupportsKeysAndGetItem as SupportsKeysAndGetItem,
    is_valid_header_value as is_valid_header_value,
)


__all__ = [
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
]
