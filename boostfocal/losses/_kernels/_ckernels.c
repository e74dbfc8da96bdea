/*
 * Fused focal-loss kernels, compiled ahead of time: the extension module
 * boostfocal.losses._kernels._ckernels (the Python driver is _kernels/__init__.py). This
 * file holds the Python bindings and the choice of instruction set; the kernels are in
 * common.h, built once per instruction set by isa_baseline.c, isa_avx2.c and
 * isa_avx512.c (see common.h for the design).
 */

#include "common.h"

/* ------------------------------------------------------------------------------------
 * The choice among the instruction sets
 * ------------------------------------------------------------------------------------ */
typedef struct {
    const char *name;
    binary_fn binary;
    softmax_fn softmax;
    elementary_fn elementary;
    binary_proba_fn binary_proba;
    softmax_proba_fn softmax_proba;
} isa_t;

static const isa_t ISAS[] = {
    {"baseline", binary_block_baseline, softmax_block_baseline, elementary_apply_baseline,
     binary_proba_block_baseline, softmax_proba_block_baseline},
#if BF_ISA_DISPATCH
    {"avx2", binary_block_avx2, softmax_block_avx2, elementary_apply_avx2,
     binary_proba_block_avx2, softmax_proba_block_avx2},
    {"avx512", binary_block_avx512, softmax_block_avx512, elementary_apply_avx512,
     binary_proba_block_avx512, softmax_proba_block_avx512},
#endif
};
#define N_ISAS ((int)(sizeof ISAS / sizeof ISAS[0]))

