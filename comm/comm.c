/* comm.c - the communication layer's three backends (MPI, loopback, simulated)
 * behind one table, chosen in grt__comm_init and nowhere else, and the MPI
 * backend's exit path (a process that leaves while its runtime is live). */
#include "comm.h"

#include <mpi.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include "grt_error.h"

/* Requests MPI_Testsome is given per window (see poll_mpi). */
#define POLL_WINDOW 32

/* The exit path (see "Leaving" below). A peer that left is noticed by the
 * progress thread, which tests for a leave notice at most every
 * LEAVE_TEST_NS while requests are in flight; a rank that is still blocked
 * in a grt wait LEFT_GRACE_NS after it noticed (or after the wait began,
 * whichever is later) aborts the job. The grace covers a wait whose answer
 * already came (the leaver's last fence) but whose thread has not yet run. */
#define LEAVE_TEST_NS 5000000ull      /* 5 ms */
#define LEFT_GRACE_NS 2000000000ull   /* 2 s */
#define LEAVE_DRAIN_NS 2000000000ull  /* a leaver's sends get 2 s to go */
#define LEAVE_NOTIFY_NS 1000000000ull /* and its notices 1 s */
#define DOOM_GRACE_NS 4000000000ull   /* see grt__comm_doom */
#define LEAVE_TAG 1

typedef struct backend {
  const char *name;
  int (*send)(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf, size_t bytes,
              grt_comm_done_fn done, void *arg);
  int (*recv)(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
              grt_comm_done_fn done, void *arg);
  /* A batch (NULL: one send or recv per message). */
  int (*postv)(grt_comm_t *c, bool is_send, grt_chan_t ch, uint64_t tag, unsigned char *base,
               const grt_comm_msg_t *msgs, int n, grt_comm_done_fn done, void *arg);
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
  /* mpi_mu is held for every MPI call after MPI_Init_thread, for the active
   * arrays below and for the completion callbacks, so MPI calls and
   * callbacks are serialized whichever thread makes them (the progress
   * thread, or an idle worker in grt__comm_poll, or a thread posting in
   * grt__comm_send/recv). */
  pthread_mutex_t mpi_mu;
  /* Posted requests: active[head, end), in posting order, with holes
   * (NULL, MPI_REQUEST_NULL) where requests completed; nholes counts them;
   * rot is where the next poll's rotating window starts. */
  int head, end, nholes, rot, capactive;
  req_t **active;
  MPI_Request *mreqs;
  int indices[POLL_WINDOW * 2];
  MPI_Status statuses[POLL_WINDOW * 2];
  _Atomic int inflight;           /* queued + posted requests not yet completed */
  atomic_bool parked;             /* the progress thread sleeps until woken */
  _Atomic uint64_t last_poll_ns;  /* when a worker last polled (grt__comm_poll) */
  _Atomic int sleeping;           /* workers asleep on their ready queue */
  /* loopback: unmatched sends and receives to self */
  req_t *self_sends, *self_recvs;
  /* The exit path (mpi). leave_comm carries leave notices ({rank, exit
   * status}); leave_req is a receive for one from any rank, posted while the
   * comm is live and tested by the progress thread (it is not counted in
   * inflight, so an idle progress thread still parks). closed (under
   * mpi_mu) is set once by the exit handler: from then on no thread makes an
   * MPI call on this comm. left_rank is the first peer that left (-1: none),
   * noticed at left_ns; blocked counts application threads in a grt wait
   * (grt__comm_blocked), the latest of which began at block_ns; leaving is
   * set when this process's exit handler takes the comm. doom_code (0: none)
   * is how the job must end if this process leaves (grt__comm_doom). */
  MPI_Comm leave_comm;
  MPI_Request leave_req;
  int leave_in[2];
  bool leave_posted;
  bool closed;
  bool force_stop;               /* under mu: the progress thread stops now */
  uint64_t leave_tested_ns;      /* progress thread only */
  _Atomic int left_rank, left_status;
  _Atomic uint64_t left_ns;
  _Atomic int blocked;
  _Atomic uint64_t block_ns;
  atomic_bool leaving;
  _Atomic int sends_inflight;    /* sends queued or posted, not completed */
  _Atomic int doom_code;
  _Atomic uint64_t doom_ns;
  char doom_msg[400];
};

