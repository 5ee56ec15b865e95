/* test_oracle.c - random programs on the runtime vs a plain sequential reference.
 *
 * Each program makes a few int64 root stores, views of them (slices,
 * transposes, projections), and runs a random sequence of launches with
 * every privilege (including store reductions and halo reads), fills,
 * copies, maps (reading and writing), and futures, and launches whose
 * arguments are views of one root (overlapping slices, transposes, the
 * same view): the reference reads every input in full before writing,
 * as a launch must behave. The same program is replayed on host arrays; the stores must match bitwise after every map and
 * at the end. Each program runs on 1, 2 and 3 CPU workers. Set GRT_SEED to
 * replay one program, GRT_PROGRAMS to change the count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grt.h"
#include "rt_test.h"

enum { T_MAP2 = 1, T_UPDATE, T_ACC, T_HIST, T_SUM, T_STENCIL, T_AXPY };

/* ---- task bodies (1-D or 2-D buffers, any strides) ---- */

static int64_t *at(const grt_buffer_t *b, int64_t i, int64_t j) {
  int64_t off = (i - b->lo[0]) * b->stride[0];
  if (b->ndim == 2) off += (j - b->lo[1]) * b->stride[1];
  return (int64_t *)b->ptr + off;
}

#define FOR_EACH(b, i, j)                                                       \
  for (int64_t i = (b).lo[0]; i <= (b).hi[0]; i++)                             \
    for (int64_t j = (b).ndim == 2 ? (b).lo[1] : 0; j <= ((b).ndim == 2 ? (b).hi[1] : 0); j++)

static int64_t g(int64_t x, int64_t k, int64_t c) { return (int64_t)((uint64_t)x * (uint64_t)k + (uint64_t)c); }

/* out = in * k + c */
static void check_rank(grt_task_context_t *ctx);

static void map2(grt_task_context_t *ctx) {
  check_rank(ctx);
  grt_buffer_t o, in;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &in);
  int64_t k = *(const int64_t *)grt_task_scalar(ctx, 0), c = *(const int64_t *)grt_task_scalar(ctx, 1);
  FOR_EACH(o, i, j) *at(&o, i, j) = g(*at(&in, i, j), k, c);
}

/* Some programs shard points with a mapper: cyclic with an offset, so
 * consecutive points land on different ranks. Every task checks that it runs
 * on the rank its point was given. */
static grt_runtime_t *g_rt;
static bool g_cyclic;

static int cyclic_shard(void *data, int task_id, int ndim, const int64_t *point,
                        const int64_t *shape, int nranks) {
  (void)data, (void)task_id;
  int64_t p = 0;
  for (int d = 0; d < ndim; d++) p = p * shape[d] + point[d];
  return (int)((p * 7 + 3) % nranks);
}

static void check_rank(grt_task_context_t *ctx) {
  int64_t point[GRT_MAX_DIM], shape[GRT_MAX_DIM];
  int nd = grt_task_point(ctx, point);
  grt_task_launch_shape(ctx, shape);
  int n = grt_num_ranks(g_rt), want = 0;
  if (n > 1) {
    int64_t p = 0, np = 1;
    for (int d = 0; d < nd; d++) {
      p = p * shape[d] + point[d];
      np *= shape[d];
    }
    want = g_cyclic ? cyclic_shard(NULL, 0, nd, point, shape, n) : (int)(p * n / np);
  }
  if (want != grt_rank(g_rt)) grt_task_fail(ctx, "point ran on the wrong rank");
}

/* x = x * k + c */
static void update(grt_task_context_t *ctx) {
  check_rank(ctx);
  grt_buffer_t x;
  grt_task_arg(ctx, 0, &x);
  int64_t k = *(const int64_t *)grt_task_scalar(ctx, 0), c = *(const int64_t *)grt_task_scalar(ctx, 1);
  FOR_EACH(x, i, j) *at(&x, i, j) = g(*at(&x, i, j), k, c);
}

