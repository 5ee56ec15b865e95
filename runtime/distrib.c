/* distrib.c - the control loop across ranks: planning transfers from the
 * replicated coherence map, send/receive nodes, gathered reductions and the
 * exchange of point results behind futures.
 *
 * Every rank runs this for every operation with the same inputs, so every
 * rank plans the same transfers with the same tags: the writer sends when its
 * values are final, the reader receives before its task starts, and no rank
 * ever asks another what happened. */
#include "runtime_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- transfer nodes ---- */

typedef struct grt_xfer {
  grt_node_t node; /* first: the node is freed with free() after draining */
  grt_store_root_t *root;
  bool is_send;
  int peer;
  uint64_t tag;
  unsigned char *buf;
  size_t bytes;
  int nrects;
  grt_rect_t rects[];
} grt_xfer_t;

/* Copies the root rect @p r between the row-major instance and a packed
 * buffer (pack: instance -> buf). Returns the bytes moved. */
static size_t move_rect(const grt_store_root_t *root, const grt_rect_t *r, unsigned char *buf,
                        bool pack) {
  size_t es = grt_type_size(root->type);
  int nd = root->ndim;
  if (grt_rect_empty(r)) return 0;
  int64_t pt[GRT_MAX_DIM];
  memcpy(pt, r->lo, sizeof(int64_t) * (size_t)nd);
  size_t run = (size_t)(r->hi[nd - 1] - r->lo[nd - 1] + 1) * es;
  size_t off = 0;
  for (;;) {
    int64_t e = 0;
    for (int d = 0; d < nd; d++) e += pt[d] * root->strides[d];
    unsigned char *inst = (unsigned char *)root->data + e * (int64_t)es;
    if (pack)
      memcpy(buf + off, inst, run);
    else
      memcpy(inst, buf + off, run);
    off += run;
    int d = nd - 2;
    while (d >= 0) {
      if (++pt[d] <= r->hi[d]) break;
      pt[d] = r->lo[d];
      d--;
    }
    if (d < 0) return off;
  }
}

static void free_after_send(void *arg, size_t bytes) {
  (void)bytes;
  free(arg);
}

static void run_xfer(grt_runtime_t *rt, grt_node_t *n) {
  grt_xfer_t *x = (grt_xfer_t *)n;
  if (x->is_send) {
    unsigned char *buf = malloc(x->bytes ? x->bytes : 1);
    if (!buf) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory packing a transfer");
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++) off += move_rect(x->root, &x->rects[i], buf + off, true);
    if (grt__comm_send(rt->comm, GRT_CHAN_DATA, x->peer, x->tag, buf, x->bytes, free_after_send,
                       buf) < 0)
      grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
  } else {
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++) off += move_rect(x->root, &x->rects[i], x->buf + off, false);
    free(x->buf);
    x->buf = NULL;
  }
  grt__root_release(x->root);
}

static void xfer_arrived(void *arg, size_t bytes) {
  grt_xfer_t *x = arg;
  (void)bytes;
  grt__node_release(x->root->rt, &x->node);
}

/* ---- planning ---- */

typedef struct plan_xfer {
  int idx;                /* collection order: ties keep it, on every rank */
  int root_slot;
  int src, dst;
  grt_rect_t r;
} plan_xfer_t;

typedef struct plan {
  plan_xfer_t *v;
  int n, cap;
  grt_store_root_t *roots[GRT_MAX_ARGS];
  int nroots;
  grt_xfer_t **mine;      /* this rank's transfer nodes from the last plan */
  int nmine, capmine;
  grt_rects_t img;
  int cur_slot;
  int err;
} plan_t;

static plan_t *plan_of(grt_runtime_t *rt) {
  if (!rt->plan) rt->plan = calloc(1, sizeof(plan_t));
  return rt->plan;
}

void grt__distrib_free(grt_runtime_t *rt) {
  plan_t *pl = rt->plan;
  if (!pl) return;
  free(pl->v);
  free(pl->mine);
  grt__rects_free(&pl->img);
  free(pl);
  rt->plan = NULL;
}

static void collect(void *ctx, int src, int dst, const grt_rect_t *r) {
  plan_t *pl = ctx;
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
  pl->v[pl->n] = (plan_xfer_t){.idx = pl->n, .root_slot = pl->cur_slot, .src = src, .dst = dst, .r = *r};
  pl->n++;
}

static int slot_of(plan_t *pl, grt_store_root_t *root) {
  for (int i = 0; i < pl->nroots; i++)
    if (pl->roots[i] == root) return i;
  pl->roots[pl->nroots] = root;
  return pl->nroots++;
}

