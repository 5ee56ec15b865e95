/* test_depgraph_oracle.c - the analyzer against a brute-force all-pairs oracle.
 *
 * Each case runs many random programs (1-4 dims, random rectangles, privileges,
 * operators, multi-access batches, completions and prunes) and checks, over
 * the whole history:
 *   soundness: every conflicting pair (A earlier, B later) where A was not
 *              complete when B was added is ordered by the transitive closure
 *              of the returned edges;
 *   precision: every returned edge joins a really conflicting pair from
 *              different batches, and no edge is reported twice;
 *   retiring:  after an occasional write over the whole store exactly one
 *              entry is live.
 * A failure prints the program's seed; GRT_SEED=<seed> reruns just that
 * program in every case. GRT_TEST_SHORT=1 runs a tenth of the programs (for
 * valgrind).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "depgraph.h"

#define MAX_ACC 400
#define MAX_RECTS 4
#define MAX_BATCH 8
#define ID_OF(k) ((uint64_t)(k) * 7u + 1000u)
#define IDX_OF(id) ((int)(((id) - 1000u) / 7u))

typedef struct {
  int priv, redop, nrects, batch;
  int done_at; /* batch count when completed; INT32_MAX while running */
  grt_rect_t rects[MAX_RECTS];
} acc_t;

typedef struct {
  int from, to; /* earlier, later (global indices) */
} edge_t;

typedef struct {
  /* parameters of a case */
  int nprogs;
  int max_batch;   /* accesses per batch: 1..max_batch */
  int max_rects;   /* rectangles per access: 1..max_rects (sometimes 0) */
  int pct_complete;
  int pct_prune;
  int pct_fail;    /* batches with an injected allocation failure */
  int permille_wide; /* rectangles stretched past int32 (widens the tree) */
  int scale;         /* coordinates times this (0: 1) */
  int permille_big;  /* rectangles stretched by ~2^20 (within int32) */
} params_t;

typedef struct {
  uint64_t rng;
  int ndim;
  int permille_wide;
  int scale, permille_big;
  int64_t ext[GRT_RECT_MAX_DIM];
  acc_t acc[MAX_ACC];
  int nacc;
  int nbatch;
  edge_t *edges;
  int nedges, capedges;
  int base;  /* global index of the current batch's access 0 */
  int nnew;  /* accesses in the current batch */
  int bad_i; /* edge reported with an out-of-range index */
  uint64_t *reach; /* MAX_ACC bits per access */
  int *seen;
} prog_t;

static uint64_t rnd(prog_t *p) {
  p->rng ^= p->rng << 13;
  p->rng ^= p->rng >> 7;
  p->rng ^= p->rng << 17;
  return p->rng;
}
static int rndi(prog_t *p, int n) { return (int)(rnd(p) % (uint64_t)n); }

static void gen_rect(prog_t *p, grt_rect_t *r) {
  r->ndim = p->ndim;
  int full = rndi(p, 12) == 0;
  for (int d = 0; d < p->ndim; d++) {
    if (full) {
      r->lo[d] = 0;
      r->hi[d] = p->ext[d] - 1;
      continue;
    }
    int64_t lo = rndi(p, (int)p->ext[d]);
    int64_t len = rndi(p, (int)p->ext[d] / 2 + 1);
    r->lo[d] = lo - (rndi(p, 8) == 0 ? 1 : 0); /* sometimes off the edge */
    r->hi[d] = lo + len;
  }
  if (p->scale > 1) /* cells of scale x ... x scale, sometimes off by one */
    for (int d = 0; d < p->ndim; d++) {
      r->lo[d] = r->lo[d] * p->scale + (rndi(p, 4) == 0 ? rndi(p, 3) - 1 : 0);
      r->hi[d] = r->hi[d] * p->scale + p->scale - 1 + (rndi(p, 4) == 0 ? rndi(p, 3) - 1 : 0);
    }
  if (p->permille_big && rndi(p, 1000) < p->permille_big) {
    int d = rndi(p, p->ndim);
    if (rndi(p, 2))
      r->lo[d] -= (INT64_C(1) << 20) + rndi(p, 3);
    else
      r->hi[d] += (INT64_C(1) << 20) + rndi(p, 3);
  }
  if (rndi(p, 40) == 0) r->hi[rndi(p, p->ndim)] = r->lo[0] - 3; /* maybe empty */
  if (p->permille_wide && rndi(p, 1000) < p->permille_wide) {
    /* a coordinate outside int32: the analyzer switches to 64-bit nodes
     * with whatever it holds at that point */
    int d = rndi(p, p->ndim);
    if (rndi(p, 2))
      r->lo[d] = -(INT64_C(1) << 40) - rndi(p, 3);
    else
      r->hi[d] = (INT64_C(1) << 40) + rndi(p, 3);
  }
}

