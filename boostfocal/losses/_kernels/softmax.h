/*
 * The softmax focal kernel: the steps of one chunk of rows. Included once, by common.h,
 * which defines the types and helpers used here.
 */

#ifndef BOOSTFOCAL_KERNELS_SOFTMAX_H
#define BOOSTFOCAL_KERNELS_SOFTMAX_H

/* ------------------------------------------------------------------------------------
 * Softmax kernel
 *
 * With t the top (first largest) logit, e_j = exp(z_j - z_t - m) where m is the largest
 * of the others' z_j - z_t, s = sum_{j != t} exp(z_j - z_t) and
 * log s = m + log(sum_{j != t} e_j):
 *
 * - p_t = 1 / (1 + s), 1 - p_t = s / (1 + s), both from log s (exact where p_t rounds
 *   to 1, as _stable.log_softmax);
 * - p_j = e_j exp(m - log(1 + s)) and 1 - p_j by subtraction (p_j <= 1/2);
 * - p_j / (1 - p_y), the gradient's ratio, as e_j / sum e when y = t (so it stays finite
 *   and accurate when 1 - p_y underflows), else p_j / (1 - p_y).
 *
 * Rows are processed `rows` at a time; every inner loop runs over the rows of a chunk
 * for one class (a loop over K classes of one row would be too short to vectorize). The
 * logits are copied into a (K, rows) scratch buffer, and the results out of one, in the
 * arrays' own memory order (row-major from XGBoost, class-major from LightGBM), in loops
 * of their own.
 * ------------------------------------------------------------------------------------ */
typedef struct {
    Py_ssize_t n, k, rows;
    const void *y;
    const void *z;
    Py_ssize_t zs0, zs1; /* element strides */
    const void *w;
    void *grad, *hess;
    Py_ssize_t gs0, gs1, hs0, hs1;
    void *out;
    const double *alpha;  /* NULL: all 1 */
    const double *offset; /* K values, zeros when none */
    int yt, zt, wt, ot;
    int loss, n_bits, has_frac, policy;
    double frac, gamma, hess_scale;
} sparams_t;

enum { LAYOUT_ROW = 0, LAYOUT_COL = 1, LAYOUT_ANY = 2 };

/* zc[j, i] = z[lo + i, j] + offset[j] */
BF_INLINE void sm_load_z(const int zt, const int layout, const sparams_t *P, Py_ssize_t lo,
                         Py_ssize_t nr, double *BF_RESTRICT zc, Py_ssize_t R)
{
    const Py_ssize_t k = P->k, s0 = P->zs0, s1 = P->zs1;
    const double *BF_RESTRICT off = P->offset;
    const void *z = P->z;
    if (layout == LAYOUT_ROW) {
        for (Py_ssize_t i = 0; i < nr; i++)
            for (Py_ssize_t j = 0; j < k; j++)
                zc[j * R + i] = load(z, zt, (lo + i) * s0 + j) + off[j];
    } else if (layout == LAYOUT_COL) {
        for (Py_ssize_t j = 0; j < k; j++) {
            const double oj = off[j];
            const Py_ssize_t base = lo + j * s1;
            double *BF_RESTRICT zj = zc + j * R;
            for (Py_ssize_t i = 0; i < nr; i++)
                zj[i] = load(z, zt, base + i) + oj;
        }
    } else {
        for (Py_ssize_t j = 0; j < k; j++) {
            const double oj = off[j];
            double *BF_RESTRICT zj = zc + j * R;
            for (Py_ssize_t i = 0; i < nr; i++)
                zj[i] = load(z, zt, (lo + i) * s0 + j * s1) + oj;
        }
    }
}

/* grad[lo + i, j] = gc[j, i], hess[lo + i, j] = hc[j, i] */
BF_INLINE void sm_store(const int ot, const int layout, const sparams_t *P, Py_ssize_t lo,
                        Py_ssize_t nr, const double *BF_RESTRICT gc,
                        const double *BF_RESTRICT hc, Py_ssize_t R)
{
    const Py_ssize_t k = P->k;
    const Py_ssize_t gs0 = P->gs0, gs1 = P->gs1, hs0 = P->hs0, hs1 = P->hs1;
    void *BF_RESTRICT grad = P->grad;
    void *BF_RESTRICT hess = P->hess;
    if (layout == LAYOUT_ROW) {
        for (Py_ssize_t i = 0; i < nr; i++)
            for (Py_ssize_t j = 0; j < k; j++) {
                store(grad, ot, (lo + i) * gs0 + j, gc[j * R + i]);
                store(hess, ot, (lo + i) * hs0 + j, hc[j * R + i]);
            }
    } else if (layout == LAYOUT_COL) {
        for (Py_ssize_t j = 0; j < k; j++) {
            const Py_ssize_t gb = lo + j * gs1, hb = lo + j * hs1;
            for (Py_ssize_t i = 0; i < nr; i++) {
                store(grad, ot, gb + i, gc[j * R + i]);
                store(hess, ot, hb + i, hc[j * R + i]);
            }
        }
    } else {
        for (Py_ssize_t j = 0; j < k; j++)
            for (Py_ssize_t i = 0; i < nr; i++) {
                store(grad, ot, (lo + i) * gs0 + j * gs1, gc[j * R + i]);
                store(hess, ot, (lo + i) * hs0 + j * hs1, hc[j * R + i]);
            }
    }
}

