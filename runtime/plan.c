/* plan.c - the control loop across ranks: planning each operation's
 * transfers from the replicated coherence map (coherence.h).
 *
 * Every rank runs this for every operation with the same inputs, so every
 * rank plans the same transfers with the same tags: the writer sends when its
 * values are final, the reader receives before its task starts, and no rank
 * ever asks another what happened. This rank's share becomes transfer nodes
 * (xfer.h), which enter the dependence analysis before the op's points. */
#include "plan.h"

#include "analysis.h"
#include "instances.h"
#include "runtime.h"
#include "xfer.h"

#include <stdlib.h>
#include <string.h>

/* ---- planning ----
 *
 * A rank plans only the transfers it takes part in. For each argument that
 * reads a root, the readers are the op's points (or rank 0 alone for a
 * gathered reduction, or every rank for map/detach). Against the pieces
 * every rank plans every reader alike (they are replicated); against the
 * tiled layer a rank plans its own readers (what it receives) and the remote
 * readers of its own tiles (what it sends). With a structured reading
 * partition those remote readers come from arithmetic on the colours, so a
 * stencil costs each rank O(its points + its neighbours), whatever the
 * number of ranks. Both sides order a message's rectangles by the same key
 * (argument, reader, rectangle, fragment, tile, piece), and both derive its
 * tag from a block every rank reserves per plan: no counting of other
 * ranks' messages. */

typedef struct plan_xfer {
  int root_slot, peer;
  bool send;
  int arg, q, j, r2, k; /* the key, with c */
  int64_t c;
  grt_rect_t r;
} plan_xfer_t;

/* A memo of one tiled-layer read (see plan_reads): what a rank plans for
 * an argument read through the identity by a launch's points when the layer
 * has no copies recorded yet (held and sent empty) is a function of the
 * layer's tiling and sharding, the reading tiling, the launch's shape and
 * sharding, and the rank. Block shardings only (a mapper's function is
 * opaque). */
#define PLAN_MEMOS 4

typedef struct plan_memo {
  bool valid;
  const grt_coh_t *coh;
  grt_tiling_t layer, reading;
  int64_t layer_np, launch_np;   /* block shardings: npoints (nranks is the job's) */
  int launch_ndim;
  int64_t launch_shape[GRT_MAX_DIM];
  plan_xfer_t *v;                /* the transfers, in planning order */
  int n, cap;
} plan_memo_t;

/* The last few coalescings of a transfer node's rectangles: a stencil's
 * nodes repeat every other iteration (same rectangles in the same order). */
#define COAL_MEMOS 4
#define COAL_MEMO_RECTS 16

typedef struct coal_memo {
  int nin, nout;                 /* nin == 0: empty slot */
  grt_rect_t in[COAL_MEMO_RECTS], out[COAL_MEMO_RECTS];
} coal_memo_t;

typedef struct plan {
  plan_xfer_t *v;
  int n, cap;
  grt_store_root_t *roots[GRT_MAX_ARGS];
  int nroots;
  grt_xfer_t **mine;      /* this rank's transfer nodes from the last plan */
  int nmine, capmine;
  grt_rects_t img, rest;
  grt_rects_t ana;        /* the nodes' rectangles, coalesced, for the analysis */
  grt_dg_access_t *acc;   /* the analysis of one root's nodes (reused) */
  grt_node_t **tgt;
  int *astart;
  int capacc;
  int64_t *cand;          /* owner side: remote readers of this rank's tiles */
  int ncand, capcand;
  uint64_t base_tag;
  uint64_t nodes_made;    /* transfer nodes made so far (tests) */
  uint64_t memo_hits;     /* tiled-layer reads replayed from a memo (tests) */
  plan_memo_t memo[PLAN_MEMOS];
  int memo_next;
  coal_memo_t coal[COAL_MEMOS];
  int coal_next;
  int rank;
  int cur_slot, cur_arg, cur_q, cur_j, cur_r2;
  int err;
} plan_t;

