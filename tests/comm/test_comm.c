/* test_comm.c - the comm layer alone (comm.h), on its two in-process
 * backends: loopback (one rank, messages to self matched by channel and
 * tag) and simulated ranks (sends counted, never sent; receives complete at
 * once). Also the node-local rank query and the single-rank abort. The MPI
 * backend is exercised by the tests under tests/mpi. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "comm.h"
#include "grt_error.h"

/* What a completion callback saw. */
typedef struct {
  int calls;
  size_t bytes;   /* of the last call */
  size_t total;
} done_t;

static void on_done(void *arg, size_t bytes) {
  done_t *d = arg;
  d->calls++;
  d->bytes = bytes;
  d->total += bytes;
}

static grt_comm_t *open_comm(int sim_ranks, int sim_rank, int want_rank, int want_nranks) {
  grt_comm_t *c = NULL;
  int rank = -1, nranks = -1;
  assert_int_equal(grt__comm_init(NULL, NULL, sim_ranks, sim_rank, &c, &rank, &nranks), 0);
  assert_non_null(c);
  assert_int_equal(rank, want_rank);
  assert_int_equal(nranks, want_nranks);
  return c;
}

static void assert_stats(grt_comm_t *c, uint64_t sends, uint64_t recvs, uint64_t sb, uint64_t rb) {
  grt_comm_stats_t st;
  grt__comm_stats(c, &st);
  assert_int_equal(st.sends, sends);
  assert_int_equal(st.recvs, recvs);
  assert_int_equal(st.send_bytes, sb);
  assert_int_equal(st.recv_bytes, rb);
}

/* ---- loopback ---- */

/* A send waits for its receive and the other way round; both callbacks run
 * when the pair matches, and the bytes arrive. */
static void test_loopback_send_recv(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  assert_false(grt__comm_simulated(c));
  const char msg[] = "hello, rank 0";
  char buf[32] = {0};
  done_t ds = {0}, dr = {0};
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 7, msg, sizeof msg, on_done, &ds), 0);
  assert_int_equal(ds.calls, 0);                    /* no receive yet */
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 7, buf, sizeof buf, on_done, &dr), 0);
  assert_int_equal(ds.calls, 1);
  assert_int_equal(ds.bytes, sizeof msg);
  assert_int_equal(dr.calls, 1);
  assert_int_equal(dr.bytes, sizeof msg);           /* the received size, not the buffer's */
  assert_string_equal(buf, msg);
  /* Receive first, then send. */
  int32_t v = 0, w = 42;
  memset(&dr, 0, sizeof dr);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 8, &v, sizeof v, on_done, &dr), 0);
  assert_int_equal(dr.calls, 0);
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 8, &w, sizeof w, NULL, NULL), 0);
  assert_int_equal(dr.calls, 1);
  assert_int_equal(v, 42);
  /* Data-channel messages are counted: 2 sends (14 + 4 bytes), 2 receives. */
  assert_stats(c, 2, 2, sizeof msg + 4, sizeof msg + 4);
  assert_int_equal(grt__comm_poll(c), 0);           /* nothing is ever in flight */
  assert_int_equal(grt__comm_inflight(c), 0);
  grt__comm_fini(c);
}

/* Messages match by tag and channel, never by order alone. */
static void test_loopback_tags_channels(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  int a = 1, b = 2, f = 3, got = 0;
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 100, &a, sizeof a, NULL, NULL), 0);
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 200, &b, sizeof b, NULL, NULL), 0);
  assert_int_equal(grt__comm_send(c, GRT_CHAN_FUTURE, 0, 100, &f, sizeof f, NULL, NULL), 0);
  done_t d = {0};
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 200, &got, sizeof got, on_done, &d), 0);
  assert_int_equal(got, 2);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_FUTURE, 0, 100, &got, sizeof got, on_done, &d), 0);
  assert_int_equal(got, 3);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 100, &got, sizeof got, on_done, &d), 0);
  assert_int_equal(got, 1);
  assert_int_equal(d.calls, 3);
  /* A receive on the control channel finds no data-channel send of its tag. */
  d = (done_t){0};
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 5, &a, sizeof a, NULL, NULL), 0);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_CONTROL, 0, 5, &got, sizeof got, on_done, &d), 0);
  assert_int_equal(d.calls, 0);
  /* Only the data channel is counted, and a loopback message when it is
   * delivered: 2 data pairs so far (the tag-5 send waits). */
  assert_stats(c, 2, 2, 8, 8);
  grt__comm_fini(c);                                /* frees the two unmatched requests */
}

