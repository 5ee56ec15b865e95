/* divergence.c - the divergence check's exchange (divergence.h): every rank
 * reports its operation records to rank 0, which compares them, answers
 * blocking calls and stops the job when they differ, naming the first
 * differing operation.
 *
 * Protocol (control channel): rank r sends rank 0 its records since its last
 * message, at most every CHECK_EVERY operations and at each blocking call. At
 * a blocking call it then waits for rank 0's verdict, which comes once every
 * rank has reported the same blocking call and all records up to it agree;
 * the verdict also carries whether a task failed on any rank (so fence
 * reports GRT_ETASK on every rank alike). On a mismatch rank 0 sends
 * "diverged" to the ranks that wait, prints the operation, and aborts the job
 * a moment later. */
#include "divergence.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "grt_error.h"

#define CHECK_EVERY 64
#define MAX_RECS (CHECK_EVERY + 2)

typedef struct rec {
  uint64_t count; /* operation number */
  uint32_t kind;
  uint32_t pad;
  uint64_t h;     /* hash of the operation alone */
  char what[32];  /* e.g. the launched task's name, for the message */
} rec_t;

typedef struct msg {
  uint32_t nrec, blocking, failed, pad;
  uint32_t pressure, pad2; /* the sender is short of memory (blocking calls) */
  uint64_t bseq;  /* this rank's blocking-call number */
  uint64_t count; /* the sender's operation count when it sent this */
  char failtext[160];
  rec_t recs[MAX_RECS];
} msg_t;

typedef struct verdict {
  uint32_t status; /* 0 ok, 1 diverged */
  uint32_t failed;
  uint32_t pressure, pad; /* some rank is short of memory */
  char text[400];
} verdict_t;

/* Per-rank queue of records not yet compared (rank 0 only). */
typedef struct rq {
  rec_t *v;
  size_t head, n, cap;
  uint64_t blocked_at;   /* count of its pending blocking call, 0 if none */
  uint64_t bseq;
  uint32_t bfailed, bpressure;
  char failtext[160];
  msg_t in;              /* receive buffer */
  uint64_t next_tag;
} rq_t;

struct grt_divergence {
  grt_comm_t *comm;
  bool pressure;         /* this rank's, sent with its next blocking call */
  bool any_pressure;     /* the last verdict's: some rank was short */
  int rank, nranks;
  const char *const *kind_names;
  int nkinds;
  struct recv_ctx *ctx;  /* rank 0: one per rank, for the receive callbacks */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  /* every rank: records since the last message */
  msg_t out;
  uint64_t msg_seq, bseq;
  verdict_t verdict;
  bool verdict_ready;
  bool diverged;
  char why[400];
  /* rank 0 */
  rq_t *q;
  uint64_t compared;     /* records compared on every rank */
};
typedef struct grt_divergence checker_t;

static const char *kind_name(const checker_t *c, uint32_t k) {
  return k < (uint32_t)c->nkinds ? c->kind_names[k] : "operation";
}

static int push_recs(rq_t *q, const rec_t *recs, size_t n) {
  if (q->n + n > q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 256;
    while (cap < q->n + n) cap *= 2;
    rec_t *v = malloc(sizeof *v * cap);
    if (!v) return -1;
    for (size_t i = 0; i < q->n; i++) v[i] = q->v[(q->head + i) % (q->cap ? q->cap : 1)];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  for (size_t i = 0; i < n; i++) q->v[(q->head + q->n + i) % q->cap] = recs[i];
  q->n += n;
  return 0;
}

/* What the abort thread needs, copied: by the time it wakes, the checker's
 * `why` may be rewritten by the verdict's receiver on this rank (a data race
 * TSan saw) and the checker itself may be gone. */
typedef struct abort_arg {
  grt_comm_t *comm;
  char why[400];
} abort_arg_t;

static void *abort_thread(void *arg) {
  abort_arg_t *a = arg;
  sleep(3);
  grt__comm_abort(a->comm, GRT_EDIVERGED, a->why); /* does not return: a is never freed */
}

/* Gives the waiting ranks a moment to report the error, then stops the job
 * (exit status 6, -GRT_EDIVERGED). A rank that leaves before (grt_finalize,
 * return, exit) waits for this abort, so the status does not depend on which
 * comes first (grt__comm_doom). */
static void abort_later(checker_t *c) {
  fprintf(stderr, "grt: %s\n", c->why);
  fflush(stderr);
  grt__comm_doom(c->comm, GRT_EDIVERGED, c->why);
  abort_arg_t *a = malloc(sizeof *a);
  if (!a) grt__comm_abort(c->comm, GRT_EDIVERGED, c->why);
  a->comm = c->comm;
  snprintf(a->why, sizeof a->why, "%s", c->why);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&t, &attr, abort_thread, a) != 0) grt__comm_abort(a->comm, GRT_EDIVERGED, a->why);
  pthread_attr_destroy(&attr);
}

