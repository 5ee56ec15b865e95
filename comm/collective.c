/* collective.c - the all-gather of collective.h (Bruck's dissemination). */
#include "collective.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "grt_error.h"

#define MAX_ROUNDS 32

struct grt_allgather {
  grt_comm_t *comm;
  grt_chan_t ch;
  grt_allgather_done_fn done;
  void *arg;
  atomic_flag lock;               /* the fields below */
  int nranks, me, rounds;
  bool given, finished;
  int sent;                       /* rounds sent */
  uint32_t arrived;               /* rounds received (bit k) */
  uint64_t tag;                   /* round k uses tag + k */
  const unsigned char **blk;      /* per rank: its block (own, or inside rbuf[k]) */
  uint32_t *blen;
  unsigned char *own;             /* this rank's block */
  unsigned char *rbuf[MAX_ROUNDS];
  struct round_in {               /* what each receive's callback gets */
    grt_allgather_t *g;
    int k;
  } in[MAX_ROUNDS];
};

/* Blocks in round k's message. */
static int round_count(const grt_allgather_t *g, int k) {
  int d = 1 << k;
  return d < g->nranks - d ? d : g->nranks - d;
}

static void lock(grt_allgather_t *g) {
  while (atomic_flag_test_and_set_explicit(&g->lock, memory_order_acquire)) {
  }
}
static void unlock(grt_allgather_t *g) { atomic_flag_clear_explicit(&g->lock, memory_order_release); }

static void sent_done(void *arg, size_t bytes) {
  (void)bytes;
  free(arg);
}

/* Sends every round that can go, under the lock; true when the all-gather
 * is complete (the caller then runs done(), once). */
static bool advance_locked(grt_allgather_t *g) {
  while (g->given && g->sent < g->rounds && (g->sent == 0 || (g->arrived >> (g->sent - 1)) & 1)) {
    int k = g->sent, d = 1 << k, cnt = round_count(g, k);
    size_t bytes = 4;
    for (int i = 0; i < cnt; i++) bytes += 8 + g->blen[(g->me + i) % g->nranks];
    unsigned char *m = malloc(bytes);
    if (!m) grt__comm_abort(g->comm, GRT_ENOMEM, "grt: out of host memory");
    int32_t nb = cnt;
    memcpy(m, &nb, 4);
    size_t off = 4;
    for (int i = 0; i < cnt; i++) {
      int32_t r = (g->me + i) % g->nranks;
      uint32_t len = g->blen[r];
      memcpy(m + off, &r, 4);
      memcpy(m + off + 4, &len, 4);
      if (len) memcpy(m + off + 8, g->blk[r], len);
      off += 8 + len;
    }
    g->sent++;
    if (grt__comm_send(g->comm, g->ch, (g->me - d + g->nranks) % g->nranks, g->tag + (uint64_t)k,
                       m, bytes, sent_done, m) < 0)
      grt__comm_abort(g->comm, GRT_ECOMM, grt_last_error());
  }
  uint32_t all = g->rounds >= 32 ? UINT32_MAX : ((uint32_t)1 << g->rounds) - 1;
  if (g->finished || !g->given || g->sent < g->rounds || (g->arrived & all) != all) return false;
  g->finished = true;
  return true;
}

static void advance(grt_allgather_t *g) {
  lock(g);
  bool done = advance_locked(g);
  unlock(g);
  if (done) g->done(g->arg, g);
}

static void received(void *arg, size_t bytes) {
  struct round_in *in = arg;
  grt_allgather_t *g = in->g;
  int k = in->k;
  const unsigned char *m = g->rbuf[k];
  lock(g);
  if (bytes >= 4) {
    int32_t nb;
    memcpy(&nb, m, 4);
    size_t off = 4;
    for (int32_t i = 0; i < nb && off + 8 <= bytes; i++) {
      int32_t r;
      uint32_t len;
      memcpy(&r, m + off, 4);
      memcpy(&len, m + off + 4, 4);
      if (r < 0 || r >= g->nranks || len > bytes - off - 8) break;
      g->blk[r] = g->rbuf[k] + off + 8;
      g->blen[r] = len;
      off += 8 + len;
    }
  }
  g->arrived |= (uint32_t)1 << k;
  unlock(g);
  advance(g);
}

int grt__comm_allgather_post(grt_comm_t *c, grt_chan_t ch, uint64_t tag, size_t max_total,
                             grt_allgather_done_fn done, void *arg, grt_allgather_t **out) {
  *out = NULL;
  grt_allgather_t *g = calloc(1, sizeof *g);
  if (!g) return grt__error(GRT_ENOMEM, "grt: out of host memory");
  g->comm = c;
  g->ch = ch;
  g->done = done;
  g->arg = arg;
  atomic_flag_clear(&g->lock);
  g->nranks = grt__comm_size(c);
  g->me = grt__comm_rank(c);
  while ((1 << g->rounds) < g->nranks) g->rounds++;
  g->tag = tag;
  g->blk = calloc((size_t)g->nranks, sizeof *g->blk);
  g->blen = calloc((size_t)g->nranks, sizeof *g->blen);
  bool ok = g->blk && g->blen;
  for (int k = 0; k < g->rounds && ok; k++) {
    g->rbuf[k] = calloc(1, 4 + (size_t)round_count(g, k) * 8 + max_total);
    ok = g->rbuf[k] != NULL;
  }
  if (!ok) {
    grt__comm_allgather_free(g);
    return grt__error(GRT_ENOMEM, "grt: out of host memory");
  }
  /* Once one receive is posted, the all-gather cannot be taken back: a
   * receive that cannot be posted ends the job, as a send that cannot. */
  for (int k = 0; k < g->rounds; k++) {
    size_t cap = 4 + (size_t)round_count(g, k) * 8 + max_total;
    g->in[k] = (struct round_in){g, k};
    /* In simulated mode this completes at once (with nothing in it). */
    if (grt__comm_recv(c, ch, (g->me + (1 << k)) % g->nranks, g->tag + (uint64_t)k, g->rbuf[k],
                       cap, received, &g->in[k]) < 0)
      grt__comm_abort(c, GRT_ECOMM, grt_last_error());
  }
  *out = g;
  return 0;
}

void grt__comm_allgather_give(grt_allgather_t *g, unsigned char *block, uint32_t len) {
  lock(g);
  g->own = block;
  g->blk[g->me] = block;
  g->blen[g->me] = len;
  g->given = true;
  unlock(g);
  advance(g);
}

const unsigned char *grt__comm_allgather_block(const grt_allgather_t *g, int rank, uint32_t *len) {
  *len = g->blen[rank];
  return g->blk[rank];
}

void grt__comm_allgather_free(grt_allgather_t *g) {
  if (!g) return;
  for (int k = 0; k < g->rounds; k++) free(g->rbuf[k]);
  free(g->own);
  free(g->blk);
  free(g->blen);
  free(g);
}
