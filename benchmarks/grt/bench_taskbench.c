/* bench_taskbench.c: Task-Bench METG(50%) for grt, the peer of
 * benchmarks/peers/taskbench_{mpi,openmp,starpu}.c (graphs, kernel, payload
 * check and sweep from taskbench_common.h, so every implementation runs the
 * same graphs with the same definition of efficiency).
 *
 * Width = grt_num_procs(CPU) (all ranks) unless --width. The payloads of the
 * whole graph live in one store S of shape (steps, P) (16-byte struct
 * elements), so, as in the OpenMP and StarPU peers, every point has its own
 * payload and buffer reuse adds no dependence. Row t of the graph is one
 * manual index launch whose point x writes its payload (t, x) and reads,
 * through partitions of row t-1, exactly the payloads its dependences name,
 * so grt's dependence analysis sees the graph's own edges and, on several
 * ranks (block sharding of the points, like the MPI peer's block of columns),
 * moves exactly the payloads that cross ranks:
 *
 *   trivial                  no input
 *   no_comm                  row t-1 tiled by 1: point x reads (t-1, x)
 *   stencil_1d, nearest_rN   row t-1 tiled by 1 with a halo of (r-1)/2 below
 *                            and r/2 above (clipped at the edges)
 *   all_to_all               the same with a halo of W-1: the whole row
 *   fft                      three inputs, row t-1 shifted by 0, -s, +s: S's
 *                            row is [pad W | real W | pad W] and an input is
 *                            the slice [W+off, 2W+off) tiled by 1, so a
 *                            missing neighbour falls in the never-written pad
 *   spread                   one input per distinct offset o_i (mod W): S's
 *                            row is [real W | copy W], each point also writes
 *                            its payload into the copy, and an input is the
 *                            slice [o_i, o_i+W) tiled by 1 (a cyclic shift)
 *   tree                     a 2-D launch (h, 2), h = width of row t-1: point
 *                            (i, j) is x = 2i+j, writes a delinearized view
 *                            of row t and reads row t-1 promoted to (h, 2),
 *                            i.e. (t-1, x/2); a restart row is one point
 *                            reading (t-1, 0)
 *
 * Each task recomputes its dependences with tb_deps, finds their payloads
 * among its inputs and checks them with tb_execute, like the peers. Views
 * and partitions of a run are made before its clock starts (the StarPU peer
 * registers its handles before timing too); the clock covers submitting
 * every row and the fence. The run time is the maximum over ranks (every
 * rank takes the sweep's decisions from it), reduced through a grt future.
 *
 * The no-runtime peak is measured by one index launch of `procs` points, each
 * timing the bare kernel on its worker at the same time: procs x the slowest.
 *
 * Rows (rank 0 only; ranks = processors = grt_num_procs(CPU)):
 *   taskbench_kernel,grt,P,peak,<GFLOP/s>,GFLOP/s
 *   taskbench_<pattern>,grt,P,metg50,<us>,us
 */
#include <stdatomic.h>

#include <grt.h>

#include "../peers/peer_util.h"
#include "../peers/taskbench_common.h"

static const char usage_head[] =
    "usage: [mpirun -n R] bench_taskbench [flags]\n"
    "  Task-Bench METG(50%) with grt (one index launch per row of the graph).\n"
    "  Workers per rank: GRT_CPUS (default: grt's choice).\n";

enum { TASK_POINT = 1, TASK_PEAK = 2, TASK_LOCAL = 3 };

typedef struct {
    grt_runtime_t *rt;
    grt_library_t *lib;
    const grt_type_t *ptype;
    int rank, procs;
    double peak;
    tb_options_t opt;
    bool failed;
} ctx_t;

/* The graph being run, read by the point tasks (one graph at a time; every
 * rank runs the same one). */
static const tb_graph_t *cur_graph;
static atomic_long errors;
/* A process-local value that the TASK_LOCAL points return (this rank's run
 * time, error count), so that a future reduction makes it agree on every rank. */
static double local_value;
static long peak_iters;