static void send_verdict(checker_t *c, int r, const verdict_t *v);

/* Rank 0, under c->mu: compares what every rank has reported, answers the
 * blocking calls that can be answered. */
static void progress(checker_t *c) {
  int R = c->nranks;
  while (!c->diverged) {
    bool all = true;
    for (int r = 0; r < R; r++) all &= c->q[r].n > 0;
    if (!all) break;
    rec_t *a = &c->q[0].v[c->q[0].head];
    for (int r = 1; r < R && !c->diverged; r++) {
      rec_t *b = &c->q[r].v[c->q[r].head];
      if (a->count != b->count || a->kind != b->kind || a->h != b->h) {
        c->diverged = true;
        snprintf(c->why, sizeof c->why,
                 "ranks diverged at operation #%llu: rank 0 submitted a %s%s%.32s%s, rank %d a "
                 "%s%s%.32s%s%s",
                 (unsigned long long)a->count, kind_name(c, a->kind), a->what[0] ? " of '" : "",
                 a->what, a->what[0] ? "'" : "", r, kind_name(c, b->kind), b->what[0] ? " of '" : "",
                 b->what, b->what[0] ? "'" : "",
                 a->kind == b->kind && strcmp(a->what, b->what) == 0 ? " with different arguments"
                                                                      : "");
      }
    }
    if (c->diverged) break;
    c->compared = a->count;
    for (int r = 0; r < R; r++) {
      c->q[r].head = (c->q[r].head + 1) % c->q[r].cap;
      c->q[r].n--;
    }
  }
  if (c->diverged) {
    verdict_t v = {.status = 1};
    snprintf(v.text, sizeof v.text, "%s", c->why);
    for (int r = 0; r < R; r++)
      if (c->q[r].blocked_at) {
        c->q[r].blocked_at = 0;
        send_verdict(c, r, &v);
      }
    static atomic_flag once = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&once)) abort_later(c);
    return;
  }
  /* A blocking call is answered once every rank waits at it and agrees. */
  uint64_t at = c->q[0].blocked_at;
  if (!at || c->compared < at) return;
  uint32_t failed = 0;
  for (int r = 0; r < R; r++)
    if (c->q[r].blocked_at != at) return;
  verdict_t v = {.status = 0};
  for (int r = 0; r < R; r++)
    if (c->q[r].bfailed && !failed) {
      failed = 1;
      snprintf(v.text, sizeof v.text, "on rank %d: %s", r, c->q[r].failtext);
    }
  v.failed = failed;
  for (int r = 0; r < R; r++) v.pressure |= c->q[r].bpressure;
  for (int r = 0; r < R; r++) {
    c->q[r].blocked_at = 0;
    send_verdict(c, r, &v);
  }
}

/* Rank 0's receive callbacks carry (checker, rank) through this table. */
typedef struct recv_ctx {
  checker_t *c;
  int r;
} recv_ctx_t;

