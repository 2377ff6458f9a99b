"""Neighbour sampling: a hand-made graph whose neighbourhoods are worked out on paper,
a randomised graph checked edge by edge against the CSR, a frequency check of the
without-replacement draw, and PyG's LinkLoader / NodeLoader driven end to end."""

import pytest
import torch
import torch_geometric.typing
from torch_geometric.loader import LinkLoader, LinkNeighborLoader, NodeLoader
from torch_geometric.sampler import EdgeSamplerInput, NegativeSampling, NodeSamplerInput

from gnnrec_utils.graph import BipartiteCSR
from gnnrec_utils.training import CSRNeighborSampler, PositiveSet, drop_seed_edges, link_loader

# chi-square with 5 degrees of freedom exceeds 30 with probability < 2e-5
CHI2_BOUND = 30.0

# 4 users, 5 items (nodes 4..8). User 0: items 0 1 2; user 1: 1 3; user 2: 4; user 3: 0 4.
USERS = torch.tensor([0, 0, 0, 1, 1, 2, 3, 3, 0])
ITEMS = torch.tensor([0, 1, 2, 1, 3, 4, 0, 4, 1])  # (0, 1) repeated on purpose
# the same graph on paper: node -> neighbours
ADJ = {0: [4, 5, 6], 1: [5, 7], 2: [8], 3: [4, 8], 4: [0, 3], 5: [0, 1], 6: [0], 7: [1], 8: [2, 3]}


def hand_graph():
    return BipartiteCSR(USERS, ITEMS, num_users=4, num_items=5)


def hand_positives():
    return PositiveSet(USERS, ITEMS, num_users=4, num_items=5)


def edges_in(n):
    """``n`` seed edges ``(user node, item node)`` as an EdgeSamplerInput."""
    return EdgeSamplerInput(torch.arange(len(n[0])), torch.tensor(n[0]), torch.tensor(n[1]))


def global_edges(out):
    """Sampled edges as a set of global ``(source, target)`` pairs."""
    return set(zip(out.node[out.row].tolist(), out.node[out.col].tolist(), strict=True))


def check_edges_exist(graph, out):
    """Every sampled edge is the stored edge its id names, as ``neighbour -> node``."""
    stored = graph.edge_index()[:, out.edge]
    assert torch.equal(stored, torch.stack([out.node[out.row], out.node[out.col]]))


def check_fanouts(graph, out, fanouts, excluded=None):
    """Per frontier node of each hop: ``min(available, fan-out)`` distinct neighbours."""
    bounds = torch.tensor(out.num_sampled_nodes).cumsum(0).tolist()
    edge_bounds = [0] + torch.tensor(out.num_sampled_edges).cumsum(0).tolist()
    for h, k in enumerate(fanouts):
        begin, end = (0 if h == 0 else bounds[h - 1]), bounds[h]
        col = out.col[edge_bounds[h] : edge_bounds[h + 1]]
        assert ((col >= begin) & (col < end)).all()
        avail = graph.degree[out.node[begin:end]].clone()
        if h == 0 and excluded is not None:
            avail -= excluded
        counts = torch.bincount(col - begin, minlength=end - begin)
        assert torch.equal(counts, avail.clamp(max=k))
    pairs = torch.stack([out.row, out.col], 1)
    assert len(torch.unique(pairs, dim=0)) == len(pairs)  # without replacement


# ---------------------------------------------------------------- the graph


def test_csr_by_hand():
    graph = hand_graph()
    assert (graph.num_users, graph.num_items, graph.num_nodes, graph.num_pairs) == (4, 5, 9, 8)
    for node, neighbours in ADJ.items():
        assert graph.indices[graph.indptr[node] : graph.indptr[node + 1]].tolist() == neighbours
    assert graph.degree.tolist() == [len(ADJ[n]) for n in range(9)]
    edge_index = graph.edge_index()
    assert edge_index.shape == (2, 16) and edge_index.dtype == torch.long
    pairs = set(zip(*edge_index.tolist(), strict=True))
    assert pairs == {(m, n) for n, nbrs in ADJ.items() for m in nbrs}
    ids = graph.edge_ids(torch.tensor([5, 0, 3, 2]), torch.tensor([0, 5, 8, 4]))
    assert ids[3] == -1
    assert edge_index[:, ids[:3]].tolist() == [[5, 0, 3], [0, 5, 8]]
    data = graph.to_data()
    assert data.num_nodes == 9 and torch.equal(data.edge_index, edge_index)
    assert graph.to_data(with_edges=False).edge_index.shape == (2, 0)


