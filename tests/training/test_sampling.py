"""Samplers: hand-made graphs whose answer is known, randomised checks on the tiny
synthetic shop against plain Python sets, and frequency checks against the target
distribution (a chi-square statistic under a loose bound, with fixed seeds)."""

import pandas as pd
import pytest
import torch

from gnnrec_utils.training import (
    PositiveSet,
    hard_negatives,
    intent_positives,
    popularity_negatives,
    popularity_weights,
    random_walks,
    sample_bpr_batch,
    uniform_negatives,
    walk_item_visit_counts,
    walk_pairs,
)

# chi-square with <= 6 degrees of freedom exceeds 30 with probability < 5e-5
CHI2_BOUND = 30.0


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def chi_square(draws, probs):
    """Pearson's statistic of integer ``draws`` against category probabilities ``probs``."""
    observed = torch.bincount(draws, minlength=len(probs)).double()
    keep = probs > 0
    assert observed[~keep].sum() == 0, "drew a category of probability 0"
    expected = probs[keep] * len(draws)
    return float(((observed[keep] - expected) ** 2 / expected).sum())


@pytest.fixture(scope="module")
def shop_positives(tiny_shop):
    shop = tiny_shop
    return PositiveSet.from_events(shop.events, num_users=shop.num_users, num_items=shop.num_items)


@pytest.fixture(scope="module")
def pair_set(shop_positives):
    p = shop_positives
    return set(zip(p.users.tolist(), p.items.tolist(), strict=True))


def hand_set():
    """Five items; user 0 has all but item 3, user 1 has items 0 and 2, user 2 has none."""
    users = torch.tensor([0, 0, 0, 0, 1, 1, 0])
    items = torch.tensor([0, 1, 2, 4, 2, 0, 1])  # (0, 1) repeated on purpose
    return PositiveSet(users, items, num_users=3, num_items=5)


# ---------------------------------------------------------------- PositiveSet


def test_positive_set_by_hand():
    p = hand_set()
    assert len(p) == 6  # the repeated pair counts once
    assert p.keys.tolist() == [0, 1, 2, 4, 5, 7]
    assert p.indptr.tolist() == [0, 4, 6, 6] and p.indices.tolist() == [0, 1, 2, 4, 0, 2]
    assert p.item_indptr.tolist() == [0, 2, 3, 5, 5, 6]
    assert p.item_indices.tolist() == [0, 1, 0, 0, 1, 0]
    assert p.user_degree.tolist() == [4, 2, 0]
    found = p.contains(torch.tensor([0, 0, 1, 2, -1, 0]), torch.tensor([3, 4, 2, 0, 0, 5]))
    assert found.tolist() == [False, True, True, False, False, False]


def test_contains_matches_python_set(shop_positives, pair_set):
    p, g = shop_positives, gen(3)
    users = torch.randint(-2, p.num_users + 2, (20000,), generator=g)
    items = torch.randint(-2, p.num_items + 2, (20000,), generator=g)
    half = torch.randint(len(p), (10000,), generator=g)  # half the queries are positives
    users, items = torch.cat([users, p.users[half]]), torch.cat([items, p.items[half]])
    expected = [(u, i) in pair_set for u, i in zip(users.tolist(), items.tolist(), strict=True)]
    assert p.contains(users, items).tolist() == expected
    assert p.contains(users.view(-1, 1), items.view(-1, 1)).view(-1).tolist() == expected


def test_csr_matches_python_set(shop_positives, pair_set):
    p = shop_positives
    for u in range(p.num_users):
        row = p.indices[p.indptr[u] : p.indptr[u + 1]].tolist()
        assert row == sorted(i for v, i in pair_set if v == u)
    for i in range(p.num_items):
        col = p.item_indices[p.item_indptr[i] : p.item_indptr[i + 1]].tolist()
        assert col == sorted(u for u, j in pair_set if j == i)


def test_from_events_keeps_distinct_pairs():
    events = pd.DataFrame(
        {"user_id": [0, 0, 1, 1], "item_id": [2, 2, 0, 2], "behavior": ["pv", "cart", "pv", "buy"]}
    )
    p = PositiveSet.from_events(events, num_items=4)
    assert len(p) == 3 and p.num_users == 2 and p.num_items == 4
    assert PositiveSet.from_events(events).num_items == 3  # default: max item_id + 1


