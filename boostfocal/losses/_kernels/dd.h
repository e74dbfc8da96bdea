/*
 * Double-double arithmetic for the probability kernels (proba.h): a value is the
 * unevaluated sum hi + lo of two doubles (about 106 bits). Included once, by common.h,
 * after elementary.h.
 *
 * Why: the posterior map of the focal losses amplifies the rounding errors of its
 * intermediate values by up to gamma + 1 (the class posterior is that much more sensitive
 * to log(1 - q) and log s than the confidence q is), so a float64 evaluation loses several
 * ulps (tens, before, in the tails). Carried in double-double, every intermediate is
 * accurate to about 1e-17 relative, and the probabilities come out within an ulp of their
 * exact values. The numpy fallback (_npdd.py) implements the same operations (with
 * Dekker's product in place of fma).
 *
 * All inline, branch-free and vectorizable (selects only), with fused multiply-adds only
 * where written, so every instruction set gives the same bits.
 */

#ifndef BOOSTFOCAL_KERNELS_DD_H
#define BOOSTFOCAL_KERNELS_DD_H

typedef struct {
    double hi, lo;
} dd_t;

/* The clamp of dd_exp_scaled: below it, 2^k underflows to 0 even after a factor of up to
 * 2^300 (as DD_EXP_FLOOR in _npdd.py). Read through a volatile access, as exp_floor(). */
static const double DD_EXP_FLOOR = -1000.0;

BF_UNUSED static double dd_exp_floor(void)
{
    return *(const volatile double *)&DD_EXP_FLOOR;
}

BF_INLINE dd_t dd_make(double hi, double lo)
{
    dd_t r;
    r.hi = hi;
    r.lo = lo;
    return r;
}

/* a + b = s + e exactly (Knuth), any finite a and b */
BF_INLINE dd_t dd_two_sum(double a, double b)
{
    double s = a + b;
    double bb = s - a;
    return dd_make(s, (a - (s - bb)) + (b - bb));
}

/* a + b = s + e exactly, for |a| >= |b| (or a == 0) */
BF_INLINE dd_t dd_fast_two_sum(double a, double b)
{
    double s = a + b;
    return dd_make(s, b - (s - a));
}

BF_INLINE dd_t dd_neg(dd_t a)
{
    return dd_make(-a.hi, -a.lo);
}

BF_INLINE dd_t dd_add(dd_t a, dd_t b)
{
    dd_t s = dd_two_sum(a.hi, b.hi);
    return dd_fast_two_sum(s.hi, s.lo + (a.lo + b.lo));
}

BF_INLINE dd_t dd_add_d(dd_t a, double b)
{
    dd_t s = dd_two_sum(a.hi, b);
    return dd_fast_two_sum(s.hi, s.lo + a.lo);
}

BF_INLINE dd_t dd_mul(dd_t a, dd_t b)
{
    double p = a.hi * b.hi;
    double e = fma(a.hi, b.hi, -p);
    return dd_fast_two_sum(p, e + (a.hi * b.lo + a.lo * b.hi));
}

BF_INLINE dd_t dd_mul_d(dd_t a, double b)
{
    double p = a.hi * b;
    double e = fma(a.hi, b, -p);
    return dd_fast_two_sum(p, e + a.lo * b);
}

/* a / b, b.hi != 0 */
BF_INLINE dd_t dd_div(dd_t a, dd_t b)
{
    double q = a.hi / b.hi;
    double r = (fma(-q, b.hi, a.hi) + a.lo) - q * b.lo;
    return dd_fast_two_sum(q, r / b.hi);
}

/* The select c ? a : b of two double-doubles. */
BF_INLINE dd_t dd_sel(int c, dd_t a, dd_t b)
{
    return dd_make(c ? a.hi : b.hi, c ? a.lo : b.lo);
}

