/* taskbench_mpi.c: Task-Bench-style METG with hand-written MPI, the peer of
 * grt's task-bench on 1, 2, ... ranks.
 *
 * Width = number of ranks unless --width says otherwise; the columns are split
 * in blocks over the ranks. Every step, each rank receives (MPI_Irecv) the
 * payloads of the remote points its points depend on, runs its points, and
 * sends (MPI_Isend) each payload once to every other rank that consumes it.
 * Graphs, kernel and the METG sweep come from taskbench_common.h.
 *
 * Rows (ranks = MPI ranks):
 *   taskbench_kernel,mpi,R,peak,<GFLOP/s>,GFLOP/s   kernel with no runtime, all ranks
 *   taskbench_<pattern>,mpi,R,metg50,<us>,us        METG(50%)
 */
#include <mpi.h>

#include "peer_util.h"
#include "taskbench_common.h"

static const char usage_head[] =
    "usage: mpirun -n R taskbench_mpi [flags]\n"
    "  Task-Bench METG(50%) with hand-written MPI (one rank = one column group).\n";

typedef struct {
    int rank, size;
    long errors;
    double peak;
    tb_options_t opt;
} ctx_t;

/* First column owned by rank r (block distribution of w columns). */
static int col_lo(int r, int size, int w)
{
    return (int)((long)r * w / size);
}

static int owner(int x, int size, int w)
{
    int r = (int)(((long)x * size) / w);
    while (r + 1 < size && col_lo(r + 1, size, w) <= x)
        r++;
    while (r > 0 && col_lo(r, size, w) > x)
        r--;
    return r;
}

static double run_graph(void *vctx, const tb_graph_t *g)
{
    ctx_t *c = vctx;
    int w = g->width, size = c->size, rank = c->rank;
    int lo = col_lo(rank, size, w), hi = col_lo(rank + 1, size, w);
    /* buf[s][x]: payload of (t, x) for t % 2 == s; holds local and received ones. */
    tb_payload_t *buf[2];
    buf[0] = calloc((size_t)w, sizeof(tb_payload_t));
    buf[1] = calloc((size_t)w, sizeof(tb_payload_t));
    int cap = w > 8 ? w : 8;
    int *deps = malloc(sizeof(int) * (size_t)cap), *cons = malloc(sizeof(int) * (size_t)cap);
    char *need = malloc((size_t)w), *dest = malloc((size_t)size);
    MPI_Request *rreq = malloc(sizeof(MPI_Request) * (size_t)w);
    MPI_Request *sreq = malloc(sizeof(MPI_Request) * (size_t)w * (size_t)size);
    const tb_payload_t **in = malloc(sizeof(*in) * (size_t)cap);
    int nsend = 0;
    long errors = 0;

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long t = 0; t < g->steps; t++) {
        tb_payload_t *cur = buf[t % 2], *prev = buf[(t + 1) % 2];
        /* Receive the remote payloads of row t-1 that my points need. */
        memset(need, 0, (size_t)w);
        for (int x = lo; x < hi; x++) {
            int nd = tb_deps(g, t, x, deps);
            for (int k = 0; k < nd; k++)
                if (deps[k] < lo || deps[k] >= hi)
                    need[deps[k]] = 1;
        }
        int nrecv = 0;
        for (int y = 0; y < w; y++)
            if (need[y])
                MPI_Irecv(&prev[y], (int)sizeof(tb_payload_t), MPI_BYTE, owner(y, size, w), y,
                          MPI_COMM_WORLD, &rreq[nrecv++]);
        MPI_Waitall(nrecv, rreq, MPI_STATUSES_IGNORE);
        /* Run my points. */
        for (int x = lo; x < hi; x++) {
            if (!tb_active(g, t, x))
                continue;
            int nd = tb_deps(g, t, x, deps);
            for (int k = 0; k < nd; k++)
                in[k] = &prev[deps[k]];
            errors += tb_execute(g, t, x, in, deps, nd, &cur[x]);
        }
        /* Row t-1's sends read prev, which row t+1 overwrites: finish them now. */
        MPI_Waitall(nsend, sreq, MPI_STATUSES_IGNORE);
        nsend = 0;
        /* Send each of my payloads once to every other rank that consumes it. */
        for (int x = lo; x < hi; x++) {
            int nc = tb_consumers(g, t, x, cons);
            memset(dest, 0, (size_t)size);
            for (int k = 0; k < nc; k++) {
                int r = owner(cons[k], size, w);
                if (r != rank && !dest[r]) {
                    dest[r] = 1;
                    MPI_Isend(&cur[x], (int)sizeof(tb_payload_t), MPI_BYTE, r, x, MPI_COMM_WORLD,
                              &sreq[nsend++]);
                }
            }
        }
    }
    MPI_Waitall(nsend, sreq, MPI_STATUSES_IGNORE);
    double dt = MPI_Wtime() - t0, tmax;
    MPI_Allreduce(&dt, &tmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    c->errors += errors;
    free(buf[0]);
    free(buf[1]);
    free(deps);
    free(cons);
    free(need);
    free(dest);
    free(rreq);
    free(sreq);
    free(in);
    return tmax;
}

static void one_pattern(const tb_pattern_t *p, void *vctx)
{
    ctx_t *c = vctx;
    if (c->rank == 0)
        peer_note("taskbench_mpi", "%s on %d ranks", p->name, c->size);
    tb_metg_result_t r = tb_metg(&c->opt, p, c->size, c->peak, run_graph, c,
                                 c->rank == 0 ? stderr : NULL);
    c->peak = r.peak_flops; /* keep the highest peak seen (see tb_metg) */
    char kase[64];
    snprintf(kase, sizeof kase, "taskbench_%s", p->name);
    if (c->rank == 0) {
        if (isnan(r.metg_s))
            peer_note("taskbench_mpi", "%s: no run reached 50%% efficiency; no METG row", p->name);
        else
            peer_row(kase, "mpi", c->size, "metg50", r.metg_s * 1e6, "us");
        if (r.upper_bound)
            peer_note("taskbench_mpi", "%s: still >= 50%% at the smallest size; METG is an upper bound",
                      p->name);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    ctx_t c = {0};
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.size);
    static const char *const known[] = {TB_KNOWN_FLAGS, NULL};
    char usage[2048];
    snprintf(usage, sizeof usage, "%s%s", usage_head, tb_usage_flags);
    peer_flags_check(argc, argv, known, usage);
    TB_PARSE_OPTIONS(&c.opt, argc, argv);

    /* No-runtime peak: every rank runs the kernel at the same time. */
    double rate = tb_kernel_rate(c.opt.max_iters, 10, peer_now);
    double slowest;
    MPI_Allreduce(&rate, &slowest, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    c.peak = slowest * c.size;

    int rc = tb_for_each_pattern(&c.opt, one_pattern, &c) == 0 ? 0 : 2;
    /* The peak every efficiency was computed against (after any raise). */
    if (c.rank == 0)
        peer_row("taskbench_kernel", "mpi", c.size, "peak", c.peak / 1e9, "GFLOP/s");
    long errors;
    MPI_Allreduce(&c.errors, &errors, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (errors) {
        if (c.rank == 0)
            fprintf(stderr, "taskbench_mpi: %ld tasks saw wrong inputs\n", errors);
        rc = 1;
    }
    MPI_Finalize();
    return rc;
}