/* Whether this thread holds some comm's mpi_mu (so grt__comm_abort does not
 * take it again). */
static _Thread_local bool holds_mpi;

static void mpi_lock(grt_comm_t *c) {
  pthread_mutex_lock(&c->mpi_mu);
  holds_mpi = true;
}

static bool mpi_trylock(grt_comm_t *c) {
  if (pthread_mutex_trylock(&c->mpi_mu) != 0) return false;
  holds_mpi = true;
  return true;
}

static void mpi_unlock(grt_comm_t *c) {
  holds_mpi = false;
  pthread_mutex_unlock(&c->mpi_mu);
}

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

static const backend_t sim_backend = {"sim", sim_send, sim_recv, NULL, nothing_fini};

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

static const backend_t loopback_backend = {"loopback", loop_send, loop_recv, NULL, loop_fini};

/* ------------------------------------------------------------------------
 * MPI: one progress thread on a libuv loop makes every MPI call.
 * ---------------------------------------------------------------------- */
/* Moves the live requests of active[head, end) to the front, in order. */
static void compact(grt_comm_t *c) {
  int j = 0;
  for (int k = c->head; k < c->end; k++)
    if (c->active[k]) {
      c->active[j] = c->active[k];
      c->mreqs[j] = c->mreqs[k];
      j++;
    }
  c->head = 0;
  c->end = j;
  c->nholes = 0;
}

static int post(grt_comm_t *c, req_t *r) {
  if (c->end == c->capactive && c->head + c->nholes > c->end / 4) compact(c);
  if (c->end == c->capactive) {
    int cap = c->capactive ? c->capactive * 2 : 64;
    req_t **a = realloc(c->active, sizeof *a * (size_t)cap);
    if (a) c->active = a;
    MPI_Request *m = realloc(c->mreqs, sizeof *m * (size_t)cap);
    if (m) c->mreqs = m;
    if (!a || !m) grt__comm_abort(c, GRT_ENOMEM, "grt: out of host memory in comm");
    c->capactive = cap;
  }
  int rc;
  if (r->is_send)
    rc = MPI_Isend(r->buf, (int)r->bytes, MPI_BYTE, r->peer, r->tag, c->comms[r->ch],
                   &c->mreqs[c->end]);
  else
    rc = MPI_Irecv(r->buf, (int)r->bytes, MPI_BYTE, r->peer, r->tag, c->comms[r->ch],
                   &c->mreqs[c->end]);
  if (rc != MPI_SUCCESS) {
    char msg[160];
    snprintf(msg, sizeof msg, "grt: MPI_%s to/from rank %d failed (code %d)",
             r->is_send ? "Isend" : "Irecv", r->peer, rc);
    grt__comm_abort(c, GRT_ECOMM, msg);
  }
  c->active[c->end++] = r;
  return 0;
}

/* Tests active[base, base + n) and completes what finished (its slot
 * becomes a hole: MPI sets the request to MPI_REQUEST_NULL, which
 * MPI_Testsome skips). Returns how many completed. */
static int test_range(grt_comm_t *c, int base, int n) {
  int outcount = 0;
  MPI_Testsome(n, c->mreqs + base, &outcount, c->indices, c->statuses);
  if (outcount <= 0 || outcount == MPI_UNDEFINED) return 0;
  for (int i = 0; i < outcount; i++) {
    int k = base + c->indices[i];
    req_t *r = c->active[k];
    size_t bytes = r->bytes;
    if (!r->is_send) {
      int got = 0;
      MPI_Get_count(&c->statuses[i], MPI_BYTE, &got);
      bytes = (size_t)got;
    }
    count(c, r->ch, r->is_send, bytes);
    c->active[k] = NULL;
    c->nholes++;
    /* A callback that queues a request only queues it (in_progress): the
     * arrays do not move under this loop. */
    if (r->done) r->done(r->arg, bytes);
    if (r->is_send) atomic_fetch_sub(&c->sends_inflight, 1);
    free(r);
    atomic_fetch_sub(&c->inflight, 1);
  }
  return outcount;
}

/* Completes finished requests; returns how many. The application thread
 * submits far ahead, so thousands of receives may be posted at once, and
 * MPI_Testsome costs a look at every request it is given. Each poll
 * therefore tests the POLL_WINDOW oldest requests (where nearly every
 * completion is: requests are posted in program order) and a window that
 * rotates over the rest, so every request is tested within
 * (active / POLL_WINDOW) polls and a poll costs O(POLL_WINDOW). */
