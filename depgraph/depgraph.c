/* depgraph.c - the dependence analyzer: live access pieces in a wide
 * Z-order R-tree.
 *
 * Structure (the choice the issue asks us to document; see docs/depgraph.md).
 * Every live entry is one rectangle piece of an earlier access. All pieces
 * live in one B+-tree of fanout DG_B (30) ordered by the Morton (Z-order)
 * position of the piece's low corner: leaves hold up to 30 pieces, inner
 * nodes up to 30 children, and every inner node keeps for each child its
 * bounding box, the privilege classes present and the min/max reduction
 * operator, so a query descends only into children whose box meets it and
 * that may hold a conflicting class (a read skips read-only subtrees, a
 * reduction skips subtrees of only its own operator). Nodes are
 * structure-of-arrays, so a visit scans a few contiguous cache lines. Z order
 * keeps each node's pieces spatially compact (a Hilbert-R-tree-like layout
 * with the Morton curve); the order is fully determined by the inputs, so
 * every rank builds the same tree.
 *   - insert: O(log n) (descend by key, split a full node in two halves);
 *   - remove: pieces are removed during a cut or prune pass; empty nodes are
 *     dropped and an underfull node merges into a neighbour;
 *   - overlap query: visits only subtrees whose box meets the query: for
 *     pieces and queries of comparable size (tiles, halos, random boxes)
 *     O(log n + k), k the overlapping pieces; adversarial shapes (long thin
 *     slabs over many small pieces) have the kd-tree bound O(n^(1-1/d) + k).
 *   - the tree code lives in depgraph_tree.h, compiled once per dimension
 *     count behind a table of function pointers (dg_ops_t).
 *
 * Semantics (the invariants the proofs in docs/depgraph.md rely on):
 *   I1 every live piece is a subset of its access's rectangles;
 *   I2 for every access X that is not complete and every point p of X, either
 *      a live piece of X covers p, or a live piece of a writer Y covers p and Y
 *      is ordered after X by reported edges (directly or transitively), or an
 *      access ordered after X has completed (so X has, by the done() contract);
 *   I3 a WRITE/READ_WRITE access removes every earlier piece it overlaps (after
 *      reporting it) and re-inserts the parts outside the written rectangles,
 *      which keeps I2 because any later access touching p conflicts with the
 *      writer at p;
 *   reads and reductions never remove anything.
 * An edge is only reported between a new access and a live piece that really
 * overlaps it under the conflict rule, so precision follows from I1.
 *
 * All or nothing: grt__dg_add() first plans without changing anything --
 * reports the edges, finds the pieces its writers will cut, computes their
 * remainders in scratch arrays and reserves (in the node pools) enough nodes
 * for every insertion and split the mutation can need. Only then it mutates,
 * and the mutation allocates nothing, so it cannot fail: an allocation
 * failure can only happen in the planning phase, where the analyzer is still
 * unchanged. Pools and scratch arrays are reused, so the common case
 * allocates nothing.
 */
#include "depgraph.h"

#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define DG_EINVAL (-1) /* same values as GRT_EINVAL / GRT_ENOMEM in grt.h */
#define DG_ENOMEM (-2)

enum { CLS_READ = 0, CLS_WRITE = 1, CLS_REDUCE = 2 };
#define CLS_BIT(c) ((uint8_t)(1u << (c)))

#ifndef DG_B /* the tests also build a fanout of 8 to exercise deep trees */
#define DG_B 30 /* fanout: pieces per leaf, children per inner node (8..31) */
#endif
_Static_assert(DG_B >= 8 && DG_B <= 31, "slot masks are 32-bit words");
#define DG_CAP (DG_B + 1) /* room for one more entry before a split */
/* a split leaves at least this many on each side */
#define DG_MINSPLIT (DG_B / 4 > 2 ? DG_B / 4 : 2)
/* row strides of the SoA coordinates, padded for whole-vector loads (4
 * lanes of 64 bits, 8 lanes of 32 bits) */
#define DG_ROW64 ((DG_CAP + 3) & ~3)
#define DG_ROW32 ((DG_CAP + 7) & ~7)
#define DG_PREFETCH_LIVE (1u << 16) /* prefetch children above this many pieces */
#define DG_MAXLEV 64
#define DG_EXACT_SLABS 64 /* a lone writer with more hits counts its slabs exactly */
#ifndef DG_SPLIT_MIN /* the b8 tests use 2 and 2: every batch cut goes through the split */
#define DG_SPLIT_MIN 16  /* a piece hit by this many batch writers is cut by splitting, */
#define DG_SPLIT_LEAF 4  /* ... down to boxes of this many (see remainder_split) */
#endif
#ifndef DG_NREP /* the b8 tests use 2, to exercise the fallback to the hash set */
#define DG_NREP 16 /* ids a query de-duplicates in a plain array (grt_dg.rep) */
#endif

/* Whose a piece is: its access's id, class and reduction operator. Pieces
 * carry it by value (a leaf holds it in its id and operator rows and class
 * bytes), so there is no per-access record to allocate, count, free, or
 * miss in cache: what a record used to do is done without one (a query
 * de-duplicates ids in a small set, prune asks done() by id, and an access
 * needs no freeing when its last piece goes). */
typedef struct dg_who {
  uint64_t id;
  int32_t redop; /* 0 unless a reduction */
  uint8_t cls;
} dg_who_t;

/* A leaf: up to DG_B pieces (unsorted) as structure-of-arrays; v[] holds
 * lo[d][slot] for d < nd, then hi[d][slot], as int32 in a narrow analyzer
 * and int64 in a wide one (see grt_dg.wide). */
typedef struct dg_leaf {
  uint32_t n;
  uint8_t cls[32];        /* CLS_BIT of each piece's class (32: one vector load) */
  /* then, at offsets depgraph_tree.h computes (LID ... LHIT): the coordinate
   * rows; each piece's access id; its reduction operator (0 if none); batch
   * planning marks (a sparse set, see collect) */
  int64_t v[];
} dg_leaf_t;

/* An inner node: up to DG_B children; v[] holds the children's box lo[d][i],
 * box hi[d][i] and separator keys sep[d][i] (a lower bound of child i's keys,
 * and child i holds keys below sep[i + 1]), int32 or int64 like a leaf's. */
typedef struct dg_inner {
  uint32_t n;
  uint8_t mask[32];       /* classes present under each child */
  /* then (ICHILD ... SEP in depgraph_tree.h): the box rows, the children,
   * their min and max reduction operators, the separator rows */
  int64_t v[];
} dg_inner_t;

