/*
 * What every translation unit of the compiled kernels shares: the types, the parameter
 * blocks and the always-inline workers (elementary functions in elementary.h, the binary
 * loop in binary.h, the softmax chunk steps in softmax.h, double-double arithmetic in dd.h
 * and the probability kernels in proba.h). isa.h turns them into the block functions of
 * one instruction set; isa_baseline.c, isa_avx2.c and isa_avx512.c each include it once
 * (separate translation units, so that a parallel build compiles them at the same time), and
 * _ckernels.c holds the Python bindings and the dispatch. Together they are the
 * extension module boostfocal.losses._kernels._ckernels (the Python driver is
 * _kernels/__init__.py).
 *
 * One pass over the data, no temporaries: each element's log-sigmoids, focal factor,
 * gradient and curvature live in registers, and the input checks (labels, finiteness,
 * weights) are folded into the same pass. The arithmetic is the one documented in
 * focal.py and softmax_focal.py; the tests hold these kernels to a plain numpy oracle
 * (tests/reference.py) to 1e-12 relative in float64, and the elementary functions
 * (elementary.h) to 1 ulp of 40-digit mpmath values.
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

#include "elementary.h"

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

#include "binary.h"
#include "softmax.h"
#include "dd.h"
#include "proba.h"

/* ------------------------------------------------------------------------------------
 * The block functions of each instruction set (defined in isa_<isa>.c)
 * ------------------------------------------------------------------------------------ */
typedef void (*binary_fn)(int, int, int, Py_ssize_t, const void *, const void *,
                          const void *, void *, void *, const bparams_t *, counts_t *);
typedef void (*softmax_fn)(const sparams_t *, double *, counts_t *);
typedef void (*elementary_fn)(int, Py_ssize_t, const double *, double *);
typedef void (*binary_proba_fn)(int, int, Py_ssize_t, const void *, void *, const bpparams_t *,
                                counts_t *);
typedef void (*softmax_proba_fn)(const spparams_t *, double *, counts_t *);

#define BF_DECLARE_ISA(sfx)                                                              \
    void binary_block_##sfx(int key, int loss, int has_frac, Py_ssize_t n, const void *y, \
                            const void *z, const void *w, void *o1, void *o2,            \
                            const bparams_t *P, counts_t *c);                            \
    void softmax_block_##sfx(const sparams_t *P, double *buf, counts_t *c);              \
    void elementary_apply_##sfx(int which, Py_ssize_t n, const double *x, double *out);   \
    void binary_proba_block_##sfx(int zt, int ot, Py_ssize_t n, const void *z, void *out, \
                                  const bpparams_t *P, counts_t *c);                      \
    void softmax_proba_block_##sfx(const spparams_t *P, double *buf, counts_t *c);

BF_DECLARE_ISA(baseline)
#if BF_ISA_DISPATCH
BF_DECLARE_ISA(avx2)
BF_DECLARE_ISA(avx512)
#endif

#endif /* BOOSTFOCAL_KERNELS_COMMON_H */
