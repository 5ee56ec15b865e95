/* peer_util.h: timing, flag parsing and CSV output shared by the peer benchmarks.
 *
 * Every peer prints rows `case,variant,ranks,metric,value,unit` on stdout and
 * nothing else; progress goes to stderr. The `ranks` column is the number of
 * processors the figure used: MPI ranks for MPI programs, worker threads for
 * shared-memory ones (OpenMP, StarPU, STREAM, BLAS).
 *
 * Header-only (static functions) so each peer is one .c file plus headers.
 */
#ifndef GRT_BENCH_PEER_UTIL_H
#define GRT_BENCH_PEER_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall-clock seconds from a monotonic clock. */
static inline double peer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One CSV row on stdout. `value` is printed with enough digits to be useful
 * for ratios and exact enough for checksums (%.6g would lose those). */
static inline void peer_row(const char *kase, const char *variant, int ranks,
                            const char *metric, double value, const char *unit)
{
    printf("%s,%s,%d,%s,%.10g,%s\n", kase, variant, ranks, metric, value, unit);
    fflush(stdout);
}

/* Progress message on stderr, prefixed with the program name. */
static inline void peer_note(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%s] ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Flag parsing. Flags are `--name=value` or `--name value`; `--quick` and
 * `--help` are booleans. peer_flag_str returns the value of `--name` or NULL.
 * Unknown flags are left alone: each program lists the flags it knows in its
 * usage text and checks with peer_flags_check. */
static inline const char *peer_flag_str(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-' || strncmp(a + 2, name, n) != 0)
            continue;
        if (a[2 + n] == '=')
            return a + 3 + n;
        if (a[2 + n] == '\0' && i + 1 < argc)
            return argv[i + 1];
    }
    return NULL;
}

static inline bool peer_flag_bool(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] == '-' &&
            strncmp(argv[i] + 2, name, n) == 0 && argv[i][2 + n] == '\0')
            return true;
    return false;
}

/* Integer flag with a default; exits with a message on a malformed value
 * (these are benchmark programs, not a library). */
static inline long peer_flag_long(int argc, char **argv, const char *name, long dflt)
{
    const char *s = peer_flag_str(argc, argv, name);
    if (!s)
        return dflt;
    char *end;
    long v = strtol(s, &end, 0);
    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "bad value for --%s: '%s' (want an integer)\n", name, s);
        exit(2);
    }
    return v;
}

/* Checks every argument is one of the known flags (a NULL-terminated list of
 * names; a trailing '=' in a name marks a flag that takes a value). Prints the
 * usage and exits 2 otherwise; exits 0 after printing usage for --help. */
static inline void peer_flags_check(int argc, char **argv, const char *const *known,
                                    const char *usage)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stderr);
            exit(0);
        }
        bool ok = false;
        if (a[0] == '-' && a[1] == '-') {
            for (const char *const *k = known; *k && !ok; k++) {
                size_t n = strlen(*k);
                bool takes = n > 0 && (*k)[n - 1] == '=';
                size_t m = takes ? n - 1 : n;
                if (strncmp(a + 2, *k, m) != 0)
                    continue;
                if (a[2 + m] == '\0') {
                    ok = true;
                    if (takes)
                        i++; /* value in the next argument */
                } else if (takes && a[2 + m] == '=') {
                    ok = true;
                }
            }
        }
        if (!ok) {
            fprintf(stderr, "unknown argument '%s'\n%s", a, usage);
            exit(2);
        }
    }
}

/* Parses a comma-separated list of positive ints ("1,2") into out[0..cap).
 * Returns the count. */
static inline int peer_parse_int_list(const char *s, int *out, int cap)
{
    int n = 0;
    while (s && *s && n < cap) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v <= 0) {
            fprintf(stderr, "bad integer list '%s'\n", s);
            exit(2);
        }
        out[n++] = (int)v;
        s = (*end == ',') ? end + 1 : end;
        if (*end != ',' && *end != '\0') {
            fprintf(stderr, "bad integer list '%s'\n", s);
            exit(2);
        }
    }
    return n;
}

#endif