/* A piece outside the tree: a remainder slab waiting for insertion, a new
 * piece, or a planned cut's copy. */
typedef struct dg_piece {
  int64_t lo[GRT_RECT_MAX_DIM], hi[GRT_RECT_MAX_DIM];
  dg_who_t who;
  int placed; /* took a cut piece's slot in place: not to be inserted */
} dg_piece_t;

/* A pre-batch piece hit by a batch writer (planning). */
typedef struct dg_hit {
  dg_leaf_t *leaf;
  int slot;
  uint32_t npairs, first, fill;
  dg_piece_t p;
} dg_hit_t;

/* A leaf a lone writer's query hit (slot mask) and where its path starts. */
typedef struct dg_lhit {
  dg_leaf_t *leaf;
  uint32_t mask;
} dg_lhit_t;
typedef struct dg_step {
  dg_inner_t *node;
  int idx;
} dg_step_t;

typedef struct dg_pair {
  uint32_t hit;
  const grt_rect_t *w;
} dg_pair_t;

typedef struct dg_pool {
  char **chunks;
  size_t nchunks, capchunks, used, esize, per;
  size_t bytes; /* in all chunks */
  void **stack;  /* free elements (a stack of pointers: taking one does not
                  * read the element, which is often cold) */
  size_t nfree, capstack, carved; /* carved: elements cut from chunks */
} dg_pool_t;

typedef struct grt_dg grt_dg_t;
typedef struct dg_ops {
  int (*query)(grt_dg_t *dg, void *t, int level);
  int (*cut)(grt_dg_t *dg, void *t, int level);
  void (*cut_recorded)(grt_dg_t *dg);
  void (*insert)(grt_dg_t *dg, const dg_piece_t *p);
  int (*prune)(grt_dg_t *dg, void *t, int level, grt_dg_done_fn done, void *ctx);
  size_t (*count_slabs)(const grt_dg_t *dg);
  int (*slabs)(grt_dg_t *dg, const dg_piece_t *p, const int64_t *wlo,
               const int64_t *whi);
} dg_ops_t;

struct grt_dg {
  int nd;
  /* 0: every coordinate stored in the tree fits in int32 and nodes hold
   * 32-bit coordinates (half the bytes a node visit reads); 1 after the
   * first access with a coordinate outside int32 (the tree is widened once,
   * before that access, and stays wide). */
  int wide;
  const dg_ops_t *ops; /* the tree code specialised for nd and wide */
  size_t hot;          /* bytes at the start of a node that a query reads */
  size_t lpf;          /* bytes of a leaf a visit prefetches: all but the
                        * planning marks (only batch writers use them) */
  void *root;          /* NULL when empty */
  int height;          /* level of the root; leaves are level 0 */
  size_t live;
  size_t nlev[DG_MAXLEV]; /* nodes per level */

  dg_pool_t leaves, inners;


  /* scratch (planning), reused across calls */
  dg_piece_t *frag, *frag2;
  size_t nfrag, capfrag, capfrag2;
  dg_hit_t *hits;
  size_t nhits, caphits;
  dg_pair_t *pairs;
  size_t npairs, cappairs;
  const grt_rect_t **wlist;
  size_t capwlist;
  /* remainders of a piece hit by many writers (remainder_split): writer
   * lists of the boxes still to do, the boxes, split candidates */
  const grt_rect_t **wpool;
  size_t capwpool;
  struct dg_box *boxes;
  size_t capboxes;
  int64_t *cand;
  size_t capcand;

  /* query context */
  const int64_t *qlo, *qhi;
  const grt_rect_t *qrect;
  int qcls;            /* class of the querying access */
  int32_t qop;
  uint8_t qmask;       /* classes that conflict with the querying access */
  int collect;         /* query: collect hits (writer of a batch) */
  size_t nhit;         /* query: conflicting pieces found */
  int lone;            /* cut: lone writer mode (slabs and in-place) */
  /* lone writer: the query records the leaves it hits with their paths, so
   * the cut visits them without descending again (see cut_recorded) */
  int record;
  dg_inner_t *qpath[DG_MAXLEV]; /* query: node at each level on the way down */
  int qpidx[DG_MAXLEV];         /* ... and the child taken there */
  dg_lhit_t *lhits;
  size_t nlhits, caplhits;
  dg_step_t *lsteps;            /* lhits[j]'s path: lsteps[j * height + lv - 1] */
  size_t caplsteps;
  dg_who_t wwho;       /* the lone writer */
  int wplaced;         /* ... its piece took a cut piece's slot */
  int qi;
  /* ids reported to the current query: the first DG_NREP in rep[] (a
   * linear scan), then all of them in an open-addressing hash set whose
   * slots are valid when their generation is the query's (so starting a
   * query clears it in O(1)) */
  size_t nrep;
  uint64_t rep[DG_NREP];
  uint64_t *hkey;
  uint32_t *hgen;
  size_t hcap, hn;
  uint32_t qgen;
  grt_dg_edge_fn edge;
  void *ectx;

  /* prune: the last id done() was asked about in this pass, and its answer */
  uint64_t pid;
  int pvalid, pdone;

  long fail_countdown; /* test hook: >0 fails the n-th allocation */
};