static int poll_mpi(grt_comm_t *c) {
  int live = c->end - c->head;
  if (live <= 0) return 0;
  int done;
  if (live <= 2 * POLL_WINDOW) {
    done = test_range(c, c->head, live);
  } else {
    done = test_range(c, c->head, POLL_WINDOW);
    int lo = c->head + POLL_WINDOW;
    if (c->rot < lo || c->rot >= c->end) c->rot = lo;
    int n = c->end - c->rot < POLL_WINDOW ? c->end - c->rot : POLL_WINDOW;
    done += test_range(c, c->rot, n);
    c->rot += n;
  }
  if (!done) return 0;
  while (c->head < c->end && !c->active[c->head]) {
    c->head++;
    c->nholes--;
  }
  if (c->head == c->end) {
    c->head = c->end = c->nholes = 0;
  } else if (c->nholes > 64 && c->nholes > (c->end - c->head) / 2) {
    compact(c);
  }
  return done;
}

static void on_wake(uv_async_t *h) { (void)h; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Posts the queued requests. Needs mpi_mu. Returns how many. */
static int post_queued(grt_comm_t *c) {
  pthread_mutex_lock(&c->mu);
  req_t *q = c->queue;
  c->queue = c->queue_tail = NULL;
  pthread_mutex_unlock(&c->mu);
  int n = 0;
  for (req_t *r = q, *next; r; r = next) {
    next = r->next;
    post(c, r);
    n++;
  }
  return n;
}

/* Posts the queued requests and completes the finished ones (running their
 * callbacks, which may queue more: those are posted too). Needs mpi_mu.
 * Returns how many requests were posted or completed. */
static int make_progress(grt_comm_t *c) {
  int progressed = 0;
  for (;;) {
    progressed += post_queued(c);
    int done = poll_mpi(c);
    progressed += done;
    if (!done) return progressed;
  }
}

/* The comm whose mpi_mu this thread holds while it makes progress (its
 * callbacks may queue requests: make_progress posts them). */
static _Thread_local grt_comm_t *in_progress;

static int locked_progress(grt_comm_t *c) {
  in_progress = c;
  int n = make_progress(c);
  in_progress = NULL;
  return n;
}

/* Waits until uv_async_send wakes the loop or @p ns nanoseconds pass (ns < 0:
 * no limit). libuv's own timers count milliseconds, too coarse for message
 * latency, so the wait polls the loop's backend fd with a nanosecond
 * timeout, then lets libuv consume the wake-up. */
static void wait_for_wake(grt_comm_t *c, long ns) {
  if (ns < 0) {
    uv_run(&c->loop, UV_RUN_ONCE);
    return;
  }
  struct pollfd pfd = {.fd = uv_backend_fd(&c->loop), .events = POLLIN};
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  if (ppoll(&pfd, 1, &ts, NULL) > 0) uv_run(&c->loop, UV_RUN_NOWAIT);
}

/* ---- Leaving ----
 * A process that exits (return from main, exit() on any thread) while one
 * of its runtimes is live runs leave() from its exit handler: it lets its
 * queued and posted sends go (bounded), stops the progress thread, closes
 * the comm to every other thread, cancels its receives, sends every other
 * rank a leave notice {rank, exit status} on leave_comm, and finalizes MPI.
 * A rank that notices a leave notice while one of its application threads
 * is blocked in a grt wait (which can then never be answered: every
 * blocking call is checked by all ranks) aborts the job, naming the rank
 * that left; a rank that is not waiting goes on, and ends normally if it
 * leaves too. */

/* Progress thread, under mpi_mu: takes a leave notice if one came (tested
 * at most every LEAVE_TEST_NS), and aborts the job if this rank has been
 * blocked for LEFT_GRACE_NS since it noticed a peer leave. */
static void watch_leavers(grt_comm_t *c) {
  uint64_t t = now_ns();
  if (c->leave_posted && t - c->leave_tested_ns >= LEAVE_TEST_NS) {
    c->leave_tested_ns = t;
    int flag = 0;
    MPI_Status st;
    MPI_Test(&c->leave_req, &flag, &st);
    if (flag) {
      c->leave_posted = false; /* one notice is enough to know */
      atomic_store(&c->left_status, c->leave_in[1]);
      atomic_store(&c->left_ns, t);
      atomic_store(&c->left_rank, st.MPI_SOURCE);
    }
  }
  int r = atomic_load(&c->left_rank);
  if (r < 0 || atomic_load(&c->leaving) || atomic_load(&c->blocked) <= 0) return;
  uint64_t since = atomic_load(&c->left_ns), b = atomic_load(&c->block_ns);
  if (b > since) since = b;
  if (t - since < LEFT_GRACE_NS) return;
  char msg[200];
  snprintf(msg, sizeof msg,
           "rank %d left without grt_finalize (exit status %d) while this rank waits for it",
           r, atomic_load(&c->left_status));
  grt__comm_abort(c, GRT_ECOMM, msg);
}

/* The progress thread. It polls while requests are in flight, but sleeps
 * between polls rather than spinning: on a machine with a core per rank it
 * shares that core with the workers, and every wake-up preempts one. Idle
 * workers poll MPI themselves (grt__comm_poll, from the ready queue's
 * spin), which is what keeps a message's latency low; this thread is the
 * backstop that makes progress while a worker is asleep (a nap of
 * PROGRESS_NAP_NS), or while every worker is busy or polling
 * (PROGRESS_BACKUP_NS: a busy worker polls when its task ends, as an MPI
 * rank progresses when it stops computing). Napping 50 us under busy
 * workers took ~20% of each core from a 2-rank Jacobi sweep (4096^2 grid:
 * 20 ms per iteration against the MPI peer's 12). It sleeps until woken
 * when nothing is in flight. */
#define PROGRESS_NAP_NS 50000L      /* a worker is asleep: 50 us */
#define PROGRESS_BACKUP_NS 1000000L /* every worker busy or polling: 1 ms */
#define PROGRESS_SLOW_NS 200000L    /* ~0.5 s without progress: 200 us */
static void *progress_main(void *arg) {
  grt_comm_t *c = arg;
#ifdef PR_SET_TIMERSLACK
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* 1 us: naps of 50 us, not 100 */
#endif
  uv_run(&c->loop, UV_RUN_NOWAIT); /* registers the async handle's fd */
  int idle = 0;
  for (;;) {
    mpi_lock(c);
    if (c->closed) { /* the exit handler took the comm */
      mpi_unlock(c);
      break;
    }
    int progressed = locked_progress(c);
    watch_leavers(c);
    mpi_unlock(c);
    pthread_mutex_lock(&c->mu);
    bool stop = c->stop, force = c->force_stop;
    pthread_mutex_unlock(&c->mu);
    if (force || (stop && atomic_load(&c->inflight) == 0)) break;
    if (progressed) {
      idle = 0;
      continue;
    }
    if (atomic_load(&c->inflight) == 0) {
      /* Nothing in flight: sleep until a request or stop wakes us. parked
       * and inflight are the two sides of a Dekker handshake with
       * mpi_xfer: either we see its request or it sees us parked and
       * wakes us. Once a peer has left, the sleep is bounded, so that a
       * wait of this rank's that will never end is seen. */
      atomic_store(&c->parked, true);
      if (atomic_load(&c->inflight) == 0)
        wait_for_wake(c, atomic_load(&c->left_rank) >= 0 ? 100000000L : -1);
      atomic_store(&c->parked, false);
      continue;
    }
    long nap = ++idle > 10000 ? PROGRESS_SLOW_NS : PROGRESS_NAP_NS;
    if (atomic_load_explicit(&c->sleeping, memory_order_relaxed) == 0 ||
        now_ns() - atomic_load_explicit(&c->last_poll_ns, memory_order_relaxed) < 200000u)
      nap = PROGRESS_BACKUP_NS;
    wait_for_wake(c, nap);
  }
  return NULL;
}

/* Queues a batch of requests of one direction, channel and tag: one queue
 * lock, then one attempt to post (or one wake of the progress thread). */
static int mpi_postv(grt_comm_t *c, bool is_send, grt_chan_t ch, uint64_t tag, unsigned char *base,
                     const grt_comm_msg_t *msgs, int n, grt_comm_done_fn done, void *arg) {
  if (n <= 0) return 0;
  for (int i = 0; i < n; i++) {
    if (msgs[i].peer < 0 || msgs[i].peer >= c->nranks)
      return grt__error(GRT_ECOMM, "comm: rank %d does not exist (job has %d)", msgs[i].peer,
                        c->nranks);
    if (msgs[i].bytes > (size_t)INT32_MAX)
      return grt__error(GRT_ECOMM, "comm: message of %zu bytes exceeds 2 GiB", msgs[i].bytes);
  }
  req_t *head = NULL, *tail = NULL;
  for (int i = 0; i < n; i++) {
    req_t *r = calloc(1, sizeof *r);
    if (!r) {
      while (head) {
        req_t *nx = head->next;
        free(head);
        head = nx;
      }
      return grt__error(GRT_ENOMEM, "comm: out of host memory");
    }
    *r = (req_t){.is_send = is_send, .ch = ch, .peer = msgs[i].peer,
                 .tag = (int)(tag % (uint64_t)c->tag_ub), .tag64 = tag,
                 .buf = base + msgs[i].off, .bytes = msgs[i].bytes, .done = done, .arg = arg};
    if (tail)
      tail->next = r;
    else
      head = r;
    tail = r;
  }
  atomic_fetch_add(&c->inflight, n);
  if (is_send) atomic_fetch_add(&c->sends_inflight, n);
  pthread_mutex_lock(&c->mu);
  if (c->queue_tail)
    c->queue_tail->next = head;
  else
    c->queue = head;
  c->queue_tail = tail;
  pthread_mutex_unlock(&c->mu);
  /* Post it now if MPI is free (a send leaves at once, without waking the
   * progress thread); otherwise whoever holds mpi_mu may already have
   * drained the queue, so wake the progress thread to post it. Only post:
   * completing requests here would run callbacks on a thread that may hold
   * locks they take (the divergence check sends under its own lock).
   * Queued from a completion callback (mpi_mu held by this thread), the
   * request is posted by make_progress before it returns. */
  if (in_progress == c) return 0;
  if (mpi_trylock(c)) {
    if (!c->closed) post_queued(c); /* closed: this process is leaving */
    mpi_unlock(c);
    if (atomic_load(&c->parked)) uv_async_send(&c->wake); /* in flight now: poll */
  } else {
    uv_async_send(&c->wake);
  }
  return 0;
}

static int mpi_xfer(grt_comm_t *c, bool is_send, grt_chan_t ch, int peer, uint64_t tag, void *buf,
                    size_t bytes, grt_comm_done_fn done, void *arg) {
  grt_comm_msg_t m = {.peer = peer, .off = 0, .bytes = bytes};
  return mpi_postv(c, is_send, ch, tag, buf, &m, 1, done, arg);
}

static int mpi_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                    size_t bytes, grt_comm_done_fn done, void *arg) {
  return mpi_xfer(c, true, ch, dst, tag, (void *)buf, bytes, done, arg);
}