/* labels, class weights, sample weights: cls[i] (as a double), a_row[i] */
BF_INLINE void sm_labels(const int yt, const int wt, const int has_alpha, const sparams_t *P,
                         Py_ssize_t lo, Py_ssize_t nr, double *BF_RESTRICT cls,
                         double *BF_RESTRICT a_row, counts_t *c)
{
    const double kd = (double)P->k;
    const double *BF_RESTRICT alpha = P->alpha;
    const void *y = P->y, *w = P->w;
    int64_t n_label = 0, n_weight = 0, n_positive = 0;
    for (Py_ssize_t i = 0; i < nr; i++) {
        double yf = load(y, yt, lo + i);
        int ok = (yf >= 0.0) & (yf < kd);
        int yi = (int)(ok ? yf : 0.0);
        n_label += (double)yi != yf;
        cls[i] = (double)yi;
        double a = has_alpha ? alpha[yi] : 1.0;
        if (wt != T_NONE) {
            double wi = load(w, wt, lo + i);
            n_weight += !((wi >= 0.0) & (wi < INFINITY));
            n_positive += wi > 0.0;
            a *= wi;
        }
        a_row[i] = a;
    }
    c->label += n_label;
    c->weight += n_weight;
    c->positive += n_positive;
}

/* The scratch arrays of one chunk: zc and ez are (K, R) (logits then gradients; e_j then
 * curvatures), the others hold one value per row. They are passed to the helpers as
 * parameters, restrict-qualified in the non-inlined softmax_chunk of isa.h:
 * GCC ignores restrict on local pointers, and without it the loops would need more
 * run-time overlap checks than it is willing to insert (and would not vectorize). */
#define SM_ROW_ARRAYS(X)                                                                  \
    X(top) X(cls) X(zt) X(m) X(acc) X(cr) X(p_top) X(q_top) X(l1m_top) X(lp_top) X(a_row) \
    X(zy) X(ey) X(p_y) X(q_y) X(rs) X(inv_qy) X(focal) X(first) X(second)
#define SM_PARAM(x) , double *BF_RESTRICT x
#define SM_ARG(x) , x
#define SM_PARAMS double *BF_RESTRICT zc, double *BF_RESTRICT ez SM_ROW_ARRAYS(SM_PARAM)
#define SM_ARGS zc, ez SM_ROW_ARRAYS(SM_ARG)
#define SCRATCH_ROWS_ARRAYS 20

/* The per-row focal terms; with `loss`, only the loss (written to out). */
BF_INLINE void sm_rows(const int loss, const int has_frac, const int ot, const sparams_t *P,
                       Py_ssize_t lo, Py_ssize_t nr, SM_PARAMS)
{
    const int n_bits = P->n_bits;
    const double frac = P->frac, gamma = P->gamma;
    const double efloor = exp_floor();
    void *BF_RESTRICT out = P->out;
    for (Py_ssize_t i = 0; i < nr; i++) {
        int at_top = cls[i] == top[i];
        double py = ey[i] * cr[i];
        double lpy = at_top ? lp_top[i] : (zy[i] - zt[i]) + lp_top[i];
        double f, nll, am;
        py = at_top ? p_top[i] : py;
        am = at_top ? q_top[i] : 1.0 - py; /* 1 - p_y */
        nll = -lpy;
        f = int_power(am, n_bits);
        if (has_frac) {
            double l1my = at_top ? l1m_top[i] : log1p_small(-py);
            f *= exp_neg(frac * l1my, efloor);
        }
        if (loss) {
            store(out, ot, lo + i, a_row[i] * f * nll);
        } else {
            double inv = 1.0 / am;
            rs[i] = at_top ? 1.0 / acc[i] : cr[i] * inv;
            inv_qy[i] = inv;
            p_y[i] = py;
            q_y[i] = am;
            focal[i] = f;
            first[i] = am + gamma * py * nll;
            second[i] = gamma * py * (2.0 * am - am * nll + (gamma - 1.0) * py * nll);
        }
    }
}

