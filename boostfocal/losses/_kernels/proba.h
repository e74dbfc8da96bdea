/*
 * The probability kernels: margins -> class probabilities, with the focal losses'
 * posterior map fused into the link (binary: [P(y=0), P(y=1)]; softmax: (n, K)). Included
 * once, by common.h, after dd.h. The math is the loss objects' (FocalLoss._posterior_raw,
 * SoftmaxFocalLoss._posterior_raw: eta_k proportional to 1 / (alpha_k g(q_k)) with
 * g(x) = (1-x)^gamma / x - gamma (1-x)^(gamma-1) log x and q the sigmoid or softmax of
 * the margins); gamma = 0 without alpha is the plain sigmoid / softmax (the confidence).
 *
 * Everything is carried in double-double (dd.h), so that the probabilities are within an
 * ulp of their exact values for every finite margin (the numpy fallback in _npkernels.py
 * runs the same algorithm). Margins beyond PROBA_CLAMP from the top one are clamped: their
 * probabilities are 0 either way, and the others do not move. (The posterior odds of
 * class j against the top class t are (alpha_t / alpha_j) (q_j / q_t) h(q_t) / h(q_j) with
 * h(x) = x g(x), which is at most 1.4 for gamma = 5 (3.8 for gamma = 1e4) and near 1 for
 * small x; alpha ratios are below e^1455 and q_j / q_t = e^(z_j - z_t).)
 *
 * Binary, for a = |z|, s = e^-a, lambda = log(1 + s) (the two classes' log-sigmoids):
 *
 *   log-odds t = sign(z) [(gamma + 1) a + log((1 + xA) / (1 + xB))] + c,
 *   xA = gamma (a + lambda) s,  xB = gamma lambda / s,  c = log((1 - alpha) / alpha),
 *
 * and the less likely class's probability is E / (1 + E) with E = exp(-|K|) R^(+-1),
 * K = sign(z) (gamma + 1) a + c, R = (1 + xA) / (1 + xB) in [1 / (1 + gamma), 1]: one exp
 * of an exactly known argument and bounded factors, no cancellation. Negating z swaps the
 * two columns bit for bit (without alpha), and z = 0 gives exactly [0.5, 0.5].
 *
 * Softmax, with t the top logit (the first largest), d_j = z_j - z_t (exact as a
 * double-double), s = sum_{j != t} e^d_j and lambda = log(1 + s) = -log q_t:
 *
 *   1 / g(q_t) = s^-gamma e^((gamma - 1) lambda) / (1 + gamma lambda / s),
 *   1 / g(q_k) = q_k (1 - q_k)^-gamma / (1 + gamma (-log q_k) q_k / (1 - q_k))  (q_k < 1/2),
 *
 * each as exp(L_k) / D_k with L_k in log space (exact, unbounded) and D_k in [1, 1 + gamma];
 * eta_k = (exp(L_k - max L) / D_k) / sum_j (...). Columns tied with the top logit take the
 * top's formulas, so equal logits give bit-equal probabilities.
 *
 * The power of two of the last exp is applied after the last division, so that a
 * subnormal probability is rounded once.
 */

#ifndef BOOSTFOCAL_KERNELS_PROBA_H
#define BOOSTFOCAL_KERNELS_PROBA_H

/* Margins (and logit differences) are clamped to this magnitude (as CLAMP in
 * _npkernels.py): beyond it every probability is 0 or 1 (see above). */
#define PROBA_CLAMP 4096.0

/* ------------------------------------------------------------------------------------
 * Binary
 * ------------------------------------------------------------------------------------ */
typedef struct {
    double gamma;
    dd_t g1; /* gamma + 1 */
    dd_t c;  /* log((1 - alpha) / alpha), 0 without alpha */
} bpparams_t;

