/* test_coherence.c - the coherence map's pieces against a per-cell oracle.
 *
 * Random programs of writes (one rank, or every rank alike) and reads by
 * random ranks on a small 2-D root, with no tiled layer: every read must
 * report exactly the cells the reader does not hold, each from the rank
 * that last wrote it, in disjoint rectangles, and hand back as `rest`
 * exactly the cells in no piece. Programs are long enough that pieces pile
 * up past many index chunks, die, and get compacted. The seed is printed on
 * failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coherence.h"

enum { N0 = 48, N1 = 40 };

/* Per cell: -1 untracked (valid everywhere, in no piece), else the owner
 * (or GRT_COH_EVERYWHERE); holders as a bitset. */
typedef struct model {
  int owner[N0][N1];
  uint64_t holders[N0][N1][2]; /* up to 128 ranks */
} model_t;

typedef struct seen {
  int src[N0][N1];   /* the source reported for a cell, -1 none */
  int count[N0][N1]; /* how many reported rectangles cover it */
  int calls;
} seen_t;

static uint64_t rng;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void random_rect(grt_rect_t *r) {
  r->ndim = 2;
  int64_t ext[2] = {N0, N1};
  for (int d = 0; d < 2; d++) {
    int64_t len = 1 + (int64_t)(next() % (next() % 4 == 0 ? (uint64_t)ext[d] : 6));
    if (len > ext[d]) len = ext[d];
    r->lo[d] = (int64_t)(next() % (uint64_t)(ext[d] - len + 1));
    r->hi[d] = r->lo[d] + len - 1;
  }
}

static void on_xfer(void *ctx, int src, int dst, const grt_rect_t *r, int64_t c, int k) {
  seen_t *s = ctx;
  (void)dst, (void)c, (void)k;
  s->calls++;
  for (int64_t i = r->lo[0]; i <= r->hi[0]; i++)
    for (int64_t j = r->lo[1]; j <= r->hi[1]; j++) {
      s->src[i][j] = src;
      s->count[i][j]++;
    }
}

