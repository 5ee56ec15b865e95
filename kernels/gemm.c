/* gemm.c - C = A B on tiles of C, one manual-launch point per tile reading
 * exactly its row panel of A and column panel of B: cblas_dgemm / cblas_sgemm
 * per tile when built with BLAS, a blocked loop over general strides
 * otherwise (or when a view's strides are not BLAS-shaped). */
#include <string.h>

#include "kernels_internal.h"

#if GRT_HAVE_BLAS
#include <cblas.h>
#endif

/* A 2-D strided matrix in elements. */
typedef struct mat {
  char *p;
  int64_t rows, cols, rs, cs; /* extents and strides (elements) */
} mat_t;

static mat_t mat_t_of(mat_t m) { /* the transpose, as a view */
  return (mat_t){m.p, m.cols, m.rows, m.cs, m.rs};
}

/* Blocked C = A B over general strides. For each C element the products are
 * added in increasing k starting from 0, like a plain triple loop. */
#define KB 64
#define IB 64
#define GEMM_LOOP(T)                                                                      \
  do {                                                                                    \
    T *cp = (T *)c->p;                                                                    \
    const T *ap = (const T *)a->p, *bp = (const T *)b->p;                                 \
    for (int64_t i = 0; i < c->rows; i++)                                                 \
      for (int64_t j = 0; j < c->cols; j++) cp[i * c->rs + j * c->cs] = 0;                \
    for (int64_t i0 = 0; i0 < c->rows; i0 += IB) {                                        \
      int64_t i1 = i0 + IB < c->rows ? i0 + IB : c->rows;                                 \
      for (int64_t k0 = 0; k0 < a->cols; k0 += KB) {                                      \
        int64_t k1 = k0 + KB < a->cols ? k0 + KB : a->cols;                               \
        for (int64_t i = i0; i < i1; i++) {                                               \
          T *crow = cp + i * c->rs;                                                       \
          for (int64_t kk = k0; kk < k1; kk++) {                                          \
            T av = ap[i * a->rs + kk * a->cs];                                            \
            const T *brow = bp + kk * b->rs;                                              \
            if (c->cs == 1 && b->cs == 1)                                                 \
              for (int64_t j = 0; j < c->cols; j++) crow[j] += av * brow[j];              \
            else                                                                          \
              for (int64_t j = 0; j < c->cols; j++) crow[j * c->cs] += av * brow[j * b->cs]; \
          }                                                                               \
        }                                                                                 \
      }                                                                                   \
    }                                                                                     \
  } while (0)

static void gemm_loop(int code, const mat_t *c, const mat_t *a, const mat_t *b) {
  if (code == GRT_TYPE_FLOAT64) GEMM_LOOP(double);
  else GEMM_LOOP(float);
}

#if GRT_HAVE_BLAS
/* How @p m is seen by row-major BLAS: untransposed with leading dimension rs
 * (unit column stride) or transposed with leading dimension cs (unit row
 * stride). Unit extents make a stride irrelevant. Returns false otherwise. */
static bool blas_view(const mat_t *m, bool *trans, int *ld) {
  int64_t need_n = m->cols > 1 ? m->cols : 1, need_t = m->rows > 1 ? m->rows : 1;
  if ((m->cs == 1 || m->cols == 1) && (m->rows == 1 || m->rs >= need_n)) {
    *trans = false;
    *ld = (int)(m->rows == 1 ? need_n : m->rs);
    return m->rs <= 0x7fffffff;
  }
  if ((m->rs == 1 || m->rows == 1) && (m->cols == 1 || m->cs >= need_t)) {
    *trans = true;
    *ld = (int)(m->cols == 1 ? need_t : m->cs);
    return m->cs <= 0x7fffffff;
  }
  return false;
}

/* Row-major BLAS call, C untransposed. */
static bool gemm_blas_rm(int code, const mat_t *c, const mat_t *a, const mat_t *b) {
  bool tc, ta, tb;
  int ldc, lda, ldb;
  if (!blas_view(c, &tc, &ldc) || tc || !blas_view(a, &ta, &lda) || !blas_view(b, &tb, &ldb))
    return false;
  if (c->rows > 0x7fffffff || c->cols > 0x7fffffff || a->cols > 0x7fffffff) return false;
  int m = (int)c->rows, n = (int)c->cols, kk = (int)a->cols;
  if (code == GRT_TYPE_FLOAT64)
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, kk, 1.0, (const double *)a->p, lda, (const double *)b->p, ldb, 0.0,
                (double *)c->p, ldc);
  else
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, kk, 1.0f, (const float *)a->p, lda, (const float *)b->p, ldb, 0.0f,
                (float *)c->p, ldc);
  return true;
}
#endif

