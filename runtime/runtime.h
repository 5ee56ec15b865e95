/* runtime.h - the runtime object: what one grt_init made, and who may touch what.
 *
 * runtime.c (grt_init, grt_finalize, grt_fence, the queries) sits on top
 * of every other module. Modules read and write their own parts of this
 * struct; each part says which module owns it.
 */
#ifndef GRT_RUNTIME_H
#define GRT_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "comm.h"
#include "config.h"
#include "graph.h"
#include "handle.h"
#include "machine.h"
#include "memory.h"
#include "op.h"
#include "partition.h"
#include "pools.h"
#include "store.h"
#include "store_api.h"
#include "store_ctx.h"
#include "type.h"

typedef struct grt_redop_info grt_redop_info_t;

/* ---------------------------------------------------------------------------
 * The runtime.
 *
 * Threads. The API is called from one application thread; workers, comm's
 * progress thread and asynchronous processors run nodes and callbacks
 * beside it. So:
 * - Application thread only: settings (read-only after grt_init), libs,
 *   internal_lib, redops (registration; workers read entries registered
 *   before the launches that use them), the graph's id table and sequence
 *   numbers (graph.h), plan (distribution scratch), alias_img, the
 *   divergence check's running record (op_count, op_hash).
 * - Any thread: mems (atomic accounting), store_ctx (its own locks:
 *   store_ctx.h), pools
 *   (lock-free, one consumer), op_pool (lock-free, one consumer: the
 *   application thread), the graph's completion stack and counters
 *   (graph.h); task_failed (atomic) and
 *   fail_msg under fail_mu.
 * - Replicated, equal on every rank after the same sequence of calls:
 *   the store ids (store_ctx), xfer_seq, future_seq, alias_copies, op_count/op_hash
 *   (that is what the check compares). They advance only on the
 *   application thread, in program order, by the same amounts on every
 *   rank: a step taken on one rank and not another is a divergence. The
 *   graph's node sequence numbers are not replicated: each rank makes only
 *   its own points' and transfers' nodes.
 * - Set once by grt_init, read-only after: rank, nranks, comm, machine,
 *   ngpu, the graph's processor counts, checker.
 * ------------------------------------------------------------------------- */
struct grt_runtime {
  grt_settings_t settings;
  grt_memory_t mems[GRT_MEM_KIND_COUNT];
  /* The store layer's part (store_ctx.h): store ids, derived types, the
   * live attached roots; open (the runtime is live) from grt_init's
   * registration to grt_finalize. */
  grt_store_ctx_t store_ctx;
  int rank, nranks;
  grt_comm_t *comm;
  uint64_t xfer_seq;               /* replicated: tags of data transfers */
  uint64_t future_seq;             /* replicated: tags of future exchanges */
  grt_machine_t machine;           /* cores, NUMA nodes (hwloc) */
  grt_library_t *libs;
  grt_library_t *internal_lib;     /* fill, copy, ... */
  int nredops;
  grt_redop_info_t *redops;
  int ngpu;                        /* GPUs (none yet); CPU and OpenMP workers: graph */
  grt_graph_t graph;               /* nodes, queues, workers (graph.h) */
  void *plan;                      /* plan.c scratch (app thread) */
  grt_pool_t pools[GRT_HK_COUNT]; /* launches, futures, partitions, mappings, stores (handle.h) */
  grt_op_pool_t op_pool;           /* op blocks (op.h) */
  struct grt_divergence *checker;  /* comm's divergence exchange; NULL on 1 or simulated ranks */
  uint64_t op_count, op_hash;      /* the divergence check's running record */
  atomic_int task_failed;          /* a task failed since the last fence */
  pthread_mutex_t fail_mu;
  char fail_msg[256];
  uint64_t alias_copies;           /* replicated: readers given a copy by alias.c */
  uint64_t inst_made;              /* app thread: instances made (instances.c) */
  uint64_t inst_migrations;        /*   ... migrations (growth) */
  uint64_t inst_retired;           /*   ... instances retired as stale */
  size_t inst_trimmed;             /*   ... bytes of copies freed by trims */
  size_t inst_whole_bytes;         /* roots this small get whole instances
                                    * (GRT_INST_WHOLE_BYTES; tests lower it
                                    * with GRT_TEST_INST_WHOLE_BYTES) */
  int live_mappings;               /* app thread: mapped, not yet unmapped */
  bool trim_due;                   /* app thread: the last blocking call's verdict
                                    * said some rank is short of memory */
  int (*trim_hook)(grt_runtime_t *rt); /* grt__instances_trim_due, set by
                                    * grt_init: check.c calls it (below it) */
  bool trim_at_fence;              /* tests (GRT_TEST_TRIM_AT_FENCE=1): every
                                    * fence also trims copies (instances.h) */
  pthread_mutex_t roots_mu;        /* guards roots (released on any thread) */
  struct grt_root_state *roots;    /* every root with runtime state (analysis.c) */
  bool inst_nowait;                /* app thread: an op's nodes are held (no
                                    * waiting for pending work: instances.c) */
  grt_rects_t alias_img;           /* alias.c scratch (app thread) */
};

#endif
