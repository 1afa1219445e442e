"""Customer lifetime value: the BG/NBD model of purchases and the Gamma-Gamma model of spend.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
customer buys at a Poisson rate drawn from Gamma(r, alpha); after each purchase they drop out
with a probability drawn from Beta(a, b). Gamma-Gamma (Fader & Hardie 2013): the spend of a
purchase is Gamma(p, nu) with nu drawn from Gamma(q, gamma), independent of the purchase
process. Both are fitted by maximum likelihood on per-customer summaries (x = repeat
purchases, t_x = time of the last one, T = time since the first, all in weeks here), with the
log-likelihoods written in log-space (gammaln/betaln/logaddexp) so that heavy buyers and long
histories neither overflow nor lose precision. Pure numpy/scipy, vectorised over customers:
scoring a million customers is a handful of array operations.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

Array = NDArray[np.float64]
WEEKS_PER_MONTH = 52.1775 / 12


class FitError(Exception):
    """The optimiser did not converge to a usable optimum (message says why)."""


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _arrays(*values: Any) -> tuple[Array, ...]:
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def bgnbd_log_likelihood(params: Array, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's log-likelihood (FHL 2005, eq. 6) at ``params = (r, alpha, a, b)``."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    # the second term exists only for repeat buyers; -inf makes logaddexp ignore it
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4), dtype=np.float64)


def bgnbd_gradient(params: Array, x: Array, t_x: Array, T: Array,
                   w: Array) -> tuple[float, Array]:
    """The weighted total log-likelihood and its gradient with respect to the logarithms of
    ``(r, alpha, a, b)`` (analytic: one evaluation per optimiser step instead of five)."""
    r, alpha, a, b = params
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    tail = np.logaddexp(a3, a4)
    w3, w4 = np.exp(a3 - tail), np.exp(a4 - tail)  # shares of the two terms (sum to 1)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
          + tail)
    d_r = (digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + T)
           - w4 * np.log(alpha + t_x))
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = (digamma(b + x) - digamma(a + b + x) - digamma(b) + digamma(a + b)
           - np.where(x > 0, w4 / np.maximum(b + x - 1, 1e-300), 0.0))
    grad = np.array([np.dot(w, d_r) * r, np.dot(w, d_alpha) * alpha, np.dot(w, d_a) * a,
                     np.dot(w, d_b) * b])
    return float(np.dot(w, ll)), grad


def _minimise(objective: Any, start: Array, what: str) -> Array:
    """``objective(log params) -> (value, gradient)``; positive parameters are optimised on
    the log scale."""
    res = minimize(objective, np.log(start), method="L-BFGS-B", jac=True,
                   bounds=[(-12.0, 12.0)] * len(start),
                   options={"maxiter": 3000, "ftol": 1e-15, "gtol": 1e-10})
    if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
        raise FitError(f"{what}: the likelihood could not be maximised ({res.message})")
    return np.asarray(np.exp(res.x), dtype=np.float64)


def fit_bgnbd(x: Any, t_x: Any, T: Any, weights: Any = None) -> BgNbd:
    """Maximum-likelihood BG/NBD; ``weights`` counts identical summaries (rows compressed)."""
    xa, ta, Ta = _arrays(x, t_x, T)
    w = np.ones_like(xa) if weights is None else np.asarray(weights, dtype=np.float64)
    n = float(w.sum())
    if n == 0 or np.any(ta > Ta + 1e-9) or np.any(xa < 0):
        raise FitError("BG/NBD: needs customers with 0 <= recency <= age")

    def objective(logp: Array) -> tuple[float, Array]:
        value, grad = bgnbd_gradient(np.exp(logp), xa, ta, Ta, w)
        return -value / n, -grad / n

    r, alpha, a, b = _minimise(objective, np.array([1.0, max(float(Ta.mean()), 1.0), 1.0, 1.0]),
                               "BG/NBD")
    ll = float(np.dot(w, bgnbd_log_likelihood(np.array([r, alpha, a, b]), xa, ta, Ta)))
    return BgNbd(float(r), float(alpha), float(a), float(b), ll, int(n))


def p_alive(m: BgNbd, x: Any, t_x: Any, T: Any) -> Array:
    """P(still a customer | history) (FHL 2005, eq. 11); 1 for customers with no repeat."""
    xa, ta, Ta = _arrays(x, t_x, T)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(xa > 0, np.log(m.a) - np.log(np.maximum(m.b + xa - 1, 1e-300))
                     + (m.r + xa) * (np.log(m.alpha + Ta) - np.log(m.alpha + ta)), -np.inf)
    return np.asarray(expit(-z), dtype=np.float64)


def expected_purchases(m: BgNbd, t: float, x: Any, t_x: Any, T: Any) -> Array:
    """Expected purchases in the next ``t`` weeks given the history (FHL 2005, eq. 10)."""
    xa, ta, Ta = _arrays(x, t_x, T)
    r, alpha, a, b = m.r, m.alpha, m.a, m.b
    z = t / (alpha + Ta + t)
    hyp = hyp2f1(r + xa, b + xa, a + b + xa - 1, z)
    head = (a + b + xa - 1) / (a - 1)
    log_ratio = (r + xa) * (np.log(alpha + Ta) - np.log(alpha + Ta + t))
    numerator = head * (1.0 - np.exp(log_ratio) * hyp)
    return np.asarray(numerator * p_alive(m, xa, ta, Ta), dtype=np.float64)


# ---- Gamma-Gamma ----------------------------------------------------------------------------

def gg_log_likelihood(params: Array, x: Array, m_x: Array) -> Array:
    """Each repeat customer's log-likelihood of their mean spend ``m_x`` over ``x`` purchases
    (Fader & Hardie 2013, eq. 4, with the Jacobian of the mean)."""
    p, q, g = params
    px = p * x
    return np.asarray(gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
                      + (px - 1) * np.log(m_x) + px * np.log(x)
                      - (px + q) * np.log(g + m_x * x), dtype=np.float64)


def gg_gradient(params: Array, x: Array, m_x: Array) -> tuple[float, Array]:
    """Total log-likelihood and its gradient with respect to log ``(p, q, gamma)``."""
    p, q, g = params
    px = p * x
    common = digamma(px + q) - np.log(g + m_x * x)
    d_p = x * (common - digamma(px) + np.log(m_x) + np.log(x))
    d_q = common - digamma(q) + np.log(g)
    d_g = q / g - (px + q) / (g + m_x * x)
    grad = np.array([d_p.sum() * p, d_q.sum() * q, d_g.sum() * g])
    return float(gg_log_likelihood(params, x, m_x).sum()), grad


def fit_gamma_gamma(x: Any, m_x: Any) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma on customers with ``x > 0`` purchases of mean ``m_x > 0``."""
    xa, ma = _arrays(x, m_x)
    keep = (xa > 0) & (ma > 0)
    xa, ma = xa[keep], ma[keep]
    if xa.size < 3:
        raise FitError("Gamma-Gamma: needs at least 3 customers with repeat purchases")

    def objective(logp: Array) -> tuple[float, Array]:
        value, grad = gg_gradient(np.exp(logp), xa, ma)
        return -value / xa.size, -grad / xa.size

    p, q, g = _minimise(objective, np.array([1.0, 1.0, max(float(ma.mean()), 1.0)]),
                        "Gamma-Gamma")
    ll = float(gg_log_likelihood(np.array([p, q, g]), xa, ma).sum())
    return GammaGamma(float(p), float(q), float(g), ll, int(xa.size))