static grt_coh_t *coh_of(grt_runtime_t *rt, grt_store_root_t *root) {
  grt_root_state_t *st = grt__root_state(rt, root);
  if (!st) return NULL;
  if (st->coh.nranks == 0) grt__coh_init(&st->coh, rt->nranks);
  return &st->coh;
}

/* Root image of view rect @p r of an arg into pl->img (cleared first). */
static int image(plan_t *pl, const grt_transform_t *tf, const grt_rect_t *r) {
  pl->img.n = 0;
  if (grt_rect_empty(r)) return 0;
  if (grt__tf_is_identity(tf)) return grt__rects_push(&pl->img, r);
  return grt__tf_image(tf, r, &pl->img);
}

static void point_rect(const grt_op_t *op, int p, int arg, grt_rect_t *r) {
  const grt_buffer_t *b = &op->points[p].ctx.args[arg];
  r->ndim = b->ndim;
  memcpy(r->lo, b->lo, sizeof r->lo);
  memcpy(r->hi, b->hi, sizeof r->hi);
}

static int cmp_xfer(const void *a, const void *b) {
  const plan_xfer_t *x = a, *y = b;
  if (x->root_slot != y->root_slot) return x->root_slot - y->root_slot;
  if (x->src != y->src) return x->src - y->src;
  if (x->dst != y->dst) return x->dst - y->dst;
  return x->idx - y->idx;
}

static bool same_group(const plan_xfer_t *x, const plan_xfer_t *y) {
  return x->root_slot == y->root_slot && x->src == y->src && x->dst == y->dst;
}

/* Groups the collected transfers into one message per (root, src, dst), in an
 * order every rank computes alike; gives each a tag; makes this rank's nodes. */
static int make_nodes(grt_runtime_t *rt, plan_t *pl) {
  if (pl->err) return grt__error(pl->err, "grt: out of host memory planning transfers");
  qsort(pl->v, (size_t)pl->n, sizeof *pl->v, cmp_xfer);
  for (int i = 0; i < pl->n;) {
    int j = i;
    while (j < pl->n && same_group(&pl->v[i], &pl->v[j])) j++;
    uint64_t tag = ++rt->xfer_seq;
    int src = pl->v[i].src, dst = pl->v[i].dst;
    if (src != rt->rank && dst != rt->rank) {
      i = j;
      continue;
    }
    grt_store_root_t *root = pl->roots[pl->v[i].root_slot];
    int nr = j - i;
    grt_xfer_t *x = calloc(1, sizeof *x + sizeof(grt_rect_t) * (size_t)nr);
    if (!x) return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
    grt__node_init(rt, &x->node, GRT_NODE_XFER, NULL);
    x->node.run = run_xfer;
    x->root = root;
    grt__root_acquire(root);
    x->is_send = src == rt->rank;
    x->peer = x->is_send ? dst : src;
    x->tag = tag;
    x->nrects = nr;
    size_t es = grt_type_size(root->type);
    for (int k = 0; k < nr; k++) {
      x->rects[k] = pl->v[i + k].r;
      x->bytes += (size_t)grt_rect_volume(&x->rects[k]) * es;
    }
    if (pl->nmine == pl->capmine) {
      int cap = pl->capmine ? pl->capmine * 2 : 16;
      grt_xfer_t **m = realloc(pl->mine, sizeof *m * (size_t)cap);
      if (!m) {
        grt__root_release(root);
        free(x);
        return grt__error(GRT_ENOMEM, "grt: out of host memory planning transfers");
      }
      pl->mine = m;
      pl->capmine = cap;
    }
    pl->mine[pl->nmine++] = x;
    atomic_fetch_add(&rt->outstanding, 1);
    if (grt__table_insert(rt, &x->node) < 0) abort();
    if (!x->is_send) {
      x->buf = malloc(x->bytes ? x->bytes : 1);
      if (!x->buf) return grt__error(GRT_ENOMEM, "grt: out of host memory for a receive");
      atomic_fetch_add(&x->node.pending, 1); /* the message's arrival */
      if (grt__comm_recv(rt->comm, GRT_CHAN_DATA, x->peer, x->tag, x->buf, x->bytes, xfer_arrived,
                         x) < 0)
        return GRT_ECOMM;
    }
    i = j;
  }
  return 0;
}

static void plan_reset(plan_t *pl) {
  pl->n = 0;
  pl->nroots = 0;
  pl->err = 0;
}

