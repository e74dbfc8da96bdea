"""The kernels in plain numpy: the fallback when the compiled extension is missing.

Same functions, arguments and results as the compiled module ``_ckernels`` (see
``_ckernels.c``): :func:`binary`, :func:`softmax` and :func:`elementary` read their inputs in
place, write preallocated outputs, and return the same ``BAD_*`` flags, so that
the driver (``__init__.py``) drives either one. The arithmetic is the same sequence of operations
(log-sigmoids from one ``exp(-|u|)``, the focal factor as products of ``1 - p_t`` times
``exp(frac log(1 - p_t))``, the softmax through its top logit) with numpy's ``exp``,
``log`` and ``log1p`` in place of the C code's polynomials, so results agree with the
compiled kernels to a few ulps (the tests hold both to the same references).

Speed: the data are processed in blocks of rows that stay in the L2 cache, every
operation writes into a scratch buffer of the block (``out=``, no temporaries), and the
usual special cases (no ``alpha``, no weights, integer ``gamma``) skip their passes. numpy's
``exp`` and ``log1p`` (scalar libm loops on most CPUs) take most of the time; the kernel
costs several times the compiled one, and the training-time cost is measured in
``benchmarks/speed.py`` (section ``fallback``).

Only the driver (``__init__.py``) uses it; it assumes checked arguments.
"""

from __future__ import annotations

import numpy as np

from .._curvature import FLOOR_EPSILON, MIN_CURVATURE

#: Flags returned by the kernels (mirrors ``common.h``).
BAD_LABEL = 1
BAD_MARGIN = 2
BAD_WEIGHT = 4
SAW_POSITIVE_WEIGHT = 8

#: Rows per block of the binary kernel: a dozen float64 scratch arrays of this length
#: (about 1 MiB) stay in the L2/L3 cache, and a block is long enough that numpy's per-call
#: overhead (one to a few microseconds per operation, some 35 operations per block) stays
#: small beside the arithmetic. Measured: 4096 to 65536 rows were within noise of each
#: other at 1M rows; 2048 was slower (call overhead), a single block of 1M much slower.
BINARY_BLOCK = 8192

#: Elements per block of the softmax kernel (rows times classes).
SOFTMAX_BLOCK = 16384

_F64 = np.float64


def isa() -> str:
    """The "instruction set" of this backend."""
    return "numpy"


def isas() -> list[str]:
    """The builds this backend offers: numpy only."""
    return ["numpy"]


def set_isa(name: str) -> str:
    """Only ``"numpy"`` exists here; returns the previous (and only) name."""
    if name != "numpy":
        raise ValueError(f"instruction set {name!r} is not available in the numpy kernels")
    return "numpy"


def _flags(label: int, margin: int, weight: int, positive: int) -> int:
    return ((BAD_LABEL if label else 0) | (BAD_MARGIN if margin else 0)
            | (BAD_WEIGHT if weight else 0) | (SAW_POSITIVE_WEIGHT if positive else 0))


