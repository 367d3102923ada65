"""Re-export of :mod:`ws_frames.frames`."""

from __future__ import annotations

from ws_frames.frames import (
    BINARY as BINARY,
    CLOSE as CLOSE,
    CLOSE_CODE_EXPLANATIONS as CLOSE_CODE_EXPLANATIONS,
    CONT as CONT,
    CTRL_OPCODES as CTRL_OPCODES,
    DATA_OPCODES as DATA_OPCODES,
    EXTERNAL_CLOSE_CODES as EXTERNAL_CLOSE_CODES,
    OK_CLOSE_CODES as OK_CLOSE_CODES,
    PING as PING,
    PONG as PONG,
    TEXT as TEXT,
    Close as Close,
    CloseCode as CloseCode,
    Frame as Frame,
    Opcode as Opcode,
    is_utf8_fragment as is_utf8_fragment,
)


__all__ = [
    "Close",
    "CloseCode",
    "Frame",
    "Opcode",
]