/* One point of the manual launch: a tile of C and the panels it needs.
 * Args are the 3-D views made by grtk_gemm: C3 (m, n, 1) with the tile,
 * A3 (m, cn, k) with rows [lo0, hi0] of A at colour j (dim 1 is a promoted
 * copy index, stride 0), B3 (cm, n, k) = B^T promoted, with B's columns
 * [lo1, hi1]. Every buffer's ptr is its tile's first element. */
void grtk__gemm_cpu(grt_task_context_t *ctx) {
  grt_buffer_t bc, ba, bb;
  if (!grtk__task_arg(ctx, 0, &bc) || !grtk__task_arg(ctx, 1, &ba) ||
      !grtk__task_arg(ctx, 2, &bb))
    return;
  int64_t m = bc.hi[0] - bc.lo[0] + 1, n = bc.hi[1] - bc.lo[1] + 1;
  int64_t kk = ba.hi[2] - ba.lo[2] + 1;
  if (m <= 0 || n <= 0) return;
  if (kk < 0) kk = 0;
  mat_t c = {bc.ptr, m, n, bc.stride[0], bc.stride[1]};
  mat_t a = {ba.ptr, m, kk, ba.stride[0], ba.stride[2]};
  mat_t b = {bb.ptr, kk, n, bb.stride[2], bb.stride[1]};
  int code = grtk__code(&bc);
#if GRT_HAVE_BLAS
  if (kk > 0) {
    if (gemm_blas_rm(code, &c, &a, &b)) return;
    /* C column-major: C^T = B^T A^T. */
    mat_t ct = mat_t_of(c), at = mat_t_of(a), bt = mat_t_of(b);
    if (gemm_blas_rm(code, &ct, &bt, &at)) return;
  }
#endif
  (void)mat_t_of;
  gemm_loop(code, &c, &a, &b);
}

/* Smallest tile edge worth a task of its own. */
#define GEMM_MIN_TILE 16

/* Chooses the colour grid cm x cn (cm * cn <= procs) over C (m, n): as many
 * tiles as processors while tiles keep GEMM_MIN_TILE rows and columns,
 * preferring square tiles. */
static void gemm_grid(int procs, int64_t m, int64_t n, int64_t *cm, int64_t *cn) {
  int64_t maxr = (m + GEMM_MIN_TILE - 1) / GEMM_MIN_TILE, maxc = (n + GEMM_MIN_TILE - 1) / GEMM_MIN_TILE;
  *cm = *cn = 1;
  double best_shape = 0;
  for (int64_t r0 = 1; r0 <= procs; r0++) {
    int64_t r = r0 < maxr ? r0 : maxr, c = procs / r0 < maxc ? procs / r0 : maxc;
    if (r < 1 || c < 1) continue;
    double tr = (double)m / (double)r, tc = (double)n / (double)c;
    double shape = tr < tc ? tr / tc : tc / tr; /* 1 for square tiles */
    if (r * c > *cm * *cn || (r * c == *cm * *cn && shape > best_shape)) {
      *cm = r;
      *cn = c;
      best_shape = shape;
    }
  }
}

