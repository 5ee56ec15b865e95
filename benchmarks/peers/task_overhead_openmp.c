/* task_overhead_openmp.c: cost of empty OpenMP tasks (`omp task depend`),
 * the peer of grt's task-overhead benchmark.
 *
 * Patterns, each N tasks submitted by one thread and waited for with taskwait:
 *   nodeps  tasks with no depend clause
 *   chain   every task depend(inout) on the same object: a serial chain
 *   indep   task i depend(inout) on its own object i: all independent
 *   fan     rounds of: one task out(A); F tasks in(A) out(B[k]); one task
 *           in(B[0..F)) inout(A) -- fan-out then fan-in, F = 2 x workers x 8
 * Rows (ranks = worker threads):
 *   task_overhead_<pattern>,openmp,W,time_per_task,<us>,us
 *   task_overhead_<pattern>,openmp,W,throughput,<tasks/s>,tasks/s
 * Best of --reps runs; the time includes submission and execution.
 */
#include <omp.h>

#include "peer_util.h"

static const char usage[] =
    "usage: task_overhead_openmp [--quick] [--tasks N] [--reps R] [--workers 1,2]\n"
    "       [--patterns nodeps,chain,indep,fan]\n"
    "  Empty OpenMP tasks: microseconds per task and tasks per second.\n";

/* Objects the dependences name; never read, only their addresses matter. */
static char *objs;

static double run_pattern(const char *pat, long n, int workers)
{
    double dt = 0.0;
#pragma omp parallel num_threads(workers)
#pragma omp single
    {
        double t0 = omp_get_wtime();
        if (strcmp(pat, "nodeps") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task
                __asm__ volatile("");
            }
        } else if (strcmp(pat, "chain") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task depend(inout: objs[0])
                __asm__ volatile("");
            }
        } else if (strcmp(pat, "indep") == 0) {
            for (long i = 0; i < n; i++) {
#pragma omp task depend(inout: objs[i])
                __asm__ volatile("");
            }
        } else { /* fan */
            int fan = 16 * workers;
            long rounds = n / (fan + 2);
            for (long r = 0; r < rounds; r++) {
#pragma omp task depend(out: objs[0])
                __asm__ volatile("");
                for (int k = 0; k < fan; k++) {
#pragma omp task depend(in: objs[0]) depend(out: objs[1 + k])
                    __asm__ volatile("");
                }
#pragma omp task depend(iterator(k = 0 : fan), in: objs[1 + k]) depend(inout: objs[0])
                __asm__ volatile("");
                /* A taskwait every 16 rounds changes no dependence (each round
                 * already waits for the previous fan-in) but avoids a libgomp
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

/* Number of tasks the pattern actually submits for a request of n. */
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
    long n = peer_flag_long(argc, argv, "tasks", quick ? 20000 : 200000);
    long reps = peer_flag_long(argc, argv, "reps", quick ? 3 : 5);
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
    objs = calloc((size_t)n + 1024, 1);
    if (!objs) {
        fprintf(stderr, "task_overhead_openmp: out of memory\n");
        return 1;
    }

    char *list = strdup(pats);
    for (char *save = NULL, *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
        if (strcmp(pat, "nodeps") && strcmp(pat, "chain") && strcmp(pat, "indep") && strcmp(pat, "fan")) {
            fprintf(stderr, "unknown pattern '%s'\n%s", pat, usage);
            return 2;
        }
        for (int k = 0; k < nw; k++) {
            int w = workers[k];
            long ntasks = tasks_of(pat, n, w);
            peer_note("task_overhead_openmp", "%s: %ld tasks, %d workers", pat, ntasks, w);
            (void)run_pattern(pat, n / 10 + 1, w); /* warm up the thread pool */
            double best = 1e30;
            for (long r = 0; r < reps; r++) {
                double dt = run_pattern(pat, n, w);
                if (dt < best)
                    best = dt;
            }
            char kase[64];
            snprintf(kase, sizeof kase, "task_overhead_%s", pat);
            peer_row(kase, "openmp", w, "time_per_task", best / (double)ntasks * 1e6, "us");
            peer_row(kase, "openmp", w, "throughput", (double)ntasks / best, "tasks/s");
        }
    }
    free(list);
    free(objs);
    return 0;
}