static int mpi_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                    grt_comm_done_fn done, void *arg) {
  return mpi_xfer(c, false, ch, src, tag, buf, bytes, done, arg);
}

static void registry_remove(grt_comm_t *c);
static atomic_bool mpi_done; /* the exit handler finalized (or is finalizing) MPI */

static void mpi_fini(grt_comm_t *c) {
  registry_remove(c); /* from here on the exit handler leaves it alone */
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
  if (c->closed || atomic_load(&mpi_done)) { /* exit() on another thread took it */
    free(c->active);
    free(c->mreqs);
    return;
  }
  if (c->leave_posted) { /* a receive for a notice that did not come */
    MPI_Cancel(&c->leave_req);
    MPI_Wait(&c->leave_req, MPI_STATUS_IGNORE);
    c->leave_posted = false;
  }
  for (int i = 0; i < GRT_CHAN_COUNT; i++)
    if (c->comms[i] != MPI_COMM_NULL) MPI_Comm_free(&c->comms[i]);
  if (c->leave_comm != MPI_COMM_NULL) MPI_Comm_free(&c->leave_comm);
  free(c->active);
  free(c->mreqs);
}

static const backend_t mpi_backend = {"mpi", mpi_send, mpi_recv, mpi_postv, mpi_fini};

static bool under_mpirun(void) {
  int inited = 0;
  MPI_Initialized(&inited);
  return inited || getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

/* ---- the exit path: live comms and the exit handler ---- */

/* MPI can be initialized once per process, while a program may run several
 * grt runtimes one after another (tests do): grt initializes MPI with the
 * first runtime and finalizes it when the process exits, from an on_exit
 * handler (registered once; it gets the exit status for the leave notice).
 * The handler runs wherever exit() was called: in main's return, in main,
 * or in a task on a worker thread. Comms of live runtimes (MPI backend) are
 * listed here so the handler can leave them first. */
#define MAX_LIVE_COMMS 16
static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static grt_comm_t *registry[MAX_LIVE_COMMS];
static bool handler_registered, grt_initialized_mpi;
static atomic_bool aborting;  /* grt__comm_abort is ending the job */

static void registry_add(grt_comm_t *c) {
  pthread_mutex_lock(&registry_mu);
  for (int i = 0; i < MAX_LIVE_COMMS; i++)
    if (!registry[i]) {
      registry[i] = c;
      break;
    }
  pthread_mutex_unlock(&registry_mu);
}

static void registry_remove(grt_comm_t *c) {
  pthread_mutex_lock(&registry_mu);
  for (int i = 0; i < MAX_LIVE_COMMS; i++)
    if (registry[i] == c) registry[i] = NULL;
  pthread_mutex_unlock(&registry_mu);
}

static void nap_ns(long ns) {
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
}

/* Tests @p rq until it completes or @p deadline (now_ns) passes; then frees
 * it if it has not completed (MPI completes or drops it in the background). */
static void finish_by(MPI_Request *rq, uint64_t deadline) {
  for (;;) {
    int flag = 0;
    MPI_Test(rq, &flag, MPI_STATUS_IGNORE);
    if (flag) return;
    if (now_ns() >= deadline) break;
    nap_ns(100000);
  }
  if (*rq != MPI_REQUEST_NULL) MPI_Request_free(rq);
}

/* Waits out the grace a doomed job gives its ranks to report (rank 0's own
 * abort normally ends the job first), then ends it with the doom's code. */
static _Noreturn void end_doomed(grt_comm_t *c) {
  while (now_ns() < atomic_load(&c->doom_ns)) nap_ns(10000000);
  grt__comm_abort(c, atomic_load(&c->doom_code), c->doom_msg);
}

/* Leaves a live comm from the exit handler (see "Leaving" above), this
 * process exiting with @p status. Every wait is bounded. Returns false if
 * the comm could not be closed (a thread stuck in an MPI call holds
 * mpi_mu): then no MPI call may follow. Does not return if the comm is
 * doomed. */
static bool leave(grt_comm_t *c, int status) {
  atomic_store(&c->leaving, true);
  if (atomic_load(&c->doom_code)) end_doomed(c);
  /* The sends this rank queued go first: a peer may finish without this
   * rank, but not without what it was sent. */
  uint64_t t0 = now_ns();
  while (c->thread_started && atomic_load(&c->sends_inflight) > 0 &&
         now_ns() - t0 < LEAVE_DRAIN_NS)
    nap_ns(1000000);
  if (c->thread_started) {
    pthread_mutex_lock(&c->mu);
    c->stop = c->force_stop = true;
    pthread_mutex_unlock(&c->mu);
    uv_async_send(&c->wake);
    if (!pthread_equal(pthread_self(), c->thread)) pthread_join(c->thread, NULL);
    c->thread_started = false; /* its loop is left to the process's end */
  }
  bool mine = holds_mpi; /* exit() under mpi_mu: only grt code could, and does not */
  if (!mine) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 2;
    if (pthread_mutex_timedlock(&c->mpi_mu, &dl) != 0) {
      c->closed = true; /* racy, but the holder is stuck in MPI anyway */
      return false;
    }
  }
  c->closed = true; /* no other thread makes an MPI call on c from here */
  uint64_t deadline = now_ns() + LEAVE_NOTIFY_NS;
  for (int k = c->head; k < c->end; k++) {
    req_t *r = c->active[k];
    if (!r) continue;
    if (r->is_send) {
      MPI_Request_free(&c->mreqs[k]);
    } else {
      MPI_Cancel(&c->mreqs[k]);
      finish_by(&c->mreqs[k], deadline);
    }
  }
  if (c->leave_posted) {
    MPI_Cancel(&c->leave_req);
    finish_by(&c->leave_req, deadline);
    c->leave_posted = false;
  }
  static int note[2]; /* static: a send request may outlive this call */
  note[0] = c->rank;
  note[1] = status;
  MPI_Request *rq = calloc((size_t)c->nranks, sizeof *rq);
  if (rq) {
    for (int r = 0; r < c->nranks; r++) {
      rq[r] = MPI_REQUEST_NULL;
      if (r != c->rank) MPI_Isend(note, 2, MPI_INT, r, LEAVE_TAG, c->leave_comm, &rq[r]);
    }
    for (int r = 0; r < c->nranks; r++)
      if (rq[r] != MPI_REQUEST_NULL) finish_by(&rq[r], deadline);
    free(rq);
  }
  if (!mine) pthread_mutex_unlock(&c->mpi_mu);
  return true;
}

