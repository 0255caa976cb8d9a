"""Read and write IDX files, the binary format MNIST ships in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
then one big-endian uint32 per dimension, then the elements in C order, big-endian. Files may be
gzip-compressed; compression is recognised by the gzip magic bytes, never by the file name.

    >>> images = read_idx("train-images-idx3-ubyte.gz")   # (60000, 28, 28) uint8
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from digit_recognizer.core.files import atomic_writer

__all__ = [
    "IdxError",
    "IdxHeader",
    "read_idx",
    "read_header",
    "write_idx",
    "atomic_writer",
    "DTYPES",
]

# Type code -> big-endian element dtype, as the format defines them.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_MAX_BYTES = np.iinfo(np.intp).max


class IdxError(ValueError):
    """A file is not a valid IDX file; the message names the file and the problem."""


class IdxHeader:
    """What an IDX header promises: the element type and the shape."""

    def __init__(self, dtype: np.dtype, shape: tuple[int, ...], offset: int) -> None:
        self.dtype = dtype
        self.shape = shape
        self.offset = offset  # where the data starts, in the (decompressed) stream

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=object)) * self.dtype.itemsize

    def __repr__(self) -> str:
        return f"IdxHeader(dtype={self.dtype.name}, shape={self.shape})"


def _parse_header(stream: BinaryIO, name: str) -> IdxHeader:
    magic = stream.read(4)
    if len(magic) < 4:
        raise IdxError(f"{name}: file too short for an IDX header ({len(magic)} bytes)")
    if magic[:2] != b"\x00\x00":
        raise IdxError(f"{name}: not an IDX file (magic bytes {magic.hex()})")
    code, ndim = magic[2], magic[3]
    if code not in DTYPES:
        raise IdxError(f"{name}: unknown IDX type code 0x{code:02X}")
    if ndim == 0:
        raise IdxError(f"{name}: IDX header declares zero dimensions")
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise IdxError(f"{name}: header truncated: {ndim} dimensions declared, header cut short")
    shape = tuple(int(d) for d in struct.unpack(f">{ndim}I", dims))
    # NumPy refuses a shape whose dimensions multiply past its index range even when one
    # of them is zero, so such a header can describe no array at all.
    if math.prod(max(d, 1) for d in shape) * DTYPES[code].itemsize > _MAX_BYTES:
        raise IdxError(f"{name}: header shape {shape} is too large for any array")
    return IdxHeader(DTYPES[code], shape, 4 + 4 * ndim)


def _open_checked(path: Path) -> BinaryIO:
    if path.is_dir():
        raise IdxError(f"{path}: is a directory, not an IDX file")
    try:
        return open(path, "rb")
    except OSError as err:
        raise IdxError(f"{path}: cannot be read ({err.strerror or err})") from err


def _is_gzip(fh: BinaryIO) -> bool:
    here = fh.tell()  # a file object may hold the IDX data after other bytes
    start = fh.read(2)
    fh.seek(here)
    return start == GZIP_MAGIC


def read_header(path: str | os.PathLike) -> IdxHeader:
    """Read only the header of an IDX file (plain or gzip)."""
    path = Path(path)
    with _open_checked(path) as fh:
        if _is_gzip(fh):
            with gzip.GzipFile(fileobj=fh) as gz:
                try:
                    return _parse_header(gz, str(path))
                except (OSError, EOFError, zlib.error) as err:
                    raise IdxError(f"{path}: corrupt gzip stream ({err})") from err
        return _parse_header(fh, str(path))


def read_idx(source: str | os.PathLike | BinaryIO, *, mmap: bool = True) -> np.ndarray:
    """Read an IDX file into an array of its own dtype (native byte order) and shape.

    ``source`` is a path or a binary file object. A plain file on disk is memory-mapped
    (read-only) when ``mmap`` is true; a gzip file is decompressed into memory. Raises
    ``IdxError`` for anything that is not a complete, valid IDX file.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        with _open_checked(path) as fh:
            return _read_stream(fh, str(path), path if mmap else None)
    name = getattr(source, "name", "<stream>")
    return _read_stream(source, str(name), None)


def _read_stream(fh: BinaryIO, name: str, path: Path | None) -> np.ndarray:
    if _is_gzip(fh):
        return _read_gzip(fh, name)
    header = _parse_header(fh, name)
    available = _remaining(fh)
    _check_size(header, available, name)
    if path is not None and header.nbytes > 0:
        array = np.memmap(path, dtype=header.dtype, mode="r", offset=header.offset,
                          shape=header.shape)
        return _native(array)
    data = fh.read(header.nbytes)
    return _native(np.frombuffer(data, dtype=header.dtype).reshape(header.shape))


def _remaining(fh: BinaryIO) -> int:
    here = fh.tell()
    end = fh.seek(0, io.SEEK_END)
    fh.seek(here)
    return end - here


def _check_size(header: IdxHeader, available: int, name: str) -> None:
    if available < header.nbytes:
        raise IdxError(f"{name}: truncated data: header promises {header.nbytes} bytes of "
                       f"{header.dtype.name} {header.shape}, file holds {available}")
    if available > header.nbytes:
        raise IdxError(f"{name}: {available - header.nbytes} trailing bytes after the "
                       f"{header.nbytes} bytes the header promises")


def _read_gzip(fh: BinaryIO, name: str) -> np.ndarray:
    try:
        with gzip.GzipFile(fileobj=fh) as gz:
            header = _parse_header(gz, name)
            # The compressed size bounds what the stream can hold only loosely (gzip can
            # compress ~1000:1), so read in chunks and stop as soon as it holds too little or
            # too much: a 100-byte file that promises 10^12 elements never allocates them.
            data = _read_exactly(gz, header, name)
    except (OSError, EOFError, zlib.error) as err:
        raise IdxError(f"{name}: corrupt or truncated gzip stream ({err})") from err
    return _native(np.frombuffer(data, dtype=header.dtype).reshape(header.shape))


def _read_exactly(gz: BinaryIO, header: IdxHeader, name: str) -> bytearray:
    want = header.nbytes
    chunks = bytearray()
    while len(chunks) < want:
        chunk = gz.read(min(_CHUNK * 16, want - len(chunks)))
        if not chunk:
            raise IdxError(f"{name}: truncated data: header promises {want} bytes of "
                           f"{header.dtype.name} {header.shape}, stream holds {len(chunks)}")
        chunks += chunk
    extra = len(gz.read(_CHUNK))
    if extra:
        raise IdxError(f"{name}: trailing bytes after the {want} bytes the header promises")
    return chunks


def _native(array: np.ndarray) -> np.ndarray:
    """Big-endian on disk, native in memory; single bytes need no swap (and no copy)."""
    if array.dtype.itemsize == 1:
        return array.view(array.dtype.newbyteorder("="))
    return array.astype(array.dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically: a crash never leaves a half-written file.

    The element type follows the array's dtype, which must be one of uint8, int8, int16,
    int32, float32 or float64. ``compress`` defaults to gzip when the name ends in ``.gz``.
    """
    path = Path(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise IdxError(f"{path}: IDX cannot store dtype {array.dtype} "
                       f"(use one of {', '.join(d.name for d in _CODES)})")
    if array.ndim == 0 or array.ndim > 255:
        raise IdxError(f"{path}: IDX needs 1 to 255 dimensions, array has {array.ndim}")
    if any(d >= 2**32 for d in array.shape):
        raise IdxError(f"{path}: dimension too large for IDX: {array.shape}")
    if compress is None:
        compress = path.suffix == ".gz"
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
    payload = header + body
    if compress:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with atomic_writer(path) as out:
        out.write(payload)
    return path