int grt__plan_op(grt_runtime_t *rt, grt_op_t *op) {
  plan_t *pl = plan_of(rt);
  if (!pl) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  plan_reset(pl);
  int rc = 0;
  /* Reads first, against the state before this op's writes. */
  for (int i = 0; i < op->nargs && rc == 0; i++) {
    grt_arg_t *a = &op->args[i];
    if (a->priv == GRT_WRITE) continue;
    grt_coh_t *coh = coh_of(rt, a->root);
    if (!coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
    pl->cur_slot = slot_of(pl, a->root);
    bool gather = a->priv == GRT_REDUCE && a->tiling.kind == GRT_PART_BROADCAST && op->npoints > 1;
    for (int p = 0; p < op->npoints && rc == 0; p++) {
      int rank = gather ? 0 : grt__shard(rt, p, op->npoints);
      grt_rect_t r;
      point_rect(op, p, i, &r);
      if ((rc = image(pl, &a->tf, &r)) < 0) break;
      for (int k = 0; k < pl->img.n && rc == 0; k++) rc = grt__coh_read(coh, &pl->img.v[k], rank, collect, pl);
      if (gather) break; /* every point covers the same store */
    }
  }
  for (int i = 0; i < op->nargs && rc == 0; i++) {
    grt_arg_t *a = &op->args[i];
    if (a->priv == GRT_READ) continue;
    grt_coh_t *coh = coh_of(rt, a->root);
    bool gather = a->priv == GRT_REDUCE && a->tiling.kind == GRT_PART_BROADCAST && op->npoints > 1;
    for (int p = 0; p < op->npoints && rc == 0; p++) {
      int rank = gather ? 0 : grt__shard(rt, p, op->npoints);
      grt_rect_t r;
      point_rect(op, p, i, &r);
      if ((rc = image(pl, &a->tf, &r)) < 0) break;
      for (int k = 0; k < pl->img.n && rc == 0; k++) rc = grt__coh_write(coh, &pl->img.v[k], rank);
      if (gather) break;
    }
  }
  if (rc < 0) return rc;
  return make_nodes(rt, pl);
}

int grt__plan_whole(grt_runtime_t *rt, grt_store_t *s) {
  plan_t *pl = plan_of(rt);
  if (!pl) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  plan_reset(pl);
  grt_coh_t *coh = coh_of(rt, s->root);
  if (!coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  pl->cur_slot = slot_of(pl, s->root);
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) r.hi[d] = s->shape[d] - 1;
  int rc = image(pl, &s->tf, &r);
  for (int rank = 0; rank < rt->nranks && rc == 0; rank++)
    for (int k = 0; k < pl->img.n && rc == 0; k++) rc = grt__coh_read(coh, &pl->img.v[k], rank, collect, pl);
  if (rc < 0) return rc;
  return make_nodes(rt, pl);
}

int grt__xfers_analyze(grt_runtime_t *rt, grt_store_root_t *root) {
  plan_t *pl = rt->plan;
  if (!pl || pl->nmine == 0) return 0;
  grt_root_state_t *st = grt__root_state(rt, root);
  int n = 0;
  for (int i = 0; i < pl->nmine; i++) n += pl->mine[i]->root == root;
  if (!n) return 0;
  grt_dg_access_t *acc = calloc((size_t)n, sizeof *acc);
  grt_node_t **targets = calloc((size_t)n, sizeof *targets);
  if (!acc || !targets) {
    free(acc);
    free(targets);
    return grt__error(GRT_ENOMEM, "grt: out of host memory");
  }
  int k = 0;
  for (int i = 0; i < pl->nmine; i++) {
    grt_xfer_t *x = pl->mine[i];
    if (x->root != root) continue;
    acc[k] = (grt_dg_access_t){.id = x->node.seq << 6, .priv = x->is_send ? GRT_DG_READ : GRT_DG_WRITE,
                               .rects = x->rects, .nrects = x->nrects};
    targets[k] = &x->node;
    k++;
  }
  int rc = grt__dg_add_targets(rt, st, acc, n, targets);
  free(acc);
  free(targets);
  return rc;
}

void grt__xfers_release(grt_runtime_t *rt) {
  plan_t *pl = rt->plan;
  if (!pl) return;
  for (int i = 0; i < pl->nmine; i++) grt__node_release(rt, &pl->mine[i]->node);
  pl->nmine = 0;
}

/* ---- gathered reductions: point buffers travel to rank 0 ---- */

typedef struct red_arrival {
  grt_op_t *op;
  int p, arg;
  void *buf;
  size_t bytes;
} red_arrival_t;

static void red_arrived(void *arg, size_t bytes) {
  red_arrival_t *ra = arg;
  (void)bytes;
  grt_op_t *op = ra->op;
  op->points[ra->p].redbuf[ra->arg] = ra->buf;
  op->points[ra->p].redbytes[ra->arg] = ra->bytes;
  grt_node_t *fold = NULL;
  for (int f = 0; f < op->nfolds; f++)
    if (op->folds[f].arg == ra->arg) fold = &op->folds[f].node;
  grt_runtime_t *rt = op->rt;
  free(ra);
  /* Last: once released, the fold may run and the op be freed at once. */
  if (fold) grt__node_release(rt, fold);
}

int grt__post_red_gather(grt_runtime_t *rt, grt_op_t *op, int f) {
  int arg = op->folds[f].arg;
  size_t es = grt_type_size(op->args[arg].root->type);
  for (int p = 0; p < op->npoints; p++) {
    if (grt__shard(rt, p, op->npoints) == rt->rank) continue;
    grt_rect_t r;
    point_rect(op, p, arg, &r);
    size_t bytes = (size_t)grt_rect_volume(&r) * es;
    red_arrival_t *ra = calloc(1, sizeof *ra);
    void *buf = NULL;
    if (!ra || grt__mem_alloc(&rt->mems[GRT_MEM_SYSMEM], bytes, &buf) < 0) {
      free(ra);
      return grt__error(GRT_ENOMEM, "grt: out of memory for a gathered reduction buffer");
    }
    *ra = (red_arrival_t){op, p, arg, buf, bytes};
    atomic_fetch_add(&op->folds[f].node.pending, 1);
    if (grt__comm_recv(rt->comm, GRT_CHAN_DATA, grt__shard(rt, p, op->npoints),
                       op->red_tag + (uint64_t)p, buf, bytes, red_arrived, ra) < 0)
      return GRT_ECOMM;
  }
  return 0;
}

typedef struct red_sent {
  grt_runtime_t *rt;
  void *buf;
  size_t bytes;
} red_sent_t;

static void red_sent_done(void *arg, size_t bytes) {
  red_sent_t *rs = arg;
  (void)bytes;
  grt__mem_free(&rs->rt->mems[GRT_MEM_SYSMEM], rs->buf, rs->bytes);
  free(rs);
}

void grt__send_redbuf(grt_runtime_t *rt, grt_op_t *op, int p, int arg) {
  grt_point_t *pt = &op->points[p];
  red_sent_t *rs = malloc(sizeof *rs);
  if (!rs) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory");
  *rs = (red_sent_t){rt, pt->redbuf[arg], pt->redbytes[arg]};
  pt->redbuf[arg] = NULL;
  if (grt__comm_send(rt->comm, GRT_CHAN_DATA, 0, op->red_tag + (uint64_t)p, rs->buf, rs->bytes,
                     red_sent_done, rs) < 0)
    grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
}

/* ---- futures: every rank gets every point's result, folds in point order ---- */

/* Message: int32 failed, int32 count, then count x (int32 point, value). For a
 * launch without a reduction, the single point's owner sends (int32 point = 0,
 * then a uint64 size and the bytes). */
#define FUT_MAX_RET 65536

static size_t fut_msg_cap(const grt_op_t *op) {
  size_t rsize = op->result_type ? grt_type_size(op->result_type) : 0;
  if (op->result_type) return 8 + (size_t)op->npoints * (4 + rsize);
  return 8 + 4 + 8 + FUT_MAX_RET;
}

static void fut_arrive(grt_runtime_t *rt, grt_op_t *op) {
  if (atomic_fetch_sub_explicit(&op->fut_pending, 1, memory_order_acq_rel) != 1) return;
  grt__op_finish_future(rt, op);
  grt__op_unref(op); /* the exchange's reference */
}

typedef struct fut_in {
  grt_runtime_t *rt;
  grt_op_t *op;
  int from;
} fut_in_t;

static void fut_received(void *arg, size_t bytes) {
  fut_in_t *fi = arg;
  grt_op_t *op = fi->op;
  const unsigned char *m = op->fut_in[fi->from];
  if (bytes >= 8) {
    int32_t failed, count;
    memcpy(&failed, m, 4);
    memcpy(&count, m + 4, 4);
    if (failed) atomic_store(&op->failed, true);
    size_t off = 8;
    if (op->result_type) {
      size_t rsize = grt_type_size(op->result_type);
      for (int32_t i = 0; i < count && off + 4 + rsize <= bytes; i++) {
        int32_t p;
        memcpy(&p, m + off, 4);
        if (p >= 0 && p < op->npoints) {
          memcpy(op->results + (size_t)p * rsize, m + off + 4, rsize);
          op->has_result[p] = 1;
        }
        off += 4 + rsize;
      }
    } else if (count == 1 && bytes >= 20) {
      uint64_t size;
      memcpy(&size, m + 12, 8);
      if (size <= bytes - 20) {
        free(op->ret);
        op->ret = malloc(sizeof(size_t) + size);
        if (op->ret) {
          *(size_t *)op->ret = (size_t)size;
          memcpy((char *)op->ret + sizeof(size_t), m + 20, size);
        }
      }
    }
  }
  grt_runtime_t *rt = fi->rt;
  free(fi);
  fut_arrive(rt, op);
}

int grt__post_future_exchange(grt_runtime_t *rt, grt_op_t *op) {
  op->fut_tag = ++rt->future_seq;
  atomic_init(&op->fut_pending, rt->nranks); /* nranks - 1 arrivals + local */
  atomic_fetch_add(&op->refs, 1);
  op->fut_in_bytes = fut_msg_cap(op);
  op->fut_in = calloc((size_t)rt->nranks, sizeof *op->fut_in);
  if (!op->fut_in) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  for (int r = 0; r < rt->nranks; r++) {
    if (r == rt->rank) continue;
    op->fut_in[r] = calloc(1, op->fut_in_bytes);
    fut_in_t *fi = malloc(sizeof *fi);
    if (!op->fut_in[r] || !fi) {
      free(fi);
      return grt__error(GRT_ENOMEM, "grt: out of host memory");
    }
    *fi = (fut_in_t){rt, op, r};
    if (grt__comm_recv(rt->comm, GRT_CHAN_FUTURE, r, op->fut_tag, op->fut_in[r], op->fut_in_bytes,
                       fut_received, fi) < 0)
      return GRT_ECOMM;
  }
  return 0;
}

typedef struct fut_out {
  atomic_int left;
  unsigned char bytes[];
} fut_out_t;

static void fut_sent(void *arg, size_t bytes) {
  fut_out_t *fo = arg;
  (void)bytes;
  if (atomic_fetch_sub(&fo->left, 1) == 1) free(fo);
}

void grt__op_local_done(grt_runtime_t *rt, grt_op_t *op) {
  if (!op->result) return;
  if (rt->nranks == 1) {
    grt__op_finish_future(rt, op);
    return;
  }
  size_t cap = fut_msg_cap(op);
  fut_out_t *fo = calloc(1, sizeof *fo + cap);
  if (!fo) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory");
  unsigned char *m = fo->bytes;
  int32_t failed = atomic_load(&op->failed) || op->aborted, count = 0;
  size_t off = 8;
  if (op->result_type) {
    size_t rsize = grt_type_size(op->result_type);
    for (int p = 0; p < op->npoints; p++)
      if (grt__shard(rt, p, op->npoints) == rt->rank && op->has_result[p]) {
        int32_t pi = p;
        memcpy(m + off, &pi, 4);
        memcpy(m + off + 4, op->results + (size_t)p * rsize, rsize);
        off += 4 + rsize;
        count++;
      }
  } else if (op->npoints == 1 && grt__shard(rt, 0, 1) == rt->rank && op->ret) {
    uint64_t size = *(size_t *)op->ret;
    if (size > FUT_MAX_RET) {
      failed = 1;
    } else {
      int32_t zero = 0;
      memcpy(m + off, &zero, 4);
      memcpy(m + off + 4, &size, 8);
      memcpy(m + off + 12, (char *)op->ret + sizeof(size_t), size);
      off += 12 + size;
      count = 1;
    }
  }
  memcpy(m, &failed, 4);
  memcpy(m + 4, &count, 4);
  atomic_init(&fo->left, rt->nranks - 1);
  for (int r = 0; r < rt->nranks; r++)
    if (r != rt->rank &&
        grt__comm_send(rt->comm, GRT_CHAN_FUTURE, r, op->fut_tag, fo->bytes, off, fut_sent, fo) < 0)
      grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
  fut_arrive(rt, op);
}

int grt__coh_everywhere_store(grt_runtime_t *rt, grt_store_t *s) {
  plan_t *pl = plan_of(rt);
  grt_coh_t *coh = coh_of(rt, s->root);
  if (!pl || !coh) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  grt_rect_t r = {.ndim = s->ndim};
  for (int d = 0; d < s->ndim; d++) r.hi[d] = s->shape[d] - 1;
  int rc = image(pl, &s->tf, &r);
  for (int k = 0; k < pl->img.n && rc == 0; k++) rc = grt__coh_everywhere(coh, &pl->img.v[k]);
  return rc;
}