/* The on_exit handler: leaves every live comm, then finalizes MPI if grt
 * initialized it. Nothing to do after grt__comm_abort (the job is ending). */
static void exit_handler(int status, void *arg) {
  (void)arg;
  if (atomic_load(&aborting)) return;
  pthread_mutex_lock(&registry_mu);
  int fin = 0;
  MPI_Finalized(&fin);
  bool ok = true;
  for (int i = 0; i < MAX_LIVE_COMMS; i++)
    if (registry[i]) {
      if (!fin) ok &= leave(registry[i], status);
      registry[i] = NULL;
    }
  atomic_store(&mpi_done, true);
  if (!fin && ok && grt_initialized_mpi) MPI_Finalize();
  pthread_mutex_unlock(&registry_mu);
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
    grt_initialized_mpi = true;
  }
  if (!handler_registered) {
    handler_registered = true;
    on_exit(exit_handler, NULL);
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &c->nranks);
  for (int i = 0; i < GRT_CHAN_COUNT; i++) MPI_Comm_dup(MPI_COMM_WORLD, &c->comms[i]);
  /* Leave notices: errors return (a notice to a rank that already finalized
   * must not abort the leaver); one receive from any rank. */
  MPI_Comm_dup(MPI_COMM_WORLD, &c->leave_comm);
  MPI_Comm_set_errhandler(c->leave_comm, MPI_ERRORS_RETURN);
  if (MPI_Irecv(c->leave_in, 2, MPI_INT, MPI_ANY_SOURCE, LEAVE_TAG, c->leave_comm,
                &c->leave_req) != MPI_SUCCESS)
    return grt__error(GRT_ECOMM, "grt_init: cannot post the receive for leave notices");
  c->leave_posted = true;
  int *ub = NULL, flag = 0;
  MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag);
  c->tag_ub = flag && ub && *ub > 0 ? *ub : 32767;
  if (uv_loop_init(&c->loop) != 0 || uv_async_init(&c->loop, &c->wake, on_wake) != 0)
    return grt__error(GRT_ECOMM, "grt_init: libuv loop setup failed");
  if (pthread_create(&c->thread, NULL, progress_main, c) != 0)
    return grt__error(GRT_ECOMM, "grt_init: cannot start the progress thread");
  c->thread_started = true;
  registry_add(c);
  return 0;
}

