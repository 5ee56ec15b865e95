/* analysis.c - the dependence analysis glue: per-root analyzer state, and
 * depgraph accesses (an op's points and folds, wait nodes, transfers) turned
 * into graph edges. Application thread only. */
#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "grt_error.h"
#include "runtime.h"

/* Access ids given to the analyzer: node sequence number and argument slot. */
#define ACCESS_ID(seq, arg) (((uint64_t)(seq) << 6) | (uint64_t)(arg))
#define ACCESS_SEQ(id) ((id) >> 6)

static void root_state_free(grt_store_root_t *root) {
  grt_root_state_t *st = root->rt_state;
  if (!st) return;
  if (grt__root_live(root)) { /* off the runtime's list (any thread) */
    grt_runtime_t *rt = root->rt;
    pthread_mutex_lock(&rt->roots_mu);
    if (st->prev) st->prev->next = st->next;
    else rt->roots = st->next;
    if (st->next) st->next->prev = st->prev;
    pthread_mutex_unlock(&rt->roots_mu);
  }
  grt__dg_destroy(st->dg);
  grt__coherence_free(&st->coh);
  free(st);
  root->rt_state = NULL;
}

grt_root_state_t *grt__analysis_root_state(grt_runtime_t *rt, grt_store_root_t *root) {
  if (root->rt_state) return root->rt_state;
  grt_root_state_t *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->dg = grt__dg_create(root->ndim);
  if (!st->dg) {
    free(st);
    return NULL;
  }
  st->prune_at = 256;
  st->root = root;
  pthread_mutex_lock(&rt->roots_mu);
  st->next = rt->roots;
  if (st->next) st->next->prev = st;
  rt->roots = st;
  pthread_mutex_unlock(&rt->roots_mu);
  root->rt_state = st;
  root->release = root_state_free;
  return st;
}

void grt__analysis_each_root(grt_runtime_t *rt, void (*fn)(void *ctx, grt_root_state_t *st),
                             void *ctx) {
  pthread_mutex_lock(&rt->roots_mu);
  for (grt_root_state_t *st = rt->roots; st; st = st->next) fn(ctx, st);
  pthread_mutex_unlock(&rt->roots_mu);
}

/* ---- accesses to edges ---- */

typedef struct edge_ctx {
  grt_runtime_t *rt;
  grt_node_t **targets; /* per access */
} edge_ctx_t;

static void on_edge(void *data, int i, uint64_t earlier) {
  edge_ctx_t *e = data;
  grt_node_t *pred = grt__graph_find(&e->rt->graph, ACCESS_SEQ(earlier));
  if (pred) grt__graph_add_edge(pred, e->targets[i]);
}

static int on_done(void *data, uint64_t id) {
  grt_runtime_t *rt = data;
  grt_node_t *n = grt__graph_find(&rt->graph, ACCESS_SEQ(id));
  return !n || atomic_load_explicit(&n->done, memory_order_relaxed);
}

static grt_dg_priv_t dg_priv(grt_privilege_t p) {
  switch (p) {
  case GRT_READ: return GRT_DG_READ;
  case GRT_WRITE: return GRT_DG_WRITE;
  case GRT_READ_WRITE: return GRT_DG_READ_WRITE;
  default: return GRT_DG_REDUCE;
  }
}

/* Scratch space reused across submissions (app thread only). */
typedef struct scratch {
  grt_rects_t rects;
  grt_dg_access_t *acc;
  grt_node_t **targets;
  int *rect_start;
  int cap;
} scratch_t;
static _Thread_local scratch_t scratch;

static int scratch_reserve(int n) {
  if (n <= scratch.cap) return 0;
  int cap = scratch.cap ? scratch.cap : 64;
  while (cap < n) cap *= 2;
  grt_dg_access_t *a = realloc(scratch.acc, sizeof *a * (size_t)cap);
  if (a) scratch.acc = a;
  grt_node_t **t = realloc(scratch.targets, sizeof *t * (size_t)cap);
  if (t) scratch.targets = t;
  int *r = realloc(scratch.rect_start, sizeof *r * (size_t)cap);
  if (r) scratch.rect_start = r;
  if (!a || !t || !r) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
  scratch.cap = cap;
  return 0;
}

void grt__analysis_scratch_free(void) {
  grt__rects_free(&scratch.rects);
  free(scratch.acc);
  free(scratch.targets);
  free(scratch.rect_start);
  memset(&scratch, 0, sizeof scratch);
}

/* Appends the root image of view rect @p r of arg @p a to the scratch rects. */
static int push_image(const grt_arg_t *a, const grt_rect_t *r) {
  if (grt_rect_empty(r)) return 0;
  if (grt__tf_is_identity(&a->tf)) return grt__rects_push(&scratch.rects, r);
  return grt__tf_image(&a->tf, r, &scratch.rects);
}

