/* instances.c - which instances a rank makes, growing them by migration,
 * retiring stale ones (instances.h). Application thread. */
#include "instances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "grt_error.h"
#include "collective.h"
#include "op.h"

#include <sched.h>
#include <stdatomic.h>

/* ---- shapes ---- */

void grt__instances_view_box(const grt_transform_t *tf, int root_ndim, const grt_rect_t *r,
                             grt_rect_t *out) {
  /* Every view dim steps one root dim forwards (coef > 0) or none: the
   * corners' images bound the image. */
  int64_t lo[GRT_MAX_DIM], hi[GRT_MAX_DIM];
  grt__tf_point(tf, r->lo, lo);
  grt__tf_point(tf, r->hi, hi);
  memset(out, 0, sizeof *out);
  out->ndim = root_ndim;
  for (int d = 0; d < root_ndim; d++) {
    out->lo[d] = lo[d] < hi[d] ? lo[d] : hi[d];
    out->hi[d] = lo[d] < hi[d] ? hi[d] : lo[d];
  }
}


static void box_widen(grt_rect_t *b, const grt_rect_t *r) {
  for (int d = 0; d < b->ndim; d++) {
    if (r->lo[d] < b->lo[d]) b->lo[d] = r->lo[d];
    if (r->hi[d] > b->hi[d]) b->hi[d] = r->hi[d];
  }
}

bool grt__instances_whole(const grt_runtime_t *rt, const grt_store_root_t *root) {
  return rt->nranks == 1 || (size_t)root->volume * grt_type_size(root->type) <= rt->inst_whole_bytes;
}
#define whole_instances grt__instances_whole

void grt__instances_margin(const grt_runtime_t *rt, const grt_store_root_t *root, grt_rect_t *r) {
  if (whole_instances(rt, root)) return;
  for (int d = 0; d < r->ndim; d++) {
    int64_t ext = r->hi[d] - r->lo[d] + 1, m = ext / 8 < GRT_INST_MARGIN ? ext / 8 : GRT_INST_MARGIN;
    r->lo[d] = r->lo[d] - m < 0 ? 0 : r->lo[d] - m;
    r->hi[d] = r->hi[d] + m > root->shape[d] - 1 ? root->shape[d] - 1 : r->hi[d] + m;
  }
}

int grt__instances_merge(grt_rect_t *box, int n) {
  for (bool again = true; again;) {
    again = false;
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        if (grt_rect_overlaps(&box[i], &box[j])) {
          box_widen(&box[i], &box[j]);
          box[j--] = box[--n];
          again = true;
        }
  }
  return n;
}

/* ---- migration: old instances' values into the one that replaces them ---- */

typedef struct migrate {
  grt_node_t node;               /* first: freed with free() after draining */
  grt_store_root_t *root;        /* referenced until it has run */
  grt_instance_t *dst;           /* referenced */
  int n;
  grt_instance_t *src[];         /* the set's references, handed over */
} migrate_t;

static void run_migrate(grt_node_t *n, grt_worker_t *w) {
  migrate_t *m = (migrate_t *)n;
  grt_runtime_t *rt = m->root->rt;
  size_t es = grt_type_size(m->root->type);
  for (int i = 0; i < m->n; i++) {
    grt__inst_copy(m->dst, m->src[i], &m->src[i]->r, es);
    grt__inst_unref(m->src[i]);
  }
  grt__inst_unref(m->dst);
  grt__root_release(m->root);
  grt__graph_prof_end(w, GRT_PROF_RECEIVE, "grt.migrate", -1);
  grt__graph_complete(&rt->graph, n);
}

/* Takes the instances of @p set at @p idx (n of them) out, adds @p dst (the
 * set takes the caller's reference, dropped on failure) and makes the node
 * that moves their values into it. */
