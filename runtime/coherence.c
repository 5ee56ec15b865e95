/* coherence.c - the map of which ranks hold which values of a root: the
 * tiled layer (one record, local holdings) and the replicated pieces over it. */
#include "coherence.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "grt_error.h"

typedef struct frags {
  grt_rects_t a, b; /* double buffer for set differences */
} frags_t;

/* Scratch for the set differences; the map is used by one thread at a time.
 * Initial-exec: in a shared library the default model calls
 * __tls_get_addr at every use (GCC rematerializes it after each call), which
 * was a tenth of the planning cost of a halo; 32 bytes fit the static TLS
 * surplus even when libgrt is dlopen'ed. */
static _Thread_local frags_t scratch __attribute__((tls_model("initial-exec")));
/* The parts of pieces a read meets, in slot order; the stack of fragments
 * of an indexed subtraction (the default TLS model: used once per call). */
static _Thread_local grt_rects_t scratch_cuts;
typedef struct sub_stack {
  grt_rect_t *v;
  int n, cap;
} sub_stack_t;
static _Thread_local sub_stack_t sub_stack;
typedef struct grt_rix rix_t;
static void rix_free(rix_t *x);

void grt__coherence_init(grt_coh_t *c, int nranks, int rank) {
  memset(c, 0, sizeof *c);
  c->nranks = nranks;
  c->rank = rank;
  c->nwords = nranks / 64 + (nranks % 64 != 0); /* no overflow near INT_MAX */
}

static void drop_pieces(grt_coh_t *c) {
  for (int i = 0; i < c->n; i++) free(c->v[i].valid);
  c->n = 0;
  c->ndead = 0;
}

void grt__coherence_free(grt_coh_t *c) {
  drop_pieces(c);
  free(c->v);
  free(c->box);
  free(c->box2);
  grt__rects_free(&c->held);
  free(c->sent);
  rix_free(c->held_ix);
  rix_free(c->sent_ix);
  memset(c, 0, sizeof *c);
}

void grt__coherence_scratch_free(void) {
  grt__rects_free(&scratch.a);
  grt__rects_free(&scratch.b);
  grt__rects_free(&scratch_cuts);
  free(sub_stack.v);
  memset(&sub_stack, 0, sizeof sub_stack);
}

/* A piece's holders: inline up to 64 ranks, else on the heap. */
static uint64_t *bits_of(const grt_coh_t *c, grt_piece_t *p) {
  return c->nwords == 1 ? &p->valid1 : p->valid;
}

static bool has(const grt_coh_t *c, grt_piece_t *p, int rank) {
  return p->owner == GRT_COH_EVERYWHERE || ((bits_of(c, p)[rank / 64] >> (rank % 64)) & 1);
}

/* Widens the box of slot i's chunk to hold piece i (starts it at a chunk's
 * first slot). */
static void widen(grt_rect_t *b, const grt_rect_t *r, bool first) {
  if (first) {
    *b = *r;
    return;
  }
  for (int d = 0; d < r->ndim; d++) {
    if (r->lo[d] < b->lo[d]) b->lo[d] = r->lo[d];
    if (r->hi[d] > b->hi[d]) b->hi[d] = r->hi[d];
  }
}

static void box_add(grt_coh_t *c, int i) {
  const grt_rect_t *r = &c->v[i].r;
  widen(&c->box[i / GRT_COH_CHUNK], r, i % GRT_COH_CHUNK == 0);
  widen(&c->box2[i / (GRT_COH_CHUNK * GRT_COH_CHUNK)], r, i % (GRT_COH_CHUNK * GRT_COH_CHUNK) == 0);
}