def test_intent_positives_skip_views_and_merge_repeats():
    ev = pd.DataFrame(
        {
            "user_id": [0, 0, 0, 2],
            "item_id": [1, 2, 2, 0],
            "behavior": ["pv", "cart", "buy", "fav"],
            "timestamp": [0, 0, 1, 0],
        }
    )
    pos = intent_positives(ev, num_users=3, num_items=4)
    assert len(pos) == 2 and pos.num_users == 3 and pos.num_items == 4
    assert pos.contains(torch.tensor([0, 2, 0]), torch.tensor([2, 0, 1])).tolist() == [
        True,
        True,
        False,
    ]


def test_out_of_range_ids_raise():
    with pytest.raises(ValueError, match="items must lie in"):
        PositiveSet(torch.tensor([0]), torch.tensor([5]), num_items=5)
    with pytest.raises(ValueError, match="one length"):
        PositiveSet(torch.tensor([0, 1]), torch.tensor([0]), num_items=5)


# ---------------------------------------------------------------- negatives


def all_users(p, repeat):
    return torch.arange(p.num_users).repeat(repeat)


NEGATIVE_SAMPLERS = {
    "uniform": lambda p, users, g: uniform_negatives(p, users, num_neg=4, generator=g),
    "popularity": lambda p, users, g: popularity_negatives(
        p, users, torch.bincount(p.items, minlength=p.num_items), num_neg=4, generator=g
    ),
    "hard": lambda p, users, g: hard_negatives(
        lambda u, i: ((u * 7 + i * 13) % 17).float(), p, users, num_candidates=5, generator=g
    ),
}


@pytest.mark.parametrize("name", NEGATIVE_SAMPLERS)
def test_negatives_are_never_positives(name, shop_positives, pair_set):
    p = shop_positives
    users = all_users(p, 10)  # 3000 users x 4 negatives (or 5 candidates)
    neg = NEGATIVE_SAMPLERS[name](p, users, gen(0))
    assert neg.shape == ((len(users), 4) if name != "hard" else (len(users),))
    assert neg.min() >= 0 and neg.max() < p.num_items
    pairs = zip(
        users.unsqueeze(-1).expand_as(neg.view(len(users), -1)).reshape(-1).tolist(),
        neg.reshape(-1).tolist(),
        strict=True,
    )
    assert not any(pair in pair_set for pair in pairs)


@pytest.mark.parametrize("name", NEGATIVE_SAMPLERS)
def test_negatives_are_deterministic_given_the_generator(name, shop_positives):
    users = all_users(shop_positives, 2)
    first = NEGATIVE_SAMPLERS[name](shop_positives, users, gen(5))
    assert torch.equal(first, NEGATIVE_SAMPLERS[name](shop_positives, users, gen(5)))
    assert not torch.equal(first, NEGATIVE_SAMPLERS[name](shop_positives, users, gen(6)))


@pytest.mark.parametrize("max_rounds", [20, 0])  # 0: everything through the exact fallback
def test_user_with_one_free_item_always_gets_it(max_rounds):
    p, users = hand_set(), torch.zeros(2000, dtype=torch.long)
    assert (uniform_negatives(p, users, generator=gen(), max_rounds=max_rounds) == 3).all()
    # item 3 has count 0 (floor 1) against counts 1000: acceptance ~1/180 per draw
    popularity = torch.tensor([1000, 1000, 1000, 0, 1000])
    neg = popularity_negatives(
        p, users, popularity, num_neg=3, generator=gen(), max_rounds=max_rounds
    )
    assert (neg == 3).all()
    assert (hard_negatives(lambda u, i: -i.float(), p, users[:50], generator=gen()) == 3).all()


def test_user_with_every_item_raises():
    p = PositiveSet(torch.tensor([0, 0, 0, 1]), torch.tensor([0, 1, 2, 0]), num_items=3)
    with pytest.raises(ValueError, match="user 0 has every one of the 3 items"):
        uniform_negatives(p, torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="every one"):
        popularity_negatives(p, torch.tensor([0]), torch.ones(3))
    with pytest.raises(ValueError, match="every one"):
        hard_negatives(lambda u, i: i.float(), p, torch.tensor([0]))
    assert uniform_negatives(p, torch.tensor([1]), generator=gen()).tolist()[0] in (1, 2)


