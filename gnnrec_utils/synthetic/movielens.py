"""An invented, seeded folder in MovieLens-100K's format (``write_movielens_sample``).

Nothing in it comes from MovieLens: it lets the MovieLens pipeline run where the real
files may not be shipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gnnrec_utils.data.constants import ML100K_GENRES
from gnnrec_utils.io.errors import PathLike

__all__ = ["write_movielens_sample"]


def write_movielens_sample(
    folder: PathLike, num_users: int = 600, num_items: int = 800, num_days: int = 120, seed: int = 0
) -> Path:
    """Write an invented, seeded MovieLens-100K-format folder (``u.data``, ``u.item``, ``u.user``).

    **Synthetic**, for running the pipeline where the real files may not be shipped:
    each movie has one or two genres and a popularity drawn from a log-normal; each
    user has a taste over genres (Dirichlet), rates 20 or more movies chosen in
    proportion to popularity times taste, over a stretch of days after a start day
    spread across ``num_days`` days, and gives higher ratings to movies of genres
    they like. Nothing in it comes from MovieLens; ``load_movielens`` reads it.

    Args:
        folder: where to write the three files; created if needed.
        num_users, num_items: how many invented users and movies.
        num_days: the stretch of days the ratings span.
        seed: seed of the ``numpy.random.Generator`` that draws everything.

    Returns:
        ``folder``, as a :class:`~pathlib.Path`.
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    genres = rng.integers(1, len(ML100K_GENRES), (num_items, 2))
    genres[:, 1] = np.where(rng.random(num_items) < 0.4, genres[:, 1], genres[:, 0])
    popularity = rng.lognormal(0.0, 1.0, num_items)
    taste = rng.dirichlet(np.full(len(ML100K_GENRES), 0.3), num_users)
    rows = [_sample_user(rng, u, taste[u], genres, popularity, num_days) for u in range(num_users)]
    start = 874_724_710  # 1997-09-20, as MovieLens-100K starts
    lines = [f"{u + 1}\t{i + 1}\t{r}\t{start + t}" for u, i, r, t in np.concatenate(rows)]
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    (folder / "u.item").write_text(_sample_movies(genres), encoding="latin-1")
    (folder / "u.user").write_text(_sample_users(rng, num_users))
    return folder


def _sample_movies(genres: np.ndarray) -> str:
    """``u.item`` lines for invented movies with the genres ``genres`` (two per movie)."""
    flags = np.zeros((len(genres), len(ML100K_GENRES)), dtype=int)
    flags[np.arange(len(genres))[:, None], genres] = 1
    head = "{0}|Invented Movie {0} (1997)|01-Jan-1997||http://example.org/{0}|"
    return "".join(
        head.format(i + 1) + "|".join(map(str, flags[i])) + "\n" for i in range(len(genres))
    )


def _sample_users(rng: np.random.Generator, num_users: int) -> str:
    """``u.user`` lines for invented users: age, gender, occupation, a blank zip code."""
    jobs = ["student", "engineer", "writer", "other", "educator"]
    lines = []
    for u in range(num_users):
        age, gender, job = (
            rng.integers(15, 70),
            "MF"[rng.integers(2)],
            jobs[rng.integers(len(jobs))],
        )
        lines.append(f"{u + 1}|{age}|{gender}|{job}|00000\n")
    return "".join(lines)


def _sample_user(
    rng, user: int, taste: np.ndarray, genres: np.ndarray, popularity: np.ndarray, num_days: int
) -> np.ndarray:
    """Rows ``(user, item, rating, seconds)`` for one invented user."""
    like = taste[genres].mean(1)
    weight = popularity * like
    count = min(20 + int(rng.geometric(1 / 40)), len(weight) // 2)
    items = rng.choice(len(weight), count, replace=False, p=weight / weight.sum())
    score = like[items] / like.max() + rng.normal(0, 0.25, count)
    rating = np.clip(np.round(1.5 + 3.5 * score), 1, 5).astype(int)
    first = rng.uniform(0, num_days - 10) * 86_400
    seconds = np.minimum(first + rng.exponential(12 * 86_400, count), num_days * 86_400 - 1)
    return np.stack([np.full(count, user), items, rating, seconds.astype(int)], axis=1)