/* A receive buffer smaller than the message gets its prefix. */
static void test_loopback_short_buffer(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  const char msg[8] = "abcdefg";
  char buf[4] = {0};
  done_t ds = {0}, dr = {0};
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 1, buf, sizeof buf, on_done, &dr), 0);
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 0, 1, msg, sizeof msg, on_done, &ds), 0);
  assert_int_equal(ds.bytes, 8);
  assert_int_equal(dr.bytes, 4);
  assert_memory_equal(buf, "abcd", 4);
  assert_stats(c, 1, 1, 8, 4);
  grt__comm_fini(c);
}

static void test_loopback_bad_peer(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  int x = 0;
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 1, 0, &x, sizeof x, NULL, NULL), GRT_ECOMM);
  assert_non_null(strstr(grt_last_error(), "rank 1 does not exist in a 1-rank job"));
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, -1, 0, &x, sizeof x, NULL, NULL), GRT_ECOMM);
  assert_non_null(strstr(grt_last_error(), "rank -1 does not exist"));
  grt_comm_msg_t m[2] = {{.peer = 0, .off = 0, .bytes = 4}, {.peer = 3, .off = 4, .bytes = 4}};
  unsigned char buf[8] = {0};
  assert_int_equal(grt__comm_postv(c, 1, GRT_CHAN_DATA, 9, buf, m, 2, NULL, NULL), GRT_ECOMM);
  assert_stats(c, 0, 0, 0, 0);
  grt__comm_fini(c);                                /* the first message of the batch waits */
}

/* A batch behaves as its messages one by one: offsets into one base. The
 * messages of one batch share a tag, and the loopback backend does not
 * promise which pending receive of a tag a send meets (it takes the newest
 * one today), so the two chunks have one size and either order is accepted. */
static void test_loopback_postv(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  unsigned char src[12], dst[12] = {0};
  for (int i = 0; i < 12; i++) src[i] = (unsigned char)(i + 1);
  grt_comm_msg_t out[2] = {{.peer = 0, .off = 0, .bytes = 6}, {.peer = 0, .off = 6, .bytes = 6}};
  grt_comm_msg_t in[2] = {{.peer = 0, .off = 0, .bytes = 6}, {.peer = 0, .off = 6, .bytes = 6}};
  done_t ds = {0}, dr = {0};
  assert_int_equal(grt__comm_postv(c, 0, GRT_CHAN_DATA, 77, dst, in, 2, on_done, &dr), 0);
  assert_int_equal(dr.calls, 0);
  assert_int_equal(grt__comm_postv(c, 1, GRT_CHAN_DATA, 77, src, out, 2, on_done, &ds), 0);
  assert_int_equal(ds.calls, 2);
  assert_int_equal(ds.total, 12);
  assert_int_equal(dr.calls, 2);
  assert_int_equal(dr.total, 12);
  bool in_order = memcmp(dst, src, 12) == 0;
  bool swapped = memcmp(dst, src + 6, 6) == 0 && memcmp(dst + 6, src, 6) == 0;
  assert_true(in_order || swapped);
  assert_stats(c, 2, 2, 12, 12);
  assert_int_equal(grt__comm_postv(c, 1, GRT_CHAN_DATA, 78, src, out, 0, on_done, &ds), 0);
  assert_int_equal(ds.calls, 2);                    /* an empty batch does nothing */
  grt__comm_fini(c);
}

/* Doom, the blocked count and the worker hint are the MPI backend's: on one
 * rank they change nothing, and end_if_doomed returns. */
static void test_loopback_doom_is_mpi_only(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(0, 0, 0, 1);
  grt__comm_doom(c, GRT_EDIVERGED, "ranks diverged");
  grt__comm_blocked(c, 1);
  grt__comm_worker_sleeps(c, 1);
  grt__comm_end_if_doomed(c);                       /* returns */
  grt__comm_blocked(c, -1);
  grt__comm_worker_sleeps(c, -1);
  int x = 5, y = 0;
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_CONTROL, 0, 1, &y, sizeof y, NULL, NULL), 0);
  assert_int_equal(grt__comm_send(c, GRT_CHAN_CONTROL, 0, 1, &x, sizeof x, NULL, NULL), 0);
  assert_int_equal(y, 5);                           /* still delivers */
  grt__comm_fini(c);
  grt__comm_doom(NULL, GRT_EDIVERGED, "no comm");   /* NULL-safe */
  grt__comm_end_if_doomed(NULL);
}