static void run_program(uint64_t seed, int nops, int nranks) {
  rng = seed * 2654435761u + 1;
  static model_t m;
  static seen_t s;
  for (int i = 0; i < N0; i++)
    for (int j = 0; j < N1; j++) {
      m.owner[i][j] = -1;
      m.holders[i][j][0] = m.holders[i][j][1] = 0;
    }
  grt_coh_t c;
  grt__coherence_init(&c, nranks, (int)(seed % (uint64_t)nranks));
  grt_rects_t rest = {0};
  int max_n = 0;
  for (int op = 0; op < nops; op++) {
    grt_rect_t r;
    random_rect(&r);
    unsigned kind = (unsigned)(next() % 10);
    /* Ranks from a small set, so that reads find holders often. */
    int rank = (int)(next() % 5) * (nranks / 5);
    if (kind < 4) { /* a write by one rank */
      if (grt__coherence_write(&c, &r, rank) < 0)
        fail_msg("seed %llu: write failed", (unsigned long long)seed);
      for (int64_t i = r.lo[0]; i <= r.hi[0]; i++)
        for (int64_t j = r.lo[1]; j <= r.hi[1]; j++) {
          m.owner[i][j] = rank;
          m.holders[i][j][rank / 64] = (uint64_t)1 << (rank % 64);
          m.holders[i][j][1 - rank / 64] = 0;
        }
    } else if (kind == 4) { /* a replicated write */
      if (grt__coherence_everywhere(&c, &r) < 0)
        fail_msg("seed %llu: everywhere failed", (unsigned long long)seed);
      /* No tiled layer: the cells leave the map (valid everywhere). */
      for (int64_t i = r.lo[0]; i <= r.hi[0]; i++)
        for (int64_t j = r.lo[1]; j <= r.hi[1]; j++) m.owner[i][j] = -1;
    } else { /* a read */
      memset(&s, 0, sizeof s);
      for (int i = 0; i < N0; i++)
        for (int j = 0; j < N1; j++) s.src[i][j] = -1;
      rest.n = 0;
      if (grt__coherence_read_pieces(&c, &r, rank, on_xfer, &s, &rest) < 0)
        fail_msg("seed %llu: read failed", (unsigned long long)seed);
      static int in_rest[N0][N1];
      memset(in_rest, 0, sizeof in_rest);
      for (int q = 0; q < rest.n; q++)
        for (int64_t i = rest.v[q].lo[0]; i <= rest.v[q].hi[0]; i++)
          for (int64_t j = rest.v[q].lo[1]; j <= rest.v[q].hi[1]; j++) {
            if (i < r.lo[0] || i > r.hi[0] || j < r.lo[1] || j > r.hi[1])
              fail_msg("seed %llu op %d: rest outside the read", (unsigned long long)seed, op);
            in_rest[i][j]++;
          }
      for (int i = 0; i < N0; i++)
        for (int j = 0; j < N1; j++) {
          bool inside = i >= r.lo[0] && i <= r.hi[0] && j >= r.lo[1] && j <= r.hi[1];
          bool tracked = m.owner[i][j] != -1;
          bool want = inside && tracked && !(m.holders[i][j][rank / 64] >> (rank % 64) & 1u);
          if (s.count[i][j] != (want ? 1 : 0))
            fail_msg("seed %llu op %d: cell (%d,%d) reported %d times, expected %d",
                     (unsigned long long)seed, op, i, j, s.count[i][j], want ? 1 : 0);
          if (want && s.src[i][j] != m.owner[i][j])
            fail_msg("seed %llu op %d: cell (%d,%d) from rank %d, expected %d",
                     (unsigned long long)seed, op, i, j, s.src[i][j], m.owner[i][j]);
          if (in_rest[i][j] != (inside && !tracked ? 1 : 0))
            fail_msg("seed %llu op %d: cell (%d,%d) in rest %d times, expected %d",
                     (unsigned long long)seed, op, i, j, in_rest[i][j], inside && !tracked);
          if (inside && tracked) m.holders[i][j][rank / 64] |= (uint64_t)1 << (rank % 64);
        }
    }
    /* Pieces stay disjoint and inside the map's cells. */
    int live = 0;
    for (int q = 0; q < c.n; q++)
      if (c.v[q].owner != GRT_COH_DEAD && !grt_rect_empty(&c.v[q].r)) live++;
    if (live > max_n) max_n = live;
    if (c.ndead > c.n) fail_msg("seed %llu: %d dead of %d", (unsigned long long)seed, c.ndead, c.n);
  }
  /* The live pieces cover exactly the tracked cells. */
  static int cover[N0][N1];
  memset(cover, 0, sizeof cover);
  for (int q = 0; q < c.n; q++)
    for (int64_t i = c.v[q].r.lo[0]; i <= c.v[q].r.hi[0]; i++)
      for (int64_t j = c.v[q].r.lo[1]; j <= c.v[q].r.hi[1]; j++) cover[i][j]++;
  for (int i = 0; i < N0; i++)
    for (int j = 0; j < N1; j++)
      if (cover[i][j] != (m.owner[i][j] != -1))
        fail_msg("seed %llu: cell (%d,%d) in %d pieces", (unsigned long long)seed, i, j, cover[i][j]);
  /* The programs must reach past one index chunk, or they test nothing. */
  if (max_n <= GRT_COH_CHUNK) fail_msg("seed %llu: only %d live pieces", (unsigned long long)seed, max_n);
  grt__rects_free(&rest);
  grt__coherence_free(&c);
  grt__coherence_scratch_free();
}

static void test_coherence_pieces_oracle(void **state) {
  (void)state;
  /* 5 ranks: the holders bitset inline; 125: on the heap. */
  for (uint64_t seed = 1; seed <= 40; seed++) run_program(seed, 600, seed % 2 ? 5 : 125);
}

