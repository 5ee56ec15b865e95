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

/* Rebuilds the map: every piece meeting @p r is split at r's boundary. With
 * @p add_rank >= 0 the inner parts not held by it are reported to @p fn and
 * gain it; with add_rank < 0 the inner parts are dropped (valid everywhere). */
static int rebuild(grt_coh_t *c, const grt_rect_t *r, int add_rank, grt_coh_xfer_fn fn, void *ctx) {
  grt_coh_t out;
  grt__coh_init(&out, c->nranks);
  int rc = 0;
  int i = 0;
  for (; i < c->n && rc == 0; i++) {
    grt_piece_t *p = &c->v[i];
    grt_rect_t in;
    if (!grt_rect_intersect(&p->r, r, &in) || (add_rank >= 0 && has(c, p, add_rank))) {
      rc = push(&out, &p->r, p->owner, p->valid);
      continue;
    }
    rc = push_rest(&out, p, &in);
    if (rc == 0 && add_rank >= 0) {
      fn(ctx, p->owner, add_rank, &in);
      rc = push(&out, &in, p->owner, p->valid);
      if (rc == 0) out.v[out.n - 1].valid[add_rank / 64] |= (uint64_t)1 << (add_rank % 64);
    }
  }
  if (rc < 0) {
    grt__coh_free(&out);
    return rc;
  }
  grt__coh_free(c);
  *c = out;
  return 0;
}

int grt__coh_read(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn, void *ctx) {
  if (grt_rect_empty(r)) return 0;
  return rebuild(c, r, rank, fn, ctx);
}

int grt__coh_write(grt_coh_t *c, const grt_rect_t *r, int rank) {
  if (grt_rect_empty(r)) return 0;
  int rc = rebuild(c, r, -1, NULL, NULL);
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
  return rebuild(c, r, -1, NULL, NULL);
}