def test_from_positives_matches_constructor():
    graph = BipartiteCSR.from_positives(hand_positives())
    assert torch.equal(graph.indices, hand_graph().indices)
    assert torch.equal(graph.indptr, hand_graph().indptr)


# ---------------------------------------------------------------- by hand


def test_full_fanout_from_a_node_is_its_two_hop_neighbourhood():
    sampler = CSRNeighborSampler(hand_graph(), [100, 100])
    out = sampler.sample_from_nodes(NodeSamplerInput(None, torch.tensor([0])))
    assert out.node.tolist() == [0, 4, 5, 6, 3, 1]  # seed, hop 1, hop 2
    assert out.num_sampled_nodes == [1, 3, 2] and out.num_sampled_edges == [3, 5]
    hop1 = {(4, 0), (5, 0), (6, 0)}
    hop2 = {(0, 4), (3, 4), (0, 5), (1, 5), (0, 6)}
    assert global_edges(out) == hop1 | hop2
    check_edges_exist(hand_graph(), out)


def test_full_fanout_from_an_edge_leaves_the_edge_out():
    sampler = CSRNeighborSampler(hand_graph(), [100, 100])
    out = sampler.sample_from_edges(edges_in([[0], [5]]))  # user 0 - item 1
    assert out.node[:2].tolist() == [0, 5]
    assert set(out.node.tolist()) == {0, 5, 4, 6, 1, 3, 7}
    hop1 = {(4, 0), (6, 0), (1, 5)}
    hop2 = {(0, 4), (3, 4), (0, 6), (5, 1), (7, 1)}
    assert global_edges(out) == hop1 | hop2
    assert out.num_sampled_edges == [3, 5]
    _, edge_label_index, edge_label, _ = out.metadata
    assert out.node[edge_label_index].tolist() == [[0], [5]] and edge_label is None


def test_without_exclusion_the_edge_is_sampled_and_drop_seed_edges_matches():
    graph = hand_graph()
    seeds = [[0, 1], [5, 7]]
    neg = NegativeSampling("triplet")
    keep = CSRNeighborSampler(
        graph, [100, 100], positives=hand_positives(), exclude_batch_edges=False
    )
    leak = keep.sample_from_edges(edges_in(seeds), neg)
    assert {(0, 5), (5, 0), (1, 7), (7, 1)} <= global_edges(leak)
    excl = CSRNeighborSampler(graph, [100, 100], positives=hand_positives())
    clean = excl.sample_from_edges(edges_in(seeds), neg)
    dropped = drop_seed_edges(leak)
    assert global_edges(dropped) == global_edges(clean)
    assert dropped.num_sampled_edges == clean.num_sampled_edges
    check_edges_exist(graph, dropped)


def test_exclusion_happens_before_choosing():
    graph = hand_graph()
    for seed in range(10):  # user 0 has 4, 5, 6; 5 is the seed edge: fan-out 2 must give 4 and 6
        out = CSRNeighborSampler(graph, [2], seed=seed).sample_from_edges(edges_in([[0], [5]]))
        assert sorted(out.node[out.row[out.col == 0]].tolist()) == [4, 6]
        check_fanouts(graph, out, [2], excluded=torch.tensor([1, 1]))


def test_zero_fanout_samples_nothing():
    out = CSRNeighborSampler(hand_graph(), [0, 3]).sample_from_nodes(
        NodeSamplerInput(None, torch.tensor([3, 0, 3]))
    )
    assert out.node.tolist() == [3, 0] and len(out.row) == 0
    assert out.num_sampled_nodes == [2, 0, 0] and out.num_sampled_edges == [0, 0]


