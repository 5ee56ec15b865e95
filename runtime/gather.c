/* gather.c - gathered reductions: the private reduction buffers of points
 * that share elements travel to rank 0, which folds them in point order
 * (alias.c decides which reductions gather). */
#include "gather.h"

#include "plan.h"
#include "analysis.h"
#include "runtime.h"

#include <stdlib.h>

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
  grt__op_point(op, ra->p)->redbuf[ra->arg] = ra->buf;
  grt__op_point(op, ra->p)->redbytes[ra->arg] = ra->bytes;
  grt_node_t *fold = NULL;
  for (int f = 0; f < op->nfolds; f++)
    if (op->folds[f].arg == ra->arg) fold = &op->folds[f].node;
  grt_runtime_t *rt = op->rt;
  free(ra);
  /* Last: once released, the fold may run and the op be freed at once. */
  if (fold) grt__graph_release(&rt->graph, fold);
}

int grt__gather_post(grt_runtime_t *rt, grt_op_t *op, int f) {
  int arg = op->folds[f].arg;
  size_t es = grt_type_size(op->args[arg].root->type);
  for (int p = 0; p < op->npoints; p++) {
    if (grt__op_shard(op, p) == rt->rank) continue;
    grt_rect_t r;
    grt__plan_point_rect(op, p, arg, &r);
    size_t bytes = (size_t)grt_rect_volume(&r) * es;
    red_arrival_t *ra = calloc(1, sizeof *ra);
    void *buf = NULL;
    if (!ra || grt__mem_alloc_eager(&rt->mems[GRT_MEM_SYSMEM], bytes, &buf) < 0) {
      free(ra);
      return grt__error(GRT_ENOMEM, "grt: out of memory for a gathered reduction buffer");
    }
    *ra = (red_arrival_t){op, p, arg, buf, bytes};
    atomic_fetch_add(&op->folds[f].node.pending, 1);
    if (grt__comm_recv(rt->comm, GRT_CHAN_DATA, grt__op_shard(op, p),
                       op->red_tag + (uint64_t)p, buf, bytes, red_arrived, ra) < 0)
      return GRT_ECOMM;
  }
  return 0;
}
