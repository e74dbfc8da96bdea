/*
 * The block functions of the kernels, compiled once per instruction set: the includer
 * (isa_<isa>.c, one translation unit each) defines BF_ISA_ATTR (a target attribute, or
 * nothing) and BF_ISA_NAME(f) (f's name for this instruction set). Everything they call
 * is always-inline, so each build is a complete, independently vectorized copy of the
 * kernels.
 */

/* M(T, L) with the float type t (T_F32 or T_F64) and the memory layout l as
 * compile-time constants, so that each combination is its own straight loop. */
#define BF_BY_TYPE_LAYOUT(t, l, M)                          \
    if ((t) == T_F32) {                                     \
        if ((l) == LAYOUT_ROW) M(T_F32, LAYOUT_ROW);        \
        else if ((l) == LAYOUT_COL) M(T_F32, LAYOUT_COL);   \
        else M(T_F32, LAYOUT_ANY);                          \
    } else {                                                \
        if ((l) == LAYOUT_ROW) M(T_F64, LAYOUT_ROW);        \
        else if ((l) == LAYOUT_COL) M(T_F64, LAYOUT_COL);   \
        else M(T_F64, LAYOUT_ANY);                          \
    }

BF_ISA_ATTR
void BF_ISA_NAME(binary_block)(int key, int loss, int has_frac, Py_ssize_t n, const void *y,
                         const void *z, const void *w, void *o1, void *o2,
                         const bparams_t *P, counts_t *c)
{
    switch (key) {
        BIN_CASES_Z(T_F32)
        BIN_CASES_Z(T_F64)
    default:
        break;
    }
}

/* One chunk of rows of the softmax kernel; the scratch arrays are restrict parameters. */
BF_ISA_ATTR BF_NOINLINE
static void BF_ISA_NAME(softmax_chunk)(const sparams_t *P, Py_ssize_t lo, Py_ssize_t nr,
                                       Py_ssize_t R, int zlayout, int olayout, counts_t *c,
                                       SM_PARAMS)
{
#define LOADZ(ZT, L) sm_load_z(ZT, L, P, lo, nr, zc, R)
    BF_BY_TYPE_LAYOUT(P->zt, zlayout, LOADZ)
#undef LOADZ
    sm_chunk_core(P, nr, R, c, SM_ARGS);
#define LABELS(YT, WT)                                             \
    if (P->alpha) sm_labels(YT, WT, 1, P, lo, nr, cls, a_row, c); \
    else sm_labels(YT, WT, 0, P, lo, nr, cls, a_row, c)
#define LABELS_W(YT)                                \
    if (P->wt == T_NONE) { LABELS(YT, T_NONE); }    \
    else if (P->wt == T_F32) { LABELS(YT, T_F32); } \
    else { LABELS(YT, T_F64); }
    if (P->yt == T_F32) {
        LABELS_W(T_F32)
    } else {
        LABELS_W(T_F64)
    }
#undef LABELS_W
#undef LABELS
    sm_label_terms(P, nr, R, SM_ARGS);
    if (P->loss) {
        if (P->ot == T_F32) {
            if (P->has_frac) sm_rows(1, 1, T_F32, P, lo, nr, SM_ARGS);
            else sm_rows(1, 0, T_F32, P, lo, nr, SM_ARGS);
        } else {
            if (P->has_frac) sm_rows(1, 1, T_F64, P, lo, nr, SM_ARGS);
            else sm_rows(1, 0, T_F64, P, lo, nr, SM_ARGS);
        }
        return;
    }
    if (P->has_frac) sm_rows(0, 1, T_F64, P, lo, nr, SM_ARGS);
    else sm_rows(0, 0, T_F64, P, lo, nr, SM_ARGS);
    sm_grad(P, nr, R, SM_ARGS);
#define STORE(OT, L) sm_store(OT, L, P, lo, nr, zc, ez, R)
    BF_BY_TYPE_LAYOUT(P->ot, olayout, STORE)
#undef STORE
}

