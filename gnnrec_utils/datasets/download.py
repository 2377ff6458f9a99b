"""Optional download of the public datasets, checked by SHA-256 and cached.

``load_movielens(..., download=True)`` and ``load_amazon_reviews(..., download=True)``
call :func:`fetch` / :func:`amazon_fetch`, which

1. look in the cache folder ``root`` (default: the ``GNNREC_DATA`` environment
   variable, else ``~/.cache/gnnrec``) and use what is there without touching the
   network;
2. otherwise download the official file (the URLs in :data:`REGISTRY`), check its
   SHA-256 and, for a zip archive, unpack it next to it.

**Checksums.** A checksum is taken from the ``sha256=`` argument, else the registry,
which pins the fixed MovieLens releases (100K, 1M, 20M, 25M). For the others (the
re-released ``latest`` archives, 32M, Amazon) no SHA-256 is published, and the first
download is *trusted on first use*: its hash is printed and
written beside the file (``<file>.sha256``), and every later use checks the file
against that record; a mismatch raises and the file is not used. Pass ``sha256=`` to
pin a hash you obtained elsewhere.

**Offline** (or a URL that fails), :class:`DownloadError` says which URL failed and in
which folder to put the file by hand. Taobao UserBehavior (Tianchi) and RetailRocket
(Kaggle) need a login: for them ``download=True`` raises at once with the page to get
the files from and the folder to put them in.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gnnrec_utils.io.errors import PathLike

__all__ = [
    "AMAZON_URLS",
    "REGISTRY",
    "DownloadError",
    "Source",
    "amazon_fetch",
    "default_root",
    "fetch",
    "sha256_of",
    "verify",
]


class DownloadError(ConnectionError):
    """A dataset could not be downloaded, or its checksum does not match."""


@dataclass(frozen=True)
class Source:
    """Where a dataset comes from.

    Args:
        url: the file to download; ``None`` where the publisher requires a login.
        folder: the folder under ``root`` that the loader reads.
        sha256: the archive's SHA-256 where one is published, else ``None``.
        page: where a person finds the dataset (and its licence).
        files: what to put into ``folder`` by hand.
    """

    url: str | None
    folder: str
    sha256: str | None = None
    page: str = ""
    files: str = ""


_GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
#: SHA-256 of the fixed MovieLens releases as recorded by TensorFlow Datasets
#: (tensorflow/datasets, ``tensorflow_datasets/url_checksums/movielens.txt``). GroupLens
#: itself publishes MD5 sums only. The ``latest`` archives are re-released from time to
#: time, so no hash is pinned for them (trust on first use, below).
_MOVIELENS_SHA256 = {
    "ml-100k": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    "ml-1m": "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
    "ml-20m": "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",
    "ml-25m": "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
}
REGISTRY = {
    **{
        name: Source(
            f"{_GROUPLENS}{name}.zip",
            name,
            sha256=_MOVIELENS_SHA256.get(name),
            page="https://grouplens.org/datasets/movielens/",
            files=f"the unzipped {name} folder",
        )
        for name in (
            "ml-100k",
            "ml-1m",
            "ml-latest-small",
            "ml-latest",
            "ml-20m",
            "ml-25m",
            "ml-32m",
        )
    },
    "taobao-userbehavior": Source(
        None,
        "taobao-userbehavior",
        page="https://tianchi.aliyun.com/dataset/649",
        files="UserBehavior.csv (unzipped from UserBehavior.csv.zip)",
    ),
    "retailrocket": Source(
        None,
        "retailrocket",
        page="https://www.kaggle.com/datasets/retailrocket/ecommerce-dataset",
        files="events.csv and item_properties_part1.csv, item_properties_part2.csv",
    ),
}
#: Amazon Reviews files by release; ``{category}`` as on the dataset pages (e.g. ``Digital_Music``).
AMAZON_URLS = {
    "2014": "https://snap.stanford.edu/data/amazon/productGraph/categoryFiles/ratings_{category}.csv",
    "2018": "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/categoryFilesSmall/{category}.csv",
    "2023": "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/review_categories/{category}.jsonl.gz",
}


def default_root() -> Path:
    """The cache folder: ``$GNNREC_DATA`` if set, else ``~/.cache/gnnrec``."""
    return Path(os.environ.get("GNNREC_DATA") or Path.home() / ".cache" / "gnnrec")


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def _download(url: str, target: Path, timeout: float) -> None:
    """Download ``url`` to ``target`` (via a ``.part`` file); a clear error if it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as error:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"could not download {url} ({error}). Without network access, "
            f"download it elsewhere and put it at {target}; the loader then "
            "uses it without downloading"
        ) from None
    part.replace(target)


def verify(path: Path, sha256: str | None) -> str:
    """Check ``path`` against ``sha256``, else against the hash recorded at first use.

    Returns the file's SHA-256. With neither, records it in ``<path>.sha256`` and
    prints it (trust on first use).
    """
    digest = sha256_of(path)
    record = path.with_name(path.name + ".sha256")
    expected = sha256 or (record.read_text().split()[0] if record.is_file() else None)
    if expected is None:
        record.write_text(f"{digest}  {path.name}\n")
        print(
            f"{path.name}: no published SHA-256; computed {digest} and recorded it in "
            f"{record.name}; later uses are checked against it (pass sha256= to pin one)"
        )
    elif digest != expected.lower():
        raise DownloadError(
            f"{path.name}: SHA-256 {digest} does not match the expected {expected}; "
            f"the file may be corrupt or changed: delete {path} to download it again"
        )
    return digest


def _unzip(archive: Path, into: Path) -> None:
    """Unpack ``archive`` into ``into``, refusing members that would land outside it."""
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            if not (into / member).resolve().is_relative_to(into.resolve()):
                raise DownloadError(
                    f"{archive.name}: refusing the member {member!r} outside {into}"
                )
        z.extractall(into)


def fetch(
    name: str, root: PathLike | None = None, sha256: str | None = None, timeout: float = 30.0
) -> Path:
    """The folder of dataset ``name`` (a key of :data:`REGISTRY`), downloaded if needed."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(REGISTRY)}")
    source, root = REGISTRY[name], Path(root) if root is not None else default_root()
    folder = root / source.folder
    if source.url is None:
        if folder.is_dir() and any(folder.iterdir()):
            return folder
        raise DownloadError(
            f"{name} cannot be downloaded automatically (the publisher requires a "
            f"login): get it from {source.page} and put {source.files} into {folder}"
        )
    archive = root / source.url.rsplit("/", 1)[1]
    if not archive.is_file():
        _download(source.url, archive, timeout)
    verify(archive, sha256 or source.sha256)
    if not folder.is_dir():
        _unzip(archive, root)
    return folder


def amazon_fetch(
    release: str,
    category: str | None,
    root: PathLike | None = None,
    sha256: str | None = None,
    timeout: float = 30.0,
) -> Path:
    """The Amazon Reviews file of ``category`` for ``release``, downloaded if needed."""
    if release not in AMAZON_URLS:
        raise ValueError(f"release must be one of {', '.join(AMAZON_URLS)}, got {release!r}")
    if not category:
        raise ValueError(
            "category is needed to download Amazon Reviews, e.g. category='Digital_Music'"
        )
    url = AMAZON_URLS[release].format(category=category)
    root = Path(root) if root is not None else default_root()
    target = root / f"amazon-{release}" / url.rsplit("/", 1)[1]
    if not target.is_file():
        _download(url, target, timeout)
    verify(target, sha256)
    return target