static int migrate(grt_runtime_t *rt, grt_store_root_t *root, grt_instance_t *dst, const int *idx,
                   int n) {
  grt_root_state_t *st = grt__analysis_root_state(rt, root);
  migrate_t *m = malloc(sizeof *m + sizeof m->src[0] * (size_t)n);
  grt_rect_t *rects = malloc(sizeof *rects * (size_t)n);
  if (!st || !m || !rects || grt__inst_set_add(&root->insts, dst) < 0) {
    free(m);
    free(rects);
    grt__inst_unref(dst);
    return grt__error(GRT_ENOMEM, "grt: out of host memory growing an instance");
  }
  /* Backwards: taking a slot moves the later ones down. */
  for (int k = n - 1; k >= 0; k--) m->src[k] = grt__inst_set_take(&root->insts, idx[k]);
  for (int k = 0; k < n; k++) rects[k] = m->src[k]->r;
  m->root = root;
  grt__root_acquire(root);
  m->dst = dst;
  grt__inst_ref(dst);
  m->n = n;
  grt__graph_node_init(&rt->graph, &m->node, GRT_NODE_ANY, run_migrate, NULL);
  grt__graph_expect(&rt->graph, 1);
  if (grt__graph_insert(&rt->graph, &m->node) < 0) abort();
  grt_dg_access_t acc = {.id = m->node.seq << 6, .priv = GRT_DG_READ_WRITE, .rects = rects,
                         .nrects = n};
  grt_node_t *tgt = &m->node;
  int rc = grt__analysis_add_targets(rt, st, &acc, 1, &tgt);
  free(rects);
  rt->inst_migrations++;
  grt__graph_release(&rt->graph, &m->node); /* its edges decide from here */
  return rc;
}

/* ---- failures ---- */

int grt__instances_fatal(grt_runtime_t *rt, int rc) {
  if (rc < 0 && rt->nranks > 1 && !grt__comm_simulated(rt->comm)) {
    char msg[768];
    snprintf(msg, sizeof msg, "grt: rank %d cannot go on: %s", rt->rank, grt_last_error());
    grt__comm_abort(rt->comm, rc, msg);
  }
  return rc;
}

_Noreturn void grt__instances_lost(grt_runtime_t *rt, const grt_store_root_t *root,
                                   const grt_rect_t *r) {
  char msg[256];
  snprintf(msg, sizeof msg, "grt: internal error: rank %d: store %llu has no instance of a %d-D "
           "rectangle of %lld elements it made", rt->rank, (unsigned long long)root->id, r->ndim,
           (long long)grt_rect_volume(r));
  if (rt->nranks > 1 && !grt__comm_simulated(rt->comm)) grt__comm_abort(rt->comm, GRT_ESTATE, msg);
  fprintf(stderr, "%s\n", msg);
  abort();
}

/* ---- ensure ---- */

static int alloc_or_wait(grt_runtime_t *rt, grt_store_root_t *root, const grt_rect_t *box,
                         grt_instance_t **out) {
  grt_memory_t *mem = &rt->mems[GRT_MEM_SYSMEM];
  size_t es = grt_type_size(root->type);
  int rc = grt__inst_alloc(mem, box, es, out);
  if (rc != GRT_ENOMEM) return grt__instances_fatal(rt, rc);
  /* Pressure: instances already retired are freed once the pending nodes
   * bound to them are done. Wait for this rank's work and try again --
   * unless a mapping is live (work after it waits for its unmap) or the
   * op being submitted holds its nodes (the plan's transfers). */
  if (rt->live_mappings == 0 && !rt->inst_nowait) {
    grt__graph_wait(&rt->graph);
    grt__op_drain(rt);
    rc = grt__inst_alloc(mem, box, es, out);
  }
  if (rc < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", grt_last_error());
    rc = grt__error(rc, "rank %d: store %llu: an instance of %lld elements: %s%s", rt->rank,
                    (unsigned long long)root->id, (long long)grt_rect_volume(box), msg,
                    rt->nranks > 1 ? " (grt_memory_trim, called by every rank, frees the copies "
                                     "of other ranks' values they hold)"
                                   : "");
  }
  return grt__instances_fatal(rt, rc);
}

