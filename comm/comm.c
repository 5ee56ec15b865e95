/* comm.c - the communication layer's three backends (MPI, loopback, simulated)
 * behind one table, chosen in grt__comm_init and nowhere else. */
#include "comm.h"

#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "error.h"

typedef struct backend {
  const char *name;
  int (*send)(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf, size_t bytes,
              grt_comm_done_fn done, void *arg);
  int (*recv)(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
              grt_comm_done_fn done, void *arg);
  void (*fini)(grt_comm_t *c);
} backend_t;

/* One queued or posted point-to-point request. */
typedef struct req {
  struct req *next;
  bool is_send;
  grt_chan_t ch;
  int peer;
  int tag;
  uint64_t tag64;
  void *buf;
  size_t bytes;
  grt_comm_done_fn done;
  void *arg;
} req_t;

struct grt_comm {
  const backend_t *be;
  int rank, nranks;
  _Atomic uint64_t sends, recvs, send_bytes, recv_bytes;
  /* mpi */
  bool we_initialized;
  MPI_Comm comms[GRT_CHAN_COUNT];
  int tag_ub;
  pthread_t thread;
  bool thread_started;
  uv_loop_t loop;
  uv_async_t wake;
  pthread_mutex_t mu;       /* guards queue and stop */
  req_t *queue, *queue_tail;
  bool stop;
  int nactive, capactive;
  req_t **active;
  MPI_Request *mreqs;
  int *indices;
  MPI_Status *statuses;
  /* loopback: unmatched sends and receives to self */
  req_t *self_sends, *self_recvs;
};

/* Counts data-channel messages (the transfers between ranks). */
static void count(grt_comm_t *c, grt_chan_t ch, bool send, size_t bytes) {
  if (ch != GRT_CHAN_DATA) {
  } else if (send) {
    atomic_fetch_add_explicit(&c->sends, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->send_bytes, bytes, memory_order_relaxed);
  } else {
    atomic_fetch_add_explicit(&c->recvs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->recv_bytes, bytes, memory_order_relaxed);
  }
}

/* ------------------------------------------------------------------------
 * Simulated ranks: count, never send; receives complete at once (their
 * buffers keep whatever they held).
 * ---------------------------------------------------------------------- */
static int sim_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                    size_t bytes, grt_comm_done_fn done, void *arg) {
  (void)dst, (void)tag, (void)buf;
  count(c, ch, true, bytes);
  if (done) done(arg, bytes);
  return 0;
}

static int sim_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                    grt_comm_done_fn done, void *arg) {
  (void)src, (void)tag, (void)buf;
  count(c, ch, false, bytes);
  if (done) done(arg, bytes);
  return 0;
}

static void nothing_fini(grt_comm_t *c) { (void)c; }

static const backend_t sim_backend = {"sim", sim_send, sim_recv, nothing_fini};

/* ------------------------------------------------------------------------
 * Loopback: one rank; a message to self is matched in process.
 * ---------------------------------------------------------------------- */
static req_t *take_match(req_t **list, grt_chan_t ch, uint64_t tag) {
  for (req_t **p = list; *p; p = &(*p)->next)
    if ((*p)->ch == ch && (*p)->tag64 == tag) {
      req_t *r = *p;
      *p = r->next;
      return r;
    }
  return NULL;
}

static void deliver(grt_comm_t *c, req_t *s, req_t *r) {
  size_t n = s->bytes < r->bytes ? s->bytes : r->bytes;
  if (n) memcpy(r->buf, s->buf, n);
  count(c, s->ch, true, s->bytes);
  count(c, r->ch, false, n);
  if (s->done) s->done(s->arg, s->bytes);
  if (r->done) r->done(r->arg, n);
  free(s);
  free(r);
}

