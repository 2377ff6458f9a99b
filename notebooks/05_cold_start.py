# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · Cold start: shoppers and products the model never saw
#
# A transductive model such as LightGCN learns one vector per user and item it trained
# on; a shopper who arrives tomorrow has none. This notebook measures what a shop can do
# for three groups — brand-new shoppers, shoppers with one, three or five interactions,
# and brand-new products — and builds the function an engineer calls for them.
#
# **What you will learn**
# - a protocol for cold start without leakage: shoppers who arrive after the model was
#   fitted and reveal a few items, held-out products, and the cold shoppers of the test
#   day;
# - fallbacks that need no model: global and segment popularity, category statistics;
# - *inductive* inference with a trained GNN: add the new node and its edges to the
#   graph and propagate, without retraining; attribute encoders and attribute nodes
#   (category, brand) for nodes with no edges at all;
# - a table of method × group that says which to use when, and `ColdStartRecommender`.
#
# **Prerequisites**: 04 · Evaluation.
# **Runtime**: ~42 s on a 2-core CPU (measured).
# **Source**: `05_cold_start.py`, a jupytext script paired with this notebook: edit either
# one, then rerun it with `python tools/run_notebook.py 05` (README, *Editing a notebook*).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 0 Setup

# %% slideshow={"slide_type": "skip"}
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from matplotlib import pyplot as plt

from gnnrec_utils.data import BEHAVIORS, load_shop, temporal_split
from gnnrec_utils.evaluation import evaluate, paired_difference, standard_error
from gnnrec_utils.graph import interaction_matrix, normalized_adjacency
from gnnrec_utils.models import (
    ItemKNN,
    LightGCN,
    MultiBehaviorGCN,
    item_attribute_codes,
    lightgcn_embedding,
    user_attribute_codes,
)
from gnnrec_utils.notebook import check_versions, method_group_chart, set_seed
from gnnrec_utils.scenarios import (
    ColdStartRecommender,
    arrival_split,
    attribute_adjacency,
    category_scores,
    evaluate_scores,
    few_shot_task,
    hold_out,
    known_nodes,
    per_user_scores,
    segment_popularity,
)
from gnnrec_utils.training import TrainConfig, intent_positives, train

versions = check_versions()  # warns where a version differs from the tested one

