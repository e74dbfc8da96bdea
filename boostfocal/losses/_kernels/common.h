/*
 * What every translation unit of the compiled kernels shares: the types, the parameter
 * blocks and the always-inline workers (elementary functions, the binary loop, the
 * softmax chunk steps). isa.h turns them into the block functions of one instruction
 * set; isa_baseline.c, isa_avx2.c and isa_avx512.c each include it once (separate
 * translation units, so that a parallel build compiles them at the same time), and
 * _ckernels.c holds the Python bindings and the dispatch. Together they are the
 * extension module boostfocal.losses._kernels._ckernels (the Python driver is
 * _kernels/__init__.py).
 *
 * One pass over the data, no temporaries: each element's log-sigmoids, focal factor,
 * gradient and curvature live in registers, and the input checks (labels, finiteness,
 * weights) are folded into the same pass. The arithmetic is the one documented in
 * focal.py and softmax_focal.py; the tests hold these kernels to a plain numpy oracle
 * (tests/reference.py) to 1e-12 relative in float64, and the elementary functions below
 * to 1 ulp of 40-digit mpmath values.
 *
 * Every inner loop is written so that the compiler vectorizes it: no calls (exp and log
 * are the branch-free polynomial versions below), no branches (selects), no "or" of flags
 * (counts instead, which vectorize as integer sums), and loops that start at 0. The
 * variants (the dtypes of y, z, w and the outputs; loss or gradient; integer or general
 * gamma) are always-inline workers called with constant arguments, so that each one is a
 * straight loop of its own. Check with -fopt-info-vec-missed after a change: a loop that
 * stops vectorizing costs 3 to 5 times its speed.
 *
 * Exactness: compiled without -ffast-math; fused multiply-adds only where written (fma()),
 * so every code path (scalar or any vector width) gives the same bits. On x86-64 with GCC
 * or clang, the block functions are also compiled for AVX2+FMA and for AVX-512, and the
 * best one the CPU runs is picked at import (_ckernels.c); elsewhere the code is plain C.
 */

#ifndef BOOSTFOCAL_KERNELS_COMMON_H
#define BOOSTFOCAL_KERNELS_COMMON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_MSC_VER)
#define BF_INLINE static __forceinline
#define BF_NOINLINE __declspec(noinline)
#define BF_RESTRICT __restrict
#define BF_UNUSED
#elif defined(__GNUC__)
#define BF_INLINE static inline __attribute__((always_inline))
#define BF_NOINLINE __attribute__((noinline))
#define BF_RESTRICT __restrict__
#define BF_UNUSED __attribute__((unused))
#else
#define BF_INLINE static inline
#define BF_NOINLINE
#define BF_RESTRICT
#define BF_UNUSED
#endif

/* Per-ISA builds of the block functions (isa.h, included once per instruction
 * set): on x86-64 with GCC or clang, AVX2+FMA and AVX-512 versions beside the baseline
 * one, picked at import from the CPU's features (__builtin_cpu_supports; not
 * target_clones("arch=..."), which dispatches on the CPU model and so never picks the
 * AVX2 clone on AMD). Elsewhere (aarch64, MSVC, ...): the baseline build only. */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) \
    && !defined(BOOSTFOCAL_NO_ISA_DISPATCH)
#define BF_ISA_DISPATCH 1
#else
#define BF_ISA_DISPATCH 0
#endif

/* Mirrors boostfocal/losses/_curvature.py (tests/test_kernels.py checks they agree). */
#define MIN_CURVATURE 1e-16
#define FLOOR_EPSILON 1e-6

/* Flags returned by the kernels (mirrored in _kernels/__init__.py). */
#define BAD_LABEL 1
#define BAD_MARGIN 2
#define BAD_WEIGHT 4
#define SAW_POSITIVE_WEIGHT 8

/* Element types of the arrays. */
#define T_NONE 0
#define T_F32 1
#define T_F64 2

/* ------------------------------------------------------------------------------------
 * Elementary functions: branch-free, fma-based, vectorizable. The polynomial
 * coefficients are made by _kernels/polynomials.py (Chebyshev interpolation in 60-digit
 * mpmath, rounded to float64); tests/test_kernel_polynomials.py checks they match.
 * ------------------------------------------------------------------------------------ */
BF_INLINE double f64_from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