static int conflict_priv(const acc_t *a, const acc_t *b) {
  if (a->priv == GRT_DG_READ && b->priv == GRT_DG_READ) return 0;
  if (a->priv == GRT_DG_REDUCE && b->priv == GRT_DG_REDUCE && a->redop == b->redop)
    return 0;
  return 1;
}

static int conflict(const acc_t *a, const acc_t *b) {
  if (!conflict_priv(a, b)) return 0;
  for (int i = 0; i < a->nrects; i++)
    for (int j = 0; j < b->nrects; j++)
      if (grt_rect_overlaps(&a->rects[i], &b->rects[j])) return 1;
  return 0;
}

static void on_edge(void *ctx, int i, uint64_t id) {
  prog_t *p = ctx;
  if (i < 0 || i >= p->nnew) {
    p->bad_i = 1;
    return;
  }
  if (p->nedges == p->capedges) {
    p->capedges = p->capedges ? 2 * p->capedges : 1024;
    p->edges = realloc(p->edges, (size_t)p->capedges * sizeof(edge_t));
    assert_non_null(p->edges);
  }
  p->edges[p->nedges].from = IDX_OF(id);
  p->edges[p->nedges].to = p->base + i;
  p->nedges++;
}

static int on_done(void *ctx, uint64_t id) {
  prog_t *p = ctx;
  int k = IDX_OF(id);
  if (k < 0 || k >= p->nacc) return 0;
  return p->acc[k].done_at != INT32_MAX;
}

/* Completes access k if everything it was told to wait for has completed
 * (the done() contract of depgraph.h, which any executing runtime keeps). */
static void try_complete(prog_t *p, int k) {
  if (p->acc[k].done_at != INT32_MAX) return;
  for (int e = 0; e < p->nedges; e++)
    if (p->edges[e].to == k && p->acc[p->edges[e].from].done_at == INT32_MAX)
      return;
  p->acc[k].done_at = p->nbatch;
}

