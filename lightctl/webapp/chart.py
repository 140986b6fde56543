"""Chart thinning for ``/api/history?points=N``: a day of 1 Hz samples down to what a
phone's chart can draw, keeping what the eye must see (extremes and gaps)."""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lightctl import memory
from lightctl.history import Sample

CHUNK = 65_536  # samples per step of the chart thinning (about 3 MB of temporaries)


def window_json(window, points: int | None) -> dict[str, Any]:
    """The ``/api/history`` body of a :class:`lightctl.services.reads.HistoryWindow`;
    ``points`` thins the samples for a chart."""
    if points is None:
        samples = window.samples()
    else:
        if window.blocks is not None:
            thinned = thin_blocks(window.blocks, points)
        else:
            thinned = thin_columns(window.times, window.lux, points)
        samples = [[t, v] for t, v in thinned]
        memory.trim()
    out: dict[str, Any] = {"samples": samples, "events": window.events}
    if window.marks is not None:
        out["marks"] = window.marks
    if window.loading:
        out["loading"] = True
    return out


ROWS = 8_192  # samples per piece of a streamed, unthinned history (about 200 kB of JSON)


def window_json_pieces(window, rows: int = ROWS) -> Iterator[str]:
    """The unthinned ``/api/history`` body in pieces, as :func:`window_json` would give
    it through ``jsonify`` (sorted keys, compact): 8 days of 1 Hz samples are 17 MB of
    JSON, which a Pi Zero should never hold at once, nor one list per sample."""
    rest = {k: v for k, v in window_json(_NoSamples(window), None).items() if k != "samples"}
    before = {k: v for k, v in rest.items() if k < "samples"}
    after = {k: v for k, v in rest.items() if k > "samples"}
    head = json.dumps(before, sort_keys=True, separators=(",", ":"))[:-1]
    yield head + ("," if before else "") + '"samples":['
    blocks = window.blocks() if window.blocks is not None else [(window.times, window.lux)]
    first = True
    for times, lux in blocks:
        for i in range(0, len(times), rows):
            piece = [
                [t, None if v != v else v]
                for t, v in zip(times[i : i + rows], lux[i : i + rows], strict=True)
            ]
            text = json.dumps(piece, separators=(",", ":"))[1:-1]
            yield ("" if first else ",") + text
            first = False
    tail = json.dumps(after, sort_keys=True, separators=(",", ":"))[1:]
    yield "]" + ("," if after else "") + tail + "\n"


class _NoSamples:
    """A window without its samples: the rest of the body, built the one way."""

    def __init__(self, window) -> None:
        self.events, self.marks, self.loading = window.events, window.marks, window.loading

    def samples(self) -> list:
        return []


def thin(samples: list[Sample], max_points: int) -> list[Sample]:
    """Downsample time-ordered samples for a chart, keeping what the eye must see.

    The time span is cut into equal buckets; each bucket keeps its lowest and its
    highest reading (a headlight flash or a short dip still shows) and, if it
    holds failed readings, one ``None`` so the line breaks at the gap. Points keep
    their time order; the result has at most ``max_points`` points and is a
    subset of the input. Input that already fits is returned as is.
    """
    if max_points < 3:
        raise ValueError(f"max_points must be at least 3, got {max_points!r}")
    if len(samples) <= max_points:
        return list(samples)
    if any(a[0] > b[0] for a, b in zip(samples, samples[1:], strict=False)):
        samples = sorted(samples, key=lambda s: s[0])
    has_gap = any(v is None or v != v for _, v in samples)
    buckets = max_points // 3 if has_gap else max_points // 2
    t0 = samples[0][0]
    span = samples[-1][0] - t0
    scale = buckets / span if span > 0 else 0.0
    out: list[Sample] = []
    current = -1
    lo = hi = gap = -1  # indices into samples, per bucket
    for i, (t, v) in enumerate(samples):
        b = min(int((t - t0) * scale), buckets - 1)
        if b != current:
            if current >= 0:
                out.extend(samples[k] for k in sorted({lo, hi, gap} - {-1}))
            current, lo, hi, gap = b, -1, -1, -1
        if v is None or v != v:
            if gap < 0:
                gap = i
        else:
            if lo < 0 or v < samples[lo][1]:
                lo = i
            if hi < 0 or v > samples[hi][1]:
                hi = i
    out.extend(samples[k] for k in sorted({lo, hi, gap} - {-1}))
    return out


def thin_columns(times, values, max_points: int, *, chunk: int = CHUNK) -> list[Sample]:
    """:func:`thin` over History's columns with numpy: the same points, no tuple per sample.

    The chart asks for 24 h (86,400 samples at 1 Hz) every minute per open page; this
    keeps that request at a few milliseconds. ``times`` must be in order (History keeps
    them so). Proven equal to :func:`thin` by tests/test_history.py.
    """
    import numpy as np  # at the first chart, not at start (about 14 MiB)

    t = np.frombuffer(times, dtype=float) if isinstance(times, array) else np.asarray(times)
    v = np.frombuffer(values, dtype=float) if isinstance(values, array) else np.asarray(values)
    return thin_blocks(lambda until=None: [(t, v)], max_points, chunk=chunk)