/* One straight loop; zt and ot are constants at every call. out is (n, 2), C order. */
BF_INLINE void binary_proba_loop(const int zt, const int ot, Py_ssize_t n,
                                 const void *BF_RESTRICT z, void *BF_RESTRICT out,
                                 const bpparams_t *P, counts_t *c)
{
    const double gamma = P->gamma;
    const dd_t g1 = P->g1, cc = P->c, one = dd_make(1.0, 0.0);
    const double floor = dd_exp_floor();
    int64_t n_margin = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double zi = load(z, zt, i);
        int finite = fabs(zi) <= DBL_MAX;
        n_margin += !finite;
        zi = finite ? zi : 0.0;
        double a = fabs(zi);
        a = a < PROBA_CLAMP ? a : PROBA_CLAMP;
        int neg = zi < 0.0;
        dd_t s = dd_exp(dd_make(-a, 0.0), floor);
        dd_t lam = dd_log1p(s);
        int zero = s.hi == 0.0;
        dd_t xa = dd_mul_d(dd_mul(dd_add_d(lam, a), s), gamma);
        dd_t ratio = dd_sel(zero, one, dd_div(lam, dd_sel(zero, one, s)));
        dd_t xb = dd_mul_d(ratio, gamma);
        dd_t na = dd_add_d(xa, 1.0), nb = dd_add_d(xb, 1.0);
        dd_t k = dd_mul_d(g1, a);
        k = dd_add(dd_sel(neg, dd_neg(k), k), cc);
        int up = k.hi >= 0.0;  /* class 1 at least as likely as class 0 */
        /* up != neg, as a product of signs (a comparison of the two masks does not
         * vectorize with GCC 12) */
        int flip = (up ? 1.0 : -1.0) * (neg ? -1.0 : 1.0) > 0.0;
        dd_t r = dd_div(dd_sel(flip, nb, na), dd_sel(flip, na, nb));
        double t;
        dd_t m = dd_mul(dd_exp_scaled(dd_sel(up, dd_neg(k), k), floor, &t), r);
        dd_t o = dd_add_d(dd_make(dd_scale(m.hi, t), dd_scale(m.lo, t)), 1.0);
        dd_t big = dd_div(one, o), small = dd_div(m, o);
        double pb = big.hi + big.lo;
        double ps = dd_scale(small.hi + small.lo, t);
        store(out, ot, 2 * i, up ? ps : pb);
        store(out, ot, 2 * i + 1, up ? pb : ps);
    }
    c->margin = n_margin;
}

/* ------------------------------------------------------------------------------------
 * Softmax: rows are processed `rows` at a time, every inner loop over the rows of a chunk
 * for one class (as softmax.h). Scratch: four (K, rows) arrays (the logit differences,
 * then D; e_j, then L and the exp's), and one value per row for the rest.
 * ------------------------------------------------------------------------------------ */
typedef struct {
    Py_ssize_t n, k, rows;
    const void *z;
    Py_ssize_t zs0, zs1; /* element strides */
    void *out;           /* (n, K), C order */
    const double *la_hi, *la_lo; /* log alpha_k, NULL without alpha */
    int zt, ot;
    double gamma;
    dd_t g1m; /* gamma - 1 */
} spparams_t;

#define PM_ROW_ARRAYS(X)                                                                    \
    X(top) X(zmax) X(mx) X(ah) X(al) X(lmh) X(lml) X(lth) X(ltl) X(dth) X(dtl) X(fh) X(fl) \
    X(lmax) X(sh) X(sl)
#define PM_PARAM(x) , double *BF_RESTRICT x
#define PM_ARG(x) , x
#define PM_PARAMS                                                                     \
    double *BF_RESTRICT dh, double *BF_RESTRICT dl, double *BF_RESTRICT eh,           \
        double *BF_RESTRICT el PM_ROW_ARRAYS(PM_PARAM)
#define PM_ARGS dh, dl, eh, el PM_ROW_ARRAYS(PM_ARG)
#define PM_SCRATCH_ROW_ARRAYS 16

/* dh[j, i] = z[lo + i, j] */
BF_INLINE void pm_load_z(const int zt, const int layout, const spparams_t *P, Py_ssize_t lo,
                         Py_ssize_t nr, double *BF_RESTRICT zc, Py_ssize_t R)
{
    const Py_ssize_t k = P->k, s0 = P->zs0, s1 = P->zs1;
    const void *z = P->z;
    if (layout == LAYOUT_ROW) {
        for (Py_ssize_t i = 0; i < nr; i++)
            for (Py_ssize_t j = 0; j < k; j++)
                zc[j * R + i] = load(z, zt, (lo + i) * s0 + j);
    } else if (layout == LAYOUT_COL) {
        for (Py_ssize_t j = 0; j < k; j++) {
            const Py_ssize_t base = lo + j * s1;
            double *BF_RESTRICT zj = zc + j * R;
            for (Py_ssize_t i = 0; i < nr; i++)
                zj[i] = load(z, zt, base + i);
        }
    } else {
        for (Py_ssize_t j = 0; j < k; j++) {
            double *BF_RESTRICT zj = zc + j * R;
            for (Py_ssize_t i = 0; i < nr; i++)
                zj[i] = load(z, zt, (lo + i) * s0 + j * s1);
        }
    }
}

