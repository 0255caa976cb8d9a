"""IDX reading and writing: round trips, memory mapping, every kind of bad input, fuzzing."""

from __future__ import annotations

import gzip
import io
import re
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from digit_recognizer.core.idx import IdxError, read_header, read_idx, write_idx

# The six element types IDX defines, by type code.
TYPES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}
FIXTURE_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``, written here independently of the module under test."""
    big_endian = array.dtype.newbyteorder(">")
    code = {np.dtype(t).newbyteorder(">"): c for c, t in TYPES.items()}[big_endian]
    return header(code, *array.shape) + array.astype(big_endian).tobytes()


def header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def same_array(result: np.ndarray, expected: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (so NaN payloads and -0.0 count too)."""
    native = expected.dtype.newbyteorder("=")
    return (result.dtype == native and result.shape == expected.shape
            and result.tobytes() == expected.astype(native).tobytes())


any_idx_array = hnp.arrays(
    dtype=st.sampled_from([np.dtype(t) for t in TYPES.values()]
                          + [np.dtype(">" + t) for t in TYPES.values() if t[1] != "1"]),
    shape=hnp.array_shapes(min_dims=1, max_dims=5, min_side=0, max_side=6),
)


# ------------------------------------------------------------------------------- round trips


@FIXTURE_SETTINGS
@given(array=any_idx_array, compress=st.booleans())
def test_any_array_round_trips_through_a_file(tmp_path, array, compress):
    path = write_idx(tmp_path / "a.idx", array, compress=compress)
    assert same_array(read_idx(path), array)


@FIXTURE_SETTINGS
@given(array=any_idx_array, compress=st.booleans())
def test_any_array_round_trips_through_a_file_object(tmp_path, array, compress):
    path = write_idx(tmp_path / "a.idx", array, compress=compress)
    assert same_array(read_idx(io.BytesIO(path.read_bytes())), array)


@settings(max_examples=60, deadline=None)
@given(array=any_idx_array)
def test_written_bytes_follow_the_idx_layout(array, tmp_path_factory):
    path = write_idx(tmp_path_factory.mktemp("w") / "a.idx", array, compress=False)
    assert path.read_bytes() == idx_bytes(array)


@pytest.mark.parametrize("code", sorted(TYPES))
def test_every_type_code_reads_as_its_dtype(code):
    values = np.arange(6).astype(TYPES[code])
    result = read_idx(io.BytesIO(idx_bytes(values)))
    assert result.dtype == np.dtype(TYPES[code]) and np.array_equal(result, values)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_file_object_is_read_from_its_current_position(compress):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    data = idx_bytes(array)
    stream = io.BytesIO(b"other bytes first" + (gzip.compress(data) if compress else data))
    stream.seek(len(b"other bytes first"))
    assert same_array(read_idx(stream), array)


def test_gzip_is_recognised_by_its_magic_not_its_name(tmp_path):
    array = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    compressed = write_idx(tmp_path / "no-suffix.idx", array, compress=True)
    assert compressed.read_bytes()[:2] == b"\x1f\x8b"
    assert same_array(read_idx(compressed), array)


def test_plain_file_named_gz_is_read_as_plain(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    path = write_idx(tmp_path / "plain.gz", array, compress=False)
    assert same_array(read_idx(path), array)


def test_gz_name_compresses_by_default(tmp_path):
    path = write_idx(tmp_path / "a-idx1-ubyte.gz", np.arange(10, dtype=np.uint8))
    assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_read_header_reports_type_and_shape_of_gzip_file(tmp_path):
    path = write_idx(tmp_path / "a.gz", np.zeros((5, 7, 3), dtype=np.float32))
    found = read_header(path)
    assert (found.dtype, found.shape) == (np.dtype(">f4"), (5, 7, 3))


def test_zero_length_dimension_reads_as_empty_array(tmp_path):
    path = write_idx(tmp_path / "empty.idx", np.zeros((0, 28, 28), dtype=np.uint8))
    assert read_idx(path).shape == (0, 28, 28)


def test_written_file_gets_the_usual_permissions(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.zeros(3, dtype=np.uint8))
    assert path.stat().st_mode & 0o644 == 0o644  # readable by others, unlike a mkstemp file


def test_failed_write_leaves_existing_file_untouched(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.arange(5, dtype=np.uint8))
    with pytest.raises(IdxError):
        write_idx(path, np.arange(5, dtype=np.int64))
    assert same_array(read_idx(path), np.arange(5, dtype=np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["a.idx"]


# ---------------------------------------------------------------------------- memory mapping


def test_raw_file_is_memory_mapped(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.arange(1000, dtype=np.uint8).reshape(10, 100))
    result = read_idx(path)
    assert isinstance(result, np.memmap) and not result.flags.owndata
    assert not result.flags.writeable  # mapped read-only: the file cannot be changed by accident


def test_raw_file_read_without_mmap_is_in_memory(tmp_path):
    path = write_idx(tmp_path / "a.idx", np.arange(1000, dtype=np.uint8))
    assert not isinstance(read_idx(path, mmap=False), np.memmap)


def test_gzip_file_is_decompressed_into_memory(tmp_path):
    path = write_idx(tmp_path / "a.gz", np.arange(1000, dtype=np.uint8))
    assert not isinstance(read_idx(path), np.memmap)


# ------------------------------------------------------------------------------ bad headers


def write_bytes(tmp_path: Path, data: bytes, name: str = "bad-idx3-ubyte") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_wrong_magic_raises_idxerror_naming_file(tmp_path):
    path = write_bytes(tmp_path, b"\x01\x02\x08\x01" + struct.pack(">I", 2) + b"ab")
    with pytest.raises(IdxError, match=f"{path}.*not an IDX file"):
        read_idx(path)


def test_text_file_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, b"label,pixel0\n5,0\n", "train.csv")
    with pytest.raises(IdxError, match="not an IDX file"):
        read_idx(path)


def test_unknown_type_code_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, header(0x0A, 2) + b"ab")
    with pytest.raises(IdxError, match=f"{path}.*unknown IDX type code 0x0A"):
        read_idx(path)


def test_zero_dimensions_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, b"\x00\x00\x08\x00")
    with pytest.raises(IdxError, match=f"{path}.*zero dimensions"):
        read_idx(path)


