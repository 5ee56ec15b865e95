/* task_overhead_openmp.c: cost of empty OpenMP tasks (`omp task depend`),
 * the peer of grt's benchmarks/runtime/bench_tasks (same patterns, names and
 * counts, so the suite's table pairs them).
 *
 * Patterns, each N tasks submitted by one thread and waited for with taskwait:
 *   empty        tasks with no depend clause
 *   chain        every task depend(inout) on the same object: a serial chain
 *   independent  task i depend(inout) on object i mod K (K = --objects, 64 as
 *                in bench_tasks; 0 means N distinct objects)
 *   fanout       rounds of one task out(A) then F = 63 tasks in(A) out(B[k]);
 *                the next round's out(A) waits for all F readers (the fan-in)
 * Rows (one process; the worker count is in the case name):
 *   task_<pattern>_w<W>,openmp,1,us_per_task,<us>,us
 *   task_<pattern>_w<W>,openmp,1,tasks_per_s,<rate>,1/s
 * Best of --reps runs; the time includes submission and execution.
 */
#include <omp.h>

#include "peer_util.h"

static const char usage[] =
    "usage: task_overhead_openmp [--quick] [--tasks N] [--reps R] [--workers 1,2]\n"
    "       [--objects K] [--patterns empty,chain,independent,fanout]\n"
    "  Empty OpenMP tasks: microseconds per task and tasks per second.\n";

/* Objects the dependences name; never read, only their addresses matter. */
static char *objs;
static long nobjs; /* objects the independent pattern cycles through */

#define FANOUT 63 /* readers per fan-out round, as bench_tasks */

static double run_pattern(const char *pat, long n, int workers)
{
    double dt = 0.0;
#pragma omp parallel num_threads(workers)
#pragma omp single
    {
        double t0 = omp_get_wtime();
        if (strcmp(pat, "empty") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task
                __asm__ volatile("");
            }
        } else if (strcmp(pat, "chain") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task depend(inout: objs[0])
                __asm__ volatile("");
            }
        } else if (strcmp(pat, "independent") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task depend(inout: objs[i % nobjs])
                __asm__ volatile("");
            }
        } else { /* fanout */
            long count = 0;
            for (long r = 0; count < n; r++) {
#pragma omp task depend(out: objs[0])
                __asm__ volatile("");
                count++;
                for (int k = 1; k <= FANOUT && count < n; k++, count++) {
#pragma omp task depend(in: objs[0]) depend(out: objs[k])
                    __asm__ volatile("");
                }
                /* A taskwait every 16 rounds changes no dependence (each round
                 * already waits for the previous readers) but avoids a libgomp
                 * slowdown, quadratic in the number of pending rounds, seen on
                 * a one-thread team (0.5 us/task becomes 300 us/task at 20k). */
                if (r % 16 == 15) {
#pragma omp taskwait
                }
            }
        }
#pragma omp taskwait
        dt = omp_get_wtime() - t0;
    }
    return dt;
}

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "tasks=", "reps=", "workers=", "objects=",
                                        "patterns=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "tasks", quick ? 20000 : 200000);
    long reps = peer_flag_long(argc, argv, "reps", quick ? 3 : 5);
    int workers[8] = {1, 2};
    int nw = 2;
    if (peer_flag_str(argc, argv, "workers"))
        nw = peer_parse_int_list(peer_flag_str(argc, argv, "workers"), workers, 8);
    const char *pats = peer_flag_str(argc, argv, "patterns");
    if (!pats)
        pats = "empty,chain,independent,fanout";
    nobjs = peer_flag_long(argc, argv, "objects", 64);
    if (nobjs == 0)
        nobjs = n;
    if (n <= 0 || reps <= 0 || nobjs < 0) {
        fputs(usage, stderr);
        return 2;
    }
    objs = calloc((size_t)(nobjs > n ? nobjs : n) + FANOUT + 1, 1);
    if (!objs) {
        fprintf(stderr, "task_overhead_openmp: out of memory\n");
        return 1;
    }

    char *list = strdup(pats);
    for (char *save = NULL, *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
        if (strcmp(pat, "empty") && strcmp(pat, "chain") && strcmp(pat, "independent") &&
            strcmp(pat, "fanout")) {
            fprintf(stderr, "unknown pattern '%s'\n%s", pat, usage);
            return 2;
        }
        for (int k = 0; k < nw; k++) {
            int w = workers[k];
            peer_note("task_overhead_openmp", "%s: %ld tasks, %d workers", pat, n, w);
            (void)run_pattern(pat, n / 10 + 1, w); /* warm up the thread pool */
            double best = 1e30;
            for (long r = 0; r < reps; r++) {
                double dt = run_pattern(pat, n, w);
                if (dt < best)
                    best = dt;
            }
            char kase[64];
            snprintf(kase, sizeof kase, "task_%s_w%d", pat, w);
            peer_row(kase, "openmp", 1, "us_per_task", best / (double)n * 1e6, "us");
            peer_row(kase, "openmp", 1, "tasks_per_s", (double)n / best, "1/s");
        }
    }
    free(list);
    free(objs);
    return 0;
}