def thin_blocks(
    blocks: Callable[..., Iterable[tuple[Any, Any]]], max_points: int, *, chunk: int = CHUNK
) -> list[Sample]:
    """:func:`thin_columns` over columns read a block at a time (``blocks(until=None)``
    gives them, e.g. ``History.column_blocks``), twice: once for the span, the count and
    whether any reading failed, once more (up to the same last time) for each bucket's
    extremes. Each block is walked ``chunk`` samples at a time, so the temporaries stay a
    few MB and 8 days are never in memory at once (a Pi Zero has 512 MB for everything).
    """
    import numpy as np

    if max_points < 3:
        raise ValueError(f"max_points must be at least 3, got {max_points!r}")
    n, has_gap, span, few = 0, False, [], []
    for times, values in blocks():
        t, v = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
        if not t.size:
            continue
        n += t.size
        has_gap = has_gap or bool(np.isnan(v).any())
        span[1:] = [float(t[-1])] if span else [float(t[0]), float(t[-1])]
        if n <= max_points:  # all of them, if they are few
            few.extend(zip(t.tolist(), [None if x != x else x for x in v.tolist()], strict=True))
    if n <= max_points:
        return few
    del few
    buckets = max_points // 3 if has_gap else max_points // 2
    t0 = span[0]
    scale = buckets / (span[1] - t0) if span[1] > t0 else 0.0
    keep: list[Sample] = []
    carry: list | None = None  # the bucket still open at a chunk's end
    points: dict[int, Sample] = {}  # its candidates, read while their chunk is in hand
    offset = 0
    for times, values in blocks(until=span[1]):
        t_all, v_all = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
        if not has_gap:  # a failed reading recorded since the first pass: not charted
            ok = ~np.isnan(v_all)
            t_all, v_all = (t_all, v_all) if ok.all() else (t_all[ok], v_all[ok])
        for i in range(0, t_all.size, chunk):
            t, v = t_all[i : i + chunk], v_all[i : i + chunk]
            for seg in _bucket_extremes(np, t, v, offset, t0, scale, buckets):
                if carry is not None and carry[0] == seg[0]:
                    carry = _merge(carry, seg)
                else:
                    if carry is not None:
                        keep.extend(
                            points[k] for k in sorted({carry[2], carry[4], carry[5]} - {-1})
                        )
                    carry, points = seg, {}
                for k in (carry[2], carry[4], carry[5]):
                    if k >= offset and k not in points:
                        x = v[k - offset]
                        points[k] = (float(t[k - offset]), None if x != x else float(x))
            offset += t.size
    if carry is not None:
        keep.extend(points[k] for k in sorted({carry[2], carry[4], carry[5]} - {-1}))
    return keep


def _bucket_extremes(np, t, v, offset: int, t0: float, scale: float, buckets: int) -> list:
    """Per bucket in one chunk: [bucket, low, low index, high, high index, first gap index]
    (indices into the whole columns, -1 for none; the first index wins a tie, as in thin)."""
    m = len(t)
    b = ((t - t0) * scale).astype(np.int64)
    np.clip(b, 0, buckets - 1, out=b)  # 0: a sample inserted before t0 between two passes
    starts = np.concatenate(([0], np.flatnonzero(b[1:] != b[:-1]) + 1))
    lengths = np.diff(np.append(starts, m))
    missing = np.isnan(v)
    gaps = bool(missing.any())
    low = np.where(missing, np.inf, v) if gaps else v
    high = np.where(missing, -np.inf, v) if gaps else v
    seg_min = np.minimum.reduceat(low, starts)
    seg_max = np.maximum.reduceat(high, starts)

    def first(hit):
        """Per bucket, the first index where ``hit`` holds (m for none)."""
        at = np.flatnonzero(hit)
        if at.size == 0:
            return np.full(starts.size, m)
        k = np.minimum(np.searchsorted(at, starts), at.size - 1)
        return np.where((at[k] >= starts) & (at[k] < starts + lengths), at[k], m)

    at_min = low == np.repeat(seg_min, lengths)
    at_max = high == np.repeat(seg_max, lengths)
    if gaps:
        at_min &= ~missing
        at_max &= ~missing
    lo_i, hi_i = first(at_min), first(at_max)
    gap_i = first(missing) if gaps else np.full(starts.size, m)
    out = []
    for k, start in enumerate(starts.tolist()):
        lo, hi, gap = int(lo_i[k]), int(hi_i[k]), int(gap_i[k])
        out.append([
            int(b[start]),
            float(seg_min[k]), lo + offset if lo < m else -1,
            float(seg_max[k]), hi + offset if hi < m else -1,
            gap + offset if gap < m else -1,
        ])  # fmt: skip
    return out


def _merge(a: list, b: list) -> list:
    """One bucket split over two chunks: ``a`` came first, so it wins ties."""
    out = list(a)
    if b[2] >= 0 and (a[2] < 0 or b[1] < a[1]):
        out[1], out[2] = b[1], b[2]
    if b[4] >= 0 and (a[4] < 0 or b[3] > a[3]):
        out[3], out[4] = b[3], b[4]
    if a[5] < 0:
        out[5] = b[5]
    return out
