/* comm.h - communication between ranks: point-to-point messages driven by one
 * progress thread, and the job-wide abort.
 *
 * Backends (chosen in comm.c, the only place that knows them):
 *   - mpi: Open MPI at MPI_THREAD_SERIALIZED: every MPI call after
 *     MPI_Init_thread is made under one lock. A progress thread on a libuv
 *     loop polls requests (MPI_Testsome) with short naps while any are in
 *     flight and sleeps until woken (uv_async_send) otherwise; a thread that
 *     queues a request posts it at once if the lock is free, and idle
 *     workers poll through grt__comm_poll, so a message's latency does not
 *     wait for the progress thread's nap.
 *   - loopback: one rank, no MPI; messages to self are delivered in process.
 *   - sim: rank r of R simulated in one process (GRT_SIM_RANKS/GRT_SIM_RANK):
 *     sends are counted, not sent; receives complete at once.
 *
 * Channels separate the tag spaces of data transfers, future exchanges and
 * control (divergence checks) so that their sequence numbers never collide.
 */
#ifndef GRT_COMM_H
#define GRT_COMM_H

#include <stddef.h>
#include <stdint.h>

typedef struct grt_comm grt_comm_t;

typedef enum { GRT_CHAN_DATA, GRT_CHAN_FUTURE, GRT_CHAN_CONTROL, GRT_CHAN_COUNT } grt_chan_t;

/* Called, with the MPI lock held (so callbacks never run concurrently), on
 * the thread that found the request complete -- the progress thread or a
 * worker in grt__comm_poll -- when a message has gone (send: the buffer
 * may be reused) or arrived (receive: the buffer holds it; @p bytes is the
 * received size). */
typedef void (*grt_comm_done_fn)(void *arg, size_t bytes);

typedef struct grt_comm_stats {
  uint64_t sends, recvs;           /* messages */
  uint64_t send_bytes, recv_bytes;
} grt_comm_stats_t;

/* Starts the communication layer. Under mpirun (or when MPI is already
 * initialized) it is the MPI backend; with sim_ranks > 0 the simulated one;
 * otherwise loopback. Writes this process's rank and the job's size. */
int grt__comm_init(int *argc, char ***argv, int sim_ranks, int sim_rank, grt_comm_t **out,
                   int *rank, int *nranks);
/* Stops the progress thread (after every queued message completed) and
 * frees the comm; MPI itself is finalized when the process exits, if grt
 * initialized it (a process may run several runtimes one after another). */
void grt__comm_fini(grt_comm_t *c);

/* Queues a message; @p done (may be NULL) runs on the progress thread. The
 * buffer must stay valid until then. Tags are any 64-bit value; they are
 * folded into MPI's tag range. Thread-safe. */
int grt__comm_send(grt_comm_t *c, grt_chan_t ch, int dst, uint64_t tag, const void *buf,
                   size_t bytes, grt_comm_done_fn done, void *arg);
int grt__comm_recv(grt_comm_t *c, grt_chan_t ch, int src, uint64_t tag, void *buf, size_t bytes,
                   grt_comm_done_fn done, void *arg);

/* One message of a batch: to (or from) @p peer, @p bytes at base + @p off. */
typedef struct grt_comm_msg {
  int peer;
  size_t off, bytes;
} grt_comm_msg_t;

/* Queues @p n sends (@p is_send) or receives of one channel and tag, as n
 * calls of grt__comm_send / grt__comm_recv in order would, each completing
 * with done(arg, bytes). The MPI backend takes its locks and wakes its
 * progress thread once per batch, not once per message. On an error none of
 * the batch is queued. */
int grt__comm_postv(grt_comm_t *c, int is_send, grt_chan_t ch, uint64_t tag, unsigned char *base,
                    const grt_comm_msg_t *msgs, int n, grt_comm_done_fn done, void *arg);

/* For idle workers: posts queued requests and completes finished ones
 * unless another thread is doing so. Returns how many it posted or
 * completed (0 at once when nothing is in flight, or on the loopback and
 * simulated backends, whose messages complete when they are queued). */
int grt__comm_poll(grt_comm_t *c);
/* Requests queued or in flight (MPI backend; 0 otherwise). A hint. */
int grt__comm_inflight(grt_comm_t *c);
/* A worker goes to sleep on its ready queue (@p delta = +1) or wakes from
 * it (-1). While no worker sleeps, every worker is running a task or
 * polling (and polls when its task ends), so the progress thread naps
 * long, as an MPI rank makes no progress while it computes; while one
 * sleeps, a message could make a task ready for it, so it naps short. */
void grt__comm_worker_sleeps(grt_comm_t *c, int delta);

/* This process's rank and the job's number of ranks (as grt__comm_init
 * wrote them). */
int grt__comm_rank(const grt_comm_t *c);
int grt__comm_size(const grt_comm_t *c);

/* This process's place among the ranks that share its node, as the
 * launcher (Open MPI's mpirun) tells it: *local_rank (0 when not told) and
 * *local_size (1 when not told or not positive). Needs no comm: it reads
 * the environment, so it answers before and without grt__comm_init. */
void grt__comm_local_ranks(int *local_rank, int *local_size);

/* True when messages are only counted (simulated ranks). */
int grt__comm_simulated(const grt_comm_t *c);
void grt__comm_stats(const grt_comm_t *c, grt_comm_stats_t *out);

/* An application thread enters (@p delta = +1) or leaves (-1) a blocking
 * grt wait (fence, future, map, the divergence check's verdict). If a peer
 * has left the job without grt_finalize (its exit handler sent a leave
 * notice), a rank blocked for 2 s since it noticed -- a wait that can no
 * longer be answered -- aborts the job, naming the rank that left. */
void grt__comm_blocked(grt_comm_t *c, int delta);

/* The job can only end in failure (the ranks diverged): if this process
 * leaves from now on (grt_finalize, return from main, exit), it waits up to
 * 4 s for the job's own abort, then ends the job itself with @p code and
 * @p msg. MPI backend only; the first call wins. */
void grt__comm_doom(grt_comm_t *c, int code, const char *msg);
/* Does not return if grt__comm_doom was called on @p c (see there). */
void grt__comm_end_if_doomed(grt_comm_t *c);

/* Ends the whole job: prints @p msg once (on this rank) and aborts every
 * rank (MPI_Abort, exit status -@p code), or exits this process on a single
 * rank. Never makes an MPI call after MPI_Finalize or once the exit handler
 * closed the comm (then this process alone exits, with that status, and
 * mpirun ends the job). Never returns.
 *
 * Exit path (MPI backend): a process that exits while a runtime is live
 * (without grt_finalize) stops its progress thread, closes MPI to its
 * other threads, sends every other rank a leave notice with its exit
 * status, and finalizes MPI; see grt__comm_blocked for the other side. */
_Noreturn void grt__comm_abort(grt_comm_t *c, int code, const char *msg);

#endif
