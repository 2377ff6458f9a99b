"""MovieLens releases from GroupLens: 100K, 1M, latest(-small), 20M, 25M, 32M.

The file formats of each layout (``ML_*``), the genres of the 100K release
(:data:`~gnnrec_utils.data.constants.ML100K_GENRES`) and :func:`load_movielens`, which tells the release by the
ratings file it finds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

import numpy as np
import pandas as pd

from gnnrec_utils.data.constants import ML100K_GENRES
from gnnrec_utils.data.tables import Dataset
from gnnrec_utils.datasets.collector import Collector
from gnnrec_utils.datasets.common import (
    UNKNOWN,
    LoadOptions,
    Settings,
    rated_behaviors,
    rating_behavior,
    source_path,
)
from gnnrec_utils.io.delimited import FileFormat, read_blocks, read_table
from gnnrec_utils.io.errors import DataFormatError, PathLike, check_unique
from gnnrec_utils.io.files import find_file
from gnnrec_utils.io.kinds import ANY, ID, SECONDS, Integer, Number, OneOf

__all__ = [
    "ML_MOVIES_CSV",
    "ML_MOVIES_DAT",
    "ML_RATINGS_CSV",
    "ML_RATINGS_DAT",
    "ML_USERS_DAT",
    "ML_U_DATA",
    "ML_U_ITEM",
    "ML_U_USER",
    "load_movielens",
]

_RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
_STARS = Integer("an integer from 1 to 5", 1, 5, dtype="float64")
_HALF_STARS = Number("a number from 0.5 to 5", 0.5, 5.0)
_GENDER = OneOf(("M", "F"), "M or F", categorical=False)


def _latin1(what: str, columns: tuple[str, ...], kinds: tuple, sep: str, **layout) -> FileFormat:
    """A MovieLens file of the 100K and 1M releases: no header, latin-1 text."""
    return FileFormat(what, columns, kinds, sep=sep, encoding="latin-1", **layout)


ML_U_DATA = _latin1("ratings, one per line", _RATING_COLUMNS, (ID, ID, _STARS, SECONDS), "\t")
# u.item and u.user hold text: the careful parse only, so that an id "1.0" is refused
ML_U_ITEM = _latin1(
    "movies, one per line",
    ("item_id", "title", "release_date", "video_release_date", "imdb_url") + ML100K_GENRES,
    (ID, ANY, ANY, ANY, ANY) + (Integer("a genre flag 0 or 1", 0, 1, dtype="int8"),) * 19,
    "|",
    fast=False,
)
ML_U_USER = _latin1(
    "users, one per line",
    ("user_id", "age", "gender", "occupation", "zip"),
    (ID, Integer("an age in years (non-negative integer)"), _GENDER, ANY, ANY),
    "|",
    fast=False,
)
ML_RATINGS_DAT = _latin1("ratings, one per line", _RATING_COLUMNS, (ID, ID, _STARS, SECONDS), "::")
ML_MOVIES_DAT = _latin1(
    "movies, one per line", ("item_id", "title", "genres"), (ID, ANY, ANY), "::"
)
ML_USERS_DAT = _latin1(
    "users, one per line",
    ("user_id", "gender", "age", "occupation", "zip"),
    (ID, _GENDER, ID, ID, ANY),
    "::",
)
ML_RATINGS_CSV = FileFormat(
    "ratings, one per line",
    _RATING_COLUMNS,
    (ID, ID, _HALF_STARS, SECONDS),
    header=("userId", "movieId", "rating", "timestamp"),
)
ML_MOVIES_CSV = FileFormat(
    "movies, one per line",
    ("item_id", "title", "genres"),
    (ID, ANY, ANY),
    header=("movieId", "title", "genres"),
    quoted=True,
)


def _flagged_genre(movies: pd.DataFrame) -> np.ndarray:
    """100K: the first genre whose flag is set, in the file's genre order."""
    flags = movies[list(ML100K_GENRES)].to_numpy()
    return np.where(flags.any(1), np.array(ML100K_GENRES)[flags.argmax(1)], UNKNOWN)


def _listed_genre(movies: pd.DataFrame) -> pd.Series:
    """1M and later: the first genre of the ``|``-separated list."""
    return movies.genres.str.split("|", n=1).str[0].replace("", UNKNOWN)


@dataclass(frozen=True)
class _Release:
    """The files of one MovieLens layout, told by the name of its ratings file."""

    label: str
    ratings: FileFormat
    movies: tuple[str, FileFormat]
    category: Callable[[pd.DataFrame], object]
    users: tuple[str, FileFormat] | None = None
    unused: tuple[str, ...] = ()  # movie columns left out of the items table


_RELEASES = {
    "u.data": _Release(
        "MovieLens-100K",
        ML_U_DATA,
        ("u.item", ML_U_ITEM),
        _flagged_genre,
        ("u.user", ML_U_USER),
        unused=("video_release_date",),
    ),
    "ratings.dat": _Release(
        "MovieLens",
        ML_RATINGS_DAT,
        ("movies.dat", ML_MOVIES_DAT),
        _listed_genre,
        ("users.dat", ML_USERS_DAT),
    ),
    "ratings.csv": _Release(
        "MovieLens", ML_RATINGS_CSV, ("movies.csv", ML_MOVIES_CSV), _listed_genre
    ),
}


