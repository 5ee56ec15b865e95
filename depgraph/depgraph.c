/* depgraph.c - the dependence analyzer: live access pieces in spatial treaps.
 *
 * Structure (the choice the issue asks us to document; see docs/depgraph.md).
 * Every live entry is one rectangle piece of an earlier access. All pieces
 * live in one treap: a balanced binary search tree keyed by the Z-order
 * (Morton order) of the piece's low corner, ties broken by a unique sequence
 * number; each node stores, for each of its two subtrees, the bounding box,
 * the privilege classes present and the min/max reduction operator, so a
 * read skips subtrees holding only reads and a reduction skips subtrees
 * holding only its own operator's reductions. (Three trees, one per class,
 * cost one or two extra root-to-leaf walks per access: ~1.4x slower.) The heap priority is the
 * number of trailing zero bits of the corner's Morton code (random bits
 * below): corners of coarse quadtree cells rise to the top, so subtrees are
 * unions of aligned Z-order blocks and their boxes are compact -- a binary,
 * dynamically balanced cousin of a Morton-ordered R-tree / quadtree. Random
 * priorities alone made subtrees straddle the curve's jumps and cost 4x more
 * node visits.
 *   - insert, delete: O(log n) expected (treap split/merge, boxes fixed on
 *     the path);
 *   - overlap query: visits only subtrees whose box meets the query. For
 *     pieces and queries of comparable size (tiles, halos, random boxes) this
 *     is O(log n + k) expected, k the number of overlapping pieces; the
 *     worst case for adversarial shapes (long thin slabs crossing many small
 *     pieces) is the kd-tree bound O(n^(1-1/d) + k). A 1-D interval tree per
 *     dimension would not help there either (it returns the slab's candidates
 *     in one dimension); a range tree would cost O(n log^(d-1) n) memory.
 *   - the tree code lives in depgraph_tree.h, compiled once per dimension
 *     count behind a table of function pointers (dg_ops_t).
 *
 * Semantics (the invariants the proofs in docs/depgraph.md rely on):
 *   I1 every live piece is a subset of its access's rectangles;
 *   I2 for every access X that is not complete and every point p of X, either
 *      a live piece of X covers p, or a live piece of a writer Y covers p and Y
 *      is ordered after X by reported edges (directly or transitively), or an
 *      access ordered after X has completed (so X has, by the done() contract);
 *   I3 a WRITE/READ_WRITE query removes every earlier piece it overlaps (after
 *      reporting it) and re-inserts the parts outside the written rectangles,
 *      which keeps I2 because any later access touching p conflicts with the
 *      writer at p;
 *   reads and reductions never remove anything.
 * An edge is only reported between a new access and a live piece that really
 * overlaps it under the conflict rule, so precision follows from I1.
 *
 * Memory: nodes and access records come from chunked pools with free lists
 * (pointers stay valid while pools grow); queries recurse on the C stack and
 * allocate nothing. grt__dg_add() reports edges first, then mutates; every
 * mutation is logged in intrusive lists so that an allocation failure undoes
 * the batch without allocating (the header's "analyzer unchanged" promise).
 */
#include "depgraph.h"

#include <stdlib.h>
#include <string.h>

#define DG_EINVAL (-1) /* same values as GRT_EINVAL / GRT_ENOMEM in grt.h */
#define DG_ENOMEM (-2)

enum { CLS_READ = 0, CLS_WRITE = 1, CLS_REDUCE = 2 };
#define CLS_BIT(c) ((uint8_t)(1u << (c)))

#define NODE_CHUNK 1024
#define REC_CHUNK 512

/* One access (operation x store) with its live pieces. A record lives while it
 * has pieces, or while the batch that created it is being added. */
typedef struct dg_rec {
  uint64_t id;
  uint64_t stamp;       /* last query serial that reported this access */
  uint64_t pstamp;      /* last prune serial that asked done() */
  struct dg_rec *next;  /* free list / batch list */
  uint32_t npieces;     /* live pieces (including ones removed in the open batch) */
  int redop;
  uint8_t cls;
  uint8_t pdone;        /* done() answer for pstamp */
} dg_rec_t;

