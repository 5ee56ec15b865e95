/* task_overhead_starpu.c: cost of empty StarPU tasks (starpu_task_insert with
 * implicit data dependencies on registered handles), the peer of grt's
 * task-overhead benchmark.
 *
 * Patterns, each N tasks submitted by the main thread, then
 * starpu_task_wait_for_all:
 *   nodeps  tasks with no data
 *   chain   every task STARPU_RW on the same handle: a serial chain
 *   indep   task i STARPU_RW on its own handle i: all independent
 *   fan     rounds of: one task W(A); F tasks R(A) W(B[k]); one task
 *           R(B[0..F)) RW(A) -- fan-out then fan-in, F = 16 x workers
 * Rows (ranks = CPU workers):
 *   task_overhead_<pattern>,starpu,W,time_per_task,<us>,us
 *   task_overhead_<pattern>,starpu,W,throughput,<tasks/s>,tasks/s
 * Best of --reps runs. Handles are registered before the clock starts.
 * StarPU is started once per worker count (STARPU_SILENT=1, ncpus set).
 */
#include "peer_starpu.h"

static const char usage[] =
    "usage: task_overhead_starpu [--quick] [--tasks N] [--reps R] [--workers 1,2]\n"
    "       [--patterns nodeps,chain,indep,fan]\n"
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

static double run_pattern(const char *pat, long n, int workers, starpu_data_handle_t *h)
{
    double t0 = peer_now();
    if (strcmp(pat, "nodeps") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, 0));
    } else if (strcmp(pat, "chain") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, STARPU_RW, h[0], 0));
    } else if (strcmp(pat, "indep") == 0) {
        for (long i = 0; i < n; i++)
            CHECK(starpu_task_insert(&cl_empty, STARPU_RW, h[i], 0));
    } else { /* fan: h[0] is A, h[1..fan] are B */
        int fan = 16 * workers;
        long rounds = n / (fan + 2);
        struct starpu_data_descr *d = malloc(sizeof *d * (size_t)(fan + 1));
        for (int k = 0; k < fan; k++) {
            d[k].handle = h[1 + k];
            d[k].mode = STARPU_R;
        }
        d[fan].handle = h[0];
        d[fan].mode = STARPU_RW;
        for (long r = 0; r < rounds; r++) {
            CHECK(starpu_task_insert(&cl_empty, STARPU_W, h[0], 0));
            for (int k = 0; k < fan; k++)
                CHECK(starpu_task_insert(&cl_empty, STARPU_R, h[0], STARPU_W, h[1 + k], 0));
            CHECK(starpu_task_insert(&cl_empty, STARPU_DATA_MODE_ARRAY, d, fan + 1, 0));
        }
        free(d);
    }
    CHECK(starpu_task_wait_for_all());
    return peer_now() - t0;
}

static long tasks_of(const char *pat, long n, int workers)
{
    if (strcmp(pat, "fan") == 0) {
        long per = 16L * workers + 2;
        return n / per * per;
    }
    return n;
}

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "tasks=", "reps=", "workers=", "patterns=", NULL};
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
        pats = "nodeps,chain,indep,fan";
    if (n <= 0 || reps <= 0) {
        fputs(usage, stderr);
        return 2;
    }
    /* One byte per object; the handles only carry dependences. */
    char *objs = calloc((size_t)n + 1024, 1);
    starpu_data_handle_t *h = malloc(sizeof *h * ((size_t)n + 1024));
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
            if (strcmp(pat, "nodeps") && strcmp(pat, "chain") && strcmp(pat, "indep") &&
                strcmp(pat, "fan")) {
                fprintf(stderr, "unknown pattern '%s'\n%s", pat, usage);
                return 2;
            }
            long nh = strcmp(pat, "indep") == 0 ? n : 16L * w + 1;
            for (long i = 0; i < nh; i++)
                starpu_variable_data_register(&h[i], STARPU_MAIN_RAM, (uintptr_t)&objs[i], 1);
            long ntasks = tasks_of(pat, n, w);
            peer_note("task_overhead_starpu", "%s: %ld tasks, %d workers", pat, ntasks, w);
            (void)run_pattern(pat, n / 10 + 1, w, h); /* warm up */
            double best = 1e30;
            for (long r = 0; r < reps; r++) {
                double dt = run_pattern(pat, n, w, h);
                if (dt < best)
                    best = dt;
            }
            for (long i = 0; i < nh; i++)
                starpu_data_unregister_no_coherency(h[i]);
            char kase[64];
            snprintf(kase, sizeof kase, "task_overhead_%s", pat);
            peer_row(kase, "starpu", w, "time_per_task", best / (double)ntasks * 1e6, "us");
            peer_row(kase, "starpu", w, "throughput", (double)ntasks / best, "tasks/s");
        }
        free(list);
        starpu_shutdown();
    }
    free(h);
    free(objs);
    return 0;
}
