/* graph.c - the dependence graph's nodes, id table, ready queues and worker threads.
 *
 * Knows nothing of what a node does: a worker pops a ready node and calls
 * its run hook, which completes it (graph.h). */
#include "graph.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grt_error.h"
#include "grt_build_config.h"
#if GRT_HAVE_OPENMP
#include <omp.h>
#endif

static inline void node_lock(grt_node_t *n) {
  while (atomic_flag_test_and_set_explicit(&n->lock, memory_order_acquire)) {
  }
}
static inline void node_unlock(grt_node_t *n) {
  atomic_flag_clear_explicit(&n->lock, memory_order_release);
}

void grt__graph_node_init(grt_graph_t *g, grt_node_t *n, grt_node_kind_t kind, grt_node_run_fn run,
                          struct grt_op *op) {
  memset(n, 0, sizeof *n);
  atomic_flag_clear(&n->lock);
  atomic_init(&n->pending, 1);
  n->kind = kind;
  n->op = op;
  n->run = run;
  n->seq = ++g->next_seq;
  n->succ = n->inline_succ;
  n->capsucc = (int)(sizeof n->inline_succ / sizeof n->inline_succ[0]);
}

void grt__graph_add_edge(grt_node_t *pred, grt_node_t *succ) {
  if (pred == succ) return;
  node_lock(pred);
  if (pred->done) {
    node_unlock(pred);
    return;
  }
  for (int i = pred->nsucc - 1; i >= 0 && i >= pred->nsucc - 4; i--)
    if (pred->succ[i] == succ) { /* recent duplicate: one edge is enough */
      node_unlock(pred);
      return;
    }
  if (pred->nsucc == pred->capsucc) {
    int cap = pred->capsucc * 2;
    grt_node_t **v = malloc(sizeof *v * (size_t)cap);
    if (!v) abort(); /* edges cannot be dropped without breaking ordering */
    memcpy(v, pred->succ, sizeof *v * (size_t)pred->nsucc);
    if (pred->succ != pred->inline_succ) free(pred->succ);
    pred->succ = v;
    pred->capsucc = cap;
  }
  pred->succ[pred->nsucc++] = succ;
  atomic_fetch_add_explicit(&succ->pending, 1, memory_order_relaxed);
  node_unlock(pred);
}