BF_INLINE uint64_t bits_from_f64(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* max(a, b) as x86's maxpd computes it (a select that compilers map to one instruction) */
BF_INLINE double dmax_early(double a, double b)
{
    return a > b ? a : b;
}

/* -746, read once per kernel call through a volatile access: as a compile-time constant,
 * GCC specializes the code for clamped inputs and blends the two versions, which costs
 * about 15% of the binary kernel's time. */
static const double EXP_FLOOR = -746.0;

BF_UNUSED static double exp_floor(void)
{
    return *(const volatile double *)&EXP_FLOOR;
}

#define LOG2E 1.4426950408889634
#define LN2_HI 6.93147180369123816490e-01 /* ln 2 split so that k * LN2_HI is exact */
#define LN2_LO 1.90821492927058770002e-10
#define SHIFTER 6755399441055744.0       /* 1.5 * 2^52: x + SHIFTER rounds x to an integer */
#define SHIFTER_BITS 0x4338000000000000ULL
#define TWO52 4503599627370496.0         /* 2^52 */
#define TWO52_BITS 0x4330000000000000ULL

/* exp(x) for x <= 0: subnormal results included, 0 below -745.2.
 *
 * x = k ln 2 + r with |r| <= ln(2) / 2 (k the nearest integer to x log2(e), by the
 * 1.5 * 2^52 trick, which needs no floor instruction and gives k's bits directly);
 * exp(r) = 1 + r + r^2 q(r) with q of degree 10 (Chebyshev interpolation, below 3e-19
 * relative), 1 + r carried exactly; 2^k as two exact factors so that subnormal results
 * are rounded once. x is clamped below at `floor`, which is exp_floor() = -746 (so that
 * a finite input never gives NaN); it is correct up to 709, and every caller passes
 * x <= 0. */
BF_INLINE double exp_neg(double x, double floor)
{
    x = dmax_early(x, floor);
    double t = x * LOG2E + SHIFTER;
    double kf = t - SHIFTER;
    uint64_t u = bits_from_f64(t) - (SHIFTER_BITS - 2048); /* k + 2048, in [971, 3071] */
    double r = (x - kf * LN2_HI) - kf * LN2_LO;
    double r2 = r * r;
    double r4 = r2 * r2;
    double q01 = fma(0.1666666666666667, r, 0.5);
    double q23 = fma(0.008333333333326141, r, 0.04166666666666667);
    double q45 = fma(0.00019841269874800493, r, 0.0013888888888883752);
    double q67 = fma(2.7557255425746435e-06, r, 2.4801587325533363e-05);
    double q89 = fma(2.510520637395701e-08, r, 2.7557273661348637e-07);
    double q03 = fma(q23, r2, q01);
    double q47 = fma(q67, r2, q45);
    double q810 = fma(2.0914679376583935e-09, r2, q89);
    double q = fma(fma(q810, r4, q47), r4, q03);
    double hi = 1.0 + r;
    double lo = (1.0 - hi) + r;
    double p = hi + fma(r2, q, lo);
    /* k1 = floor(k / 2): 2^k = 2^k1 2^(k - k1), exponents biased by 1023 */
    uint64_t h = u >> 1;                        /* k1 + 1024 */
    double s1 = f64_from_bits((h - 1) << 52);     /* 2^k1 */
    double s2 = f64_from_bits((u - h - 1) << 52); /* 2^(k - k1) */
    return p * s1 * s2;
}

/* log1p(e) for -1/2 <= e <= 1, as 2 atanh(s) with s = e / (2 + e); exact for subnormal e. */
BF_INLINE double log1p_small(double e)
{
    double h = 0.5 * e;
    double d = 1.0 + h;
    double dl = h - (d - 1.0);
    double s2 = e / d;                           /* 2 s, rounded */
    double s2l = (fma(-s2, d, e) - s2 * dl) / d; /* its rounding error, to first order */
    double t = 0.25 * (s2 * s2);                 /* s^2 */
    double t2 = t * t;
    double t4 = t2 * t2;
    double p01 = fma(0.20000000000007292, t, 0.3333333333333333);
    double p23 = fma(0.11111111358713932, t, 0.1428571428355438);
    double p45 = fma(0.07692785032479312, t, 0.09090894718066429);
    double p67 = fma(0.06000536404795356, t, 0.06657072104827468);
    double p89 = fma(0.08082022805971766, t, 0.04400369243072337);
    double p03 = fma(p23, t2, p01);
    double p47 = fma(p67, t2, p45);
    double p = fma(fma(p89, t4, p47), t4, p03);
    return s2 + fma(s2 * t, p, s2l);
}

/* log(x) for finite x >= 1: x = 2^k m, m in [sqrt(1/2), sqrt(2)). */
BF_INLINE double log_ge1(double x)
{
    uint64_t b = bits_from_f64(x);
    /* the biased exponent as a double, exactly, without an int64 -> double conversion */
    double ef = f64_from_bits(TWO52_BITS | (b >> 52)) - TWO52;
    double m = f64_from_bits((b & 0xFFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    double kf = (ef - 1023.0) + (big ? 1.0 : 0.0);
    return kf * LN2_HI + (log1p_small(m - 1.0) + kf * LN2_LO);
}

/* q^n for 0 <= n <= 15, by binary powering over the four bits of n: selects, no loop. */
BF_INLINE double int_power(double q, int n)
{
    double f = (n & 1) ? q : 1.0;
    double b = q * q;
    f = (n & 2) ? f * b : f;
    b = b * b;
    f = (n & 4) ? f * b : f;
    b = b * b;
    return (n & 8) ? f * b : f;
}

BF_INLINE double dmax(double a, double b)
{
    return a > b ? a : b;
}

BF_INLINE double load(const void *p, int t, Py_ssize_t i)
{
    return t == T_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

BF_INLINE void store(void *p, int t, Py_ssize_t i, double v)
{
    if (t == T_F32)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

/* The curvature policies as two loop-invariant numbers (a select on a loop-invariant
 * condition does not vectorize): max(max(h, m + m_add), h_min) is h for "exact"
 * (m_add = h_min = -inf), max(h, FLOOR_EPSILON) for "floor" (m_add = -inf) and
 * max(max(h, m), MIN_CURVATURE) for "majorizer" (m_add = 0; m >= 0, so m + 0 = m). */
typedef struct {
    double m_add, h_min;
} policy_t;

BF_UNUSED static policy_t policy_terms(int policy)
{
    policy_t p;
    p.m_add = policy == 1 ? 0.0 : -INFINITY;
    p.h_min = policy == 1 ? MIN_CURVATURE : (policy == 2 ? FLOOR_EPSILON : -INFINITY);
    return p;
}

BF_INLINE double policy_curvature(double h, double m, policy_t p)
{
    return dmax(dmax(h, m + p.m_add), p.h_min);
}

typedef struct {
    int64_t label, margin, weight, positive;
} counts_t;

BF_UNUSED static int counts_to_flags(const counts_t *c)
{
    return (c->label ? BAD_LABEL : 0) | (c->margin ? BAD_MARGIN : 0)
           | (c->weight ? BAD_WEIGHT : 0) | (c->positive ? SAW_POSITIVE_WEIGHT : 0);
}

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

BF_INLINE void sm_chunk_core(const sparams_t *P, Py_ssize_t nr, Py_ssize_t R, counts_t *c,
                             SM_PARAMS)
{
    const Py_ssize_t k = P->k;
    const double efloor = exp_floor();
    int64_t n_margin = 0;
    for (Py_ssize_t j = 0; j < k; j++) {
        double *BF_RESTRICT zj = zc + j * R;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = zj[i];
            int finite = fabs(v) <= DBL_MAX;
            n_margin += !finite;
            zj[i] = finite ? v : 0.0;
        }
    }
    c->margin += n_margin;
    /* the top logit (the first one on ties) */
    for (Py_ssize_t i = 0; i < nr; i++) {
        zt[i] = zc[i];
        top[i] = 0.0;
    }
    for (Py_ssize_t j = 1; j < k; j++) {
        const double *BF_RESTRICT zj = zc + j * R;
        const double jd = (double)j;
        for (Py_ssize_t i = 0; i < nr; i++) {
            double v = zj[i];
            int bigger = v > zt[i];
            zt[i] = bigger ? v : zt[i];
            top[i] = bigger ? jd : top[i];
        }
    }
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

/* ------------------------------------------------------------------------------------
 * The block functions of each instruction set (defined in isa_<isa>.c)
 * ------------------------------------------------------------------------------------ */
typedef void (*binary_fn)(int, int, int, Py_ssize_t, const void *, const void *,
                          const void *, void *, void *, const bparams_t *, counts_t *);
typedef void (*softmax_fn)(const sparams_t *, double *, counts_t *);
typedef void (*elementary_fn)(int, Py_ssize_t, const double *, double *);

#define BF_DECLARE_ISA(sfx)                                                              \
    void binary_block_##sfx(int key, int loss, int has_frac, Py_ssize_t n, const void *y, \
                            const void *z, const void *w, void *o1, void *o2,            \
                            const bparams_t *P, counts_t *c);                            \
    void softmax_block_##sfx(const sparams_t *P, double *buf, counts_t *c);              \
    void elementary_apply_##sfx(int which, Py_ssize_t n, const double *x, double *out);

BF_DECLARE_ISA(baseline)
#if BF_ISA_DISPATCH
BF_DECLARE_ISA(avx2)
BF_DECLARE_ISA(avx512)
#endif

#endif /* BOOSTFOCAL_KERNELS_COMMON_H */
