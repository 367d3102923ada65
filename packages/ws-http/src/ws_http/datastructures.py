"""
HTTP header fields as a case-insensitive mapping that also keeps every value.

"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol, TypeVar, Union, overload

from ws_frames.exceptions import InvalidHeaderValue


__all__ = [
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
]

_T = TypeVar("_T")


class MultipleValuesError(LookupError):
    """
    A header that occurs more than once was read as if it had one value.

    Use :meth:`Headers.get_all` to read such a header.

    """

    def __str__(self) -> str:
        # Show the name as KeyError does: quoted, not bare.
        if len(self.args) == 1:
            return repr(self.args[0])
        return super().__str__()


# RFC 7230 section 3.2: a field name is a token.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# RFC 7230 section 3.2: a field value holds HTAB, SP, VCHAR and obs-text.
# Values are text in ISO-8859-1, one character per byte on the wire, so
# obs-text is U+0080 to U+00FF. Control characters, CR and LF first among
# them, are refused: they would let a value smuggle in another header.
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


# The headers of the opening handshake and of common error responses. Each
# spelling here maps to one shared string in lower case: a server with many
# connections keeps one copy of these names, not one per connection, and
# finding them in this table is faster than lowering them.
_COMMON_NAMES = [
    "Authorization",
    "Connection",
    "Content-Length",
    "Content-Type",
    "Date",
    "Host",
    "Origin",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Version",
    "Server",
    "Upgrade",
    "User-Agent",
]
_FOLDED = {
    spelling: folded
    for name in _COMMON_NAMES
    for folded in [name.lower()]
    for spelling in [name, folded]
}


def is_valid_header_value(value: str) -> bool:
    """Tell whether ``value`` can be sent as it is in an HTTP header."""
    return _VALUE.fullmatch(value) is not None


class Headers(MutableMapping[str, str]):
    """
    HTTP header fields, looked up by name without regard to case.

    A header may occur several times; each occurrence is kept, in order, with
    its name spelled as it was given. As a mapping, :class:`Headers` sees one
    key per name, in lower case:

    * ``headers[name]`` returns the value of a header that occurs once; it
      raises :exc:`KeyError` when the header is absent and
      :exc:`MultipleValuesError` when it occurs more than once;
    * ``headers[name] = value`` adds an occurrence; it never replaces one;
    * ``del headers[name]`` removes every occurrence.

    :meth:`get_all` returns every value of a header and :meth:`raw_items`
    every ``(name, value)`` pair as given.

    Values are ISO-8859-1 text, as HTTP/1.1 carries them: each byte of a
    value read from the network is one character, from U+0000 to U+00FF, and
    :meth:`serialize` writes each character back as one byte. A value that a
    peer sent in UTF-8 is recovered with
    ``value.encode("iso-8859-1").decode("utf-8")``.

    Adding a header checks that the name is a token and that the value is
    ISO-8859-1 without control characters, so that nothing can be injected
    in the serialized message; :meth:`set_insecure` skips these checks.

    Raises:
        TypeError: If more than one positional argument is given.

    """

    # A server keeps the headers of the opening handshake of every connection
    # for as long as it's open: they're stored once, compactly. _fields maps
    # each name, in lower case, to its value, or to the list of its values
    # when it occurs more than once; _names holds the names as given, one per
    # occurrence, in order, which is all that raw_items() needs besides.
    __slots__ = ["_fields", "_names"]

    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        self._fields: dict[str, str | list[str]] = {}
        self._names: list[str] = []
        if args or kwargs:
            self.update(*args, **kwargs)

    # Reading.

    def __getitem__(self, key: str) -> str:
        value = self._fields[_FOLDED.get(key) or key.lower()]
        if isinstance(value, list):
            raise MultipleValuesError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return (
            isinstance(key, str) and (_FOLDED.get(key) or key.lower()) in self._fields
        )

    def __len__(self) -> int:
        return len(self._fields)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    # get() and setdefault() would work as MutableMapping writes them, but
    # they'd raise and catch KeyError for a header that's absent, which is
    # slow, and the opening handshake looks for a few absent headers.

    @overload
    def get(self, key: str) -> str | None: ...

    @overload
    def get(self, key: str, default: str | _T) -> str | _T: ...

    def get(self, key: str, default: object = None) -> object:
        """
        Return the value of a header that occurs once; ``default`` when it's
        absent.

        Raises:
            MultipleValuesError: If the header occurs more than once.

        """
        value = self._fields.get(_FOLDED.get(key) or key.lower())
        if value is None:
            return default
        if isinstance(value, list):
            raise MultipleValuesError(key)
        return value

    def setdefault(self, key: str, default: str) -> str:
        """
        Return the value of a header that occurs once; add it with the value
        ``default`` when it's absent.

        Raises:
            MultipleValuesError: If the header occurs more than once.

        """
        value = self.get(key)
        if value is None:
            self[key] = value = default
        return value

    def get_all(self, key: str) -> list[str]:
        """
        Return every value of a header, in order; an empty list when it's absent.

        Args:
            key: Header name, in any case.

        """
        value = self._fields.get(_FOLDED.get(key) or key.lower())
        if value is None:
            return []
        return value[:] if isinstance(value, list) else [value]

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """Return every ``(name, value)`` pair, in order, names as given."""
        fields = self._fields
        # How many values of each repeated header were returned so far.
        returned: dict[str, int] = {}
        for name in self._names:
            folded = _FOLDED.get(name) or name.lower()
            value = fields[folded]
            if isinstance(value, list):
                index = returned.get(folded, 0)
                returned[folded] = index + 1
                yield name, value[index]
            else:
                yield name, value

    # Writing.

    def __setitem__(self, key: str, value: str) -> None:
        if not (isinstance(key, str) and isinstance(value, str)):
            kinds = f"{type(key).__name__}, {type(value).__name__}"
            raise TypeError(f"header name and value must be str, not {kinds}")
        if _NAME.fullmatch(key) is None:
            raise ValueError(f"invalid header name: {key!r}")
        if _VALUE.fullmatch(value) is None:
            raise InvalidHeaderValue(key, value)
        self.set_insecure(key, value)

    def set_insecure(self, key: str, value: str) -> None:
        """
        Add a header without checking its name or its value.

        Only for a name and a value known to be valid, for instance because
        they were just parsed: a CR or a LF in either would inject headers.

        """
        folded = _FOLDED.get(key) or key.lower()
        fields = self._fields
        present = fields.get(folded)
        if present is None:
            fields[folded] = value
        elif isinstance(present, list):
            present.append(value)
        else:
            fields[folded] = [present, value]
        self._names.append(key)

    @classmethod
    def _from_valid_lines(
        cls, lines: Iterable[str], shared: Mapping[str, str]
    ) -> Headers:
        """
        Build headers from ``name: value`` lines known to be valid.

        ``shared`` maps common names and values to one string each, which the
        headers keep instead of their own copies.

        """
        headers = cls()
        for line in lines:
            name, _, value = line.partition(":")
            value = value.strip(" \t")
            headers.set_insecure(shared.get(name, name), shared.get(value, value))
        return headers

    def __delitem__(self, key: str) -> None:
        folded = key.lower()
        del self._fields[folded]
        self._names = [name for name in self._names if name.lower() != folded]

    def clear(self) -> None:
        """Remove every header."""
        self._fields = {}
        self._names = []

    def update(self, *args: HeadersLike, **kwargs: str) -> None:
        """
        Add the headers of the positional argument, then the keyword arguments.

        The argument is a :class:`Headers`, whose every occurrence is added, a
        mapping or an object with ``keys()`` and ``__getitem__``, or an
        iterable of ``(name, value)`` pairs. Values are added, never replaced.

        Raises:
            TypeError: If more than one positional argument is given, as
                :meth:`dict.update` does.
            InvalidHeaderValue: If a value isn't ISO-8859-1 text without
                control characters.

        """
        if len(args) > 1:
            raise TypeError(f"expected at most 1 positional argument, got {len(args)}")
        for arg in args:
            pairs: Iterable[tuple[str, str]]
            if isinstance(arg, Headers):
                # A list: the argument may be this very object.
                pairs = list(arg.raw_items())
            elif isinstance(arg, Mapping) or hasattr(arg, "keys"):
                pairs = [(key, arg[key]) for key in arg.keys()]  # type: ignore[index]
            else:
                pairs = arg
            for key, value in pairs:
                self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    # Whole header blocks.

    def copy(self) -> Headers:
        """Return a copy that changes independently of this one."""
        other = type(self)()
        other._fields = {
            key: value[:] if isinstance(value, list) else value
            for key, value in self._fields.items()
        }
        other._names = self._names[:]
        return other

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Headers):
            return self._fields == other._fields
        return NotImplemented

    def __str__(self) -> str:
        fields, names = self._fields, self._names
        # Without a repeated header, _fields has one value per name, in the
        # order of _names: the handshake's headers, serialized faster.
        pairs: Iterable[tuple[str, Any]] = (
            zip(names, fields.values(), strict=True)
            if len(fields) == len(names)
            else self.raw_items()
        )
        lines = [f"{name}: {value}\r\n" for name, value in pairs]
        lines.append("\r\n")
        return "".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.raw_items())!r})"

    def serialize(self) -> bytes:
        """Return the header block of an HTTP message, blank line included."""
        return str(self).encode("iso-8859-1")


class SupportsKeysAndGetItem(Protocol):
    """Any object with ``keys()`` and ``__getitem__``, with :class:`str` keys and values."""

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str) -> str: ...


HeadersLike = Union[
    Headers,
    Mapping[str, str],
    Iterable[tuple[str, str]],
    SupportsKeysAndGetItem,
]
"""
What may stand for :class:`Headers`: :class:`Headers` itself, a mapping or
a dict-like object with :class:`str` keys and values, or ``(name, value)`` pairs.

"""