typedef struct calls {
  int n, src;
  grt_rect_t r;
} calls_t;

static void on_call(void *ctx, int src, int dst, const grt_rect_t *r, int64_t c, int k) {
  calls_t *s = ctx;
  (void)dst, (void)c, (void)k;
  s->n++;
  s->src = src;
  s->r = *r;
}

/* Many disjoint pieces (a row per write, as a program writing one row per
 * launch makes): the index skips chunks, and reads still find the rows. */
static void test_coherence_many_rows(void **state) {
  (void)state;
  grt_coh_t c;
  grt__coherence_init(&c, 2, 0);
  enum { ROWS = 5000 };
  for (int t = 0; t < ROWS; t++) {
    grt_rect_t r = {2, {t, 0}, {t, 1}};
    assert_int_equal(grt__coherence_write(&c, &r, t % 2), 0);
  }
  assert_int_equal(c.n, ROWS);
  assert_int_equal(c.ndead, 0);
  calls_t s = {0};
  grt_rect_t q = {2, {1234, 0}, {1235, 1}};
  assert_int_equal(grt__coherence_read_pieces(&c, &q, 0, on_call, &s, NULL), 0);
  assert_int_equal(s.n, 1); /* row 1235, from rank 1 */
  assert_int_equal(s.src, 1);
  assert_int_equal(s.r.lo[0], 1235);
  assert_int_equal(s.r.hi[0], 1235);
  assert_true(grt__coherence_pieces_meet(&c, &q));
  grt_rect_t out = {2, {ROWS, 0}, {ROWS + 5, 1}};
  assert_false(grt__coherence_pieces_meet(&c, &out));
  /* Overwriting everything kills every piece; compaction keeps one. */
  grt_rect_t all = {2, {0, 0}, {ROWS - 1, 1}};
  assert_int_equal(grt__coherence_write(&c, &all, 1), 0);
  assert_int_equal(c.n - c.ndead, 1);
  assert_true(c.n < ROWS);
  grt__coherence_free(&c);
  grt__coherence_scratch_free();
}

/* ---- many pieces: the indexed subtraction against one at a time ---- */

/* The reference: a := a minus cut, each fragment a cut meets replaced in
 * place by its slabs outside it (dimension 0 first, low before high). */
static void ref_cut(grt_rects_t *a, const grt_rect_t *cut) {
  grt_rects_t b = {0};
  for (int i = 0; i < a->n; i++) {
    grt_rect_t f = a->v[i], in;
    if (!grt_rect_intersect(&f, cut, &in)) {
      assert_true(grt__rects_push(&b, &f) >= 0);
      continue;
    }
    for (int d = 0; d < f.ndim; d++) {
      if (in.lo[d] > f.lo[d]) {
        grt_rect_t s = f;
        s.hi[d] = in.lo[d] - 1;
        assert_true(grt__rects_push(&b, &s) >= 0);
        f.lo[d] = in.lo[d];
      }
      if (in.hi[d] < f.hi[d]) {
        grt_rect_t s = f;
        s.lo[d] = in.hi[d] + 1;
        assert_true(grt__rects_push(&b, &s) >= 0);
        f.hi[d] = in.hi[d];
      }
    }
  }
  grt__rects_free(a);
  *a = b;
}

static void ref_subtract(grt_rects_t *out, const grt_rect_t *r, const grt_rect_t *cuts, int n) {
  out->n = 0;
  assert_true(grt__rects_push(out, r) >= 0);
  for (int i = 0; i < n; i++) ref_cut(out, &cuts[i]);
}

static bool same_rect(const grt_rect_t *a, const grt_rect_t *b) {
  if (a->ndim != b->ndim) return false;
  for (int d = 0; d < a->ndim; d++)
    if (a->lo[d] != b->lo[d] || a->hi[d] != b->hi[d]) return false;
  return true;
}

