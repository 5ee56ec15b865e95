/* instance.c - physical instances: allocation, lookup, copies and the per-root set. */
#include "instance.h"
#include "grt_error.h"

#include <stdlib.h>
#include <string.h>

/* Row-major strides over @p r and the base that makes root points index it. */
static void layout(grt_instance_t *in, const grt_rect_t *r) {
  in->r = *r;
  memset(in->strides, 0, sizeof in->strides);
  int64_t s = 1;
  for (int d = r->ndim - 1; d >= 0; d--) {
    in->strides[d] = s;
    s *= r->hi[d] - r->lo[d] + 1;
  }
  in->base = 0;
  for (int d = 0; d < r->ndim; d++) in->base += r->lo[d] * in->strides[d];
}

int grt__inst_alloc(grt_memory_t *mem, const grt_rect_t *r, size_t esize, grt_instance_t **out) {
  *out = NULL;
  grt_instance_t *in = calloc(1, sizeof *in);
  if (!in) return grt__error(GRT_ENOMEM, "out of host memory for an instance");
  layout(in, r);
  size_t bytes = (size_t)grt_rect_volume(r) * esize;
  void *p;
  int rc = grt__mem_alloc(mem, bytes, &p);
  if (rc < 0) {
    free(in);
    return rc;
  }
  in->data = p;
  in->bytes = bytes;
  in->mem = mem;
  atomic_init(&in->refs, 1);
  *out = in;
  return 0;
}

grt_instance_t *grt__inst_wrap(void *data, const grt_rect_t *r, size_t esize) {
  grt_instance_t *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  layout(in, r);
  in->data = data;
  in->bytes = (size_t)grt_rect_volume(r) * esize;
  atomic_init(&in->refs, 1);
  return in;
}

void grt__inst_unref(grt_instance_t *in) {
  if (!in) return;
  int before = atomic_fetch_sub_explicit(&in->refs, 1, memory_order_acq_rel);
  GRT_API_CHECK(before > 0);
  if (before != 1) return;
  if (in->mem) grt__mem_free(in->mem, in->data, in->bytes);
  free(in);
}

/* Visits @p r in runs along the last dim: the run's bytes in @p a (and @p b). */
#define FOR_EACH_RUN(r, pt, body)                                                               \
  do {                                                                                          \
    int64_t pt[GRT_MAX_DIM];                                                                    \
    memcpy(pt, (r)->lo, sizeof(int64_t) * (size_t)(r)->ndim);                                  \
    do body while (grt_rect_next_run((r)->ndim, (r)->lo, (r)->hi, pt));                         \
  } while (0)

void grt__inst_copy(grt_instance_t *dst, const grt_instance_t *src, const grt_rect_t *r,
                    size_t esize) {
  if (grt_rect_empty(r)) return;
  size_t run = (size_t)(r->hi[r->ndim - 1] - r->lo[r->ndim - 1] + 1) * esize;
  FOR_EACH_RUN(r, pt, { memcpy(grt__inst_at(dst, pt, esize), grt__inst_at(src, pt, esize), run); });
}

size_t grt__inst_pack(grt_instance_t *in, const grt_rect_t *r, size_t esize, unsigned char *buf,
                      bool pack) {
  if (grt_rect_empty(r)) return 0;
  size_t run = (size_t)(r->hi[r->ndim - 1] - r->lo[r->ndim - 1] + 1) * esize;
  size_t off = 0;
  FOR_EACH_RUN(r, pt, {
    void *at = grt__inst_at(in, pt, esize);
    if (pack)
      memcpy(buf + off, at, run);
    else
      memcpy(at, buf + off, run);
    off += run;
  });
  return off;
}

grt_instance_t *grt__inst_set_find(const grt_inst_set_t *set, const grt_rect_t *r) {
  for (int i = 0; i < set->n; i++)
    if (grt_rect_contains(&set->v[i]->r, r)) return set->v[i];
  return NULL;
}

int grt__inst_set_add(grt_inst_set_t *set, grt_instance_t *in) {
  if (set->n == set->cap) {
    int cap = set->cap ? set->cap * 2 : 4;
    grt_instance_t **v = realloc(set->v, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "out of host memory for an instance set");
    set->v = v;
    set->cap = cap;
  }
  set->v[set->n++] = in;
  return 0;
}

grt_instance_t *grt__inst_set_take(grt_inst_set_t *set, int i) {
  grt_instance_t *in = set->v[i];
  memmove(set->v + i, set->v + i + 1, sizeof *set->v * (size_t)(set->n - i - 1));
  set->n--;
  return in;
}

void grt__inst_set_free(grt_inst_set_t *set) {
  for (int i = 0; i < set->n; i++) grt__inst_unref(set->v[i]);
  free(set->v);
  memset(set, 0, sizeof *set);
}

size_t grt__inst_set_bytes(const grt_inst_set_t *set) {
  size_t b = 0;
  for (int i = 0; i < set->n; i++) b += set->v[i]->bytes;
  return b;
}
