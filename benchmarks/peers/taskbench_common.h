/* taskbench_common.h: Task-Bench-style task graphs, the compute kernel and the
 * METG sweep, shared by the MPI, OpenMP and StarPU peers (and meant for grt's
 * own version, so that every implementation runs the same graphs).
 *
 * After Slaughter et al., "Task Bench: A Parameterized Benchmark for
 * Evaluating Parallel Runtime Performance", SC20. A graph is `steps` rows
 * (timesteps) of `width` points. Point (t, x) runs the kernel for `iters`
 * iterations and depends on a set of points of row t-1 given by the pattern.
 * Each task reads the 16-byte payloads of its dependences, checks that each
 * names the right (t-1, x') (so a runtime that reorders or drops a dependence
 * is caught), and writes its own payload.
 *
 * METG(50%) is the minimum effective task granularity: the smallest task
 * duration (wall time x processors / tasks) at which the achieved FLOP/s is
 * still >= 50% of the kernel's FLOP/s with no runtime, measured on the same
 * processors in the same program. tb_metg() sweeps `iters` downwards by a
 * constant factor (stopping after three runs in a row below 50%) and
 * interpolates (log of granularity, linear in efficiency) between the last run
 * at or above 50% and the run just after it.
 *
 * Header-only: static functions, nothing with external linkage.
 */
#ifndef GRT_BENCH_TASKBENCH_COMMON_H
#define GRT_BENCH_TASKBENCH_COMMON_H

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- dependence patterns ------------------------------------------------ */

typedef enum {
    TB_TRIVIAL,    /* no dependences at all */
    TB_NO_COMM,    /* (t, x) <- (t-1, x) */
    TB_STENCIL_1D, /* (t, x) <- (t-1, x-1 .. x+1) */
    TB_NEAREST,    /* (t, x) <- (t-1, x-(r-1)/2 .. x+r/2), r = radix */
    TB_FFT,        /* (t, x) <- (t-1, x), (t-1, x +- 2^((t-1) mod log2 W)) */
    TB_TREE,       /* fan-out tree: width doubles each row up to W, then restarts at 1;
                    * (t, x) <- (t-1, x/2), and a restart row's point 0 <- (t-1, 0) */
    TB_SPREAD,     /* (t, x) <- (t-1, (x + i*max(W/r,1) + t) mod W) for i < r */
    TB_ALL_TO_ALL, /* (t, x) <- every point of row t-1 */
} tb_dep_t;

typedef struct {
    const char *name; /* used in the CSV case name: taskbench_<name> */
    tb_dep_t dep;
    int radix;
} tb_pattern_t;

/* The patterns of issue 7. stencil_1d and nearest_r3 name the same
 * dependences, as in Task Bench. */
static const tb_pattern_t tb_patterns[] = {
    {"trivial", TB_TRIVIAL, 0},     {"no_comm", TB_NO_COMM, 1},
    {"stencil_1d", TB_STENCIL_1D, 3}, {"nearest_r3", TB_NEAREST, 3},
    {"nearest_r5", TB_NEAREST, 5},  {"fft", TB_FFT, 3},
    {"tree", TB_TREE, 2},           {"spread", TB_SPREAD, 3},
    {"all_to_all", TB_ALL_TO_ALL, 0},
};
#define TB_NPATTERNS ((int)(sizeof tb_patterns / sizeof tb_patterns[0]))

/* Returns the pattern called `name`, or NULL. */
static inline const tb_pattern_t *tb_pattern_find(const char *name)
{
    for (int i = 0; i < TB_NPATTERNS; i++)
        if (strcmp(tb_patterns[i].name, name) == 0)
            return &tb_patterns[i];
    return NULL;
}

typedef struct {
    tb_pattern_t pat;
    int width;  /* points per row, >= 1 */
    long steps; /* rows, >= 1 */
    long iters; /* kernel iterations per task, >= 0 */
} tb_graph_t;

static inline int tb_ceil_log2(int w)
{
    int l = 0;
    while ((1 << l) < w)
        l++;
    return l;
}

/* Number of points active in row t (all of them except in the tree). */
static inline int tb_width_at(const tb_graph_t *g, long t)
{
    if (g->pat.dep != TB_TREE)
        return g->width;
    int period = tb_ceil_log2(g->width) + 1;
    int p = (int)(t % period);
    long w = 1L << p;
    return w < g->width ? (int)w : g->width;
}

static inline bool tb_active(const tb_graph_t *g, long t, int x)
{
    return x >= 0 && x < tb_width_at(g, t);
}

static int tb_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorts out[0..n) and drops duplicates and points not active in row t-1.
 * Returns the new count. */
