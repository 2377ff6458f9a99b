"""``recommend(..., progress=True)`` and ``evaluate_full_ranking(..., progress=True)``: the
same lists and figures, a bar that counts every user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from gnnrec_utils.evaluation import evaluate_full_ranking
from gnnrec_utils.models import MatrixFactorization


def test_a_progress_bar_counts_every_user_and_changes_nothing(capsys):
    torch.manual_seed(0)
    model = MatrixFactorization(37, 15, embedding_dim=4).eval()
    users = np.arange(37)
    known = pd.DataFrame({"user_id": [0, 0, 5], "item_id": [1, 2, 3]})
    plain = model.recommend(users, 5, exclude=known, chunk=8)
    capsys.readouterr()
    shown = model.recommend(users, 5, exclude=known, chunk=8, progress=True)
    assert (plain == shown).all()
    assert "37/37" in capsys.readouterr().err  # five chunks, every user counted
    relevant = pd.DataFrame({"user_id": users, "item_id": users % 15})
    quiet = evaluate_full_ranking(model, users, relevant, known, k=5, chunk=8)
    loud = evaluate_full_ranking(model, users, relevant, known, k=5, chunk=8, progress=True)
    assert quiet == loud
    assert "37/37" in capsys.readouterr().err