# %% slideshow={"slide_type": "skip"} tags=["parameters"]
SEED = 0
DATA = "../data/shop"
TOP_K = 10
ARRIVAL_DAY = 4  # newcomers arrive from this day (0 = the log's first); models fit before
HELD_OUT_ITEMS = 0.10  # share of training items kept out of training (cold-item group)
SHOTS = (1, 3, 5)  # interactions revealed per few-shot user
NUM_EPOCHS = 20
NUM_LAYERS = 1  # LightGCN layers; Exercise 1 compares 1, 2 and 3 on the validation day
set_seed(SEED)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 Three cold groups, measured without leakage
# Without leakage means: nothing a model fits on, or stops on, happens after what it is
# asked to predict (notebook 01, section 3). Each group is built so.
#
# **Newcomers, with a few shots.** Shoppers who arrive after the model was fitted. The
# model trains on the log's first days and stops early on the day before `ARRIVAL_DAY`;
# the newcomers are the shoppers whose first event falls on `ARRIVAL_DAY` or later
# (`arrival_split`). A newcomer reveals their first *n* items, in time order (every event
# on them up to the first touch of the *n*-th), and we predict the items they go on to
# fav, cart or buy after their fifth item: the same targets for every *n*, so the rows
# compare like with like. Every revealed event and every target comes after everything
# the model saw: no trend of the newcomers' days reaches it, not even through other
# shoppers.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
shop = load_shop(DATA)
split = temporal_split(shop)
n_u, n_i = split.num_users, split.num_items
early, newcomers = arrival_split(shop, ARRIVAL_DAY)
assert early.train.timestamp.max() < early.valid_start and early.valid.timestamp.max() < (
    early.test.timestamp.min()
)
task = few_shot_task(early.test, SHOTS)
few_users = task.users
print(
    f"models fit on {len(early.train):,} events (days 0-{ARRIVAL_DAY - 2}), stop on day "
    f"{ARRIVAL_DAY - 1}; {len(newcomers):,} newcomers, {len(few_users)} with {max(SHOTS)} "
    f"items and a later target; {len(task.targets):,} target pairs"
)
{n: len(r) for n, r in task.revealed.items()}

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Cold products** are held out: a random tenth of the items seen in training loses
# every training event before any model trains (`hold_out`), and the items first seen
# after the cut join them. The validation and test days are untouched.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
fit, _, held_items = hold_out(split, 0.0, HELD_OUT_ITEMS, seed=SEED)
assert not fit.train.item_id.isin(held_items).any()
print(
    f"held out: {len(held_items)} items; training events {len(split.train):,} -> {len(fit.train):,}"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Cold shoppers** have a test-day target and no event before the test day: only their
# attributes are known. The **cold products** (held out, or first seen after the cut) are
# ranked on a "new arrivals" shelf — only cold products are candidates — for the warm
# shoppers who fav, cart or buy one on the test day. Both are scored by models fitted
# before the test day.

# %% slideshow={"slide_type": "-"} tags=["nbval-check-output"]
history, targets = split.history("test"), split.targets("test")
cold_users = np.setdiff1d(targets.user_id.unique(), history.user_id.unique())
new_items = np.setdiff1d(np.arange(n_i), fit.train.item_id.unique())
shelf = targets[targets.item_id.isin(new_items) & targets.user_id.isin(fit.train.user_id.unique())]
shelf_users = shelf.user_id.unique()
print(
    f"cold shoppers: {len(cold_users)}; cold products: {len(new_items)}, "
    f"{len(shelf)} test pairs from {len(shelf_users)} warm shoppers"
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 Three models, fitted twice
# Each is trained twice: on the temporal split without the held-out products (`fit`),
# for warm shoppers, cold shoppers and cold products; and on the days before the
# newcomers arrive (`early`), for the few-shot group.
#
# - **LightGCN** on the user-item graph: ID vectors only.
# - **`MultiBehaviorGCN`** (notebook 02): ID vectors *plus* attribute encoders (age group,
#   gender, city tier; category, brand, price band), so a node without ID still has a vector.
# - **LightGCN with attribute nodes**: one extra node per category and per brand, linked
#   to every product that has it — a first step toward a knowledge graph. A new product
#   then has neighbours from the day it is listed.

# %% slideshow={"slide_type": "-"}
config = TrainConfig(num_epochs=NUM_EPOCHS, lr=0.01, patience=4, top_k=TOP_K, seed=SEED)
user_codes, user_cards = user_attribute_codes(shop.users)
item_codes, item_cards = item_attribute_codes(shop.items)
behavior_graph = lambda ev: {
    b: normalized_adjacency(ev[ev.behavior == b], n_u, n_i) for b in BEHAVIORS
}
stopped = {}  # (split, model) -> epochs run, and whether the cap ended them


def trained(model, on, name):
    history = train(model, on, intent_positives(on.train, n_u, n_i), config, progress=False)
    stopped[name] = f"{len(history)} epochs" + (
        ", cap" if len(history) == NUM_EPOCHS else ", stopped early"
    )
    return model.eval()


def three_models(on, label):
    set_seed(SEED)
    plain = LightGCN(normalized_adjacency(on.train, n_u, n_i), n_u, n_i, num_layers=NUM_LAYERS)
    set_seed(SEED)
    multi = MultiBehaviorGCN(
        behavior_graph(on.train), user_codes, item_codes, user_cards, item_cards
    )
    set_seed(SEED)
    attr_adj, num_attr = attribute_adjacency(on.train, shop.users, shop.items)
    attr = LightGCN(attr_adj, n_u, n_i, num_layers=NUM_LAYERS, num_extra_nodes=num_attr)
    return (
        trained(plain, on, f"{label}: LightGCN"),
        trained(multi, on, f"{label}: MultiBehaviorGCN"),
        trained(attr, on, f"{label}: LightGCN + attribute nodes"),
    )


lightgcn, mbgcn, attr_lightgcn = three_models(fit, "fit")
early_lightgcn, early_mbgcn, _ = three_models(early, "early")
attr_adj, num_attr = attribute_adjacency(fit.train, shop.users, shop.items)
stopped

# %% [markdown] slideshow={"slide_type": "subslide"}
# On warm test shoppers (full ranking), the price each model pays or not for its cold-start
# machinery:

# %% slideshow={"slide_type": "-"}
warm = pd.DataFrame(
    {
        name: evaluate(m, fit, "test", TOP_K)
        for name, m in {
            "LightGCN": lightgcn,
            "MultiBehaviorGCN": mbgcn,
            "LightGCN + attribute nodes": attr_lightgcn,
        }.items()
    }
).T
warm.round(4)


# %% [markdown] slideshow={"slide_type": "subslide"}
# With one layer, LightGCN reaches NDCG@10 0.0284 on warm shoppers and `MultiBehaviorGCN`
# 0.0315 (close to notebook 04's figures, although a tenth of the items is missing from
# training); `MultiBehaviorGCN` scores a little higher and the attribute nodes a little
# lower (0.0251), with no paired test here to say whether either gap is more than noise.
# Two of the six fits ran to the 20-epoch cap (`stopped`, printed above: `MultiBehaviorGCN`
# on `fit`, LightGCN on `early`); their figures are those of a capped run, which might
# have gained from more epochs.


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 Inductive inference: add the node, propagate, do not retrain
# LightGCN's vectors are averages over the graph, $E = \frac{1}{L+1}\sum_l \hat A^l E^{(0)}$.
# A new shopper's row of $E^{(0)}$ was never trained, but the rows of the items they touched
# were. So: add the shopper's edges to the graph, set the layer-0 vector of every node
# the model did not train on to zero, and propagate. The shopper's vector then comes from
# their items' trained vectors, one and more hops away.


# %% slideshow={"slide_type": "-"}
# saved as gnnrec_utils.scenarios.inductive.inductive_embedding
@torch.no_grad()
def inductive_embedding(model, adj, known):
    ego = model.embedding.weight * known.unsqueeze(1)
    out = lightgcn_embedding(adj, ego, model.num_layers)
    return out[: model.num_users], out[model.num_users : model.num_users + model.num_items]


# %% [markdown] slideshow={"slide_type": "subslide"}
# A check that teaches: with every node known and the training graph, this is exactly the
# trained model's embedding.

# %% slideshow={"slide_type": "-"}
everything = torch.ones(n_u + n_i, dtype=torch.bool)
with torch.no_grad():
    assert torch.allclose(
        inductive_embedding(lightgcn, lightgcn.adj, everything)[1], lightgcn.get_embedding()[1]
    )
known = known_nodes(fit.train, n_u, n_i, 0)
print(f"nodes the model trained on: {int(known.sum()):,} of {len(known):,}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# `MultiBehaviorGCN` does the same with `embed(adjs, known_users, known_items)`: unknown
# nodes start from their attribute vector instead of zero.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 Few-shot shoppers
# Five methods, each given only what the model was fitted on and the revealed events:
# global popularity; popularity within the shopper's age-gender segment; item-kNN (cosine
# similarity to the revealed items); LightGCN and `MultiBehaviorGCN` with the revealed
# edges added and propagated. All of them are the `early` ones: fitted on the days before
# the newcomers arrived.

# %% slideshow={"slide_type": "-"}
popularity = torch.tensor(fit.item_popularity(), dtype=torch.float64).expand(n_u, n_i)
segment = segment_popularity(fit.train, shop.users, np.arange(n_u), n_i)
known_u, known_i = known[:n_u], known[n_u:]
early_known = known_nodes(early.train, n_u, n_i, 0)


def few_shot_scores(revealed):
    events = pd.concat([early.train, revealed])
    user_emb, item_emb = ItemKNN(interaction_matrix(events, n_u, n_i)).get_embedding()
    scores = {
        "popularity": torch.tensor(early.item_popularity(), dtype=torch.float64).expand(n_u, n_i),
        "segment popularity": segment_popularity(early.train, shop.users, np.arange(n_u), n_i),
        "item-kNN": user_emb @ item_emb.T,
    }
    user_emb, item_emb = inductive_embedding(
        early_lightgcn, normalized_adjacency(events, n_u, n_i), early_known
    )
    scores["LightGCN (inductive)"] = user_emb @ item_emb.T
    with torch.no_grad():
        user_emb, item_emb = early_mbgcn.embed(
            behavior_graph(events), early_known[:n_u], early_known[n_u:]
        )
    scores["MultiBehaviorGCN (inductive)"] = user_emb @ item_emb.T
    return scores


# %% slideshow={"slide_type": "-"}
per_user = {}  # (shots, method) -> per-shopper recall and NDCG
for n, revealed in task.revealed.items():
    seen = revealed[["user_id", "item_id"]]
    for method, scores in few_shot_scores(revealed).items():
        per_user[n, method] = per_user_scores(scores, few_users, task.targets, seen, TOP_K)
few = pd.DataFrame(
    [
        {
            "group": f"{n}-shot",
            "method": m,
            f"recall@{TOP_K}": r.mean(),
            f"ndcg@{TOP_K}": d.mean(),
            "ndcg_se": standard_error(d),
        }
        for (n, m), (r, d) in per_user.items()
    ]
)
few.pivot(index="method", columns="group", values=f"ndcg@{TOP_K}").round(4)


# %% [markdown] slideshow={"slide_type": "subslide"}
# Are the gaps real? Every method scores the same shoppers, so compare them pair by
# pair: the mean per-shopper difference in NDCG@10, ± its standard error
# (`paired_difference`, from notebook 03), and how many standard errors that is.


# %% slideshow={"slide_type": "-"}
def pm(a, b):
    """The paired difference a − b: mean ± standard error (and their ratio)."""
    gain, se = paired_difference(a, b)
    return f"{gain:+.4f} ± {se:.4f} ({gain / se:+.1f} se)"


pairs = [("LightGCN (inductive)", b) for b in ["popularity", "segment popularity", "item-kNN"]]
pairs.append(("MultiBehaviorGCN (inductive)", "segment popularity"))
pd.DataFrame(
    {
        f"{n}-shot": {f"{a} − {b}": pm(per_user[n, a][1], per_user[n, b][1]) for a, b in pairs}
        for n in SHOTS
    }
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# - **From the first revealed item on, the inductive LightGCN beats both popularity
#   baselines**: over global popularity by +0.0476 ± 0.0114 at one shot (4.2 standard
#   errors), +0.0700 ± 0.0124 at three (5.6) and +0.0845 ± 0.0137 at five (6.2); over
#   segment popularity by 4.0 to 6.0 standard errors. The model was fitted before these
#   shoppers' first event and never trained on them.
# - **Item-kNN is level with the GNN** at every shot: −0.0015 ± 0.0086, −0.0003 ± 0.0089
#   and −0.0061 ± 0.0090, all within one standard error. A co-occurrence model is already
#   inductive for users, since a new row of the interaction matrix is all it needs.
# - **`MultiBehaviorGCN` folds in far lower** (NDCG@10 0.0169 to 0.0298), level with
#   segment popularity (−0.0022 ± 0.0036 at one shot, +0.0021 ± 0.0046 at three,
#   +0.0102 ± 0.0056 at five, 1.8 standard errors), although on warm shoppers it scores a
#   little higher than LightGCN. The next cell looks for a reason.
#
# Twelve comparisons sit side by side in this table. At 95 % each, about one in twenty
# would exclude zero by chance alone; to keep the chance of any false call at 5 %, each
# would have to clear 2.9 standard errors (Bonferroni, 0.05 / 12). The gaps over
# popularity, 4.0 to 6.2 standard errors, clear that; the rest are within 1.8.

# %% slideshow={"slide_type": "-"}
revealed = task.revealed[max(SHOTS)]
first_touch = revealed.drop_duplicates(["user_id", "item_id"]).behavior
weights = {b: round(w, 2) for b, w in early_mbgcn.behavior_weights().items()}
print("learned behaviour weights:", weights)
print(
    f"revealed at {max(SHOTS)} shots: {first_touch.eq('pv').mean():.0%} of first touches and "
    f"{revealed.behavior.eq('pv').mean():.0%} of all revealed events are views"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every revealed first touch is a view, and views are 91 % of all revealed events
# (favs, carts and purchases come later, on items already viewed). `MultiBehaviorGCN`,
# fitted before the newcomers arrived, gives the view graph a weight of 0.19 against 0.30
# for favs and 0.34 for carts. A newcomer's edges are mostly views, so they move the vector
# little away from the attribute vector it starts from; LightGCN weighs every edge alike.
# That is one explanation consistent with these numbers, not a test of it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 Cold shoppers: attributes only
# With no interaction at all, LightGCN has nothing to propagate (the shopper is an
# isolated node); `MultiBehaviorGCN` still has the attribute vector.

# %% slideshow={"slide_type": "-"}
with torch.no_grad():
    user_emb, item_emb = mbgcn.embed(None, known_u, known_i)
cold_scores = {
    "popularity": popularity,
    "segment popularity": segment,
    "MultiBehaviorGCN (attributes)": user_emb @ item_emb.T,
}
cold = pd.DataFrame(
    [
        {
            "group": "cold shoppers",
            "method": m,
            **evaluate_scores(s, cold_users, targets, history, TOP_K),
        }
        for m, s in cold_scores.items()
    ]
)
cold.round(4)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same shoppers score under every method, so pair them as in section 4:


# %% slideshow={"slide_type": "-"}
def paired_on(scores, users, pairs, targets_of, history_of, candidates=None):
    """Paired NDCG differences a − b over `users`, one row per pair (a, b)."""
    ndcg = {
        m: per_user_scores(s, users, targets_of, history_of, TOP_K, candidates)[1]
        for m, s in scores.items()
    }
    rows = [
        {"method": a, "minus": b, f"ndcg@{TOP_K}, paired": pm(ndcg[a], ndcg[b])} for a, b in pairs
    ]
    return pd.DataFrame(rows).set_index(["method", "minus"])


paired_on(
    cold_scores,
    cold_users,
    [
        ("segment popularity", "popularity"),
        ("segment popularity", "MultiBehaviorGCN (attributes)"),
        ("MultiBehaviorGCN (attributes)", "popularity"),
    ],
    targets,
    history,
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# For shoppers with nothing but attributes, segment popularity scores highest (NDCG@10
# 0.0310, against 0.0198 for global popularity and 0.0288 for `MultiBehaviorGCN`'s
# attribute vector), but on 104 shoppers no gap is settled: segment − global is
# +0.0112 ± 0.0090 (1.2 standard errors), segment − `MultiBehaviorGCN` +0.0022 ± 0.0086.
# Nothing here does measurably better than global popularity. Segment popularity, the
# simplest method with the highest score, is the fallback: a choice, not a result. The
# attribute vectors were trained as a supplement to ID vectors, not to stand alone;
# Exercise 3 tries attribute nodes instead.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 Cold products on a "new arrivals" shelf
# No product on the shelf has an event the models trained on. The fallbacks rank them by
# their category: its overall popularity, or how often *this* shopper used that category.
# `MultiBehaviorGCN` encodes a new product from category, brand and price band;
# LightGCN with attribute nodes reaches it through its category and brand nodes.

# %% slideshow={"slide_type": "-"}
user_a, item_a = inductive_embedding(
    attr_lightgcn, attr_adj, known_nodes(fit.train, n_u, n_i, num_attr)
)
shelf_scores = {
    "category popularity": category_scores(fit.train, shop.items, np.arange(n_u), personal=False),
    "shopper's categories": category_scores(fit.train, shop.items, np.arange(n_u)),
    "MultiBehaviorGCN (attributes)": user_emb @ item_emb.T,
    "LightGCN + attribute nodes": user_a @ item_a.T,
}
items_cold = pd.DataFrame(
    [
        {
            "group": "cold products",
            "method": m,
            **evaluate_scores(s, shelf_users, shelf, history, TOP_K, candidates=new_items),
        }
        for m, s in shelf_scores.items()
    ]
)
items_cold.round(4)

# %% slideshow={"slide_type": "-"}
paired_on(
    shelf_scores,
    shelf_users,
    [
        ("shopper's categories", "category popularity"),
        ("LightGCN + attribute nodes", "category popularity"),
        ("MultiBehaviorGCN (attributes)", "category popularity"),
        ("shopper's categories", "LightGCN + attribute nodes"),
        ("LightGCN + attribute nodes", "MultiBehaviorGCN (attributes)"),
    ],
    shelf,
    history,
    new_items,
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **The shopper's own categories, LightGCN with attribute nodes and `MultiBehaviorGCN`'s
# attribute vectors all place new products well** (NDCG@10 0.0915, 0.0840 and 0.0777), far
# above the category-popularity fallback (0.0072), which shows every shopper the same few
# categories: paired, +0.0842 ± 0.0168, +0.0768 ± 0.0147 and +0.0705 ± 0.0147, about five
# standard errors each. Among the three the paired differences are within half a standard
# error (+0.0075 ± 0.0181, +0.0063 ± 0.0158), so their order is not settled. The clear
# result: *personalise the shelf*; any of the three scores more than ten times the
# fallback.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 The whole picture: method × group
# Recall@10 and NDCG@10 for every method on every group (blank: the method cannot serve
# that group); the chart below it draws NDCG@10 with bars of ±1.96 standard errors.

# %% slideshow={"slide_type": "-"}
table = pd.concat([few, cold, items_cold]).pivot(
    index="method", columns="group", values=[f"recall@{TOP_K}", f"ndcg@{TOP_K}"]
)
order = ["1-shot", "3-shot", "5-shot", "cold shoppers", "cold products"]
table = table.reindex(
    columns=pd.MultiIndex.from_product([[f"recall@{TOP_K}", f"ndcg@{TOP_K}"], order])
)
table.round(4).astype(object).fillna("")

# %% slideshow={"slide_type": "-"}
method_group_chart(pd.concat([few, cold, items_cold]), f"ndcg@{TOP_K}", "ndcg_se", order)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Bars that overlap do not settle an order; the paired differences of sections 4 to 6 do
# (a shared shopper's luck cancels in a pair, not across two bars).
#
# **What more shots buy.** Each revealed item tells more about what the shopper goes on to
# want. The next cell counts the share of few-shot targets in a category the shopper has
# revealed, and pairs the inductive LightGCN's NDCG@10 after three and five shots with its
# own after one, on the same shoppers and targets.

# %% slideshow={"slide_type": "-"}
share = {}
cats = shop.items[["item_id", "category_id"]]
for n, revealed in task.revealed.items():
    seen_cats = revealed.merge(cats)[["user_id", "category_id"]].drop_duplicates()
    share[f"{n}-shot"] = (
        task.targets.merge(cats)
        .merge(seen_cats, how="left", indicator=True)
        ._merge.eq("both")
        .mean()
    )
pd.DataFrame(
    {
        f"{n}-shot": {
            "targets in a revealed category": f"{share[f'{n}-shot']:.3f}",
            f"LightGCN (inductive) − its 1-shot ndcg@{TOP_K}": pm(
                per_user[n, "LightGCN (inductive)"][1], per_user[1, "LightGCN (inductive)"][1]
            )
            if n > 1
            else "",
        }
        for n in SHOTS
    }
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# A quarter of the targets (26 %) lie in the first item's category, 31 % in the first
# three items' and 38 % in the first five's; the inductive LightGCN gains with them,
# +0.0228 ± 0.0064 from one shot to three (3.5 standard errors) and +0.0373 ± 0.0082 to
# five (4.6).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8 For engineers: `ColdStartRecommender`
# It wraps a trained LightGCN, its training events and the attribute tables; nothing is
# retrained per call. `recommend_for_new_user(attributes, recent_items, k)` adds the shopper
# and their recent items to the graph and propagates (with no recent items it falls back
# to the segment's popular items, the best cold-shopper method above);
# `recommend_for_new_item(attributes, k)` returns the shoppers to show a new product to,
# reached through its category and brand nodes.

# %% slideshow={"slide_type": "-"}
for_users = ColdStartRecommender(early_lightgcn, early.train, shop.users, shop.items)
shopper = few_users[0]  # a newcomer: the model fitted before their first event
recent = task.revealed[3].query("user_id == @shopper").item_id.unique()
attributes = shop.users.loc[shopper, ["age_group", "gender", "city_tier"]].to_dict()
picks = for_users.recommend_for_new_user(attributes, recent, k=TOP_K)
assert len(picks) == TOP_K and not set(picks) & set(recent)
attributes

# %% [markdown] slideshow={"slide_type": "subslide"}
# Their recent items, then what the shop shows them, with the attributes beside each item:

# %% slideshow={"slide_type": "-"}
show = lambda ids: shop.items.loc[ids, ["category_id", "brand_id", "price"]]
display(show(recent))
show(picks)

# %% [markdown] slideshow={"slide_type": "subslide"}
# All three recent items are in category 3 and brand 8; all ten picks are in category 3
# too, and four of them in brand 8. The graph read this from three edges.
#
# And a new product, listed today — which shoppers should see it first?

# %% slideshow={"slide_type": "-"}
for_items = ColdStartRecommender(
    attr_lightgcn, fit.train, shop.users, shop.items, item_columns=("category_id", "brand_id")
)
product = {
    "category_id": int(shop.items.category_id[held_items[0]]),
    "brand_id": int(shop.items.brand_id[held_items[0]]),
    "price": float(shop.items.price[held_items[0]]),
}
audience = for_items.recommend_for_new_item(product, k=5)
in_category = lambda ev: ev.item_id.map(shop.items.category_id).eq(product["category_id"]).mean()
print(f"new product {product}; audience {audience.tolist()}")
share_audience = in_category(fit.train[fit.train.user_id.isin(audience)])
print(
    f"share of training events in its category: the audience {share_audience:.3f}, "
    f"all shoppers {in_category(fit.train):.3f} ({share_audience / in_category(fit.train):.1f}x)"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The five shoppers chosen spend 14.9 % of their training events in the new product's
# category, 6.2 times the 2.4 % of all shoppers: the category and brand nodes reach people
# who shop there. Five shoppers are an example, not a measurement; the shelf in section 6
# is the measurement.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
# - Measure cold start so that nothing a model fits on comes after what it predicts:
#   newcomers who arrive after the models were fitted, revealed in time order, and
#   products held out of training; rank in full (the shelf: among all new products) and
#   compare methods pair by pair on the same shoppers: the groups are small.
# - **Add the node, propagate, do not retrain**: the one-layer LightGCN, fitted before a
#   newcomer's first event, beats global and segment popularity from the first revealed
#   item on (4.0 to 6.2 standard errors) and gains with every item revealed; it is level
#   with item-kNN (within 0.7 standard errors), which is inductive for users at no cost.
# - **For a shopper with no history, nothing measurably beats popularity** on this data
#   (104 shoppers); segment popularity scores highest and is the fallback.
# - **Attribute nodes** (category, brand) give a new product neighbours on the day it is
#   listed; on a new-arrivals shelf they beat category popularity by 5.2 standard errors,
#   level with ranking by the shopper's own categories.
# - `ColdStartRecommender` packages both directions for an application.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
# Each exercise names the call that checks your answer, a `check_exercise_N` from
# `gnnrec_utils.exercises.nb05`; it prints `Right: ...` or `Not yet: ...` and says what is off.
#
# 1. Train LightGCN with `NUM_LAYERS` = 2 and 3 and compare the best validation NDCG
#    (`train` returns it per epoch), then the few-shot rows. Why might one layer suit
#    inductive inference? Check the number of layers that does best on the validation day
#    with `check_exercise_1(best_layers, models, fit)`, where `models` holds the trained
#    LightGCNs by number of layers, `{1: ..., 2: ..., 3: ...}`.
# 2. Section 2 found the attribute nodes a little lower on warm shoppers (not paired).
#    Give the attribute edges a weight below 1 (`attribute_adjacency(..., attribute_weight=0.2)`),
#    retrain, and compare with weight 1 on the validation day: warm shoppers, and a
#    new-arrivals shelf built from the validation day's targets as in section 6. What does
#    the lighter weight change? Check the shelf's NDCG@10 at weight 0.2 with
#    `check_exercise_2(ndcg, model, fit, split)`, `model` being the LightGCN you trained.
# 3. Add user attribute nodes (`user_columns=("age_group", "gender")`), retrain, and serve
#    the validation day's cold shoppers with LightGCN through them. Does it beat segment
#    popularity, shopper by shopper? Check their NDCG@10 with
#    `check_exercise_3(ndcg, model, fit, split)`.
# 4. Blend: score few-shot shoppers with item-kNN plus a small multiple of the inductive
#    LightGCN score. The few-shot task has no validation day, so split the newcomers in
#    two (seeded): pick the multiple on one half, report it on the other. Check the
#    multiple you picked with
#    `check_exercise_4(multiple, multiples, pick_users, early_lightgcn, early, task)`,
#    where `multiples` are the ones you compared and `pick_users` the half that picks.
# 5. Set `ARRIVAL_DAY` to 5: the models fit on one more day, and fewer shoppers arrive
#    after. How do the few-shot numbers move? Compare on the newcomers both runs share.
#    Check how many few-shot newcomers there are then with
#    `check_exercise_5(num_shoppers, shop, SHOTS)`.
#
# Solutions follow below; `python tools/learner_copies.py` writes copies without them.

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# ### Solution 1
# On the validation day two layers do best, NDCG@10 0.0304 against 0.0285 with one and
# 0.0291 with three (not paired). For newcomers two layers are level with one
# (+0.0011 ± 0.0061 at one shot, −0.0093 ± 0.0058 at three, −0.0055 ± 0.0061 at five, none
# beyond 1.6 standard errors) and three layers trail one, by 4.2 standard errors at three
# shots. The notebook's one layer was fixed before these runs, not chosen on them: reading
# the choice off the newcomer rows would be choosing on the test. A shop that wants to tune
# the depth for newcomers holds out newcomers for validation, as Exercise 4 does for the
# blend. One reason one layer may suit inductive inference: a new shopper's vector is then
# a normalised sum of the trained vectors of the items they touched, and nothing else;
# each further layer mixes in the vectors of those items' other shoppers and of their
# items, an average over many people that pulls a shopper with a handful of edges toward
# the crowd. These runs are consistent with that reason; they do not test it.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
from gnnrec_utils.evaluation import warm_target_users
from gnnrec_utils.exercises.nb05 import check_exercise_1


def lightgcn_with(num_layers, on, label):
    """A LightGCN on the plain graph of ``on``, trained as in section 2."""
    set_seed(SEED)
    adj = normalized_adjacency(on.train, n_u, n_i)
    return trained(LightGCN(adj, n_u, n_i, num_layers=num_layers), on, f"{label}, {num_layers}")


by_layers = {n: lightgcn if n == NUM_LAYERS else lightgcn_with(n, fit, "fit") for n in (1, 2, 3)}
# a trained model keeps its best epoch's weights: this is the best NDCG that train() logged
best_valid = {n: evaluate(m, fit, "valid", TOP_K)[f"ndcg@{TOP_K}"] for n, m in by_layers.items()}
best_layers = max(best_valid, key=best_valid.get)
assert check_exercise_1(best_layers, by_layers, fit)


# %% slideshow={"slide_type": "skip"} tags=["solution"]
def few_shot_ndcg(scores, task, n):
    """Per-shopper NDCG@10 after n shots; row r of `scores` holds shopper task.users[r]."""
    row_of = pd.Series(np.arange(len(task.users)), index=task.users)
    by_row = lambda pairs: pairs[["user_id", "item_id"]].assign(user_id=pairs.user_id.map(row_of))
    rows = np.arange(len(task.users))
    return per_user_scores(scores, rows, by_row(task.targets), by_row(task.revealed[n]), TOP_K)[1]


def inductive_rows(model, adj, known, users):
    """Scores of `users` by a LightGCN propagated over `adj`; nodes not `known` start at zero."""
    user_emb, item_emb = inductive_embedding(model, adj, known)
    return user_emb[users] @ item_emb.T


few_adj = {
    n: normalized_adjacency(pd.concat([early.train, r]), n_u, n_i) for n, r in task.revealed.items()
}
early_by_layers = {
    n: early_lightgcn if n == NUM_LAYERS else lightgcn_with(n, early, "early") for n in (1, 2, 3)
}

# %% slideshow={"slide_type": "skip"} tags=["solution"]
few_by_layers = {  # the newcomers are served by models fitted before they arrived
    (layers, n): few_shot_ndcg(inductive_rows(model, few_adj[n], early_known, few_users), task, n)
    for layers, model in early_by_layers.items()
    for n in SHOTS
}
layer_table = pd.DataFrame(
    {f"{n}-shot": {k: few_by_layers[k, n].mean() for k in by_layers} for n in SHOTS}
)
layer_table.insert(0, "best valid", best_valid)
display(layer_table.rename_axis(f"layers, ndcg@{TOP_K}").round(4))
deeper = {
    f"{k} layers − 1 layer": {
        f"{n}-shot": pm(few_by_layers[k, n], few_by_layers[1, n]) for n in SHOTS
    }
    for k in (2, 3)
}
pd.DataFrame(deeper).T

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# ### Solution 2
# On the validation day, with weight 1, the attribute nodes are not behind on warm
# shoppers (0.0292, against 0.0285 for LightGCN without them; not paired), so there is no
# warm accuracy to bring back. Weight 0.2 changes neither group measurably: warm shoppers
# 0.0288 (paired against weight 1: −0.0004 ± 0.0003, 1.3 standard errors), the
# new-arrivals shelf 0.0621 against 0.0620 (+0.0002 ± 0.0047). Nothing here calls for a
# weight below 1.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
set_seed(SEED)
light_adj, _ = attribute_adjacency(fit.train, shop.users, shop.items, attribute_weight=0.2)
light_attr = trained(
    LightGCN(light_adj, n_u, n_i, num_layers=NUM_LAYERS, num_extra_nodes=num_attr),
    fit,
    "fit: attribute weight 0.2",
)
history_v, targets_v = split.history("valid"), split.targets("valid")
shelf_v = targets_v[targets_v.item_id.isin(new_items) & targets_v.user_id.isin(fit.train.user_id)]
shelf_v_users = np.sort(shelf_v.user_id.unique())
warm_v = warm_target_users(fit.targets("valid"), fit.train)
print(
    f"validation day: {len(warm_v)} warm shoppers; a shelf of {len(shelf_v)} pairs "
    f"from {len(shelf_v_users)} shoppers"
)


# %% slideshow={"slide_type": "skip"} tags=["solution"]
def warm_and_shelf(model, adj):
    """Per-shopper validation NDCG@10 of warm shoppers and of the shelf."""
    with torch.no_grad():
        user_emb, item_emb = model.get_embedding()
    warm_targets, warm_history = fit.targets("valid"), fit.history("valid")
    warm = per_user_scores(user_emb @ item_emb.T, warm_v, warm_targets, warm_history, TOP_K)[1]
    user_emb, item_emb = inductive_embedding(model, adj, known_nodes(fit.train, n_u, n_i, num_attr))
    scores = user_emb @ item_emb.T
    shelf = per_user_scores(scores, shelf_v_users, shelf_v, history_v, TOP_K, new_items)[1]
    return warm, shelf


(warm_1, shelf_1), (warm_02, shelf_02) = (
    warm_and_shelf(attr_lightgcn, attr_adj),
    warm_and_shelf(light_attr, light_adj),
)
print(f"LightGCN without attribute nodes, warm: {best_valid[NUM_LAYERS]:.4f}")
pd.DataFrame(
    {
        "weight 1": [f"{warm_1.mean():.4f}", f"{shelf_1.mean():.4f}"],
        "weight 0.2": [f"{warm_02.mean():.4f}", f"{shelf_02.mean():.4f}"],
        "0.2 − 1, paired": [pm(warm_02, warm_1), pm(shelf_02, shelf_1)],
    },
    index=[f"warm shoppers, ndcg@{TOP_K}", f"new-arrivals shelf, ndcg@{TOP_K}"],
)

# %% slideshow={"slide_type": "skip"} tags=["solution"]
from gnnrec_utils.exercises.nb05 import check_exercise_2

assert check_exercise_2(shelf_02.mean(), light_attr, fit, split)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# ### Solution 3
# No. On the 109 cold shoppers of the validation day, LightGCN reached through its
# age-group and gender nodes scores NDCG@10 0.0238, below segment popularity's 0.0400: a
# paired difference of −0.0162 ± 0.0108, 1.5 standard errors, so not clearly worse either,
# but nothing suggests it is better (global popularity: 0.0367). A cold shopper's only
# edges go to their two attribute nodes, so every cold shopper of one age-gender segment
# gets the same list, as with segment popularity; only the list comes from vectors trained
# for warm shoppers instead of from the segment's own counts. Segment popularity stays the
# fallback.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
set_seed(SEED)
user_adj, num_user_attr = attribute_adjacency(
    fit.train, shop.users, shop.items, user_columns=("age_group", "gender")
)
user_attr_lightgcn = trained(
    LightGCN(user_adj, n_u, n_i, num_layers=NUM_LAYERS, num_extra_nodes=num_user_attr),
    fit,
    "fit: user attribute nodes",
)
user_ua, item_ua = inductive_embedding(
    user_attr_lightgcn, user_adj, known_nodes(fit.train, n_u, n_i, num_user_attr)
)
cold_v = np.setdiff1d(targets_v.user_id.unique(), history_v.user_id.unique())
cold_v_scores = {
    "popularity": popularity,
    "segment popularity": segment,
    "LightGCN + user attribute nodes": user_ua @ item_ua.T,
}
cold_v_ndcg = {
    m: per_user_scores(s, cold_v, targets_v, history_v, TOP_K)[1] for m, s in cold_v_scores.items()
}
print(f"{len(cold_v)} cold shoppers on the validation day")
pd.Series(
    {m: f"{d.mean():.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f}" for m, d in cold_v_ndcg.items()}
).to_frame(f"ndcg@{TOP_K} ± standard error")

# %% slideshow={"slide_type": "skip"} tags=["solution"]
from gnnrec_utils.exercises.nb05 import check_exercise_3

lightgcn_cold = cold_v_ndcg["LightGCN + user attribute nodes"]
print(
    "LightGCN + user attribute nodes − segment popularity:",
    pm(lightgcn_cold, cold_v_ndcg["segment popularity"]),
)
assert check_exercise_3(lightgcn_cold.mean(), user_attr_lightgcn, fit, split)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# ### Solution 4
# The picking half (151 shoppers) chooses a multiple of 0.5 (NDCG@10 averaged over the three
# shot counts: 0.0905, against 0.0888 for item-kNN alone, multiple 0). On the other 151
# shoppers the blend is level with both of its parts: paired against item-kNN +0.0043 ±
# 0.0052 at one shot, +0.0033 ± 0.0062 at three and +0.0064 ± 0.0053 at five; against the
# inductive LightGCN between −0.0032 and +0.0076; none more than 1.2 standard errors. With
# 151 shoppers a gain of this size cannot be told from noise: a blend may help, but this
# data does not show it.

# %% slideshow={"slide_type": "skip"} tags=["solution"]
rng = np.random.default_rng(SEED)
pick = np.isin(few_users, rng.choice(few_users, len(few_users) // 2, replace=False))
knn_rows, gnn_rows = {}, {}
for n, revealed in task.revealed.items():
    knn = ItemKNN(interaction_matrix(pd.concat([early.train, revealed]), n_u, n_i))
    knn_rows[n] = knn.user_scores(few_users)
    gnn_rows[n] = inductive_rows(early_lightgcn, few_adj[n], early_known, few_users)
multiples = (0, 0.1, 0.25, 0.5, 1, 2, 4)
blend = {
    (m, n): few_shot_ndcg(knn_rows[n] + m * gnn_rows[n], task, n) for m in multiples for n in SHOTS
}
on_pick = {m: np.mean([blend[m, n][pick].mean() for n in SHOTS]) for m in multiples}
multiple = max(on_pick, key=on_pick.get)
print(f"{pick.sum()} shoppers pick the multiple, {(~pick).sum()} report; chosen: {multiple}")
pd.Series(on_pick, name=f"picking half: ndcg@{TOP_K}, mean over shots").round(4)

# %% slideshow={"slide_type": "skip"} tags=["solution"]
from gnnrec_utils.exercises.nb05 import check_exercise_4

assert check_exercise_4(multiple, multiples, few_users[pick], early_lightgcn, early, task)

# %% slideshow={"slide_type": "skip"} tags=["solution"]
report = ~pick
pd.DataFrame(
    {
        f"{n}-shot": {
            f"blend, ndcg@{TOP_K}": f"{blend[multiple, n][report].mean():.4f}",
            "blend − item-kNN": pm(blend[multiple, n][report], blend[0, n][report]),
            "blend − LightGCN (inductive)": pm(
                blend[multiple, n][report], few_shot_ndcg(gnn_rows[n], task, n)[report]
            ),
        }
        for n in SHOTS
    }
)

# %% [markdown] slideshow={"slide_type": "skip"} tags=["solution"]
# ### Solution 5
# With `ARRIVAL_DAY` = 5 the models fit on 175,220 events instead of 131,073, and 1,017
# shoppers arrive from day 5 on (1,334 from day 4), 186 of them few-shot (302). All 186 are
# among the day-4 few-shot newcomers. On them the model fitted one day later scores a
# little higher at every shot (+0.0069 ± 0.0068 at one shot, +0.0031 ± 0.0065 at three,
# +0.0037 ± 0.0074 at five), none beyond one standard error: one more day of training does
# not measurably change what the inductive model gives a newcomer. The price of a later
# arrival day is fewer newcomers to measure, and so wider intervals (standard errors
# 0.0136 to 0.0154, against 0.0100 to 0.0124).

# %% slideshow={"slide_type": "skip"} tags=["solution"]
from gnnrec_utils.exercises.nb05 import check_exercise_5

early_5, newcomers_5 = arrival_split(shop, ARRIVAL_DAY + 1)
task_5 = few_shot_task(early_5.test, SHOTS)
lightgcn_5 = lightgcn_with(NUM_LAYERS, early_5, "early, arrival day 5")
print(
    f"arrival day {ARRIVAL_DAY + 1}: models fit on {len(early_5.train):,} events "
    f"({len(early.train):,} with day {ARRIVAL_DAY}); {len(newcomers_5):,} newcomers "
    f"({len(newcomers):,}), {len(task_5.users)} of them few-shot ({len(few_users)})"
)
assert check_exercise_5(len(task_5.users), shop, SHOTS)

# %% slideshow={"slide_type": "skip"} tags=["solution"]
known_5 = known_nodes(early_5.train, n_u, n_i, 0)
few_5 = {}
for n, revealed in task_5.revealed.items():
    adj = normalized_adjacency(pd.concat([early_5.train, revealed]), n_u, n_i)
    few_5[n] = few_shot_ndcg(inductive_rows(lightgcn_5, adj, known_5, task_5.users), task_5, n)
few_4 = {n: per_user[n, "LightGCN (inductive)"][1] for n in SHOTS}
in_both_5, in_both_4 = np.isin(task_5.users, few_users), np.isin(few_users, task_5.users)
mean_se = lambda d: f"{d.mean():.4f} ± {standard_error(d):.4f}"
pd.DataFrame(
    {
        f"{n}-shot": {
            f"arrival day {ARRIVAL_DAY}, {len(few_users)} shoppers": mean_se(few_4[n]),
            f"arrival day {ARRIVAL_DAY + 1}, {len(task_5.users)} shoppers": mean_se(few_5[n]),
            f"day {ARRIVAL_DAY + 1} − day {ARRIVAL_DAY}, the {in_both_5.sum()} of both": pm(
                few_5[n][in_both_5], few_4[n][in_both_4]
            ),
        }
        for n in SHOTS
    }
)