/* Whether this CPU runs ISAS[i]. */
static int isa_supported(int i)
{
#if BF_ISA_DISPATCH
    __builtin_cpu_init();
    if (i == 1)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (i == 2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
               && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
               && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#endif
    return i == 0;
}

/* The instruction set in use: the best supported one, set at import (or by set_isa). */
static const isa_t *isa = &ISAS[0];

/* ------------------------------------------------------------------------------------
 * Python bindings (buffer protocol: no numpy headers needed at build time)
 * ------------------------------------------------------------------------------------ */
typedef struct {
    Py_buffer view;
    int held;
    int type;
} arg_buf_t;

static void release_all(arg_buf_t *bufs, int count)
{
    for (int i = 0; i < count; i++)
        if (bufs[i].held) {
            PyBuffer_Release(&bufs[i].view);
            bufs[i].held = 0;
        }
}

/* The element type of a buffer's format ("d"/"f", native byte order), or -1. */
static int format_type(const Py_buffer *v)
{
    const char *f = v->format ? v->format : "B";
    if (*f == '@' || *f == '=')
        f++;
#if PY_LITTLE_ENDIAN
    else if (*f == '<')
        f++;
#else
    else if (*f == '>')
        f++;
#endif
    if (f[0] == 'd' && f[1] == '\0' && v->itemsize == 8)
        return T_F64;
    if (f[0] == 'f' && f[1] == '\0' && v->itemsize == 4)
        return T_F32;
    return -1;
}

/* Acquire `obj` (or None -> T_NONE) as a float32/float64 array of `ndim` dimensions and
 * `n` rows (and `k` columns when ndim == 2). 1-D arrays must be contiguous. */
static int get_array(PyObject *obj, arg_buf_t *b, const char *name, int writable, int ndim,
                     Py_ssize_t n, Py_ssize_t k)
{
    b->held = 0;
    b->type = T_NONE;
    if (obj == Py_None)
        return 0;
    if (PyObject_GetBuffer(obj, &b->view, writable ? PyBUF_RECORDS : PyBUF_RECORDS_RO) < 0)
        return -1;
    b->held = 1;
    b->type = format_type(&b->view);
    if (b->type < 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a native float32 or float64 array", name);
        return -1;
    }
    if (b->view.ndim != ndim || (n >= 0 && b->view.shape[0] != n)
        || (ndim == 2 && k >= 0 && b->view.shape[1] != k)) {
        PyErr_Format(PyExc_ValueError, "%s has the wrong shape", name);
        return -1;
    }
    if (((uintptr_t)b->view.buf) % (uintptr_t)b->view.itemsize) {
        PyErr_Format(PyExc_ValueError, "%s is not aligned", name);
        return -1;
    }
    for (int d = 0; d < ndim; d++) {
        if (b->view.strides[d] % b->view.itemsize) {
            PyErr_Format(PyExc_ValueError, "%s has strides that are not a multiple of its "
                         "item size", name);
            return -1;
        }
    }
    if (ndim == 1 && b->view.shape[0] > 1 && b->view.strides[0] != b->view.itemsize) {
        PyErr_Format(PyExc_ValueError, "%s must be contiguous", name);
        return -1;
    }
    return 0;
}

static int get_double(PyObject *obj, double *out)
{
    *out = PyFloat_AsDouble(obj);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static int get_int(PyObject *obj, int *out, int lo, int hi, const char *name)
{
    long v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < lo || v > hi) {
        PyErr_Format(PyExc_ValueError, "%s out of range", name);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* The buffers b[0..5] = y, z, w, grad, hess, out of a block call: y is required, and either
 * out (the loss) or grad and hess of one dtype. Returns 1 for the loss, 0 for the
 * gradient, -1 (exception set) otherwise. */
static int check_roles(const arg_buf_t *b)
{
    int loss = b[5].type != T_NONE;
    if (b[0].type == T_NONE) {
        PyErr_SetString(PyExc_TypeError, "y must be an array");
        return -1;
    }
    if (loss ? (b[3].type != T_NONE || b[4].type != T_NONE)
             : (b[3].type == T_NONE || b[4].type != b[3].type)) {
        PyErr_SetString(PyExc_ValueError,
                        "pass either out, or grad and hess of the same dtype");
        return -1;
    }
    return loss;
}

/* The start of a block call: nargs checked, the buffers cleared, and b[0..5] = y, z, w,
 * grad, hess, out read from args[0..5] (z required, of rank ndim; in the 2-D case grad
 * and hess have z's K >= 2 columns). Returns 1 for the loss and 0 for the gradient (see
 * check_roles), or -1 with an exception set. */
static int get_block_arrays(const char *fn, PyObject *const *args, Py_ssize_t nargs,
                            arg_buf_t *b, int count, int ndim)
{
    Py_ssize_t n, k;
    memset(b, 0, sizeof *b * (size_t)count);
    if (nargs != 14) {
        PyErr_Format(PyExc_TypeError, "%s() takes 14 arguments", fn);
        return -1;
    }
    if (get_array(args[1], &b[1], "z", 0, ndim, -1, -1) < 0)
        return -1;
    if (b[1].type == T_NONE) {
        PyErr_SetString(PyExc_TypeError, "z must be an array");
        return -1;
    }
    n = b[1].view.shape[0];
    k = ndim == 2 ? b[1].view.shape[1] : -1;
    if (ndim == 2 && k < 2) {
        PyErr_SetString(PyExc_ValueError, "z needs at least 2 columns");
        return -1;
    }
    if (get_array(args[0], &b[0], "y", 0, 1, n, -1) < 0
        || get_array(args[2], &b[2], "w", 0, 1, n, -1) < 0
        || get_array(args[3], &b[3], "grad", 1, ndim, n, k) < 0
        || get_array(args[4], &b[4], "hess", 1, ndim, n, k) < 0
        || get_array(args[5], &b[5], "out", 1, 1, n, -1) < 0)
        return -1;
    return check_roles(b);
}

/* binary(y, z, w, grad, hess, out, alpha_pos, alpha_neg, n_bits, gamma_frac, gamma, policy,
 *        hess_scale, offset) -> flags */
static PyObject *py_binary(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    arg_buf_t b[6];
    bparams_t P;
    counts_t c = {0, 0, 0, 0};
    Py_ssize_t n;
    int loss, has_frac, key;
    (void)self;
    if ((loss = get_block_arrays("binary", args, nargs, b, 6, 1)) < 0)
        goto fail;
    n = b[1].view.shape[0];
    has_frac = args[9] != Py_None;
    P.frac = 0.0;
    if (get_double(args[6], &P.alpha_pos) < 0 || get_double(args[7], &P.alpha_neg) < 0
        || get_int(args[8], &P.n_bits, 0, 15, "n_bits") < 0
        || (has_frac && get_double(args[9], &P.frac) < 0)
        || get_double(args[10], &P.gamma) < 0 || get_int(args[11], &P.policy, 0, 2, "policy") < 0
        || get_double(args[12], &P.hess_scale) < 0 || get_double(args[13], &P.offset) < 0)
        goto fail;
    key = BKEY(b[0].type, b[1].type, b[2].type, loss ? b[5].type : b[3].type);
    Py_BEGIN_ALLOW_THREADS
    isa->binary(key, loss, has_frac, n, b[0].view.buf, b[1].view.buf,
                 b[2].held ? b[2].view.buf : NULL,
                 loss ? b[5].view.buf : b[3].view.buf, loss ? NULL : b[4].view.buf, &P, &c);
    Py_END_ALLOW_THREADS
    release_all(b, 6);
    return PyLong_FromLong(counts_to_flags(&c));
fail:
    release_all(b, 6);
    return NULL;
}

/* softmax(y, z, w, grad, hess, out, alpha, n_bits, gamma_frac, gamma, policy, rows,
 *         hess_scale, offset) -> flags */
static PyObject *py_softmax(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    arg_buf_t b[8];
    sparams_t P;
    counts_t c = {0, 0, 0, 0};
    Py_ssize_t n, k;
    double *buf = NULL, *zeros = NULL;
    int loss, has_frac, rows;
    (void)self;
    if ((loss = get_block_arrays("softmax", args, nargs, b, 8, 2)) < 0)
        goto fail;
    n = b[1].view.shape[0];
    k = b[1].view.shape[1];
    if (get_array(args[6], &b[6], "alpha", 0, 1, k, -1) < 0
        || get_array(args[13], &b[7], "offset", 0, 1, k, -1) < 0)
        goto fail;
    if ((b[6].held && b[6].type != T_F64) || (b[7].held && b[7].type != T_F64)) {
        PyErr_SetString(PyExc_TypeError, "alpha and offset must be float64");
        goto fail;
    }
    has_frac = args[8] != Py_None;
    P.frac = 0.0;
    if (get_int(args[7], &P.n_bits, 0, 15, "n_bits") < 0
        || (has_frac && get_double(args[8], &P.frac) < 0)
        || get_double(args[9], &P.gamma) < 0 || get_int(args[10], &P.policy, 0, 2, "policy") < 0
        || get_int(args[11], &rows, 1, 1 << 20, "rows") < 0
        || get_double(args[12], &P.hess_scale) < 0)
        goto fail;
    P.n = n;
    P.k = k;
    P.rows = rows;
    P.has_frac = has_frac;
    P.loss = loss;
    P.y = b[0].view.buf;
    P.yt = b[0].type;
    P.z = b[1].view.buf;
    P.zt = b[1].type;
    P.zs0 = b[1].view.strides[0] / b[1].view.itemsize;
    P.zs1 = b[1].view.strides[1] / b[1].view.itemsize;
    P.w = b[2].held ? b[2].view.buf : NULL;
    P.wt = b[2].type;
    P.out = loss ? b[5].view.buf : NULL;
    P.grad = loss ? NULL : b[3].view.buf;
    P.hess = loss ? NULL : b[4].view.buf;
    P.ot = loss ? b[5].type : b[3].type;
    P.gs0 = loss ? 0 : b[3].view.strides[0] / b[3].view.itemsize;
    P.gs1 = loss ? 0 : b[3].view.strides[1] / b[3].view.itemsize;
    P.hs0 = loss ? 0 : b[4].view.strides[0] / b[4].view.itemsize;
    P.hs1 = loss ? 0 : b[4].view.strides[1] / b[4].view.itemsize;
    P.alpha = b[6].held ? (const double *)b[6].view.buf : NULL;
    if (b[7].held && b[7].view.shape[0] > 1 && b[7].view.strides[0] != 8) {
        PyErr_SetString(PyExc_ValueError, "offset must be contiguous");
        goto fail;
    }
    buf = (double *)malloc(sizeof(double) * (size_t)((2 * k + SCRATCH_ROWS_ARRAYS) * rows));
    if (!b[7].held)
        zeros = (double *)calloc((size_t)k, sizeof(double));
    if (!buf || (!b[7].held && !zeros)) {
        PyErr_NoMemory();
        goto fail;
    }
    P.offset = b[7].held ? (const double *)b[7].view.buf : zeros;
    Py_BEGIN_ALLOW_THREADS
    isa->softmax(&P, buf, &c);
    Py_END_ALLOW_THREADS
    free(buf);
    free(zeros);
    release_all(b, 8);
    return PyLong_FromLong(counts_to_flags(&c));
fail:
    free(buf);
    free(zeros);
    release_all(b, 8);
    return NULL;
}

/* The output of a probability kernel: a writable float32/float64 (n, k) C-order array. */
static int get_proba_out(PyObject *obj, arg_buf_t *b, Py_ssize_t n, Py_ssize_t k)
{
    if (get_array(obj, b, "out", 1, 2, n, k) < 0)
        return -1;
    if (b->type == T_NONE) {
        PyErr_SetString(PyExc_TypeError, "out must be an array");
        return -1;
    }
    if ((k > 1 && b->view.strides[1] != b->view.itemsize)
        || (n > 1 && b->view.strides[0] != k * b->view.itemsize)) {
        PyErr_SetString(PyExc_ValueError, "out must be C-contiguous");
        return -1;
    }
    return 0;
}

/* binary_proba(z, out, gamma, c_hi, c_lo) -> flags: out (n, 2) = [P(y=0), P(y=1)] of the
 * margins z, with the focal posterior map of gamma and c = log((1 - alpha) / alpha)
 * (gamma = c = 0: the sigmoid). */
static PyObject *py_binary_proba(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    arg_buf_t b[2];
    bpparams_t P;
    counts_t c = {0, 0, 0, 0};
    Py_ssize_t n;
    double c_hi, c_lo;
    (void)self;
    memset(b, 0, sizeof b);
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "binary_proba() takes 5 arguments");
        return NULL;
    }
    if (get_array(args[0], &b[0], "z", 0, 1, -1, -1) < 0)
        goto fail;
    if (b[0].type == T_NONE) {
        PyErr_SetString(PyExc_TypeError, "z must be an array");
        goto fail;
    }
    n = b[0].view.shape[0];
    if (get_proba_out(args[1], &b[1], n, 2) < 0 || get_double(args[2], &P.gamma) < 0
        || get_double(args[3], &c_hi) < 0 || get_double(args[4], &c_lo) < 0)
        goto fail;
    P.g1 = dd_two_sum(P.gamma, 1.0);
    P.c = dd_make(c_hi, c_lo);
    Py_BEGIN_ALLOW_THREADS
    isa->binary_proba(b[0].type, b[1].type, n, b[0].view.buf, b[1].view.buf, &P, &c);
    Py_END_ALLOW_THREADS
    release_all(b, 2);
    return PyLong_FromLong(counts_to_flags(&c));
fail:
    release_all(b, 2);
    return NULL;
}

/* softmax_proba(z, out, la_hi, la_lo, gamma, rows) -> flags: out (n, K) = the class
 * posterior of the logits z (any layout) under the focal posterior map of gamma and the
 * class weights exp(la_hi + la_lo) (None: all 1; gamma = 0 without them: the softmax). */
static PyObject *py_softmax_proba(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    arg_buf_t b[4];
    spparams_t P;
    counts_t c = {0, 0, 0, 0};
    Py_ssize_t n, k;
    double *buf = NULL;
    int rows;
    (void)self;
    memset(b, 0, sizeof b);
    if (nargs != 6) {
        PyErr_SetString(PyExc_TypeError, "softmax_proba() takes 6 arguments");
        return NULL;
    }
    if (get_array(args[0], &b[0], "z", 0, 2, -1, -1) < 0)
        goto fail;
    if (b[0].type == T_NONE) {
        PyErr_SetString(PyExc_TypeError, "z must be an array");
        goto fail;
    }
    n = b[0].view.shape[0];
    k = b[0].view.shape[1];
    if (k < 2) {
        PyErr_SetString(PyExc_ValueError, "z needs at least 2 columns");
        goto fail;
    }
    if (get_proba_out(args[1], &b[1], n, k) < 0
        || get_array(args[2], &b[2], "la_hi", 0, 1, k, -1) < 0
        || get_array(args[3], &b[3], "la_lo", 0, 1, k, -1) < 0
        || get_double(args[4], &P.gamma) < 0 || get_int(args[5], &rows, 1, 1 << 20, "rows") < 0)
        goto fail;
    if (b[2].held != b[3].held || (b[2].held && (b[2].type != T_F64 || b[3].type != T_F64))) {
        PyErr_SetString(PyExc_TypeError, "la_hi and la_lo must both be None or float64");
        goto fail;
    }
    P.n = n;
    P.k = k;
    P.rows = rows;
    P.z = b[0].view.buf;
    P.zt = b[0].type;
    P.zs0 = b[0].view.strides[0] / b[0].view.itemsize;
    P.zs1 = b[0].view.strides[1] / b[0].view.itemsize;
    P.out = b[1].view.buf;
    P.ot = b[1].type;
    P.la_hi = b[2].held ? (const double *)b[2].view.buf : NULL;
    P.la_lo = b[3].held ? (const double *)b[3].view.buf : NULL;
    P.g1m = dd_two_sum(P.gamma, -1.0);
    buf = (double *)malloc(sizeof(double) * (size_t)((4 * k + PM_SCRATCH_ROW_ARRAYS) * rows));
    if (!buf) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    isa->softmax_proba(&P, buf, &c);
    Py_END_ALLOW_THREADS
    free(buf);
    release_all(b, 4);
    return PyLong_FromLong(counts_to_flags(&c));
fail:
    free(buf);
    release_all(b, 4);
    return NULL;
}

/* elementary(which, x, out): out = f(x) elementwise for float64 1-D contiguous arrays;
 * which: 0 exp_neg, 1 log1p_small, 2 log_ge1. */
static PyObject *py_elementary(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    arg_buf_t b[2];
    int which;
    Py_ssize_t n;
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "elementary() takes 3 arguments");
        return NULL;
    }
    memset(b, 0, sizeof b);
    if (get_int(args[0], &which, 0, 2, "which") < 0
        || get_array(args[1], &b[0], "x", 0, 1, -1, -1) < 0)
        goto fail;
    if (b[0].type != T_F64) {
        PyErr_SetString(PyExc_TypeError, "x must be a float64 array");
        goto fail;
    }
    n = b[0].view.shape[0];
    if (get_array(args[2], &b[1], "out", 1, 1, n, -1) < 0)
        goto fail;
    if (b[1].type != T_F64) {
        PyErr_SetString(PyExc_TypeError, "out must be a float64 array");
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    isa->elementary(which, n, (const double *)b[0].view.buf, (double *)b[1].view.buf);
    Py_END_ALLOW_THREADS
    release_all(b, 2);
    Py_RETURN_NONE;
fail:
    release_all(b, 2);
    return NULL;
}

