/* xfer.c - transfer nodes: one op's sends (or receives) of one root on this
 * rank, packed from and unpacked into the root's instance when they run. */
#include "xfer.h"

#include "grt_error.h"
#include "instances.h"
#include "runtime.h"
#include <stdio.h>

#include <stdlib.h>
#include <string.h>

/* Staging (send and receive buffers) is paid from the eager pool, reserved
 * when the node is posted: a refusal is an error of the submission, not of
 * a worker. */
typedef struct send_buf {
  atomic_int left;
  grt_memory_t *mem;
  size_t size;
  unsigned char bytes[];
} send_buf_t;

static void free_after_send(void *arg, size_t bytes) {
  send_buf_t *sb = arg;
  (void)bytes;
  if (atomic_fetch_sub_explicit(&sb->left, 1, memory_order_acq_rel) == 1) {
    grt__mem_unreserve_eager(sb->mem, sb->size);
    free(sb);
  }
}

static void unbind(grt_xfer_t *x) {
  for (int i = 0; i < x->nrects; i++) {
    grt__inst_unref(x->inst[i]);
    x->inst[i] = NULL;
  }
}

void grt__xfer_bind(grt_runtime_t *rt, grt_xfer_t *x) {
  for (int i = 0; i < x->nrects; i++) {
    if (grt_rect_empty(&x->rects[i])) continue;
    grt_instance_t *in = grt__inst_set_find(&x->root->insts, &x->rects[i]);
    if (!in) grt__instances_lost(rt, x->root, &x->rects[i]);
    grt__inst_ref(in);
    x->inst[i] = in;
  }
}

/* The node's run hook: packs and sends, or unpacks what arrived; then
 * completes the node, naming its profile event by direction. */
static void run_xfer(grt_node_t *n, grt_worker_t *w) {
  grt_xfer_t *x = (grt_xfer_t *)n;
  grt_runtime_t *rt = x->root->rt;
  size_t es = grt_type_size(x->root->type);
  if (x->failed) {
    free(x->buf);
    x->buf = NULL;
  } else if (x->is_send) {
    send_buf_t *sb = malloc(sizeof *sb + (x->bytes ? x->bytes : 1));
    if (!sb) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory packing a transfer");
    atomic_init(&sb->left, x->nmsgs);
    sb->mem = &rt->mems[GRT_MEM_SYSMEM];
    sb->size = x->bytes;
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++)
      off += grt__inst_pack(x->inst[i], &x->rects[i], es, sb->bytes + off, true);
    if (grt__comm_postv(rt->comm, 1, GRT_CHAN_DATA, x->tag, sb->bytes, x->msgs, x->nmsgs,
                        free_after_send, sb) < 0)
      grt__comm_abort(rt->comm, GRT_ECOMM, grt_last_error());
  } else {
    size_t off = 0;
    for (int i = 0; i < x->nrects; i++)
      off += grt__inst_pack(x->inst[i], &x->rects[i], es, x->buf + off, false);
    free(x->buf);
    x->buf = NULL;
    grt__mem_unreserve_eager(&rt->mems[GRT_MEM_SYSMEM], x->bytes);
  }
  unbind(x);
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
  size_t mbytes = sizeof(grt_xmsg_t) * (size_t)nmsgs;
  /* The rectangles and messages are all written by the caller: zero the
   * header and the instance pointers only. */
  grt_xfer_t *x = malloc(sizeof *x + rbytes + mbytes + sizeof(grt_instance_t *) * (size_t)nrects);
  if (!x) return NULL;
  memset(x, 0, sizeof *x);
  x->inst = (grt_instance_t **)((char *)x->rects + rbytes + mbytes);
  memset(x->inst, 0, sizeof(grt_instance_t *) * (size_t)nrects);
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
  int rc = grt__mem_reserve_eager(&rt->mems[GRT_MEM_SYSMEM], x->bytes);
  if (rc < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", grt_last_error());
    rc = grt__error(rc, "rank %d: staging a transfer of store %llu: %s", rt->rank,
                    (unsigned long long)x->root->id, msg);
    x->failed = true; /* runs as a no-op (simulated ranks; real ones end here) */
    return grt__instances_fatal(rt, rc);
  }
  if (x->is_send) return 0;
  /* Simulated ranks only count messages: zeros arrive, not garbage. */
  x->buf = grt__comm_simulated(rt->comm) ? calloc(1, x->bytes ? x->bytes : 1)
                                         : malloc(x->bytes ? x->bytes : 1);
  if (!x->buf) {
    grt__mem_unreserve_eager(&rt->mems[GRT_MEM_SYSMEM], x->bytes);
    x->failed = true;
    return grt__instances_fatal(rt, grt__error(GRT_ENOMEM, "grt: out of host memory for a receive"));
  }
  atomic_fetch_add(&x->node.pending, x->nmsgs); /* the messages' arrivals */
  if (grt__comm_postv(rt->comm, 0, GRT_CHAN_DATA, x->tag, x->buf, x->msgs, x->nmsgs, xfer_arrived,
                      x) < 0)
    return GRT_ECOMM;
  return 0;
}

