"""The kernels in plain numpy: the fallback when the compiled extension is missing.

Same functions, arguments and results as the compiled module ``_ckernels`` (see
``_ckernels.c``): :func:`binary`, :func:`softmax`, :func:`binary_proba`,
:func:`softmax_proba` and :func:`elementary` read their inputs in place, write
preallocated outputs, and return the same ``BAD_*`` flags, so that the driver
(``__init__.py``) drives either one. The arithmetic is the same sequence of operations
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

The probability kernels (:func:`binary_proba`, :func:`softmax_proba`) are the compiled
ones' algorithm (``proba.h``) step for step, in double-double arithmetic (``_npdd.py``),
so that both backends return probabilities within an ulp of their exact values.

Only the driver (``__init__.py``) uses it; it assumes checked arguments.
"""

from __future__ import annotations

import numpy as np

from .._curvature import FLOOR_EPSILON, MIN_CURVATURE
from . import _npdd as dd

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

#: Rows per block of the binary probability kernel, and elements (rows times classes) per
#: block of the softmax one. Their double-double arithmetic is some 500 numpy operations
#: per block, so numpy's per-call overhead sets the block size: measured at 200k rows,
#: binary 4096 / 16384 / 65536 rows took 427 / 378 / 592 ns a row; softmax (K = 5)
#: 4096 / 16384 / 65536 elements 3763 / 2991 / 2394.
PROBA_BLOCK = 16384
PROBA_SOFTMAX_BLOCK = 65536

#: Margins (and logit differences) are clamped to this magnitude, as in ``proba.h``.
PROBA_CLAMP = 4096.0

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


def _finite_margins(zb: np.ndarray) -> tuple[np.ndarray, int]:
    """``zb`` as float64 with non-finite values set to 0, and their count."""
    zb = zb.astype(np.float64, copy=False)
    if zb.size == 0 or (np.isfinite(zb.min()) and np.isfinite(zb.max())):
        return zb, 0
    bad = ~np.isfinite(zb)
    return np.where(bad, 0.0, zb), int(np.count_nonzero(bad))


def _one_if_zero(xh, xl, zero):
    """``x``, or 1 where ``zero``."""
    return np.where(zero, 1.0, xh), np.where(zero, 0.0, xl)


def binary_proba(z, out, gamma: float, c_hi: float, c_lo: float) -> int:
    """The binary probability kernel over all rows (see ``binary_proba`` in ``_ckernels.c``).

    ``out`` (n, 2) gets ``[P(y=0), P(y=1)]`` of the margins ``z`` under the focal
    posterior map of ``gamma`` and ``c = log((1 - alpha) / alpha)``; ``gamma = c = 0`` is
    the sigmoid. The steps are ``binary_proba_loop``'s in ``proba.h``.
    """
    n = z.shape[0]
    n_margin = 0
    g1h, g1l = dd.two_sum(gamma, 1.0)
    with np.errstate(all="ignore"):
        for lo in range(0, n, PROBA_BLOCK):
            hi = min(n, lo + PROBA_BLOCK)
            zb, bad = _finite_margins(z[lo:hi])
            n_margin += bad
            a = np.minimum(np.abs(zb), PROBA_CLAMP)
            neg = zb < 0.0
            zero_lo = np.zeros_like(a)
            if gamma:
                sh, sl = dd.exp(-a, zero_lo)                   # s = e^-a
                lh, ll = dd.log1p(sh, sl)                      # lambda = log(1 + s)
                zero = sh == 0.0
                xah, xal = dd.mul_d(*dd.mul(*dd.add_d(lh, ll, a), sh, sl), gamma)
                rh, rl = dd.div(lh, ll, *_one_if_zero(sh, sl, zero))
                xbh, xbl = dd.mul_d(*_one_if_zero(rh, rl, zero), gamma)
                nah, nal = dd.add_d(xah, xal, 1.0)             # 1 + xA
                nbh, nbl = dd.add_d(xbh, xbl, 1.0)             # 1 + xB
            else:  # xA = xB = 0 exactly: the same bits without the work
                nah = nbh = np.ones_like(a)
                nal = nbl = zero_lo
            kh, kl = dd.mul_d(g1h, g1l, a)                     # K = sign(z) (gamma+1) a + c
            kh, kl = dd.add(np.where(neg, -kh, kh), np.where(neg, -kl, kl), c_hi, c_lo)
            up = kh >= 0.0                                     # class 1 at least as likely
            eh, el, k = dd.exp_scaled(np.where(up, -kh, kh), np.where(up, -kl, kl))
            if gamma:
                flip = up != neg
                rh, rl = dd.div(np.where(flip, nbh, nah), np.where(flip, nbl, nal),
                                np.where(flip, nah, nbh), np.where(flip, nal, nbl))
                mh, ml = dd.mul(eh, el, rh, rl)                # E = m 2^k
            else:  # R = 1 exactly
                mh, ml = eh, el
            oh, ol = dd.add_d(np.ldexp(mh, k), np.ldexp(ml, k), 1.0)
            bh, bl = dd.div(np.ones_like(oh), np.zeros_like(oh), oh, ol)
            sh, sl = dd.div(mh, ml, oh, ol)
            big = bh + bl
            small = np.ldexp(sh + sl, k)
            o = out[lo:hi]
            o[:, 0] = np.where(up, small, big)
            o[:, 1] = np.where(up, big, small)
    return _flags(0, n_margin, 0, 0)