/* A coordinate mapped so that unsigned order is signed order. */
static inline uint64_t ucoord(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

/* ---- pools and scratch -------------------------------------------------- */

static int fail_now(grt_dg_t *dg) {
  if (dg->fail_countdown > 0 && --dg->fail_countdown == 0) return 1;
  return 0;
}

static void pool_init(dg_pool_t *p, size_t esize, size_t per) {
  memset(p, 0, sizeof(*p));
  p->esize = (esize + 15) & ~(size_t)15;
  p->per = per;
}

/* The stack holds room for every carved element, so putting one back never
 * allocates. */
static void pool_put(dg_pool_t *p, void *x) { p->stack[p->nfree++] = x; }

static void *pool_take(dg_pool_t *p) {
  return p->stack[--p->nfree]; /* reserved: never empty here */
}

/* A new chunk for the pool. Chunk sizes double (from `per` elements) while
 * the pool holds less than DG_SMALL_POOL bytes, so a small analyzer stays
 * small; from there every chunk is DG_BIG_CHUNK bytes, 2 MiB-aligned and,
 * on Linux, offered to transparent huge pages: with ~10^6 live pieces the
 * nodes span ~100 MB, and random accesses otherwise pay a TLB miss on
 * nearly every node. (Doubling all the way to 2 MiB left the first ~2 MiB
 * of each pool in small pages: at 10^6 pieces, two thirds of the inner
 * nodes, which every query visits.) */
#define DG_BIG_CHUNK ((size_t)2 << 20)
#define DG_SMALL_POOL ((size_t)256 << 10)
static char *pool_chunk(dg_pool_t *p) {
  size_t bytes = p->per * p->esize;
  char *c;
  if (bytes >= DG_BIG_CHUNK || p->bytes >= DG_SMALL_POOL) {
    bytes = (bytes + DG_BIG_CHUNK - 1) & ~(DG_BIG_CHUNK - 1);
    p->per = bytes / p->esize;
    c = aligned_alloc(DG_BIG_CHUNK, bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (c) (void)madvise(c, bytes, MADV_HUGEPAGE);
#endif
  } else {
    c = malloc(bytes);
  }
  if (c) memset(c, 0, bytes);
  return c;
}

/* Makes the free list hold at least k elements (pool_reserve: the check
 * inline, the growth out of line). */
static __attribute__((noinline)) int pool_grow(grt_dg_t *dg, dg_pool_t *p, size_t k) {
  if (fail_now(dg)) return -1;
  while (p->nfree < k) {
    if (p->nchunks == 0 || p->used == p->per) {
      if (p->nchunks == p->capchunks) {
        size_t cap = p->capchunks ? 2 * p->capchunks : 16;
        char **t = realloc(p->chunks, cap * sizeof(*t));
        if (!t) return -1;
        p->chunks = t;
        p->capchunks = cap;
      }
      size_t per = p->per;
      if (p->nchunks && p->bytes < DG_SMALL_POOL) p->per *= 2;
      char *c = pool_chunk(p);
      if (!c) {
        p->per = per;
        return -1;
      }
      p->chunks[p->nchunks++] = c;
      p->bytes += p->per * p->esize;
      p->used = 0;
    }
    if (p->carved == p->capstack) {
      size_t cap = p->capstack ? 2 * p->capstack : 64;
      void **t = realloc(p->stack, cap * sizeof(*t));
      if (!t) return -1;
      p->stack = t;
      p->capstack = cap;
    }
    p->carved++;
    pool_put(p, p->chunks[p->nchunks - 1] + p->esize * p->used++);
  }
  return 0;
}

static inline int pool_reserve(grt_dg_t *dg, dg_pool_t *p, size_t k) {
  return p->nfree >= k ? 0 : pool_grow(dg, p, k);
}

static void pool_destroy(dg_pool_t *p) {
  for (size_t i = 0; i < p->nchunks; i++) free(p->chunks[i]);
  free(p->chunks);
  free(p->stack);
}

static dg_leaf_t *take_leaf(grt_dg_t *dg) {
  dg_leaf_t *x = pool_take(&dg->leaves);
  x->n = 0;
  dg->nlev[0]++;
  return x;
}

static dg_inner_t *take_inner(grt_dg_t *dg, int level) {
  dg_inner_t *x = pool_take(&dg->inners);
  x->n = 0;
  dg->nlev[level]++;
  return x;
}

static void free_node(grt_dg_t *dg, void *x, int level) {
  dg->nlev[level]--;
  pool_put(level == 0 ? &dg->leaves : &dg->inners, x);
}

/* Grows a scratch array to hold at least `need` elements. */
static int grow_arr(grt_dg_t *dg, void **arr, size_t *cap, size_t need,
                    size_t esize) {
  if (dg->fail_countdown > 0 && fail_now(dg)) return -1; /* test hook: any call */
  if (*cap >= need) return 0;
  size_t c = *cap ? *cap : 64;
  while (c < need) c *= 2;
  void *t = realloc(*arr, c * esize);
  if (!t) return -1;
  *arr = t;
  *cap = c;
  return 0;
}

static int grow_hits(grt_dg_t *dg) {
  return grow_arr(dg, (void **)&dg->hits, &dg->caphits, dg->nhits + 1,
                  sizeof(dg_hit_t));
}
static int grow_pairs(grt_dg_t *dg) {
  return grow_arr(dg, (void **)&dg->pairs, &dg->cappairs, dg->npairs + 1,
                  sizeof(dg_pair_t));
}
static int need_frag(grt_dg_t *dg, size_t more) {
  return grow_arr(dg, (void **)&dg->frag, &dg->capfrag, dg->nfrag + more,
                  sizeof(dg_piece_t));
}

/* ---- conflict rule, reporting, pruning helpers ----------------------- */

/* Inserts id into the hash set of this query; 1 when it was there. Grows
 * the set (to keep it at most half full) first: -1 when that fails. */
static int hset_add(grt_dg_t *dg, uint64_t id) {
  if (2 * (dg->hn + 1) > dg->hcap) {
    size_t cap = dg->hcap ? 2 * dg->hcap : 64;
    if (fail_now(dg)) return -1;
    uint64_t *k = malloc(cap * sizeof(*k));
    uint32_t *g = calloc(cap, sizeof(*g));
    if (!k || !g) {
      free(k);
      free(g);
      return -1;
    }
    uint64_t *ok = dg->hkey;
    uint32_t *og = dg->hgen;
    size_t ocap = dg->hcap;
    dg->hkey = k;
    dg->hgen = g;
    dg->hcap = cap;
    dg->hn = 0;
    const uint32_t gen = dg->qgen;
    dg->qgen = 1; /* the new arrays start at generation 0: all empty */
    for (size_t i = 0; i < ocap; i++)
      if (og[i] == gen) (void)hset_add(dg, ok[i]);
    free(ok);
    free(og);
  }
  const size_t mask = dg->hcap - 1;
  size_t h = (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
  while (dg->hgen[h] == dg->qgen) {
    if (dg->hkey[h] == id) return 1;
    h = (h + 1) & mask;
  }
  dg->hgen[h] = dg->qgen;
  dg->hkey[h] = id;
  dg->hn++;
  return 0;
}

/* A new query: rep[] and the hash set are empty. */
static inline void rep_clear(grt_dg_t *dg) {
  dg->nrep = 0;
  if (dg->hn) { /* the set was used: a new generation empties it */
    dg->hn = 0;
    if (++dg->qgen == 0) { /* wrapped: clear for real */
      memset(dg->hgen, 0, dg->hcap * sizeof(*dg->hgen));
      dg->qgen = 1;
    }
  }
}

/* Reports access `id` to the querying access, once per query (set_query).
 * The first DG_NREP ids are checked by a scan of rep[] (no hashing, no
 * memory outside the analyzer); past that every id goes to the hash set.
 * Returns nonzero when the set cannot grow (out of memory). */
static inline int report(grt_dg_t *dg, uint64_t id) {
  const size_t n = dg->nrep;
  if (n <= DG_NREP) {
    for (size_t i = 0; i < n; i++)
      if (dg->rep[i] == id) return 0;
    if (n < DG_NREP) {
      dg->rep[n] = id;
      dg->nrep = n + 1;
      dg->edge(dg->ectx, dg->qi, id);
      return 0;
    }
    for (size_t i = 0; i < n; i++)
      if (hset_add(dg, dg->rep[i]) < 0) return -1;
    dg->nrep = n + 1; /* hash mode for the rest of this query */
  }
  int r = hset_add(dg, id);
  if (r < 0) return -1;
  if (!r) dg->edge(dg->ectx, dg->qi, id);
  return 0;
}

#define DG_VAR gen
#define DG_CW 32
#define ND 1
#include "depgraph_tree.h"
#define ND 2
#include "depgraph_tree.h"
#define ND 3
#include "depgraph_tree.h"
#define ND 4
#include "depgraph_tree.h"
#undef DG_CW
#define DG_CW 64
#define ND 1
#include "depgraph_tree.h"
#define ND 2
#include "depgraph_tree.h"
#define ND 3
#include "depgraph_tree.h"
#define ND 4
#include "depgraph_tree.h"
#undef DG_CW
#undef DG_VAR

/* The tree is instantiated for 1..4 dims: a new dimension limit needs its
 * instances here and in the AVX2 table below. */
_Static_assert(GRT_RECT_MAX_DIM == 4, "depgraph: instantiate the tree for every ndim");

static const dg_ops_t *const ops_by_nd[2][GRT_RECT_MAX_DIM] = {
    {&ops_1_32_gen, &ops_2_32_gen, &ops_3_32_gen, &ops_4_32_gen},
    {&ops_1_64_gen, &ops_2_64_gen, &ops_3_64_gen, &ops_4_64_gen}};

/* The same tree code again with AVX2 enabled (8-lane 32-bit or 4-lane
 * 64-bit compares scan a node's boxes), chosen at run time when the CPU has
 * it. The algorithm is identical, so the trees and the edge order are the
 * same on every rank whichever variant runs. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(DG_NO_AVX2)
#define DG_HAVE_AVX2 1
#include <immintrin.h>
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
#define DG_VAR avx2
#define DG_USE_AVX2 1
#define DG_CW 32
#define ND 1
#include "depgraph_tree.h"
#define ND 2
#include "depgraph_tree.h"
#define ND 3
#include "depgraph_tree.h"
#define ND 4
#include "depgraph_tree.h"
#undef DG_CW
#define DG_CW 64
#define ND 1
#include "depgraph_tree.h"
#define ND 2
#include "depgraph_tree.h"
#define ND 3
#include "depgraph_tree.h"
#define ND 4
#include "depgraph_tree.h"
#undef DG_CW
#undef DG_USE_AVX2
#undef DG_VAR
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
static const dg_ops_t *const ops_by_nd_avx2[2][GRT_RECT_MAX_DIM] = {
    {&ops_1_32_avx2, &ops_2_32_avx2, &ops_3_32_avx2, &ops_4_32_avx2},
    {&ops_1_64_avx2, &ops_2_64_avx2, &ops_3_64_avx2, &ops_4_64_avx2}};
#endif

static const dg_ops_t *pick_ops(int nd, int wide) {
#ifdef DG_HAVE_AVX2
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return ops_by_nd_avx2[wide][nd - 1];
#endif
  return ops_by_nd[wide][nd - 1];
}

/* Node sizes (the layouts are in depgraph_tree.h): the header, the lo and
 * hi coordinate rows (box_bytes), then per slot 16 bytes (leaf: id, operator,
 * mark) or 16 bytes and nd separator rows (inner: child, operator
 * range). */
static size_t row_bytes(int wide) {
  return wide ? DG_ROW64 * sizeof(int64_t) : DG_ROW32 * sizeof(int32_t);
}
static size_t box_bytes(int nd, int wide) { return 2 * (size_t)nd * row_bytes(wide); }
#define DG_LEAF_TAIL ((size_t)DG_CAP * 16)
#define DG_INNER_TAIL ((size_t)DG_CAP * 16)
static size_t leaf_bytes(int nd, int wide) {
  return sizeof(dg_leaf_t) + box_bytes(nd, wide) + DG_LEAF_TAIL;
}
static size_t inner_bytes(int nd, int wide) {
  return sizeof(dg_inner_t) + box_bytes(nd, wide) + DG_INNER_TAIL +
         (size_t)nd * row_bytes(wide);
}
/* What a query reads of a node: header, coordinate rows, ids or children
 * (the same size for leaves and inner nodes). */
_Static_assert(sizeof(dg_leaf_t) == sizeof(dg_inner_t), "same header size");
static void set_hot(grt_dg_t *dg) {
  dg->hot = sizeof(dg_leaf_t) + box_bytes(dg->nd, dg->wide) + (size_t)DG_CAP * 8;
  dg->lpf = dg->hot + (size_t)DG_CAP * 4;
}
static void **inner_children(const grt_dg_t *dg, dg_inner_t *x) {
  return (void **)((char *)x->v + box_bytes(dg->nd, dg->wide));
}

/* ---- tree maintenance --------------------------------------------------- */

/* After a cut or prune pass: drops an empty root and collapses a root with a
 * single child. */
static void fix_root(grt_dg_t *dg) {
  while (dg->root) {
    if (dg->height == 0) {
      dg_leaf_t *x = dg->root;
      if (x->n == 0) {
        free_node(dg, x, 0);
        dg->root = NULL;
      }
      return;
    }
    dg_inner_t *x = dg->root;
    if (x->n > 1) return;
    void *c = x->n ? inner_children(dg, x)[0] : NULL;
    free_node(dg, x, dg->height);
    dg->root = c;
    dg->height--;
  }
}

/* Reserves the nodes that p insertions can need, after any cut pass (which
 * never adds nodes). A node splits only when an insertion overfills it
 * (DG_B + 1 entries), into two of at least DG_MINSPLIT. With phi = sum over a
 * level's nodes of max(0, entries - DG_B/2), an insertion raises phi by at
 * most 1 and an insertion with a split lowers it by at least DG_MINSPLIT - 1;
 * phi starts at most N * DG_B/2, so a level of N nodes receiving `ins`
 * insertions splits at most min(ins, (N * DG_B/2 + ins) / (DG_MINSPLIT - 1))
 * times, each split inserting one entry one level up. One more node per level
 * covers a new root or first leaf, or a root the cut collapsed and a split
 * re-creates. */
static int reserve_for(grt_dg_t *dg, size_t p) {
  /* the test hook fails any reservation, needed or not (without records,
   * most calls allocate nothing, and the tests must still reach here) */
  if (dg->fail_countdown > 0 && fail_now(dg)) return -1;
  /* Fast path for small p: fewer than DG_B - 1 insertions cannot split a
   * new root, so at most p + 1 nodes per level, levels 0 .. height + 1. */
  size_t h = dg->root ? (size_t)dg->height : 0;
  if (p < DG_B - 1 && dg->leaves.nfree >= p + 1 &&
      dg->inners.nfree >= (p + 1) * (h + 1))
    return 0;
  size_t ins = p, nleaf = 0, ninner = 0;
  for (int lv = 0; ins > 0 && lv < DG_MAXLEV; lv++) {
    size_t n = dg->root && lv <= dg->height ? dg->nlev[lv] : 0, s;
    if (n) {
      s = (n * (DG_B / 2) + ins) / (DG_MINSPLIT - 1);
    } else {
      /* A level the tree does not have yet: one fresh node that gets at most
       * `ins` entries (the first split below puts two there). It splits only
       * past DG_B entries, and every node of the level then holds at least
       * DG_MINSPLIT, so it splits at most (1 + ins) / DG_MINSPLIT times. */
      s = 1 + ins > DG_B ? (1 + ins) / DG_MINSPLIT : 0;
    }
    if (s > ins) s = ins;
    if (lv == 0)
      nleaf += 1 + s;
    else
      ninner += 1 + s;
    ins = s;
  }
  /* Slack: when the fast path's counts are small next to the tree (at most
   * an eighth of its leaves), keep that many free, so that the next small
   * calls take the fast path (this loop and the pool checks cost ~190
   * instructions, a tenth of a random access at 10^4 pieces). */
  if (p < DG_B - 1 && dg->root && (p + 1) * (h + 2) <= dg->nlev[0] / 8) {
    if (nleaf < p + 1) nleaf = p + 1;
    if (ninner < (p + 1) * (h + 1)) ninner = (p + 1) * (h + 1);
  }
  if (pool_reserve(dg, &dg->leaves, nleaf)) return -1;
  if (pool_reserve(dg, &dg->inners, ninner)) return -1;
  return 0;
}

/* ---- widening ------------------------------------------------------------ */

/* Copies narrow node x (at `level`) and its subtree into nodes of the wide
 * pools (reserved), sign-extending every coordinate. */
static void widen_rows(int64_t *dst, const int32_t *src, size_t rows) {
  for (size_t r = 0; r < rows; r++)
    for (size_t s = 0; s < DG_CAP; s++) dst[r * DG_ROW64 + s] = src[r * DG_ROW32 + s];
}

static void *widen_node(grt_dg_t *dg, dg_pool_t *nl, dg_pool_t *ni, const void *x,
                        int level) {
  const size_t nd = (size_t)dg->nd, nb = box_bytes(dg->nd, 0), wb = box_bytes(dg->nd, 1);
  if (level == 0) {
    const dg_leaf_t *a = x;
    dg_leaf_t *b = pool_take(nl);
    memcpy(b, a, sizeof(dg_leaf_t));
    widen_rows(b->v, (const int32_t *)a->v, 2 * nd);
    memcpy((char *)b->v + wb, (const char *)a->v + nb, DG_LEAF_TAIL);
    return b;
  }
  const dg_inner_t *a = x;
  dg_inner_t *b = pool_take(ni);
  memcpy(b, a, sizeof(dg_inner_t));
  widen_rows(b->v, (const int32_t *)a->v, 2 * nd);
  memcpy((char *)b->v + wb, (const char *)a->v + nb, DG_INNER_TAIL);
  widen_rows((int64_t *)((char *)b->v + wb + DG_INNER_TAIL),
             (const int32_t *)((const char *)a->v + nb + DG_INNER_TAIL), nd);
  void **ac = (void **)((char *)a->v + nb), **bc = (void **)((char *)b->v + wb);
  for (uint32_t i = 0; i < a->n; i++) bc[i] = widen_node(dg, nl, ni, ac[i], level - 1);
  return b;
}

/* Makes a narrow analyzer wide: the same tree (same shape, same order: the
 * Morton order and the split points of sign-extended 32-bit coordinates are
 * those of the 32-bit ones), copied into nodes with 64-bit coordinates.
 * Returns -1 with the analyzer unchanged when memory runs out. */
static int widen(grt_dg_t *dg) {
  dg_pool_t nl, ni;
  pool_init(&nl, leaf_bytes(dg->nd, 1), 4);
  pool_init(&ni, inner_bytes(dg->nd, 1), 2);
  size_t ninner = 0;
  if (dg->root)
    for (int lv = 1; lv <= dg->height; lv++) ninner += dg->nlev[lv];
  if (pool_reserve(dg, &nl, dg->root ? dg->nlev[0] : 0) ||
      pool_reserve(dg, &ni, ninner)) {
    pool_destroy(&nl);
    pool_destroy(&ni);
    return -1;
  }
  if (dg->root) dg->root = widen_node(dg, &nl, &ni, dg->root, dg->height);
  pool_destroy(&dg->leaves);
  pool_destroy(&dg->inners);
  dg->leaves = nl;
  dg->inners = ni;
  dg->wide = 1;
  dg->ops = pick_ops(dg->nd, 1);
  set_hot(dg);
  return 0;
}

/* True when a non-empty rectangle of r has a coordinate outside int32. */
static int needs_wide(const grt_rect_t *r, int nd) {
  int empty = 0, out = 0;
  for (int d = 0; d < nd; d++) {
    empty |= r->hi[d] < r->lo[d];
    out |= r->lo[d] < INT32_MIN || r->hi[d] > INT32_MAX;
  }
  return out && !empty;
}

/* ---- public entry points ---------------------------------------------- */

grt_dg_t *grt__dg_create(int ndim) {
  if (ndim < 1 || ndim > GRT_RECT_MAX_DIM) return NULL;
  grt_dg_t *dg = calloc(1, sizeof(*dg));
  if (!dg) return NULL;
  dg->nd = ndim;
  dg->wide = 0;
  dg->ops = pick_ops(ndim, 0);
  set_hot(dg);
  pool_init(&dg->leaves, leaf_bytes(ndim, 0), 4);
  pool_init(&dg->inners, inner_bytes(ndim, 0), 2);
  return dg;
}

void grt__dg_destroy(grt_dg_t *dg) {
  if (!dg) return;
  pool_destroy(&dg->leaves);
  pool_destroy(&dg->inners);
  free(dg->hkey);
  free(dg->hgen);
  free(dg->frag);
  free(dg->frag2);
  free(dg->hits);
  free(dg->pairs);
  free(dg->wlist);
  free(dg->wpool);
  free(dg->boxes);
  free(dg->cand);
  free(dg->lhits);
  free(dg->lsteps);
  free(dg);
}

static int is_empty(const int64_t *lo, const int64_t *hi, int nd) {
  for (int d = 0; d < nd; d++)
    if (hi[d] < lo[d]) return 1;
  return 0;
}

static inline int meets(const int64_t *alo, const int64_t *ahi,
                        const int64_t *blo, const int64_t *bhi, int nd) {
  for (int d = 0; d < nd; d++)
    if (ahi[d] < blo[d] || bhi[d] < alo[d]) return 0;
  return 1;
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

static void set_query(grt_dg_t *dg, const grt_dg_access_t *a, int i) {
  rep_clear(dg);
  dg->qi = i;
  dg->qcls = cls_of(a->priv);
  dg->qmask = dg->qcls == CLS_READ ? (uint8_t)(CLS_BIT(CLS_WRITE) | CLS_BIT(CLS_REDUCE))
                                   : (uint8_t)0x7;
  dg->qop = a->redop;
}

/* The common case: one access, one non-empty rectangle, a writer. Plans
 * (report, count the k pieces to cut, reserve for their <= 2*nd*k slabs),
 * then cuts with in-place replacement and inserts what is left. */
static int add_lone_writer(grt_dg_t *dg, const grt_dg_access_t *a, dg_who_t who) {
  const grt_rect_t *r = &a->rects[0];
  set_query(dg, a, 0);
  dg->qlo = r->lo;
  dg->qhi = r->hi;
  dg->collect = 0;
  dg->nhit = 0;
  dg->nlhits = 0;
  dg->record = 1;
  int qrc = dg->root ? dg->ops->query(dg, dg->root, dg->height) : 0;
  dg->record = 0;
  if (qrc) return DG_ENOMEM;
  /* at most 2 * nd slabs per hit; past a few dozen hits, the exact count
   * (a write over a whole store of 10^6 pieces, nearly all covered, would
   * otherwise size the scratch and the node reservation for 4 * 10^6
   * slabs, and the pools keep what they reserve) */
  size_t k = dg->nhit, nslab = 2 * (size_t)dg->nd * k;
  if (k > DG_EXACT_SLABS) nslab = dg->ops->count_slabs(dg);
  dg->nfrag = 0;
  if (need_frag(dg, nslab) || reserve_for(dg, nslab + 1)) return DG_ENOMEM;
  /* mutation: cannot fail from here on */
  dg->lone = 1;
  dg->wwho = who;
  dg->wplaced = 0;
  if (dg->nlhits) {
    dg->ops->cut_recorded(dg);
    fix_root(dg);
  }
  dg->lone = 0;
  for (size_t f = 0; f < dg->nfrag; f++)
    if (!dg->frag[f].placed) dg->ops->insert(dg, &dg->frag[f]);
  if (!dg->wplaced) {
    dg_piece_t p;
    memcpy(p.lo, r->lo, (size_t)dg->nd * sizeof(int64_t));
    memcpy(p.hi, r->hi, (size_t)dg->nd * sizeof(int64_t));
    p.who = who;
    dg->ops->insert(dg, &p);
  }
  return 0;
}

/* The other common case: one access, one non-empty rectangle, a read or a
 * reduction. Nothing is cut: report, reserve for one insertion, insert. */
static int add_lone_reader(grt_dg_t *dg, const grt_dg_access_t *a, dg_who_t who) {
  const grt_rect_t *r = &a->rects[0];
  set_query(dg, a, 0);
  dg->qlo = r->lo;
  dg->qhi = r->hi;
  dg->collect = 0;
  if (dg->root && dg->ops->query(dg, dg->root, dg->height)) return DG_ENOMEM;
  if (reserve_for(dg, 1)) return DG_ENOMEM;
  /* mutation: cannot fail from here on */
  dg_piece_t p;
  memcpy(p.lo, r->lo, (size_t)dg->nd * sizeof(int64_t));
  memcpy(p.hi, r->hi, (size_t)dg->nd * sizeof(int64_t));
  p.who = who;
  dg->ops->insert(dg, &p);
  return 0;
}

/* The box [lo, hi] of a piece being cut by remainder_split, with its
 * writers: wpool[off, off + k), each meeting the box. */
typedef struct dg_box {
  int64_t lo[GRT_RECT_MAX_DIM], hi[GRT_RECT_MAX_DIM];
  size_t off, k;
} dg_box_t;

/* Replaces the fragments dg->frag[start, nfrag) by what is left of them
 * outside each of the k writer rectangles w[], in order (the slab
 * decomposition of each fragment a rectangle meets). Costs O(k * fragments):
 * for a few writers. 0 or -1 (allocation). */
static int subtract_each(grt_dg_t *dg, size_t start, const grt_rect_t *const *w, size_t k) {
  const int nd = dg->nd;
  for (size_t j = 0; j < k; j++) {
    size_t m = dg->nfrag - start;
    if (grow_arr(dg, (void **)&dg->frag2, &dg->capfrag2, m, sizeof(dg_piece_t)))
      return -1;
    memcpy(dg->frag2, dg->frag + start, m * sizeof(dg_piece_t));
    dg->nfrag = start;
    for (size_t f = 0; f < m; f++) {
      if (need_frag(dg, 2 * (size_t)nd)) return -1;
      const dg_piece_t *x = &dg->frag2[f];
      if (meets(x->lo, x->hi, w[j]->lo, w[j]->hi, nd))
        dg->ops->slabs(dg, x, w[j]->lo, w[j]->hi);
      else
        dg->frag[dg->nfrag++] = *x;
    }
  }
  return 0;
}

/* The element of rank m (0-based) of a[0, n), moving the others around:
 * quickselect with a median-of-three pivot and a three-way partition, so
 * sorted input and repeated values stay linear. */
static int64_t select_rank(int64_t *a, size_t n, size_t m) {
  size_t lo = 0, hi = n; /* the answer lies in a[lo, hi) */
  while (hi - lo > 1) {
    int64_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
    int64_t piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    size_t lt = lo, i = lo, gt = hi; /* [lo,lt) < piv, [lt,i) == piv, [gt,hi) > piv */
    while (i < gt) {
      int64_t v = a[i];
      if (v < piv) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > piv) {
        a[i] = a[--gt];
        a[gt] = v;
      } else {
        i++;
      }
    }
    if (m < lt) hi = lt;
    else if (m >= gt) lo = gt;
    else return piv;
  }
  return a[lo];
}

/* Picks the cut of box b (into [lo, s - 1] and [s, hi] along dim *dd) that
 * sends the fewest writers to the busier side: per dim, the median of the
 * writers' edges strictly inside the box. 1 when that side gets at most 3/4
 * of the writers (so the splitting recursion is O(log k) deep and its lists
 * O(k) long in all), 0 when no cut does (writers crossing each other, as
 * rows over columns: subtract_each does the box), -1 on allocation failure. */
static int choose_split(grt_dg_t *dg, const dg_box_t *b, int *dd, int64_t *ss) {
  const int nd = dg->nd;
  if (grow_arr(dg, (void **)&dg->cand, &dg->capcand, 2 * b->k, sizeof(int64_t))) return -1;
  const grt_rect_t *const *w = dg->wpool + b->off;
  size_t best = b->k;
  int found = 0;
  for (int d = 0; d < nd; d++) {
    size_t n = 0;
    for (size_t i = 0; i < b->k; i++) {
      if (w[i]->lo[d] > b->lo[d]) dg->cand[n++] = w[i]->lo[d];
      if (w[i]->hi[d] < b->hi[d]) dg->cand[n++] = w[i]->hi[d] + 1;
    }
    if (n == 0) continue;
    int64_t s = select_rank(dg->cand, n, n / 2);
    size_t kl = 0, kr = 0;
    for (size_t i = 0; i < b->k; i++) {
      kl += w[i]->lo[d] < s;
      kr += w[i]->hi[d] >= s;
    }
    size_t m = kl > kr ? kl : kr;
    if (m < best) {
      best = m;
      *dd = d;
      *ss = s;
      found = 1;
    }
  }
  return found && best <= b->k - b->k / 4;
}

/* Appends to dg->frag what is left of hit e's piece outside its k writers
 * w[] (k >= DG_SPLIT_MIN). subtract_each would cost O(k^2) for k writers
 * spread over one piece (a strided view's n single elements over a tile:
 * 12 s at n = 5 * 10^4); this cuts the piece in two at a median writer edge,
 * hands each writer to the halves it meets, and goes on in each half,
 * subtracting one by one once a box has fewer than DG_SPLIT_LEAF writers
 * (or no cut separates them). Boxes are done depth first from an explicit
 * stack, and the box popped always owns the top of wpool: O(k log k) for
 * writers a cut separates. The remainder is the same point set as
 * subtract_each's, in at most as many more pieces as there were cuts.
 * 0 or -1 (allocation). */
static int remainder_split(grt_dg_t *dg, const dg_hit_t *e, const grt_rect_t *const *w,
                           size_t k) {
  const int nd = dg->nd;
  if (grow_arr(dg, (void **)&dg->wpool, &dg->capwpool, k, sizeof(*dg->wpool)) ||
      grow_arr(dg, (void **)&dg->boxes, &dg->capboxes, 1, sizeof(dg_box_t)))
    return -1;
  memcpy(dg->wpool, w, k * sizeof(*w));
  size_t nbox = 1;
  memcpy(dg->boxes[0].lo, e->p.lo, sizeof e->p.lo);
  memcpy(dg->boxes[0].hi, e->p.hi, sizeof e->p.hi);
  dg->boxes[0].off = 0;
  dg->boxes[0].k = k;
  while (nbox > 0) {
    dg_box_t b = dg->boxes[--nbox];
    size_t top = b.off + b.k; /* b's list is the top of wpool */
    int covered = 0;
    for (size_t i = 0; i < b.k && !covered; i++) {
      const grt_rect_t *x = dg->wpool[b.off + i];
      covered = 1;
      for (int d = 0; d < nd; d++)
        if (x->lo[d] > b.lo[d] || x->hi[d] < b.hi[d]) covered = 0;
    }
    if (covered) continue;
    int d = 0;
    int64_t s = 0;
    int split = b.k >= DG_SPLIT_LEAF ? choose_split(dg, &b, &d, &s) : 0;
    if (split < 0) return -1;
    if (!split) {
      if (need_frag(dg, 1)) return -1;
      size_t start = dg->nfrag;
      dg_piece_t *f = &dg->frag[dg->nfrag++];
      *f = e->p;
      memcpy(f->lo, b.lo, sizeof b.lo);
      memcpy(f->hi, b.hi, sizeof b.hi);
      f->placed = 0;
      if (subtract_each(dg, start, dg->wpool + b.off, b.k)) return -1;
      continue;
    }
    /* the right half's list then the left's, built above the top and moved
     * down over b's: the left half (pushed last) owns the new top */
    if (grow_arr(dg, (void **)&dg->wpool, &dg->capwpool, top + 2 * b.k, sizeof(*dg->wpool)) ||
        grow_arr(dg, (void **)&dg->boxes, &dg->capboxes, nbox + 2, sizeof(dg_box_t)))
      return -1;
    const grt_rect_t **ws = dg->wpool + b.off, **out = dg->wpool + top;
    size_t kr = 0, kl = 0;
    for (size_t i = 0; i < b.k; i++)
      if (ws[i]->hi[d] >= s) out[kr++] = ws[i];
    for (size_t i = 0; i < b.k; i++)
      if (ws[i]->lo[d] < s) out[kr + kl++] = ws[i];
    memmove(ws, out, (kr + kl) * sizeof(*ws));
    dg_box_t *r = &dg->boxes[nbox++], *l = &dg->boxes[nbox++];
    *r = b;
    r->lo[d] = s;
    r->off = b.off;
    r->k = kr;
    *l = b;
    l->hi[d] = s - 1;
    l->off = b.off + kr;
    l->k = kl;
  }
  return 0;
}

/* Computes the remainders of every hit piece: the piece minus each batch
 * writer rectangle that hit it, in batch order (slab decomposition of each
 * fragment that the rectangle meets; by splitting for a piece hit by many),
 * into dg->frag. */
static int plan_remainders(grt_dg_t *dg) {
  if (grow_arr(dg, (void **)&dg->wlist, &dg->capwlist, dg->npairs,
               sizeof(*dg->wlist)))
    return -1;
  uint32_t first = 0;
  for (size_t h = 0; h < dg->nhits; h++) {
    dg->hits[h].first = first;
    dg->hits[h].fill = 0;
    first += dg->hits[h].npairs;
  }
  for (size_t i = 0; i < dg->npairs; i++) {
    dg_hit_t *e = &dg->hits[dg->pairs[i].hit];
    dg->wlist[e->first + e->fill++] = dg->pairs[i].w;
  }
  dg->nfrag = 0;
  for (size_t h = 0; h < dg->nhits; h++) {
    dg_hit_t *e = &dg->hits[h];
    const grt_rect_t *const *w = dg->wlist + e->first;
    if (e->npairs >= DG_SPLIT_MIN) {
      if (remainder_split(dg, e, w, e->npairs)) return -1;
      continue;
    }
    size_t start = dg->nfrag;
    if (need_frag(dg, 1)) return -1;
    dg->frag[dg->nfrag] = e->p;
    dg->frag[dg->nfrag].placed = 0;
    dg->nfrag++;
    if (subtract_each(dg, start, w, e->npairs)) return -1;
  }
  return 0;
}

/* Any batch: query every access against the pre-call pieces (reporting, and
 * collecting the pieces the writers hit), plan the remainders, reserve; then
 * cut, insert the remainders and the new pieces. Accesses of one call thus
 * neither see nor retire each other. */
static dg_who_t who_of(const grt_dg_access_t *a) {
  dg_who_t w;
  w.id = a->id;
  w.cls = (uint8_t)cls_of(a->priv);
  w.redop = w.cls == CLS_REDUCE ? a->redop : 0;
  return w;
}

static int add_batch(grt_dg_t *dg, const grt_dg_access_t *acc, int n) {
  const int nd = dg->nd;
  dg->nhits = 0;
  dg->npairs = 0;
  size_t nnew = 0;
  for (int i = 0; i < n; i++) {
    const grt_dg_access_t *a = &acc[i];
    set_query(dg, a, i);
    dg->collect = dg->qcls == CLS_WRITE;
    for (int j = 0; j < a->nrects; j++) {
      const grt_rect_t *r = &a->rects[j];
      if (is_empty(r->lo, r->hi, nd)) continue;
      nnew++;
      dg->qlo = r->lo;
      dg->qhi = r->hi;
      dg->qrect = r;
      if (dg->root && dg->ops->query(dg, dg->root, dg->height)) return DG_ENOMEM;
    }
  }
  dg->collect = 0;
  if (plan_remainders(dg) || reserve_for(dg, dg->nfrag + nnew)) return DG_ENOMEM;

  /* mutation: cannot fail from here on */
  for (int i = 0; i < n && dg->nhits; i++) {
    if (cls_of(acc[i].priv) != CLS_WRITE) continue;
    for (int j = 0; j < acc[i].nrects; j++) {
      const grt_rect_t *r = &acc[i].rects[j];
      if (is_empty(r->lo, r->hi, nd) || !dg->root) continue;
      dg->qlo = r->lo;
      dg->qhi = r->hi;
      dg->ops->cut(dg, dg->root, dg->height);
      fix_root(dg);
    }
  }
  for (size_t f = 0; f < dg->nfrag; f++) dg->ops->insert(dg, &dg->frag[f]);
  for (int i = 0; i < n; i++) {
    const dg_who_t who = who_of(&acc[i]);
    for (int j = 0; j < acc[i].nrects; j++) {
      const grt_rect_t *r = &acc[i].rects[j];
      if (is_empty(r->lo, r->hi, nd)) continue;
      dg_piece_t p;
      memcpy(p.lo, r->lo, (size_t)nd * sizeof(int64_t));
      memcpy(p.hi, r->hi, (size_t)nd * sizeof(int64_t));
      p.who = who;
      dg->ops->insert(dg, &p);
    }
  }
  return 0;
}

int grt__dg_add(grt_dg_t *dg, const grt_dg_access_t *acc, int n,
                grt_dg_edge_fn edge, void *ctx) {
  if (!dg || n < 0 || (n > 0 && !acc) || !edge) return DG_EINVAL;
  /* The common case first: one access of one non-empty rectangle (the same
   * checks and steps as below, without the loops). */
  if (n == 1 && acc->nrects == 1 && acc->rects) {
    const grt_rect_t *r = acc->rects;
    const int cls = cls_of(acc->priv);
    if (cls < 0 || r->ndim != dg->nd) return DG_EINVAL;
    if (!is_empty(r->lo, r->hi, dg->nd)) {
      if (!dg->wide && needs_wide(r, dg->nd) && widen(dg)) return DG_ENOMEM;
      dg->edge = edge;
      dg->ectx = ctx;
      return cls == CLS_WRITE ? add_lone_writer(dg, acc, who_of(acc))
                              : add_lone_reader(dg, acc, who_of(acc));
    }
  }
  int wide = 0;
  for (int i = 0; i < n; i++) {
    if (cls_of(acc[i].priv) < 0 || acc[i].nrects < 0 ||
        (acc[i].nrects > 0 && !acc[i].rects))
      return DG_EINVAL;
    for (int j = 0; j < acc[i].nrects; j++) {
      if (acc[i].rects[j].ndim != dg->nd) return DG_EINVAL;
      wide |= !dg->wide && needs_wide(&acc[i].rects[j], dg->nd);
    }
  }
  if (n == 0) return 0;
  /* Widening first: failing here leaves everything untouched, and a wide
   * tree holds the same pieces (no behaviour changes if a later step fails). */
  if (wide && widen(dg)) return DG_ENOMEM;

  dg->edge = edge;
  dg->ectx = ctx;
  return add_batch(dg, acc, n);
}

void grt__dg_prune(grt_dg_t *dg, grt_dg_done_fn done, void *ctx) {
  if (!dg || !done) return;
  if (!dg->root) return;
  dg->pvalid = 0;
  dg->ops->prune(dg, dg->root, dg->height, done, ctx);
  fix_root(dg);
}

size_t grt__dg_live(const grt_dg_t *dg) { return dg ? dg->live : 0; }

void grt__dg_debug_fail_alloc(grt_dg_t *dg, long countdown) {
  if (dg) dg->fail_countdown = countdown;
}