static void on_msg(void *arg, size_t bytes) {
  recv_ctx_t *rc = arg;
  checker_t *c = rc->c;
  int r = rc->r;
  rq_t *q = &c->q[r];
  pthread_mutex_lock(&c->mu);
  if (bytes >= offsetof(msg_t, recs) && q->in.nrec <= MAX_RECS) {
    if (push_recs(q, q->in.recs, q->in.nrec) < 0)
      grt__comm_abort(c->comm, GRT_ENOMEM, "grt: out of host memory in the divergence check");
    if (q->in.blocking) {
      q->blocked_at = q->in.count;
      q->bseq = q->in.bseq;
      q->bfailed = q->in.failed;
      q->bpressure = q->in.pressure;
      snprintf(q->failtext, sizeof q->failtext, "%s", q->in.failtext);
    }
  }
  bool final = q->in.pad != 0;
  progress(c);
  pthread_mutex_unlock(&c->mu);
  if (final) return; /* the rank is finalizing: nothing more will come */
  /* Repost for this rank's next message. */
  q->next_tag++;
  if (grt__comm_recv(c->comm, GRT_CHAN_CONTROL, r, q->next_tag, &q->in, sizeof q->in, on_msg,
                     rc) < 0)
    grt__comm_abort(c->comm, GRT_ECOMM, grt_last_error());
}

/* Verdicts use tags above every message tag: 2^40 + the blocking number. */
#define VERDICT_TAG(bseq) (((uint64_t)1 << 40) + (bseq))

typedef struct vsend {
  verdict_t v;
} vsend_t;

static void free_arg(void *arg, size_t bytes) {
  (void)bytes;
  free(arg);
}

static void send_verdict(checker_t *c, int r, const verdict_t *v) {
  if (r == 0) {
    c->verdict = *v;
    c->verdict_ready = true;
    pthread_cond_broadcast(&c->cv);
    return;
  }
  vsend_t *s = malloc(sizeof *s);
  if (!s) grt__comm_abort(c->comm, GRT_ENOMEM, "grt: out of host memory");
  s->v = *v;
  if (grt__comm_send(c->comm, GRT_CHAN_CONTROL, r, VERDICT_TAG(c->q[r].bseq), &s->v,
                     sizeof s->v, free_arg, s) < 0)
    grt__comm_abort(c->comm, GRT_ECOMM, grt_last_error());
}

/* ---- start-up agreement (before the check starts) ---- */

typedef struct start_msg {
  int32_t rc;   /* 0, or the failing rank's error code */
  int32_t rank; /* the first rank that failed (verdict), or the sender */
  char text[232];
} start_msg_t;

typedef struct start_wait {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int left;
} start_wait_t;

static void start_done(void *arg, size_t bytes) {
  (void)bytes;
  start_wait_t *w = arg;
  pthread_mutex_lock(&w->mu);
  if (--w->left == 0) pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
}

#define START_TAG 0 /* control channel; the check's tags start at 1 */

