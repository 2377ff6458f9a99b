"""The checkers of notebook 11's exercises accept a right answer and reject a wrong one."""

from __future__ import annotations

import pandas as pd

from gnnrec_utils.exercises import nb11


def arm(buyers: int, shoppers: int) -> pd.DataFrame:
    return pd.DataFrame({"buys": [1] * buyers + [0] * (shoppers - buyers)})


def test_exercise_1_shoppers_per_arm(capsys):
    # shares 0.10 and 0.15: the textbook 686 per arm
    a, b = arm(10, 100), arm(15, 100)
    assert nb11.check_exercise_1(686, a, b)
    assert capsys.readouterr().out.startswith("Right: 686 shoppers per arm")
    assert not nb11.check_exercise_1(1372, a, b)
    assert "both arms together" in capsys.readouterr().out
    assert not nb11.check_exercise_1(500, a, b)


def test_exercise_2_position_bias(capsys):
    biased = pd.DataFrame({"clicked": [1, 0, 0, 0], "seen": [1, 1, 0, 0]})
    unbiased = pd.DataFrame({"clicked": [1, 1, 0, 0], "seen": [1, 1, 1, 1]})
    assert nb11.check_exercise_2(2.0, biased, unbiased)
    assert not nb11.check_exercise_2(0.5, biased, unbiased)
    assert "inverse" in capsys.readouterr().out.splitlines()[-1]


def test_exercise_3_lowest_regret(capsys):
    tables = {
        "model": pd.DataFrame({"regret": [1.0, 1.0]}),
        "Thompson": pd.DataFrame({"regret": [2.0, 0.5]}),
    }
    assert nb11.check_exercise_3("model", tables)
    assert not nb11.check_exercise_3("Thompson", tables)
    assert not nb11.check_exercise_3("oracle", tables)
    assert "none of" in capsys.readouterr().out.splitlines()[-1]