/* x = x * k + in (arg 0 inout, arg 1 input aligned with it) */
static void axpy(grt_task_context_t *ctx) {
  check_rank(ctx);
  grt_buffer_t x, in;
  grt_task_arg(ctx, 0, &x);
  grt_task_arg(ctx, 1, &in);
  int64_t k = *(const int64_t *)grt_task_scalar(ctx, 0);
  FOR_EACH(x, i, j) *at(&x, i, j) = (int64_t)((uint64_t)g(*at(&x, i, j), k, 0) + (uint64_t)*at(&in, i, j));
}

/* red (+)= in * k */
static void acc(grt_task_context_t *ctx) {
  grt_buffer_t r, in;
  grt_task_arg(ctx, 0, &r);
  grt_task_arg(ctx, 1, &in);
  int64_t k = *(const int64_t *)grt_task_scalar(ctx, 0);
  FOR_EACH(r, i, j) *at(&r, i, j) = (int64_t)((uint64_t)*at(&r, i, j) + (uint64_t)g(*at(&in, i, j), k, 0));
}

/* hist[v mod n] += 1 for every v of in; hist is a 1-D broadcast reduction */
static void hist(grt_task_context_t *ctx) {
  grt_buffer_t in, h;
  grt_task_arg(ctx, 0, &in);
  grt_task_arg(ctx, 1, &h);
  int64_t n = h.hi[0] - h.lo[0] + 1;
  FOR_EACH(in, i, j) {
    int64_t v = *at(&in, i, j);
    int64_t b = (int64_t)((uint64_t)v % (uint64_t)n);
    *at(&h, h.lo[0] + b, 0) += 1;
  }
}

static void sum(grt_task_context_t *ctx) {
  grt_buffer_t in;
  grt_task_arg(ctx, 0, &in);
  uint64_t s = 0;
  FOR_EACH(in, i, j) s += (uint64_t)*at(&in, i, j);
  int64_t r = (int64_t)s;
  grt_task_return(ctx, &r, sizeof r);
}

/* out[i] = in[i-1] + 2*in[i] + 3*in[i+1] (1-D; missing neighbours count 0);
 * arg 1 is `in` bloated by 1 on both sides, arg 2 is `in` aligned to out. */
static void stencil(grt_task_context_t *ctx) {
  grt_buffer_t o, h;
  grt_task_arg(ctx, 0, &o);
  grt_task_arg(ctx, 1, &h);
  for (int64_t i = o.lo[0]; i <= o.hi[0]; i++) {
    uint64_t v = 2 * (uint64_t)*at(&h, i, 0);
    if (i - 1 >= h.lo[0]) v += (uint64_t)*at(&h, i - 1, 0);
    if (i + 1 <= h.hi[0]) v += 3 * (uint64_t)*at(&h, i + 1, 0);
    *at(&o, i, 0) = (int64_t)v;
  }
}

/* ---- the model: roots as host arrays, views as affine maps ---- */

#define MAXR 4
#define MAXV 24

typedef struct {
  int ndim;
  int64_t shape[2];
  int64_t *ref;       /* the sequential reference */
  grt_store_t *s;
} root_t;

typedef struct {
  int root;
  int ndim;
  int64_t shape[2];
  /* root point = off + sum_j v[j] * unit(rd[j]) */
  int rd[2];
  int64_t off[2];
  grt_store_t *s;
} view_t;

typedef struct {
  uint64_t st;
} rng_t;
static uint64_t rnd(rng_t *r) {
  r->st += 0x9E3779B97F4A7C15ull;
  uint64_t z = r->st;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static int64_t rr(rng_t *r, int64_t lo, int64_t hi) { return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1)); }

static int64_t *ref_at(root_t *roots, const view_t *v, int64_t i, int64_t j) {
  root_t *R = &roots[v->root];
  int64_t p[2] = {v->off[0], v->off[1]};
  p[v->rd[0]] += i;
  if (v->ndim == 2) p[v->rd[1]] += j;
  int64_t lin = R->ndim == 2 ? p[0] * R->shape[1] + p[1] : p[0];
  return &R->ref[lin];
}

#define VFOR(v, i, j)                                                          \
  for (int64_t i = 0; i < (v)->shape[0]; i++)                                  \
    for (int64_t j = 0; j < ((v)->ndim == 2 ? (v)->shape[1] : 1); j++)