def test_file_shorter_than_magic_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, b"\x00\x00")
    with pytest.raises(IdxError, match="too short"):
        read_idx(path)


def test_empty_file_raises_idxerror(tmp_path):
    with pytest.raises(IdxError, match="too short"):
        read_idx(write_bytes(tmp_path, b""))


def test_header_cut_inside_dimensions_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, header(0x08, 60000, 28, 28)[:10])
    with pytest.raises(IdxError, match="header truncated"):
        read_idx(path)


def test_shape_too_large_for_numpy_raises_idxerror(tmp_path):
    # a zero dimension makes it empty, yet NumPy refuses the other dimensions' product
    path = write_bytes(tmp_path, header(0x08, 0, 2**32 - 1, 2**32 - 1, 2**32 - 1))
    with pytest.raises(IdxError, match="too large"):
        read_idx(path)


def test_read_header_of_non_idx_raises_idxerror(tmp_path):
    with pytest.raises(IdxError, match="not an IDX file"):
        read_header(write_bytes(tmp_path, b"PK\x03\x04 zip, not idx"))


# ------------------------------------------------------------------------------- bad bodies


def huge_claim(compress: bool) -> bytes:
    """About 100 bytes whose header promises 10^12 bytes of data."""
    data = header(0x08, 1_000_000, 1_000_000) + bytes(range(88))
    return gzip.compress(data) if compress else data


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_huge_header_claim_raises_without_allocating(tmp_path, compress):
    path = write_bytes(tmp_path, huge_claim(compress))
    tracemalloc.start()
    try:
        with pytest.raises(IdxError, match="truncated data"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # the claim is 10^12 bytes; reading stops at what is there


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_truncated_data_raises_idxerror(tmp_path, compress):
    data = idx_bytes(np.arange(100, dtype=np.uint8))[:-1]
    path = write_bytes(tmp_path, gzip.compress(data) if compress else data)
    with pytest.raises(IdxError, match=f"{path}.*truncated data"):
        read_idx(path)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_trailing_bytes_raise_idxerror(tmp_path, compress):
    data = idx_bytes(np.arange(100, dtype=np.uint8)) + b"\x00"
    path = write_bytes(tmp_path, gzip.compress(data) if compress else data)
    with pytest.raises(IdxError, match=f"{path}.*trailing bytes"):
        read_idx(path)


def test_truncated_data_in_file_object_raises_idxerror():
    data = idx_bytes(np.arange(12, dtype=np.int32).reshape(3, 4))[:-2]
    with pytest.raises(IdxError, match="truncated data"):
        read_idx(io.BytesIO(data))


def test_truncated_gzip_stream_raises_idxerror(tmp_path):
    compressed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.int16)))
    path = write_bytes(tmp_path, compressed[: len(compressed) // 2], "cut.gz")
    with pytest.raises(IdxError, match=f"{path}.*gzip stream"):
        read_idx(path)


def test_corrupt_gzip_stream_raises_idxerror(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(5000, dtype=np.int16))))
    compressed[len(compressed) // 2 : len(compressed) // 2 + 8] = b"\xff" * 8
    path = write_bytes(tmp_path, bytes(compressed), "corrupt.gz")
    with pytest.raises(IdxError, match=f"{path}.*gzip stream"):
        read_idx(path)


def test_gzip_checksum_mismatch_raises_idxerror(tmp_path):
    compressed = bytearray(gzip.compress(idx_bytes(np.arange(50, dtype=np.uint8))))
    compressed[-8] ^= 0xFF  # the CRC-32 of the content, stored in the gzip trailer
    path = write_bytes(tmp_path, bytes(compressed), "crc.gz")
    with pytest.raises(IdxError, match="gzip stream"):
        read_idx(path)


def test_gzip_of_non_idx_raises_idxerror(tmp_path):
    path = write_bytes(tmp_path, gzip.compress(b"just some text, gzipped"), "text.gz")
    with pytest.raises(IdxError, match="not an IDX file"):
        read_idx(path)


# -------------------------------------------------------------------------------- bad paths


def test_directory_path_raises_idxerror(tmp_path):
    with pytest.raises(IdxError, match=f"{tmp_path}.*directory"):
        read_idx(tmp_path)


def test_nonexistent_path_raises_idxerror(tmp_path):
    path = tmp_path / "missing-idx3-ubyte.gz"
    with pytest.raises(IdxError, match=f"{path}.*cannot be read.*No such file"):
        read_idx(path)


def test_dangling_symlink_raises_idxerror(tmp_path):
    link = tmp_path / "link-idx1-ubyte"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(IdxError, match=f"{link}.*cannot be read"):
        read_idx(link)


def test_read_header_of_nonexistent_path_raises_idxerror(tmp_path):
    with pytest.raises(IdxError, match="cannot be read"):
        read_header(tmp_path / "missing")


# ------------------------------------------------------------------------------- bad writes


@pytest.mark.parametrize("dtype", ["int64", "uint16", "float16", "bool", "complex64", "U3"])
def test_write_of_unsupported_dtype_raises_idxerror(tmp_path, dtype):
    with pytest.raises(IdxError, match=re.escape(f"cannot store dtype {np.dtype(dtype)}")):
        write_idx(tmp_path / "a.idx", np.zeros(3, dtype=dtype))
    assert list(tmp_path.iterdir()) == []


def test_write_of_zero_dimensional_array_raises_idxerror(tmp_path):
    with pytest.raises(IdxError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "a.idx", np.uint8(7))


# ------------------------------------------------------------------------------------ fuzzing


@pytest.fixture(scope="module")
def mnist_samples(mnist_dir) -> dict[str, bytes]:
    """The first ~2 KB of the real test files, decompressed, with headers that match."""
    with gzip.open(mnist_dir / "t10k-images-idx3-ubyte.gz") as fh:
        images = fh.read(16 + 2 * 784)[16:]
    with gzip.open(mnist_dir / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = fh.read(8 + 2000)[8:]
    return {"images": header(0x08, 2, 28, 28) + images, "labels": header(0x08, 2000) + labels}


@st.composite
def mutations(draw, size: int) -> list[tuple[str, int, int]]:
    """A few edits: set a byte (often in the header), cut the data short, or append bytes."""
    position = st.one_of(st.integers(0, 15), st.integers(0, size - 1))
    edit = st.one_of(
        st.tuples(st.just("set"), position, st.integers(0, 255)),
        st.tuples(st.just("cut"), st.integers(0, size), st.just(0)),
        st.tuples(st.just("add"), st.integers(1, 64), st.integers(0, 255)),
    )
    return draw(st.lists(edit, min_size=1, max_size=4))


def mutate(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in edits:
        if kind == "set" and where < len(out):
            out[where] = value
        elif kind == "cut":
            del out[where:]
        elif kind == "add":
            out += bytes([value]) * where
    return bytes(out)


def check_mutant(blob: bytes, path: Path) -> None:
    """Reading gives IdxError, or exactly the array the (decompressed) bytes encode."""
    path.write_bytes(blob)
    for source in (io.BytesIO(blob), path):
        try:
            result = read_idx(source)
        except IdxError:
            continue
        content = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        assert idx_bytes(result) == content


@settings(max_examples=150, deadline=None)
@given(data=st.data(), which=st.sampled_from(["images", "labels"]),
       where=st.sampled_from(["plain", "compress-after", "compress-before"]))
def test_mutated_mnist_gives_array_or_idxerror(mnist_samples, tmp_path_factory, data, which,
                                               where):
    sample = mnist_samples[which]
    if where == "compress-before":  # edit the compressed bytes: gzip's own checks must hold
        sample = gzip.compress(sample)
    blob = mutate(sample, data.draw(mutations(len(sample))))
    if where == "compress-after":
        blob = gzip.compress(blob)
    check_mutant(blob, tmp_path_factory.mktemp("fuzz") / "mutant")


# ----------------------------------------------------------------------------------- real MNIST


@pytest.mark.parametrize("name, shape", [
    ("train-images-idx3-ubyte.gz", (60000, 28, 28)),
    ("train-labels-idx1-ubyte.gz", (60000,)),
    ("t10k-images-idx3-ubyte.gz", (10000, 28, 28)),
    ("t10k-labels-idx1-ubyte.gz", (10000,)),
])
def test_real_mnist_file_reads_as_uint8_with_its_shape(mnist_dir, name, shape):
    array = read_idx(mnist_dir / name)
    assert (array.dtype, array.shape) == (np.uint8, shape)


def test_real_training_labels_have_the_published_class_counts(mnist_dir):
    labels = read_idx(mnist_dir / "train-labels-idx1-ubyte.gz")
    counts = np.bincount(labels, minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