static int loop_xfer(grt_comm_t *c, bool is_send, grt_chan_t ch, int peer, uint64_t tag, void *buf,
                     size_t bytes, grt_comm_done_fn done, void *arg) {
  if (peer != 0) return grt__error(GRT_ECOMM, "comm: rank %d does not exist in a 1-rank job", peer);
  req_t *q = calloc(1, sizeof *q);
  if (!q) return grt__error(GRT_ENOMEM, "comm: out of host memory");
  *q = (req_t){.is_send = is_send, .ch = ch, .tag64 = tag, .buf = buf, .bytes = bytes,
               .done = done, .arg = arg};
  pthread_mutex_lock(&c->mu);
  req_t *m = take_match(is_send ? &c->self_recvs : &c->self_sends, ch, tag);
  if (!m) {
    req_t **list = is_send ? &c->self_sends : &c->self_recvs;
    q->next = *list;
    *list = q;
  }
  pthread_mutex_unlock(&c->mu);
  if (m) deliver(c, is_send ? q : m, is_send ? m : q);
  return 0;
}

static int loop_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                     size_t bytes, grt_comm_done_fn done, void *arg) {
  return loop_xfer(c, true, ch, dst, tag, (void *)buf, bytes, done, arg);
}

static int loop_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                     grt_comm_done_fn done, void *arg) {
  return loop_xfer(c, false, ch, src, tag, buf, bytes, done, arg);
}

static void loop_fini(grt_comm_t *c) {
  for (req_t *r = c->self_sends, *n; r; r = n) {
    n = r->next;
    free(r);
  }
  for (req_t *r = c->self_recvs, *n; r; r = n) {
    n = r->next;
    free(r);
  }
}

static const backend_t loopback_backend = {"loopback", loop_send, loop_recv, loop_fini};

/* ------------------------------------------------------------------------
 * MPI: one progress thread on a libuv loop makes every MPI call.
 * ---------------------------------------------------------------------- */
static int post(grt_comm_t *c, req_t *r) {
  if (c->nactive == c->capactive) {
    int cap = c->capactive ? c->capactive * 2 : 64;
    req_t **a = realloc(c->active, sizeof *a * (size_t)cap);
    if (a) c->active = a;
    MPI_Request *m = realloc(c->mreqs, sizeof *m * (size_t)cap);
    if (m) c->mreqs = m;
    int *ix = realloc(c->indices, sizeof *ix * (size_t)cap);
    if (ix) c->indices = ix;
    MPI_Status *st = realloc(c->statuses, sizeof *st * (size_t)cap);
    if (st) c->statuses = st;
    if (!a || !m || !ix || !st) grt__comm_abort(c, GRT_ENOMEM, "grt: out of host memory in comm");
    c->capactive = cap;
  }
  int rc;
  if (r->is_send)
    rc = MPI_Isend(r->buf, (int)r->bytes, MPI_BYTE, r->peer, r->tag, c->comms[r->ch],
                   &c->mreqs[c->nactive]);
  else
    rc = MPI_Irecv(r->buf, (int)r->bytes, MPI_BYTE, r->peer, r->tag, c->comms[r->ch],
                   &c->mreqs[c->nactive]);
  if (rc != MPI_SUCCESS) {
    char msg[160];
    snprintf(msg, sizeof msg, "grt: MPI_%s to/from rank %d failed (code %d)",
             r->is_send ? "Isend" : "Irecv", r->peer, rc);
    grt__comm_abort(c, GRT_ECOMM, msg);
  }
  c->active[c->nactive++] = r;
  return 0;
}

/* Completes finished requests; returns how many. */
static int poll_mpi(grt_comm_t *c) {
  if (!c->nactive) return 0;
  int outcount = 0;
  MPI_Testsome(c->nactive, c->mreqs, &outcount, c->indices, c->statuses);
  if (outcount <= 0 || outcount == MPI_UNDEFINED) return 0;
  for (int i = 0; i < outcount; i++) {
    int k = c->indices[i];
    req_t *r = c->active[k];
    size_t bytes = r->bytes;
    if (!r->is_send) {
      int n = 0;
      MPI_Get_count(&c->statuses[i], MPI_BYTE, &n);
      bytes = (size_t)n;
    }
    count(c, r->ch, r->is_send, bytes);
    if (r->done) r->done(r->arg, bytes);
    free(r);
    c->active[k] = NULL;
  }
  int j = 0;
  for (int k = 0; k < c->nactive; k++)
    if (c->active[k]) {
      c->active[j] = c->active[k];
      c->mreqs[j] = c->mreqs[k];
      j++;
    }
  c->nactive = j;
  return outcount;
}

