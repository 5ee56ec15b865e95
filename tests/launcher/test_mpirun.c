/* test_mpirun.c - real `grt --ranks-per-node 2` runs through mpirun: the
 * config reaches the ranks, a missing program, the launcher killed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "run_util.h"

static const char *grt_bin, *cfgprog_bin, *dump_bin;

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* Each of the 2 ranks initializes grt, which must have read the generated
 * file: every key's source is the GRT_CONFIG file, with the launcher's values
 * (the runtime is one rank per process today; the multi-rank runtime will
 * make them one job). */
static void test_mpirun_two_ranks(void **state) {
  (void)state;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const char *argv[32];
  int n = 0;
  argv[n++] = grt_bin;
  argv[n++] = "--ranks-per-node";
  argv[n++] = "2";
  argv[n++] = "--sysmem";
  argv[n++] = "64";
  argv[n++] = "--logdir";
  argv[n++] = "/tmp/grt logs; $(x)";
  argv[n++] = "--profile";
  if (cores < 2) { /* a 1-core machine: let mpirun place 2 ranks anyway */
    argv[n++] = "--launcher-extra";
    argv[n++] = "--oversubscribe";
  }
  argv[n++] = cfgprog_bin;
  argv[n++] = "--expect";
  argv[n++] = "sysmem = 64  # GRT_CONFIG file\n";
  argv[n++] = "--expect";
  argv[n++] = "ranks_per_node = 2  # GRT_CONFIG file\n";
  argv[n++] = "--expect";
  argv[n++] = "logdir = \"/tmp/grt logs; $(x)\"  # GRT_CONFIG file\n";
  argv[n++] = "--expect";
  argv[n++] = "profile = true  # GRT_CONFIG file\n";
  argv[n++] = "--expect";
  argv[n++] = "cpus = -1  # GRT_CONFIG file\n";
  argv[n] = NULL;
  char *out, *err;
  int rc = run_capture((char *const *)argv, &out, NULL, &err);
  if (rc != 0) fail_msg("grt exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
  assert_int_equal(count(out, "cfgprog: ok\n"), 2);
  assert_int_equal(count(out, "nodes = 1  # GRT_CONFIG file\n"), 2);
  free(out);
  free(err);
  /* --profile: each rank left its timeline in the (created) logdir */
  for (int r = 0; r < 2; r++) {
    char path[128];
    snprintf(path, sizeof path, "/tmp/grt logs; $(x)/grt_profile_%d.json", r);
    if (unlink(path) != 0) fail_msg("rank %d wrote no profile at '%s'", r, path);
  }
  assert_int_equal(rmdir("/tmp/grt logs; $(x)"), 0);
}

/* A program that does not exist: 127 as documented, as for --launcher
 * none (mpirun itself ended 132). */
static void test_mpirun_missing_program(void **state) {
  (void)state;
  char *argv[] = {(char *)grt_bin, "--ranks-per-node", "2", "--launcher-extra", "--oversubscribe",
                  "/nonexistent/grt-test-program", NULL};
  char *out, *err;
  int rc = run_capture(argv, &out, NULL, &err);
  if (rc != 127 || !strstr(err, "/nonexistent/grt-test-program"))
    fail_msg("grt exit %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
  free(out);
  free(err);
}

/* grt killed by SIGKILL while mpirun runs 2 ranks: mpirun and the ranks end
 * within a few seconds, and nothing is left in TMPDIR. (Before, mpirun and
 * the ranks ran on and the config file stayed.) */
static void test_mpirun_launcher_killed(void **state) {
  (void)state;
  char tmp[] = "/tmp/grt-test-tmpdir-XXXXXX";
  assert_non_null(mkdtemp(tmp));
  setenv("TMPDIR", tmp, 1);
  setenv("GRT_TEST_SLEEP", "1", 1);
  char mark[64];
  snprintf(mark, sizeof mark, "grt-test-mpirun-killed-%d", (int)getpid());
  char *argv[] = {(char *)grt_bin, "--ranks-per-node", "2", "--launcher-extra", "--oversubscribe",
                  (char *)dump_bin, mark, NULL};
  int rc = kill_launcher(argv, 2, mark, tmp, 10.0);
  unsetenv("GRT_TEST_SLEEP");
  unsetenv("TMPDIR");
  kill_marked(mark);
  remove_tree(tmp);
  if (rc != 0)
    fail_msg("%s", rc < 0 ? "the ranks never got ready"
                   : rc == 1 ? "mpirun or a rank outlived grt by 10 s"
                             : "the run directory outlived grt by 10 s");
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s GRT CFGPROG ARGV_DUMP\n", argv[0]);
    return 2;
  }
  grt_bin = argv[1];
  cfgprog_bin = argv[2];
  dump_bin = argv[3];
  /* The expected lines assume these come from the flags or the defaults. */
  static const char *const vars[] = {"GRT_CPUS", "GRT_SYSMEM", "GRT_LOGDIR", "GRT_PROFILE",
                                     "GRT_NODES", "GRT_RANKS_PER_NODE", "GRT_LAUNCHER",
                                     "GRT_LAUNCHER_EXTRA", "GRT_CONFIG"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
  char *which[] = {"sh", "-c", "command -v mpirun", NULL};
  if (run_capture(which, NULL, NULL, NULL) != 0) {
    printf("mpirun not found: skipped\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_mpirun_two_ranks),
                                     cmocka_unit_test(test_mpirun_missing_program),
                                     cmocka_unit_test(test_mpirun_launcher_killed)};
  return cmocka_run_group_tests_name("launcher mpirun", tests, NULL, NULL);
}