/* The thread limit set through threadpoolctl (0: none), and the count reported to it when
 * there is none (the usable CPUs, set by _kernels/__init__.py at import). threadpoolctl
 * finds this module by its file name and calls these two exported functions (see
 * _register_with_threadpoolctl in _kernels/_backend.py); _kernels/__init__.py reads the
 * limit through thread_limit(). Plain int stores: a racing reader sees the old or the new
 * value. */
static volatile int bf_thread_limit = 0;
static volatile int bf_default_threads = 1;

#if defined(_WIN32)
#define BF_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define BF_EXPORT __attribute__((visibility("default")))
#else
#define BF_EXPORT
#endif

BF_EXPORT int boostfocal_get_num_threads(void);
BF_EXPORT void boostfocal_set_num_threads(int n);

BF_EXPORT int boostfocal_get_num_threads(void)
{
    int limit = bf_thread_limit;
    return limit > 0 ? limit : bf_default_threads;
}

BF_EXPORT void boostfocal_set_num_threads(int n)
{
    bf_thread_limit = n > 0 ? n : 0;
}

/* thread_limit() -> the threadpoolctl limit, 0 for none. */
static PyObject *py_thread_limit(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLong(bf_thread_limit);
}

/* set_default_threads(n): the count reported to threadpoolctl when no limit is set. */
static PyObject *py_set_default_threads(PyObject *self, PyObject *arg)
{
    long n = PyLong_AsLong(arg);
    (void)self;
    if (n == -1 && PyErr_Occurred())
        return NULL;
    bf_default_threads = n > 0 ? (int)n : 1;
    Py_RETURN_NONE;
}