/* Makes a view of root r with the wanted shape, if it fits; else -1. */
static int make_view(rng_t *rg, root_t *roots, int r, int ndim, const int64_t *shape, view_t *out) {
  root_t *R = &roots[r];
  memset(out, 0, sizeof *out);
  out->root = r;
  out->ndim = ndim;
  out->shape[0] = shape[0];
  out->shape[1] = ndim == 2 ? shape[1] : 1;
  grt_store_t *cur = NULL, *tmp;
  if (ndim == 2 && R->ndim == 2) {
    bool tr = rnd(rg) & 1;
    int64_t a = tr ? shape[1] : shape[0], b = tr ? shape[0] : shape[1]; /* extents along root dims */
    if (a > R->shape[0] || b > R->shape[1]) {
      tr = !tr;
      a = tr ? shape[1] : shape[0];
      b = tr ? shape[0] : shape[1];
      if (a > R->shape[0] || b > R->shape[1]) return -1;
    }
    int64_t r0 = rr(rg, 0, R->shape[0] - a), c0 = rr(rg, 0, R->shape[1] - b);
    assert_int_equal(grt_store_slice(R->s, 0, r0, r0 + a, &cur), 0);
    assert_int_equal(grt_store_slice(cur, 1, c0, c0 + b, &tmp), 0);
    grt_store_destroy(cur);
    cur = tmp;
    out->off[0] = r0;
    out->off[1] = c0;
    if (tr) {
      assert_int_equal(grt_store_transpose(cur, (int[]){1, 0}, &tmp), 0);
      grt_store_destroy(cur);
      cur = tmp;
      out->rd[0] = 1;
      out->rd[1] = 0;
    } else {
      out->rd[0] = 0;
      out->rd[1] = 1;
    }
  } else if (ndim == 1 && R->ndim == 1) {
    if (shape[0] > R->shape[0]) return -1;
    int64_t s0 = rr(rg, 0, R->shape[0] - shape[0]);
    assert_int_equal(grt_store_slice(R->s, 0, s0, s0 + shape[0], &cur), 0);
    out->off[0] = s0;
    out->rd[0] = 0;
  } else if (ndim == 1 && R->ndim == 2) {
    int keep = (int)(rnd(rg) & 1); /* root dim the view runs along */
    int drop = 1 - keep;
    if (shape[0] > R->shape[keep]) return -1;
    int64_t idx = rr(rg, 0, R->shape[drop] - 1);
    assert_int_equal(grt_store_project(R->s, drop, idx, &tmp), 0);
    int64_t s0 = rr(rg, 0, R->shape[keep] - shape[0]);
    assert_int_equal(grt_store_slice(tmp, 0, s0, s0 + shape[0], &cur), 0);
    grt_store_destroy(tmp);
    out->off[drop] = idx;
    out->off[keep] = s0;
    out->rd[0] = keep;
  } else {
    return -1;
  }
  out->s = cur;
  return 0;
}

/* Picks a shape and two views of it on distinct roots (b may be NULL). */
static int pick_views(rng_t *rg, root_t *roots, int nroots, view_t *a, view_t *b) {
  for (int tries = 0; tries < 20; tries++) {
    int ra = (int)rr(rg, 0, nroots - 1);
    int ndim = roots[ra].ndim == 2 ? (int)rr(rg, 1, 2) : 1;
    int64_t shape[2] = {rr(rg, 1, roots[ra].shape[0]), ndim == 2 ? rr(rg, 1, roots[ra].shape[1]) : 1};
    if (ndim == 1 && roots[ra].ndim == 2) shape[0] = rr(rg, 1, roots[ra].shape[1]);
    if (make_view(rg, roots, ra, ndim, shape, a) < 0) continue;
    if (!b) return 0;
    int rb = (int)rr(rg, 0, nroots - 1);
    if (rb == ra) rb = (ra + 1) % nroots;
    if (rb == ra || make_view(rg, roots, rb, ndim, shape, b) < 0) {
      grt_store_destroy(a->s);
      continue;
    }
    return 0;
  }
  return -1;
}

/* Picks a shape and two views of it on one root (b overlapping a, a
 * transpose of it, or a itself through a second handle, at random). */