static void check_same_list(const grt_rects_t *got, const grt_rects_t *want, const char *what,
                            uint64_t seed) {
  if (got->n != want->n)
    fail_msg("%s, seed %llu: %d fragments, want %d", what, (unsigned long long)seed, got->n,
             want->n);
  for (int i = 0; i < got->n; i++)
    if (!same_rect(&got->v[i], &want->v[i]))
      fail_msg("%s, seed %llu: fragment %d differs", what, (unsigned long long)seed, i);
}

static void shuffle(grt_rect_t *v, int n) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int)(next() % (uint64_t)(i + 1));
    grt_rect_t t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

/* Strided single elements (1-D, in order and shuffled), a checkerboard
 * (2-D), random and overlapping rectangles (3-D): the same fragments in the
 * same order as one cut at a time. */
static void test_coherence_subtract_many(void **state) {
  (void)state;
  enum { MAXC = 6000 };
  grt_rect_t *cuts = malloc(sizeof *cuts * MAXC);
  assert_non_null(cuts);
  grt_rects_t got = {0}, want = {0};
  for (uint64_t seed = 1; seed <= 24; seed++) {
    rng = seed * 0x9e3779b97f4a7c15ull;
    int n = 0, kind = (int)(seed % 4);
    grt_rect_t r;
    if (kind == 0) { /* every other element of 2 * 3001, maybe shuffled */
      r = (grt_rect_t){1, {0}, {2 * 3001 - 1}};
      for (int i = 0; i < 3001; i++) cuts[n++] = (grt_rect_t){1, {2 * i}, {2 * i}};
      if (seed % 8 == 4) shuffle(cuts, n);
    } else if (kind == 1) { /* a checkerboard of 70 x 70 */
      r = (grt_rect_t){2, {0, 0}, {69, 69}};
      for (int i = 0; i < 70; i++)
        for (int j = (i + (int)seed) % 2; j < 70; j += 2) cuts[n++] = (grt_rect_t){2, {i, j}, {i, j}};
      if (seed % 3 == 0) shuffle(cuts, n);
    } else if (kind == 2) { /* random small rectangles, overlapping */
      r = (grt_rect_t){3, {0, 0, 0}, {29, 29, 29}};
      n = 2000;
      for (int i = 0; i < n; i++) {
        cuts[i].ndim = 3;
        for (int d = 0; d < 3; d++) {
          cuts[i].lo[d] = (int64_t)(next() % 34) - 2;
          cuts[i].hi[d] = cuts[i].lo[d] + (int64_t)(next() % 4);
        }
      }
    } else { /* strided with a stride of 3 over part of a query, 2-D rows */
      r = (grt_rect_t){2, {5, 0}, {4000, 2}};
      for (int i = 0; i < 1400; i++) cuts[n++] = (grt_rect_t){2, {3 * i, (int64_t)(next() % 3)}, {3 * i, 2}};
    }
    got.n = 0;
    assert_int_equal(grt__coherence_subtract(&got, &r, cuts, n), 0);
    ref_subtract(&want, &r, cuts, n);
    check_same_list(&got, &want, "subtract", seed);
  }
  free(cuts);
  grt__rects_free(&got);
  grt__rects_free(&want);
  grt__coherence_scratch_free();
}

enum { XLOG = 60000 };
typedef struct xlog {
  int n;
  grt_rect_t r[XLOG];
  int src[XLOG], dst[XLOG], k[XLOG];
  int64_t c[XLOG];
} xlog_t;

static void on_log(void *ctx, int src, int dst, const grt_rect_t *r, int64_t c, int k) {
  xlog_t *s = ctx;
  assert_true(s->n < XLOG);
  s->r[s->n] = *r;
  s->src[s->n] = src;
  s->dst[s->n] = dst;
  s->c[s->n] = c;
  s->k[s->n++] = k;
}