int grt__divergence_start_agree(grt_comm_t *comm, int rc) {
  const int n = grt__comm_size(comm), me = grt__comm_rank(comm);
  if (n <= 1 || grt__comm_simulated(comm)) return rc;
  start_msg_t mine = {.rc = rc, .rank = me};
  if (rc < 0) snprintf(mine.text, sizeof mine.text, "%s", grt_last_error());
  start_msg_t verdict = mine;
  start_msg_t *all = NULL;
  start_wait_t w = {.left = 0};
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  int crc = 0;
  if (me == 0) {
    all = calloc((size_t)n, sizeof *all);
    if (!all) grt__comm_abort(comm, GRT_ENOMEM, "grt: out of host memory at grt_init");
    w.left = n - 1;
    for (int r = 1; r < n && crc == 0; r++)
      crc = grt__comm_recv(comm, GRT_CHAN_CONTROL, r, START_TAG, &all[r], sizeof all[r],
                           start_done, &w);
  } else {
    w.left = 2;
    crc = grt__comm_send(comm, GRT_CHAN_CONTROL, 0, START_TAG, &mine, sizeof mine,
                         start_done, &w);
    if (crc == 0)
      crc = grt__comm_recv(comm, GRT_CHAN_CONTROL, 0, START_TAG, &verdict, sizeof verdict,
                           start_done, &w);
  }
  if (crc < 0) /* the ranks cannot agree on anything: stop them all */
    grt__comm_abort(comm, GRT_ECOMM, "grt: grt_init cannot exchange its start-up status");
  pthread_mutex_lock(&w.mu);
  while (w.left > 0) pthread_cond_wait(&w.cv, &w.mu);
  pthread_mutex_unlock(&w.mu);
  if (me == 0) { /* the first rank that failed, if any */
    all[0] = mine;
    for (int r = 0; r < n; r++)
      if (all[r].rc < 0) {
        verdict = all[r];
        verdict.rank = r;
        verdict.text[sizeof verdict.text - 1] = '\0';
        break;
      }
    w.left = n - 1;
    for (int r = 1; r < n && crc == 0; r++)
      crc = grt__comm_send(comm, GRT_CHAN_CONTROL, r, START_TAG, &verdict, sizeof verdict,
                           start_done, &w);
    if (crc < 0)
      grt__comm_abort(comm, GRT_ECOMM, "grt: grt_init cannot send its start-up verdict");
    pthread_mutex_lock(&w.mu);
    while (w.left > 0) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    free(all);
  }
  pthread_mutex_destroy(&w.mu);
  pthread_cond_destroy(&w.cv);
  if (rc < 0) return rc; /* this rank's own error stands */
  if (verdict.rc < 0) {
    verdict.text[sizeof verdict.text - 1] = '\0';
    return grt__error(GRT_ECOMM, "grt_init: rank %d of %d failed to start, so the job cannot: %s",
                      (int)verdict.rank, n, verdict.text);
  }
  return 0;
}

/* Sends (or, on rank 0, files) the records gathered so far. */
static void flush(checker_t *c, uint64_t count, bool blocking, bool final, uint32_t failed,
                  const char *failtext) {
  c->out.blocking = blocking;
  c->out.failed = failed;
  if (failed)
    snprintf(c->out.failtext, sizeof c->out.failtext, "%.150s", failtext ? failtext : "");
  else
    c->out.failtext[0] = '\0';
  c->out.bseq = c->bseq;
  c->out.count = count;
  c->out.pad = blocking && final;
  c->out.pressure = blocking && c->pressure;
  if (c->rank == 0) {
    pthread_mutex_lock(&c->mu);
    if (push_recs(&c->q[0], c->out.recs, c->out.nrec) < 0)
      grt__comm_abort(c->comm, GRT_ENOMEM, "grt: out of host memory in the divergence check");
    if (blocking) {
      c->q[0].blocked_at = count;
      c->q[0].bfailed = failed;
      c->q[0].bpressure = c->pressure;
      snprintf(c->q[0].failtext, sizeof c->q[0].failtext, "%s", c->out.failtext);
    }
    progress(c);
    pthread_mutex_unlock(&c->mu);
  } else {
    msg_t *m = malloc(sizeof *m);
    if (!m) grt__comm_abort(c->comm, GRT_ENOMEM, "grt: out of host memory");
    memcpy(m, &c->out, offsetof(msg_t, recs) + sizeof(rec_t) * c->out.nrec);
    if (grt__comm_send(c->comm, GRT_CHAN_CONTROL, 0, ++c->msg_seq, m,
                       offsetof(msg_t, recs) + sizeof(rec_t) * c->out.nrec, free_arg, m) < 0)
      grt__comm_abort(c->comm, GRT_ECOMM, grt_last_error());
  }
  c->out.nrec = 0;
}

