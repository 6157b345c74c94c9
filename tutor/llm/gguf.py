"""Reading a GGUF file's metadata header, to check that the file is the model its pins say.

Only the key-value header is read (arrays such as the 150k-token vocabulary are skipped
by length), so checking a 1 GB model costs milliseconds.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

if TYPE_CHECKING:
    from tutor.llm.packaged_models import PackagedModel


class GGUFArray(NamedTuple):
    """An array value, summarised: its element type code and length (vocabularies run to 150k)."""

    element_type: int
    length: int


_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9


def _read(fh: BinaryIO, fmt: str) -> Any:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise ValueError("truncated GGUF header")
    return struct.unpack(fmt, data)[0]


def _read_string(fh: BinaryIO) -> str:
    length = _read(fh, "<Q")
    return fh.read(length).decode("utf-8", errors="replace")


def _read_value(fh: BinaryIO, kind: int) -> Any:
    if kind in _SCALARS:
        return _read(fh, _SCALARS[kind])
    if kind == _STRING:
        return _read_string(fh)
    if kind == _ARRAY:
        element, length = _read(fh, "<I"), _read(fh, "<Q")
        if element in _SCALARS:
            fh.seek(struct.calcsize(_SCALARS[element]) * length, os.SEEK_CUR)
        else:
            for _ in range(length):
                _read_value(fh, element)
        return GGUFArray(element, length)
    raise ValueError(f"unknown GGUF value type {kind}")


def read_gguf_metadata(path: Path) -> dict[str, Any]:
    """The key/value metadata of a GGUF (v2/v3) file; arrays are summarised as :class:`GGUFArray`."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file")
        version = _read(fh, "<I")
        if version < 2:
            raise ValueError(f"GGUF version {version} is not supported")
        tensor_count, kv_count = _read(fh, "<Q"), _read(fh, "<Q")
        metadata: dict[str, Any] = {"GGUF.version": version, "GGUF.tensor_count": tensor_count}
        for _ in range(kv_count):
            key = _read_string(fh)
            metadata[key] = _read_value(fh, _read(fh, "<I"))
    return metadata


def check_gguf_metadata(model: PackagedModel, path: Path) -> list[str]:
    """Differences between the file's metadata and what the registry expects (empty when it matches)."""
    metadata = read_gguf_metadata(path)
    problems = [
        f"{key}: {metadata.get(key)!r}, expected {expected!r}"
        for key, expected in model.gguf.items()
        if metadata.get(key) != expected
    ]
    template = metadata.get("tokenizer.chat_template")
    if not isinstance(template, str) or "<|im_start|>" not in template:
        problems.append("tokenizer.chat_template: missing or not ChatML")
    return problems