static plan_t *plan_of(grt_runtime_t *rt) {
  if (!rt->plan) rt->plan = calloc(1, sizeof(plan_t));
  return rt->plan;
}

void grt__plan_free(grt_runtime_t *rt) {
  plan_t *pl = rt->plan;
  if (!pl) return;
  free(pl->v);
  free(pl->mine);
  free(pl->cand);
  for (int i = 0; i < PLAN_MEMOS; i++) free(pl->memo[i].v);
  free(pl->acc);
  free(pl->tgt);
  free(pl->astart);
  grt__rects_free(&pl->ana);
  grt__rects_free(&pl->img);
  grt__rects_free(&pl->rest);
  free(pl);
  rt->plan = NULL;
}

uint64_t grt__plan_xfer_nodes(const grt_runtime_t *rt) {
  const plan_t *pl = rt->plan;
  return pl ? pl->nodes_made : 0;
}

uint64_t grt__plan_memo_hits(const grt_runtime_t *rt) {
  const plan_t *pl = rt->plan;
  return pl ? pl->memo_hits : 0;
}

static void collect(void *ctx, int src, int dst, const grt_rect_t *r, int64_t c, int k) {
  plan_t *pl = ctx;
  if (src != pl->rank && dst != pl->rank) return;
  if (pl->n == pl->cap) {
    int cap = pl->cap ? pl->cap * 2 : 64;
    plan_xfer_t *v = realloc(pl->v, sizeof *v * (size_t)cap);
    if (!v) {
      pl->err = GRT_ENOMEM;
      return;
    }
    pl->v = v;
    pl->cap = cap;
  }
  bool send = src == pl->rank;
  pl->v[pl->n++] = (plan_xfer_t){.root_slot = pl->cur_slot, .peer = send ? dst : src, .send = send,
                                 .arg = pl->cur_arg, .q = pl->cur_q, .j = pl->cur_j,
                                 .r2 = pl->cur_r2, .k = k, .c = c, .r = *r};
}

static int slot_of(plan_t *pl, grt_store_root_t *root) {
  for (int i = 0; i < pl->nroots; i++)
    if (pl->roots[i] == root) return i;
  pl->roots[pl->nroots] = root;
  return pl->nroots++;
}

static grt_coh_t *coh_of(grt_runtime_t *rt, grt_store_root_t *root) {
  grt_root_state_t *st = grt__analysis_root_state(rt, root);
  if (!st) return NULL;
  if (st->coh.nranks == 0) grt__coherence_init(&st->coh, rt->nranks, rt->rank);
  return &st->coh;
}

/* Root image of view rect @p r into @p out (cleared first). */
static int image_into(grt_rects_t *out, const grt_transform_t *tf, const grt_rect_t *r) {
  out->n = 0;
  if (grt_rect_empty(r)) return 0;
  if (grt__tf_is_identity(tf)) return grt__rects_push(out, r);
  return grt__tf_image(tf, r, out);
}

void grt__plan_point_rect(const grt_op_t *op, int p, int arg, grt_rect_t *r) {
  int64_t color[GRT_MAX_DIM] = {0};
  grt__sharding_point(op->launch_ndim, op->launch_shape, p, color);
  grt__tiling_rect(&op->args[arg].tiling, color, r);
}

/* Who reads an argument: the op's points, rank 0 alone (a gathered
 * reduction), or every rank (map, detach: q is the rank). */
typedef enum { RD_POINTS, RD_GATHER, RD_WHOLE } rd_kind_t;

typedef struct readers {
  rd_kind_t kind;
  const grt_op_t *op;
  int arg;
  const grt_transform_t *tf;
  bool identity;          /* tf is the identity (set by plan_reads) */
  grt_rect_t whole;       /* the whole view */
  int n;                  /* readers */
} readers_t;

static int rd_rank(const grt_runtime_t *rt, const readers_t *rd, int q) {
  (void)rt;
  return rd->kind == RD_POINTS ? grt__op_shard(rd->op, q) : rd->kind == RD_GATHER ? 0 : q;
}