static inline int tb_normalize(const tb_graph_t *g, long t, int *out, int n)
{
    qsort(out, (size_t)n, sizeof *out, tb_cmp_int);
    int m = 0;
    for (int i = 0; i < n; i++)
        if ((m == 0 || out[m - 1] != out[i]) && tb_active(g, t - 1, out[i]))
            out[m++] = out[i];
    return m;
}

/* The points of row t-1 that (t, x) depends on, sorted ascending, written to
 * out (room for max(width, 8) ints). Returns their number; 0 for row 0, for an
 * inactive point and for the trivial pattern. */
static inline int tb_deps(const tb_graph_t *g, long t, int x, int *out)
{
    int w = g->width, n = 0;
    if (t <= 0 || !tb_active(g, t, x))
        return 0;
    switch (g->pat.dep) {
    case TB_TRIVIAL:
        return 0;
    case TB_NO_COMM:
        out[n++] = x;
        break;
    case TB_STENCIL_1D:
        for (int d = -1; d <= 1; d++)
            if (x + d >= 0 && x + d < w)
                out[n++] = x + d;
        break;
    case TB_NEAREST:
        for (int d = -(g->pat.radix - 1) / 2; d <= g->pat.radix / 2; d++)
            if (x + d >= 0 && x + d < w)
                out[n++] = x + d;
        break;
    case TB_FFT: {
        out[n++] = x;
        int period = tb_ceil_log2(w);
        if (period > 0) {
            int s = 1 << ((t - 1) % period);
            if (x - s >= 0)
                out[n++] = x - s;
            if (x + s < w)
                out[n++] = x + s;
        }
        break;
    }
    case TB_TREE: {
        int period = tb_ceil_log2(w) + 1;
        out[n++] = (t % period == 0) ? 0 : x / 2;
        break;
    }
    case TB_SPREAD: {
        int r = g->pat.radix, stride = w / r > 1 ? w / r : 1;
        for (int i = 0; i < r; i++)
            out[n++] = (int)(((long)x + (long)i * stride + t) % w);
        break;
    }
    case TB_ALL_TO_ALL:
        for (int i = 0; i < w; i++)
            out[n++] = i;
        break;
    }
    return tb_normalize(g, t, out, n);
}

/* The points of row t+1 that depend on (t, x), ascending, into out (room for
 * width ints). Returns their number. Brute force over row t+1: fine for the
 * widths used here (the number of processors). */
static inline int tb_consumers(const tb_graph_t *g, long t, int x, int *out)
{
    if (t + 1 >= g->steps || !tb_active(g, t, x))
        return 0;
    int w = g->width, n = 0;
    int *d = malloc(sizeof *d * (size_t)(w > 8 ? w : 8));
    for (int y = 0; y < w; y++) {
        int nd = tb_deps(g, t + 1, y, d);
        for (int k = 0; k < nd; k++)
            if (d[k] == x) {
                out[n++] = y;
                break;
            }
    }
    free(d);
    return n;
}

/* Number of tasks in the graph (active points over all rows). */
static inline long tb_ntasks(const tb_graph_t *g)
{
    if (g->pat.dep != TB_TREE)
        return g->steps * (long)g->width;
    long n = 0;
    for (long t = 0; t < g->steps; t++)
        n += tb_width_at(g, t);
    return n;
}

/* ---- the kernel ----------------------------------------------------------- */

/* Compute-bound kernel: TB_KERNEL_LANES independent multiply-adds per
 * iteration on values that converge to 1 (no overflow, no denormals). Not
 * inlined, so every caller runs the same machine code shape. */
#define TB_KERNEL_LANES 32
#define TB_FLOPS_PER_ITER (2.0 * TB_KERNEL_LANES)

__attribute__((noinline)) static double tb_kernel(long iters, double seed)
{
    double a[TB_KERNEL_LANES];
    for (int j = 0; j < TB_KERNEL_LANES; j++)
        a[j] = seed + 1e-3 * j;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < TB_KERNEL_LANES; j++)
            a[j] = a[j] * 0.999 + 0.001;
    double s = 0.0;
    for (int j = 0; j < TB_KERNEL_LANES; j++)
        s += a[j];
    return s;
}

/* Best-of-reps FLOP/s of the bare kernel on the calling thread. */
static inline double tb_kernel_rate(long iters, int reps, double (*now)(void))
{
    double best = 1e30, sink = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        sink += tb_kernel(iters, 1.0 + r);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    if (sink == 42.0) /* keep the result live */
        fputc(' ', stderr);
    return TB_FLOPS_PER_ITER * (double)iters / best;
}

/* No-runtime peak of n threads running the kernel at the same time: n times
 * the slowest thread's rate. For peers without OpenMP or MPI (pthreads). */
typedef struct {
    long iters;
    double (*now)(void);
    double rate;
} tb_peak_arg_t;

