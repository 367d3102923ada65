"""Hypothesis strategies for HTTP grammar elements, fast to generate."""

from __future__ import annotations

import string

from hypothesis import strategies as st


TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
VCHARS = "".join(map(chr, range(0x21, 0x7F)))

tokens = st.text(TOKEN_CHARS, min_size=1, max_size=16)
"""RFC 7230 tokens."""

field_values = st.text(VCHARS + " ", max_size=30).map(lambda value: value.strip(" "))
"""Header values without leading or trailing whitespace."""

raw_field_values = st.text("\t" + VCHARS + " " + "".join(map(chr, range(0x80, 0x100))))
"""Anything that may be set as a header value, as parsed from the network."""

paths = st.text(VCHARS, max_size=30).map(lambda path: "/" + path)
"""Request targets in origin form."""

reason_phrases = st.text(VCHARS + " ", max_size=30)
"""Reason phrases of status lines."""
