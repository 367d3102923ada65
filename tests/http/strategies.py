"""Hypothesis strategies for HTTP grammar elements, fast to generate."""

from __future__ import annotations

import string

from hypothesis import strategies as st


TOKEN_CHARS = "!#$%&'*+-.^_`|~" + string.digits + string.ascii_letters
VCHARS = "".join(map(chr, range(0x21, 0x7F)))
# obs-text: the bytes 0x80 to 0xFF, as ISO-8859-1 characters.
OBS_TEXT = "".join(map(chr, range(0x80, 0x100)))

tokens = st.text(TOKEN_CHARS, min_size=1, max_size=16)
"""RFC 7230 tokens."""

field_values = st.text(VCHARS + OBS_TEXT + " ", max_size=30).map(
    lambda value: value.strip(" ")
)
"""Header values without leading or trailing whitespace."""

raw_field_values = st.text("\t" + VCHARS + " " + OBS_TEXT)
"""Anything that may be set as a header value, as parsed from the network."""

not_iso_8859_1 = st.characters(min_codepoint=0x100)
"""Characters that a header cannot carry."""

control_characters = st.sampled_from(
    [chr(code) for code in [*range(0x20), 0x7F] if code != 0x09]
)
"""Characters that would break a header line, CR and LF among them."""

paths = st.text(VCHARS, max_size=30).map(lambda path: "/" + path)
"""Request targets in origin form."""

reason_phrases = st.text(VCHARS + OBS_TEXT + " ", max_size=30)
"""Reason phrases of status lines."""