/* ------------------------------------------------------------------------ */

int grt__comm_init(int *argc, char ***argv, int sim_ranks, int sim_rank, grt_comm_t **out,
                   int *rank, int *nranks) {
  *out = NULL;
  grt_comm_t *c = calloc(1, sizeof *c);
  if (!c) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  pthread_mutex_init(&c->mu, NULL);
  pthread_mutex_init(&c->mpi_mu, NULL);
  for (int i = 0; i < GRT_CHAN_COUNT; i++) c->comms[i] = MPI_COMM_NULL;
  c->leave_comm = MPI_COMM_NULL;
  c->left_rank = -1;
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
    pthread_mutex_destroy(&c->mpi_mu);
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
  pthread_mutex_destroy(&c->mpi_mu);
  free(c);
}

int grt__comm_inflight(grt_comm_t *c) {
  return c && c->be == &mpi_backend ? atomic_load_explicit(&c->inflight, memory_order_relaxed) : 0;
}

void grt__comm_worker_sleeps(grt_comm_t *c, int delta) {
  if (c) atomic_fetch_add_explicit(&c->sleeping, delta, memory_order_relaxed);
}

int grt__comm_poll(grt_comm_t *c) {
  if (!c || c->be != &mpi_backend || !atomic_load_explicit(&c->inflight, memory_order_relaxed))
    return 0;
  atomic_store_explicit(&c->last_poll_ns, now_ns(), memory_order_relaxed);
  if (!mpi_trylock(c)) return 0;
  int n = c->closed ? 0 : locked_progress(c);
  mpi_unlock(c);
  return n;
}