BF_ISA_ATTR
void BF_ISA_NAME(softmax_block)(const sparams_t *P, double *buf, counts_t *c)
{
    const Py_ssize_t n = P->n, k = P->k, R = P->rows;
    double *zc = buf, *ez = buf + k * R, *p = buf + 2 * k * R;
#define SM_SLICE(x) double *x = p; p += R;
    SM_ROW_ARRAYS(SM_SLICE)
#undef SM_SLICE
    int zlayout = P->zs1 == 1 ? LAYOUT_ROW : (P->zs0 == 1 ? LAYOUT_COL : LAYOUT_ANY);
    int olayout = LAYOUT_ANY;
    if (!P->loss) {
        if (P->gs1 == 1 && P->hs1 == 1)
            olayout = LAYOUT_ROW;
        else if (P->gs0 == 1 && P->hs0 == 1)
            olayout = LAYOUT_COL;
    }
    memset(c, 0, sizeof *c);
    for (Py_ssize_t lo = 0; lo < n; lo += R) {
        const Py_ssize_t nr = n - lo < R ? n - lo : R;
        BF_ISA_NAME(softmax_chunk)(P, lo, nr, R, zlayout, olayout, c, SM_ARGS);
    }
}

BF_ISA_ATTR
void BF_ISA_NAME(elementary_apply)(int which, Py_ssize_t n, const double *BF_RESTRICT x,
                             double *BF_RESTRICT out)
{
    const double efloor = exp_floor();
    if (which == 0)
        for (Py_ssize_t i = 0; i < n; i++) out[i] = exp_neg(x[i], efloor);
    else if (which == 1)
        for (Py_ssize_t i = 0; i < n; i++) out[i] = log1p_small(x[i]);
    else
        for (Py_ssize_t i = 0; i < n; i++) out[i] = log_ge1(x[i]);
}

BF_ISA_ATTR
void BF_ISA_NAME(binary_proba_block)(int zt, int ot, Py_ssize_t n, const void *z, void *out,
                                     const bpparams_t *P, counts_t *c)
{
    c->label = c->margin = c->weight = c->positive = 0;
    if (zt == T_F32) {
        if (ot == T_F32) binary_proba_loop(T_F32, T_F32, n, z, out, P, c);
        else binary_proba_loop(T_F32, T_F64, n, z, out, P, c);
    } else {
        if (ot == T_F32) binary_proba_loop(T_F64, T_F32, n, z, out, P, c);
        else binary_proba_loop(T_F64, T_F64, n, z, out, P, c);
    }
}

/* One chunk of rows of the softmax probability kernel (restrict scratch, as softmax_chunk). */
BF_ISA_ATTR BF_NOINLINE
static void BF_ISA_NAME(softmax_proba_chunk)(const spparams_t *P, Py_ssize_t lo, Py_ssize_t nr,
                                             Py_ssize_t R, int zlayout, counts_t *c,
                                             PM_PARAMS)
{
#define LOADZ(ZT, L) pm_load_z(ZT, L, P, lo, nr, dh, R)
    BF_BY_TYPE_LAYOUT(P->zt, zlayout, LOADZ)
#undef LOADZ
    pm_logits(P, nr, R, c, PM_ARGS);
    pm_rows(P, nr, PM_ARGS);
    if (P->la_hi)
        pm_classes(1, P, nr, R, PM_ARGS);
    else
        pm_classes(0, P, nr, R, PM_ARGS);
    pm_normalize(P, nr, R, PM_ARGS);
    if (P->ot == T_F32)
        pm_store(T_F32, P, lo, nr, R, PM_ARGS);
    else
        pm_store(T_F64, P, lo, nr, R, PM_ARGS);
}

BF_ISA_ATTR
void BF_ISA_NAME(softmax_proba_block)(const spparams_t *P, double *buf, counts_t *c)
{
    const Py_ssize_t n = P->n, k = P->k, R = P->rows;
    double *dh = buf, *dl = buf + k * R, *eh = buf + 2 * k * R, *el = buf + 3 * k * R;
    double *p = buf + 4 * k * R;
#define PM_SLICE(x) double *x = p; p += R;
    PM_ROW_ARRAYS(PM_SLICE)
#undef PM_SLICE
    int zlayout = P->zs1 == 1 ? LAYOUT_ROW : (P->zs0 == 1 ? LAYOUT_COL : LAYOUT_ANY);
    memset(c, 0, sizeof *c);
    for (Py_ssize_t lo = 0; lo < n; lo += R) {
        const Py_ssize_t nr = n - lo < R ? n - lo : R;
        BF_ISA_NAME(softmax_proba_chunk)(P, lo, nr, R, zlayout, c, PM_ARGS);
    }
}
