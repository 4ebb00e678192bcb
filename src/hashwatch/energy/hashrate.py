"""Network hashrate from difficulty and time: per block, per difficulty epoch, per day.

A block at difficulty D takes on average W = D · 2³² hashes. The hashrate over a span of
blocks is the work done divided by the time it took; this module computes it from block
records (timestamps with difficulty or compact ``bits``) and from difficulty epochs.

References
----------
Bitcoin Core ``GetNextWorkRequired``/``GetBlockProof`` (target from compact bits, work per
block); J. Lopp, "What is the Bitcoin Network's Real Hashrate?"; delvingbitcoin.org,
"Correcting the error in getnetworkhashrateps" (the (n−1)/n correction).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: the target at difficulty 1 (Bitcoin's ``powLimit`` as truncated by compact bits).
MAX_TARGET = 0xFFFF * 2**208
HASHES_PER_DIFFICULTY = 2.0**32
SECONDS_PER_DAY = 86_400


def target_from_bits(bits: int) -> int:
    """The 256-bit target encoded by compact ``bits`` (``nBits``): mantissa · 256^(exp−3).

    Example: ``0x1d00ffff`` → ``0xFFFF · 2²⁰⁸`` (difficulty 1).
    """
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def difficulty_from_target(target: int) -> float:
    """Difficulty D = 0xFFFF · 2²⁰⁸ / target (exact integer division, then to float)."""
    if target <= 0:
        raise ValueError("target must be positive")
    return MAX_TARGET / target


def difficulty_from_bits(bits: npt.ArrayLike) -> FloatArray:
    """Difficulty of each compact ``bits`` value."""
    return np.array(
        [difficulty_from_target(target_from_bits(int(b))) for b in np.ravel(bits)],
        dtype=np.float64,
    )


def window_hashrate_ths(
    difficulty: FloatArray, timestamp_s: FloatArray, *, unbiased: bool = True
) -> float:
    """Hashrate over consecutive blocks from their difficulty and timestamps [TH/s].

    Notes
    -----
    H = Σ_{i=2..n} D_i · 2³² / (t_n − t_1) / 10¹²: the work of the n − 1 blocks found after
    the first one, over the time they took; summing per-block work handles retargets in
    the window. The maximum-likelihood form Σ_{i=1..n} (Bitcoin Core ``getnetworkhashps``)
    overestimates by n/(n − 1) because block intervals are exponential; at constant
    difficulty the form used here equals it times (n − 1)/n. ``unbiased=False`` returns
    the maximum-likelihood form.
    """
    difficulty = np.asarray(difficulty, dtype=np.float64)
    t = np.asarray(timestamp_s, dtype=np.float64)
    if difficulty.size < 2:
        raise ValueError("a hashrate needs at least two blocks")
    span = float(t[-1] - t[0])
    if span <= 0:
        raise ValueError("the last block must be later than the first")
    work = float(difficulty[1:].sum() if unbiased else difficulty.sum())
    return work * HASHES_PER_DIFFICULTY / span / 1e12


def daily_hashrate_ths(
    difficulty: FloatArray, timestamp_s: FloatArray
) -> tuple[npt.NDArray[np.datetime64], FloatArray, IntArray]:
    """Hashrate of each UTC day from the blocks found in it [TH/s], and the block count.

    Notes
    -----
    H_day = Σ_{blocks in the day} D_i · 2³² / 86 400 / 10¹² (the fixed-time-window estimator;
    it is Coin Metrics' ``HashRate`` = BlkCnt · DiffMean · 2³² / 86 400 when the difficulty
    is constant). The block count is Poisson, so the estimate is unbiased with a relative
    standard deviation of about 1/√(blocks), ≈ 8 % for 144 blocks. Days without blocks
    between the first and the last block get 0.
    """
    t = np.asarray(timestamp_s, dtype=np.int64)
    day_index = t // SECONDS_PER_DAY
    first = int(day_index.min())
    slot = day_index - first
    n_days = int(slot.max()) + 1
    work = np.bincount(slot, weights=np.asarray(difficulty, dtype=np.float64), minlength=n_days)
    count = np.bincount(slot, minlength=n_days).astype(np.int64)
    days = (np.arange(n_days) + first).astype("datetime64[D]")
    return days, work * HASHES_PER_DIFFICULTY / SECONDS_PER_DAY / 1e12, count


def epoch_hashrate_ths(
    difficulty: FloatArray, start_s: FloatArray, end_s: FloatArray, blocks: IntArray | int = 2016
) -> FloatArray:
    """Mean hashrate of each difficulty epoch from its difficulty and duration [TH/s].

    Notes
    -----
    H = n · D · 2³² / (t_end − t_start) / 10¹² for an epoch of n blocks (2016 for Bitcoin)
    at difficulty D, with t_start and t_end the timestamps of the epoch's first block and
    of the next epoch's first block (so n block intervals are timed). Over 2016 blocks the
    estimator's bias is negligible and its noise is about 1/√2016 ≈ 2 %.
    """
    duration = np.asarray(end_s, dtype=np.float64) - np.asarray(start_s, dtype=np.float64)
    n = np.asarray(blocks, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = n * np.asarray(difficulty, dtype=np.float64) * HASHES_PER_DIFFICULTY / duration
    return np.where(duration > 0, rate / 1e12, np.nan)
