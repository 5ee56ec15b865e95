/* coherence.c - the replicated map of which ranks hold which values of a root. */
#include "coherence.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void grt__coh_init(grt_coh_t *c, int nranks) {
  memset(c, 0, sizeof *c);
  c->nranks = nranks;
  c->nwords = (nranks + 63) / 64;
}

void grt__coh_free(grt_coh_t *c) {
  for (int i = 0; i < c->n; i++) free(c->v[i].valid);
  free(c->v);
  memset(c, 0, sizeof *c);
}

static bool has(const grt_coh_t *c, const grt_piece_t *p, int rank) {
  (void)c;
  return (p->valid[rank / 64] >> (rank % 64)) & 1;
}

static int push(grt_coh_t *c, const grt_rect_t *r, int owner, const uint64_t *valid) {
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    grt_piece_t *v = realloc(c->v, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    c->v = v;
    c->cap = cap;
  }
  uint64_t *bits = malloc(sizeof *bits * (size_t)c->nwords);
  if (!bits) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
  memcpy(bits, valid, sizeof *bits * (size_t)c->nwords);
  c->v[c->n++] = (grt_piece_t){.r = *r, .owner = owner, .valid = bits};
  return 0;
}

/* Appends to @p out the parts of piece @p p outside @p cut (up to 2*ndim
 * pieces, same owner and holders). */
static int push_rest(grt_coh_t *out, const grt_piece_t *p, const grt_rect_t *cut) {
  grt_rect_t rest = p->r;
  for (int d = 0; d < rest.ndim; d++) {
    if (cut->lo[d] > rest.lo[d]) {
      grt_rect_t below = rest;
      below.hi[d] = cut->lo[d] - 1;
      if (push(out, &below, p->owner, p->valid) < 0) return GRT_ENOMEM;
      rest.lo[d] = cut->lo[d];
    }
    if (cut->hi[d] < rest.hi[d]) {
      grt_rect_t above = rest;
      above.lo[d] = cut->hi[d] + 1;
      if (push(out, &above, p->owner, p->valid) < 0) return GRT_ENOMEM;
      rest.hi[d] = cut->hi[d];
    }
  }
  return 0;
}

int grt__coh_read(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn, void *ctx) {
  if (grt_rect_empty(r)) return 0;
  /* In place: a piece meeting r shrinks to the intersection (which gains
   * `rank`) and its outside parts are appended; they are disjoint from r, so
   * the scan over the original pieces need not see them. */
  int n = c->n;
  for (int i = 0; i < n; i++) {
    grt_rect_t in;
    if (has(c, &c->v[i], rank) || !grt_rect_intersect(&c->v[i].r, r, &in)) continue;
    fn(ctx, c->v[i].owner, rank, &in);
    grt_piece_t p = c->v[i]; /* push may move the array */
    if (push_rest(c, &p, &in) < 0) return GRT_ENOMEM;
    c->v[i].r = in;
    c->v[i].valid[rank / 64] |= (uint64_t)1 << (rank % 64);
  }
  return 0;
}

/* Removes r from every piece: outside parts are appended, pieces inside r
 * dropped. */
static int cut_all(grt_coh_t *c, const grt_rect_t *r) {
  int n = c->n;
  bool any = false;
  for (int i = 0; i < n; i++) {
    grt_rect_t in;
    if (!grt_rect_intersect(&c->v[i].r, r, &in)) continue;
    grt_piece_t p = c->v[i];
    if (push_rest(c, &p, &in) < 0) return GRT_ENOMEM;
    c->v[i].owner = -1; /* dropped below */
    any = true;
  }
  if (!any) return 0;
  int j = 0;
  for (int i = 0; i < c->n; i++) {
    if (c->v[i].owner < 0) {
      free(c->v[i].valid);
      continue;
    }
    c->v[j++] = c->v[i];
  }
  c->n = j;
  return 0;
}

int grt__coh_write(grt_coh_t *c, const grt_rect_t *r, int rank) {
  if (grt_rect_empty(r)) return 0;
  int rc = cut_all(c, r);
  if (rc < 0) return rc;
  uint64_t bits[16];
  uint64_t *valid = c->nwords <= 16 ? bits : calloc((size_t)c->nwords, sizeof *valid);
  if (!valid) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
  memset(valid, 0, sizeof *valid * (size_t)c->nwords);
  valid[rank / 64] |= (uint64_t)1 << (rank % 64);
  rc = push(c, r, rank, valid);
  if (valid != bits) free(valid);
  return rc;
}

int grt__coh_everywhere(grt_coh_t *c, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return 0;
  return cut_all(c, r);
}