def test_triplet_negatives_are_non_positive_items():
    positives = hand_positives()
    sampler = CSRNeighborSampler(hand_graph(), [2, 2], positives=positives, seed=3)
    out = sampler.sample_from_edges(
        edges_in([[0, 1, 3], [4, 5, 8]]), NegativeSampling("triplet", 4)
    )
    _, src, dst_pos, dst_neg, _ = out.metadata
    assert out.node[src].tolist() == [0, 1, 3] and out.node[dst_pos].tolist() == [4, 5, 8]
    assert dst_neg.shape == (3, 4)
    neg = out.node[dst_neg]
    assert ((neg >= 4) & (neg < 9)).all()
    assert not positives.contains(out.node[src].unsqueeze(1), neg - 4).any()
    assert set(neg[0].tolist()) <= {7, 8}  # user 0's only non-positives: items 3 and 4


def test_binary_mode_appends_negative_pairs_with_label_zero():
    positives = hand_positives()
    sampler = CSRNeighborSampler(hand_graph(), [1], positives=positives)
    out = sampler.sample_from_edges(edges_in([[0, 1], [4, 5]]), NegativeSampling("binary", 1.5))
    _, edge_label_index, edge_label, _ = out.metadata
    assert edge_label.tolist() == [1, 1, 0, 0, 0]
    users, items = out.node[edge_label_index]
    assert users.tolist() == [0, 1, 0, 1, 0] and items[:2].tolist() == [4, 5]
    assert not positives.contains(users[2:], items[2:] - 4).any()


def test_draw_is_uniform_over_subsets():
    # 40 users, each with the same 4 items: fan-out 2 picks one of 6 pairs, each w.p. 1/6
    users = torch.arange(40).repeat_interleave(4)
    graph = BipartiteCSR(users, torch.arange(4).repeat(40), num_users=40, num_items=4)
    sampler = CSRNeighborSampler(graph, [2], seed=1)
    codes = []
    for _ in range(30):
        out = sampler.sample_from_nodes(NodeSamplerInput(None, torch.arange(40)))
        item = (out.node[out.row] - 40).view(40, 2).sort(1).values
        codes.append(item[:, 0] * 4 + item[:, 1])
    pairs = torch.tensor([a * 4 + b for a in range(4) for b in range(a + 1, 4)])
    observed = (torch.cat(codes).unsqueeze(1) == pairs).sum(0).double()
    assert observed.sum() == 1200
    assert float(((observed - 200) ** 2 / 200).sum()) < CHI2_BOUND


# ---------------------------------------------------------------- randomised


def random_graph(seed=0, num_users=200, num_items=300, num_pairs=1500):
    g = torch.Generator().manual_seed(seed)
    users = torch.randint(num_users, (num_pairs,), generator=g)
    items = torch.randint(num_items, (num_pairs,), generator=g)
    positives = PositiveSet(users, items, num_users=num_users, num_items=num_items)
    return BipartiteCSR.from_positives(positives), positives


def test_random_graph_edges_exist_fanouts_hold_and_nothing_leaks():
    graph, positives = random_graph()
    sampler = CSRNeighborSampler(graph, [5, 3], positives=positives, seed=2)
    pick = torch.randperm(len(positives), generator=torch.Generator().manual_seed(0))[:64]
    users, items = positives.users[pick], positives.items[pick] + graph.num_users
    index = EdgeSamplerInput(torch.arange(64), users, items)
    out = sampler.sample_from_edges(index, NegativeSampling("triplet", 2))
    check_edges_exist(graph, out)
    _, src, dst_pos, dst_neg, _ = out.metadata
    seeds = out.num_sampled_nodes[0]
    batch_edges = torch.cat([torch.stack([src, dst_pos]), torch.stack([dst_pos, src])], 1)
    excluded = torch.bincount(torch.unique(batch_edges, dim=1)[0], minlength=seeds)
    check_fanouts(graph, out, [5, 3], excluded=excluded)
    n = len(out.node)
    assert not torch.isin(out.row * n + out.col, batch_edges[0] * n + batch_edges[1]).any()
    assert torch.equal(out.node[src], users) and torch.equal(out.node[dst_pos], items)
    neg = out.node[dst_neg] - graph.num_users
    assert not positives.contains(users.unsqueeze(1), neg).any()