int grt__analysis_op(grt_runtime_t *rt, grt_op_t *op,
                     int (*first)(grt_runtime_t *rt, grt_store_root_t *root)) {
  bool seen[GRT_MAX_ARGS] = {false};
  for (int i = 0; i < op->nargs; i++) {
    if (seen[i]) continue;
    grt_store_root_t *root = op->args[i].root;
    grt_root_state_t *st = grt__analysis_root_state(rt, root);
    if (!st) return grt__error(GRT_ENOMEM, "grt_launch_submit: out of host memory");
    int rc0 = first(rt, root); /* this op's receives and sends come first */
    if (rc0 < 0) return rc0;
    int nacc = 0;
    scratch.rects.n = 0;
    /* Point accesses (every non-reduction argument on this root). */
    for (int j = i; j < op->nargs; j++) {
      grt_arg_t *a = &op->args[j];
      if (a->root != root) continue;
      seen[j] = true;
      if (a->priv == GRT_REDUCE) continue;
      for (int p = op->l0; p < op->l1; p++) {
        if (!grt__op_local(op, p)) continue;
        grt_point_t *pt = grt__op_point(op, p);
        grt_rect_t r = {.ndim = a->ndim};
        const grt_buffer_t *b = &pt->ctx.args[j];
        memcpy(r.lo, b->lo, sizeof r.lo);
        memcpy(r.hi, b->hi, sizeof r.hi);
        int start = scratch.rects.n;
        int rc = push_image(a, &r);
        if (rc < 0) return rc;
        if (scratch.rects.n == start) continue;
        if ((rc = scratch_reserve(nacc + 1)) < 0) return rc;
        scratch.rect_start[nacc] = start;
        scratch.acc[nacc] = (grt_dg_access_t){
            .id = ACCESS_ID(pt->node.seq, j), .priv = dg_priv(a->priv),
            .nrects = scratch.rects.n - start};
        scratch.targets[nacc] = &pt->node;
        nacc++;
      }
    }
    /* Reduction accesses belong to the folds. */
    for (int f = 0; f < op->nfolds; f++) {
      int j = op->folds[f].arg;
      grt_arg_t *a = &op->args[j];
      if (a->root != root || !op->fold_active[f]) continue;
      int start = scratch.rects.n;
      int f0 = op->fold_gather[f] ? op->p0 : op->l0;
      int f1 = op->fold_gather[f] ? op->p0 + op->nmat : op->l1;
      for (int p = f0; p < f1; p++) {
        if (!op->fold_gather[f] && !grt__op_local(op, p)) continue;
        grt_rect_t r = {.ndim = a->ndim};
        const grt_buffer_t *b = &grt__op_point(op, p)->ctx.args[j];
        memcpy(r.lo, b->lo, sizeof r.lo);
        memcpy(r.hi, b->hi, sizeof r.hi);
        int rc = push_image(a, &r);
        if (rc < 0) return rc;
      }
      if (scratch.rects.n == start) continue;
      int rc = scratch_reserve(nacc + 1);
      if (rc < 0) return rc;
      scratch.rect_start[nacc] = start;
      scratch.acc[nacc] = (grt_dg_access_t){.id = ACCESS_ID(op->folds[f].node.seq, j),
                                            .priv = GRT_DG_REDUCE, .redop = a->redop,
                                            .nrects = scratch.rects.n - start};
      scratch.targets[nacc] = &op->folds[f].node;
      nacc++;
    }
    if (nacc == 0) continue;
    /* The rects array may have moved while growing: set pointers last. */
    for (int k = 0; k < nacc; k++) scratch.acc[k].rects = scratch.rects.v + scratch.rect_start[k];
    int rc = grt__analysis_add_targets(rt, st, scratch.acc, nacc, scratch.targets);
    if (rc < 0) return rc;
  }
  return 0;
}

int grt__analysis_add_targets(grt_runtime_t *rt, grt_root_state_t *st, const grt_dg_access_t *acc,
                              int n, grt_node_t **targets) {
  edge_ctx_t ec = {rt, targets};
  if (grt__dg_add(st->dg, acc, n, on_edge, &ec) < 0)
    return grt__error(GRT_ENOMEM, "grt: out of host memory in the analyzer");
  if (grt__dg_live(st->dg) > st->prune_at) {
    grt__dg_prune(st->dg, on_done, rt);
    size_t live = grt__dg_live(st->dg);
    st->prune_at = live * 2 > 256 ? live * 2 : 256;
  }
  return 0;
}

/* Registers a whole-store access for a wait node (map, detach). */
int grt__analysis_access_whole(grt_runtime_t *rt, grt_store_t *s, grt_dg_priv_t priv,
                               grt_node_t *n, uint64_t id) {
  grt_root_state_t *st = grt__analysis_root_state(rt, s->root);
  if (!st) return grt__error(GRT_ENOMEM, "out of host memory");
  grt_arg_t a = {.root = s->root, .ndim = s->ndim, .tf = s->tf};
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) {
    r.lo[d] = 0;
    r.hi[d] = s->shape[d] - 1;
  }
  scratch.rects.n = 0;
  int rc = push_image(&a, &r);
  if (rc < 0) return rc;
  if (scratch.rects.n == 0) return 0;
  grt_dg_access_t acc = {.id = ACCESS_ID(id, 0), .priv = priv, .rects = scratch.rects.v,
                         .nrects = scratch.rects.n};
  grt_node_t *target = n;
  return grt__analysis_add_targets(rt, st, &acc, 1, &target);
}