static int pick_views_same(rng_t *rg, root_t *roots, int nroots, view_t *a, view_t *b) {
  for (int tries = 0; tries < 20; tries++) {
    int r = (int)rr(rg, 0, nroots - 1);
    int ndim = roots[r].ndim == 2 ? (int)rr(rg, 1, 2) : 1;
    int64_t shape[2] = {rr(rg, 1, roots[r].shape[0]), ndim == 2 ? rr(rg, 1, roots[r].shape[1]) : 1};
    if (ndim == 1 && roots[r].ndim == 2) shape[0] = rr(rg, 1, roots[r].shape[1]);
    if (ndim == 2 && rnd(rg) % 2) { /* square, so that transposes fit more often */
      int64_t m = shape[0] < shape[1] ? shape[0] : shape[1];
      shape[0] = shape[1] = m;
    }
    if (make_view(rg, roots, r, ndim, shape, a) < 0) continue;
    if (rnd(rg) % 4 == 0) { /* the same view, another handle */
      *b = *a;
      assert_int_equal(grt_store_slice(a->s, 0, 0, a->shape[0], &b->s), 0);
      return 0;
    }
    if (make_view(rg, roots, r, ndim, shape, b) < 0) {
      grt_store_destroy(a->s);
      continue;
    }
    return 0;
  }
  return -1;
}

/* The reference's snapshot of a view, read in full before a launch writes. */
static int64_t *snapshot(root_t *roots, const view_t *v) {
  int64_t *s = malloc(sizeof(int64_t) * (size_t)(v->shape[0] * v->shape[1]));
  assert_non_null(s);
  VFOR(v, i, j) s[i * v->shape[1] + j] = *ref_at(roots, v, i, j);
  return s;
}

static void check_all(root_t *roots, int nroots, uint64_t seed, int cpus, int step) {
  for (int r = 0; r < nroots; r++) {
    grt_mapping_t *m;
    assert_int_equal(grt_store_map(roots[r].s, GRT_READ, &m), 0);
    int64_t st[2];
    const int64_t *p = grt_mapping_ptr(m, st);
    int64_t n0 = roots[r].shape[0], n1 = roots[r].ndim == 2 ? roots[r].shape[1] : 1;
    for (int64_t i = 0; i < n0; i++)
      for (int64_t j = 0; j < n1; j++) {
        int64_t got = p[i * st[0] + (roots[r].ndim == 2 ? j * st[1] : 0)];
        int64_t want = roots[r].ref[i * n1 + j];
        if (got != want)
          fail_msg("seed %llu cpus %d step %d: root %d [%lld,%lld] = %lld, reference %lld",
                   (unsigned long long)seed, cpus, step, r, (long long)i, (long long)j,
                   (long long)got, (long long)want);
      }
    assert_int_equal(grt_mapping_unmap(m), 0);
  }
}