static void *tb_peak_thread(void *p)
{
    tb_peak_arg_t *a = p;
    a->rate = tb_kernel_rate(a->iters, 10, a->now);
    return NULL;
}

static inline double tb_peak_threads(int n, long iters, double (*now)(void))
{
    pthread_t *th = malloc(sizeof *th * (size_t)n);
    tb_peak_arg_t *args = malloc(sizeof *args * (size_t)n);
    double slowest = 1e300;
    for (int i = 0; i < n; i++) {
        args[i] = (tb_peak_arg_t){iters, now, 0.0};
        pthread_create(&th[i], NULL, tb_peak_thread, &args[i]);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (args[i].rate < slowest)
            slowest = args[i].rate;
    }
    free(th);
    free(args);
    return slowest * n;
}

/* ---- payloads ------------------------------------------------------------- */

/* What a task writes and its consumers read (and MPI sends): 16 bytes, as
 * Task Bench's default output size. */
typedef struct {
    int32_t t, x; /* the point that wrote it */
    double v;     /* kernel result, keeps the kernel's work observable */
} tb_payload_t;

/* Runs point (t, x): checks that in[k] was written by (t-1, deps[k]) for the
 * nd dependences in tb_deps order, runs the kernel, writes *out. Returns the
 * number of wrong inputs (0 when the runtime got the dependences right). */
static inline int tb_execute(const tb_graph_t *g, long t, int x, const tb_payload_t *const *in,
                             const int *deps, int nd, tb_payload_t *out)
{
    int bad = 0;
    for (int k = 0; k < nd; k++)
        if (in[k]->t != (int32_t)(t - 1) || in[k]->x != deps[k])
            bad++;
    out->t = (int32_t)t;
    out->x = x;
    out->v = tb_kernel(g->iters, 1.0 + 1e-6 * (double)x);
    return bad;
}

/* ---- options and the METG sweep -------------------------------------------- */

typedef struct {
    bool quick;
    int width;         /* 0: number of processors */
    long max_iters;    /* sweep starts here ... */
    long min_iters;    /* ... and stops here or at the first run below 50% */
    int factor;        /* iters divided by this each sweep step */
    double target_s;   /* aim for runs of about this long at full efficiency */
    long min_steps, max_steps;
    int reps;          /* best of reps per sweep point */
    const char *patterns; /* comma-separated names, or NULL for all */
} tb_options_t;

static const char tb_usage_flags[] =
    "  --quick             short sweep (factor 4, short runs), for CI\n"
    "  --patterns LIST     comma-separated: trivial,no_comm,stencil_1d,nearest_r3,\n"
    "                      nearest_r5,fft,tree,spread,all_to_all (default: all)\n"
    "  --width W           points per row (default: number of processors)\n"
    "  --max-iters N       largest kernel iteration count (default 2^18)\n"
    "  --min-iters N       smallest (default 1)\n"
    "  --factor F          divide iterations by F per sweep step (default 2; 4 quick)\n"
    "  --target-ms MS      approximate length of one run (default 100; 15 quick)\n"
    "  --max-steps S       cap on rows per run (default 2000; 400 quick)\n"
    "  --reps R            best of R runs per sweep point (default 3; 2 quick)\n";

#define TB_KNOWN_FLAGS "quick", "patterns=", "width=", "max-iters=", "min-iters=", "factor=", \
                       "target-ms=", "max-steps=", "reps="

/* Fills o from the command line (flag helpers from peer_util.h). */
#define TB_PARSE_OPTIONS(o, argc, argv)                                                  \
    do {                                                                                 \
        (o)->quick = peer_flag_bool(argc, argv, "quick");                                \
        (o)->width = (int)peer_flag_long(argc, argv, "width", 0);                        \
        (o)->max_iters = peer_flag_long(argc, argv, "max-iters", (o)->quick ? 1L << 16 : 1L << 18); \
        (o)->min_iters = peer_flag_long(argc, argv, "min-iters", 1);                     \
        (o)->factor = (int)peer_flag_long(argc, argv, "factor", (o)->quick ? 4 : 2);     \
        (o)->target_s = 1e-3 * (double)peer_flag_long(argc, argv, "target-ms", (o)->quick ? 15 : 100); \
        (o)->min_steps = 4;                                                              \
        (o)->max_steps = peer_flag_long(argc, argv, "max-steps", (o)->quick ? 400 : 2000); \
        (o)->reps = (int)peer_flag_long(argc, argv, "reps", (o)->quick ? 2 : 3);         \
        (o)->patterns = peer_flag_str(argc, argv, "patterns");                           \
        if ((o)->width < 0 || (o)->max_iters < (o)->min_iters || (o)->min_iters < 1 ||   \
            (o)->factor < 2 || (o)->target_s <= 0 || (o)->max_steps < 4 || (o)->reps < 1) { \
            fprintf(stderr, "bad task-bench options\n");                                 \
            exit(2);                                                                     \
        }                                                                                \
    } while (0)

