"""
:class:`Headers`, a case-insensitive multi-dict for HTTP headers.

"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol, Union, cast


__all__ = [
    "Headers",
    "HeadersLike",
    "MultipleValuesError",
]


class MultipleValuesError(LookupError):
    """
    Exception raised when :class:`Headers` has multiple values for a key.

    """

    def __str__(self) -> str:
        # Implement the same logic as KeyError_str in Objects/exceptions.c.
        if len(self.args) == 1:
            return repr(self.args[0])
        return super().__str__()


# RFC 7230 section 3.2.6: field names are tokens.
_token_re = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")

# RFC 7230 section 3.2: field-content is made of VCHAR, obs-text, SP and HTAB.
# Characters above U+00FF are accepted because they're sent as UTF-8, which
# only produces bytes in the obs-text range; control characters, CR and LF
# above all, are refused because they could inject headers.
_field_value_re = re.compile(r"[\t\x20-\x7e\x80-\U0010ffff]*")

is_valid_header_value = _field_value_re.fullmatch
"""Tell whether a string may be sent as the value of an HTTP header."""


class Headers(MutableMapping[str, str]):
    """
    Efficient data structure for manipulating HTTP headers.

    A :class:`list` of ``(name, values)`` is inefficient for lookups.

    A :class:`dict` doesn't suffice because header names are case-insensitive
    and multiple occurrences of headers with the same name are possible.

    :class:`Headers` stores HTTP headers in a hybrid data structure to provide
    efficient insertions and lookups while preserving the original data.

    In order to account for multiple values with minimal hassle,
    :class:`Headers` follows this logic:

    - When getting a header with ``headers[name]``:
        - if there's no value, :exc:`KeyError` is raised;
        - if there's exactly one value, it's returned;
        - if there's more than one value, :exc:`MultipleValuesError` is raised.

    - When setting a header with ``headers[name] = value``, the value is
      appended to the list of values for that header.

    - When deleting a header with ``del headers[name]``, all values for that
      header are removed (this is slow).

    Other methods for manipulating headers are consistent with this logic.

    As long as no header occurs multiple times, :class:`Headers` behaves like
    :class:`dict`, except keys are lower-cased to provide case-insensitivity.

    Two methods support manipulating multiple values explicitly:

    - :meth:`get_all` returns a list of all values for a header;
    - :meth:`raw_items` returns an iterator of ``(name, values)`` pairs.

    Setting a header checks that its name is a token and that its value
    contains no control characters, so that no header can be injected;
    :meth:`set_insecure` skips these checks.

    """

    __slots__ = ["_dict", "_list"]

    # Like dict, Headers accepts an optional "mapping or iterable" argument.
    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        self._dict: dict[str, list[str]] = {}
        self._list: list[tuple[str, str]] = []
        self.update(*args, **kwargs)

    def __str__(self) -> str:
        return "".join(f"{key}: {value}\r\n" for key, value in self._list) + "\r\n"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._list!r})"

    def copy(self) -> Headers:
        """Return an independent copy of these headers."""
        copy = self.__class__()
        copy._dict = {key: list(values) for key, values in self._dict.items()}
        copy._list = list(self._list)
        return copy

    def serialize(self) -> bytes:
        """
        Return the header block of an HTTP message, ending with an empty line.

        """
        # surrogateescape restores the bytes of values parsed from the network
        # that weren't ASCII.
        return str(self).encode("utf-8", "surrogateescape")

    # Collection methods

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    # MutableMapping methods

    def __getitem__(self, key: str) -> str:
        values = self._dict[key.lower()]
        if len(values) == 1:
            return values[0]
        raise MultipleValuesError(key)

    def __setitem__(self, key: str, value: str) -> None:
        if not isinstance(key, str) or _token_re.fullmatch(key) is None:
            raise ValueError(f"invalid header name: {key!r}")
        if not isinstance(value, str) or _field_value_re.fullmatch(value) is None:
            raise ValueError(f"invalid value for header {key}: {value!r}")
        self.set_insecure(key, value)

    def set_insecure(self, key: str, value: str) -> None:
        """
        Add a header without checking its name and value.

        Only use this when the name and value are known to be valid, for
        example because they were just parsed: a CR or LF in either would
        inject headers in the serialized message.

        """
        self._dict.setdefault(key.lower(), []).append(value)
        self._list.append((key, value))

    def __delitem__(self, key: str) -> None:
        lower = key.lower()
        del self._dict[lower]
        # This is inefficient. Fortunately deleting HTTP headers is uncommon.
        self._list = [(k, v) for k, v in self._list if k.lower() != lower]

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._dict == other._dict

    def clear(self) -> None:
        """
        Remove all headers.

        """
        self._dict = {}
        self._list = []

    def update(self, *args: HeadersLike, **kwargs: str) -> None:
        """
        Update from a :class:`Headers` instance and/or keyword arguments.

        Each positional argument may be a :class:`Headers` instance, a
        mapping, an object with ``keys()`` and ``__getitem__``, or an iterable
        of ``(name, value)`` pairs; values are added, never replaced.

        """
        for arg in args:
            if isinstance(arg, Headers):
                for key, value in arg._list:
                    self[key] = value
            elif isinstance(arg, Mapping) or hasattr(arg, "keys"):
                mapping = cast(SupportsKeysAndGetItem, arg)
                for key in mapping.keys():
                    self[key] = mapping[key]
            else:
                for key, value in arg:
                    self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    # Methods for handling multiple values

    def get_all(self, key: str) -> list[str]:
        """
        Return the (possibly empty) list of all values for a header.

        Args:
            key: Header name.

        """
        return list(self._dict.get(key.lower(), ()))

    def raw_items(self) -> Iterator[tuple[str, str]]:
        """
        Return an iterator of all values as ``(name, value)`` pairs.

        """
        return iter(self._list)


class SupportsKeysAndGetItem(Protocol):
    """
    Dict-like types with ``keys() -> str`` and ``__getitem__(key: str) -> str``.

    """

    def keys(self) -> Iterable[str]: ...

    def __getitem__(self, key: str) -> str: ...


HeadersLike = Union[
    Headers,
    Mapping[str, str],
    Iterable[tuple[str, str]],
    SupportsKeysAndGetItem,
]
"""
Types accepted where :class:`Headers` is expected.

In addition to :class:`Headers` itself, this includes dict-like types where
both keys and values are :class:`str`.

"""