def load_movielens(
    path: PathLike,
    *,
    behavior_of: Callable = rating_behavior,
    download: bool = False,
    release: str = "ml-100k",
    root: PathLike | None = None,
    **options: Unpack[LoadOptions],
) -> Dataset:
    """A MovieLens release from its unzipped folder (or its ratings file).

    The release is told by the ratings file found: ``u.data`` (100K, tab-separated,
    with ``u.item`` and ``u.user``, ``|``-separated latin-1), ``ratings.dat`` (1M,
    ``::``-separated latin-1, with ``movies.dat`` and ``users.dat``) or ``ratings.csv``
    (latest, latest-small, 20M, 25M, 32M: header ``userId,movieId,rating,timestamp``,
    with ``movies.csv``). The movies and users files are optional; where present, every
    rated movie and user needs a line there. Ratings become behaviours through
    ``behavior_of``; the category is the first listed genre.

    Args:
        path: the folder or the ratings file (ignored with ``download=True``).
        behavior_of: ratings to behaviours (default :func:`rating_behavior`: >= 4 is
            ``buy``, else ``pv``).
        options: the options shared by all loaders (:class:`LoadOptions`).
        download, release, root: fetch ``release`` (``"ml-100k"``, ``"ml-1m"``,
            ``"ml-latest-small"`` ...) from GroupLens into ``root`` and load it.

    Returns:
        A :class:`~gnnrec_utils.data.Dataset`; ``items`` holds the movies' titles and
        genres (100K: release date, IMDb URL and a 0/1 column per genre in
        :data:`~gnnrec_utils.data.constants.ML100K_GENRES`), ``users`` their attributes (100K, 1M).

    Raises:
        MissingFileError: no ratings file at ``path``.
        DataFormatError: naming the file, line and expectation of the first problem,
            or the first rated movie or user without a line in its file.
    """
    path = source_path(path, download and release, root)
    settings = Settings(**options)
    file = find_file(path, _RELEASES, "a MovieLens ratings file")
    layout = _RELEASES[_layout_of(file)]
    movies = _ml_table(file.parent, layout.movies, "orig_item_id")
    movies = None if movies is None else movies.assign(category=layout.category(movies))
    users = _ml_table(file.parent, layout.users, "orig_user_id")
    collector = Collector(f"{layout.label} ({file.parent.name}/{file.name})", settings)
    for line, frame in read_blocks(file, layout.ratings, settings.block_bytes):
        _add_ratings(collector, file, line, frame, layout, movies, users, behavior_of)
    items = None if movies is None else movies.drop(columns=["category", *layout.unused])
    return collector.finish(user_table=users, item_table=items)


def _layout_of(file: Path) -> str:
    """The key of ``_RELEASES`` for a ratings file."""
    if file.name == "u.data":
        return "u.data"
    return "ratings.dat" if file.suffix == ".dat" else "ratings.csv"


def _ml_table(folder: Path, spec: tuple[str, FileFormat] | None, key: str) -> pd.DataFrame | None:
    """A movies or users file, each id once, the id renamed to ``key``; ``None`` if absent."""
    if spec is None or not (folder / spec[0]).is_file():
        return None
    table, first_line = read_table(folder / spec[0], spec[1])
    check_unique(folder / spec[0], first_line, table.iloc[:, 0])
    return table.rename(columns={table.columns[0]: key})


def _add_ratings(
    collector: Collector,
    file: Path,
    line: int,
    frame: pd.DataFrame,
    layout: _Release,
    movies: pd.DataFrame | None,
    users: pd.DataFrame | None,
    behavior_of: Callable,
) -> None:
    """Check that a block's movies and users are listed, and add it."""
    user, item = frame.user_id.to_numpy(), frame.item_id.to_numpy()
    category = np.full(len(item), UNKNOWN, dtype=object)
    if movies is not None:
        row = _rows_of(file, file.parent / layout.movies[0], movies.orig_item_id, item)
        category = movies.category.to_numpy(dtype=object)[row]
    if users is not None:
        _rows_of(file, file.parent / layout.users[0], users.orig_user_id, user)
    rating = frame.rating.to_numpy()
    behavior = rated_behaviors(behavior_of, rating)
    collector.add(file, line, user, item, category, behavior, frame.timestamp.to_numpy(), rating)


def _rows_of(ratings: Path, table: Path, listed: pd.Series, rated: np.ndarray) -> np.ndarray:
    """The row of ``listed`` (a column of ``table``) for each rated id.

    Raises:
        DataFormatError: naming ``table``, for the first rated id it does not list.
    """
    rows = pd.Index(listed).get_indexer(rated)
    if (rows < 0).any():
        key = str(listed.name).removeprefix("orig_")
        raise DataFormatError(
            table,
            None,
            f"a line for every {key} rated in {ratings.name}",
            f"no line for {key} {rated[np.argmax(rows < 0)]}",
        )
    return rows