/* Runs one program; returns 0 or prints what failed and returns -1. */
static int run_program(const params_t *pa, uint64_t seed, const char *name) {
  prog_t *p = calloc(1, sizeof(*p));
  assert_non_null(p);
  p->rng = seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
  if (!p->rng) p->rng = 1;
  p->ndim = 1 + rndi(p, 4);
  p->permille_wide = pa->permille_wide;
  p->scale = pa->scale;
  p->permille_big = pa->permille_big;
  for (int d = 0; d < p->ndim; d++) p->ext[d] = 1 + rndi(p, p->ndim == 1 ? 24 : 10);
  grt_dg_t *dg = grt__dg_create(p->ndim);
  assert_non_null(dg);
  int nops = 0;
  int rc_fail = 0;
  int nfail = 0;

  while (p->nacc < MAX_ACC - MAX_BATCH) {
    int nb = 1 + rndi(p, pa->max_batch);
    grt_dg_access_t a[MAX_BATCH];
    p->base = p->nacc;
    p->nnew = nb;
    for (int i = 0; i < nb; i++) {
      acc_t *x = &p->acc[p->nacc + i];
      int pr = rndi(p, 20);
      x->priv = pr < 7 ? GRT_DG_READ : pr < 12 ? GRT_DG_WRITE
              : pr < 14 ? GRT_DG_READ_WRITE : GRT_DG_REDUCE;
      x->redop = x->priv == GRT_DG_REDUCE ? (rndi(p, 3) ? 0 : 1 + rndi(p, 2)) : 0;
      x->nrects = rndi(p, 30) == 0 ? 0 : 1 + rndi(p, pa->max_rects);
      for (int j = 0; j < x->nrects; j++) gen_rect(p, &x->rects[j]);
      if (nb == 1 && rndi(p, 60) == 0) { /* overwrite everything */
        x->priv = GRT_DG_WRITE;
        x->nrects = 1;
        x->rects[0].ndim = p->ndim;
        const int64_t far = p->permille_wide ? INT64_C(1) << 41
                            : p->scale || p->permille_big ? INT64_C(1) << 24
                                                          : 1000;
        for (int d = 0; d < p->ndim; d++) {
          x->rects[0].lo[d] = -far;
          x->rects[0].hi[d] = far;
        }
      }
      x->batch = p->nbatch;
      x->done_at = INT32_MAX;
      a[i].id = ID_OF(p->nacc + i);
      a[i].priv = (grt_dg_priv_t)x->priv;
      a[i].redop = x->redop;
      a[i].rects = x->rects;
      a[i].nrects = x->nrects;
    }
    int edges_before = p->nedges;
    size_t live_before = grt__dg_live(dg);
    int inject = pa->pct_fail && rndi(p, 100) < pa->pct_fail;
    if (inject) grt__dg_debug_fail_alloc(dg, 1 + rndi(p, 12));
    int rc = grt__dg_add(dg, a, nb, on_edge, p);
    grt__dg_debug_fail_alloc(dg, 0);
    if (p->bad_i) {
      print_error("%s: edge with a bad access index, GRT_SEED=%llu\n", name,
                  (unsigned long long)seed);
      rc_fail = 1;
      break;
    }
    if (rc == -2 && inject) {
      /* Undone: forget the batch and its edges; nothing may have changed. */
      nfail++;
      p->nedges = edges_before;
      if (grt__dg_live(dg) != live_before) {
        print_error("%s: live %zu -> %zu after a failed add, GRT_SEED=%llu\n",
                    name, live_before, grt__dg_live(dg), (unsigned long long)seed);
        rc_fail = 1;
        break;
      }
      continue;
    }
    if (rc != 0) {
      print_error("%s: grt__dg_add returned %d, GRT_SEED=%llu\n", name, rc,
                  (unsigned long long)seed);
      rc_fail = 1;
      break;
    }
    if (nb == 1 && p->acc[p->base].priv == GRT_DG_WRITE &&
        p->acc[p->base].nrects == 1 && p->acc[p->base].rects[0].lo[0] == -1000 &&
        grt__dg_live(dg) != 1) {
      /* A write over everything must retire every other entry. */
      print_error("%s: %zu live entries after a whole-store write, GRT_SEED=%llu\n",
                  name, grt__dg_live(dg), (unsigned long long)seed);
      rc_fail = 1;
      break;
    }
    p->nacc += nb;
    p->nbatch++;
    nops++;

    if (rndi(p, 100) < pa->pct_complete) {
      int tries = 1 + rndi(p, 6);
      for (int t = 0; t < tries; t++) try_complete(p, rndi(p, p->nacc));
    }
    if (rndi(p, 100) < pa->pct_prune) grt__dg_prune(dg, on_done, p);
  }

  if (!rc_fail) {
    /* Precision, and at most one edge per (later, earlier) pair. */
    int n = p->nacc;
    size_t words = (MAX_ACC + 63) / 64;
    p->reach = calloc((size_t)n * words, sizeof(uint64_t));
    p->seen = calloc((size_t)n * (size_t)n, sizeof(int));
    assert_non_null(p->reach);
    assert_non_null(p->seen);
    for (int e = 0; e < p->nedges && !rc_fail; e++) {
      int f = p->edges[e].from, t = p->edges[e].to;
      if (f < 0 || f >= n || p->acc[f].batch >= p->acc[t].batch ||
          !conflict(&p->acc[f], &p->acc[t])) {
        print_error("%s: imprecise edge %d -> %d, GRT_SEED=%llu\n", name, f, t,
                    (unsigned long long)seed);
        rc_fail = 1;
      } else if (p->seen[(size_t)t * (size_t)n + (size_t)f]++) {
        print_error("%s: edge %d -> %d reported twice, GRT_SEED=%llu\n", name, f,
                    t, (unsigned long long)seed);
        rc_fail = 1;
      }
    }
    /* Transitive closure: edges go from earlier to later indices. */
    for (int t = 0; t < n && !rc_fail; t++) {
      uint64_t *rt = p->reach + (size_t)t * words;
      for (int f = 0; f < t; f++) {
        if (!p->seen[(size_t)t * (size_t)n + (size_t)f]) continue;
        const uint64_t *rf = p->reach + (size_t)f * words;
        for (size_t w = 0; w < words; w++) rt[w] |= rf[w];
        rt[f / 64] |= UINT64_C(1) << (f % 64);
      }
    }
    /* Soundness. */
    for (int t = 0; t < n && !rc_fail; t++) {
      const uint64_t *rt = p->reach + (size_t)t * words;
      for (int f = 0; f < t && !rc_fail; f++) {
        if (p->acc[f].batch == p->acc[t].batch) continue;
        if (p->acc[f].done_at <= p->acc[t].batch) continue; /* done before t */
        if (!conflict(&p->acc[f], &p->acc[t])) continue;
        if (!(rt[f / 64] >> (f % 64) & 1)) {
          print_error("%s: unordered conflict %d -> %d (ndim %d), GRT_SEED=%llu\n",
                      name, f, t, p->ndim, (unsigned long long)seed);
          rc_fail = 1;
        }
      }
    }
  }
  if (pa->pct_fail && !rc_fail && nfail == 0 && p->nbatch > 50) {
    /* Not an error by itself, but the case would test nothing: flag it. */
    print_error("%s: no injected failure hit, GRT_SEED=%llu\n", name,
                (unsigned long long)seed);
    rc_fail = 1;
  }

  int nacc = p->nacc;
  grt__dg_destroy(dg);
  free(p->edges);
  free(p->reach);
  free(p->seen);
  free(p);
  (void)nops;
  return rc_fail ? -1 : nacc;
}

