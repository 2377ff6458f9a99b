# %% [markdown] slideshow={"slide_type": "slide"}
# # 00 · Quickstart: a graph recommender for a shop, end to end
#
# Shop log → graph → LightGCN → metrics → ten recommendations for one shopper, on a
# laptop CPU. Every step is explained in the numbered notebooks that follow; this one
# shows the whole path at once.
#
# **What you will learn**: the shape of the pipeline, and what its result looks like.
# **Prerequisites**: none.
# **Runtime**: ~9 s on a 2-core CPU (measured).
# **Source**: `00_quickstart.py`, a jupytext script paired with this notebook: edit either
# one, then rerun it with `python tools/run_notebook.py 00` (README, *Editing a notebook*).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 0 Setup

# %% slideshow={"slide_type": "skip"}
import pandas as pd
import torch
from matplotlib import pyplot as plt

from gnnrec_utils.data import load_shop, temporal_split
from gnnrec_utils.evaluation import (
    evaluate,
    evaluate_full_ranking,
    paired_difference,
    per_user_recall_ndcg,
    recall_ndcg,
    warm_target_users,
)
from gnnrec_utils.graph import normalized_adjacency
from gnnrec_utils.models import LightGCN, Popularity, topk_excluding
from gnnrec_utils.notebook import (
    Explorer,
    check_versions,
    history_table,
    new_shopper_recommendations,
    pipeline_figure,
    recommendation_table,
    set_seed,
    side_by_side,
    similar_items_table,
)
from gnnrec_utils.training import TrainConfig, intent_positives, train

versions = check_versions()  # warns where a version differs from the tested one
# %% slideshow={"slide_type": "skip"} tags=["parameters"]
SEED = 0
DATA = "../data/shop"  # users.csv, items.csv, events.csv.gz in Taobao's UserBehavior schema
TOP_K = 10
set_seed(SEED)

# %% [markdown] slideshow={"slide_type": "skip"}
# The series' path, stage by stage; under each box, the function of `gnnrec_utils` that
# does it. Sections 1–5 walk it in order, with the simplest encoder: one learned vector
# per id (notebook 02 adds the attributes).

# %% slideshow={"slide_type": "skip"}
pipeline_figure()
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 Data and split
# Nine days of a generated shop (notebook 01 and `data/README.md` describe it). The last
# day is the test, the day before validation, the rest training. The model will predict
# which items a shopper favs, carts or buys on a day it has not seen, among items new
# to them.

# %% slideshow={"slide_type": "-"}
shop = load_shop(DATA)
split = temporal_split(shop)
print(
    f"{shop.num_users:,} shoppers, {shop.num_items:,} items, {len(shop.events):,} events; "
    f"training {len(split.train):,}, test {len(split.test):,}"
)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 Graph and positives
# Every training event becomes a user–item edge of one normalised sparse adjacency; the
# training favs, carts and buys are the positives the model learns to rank first.

# %% slideshow={"slide_type": "-"}
adj = normalized_adjacency(split.train, split.num_users, split.num_items)
positives = intent_positives(split.train, split.num_users, split.num_items)
print(f"{adj.values().numel() // 2:,} edges, {len(positives):,} positive pairs")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 LightGCN
# LightGCN smooths each shopper's and item's embedding over the graph (three hops), and is
# trained with BPR against uniformly sampled negatives, stopping early when validation
# NDCG@10 stops improving.

# %% slideshow={"slide_type": "-"}
model = LightGCN(adj, split.num_users, split.num_items, embedding_dim=64, num_layers=3)
history = train(model, split, positives, TrainConfig(lr=0.01, patience=4, top_k=TOP_K, seed=SEED))
print(f"stopped after {len(history)} epochs, {history.seconds.iloc[-1]:.1f} s")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 Metrics on the test day
# Full ranking: every item is a candidate except those the shopper already touched;
# shoppers with training history only (cold ones are notebook 05's). Popularity is the
# baseline to beat.

# %% slideshow={"slide_type": "-"}
test_users = warm_target_users(split.targets("test"), split.train)
pop = torch.tensor(split.item_popularity(), dtype=torch.float64)
pop_top = topk_excluding(lambda u: pop.expand(len(u), -1), test_users, split.history("test"), TOP_K)
results = pd.DataFrame(
    {
        "popularity": recall_ndcg(pop_top, test_users, split.targets("test")),
        "LightGCN": evaluate(model, split, "test", TOP_K),
    }
).T
results.round(4)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Is LightGCN's lead more than the luck of one test day? Both rank the same shoppers, so
# compare them shopper by shopper: the mean of the per-shopper differences in NDCG@10
# and its standard error (notebook 03 explains the paired comparison).

