/*
 * The kernels' block functions for x86-64 CPUs with AVX2 and FMA; see common.h
 * and isa.h.
 */

#include "common.h"

#if BF_ISA_DISPATCH
#define BF_ISA_ATTR __attribute__((target("avx2,fma")))
#define BF_ISA_NAME(f) f##_avx2
#include "isa.h"
#else
typedef int bf_no_avx2; /* not x86-64 with GCC or clang: nothing to build */
#endif