/* A strided write (thousands of single-element pieces, in order or not) and
 * a checkerboard read as a whole: one transfer per piece not held, in slot
 * order, and `rest` exactly the one-at-a-time fragments. */
static void test_coherence_read_many_pieces(void **state) {
  (void)state;
  xlog_t *s = malloc(sizeof *s);
  assert_non_null(s);
  grt_rects_t rest = {0}, want = {0};
  grt_rect_t *cuts = malloc(sizeof *cuts * 8000);
  assert_non_null(cuts);
  for (uint64_t seed = 1; seed <= 6; seed++) {
    rng = seed * 0x2545f4914f6cdd1dull;
    grt_coh_t c;
    grt__coherence_init(&c, 2, 0);
    c.tiled = true; /* so that the whole read hands back its rest */
    int n = 0;
    grt_rect_t all;
    if (seed % 2) {
      all = (grt_rect_t){1, {0}, {2 * 3001 - 1}};
      for (int i = 0; i < 3001; i++) cuts[n++] = (grt_rect_t){1, {2 * i}, {2 * i}};
    } else {
      all = (grt_rect_t){2, {0, 0}, {59, 59}};
      for (int i = 0; i < 60; i++)
        for (int j = i % 2; j < 60; j += 2) cuts[n++] = (grt_rect_t){2, {i, j}, {i, j}};
    }
    if (seed > 2) shuffle(cuts, n);
    for (int i = 0; i < n; i++)
      assert_int_equal(grt__coherence_write(&c, &cuts[i], (int)(next() % 2)), 0);
    s->n = 0;
    rest.n = 0;
    assert_int_equal(grt__coherence_read_pieces(&c, &all, 0, on_log, s, &rest), 0);
    /* The pieces in slot order (no piece died: they are disjoint). */
    assert_int_equal(c.n, n);
    int x = 0;
    for (int i = 0; i < n; i++) {
      if (c.v[i].owner == 0) continue;
      if (x >= s->n || !same_rect(&s->r[x], &cuts[i]) || s->src[x] != 1 || s->k[x] != x)
        fail_msg("seed %llu: transfer %d is not piece %d", (unsigned long long)seed, x, i);
      x++;
    }
    assert_int_equal(x, s->n);
    ref_subtract(&want, &all, cuts, n);
    check_same_list(&rest, &want, "read rest", seed);
    /* A second read by the same rank moves nothing, leaves the same rest. */
    s->n = 0;
    rest.n = 0;
    assert_int_equal(grt__coherence_read_pieces(&c, &all, 0, on_log, s, &rest), 0);
    assert_int_equal(s->n, 0);
    check_same_list(&rest, &want, "second read rest", seed);
    grt__coherence_free(&c);
  }
  free(cuts);
  free(s);
  grt__rects_free(&rest);
  grt__rects_free(&want);
  grt__coherence_scratch_free();
}

/* The tiled layer with thousands of held / sent parts (3 ranks, a tile
 * each): every rank reads strided elements, runs and sometimes whole
 * ranges; the reader's transfers must be each tile's part minus what it
 * held, cut one at a time (the reference), and the owner must plan the
 * same transfers in the same order from what it sent. */
