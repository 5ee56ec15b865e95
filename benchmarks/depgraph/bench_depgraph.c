/* bench_depgraph.c - dependence-analyzer throughput against a list scan.
 *
 * For n = 10^2 .. 10^6 live entries it measures accesses per second of the
 * analyzer (variant grt) and of a plain list-scan analyzer with the same
 * semantics (variant listscan: every query scans every live piece, writes
 * trim and retire the same way), in the same run, on two patterns:
 *   random  - a 2-D root tiled into n cells, all written once (the live
 *             background, never completed); then accesses on random
 *             cell-aligned 1x1..2x2-cell boxes with random privileges;
 *   stencil - a 2-D root of n tiles; iterations of "read tile + 1-point halo"
 *             for every tile, then "write tile" for every tile (one access per
 *             call, as the runtime adds point tasks of a Jacobi sweep).
 * Stream reads and reductions complete after a window of later accesses
 * (1024 for random, 2n -- a whole read+write sweep pair -- for stencil);
 * writes stay live (the frontier), so live stays near n. Pruning
 * (time included) runs every max(1024, live/4) accesses, since its cost is
 * O(live), the first time that many accesses after the background.
 * Output: CSV rows case,variant,ranks,metric,value,unit on stdout.
 * --quick stops at n = 10^5 (list scan at 10^4) with shorter timings; the
 * full run measures the list scan up to 10^6 (one block of 1024 accesses
 * there);
 * --no-baseline skips the list scan; --pattern P and --n N run one case;
 * --accesses K runs exactly K stream accesses (repeatable callgrind counts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depgraph.h"

#define WINDOW 1024

/* The timed regions use this thread's CPU time: the build machine is shared
 * (load average often above its 2 vCPUs), and wall time would count the
 * time the thread waits for a core. The wall time is reported too. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* ---- the list-scan baseline ------------------------------------------ */

typedef struct {
  grt_rect_t r;
  uint64_t id;
  int cls, redop;
} ls_entry_t;

typedef struct {
  ls_entry_t *e;
  size_t n, cap;
  ls_entry_t *tmp;
  size_t ntmp, captmp;
  uint64_t *stamp; /* per id (ids are dense here) */
  size_t nstamp;
  uint64_t serial;
} listscan_t;

static int cls_of(grt_dg_priv_t p) {
  return p == GRT_DG_READ ? 0 : p == GRT_DG_REDUCE ? 2 : 1;
}

static void ls_push(ls_entry_t **v, size_t *n, size_t *cap, const ls_entry_t *x) {
  if (*n == *cap) {
    *cap = *cap ? 2 * *cap : 1024;
    *v = realloc(*v, *cap * sizeof(**v));
    if (!*v) abort();
  }
  (*v)[(*n)++] = *x;
}

static void ls_add(listscan_t *ls, const grt_dg_access_t *a, grt_dg_edge_fn edge,
                   void *ctx) {
  int cls = cls_of(a->priv);
  if (a->id >= ls->nstamp) {
    size_t m = ls->nstamp ? ls->nstamp : 1024;
    while (m <= a->id) m *= 2;
    ls->stamp = realloc(ls->stamp, m * sizeof(uint64_t));
    if (!ls->stamp) abort();
    memset(ls->stamp + ls->nstamp, 0, (m - ls->nstamp) * sizeof(uint64_t));
    ls->nstamp = m;
  }
  ls->serial++;
  const grt_rect_t *q = &a->rects[0];
  for (size_t k = 0; k < ls->n; k++) {
    ls_entry_t *x = &ls->e[k];
    if (!grt_rect_overlaps(&x->r, q)) continue;
    int c = cls == 1 || (cls == 0 && x->cls != 0) ||
            (cls == 2 && (x->cls != 2 || x->redop != a->redop));
    if (c && ls->stamp[x->id] != ls->serial) {
      ls->stamp[x->id] = ls->serial;
      edge(ctx, 0, x->id);
    }
  }
  if (cls == 1) { /* retire and trim */
    ls->ntmp = 0;
    size_t w = 0;
    for (size_t k = 0; k < ls->n; k++) {
      ls_entry_t x = ls->e[k];
      if (!grt_rect_overlaps(&x.r, q)) {
        ls->e[w++] = x;
        continue;
      }
      for (int d = 0; d < q->ndim; d++) {
        if (x.r.lo[d] < q->lo[d]) {
          ls_entry_t y = x;
          y.r.hi[d] = q->lo[d] - 1;
          ls_push(&ls->tmp, &ls->ntmp, &ls->captmp, &y);
          x.r.lo[d] = q->lo[d];
        }
        if (x.r.hi[d] > q->hi[d]) {
          ls_entry_t y = x;
          y.r.lo[d] = q->hi[d] + 1;
          ls_push(&ls->tmp, &ls->ntmp, &ls->captmp, &y);
          x.r.hi[d] = q->hi[d];
        }
      }
    }
    ls->n = w;
    for (size_t k = 0; k < ls->ntmp; k++) ls_push(&ls->e, &ls->n, &ls->cap, &ls->tmp[k]);
  }
  ls_entry_t y = {.r = *q, .id = a->id, .cls = cls, .redop = a->redop};
  ls_push(&ls->e, &ls->n, &ls->cap, &y);
}