int grt__divergence_new(grt_comm_t *comm, const char *const *kind_names, int nkinds,
                        grt_divergence_t **out) {
  *out = NULL;
  if (grt__comm_size(comm) <= 1 || grt__comm_simulated(comm)) return 0;
  checker_t *c = calloc(1, sizeof *c);
  if (!c) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  c->comm = comm;
  c->rank = grt__comm_rank(comm);
  c->nranks = grt__comm_size(comm);
  c->kind_names = kind_names;
  c->nkinds = nkinds;
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->cv, NULL);
  if (c->rank == 0) {
    c->q = calloc((size_t)c->nranks, sizeof *c->q);
    c->ctx = calloc((size_t)c->nranks, sizeof *c->ctx);
    if (!c->q || !c->ctx) {
      grt__divergence_free(c);
      return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
    }
    for (int r = 0; r < c->nranks; r++) c->ctx[r] = (recv_ctx_t){c, r};
  }
  *out = c;
  return 0;
}

int grt__divergence_start(grt_divergence_t *c) {
  if (!c || c->rank != 0) return 0;
  for (int r = 1; r < c->nranks; r++) {
    c->q[r].next_tag = 1;
    if (grt__comm_recv(c->comm, GRT_CHAN_CONTROL, r, 1, &c->q[r].in, sizeof c->q[r].in, on_msg,
                       &c->ctx[r]) < 0)
      return GRT_ECOMM;
  }
  return 0;
}

void grt__divergence_record(grt_divergence_t *c, uint64_t count, uint32_t kind, uint64_t h,
                            const char *lib, const char *name) {
  rec_t *rec = &c->out.recs[c->out.nrec++];
  *rec = (rec_t){.count = count, .kind = kind, .h = h};
  if (name) snprintf(rec->what, sizeof rec->what, "%s.%s", lib, name);
  if (c->out.nrec >= CHECK_EVERY) flush(c, count, false, false, 0, NULL);
}

static void verdict_arrived(void *arg, size_t bytes) {
  checker_t *c = arg;
  (void)bytes;
  pthread_mutex_lock(&c->mu);
  c->verdict_ready = true;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

const char *grt__divergence_why(const grt_divergence_t *c) { return c->diverged ? c->why : NULL; }

int grt__divergence_sync(grt_divergence_t *c, uint64_t count, bool final, uint32_t failed,
                         const char *failtext, bool *any_failed) {
  c->bseq++;
  pthread_mutex_lock(&c->mu);
  c->verdict_ready = false;
  pthread_mutex_unlock(&c->mu);
  if (c->rank != 0 && grt__comm_recv(c->comm, GRT_CHAN_CONTROL, 0, VERDICT_TAG(c->bseq),
                                     &c->verdict, sizeof c->verdict, verdict_arrived, c) < 0)
    return GRT_ECOMM;
  flush(c, count, true, final, failed, failtext);
  pthread_mutex_lock(&c->mu);
  grt__comm_blocked(c->comm, 1);
  while (!c->verdict_ready) pthread_cond_wait(&c->cv, &c->mu);
  grt__comm_blocked(c->comm, -1);
  verdict_t v = c->verdict;
  pthread_mutex_unlock(&c->mu);
  if (v.status) {
    c->diverged = true;
    snprintf(c->why, sizeof c->why, "%s", v.text);
    grt__comm_doom(c->comm, GRT_EDIVERGED, c->why);
    return grt__error(GRT_EDIVERGED, "%s", v.text);
  }
  c->any_pressure = v.pressure != 0;
  if (any_failed) *any_failed = v.failed != 0;
  if (v.failed) grt__error(GRT_ETASK, "%s", v.text);
  return 0;
}

void grt__divergence_set_pressure(grt_divergence_t *c, bool short_of_memory) {
  c->pressure = short_of_memory;
}

bool grt__divergence_any_pressure(const grt_divergence_t *c) { return c->any_pressure; }

void grt__divergence_free(grt_divergence_t *c) {
  if (!c) return;
  if (c->q) {
    for (int r = 0; r < c->nranks; r++) free(c->q[r].v);
    free(c->q);
  }
  free(c->ctx);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->cv);
  free(c);
}