static void on_wake(uv_async_t *h) { (void)h; }

static void *progress_main(void *arg) {
  grt_comm_t *c = arg;
  int idle = 0;
  for (;;) {
    pthread_mutex_lock(&c->mu);
    req_t *q = c->queue;
    c->queue = c->queue_tail = NULL;
    bool stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    int progressed = 0;
    for (req_t *r = q, *next; r; r = next) {
      next = r->next;
      post(c, r);
      progressed++;
    }
    progressed += poll_mpi(c);
    if (stop && !q && c->nactive == 0) break;
    if (progressed) {
      idle = 0;
      continue;
    }
    if (c->nactive == 0) {
      uv_run(&c->loop, UV_RUN_ONCE); /* sleep until a request or stop wakes us */
      continue;
    }
    /* Requests in flight and nothing moved: back off gently (yield, then
     * short sleeps) so the progress thread does not take a worker's core,
     * without adding more than ~10 us to a message's latency while busy. */
    uv_run(&c->loop, UV_RUN_NOWAIT);
    if (++idle < 2000) {
      sched_yield();
    } else {
      /* ~0.2 s of 10 us naps after the last progress, then 100 us naps */
      struct timespec ts = {0, idle > 22000 ? 100000 : 10000};
      nanosleep(&ts, NULL);
    }
  }
  return NULL;
}

static int mpi_xfer(grt_comm_t *c, bool is_send, grt_chan_t ch, int peer, uint64_t tag, void *buf,
                    size_t bytes, grt_comm_done_fn done, void *arg) {
  if (peer < 0 || peer >= c->nranks)
    return grt__error(GRT_ECOMM, "comm: rank %d does not exist (job has %d)", peer, c->nranks);
  if (bytes > (size_t)INT32_MAX)
    return grt__error(GRT_ECOMM, "comm: message of %zu bytes exceeds 2 GiB", bytes);
  req_t *r = calloc(1, sizeof *r);
  if (!r) return grt__error(GRT_ENOMEM, "comm: out of host memory");
  *r = (req_t){.is_send = is_send, .ch = ch, .peer = peer,
               .tag = (int)(tag % (uint64_t)c->tag_ub), .tag64 = tag, .buf = buf, .bytes = bytes,
               .done = done, .arg = arg};
  pthread_mutex_lock(&c->mu);
  if (c->queue_tail)
    c->queue_tail->next = r;
  else
    c->queue = r;
  c->queue_tail = r;
  pthread_mutex_unlock(&c->mu);
  uv_async_send(&c->wake);
  return 0;
}

static int mpi_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                    size_t bytes, grt_comm_done_fn done, void *arg) {
  return mpi_xfer(c, true, ch, dst, tag, (void *)buf, bytes, done, arg);
}

static int mpi_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                    grt_comm_done_fn done, void *arg) {
  return mpi_xfer(c, false, ch, src, tag, buf, bytes, done, arg);
}

static void mpi_fini(grt_comm_t *c) {
  if (c->thread_started) {
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_mutex_unlock(&c->mu);
    uv_async_send(&c->wake);
    pthread_join(c->thread, NULL);
    uv_close((uv_handle_t *)&c->wake, NULL);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_loop_close(&c->loop);
  }
  for (int i = 0; i < GRT_CHAN_COUNT; i++)
    if (c->comms[i] != MPI_COMM_NULL) MPI_Comm_free(&c->comms[i]);
  free(c->active);
  free(c->mreqs);
  free(c->indices);
  free(c->statuses);
}

static const backend_t mpi_backend = {"mpi", mpi_send, mpi_recv, mpi_fini};