int grt__instances_ensure(grt_runtime_t *rt, grt_store_root_t *root, const grt_rect_t *r,
                          grt_instance_t **out) {
  grt_inst_set_t *set = &root->insts;
  grt_instance_t *in = grt__inst_set_find(set, r);
  if (in) {
    *out = in;
    return 0;
  }
  grt_rect_t box;
  if (whole_instances(rt, root))
    grt__root_rect(root, &box);
  else
    box = *r;
  /* The box of r and everything it meets, until nothing else meets it. */
  for (bool grew = true; grew;) {
    grew = false;
    for (int i = 0; i < set->n; i++)
      if (grt_rect_overlaps(&set->v[i]->r, &box) && !grt_rect_contains(&box, &set->v[i]->r)) {
        box_widen(&box, &set->v[i]->r);
        grew = true;
      }
  }
  int idx_small[16], *idx = idx_small, n = 0;
  if (set->n > 16 && !(idx = malloc(sizeof *idx * (size_t)set->n)))
    return grt__error(GRT_ENOMEM, "grt: out of host memory growing an instance");
  for (int i = 0; i < set->n; i++)
    if (grt_rect_overlaps(&set->v[i]->r, &box)) idx[n++] = i;
  int rc = alloc_or_wait(rt, root, &box, &in);
  if (rc == 0) {
    rt->inst_made++;
    if (n == 0) {
      rc = grt__inst_set_add(set, in);
      if (rc < 0) grt__inst_unref(in);
    } else {
      rc = migrate(rt, root, in, idx, n);
    }
  }
  if (idx != idx_small) free(idx);
  *out = rc == 0 ? in : NULL;
  return rc;
}

/* ---- retirement ---- */

void grt__instances_sweep(grt_runtime_t *rt, grt_store_root_t *root, const grt_coh_t *coh) {
  if (rt->nranks == 1 || root->attached) return;
  grt_inst_set_t *set = &root->insts;
  for (int i = 0; i < set->n;) {
    grt_instance_t *in = set->v[i];
    /* A whole small root stays: it would only be made again. */
    bool whole = in->bytes <= rt->inst_whole_bytes &&
                 grt_rect_volume(&in->r) == root->volume;
    if (!whole && !grt__coherence_holds_any(coh, &in->r)) {
      grt__inst_unref(grt__inst_set_take(set, i));
      rt->inst_retired++;
      continue;
    }
    i++;
  }
}

/* ---- trimming: dropping copies, every rank alike ---- */

/* A dropped instance on the wire: root id, ndim, then lo and hi. */
typedef struct drop_rec {
  uint64_t id;
  int32_t ndim, pad;
  int64_t lo[GRT_MAX_DIM], hi[GRT_MAX_DIM];
} drop_rec_t;

typedef struct trim {
  grt_runtime_t *rt;
  drop_rec_t *v;
  int n, cap;
  bool oom;
} trim_t;

static void collect_copies(void *arg, grt_root_state_t *st) {
  trim_t *t = arg;
  grt_store_root_t *root = st->root;
  if (root->attached || st->coh.nranks == 0 || grt__instances_whole(t->rt, root)) return;
  for (int i = 0; i < root->insts.n; i++) {
    const grt_instance_t *in = root->insts.v[i];
    if (!grt__coherence_copies_only(&st->coh, &in->r)) continue;
    if (t->n == t->cap) {
      int cap = t->cap ? 2 * t->cap : 16;
      drop_rec_t *v = realloc(t->v, sizeof *v * (size_t)cap);
      if (!v) {
        t->oom = true;
        return;
      }
      t->v = v;
      t->cap = cap;
    }
    drop_rec_t *d = &t->v[t->n++];
    memset(d, 0, sizeof *d);
    d->id = root->id;
    d->ndim = in->r.ndim;
    memcpy(d->lo, in->r.lo, sizeof d->lo);
    memcpy(d->hi, in->r.hi, sizeof d->hi);
  }
}

typedef struct apply {
  grt_runtime_t *rt;
  int from;                      /* the rank that dropped them */
  const drop_rec_t *v;
  int n;
  size_t freed;
} apply_t;

static void apply_drops(void *arg, grt_root_state_t *st) {
  apply_t *a = arg;
  if (st->coh.nranks == 0) return;
  grt_store_root_t *root = st->root;
  for (int k = 0; k < a->n; k++) {
    if (a->v[k].id != root->id) continue;
    grt_rect_t r = {.ndim = a->v[k].ndim};
    memcpy(r.lo, a->v[k].lo, sizeof r.lo);
    memcpy(r.hi, a->v[k].hi, sizeof r.hi);
    grt__coherence_drop(&st->coh, a->from, &r);
    if (a->from != a->rt->rank) continue;
    for (int i = 0; i < root->insts.n; i++) {
      grt_instance_t *in = root->insts.v[i];
      if (memcmp(&in->r, &r, sizeof r) != 0) continue;
      a->freed += in->bytes;
      a->rt->inst_trimmed += in->bytes;
      grt__inst_unref(grt__inst_set_take(&root->insts, i));
      a->rt->inst_retired++;
      break;
    }
  }
}