int grt__comm_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                   size_t bytes, grt_comm_done_fn done, void *arg) {
  return c->be->send(c, ch, dst, tag, buf, bytes, done, arg);
}

int grt__comm_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                   grt_comm_done_fn done, void *arg) {
  return c->be->recv(c, ch, src, tag, buf, bytes, done, arg);
}

int grt__comm_postv(grt_comm_t *c, int is_send, grt_chan_t ch, uint64_t tag, unsigned char *base,
                    const grt_comm_msg_t *msgs, int n, grt_comm_done_fn done, void *arg) {
  if (c->be->postv) return c->be->postv(c, is_send != 0, ch, tag, base, msgs, n, done, arg);
  for (int i = 0; i < n; i++) {
    int rc = is_send ? c->be->send(c, ch, msgs[i].peer, tag, base + msgs[i].off, msgs[i].bytes,
                                   done, arg)
                     : c->be->recv(c, ch, msgs[i].peer, tag, base + msgs[i].off, msgs[i].bytes,
                                   done, arg);
    if (rc < 0) return rc;
  }
  return 0;
}

int grt__comm_rank(const grt_comm_t *c) { return c->rank; }
int grt__comm_size(const grt_comm_t *c) { return c->nranks; }

void grt__comm_local_ranks(int *local_rank, int *local_size) {
  const char *ls = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  *local_size = ls && atoi(ls) > 0 ? atoi(ls) : 1;
  const char *lr = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  *local_rank = lr ? atoi(lr) : 0;
}