# %% slideshow={"slide_type": "-"}
targets = split.targets("test")
pop_ndcg = per_user_recall_ndcg(pop_top, test_users, targets)[1]
lightgcn_ndcg = evaluate_full_ranking(
    model, test_users, targets, split.history("test"), TOP_K, per_user=True
)["per_user_ndcg"]
gain, se = paired_difference(lightgcn_ndcg, pop_ndcg)
print(
    f"LightGCN − popularity, NDCG@{TOP_K}: {gain:+.4f} ± {se:.4f} ({gain / se:.1f} standard "
    f"errors) over {len(test_users):,} test shoppers"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# LightGCN is ahead by +0.0052 ± 0.0038 in NDCG@10 (0.0242 against 0.0190), but
# that is 1.4 standard errors: on one test day of 1,035 shoppers, this quick run cannot
# tell LightGCN from popularity. A gap counts when it is about two standard errors or
# more. Notebook 03 trains the models with more care and notebook 04 compares five of
# them on this day; notebook 10 uses three seeds on a public benchmark's protocol.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 Ten recommendations for one shopper
# The first test shopper (by id) with at least five training events. First, what they did
# in training (the first ten items); then what LightGCN ranks first, with each item's
# category, brand and price, and whether the shopper favs, carts or buys it on the test
# day.

# %% slideshow={"slide_type": "-"}
activity = split.train.groupby("user_id").size()
shopper = int(min(u for u in test_users if activity.get(u, 0) >= 5))
history_items = (
    split.train[split.train.user_id == shopper]
    .groupby("item_id")
    .behavior.agg(lambda b: ", ".join(sorted(set(b))))
)
print(
    f"shopper {shopper}:", shop.users.loc[shopper, ["age_group", "gender", "city_tier"]].to_dict()
)
shop.items.loc[history_items.index].assign(behaviours=history_items).head(10)

# %% slideshow={"slide_type": "-"}
recs = model.recommend([shopper], TOP_K, exclude=split.history("test"))[0]
wanted = set(split.targets("test").query("user_id == @shopper").item_id)
table = shop.items.loc[recs].assign(
    rank=range(1, TOP_K + 1), **{"fav/cart/buy on test day": [i in wanted for i in recs]}
)
table.set_index("rank")

# %% [markdown] slideshow={"slide_type": "subslide"}
# How many recommendations share a category with what this shopper did in training?

# %% slideshow={"slide_type": "-"}
seen_categories = set(shop.items.loc[history_items.index, "category_id"])
same = table.category_id.isin(seen_categories).sum()
print(
    f"{same} of {TOP_K} recommendations are in one of the shopper's {len(seen_categories)} categories"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The other picks come from the graph: LightGCN's three layers mix in the vectors of items
# three hops away (shopper → item → another shopper → item). In a shop this small, three
# hops reach almost everything, so "the graph reached it" explains little: count the
# items the shopper's neighbours touched.

# %% slideshow={"slide_type": "-"}
events = split.train
neighbours = set(events[events.item_id.isin(history_items.index)].user_id) - {shopper}
reached = set(events[events.user_id.isin(neighbours)].item_id)
others = table[~table.category_id.isin(seen_categories)]
print(
    f"{len(neighbours):,} shoppers share an item with shopper {shopper}; they touched "
    f"{len(reached):,} of the {events.item_id.nunique():,} training items "
    f"({len(reached) / events.item_id.nunique():.0%}), and "
    f"{others.item_id.isin(reached).sum()} of the {len(others)} recommendations outside "
    f"the shopper's categories"
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Any item the model picks is almost certainly among them: the count says the
# neighbourhood is wide, not that the third layer chose well. Whether more layers help is
# a question for a paired test on the validation day (notebook 03, exercise 1).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 Explore: any shopper, any model
# The explorer below shows a shopper's history beside a model's top k (category, brand,
# price, and `hit` when the shopper favs, carts or buys the item on the test day), and the
# items nearest a product by the model's item vectors. Type a shopper id, or a few item ids
# for a shopper the model has never met (LightGCN adds them to the graph and propagates,
# without retraining: notebook 05); choose the model and k. It needs a running kernel.

# %% slideshow={"slide_type": "-"}
models = {"LightGCN": model, "popularity": Popularity(split.item_popularity(), split.num_users)}
explorer = Explorer(split, models, user_id=shopper, k=TOP_K)
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# What the explorer shows first, for a page without a kernel: the same table functions,
# called for the shopper of section 5. The history is everything before the test day
# (validation day included: recommendations leave it out), the top ten are section 5's,
# and the items nearest the first of them come from LightGCN's item vectors alone.

# %% slideshow={"slide_type": "-"}
top = recommendation_table(model, split, shopper, TOP_K)
assert top.item_id.tolist() == list(recs)  # the ten of section 5
first = int(top.item_id.iloc[0])
side_by_side(
    {
        f"shopper {shopper}, most recent first": history_table(split, shopper, limit=TOP_K),
        f"LightGCN's top {TOP_K}": top,
        f"similar to item {first} (cosine)": similar_items_table(model, split.items, first, 5),
    }
)

# %% [markdown] slideshow={"slide_type": "subslide"}
# And a shopper LightGCN never trained on, known only by the three items that the shopper
# of section 5 touched last: their top five, those three items excluded.

# %% slideshow={"slide_type": "-"}
typed = history_table(split, shopper, limit=3).item_id.tolist()
print(f"typed items: {typed}")
new_shopper_recommendations(model, typed, split, k=5)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
# - The pipeline: load a UserBehavior-style log → split in time → build the graph →
#   train LightGCN with negative sampling → rank all items → compare with popularity.
# - Every number here comes from the shopper's past only: no test event reaches training.
# - `gnnrec_utils.notebook.explorer` puts any shopper's history beside any model's top k, and a
#   product beside its nearest items; its tables are plain DataFrames.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Next
# 01 builds the graph step by step, 02 the encoders, 03 the training and its choices.
