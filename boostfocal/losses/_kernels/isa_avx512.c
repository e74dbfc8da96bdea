/*
 * The kernels' block functions for x86-64 CPUs with AVX-512 (F, DQ, VL, BW); see
 * common.h and isa.h.
 */

#include "common.h"

#if BF_ISA_DISPATCH
#define BF_ISA_ATTR \
    __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define BF_ISA_NAME(f) f##_avx512
#include "isa.h"
#else
typedef int bf_no_avx512; /* not x86-64 with GCC or clang: nothing to build */
#endif