/* set_isa(name) -> previous name: for the tests, which compare the instruction sets. */
static PyObject *py_set_isa(PyObject *self, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    const char *previous = isa->name;
    (void)self;
    if (name == NULL)
        return NULL;
    for (int i = 0; i < N_ISAS; i++)
        if (strcmp(ISAS[i].name, name) == 0 && isa_supported(i)) {
            isa = &ISAS[i];
            return PyUnicode_FromString(previous);
        }
    PyErr_Format(PyExc_ValueError, "instruction set %R is not available on this machine", arg);
    return NULL;
}

/* isas() -> the names of the instruction sets this machine runs, worst to best. */
static PyObject *py_isas(PyObject *self, PyObject *unused)
{
    PyObject *out = PyList_New(0);
    (void)self;
    (void)unused;
    if (out == NULL)
        return NULL;
    for (int i = 0; i < N_ISAS; i++) {
        if (!isa_supported(i))
            continue;
        PyObject *s = PyUnicode_FromString(ISAS[i].name);
        if (s == NULL || PyList_Append(out, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(s);
    }
    return out;
}

/* isa() -> the name of the instruction set in use. */
static PyObject *py_isa(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyUnicode_FromString(isa->name);
}

static PyMethodDef methods[] = {
    {"binary", (PyCFunction)(void (*)(void))py_binary, METH_FASTCALL,
     "binary(y, z, w, grad, hess, out, alpha_pos, alpha_neg, n_bits, gamma_frac, gamma, "
     "policy, hess_scale, offset) -> flags\n\nOne block of the binary focal kernel."},
    {"softmax", (PyCFunction)(void (*)(void))py_softmax, METH_FASTCALL,
     "softmax(y, z, w, grad, hess, out, alpha, n_bits, gamma_frac, gamma, policy, rows, "
     "hess_scale, offset) -> flags\n\nOne block of the softmax focal kernel."},
    {"binary_proba", (PyCFunction)(void (*)(void))py_binary_proba, METH_FASTCALL,
     "binary_proba(z, out, gamma, c_hi, c_lo) -> flags\n\nOne block of the binary "
     "probability kernel (focal posterior map and sigmoid)."},
    {"softmax_proba", (PyCFunction)(void (*)(void))py_softmax_proba, METH_FASTCALL,
     "softmax_proba(z, out, la_hi, la_lo, gamma, rows) -> flags\n\nOne block of the "
     "softmax probability kernel (focal posterior map and softmax)."},
    {"elementary", (PyCFunction)(void (*)(void))py_elementary, METH_FASTCALL,
     "elementary(which, x, out): exp_neg (0), log1p_small (1) or log_ge1 (2) elementwise."},
    {"set_isa", py_set_isa, METH_O, "set_isa(name) -> previous: use another instruction set."},
    {"isas", py_isas, METH_NOARGS, "isas() -> the instruction sets this machine runs."},
    {"isa", py_isa, METH_NOARGS, "isa() -> the instruction set in use."},
    {"thread_limit", py_thread_limit, METH_NOARGS,
     "thread_limit() -> the thread limit set through threadpoolctl (0: none)."},
    {"set_default_threads", py_set_default_threads, METH_O,
     "set_default_threads(n): the thread count reported to threadpoolctl without a limit."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "_ckernels",
    "Compiled fused focal-loss kernels (see boostfocal/losses/_kernels/_ckernels.c).", -1,
    methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__ckernels(void)
{
    PyObject *m;
    for (int i = N_ISAS - 1; i > 0; i--)
        if (isa_supported(i)) {
            isa = &ISAS[i];
            break;
        }
    m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObject(m, "MIN_CURVATURE", PyFloat_FromDouble(MIN_CURVATURE)) < 0
        || PyModule_AddObject(m, "FLOOR_EPSILON", PyFloat_FromDouble(FLOOR_EPSILON)) < 0
        || PyModule_AddIntConstant(m, "BAD_LABEL", BAD_LABEL) < 0
        || PyModule_AddIntConstant(m, "BAD_MARGIN", BAD_MARGIN) < 0
        || PyModule_AddIntConstant(m, "BAD_WEIGHT", BAD_WEIGHT) < 0
        || PyModule_AddIntConstant(m, "SAW_POSITIVE_WEIGHT", SAW_POSITIVE_WEIGHT) < 0
        ) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