def softmax_proba(z, out, la_hi, la_lo, gamma: float, rows: int) -> int:
    """The softmax probability kernel over all rows (see ``softmax_proba`` in ``_ckernels.c``).

    ``out`` (n, K) gets the class posterior of the logits ``z`` under the focal posterior
    map of ``gamma`` and the class weights ``exp(la_hi + la_lo)`` (None: all 1; ``gamma =
    0`` without them is the softmax). The steps are ``pm_*``'s in ``proba.h``. ``rows``
    (the compiled kernel's chunk length) is not used.
    """
    n, k = z.shape
    block = max(64, PROBA_SOFTMAX_BLOCK // k)
    n_margin = 0
    g1mh, g1ml = dd.two_sum(gamma, -1.0)
    with np.errstate(all="ignore"):
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            m = hi - lo
            rows_ = np.arange(m)
            zb, bad = _finite_margins(z[lo:hi])
            n_margin += bad
            # the top logit (the first one on ties) and d_j = z_j - z_t, exact, clamped
            top = np.argmax(zb, axis=1)
            is_top = np.zeros((m, k), dtype=bool)
            is_top[rows_, top] = True
            dh, dl = dd.two_sum(zb, -zb[rows_, top][:, None])
            keep = dh >= -PROBA_CLAMP
            dh = np.where(keep, dh, -PROBA_CLAMP)
            dl = np.where(keep, dl, 0.0)
            mx = np.where(is_top, -np.inf, dh).max(axis=1)
            # e_j = exp(d_j - m) for j != t, and their sum
            xh, xl = dd.two_sum(dh, -mx[:, None])
            eh, el = dd.exp(np.minimum(xh, 0.0), xl + dl)
            eh = np.where(is_top, 0.0, eh)
            el = np.where(is_top, 0.0, el)
            ah, al = eh[:, 0], el[:, 0]
            for j in range(1, k):
                ah, al = dd.add(ah, al, eh[:, j], el[:, j])
            # log s, s, lambda = log(1 + s), the top's L and D, exp(m - lambda)
            sh, sl = dd.mul(*dd.exp(mx, np.zeros(m)), ah, al)
            lmh, lml = dd.log1p(sh, sl)
            lh, ll = dd.add(dh, dl, -lmh[:, None], -lml[:, None])   # log q_j
            tied = dh == 0.0
            if gamma:
                log_sh, log_sl = dd.add_d(*dd.log(ah, al), mx)
                zero = sh == 0.0
                rh, rl = dd.div(lmh, lml, *_one_if_zero(sh, sl, zero))
                dth, dtl = dd.add_d(*dd.mul_d(*_one_if_zero(rh, rl, zero), gamma), 1.0)
                lth, ltl = dd.add(*dd.mul_d(log_sh, log_sl, -gamma),
                                  *dd.mul(lmh, lml, g1mh, g1ml))
                fh, fl = dd.exp(*dd.add_d(-lmh, -lml, mx))
                # per class: q, m = log(1 - q), x, D = 1 + x and L = log q - gamma m
                qh, ql = dd.mul(eh, el, fh[:, None], fl[:, None])
                omh, oml = dd.add_d(-qh, -ql, 1.0)
                mh, ml = dd.log(omh, oml)
                xh, xl = dd.mul_d(*dd.div(*dd.mul(-lh, -ll, qh, ql), omh, oml), gamma)
                Dh, Dl = dd.add_d(xh, xl, 1.0)
                Lh, Ll = dd.add(lh, ll, *dd.mul_d(mh, ml, -gamma))
                Lh = np.where(tied, lth[:, None], Lh)
                Ll = np.where(tied, ltl[:, None], Ll)
                Dh = np.where(tied, dth[:, None], Dh)
                Dl = np.where(tied, dtl[:, None], Dl)
            else:  # D = 1 and L = log q exactly (the top's: -lambda)
                Dh, Dl = None, None
                Lh = np.where(tied, -lmh[:, None], lh)
                Ll = np.where(tied, -lml[:, None], ll)
            if la_hi is not None:
                Lh, Ll = dd.add(Lh, Ll, -la_hi, -la_lo)
            # E_j = exp(L_j - max L) / D_j, their sum, and E_j / sum
            uh, ul = dd.two_sum(Lh, -Lh.max(axis=1)[:, None])
            eh, el, ke = dd.exp_scaled(uh, ul + Ll)
            if Dh is not None:
                eh, el = dd.div(eh, el, Dh, Dl)
            sh, sl = np.ldexp(eh[:, 0], ke[:, 0]), np.ldexp(el[:, 0], ke[:, 0])
            for j in range(1, k):
                sh, sl = dd.add(sh, sl, np.ldexp(eh[:, j], ke[:, j]),
                                np.ldexp(el[:, j], ke[:, j]))
            ph, pl = dd.div(eh, el, sh[:, None], sl[:, None])
            out[lo:hi] = np.ldexp(ph + pl, ke)
    return _flags(0, n_margin, 0, 0)


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
