/* distrib.c - the exchange of point results behind futures (the op's side
 * of comm/collective.h's all-gather). */
#include "runtime_internal.h"
#include "collective.h"

#include <stdlib.h>
#include <string.h>

/* ---- futures: every rank gets every point's result, folds in point order ----
 *
 * An all-gather (comm/collective.h) of one block per rank: its points'
 * results. Every rank then folds the results in point order, so all get the
 * same value, bitwise, whatever R.
 *
 * Block: int32 failed, int32 count, then count x (int32 point, value); for a
 * launch without a result reduction only the single point's owner has an
 * entry: int32 0, uint64 size, bytes. */
#define FUT_MAX_RET 65536

void grt__futx_free(grt_op_t *op) {
  grt__comm_allgather_free(op->futx);
  op->futx = NULL;
}

/* Reads every other rank's block into the op: results, failure, the single
 * return (this rank's own are in place). */
static void fut_absorb(grt_op_t *op, const grt_allgather_t *g) {
  size_t rsize = op->result_type ? grt_type_size(op->result_type) : 0;
  for (int r = 0; r < op->rt->nranks; r++) {
    uint32_t len;
    const unsigned char *m = grt__comm_allgather_block(g, r, &len);
    if (!m || len < 8 || r == op->rt->rank) continue;
    int32_t failed, count;
    memcpy(&failed, m, 4);
    memcpy(&count, m + 4, 4);
    if (failed) atomic_store(&op->failed, true);
    size_t off = 8;
    if (op->result_type) {
      for (int32_t i = 0; i < count && off + 4 + rsize <= len; i++) {
        int32_t p;
        memcpy(&p, m + off, 4);
        if (p >= 0 && p < op->npoints) {
          memcpy(op->results + (size_t)p * rsize, m + off + 4, rsize);
          op->has_result[p] = 1;
        }
        off += 4 + rsize;
      }
    } else if (count == 1 && len >= 20) {
      uint64_t size;
      memcpy(&size, m + 12, 8);
      if (size <= len - 20) {
        free(op->ret);
        op->ret = malloc(sizeof(size_t) + size);
        if (op->ret) {
          *(size_t *)op->ret = (size_t)size;
          memcpy((char *)op->ret + sizeof(size_t), m + 20, size);
        }
      }
    }
  }
}

static void fut_done(void *arg, grt_allgather_t *g) {
  grt_op_t *op = arg;
  fut_absorb(op, g);
  grt__op_finish_future(op->rt, op);
  grt__op_unref(op); /* the exchange's reference */
}

int grt__post_future_exchange(grt_runtime_t *rt, grt_op_t *op) {
  /* The points of distinct ranks are distinct, so the blocks' entries add
   * up to at most every point's. */
  size_t rsize = op->result_type ? grt_type_size(op->result_type) : 0;
  size_t entries = op->result_type ? (size_t)op->npoints * (4 + rsize) : 4 + 8 + FUT_MAX_RET;
  uint64_t tag = (rt->future_seq + 1) * 32;
  rt->future_seq++;
  int rc = grt__comm_allgather_post(rt->comm, GRT_CHAN_FUTURE, tag,
                                    (size_t)rt->nranks * 8 + entries, fut_done, op, &op->futx);
  if (rc == 0) atomic_fetch_add(&op->refs, 1); /* the exchange's, dropped when it completes */
  return rc;
}

void grt__op_local_done(grt_runtime_t *rt, grt_op_t *op) {
  if (!op->result) return;
  if (rt->nranks == 1) {
    grt__op_finish_future(rt, op);
    return;
  }
  if (!op->futx) return; /* the exchange could not be posted: the op is aborted */
  size_t cap = 8 + (op->result_type ? (size_t)op->nlocal * (4 + grt_type_size(op->result_type))
                                    : 4 + 8 + FUT_MAX_RET);
  unsigned char *m = calloc(1, cap);
  if (!m) grt__comm_abort(rt->comm, GRT_ENOMEM, "grt: out of host memory");
  int32_t failed = atomic_load(&op->failed) || op->aborted, count = 0;
  size_t off = 8;
  if (op->result_type) {
    size_t rsize = grt_type_size(op->result_type);
    for (int p = op->l0; p < op->l1; p++)
      if (op->has_result[p] && grt__op_local(op, p)) {
        int32_t pi = p;
        memcpy(m + off, &pi, 4);
        memcpy(m + off + 4, op->results + (size_t)p * rsize, rsize);
        off += 4 + rsize;
        count++;
      }
  } else if (op->npoints == 1 && grt__op_shard(op, 0) == rt->rank && op->ret) {
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
  grt__comm_allgather_give(op->futx, m, (uint32_t)off);
}
