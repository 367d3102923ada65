"""
HTTP header fields as a case-insensitive mapping that also keeps every value.

"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol, Union

from ws_frames.exceptions import InvalidHeaderValue


__all__ = [
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
]


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

    __slots__ = ["_by_name", "_pairs"]

    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        # Lower-case name -> values, for lookups; pairs as given, for output.
        self._by_name: dict[str, list[str]] = {}
        self._pairs: list[tuple[str, str]] = []
        self.update(*args, **kwargs)

    # Reading.

    def __getitem__(self, key: str) -> str:
        values = self._by_name[key.lower()]
        if len(values) > 1:
            raise MultipleValuesError(key)
        return values[0]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_name

    def __len__(self) -> int:
        return len(self._by_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def get_all(self, key: str) -> list[str]:
        """
        Return every value of a header, in order; an empty list when it's absent.

        Args:
            key: Header name, in any case.

        """
        return list(self._by_name.get(key.lower(), []))

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """Return every ``(name, value)`` pair, in order, names as given."""
        return iter(self._pairs)

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
        self._by_name.setdefault(key.lower(), []).append(value)
        self._pairs.append((key, value))

    def __delitem__(self, key: str) -> None:
        folded = key.lower()
        del self._by_name[folded]
        # Rebuilding the list is slow, but headers are rarely deleted.
        self._pairs = [pair for pair in self._pairs if pair[0].lower() != folded]

    def clear(self) -> None:
        """Remove every header."""
        self._by_name = {}
        self._pairs = []

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
                pairs = arg._pairs
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
        other._by_name = {key: values[:] for key, values in self._by_name.items()}
        other._pairs = self._pairs[:]
        return other

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Headers):
            return self._by_name == other._by_name
        return NotImplemented

    def __str__(self) -> str:
        lines = [f"{name}: {value}\r\n" for name, value in self._pairs]
        lines.append("\r\n")
        return "".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._pairs!r})"

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