/* The logits z (k columns of stride R, nr rows) made finite in place (a non-finite one
 * becomes 0; the count of them is returned), the top logit of each row (the first one on
 * ties) into zmax and its class, as a double, into top. Shared by the gradient kernel
 * (sm_chunk_core) and the posterior (proba.h's pm_logits). */
BF_INLINE int64_t finite_top_logit(double *BF_RESTRICT z, Py_ssize_t R, Py_ssize_t nr,
                                   Py_ssize_t k, double *BF_RESTRICT zmax,
                                   double *BF_RESTRICT top)
{
    int64_t n_margin = 0;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT zj = z + j * R;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = zj[i];
            int finite = fabs(v) <= DBL_MAX;
            n_margin += !finite;
            zj[i] = finite ? v : 0.0;
        }
    }
    for (Py_ssize_t i = 0; i < nr; i++) {
        zmax[i] = z[i];
        top[i] = 0.0;
    }
    for (Py_ssize_t j = 1; j < k; j++) {
        const double *BF_RESTRICT zj = z + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = zj[i];
            int bigger = v > zmax[i];
            zmax[i] = bigger ? v : zmax[i];
            top[i] = bigger ? jd : top[i];
        }
    }
    return n_margin;
}

BF_INLINE void sm_chunk_core(const sparams_t *P, Py_ssize_t nr, Py_ssize_t R, counts_t *c,
                             SM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const double efloor = exp_floor();
    c->margin += finite_top_logit(zc, R, nr, k, zt, top);
    /* m, e_j and their sum over j != t */
    for (Py_ssize_t i = 0; i < nr; i++) {
        m[i] = -INFINITY;
        acc[i] = 0.0;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        const double *BF_RESTRICT zj = zc + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = zj[i] - zt[i];
            int take = (v > m[i]) & (jd != top[i]);
            m[i] = take ? v : m[i];
        }
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        const double *BF_RESTRICT zj = zc + j * R;
        double *BF_RESTRICT ej = ez + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = (zj[i] - zt[i]) - m[i];
            double e = exp_neg(v < 0.0 ? v : 0.0, efloor);
            ej[i] = e;
            acc[i] += jd == top[i] ? 0.0 : e;
        }
    }
    for (Py_ssize_t i = 0; i < nr; i++) {
        double log_s = m[i] + log_ge1(acc[i]);
        /* log(1 + s), p_t = 1 / (1 + s) and 1 - p_t = s / (1 + s) from one exp(-|log s|) */
        double es = exp_neg(-fabs(log_s), efloor);
        double log1p_s = dmax(log_s, 0.0) + log1p_small(es);
        double inv = 1.0 / (1.0 + es);
        int small = log_s <= 0.0;
        p_top[i] = small ? inv : es * inv;
        q_top[i] = small ? es * inv : inv;
        cr[i] = exp_neg(m[i] - log1p_s, efloor);
        lp_top[i] = -log1p_s;
        l1m_top[i] = log_s - log1p_s;
    }
}

/* the label's logit and e_j, as sums with one nonzero term */
BF_INLINE void sm_label_terms(const sparams_t *P, Py_ssize_t nr, Py_ssize_t R, SM_PARAMS)
{
    const Py_ssize_t k = P->k;
    for (Py_ssize_t i = 0; i < nr; i++) {
        zy[i] = 0.0;
        ey[i] = 0.0;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        const double *BF_RESTRICT zj = zc + j * R;
        const double *BF_RESTRICT ej = ez + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            int hit = cls[i] == jd;
            zy[i] += hit ? zj[i] : 0.0;
            ey[i] += hit ? ej[i] : 0.0;
        }
    }
}

/* gradients into zc (the logits are no longer needed), curvatures into ez */
BF_INLINE void sm_grad(const sparams_t *P, Py_ssize_t nr, Py_ssize_t R, SM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const policy_t policy = policy_terms(P->policy);
    const double hs = P->hess_scale;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT gj = zc + j * R;
        double *BF_RESTRICT ej = ez + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            int hit = cls[i] == jd;
            int is_top = top[i] == jd;
            double e = ej[i];
            double pj = is_top ? p_top[i] : e * cr[i];
            double qj = is_top ? q_top[i] : 1.0 - pj;
            double ratio = is_top ? p_top[i] * inv_qy[i] : e * rs[i];
            double d = hit ? 1.0 : -ratio;
            double cc = hit ? p_y[i] : ratio * qj;
            double f = focal[i];
            double h = f * (second[i] * d * d + first[i] * cc);
            double mj = f * (pj * qj);
            double a = a_row[i];
            h = policy_curvature(h, mj, policy);
            gj[i] = -a * f * first[i] * d;
            ej[i] = (a * hs) * h;
        }
    }
}

#endif /* BOOSTFOCAL_KERNELS_SOFTMAX_H */