int grt__comm_simulated(const grt_comm_t *c) { return c && c->be == &sim_backend; }

void grt__comm_stats(const grt_comm_t *c, grt_comm_stats_t *out) {
  out->sends = atomic_load(&c->sends);
  out->recvs = atomic_load(&c->recvs);
  out->send_bytes = atomic_load(&c->send_bytes);
  out->recv_bytes = atomic_load(&c->recv_bytes);
}

void grt__comm_blocked(grt_comm_t *c, int delta) {
  if (!c || c->be != &mpi_backend) return;
  if (delta > 0) atomic_store(&c->block_ns, now_ns());
  atomic_fetch_add(&c->blocked, delta);
}

void grt__comm_doom(grt_comm_t *c, int code, const char *msg) {
  if (!c || c->be != &mpi_backend || atomic_load(&c->doom_code)) return;
  snprintf(c->doom_msg, sizeof c->doom_msg, "%s", msg ? msg : "");
  atomic_store(&c->doom_ns, now_ns() + DOOM_GRACE_NS);
  atomic_store(&c->doom_code, code ? code : GRT_ECOMM);
}

void grt__comm_end_if_doomed(grt_comm_t *c) {
  if (c && c->be == &mpi_backend && atomic_load(&c->doom_code)) {
    atomic_store(&c->leaving, true);
    end_doomed(c);
  }
}

_Noreturn void grt__comm_abort(grt_comm_t *c, int code, const char *msg) {
  static atomic_flag once = ATOMIC_FLAG_INIT;
  int status = code < 0 ? -code : (code ? code : 1);
  if (!atomic_flag_test_and_set(&once)) {
    fprintf(stderr, "grt: rank %d: fatal: %s\n", c ? c->rank : 0, msg ? msg : "");
    fflush(stderr);
  }
  if (c && c->be == &mpi_backend) {
    atomic_store(&aborting, true);
    int fin = 0;
    MPI_Finalized(&fin);
    /* MPI calls are serialized (mpi_mu), MPI_Abort's too, and never follow
     * MPI_Finalize or the exit handler's close; then this process just
     * ends, and mpirun ends the job for its non-zero status. */
    if (!fin && !atomic_load(&mpi_done)) {
      bool locked = holds_mpi;
      if (!locked) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 1;
        locked = pthread_mutex_timedlock(&c->mpi_mu, &dl) == 0;
      }
      (void)locked; /* MPI_Abort goes ahead even if the lock was not got */
      if (!c->closed) MPI_Abort(MPI_COMM_WORLD, status);
    }
  }
  _exit(status);
}