/* Calls fn(pattern, arg) for each pattern named in o->patterns (all when
 * NULL). Returns -1, after a message, on an unknown name. */
static inline int tb_for_each_pattern(const tb_options_t *o,
                                      void (*fn)(const tb_pattern_t *, void *), void *arg)
{
    if (!o->patterns) {
        for (int i = 0; i < TB_NPATTERNS; i++)
            fn(&tb_patterns[i], arg);
        return 0;
    }
    char *list = strdup(o->patterns);
    for (char *save = NULL, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        const tb_pattern_t *p = tb_pattern_find(s);
        if (!p) {
            fprintf(stderr, "unknown pattern '%s'\n", s);
            free(list);
            return -1;
        }
        fn(p, arg);
    }
    free(list);
    return 0;
}

/* Runs one graph and returns its wall time in seconds. For MPI it must return
 * the same value on every rank (e.g. the max over ranks), because the sweep's
 * decisions are taken from it on every rank. */
typedef double (*tb_run_fn)(void *ctx, const tb_graph_t *g);

typedef struct {
    double metg_s;       /* METG(50%) in seconds; NAN when no run reached 50% */
    bool upper_bound;    /* every run reached 50%: metg_s is only an upper bound */
    int points;          /* sweep points run */
    double peak_flops;   /* the peak used in the end (raised if a run beat it) */
} tb_metg_result_t;

/* Sweeps the kernel size for one pattern. `procs` processors run the graph;
 * peak_flops is the no-runtime kernel rate of all of them together (callers
 * should carry res.peak_flops into the next pattern: see above). Progress
 * goes to `logf` (stderr on one rank, NULL elsewhere). */
static inline tb_metg_result_t tb_metg(const tb_options_t *o, const tb_pattern_t *pat, int procs,
                                       double peak_flops, tb_run_fn run, void *ctx, FILE *logf)
{
    tb_metg_result_t res = {NAN, false, 0, peak_flops};
    int width = o->width > 0 ? o->width : procs;
    double gran_p = NAN, eff_p = NAN; /* last run at >= 50% */
    int fails = 0;                    /* consecutive runs below 50% */
    for (long iters = o->max_iters; iters >= o->min_iters; iters /= o->factor) {
        tb_graph_t g = {*pat, width, 0, iters};
        /* Rows such that the ideal (no-overhead) run lasts about target_s. */
        double task_s = TB_FLOPS_PER_ITER * (double)iters / (peak_flops / procs);
        double per_row = task_s * (double)width / procs;
        long steps = (long)(o->target_s / per_row);
        if (steps < o->min_steps)
            steps = o->min_steps;
        if (steps > o->max_steps)
            steps = o->max_steps;
        g.steps = steps;
        double best = 1e30;
        for (int r = 0; r < o->reps; r++) {
            double dt = run(ctx, &g);
            if (dt < best)
                best = dt;
        }
        res.points++;
        long ntasks = tb_ntasks(&g);
        double flops = (double)ntasks * TB_FLOPS_PER_ITER * (double)iters;
        /* A run faster than the measured peak proves the peak measurement
         * was slowed down (another process on the machine): raise it. Every
         * MPI rank sees the same `best`, so every rank raises it alike. */
        if (flops / best > peak_flops * 1.02) {
            if (logf)
                fprintf(logf, "  (peak raised from %.2f to %.2f GFLOP/s: the first measurement was disturbed)\n",
                        peak_flops / 1e9, flops / best / 1e9);
            peak_flops = flops / best;
            res.peak_flops = peak_flops;
        }
        double eff = flops / best / peak_flops;
        double gran = best * procs / (double)ntasks;
        if (logf)
            fprintf(logf, "  %-11s iters=%-7ld steps=%-5ld granularity=%10.3f us efficiency=%5.1f%%\n",
                    pat->name, iters, steps, gran * 1e6, 100.0 * eff);
        if (eff >= 0.5) {
            gran_p = gran;
            eff_p = eff;
            res.metg_s = gran;
            res.upper_bound = true;
            fails = 0;
            continue;
        }
        /* Below 50%: interpolate against the run just before, if that one
         * passed. A single failure may be noise (another process on the
         * machine), so the sweep stops only after three in a row. */
        if (fails == 0 && !isnan(gran_p) && eff_p > eff) {
            double f = (0.5 - eff) / (eff_p - eff);
            res.metg_s = exp(log(gran) + f * (log(gran_p) - log(gran)));
            res.upper_bound = false;
        }
        if (++fails >= 3)
            break;
    }
    return res;
}

#endif