def _int_power(q: np.ndarray, n: int, out: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """``q ** n`` for 0 <= n <= 15 by binary powering, in the compiled kernels' order."""
    if n == 0:
        out.fill(1.0)
        return out
    if n == 1:
        np.copyto(out, q)
        return out
    started = False
    if n & 1:
        np.copyto(out, q)
        started = True
    np.multiply(q, q, out=tmp)  # q^2
    for bit in (2, 4, 8):
        if n & bit:
            if started:
                np.multiply(out, tmp, out=out)
            else:
                np.copyto(out, tmp)
                started = True
        if bit < 8 and n >= 2 * bit:
            np.multiply(tmp, tmp, out=tmp)
    return out


def _check_weights(wb: np.ndarray) -> tuple[int, int]:
    """(bad, saw_positive) for one block of weights: finite and >= 0, and any > 0."""
    if wb.shape[0] == 0:
        return 0, 0
    lo, hi = wb.min(), wb.max()
    bad = not (lo >= 0.0 and hi < np.inf)  # NaN fails both
    return int(bad), int(hi > 0.0)


def _margins(zb: np.ndarray, out: np.ndarray, offset) -> int:
    """``out = zb + offset`` in float64, non-finite values set to 0; returns their count."""
    if isinstance(offset, np.ndarray):
        np.add(zb, offset, out=out, dtype=_F64)
    elif offset:
        np.add(zb, offset, out=out, dtype=_F64)
    else:
        np.copyto(out, zb)
    if out.shape[0] == 0 or (np.isfinite(out.min()) and np.isfinite(out.max())):
        return 0
    bad = ~np.isfinite(out)
    out[bad] = 0.0
    return int(np.count_nonzero(bad))


class _BinaryScratch:
    __slots__ = ("z", "u", "e", "l1", "r", "er", "pt", "qt", "nll", "f", "t1", "t2", "a",
                 "pos", "up", "b")

    def __init__(self, n: int) -> None:
        for name in self.__slots__[:-3]:
            setattr(self, name, np.empty(n))
        self.pos = np.empty(n, dtype=bool)
        self.up = np.empty(n, dtype=bool)
        self.b = np.empty(n, dtype=bool)


def binary(y, z, w, grad, hess, out, alpha_pos: float, alpha_neg: float, n_bits: int,
           frac: float | None, gamma: float, policy: int, hess_scale: float,
           offset: float) -> int:
    """The binary focal kernel over all rows (see ``binary`` in ``_ckernels.c``)."""
    n = z.shape[0]
    want_loss = out is not None
    block = min(n, BINARY_BLOCK)
    s = _BinaryScratch(block)
    n_label = n_margin = n_weight = n_positive = 0
    same_alpha = alpha_pos == alpha_neg
    g21 = 2.0 * gamma + 1.0
    with np.errstate(all="ignore"):
        for lo in range(0, n, BINARY_BLOCK):
            hi = min(n, lo + BINARY_BLOCK)
            m = hi - lo
            zb, u, e, l1 = s.z[:m], s.u[:m], s.e[:m], s.l1[:m]
            r, er, pt, qt = s.r[:m], s.er[:m], s.pt[:m], s.qt[:m]
            nll, f, t1, t2 = s.nll[:m], s.f[:m], s.t1[:m], s.t2[:m]
            pos, up, b = s.pos[:m], s.up[:m], s.b[:m]
            yb = y[lo:hi]
            # checks: labels in {0, 1}, finite margins, weights finite and >= 0
            np.equal(yb, 1.0, out=pos)
            np.equal(yb, 0.0, out=b)
            n_label += m - int(np.count_nonzero(pos)) - int(np.count_nonzero(b))
            n_margin += _margins(z[lo:hi], zb, offset)
            # the per-row factor alpha_t w (None: 1)
            a = None
            if not same_alpha:
                a = s.a[:m]
                a.fill(alpha_neg)
                np.copyto(a, alpha_pos, where=pos)
            elif alpha_pos != 1.0:
                a = alpha_pos
            if w is not None:
                wb = w[lo:hi]
                bad, positive = _check_weights(wb)
                n_weight += bad
                n_positive += positive
                if a is None:
                    a = wb  # read as is (float32 weights are promoted by each product)
                elif isinstance(a, np.ndarray):
                    np.multiply(a, wb, out=a)
                else:
                    a = np.multiply(wb, a, out=s.a[:m], dtype=_F64)
            # u = s z; e = exp(-|u|); log1p(e); r = 1 / (1 + e)
            np.negative(zb, out=u)
            np.copyto(u, zb, where=pos)
            np.abs(u, out=e)
            np.negative(e, out=e)
            np.exp(e, out=e)
            np.log1p(e, out=l1)
            np.add(e, 1.0, out=r)
            np.reciprocal(r, out=r)
            np.multiply(e, r, out=er)
            np.greater_equal(u, 0.0, out=up)
            # p_t, q_t = 1 - p_t and -log p_t, each from its exact branch
            np.copyto(qt, r)
            np.copyto(qt, er, where=up)
            # -log p_t = log1p(e) - min(u, 0)
            np.minimum(u, 0.0, out=t1)
            np.subtract(l1, t1, out=nll)
            # focal factor q_t^gamma: products, times exp(frac log q_t)
            _int_power(qt, n_bits, f, t2)
            if frac is not None:
                # log q_t = -log1p(e) - max(u, 0)
                np.maximum(u, 0.0, out=t1)
                np.add(t1, l1, out=t1)
                np.multiply(t1, -frac, out=t1)
                np.exp(t1, out=t1)
                np.multiply(f, t1, out=f)
            if want_loss:
                o = out[lo:hi]
                np.multiply(f, nll, out=t1)
                if a is None:
                    np.copyto(o, t1, casting="same_kind")
                else:
                    np.multiply(t1, a, out=o, casting="same_kind")
                continue
            np.copyto(pt, er)
            np.copyto(pt, r, where=up)
            # gradient -s f (q_t + gamma p_t nll)
            np.multiply(pt, nll, out=t1)
            if gamma != 1.0:
                np.multiply(t1, gamma, out=t1)
            np.add(t1, qt, out=t1)
            np.multiply(t1, f, out=t1)
            go = grad[lo:hi]
            if a is None:
                np.copyto(go, t1, casting="same_kind")
            else:
                np.multiply(t1, a, out=go, casting="same_kind")
            np.negative(go, out=go, where=pos)
            # curvature p_t f ((2 gamma + 1) q_t + gamma nll (gamma p_t - q_t))
            np.multiply(pt, gamma, out=t1)
            np.subtract(t1, qt, out=t1)
            np.multiply(t1, nll, out=t1)
            np.multiply(t1, gamma, out=t1)
            np.multiply(qt, g21, out=t2)
            np.add(t1, t2, out=t1)
            np.multiply(t1, pt, out=t1)
            np.multiply(t1, f, out=t1)
            if policy == 1:  # majorizer: max(exact, f p_t q_t), floored
                np.multiply(pt, qt, out=t2)
                np.multiply(t2, f, out=t2)
                np.maximum(t1, t2, out=t1)
                np.maximum(t1, MIN_CURVATURE, out=t1)
            elif policy == 2:
                np.maximum(t1, FLOOR_EPSILON, out=t1)
            ho = hess[lo:hi]
            if a is None:
                if hess_scale == 1.0:
                    np.copyto(ho, t1, casting="same_kind")
                else:
                    np.multiply(t1, hess_scale, out=ho, casting="same_kind")
            else:
                if hess_scale != 1.0:
                    if isinstance(a, np.ndarray):
                        a = np.multiply(a, hess_scale, out=s.a[:m], dtype=_F64)
                    else:
                        a = a * hess_scale
                np.multiply(t1, a, out=ho, casting="same_kind")
    return _flags(n_label, n_margin, n_weight, n_positive)


def softmax(y, z, w, grad, hess, out, alpha, n_bits: int, frac: float | None, gamma: float,
            policy: int, rows: int, hess_scale: float, offset) -> int:
    """The softmax focal kernel over all rows (see ``softmax`` in ``_ckernels.c``).

    ``rows`` (the compiled kernel's chunk length) is not used: numpy's blocks are longer.
    """
    n, k = z.shape
    want_loss = out is not None
    block = max(64, SOFTMAX_BLOCK // k)
    nb = min(n, block)
    zc = np.empty((nb, k))
    sh = np.empty((nb, k))
    ez = np.empty((nb, k))
    t = np.empty((nb, k))
    ar_all = np.arange(nb)
    n_label = n_margin = n_weight = n_positive = 0
    kd = float(k)
    with np.errstate(all="ignore"):
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            m = hi - lo
            ar = ar_all[:m]
            zb, s_, e, tt = zc[:m], sh[:m], ez[:m], t[:m]
            # logits plus offset, non-finite ones counted and set to 0
            n_margin += _margins(z[lo:hi], zb, offset)
            # the top logit (the first one on ties) and the largest of the others
            top = np.argmax(zb, axis=1)
            zt = zb[ar, top]
            np.subtract(zb, zt[:, None], out=s_)
            s_[ar, top] = -np.inf
            mx = s_.max(axis=1)
            # e_j = exp(z_j - z_t - m) (0 for the top), their sum, log s = m + log(sum)
            np.subtract(s_, mx[:, None], out=e)
            np.minimum(e, 0.0, out=e)
            np.exp(e, out=e)
            acc = e.sum(axis=1)
            log_s = np.log(acc)
            log_s += mx
            es = np.abs(log_s)
            np.negative(es, out=es)
            np.exp(es, out=es)
            log1p_s = np.log1p(es)
            log1p_s += np.maximum(log_s, 0.0)
            inv = es + 1.0
            np.reciprocal(inv, out=inv)
            small = log_s <= 0.0
            es_inv = es * inv
            p_top = np.where(small, inv, es_inv)
            q_top = np.where(small, es_inv, inv)
            cr = np.exp(mx - log1p_s)
            # labels, class weights and sample weights
            yb = y[lo:hi]
            ok = (yb >= 0.0) & (yb < kd)
            cls = np.where(ok, yb, 0.0).astype(np.intp)
            n_label += int(np.count_nonzero(cls != yb))
            a_row = None if alpha is None else alpha[cls]
            if w is not None:
                wb = w[lo:hi]
                bad, positive = _check_weights(wb)
                n_weight += bad
                n_positive += positive
                a_row = wb.astype(_F64) if a_row is None else a_row * wb
            # the label's terms: p_y, 1 - p_y, -log p_y
            at_top = cls == top
            py = e[ar, cls] * cr
            np.copyto(py, p_top, where=at_top)
            nll = zt - zb[ar, cls]
            nll += log1p_s  # -log p_y = log(1 + s) - (z_y - z_t)
            np.copyto(nll, log1p_s, where=at_top)
            am = 1.0 - py
            np.copyto(am, q_top, where=at_top)
            f = _int_power(am, n_bits, np.empty(m), np.empty(m))
            if frac is not None:
                l1my = np.log1p(-py)
                np.copyto(l1my, log_s - log1p_s, where=at_top)
                l1my *= frac
                np.exp(l1my, out=l1my)
                f *= l1my
            if want_loss:
                v = f * nll
                if a_row is not None:
                    v *= a_row
                np.copyto(out[lo:hi], v, casting="same_kind")
                continue
            inv_qy = 1.0 / am
            rs = cr * inv_qy
            np.copyto(rs, 1.0 / acc, where=at_top)
            first = gamma * py * nll
            first += am
            second = 2.0 * am - am * nll + (gamma - 1.0) * py * nll
            second *= gamma * py
            # per class: p_j, 1 - p_j, the ratio (delta_yj - p_j) / (1 - p_y) and c_j
            pj = np.multiply(e, cr[:, None], out=s_)         # p_j (the top's set below)
            pj[ar, top] = p_top
            qj = np.subtract(1.0, pj, out=tt)                # 1 - p_j
            qj[ar, top] = q_top
            ratio = np.multiply(e, rs[:, None], out=e)       # p_j / (1 - p_y)
            ratio[ar, top] = p_top * inv_qy
            # majorizer term f p_j q_j, before pj is reused
            if policy == 1:
                mj = np.multiply(pj, qj, out=pj)
                mj *= f[:, None]
            # c_j = ratio q_j (p_y for the label), into qj
            np.multiply(ratio, qj, out=qj)
            qj[ar, cls] = py
            # d_j = -ratio (1 for the label), into ratio
            np.negative(ratio, out=ratio)
            ratio[ar, cls] = 1.0
            d, cc = ratio, qj
            # curvature f (second d^2 + first c)
            h = np.multiply(d, d, out=zb)
            h *= second[:, None]
            cc *= first[:, None]
            h += cc
            h *= f[:, None]
            if policy == 1:
                np.maximum(h, mj, out=h)
                np.maximum(h, MIN_CURVATURE, out=h)
            elif policy == 2:
                np.maximum(h, FLOOR_EPSILON, out=h)
            # gradient -a f first d
            gscale = f * first
            np.negative(gscale, out=gscale)
            hscale = None
            if a_row is not None:
                gscale *= a_row
                hscale = a_row * hess_scale if hess_scale != 1.0 else a_row
            elif hess_scale != 1.0:
                hscale = np.full(m, hess_scale)
            np.multiply(d, gscale[:, None], out=grad[lo:hi], casting="same_kind")
            if hscale is None:
                np.copyto(hess[lo:hi], h, casting="same_kind")
            else:
                np.multiply(h, hscale[:, None], out=hess[lo:hi], casting="same_kind")
    return _flags(n_label, n_margin, n_weight, n_positive)


def elementary(which: int, x: np.ndarray, out: np.ndarray) -> None:
    """``out = f(x)``: exp for ``x <= 0`` (0), log1p (1) or log (2), numpy's own."""
    with np.errstate(all="ignore"):
        if which == 0:
            np.maximum(x, -746.0, out=out)
            np.exp(out, out=out)
        elif which == 1:
            np.log1p(x, out=out)
        else:
            np.log(x, out=out)
