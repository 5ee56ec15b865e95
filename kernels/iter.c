/* iter.c - strided iteration over same-shaped tiles, shared by the
 * element-wise kernels and the reductions. */
#include <string.h>

#include "kernels_internal.h"

#if GRT_HAVE_OPENMP
#include <omp.h>
#endif

bool grtk__iter_init(grtk_iter_t *it, int nbuf, const grt_buffer_t *b) {
  memset(it, 0, sizeof *it);
  it->nbuf = nbuf;
  int ndim = b[0].ndim;
  int64_t ext[GRT_MAX_DIM];
  for (int d = 0; d < ndim; d++) {
    ext[d] = b[0].hi[d] - b[0].lo[d] + 1;
    if (ext[d] <= 0) it->empty = true;
  }
  for (int a = 1; a < nbuf; a++) {
    if (b[a].ndim != ndim) return false;
    for (int d = 0; d < ndim; d++) {
      int64_t e = b[a].hi[d] - b[a].lo[d] + 1;
      if (e != ext[d] && !(e <= 0 && ext[d] <= 0)) return false;
    }
  }
  for (int a = 0; a < nbuf; a++) {
    it->base[a] = b[a].ptr;
    it->esize[a] = grt_type_size(b[a].type);
  }
  if (it->empty) {
    it->nd = 1;
    it->ext[0] = 0;
    return true;
  }
  /* Drop unit dims, then merge dim d into the previous kept dim when every
   * buffer's stride of the previous dim is this dim's stride times extent. */
  int nd = 0;
  for (int d = 0; d < ndim; d++) {
    if (ext[d] == 1) continue;
    bool merge = nd > 0;
    for (int a = 0; merge && a < nbuf; a++)
      merge = it->stride[a][nd - 1] == b[a].stride[d] * ext[d];
    if (merge) {
      it->ext[nd - 1] *= ext[d];
      for (int a = 0; a < nbuf; a++) it->stride[a][nd - 1] = b[a].stride[d];
      continue;
    }
    it->ext[nd] = ext[d];
    for (int a = 0; a < nbuf; a++) it->stride[a][nd] = b[a].stride[d];
    nd++;
  }
  if (nd == 0) { /* a single element */
    it->ext[0] = 1;
    for (int a = 0; a < nbuf; a++) it->stride[a][0] = 1;
    nd = 1;
  }
  it->nd = nd;
  it->n = it->ext[nd - 1];
  it->rows = 1;
  for (int d = 0; d < nd - 1; d++) it->rows *= it->ext[d];
  for (int a = 0; a < nbuf; a++) it->inner[a] = it->stride[a][nd - 1];
  return true;
}

void grtk__iter_row(const grtk_iter_t *it, int64_t r, int64_t j, char **out) {
  int64_t off[GRTK_ITER_MAX];
  for (int a = 0; a < it->nbuf; a++) off[a] = j * it->stride[a][it->nd - 1];
  for (int d = it->nd - 2; d >= 0; d--) {
    int64_t i = r % it->ext[d];
    r /= it->ext[d];
    for (int a = 0; a < it->nbuf; a++) off[a] += i * it->stride[a][d];
  }
  for (int a = 0; a < it->nbuf; a++) out[a] = it->base[a] + off[a] * (int64_t)it->esize[a];
}

/* Elements per OpenMP work item along a row. */
#define CHUNK 4096

void grtk__iter_run(const grtk_iter_t *it, bool omp, grtk_row_fn fn, void *data) {
  if (it->empty || it->n == 0) return;
  char *p[GRTK_ITER_MAX];
#if GRT_HAVE_OPENMP
  if (omp) {
    int64_t nchunks = (it->n + CHUNK - 1) / CHUNK;
    int64_t items = it->rows * nchunks;
#pragma omp parallel for schedule(static) private(p)
    for (int64_t w = 0; w < items; w++) {
      int64_t r = w / nchunks, j = (w % nchunks) * CHUNK;
      int64_t n = it->n - j < CHUNK ? it->n - j : CHUNK;
      grtk__iter_row(it, r, j, p);
      fn(data, n, p, it->inner);
    }
    return;
  }
#else
  (void)omp;
#endif
  for (int64_t r = 0; r < it->rows; r++) {
    grtk__iter_row(it, r, 0, p);
    fn(data, it->n, p, it->inner);
  }
}

void grtk__index_run(const grt_buffer_t *b, const int64_t *shape, bool omp, grtk_index_fn fn,
                     void *data) {
  int nd = b->ndim;
  int64_t ext[GRT_MAX_DIM] = {0}, gstride[GRT_MAX_DIM] = {0};
  if (nd < 1 || nd > GRT_MAX_DIM) return;
  int64_t acc = 1;
  for (int d = nd - 1; d >= 0; d--) {
    ext[d] = b->hi[d] - b->lo[d] + 1;
    if (ext[d] <= 0) return;
    gstride[d] = acc;
    acc *= shape[d];
  }
  int64_t n = ext[nd - 1], rows = 1;
  for (int d = 0; d < nd - 1; d++) rows *= ext[d];
  int64_t nchunks = omp ? (n + CHUNK - 1) / CHUNK : 1;
  int64_t chunk = omp ? CHUNK : n;
  int64_t items = rows * nchunks;
  size_t esize = grt_type_size(b->type);
  (void)omp;
#if GRT_HAVE_OPENMP
#pragma omp parallel for schedule(static) if (omp)
#endif
  for (int64_t w = 0; w < items; w++) {
    int64_t r = w / nchunks, j = (w % nchunks) * chunk;
    int64_t len = n - j < chunk ? n - j : chunk;
    int64_t off = j * b->stride[nd - 1];
    int64_t idx = (b->lo[nd - 1] + j) * gstride[nd - 1];
    for (int d = nd - 2; d >= 0; d--) {
      int64_t i = r % ext[d];
      r /= ext[d];
      off += i * b->stride[d];
      idx += (b->lo[d] + i) * gstride[d];
    }
    fn(data, len, (char *)b->ptr + off * (int64_t)esize, b->stride[nd - 1], idx);
  }
}