/* The finite check, the top logit, the differences d_j (clamped) and s's terms. */
BF_INLINE void pm_logits(const spparams_t *P, Py_ssize_t nr, Py_ssize_t R, counts_t *c,
                         PM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const double floor = dd_exp_floor();
    c->margin += finite_top_logit(dh, R, nr, k, zmax, top);
    /* d_j = z_j - z_t exactly (the top's is 0), clamped at -PROBA_CLAMP */
    for (Py_ssize_t i = 0; i < nr; i++)
        mx[i] = -INFINITY;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT dj = dh + j * R;
        double *BF_RESTRICT lj = dl + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            dd_t d = dd_two_sum(dj[i], -zmax[i]);
            int keep = d.hi >= -PROBA_CLAMP;
            dj[i] = keep ? d.hi : -PROBA_CLAMP;
            lj[i] = keep ? d.lo : 0.0;
            int take = (dj[i] > mx[i]) & (jd != top[i]);
            mx[i] = take ? dj[i] : mx[i];
        }
    }
    /* e_j = exp(d_j - m) for j != t (0 for t), and their sum */
    for (Py_ssize_t i = 0; i < nr; i++) {
        ah[i] = 0.0;
        al[i] = 0.0;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        const double *BF_RESTRICT dj = dh + j * R;
        const double *BF_RESTRICT lj = dl + j * R;
        double *BF_RESTRICT ehj = eh + j * R;
        double *BF_RESTRICT elj = el + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            dd_t x = dd_two_sum(dj[i], -mx[i]);
            x.lo += lj[i];
            x.hi = x.hi < 0.0 ? x.hi : 0.0; /* the top's (> 0) is discarded below */
            dd_t e = dd_exp(x, floor);
            int is_top = jd == top[i];
            e = dd_sel(is_top, dd_make(0.0, 0.0), e);
            ehj[i] = e.hi;
            elj[i] = e.lo;
            dd_t acc = dd_add(dd_make(ah[i], al[i]), e);
            ah[i] = acc.hi;
            al[i] = acc.lo;
        }
    }
}

/* Per row: log s, s, lambda, the top's L and D, and exp(m - lambda) (q_j = e_j times it). */
BF_INLINE void pm_rows(const spparams_t *P, Py_ssize_t nr, PM_PARAMS)
{
    const double gamma = P->gamma, floor = dd_exp_floor();
    const dd_t g1m = P->g1m, one = dd_make(1.0, 0.0);
    for (Py_ssize_t i = 0; i < nr; i++) {
        dd_t acc = dd_make(ah[i], al[i]);
        dd_t log_s = dd_add_d(dd_log(acc), mx[i]);
        dd_t s = dd_mul(dd_exp(dd_make(mx[i], 0.0), floor), acc);
        dd_t lam = dd_log1p(s);
        int zero = s.hi == 0.0;
        dd_t ratio = dd_sel(zero, one, dd_div(lam, dd_sel(zero, one, s)));
        dd_t d_top = dd_add_d(dd_mul_d(ratio, gamma), 1.0);
        dd_t l_top = dd_add(dd_mul_d(log_s, -gamma), dd_mul(lam, g1m));
        dd_t f = dd_exp(dd_add_d(dd_neg(lam), mx[i]), floor);
        lmh[i] = lam.hi;
        lml[i] = lam.lo;
        dth[i] = d_top.hi;
        dtl[i] = d_top.lo;
        lth[i] = l_top.hi;
        ltl[i] = l_top.lo;
        fh[i] = f.hi;
        fl[i] = f.lo;
    }
}

