"""
WebSocket framing and the sans-I/O data-transfer state machine (RFC 6455).

This package has no dependencies and does no I/O: feed it bytes, get events;
ask it to send, get bytes.

"""

from __future__ import annotations


__version__ = "0.1.0"