/* Node flags. NODE_SLAB: the node was cut and its low slab in dimension
 * (flags >> SLAB_SHIFT) already took its place in the tree (see take_place in
 * depgraph_tree.h); finish_pass makes the other remainders. */
enum { NODE_REMOVED = 1, NODE_FRESH = 2, NODE_SLAB = 4, SLAB_SHIFT = 8 };

/* One live piece, a treap node; see depgraph_tree.h for the tail v[]
 * (children's boxes, then the piece). The key is (Morton order of the low
 * corner, seq); the priority puts coarse quadtree corners on top. */
typedef struct dg_node {
  struct dg_node *l, *r;
  dg_rec_t *rec;
  int lop[2], rop[2];    /* min/max redop of the left / right subtree */
  uint32_t prio;
  uint16_t flags;
  uint8_t lmask, rmask;  /* CLS_BITs of the classes in the left / right subtree */
  uint64_t seq;          /* ties in the key (a node taking another's place keeps its seq) */
  struct dg_node *next;  /* free list / dg->fresh / dg->removed */
  struct dg_node *pnext; /* dg->pass (a fresh node can be on both) */
  int64_t v[];
} dg_node_t;

typedef struct grt_dg grt_dg_t;
typedef struct dg_ops {
  void (*query)(grt_dg_t *dg, dg_node_t *t);
  dg_node_t *(*cut)(grt_dg_t *dg, dg_node_t *t, int *changed);
  dg_node_t *(*insert)(dg_node_t *t, dg_node_t *x);
  dg_node_t *(*erase)(dg_node_t *t, dg_node_t *x);
  dg_node_t *(*prune)(grt_dg_t *dg, dg_node_t *t, grt_dg_done_fn done, void *ctx,
                      int *changed);
} dg_ops_t;

struct grt_dg {
  int nd;
  const dg_ops_t *ops; /* the tree code specialised for nd */
  size_t node_size;
  dg_node_t *root;     /* all live pieces, every class */
  size_t live;

  /* pools */
  char **nchunks;
  size_t nnchunks, capnchunks;
  size_t nchunk_used; /* nodes handed out from the last chunk */
  dg_node_t *nfree;
  dg_rec_t **rchunks;
  size_t nrchunks, caprchunks;
  size_t rchunk_used;
  dg_rec_t *rfree;

  uint64_t rng;
  uint64_t seq;
  uint64_t qserial;
  uint64_t pserial;

  /* open-batch logs (intrusive, so undo needs no memory) */
  dg_node_t *fresh;    /* nodes created by this batch */
  dg_node_t *removed;  /* pre-batch nodes removed by this batch */
  dg_node_t *pass;     /* nodes removed by the current cut pass */
  dg_rec_t *brecs;     /* records created by this batch */

  /* query context */
  const int64_t *qlo, *qhi;
  int qcls;            /* class of the querying access */
  int qop;
  uint8_t qmask;       /* classes that conflict with the querying access */
  dg_rec_t *wrec;      /* lone single-rect writer: may take a cut node's place */
  int wplaced;         /* ... and did */
  int qi;
  int report;          /* report edges during a cut pass */
  grt_dg_edge_fn edge;
  void *ectx;

  long fail_countdown; /* test hook: >0 fails the n-th node/record allocation */
};

/* ---- helpers shared by the specialised tree code ------------------- */

static inline int64_t *plo(dg_node_t *x, int nd) { return x->v + 4 * nd; }
static inline int64_t *phi(dg_node_t *x, int nd) { return x->v + 5 * nd; }