/* Builds the views and partitions of the manual launch and submits it. */
static int gemm_launch(grtk_t *k, const char *fn, grt_store_t *C, grt_store_t *A,
                       grt_store_t *B, const int64_t *sc, int64_t kdim) {
  int procs = grt_num_procs(k->rt, GRT_PROC_CPU);
  int64_t cm, cn;
  gemm_grid(procs > 0 ? procs : 1, sc[0], sc[1], &cm, &cn);
  /* Tiles of at least one element (a dim may be 0) and no empty tiles. */
  int64_t tm = sc[0] > cm ? (sc[0] + cm - 1) / cm : 1, tn = sc[1] > cn ? (sc[1] + cn - 1) / cn : 1;
  cm = sc[0] > 0 ? (sc[0] + tm - 1) / tm : 1;
  cn = sc[1] > 0 ? (sc[1] + tn - 1) / tn : 1;
  int64_t tk = kdim > 0 ? kdim : 1;
  grt_store_t *c3 = NULL, *a3 = NULL, *bt = NULL, *b3 = NULL;
  grt_partition_t *pc = NULL, *pa = NULL, *pb = NULL;
  grt_launch_t *l = NULL;
  const int64_t shape[3] = {cm, cn, 1};
  int rc;
  if ((rc = grt_store_delinearize(C, 1, 2, (const int64_t[]){sc[1], 1}, &c3)) < 0 ||
      (rc = grt_store_promote(A, 1, cn, &a3)) < 0 ||
      (rc = grt_store_transpose(B, (const int[]){1, 0}, &bt)) < 0 ||
      (rc = grt_store_promote(bt, 0, cm, &b3)) < 0 ||
      (rc = grt_partition_tiling(c3, (const int64_t[]){tm, tn, 1}, &pc)) < 0 ||
      (rc = grt_partition_tiling(a3, (const int64_t[]){tm, 1, tk}, &pa)) < 0 ||
      (rc = grt_partition_tiling(b3, (const int64_t[]){1, tn, tk}, &pb)) < 0 ||
      (rc = grt_launch_create_manual(k->lib, GRTK_T_GEMM, 3, shape, &l)) < 0 ||
      (rc = grt_launch_add_partitioned(l, c3, pc, GRT_WRITE)) < 0 ||
      (rc = grt_launch_add_partitioned(l, a3, pa, GRT_READ)) < 0 ||
      (rc = grt_launch_add_partitioned(l, b3, pb, GRT_READ)) < 0) {
    grtk__pass(rc, fn);
    grt_launch_destroy(l);
  } else {
    rc = grtk__submit(l, NULL, fn);
  }
  /* The launch holds the data; views and partitions can go now. */
  grt_partition_destroy(pc);
  grt_partition_destroy(pa);
  grt_partition_destroy(pb);
  grt_store_destroy(c3);
  grt_store_destroy(a3);
  grt_store_destroy(b3);
  grt_store_destroy(bt);
  return rc;
}

GRTK_EXPORT int grtk_gemm(grtk_t *k, grt_store_t *C, grt_store_t *A, grt_store_t *B) {
  const char *fn = "grtk_gemm";
  int rc;
  if ((rc = grtk__check_handle(k, fn)) < 0 ||
      (rc = grtk__check_store(C, "C", GRTK_FLOAT, 2, fn)) < 0 ||
      (rc = grtk__check_store(A, "A", GRTK_FLOAT, 2, fn)) < 0 ||
      (rc = grtk__check_store(B, "B", GRTK_FLOAT, 2, fn)) < 0)
    return rc;
  const grt_type_t *t = grt_store_type(C);
  if (grt_store_type(A) != t)
    return grtk__error(GRT_EINVAL, fn, "A has type '%s' but C has type '%s'",
                       grt_type_format(grt_store_type(A)), grt_type_format(t));
  if (grt_store_type(B) != t)
    return grtk__error(GRT_EINVAL, fn, "B has type '%s' but C has type '%s'",
                       grt_type_format(grt_store_type(B)), grt_type_format(t));
  int64_t sc[GRT_MAX_DIM], sa[GRT_MAX_DIM], sb[GRT_MAX_DIM];
  grt_store_shape(C, sc);
  grt_store_shape(A, sa);
  grt_store_shape(B, sb);
  if (sa[0] != sc[0])
    return grtk__error(GRT_EINVAL, fn, "A has %lld rows but C has %lld", (long long)sa[0],
                       (long long)sc[0]);
  if (sb[1] != sc[1])
    return grtk__error(GRT_EINVAL, fn, "B has %lld columns but C has %lld", (long long)sb[1],
                       (long long)sc[1]);
  if (sb[0] != sa[1])
    return grtk__error(GRT_EINVAL, fn, "B has %lld rows but A has %lld columns",
                       (long long)sb[0], (long long)sa[1]);
  if (C == A || C == B) return grtk__error(GRT_EINVAL, fn, "C is also an input");
  return gemm_launch(k, fn, C, A, B, sc, sa[1]);
}
