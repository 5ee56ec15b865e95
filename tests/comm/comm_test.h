/* comm_test.h - what the comm layer's tests share. */
#ifndef GRT_COMM_TEST_H
#define GRT_COMM_TEST_H

#include <stdlib.h>

#include "comm.h"

/* True under mpirun: the tests then use the MPI backend, and the ones that
 * start a simulated backend skip (one MPI process runs one real comm at a
 * time). */
static inline int comm_test_under_mpi(void) { return getenv("OMPI_COMM_WORLD_SIZE") != NULL; }

/* A comm: the real backend (MPI under mpirun, else loopback) when
 * @p sim_ranks is 0, else rank @p sim_rank of @p sim_ranks simulated. */
static inline grt_comm_t *comm_test_start(int sim_ranks, int sim_rank, int *me, int *n) {
  grt_comm_t *c = NULL;
  assert_int_equal(grt__comm_init(NULL, NULL, sim_ranks, sim_rank, &c, me, n), 0);
  return c;
}

/* Rank @p rank of @p ranks simulated (the test skips under mpirun). */
static inline grt_comm_t *comm_test_sim(int ranks, int rank) {
  if (comm_test_under_mpi()) skip();
  int me, n;
  grt_comm_t *c = comm_test_start(ranks, rank, &me, &n);
  assert_int_equal(me, rank);
  assert_int_equal(n, ranks);
  return c;
}

#endif