static void rd_rect(const readers_t *rd, int q, grt_rect_t *r) {
  if (rd->kind == RD_POINTS)
    grt__plan_point_rect(rd->op, q, rd->arg, r);
  else
    *r = rd->whole;
}

static int cand_push(plan_t *pl, int64_t q) {
  if (pl->ncand == pl->capcand) {
    int cap = pl->capcand ? pl->capcand * 2 : 64;
    int64_t *v = realloc(pl->cand, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
    pl->cand = v;
    pl->capcand = cap;
  }
  pl->cand[pl->ncand++] = q;
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The readers on other ranks that may read this rank's tiles of the tiled
 * layer, ascending, into pl->cand. */
static int owner_candidates(const grt_runtime_t *rt, plan_t *pl, const grt_coh_t *coh,
                            const readers_t *rd) {
  pl->ncand = 0;
  int64_t t0, t1;
  grt__coherence_my_tiles(coh, &t0, &t1);
  if (t0 >= t1) return 0; /* owns nothing: sends nothing */
  int rc = 0;
  if (rd->kind != RD_POINTS) {
    for (int q = 0; q < rd->n && rc == 0; q++)
      if (rd_rank(rt, rd, q) != pl->rank) rc = cand_push(pl, q);
    return rc;
  }
  const grt_op_t *op = rd->op;
  const grt_tiling_t *t = &op->args[rd->arg].tiling;
  bool structured = grt__tf_is_identity(rd->tf) && t->kind == GRT_PART_TILED &&
                    t->ndim == op->launch_ndim;
  for (int d = 0; structured && d < t->ndim; d++) structured = t->colors[d] == op->launch_shape[d];
  if (!structured) { /* every remote reader: correct, but O(points) */
    for (int q = 0; q < rd->n && rc == 0; q++)
      if (rd_rank(rt, rd, q) != pl->rank) rc = cand_push(pl, q);
    return rc;
  }
  int nd = t->ndim;
  for (int64_t lin = t0; lin < t1 && rc == 0; lin++) {
    if (grt__coherence_owner(coh, lin) != pl->rank) continue; /* a mapper's sharding */
    grt_rect_t tile;
    grt__coherence_tile_rect(coh, lin, &tile);
    if (grt_rect_empty(&tile)) continue;
    /* Colours q whose rect [q*t - low, (q+1)*t - 1 + high] meets the tile. */
    int64_t qlo[GRT_MAX_DIM], qhi[GRT_MAX_DIM], q[GRT_MAX_DIM];
    bool empty = false;
    for (int d = 0; d < nd; d++) {
      qhi[d] = floor_div(tile.hi[d] + t->low[d], t->tile[d]);
      qlo[d] = -floor_div(-(tile.lo[d] - t->high[d] + 1), t->tile[d]) - 1;
      if (qlo[d] < 0) qlo[d] = 0;
      if (qhi[d] > t->colors[d] - 1) qhi[d] = t->colors[d] - 1;
      empty |= qlo[d] > qhi[d];
      q[d] = qlo[d];
    }
    if (empty) continue;
    do {
      int64_t p = 0;
      for (int d = 0; d < nd; d++) p = p * op->launch_shape[d] + q[d];
      if (rd_rank(rt, rd, (int)p) != pl->rank && (rc = cand_push(pl, p)) < 0) return rc;
    } while (grt_rect_next_point(nd, qlo, qhi, q));
  }
  if (t1 - t0 > 1 && pl->ncand > 1) { /* several tiles: sort, drop repeats (cand may be NULL) */
    qsort(pl->cand, (size_t)pl->ncand, sizeof *pl->cand, cmp_i64);
    int m = 0;
    for (int i = 0; i < pl->ncand; i++)
      if (m == 0 || pl->cand[m - 1] != pl->cand[i]) pl->cand[m++] = pl->cand[i];
    pl->ncand = m;
  }
  return 0;
}

/* Reader @p q (on rank @p rank) against the tiled layer only. */
static int read_tiled_q(plan_t *pl, grt_coh_t *coh, const readers_t *rd, int q, int rank) {
  grt_rect_t r;
  rd_rect(rd, q, &r);
  pl->cur_q = q;
  pl->cur_r2 = 0;
  if (rd->identity) { /* its image is itself: rectangle j = 0 */
    pl->cur_j = 0;
    return grt__coherence_read_tiled(coh, &r, rank, collect, pl);
  }
  int rc = image_into(&pl->img, rd->tf, &r);
  for (int j = 0; j < pl->img.n && rc == 0; j++) {
    pl->cur_j = j;
    rc = grt__coherence_read_tiled(coh, &pl->img.v[j], rank, collect, pl);
  }
  return rc;
}

static bool same_tiling(const grt_tiling_t *a, const grt_tiling_t *b) {
  if (!grt__tiling_equal(a, b)) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->colors[d] != b->colors[d]) return false;
  return true;
}

/* The memo slot matching this read, NULL if none; *ok says whether the
 * read may be memoized at all. */
static plan_memo_t *memo_find(plan_t *pl, const grt_coh_t *coh, const readers_t *rd, bool *ok) {
  const grt_op_t *op = rd->op;
  *ok = rd->kind == RD_POINTS && rd->identity && !coh->sh.fn && !op->shard.fn &&
        coh->held.n == 0 && coh->nsent == 0 && op->launch_ndim <= GRT_MAX_DIM;
  if (!*ok) return NULL;
  const grt_tiling_t *t = &op->args[rd->arg].tiling;
  for (int i = 0; i < PLAN_MEMOS; i++) {
    plan_memo_t *m = &pl->memo[i];
    if (!m->valid || m->coh != coh || m->layer_np != coh->sh.npoints ||
        m->launch_np != op->shard.npoints || m->launch_ndim != op->launch_ndim ||
        !same_tiling(&m->layer, &coh->t) || !same_tiling(&m->reading, t))
      continue;
    bool same = true;
    for (int d = 0; d < op->launch_ndim && same; d++) same = m->launch_shape[d] == op->launch_shape[d];
    if (same) return m;
  }
  return NULL;
}

/* Replays a memo: the same transfers (under this op's root slot and
 * argument) and the same records in held / sent, in the same order. */
static int memo_replay(plan_t *pl, grt_coh_t *coh, const plan_memo_t *m) {
  if (pl->cap - pl->n < m->n) {
    int cap = pl->cap ? pl->cap : 64;
    while (cap - pl->n < m->n) cap *= 2;
    plan_xfer_t *v = realloc(pl->v, sizeof *v * (size_t)cap);
    if (!v) return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
    pl->v = v;
    pl->cap = cap;
  }
  for (int i = 0; i < m->n; i++) {
    const plan_xfer_t *e = &m->v[i];
    plan_xfer_t *o = &pl->v[pl->n++];
    *o = *e;
    o->root_slot = pl->cur_slot;
    o->arg = pl->cur_arg;
    int rc = grt__coherence_record(coh, e->send ? e->peer : pl->rank, &e->r);
    if (rc < 0) return rc;
  }
  pl->memo_hits++;
  return 0;
}

static void memo_save(plan_t *pl, const grt_coh_t *coh, const readers_t *rd, int n0) {
  plan_memo_t *m = &pl->memo[pl->memo_next];
  int n = pl->n - n0;
  if (pl->err) return;
  if (n > m->cap) {
    plan_xfer_t *v = realloc(m->v, sizeof *v * (size_t)n);
    if (!v) return; /* no memo: only slower */
    m->v = v;
    m->cap = n;
  }
  pl->memo_next = (pl->memo_next + 1) % PLAN_MEMOS;
  const grt_op_t *op = rd->op;
  m->valid = true;
  m->coh = coh;
  m->layer = coh->t;
  m->reading = op->args[rd->arg].tiling;
  m->layer_np = coh->sh.npoints;
  m->launch_np = op->shard.npoints;
  m->launch_ndim = op->launch_ndim;
  memcpy(m->launch_shape, op->launch_shape, sizeof m->launch_shape);
  if (n) memcpy(m->v, pl->v + n0, sizeof *m->v * (size_t)n);
  m->n = n;
}

/* Plans the reads of one argument (or of a whole store by every rank). */
static int plan_reads(grt_runtime_t *rt, plan_t *pl, grt_coh_t *coh, readers_t *rd) {
  bool gen = false;
  rd->identity = grt__tf_is_identity(rd->tf);
  int rc = 0;
  if (coh->n > 0) {
    if ((rc = image_into(&pl->img, rd->tf, &rd->whole)) < 0) return rc;
    for (int k = 0; k < pl->img.n && !gen; k++)
      gen = grt__coherence_pieces_meet(coh, &pl->img.v[k]);
  }
  if (gen) { /* every reader, on every rank alike */
    for (int q = 0; q < rd->n && rc == 0; q++) {
      int rank = rd_rank(rt, rd, q);
      grt_rect_t r;
      rd_rect(rd, q, &r);
      if ((rc = image_into(&pl->img, rd->tf, &r)) < 0) break;
      pl->cur_q = q;
      for (int j = 0; j < pl->img.n && rc == 0; j++) {
        pl->cur_j = j;
        pl->cur_r2 = -1;
        pl->rest.n = 0;
        rc = grt__coherence_read_pieces(coh, &pl->img.v[j], rank, collect, pl,
                                  coh->tiled ? &pl->rest : NULL);
        for (int r2 = 0; r2 < pl->rest.n && rc == 0; r2++) {
          pl->cur_r2 = r2;
          rc = grt__coherence_read_tiled(coh, &pl->rest.v[r2], rank, collect, pl);
        }
      }
    }
    return rc;
  }
  if (!coh->tiled) return 0; /* valid everywhere */
  /* A stencil reads each store once after each write, the same way every
   * other iteration: replay what was planned then. */
  bool memo_ok;
  plan_memo_t *memo = memo_find(pl, coh, rd, &memo_ok);
  if (memo) return memo_replay(pl, coh, memo);
  int n0 = pl->n;
  /* This rank's readers: what it receives. */
  int q0 = 0, q1 = 0;
  if (rd->kind == RD_POINTS)
    q0 = rd->op->l0, q1 = rd->op->l1;
  else if (rd->kind == RD_WHOLE)
    q0 = pl->rank, q1 = pl->rank + 1;
  else if (pl->rank == 0)
    q1 = 1;
  for (int q = q0; q < q1 && rc == 0; q++)
    if (rd->kind != RD_POINTS || grt__op_local(rd->op, q)) rc = read_tiled_q(pl, coh, rd, q, pl->rank);
  /* Other ranks' readers of this rank's tiles: what it sends. */
  if (rc == 0) rc = owner_candidates(rt, pl, coh, rd);
  for (int i = 0; i < pl->ncand && rc == 0; i++) {
    int q = (int)pl->cand[i];
    rc = read_tiled_q(pl, coh, rd, q, rd_rank(rt, rd, q));
  }
  if (rc == 0 && memo_ok) memo_save(pl, coh, rd, n0);
  return rc;
}

static int cmp_xfer(const void *a, const void *b) {
  const plan_xfer_t *x = a, *y = b;
#define CMP(f) if (x->f != y->f) return x->f < y->f ? -1 : 1
  /* Root and direction first: one node each, its messages (peers) in
   * order, each message's rectangles in key order. */
  CMP(root_slot);
  CMP(send);
  CMP(peer);
  CMP(arg);
  CMP(q);
  CMP(j);
  CMP(r2);
  CMP(c);
  CMP(k);
#undef CMP
  return 0;
}

static bool same_node(const plan_xfer_t *x, const plan_xfer_t *y) {
  return x->root_slot == y->root_slot && x->send == y->send;
}

static int keep_node(plan_t *pl, grt_xfer_t *x) {
  if (pl->nmine == pl->capmine) {
    int cap = pl->capmine ? pl->capmine * 2 : 16;
    grt_xfer_t **m = realloc(pl->mine, sizeof *m * (size_t)cap);
    if (!m) return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
    pl->mine = m;
    pl->capmine = cap;
  }
  pl->mine[pl->nmine++] = x;
  return 0;
}

/* Makes this rank's transfer nodes: per root and direction one node, with
 * one message per peer whose rectangles are in key order. */
static int make_nodes(grt_runtime_t *rt, plan_t *pl) {
  if (pl->err) return grt__error(pl->err, "grt: out of host memory planning transfers");
  /* A stencil's transfers come out of planning in key order already
   * (readers, then tiles, ascending): check before sorting. */
  bool sorted = true;
  for (int i = 1; i < pl->n && sorted; i++) sorted = cmp_xfer(&pl->v[i - 1], &pl->v[i]) <= 0;
  if (!sorted) qsort(pl->v, (size_t)pl->n, sizeof *pl->v, cmp_xfer);
  /* Every rectangle gets its instance before any node is bound to one: a
   * send of values held in two instances grows them into one. */
  for (int i = 0; i < pl->n; i++) {
    grt_instance_t *in;
    if (grt_rect_empty(&pl->v[i].r)) continue;
    int rc = grt__instances_ensure(rt, pl->roots[pl->v[i].root_slot], &pl->v[i].r, &in);
    if (rc < 0) return rc;
  }
  for (int i = 0; i < pl->n;) {
    int j = i, nm = 0;
    for (; j < pl->n && same_node(&pl->v[i], &pl->v[j]); j++)
      nm += j == i || pl->v[j].peer != pl->v[j - 1].peer;
    grt_store_root_t *root = pl->roots[pl->v[i].root_slot];
    int nr = j - i;
    grt_xfer_t *x = grt__xfer_new(rt, root, pl->v[i].send,
                                  pl->base_tag + (uint64_t)pl->v[i].root_slot, nr, nm);
    if (!x || keep_node(pl, x) < 0) {
      if (x) grt__root_release(root);
      free(x);
      return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
    }
    pl->nodes_made++;
    size_t es = grt_type_size(root->type);
    for (int k = 0; k < nr; k++) {
      const plan_xfer_t *e = &pl->v[i + k];
      if (k == 0 || e->peer != pl->v[i + k - 1].peer)
        x->msgs[x->nmsgs++] = (grt_xmsg_t){.peer = e->peer, .off = x->bytes};
      size_t b = (size_t)grt_rect_volume(&e->r) * es;
      x->rects[k] = e->r;
      x->msgs[x->nmsgs - 1].bytes += b;
      x->bytes += b;
    }
    grt__xfer_bind(rt, x);
    int rc = grt__xfer_post(rt, x);
    if (rc < 0) return rc;
    i = j;
  }
  return 0;
}

/* Every rank reserves the same block of tags per plan, one per root slot. */
static void plan_reset(grt_runtime_t *rt, plan_t *pl) {
  pl->n = 0;
  pl->nroots = 0;
  pl->err = 0;
  pl->rank = rt->rank;
  pl->base_tag = rt->xfer_seq + 1;
  rt->xfer_seq += GRT_MAX_ARGS;
}

static bool is_gather(const grt_op_t *op, const grt_arg_t *a) {
  return grt__op_arg_gathers(a, op->npoints);
}

static void whole_view(int ndim, const int64_t *shape, grt_rect_t *r) {
  memset(r, 0, sizeof *r);
  r->ndim = ndim;
  for (int d = 0; d < ndim; d++) r->hi[d] = shape[d] - 1;
}

/* A write the tiled layer can record: the whole root, identity view, a
 * tiling without halo whose colours are the launch's points. */
static bool tiled_write(const grt_op_t *op, const grt_arg_t *a) {
  const grt_tiling_t *t = &a->tiling;
  if (!grt__tf_is_identity(&a->tf) || t->kind != GRT_PART_TILED || t->ndim != op->launch_ndim ||
      a->ndim != a->root->ndim)
    return false;
  for (int d = 0; d < t->ndim; d++)
    if (a->shape[d] != a->root->shape[d] || t->low[d] || t->high[d] ||
        t->colors[d] != op->launch_shape[d])
      return false;
  return true;
}

int grt__plan_op(grt_runtime_t *rt, grt_op_t *op) {
  plan_t *pl = plan_of(rt);
  if (!pl) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  plan_reset(rt, pl);
  int rc = 0;
  /* Reads first, against the state before this op's writes. */
  for (int i = 0; i < op->nargs && rc == 0; i++) {
    grt_arg_t *a = &op->args[i];
    if (a->priv == GRT_WRITE) continue;
    grt_coh_t *coh = coh_of(rt, a->root);
    if (!coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
    pl->cur_slot = slot_of(pl, a->root);
    pl->cur_arg = i;
    readers_t rd = {.kind = is_gather(op, a) ? RD_GATHER : RD_POINTS, .op = op, .arg = i,
                    .tf = &a->tf, .n = is_gather(op, a) ? 1 : op->npoints};
    whole_view(a->ndim, a->shape, &rd.whole);
    rc = plan_reads(rt, pl, coh, &rd);
  }
  for (int i = 0; i < op->nargs && rc == 0; i++) {
    grt_arg_t *a = &op->args[i];
    if (a->priv == GRT_READ) continue;
    grt_coh_t *coh = coh_of(rt, a->root);
    if (!coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
    bool gather = is_gather(op, a);
    if (!gather && tiled_write(op, a)) {
      grt__coherence_set_tiled(coh, &a->tiling, &op->shard);
      continue;
    }
    for (int p = 0; p < op->npoints && rc == 0; p++) {
      int rank = gather ? 0 : grt__op_shard(op, p);
      grt_rect_t r;
      if (gather)
        whole_view(a->ndim, a->shape, &r);
      else
        grt__plan_point_rect(op, p, i, &r);
      if ((rc = image_into(&pl->img, &a->tf, &r)) < 0) break;
      for (int k = 0; k < pl->img.n && rc == 0; k++)
        rc = grt__coherence_write(coh, &pl->img.v[k], rank);
      if (gather) break; /* every point covers the same store */
    }
  }
  if (rc < 0) return rc;
  return make_nodes(rt, pl);
}

int grt__plan_whole(grt_runtime_t *rt, grt_store_t *s) {
  plan_t *pl = plan_of(rt);
  if (!pl) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  plan_reset(rt, pl);
  grt_coh_t *coh = coh_of(rt, s->root);
  if (!coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  pl->cur_slot = slot_of(pl, s->root);
  pl->cur_arg = 0;
  readers_t rd = {.kind = RD_WHOLE, .tf = &s->tf, .n = rt->nranks};
  whole_view(s->ndim, s->shape, &rd.whole);
  int rc = plan_reads(rt, pl, coh, &rd);
  if (rc < 0) return rc;
  return make_nodes(rt, pl);
}

static bool same_rects(const grt_rect_t *a, const grt_rect_t *b, int n) {
  for (int i = 0; i < n; i++) {
    if (a[i].ndim != b[i].ndim) return false;
    for (int d = 0; d < a[i].ndim; d++) /* dims past ndim are not set */
      if (a[i].lo[d] != b[i].lo[d] || a[i].hi[d] != b[i].hi[d]) return false;
  }
  return true;
}

/* grt__coherence_coalesce into pl->ana, through the memo of recent ones. */
static int coalesce_memo(plan_t *pl, const grt_rect_t *v, int n) {
  if (n <= 0 || n > COAL_MEMO_RECTS) return grt__coherence_coalesce(&pl->ana, v, n);
  for (int i = 0; i < COAL_MEMOS; i++) {
    const coal_memo_t *m = &pl->coal[i];
    if (m->nin != n || !same_rects(m->in, v, n)) continue;
    for (int k = 0; k < m->nout; k++)
      if (grt__rects_push(&pl->ana, &m->out[k]) < 0)
        return grt__error(GRT_ENOMEM, "grt: out of host memory");
    return 0;
  }
  int s = pl->ana.n;
  int rc = grt__coherence_coalesce(&pl->ana, v, n);
  if (rc < 0) return rc;
  coal_memo_t *m = &pl->coal[pl->coal_next];
  pl->coal_next = (pl->coal_next + 1) % COAL_MEMOS;
  m->nin = n;
  m->nout = pl->ana.n - s; /* <= n */
  memcpy(m->in, v, sizeof *v * (size_t)n);
  memcpy(m->out, pl->ana.v + s, sizeof *v * (size_t)m->nout);
  return 0;
}

int grt__plan_xfers_analyze(grt_runtime_t *rt, grt_store_root_t *root) {
  plan_t *pl = rt->plan;
  if (!pl || pl->nmine == 0) return 0;
  grt_root_state_t *st = grt__analysis_root_state(rt, root);
  int n = 0;
  for (int i = 0; i < pl->nmine; i++) n += pl->mine[i]->root == root;
  if (!n) return 0;
  if (n > pl->capacc) {
    int cap = n < 8 ? 8 : n;
    grt_dg_access_t *acc = realloc(pl->acc, sizeof *acc * (size_t)cap);
    if (acc) pl->acc = acc;
    grt_node_t **tgt = realloc(pl->tgt, sizeof *tgt * (size_t)cap);
    if (tgt) pl->tgt = tgt;
    int *as = realloc(pl->astart, sizeof *as * (size_t)cap);
    if (as) pl->astart = as;
    if (!acc || !tgt || !as) return grt__error(GRT_ENOMEM, "grt: out of host memory");
    pl->capacc = cap;
  }
  pl->ana.n = 0;
  int k = 0;
  for (int i = 0; i < pl->nmine; i++) {
    grt_xfer_t *x = pl->mine[i];
    if (x->root != root) continue;
    pl->astart[k] = pl->ana.n;
    /* The same union in fewer rectangles: the same dependences, cheaper
     * (an interior stencil rank: 8 halo pieces -> 4 strips, 8 sent pieces
     * -> the 4 edges of its tile). Packing keeps the uncoalesced list. */
    int rc = coalesce_memo(pl, x->rects, x->nrects);
    if (rc < 0) return rc;
    pl->acc[k] = (grt_dg_access_t){.id = x->node.seq << 6,
                                   .priv = x->is_send ? GRT_DG_READ : GRT_DG_WRITE,
                                   .nrects = pl->ana.n - pl->astart[k]};
    pl->tgt[k] = &x->node;
    k++;
  }
  /* The rects array may have moved while growing: set pointers last. */
  for (int i = 0; i < k; i++) pl->acc[i].rects = pl->ana.v + pl->astart[i];
  return grt__analysis_add_targets(rt, st, pl->acc, n, pl->tgt);
}

void grt__plan_xfers_release(grt_runtime_t *rt) {
  plan_t *pl = rt->plan;
  if (!pl) return;
  for (int i = 0; i < pl->nmine; i++) grt__graph_release(&rt->graph, &pl->mine[i]->node);
  pl->nmine = 0;
}

int grt__plan_everywhere(grt_runtime_t *rt, grt_store_t *s) {
  plan_t *pl = plan_of(rt);
  grt_coh_t *coh = coh_of(rt, s->root);
  if (!pl || !coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) r.hi[d] = s->shape[d] - 1;
  int rc = image_into(&pl->img, &s->tf, &r);
  for (int k = 0; k < pl->img.n && rc == 0; k++) rc = grt__coherence_everywhere(coh, &pl->img.v[k]);
  return rc;
}
