/* exec.c - the dependence graph's nodes, ready queues and worker threads. */
#include "runtime_internal.h"
#include "xfer.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void grt__node_init(grt_runtime_t *rt, grt_node_t *n, grt_node_kind_t kind, grt_op_t *op) {
  memset(n, 0, sizeof *n);
  atomic_flag_clear(&n->lock);
  atomic_init(&n->pending, 1);
  n->kind = kind;
  n->op = op;
  n->seq = ++rt->next_seq;
  n->succ = n->inline_succ;
  n->capsucc = (int)(sizeof n->inline_succ / sizeof n->inline_succ[0]);
}

void grt__node_add_edge(grt_node_t *pred, grt_node_t *succ) {
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
static grt_node_t *queue_pop(grt_runtime_t *rt, grt_queue_t *q) {
  uint64_t since = 0;
  for (int spin = 0; !atomic_load_explicit(&q->size, memory_order_acquire); spin++) {
    if (grt__comm_inflight(rt->comm) > 0) {
      uint64_t t = mono_ns();
      if (!since) since = t;
      if (grt__comm_poll(rt->comm) > 0)
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
    grt__comm_worker_sleeps(rt->comm, 1); /* the progress thread naps short */
    while (!q->head && !q->stop) {
      q->sleepers++;
      pthread_cond_wait(&q->cv, &q->mu);
      q->sleepers--;
    }
    grt__comm_worker_sleeps(rt->comm, -1);
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

static void wake_waiters(grt_runtime_t *rt) {
  pthread_mutex_lock(&rt->fence_mu);
  pthread_cond_broadcast(&rt->fence_cv);
  pthread_mutex_unlock(&rt->fence_mu);
}

/* Called by whoever dropped @p n's pending count to 0, with the kind it read
 * before that drop. A wait node then belongs to the application thread,
 * which may complete and free it at once: for GRT_NODE_WAIT this must not
 * touch @p n. */
static void make_ready(grt_runtime_t *rt, grt_node_t *n, grt_node_kind_t kind) {
  switch (kind) {
  case GRT_NODE_TASK:
  case GRT_NODE_FOLD:
    queue_push(n->op->kind == GRT_PROC_OMP && rt->nomp > 0 ? &rt->omp_q : &rt->cpu_q, n);
    break;
  case GRT_NODE_XFER:
    queue_push(rt->ncpu > 0 ? &rt->cpu_q : &rt->omp_q, n);
    break;
  case GRT_NODE_WAIT:
    wake_waiters(rt); /* the waiting application thread checks pending == 0 */
    break;
  case GRT_NODE_FUTURE:
    break; /* completed by grt__future_set, never by its edges */
  }
}

void grt__node_release(grt_runtime_t *rt, grt_node_t *n) {
  /* The decrement is the releaser's last touch of a wait node: the waiting
   * application thread returns as soon as it sees pending == 0, and may free
   * the node before this thread reads anything else from it. */
  grt_node_kind_t kind = n->kind;
  if (atomic_fetch_sub_explicit(&n->pending, 1, memory_order_acq_rel) == 1) make_ready(rt, n, kind);
}

void grt__node_complete(grt_runtime_t *rt, grt_node_t *n) {
  node_lock(n);
  n->done = true;
  int nsucc = n->nsucc;
  grt_node_t **succ = n->succ;
  n->nsucc = 0;
  n->succ = n->inline_succ;
  node_unlock(n);
  for (int i = 0; i < nsucc; i++) grt__node_release(rt, succ[i]);
  if (succ != n->inline_succ) free(succ);
  if (n->kind == GRT_NODE_FUTURE) return;
  bool counted = n->kind != GRT_NODE_WAIT;
  /* Hand the node to the application thread; it may be freed from now on. */
  grt_node_t *head = atomic_load_explicit(&rt->done_stack, memory_order_relaxed);
  do {
    n->next_done = head;
  } while (!atomic_compare_exchange_weak_explicit(&rt->done_stack, &head, n,
                                                  memory_order_release, memory_order_relaxed));
  if (counted && atomic_fetch_sub(&rt->outstanding, 1) == 1 && atomic_load(&rt->fence_waiters))
    wake_waiters(rt);
}

/* ---- the id table: nodes the analyzer may still name (app thread only) ---- */

static size_t hash_seq(uint64_t seq) { return (size_t)(seq * 0x9E3779B97F4A7C15ull >> 20); }

int grt__table_insert(grt_runtime_t *rt, grt_node_t *n) {
  if (rt->table_count + 1 > (rt->table_mask + 1) * 2) {
    size_t nb = (rt->table_mask + 1) * 2;
    grt_node_t **t = calloc(nb, sizeof *t);
    if (!t) return grt__error(GRT_ENOMEM, "grt: out of host memory growing the node table");
    for (size_t b = 0; b <= rt->table_mask; b++)
      for (grt_node_t *e = rt->table[b], *next; e; e = next) {
        next = e->table_next;
        size_t h = hash_seq(e->seq) & (nb - 1);
        e->table_next = t[h];
        t[h] = e;
      }
    free(rt->table);
    rt->table = t;
    rt->table_mask = nb - 1;
  }
  size_t h = hash_seq(n->seq) & rt->table_mask;
  n->table_next = rt->table[h];
  rt->table[h] = n;
  rt->table_count++;
  return 0;
}

grt_node_t *grt__table_find(grt_runtime_t *rt, uint64_t seq) {
  for (grt_node_t *e = rt->table[hash_seq(seq) & rt->table_mask]; e; e = e->table_next)
    if (e->seq == seq) return e;
  return NULL;
}

static void table_remove(grt_runtime_t *rt, grt_node_t *n) {
  grt_node_t **p = &rt->table[hash_seq(n->seq) & rt->table_mask];
  while (*p && *p != n) p = &(*p)->table_next;
  if (*p) {
    *p = n->table_next;
    rt->table_count--;
  }
}

void grt__drain_completed(grt_runtime_t *rt) {
  grt_node_t *n = atomic_exchange_explicit(&rt->done_stack, NULL, memory_order_acquire);
  while (n) {
    grt_node_t *next = n->next_done;
    table_remove(rt, n);
    if (n->op)
      grt__op_unref(n->op);
    else
      free(n); /* wait and transfer nodes own themselves */
    n = next;
  }
}

void grt__wait_all(grt_runtime_t *rt) {
  if (atomic_load(&rt->outstanding) > 0) {
    pthread_mutex_lock(&rt->fence_mu);
    atomic_fetch_add(&rt->fence_waiters, 1);
    grt__comm_blocked(rt->comm, 1); /* a peer that left is noticed */
    while (atomic_load(&rt->outstanding) > 0) pthread_cond_wait(&rt->fence_cv, &rt->fence_mu);
    grt__comm_blocked(rt->comm, -1);
    atomic_fetch_sub(&rt->fence_waiters, 1);
    pthread_mutex_unlock(&rt->fence_mu);
  }
  grt__drain_completed(rt);
}

/* ---- running nodes ---- */


/* What the profile notes of @p n before it runs (it may be freed once it
 * completes). */
static void prof_mark(const grt_node_t *n, grt_prof_mark_t *m) {
  m->seq = n->seq;
  m->kind = (uint8_t)n->kind;
  m->name = n->op ? n->op->name : NULL;
  m->point = -1;
  m->send = n->kind == GRT_NODE_XFER && grt__xfer_is_send(n);
  if (n->kind == GRT_NODE_TASK)
    m->point = (int32_t)((const grt_point_t *)n - n->op->points) + n->op->p0;
  m->t0 = grt__prof_now();
}

static void run_node(grt_runtime_t *rt, grt_node_t *n, grt_worker_t *w) {
  if (w->prof) prof_mark(n, &w->mark);
  if (n->kind == GRT_NODE_TASK) {
    grt__run_point(rt, (grt_point_t *)n, w); /* completes it, now or later */
    return;
  }
  if (n->kind == GRT_NODE_FOLD)
    grt__run_fold(rt, (grt_fold_t *)n);
  else
    n->run(rt, n);
  grt__prof_end(w);
  grt__node_complete(rt, n);
}

static void *worker_main(void *arg) {
  grt_worker_t *w = arg;
  grt_runtime_t *rt = w->rt;
  if (w->core >= 0) grt__machine_bind(rt, w->core);
#if GRT_HAVE_OPENMP
  if (w->kind == GRT_PROC_OMP) omp_set_num_threads(rt->omp_threads);
#endif
  grt_queue_t *q = w->kind == GRT_PROC_OMP ? &rt->omp_q : &rt->cpu_q;
  grt_node_t *n;
  while ((n = queue_pop(rt, q))) run_node(rt, n, w);
  return NULL;
}

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

int grt__workers_start(grt_runtime_t *rt) {
  queue_init(&rt->cpu_q);
  queue_init(&rt->omp_q);
  rt->nworkers = rt->ncpu + rt->nomp;
  rt->workers = calloc((size_t)rt->nworkers, sizeof *rt->workers);
  if (!rt->workers) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  /* Bind workers to distinct cores when they fit beside this rank's
   * neighbours on the node; otherwise leave placement to the OS. */
  int per_node, local_rank;
  grt__comm_local_ranks(&local_rank, &per_node);
  bool bind = rt->nworkers * per_node <= rt->ncores;
  for (int i = 0; i < rt->nworkers; i++) {
    grt_worker_t *w = &rt->workers[i];
    w->rt = rt;
    w->index = i;
    w->kind = i < rt->ncpu ? GRT_PROC_CPU : GRT_PROC_OMP;
    /* An OpenMP group's thread is not pinned: its team inherits the thread's
     * binding, and a team pinned to one core gains nothing. */
    w->core = bind && w->kind == GRT_PROC_CPU ? local_rank * rt->nworkers + i : -1;
    w->prof = grt__prof_buf_new(rt);
    bool no_prof = rt->prof && !w->prof;
    if (no_prof || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
      grt__prof_buf_free(w->prof);
      rt->nworkers = i;
      grt__workers_stop(rt);
      return grt__error(GRT_ENOMEM, no_prof ? "grt_init: out of host memory for the profile"
                                            : "grt_init: cannot start worker thread %d", i);
    }
  }
  return 0;
}

void grt__workers_stop(grt_runtime_t *rt) {
  queue_stop(&rt->cpu_q);
  queue_stop(&rt->omp_q);
  for (int i = 0; i < rt->nworkers; i++) {
    pthread_join(rt->workers[i].thread, NULL);
    grt__prof_buf_free(rt->workers[i].prof);
  }
  free(rt->workers);
  rt->workers = NULL;
  pthread_mutex_destroy(&rt->cpu_q.mu);
  pthread_cond_destroy(&rt->cpu_q.cv);
  pthread_mutex_destroy(&rt->omp_q.mu);
  pthread_cond_destroy(&rt->omp_q.cv);
}
