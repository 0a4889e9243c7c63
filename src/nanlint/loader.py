"""Bytes to text: PEP 263 encodings, BOMs, and clear errors instead of crashes."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class LoadError:
    message: str
    line: int = 1
    col: int = 1


def decode_source(data: bytes) -> "str | LoadError":
    """Decode Python source as the interpreter would (coding cookie, BOM, UTF-8 default)."""
    if b"\x00" in data:
        return LoadError("file contains NUL bytes; it looks binary, not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError, ValueError) as error:
        return LoadError(f"cannot determine the file's encoding: {getattr(error, 'msg', None) or error}")
    try:
        text = data.decode(encoding)
    except (ValueError, LookupError, TypeError) as error:  # UnicodeError, or a codec that is no text encoding
        line, col = _error_position(data, error)
        return LoadError(f"file is not valid {encoding}: {_describe(error)}", line, col)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _describe(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError) and error.start < len(error.object):
        return f"byte 0x{error.object[error.start]:02x} cannot be decoded"
    return " ".join(str(error).split()) or type(error).__name__


def _error_position(data: bytes, error: Exception) -> "tuple[int, int]":
    start: Optional[int] = getattr(error, "start", None)
    if start is None:
        return 1, 1
    before = data[:start]
    line = before.count(b"\n") + 1
    col = start - (before.rfind(b"\n") + 1) + 1
    return line, col