static void run_program(uint64_t seed, int cpus) {
  rng_t rg = {seed};
  grt_runtime_t *rt = rt_test_start(cpus, 0);
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "oracle", &lib), 0);
  g_rt = rt;
  g_cyclic = rnd(&rg) % 3 == 0;
  if (g_cyclic) assert_int_equal(grt_library_set_mapper(lib, &(grt_mapper_t){.shard = cyclic_shard}), 0);
  assert_int_equal(grt_task_register(lib, T_MAP2, "map2", &(grt_variants_t){.cpu = map2}), 0);
  assert_int_equal(grt_task_register(lib, T_UPDATE, "update", &(grt_variants_t){.cpu = update}), 0);
  assert_int_equal(grt_task_register(lib, T_ACC, "acc", &(grt_variants_t){.cpu = acc}), 0);
  assert_int_equal(grt_task_register(lib, T_HIST, "hist", &(grt_variants_t){.cpu = hist}), 0);
  assert_int_equal(grt_task_register(lib, T_SUM, "sum", &(grt_variants_t){.cpu = sum}), 0);
  assert_int_equal(grt_task_register(lib, T_STENCIL, "stencil", &(grt_variants_t){.cpu = stencil}), 0);
  assert_int_equal(grt_task_register(lib, T_AXPY, "axpy", &(grt_variants_t){.cpu = axpy}), 0);

  root_t roots[MAXR];
  int nroots = (int)rr(&rg, 2, MAXR);
  for (int r = 0; r < nroots; r++) {
    roots[r].ndim = (int)rr(&rg, 1, 2);
    roots[r].shape[0] = rr(&rg, 1, 24);
    roots[r].shape[1] = roots[r].ndim == 2 ? rr(&rg, 1, 24) : 1;
    int64_t n = roots[r].shape[0] * roots[r].shape[1];
    roots[r].ref = calloc((size_t)n, sizeof(int64_t));
    assert_int_equal(grt_store_create(rt, grt_type_int64(), roots[r].ndim, roots[r].shape, &roots[r].s), 0);
    int64_t init = rr(&rg, -5, 5);
    assert_int_equal(grt_fill(roots[r].s, &init), 0);
    for (int64_t i = 0; i < n; i++) roots[r].ref[i] = init;
  }
  int nops = (int)rr(&rg, 10, 30);
  for (int step = 0; step < nops; step++) {
    int kind = (int)rr(&rg, 0, 13);
    if (getenv("ORACLE_TRACE")) fprintf(stderr, "step %d kind %d\n", step, kind);
    view_t a, b;
    int64_t k = rr(&rg, -3, 3), c = rr(&rg, -100, 100);
    grt_launch_t *l;
    switch (kind) {
    case 0: /* map2: a = b * k + c */
      if (pick_views(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_MAP2, &l), 0);
      assert_int_equal(grt_launch_add_output(l, a.s), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      assert_int_equal(grt_launch_align(l, 0, 1), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &c), 1);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      VFOR(&a, i, j) *ref_at(roots, &a, i, j) = g(*ref_at(roots, &b, i, j), k, c);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    case 1: /* update in place */
      if (pick_views(&rg, roots, nroots, &a, NULL) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_UPDATE, &l), 0);
      assert_int_equal(grt_launch_add_inout(l, a.s), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &c), 1);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      VFOR(&a, i, j) *ref_at(roots, &a, i, j) = g(*ref_at(roots, &a, i, j), k, c);
      grt_store_destroy(a.s);
      break;
    case 2: /* store reduction: a += b * k */
      if (pick_views(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_ACC, &l), 0);
      assert_int_equal(grt_launch_add_reduction(l, a.s, GRT_REDOP_SUM), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      assert_int_equal(grt_launch_align(l, 0, 1), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      VFOR(&a, i, j) {
        int64_t *p = ref_at(roots, &a, i, j);
        *p = (int64_t)((uint64_t)*p + (uint64_t)g(*ref_at(roots, &b, i, j), k, 0));
      }
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    case 3: { /* histogram: broadcast reduction into a 1-D view */
      if (pick_views(&rg, roots, nroots, &b, NULL) < 0) break;
      int64_t hn = 0;
      int hr = -1;
      for (int r = 0; r < nroots; r++)
        if (r != b.root && roots[r].ndim == 1) hr = r;
      if (hr < 0) {
        grt_store_destroy(b.s);
        break;
      }
      hn = rr(&rg, 1, roots[hr].shape[0]);
      if (make_view(&rg, roots, hr, 1, (int64_t[]){hn, 1}, &a) < 0) {
        grt_store_destroy(b.s);
        break;
      }
      assert_int_equal(grt_launch_create(lib, T_HIST, &l), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 0);
      assert_int_equal(grt_launch_add_reduction(l, a.s, GRT_REDOP_SUM), 1);
      assert_int_equal(grt_launch_broadcast(l, 1), 0);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      VFOR(&b, i, j) {
        int64_t vv = *ref_at(roots, &b, i, j);
        *ref_at(roots, &a, (int64_t)((uint64_t)vv % (uint64_t)hn), 0) += 1;
      }
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    }
    case 4: { /* future: sum of a view */
      if (pick_views(&rg, roots, nroots, &a, NULL) < 0) break;
      grt_future_t *f;
      assert_int_equal(grt_launch_create(lib, T_SUM, &l), 0);
      assert_int_equal(grt_launch_add_input(l, a.s), 0);
      assert_int_equal(grt_launch_reduce_result(l, grt_type_int64(), GRT_REDOP_SUM), 0);
      assert_int_equal(grt_launch_submit(l, &f), 0);
      uint64_t want = 0;
      VFOR(&a, i, j) want += (uint64_t)*ref_at(roots, &a, i, j);
      int64_t got;
      assert_int_equal(grt_future_get(f, &got, sizeof got), 0);
      if (got != (int64_t)want)
        fail_msg("seed %llu cpus %d step %d: future sum %lld, reference %lld", (unsigned long long)seed,
                 cpus, step, (long long)got, (long long)want);
      grt_future_destroy(f);
      grt_store_destroy(a.s);
      /* ORACLE_TRIM: drop every rank's copies now (collective); later
       * reads must fetch them again. */
      if (getenv("ORACLE_TRIM")) assert_int_equal(grt_memory_trim(rt, NULL), 0);
      break;
    }
    case 5: /* fill a view */
      if (pick_views(&rg, roots, nroots, &a, NULL) < 0) break;
      assert_int_equal(grt_fill(a.s, &c), 0);
      VFOR(&a, i, j) *ref_at(roots, &a, i, j) = c;
      grt_store_destroy(a.s);
      break;
    case 6: /* copy between views */
      if (pick_views(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_copy(a.s, b.s), 0);
      VFOR(&a, i, j) *ref_at(roots, &a, i, j) = *ref_at(roots, &b, i, j);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    case 7: { /* map a view and write through it */
      if (pick_views(&rg, roots, nroots, &a, NULL) < 0) break;
      grt_mapping_t *m;
      if (getenv("ORACLE_FENCE")) assert_int_equal(grt_fence(rt), 0);
      assert_int_equal(grt_store_map(a.s, GRT_READ_WRITE, &m), 0);
      int64_t st[2] = {0, 0};
      int64_t *p = grt_mapping_ptr(m, st);
      VFOR(&a, i, j) {
        int64_t *e = &p[i * st[0] + (a.ndim == 2 ? j * st[1] : 0)];
        if (*e != *ref_at(roots, &a, i, j))
          fail_msg("seed %llu cpus %d step %d: mapped view differs at [%lld,%lld]",
                   (unsigned long long)seed, cpus, step, (long long)i, (long long)j);
        *e = g(*e, 5, i - j);
        *ref_at(roots, &a, i, j) = *e;
      }
      assert_int_equal(grt_mapping_unmap(m), 0);
      grt_store_destroy(a.s);
      break;
    }
    case 8: { /* 1-D stencil with a halo (bloat) */
      if (pick_views(&rg, roots, nroots, &a, &b) < 0) break;
      if (a.ndim != 1) {
        grt_store_destroy(a.s);
        grt_store_destroy(b.s);
        break;
      }
      assert_int_equal(grt_launch_create(lib, T_STENCIL, &l), 0);
      assert_int_equal(grt_launch_add_output(l, a.s), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      int base = grt_launch_add_input(l, b.s);
      assert_int_equal(base, 2);
      assert_int_equal(grt_launch_align(l, 0, 2), 0);
      assert_int_equal(grt_launch_bloat(l, 1, 2, (int64_t[]){1}, (int64_t[]){1}), 0);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      int64_t n = a.shape[0];
      int64_t *tmp = malloc(sizeof(int64_t) * (size_t)n);
      for (int64_t i = 0; i < n; i++) {
        uint64_t vv = 2 * (uint64_t)*ref_at(roots, &b, i, 0);
        if (i > 0) vv += (uint64_t)*ref_at(roots, &b, i - 1, 0);
        if (i + 1 < n) vv += 3 * (uint64_t)*ref_at(roots, &b, i + 1, 0);
        tmp[i] = (int64_t)vv;
      }
      for (int64_t i = 0; i < n; i++) *ref_at(roots, &a, i, 0) = tmp[i];
      free(tmp);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    }
    case 9: { /* manual launch: update every tile of a random tiling of a root */
      int r = (int)rr(&rg, 0, nroots - 1);
      root_t *R = &roots[r];
      int64_t tile[2] = {rr(&rg, 1, R->shape[0]), R->ndim == 2 ? rr(&rg, 1, R->shape[1]) : 1};
      grt_partition_t *p;
      assert_int_equal(grt_partition_tiling(R->s, tile, &p), 0);
      int64_t colors[2];
      assert_int_equal(grt_partition_colors(p, colors), R->ndim);
      assert_int_equal(grt_launch_create_manual(lib, T_UPDATE, R->ndim, colors, &l), 0);
      assert_int_equal(grt_launch_add_partitioned(l, R->s, p, GRT_READ_WRITE), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &c), 1);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      grt_partition_destroy(p);
      int64_t n = R->shape[0] * R->shape[1];
      for (int64_t i = 0; i < n; i++) R->ref[i] = g(R->ref[i], k, c);
      break;
    }
    case 10: { /* map2 with output and input on one root: a = b * k + c */
      if (pick_views_same(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_MAP2, &l), 0);
      assert_int_equal(grt_launch_add_output(l, a.s), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      assert_int_equal(grt_launch_align(l, 0, 1), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &c), 1);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      int64_t *sb = snapshot(roots, &b);
      VFOR(&a, i, j) *ref_at(roots, &a, i, j) = g(sb[i * b.shape[1] + j], k, c);
      free(sb);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    }
    case 11: /* copy between views of one root: a memmove */
      if (pick_views_same(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_copy(a.s, b.s), 0);
      {
        int64_t *sb = snapshot(roots, &b);
        VFOR(&a, i, j) *ref_at(roots, &a, i, j) = sb[i * b.shape[1] + j];
        free(sb);
      }
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    case 13: { /* store reduction and input on one root: a += b * k (no copy needed:
                * reductions fold after every point has read) */
      if (pick_views_same(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_ACC, &l), 0);
      assert_int_equal(grt_launch_add_reduction(l, a.s, GRT_REDOP_SUM), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      assert_int_equal(grt_launch_align(l, 0, 1), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      int64_t *sb = snapshot(roots, &b);
      VFOR(&a, i, j) {
        int64_t *p = ref_at(roots, &a, i, j);
        *p = (int64_t)((uint64_t)*p + (uint64_t)g(sb[i * b.shape[1] + j], k, 0));
      }
      free(sb);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    }
    case 12: { /* inout and input on one root: a = a * k + b (A += A^T among them) */
      if (pick_views_same(&rg, roots, nroots, &a, &b) < 0) break;
      assert_int_equal(grt_launch_create(lib, T_AXPY, &l), 0);
      assert_int_equal(grt_launch_add_inout(l, a.s), 0);
      assert_int_equal(grt_launch_add_input(l, b.s), 1);
      assert_int_equal(grt_launch_align(l, 0, 1), 0);
      assert_int_equal(grt_launch_add_scalar(l, grt_type_int64(), &k), 0);
      assert_int_equal(grt_launch_submit(l, NULL), 0);
      int64_t *sb = snapshot(roots, &b);
      VFOR(&a, i, j) {
        int64_t *p = ref_at(roots, &a, i, j);
        *p = (int64_t)((uint64_t)g(*p, k, 0) + (uint64_t)sb[i * b.shape[1] + j]);
      }
      free(sb);
      grt_store_destroy(a.s);
      grt_store_destroy(b.s);
      break;
    }
    }
    if (rnd(&rg) % 8 == 0) check_all(roots, nroots, seed, cpus, step);
  }
  check_all(roots, nroots, seed, cpus, nops);
  for (int r = 0; r < nroots; r++) {
    grt_store_destroy(roots[r].s);
    free(roots[r].ref);
  }
  assert_int_equal(grt_fence(rt), 0);
  assert_int_equal(grt_finalize(rt), 0);
}

static void test_oracle_random_programs(void **state) {
  (void)state;
  const char *one = getenv("GRT_SEED");
  const char *cnt = getenv("GRT_PROGRAMS");
  int programs = cnt ? atoi(cnt) : 200;
  uint64_t base = one ? strtoull(one, NULL, 0) : 0x5eed;
  if (one) programs = 1;
  for (int p = 0; p < programs; p++)
    for (int cpus = 1; cpus <= 3; cpus++) run_program(base + (uint64_t)p, cpus);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oracle_random_programs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