static void ls_prune(listscan_t *ls, grt_dg_done_fn done, void *ctx) {
  size_t w = 0;
  for (size_t k = 0; k < ls->n; k++)
    if (!done(ctx, ls->e[k].id)) ls->e[w++] = ls->e[k];
  ls->n = w;
}

static void ls_free(listscan_t *ls) {
  free(ls->e);
  free(ls->tmp);
  free(ls->stamp);
}

/* ---- workload ---------------------------------------------------------- */

typedef struct {
  uint64_t edges;
  uint64_t window;       /* stream reads complete this many accesses later */
  uint64_t stream_base;  /* first stream id; ids below are the background */
  uint64_t done_below;   /* stream ids below this are complete */
  unsigned char *is_write; /* bit per id: writers stay live as the last writer
                            * (bits, so that done() stays cheap next to the
                            * analyzer: at 10^6 a byte per id was 4 MB of
                            * small pages that pruning read at random) */
  size_t nids;
} sink_t;

static void on_edge(void *ctx, int i, uint64_t id) {
  sink_t *s = ctx;
  (void)i;
  (void)id;
  s->edges++;
}

static int on_done(void *ctx, uint64_t id) {
  sink_t *s = ctx;
  /* Reads and reductions complete after the window; writes stay live as
   * the frontier (like the background), so live stays near n. */
  return id >= s->stream_base && id < s->done_below && !(s->is_write[id >> 3] >> (id & 7) & 1);
}

typedef struct {
  grt_dg_t *dg;
  listscan_t *ls;
  sink_t sink;
} analyzer_t;

static void an_add(analyzer_t *an, const grt_dg_access_t *a) {
  if (an->dg) {
    if (grt__dg_add(an->dg, a, 1, on_edge, &an->sink) != 0) {
      fprintf(stderr, "grt__dg_add failed\n");
      exit(1);
    }
  } else {
    ls_add(an->ls, a, on_edge, &an->sink);
  }
}

static void an_prune(analyzer_t *an) {
  if (an->dg)
    grt__dg_prune(an->dg, on_done, &an->sink);
  else
    ls_prune(an->ls, on_done, &an->sink);
}

static size_t an_live(analyzer_t *an) {
  return an->dg ? grt__dg_live(an->dg) : an->ls->n;
}

enum { PAT_RANDOM, PAT_STENCIL };

typedef struct {
  double aps, ns, wall_ns, prune_ns, live_start, live_end, live_mean;
  uint64_t edges, accesses;
} result_t;

static int64_t isqrt_ceil(int64_t n) {
  int64_t s = 1;
  while (s * s < n) s++;
  return s;
}

/* Builds a background of about n live entries, then runs stream accesses for
 * at least min_s seconds (and at least min_acc accesses) or until max_acc. */