/* A coordinate mapped so that unsigned order is signed order. */
static inline uint64_t ucoord(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

/* Trailing zero bits of the Morton code of lo: how coarse a quadtree cell
 * (2^k-aligned block) starts at this corner. */
static unsigned morton_tz(const int64_t *lo, int nd) {
  unsigned best = 64u * (unsigned)nd;
  for (int d = 0; d < nd; d++) {
    uint64_t u = ucoord(lo[d]);
    unsigned tz = u ? (unsigned)__builtin_ctzll(u) : 64u;
    unsigned z = (unsigned)nd * tz + (unsigned)(nd - 1 - d);
    if (z < best) best = z;
  }
  return best;
}

/* ---- pools ------------------------------------------------------------ */

static int fail_now(grt_dg_t *dg) {
  if (dg->fail_countdown > 0 && --dg->fail_countdown == 0) return 1;
  return 0;
}

static dg_node_t *node_alloc(grt_dg_t *dg) {
  if (fail_now(dg)) return NULL;
  dg_node_t *x = dg->nfree;
  if (x) {
    dg->nfree = x->next;
    return x;
  }
  if (dg->nnchunks == 0 || dg->nchunk_used == NODE_CHUNK) {
    if (dg->nnchunks == dg->capnchunks) {
      size_t cap = dg->capnchunks ? 2 * dg->capnchunks : 16;
      char **t = realloc(dg->nchunks, cap * sizeof(*t));
      if (!t) return NULL;
      dg->nchunks = t;
      dg->capnchunks = cap;
    }
    char *c = malloc(NODE_CHUNK * dg->node_size);
    if (!c) return NULL;
    dg->nchunks[dg->nnchunks++] = c;
    dg->nchunk_used = 0;
  }
  return (dg_node_t *)(dg->nchunks[dg->nnchunks - 1] +
                       dg->node_size * dg->nchunk_used++);
}

static void node_free(grt_dg_t *dg, dg_node_t *x) {
  x->next = dg->nfree;
  dg->nfree = x;
}

static dg_rec_t *rec_alloc(grt_dg_t *dg) {
  if (fail_now(dg)) return NULL;
  dg_rec_t *r = dg->rfree;
  if (r) {
    dg->rfree = r->next;
    return r;
  }
  if (dg->nrchunks == 0 || dg->rchunk_used == REC_CHUNK) {
    if (dg->nrchunks == dg->caprchunks) {
      size_t cap = dg->caprchunks ? 2 * dg->caprchunks : 16;
      dg_rec_t **t = realloc(dg->rchunks, cap * sizeof(*t));
      if (!t) return NULL;
      dg->rchunks = t;
      dg->caprchunks = cap;
    }
    dg_rec_t *c = malloc(REC_CHUNK * sizeof(dg_rec_t));
    if (!c) return NULL;
    dg->rchunks[dg->nrchunks++] = c;
    dg->rchunk_used = 0;
  }
  return &dg->rchunks[dg->nrchunks - 1][dg->rchunk_used++];
}

static void rec_free(grt_dg_t *dg, dg_rec_t *r) {
  r->next = dg->rfree;
  dg->rfree = r;
}

/* Treap priority of a piece with low corner lo: the Morton trailing-zero
 * count in the high bits, a deterministic pseudo-random number below (so
 * every rank builds the same trees). Corners of coarser quadtree cells sit
 * higher, which makes subtrees unions of aligned Z-order blocks, whose boxes
 * are compact; among equals the order is random, as in a plain treap. */
static uint32_t next_prio(grt_dg_t *dg, const int64_t *lo) {
  uint64_t x = dg->rng; /* xorshift64* */
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  dg->rng = x;
  uint32_t r = (uint32_t)((x * UINT64_C(2685821657736338717)) >> 41); /* 23 bits */
  return ((uint32_t)morton_tz(lo, dg->nd) << 23) | r;
}

/* ---- conflict rule, reporting, pruning helpers ----------------------- */

static inline int conflicts(const grt_dg_t *dg, const dg_rec_t *r) {
  if (dg->qcls == CLS_READ) return r->cls != CLS_READ;
  if (dg->qcls == CLS_REDUCE) return r->cls != CLS_REDUCE || r->redop != dg->qop;
  return 1;
}

/* Reports access r to the querying access, once per query serial. */
static inline void report(grt_dg_t *dg, dg_rec_t *r) {
  if (r->stamp == dg->qserial) return;
  r->stamp = dg->qserial;
  dg->edge(dg->ectx, dg->qi, r->id);
}

/* done(ctx, id) for r, asked at most once per prune pass. */
static inline int is_done(grt_dg_t *dg, dg_rec_t *r, grt_dg_done_fn done,
                          void *ctx) {
  if (r->pstamp != dg->pserial) {
    r->pstamp = dg->pserial;
    r->pdone = done(ctx, r->id) != 0;
  }
  return r->pdone;
}

/* Frees a node already unlinked from its tree, and its record if last. */
static void drop_node(grt_dg_t *dg, dg_node_t *x) {
  dg->live--;
  if (--x->rec->npieces == 0) rec_free(dg, x->rec);
  node_free(dg, x);
}

#define ND 1
#include "depgraph_tree.h"
#define ND 2
#include "depgraph_tree.h"
#define ND 3
#include "depgraph_tree.h"
#define ND 4
#include "depgraph_tree.h"

static const dg_ops_t *const ops_by_nd[GRT_RECT_MAX_DIM] = {&ops_1, &ops_2,
                                                            &ops_3, &ops_4};

/* ---- batch bookkeeping ------------------------------------------------ */

/* Makes a fresh node for rec with piece [lo, hi] and inserts it. */
static int add_piece(grt_dg_t *dg, dg_rec_t *rec, const int64_t *lo,
                     const int64_t *hi) {
  const int nd = dg->nd;
  dg_node_t *x = node_alloc(dg);
  if (!x) return DG_ENOMEM;
  x->l = x->r = NULL;
  x->rec = rec;
  x->flags = NODE_FRESH;
  x->seq = dg->seq++;
  x->prio = next_prio(dg, lo);
  memcpy(plo(x, nd), lo, (size_t)nd * sizeof(int64_t));
  memcpy(phi(x, nd), hi, (size_t)nd * sizeof(int64_t));
  x->next = dg->fresh;
  dg->fresh = x;
  rec->npieces++;
  dg->root = dg->ops->insert(dg->root, x);
  dg->live++;
  return 0;
}

/* Moves the nodes of the finished cut pass to the batch logs and re-inserts
 * the parts of each that lie outside [wlo, whi]. */
static int finish_pass(grt_dg_t *dg, const int64_t *wlo, const int64_t *whi) {
  const int nd = dg->nd;
  int rc = 0;
  while (dg->pass) {
    dg_node_t *x = dg->pass;
    dg->pass = x->pnext;
    dg->live--;
    x->flags |= NODE_REMOVED;
    if (!(x->flags & NODE_FRESH)) {
      x->next = dg->removed;
      dg->removed = x;
    } /* fresh nodes stay on dg->fresh */
    if (rc) continue; /* keep logging so undo sees every removed node */
    int64_t lo[GRT_RECT_MAX_DIM], hi[GRT_RECT_MAX_DIM];
    memcpy(lo, plo(x, nd), (size_t)nd * sizeof(int64_t));
    memcpy(hi, phi(x, nd), (size_t)nd * sizeof(int64_t));
    if (x->flags & NODE_SLAB) /* that low slab is already in the tree */
      lo[x->flags >> SLAB_SHIFT] = wlo[x->flags >> SLAB_SHIFT];
    for (int d = 0; d < nd && !rc; d++) {
      if (lo[d] < wlo[d]) {
        int64_t keep = hi[d];
        hi[d] = wlo[d] - 1;
        rc = add_piece(dg, x->rec, lo, hi);
        hi[d] = keep;
        lo[d] = wlo[d];
      }
      if (!rc && hi[d] > whi[d]) {
        int64_t keep = lo[d];
        lo[d] = whi[d] + 1;
        rc = add_piece(dg, x->rec, lo, hi);
        lo[d] = keep;
        hi[d] = whi[d];
      }
    }
  }
  return rc;
}

/* Runs a cut pass of [lo, hi] over every class tree, then re-inserts the
 * remainders. */
static int cut_all(grt_dg_t *dg, const int64_t *lo, const int64_t *hi) {
  dg->qlo = lo;
  dg->qhi = hi;
  int changed = 0;
  if (dg->root) dg->root = dg->ops->cut(dg, dg->root, &changed);
  return finish_pass(dg, lo, hi);
}

/* Commits the open batch: frees removed nodes and records left pieceless. */
static void commit(grt_dg_t *dg) {
  dg_node_t *x, *nx;
  for (x = dg->removed; x; x = nx) {
    nx = x->next;
    if (--x->rec->npieces == 0) rec_free(dg, x->rec); /* fully retired */
    node_free(dg, x);
  }
  for (x = dg->fresh; x; x = nx) {
    nx = x->next;
    if (x->flags & NODE_REMOVED) {
      /* a remainder made and cut again in this batch: its record is
       * pre-batch and still counted it */
      if (--x->rec->npieces == 0) rec_free(dg, x->rec);
      node_free(dg, x);
    } else {
      x->flags = 0; /* an ordinary live piece from now on */
    }
  }
  dg_rec_t *r, *nr;
  for (r = dg->brecs; r; r = nr) {
    nr = r->next;
    if (r->npieces == 0) rec_free(dg, r);
  }
  dg->removed = NULL;
  dg->fresh = NULL;
  dg->brecs = NULL;
}

/* Undoes the open batch: the trees hold exactly the pre-batch pieces again. */
static void undo(grt_dg_t *dg) {
  dg_node_t *x, *nx;
  /* Nodes of an unfinished cut pass are out of the trees: treat as removed. */
  while (dg->pass) {
    x = dg->pass;
    dg->pass = x->pnext;
    dg->live--;
    x->flags |= NODE_REMOVED;
    if (!(x->flags & NODE_FRESH)) {
      x->next = dg->removed;
      dg->removed = x;
    }
  }
  for (x = dg->fresh; x; x = nx) {
    nx = x->next;
    if (!(x->flags & NODE_REMOVED)) {
      dg->root = dg->ops->erase(dg->root, x);
      dg->live--;
    }
    x->rec->npieces--;
    node_free(dg, x);
  }
  for (x = dg->removed; x; x = nx) {
    nx = x->next;
    x->flags = 0;
    x->l = x->r = NULL;
    dg->root = dg->ops->insert(dg->root, x);
    dg->live++;
  }
  dg_rec_t *r, *nr;
  for (r = dg->brecs; r; r = nr) {
    nr = r->next;
    rec_free(dg, r);
  }
  dg->removed = NULL;
  dg->fresh = NULL;
  dg->brecs = NULL;
}

/* ---- public entry points ---------------------------------------------- */

grt_dg_t *grt__dg_create(int ndim) {
  if (ndim < 1 || ndim > GRT_RECT_MAX_DIM) return NULL;
  grt_dg_t *dg = calloc(1, sizeof(*dg));
  if (!dg) return NULL;
  dg->nd = ndim;
  dg->ops = ops_by_nd[ndim - 1];
  size_t sz = sizeof(dg_node_t) + 6 * (size_t)ndim * sizeof(int64_t);
  dg->node_size = (sz + _Alignof(dg_node_t) - 1) & ~(_Alignof(dg_node_t) - 1);
  dg->rng = UINT64_C(0x9E3779B97F4A7C15);
  dg->seq = 1;
  return dg;
}

void grt__dg_destroy(grt_dg_t *dg) {
  if (!dg) return;
  for (size_t i = 0; i < dg->nnchunks; i++) free(dg->nchunks[i]);
  for (size_t i = 0; i < dg->nrchunks; i++) free(dg->rchunks[i]);
  free(dg->nchunks);
  free(dg->rchunks);
  free(dg);
}

static int rect_ok(const grt_dg_t *dg, const grt_rect_t *r) {
  return r->ndim == dg->nd;
}

static int is_empty(const int64_t *lo, const int64_t *hi, int nd) {
  for (int d = 0; d < nd; d++)
    if (hi[d] < lo[d]) return 1;
  return 0;
}

static int cls_of(grt_dg_priv_t p) {
  switch (p) {
  case GRT_DG_READ: return CLS_READ;
  case GRT_DG_WRITE:
  case GRT_DG_READ_WRITE: return CLS_WRITE;
  case GRT_DG_REDUCE: return CLS_REDUCE;
  }
  return -1;
}

/* Reports the edges of access i (all its rectangles) against the pre-batch
 * pieces, without changing anything. */
static void query_access(grt_dg_t *dg, const grt_dg_access_t *a, int i) {
  dg->qserial++;
  dg->qi = i;
  dg->qcls = cls_of(a->priv);
  dg->qmask = dg->qcls == CLS_READ ? (uint8_t)(CLS_BIT(CLS_WRITE) | CLS_BIT(CLS_REDUCE))
                                   : (uint8_t)0x7;
  dg->qop = a->redop;
  for (int j = 0; j < a->nrects; j++) {
    const grt_rect_t *r = &a->rects[j];
    if (is_empty(r->lo, r->hi, dg->nd)) continue;
    dg->qlo = r->lo;
    dg->qhi = r->hi;
    if (dg->root) dg->ops->query(dg, dg->root);
  }
}

int grt__dg_add(grt_dg_t *dg, const grt_dg_access_t *acc, int n,
                grt_dg_edge_fn edge, void *ctx) {
  if (!dg || n < 0 || (n > 0 && !acc) || !edge) return DG_EINVAL;
  for (int i = 0; i < n; i++) {
    if (cls_of(acc[i].priv) < 0 || acc[i].nrects < 0 ||
        (acc[i].nrects > 0 && !acc[i].rects))
      return DG_EINVAL;
    for (int j = 0; j < acc[i].nrects; j++)
      if (!rect_ok(dg, &acc[i].rects[j])) return DG_EINVAL;
  }
  if (n == 0) return 0;

  /* Records first: failing here leaves everything untouched. */
  dg_rec_t *first = NULL;
  for (int i = n - 1; i >= 0; i--) {
    dg_rec_t *r = rec_alloc(dg);
    if (!r) {
      undo(dg);
      return DG_ENOMEM;
    }
    r->id = acc[i].id;
    r->stamp = 0;
    r->pstamp = 0;
    r->pdone = 0;
    r->npieces = 0;
    r->cls = (uint8_t)cls_of(acc[i].priv);
    r->redop = r->cls == CLS_REDUCE ? acc[i].redop : 0;
    r->next = dg->brecs;
    dg->brecs = r;
    first = r;
  }

  dg->edge = edge;
  dg->ectx = ctx;
  dg->wrec = NULL;
  dg->wplaced = 0;
  int rc = 0;
  if (n == 1 && cls_of(acc[0].priv) == CLS_WRITE) {
    /* The common case: one writer. Report and cut in one pass per rect;
     * a later rect sees the earlier rects' remainders, which stamps dedup. */
    dg->qserial++;
    dg->qi = 0;
    dg->qcls = CLS_WRITE;
    dg->qmask = 0x7;
    dg->report = 1;
    /* With one rectangle no later pass can see the new piece, so it may
     * take the place of a cut writer piece with the same low corner. */
    dg->wrec = acc[0].nrects == 1 ? first : NULL;
    for (int j = 0; j < acc[0].nrects && !rc; j++) {
      const grt_rect_t *r = &acc[0].rects[j];
      if (is_empty(r->lo, r->hi, dg->nd)) continue;
      rc = cut_all(dg, r->lo, r->hi);
    }
    dg->report = 0;
    dg->wrec = NULL;
  } else {
    for (int i = 0; i < n; i++) query_access(dg, &acc[i], i);
    for (int i = 0; i < n && !rc; i++) {
      if (cls_of(acc[i].priv) != CLS_WRITE) continue;
      for (int j = 0; j < acc[i].nrects && !rc; j++) {
        const grt_rect_t *r = &acc[i].rects[j];
        if (is_empty(r->lo, r->hi, dg->nd)) continue;
        rc = cut_all(dg, r->lo, r->hi);
      }
    }
  }

  /* Record the new accesses. */
  dg_rec_t *rec = first;
  for (int i = 0; i < n && !rc; i++, rec = rec->next) {
    if (dg->wplaced) break; /* the lone writer's piece is in place */
    for (int j = 0; j < acc[i].nrects && !rc; j++) {
      const grt_rect_t *r = &acc[i].rects[j];
      if (is_empty(r->lo, r->hi, dg->nd)) continue;
      rc = add_piece(dg, rec, r->lo, r->hi);
    }
  }
  if (rc) {
    undo(dg);
    return rc;
  }
  commit(dg);
  return 0;
}

void grt__dg_prune(grt_dg_t *dg, grt_dg_done_fn done, void *ctx) {
  if (!dg || !done) return;
  dg->pserial++;
  int changed = 0;
  if (dg->root) dg->root = dg->ops->prune(dg, dg->root, done, ctx, &changed);
}

size_t grt__dg_live(const grt_dg_t *dg) { return dg ? dg->live : 0; }

void grt__dg_debug_fail_alloc(grt_dg_t *dg, long countdown) {
  if (dg) dg->fail_countdown = countdown;
}
