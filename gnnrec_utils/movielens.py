"""MovieLens-100K: a validated loader and Microsoft Recommenders' stratified split.

The files of the GroupLens release (https://grouplens.org/datasets/movielens/100k/):

* ``u.data``: one rating per line, ``user id \\t item id \\t rating \\t timestamp``;
* ``u.item``: ``|``-separated, latin-1: id, title, release date, video release date,
  IMDb URL and 19 genre flags (0/1);
* ``u.user``: ``|``-separated: id, age, gender (M/F), occupation, zip code.

Their licence forbids redistribution: the kit never ships them, you point the loader
at your own copy. As everywhere in the kit, a problem stops the load with a
:class:`~gnnrec_utils.data.DataFormatError` naming the file, the line and what was
expected; nothing is dropped or guessed.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from gnnrec_utils.data import DataFormatError, PathLike

GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western")
RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
ITEM_COLUMNS = ("item_id", "title", "release_date", "video_release_date", "imdb_url") + GENRES
USER_COLUMNS = ("user_id", "age", "gender", "occupation", "zip")
_DIGITS = re.compile(r"[0-9]+")


class MissingFileError(DataFormatError, FileNotFoundError):
    """A file the loader needs is not there (both a DataFormatError and a FileNotFoundError)."""


def _read_lines(path: Path, sep: str, columns: tuple[str, ...], encoding: str) -> list[list[str]]:
    """Every line of ``path`` split on ``sep``; raise at the first with the wrong field count."""
    if not path.is_file():
        raise MissingFileError(path, None, f"a file at {path}", "no such file")
    with open(path, encoding=encoding, newline="") as f:
        lines = f.read().splitlines()
    rows = [line.split(sep) for line in lines]
    for number, (line, fields) in enumerate(zip(lines, rows), start=1):
        if len(fields) != len(columns):
            found = "an empty line" if not line.strip() else f"{len(fields)} fields"
            names = ", ".join(columns[:5]) + (", ..." if len(columns) > 5 else "")
            raise DataFormatError(path, number, f"{len(columns)} {sep!r}-separated fields "
                                  f"({names})", found)
    if not rows:
        raise DataFormatError(path, None, f"lines of {len(columns)} fields", "an empty file")
    return rows


def _integers(path: Path, values: pd.Series, expected: str, low: int = 0,
              high: int = 2**63 - 1) -> np.ndarray:
    """Parse a column of plain digits into int64 in ``[low, high]``; raise on the first bad line."""
    ok = values.str.fullmatch(_DIGITS).to_numpy(dtype=bool, copy=True)
    parsed = np.zeros(len(values), dtype=np.int64)
    parsed[ok] = [int(v) if len(v) < 19 else -1 for v in values[ok]]
    ok &= (parsed >= low) & (parsed <= high)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise DataFormatError(path, row + 1, f"{values.name} as {expected}", repr(values.iloc[row]))
    return parsed


def _read_ratings(path: Path) -> pd.DataFrame:
    """``u.data`` as int64 columns, original ids; the first bad line in file order raises."""
    raw = pd.DataFrame(_read_lines(path, "\t", RATING_COLUMNS, "latin-1"), columns=RATING_COLUMNS)
    expected = {"user_id": ("a non-negative integer",), "item_id": ("a non-negative integer",),
                "rating": ("an integer from 1 to 5", 1, 5),
                "timestamp": ("a Unix time in seconds (non-negative integer)",)}
    parsed, problems = {}, []
    for column, spec in expected.items():
        try:
            parsed[column] = _integers(path, raw[column], *spec)
        except DataFormatError as error:
            problems.append(error)
    if problems:
        raise min(problems, key=lambda error: error.line)
    return pd.DataFrame(parsed)


def _id_map(path: Path, table: pd.DataFrame, orig: np.ndarray, key: str) -> np.ndarray:
    """Row of ``table`` for each original id in ``orig`` (sorted); raise if one is missing."""
    position = pd.Index(table[key]).get_indexer(orig)
    if (position < 0).any():
        missing = int(orig[np.flatnonzero(position < 0)[0]])
        raise DataFormatError(path, None, f"a line for every {key} rated in u.data",
                              f"no line for {key} {missing}")
    return position


def _read_items(path: Path, orig_items: np.ndarray) -> pd.DataFrame:
    """``u.item`` for the rated items, in remapped id order, genres as 0/1 int8 columns."""
    raw = pd.DataFrame(_read_lines(path, "|", ITEM_COLUMNS, "latin-1"), columns=ITEM_COLUMNS)
    raw["item_id"] = _integers(path, raw.item_id, "a non-negative integer")
    for genre in GENRES:
        raw[genre] = _integers(path, raw[genre], "a genre flag 0 or 1", 0, 1).astype(np.int8)
    _check_unique(path, raw.item_id)
    items = raw.iloc[_id_map(path, raw, orig_items, "item_id")].reset_index(drop=True)
    items = items.rename(columns={"item_id": "orig_item_id"}).drop(columns="video_release_date")
    return items.assign(item_id=np.arange(len(items)))[["item_id"] + list(items.columns)]


def _read_users(path: Path, orig_users: np.ndarray) -> pd.DataFrame:
    """``u.user`` for the rating users, in remapped id order."""
    raw = pd.DataFrame(_read_lines(path, "|", USER_COLUMNS, "latin-1"), columns=USER_COLUMNS)
    raw["user_id"] = _integers(path, raw.user_id, "a non-negative integer")
    raw["age"] = _integers(path, raw.age, "an age in years (non-negative integer)")
    bad = ~raw.gender.isin(["M", "F"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(path, row + 1, "gender as M or F", repr(raw.gender.iloc[row]))
    _check_unique(path, raw.user_id)
    users = raw.iloc[_id_map(path, raw, orig_users, "user_id")].reset_index(drop=True)
    users = users.rename(columns={"user_id": "orig_user_id"})
    return users.assign(user_id=np.arange(len(users)))[["user_id"] + list(users.columns)]


def _check_unique(path: Path, ids: pd.Series) -> None:
    """Raise on the first line repeating an id."""
    again = ids.duplicated().to_numpy()
    if again.any():
        row = int(np.flatnonzero(again)[0])
        first = int(np.flatnonzero((ids == ids.iloc[row]).to_numpy())[0])
        raise DataFormatError(path, row + 1, f"each {ids.name} once",
                              f"{ids.name} {ids.iloc[row]} again (first on line {first + 1})")


def load_movielens100k(folder: PathLike) -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                 pd.DataFrame | None]:
    """Load MovieLens-100K from ``folder`` (the unzipped ``ml-100k``): ratings, items, users.

    Ids are remapped to ``0 .. num_users-1`` and ``0 .. num_items-1`` in ascending order
    of the original ids, over the users and items that appear in ``u.data``; the
    original ids stay beside them as ``orig_user_id`` / ``orig_item_id``. Ratings
    keep the file's order.

    Returns:
        ``(ratings, items, users)``:

        * ``ratings``: ``user_id, item_id, rating, timestamp, orig_user_id, orig_item_id``
          (all int64);
        * ``items`` (``None`` without ``u.item``): ``item_id, orig_item_id, title,
          release_date, imdb_url`` and one 0/1 column per genre in :data:`GENRES`,
          row ``i`` describing item ``i``;
        * ``users`` (``None`` without ``u.user``): ``user_id, orig_user_id, age, gender,
          occupation, zip``, row ``u`` describing user ``u``.

        Lines of ``u.item`` / ``u.user`` for items / users without a rating are left out.

    Raises:
        MissingFileError: no ``u.data`` in ``folder``.
        DataFormatError: a line without the expected number of fields, an id or
            timestamp that is not a non-negative integer, a rating outside 1-5, a genre
            flag other than 0/1, a gender other than M/F, an id listed twice in
            ``u.item`` / ``u.user``, or a rated id missing there.
    """
    folder = Path(folder)
    ratings = _read_ratings(folder / "u.data")
    orig_users, user_id = np.unique(ratings.user_id.to_numpy(), return_inverse=True)
    orig_items, item_id = np.unique(ratings.item_id.to_numpy(), return_inverse=True)
    ratings = ratings.rename(columns={"user_id": "orig_user_id", "item_id": "orig_item_id"})
    ratings.insert(0, "user_id", user_id.astype(np.int64))
    ratings.insert(1, "item_id", item_id.astype(np.int64))
    ratings = ratings[["user_id", "item_id", "rating", "timestamp", "orig_user_id", "orig_item_id"]]
    items = _read_items(folder / "u.item", orig_items) if (folder / "u.item").is_file() else None
    users = _read_users(folder / "u.user", orig_users) if (folder / "u.user").is_file() else None
    return ratings, items, users


def stratified_split(ratings: pd.DataFrame, ratio: float = 0.75,
                     seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, a random ``ratio`` of their ratings to train and the rest to test.

    Microsoft Recommenders' ``python_stratified_split`` protocol: each user's ratings
    are shuffled and the first ``round(ratio * n)`` go to train, where ``n`` is the
    user's number of ratings and ``round`` is Python's (halves to the even integer,
    so 0.75 * 2 = 1.5 gives 2 and 0.75 * 6 = 4.5 gives 4). The shuffle is not
    Microsoft's own (theirs uses pandas' sampling), so the same seed gives a split of
    the same kind, not the same rows.

    Args:
        ratings: a table with a ``user_id`` column (any other columns are kept).
        ratio: share of each user's ratings that goes to train, in ``(0, 1)``.
        seed: seed of the shuffle; the same seed and table give the same split.

    Returns:
        ``(train, test)``, each in the row order of ``ratings``, with its index.
    """
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must lie in (0, 1), got {ratio}")
    key = np.random.default_rng(seed).random(len(ratings))
    users = ratings.user_id.to_numpy()
    order = np.lexsort((key, users))
    rank = np.empty(len(ratings), dtype=np.int64)
    counts = np.bincount(np.searchsorted(np.unique(users), users))
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    rank[order] = np.arange(len(ratings)) - starts
    n_train = np.array([round(ratio * int(n)) for n in counts])
    per_row = np.repeat(n_train, counts)[np.argsort(order)]
    in_train = rank < per_row
    return ratings[in_train], ratings[~in_train]