/* On one rank, abort ends this process with status -code after one line. */
static void test_loopback_abort_exits(void **state) {
  (void)state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    grt_comm_t *c = NULL;
    int rank, nranks;
    if (grt__comm_init(NULL, NULL, 0, 0, &c, &rank, &nranks) != 0) _exit(99);
    grt__comm_abort(c, GRT_ECOMM, "test abort");
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), -GRT_ECOMM);
}

/* ---- simulated ranks ---- */

/* Rank 2 of 4: every peer exists, sends are counted and complete at once,
 * receives complete at once and leave their buffers as they were. */
static void test_sim_counts(void **state) {
  (void)state;
  grt_comm_t *c = open_comm(4, 2, 2, 4);
  assert_true(grt__comm_simulated(c));
  double x[3] = {1, 2, 3}, y[3] = {9, 9, 9};
  done_t ds = {0}, dr = {0};
  assert_int_equal(grt__comm_send(c, GRT_CHAN_DATA, 3, 11, x, sizeof x, on_done, &ds), 0);
  assert_int_equal(ds.calls, 1);
  assert_int_equal(ds.bytes, sizeof x);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_DATA, 0, 12, y, sizeof y, on_done, &dr), 0);
  assert_int_equal(dr.calls, 1);
  assert_int_equal(dr.bytes, sizeof y);
  assert_true(y[0] == 9 && y[2] == 9);              /* nothing arrived */
  /* Future and control messages complete, uncounted. */
  assert_int_equal(grt__comm_send(c, GRT_CHAN_FUTURE, 1, 1, x, 8, on_done, &ds), 0);
  assert_int_equal(grt__comm_recv(c, GRT_CHAN_CONTROL, 1, 1, y, 8, on_done, &dr), 0);
  assert_int_equal(ds.calls, 2);
  assert_int_equal(dr.calls, 2);
  assert_stats(c, 1, 1, 24, 24);
  /* A batch: 3 sends of 8, 8 and 16 bytes. */
  unsigned char buf[32] = {0};
  grt_comm_msg_t m[3] = {{.peer = 0, .off = 0, .bytes = 8},
                         {.peer = 1, .off = 8, .bytes = 8},
                         {.peer = 3, .off = 16, .bytes = 16}};
  ds = (done_t){0};
  assert_int_equal(grt__comm_postv(c, 1, GRT_CHAN_DATA, 13, buf, m, 3, on_done, &ds), 0);
  assert_int_equal(ds.calls, 3);
  assert_int_equal(ds.total, 32);
  assert_stats(c, 4, 1, 56, 24);
  assert_int_equal(grt__comm_poll(c), 0);
  assert_int_equal(grt__comm_inflight(c), 0);
  grt__comm_fini(c);
}

/* ---- the node-local place ---- */

static void test_local_ranks(void **state) {
  (void)state;
  int r = -1, n = -1;
  unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  grt__comm_local_ranks(&r, &n);
  assert_int_equal(r, 0);
  assert_int_equal(n, 1);
  setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4", 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3", 1);
  grt__comm_local_ranks(&r, &n);
  assert_int_equal(r, 3);
  assert_int_equal(n, 4);
  setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "0", 1);     /* not positive: 1 */
  grt__comm_local_ranks(&r, &n);
  assert_int_equal(n, 1);
  setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "junk", 1);
  grt__comm_local_ranks(&r, &n);
  assert_int_equal(n, 1);
  unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loopback_send_recv),
      cmocka_unit_test(test_loopback_tags_channels),
      cmocka_unit_test(test_loopback_short_buffer),
      cmocka_unit_test(test_loopback_bad_peer),
      cmocka_unit_test(test_loopback_postv),
      cmocka_unit_test(test_loopback_doom_is_mpi_only),
      cmocka_unit_test(test_loopback_abort_exits),
      cmocka_unit_test(test_sim_counts),
      cmocka_unit_test(test_local_ranks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