static bool under_mpirun(void) {
  int inited = 0;
  MPI_Initialized(&inited);
  return inited || getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* MPI can be initialized once per process, while a program may run several
 * grt runtimes one after another (tests do): grt initializes MPI with the
 * first runtime and finalizes it when the process exits. */
static void finalize_at_exit(void) {
  int fin = 0;
  MPI_Finalized(&fin);
  if (!fin) MPI_Finalize();
}

static int mpi_start(grt_comm_t *c, int *argc, char ***argv) {
  int inited = 0;
  MPI_Initialized(&inited);
  int fin = 0;
  MPI_Finalized(&fin);
  if (fin) return grt__error(GRT_ECOMM, "grt_init: MPI was already finalized in this process");
  if (!inited) {
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
      return grt__error(GRT_ECOMM, "grt_init: MPI_Init_thread failed");
    if (provided < MPI_THREAD_SERIALIZED) {
      MPI_Finalize();
      return grt__error(GRT_ECOMM, "grt_init: MPI provides thread level %d, grt needs SERIALIZED",
                        provided);
    }
    c->we_initialized = true;
    atexit(finalize_at_exit);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c->nranks);
  for (int i = 0; i < GRT_CHAN_COUNT; i++) MPI_Comm_dup(MPI_COMM_WORLD, &c->comms[i]);
  int *ub = NULL, flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag);
  c->tag_ub = flag && ub && *ub > 0 ? *ub : 32767;
  if (uv_loop_init(&c->loop) != 0 || uv_async_init(&c->loop, &c->wake, on_wake) != 0)
    return grt__error(GRT_ECOMM, "grt_init: libuv loop setup failed");
  if (pthread_create(&c->thread, NULL, progress_main, c) != 0)
    return grt__error(GRT_ECOMM, "grt_init: cannot start the progress thread");
  c->thread_started = true;
  return 0;
}

/* ------------------------------------------------------------------------ */

int grt__comm_init(int *argc, char ***argv, int sim_ranks, int sim_rank, grt_comm_t **out,
                   int *rank, int *nranks) {
  *out = NULL;
  grt_comm_t *c = calloc(1, sizeof *c);
  if (!c) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  pthread_mutex_init(&c->mu, NULL);
  for (int i = 0; i < GRT_CHAN_COUNT; i++) c->comms[i] = MPI_COMM_NULL;
  int rc = 0;
  if (sim_ranks > 0) {
    c->be = &sim_backend;
    c->rank = sim_rank;
    c->nranks = sim_ranks;
  } else if (under_mpirun()) {
    c->be = &mpi_backend;
    rc = mpi_start(c, argc, argv);
  } else {
    c->be = &loopback_backend;
    c->rank = 0;
    c->nranks = 1;
  }
  if (rc < 0) {
    c->be->fini(c);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return rc;
  }
  *rank = c->rank;
  *nranks = c->nranks;
  *out = c;
  return 0;
}

void grt__comm_fini(grt_comm_t *c) {
  if (!c) return;
  c->be->fini(c);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

int grt__comm_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                   size_t bytes, grt_comm_done_fn done, void *arg) {
  return c->be->send(c, ch, dst, tag, buf, bytes, done, arg);
}

int grt__comm_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                   grt_comm_done_fn done, void *arg) {
  return c->be->recv(c, ch, src, tag, buf, bytes, done, arg);
}

int grt__comm_simulated(const grt_comm_t *c) { return c && c->be == &sim_backend; }

void grt__comm_stats(const grt_comm_t *c, grt_comm_stats_t *out) {
  out->sends = atomic_load(&c->sends);
  out->recvs = atomic_load(&c->recvs);
  out->send_bytes = atomic_load(&c->send_bytes);
  out->recv_bytes = atomic_load(&c->recv_bytes);
}

_Noreturn void grt__comm_abort(grt_comm_t *c, int code, const char *msg) {
  static atomic_flag once = ATOMIC_FLAG_INIT;
  if (!atomic_flag_test_and_set(&once)) {
    fprintf(stderr, "grt: rank %d: fatal: %s\n", c ? c->rank : 0, msg ? msg : "");
    fflush(stderr);
  }
  if (c && c->be == &mpi_backend) MPI_Abort(MPI_COMM_WORLD, code < 0 ? -code : (code ? code : 1));
  _exit(code < 0 ? -code : (code ? code : 1));
}
