"""BG/NBD and Gamma-Gamma against the published CDNOW estimates.

Published values: Fader, Hardie & Lee (2005), "Counting your customers the easy way",
Marketing Science 24(2), table 1 (BG/NBD: r=0.243, alpha=4.414, a=0.793, b=2.426,
LL=-9582.4); Fader & Hardie (2013), "The Gamma-Gamma model of monetary value"
(p=6.25, q=3.74, gamma=15.44, LL=-4055.9177), on the 2,357-customer CDNOW sample with a
39-week calibration period (1997-01-01 to 1997-09-30). An estimate "matches to the printed
precision" when it rounds to the printed digits, i.e. lies within half a unit of the last one.
"""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from amity.intelligence import clv

DATA = Path(__file__).parent / "data"
END = (date(1997, 9, 30) - date(1997, 1, 1)).days


def _within(value: float, printed: str) -> bool:
    decimals = len(printed.split(".")[1])
    return abs(value - float(printed)) <= 0.5 * 10 ** -decimals + 1e-12


@pytest.fixture(scope="module")
def cdnow() -> clv.Summary:
    rows = np.loadtxt(DATA / "cdnow_sample.txt", dtype=str)
    days = np.array([(date(int(s[:4]), int(s[4:6]), int(s[6:])) - date(1997, 1, 1)).days
                     for s in rows[:, 2]])
    return clv.summarise(rows[:, 1].astype(int), days, rows[:, 4].astype(float), end_day=END)


def test_summaries_from_the_transactions_match_the_published_ones(cdnow: clv.Summary) -> None:
    ref = np.genfromtxt(DATA / "cdnow_summary.csv", delimiter=",", names=True)
    assert cdnow.keys.size == 2357 == ref.size
    assert np.array_equal(cdnow.x, ref["x"])
    assert np.allclose(cdnow.t_x, ref["t_x"], atol=0.005)
    assert np.allclose(cdnow.T, ref["T"], atol=0.005)
    assert np.allclose(cdnow.m_x, ref["zbar"], atol=0.005)
    assert int((cdnow.x > 0).sum()) == 946


def test_bgnbd_matches_fader_hardie_lee_2005(cdnow: clv.Summary) -> None:
    fit = clv.fit_bgnbd(cdnow.x, cdnow.t_x, cdnow.T)
    for name, printed in {"r": "0.243", "alpha": "4.414", "a": "0.793", "b": "2.426"}.items():
        assert _within(getattr(fit, name), printed), (name, getattr(fit, name))
    assert _within(fit.log_likelihood, "-9582.4")
    assert fit.customers == 2357


def test_gamma_gamma_matches_fader_hardie_2013(cdnow: clv.Summary) -> None:
    fit = clv.fit_gamma_gamma(cdnow.x, cdnow.m_x)
    for name, printed in {"p": "6.25", "q": "3.74", "gamma": "15.44"}.items():
        assert _within(getattr(fit, name), printed), (name, getattr(fit, name))
    assert _within(fit.log_likelihood, "-4055.9177")
    assert fit.customers == 946


def test_predictions_at_the_published_parameters() -> None:
    """The closed forms (FHL 2005 eq. 10 and 11) for the first CDNOW customer, pinned at the
    values this module gave when the fit above first matched the paper (a regression check,
    not an independent oracle), plus properties any correct implementation has."""
    m = clv.BgNbd(0.2426, 4.4135, 0.7929, 2.4258, 0.0, 0)
    x, t_x, T = np.array([2.0, 0.0]), np.array([30.43, 0.0]), np.array([38.86, 38.86])
    alive = clv.p_alive(m, x, t_x, T)
    assert alive[0] == pytest.approx(0.7266, abs=5e-4) and alive[1] == 1.0
    assert clv.expected_purchases(m, 39, x, t_x, T)[0] == pytest.approx(1.2259, abs=1e-3)
    # more time can only mean more expected purchases
    grid = [clv.expected_purchases(m, t, x, t_x, T) for t in (4, 13, 26, 52)]
    assert all(np.all(b > a) for a, b in itertools.pairwise(grid))


def test_the_likelihood_stays_finite_for_heavy_buyers() -> None:
    m = np.array([0.243, 4.414, 0.793, 2.426])
    x, t_x, T = np.array([400.0, 1e4]), np.array([500.0, 5e3]), np.array([520.0, 5e3])
    assert np.all(np.isfinite(clv.bgnbd_log_likelihood(m, x, t_x, T)))
    p = clv.p_alive(clv.BgNbd(*m, 0.0, 0), x, t_x, T)
    assert np.all((p >= 0) & (p <= 1))


def test_clv_discounts_the_future() -> None:
    bg = clv.BgNbd(0.243, 4.414, 0.793, 2.426, 0.0, 0)
    x, t_x, T = np.array([3.0]), np.array([30.0]), np.array([38.0])
    spend = np.array([40.0])
    undiscounted = clv.clv(bg, spend, x, t_x, T, months=12, annual_discount=0.0)
    twelve = clv.expected_purchases(bg, 12 * clv.WEEKS_PER_MONTH, x, t_x, T) * spend
    assert undiscounted[0] == pytest.approx(twelve[0])
    assert clv.clv(bg, spend, x, t_x, T, months=12, annual_discount=0.2)[0] < undiscounted[0]


def test_a_fit_without_repeat_buyers_is_refused() -> None:
    with pytest.raises(clv.FitError):
        clv.fit_gamma_gamma([0, 0, 1], [0, 0, 10.0])
    with pytest.raises(clv.FitError):
        clv.fit_bgnbd([1], [5.0], [2.0])  # recency after the end of the observation
