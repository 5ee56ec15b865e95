/* xfer.h - transfer nodes: this rank's half of the data movement one plan
 * decided (plan.h).
 *
 * All of one op's sends (or receives) of one root on this rank are one node:
 * one message per peer, packed back to back in one buffer, so a rank's node
 * count per op does not grow with its number of neighbours. A send node runs
 * when the values it sends are final (its dependences come from the
 * analyzer, like a task that reads them): it packs the rectangles and posts
 * the messages. A receive node posts its receives when made; it becomes
 * ready when every message has arrived and every earlier access to the
 * rectangles is done, and unpacks when it runs.
 */
#ifndef GRT_XFER_H
#define GRT_XFER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comm.h"
#include "runtime.h"

/* A message: one per peer, its rectangles consecutive in rects, its bytes
 * at buf + off. */
typedef grt_comm_msg_t grt_xmsg_t;

typedef struct grt_xfer {
  grt_node_t node; /* first: the node is freed with free() after draining */
  grt_store_root_t *root;  /* referenced until the node has run */
  bool is_send;
  bool failed;             /* staging refused: runs as a no-op */
  uint64_t tag;
  unsigned char *buf;      /* receive: the messages, back to back */
  size_t bytes;
  atomic_int sends_left;  /* send: messages not yet handed back; buf freed at 0 */
  int nmsgs;
  grt_xmsg_t *msgs;       /* after rects, in the same block */
  grt_instance_t **inst;  /* per rect: the instance packed from or unpacked
                           * into, referenced (grt__xfer_bind); after msgs */
  int nrects;
  grt_rect_t rects[];
} grt_xfer_t;

/* A transfer node of @p root with room for @p nrects rectangles and @p nmsgs
 * messages (the caller fills rects, msgs, nmsgs and bytes), or NULL when out
 * of memory. Application thread. */
grt_xfer_t *grt__xfer_new(grt_runtime_t *rt, grt_store_root_t *root, bool is_send, uint64_t tag,
                          int nrects, int nmsgs);
/* Points each rectangle at the instance holding it (made by the plan) and
 * references them until the node has run. */
void grt__xfer_bind(grt_runtime_t *rt, grt_xfer_t *x);
/* Enters the filled node into the graph (id table, outstanding count) and,
 * for a receive, posts its messages. The caller still holds the node's
 * submission hold (released with the op, grt__plan_xfers_release). */
int grt__xfer_post(grt_runtime_t *rt, grt_xfer_t *x);

#endif
