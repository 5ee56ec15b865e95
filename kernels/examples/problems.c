/* problems.c - the Jacobi and CG problems of the examples and benchmarks
 * (see problems.h). */
#include "problems.h"

#include <math.h>
#include <stddef.h>

/* Waits for a float64 future, destroys it and stores its value. */
static int take(grt_future_t *f, double *out) {
  int rc = grt_future_get(f, out, sizeof *out);
  grt_future_destroy(f);
  return rc;
}

int ex_interior(grt_store_t *s, long n, grt_store_t **out) {
  grt_store_t *rows;
  *out = NULL;
  int rc = grt_store_slice(s, 0, 1, n + 1, &rows);
  if (rc < 0) return rc;
  rc = grt_store_slice(rows, 1, 1, n + 1, out);
  grt_store_destroy(rows);
  return rc;
}

int ex_jacobi_create(grt_runtime_t *rt, long n, ex_jacobi_t *j) {
  const int64_t shape[2] = {n + 2, n + 2};
  *j = (ex_jacobi_t){.n = n};
  int rc = grt_store_create(rt, grt_type_float64(), 2, shape, &j->u);
  if (rc >= 0) rc = grt_store_create(rt, grt_type_float64(), 2, shape, &j->v);
  return rc < 0 ? rc : 0;
}

void ex_jacobi_destroy(ex_jacobi_t *j) {
  grt_store_destroy(j->u);
  grt_store_destroy(j->v);
  j->u = j->v = NULL;
}

int ex_jacobi_sweeps(grtk_t *k, ex_jacobi_t *j, long iters) {
  for (long it = 0; it < iters; it++) {
    int rc = grtk_jacobi2d(k, j->v, j->u);
    if (rc < 0) return rc;
    grt_store_t *t = j->u;
    j->u = j->v;
    j->v = t;
  }
  return 0;
}

int ex_jacobi_init(grtk_t *k, grt_store_t *u, grt_store_t *v) {
  grt_store_t *top = NULL;
  int rc = grtk_fill(k, u, 0.0);
  if (rc >= 0) rc = grt_store_slice(u, 0, 0, 1, &top);
  if (rc >= 0) rc = grtk_fill(k, top, 1.0);
  grt_store_destroy(top);
  if (rc >= 0) rc = grt_copy(v, u);
  return rc < 0 ? rc : 0;
}

int ex_jacobi_check(grt_runtime_t *rt, grtk_t *k, grt_store_t *u, long n, double *checksum,
                    double *residual) {
  grt_store_t *in_u = NULL, *q = NULL, *in_q = NULL;
  grt_future_t *f = NULL;
  int64_t shape[2];
  grt_store_shape(u, shape);
  int rc = ex_interior(u, n, &in_u);
  if (rc >= 0 && (rc = grtk_sum(k, in_u, &f)) >= 0) rc = take(f, checksum);
  if (rc >= 0) rc = grt_store_create(rt, grt_store_type(u), 2, shape, &q);
  if (rc >= 0) rc = grtk_laplacian2d(k, q, u);
  if (rc >= 0) rc = ex_interior(q, n, &in_q);
  if (rc >= 0 && (rc = grtk_norm2(k, in_q, &f)) >= 0) rc = take(f, residual);
  grt_store_destroy(in_q);
  grt_store_destroy(q);
  grt_store_destroy(in_u);
  return rc < 0 ? rc : 0;
}

int ex_cg_create(grt_runtime_t *rt, long n, ex_cg_t *cg) {
  const int64_t shape[2] = {n, n};
  *cg = (ex_cg_t){.bnorm = 1.0};
  grt_store_t **v[4] = {&cg->x, &cg->r, &cg->p, &cg->q};
  for (int i = 0; i < 4; i++) {
    int rc = grt_store_create(rt, grt_type_float64(), 2, shape, v[i]);
    if (rc < 0) return rc;
  }
  return 0;
}

void ex_cg_destroy(ex_cg_t *cg) {
  grt_future_destroy(cg->rr);
  grt_store_destroy(cg->x);
  grt_store_destroy(cg->r);
  grt_store_destroy(cg->p);
  grt_store_destroy(cg->q);
  *cg = (ex_cg_t){.bnorm = 1.0};
}

int ex_cg_start(grtk_t *k, ex_cg_t *cg) {
  double rr0 = 0.0;
  grt_future_destroy(cg->rr);
  cg->rr = NULL;
  int rc;
  if ((rc = grtk_fill(k, cg->x, 0.0)) < 0 || (rc = grtk_fill(k, cg->r, 1.0)) < 0 ||
      (rc = grtk_fill(k, cg->p, 1.0)) < 0 || (rc = grtk_dot(k, cg->r, cg->r, &cg->rr)) < 0 ||
      (rc = grt_future_get(cg->rr, &rr0, sizeof rr0)) < 0)
    return rc;
  cg->bnorm = sqrt(rr0);
  return 0;
}

int ex_cg_iteration(grtk_t *k, ex_cg_t *cg) {
  grt_future_t *pq = NULL, *rr_new = NULL;
  int rc;
  if ((rc = grtk_laplacian2d_dot(k, cg->q, cg->p, &pq)) >= 0 &&
      (rc = grtk_cg_update_ratio(k, cg->x, cg->r, cg->p, cg->q, cg->rr, pq, &rr_new)) >= 0)
    rc = grtk_xpby_ratio(k, cg->p, cg->r, rr_new, cg->rr);
  grt_future_destroy(pq);
  if (rc < 0) {
    grt_future_destroy(rr_new);
    return rc;
  }
  grt_future_destroy(cg->rr);
  cg->rr = rr_new;
  return 0;
}

int ex_cg_check(grtk_t *k, ex_cg_t *cg, double *true_res, double *checksum) {
  grt_future_t *f = NULL;
  double norm = 0.0;
  int rc;
  if ((rc = grtk_laplacian2d(k, cg->q, cg->x)) < 0 || (rc = grtk_fill(k, cg->r, 1.0)) < 0 ||
      (rc = grtk_sub(k, cg->r, cg->r, cg->q)) < 0 || (rc = grtk_norm2(k, cg->r, &f)) < 0 ||
      (rc = take(f, &norm)) < 0 || (rc = grtk_sum(k, cg->x, &f)) < 0 ||
      (rc = take(f, checksum)) < 0)
    return rc;
  *true_res = norm / cg->bnorm;
  return 0;
}
