/*
 * The binary focal kernel: the loop over the rows and its dtype cases. Included once,
 * by common.h, which defines the types and helpers used here.
 */

#ifndef BOOSTFOCAL_KERNELS_BINARY_H
#define BOOSTFOCAL_KERNELS_BINARY_H

/* ------------------------------------------------------------------------------------
 * Binary kernel
 * ------------------------------------------------------------------------------------ */
typedef struct {
    double alpha_pos, alpha_neg, gamma, frac, hess_scale, offset;
    int n_bits, policy;
} bparams_t;

/* One straight loop; yt, zt, wt, ot, loss and has_frac are constants at every call. */
BF_INLINE void binary_loop(const int yt, const int zt, const int wt, const int ot,
                           const int loss, const int has_frac, Py_ssize_t n,
                           const void *BF_RESTRICT y, const void *BF_RESTRICT z,
                           const void *BF_RESTRICT w, void *BF_RESTRICT o1,
                           void *BF_RESTRICT o2, const bparams_t *P, counts_t *c)
{
    const double alpha_pos = P->alpha_pos, alpha_neg = P->alpha_neg, gamma = P->gamma;
    const double frac = P->frac, hs = P->hess_scale, offset = P->offset;
    const int n_bits = P->n_bits;
    const policy_t policy = policy_terms(P->policy);
    const double g21 = 2.0 * gamma + 1.0;
    const double efloor = exp_floor();
    int64_t n_label = 0, n_margin = 0, n_weight = 0, n_positive = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double yi = load(y, yt, i);
        int pos = yi == 1.0;
        double s = pos ? 1.0 : -1.0;
        double a = pos ? alpha_pos : alpha_neg;
        n_label += (yi != 0.0) & !pos;
        double zi = load(z, zt, i) + offset;
        int finite = fabs(zi) <= DBL_MAX;
        n_margin += !finite;
        zi = finite ? zi : 0.0;
        if (wt != T_NONE) {
            double wi = load(w, wt, i);
            n_weight += !((wi >= 0.0) & (wi < INFINITY));
            n_positive += wi > 0.0;
            a *= wi;
        }
        double u = s * zi;
        double e = exp_neg(-fabs(u), efloor);
        double l1 = log1p_small(e);
        double r = 1.0 / (1.0 + e);
        double er = e * r;
        int up = u >= 0.0;
        double pt = up ? r : er;
        double qt = up ? er : r;
        double nll = up ? l1 : l1 - u;
        double focal = int_power(qt, n_bits);
        if (has_frac) {
            double log_qt = up ? -u - l1 : -l1;
            focal *= exp_neg(frac * log_qt, efloor);
        }
        if (loss) {
            store(o1, ot, i, a * focal * nll);
        } else {
            double g = -s * focal * (qt + gamma * pt * nll);
            double h = pt * focal * (g21 * qt + gamma * nll * (gamma * pt - qt));
            double m = focal * pt * qt;
            h = policy_curvature(h, m, policy);
            store(o1, ot, i, a * g);
            store(o2, ot, i, (a * hs) * h);
        }
    }
    c->label = n_label;
    c->margin = n_margin;
    c->weight = n_weight;
    c->positive = n_positive;
}

#define BKEY(yt, zt, wt, ot) ((((yt) * 3 + (zt)) * 3 + (wt)) * 3 + (ot))

#define BIN_CASE(YT, ZT, WT, OT)                                                       \
    case BKEY(YT, ZT, WT, OT):                                                         \
        if (loss) {                                                                    \
            if (has_frac)                                                              \
                binary_loop(YT, ZT, WT, OT, 1, 1, n, y, z, w, o1, o2, P, c);           \
            else                                                                       \
                binary_loop(YT, ZT, WT, OT, 1, 0, n, y, z, w, o1, o2, P, c);           \
        } else {                                                                       \
            if (has_frac)                                                              \
                binary_loop(YT, ZT, WT, OT, 0, 1, n, y, z, w, o1, o2, P, c);           \
            else                                                                       \
                binary_loop(YT, ZT, WT, OT, 0, 0, n, y, z, w, o1, o2, P, c);           \
        }                                                                              \
        break;

#define BIN_CASES_O(YT, ZT, WT) BIN_CASE(YT, ZT, WT, T_F32) BIN_CASE(YT, ZT, WT, T_F64)
#define BIN_CASES_W(YT, ZT) \
    BIN_CASES_O(YT, ZT, T_NONE) BIN_CASES_O(YT, ZT, T_F32) BIN_CASES_O(YT, ZT, T_F64)
#define BIN_CASES_Z(YT) BIN_CASES_W(YT, T_F32) BIN_CASES_W(YT, T_F64)

#endif /* BOOSTFOCAL_KERNELS_BINARY_H */