static int push(grt_coh_t *c, const grt_rect_t *r, int owner, const uint64_t *valid) {
  if (c->n == c->cap) {
    int cap = c->cap ? c->cap * 2 : 16;
    grt_piece_t *v = realloc(c->v, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    c->v = v;
    c->cap = cap;
  }
  int nbox = c->n / GRT_COH_CHUNK + 1;
  if (nbox > c->capbox) {
    int cap = c->capbox ? c->capbox * 2 : GRT_COH_CHUNK;
    grt_rect_t *b = realloc(c->box, sizeof *b * (size_t)cap);
    if (!b) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    c->box = b;
    b = realloc(c->box2, sizeof *b * (size_t)(cap / GRT_COH_CHUNK));
    if (!b) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    c->box2 = b;
    c->capbox = cap;
  }
  uint64_t *bits = NULL, bits1 = 0;
  if (owner != GRT_COH_EVERYWHERE && c->nwords == 1) {
    bits1 = valid[0];
  } else if (owner != GRT_COH_EVERYWHERE) {
    bits = malloc(sizeof *bits * (size_t)c->nwords);
    if (!bits) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    memcpy(bits, valid, sizeof *bits * (size_t)c->nwords);
  }
  c->v[c->n] = (grt_piece_t){.r = *r, .owner = owner, .valid = bits, .valid1 = bits1};
  box_add(c, c->n++);
  return 0;
}

/* Drops piece i, leaving a dead slot that no scan can meet. */
static void kill(grt_coh_t *c, int i) {
  free(c->v[i].valid);
  c->v[i].valid = NULL;
  c->v[i].owner = GRT_COH_DEAD;
  c->v[i].r.hi[0] = c->v[i].r.lo[0] - 1; /* empty */
  c->ndead++;
}

/* Removes the dead slots once they are the majority (amortized O(1) per
 * drop), keeping the live pieces' order, and rebuilds the boxes. */
static void compact(grt_coh_t *c) {
  if (c->ndead <= GRT_COH_CHUNK || 2 * c->ndead <= c->n) return;
  int j = 0;
  for (int i = 0; i < c->n; i++)
    if (c->v[i].owner != GRT_COH_DEAD) c->v[j++] = c->v[i];
  c->n = j;
  c->ndead = 0;
  for (int i = 0; i < c->n; i++) box_add(c, i);
}

/* for (i over the slots [0, n) of chunks whose box, and whose group's box,
 * meets r) body: the scan every query of the pieces makes, in slot order. */
#define FOR_EACH_NEAR(c, n, r, i, body)                                                    \
  for (int g_ = 0; g_ * GRT_COH_CHUNK * GRT_COH_CHUNK < (n); g_++) {                        \
    if (!grt_rect_overlaps(&(c)->box2[g_], (r))) continue;                                  \
    for (int ch_ = g_ * GRT_COH_CHUNK; ch_ < (g_ + 1) * GRT_COH_CHUNK &&                    \
                                       ch_ * GRT_COH_CHUNK < (n); ch_++) {                  \
      if (!grt_rect_overlaps(&(c)->box[ch_], (r))) continue;                                \
      int end_ = (ch_ + 1) * GRT_COH_CHUNK < (n) ? (ch_ + 1) * GRT_COH_CHUNK : (n);          \
      for (int i = ch_ * GRT_COH_CHUNK; i < end_; i++) body                                 \
    }                                                                                       \
  }

/* Calls @p emit for each part of @p a outside @p cut: at most 2*ndim slabs,
 * dimension 0 first, the low slab before the high one. */
#define FOR_EACH_SLAB(a, cut, slab, body)                                                        \
  do {                                                                                           \
    grt_rect_t rest_ = *(a);                                                                     \
    for (int d_ = 0; d_ < rest_.ndim; d_++) {                                                    \
      if ((cut)->lo[d_] > rest_.lo[d_]) {                                                        \
        grt_rect_t slab = rest_;                                                                 \
        slab.hi[d_] = (cut)->lo[d_] - 1;                                                         \
        body;                                                                                    \
        rest_.lo[d_] = (cut)->lo[d_];                                                            \
      }                                                                                          \
      if ((cut)->hi[d_] < rest_.hi[d_]) {                                                        \
        grt_rect_t slab = rest_;                                                                 \
        slab.lo[d_] = (cut)->hi[d_] + 1;                                                         \
        body;                                                                                    \
        rest_.hi[d_] = (cut)->hi[d_];                                                            \
      }                                                                                          \
    }                                                                                            \
  } while (0)

/* Appends to the map the parts of piece @p p outside @p cut (same owner and
 * holders). */
static int push_rest(grt_coh_t *c, const grt_piece_t *p, const grt_rect_t *cut) {
  int rc = 0;
  const uint64_t *bits = c->nwords == 1 ? &p->valid1 : p->valid;
  FOR_EACH_SLAB(&p->r, cut, slab, if (rc == 0) rc = push(c, &slab, p->owner, bits));
  return rc < 0 ? GRT_ENOMEM : 0;
}

/* fs->a := fs->a minus @p cut (fragments in a fixed order). */
static int frags_cut(frags_t *fs, const grt_rect_t *cut) {
  fs->b.n = 0;
  int rc = 0;
  for (int i = 0; i < fs->a.n && rc == 0; i++) {
    const grt_rect_t *f = &fs->a.v[i];
    if (!grt_rect_overlaps(f, cut)) {
      rc = grt__rects_push(&fs->b, f);
      continue;
    }
    grt_rect_t in;
    grt_rect_intersect(f, cut, &in);
    FOR_EACH_SLAB(f, &in, slab, if (rc == 0) rc = grt__rects_push(&fs->b, &slab));
  }
  grt_rects_t t = fs->a;
  fs->a = fs->b;
  fs->b = t;
  return rc < 0 ? grt__error(GRT_ENOMEM, "coherence: out of host memory") : 0;
}

static int frags_start(frags_t *fs, const grt_rect_t *r) {
  fs->a.n = 0;
  return grt__rects_push(&fs->a, r) < 0 ? grt__error(GRT_ENOMEM, "coherence: out of host memory")
                                        : 0;
}

/* ---- an index over many rectangles: the earliest one meeting a query ----
 *
 * A k-d tree over rectangles, each with an id (its position in the list it
 * indexes) and a tag (the destination of a sent part; -1 otherwise). Each
 * node keeps the box of its rectangles and their least id, so that "the
 * least id among those meeting q (with tag t)" prunes the nodes that miss q
 * and those that cannot beat the best found. An appendable index (`rix`)
 * keeps trees of decreasing sizes (the logarithmic method: equal sizes are
 * merged, so each rectangle is rebuilt O(log n) times) and a short unsorted
 * tail. */

#define KD_LEAF 8
#define RIX_TAIL 32

typedef struct kitem {
  grt_rect_t r;
  int64_t key; /* centre (times 2) in the dimension being split */
  int id, tag;
} kitem_t;

typedef struct kd {
  kitem_t *it;
  int n;
  grt_rect_t *box; /* per node (heap numbering: children 2i, 2i + 1) */
  int *mn;         /* per node: least id */
} kd_t;

struct grt_rix {
  kd_t t[48];
  int nt;
  kitem_t tail[RIX_TAIL];
  int ntail;
  int covered; /* entries of the indexed list already in */
};

static int cmp_kitem(const void *a, const void *b) {
  const kitem_t *x = a, *y = b;
  if (x->key != y->key) return x->key < y->key ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

static void kswap(kitem_t *a, kitem_t *b) {
  kitem_t t = *a;
  *a = *b;
  *b = t;
}

/* Quickselect: it[m] gets the item of rank m - b in [b, e) (by key, then
 * id), the smaller ones before it, the larger after: O(e - b) expected, so
 * a tree costs O(n log n) to build. */
static void kd_select(kitem_t *it, int b, int e, int m) {
  while (e - b > 1) {
    int mid = b + (e - b) / 2, last = e - 1;
    /* median of three as the pivot, moved to the end */
    if (cmp_kitem(&it[mid], &it[b]) < 0) kswap(&it[mid], &it[b]);
    if (cmp_kitem(&it[last], &it[b]) < 0) kswap(&it[last], &it[b]);
    if (cmp_kitem(&it[mid], &it[last]) < 0) kswap(&it[mid], &it[last]);
    int s = b;
    for (int i = b; i < last; i++)
      if (cmp_kitem(&it[i], &it[last]) < 0) kswap(&it[i], &it[s++]);
    kswap(&it[s], &it[last]);
    if (s == m) return;
    if (m < s)
      e = s;
    else
      b = s + 1;
  }
}

static void kd_build_at(kd_t *t, int node, int b, int e) {
  grt_rect_t box = t->it[b].r;
  int mn = t->it[b].id;
  for (int i = b + 1; i < e; i++) {
    widen(&box, &t->it[i].r, false);
    if (t->it[i].id < mn) mn = t->it[i].id;
  }
  t->box[node] = box;
  t->mn[node] = mn;
  if (e - b <= KD_LEAF) return;
  int dim = 0;
  int64_t w = -1;
  for (int d = 0; d < box.ndim; d++)
    if (box.hi[d] - box.lo[d] > w) w = box.hi[d] - box.lo[d], dim = d;
  for (int i = b; i < e; i++) t->it[i].key = t->it[i].r.lo[dim] + t->it[i].r.hi[dim];
  int m = b + (e - b) / 2;
  kd_select(t->it, b, e, m);
  kd_build_at(t, 2 * node, b, m);
  kd_build_at(t, 2 * node + 1, m, e);
}

static void kd_free(kd_t *t) {
  free(t->it);
  free(t->box);
  free(t->mn);
  memset(t, 0, sizeof *t);
}

/* Builds @p t over @p it[0 .. n) (n > 0), taking the array. */
static int kd_build(kd_t *t, kitem_t *it, int n) {
  int depth = 0;
  for (int64_t s = n; s > KD_LEAF; s = (s + 1) / 2) depth++;
  size_t nodes = (size_t)2 << depth;
  t->it = it;
  t->n = n;
  t->box = malloc(sizeof *t->box * nodes);
  t->mn = malloc(sizeof *t->mn * nodes);
  if (!t->box || !t->mn) {
    kd_free(t);
    return grt__error(GRT_ENOMEM, "coherence: out of host memory");
  }
  kd_build_at(t, 1, 0, n);
  return 0;
}

static void kd_query_at(const kd_t *t, int node, int b, int e, const grt_rect_t *q, int tag,
                        int *best) {
  if (t->mn[node] >= *best || !grt_rect_overlaps(&t->box[node], q)) return;
  if (e - b <= KD_LEAF) {
    for (int i = b; i < e; i++)
      if (t->it[i].id < *best && (tag < 0 || t->it[i].tag == tag) &&
          grt_rect_overlaps(&t->it[i].r, q))
        *best = t->it[i].id;
    return;
  }
  int m = b + (e - b) / 2;
  if (t->mn[2 * node + 1] < t->mn[2 * node]) {
    kd_query_at(t, 2 * node + 1, m, e, q, tag, best);
    kd_query_at(t, 2 * node, b, m, q, tag, best);
  } else {
    kd_query_at(t, 2 * node, b, m, q, tag, best);
    kd_query_at(t, 2 * node + 1, m, e, q, tag, best);
  }
}

static void rix_reset(rix_t *x) {
  for (int i = 0; i < x->nt; i++) kd_free(&x->t[i]);
  x->nt = 0;
  x->ntail = 0;
  x->covered = 0;
}

static void rix_free(rix_t *x) {
  if (!x) return;
  rix_reset(x);
  free(x);
}

static int rix_add(rix_t *x, const grt_rect_t *r, int id, int tag) {
  x->tail[x->ntail++] = (kitem_t){.r = *r, .id = id, .tag = tag};
  x->covered++;
  if (x->ntail < RIX_TAIL) return 0;
  int n = x->ntail;
  kitem_t *it = malloc(sizeof *it * (size_t)n);
  if (!it) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
  memcpy(it, x->tail, sizeof *it * (size_t)n);
  x->ntail = 0;
  while (x->nt > 0 && x->t[x->nt - 1].n <= n) { /* merge equal (or smaller) sizes */
    kd_t *t = &x->t[x->nt - 1];
    kitem_t *m = realloc(it, sizeof *it * (size_t)(n + t->n));
    if (!m) {
      free(it);
      return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    }
    it = m;
    memcpy(it + n, t->it, sizeof *it * (size_t)t->n);
    n += t->n;
    kd_free(t);
    x->nt--;
  }
  int rc = kd_build(&x->t[x->nt], it, n);
  if (rc < 0) return rc;
  x->nt++;
  return 0;
}

/* The least id (with tag @p tag, unless < 0) of the rectangles meeting @p q;
 * INT_MAX if none. */
static int rix_first(const rix_t *x, const grt_rect_t *q, int tag) {
  int best = INT_MAX;
  for (int i = 0; i < x->nt; i++) kd_query_at(&x->t[i], 1, 0, x->t[i].n, q, tag, &best);
  for (int i = 0; i < x->ntail; i++)
    if (x->tail[i].id < best && (tag < 0 || x->tail[i].tag == tag) &&
        grt_rect_overlaps(&x->tail[i].r, q))
      best = x->tail[i].id;
  return best;
}

/* out += @p r minus the rectangles @p cut(id) the index holds, as the
 * one-at-a-time subtraction in id order gives them: a fragment is left
 * alone by every cut before the first one meeting it, then replaced by its
 * slabs outside that cut, each of which the cuts up to that one miss. */

static int subtract_ix(grt_rects_t *out, const grt_rect_t *r, const rix_t *x, int tag,
                       const grt_rect_t *(*cut)(const void *, int), const void *ctx) {
  sub_stack_t *st = &sub_stack;
  st->n = 0;
  grt_rect_t slabs[2 * GRT_RECT_MAX_DIM];
  int ns;
  grt_rect_t cur = *r;
  for (;;) {
    int id = rix_first(x, &cur, tag);
    if (id == INT_MAX) {
      if (grt__rects_push(out, &cur) < 0)
        return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    } else {
      grt_rect_t in;
      grt_rect_intersect(&cur, cut(ctx, id), &in);
      ns = 0;
      FOR_EACH_SLAB(&cur, &in, slab, slabs[ns++] = slab);
      if (st->cap - st->n < ns) {
        int cap = st->cap ? st->cap * 2 : 64;
        while (cap - st->n < ns) cap *= 2;
        grt_rect_t *v = realloc(st->v, sizeof *v * (size_t)cap);
        if (!v) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
        st->v = v;
        st->cap = cap;
      }
      for (int i = ns - 1; i >= 0; i--) st->v[st->n++] = slabs[i];
    }
    if (st->n == 0) return 0;
    cur = st->v[--st->n];
  }
}

static const grt_rect_t *cut_of_array(const void *ctx, int id) {
  return &((const grt_rect_t *)ctx)[id];
}

int grt__coherence_subtract(grt_rects_t *out, const grt_rect_t *r, const grt_rect_t *cuts, int n) {
  if (grt_rect_empty(r)) return 0;
  rix_t *x = calloc(1, sizeof *x);
  if (!x) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    if (!grt_rect_empty(&cuts[i])) rc = rix_add(x, &cuts[i], i, -1);
  if (rc == 0) rc = subtract_ix(out, r, x, -1, cut_of_array, cuts);
  rix_free(x);
  return rc;
}

bool grt__coherence_pieces_meet(const grt_coh_t *c, const grt_rect_t *r) {
  FOR_EACH_NEAR(c, c->n, r, i, {
    if (grt_rect_overlaps(&c->v[i].r, r)) return true;
  })
  return false;
}

/* Subtractions by up to this many rectangles are done one at a time; more
 * go through an index (the same fragments, in the same order). */
#define SUBTRACT_DIRECT 32

int grt__coherence_read_pieces(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn,
                         void *ctx, grt_rects_t *rest) {
  if (grt_rect_empty(r)) return 0;
  frags_t *fs = &scratch;
  grt_rects_t *cuts = &scratch_cuts;
  int rc = 0;
  cuts->n = 0;
  /* In place: a piece meeting r shrinks to the intersection (which gains
   * `rank`) and its outside parts are appended; they are disjoint from r, so
   * the scan over the original pieces need not see them. */
  int n = c->n, k = 0;
  FOR_EACH_NEAR(c, n, r, i, {
    if (rc != 0) break;
    grt_rect_t in;
    if (!grt_rect_intersect(&c->v[i].r, r, &in)) continue;
    if (rest && grt__rects_push(cuts, &in) < 0) {
      rc = grt__error(GRT_ENOMEM, "coherence: out of host memory");
      break;
    }
    if (has(c, &c->v[i], rank)) continue;
    fn(ctx, c->v[i].owner, rank, &in, -1, k++);
    grt_piece_t p = c->v[i]; /* push may move the array */
    if ((rc = push_rest(c, &p, &in)) < 0) break;
    c->v[i].r = in; /* shrinks: its chunk's box still holds it */
    bits_of(c, &c->v[i])[rank / 64] |= (uint64_t)1 << (rank % 64);
  })
  if (!rest || rc != 0) return rc;
  /* The parts of r in no piece: r minus the pieces one at a time, in slot
   * order, or the same through an index when they are many (a strided
   * write leaves thousands). */
  if (cuts->n > SUBTRACT_DIRECT) return grt__coherence_subtract(rest, r, cuts->v, cuts->n);
  rc = frags_start(fs, r);
  for (int i = 0; i < cuts->n && rc == 0; i++) rc = frags_cut(fs, &cuts->v[i]);
  for (int i = 0; rc == 0 && i < fs->a.n; i++)
    if (grt__rects_push(rest, &fs->a.v[i]) < 0)
      rc = grt__error(GRT_ENOMEM, "coherence: out of host memory");
  return rc;
}

/* ---- the tiled layer ---- */

static int owner_of(const grt_coh_t *c, int64_t lin) { return grt__sharding_rank(&c->sh, lin); }

int grt__coherence_owner(const grt_coh_t *c, int64_t lin) { return owner_of(c, lin); }

void grt__coherence_my_tiles(const grt_coh_t *c, int64_t *lo, int64_t *hi) {
  grt__sharding_range(&c->sh, c->rank, lo, hi);
}

void grt__coherence_tile_rect(const grt_coh_t *c, int64_t lin, grt_rect_t *out) {
  int64_t color[GRT_MAX_DIM];
  for (int d = c->t.ndim - 1; d >= 0; d--) {
    color[d] = lin % c->t.colors[d];
    lin /= c->t.colors[d];
  }
  grt__tiling_rect(&c->t, color, out);
}

static int held_push(grt_coh_t *c, int dst, const grt_rect_t *r) {
  if (dst == c->rank)
    return grt__rects_push(&c->held, r) < 0 ? grt__error(GRT_ENOMEM, "coherence: out of host memory")
                                            : 0;
  if (c->nsent == c->capsent) {
    int cap = c->capsent ? c->capsent * 2 : 16;
    grt_coh_sent_t *v = realloc(c->sent, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    c->sent = v;
    c->capsent = cap;
  }
  c->sent[c->nsent++] = (grt_coh_sent_t){dst, *r};
  return 0;
}

int grt__coherence_record(grt_coh_t *c, int dst, const grt_rect_t *r) {
  return held_push(c, dst, r);
}

/* The index over `held` (@p sent false) or `sent`, brought up to date;
 * NULL while the list is short enough to scan. */
static rix_t *ix_of(grt_coh_t *c, bool sent, int *rc) {
  int n = sent ? c->nsent : c->held.n;
  rix_t **px = sent ? &c->sent_ix : &c->held_ix;
  *rc = 0;
  if (n <= SUBTRACT_DIRECT) return NULL;
  if (!*px && !(*px = calloc(1, sizeof **px))) {
    *rc = grt__error(GRT_ENOMEM, "coherence: out of host memory");
    return NULL;
  }
  rix_t *x = *px;
  if (x->covered > n) rix_reset(x);
  for (int i = x->covered; i < n && *rc == 0; i++)
    *rc = sent ? rix_add(x, &c->sent[i].r, i, c->sent[i].dst) : rix_add(x, &c->held.v[i], i, -1);
  if (*rc < 0) rix_reset(x);
  return *rc < 0 ? NULL : x;
}

static const grt_rect_t *cut_of_held(const void *ctx, int id) {
  return &((const grt_coh_t *)ctx)->held.v[id];
}

static const grt_rect_t *cut_of_sent(const void *ctx, int id) {
  return &((const grt_coh_t *)ctx)->sent[id].r;
}

/* The part of tile @p lin (colour @p col, owner @p src: the caller has
 * them) that @p rank reads in @p r, minus what it holds already (reader:
 * `held`; owner: what it sent to that rank). */
static int read_tile(grt_coh_t *c, const grt_rect_t *r, int rank, int64_t lin,
                     const int64_t *col, int src, grt_coh_xfer_fn fn, void *ctx) {
  grt_rect_t tile, part;
  grt__tiling_rect(&c->t, col, &tile);
  if (!grt_rect_intersect(&tile, r, &part)) return 0;
  bool mine = rank == c->rank;
  int rc;
  rix_t *x = ix_of(c, !mine, &rc);
  if (rc < 0) return rc;
  /* Nothing held (or sent) meets the part, as for a halo read once after
   * each write: it is the one fragment. */
  bool seen = false;
  if (x) {
    seen = rix_first(x, &part, mine ? -1 : rank) != INT_MAX;
  } else if (mine) {
    for (int i = 0; i < c->held.n && !seen; i++) seen = grt_rect_overlaps(&c->held.v[i], &part);
  } else {
    for (int i = 0; i < c->nsent && !seen; i++)
      seen = c->sent[i].dst == rank && grt_rect_overlaps(&c->sent[i].r, &part);
  }
  if (!seen) {
    fn(ctx, src, rank, &part, lin, 0);
    return held_push(c, rank, &part);
  }
  frags_t *fs = &scratch;
  if (x) {
    fs->a.n = 0;
    rc = subtract_ix(&fs->a, &part, x, mine ? -1 : rank, mine ? cut_of_held : cut_of_sent, c);
  } else {
    rc = frags_start(fs, &part);
    if (mine) {
      for (int i = 0; i < c->held.n && rc == 0 && fs->a.n; i++)
        if (grt_rect_overlaps(&c->held.v[i], &part)) rc = frags_cut(fs, &c->held.v[i]);
    } else {
      for (int i = 0; i < c->nsent && rc == 0 && fs->a.n; i++)
        if (c->sent[i].dst == rank && grt_rect_overlaps(&c->sent[i].r, &part))
          rc = frags_cut(fs, &c->sent[i].r);
    }
  }
  for (int k = 0; k < fs->a.n && rc == 0; k++) {
    fn(ctx, src, rank, &fs->a.v[k], lin, k);
    rc = held_push(c, rank, &fs->a.v[k]);
  }
  return rc;
}

int grt__coherence_read_tiled(grt_coh_t *c, const grt_rect_t *r, int rank, grt_coh_xfer_fn fn,
                        void *ctx) {
  if (!c->tiled || grt_rect_empty(r)) return 0;
  int nd = c->t.ndim;
  int64_t clo[GRT_MAX_DIM], chi[GRT_MAX_DIM], box = 1;
  for (int d = 0; d < nd; d++) {
    int64_t lo = r->lo[d] < 0 ? 0 : r->lo[d], hi = r->hi[d];
    clo[d] = lo / c->t.tile[d];
    chi[d] = hi / c->t.tile[d];
    if (chi[d] > c->t.colors[d] - 1) chi[d] = c->t.colors[d] - 1;
    if (clo[d] > chi[d]) return 0;
    box *= chi[d] - clo[d] + 1;
  }
  int rc = 0;
  if (rank != c->rank) {
    /* Only this rank's tiles matter: visit the fewer of them and the box. */
    int64_t t0, t1;
    grt__coherence_my_tiles(c, &t0, &t1);
    if (t1 - t0 < box) {
      for (int64_t lin = t0; lin < t1 && rc == 0; lin++) {
        int64_t l = lin, x[GRT_MAX_DIM];
        bool in = true;
        for (int d = nd - 1; d >= 0; d--) {
          x[d] = l % c->t.colors[d];
          l /= c->t.colors[d];
          in &= x[d] >= clo[d] && x[d] <= chi[d];
        }
        if (in && owner_of(c, lin) == c->rank) rc = read_tile(c, r, rank, lin, x, c->rank, fn, ctx);
      }
      return rc;
    }
  }
  int64_t col[GRT_MAX_DIM];
  memcpy(col, clo, sizeof(int64_t) * (size_t)nd);
  do {
    int64_t lin = 0;
    for (int d = 0; d < nd; d++) lin = lin * c->t.colors[d] + col[d];
    int o = owner_of(c, lin);
    if (o != rank && (rank == c->rank || o == c->rank) &&
        (rc = read_tile(c, r, rank, lin, col, o, fn, ctx)) < 0)
      return rc;
  } while (grt_rect_next_point(nd, clo, chi, col));
  return 0;
}

/* ---- what this rank holds ---- */

bool grt__coherence_holds_any(const grt_coh_t *c, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return false;
  grt_rects_t cuts = {0}, rest = {0};
  bool any = false, oom = false;
  FOR_EACH_NEAR(c, c->n, r, i, {
    grt_rect_t in;
    if (any || oom || !grt_rect_intersect(&c->v[i].r, r, &in)) continue;
    if (has(c, &c->v[i], c->rank))
      any = true;
    else
      oom = grt__rects_push(&cuts, &in) < 0;
  })
  /* Outside the pieces (r itself when none meets it): everywhere without a
   * tiled layer; else this rank's tiles and the copies it holds. Out of
   * memory: keep it. */
  const grt_rect_t *part = r;
  int nparts = 1;
  if (!any && !oom && cuts.n > 0) {
    oom = grt__coherence_subtract(&rest, r, cuts.v, cuts.n) < 0;
    part = rest.v;
    nparts = rest.n;
  }
  if (!any && !oom && nparts > 0) {
    if (!c->tiled) any = true;
    int64_t t0 = 0, t1 = 0;
    if (c->tiled) grt__coherence_my_tiles(c, &t0, &t1);
    for (int k = 0; k < nparts && !any; k++) {
      for (int64_t lin = t0; lin < t1 && !any; lin++) {
        if (owner_of(c, lin) != c->rank) continue;
        grt_rect_t tile;
        grt__coherence_tile_rect(c, lin, &tile);
        any = grt_rect_overlaps(&tile, &part[k]);
      }
      for (int i = 0; i < c->held.n && !any; i++) any = grt_rect_overlaps(&c->held.v[i], &part[k]);
    }
  }
  grt__rects_free(&cuts);
  grt__rects_free(&rest);
  return any || oom;
}

bool grt__coherence_copies_only(const grt_coh_t *c, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return false;
  grt_rects_t cuts = {0}, rest = {0};
  bool ok = true;
  FOR_EACH_NEAR(c, c->n, r, i, {
    const grt_piece_t *p = &c->v[i];
    if (!ok || p->owner == GRT_COH_DEAD || !grt_rect_overlaps(&p->r, r)) continue;
    if (p->owner == c->rank || p->owner == GRT_COH_EVERYWHERE ||
        (has(c, &c->v[i], c->rank) && !grt_rect_contains(r, &p->r)) ||
        grt__rects_push(&cuts, &p->r) < 0)
      ok = false;
  })
  if (ok && grt__coherence_subtract(&rest, r, cuts.v, cuts.n) < 0) ok = false;
  if (ok && rest.n > 0) {
    if (!c->tiled) ok = false;
    int64_t t0 = 0, t1 = 0;
    if (ok) grt__coherence_my_tiles(c, &t0, &t1);
    for (int k = 0; k < rest.n && ok; k++)
      for (int64_t lin = t0; lin < t1 && ok; lin++) {
        if (owner_of(c, lin) != c->rank) continue;
        grt_rect_t tile;
        grt__coherence_tile_rect(c, lin, &tile);
        ok = !grt_rect_overlaps(&tile, &rest.v[k]);
      }
  }
  for (int i = 0; i < c->held.n && ok; i++)
    if (grt_rect_overlaps(&c->held.v[i], r) && !grt_rect_contains(r, &c->held.v[i])) ok = false;
  grt__rects_free(&cuts);
  grt__rects_free(&rest);
  return ok;
}

int grt__coherence_drop(grt_coh_t *c, int rank, const grt_rect_t *r) {
  FOR_EACH_NEAR(c, c->n, r, i, {
    grt_piece_t *p = &c->v[i];
    if (p->owner == GRT_COH_DEAD || p->owner == rank || p->owner == GRT_COH_EVERYWHERE ||
        !grt_rect_contains(r, &p->r) || grt_rect_empty(&p->r))
      continue;
    bits_of(c, p)[rank / 64] &= ~((uint64_t)1 << (rank % 64));
  })
  /* In order, so that reader and owner keep equal lists. */
  if (rank == c->rank) {
    int k = 0;
    for (int i = 0; i < c->held.n; i++)
      if (!grt_rect_contains(r, &c->held.v[i])) c->held.v[k++] = c->held.v[i];
    c->held.n = k;
  } else {
    int k = 0;
    for (int i = 0; i < c->nsent; i++)
      if (c->sent[i].dst != rank || !grt_rect_contains(r, &c->sent[i].r)) c->sent[k++] = c->sent[i];
    c->nsent = k;
  }
  if (c->held_ix) rix_reset(c->held_ix);
  if (c->sent_ix) rix_reset(c->sent_ix);
  return 0;
}

/* ---- writes ---- */

/* Removes r from every piece: outside parts are appended, pieces inside r
 * dropped. */
static int cut_all(grt_coh_t *c, const grt_rect_t *r) {
  int n = c->n;
  FOR_EACH_NEAR(c, n, r, i, {
    grt_rect_t in;
    if (!grt_rect_intersect(&c->v[i].r, r, &in)) continue;
    grt_piece_t p = c->v[i]; /* push may move the array */
    if (push_rest(c, &p, &in) < 0) return GRT_ENOMEM;
    kill(c, i);
  })
  compact(c);
  return 0;
}

int grt__coherence_write(grt_coh_t *c, const grt_rect_t *r, int rank) {
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

int grt__coherence_everywhere(grt_coh_t *c, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return 0;
  int rc = cut_all(c, r);
  /* Over the tiled layer the piece must mask it; elsewhere absence says it. */
  if (rc == 0 && c->tiled) rc = push(c, r, GRT_COH_EVERYWHERE, NULL);
  return rc;
}

void grt__coherence_set_tiled(grt_coh_t *c, const grt_tiling_t *t, const grt_sharding_t *sh) {
  drop_pieces(c);
  c->tiled = true;
  c->t = *t;
  c->sh = *sh;
  c->held.n = 0;
  c->nsent = 0;
  if (c->held_ix) rix_reset(c->held_ix);
  if (c->sent_ix) rix_reset(c->sent_ix);
}

/* ---- coalescing ---- */

/* Rectangles grt__coherence_coalesce merges: above this the pairwise pass would
 * cost more than it saves. */
#define COALESCE_MAX 32

/* @p x takes in @p y when their union is one rectangle: one contains the
 * other, or they differ in one dimension only and touch or overlap there. */
static bool absorb(grt_rect_t *x, const grt_rect_t *y) {
  int nd = x->ndim, ndiff = 0, diff = 0;
  bool x_has_y = true, y_has_x = true;
  for (int d = 0; d < nd; d++) {
    if (y->lo[d] > x->hi[d] + 1 || x->lo[d] > y->hi[d] + 1) return false; /* apart */
    x_has_y &= y->lo[d] >= x->lo[d] && y->hi[d] <= x->hi[d];
    y_has_x &= x->lo[d] >= y->lo[d] && x->hi[d] <= y->hi[d];
    if (x->lo[d] != y->lo[d] || x->hi[d] != y->hi[d]) ndiff++, diff = d;
  }
  if (x_has_y) return true;
  if (y_has_x) {
    *x = *y;
    return true;
  }
  if (ndiff != 1) return false;
  if (y->lo[diff] < x->lo[diff]) x->lo[diff] = y->lo[diff];
  if (y->hi[diff] > x->hi[diff]) x->hi[diff] = y->hi[diff];
  return true;
}

int grt__coherence_coalesce(grt_rects_t *out, const grt_rect_t *v, int n) {
  int s = out->n;
  if (n <= 0) return 0;
  if (out->cap - s < n) { /* room for all of them at once */
    int cap = out->cap ? out->cap : 8;
    while (cap - s < n) cap *= 2;
    grt_rect_t *nv = realloc(out->v, sizeof *nv * (size_t)cap);
    if (!nv) return grt__error(GRT_ENOMEM, "coherence: out of host memory");
    out->v = nv;
    out->cap = cap;
  }
  int m = 0;
  for (int i = 0; i < n; i++)
    if (!grt_rect_empty(&v[i])) out->v[s + m++] = v[i];
  out->n = s + m;
  if (m > COALESCE_MAX) return 0;
  /* One pass: a rectangle that grows looks again at those after it. Not
   * always the fewest rectangles, but always the same union. */
  grt_rect_t *a = out->v + s;
  for (int i = 0; i < m; i++)
    for (int j = i + 1; j < m;)
      if (absorb(&a[i], &a[j])) {
        a[j] = a[--m];
        j = i + 1;
      } else {
        j++;
      }
  out->n = s + m;
  return 0;
}
