/*
 * The kernels' block functions for the baseline instruction set (every CPU of the
 * target); see _kernels_common.h and _kernels_isa.h.
 */

#include "_kernels_common.h"

#define BF_ISA_ATTR
#define BF_ISA_NAME(f) f##_baseline
#include "_kernels_isa.h"