static void gathered(void *arg, grt_allgather_t *g) {
  (void)g;
  atomic_store_explicit((atomic_bool *)arg, true, memory_order_release);
}

/* A blocking all-gather of @p len bytes from each rank (at most @p max
 * from all of them together): *out, to free with grt__comm_allgather_free. */
static int allgather(grt_runtime_t *rt, const void *block, uint32_t len, size_t max,
                     grt_allgather_t **out) {
  atomic_bool done = false;
  uint64_t tag = (rt->future_seq + 1) * 32; /* replicated, as a future exchange's */
  rt->future_seq++;
  int rc = grt__comm_allgather_post(rt->comm, GRT_CHAN_FUTURE, tag, max, gathered, &done, out);
  if (rc < 0) return rc;
  unsigned char *b = malloc(len ? len : 1);
  if (!b) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt_memory_trim: out of host memory");
  if (len) memcpy(b, block, len);
  grt__comm_allgather_give(*out, b, len);
  while (!atomic_load_explicit(&done, memory_order_acquire)) sched_yield();
  return 0;
}

int grt__instances_trim(grt_runtime_t *rt, size_t *freed) {
  if (rt->nranks == 1) return 0; /* one rank holds no copies */
  trim_t t = {.rt = rt};
  /* A live mapping may point into any instance: drop none, still take part. */
  if (rt->live_mappings == 0) grt__analysis_each_root(rt, collect_copies, &t);
  if (t.oom) t.n = 0; /* drop nothing: still take part */
  int rc = 0;
  if (grt__comm_simulated(rt->comm)) { /* the others are not here: this rank only */
    apply_t a = {rt, rt->rank, t.v, t.n, 0};
    grt__analysis_each_root(rt, apply_drops, &a);
    *freed += a.freed;
    free(t.v);
    return 0;
  }
  /* Two rounds: the sizes, then the records (the second's buffer fits). */
  uint32_t bytes = (uint32_t)(sizeof(drop_rec_t) * (size_t)t.n);
  grt_allgather_t *g = NULL;
  size_t total = 0;
  if ((rc = allgather(rt, &bytes, sizeof bytes, (size_t)rt->nranks * 16, &g)) == 0) {
    for (int r = 0; r < rt->nranks; r++) {
      uint32_t len;
      const unsigned char *b = grt__comm_allgather_block(g, r, &len);
      uint32_t n = 0;
      if (b && len == sizeof n) memcpy(&n, b, sizeof n);
      total += n;
    }
    grt__comm_allgather_free(g);
    g = NULL;
    rc = allgather(rt, t.v, bytes, total + (size_t)rt->nranks * 16, &g);
  }
  for (int r = 0; rc == 0 && r < rt->nranks; r++) {
    uint32_t len;
    const unsigned char *b = grt__comm_allgather_block(g, r, &len);
    apply_t a = {rt, r, NULL, 0, 0};
    drop_rec_t *copy = NULL;
    if (b && len >= sizeof(drop_rec_t)) {
      a.n = (int)(len / sizeof(drop_rec_t));
      copy = malloc(len); /* aligned for the records */
      if (!copy) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt_memory_trim: out of host memory");
      memcpy(copy, b, len);
      a.v = copy;
    }
    grt__analysis_each_root(rt, apply_drops, &a);
    *freed += a.freed;
    free(copy);
  }
  if (g) grt__comm_allgather_free(g);
  free(t.v);
  return grt__instances_fatal(rt, rc); /* the others would wait for this rank */
}

int grt__instances_trim_due(grt_runtime_t *rt) {
  if (!rt->trim_due) return 0;
  rt->trim_due = false;
  size_t freed = 0;
  return grt__instances_trim(rt, &freed);
}

uint64_t grt__instances_made(const grt_runtime_t *rt) { return rt->inst_made; }
uint64_t grt__instances_migrations(const grt_runtime_t *rt) { return rt->inst_migrations; }