static result_t run(int pat, int64_t n, int use_grt, double min_s, long min_acc,
                    long max_acc) {
  const int64_t C = 8; /* cell / tile edge */
  int64_t g = isqrt_ceil(n);
  analyzer_t an = {0};
  listscan_t ls = {0};
  if (use_grt)
    an.dg = grt__dg_create(2);
  else
    an.ls = &ls;
  rng_state = 88172645463325252ull + (uint64_t)n;
  uint64_t id = 1;
  grt_rect_t r = {.ndim = 2};
  grt_dg_access_t a = {.rects = &r, .nrects = 1};
  /* Background: n cells/tiles written once, never completed. */
  for (int64_t t = 0; t < n; t++) {
    int64_t x = t % g, y = t / g;
    r.lo[0] = x * C;
    r.hi[0] = x * C + C - 1;
    r.lo[1] = y * C;
    r.hi[1] = y * C + C - 1;
    a.id = id++;
    a.priv = GRT_DG_WRITE;
    if (use_grt) {
      an_add(&an, &a);
    } else { /* disjoint writes find nothing: the list is just these cells
              * (adding them one by one would cost n^2 / 2 overlap tests) */
      ls_entry_t cell = {.r = r, .id = a.id, .cls = 1, .redop = 0};
      ls_push(&ls.e, &ls.n, &ls.cap, &cell);
    }
  }
  an.sink.stream_base = id;
  /* random: a fixed window of in-flight accesses; stencil: one sweep pair
   * (reads then writes of every tile) in flight, so the writes of a sweep
   * always find the reads of that sweep, at every n. */
  an.sink.window = pat == PAT_STENCIL ? (uint64_t)(2 * n) : WINDOW;
  an.sink.done_below = id;
  result_t res = {0};
  res.live_start = (double)an_live(&an);
  uint64_t edges0 = an.sink.edges;
  /* the first prune after as many accesses as the later ones (one right
   * after the background would find nothing done, and cost O(live)) */
  const size_t live0 = an_live(&an);
  long k = 0, next_prune = live0 / 4 > WINDOW ? (long)(live0 / 4) : WINDOW;
  int64_t tile = 0;
  int phase = 0;
  /* The stream is generated a block at a time outside the timed region, so
   * only the analyzer's work (adds and prunes) is timed. */
  grt_rect_t rb[WINDOW];
  grt_dg_priv_t pb[WINDOW];
  int ob[WINDOW];
  double elapsed = 0, welapsed = 0, pelapsed = 0, live_sum = 0;
  long nsamples = 0;
  for (;;) {
    if (id + WINDOW >= an.sink.nids) {
      size_t m = 2 * an.sink.nids + 1024;
      while (m <= id + WINDOW) m *= 2;
      an.sink.is_write = realloc(an.sink.is_write, (m + 7) / 8);
      if (!an.sink.is_write) abort();
      an.sink.nids = m;
    }
    for (int b = 0; b < WINDOW; b++) {
      grt_rect_t *q = &rb[b];
      q->ndim = 2;
      if (pat == PAT_RANDOM) {
        /* Writes cover exactly one cell, so the writers stay a tiling of the
         * n cells and the live count stays n plus the in-flight reads and
         * reductions (1..2 x 1..2 cells). */
        unsigned p = (unsigned)(rnd() % 20);
        pb[b] = p < 8 ? GRT_DG_READ : p < 16 ? GRT_DG_WRITE : GRT_DG_REDUCE;
        ob[b] = (int)(rnd() % 2);
        int64_t w = 1, h = 1;
        if (pb[b] != GRT_DG_WRITE) {
          w = 1 + (int64_t)(rnd() % 2);
          h = 1 + (int64_t)(rnd() % 2);
        }
        int64_t x = (int64_t)(rnd() % (uint64_t)(g - w + 1 > 0 ? g - w + 1 : 1));
        int64_t rows = (n + g - 1) / g;
        int64_t y = (int64_t)(rnd() % (uint64_t)(rows - h + 1 > 0 ? rows - h + 1 : 1));
        q->lo[0] = x * C;
        q->hi[0] = (x + w) * C - 1;
        q->lo[1] = y * C;
        q->hi[1] = (y + h) * C - 1;
      } else {
        int64_t x = tile % g, y = tile / g;
        if (phase == 0) { /* read the tile and a 1-point halo */
          q->lo[0] = x * C - 1;
          q->hi[0] = x * C + C;
          q->lo[1] = y * C - 1;
          q->hi[1] = y * C + C;
          pb[b] = GRT_DG_READ;
        } else {
          q->lo[0] = x * C;
          q->hi[0] = x * C + C - 1;
          q->lo[1] = y * C;
          q->hi[1] = y * C + C - 1;
          pb[b] = GRT_DG_WRITE;
        }
        ob[b] = 0;
        if (++tile == n) {
          tile = 0;
          phase ^= 1;
        }
      }
      const uint64_t wid = id + (uint64_t)b;
      const unsigned char bit = (unsigned char)(1u << (wid & 7));
      if (pb[b] == GRT_DG_WRITE)
        an.sink.is_write[wid >> 3] |= bit;
      else
        an.sink.is_write[wid >> 3] &= (unsigned char)~bit;
    }
    double ts = now(), tw = wall();
    for (int b = 0; b < WINDOW; b++) {
      a.id = id++;
      a.rects = &rb[b];
      a.priv = pb[b];
      a.redop = ob[b];
      an_add(&an, &a);
    }
    k += WINDOW;
    /* Prune is O(live): do it when garbage may be a quarter of live, so
     * its cost per access stays constant (what a runtime should do). */
    if (k >= next_prune) {
      an.sink.done_below = id > an.sink.window ? id - an.sink.window : 0;
      double tp = now();
      an_prune(&an);
      pelapsed += now() - tp;
      size_t lv = an_live(&an);
      next_prune = k + (lv / 4 > WINDOW ? (long)(lv / 4) : WINDOW);
    }
    elapsed += now() - ts;
    welapsed += wall() - tw;
    live_sum += (double)an_live(&an);
    nsamples++;
    if ((min_s >= 0 && elapsed >= min_s && k >= min_acc) || k >= max_acc) break;
  }
  res.accesses = (uint64_t)k;
  res.aps = (double)k / elapsed;
  res.ns = 1e9 * elapsed / (double)k;
  res.wall_ns = 1e9 * welapsed / (double)k;
  res.prune_ns = 1e9 * pelapsed / (double)k;
  res.live_mean = live_sum / (double)nsamples;
  res.live_end = (double)an_live(&an);
  res.edges = an.sink.edges - edges0;
  grt__dg_destroy(an.dg);
  ls_free(&ls);
  free(an.sink.is_write);
  return res;
}