/* ---- tasks ----------------------------------------------------------------- */

#define MAX_IN 16

/* Scalars: t, nout, wrap, nin, then nin column offsets (all int64). Stores:
 * nout outputs (the point's payload, 1 element each), then nin inputs. Input
 * j's element at view coordinate v (dim 0) holds the payload of column
 * v + off_j of row t-1 (mod W when wrap; outside [0, W) it is padding). */
static void point_task(grt_task_context_t *ctx)
{
    const tb_graph_t *g = cur_graph;
    int64_t t = *(const int64_t *)grt_task_scalar(ctx, 0);
    int nout = (int)*(const int64_t *)grt_task_scalar(ctx, 1);
    bool wrap = *(const int64_t *)grt_task_scalar(ctx, 2) != 0;
    int nin = (int)*(const int64_t *)grt_task_scalar(ctx, 3);
    int64_t pt[GRT_MAX_DIM];
    int pd = grt_task_point(ctx, pt);
    int w = g->width;
    int x = pd == 2 ? (int)(2 * pt[0] + pt[1]) : (int)pt[0];
    if (!tb_active(g, t, x))
        return; /* an over-launched point of a tree row */
    int cap = w > 8 ? w : 8;
    int deps[cap];
    const tb_payload_t *in[cap];
    const tb_payload_t *bycol[w];
    for (int c = 0; c < w; c++)
        bycol[c] = NULL;
    for (int j = 0; j < nin; j++) {
        int64_t off = *(const int64_t *)grt_task_scalar(ctx, 4 + j);
        grt_buffer_t b;
        if (grt_task_arg(ctx, nout + j, &b) < 0) {
            grt_task_fail(ctx, "taskbench point: missing input");
            return;
        }
        for (int64_t v = b.lo[0]; v <= b.hi[0]; v++) {
            int64_t c = v + off;
            if (wrap)
                c = ((c % w) + w) % w;
            if (c >= 0 && c < w)
                bycol[c] = (const tb_payload_t *)((const char *)b.ptr +
                                                  (size_t)((v - b.lo[0]) * b.stride[0]) * sizeof(tb_payload_t));
        }
    }
    int nd = tb_deps(g, t, x, deps);
    static const tb_payload_t missing = {-1, -1, 0.0};
    for (int k = 0; k < nd; k++)
        in[k] = bycol[deps[k]] ? bycol[deps[k]] : &missing;
    tb_payload_t res;
    int bad = tb_execute(g, t, x, in, deps, nd, &res);
    if (bad)
        atomic_fetch_add(&errors, bad);
    for (int j = 0; j < nout; j++) {
        grt_buffer_t b;
        if (grt_task_arg(ctx, j, &b) < 0) {
            grt_task_fail(ctx, "taskbench point: missing output");
            return;
        }
        memcpy(b.ptr, &res, sizeof res);
    }
}

static void peak_task(grt_task_context_t *ctx)
{
    double rate = tb_kernel_rate(peak_iters, 10, peer_now);
    grt_task_return(ctx, &rate, sizeof rate);
}

static void local_task(grt_task_context_t *ctx)
{
    grt_task_return(ctx, &local_value, sizeof local_value);
}

/* Reduces every rank's local_value with op over a `procs`-point launch (every
 * rank owns at least one point) and returns the result, the same on every
 * rank. */
static double reduce_local(ctx_t *c, int task, grt_redop_t op)
{
    grt_launch_t *l;
    grt_future_t *f = NULL;
    const int64_t shape[1] = {c->procs};
    double v = NAN;
    if (grt_launch_create_manual(c->lib, task, 1, shape, &l) < 0 ||
        grt_launch_reduce_result(l, grt_type_float64(), op) < 0 || grt_launch_submit(l, &f) < 0 ||
        grt_future_get(f, &v, sizeof v) < 0) {
        fprintf(stderr, "bench_taskbench: reduction failed: %s\n", grt_last_error());
        c->failed = true;
    }
    grt_future_destroy(f);
    return v;
}

/* ---- one run of a graph -------------------------------------------------------- */

