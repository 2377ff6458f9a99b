"""An interactive explorer of trained recommenders: a shopper's history beside a model's
top k, and the items most similar to a product (notebook 00).

:class:`Explorer` wires ipywidgets to the plain table functions of
:mod:`gnnrec_utils.notebook.tables` through callbacks that are ordinary methods. Bad
input (an unknown shopper, an item id outside the catalogue, a word where an id belongs,
k < 1) raises ``ValueError`` naming the value; the explorer shows that message in its
output area instead of a traceback. ipywidgets is imported only when an Explorer is
built (it is in the ``notebooks`` extra, not a core dependency).
"""

from __future__ import annotations

import html

import pandas as pd

from gnnrec_utils.data.split import ShopSplit
from gnnrec_utils.models.base import Recommender
from gnnrec_utils.notebook.tables import (
    check_user,
    count_noun,
    history_table,
    new_shopper_recommendations,
    parse_item_ids,
    ranked_items,
    recommendation_table,
    side_by_side,
    similar_items_table,
)
from gnnrec_utils.retrieval.similar import METRICS

__all__ = ["Explorer"]


class Explorer:
    """Widgets to explore recommendations: choose a shopper (or type a few item ids for a
    new one), a model and k; see the shopper's history beside the model's top k, and the
    items most similar to a product (by default the top recommendation).

    Args:
        split: the split the models were trained on; recommendations are for ``period``.
        models: ``{name: model}``, e.g. ``{"LightGCN": model, "popularity": Popularity(...)}``;
            the first is chosen at the start.
        user_id: the shopper shown first (default: 0).
        k: list length at the start (default: 10); the slider runs from 1 to ``max_k``.
        period: ``"test"`` (default) or ``"valid"``: whose day the hits are counted on.
        metric: ``"cosine"`` (default) or ``"dot"``, for similar items.

    The callbacks ``on_shopper``, ``on_items``, ``on_model``, ``on_k``, ``on_product`` and
    ``on_metric`` take a traitlets change (or any ``{"new": value}``) and redraw through
    :meth:`update`; after each, :attr:`tables` holds what is shown and :attr:`messages`
    what went wrong (an unknown shopper, an id outside the catalogue, k < 1 ...).
    Display the explorer as the last expression of a cell.
    """

    def __init__(
        self,
        split: ShopSplit,
        models: dict[str, Recommender],
        user_id: int = 0,
        k: int = 10,
        period: str = "test",
        metric: str = "cosine",
        max_k: int = 50,
    ):
        import ipywidgets as w

        if not models:
            raise ValueError("models is empty: pass at least one, e.g. {'LightGCN': model}")
        self.split, self.models, self.period = split, dict(models), period
        first = next(iter(self.models))
        self.query = dict(shopper=user_id, items="", model=first, k=k, product="", metric=metric)
        self.shopper_box = w.IntText(value=user_id, description="shopper")
        # redrawn on Enter or on leaving the box (a slider: on release), not per keystroke
        self.items_box = w.Text(
            description="or items", placeholder="new shopper: 17, 803", continuous_update=False
        )
        self.model_menu = w.Dropdown(options=list(self.models), value=first, description="model")
        self.k_slider = w.IntSlider(
            value=min(max(k, 1), max_k), min=1, max=max_k, description="k", continuous_update=False
        )
        self.product_box = w.Text(
            description="similar to", placeholder="top recommendation", continuous_update=False
        )
        self.metric_menu = w.Dropdown(options=METRICS, value=metric, description="by")
        self.output = w.Output()
        for box, callback in (
            (self.shopper_box, self.on_shopper),
            (self.items_box, self.on_items),
            (self.model_menu, self.on_model),
            (self.k_slider, self.on_k),
            (self.product_box, self.on_product),
            (self.metric_menu, self.on_metric),
        ):
            box.observe(callback, names="value")
        rows = [
            (self.shopper_box, self.items_box),
            (self.model_menu, self.k_slider),
            (self.product_box, self.metric_menu),
        ]
        self.widget = w.VBox([*(w.HBox(row) for row in rows), self.output])
        self.tables: dict[str, pd.DataFrame] = {}
        self.messages: list[str] = []
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def on_shopper(self, change) -> None:
        """A shopper id chosen: show that shopper (the typed items are cleared)."""
        self.query["shopper"] = change["new"]
        if self.items_box.value:
            self.items_box.value = ""  # fires on_items, which redraws
        else:
            self.update()

    def on_items(self, change) -> None:
        """Item ids typed: show a new shopper who touched them (empty: back to the shopper)."""
        self.update(items=change["new"])

    def on_model(self, change) -> None:
        self.update(model=change["new"])

    def on_k(self, change) -> None:
        self.update(k=change["new"])

    def on_product(self, change) -> None:
        """An item id typed for similar items (empty: the top recommendation)."""
        self.update(product=change["new"])

    def on_metric(self, change) -> None:
        self.update(metric=change["new"])

    def update(self, **query) -> None:
        """Set parts of :attr:`query`, rebuild :attr:`tables` and redraw the output area."""
        self.query.update(query)
        self.tables, self.messages = {}, []
        try:
            self._build(**self.query)
        except ValueError as err:
            self.messages.append(str(err))
        self._draw()

    def _model(self, name: str) -> Recommender:
        if name not in self.models:
            raise ValueError(f"model {name!r} is not one of {', '.join(self.models)}")
        return self.models[name]

    def _build(self, shopper, items, model, k, product, metric) -> None:
        """Fill :attr:`tables`: the shopper's side first, then the similar items (a problem
        with the product leaves the shopper's tables shown, with a message)."""
        chosen = self._model(model)
        if str(items).strip():
            typed = parse_item_ids(items, self.split.num_items)
            self.tables[f"a new shopper who touched {count_noun(len(typed), 'item')}"] = (
                ranked_items(self.split.items, typed).reset_index(drop=True)
            )
            top = new_shopper_recommendations(chosen, typed, self.split, k)
            self.tables[f"{model}'s top {len(top)} for them (nothing retrained)"] = top
        else:
            top = self._build_shopper(chosen, model, shopper, k)
        try:
            self._build_similar(chosen, model, product, k, metric, top_item=top.item_id.iloc[0])
        except ValueError as err:
            self.messages.append(str(err))

    def _build_shopper(self, chosen: Recommender, name: str, shopper, k) -> pd.DataFrame:
        user = check_user(self.split, shopper)
        day = "test day" if self.period == "test" else "validation day"
        history = history_table(self.split, user, self.period)
        top = recommendation_table(chosen, self.split, user, k, self.period)
        targets = self.split.targets(self.period)
        wanted = int((targets.user_id == user).sum())
        if history.empty:
            self.messages.append(
                f"shopper {user} has no events before the {day}: the model has not "
                f"met them (cold start, notebook 05); type a few item ids instead"
            )
        shown = max(len(top), 10)
        more = f", the {shown} most recent" if len(history) > shown else ""
        title = f"shopper {user}: {len(history)} items before the {day}{more}"
        self.tables[title] = history.head(shown)
        hits = (
            f"{count_noun(int(top.hit.sum()), 'hit')} ({count_noun(wanted, 'target')} on the {day})"
        )
        self.tables[f"{name}'s top {len(top)}: {hits}"] = top
        return top

    def _build_similar(self, chosen, name: str, product, k, metric, top_item) -> None:
        if str(product).strip():
            ids = parse_item_ids(product, self.split.num_items)
            if len(ids) != 1:
                raise ValueError(f"type one item id for similar items, got {product!r}")
            item, why = ids[0], ""
        else:
            item, why = int(top_item), ", the top recommendation"
        table = similar_items_table(chosen, self.split.items, item, k, metric)
        self.tables[f"similar to item {item}{why} ({name}, {metric})"] = table

    def _draw(self) -> None:
        """Show :attr:`messages` and :attr:`tables` in the output area (its outputs are set
        directly, so that this works with or without a running kernel)."""
        shown = side_by_side(self.tables)
        text = "\n".join(self.messages + ([repr(shown)] if self.tables else []))
        notes = "".join(f'<p style="color:#b00020">{html.escape(m)}</p>' for m in self.messages)
        page = notes + (shown._repr_html_() if self.tables else "")
        data = {"text/plain": text, "text/html": page}
        self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