def test_same_seed_same_outputs_other_seed_differs():
    graph, positives = random_graph()
    index = EdgeSamplerInput(None, positives.users[:32], positives.items[:32] + graph.num_users)

    def run(seed):
        sampler = CSRNeighborSampler(graph, [5, 3], positives=positives, seed=seed)
        outs = [sampler.sample_from_edges(index, NegativeSampling("triplet")) for _ in range(2)]
        return [torch.cat([o.node, o.row, o.col, o.edge, o.metadata[3]]) for o in outs]

    first, again, other = run(0), run(0), run(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first[0], first[1])  # the generator moves on between calls
    assert not torch.equal(first[0], other[0])


# ---------------------------------------------------------------- PyG's loaders


def make_link_loader(graph, positives, users, items):
    sampler = CSRNeighborSampler(graph, [3, 2], positives=positives, seed=5)
    return LinkLoader(
        graph.to_data(),
        link_sampler=sampler,
        edge_label_index=torch.stack([users, items + graph.num_users]),
        neg_sampling=NegativeSampling("triplet", 1),
        batch_size=16,
        shuffle=True,
        generator=torch.Generator().manual_seed(0),
    )


def check_link_batch(graph, positives, batch, users, items):
    """The batch's local indices point at the right global ids, messages neighbour -> node."""
    stored = graph.edge_index()[:, batch.e_id]
    assert torch.equal(batch.n_id[batch.edge_index], stored)
    hop1 = batch.edge_index[:, : batch.num_sampled_edges[0]]
    assert (hop1[1] < batch.num_sampled_nodes[0]).all()  # targets of hop 1 are seeds
    u, pos = batch.n_id[batch.src_index], batch.n_id[batch.dst_pos_index]
    assert torch.equal(u, users[batch.input_id])
    assert torch.equal(pos, items[batch.input_id] + graph.num_users)
    neg = batch.n_id[batch.dst_neg_index] - graph.num_users
    assert (neg >= 0).all() and not positives.contains(u, neg).any()
    n, ends = graph.num_nodes, batch.n_id[batch.edge_index]
    sent = torch.cat([u * n + pos, pos * n + u])
    assert not torch.isin(ends[0] * n + ends[1], sent).any()


def test_link_loader_end_to_end_and_reproducible():
    graph, positives = random_graph(1, num_users=60, num_items=80, num_pairs=300)
    users, items = positives.users[:40], positives.items[:40]
    runs = []
    for _ in range(2):
        batches = list(make_link_loader(graph, positives, users, items))
        assert [b.input_id.numel() for b in batches] == [16, 16, 8]
        for b in batches:
            check_link_batch(graph, positives, b, users, items)
        runs.append(batches)
    for a, b in zip(*runs, strict=True):
        assert torch.equal(a.n_id, b.n_id) and torch.equal(a.edge_index, b.edge_index)
        assert torch.equal(a.dst_neg_index, b.dst_neg_index)
    assert not torch.equal(runs[0][0].input_id, torch.arange(16))  # shuffled


def node_batches(graph, nodes, fanouts, batch_size, seed=0):
    """PyG's NodeLoader driven by the kit's sampler, as a list of batches."""
    sampler = CSRNeighborSampler(graph, fanouts, seed=seed)
    loader = NodeLoader(
        graph.to_data(with_edges=False),
        node_sampler=sampler,
        input_nodes=nodes,
        batch_size=batch_size,
    )
    return list(loader)


def test_node_loader_end_to_end():
    graph, _ = random_graph(2, num_users=60, num_items=80, num_pairs=300)
    nodes = torch.tensor([3, 70, 0, 100, 59])
    batches = node_batches(graph, nodes, [4, 2], batch_size=2)
    assert torch.equal(torch.cat([b.n_id[: b.batch_size] for b in batches]), nodes)
    for b in batches:
        assert torch.equal(b.n_id[b.edge_index], graph.edge_index()[:, b.e_id])
        assert (b.edge_index[1, : b.num_sampled_edges[0]] < b.batch_size).all()
    again = node_batches(graph, nodes, [4, 2], batch_size=2)
    assert all(torch.equal(a.edge_index, b.edge_index) for a, b in zip(batches, again, strict=True))