@pytest.mark.parametrize("max_rounds", [20, 0])
def test_uniform_frequencies_over_the_non_positives(max_rounds):
    p = hand_set()
    neg = uniform_negatives(p, torch.full((30000,), 1), generator=gen(1), max_rounds=max_rounds)
    probs = torch.tensor([0, 1, 0, 1, 1], dtype=torch.double) / 3  # user 1 has items 0 and 2
    assert chi_square(neg, probs) < CHI2_BOUND
    cold = uniform_negatives(p, torch.full((30000,), 2), generator=gen(2), max_rounds=max_rounds)
    assert chi_square(cold, torch.full((5,), 0.2, dtype=torch.double)) < CHI2_BOUND


def test_popularity_weights_by_hand():
    # counts [0, 2, 16]: the zero is floored to the smallest non-zero count, 2
    w = popularity_weights(torch.tensor([0, 2, 16]), alpha=0.75)
    assert torch.allclose(w, torch.tensor([2**0.75, 2**0.75, 8.0], dtype=torch.double))
    assert torch.equal(popularity_weights(torch.zeros(3), 0.75), torch.ones(3, dtype=torch.double))
    with pytest.raises(ValueError):
        popularity_weights(torch.tensor([1.0, -1.0]))


@pytest.mark.parametrize("max_rounds", [20, 0])
@pytest.mark.parametrize("alpha", [0.75, 1.0, 0.0])
def test_popularity_frequencies_follow_count_to_the_alpha(alpha, max_rounds):
    popularity = torch.tensor([0, 1, 4, 9, 16, 100, 30])
    p = PositiveSet(torch.tensor([1, 1]), torch.tensor([5, 2]), num_users=2, num_items=7)
    for user, positives in ((0, []), (1, [5, 2])):
        users = torch.full((40000,), user)
        neg = popularity_negatives(
            p, users, popularity, alpha, generator=gen(user), max_rounds=max_rounds
        )
        probs = popularity.clamp(min=1).double() ** alpha
        probs[positives] = 0
        assert chi_square(neg, probs / probs.sum()) < CHI2_BOUND


def test_popularity_length_must_match_catalogue():
    with pytest.raises(ValueError, match="expected 5"):
        popularity_negatives(hand_set(), torch.tensor([1]), torch.ones(4))


def test_hard_negative_is_the_best_candidate(shop_positives):
    p = shop_positives
    users = torch.arange(p.num_users)
    seen = {}

    def score_fn(u, i):  # even users prefer high item ids, odd users low ones
        seen.update(users=u, grad=torch.is_grad_enabled())
        return torch.where(u % 2 == 0, i, -i).float().requires_grad_()

    hard = hard_negatives(score_fn, p, users, num_candidates=8, generator=gen(4))
    candidates = uniform_negatives(p, users, num_neg=8, generator=gen(4))  # the same draws
    expected = torch.where(users % 2 == 0, candidates.max(1).values, candidates.min(1).values)
    assert torch.equal(hard, expected)
    assert torch.equal(seen["users"], users.repeat_interleave(8)) and not seen["grad"]


# ---------------------------------------------------------------- positives


def test_bpr_batch_draws_positive_pairs_uniformly():
    p = hand_set()
    users, items = sample_bpr_batch(p, 30000, generator=gen(7))
    assert p.contains(users, items).all()
    probs = torch.bincount(p.keys, minlength=15).double() / len(p)  # 1/6 on each pair's key
    assert chi_square(users * 5 + items, probs) < CHI2_BOUND
    again = sample_bpr_batch(p, 30000, generator=gen(7))
    assert torch.equal(users, again[0]) and torch.equal(items, again[1])


# ---------------------------------------------------------------- random walks


