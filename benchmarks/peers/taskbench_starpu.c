/* taskbench_starpu.c: Task-Bench-style METG with StarPU, the peer of grt's
 * task-bench on 1, 2, ... workers.
 *
 * Every point's payload is a registered variable handle (all registered
 * before the clock starts, so buffer reuse adds no dependence); point (t, x)
 * is one starpu_task_insert with STARPU_W on its own handle and STARPU_R on
 * its dependences' handles, and StarPU's implicit (sequentially consistent)
 * data dependences order the graph. Width = CPU workers unless --width.
 *
 * Rows (ranks = StarPU CPU workers):
 *   taskbench_kernel,starpu,W,peak,<GFLOP/s>,GFLOP/s
 *   taskbench_<pattern>,starpu,W,metg50,<us>,us
 */
#include <stdatomic.h>
#include <unistd.h>

#include "peer_starpu.h"
#include "taskbench_common.h"

static const char usage_head[] =
    "usage: taskbench_starpu [--workers 1,2] [flags]\n"
    "  Task-Bench METG(50%) with StarPU tasks and implicit data dependences.\n"
    "  --workers LIST      CPU worker counts to run (default 1 and all cores)\n";

typedef struct {
    int workers;
    double peak;
    tb_options_t opt;
} ctx_t;

/* The graph being run; read by the codelet (one graph at a time). */
static const tb_graph_t *cur_graph;
static atomic_long errors;

static void point_kernel(void *buffers[], void *cl_arg)
{
    long t;
    int x;
    starpu_codelet_unpack_args(cl_arg, &t, &x);
    const tb_graph_t *g = cur_graph;
    int cap = g->width > 8 ? g->width : 8;
    int d[cap];
    const tb_payload_t *in[cap];
    int n = tb_deps(g, t, x, d);
    for (int k = 0; k < n; k++)
        in[k] = (const tb_payload_t *)STARPU_VARIABLE_GET_PTR(buffers[1 + k]);
    tb_payload_t *out = (tb_payload_t *)STARPU_VARIABLE_GET_PTR(buffers[0]);
    int bad = tb_execute(g, t, x, in, d, n, out);
    if (bad)
        atomic_fetch_add(&errors, bad);
}

static struct starpu_codelet cl_point = {
    .cpu_funcs = {point_kernel},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .name = "taskbench_point",
};

static double run_graph(void *vctx, const tb_graph_t *g)
{
    (void)vctx;
    int w = g->width;
    size_t npts = (size_t)g->steps * (size_t)w;
    tb_payload_t *P = calloc(npts, sizeof *P);
    starpu_data_handle_t *h = calloc(npts, sizeof *h);
    int cap = w > 8 ? w : 8;
    int *deps = malloc(sizeof(int) * (size_t)cap);
    struct starpu_data_descr *descr = malloc(sizeof *descr * (size_t)(cap + 1));
    for (long t = 0; t < g->steps; t++)
        for (int x = 0; x < w; x++)
            if (tb_active(g, t, x))
                starpu_variable_data_register(&h[t * w + x], STARPU_MAIN_RAM,
                                              (uintptr_t)&P[t * w + x], sizeof(tb_payload_t));
    cur_graph = g;

    double t0 = peer_now();
    for (long t = 0; t < g->steps; t++)
        for (int x = 0; x < w; x++) {
            if (!tb_active(g, t, x))
                continue;
            int nd = tb_deps(g, t, x, deps);
            descr[0].handle = h[t * w + x];
            descr[0].mode = STARPU_W;
            for (int k = 0; k < nd; k++) {
                descr[1 + k].handle = h[(t - 1) * w + deps[k]];
                descr[1 + k].mode = STARPU_R;
            }
            int rc = starpu_task_insert(&cl_point, STARPU_DATA_MODE_ARRAY, descr, nd + 1,
                                        STARPU_VALUE, &t, sizeof t, STARPU_VALUE, &x, sizeof x, 0);
            if (rc != 0) {
                fprintf(stderr, "taskbench_starpu: starpu_task_insert failed: %d\n", rc);
                exit(1);
            }
        }
    starpu_task_wait_for_all();
    double dt = peer_now() - t0;

    for (size_t i = 0; i < npts; i++)
        if (h[i])
            starpu_data_unregister_no_coherency(h[i]);
    free(P);
    free(h);
    free(deps);
    free(descr);
    return dt;
}

static void one_pattern(const tb_pattern_t *p, void *vctx)
{
    ctx_t *c = vctx;
    peer_note("taskbench_starpu", "%s on %d workers", p->name, c->workers);
    tb_metg_result_t r = tb_metg(&c->opt, p, c->workers, c->peak, run_graph, c, stderr);
    c->peak = r.peak_flops; /* keep the highest peak seen (see tb_metg) */
    char kase[64];
    snprintf(kase, sizeof kase, "taskbench_%s", p->name);
    if (isnan(r.metg_s))
        peer_note("taskbench_starpu", "%s: no run reached 50%% efficiency; no METG row", p->name);
    else
        peer_row(kase, "starpu", c->workers, "metg50", r.metg_s * 1e6, "us");
}

int main(int argc, char **argv)
{
    static const char *const known[] = {TB_KNOWN_FLAGS, "workers=", NULL};
    char usage[2048];
    snprintf(usage, sizeof usage, "%s%s", usage_head, tb_usage_flags);
    peer_flags_check(argc, argv, known, usage);
    ctx_t c = {0};
    TB_PARSE_OPTIONS(&c.opt, argc, argv);
    int ncores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int workers[8] = {1, ncores};
    int nw = ncores > 1 ? 2 : 1;
    if (peer_flag_str(argc, argv, "workers"))
        nw = peer_parse_int_list(peer_flag_str(argc, argv, "workers"), workers, 8);

    int rc = 0;
    for (int i = 0; i < nw && rc == 0; i++) {
        c.workers = workers[i];
        c.peak = tb_peak_threads(c.workers, c.opt.max_iters, peer_now);
        if (peer_starpu_start(c.workers) != 0) {
            fprintf(stderr, "taskbench_starpu: starpu_init failed for %d workers\n", c.workers);
            return 1;
        }
        if (tb_for_each_pattern(&c.opt, one_pattern, &c) != 0)
            rc = 2;
        starpu_shutdown();
        peer_row("taskbench_kernel", "starpu", c.workers, "peak", c.peak / 1e9, "GFLOP/s");
    }
    if (atomic_load(&errors)) {
        fprintf(stderr, "taskbench_starpu: %ld tasks saw wrong inputs\n", (long)atomic_load(&errors));
        rc = 1;
    }
    return rc;
}
