/* stream.c: STREAM triad a[i] = b[i] + s*c[i] with OpenMP; the bandwidth
 * ceiling the Jacobi stencil is judged against.
 *
 * Rows: stream_triad,stream,<threads>,bandwidth,<GB/s>,GB/s  (best of --reps;
 * bytes counted the STREAM way: 24 per element, no write-allocate).
 */
#include <omp.h>

#include "peer_util.h"

static const char usage[] =
    "usage: stream [--quick] [--n ELEMENTS] [--reps R] [--threads 1,2]\n"
    "  STREAM triad; prints best-of-R GB/s for each thread count.\n";

int main(int argc, char **argv)
{
    static const char *const known[] = {"quick", "n=", "reps=", "threads=", NULL};
    peer_flags_check(argc, argv, known, usage);
    bool quick = peer_flag_bool(argc, argv, "quick");
    long n = peer_flag_long(argc, argv, "n", quick ? (1L << 24) : (1L << 25));
    long reps = peer_flag_long(argc, argv, "reps", quick ? 5 : 20);
    int threads[16];
    int nthreads_list;
    const char *tl = peer_flag_str(argc, argv, "threads");
    if (tl) {
        nthreads_list = peer_parse_int_list(tl, threads, 16);
    } else {
        int maxt = omp_get_num_procs();
        nthreads_list = 0;
        for (int t = 1; t <= maxt && nthreads_list < 16; t *= 2)
            threads[nthreads_list++] = t;
        if (threads[nthreads_list - 1] != maxt && nthreads_list < 16)
            threads[nthreads_list++] = maxt;
    }
    if (n <= 0 || reps <= 0) {
        fputs(usage, stderr);
        return 2;
    }

    double *a = malloc((size_t)n * sizeof *a);
    double *b = malloc((size_t)n * sizeof *b);
    double *c = malloc((size_t)n * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "stream: out of memory for 3 x %ld doubles\n", n);
        return 1;
    }
    /* First touch in parallel so pages are spread like the kernel uses them. */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        a[i] = 1.0;
        b[i] = 2.0;
        c[i] = 0.5;
    }

    const double s = 3.0;
    for (int k = 0; k < nthreads_list; k++) {
        int nt = threads[k];
        peer_note("stream", "triad n=%ld threads=%d reps=%ld", n, nt, reps);
        double best = 1e30;
        for (long r = 0; r < reps; r++) {
            double t0 = peer_now();
#pragma omp parallel for schedule(static) num_threads(nt)
            for (long i = 0; i < n; i++)
                a[i] = b[i] + s * c[i];
            double dt = peer_now() - t0;
            if (dt < best)
                best = dt;
        }
        /* Keep the result observable and check it. */
        if (a[n / 2] != 2.0 + s * 0.5) {
            fprintf(stderr, "stream: wrong result %g\n", a[n / 2]);
            return 1;
        }
        peer_row("stream_triad", "stream", nt, "bandwidth",
                 24.0 * (double)n / best / 1e9, "GB/s");
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