static long total_accesses;

static void run_case(const params_t *pa, uint64_t base, const char *name) {
  const char *s = getenv("GRT_SEED");
  if (s && *s) {
    uint64_t seed = strtoull(s, NULL, 0);
    assert_true(run_program(pa, seed, name) >= 0);
    return;
  }
  int nprogs = pa->nprogs;
  const char *sh = getenv("GRT_TEST_SHORT");
  if (sh && *sh && strcmp(sh, "0") != 0) nprogs = nprogs / 10 + 1;
  int failures = 0;
  for (int i = 0; i < nprogs; i++) {
    uint64_t seed = base * 1000003u + (uint64_t)i;
    int got = run_program(pa, seed, name);
    if (got < 0 && ++failures >= 3) break;
    if (got > 0) total_accesses += got;
  }
  assert_int_equal(failures, 0);
}

static void test_depgraph_oracle_single(void **state) {
  (void)state;
  params_t pa = {.nprogs = 120, .max_batch = 1, .max_rects = 1,
                 .pct_complete = 20, .pct_prune = 5};
  run_case(&pa, 1, "single");
}

static void test_depgraph_oracle_multirect(void **state) {
  (void)state;
  params_t pa = {.nprogs = 60, .max_batch = 1, .max_rects = 4,
                 .pct_complete = 20, .pct_prune = 5};
  run_case(&pa, 2, "multirect");
}

static void test_depgraph_oracle_batches(void **state) {
  (void)state;
  params_t pa = {.nprogs = 60, .max_batch = MAX_BATCH, .max_rects = 3,
                 .pct_complete = 25, .pct_prune = 8};
  run_case(&pa, 3, "batches");
}

static void test_depgraph_oracle_prune_heavy(void **state) {
  (void)state;
  params_t pa = {.nprogs = 60, .max_batch = 4, .max_rects = 2,
                 .pct_complete = 90, .pct_prune = 50};
  run_case(&pa, 4, "prune_heavy");
}

static void test_depgraph_oracle_alloc_failure(void **state) {
  (void)state;
  params_t pa = {.nprogs = 40, .max_batch = 4, .max_rects = 3,
                 .pct_complete = 20, .pct_prune = 5, .pct_fail = 30};
  run_case(&pa, 5, "alloc_failure");
}

static void test_depgraph_oracle_wide(void **state) {
  (void)state;
  /* narrow (32-bit) trees that widen mid-program, some under injected
   * allocation failures */
  params_t pa = {.nprogs = 60, .max_batch = 4, .max_rects = 2,
                 .pct_complete = 20, .pct_prune = 5, .pct_fail = 30,
                 .permille_wide = 4};
  run_case(&pa, 6, "wide");
}

static void test_depgraph_oracle_spread(void **state) {
  (void)state;
  /* coordinates up to ~60000 apart (cells of 2500, edges sometimes off by
   * one) and some pieces ~2^20 long, in narrow trees: the other cases use
   * stores of at most 24 points a side */
  params_t pa = {.nprogs = 60, .max_batch = 4, .max_rects = 2,
                 .pct_complete = 20, .pct_prune = 5, .pct_fail = 10,
                 .scale = 2500, .permille_big = 15};
  run_case(&pa, 7, "spread");
}

static void test_depgraph_oracle_volume(void **state) {
  (void)state;
  /* The cases above ran at least 10^5 random accesses in total. */
  const char *sh = getenv("GRT_TEST_SHORT");
  const char *s = getenv("GRT_SEED");
  if ((sh && *sh && strcmp(sh, "0") != 0) || (s && *s)) skip();
  assert_true(total_accesses >= 100000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_depgraph_oracle_single),
      cmocka_unit_test(test_depgraph_oracle_multirect),
      cmocka_unit_test(test_depgraph_oracle_batches),
      cmocka_unit_test(test_depgraph_oracle_prune_heavy),
      cmocka_unit_test(test_depgraph_oracle_alloc_failure),
      cmocka_unit_test(test_depgraph_oracle_wide),
      cmocka_unit_test(test_depgraph_oracle_spread),
      cmocka_unit_test(test_depgraph_oracle_volume),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