static void queue_push(grt_queue_t *q, grt_node_t *n) {
  n->next_ready = NULL;
  pthread_mutex_lock(&q->mu);
  if (q->tail)
    q->tail->next_ready = n;
  else
    q->head = n;
  q->tail = n;
  atomic_fetch_add_explicit(&q->size, 1, memory_order_release);
  if (q->sleepers) pthread_cond_signal(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* How long an idle worker keeps polling MPI, after its last task or the
 * last message it saw move, before it sleeps on the queue and leaves the
 * polling to the progress thread's naps. */
#define POLL_BUDGET_NS 2000000u /* 2 ms */

/* Pops a node, sleeping while the queue is empty; NULL once stopped. A
 * worker first spins briefly (yielding its core) so that a steady stream of
 * small tasks does not pay a futex wake-up per task. While messages are in
 * flight (several ranks) an idle worker polls them itself, yielding between
 * polls, for up to POLL_BUDGET_NS: the message that its next task waits
 * for is then seen, and that task run, as soon as it arrives, rather than
 * after the progress thread's next nap and a wake-up of this worker. */
static grt_node_t *queue_pop(grt_graph_t *g, grt_queue_t *q) {
  uint64_t since = 0;
  for (int spin = 0; !atomic_load_explicit(&q->size, memory_order_acquire); spin++) {
    if (grt__comm_inflight(g->comm) > 0) {
      uint64_t t = mono_ns();
      if (!since) since = t;
      if (grt__comm_poll(g->comm) > 0)
        since = t;
      else if (t - since < POLL_BUDGET_NS)
        sched_yield();
      else
        break;
      continue;
    }
    if (spin >= 200) break;
    if (spin < 100)
      __builtin_ia32_pause();
    else
      sched_yield();
  }
  pthread_mutex_lock(&q->mu);
  if (!q->head && !q->stop) {
    grt__comm_worker_sleeps(g->comm, 1); /* the progress thread naps short */
    while (!q->head && !q->stop) {
      q->sleepers++;
      pthread_cond_wait(&q->cv, &q->mu);
      q->sleepers--;
    }
    grt__comm_worker_sleeps(g->comm, -1);
  }
  grt_node_t *n = q->head;
  if (n) {
    q->head = n->next_ready;
    if (!q->head) q->tail = NULL;
    atomic_fetch_sub_explicit(&q->size, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&q->mu);
  return n;
}

static void wake_waiters(grt_graph_t *g) {
  pthread_mutex_lock(&g->fence_mu);
  pthread_cond_broadcast(&g->fence_cv);
  pthread_mutex_unlock(&g->fence_mu);
}

/* Called by whoever dropped @p n's pending count to 0, with the kind it read
 * before that drop. A wait node then belongs to the application thread,
 * which may complete and free it at once: for GRT_NODE_WAIT this must not
 * touch @p n. */
static void make_ready(grt_graph_t *g, grt_node_t *n, grt_node_kind_t kind) {
  switch (kind) {
  case GRT_NODE_CPU:
    queue_push(&g->cpu_q, n);
    break;
  case GRT_NODE_OMP:
    queue_push(g->nomp > 0 ? &g->omp_q : &g->cpu_q, n);
    break;
  case GRT_NODE_ANY:
    queue_push(g->ncpu > 0 ? &g->cpu_q : &g->omp_q, n);
    break;
  case GRT_NODE_WAIT:
    wake_waiters(g); /* the waiting application thread checks pending == 0 */
    break;
  case GRT_NODE_FUTURE:
    break; /* completed by grt__future_set, never by its edges */
  }
}

void grt__graph_release(grt_graph_t *g, grt_node_t *n) {
  /* The decrement is the releaser's last touch of a wait node: the waiting
   * application thread returns as soon as it sees pending == 0, and may free
   * the node before this thread reads anything else from it. */
  grt_node_kind_t kind = n->kind;
  if (atomic_fetch_sub_explicit(&n->pending, 1, memory_order_acq_rel) == 1) make_ready(g, n, kind);
}

void grt__graph_complete(grt_graph_t *g, grt_node_t *n) {
  node_lock(n);
  n->done = true;
  int nsucc = n->nsucc;
  grt_node_t **succ = n->succ;
  n->nsucc = 0;
  n->succ = n->inline_succ;
  node_unlock(n);
  for (int i = 0; i < nsucc; i++) grt__graph_release(g, succ[i]);
  if (succ != n->inline_succ) free(succ);
  if (n->kind == GRT_NODE_FUTURE) return;
  bool counted = n->kind != GRT_NODE_WAIT;
  /* Hand the node to the application thread; it may be freed from now on. */
  grt_node_t *head = atomic_load_explicit(&g->done_stack, memory_order_relaxed);
  do {
    n->next_done = head;
  } while (!atomic_compare_exchange_weak_explicit(&g->done_stack, &head, n,
                                                  memory_order_release, memory_order_relaxed));
  if (counted && atomic_fetch_sub(&g->outstanding, 1) == 1 && atomic_load(&g->fence_waiters))
    wake_waiters(g);
}

/* ---- the id table: nodes the analyzer may still name (app thread only) ---- */

int grt__graph_insert(grt_graph_t *g, grt_node_t *n) {
  if (g->table_count + 1 > (g->table_mask + 1) * 2) {
    size_t nb = (g->table_mask + 1) * 2;
    grt_node_t **t = calloc(nb, sizeof *t);
    if (!t) return grt__error(GRT_ENOMEM, "grt: out of host memory growing the node table");
    for (size_t b = 0; b <= g->table_mask; b++)
      for (grt_node_t *e = g->table[b], *next; e; e = next) {
        next = e->table_next;
        size_t h = grt__graph_hash(e->seq) & (nb - 1);
        e->table_next = t[h];
        t[h] = e;
      }
    free(g->table);
    g->table = t;
    g->table_mask = nb - 1;
  }
  size_t h = grt__graph_hash(n->seq) & g->table_mask;
  n->table_next = g->table[h];
  g->table[h] = n;
  g->table_count++;
  return 0;
}

grt_node_t *grt__graph_find(grt_graph_t *g, uint64_t seq) {
  for (grt_node_t *e = g->table[grt__graph_hash(seq) & g->table_mask]; e; e = e->table_next)
    if (e->seq == seq) return e;
  return NULL;
}

void grt__graph_wait(grt_graph_t *g) {
  if (atomic_load(&g->outstanding) == 0) return;
  pthread_mutex_lock(&g->fence_mu);
  atomic_fetch_add(&g->fence_waiters, 1);
  grt__comm_blocked(g->comm, 1); /* a peer that left is noticed */
  while (atomic_load(&g->outstanding) > 0) pthread_cond_wait(&g->fence_cv, &g->fence_mu);
  grt__comm_blocked(g->comm, -1);
  atomic_fetch_sub(&g->fence_waiters, 1);
  pthread_mutex_unlock(&g->fence_mu);
}

void grt__graph_wait_ready(grt_graph_t *g, grt_node_t *n) {
  pthread_mutex_lock(&g->fence_mu);
  grt__comm_blocked(g->comm, 1); /* a peer that left is noticed */
  while (atomic_load(&n->pending) > 0) pthread_cond_wait(&g->fence_cv, &g->fence_mu);
  grt__comm_blocked(g->comm, -1);
  pthread_mutex_unlock(&g->fence_mu);
}

/* ---- running nodes ---- */

static void *worker_main(void *arg) {
  grt_worker_t *w = arg;
  grt_graph_t *g = w->graph;
  if (w->core >= 0) grt__machine_bind(g->machine, w->core);
#if GRT_HAVE_OPENMP
  if (w->kind == GRT_PROC_OMP) omp_set_num_threads(g->omp_threads);
#endif
  grt_queue_t *q = w->kind == GRT_PROC_OMP ? &g->omp_q : &g->cpu_q;
  grt_node_t *n;
  while ((n = queue_pop(g, q))) {
    if (w->prof) { /* the hook names the event when its work ends */
      w->mark.seq = n->seq;
      w->mark.t0 = grt__profile_now();
    }
    n->run(n, w); /* completes it, now or later */
  }
  return NULL;
}

/* ---- the graph's lifetime ---- */

static void queue_init(grt_queue_t *q) {
  memset(q, 0, sizeof *q);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cv, NULL);
}

static void queue_stop(grt_queue_t *q) {
  pthread_mutex_lock(&q->mu);
  q->stop = true;
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
}

int grt__graph_init(grt_graph_t *g) {
  memset(g, 0, sizeof *g);
  pthread_mutex_init(&g->fence_mu, NULL);
  pthread_cond_init(&g->fence_cv, NULL);
  g->table = calloc((size_t)1 << GRT_TABLE_BITS, sizeof *g->table);
  if (!g->table) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  g->table_mask = ((size_t)1 << GRT_TABLE_BITS) - 1;
  return 0;
}

void grt__graph_fini(grt_graph_t *g) {
  free(g->table);
  g->table = NULL;
  pthread_mutex_destroy(&g->fence_mu);
  pthread_cond_destroy(&g->fence_cv);
}

int grt__graph_start(grt_graph_t *g) {
  queue_init(&g->cpu_q);
  queue_init(&g->omp_q);
  g->nworkers = g->ncpu + g->nomp;
  g->workers = calloc((size_t)g->nworkers, sizeof *g->workers);
  if (!g->workers) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  /* Bind workers to distinct cores when they fit beside this rank's
   * neighbours on the node; otherwise leave placement to the OS. */
  int per_node, local_rank;
  grt__comm_local_ranks(&local_rank, &per_node);
  bool bind = g->nworkers * per_node <= g->machine->ncores;
  for (int i = 0; i < g->nworkers; i++) {
    grt_worker_t *w = &g->workers[i];
    w->graph = g;
    w->index = i;
    w->kind = i < g->ncpu ? GRT_PROC_CPU : GRT_PROC_OMP;
    /* An OpenMP group's thread is not pinned: its team inherits the thread's
     * binding, and a team pinned to one core gains nothing. */
    w->core = bind && w->kind == GRT_PROC_CPU ? local_rank * g->nworkers + i : -1;
    w->prof = grt__profile_buf_new(g->prof, w->kind == GRT_PROC_OMP); /* the profile owns it */
    bool no_prof = g->prof && !w->prof;
    if (no_prof || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      g->nworkers = i;
      grt__graph_stop(g);
      return grt__error(GRT_ENOMEM, no_prof ? "grt_init: out of host memory for the profile"
                                            : "grt_init: cannot start worker thread %d", i);
    }
  }
  return 0;
}

void grt__graph_stop(grt_graph_t *g) {
  queue_stop(&g->cpu_q);
  queue_stop(&g->omp_q);
  for (int i = 0; i < g->nworkers; i++) pthread_join(g->workers[i].thread, NULL);
  free(g->workers);
  g->workers = NULL;
  pthread_mutex_destroy(&g->cpu_q.mu);
  pthread_cond_destroy(&g->cpu_q.cv);
  pthread_mutex_destroy(&g->omp_q.mu);
  pthread_cond_destroy(&g->omp_q.cv);
}