/* Per class: L_j (into eh, el; alpha included) and D_j (into dh, dl), and max L. */
BF_INLINE void pm_classes(const int has_alpha, const spparams_t *P, Py_ssize_t nr,
                          Py_ssize_t R, PM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const double gamma = P->gamma;
    for (Py_ssize_t i = 0; i < nr; i++)
        lmax[i] = -INFINITY;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT dhj = dh + j * R;
        double *BF_RESTRICT dlj = dl + j * R;
        double *BF_RESTRICT ehj = eh + j * R;
        double *BF_RESTRICT elj = el + j * R;
        const double la_h = has_alpha ? P->la_hi[j] : 0.0;
        const double la_l = has_alpha ? P->la_lo[j] : 0.0;
        for (Py_ssize_t i = 0; i < nr; i++) {
            int tied = dhj[i] == 0.0;
            dd_t q = dd_mul(dd_make(ehj[i], elj[i]), dd_make(fh[i], fl[i]));
            dd_t ell = dd_add(dd_make(dhj[i], dlj[i]), dd_make(-lmh[i], -lml[i]));
            dd_t omq = dd_add_d(dd_neg(q), 1.0);
            dd_t m = dd_log(omq);
            dd_t x = dd_mul_d(dd_div(dd_mul(dd_neg(ell), q), omq), gamma);
            dd_t d = dd_add_d(x, 1.0);
            dd_t l = dd_add(ell, dd_mul_d(m, -gamma));
            l = dd_sel(tied, dd_make(lth[i], ltl[i]), l);
            d = dd_sel(tied, dd_make(dth[i], dtl[i]), d);
            if (has_alpha)
                l = dd_add(l, dd_make(-la_h, -la_l));
            ehj[i] = l.hi;
            elj[i] = l.lo;
            dhj[i] = d.hi;
            dlj[i] = d.lo;
            lmax[i] = l.hi > lmax[i] ? l.hi : lmax[i];
        }
    }
}

/* E_j = exp(L_j - max L) / D_j (unscaled into eh, el; its exp's t into dh), their sum. */
BF_INLINE void pm_normalize(const spparams_t *P, Py_ssize_t nr, Py_ssize_t R, PM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const double floor = dd_exp_floor();
    for (Py_ssize_t i = 0; i < nr; i++) {
        sh[i] = 0.0;
        sl[i] = 0.0;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT dhj = dh + j * R;
        const double *BF_RESTRICT dlj = dl + j * R;
        double *BF_RESTRICT ehj = eh + j * R;
        double *BF_RESTRICT elj = el + j * R;
        for (Py_ssize_t i = 0; i < nr; i++) {
            dd_t u = dd_two_sum(ehj[i], -lmax[i]);
            u.lo += elj[i];
            double t;
            dd_t e = dd_div(dd_exp_scaled(u, floor, &t), dd_make(dhj[i], dlj[i]));
            ehj[i] = e.hi;
            elj[i] = e.lo;
            dhj[i] = t;
            dd_t sum = dd_add(dd_make(sh[i], sl[i]),
                              dd_make(dd_scale(e.hi, t), dd_scale(e.lo, t)));
            sh[i] = sum.hi;
            sl[i] = sum.lo;
        }
    }
}

/* eta_j = E_j / sum, scaled and stored: out[lo + i, j] */
BF_INLINE void pm_store(const int ot, const spparams_t *P, Py_ssize_t lo, Py_ssize_t nr,
                        Py_ssize_t R, PM_PARAMS)
{
    const Py_ssize_t k = P->k;
    void *BF_RESTRICT out = P->out;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT dhj = dh + j * R;
        double *BF_RESTRICT ehj = eh + j * R;
        const double *BF_RESTRICT elj = el + j * R;
        for (Py_ssize_t i = 0; i < nr; i++) {
            dd_t p = dd_div(dd_make(ehj[i], elj[i]), dd_make(sh[i], sl[i]));
            ehj[i] = dd_scale(p.hi + p.lo, dhj[i]);
        }
    }
    for (Py_ssize_t i = 0; i < nr; i++)
        for (Py_ssize_t j = 0; j < k; j++)
            store(out, ot, (lo + i) * k + j, eh[j * R + i]);
}

#endif /* BOOSTFOCAL_KERNELS_PROBA_H */
