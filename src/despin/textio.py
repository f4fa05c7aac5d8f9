"""Decoding untrusted bytes into text, with the one set of rules every interface shares."""

from __future__ import annotations

from despin.errors import InputError

# The most characters any verb accepts: 5M characters is about 2,000 news articles.
MAX_CHARS = 5_000_000


def decode_text(data: bytes, *, name: str = "input", max_bytes: int) -> str:
    """Decode ``data`` as UTF-8; reject binary, invalid UTF-8, oversized and blank input clearly.

    Example:
        >>> decode_text(b"halo", max_bytes=10)
        'halo'
        >>> decode_text(b"\\xff\\xfe", name="x.txt", max_bytes=10)
        Traceback (most recent call last):
        ...
        despin.errors.InputError: x.txt: not valid UTF-8 (byte 0xff at offset 0)
    """
    if len(data) > max_bytes:
        raise InputError(f"{name}: larger than the {max_bytes:,}-byte limit")
    if b"\x00" in data[:8192] and data.count(b"\x00") > len(data) // 100:
        raise InputError(f"{name}: looks binary (contains NUL bytes), expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    return check_text(text, name=name)


def check_text(text: object, *, name: str = "input", max_chars: int | None = None) -> str:
    """Validate a text value from any interface: a non-blank ``str`` of valid Unicode within ``max_chars``.

    A lone surrogate (``"\\ud800"``, which ``json.loads`` and Python string literals let through) is
    not Unicode text: it cannot be encoded as UTF-8, so the LM and the index could not take it.

    Example:
        >>> check_text("a\\ud800b", name="x")
        Traceback (most recent call last):
        ...
        despin.errors.InputError: x: unpaired surrogate '\\ud800' at character 1; send valid Unicode
    """
    if not isinstance(text, str):
        raise InputError(f"{name}: text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{name}: text is empty")
    if max_chars is not None and len(text) > max_chars:
        raise InputError(f"{name}: text has {len(text):,} characters, over the {max_chars:,} limit")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"{name}: unpaired surrogate {text[exc.start]!r} at character {exc.start}; send valid Unicode"
        ) from None
    return text