static void row(const char *c, const char *v, const char *m, double x,
                const char *u) {
  printf("%s,%s,1,%s,%.4g,%s\n", c, v, m, x, u);
}

int main(int argc, char **argv) {
  int quick = 0, baseline = 1, only_pat = -1;
  long long only_n = 0;
  long fixed = 0; /* --accesses: a fixed stream length (for callgrind) */
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--quick"))
      quick = 1;
    else if (!strcmp(argv[i], "--no-baseline"))
      baseline = 0;
    else if (!strcmp(argv[i], "--pattern") && i + 1 < argc) {
      i++;
      only_pat = !strcmp(argv[i], "random") ? 0 : !strcmp(argv[i], "stencil") ? 1 : -2;
      if (only_pat == -2) return 2;
    } else if (!strcmp(argv[i], "--n") && i + 1 < argc)
      only_n = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--accesses") && i + 1 < argc)
      fixed = atol(argv[++i]);
    else {
      fprintf(stderr,
              "usage: %s [--quick] [--no-baseline] [--pattern random|stencil] [--n N]"
              " [--accesses K]\n",
              argv[0]);
      return 2;
    }
  }
  const int64_t ns[] = {100, 1000, 10000, 100000, 1000000};
  int nn = quick ? 4 : 5;
  int64_t ls_cap = quick ? 10000 : 1000000;
  double min_s = quick ? 0.25 : 1.0;
  double ls_min_s = quick ? 0.25 : 0.5;
  const char *pats[] = {"random", "stencil"};
  double grt_ns[2][5] = {{0}};
  double grt_aps[2][5] = {{0}};

  printf("case,variant,ranks,metric,value,unit\n");
  for (int p = 0; p < 2; p++) {
    if (only_pat >= 0 && p != only_pat) continue;
    for (int i = 0; i < nn; i++) {
      if (only_n && ns[i] != only_n) continue;
      char cs[64];
      snprintf(cs, sizeof cs, "depgraph_%s_n%lld", pats[p], (long long)ns[i]);
      /* stencil: at least one whole read+write sweep pair */
      long min_acc = p == PAT_STENCIL ? (long)(2 * ns[i]) : 4 * WINDOW;
      result_t g = fixed ? run(p, ns[i], 1, -1.0, 0, fixed)
                         : run(p, ns[i], 1, min_s, min_acc, 100000000);
      grt_ns[p][i] = g.ns;
      grt_aps[p][i] = g.aps;
      row(cs, "grt", "accesses_per_s", g.aps, "1/s");
      row(cs, "grt", "ns_per_access", g.ns, "ns");
      row(cs, "grt", "wall_ns_per_access", g.wall_ns, "ns");
      row(cs, "grt", "prune_ns_per_access", g.prune_ns, "ns");
      row(cs, "grt", "accesses_measured", (double)g.accesses, "accesses");
      row(cs, "grt", "live_entries_start", g.live_start, "entries");
      row(cs, "grt", "live_entries_end", g.live_end, "entries");
      row(cs, "grt", "live_entries_mean", g.live_mean, "entries");
      row(cs, "grt", "edges_per_access", (double)g.edges / (double)g.accesses,
          "edges");
      if (baseline && ns[i] <= ls_cap) {
        /* The list scan runs a prefix of the same access stream (it is too
         * slow for whole sweeps at large n); grt is timed again on exactly
         * that prefix for the ratio, and both must find the same edges. */
        /* at 10^6 one block of the stream (a few ms an access) */
        long ls_min_acc = ns[i] >= 1000000 ? WINDOW : 4 * WINDOW;
        result_t l = run(p, ns[i], 0, ls_min_s, ls_min_acc, (long)g.accesses);
        result_t g2 = run(p, ns[i], 1, -1.0, 0, (long)l.accesses);
        row(cs, "listscan", "accesses_per_s", l.aps, "1/s");
        row(cs, "listscan", "ns_per_access", l.ns, "ns");
        row(cs, "listscan", "accesses_measured", (double)l.accesses, "accesses");
        row(cs, "grt", "ns_per_access_same_prefix", g2.ns, "ns");
        row(cs, "grt", "speedup_vs_listscan", l.ns / g2.ns, "x");
        if (g2.edges != l.edges)
          fprintf(stderr, "MISMATCH %s: grt %llu edges, listscan %llu\n", cs,
                  (unsigned long long)g2.edges, (unsigned long long)l.edges);
        row(cs, "grt", "edges_match_listscan", g2.edges == l.edges, "bool");
      } else {
        if (baseline) {
          fprintf(stderr, "%s: listscan skipped (n > %lld: too slow)\n", cs,
                  (long long)ls_cap);
          row(cs, "listscan", "skipped_too_slow", 1, "bool");
        }
      }
      fflush(stdout);
    }
  }
  /* The two targets of issue 3, for each pattern. */
  for (int p = 0; p < 2; p++) {
    char cs[64];
    snprintf(cs, sizeof cs, "depgraph_%s_target", pats[p]);
    row(cs, "grt", "accesses_per_s_at_n10000", grt_aps[p][2], "1/s");
    row(cs, "grt", "target_5e6_at_n10000_met", grt_aps[p][2] >= 5e6, "bool");
    if (nn == 5) {
      double ratio = grt_ns[p][4] / grt_ns[p][1];
      row(cs, "grt", "cost_ratio_n1e6_vs_n1e3", ratio, "x");
      row(cs, "grt", "target_ratio_le_3_met", ratio <= 3.0, "bool");
    } else {
      double ratio = grt_ns[p][3] / grt_ns[p][1];
      row(cs, "grt", "cost_ratio_n1e5_vs_n1e3", ratio, "x");
    }
  }
  return 0;
}
