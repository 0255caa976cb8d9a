"""Where a data set's folder is, and whether its files are the published ones: ``DataSource``.

    USPS = DataSource("USPS", ("zip.train.gz", "zip.test.gz"), "the SHA-256 in USPS' README",
                      env="USPS_DIR", option="--usps-dir", default=SHARED_DATA / "usps")
    folder = USPS.find(usps_dir)     # usps_dir, else $USPS_DIR, else ../shared/data/usps
    text = USPS.read_verified(folder / "zip.test.gz", sha256)   # its decompressed bytes

Every reader in ``core.datasets`` finds its folder and checks its files here, so a missing
folder and a missing, unreadable, truncated or altered file get the same sentence whichever set
it is, naming the file and what to do, raised as the set's own kind of ``DatasetError``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_recognizer.core.datasets.errors import DatasetError

__all__ = ["SHARED_DATA", "DataSource", "and_list", "content_sha256", "dataset_sha256"]

# The data beside the repository: <checkout>/../shared/data/<set>.
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
GZIP_MAGIC = b"\x1f\x8b"


def and_list(names: tuple[str, ...] | list[str]) -> str:
    """'a', 'a and b', 'a, b and c': file names as a sentence lists them."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class DataSource:
    """One data set's folder and files, and the sentences its problems are told in.

    ``sums`` says where its SHA-256 sums come from ("the SHA-256 in USPS' README"); ``point``
    replaces "pass OPTION or set ENV ..." for a set that has neither; ``note`` follows it (where
    to get the files); ``remedy`` ends the sentence on a damaged or altered file.
    """

    name: str
    files: tuple[str, ...]
    sums: str
    env: str | None = None
    option: str | None = None
    default: Path | None = None
    point: str = ""
    note: str = ""
    remedy: str = "replace it with a fresh copy"
    error: type[DatasetError] = DatasetError

    def chosen(self, given: str | os.PathLike | None = None) -> Path | None:
        """``given``, else the folder ``env`` names, else ``default``; None if none of them."""
        folder = given or (os.environ.get(self.env) if self.env else None) or self.default
        return None if folder is None else Path(folder).expanduser()

    def find(self, given: str | os.PathLike | None = None) -> Path:
        """The folder ``chosen`` picks, which must exist; raises ``error`` naming it if not."""
        folder = self.chosen(given)
        if folder is None:
            raise self.error(f"no {self.name} folder given; {self.where()}")
        if not folder.is_dir():
            raise self.error(f"{self.name} folder {folder} does not exist; {self.where()}")
        return folder

    def where(self) -> str:
        """How a user points the code at this set: the option, the variable, the files."""
        point = self.point or (f"pass {self.option} or set {self.env} to the folder holding "
                               f"{and_list(self.files)}")
        return f"{point} ({self.note})" if self.note else point

    def missing(self, *paths: Path) -> DatasetError:
        """The error for files that are not there."""
        verb = "is" if len(paths) == 1 else "are"
        return self.error(f"{and_list([str(p) for p in paths])} {verb} missing; {self.where()}")

    def damaged(self, path: Path, detail: object) -> DatasetError:
        """The error for a file that cannot be read to its end."""
        detail = str(detail).removeprefix(f"{path}: ")  # IdxError's messages name the file too
        return self.error(f"{path} is truncated or damaged ({detail}); {self.remedy}")

    def check(self, where: str | Path, digest: str, expected: str) -> None:
        """Raise ``error`` unless ``digest`` is ``expected``: the file was corrupted or altered."""
        if digest != expected:
            raise self.error(f"{where}: content does not match {self.sums} (got {digest[:12]}…);"
                             f" the file is corrupt or altered: {self.remedy}")

    def read(self, path: Path) -> bytes:
        """The bytes of ``path`` as they are on disk."""
        try:
            return path.read_bytes()
        except FileNotFoundError as err:
            raise self.missing(path) from err
        except OSError as err:  # a folder of that name, no permission
            raise self.error(f"{path} cannot be read ({err.strerror or err})") from err

    def unpack(self, path: Path, data: bytes) -> bytes:
        """``data`` decompressed when it is gzip (by its magic bytes), else as it is."""
        if data[:2] != GZIP_MAGIC:
            return data
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:  # truncated, bad CRC
            raise self.damaged(path, err) from err

    def verify(self, path: Path, data: bytes, sha256: str) -> None:
        """Raise ``error`` unless ``data`` (read from ``path``) has the SHA-256 ``sha256``."""
        self.check(path, hashlib.sha256(data).hexdigest(), sha256)

    def read_verified(self, path: Path, sha256: str, *, hashed: str = "content") -> bytes:
        """The decompressed bytes of ``path``, whose content (or, with ``hashed="file"``, whose
        bytes on disk) must have the SHA-256 ``sha256``."""
        data = self.read(path)
        content = self.unpack(path, data)
        self.verify(path, content if hashed == "content" else data, sha256)
        return content


def content_sha256(data: bytes) -> str:
    """SHA-256 of a file's decompressed content, the same for any gzip level (as MNIST's)."""
    return hashlib.sha256(gzip.decompress(data) if data[:2] == GZIP_MAGIC else data).hexdigest()


def dataset_sha256(*arrays: np.ndarray) -> str:
    """One SHA-256 over the given arrays' bytes, to record exactly what a model was trained on."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()
