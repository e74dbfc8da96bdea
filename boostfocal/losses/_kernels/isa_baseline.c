/*
 * The kernels' block functions for the baseline instruction set (every CPU of the
 * target); see common.h and isa.h.
 */

#include "common.h"

#define BF_ISA_ATTR
#define BF_ISA_NAME(f) f##_baseline
#include "isa.h"
