/* xfer.c - transfer nodes: one op's sends (or receives) of one root on this
 * rank, packed from and unpacked into the root's instance when they run. */
#include "xfer.h"

#include "runtime.h"

#include <stdlib.h>
#include <string.h>

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
  do {
    int64_t e = 0;
    for (int d = 0; d < nd; d++) e += pt[d] * root->strides[d];
    unsigned char *inst = (unsigned char *)root->data + e * (int64_t)es;
    if (pack)
      memcpy(buf + off, inst, run);
    else
      memcpy(inst, buf + off, run);
    off += run;
  } while (grt_rect_next_run(nd, r->lo, r->hi, pt));
  return off;
}

typedef struct send_buf {
  atomic_int left;
  unsigned char bytes[];
} send_buf_t;

static void free_after_send(void *arg, size_t bytes) {
  send_buf_t *sb = arg;
  (void)bytes;
  if (atomic_fetch_sub_explicit(&sb->left, 1, memory_order_acq_rel) == 1) free(sb);
}

/* The node's run hook: packs and sends, or unpacks what arrived; then
 * completes the node, naming its profile event by direction. */
static void run_xfer(grt_node_t *n, grt_worker_t *w) {
  grt_xfer_t *x = (grt_xfer_t *)n;
  grt_runtime_t *rt = x->root->rt;
  if (x->is_send) {
    send_buf_t *sb = malloc(sizeof *sb + (x->bytes ? x->bytes : 1));
    if (!sb) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory packing a transfer");
    atomic_init(&sb->left, x->nmsgs);
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++) off += move_rect(x->root, &x->rects[i], sb->bytes + off, true);
    if (grt__comm_postv(rt->comm, 1, GRT_CHAN_DATA, x->tag, sb->bytes, x->msgs, x->nmsgs,
                        free_after_send, sb) < 0)
      grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
  } else {
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++) off += move_rect(x->root, &x->rects[i], x->buf + off, false);
    free(x->buf);
    x->buf = NULL;
  }
  grt__root_release(x->root);
  grt__graph_prof_end(w, x->is_send ? GRT_PROF_SEND : GRT_PROF_RECEIVE, NULL, -1);
  grt__graph_complete(&rt->graph, n);
}

static void xfer_arrived(void *arg, size_t bytes) {
  grt_xfer_t *x = arg;
  (void)bytes;
  grt__graph_release(&x->root->rt->graph, &x->node);
}

grt_xfer_t *grt__xfer_new(grt_runtime_t *rt, grt_store_root_t *root, bool is_send, uint64_t tag,
                          int nrects, int nmsgs) {
  size_t rbytes = sizeof(grt_rect_t) * (size_t)nrects;
  /* The rectangles and messages are all written by the caller: zero the header only. */
  grt_xfer_t *x = malloc(sizeof *x + rbytes + sizeof(grt_xmsg_t) * (size_t)nmsgs);
  if (!x) return NULL;
  memset(x, 0, sizeof *x);
  grt__graph_node_init(&rt->graph, &x->node, GRT_NODE_ANY, run_xfer, NULL);
  x->root = root;
  grt__root_acquire(root);
  x->is_send = is_send;
  x->tag = tag;
  x->nrects = nrects;
  x->msgs = (grt_xmsg_t *)((char *)x->rects + rbytes);
  return x;
}

int grt__xfer_post(grt_runtime_t *rt, grt_xfer_t *x) {
  grt__graph_expect(&rt->graph, 1);
  if (grt__graph_insert(&rt->graph, &x->node) < 0) abort();
  if (x->is_send) return 0;
  x->buf = malloc(x->bytes ? x->bytes : 1);
  if (!x->buf) return grt__error(GRT_ENOMEM, "grt: out of host memory for a receive");
  atomic_fetch_add(&x->node.pending, x->nmsgs); /* the messages' arrivals */
  if (grt__comm_postv(rt->comm, 0, GRT_CHAN_DATA, x->tag, x->buf, x->msgs, x->nmsgs, xfer_arrived,
                      x) < 0)
    return GRT_ECOMM;
  return 0;
}