static void test_coherence_tiled_many_held(void **state) {
  (void)state;
  enum { NR = 3, T = 3000 };
  xlog_t *lg = malloc(sizeof *lg * NR);
  assert_non_null(lg);
  grt_rects_t want = {0}, frag = {0};
  for (uint64_t seed = 1; seed <= 4; seed++) {
    rng = seed * 0x9e3779b97f4a7c15ull + 7;
    grt_coh_t c[NR];
    grt_rects_t ref_held[NR] = {{0}};
    grt_tiling_t t = {.kind = GRT_PART_TILED, .ndim = 1, .shape = {NR * T}, .tile = {T},
                      .colors = {NR}};
    grt_sharding_t sh = {.ndim = 1, .shape = {NR}, .npoints = NR, .nranks = NR};
    for (int i = 0; i < NR; i++) {
      grt__coherence_init(&c[i], NR, i);
      grt__coherence_set_tiled(&c[i], &t, &sh);
    }
    for (int op = 0; op < 2500; op++) {
      int q = (int)(next() % NR);
      grt_rect_t r = {1, {0}, {0}};
      uint64_t kind = next() % 100;
      if (kind < 85) { /* one element, stride 2 or 3 */
        r.lo[0] = r.hi[0] = (int64_t)((next() % (NR * T / 2)) * (seed % 2 ? 2 : 3) % (NR * T));
      } else if (kind < 99) { /* a short run */
        r.lo[0] = (int64_t)(next() % (NR * T));
        r.hi[0] = r.lo[0] + (int64_t)(next() % 40);
      } else { /* most of the root */
        r.lo[0] = (int64_t)(next() % 100);
        r.hi[0] = NR * T - 1 - (int64_t)(next() % 100);
      }
      for (int i = 0; i < NR; i++) {
        lg[i].n = 0;
        assert_int_equal(grt__coherence_read_tiled(&c[i], &r, q, on_log, &lg[i]), 0);
      }
      /* The reference, tile by tile in colour order. */
      want.n = 0;
      int wn0[NR + 1];
      for (int lin = 0; lin < NR; lin++) {
        wn0[lin] = want.n;
        grt_rect_t tile = {1, {(int64_t)lin * T}, {(int64_t)lin * T + T - 1}}, part;
        if (lin == q || !grt_rect_intersect(&tile, &r, &part)) continue;
        ref_subtract(&frag, &part, ref_held[q].v, ref_held[q].n);
        for (int k = 0; k < frag.n; k++) {
          assert_true(grt__rects_push(&want, &frag.v[k]) >= 0);
          assert_true(grt__rects_push(&ref_held[q], &frag.v[k]) >= 0);
        }
      }
      wn0[NR] = want.n;
      const xlog_t *rd = &lg[q];
      if (rd->n != want.n)
        fail_msg("seed %llu op %d: reader %d planned %d transfers, want %d",
                 (unsigned long long)seed, op, q, rd->n, want.n);
      for (int x = 0; x < rd->n; x++)
        if (!same_rect(&rd->r[x], &want.v[x]) || rd->dst[x] != q || rd->src[x] != rd->c[x])
          fail_msg("seed %llu op %d: transfer %d differs", (unsigned long long)seed, op, x);
      /* Each owner: its tile's transfers, the same, in the same order. */
      for (int o = 0; o < NR; o++) {
        if (o == q) continue;
        const xlog_t *ow = &lg[o];
        int m = wn0[o + 1] - wn0[o];
        if (ow->n != m)
          fail_msg("seed %llu op %d: owner %d planned %d transfers, want %d",
                   (unsigned long long)seed, op, o, ow->n, m);
        for (int x = 0; x < m; x++)
          if (!same_rect(&ow->r[x], &want.v[wn0[o] + x]) || ow->k[x] != rd->k[wn0[o] + x] ||
              ow->src[x] != o || ow->dst[x] != q)
            fail_msg("seed %llu op %d: owner %d transfer %d differs", (unsigned long long)seed,
                     op, o, x);
      }
    }
    assert_true(c[0].held.n > 32 && c[0].nsent > 32); /* the indexes were used */
    for (int i = 0; i < NR; i++) {
      grt__coherence_free(&c[i]);
      grt__rects_free(&ref_held[i]);
    }
  }
  free(lg);
  grt__rects_free(&want);
  grt__rects_free(&frag);
  grt__coherence_scratch_free();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_coherence_pieces_oracle),
      cmocka_unit_test(test_coherence_many_rows),
      cmocka_unit_test(test_coherence_subtract_many),
      cmocka_unit_test(test_coherence_read_many_pieces),
      cmocka_unit_test(test_coherence_tiled_many_held),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