typedef struct {
    int ndim;
    int64_t shape[2];
    int nout, nin;
    bool wrap;
    grt_partition_t *part[2 + MAX_IN]; /* nout outputs, then nin inputs */
    grt_store_t *view[2 + MAX_IN];     /* the views they partition */
    int64_t off[MAX_IN];
} step_t;

typedef struct {
    grt_store_t **views;
    int nviews, capviews;
} viewlist_t;

static grt_store_t *keep(viewlist_t *vl, grt_store_t *v)
{
    if (vl->nviews == vl->capviews) {
        vl->capviews = vl->capviews ? 2 * vl->capviews : 64;
        vl->views = realloc(vl->views, sizeof *vl->views * (size_t)vl->capviews);
    }
    vl->views[vl->nviews++] = v;
    return v;
}

#define TRY(call)                                                                            \
    do {                                                                                     \
        if ((call) < 0) {                                                                    \
            fprintf(stderr, "bench_taskbench: %s failed: %s\n", #call, grt_last_error());    \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

static grt_store_t *slice1(viewlist_t *vl, grt_store_t *row, int64_t a, int64_t b)
{
    grt_store_t *v;
    TRY(grt_store_slice(row, 0, a, b, &v));
    return keep(vl, v);
}

static grt_partition_t *tile1(grt_store_t *s, int64_t lo, int64_t hi)
{
    const int64_t one[1] = {1}, l[1] = {lo}, h[1] = {hi};
    grt_partition_t *p;
    if (lo || hi)
        TRY(grt_partition_tiling_halo(s, one, l, h, &p));
    else
        TRY(grt_partition_tiling(s, one, &p));
    return p;
}

/* Outputs are added before inputs (the task relies on the order). */
static void add_out(step_t *st, grt_store_t *v)
{
    st->view[st->nout] = v;
    st->part[st->nout++] = tile1(v, 0, 0);
}

static void add_in(step_t *st, grt_store_t *v, int64_t lo, int64_t hi, int64_t off)
{
    st->view[st->nout + st->nin] = v;
    st->part[st->nout + st->nin] = tile1(v, lo, hi);
    st->off[st->nin++] = off;
}

/* Plans row t: launch shape and partitions (views kept in vl). R0 is where
 * the real columns start in a row of S. */
static void plan_step(const tb_graph_t *g, long t, grt_store_t *const *rows, int64_t R0,
                      viewlist_t *vl, step_t *st)
{
    int w = g->width;
    memset(st, 0, sizeof *st);
    st->ndim = 1;
    st->shape[0] = w;
    grt_store_t *row = rows[t], *prev = t > 0 ? rows[t - 1] : NULL;
    switch (g->pat.dep) {
    case TB_TREE: {
        int period = tb_ceil_log2(w) + 1;
        if (t % period == 0) {
            st->shape[0] = 1;
            add_out(st, slice1(vl, row, 0, 1));
            if (prev)
                add_in(st, slice1(vl, prev, 0, 1), 0, 0, 0);
        } else {
            int64_t h = tb_width_at(g, t - 1);
            st->ndim = 2;
            st->shape[0] = h;
            st->shape[1] = 2;
            const int64_t one2[2] = {1, 1}, hw[2] = {h, 2};
            grt_store_t *o, *i;
            TRY(grt_store_delinearize(slice1(vl, row, 0, 2 * h), 0, 2, hw, &o));
            TRY(grt_store_promote(slice1(vl, prev, 0, h), 1, 2, &i));
            st->view[st->nout] = keep(vl, o);
            TRY(grt_partition_tiling(o, one2, &st->part[st->nout++]));
            st->view[st->nout + st->nin] = keep(vl, i);
            TRY(grt_partition_tiling(i, one2, &st->part[st->nout + st->nin]));
            st->off[st->nin++] = 0;
        }
        return;
    }
    case TB_SPREAD:
        add_out(st, slice1(vl, row, 0, w));
        add_out(st, slice1(vl, row, w, 2 * w));
        st->wrap = true;
        if (prev) {
            int r = g->pat.radix, stride = w / r > 1 ? w / r : 1;
            for (int i = 0; i < r; i++) {
                int64_t o = ((long)i * stride + t) % w;
                bool dup = false;
                for (int j = 0; j < st->nin; j++)
                    dup |= st->off[j] == o;
                if (dup)
                    continue;
                add_in(st, slice1(vl, prev, o, o + w), 0, 0, o);
            }
        }
        return;
    case TB_FFT:
        add_out(st, slice1(vl, row, R0, R0 + w));
        if (prev) {
            int period = tb_ceil_log2(w);
            int s = period > 0 ? 1 << ((t - 1) % period) : 0;
            const int64_t offs[3] = {0, -s, s};
            for (int i = 0; i < (s ? 3 : 1); i++) {
                add_in(st, slice1(vl, prev, R0 + offs[i], R0 + offs[i] + w), 0, 0, offs[i]);
            }
        }
        return;
    default: {
        add_out(st, slice1(vl, row, 0, w));
        int64_t lo = 0, hi = 0;
        switch (g->pat.dep) {
        case TB_TRIVIAL: prev = NULL; break;
        case TB_NO_COMM: break;
        case TB_STENCIL_1D: lo = hi = 1; break;
        case TB_NEAREST: lo = (g->pat.radix - 1) / 2; hi = g->pat.radix / 2; break;
        case TB_ALL_TO_ALL: lo = hi = w - 1; break;
        default: break;
        }
        if (prev)
            add_in(st, slice1(vl, prev, 0, w), lo, hi, 0);
        return;
    }
    }
}

static double run_graph(void *vctx, const tb_graph_t *g)
{
    ctx_t *c = vctx;
    int w = g->width;
    int64_t P = w, R0 = 0;
    if (g->pat.dep == TB_SPREAD || g->pat.dep == TB_TREE)
        P = 2 * w;
    else if (g->pat.dep == TB_FFT) {
        P = 3 * w;
        R0 = w;
    }
    const int64_t shape[2] = {g->steps, P};
    grt_store_t *S;
    TRY(grt_store_create(c->rt, c->ptype, 2, shape, &S));
    viewlist_t vl = {0};
    grt_store_t **rows = malloc(sizeof *rows * (size_t)g->steps);
    step_t *steps = malloc(sizeof *steps * (size_t)g->steps);
    for (long t = 0; t < g->steps; t++)
        TRY(grt_store_project(S, 0, t, &rows[t]));
    for (long t = 0; t < g->steps; t++)
        plan_step(g, t, rows, R0, &vl, &steps[t]);
    cur_graph = g;
    TRY(grt_fence(c->rt)); /* every rank starts together */

    double t0 = peer_now();
    for (long t = 0; t < g->steps; t++) {
        const step_t *st = &steps[t];
        grt_launch_t *l;
        TRY(grt_launch_create_manual(c->lib, TASK_POINT, st->ndim, st->shape, &l));
        for (int j = 0; j < st->nout; j++)
            TRY(grt_launch_add_partitioned(l, st->view[j], st->part[j], GRT_WRITE));
        for (int j = 0; j < st->nin; j++)
            TRY(grt_launch_add_partitioned(l, st->view[st->nout + j], st->part[st->nout + j], GRT_READ));
        int64_t sc[4] = {t, st->nout, st->wrap, st->nin};
        for (int j = 0; j < 4; j++)
            TRY(grt_launch_add_scalar(l, grt_type_int64(), &sc[j]));
        for (int j = 0; j < st->nin; j++)
            TRY(grt_launch_add_scalar(l, grt_type_int64(), &st->off[j]));
        TRY(grt_launch_submit(l, NULL));
    }
    TRY(grt_fence(c->rt));
    local_value = peer_now() - t0;
    double dt = reduce_local(c, TASK_LOCAL, GRT_REDOP_MAX);

    for (long t = 0; t < g->steps; t++)
        for (int j = 0; j < steps[t].nout + steps[t].nin; j++)
            grt_partition_destroy(steps[t].part[j]);
    for (int i = 0; i < vl.nviews; i++)
        grt_store_destroy(vl.views[i]);
    for (long t = 0; t < g->steps; t++)
        grt_store_destroy(rows[t]);
    grt_store_destroy(S);
    free(vl.views);
    free(rows);
    free(steps);
    return dt;
}

static void one_pattern(const tb_pattern_t *p, void *vctx)
{
    ctx_t *c = vctx;
    if (c->rank == 0)
        peer_note("bench_taskbench", "%s on %d processors", p->name, c->procs);
    tb_metg_result_t r = tb_metg(&c->opt, p, c->procs, c->peak, run_graph, c, c->rank == 0 ? stderr : NULL);
    c->peak = r.peak_flops; /* keep the highest peak seen (see tb_metg) */
    char kase[64];
    snprintf(kase, sizeof kase, "taskbench_%s", p->name);
    if (c->rank == 0) {
        if (isnan(r.metg_s))
            peer_note("bench_taskbench", "%s: no run reached 50%% efficiency; no METG row", p->name);
        else
            peer_row(kase, "grt", c->procs, "metg50", r.metg_s * 1e6, "us");
        if (r.upper_bound)
            peer_note("bench_taskbench", "%s: still >= 50%% at the smallest size; METG is an upper bound",
                      p->name);
    }
}

int main(int argc, char **argv)
{
    static const char *const known[] = {TB_KNOWN_FLAGS, NULL};
    char usage[2048];
    snprintf(usage, sizeof usage, "%s%s", usage_head, tb_usage_flags);
    peer_flags_check(argc, argv, known, usage);
    ctx_t c = {0};
    TB_PARSE_OPTIONS(&c.opt, argc, argv);

    if (grt_init(&argc, &argv, &c.rt) < 0) {
        fprintf(stderr, "bench_taskbench: grt_init failed: %s\n", grt_last_error());
        return 1;
    }
    c.rank = grt_rank(c.rt);
    c.procs = grt_num_procs(c.rt, GRT_PROC_CPU);
    const grt_type_t *fields[3] = {grt_type_int32(), grt_type_int32(), grt_type_float64()};
    c.ptype = grt_type_struct(c.rt, 3, fields);
    if (!c.ptype || grt_type_size(c.ptype) != sizeof(tb_payload_t)) {
        fprintf(stderr, "bench_taskbench: payload type: %s\n", grt_last_error());
        return 1;
    }
    TRY(grt_library_create(c.rt, "bench.taskbench", &c.lib));
    TRY(grt_task_register(c.lib, TASK_POINT, "point", &(grt_variants_t){.cpu = point_task}));
    TRY(grt_task_register(c.lib, TASK_PEAK, "peak", &(grt_variants_t){.cpu = peak_task}));
    TRY(grt_task_register(c.lib, TASK_LOCAL, "local", &(grt_variants_t){.cpu = local_task}));
    if (c.rank == 0)
        peer_note("bench_taskbench", "ranks=%d processors=%d", grt_num_ranks(c.rt), c.procs);

    /* No-runtime peak: every processor runs the bare kernel at the same time. */
    peak_iters = c.opt.max_iters;
    c.peak = reduce_local(&c, TASK_PEAK, GRT_REDOP_MIN) * c.procs;

    int rc = tb_for_each_pattern(&c.opt, one_pattern, &c) == 0 ? 0 : 2;
    if (c.rank == 0)
        peer_row("taskbench_kernel", "grt", c.procs, "peak", c.peak / 1e9, "GFLOP/s");
    local_value = (double)atomic_load(&errors);
    double errs = reduce_local(&c, TASK_LOCAL, GRT_REDOP_SUM);
    if (errs != 0.0 || c.failed) {
        if (c.rank == 0)
            fprintf(stderr, "bench_taskbench: %.0f tasks saw wrong inputs%s\n", errs,
                    c.failed ? " (and a reduction failed)" : "");
        rc = 1;
    }
    if (grt_finalize(c.rt) < 0 && rc == 0)
        rc = 1;
    return rc;
}
