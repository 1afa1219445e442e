"""The lift of each early signal, with bootstrap confidence intervals and a sentence.

For a signal, customers who show it are compared with those who do not on two measures:
the ratio of their mean value, and the ratio of their chances of reaching the top quarter
of values (at or above the cohort's 75th percentile). Intervals are percentile bootstrap
intervals (resampling each group separately, a fixed seed: the same data give the same
report). Vectorised numpy over one array per group, in chunks that bound memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

MIN_GROUP = 10  # fewer customers than this on either side: no lift is reported
CHUNK_CELLS = 2_000_000  # resampled indexes held at once


@dataclass(frozen=True)
class Options:
    window_days: int = 90
    horizon_days: int = 365
    min_orders: int = 2
    resamples: int = 1_000
    confidence: float = 0.95
    seed: int = 7


def _ratio(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """a / b; +inf where only b is 0 (a resample with nobody on top without the signal),
    NaN where both are."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / np.where(b > 0, b, 1.0)
    return np.where(b > 0, out, np.where(a > 0, np.inf, np.nan))


def _interval(draws: npt.NDArray[np.float64], confidence: float) -> list[float | None]:
    """Percentile interval over the defined draws (no interpolation, so an infinite upper
    draw stays infinite: returned as None, "no upper limit"); none when many are undefined."""
    ok = draws[~np.isnan(draws)]
    if len(ok) < 0.99 * len(draws):
        return [None, None]
    tail = (1 - confidence) / 2
    lo, hi = (float(np.quantile(ok, q, method="inverted_cdf")) for q in (tail, 1 - tail))
    return [lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None]


def bootstrap(values: npt.NDArray[np.float64], top: npt.NDArray[np.float64],
              flags: npt.NDArray[np.bool_], *, resamples: int, confidence: float,
              seed: int) -> dict[str, list[float | None]]:
    """Percentile intervals of the mean-value ratio and the top-quarter ratio."""
    rng = np.random.default_rng(seed)
    a, b, ta, tb = values[flags], values[~flags], top[flags], top[~flags]
    n1, n0 = len(a), len(b)
    chunk = max(1, CHUNK_CELLS // (n1 + n0))
    means: list[npt.NDArray[np.float64]] = []
    tops: list[npt.NDArray[np.float64]] = []
    done = 0
    while done < resamples:
        c = min(chunk, resamples - done)
        ia = rng.integers(0, n1, size=(c, n1))
        ib = rng.integers(0, n0, size=(c, n0))
        means.append(_ratio(a[ia].mean(axis=1), b[ib].mean(axis=1)))
        tops.append(_ratio(ta[ia].mean(axis=1), tb[ib].mean(axis=1)))
        done += c
    return {"mean": _interval(np.concatenate(means), confidence),
            "top": _interval(np.concatenate(tops), confidence)}


def _fmt(x: float) -> str:
    return f"{x:.1f} times" if x < 10 else f"{x:.0f} times"


def _range(lo: float, hi: float) -> str:
    return f"{lo:.1f} to {hi:.1f} times"


def sentence(label: str, window_days: int, n1: int, n0: int, lift: float | None,
             ci: list[float | None], top_lift: float | None, top_ci: list[float | None],
             confidence: float) -> str:
    who = f"Customers who {label} in their first {window_days} days ({n1} of {n1 + n0})"
    pct = f"{confidence:.0%}"
    if lift is None:
        return f"{who}: too few customers on one side to compare."
    lo, hi = ci
    if lo is None or hi is None:
        head = f"{who} had {_fmt(lift)} the value of those who did not (no interval)."
    elif lo > 1:
        head = (f"{who} had {_fmt(lift)} the first-year value of those who did not "
                f"({pct} interval {_range(lo, hi)}).")
    elif hi < 1:
        head = (f"{who} had only {_fmt(lift)} the first-year value of those who did not "
                f"({pct} interval {_range(lo, hi)}).")
    else:
        head = (f"{who} show no clear difference in first-year value ({_fmt(lift)}, "
                f"{pct} interval {_range(lo, hi)} includes 1).")
    if top_lift is not None and top_ci[0] is not None:
        bounds = (_range(top_ci[0], top_ci[1]) if top_ci[1] is not None
                  else f"at least {_fmt(top_ci[0])}, no upper limit")
        head += (f" They were {_fmt(top_lift)} as likely to reach the top quarter of "
                 f"customers ({bounds}).")
    return head


def lifts(values: list[float], features: dict[str, list[int]], signal_list: Any,
          opts: Options) -> tuple[float | None, list[dict[str, Any]]]:
    """The report's rows, one per signal, and the top-quarter threshold."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return None, []
    threshold = float(np.percentile(v, 75))
    top = (v >= threshold).astype(np.float64)
    rows = []
    for i, sig in enumerate(signal_list):
        flags = np.asarray(features[sig.feature]) >= sig.threshold
        n1, n0 = int(flags.sum()), int((~flags).sum())
        row: dict[str, Any] = {
            "key": sig.key, "label": sig.label, "with_n": n1, "without_n": n0,
            "with_mean": float(v[flags].mean()) if n1 else None,
            "without_mean": float(v[~flags].mean()) if n0 else None,
            "with_top": float(top[flags].mean()) if n1 else None,
            "without_top": float(top[~flags].mean()) if n0 else None,
            "lift": None, "lift_ci": [None, None], "top_lift": None, "top_lift_ci": [None, None],
            "significant": False}
        if n1 >= MIN_GROUP and n0 >= MIN_GROUP:
            row["lift"] = (row["with_mean"] / row["without_mean"]
                           if row["without_mean"] else None)
            row["top_lift"] = (row["with_top"] / row["without_top"]
                               if row["without_top"] else None)
            ci = bootstrap(v, top, flags, resamples=opts.resamples,
                           confidence=opts.confidence, seed=opts.seed + i)
            row["lift_ci"], row["top_lift_ci"] = ci["mean"], ci["top"]
            lo, hi = ci["mean"]
            row["significant"] = bool(lo is not None and hi is not None
                                      and (lo > 1 or hi < 1))
        row["sentence"] = sentence(sig.label, opts.window_days, n1, n0, row["lift"],
                                   row["lift_ci"], row["top_lift"], row["top_lift_ci"],
                                   opts.confidence)
        rows.append(row)
    rows.sort(key=lambda r: (not r["significant"], -(r["lift"] or 0)))
    return threshold, rows