def test_link_loader_helper_without_pyg_lib():
    graph, positives = random_graph(3, num_users=60, num_items=80, num_pairs=300)
    users, items = positives.users[:20], positives.items[:20]
    loader = link_loader(graph, users, items, [3, 2], batch_size=8, positives=positives)
    assert isinstance(loader, LinkLoader) and not isinstance(loader, LinkNeighborLoader)
    batches = list(loader)
    for b in batches:
        check_link_batch(graph, positives, b, users, items)
    again = list(link_loader(graph, users, items, [3, 2], batch_size=8, positives=positives))
    assert all(torch.equal(a.n_id, b.n_id) for a, b in zip(batches, again, strict=True))


def test_helpers_choose_pyg_loaders_when_pyg_lib_is_there(monkeypatch):
    graph, positives = random_graph(3, num_users=60, num_items=80, num_pairs=300)
    users, items = positives.users[:20], positives.items[:20]
    monkeypatch.setattr(torch_geometric.typing, "WITH_PYG_LIB", True)
    links = link_loader(graph, users, items, [3], batch_size=8, positives=positives)
    assert isinstance(links, LinkNeighborLoader)
    monkeypatch.setattr(torch_geometric.typing, "WITH_PYG_LIB", False)
    with pytest.raises(ImportError, match="pyg-lib"):  # neither is installed here
        next(iter(links))


# ---------------------------------------------------------------- bad input


def test_bad_graph_input():
    with pytest.raises(ValueError, match=r"users must lie in \[0, 4\), found \[0, 4\]"):
        BipartiteCSR(torch.tensor([0, 4]), torch.tensor([0, 1]), 4, 5)
    with pytest.raises(ValueError, match=r"items must lie in \[0, 5\), found \[-1, 1\]"):
        BipartiteCSR(torch.tensor([0, 1]), torch.tensor([-1, 1]), 4, 5)
    with pytest.raises(ValueError, match="users and items"):
        BipartiteCSR(torch.tensor([0, 1]), torch.tensor([1]), 4, 5)


@pytest.mark.parametrize("fanouts", [[], [2, -1]])
def test_bad_fanouts(fanouts):
    with pytest.raises(ValueError, match=r"num_neighbors .*got \[" + ", ".join(map(str, fanouts))):
        CSRNeighborSampler(hand_graph(), fanouts)


def test_bad_seeds():
    sampler = CSRNeighborSampler(hand_graph(), [2])
    with pytest.raises(ValueError, match=r"index.node must lie in \[0, 9\), found \[0, 9\]"):
        sampler.sample_from_nodes(NodeSamplerInput(None, torch.tensor([0, 9])))
    with pytest.raises(ValueError, match="index.node holds no seeds"):
        sampler.sample_from_nodes(NodeSamplerInput(None, torch.tensor([], dtype=torch.long)))
    with pytest.raises(ValueError, match=r"index.row must lie in \[0, 4\), found \[0, 5\]"):
        sampler.sample_from_edges(edges_in([[0, 5], [4, 5]]))
    with pytest.raises(ValueError, match=r"index.col must lie in \[4, 9\), found \[1, 5\]"):
        sampler.sample_from_edges(edges_in([[0, 1], [1, 5]]))  # an item id, not its node
    with pytest.raises(ValueError, match="index.row holds no seeds"):
        sampler.sample_from_edges(edges_in([[], []]))
    with pytest.raises(ValueError, match="positives is None"):
        sampler.sample_from_edges(edges_in([[0], [4]]), NegativeSampling("triplet"))


def test_bad_helper_input():
    graph, positives = hand_graph(), hand_positives()
    with pytest.raises(ValueError, match=r"items must lie in \[0, 5\), found \[0, 5\]"):
        link_loader(graph, [0, 1], [0, 5], [2], batch_size=2, positives=positives)
    other = PositiveSet(USERS, ITEMS, num_users=4, num_items=6)
    with pytest.raises(ValueError, match="positives has 4 users and 6 items"):
        CSRNeighborSampler(graph, [2], positives=other)