def test_walks_alternate_users_and_items_by_hand():
    # user u owns items 5 + u and 5 + (u + 1) % 3, in a catalogue of 8: user ids {0, 1, 2},
    # item ids {5, 6, 7}, so the parity of a column shows in its values
    users = torch.tensor([0, 0, 1, 1, 2, 2])
    items = torch.tensor([5, 6, 6, 7, 7, 5])
    p = PositiveSet(users, items, num_users=4, num_items=8)  # user 3 has no positives
    walks = random_walks(p, torch.tensor([0, 1, 2, 3]).repeat(50), walk_length=6, generator=gen())
    assert walks.shape == (200, 7)
    live = walks[walks[:, 0] != 3]
    assert set(live[:, 0::2].unique().tolist()) <= {0, 1, 2}
    assert set(live[:, 1::2].unique().tolist()) == {5, 6, 7}
    dead = walks[walks[:, 0] == 3]
    assert (dead[:, 1:] == -1).all()


def test_walk_steps_follow_edges(shop_positives):
    p = shop_positives
    walks = random_walks(p, torch.arange(p.num_users).repeat(5), walk_length=7, generator=gen(8))
    starts_live = p.user_degree[walks[:, 0]] > 0
    walks = walks[starts_live]
    for k in range(7):
        user = walks[:, k if k % 2 == 0 else k + 1]
        item = walks[:, k + 1 if k % 2 == 0 else k]
        assert p.contains(user, item).all(), f"step {k} left the graph"


def test_walk_step_is_uniform_over_neighbours():
    p = hand_set()  # user 0 has items 0, 1, 2, 4; item 2 has users 0 and 1
    walks = random_walks(p, torch.zeros(20000, dtype=torch.long), walk_length=2, generator=gen(9))
    first = torch.tensor([1, 1, 1, 0, 1], dtype=torch.double) / 4
    assert chi_square(walks[:, 1], first) < CHI2_BOUND
    back = walks[walks[:, 1] == 2, 2]  # from item 2: users 0 and 1 equally
    assert chi_square(back, torch.tensor([0.5, 0.5, 0.0], dtype=torch.double)) < CHI2_BOUND


def test_walks_are_deterministic_given_the_generator(shop_positives):
    starts = torch.arange(shop_positives.num_users)
    a = random_walks(shop_positives, starts, 5, generator=gen(11))
    assert torch.equal(a, random_walks(shop_positives, starts, 5, generator=gen(11)))
    b = walk_pairs(shop_positives, 500, 5, generator=gen(11))
    c = walk_pairs(shop_positives, 500, 5, generator=gen(11))
    assert torch.equal(b[0], c[0]) and torch.equal(b[1], c[1])


def reachable(p, hops):
    """Dense (num_users, num_items) bool: item reachable from user in <= hops steps."""
    a = torch.zeros(p.num_users, p.num_items)
    a[p.users, p.items] = 1
    reach, frontier = a.clone(), a.clone()
    for _ in range((hops - 1) // 2):
        frontier = ((frontier @ a.T) @ a).clamp(max=1)
        reach = (reach + frontier).clamp(max=1)
    return reach.bool()


@pytest.mark.parametrize("walk_length", [1, 2, 3, 4])
def test_walk_pairs_are_reachable_in_walk_length_hops(shop_positives, walk_length):
    p = shop_positives
    users, items = walk_pairs(p, 5000, walk_length, generator=gen(12))
    assert (p.user_degree[users] > 0).all()
    assert reachable(p, walk_length)[users, items].all()
    direct = p.contains(users, items)
    assert direct.all() if walk_length < 3 else not direct.all()  # 3+ hops reach beyond neighbours


def test_walk_pairs_need_an_item_column():
    with pytest.raises(ValueError, match="walk_length"):
        walk_pairs(hand_set(), 4, walk_length=0)


def test_visit_counts(shop_positives):
    p = shop_positives
    starts = torch.tensor([0, 5, 9])
    counts = walk_item_visit_counts(p, starts, walk_length=5, num_walks=20, generator=gen(13))
    assert counts.shape == (3, p.num_items)
    dense = counts.to_dense()
    assert dense.sum(1).tolist() == [20 * 3.0] * 3  # 3 item columns per walk of length 5
    assert reachable(p, 5)[starts][dense > 0].all()
    cold = hand_set()
    assert walk_item_visit_counts(cold, torch.tensor([2]), 3, generator=gen()).to_dense().sum() == 0
