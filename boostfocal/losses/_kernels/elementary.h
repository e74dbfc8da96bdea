/*
 * The kernels' elementary functions (exp, log1p, log): branch-free and vectorizable.
 * Included once, by common.h, which defines the types and helpers used here.
 */

#ifndef BOOSTFOCAL_KERNELS_ELEMENTARY_H
#define BOOSTFOCAL_KERNELS_ELEMENTARY_H

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

/* q(r) of exp(r) = 1 + r + r^2 q(r), |r| <= ln(2)/2, given r^2 and r^4: the degree-10
 * polynomial of polynomials.py, evaluated in Estrin's scheme (exp_neg, dd_exp_scaled). */
BF_INLINE double exp_q(double r, double r2, double r4)
{
    double q01 = fma(0.1666666666666667, r, 0.5);
    double q23 = fma(0.008333333333326141, r, 0.04166666666666667);
    double q45 = fma(0.00019841269874800493, r, 0.0013888888888883752);
    double q67 = fma(2.7557255425746435e-06, r, 2.4801587325533363e-05);
    double q89 = fma(2.510520637395701e-08, r, 2.7557273661348637e-07);
    double q03 = fma(q23, r2, q01);
    double q47 = fma(q67, r2, q45);
    double q810 = fma(2.0914679376583935e-09, r2, q89);
    return fma(fma(q810, r4, q47), r4, q03);
}

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
    double q = exp_q(r, r2, r4);
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

#endif /* BOOSTFOCAL_KERNELS_ELEMENTARY_H */