def expected_spend(m: GammaGamma, x: Any, m_x: Any) -> Array:
    """Expected spend of a purchase given the history: the population mean shrunk towards the
    customer's own mean the more purchases they made (Fader & Hardie 2013, eq. 5)."""
    xa, ma = _arrays(x, m_x)
    population = m.p * m.gamma / (m.q - 1) if m.q > 1 else float("nan")
    own = np.where(xa > 0, ma, 0.0)
    weight = m.p * xa / (m.p * xa + m.q - 1)
    return np.asarray((1 - weight) * population + weight * own, dtype=np.float64)


def clv(bg: BgNbd, spend: Array, x: Any, t_x: Any, T: Any, *, months: int,
        annual_discount: float) -> Array:
    """Discounted value of the next ``months``: each month's expected purchases times the
    expected spend, discounted at the monthly equivalent of ``annual_discount``."""
    return discounted_value([expected_purchases(bg, month * WEEKS_PER_MONTH, x, t_x, T)
                             for month in range(1, months + 1)], spend,
                            annual_discount=annual_discount)


def discounted_value(upto: list[Array], spend: Array, *, annual_discount: float) -> Array:
    """``clv`` from the cumulative expected purchases at the end of each month."""
    monthly = (1.0 + annual_discount) ** (1.0 / 12.0) - 1.0
    total = np.zeros(np.shape(spend))
    previous = np.zeros(np.shape(spend))
    for month, cumulative in enumerate(upto, start=1):
        total += (cumulative - previous) * spend / (1.0 + monthly) ** month
        previous = cumulative
    return np.asarray(total, dtype=np.float64)


@dataclass(frozen=True)
class Summary:
    """Per customer: repeat purchases ``x``, ``t_x`` and ``T`` in weeks, the mean spend of the
    repeat purchases ``m_x`` (0 without any), and the purchase count and total in the window."""

    keys: NDArray[Any]
    x: Array
    t_x: Array
    T: Array
    m_x: Array
    first: Array


def summarise(keys: Any, days: Any, amounts: Any, *, end_day: float) -> Summary:
    """Summaries from transactions (customer key, day number, amount) up to ``end_day``.

    Purchases on the same day are one purchase (their amounts add up), as in the papers; the
    first purchase starts the customer's clock and is not a repeat, so its spend is left out
    of ``m_x`` (Fader & Hardie 2013 use repeat purchases only).
    """
    k = np.asarray(keys)
    d = np.floor(np.asarray(days, dtype=np.float64))
    v = np.asarray(amounts, dtype=np.float64)
    keep = d <= end_day
    k, d, v = k[keep], d[keep], v[keep]
    uk, kidx = np.unique(k, return_inverse=True)
    # one row per (customer, day): lexsort then reduce runs
    order = np.lexsort((d, kidx))
    kidx, d, v = kidx[order], d[order], v[order]
    new = np.ones(kidx.size, dtype=bool)
    new[1:] = (kidx[1:] != kidx[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(new)
    ck, cd = kidx[starts], d[starts]
    cv = np.add.reduceat(v, starts) if starts.size else v[:0]
    n = uk.size
    counts = np.bincount(ck, minlength=n).astype(np.float64)
    first_pos = np.flatnonzero(np.r_[True, ck[1:] != ck[:-1]]) if ck.size else ck
    first_day = cd[first_pos] if ck.size else np.zeros(0)
    last_pos = np.r_[first_pos[1:] - 1, ck.size - 1] if ck.size else ck
    last_day = cd[last_pos] if ck.size else np.zeros(0)
    totals = np.bincount(ck, weights=cv, minlength=n)
    first_spend = cv[first_pos] if ck.size else np.zeros(0)
    x = counts - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        m_x = np.where(x > 0, (totals - first_spend) / np.maximum(x, 1), 0.0)
    return Summary(uk, x, (last_day - first_day) / 7.0, (end_day - first_day) / 7.0, m_x,
                   first_day)
