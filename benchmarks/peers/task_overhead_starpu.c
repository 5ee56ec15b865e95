/* task_overhead_starpu.c: cost of empty StarPU tasks (starpu_task_insert with
 * implicit data dependencies on registered handles), the peer of grt's
 * benchmarks/runtime/bench_tasks (same patterns, names and counts).
 *
 * Patterns, each N tasks submitted by the main thread, then
 * starpu_task_wait_for_all:
 *   empty        tasks with no data
 *   chain        every task STARPU_RW on the same handle: a serial chain
 *   independent  task i STARPU_RW on handle i mod K (K = --objects, 64 as in
 *                bench_tasks; 0 means N distinct handles)
 *   fanout       rounds of one task W(A) then F = 63 tasks R(A) W(B[k]); the
 *                next round's W(A) waits for all F readers (the fan-in)
 * Rows (one process; the worker count is in the case name):
 *   task_<pattern>_w<W>,starpu,1,us_per_task,<us>,us
 *   task_<pattern>_w<W>,starpu,1,tasks_per_s,<rate>,1/s
 * Best of --reps runs. Handles are registered before the clock starts.
 * StarPU is started once per worker count (STARPU_SILENT=1, ncpus set).
 */
#include "peer_starpu.h"

static const char usage[] =
    "usage: task_overhead_starpu [--quick] [--tasks N] [--reps R] [--workers 1,2]\n"
    "       [--objects K] [--patterns empty,chain,independent,fanout]\n"
    "  Empty StarPU tasks: microseconds per task and tasks per second.\n";

static void empty_kernel(void *buffers[], void *arg)
{
    (void)buffers;
    (void)arg;
}

static struct starpu_codelet cl_empty = {
    .cpu_funcs = {empty_kernel},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .name = "empty",
};

#define CHECK(call)                                                               \
    do {                                                                          \
        int rc_ = (call);                                                         \
        if (rc_ != 0) {                                                           \
            fprintf(stderr, "task_overhead_starpu: %s failed: %d\n", #call, rc_); \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

#define FANOUT 63 /* readers per fan-out round, as bench_tasks */

static double run_pattern(const char *pat, long n, long nobjs, starpu_data_handle_t *h)
{
    double t0 = peer_now();
    if (strcmp(pat, "empty") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, 0));
    } else if (strcmp(pat, "chain") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, STARPU_RW, h[0], 0));
    } else if (strcmp(pat, "independent") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, STARPU_RW, h[i % nobjs], 0));
    } else { /* fanout: h[0] is A, h[1..FANOUT] are B */
        long count = 0;
        while (count < n) {
            CHECK(starpu_task_insert(&cl_empty, STARPU_W, h[0], 0));
            count++;
            for (int k = 1; k <= FANOUT && count < n; k++, count++)
                CHECK(starpu_task_insert(&cl_empty, STARPU_R, h[0], STARPU_W, h[k], 0));
        }
    }
    CHECK(starpu_task_wait_for_all());
    return peer_now() - t0;
}

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "tasks=", "reps=", "workers=", "objects=",
                                        "patterns=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "tasks", quick ? 10000 : 100000);
    long reps = peer_flag_long(argc, argv, "reps", quick ? 2 : 5);
    int workers[8] = {1, 2};
    int nw = 2;
    if (peer_flag_str(argc, argv, "workers"))
        nw = peer_parse_int_list(peer_flag_str(argc, argv, "workers"), workers, 8);
    const char *pats = peer_flag_str(argc, argv, "patterns");
    if (!pats)
        pats = "empty,chain,independent,fanout";
    long nobjs = peer_flag_long(argc, argv, "objects", 64);
    if (nobjs == 0)
        nobjs = n;
    if (n <= 0 || reps <= 0 || nobjs < 0) {
        fputs(usage, stderr);
        return 2;
    }
    /* One byte per object; the handles only carry dependences. */
    size_t maxh = (size_t)(nobjs > FANOUT + 1 ? nobjs : FANOUT + 1);
    char *objs = calloc(maxh, 1);
    starpu_data_handle_t *h = malloc(sizeof *h * maxh);
    if (!objs || !h) {
        fprintf(stderr, "task_overhead_starpu: out of memory\n");
        return 1;
    }

    for (int k = 0; k < nw; k++) {
        int w = workers[k];
        if (peer_starpu_start(w) != 0) {
            fprintf(stderr, "task_overhead_starpu: starpu_init failed for %d workers\n", w);
            return 1;
        }
        if ((int)starpu_cpu_worker_get_count() != w)
            peer_note("task_overhead_starpu", "warning: asked %d CPU workers, got %u", w,
                      starpu_cpu_worker_get_count());
        char *list = strdup(pats);
        for (char *save = NULL, *pat = strtok_r(list, ",", &save); pat;
             pat = strtok_r(NULL, ",", &save)) {
            if (strcmp(pat, "empty") && strcmp(pat, "chain") && strcmp(pat, "independent") &&
                strcmp(pat, "fanout")) {
                fprintf(stderr, "unknown pattern '%s'\n%s", pat, usage);
                return 2;
            }
            long nh = strcmp(pat, "independent") == 0 ? nobjs : FANOUT + 1;
            for (long i = 0; i < nh; i++)
                starpu_variable_data_register(&h[i], STARPU_MAIN_RAM, (uintptr_t)&objs[i], 1);
            peer_note("task_overhead_starpu", "%s: %ld tasks, %d workers", pat, n, w);
            (void)run_pattern(pat, n / 10 + 1, nobjs, h); /* warm up */
            double best = 1e30;
            for (long r = 0; r < reps; r++) {
                double dt = run_pattern(pat, n, nobjs, h);
                if (dt < best)
                    best = dt;
            }
            for (long i = 0; i < nh; i++)
                starpu_data_unregister_no_coherency(h[i]);
            char kase[64];
            snprintf(kase, sizeof kase, "task_%s_w%d", pat, w);
            peer_row(kase, "starpu", 1, "us_per_task", best / (double)n * 1e6, "us");
            peer_row(kase, "starpu", 1, "tasks_per_s", (double)n / best, "1/s");
        }
        free(list);
        starpu_shutdown();
    }
    free(h);
    free(objs);
    return 0;
}