/* exp(x.hi + x.lo) = (hi + lo) 2^k with hi in [0.7, 1.5], for x.hi <= 709: the power of
 * two is kept apart (in *t, as exp_neg's shifted value x log2(e) + 1.5 2^52) so that a
 * caller can finish in the normal range and round a subnormal result once (dd_scale).
 * x.hi is clamped below at `floor` (dd_exp_floor() = -1000), where 2^k underflows.
 * The reduction r = x - k ln 2 is exact to 2^-106 (ln 2 in two parts, x.lo folded in);
 * exp(r) = 1 + r + r^2 q(r), with 1 + r and r^2 exact and q exp_neg's polynomial, is
 * accurate to about 2e-17 relative. */
BF_INLINE dd_t dd_exp_scaled(dd_t x, double floor, double *t_out)
{
    double xh = dmax_early(x.hi, floor);
    double t = xh * LOG2E + SHIFTER;
    double kf = t - SHIFTER;
    dd_t r = dd_two_sum(xh - kf * LN2_HI, x.lo - kf * LN2_LO); /* the first one is exact */
    double rh = r.hi;
    double r2 = rh * rh;
    double r4 = r2 * r2;
    double q = exp_q(rh, r2, r4);
    double hi = 1.0 + rh;
    double lo = (1.0 - hi) + rh;                      /* 1 + rh = hi + lo exactly */
    double r2l = fma(rh, rh, -r2);                    /* rh^2 = r2 + r2l exactly */
    dd_t p = dd_fast_two_sum(hi, lo + fma(r2, q, r2l * q));
    *t_out = t;
    return dd_make(p.hi, fma(p.hi, r.lo, p.lo));      /* exp(r.lo) = 1 + r.lo to 2e-33 */
}

/* x 2^k for the k of dd_exp_scaled's t (k >= -1443: the clamp at -1000): as exp_neg,
 * two exact factors, so that a subnormal result is rounded once. */
BF_INLINE double dd_scale(double x, double t)
{
    uint64_t u = bits_from_f64(t) - (SHIFTER_BITS - 2048); /* k + 2048, in [605, 3071] */
    uint64_t h = u >> 1;
    double s1 = f64_from_bits((h - 1) << 52);
    double s2 = f64_from_bits((u - h - 1) << 52);
    return x * s1 * s2;
}

/* exp(x.hi + x.lo) as a double-double, for x.hi <= 709 (0 below the clamp; results in the
 * subnormal range lose their low part). */
BF_INLINE dd_t dd_exp(dd_t x, double floor)
{
    double t;
    dd_t p = dd_exp_scaled(x, floor, &t);
    return dd_make(dd_scale(p.hi, t), dd_scale(p.lo, t));
}

/* log(x.hi + x.lo) for positive normal x.hi (|x.lo| <= ulp(x.hi)): log_ge1's reduction
 * (x = 2^k m, m in [sqrt(1/2), sqrt(2)), exact for x below 1 too), log1p(m - 1) as
 * 2 atanh with its leading term s2 and s2's rounding error carried; accurate to about
 * 1e-18 relative. */
BF_INLINE dd_t dd_log(dd_t x)
{
    uint64_t b = bits_from_f64(x.hi);
    double ef = f64_from_bits(TWO52_BITS | (b >> 52)) - TWO52;
    double m = f64_from_bits((b & 0xFFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
    int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    double kf = (ef - 1023.0) + (big ? 1.0 : 0.0);
    double f = m - 1.0; /* exact */
    double h = 0.5 * f;
    double d = 1.0 + h;
    double dl = h - (d - 1.0);
    double s2 = f / d;
    double s2l = (fma(-s2, d, f) - s2 * dl) / d;
    double t = 0.25 * (s2 * s2);
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
    dd_t l = dd_fast_two_sum(s2, fma(s2 * t, p, s2l));
    dd_t r = dd_two_sum(kf * LN2_HI, l.hi);
    return dd_fast_two_sum(r.hi, r.lo + (l.lo + kf * LN2_LO) + x.lo / x.hi);
}

/* log(1 + x) for x > -1/2 */
BF_INLINE dd_t dd_log1p(dd_t x)
{
    dd_t s = dd_two_sum(1.0, x.hi);
    return dd_log(dd_fast_two_sum(s.hi, s.lo + x.lo));
}

#endif /* BOOSTFOCAL_KERNELS_DD_H */
