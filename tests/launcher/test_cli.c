/* test_cli.c - the grt executable: bad flags, --dry-run, quoting, exit status, signals, run dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>

#include "launcher_env.h"
#include "run_util.h"

static const char *grt_bin, *dump_bin;
static char marker[64];

/* Unsets what the launcher and the test programs read, so each test controls
 * its environment. */
static void clear_env(void) {
  launcher_env_clear();
  static const char *const vars[] = {"GRT_TEST_SLEEP", "GRT_TEST_EXIT", "GRT_TEST_KILL"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
  setenv("TMPDIR", "/tmp", 1);
}

static int setup(void **state) {
  (void)state;
  clear_env();
  return 0;
}
static char *saved_tmpdir; /* restored after each test */

static int teardown(void **state) {
  (void)state;
  clear_env();
  if (saved_tmpdir) setenv("TMPDIR", saved_tmpdir, 1);
  else unsetenv("TMPDIR");
  return 0;
}

/* Runs grt with @p args (NULL-terminated, after argv[0]). */
static int run_grt(const char *const *args, char **out, size_t *outlen, char **err) {
  const char *argv[128];
  int n = 0;
  argv[n++] = grt_bin;
  for (; *args && n < 127; args++) argv[n++] = *args;
  argv[n] = NULL;
  return run_capture((char *const *)argv, out, outlen, err);
}

/* ---- bad flags: exit 2, a message naming the flag, nothing started ---- */

typedef struct {
  const char *env[2];      /* NAME, VALUE or NULL */
  const char *args[8];     /* flags; the program (touch marker) is appended */
  const char *expect[2];   /* fragments of the message */
  bool no_program;
} bad_flag_t;

static const bad_flag_t bad_flags[] = {
    {{0}, {"--bogus"}, {"--bogus", "unknown flag"}},
    {{0}, {"--cpus"}, {"--cpus", "missing value"}, true},
    {{0}, {"--sysmem", "--cpus", "2"}, {"--sysmem", "missing value"}},
    {{0}, {"--sysmem", "-5"}, {"--sysmem", "negative"}},
    {{0}, {"--sysmem", "abc"}, {"--sysmem", "not a number"}},
    {{0}, {"--sysmem", "12x"}, {"--sysmem", "trailing"}},
    {{0}, {"--zcmem=1.5"}, {"--zcmem", "trailing"}},
    {{0}, {"--fbmem", "99999999999999999999"}, {"--fbmem", "too large"}},
    {{0}, {"--numamem", "17592186044416"}, {"--numamem", "overflow"}},
    {{0}, {"--numamem", ""}, {"--numamem", "empty"}},
    {{0}, {"--cpus", "4000"}, {"--cpus", "cores"}},
    {{0}, {"--cpus", "100000"}, {"--cpus", "at most 4096"}},
    {{0}, {"--cpus=-3"}, {"--cpus", "auto"}},
    {{0}, {"--cpus", "2147483648"}, {"--cpus", "too large"}},
    {{0}, {"--gpus", "1000"}, {"--gpus", "GPU"}},
    {{0}, {"--gpus", "-1"}, {"--gpus", "negative"}},
    {{0}, {"--omps", "-1"}, {"--omps", "negative"}},
    {{0}, {"--omps", "4", "--ompthreads", "1000"}, {"--omps", "cores"}},
    {{0}, {"--ompthreads", "0"}, {"--ompthreads", "at least 1"}},
    {{0}, {"--utility", "0"}, {"--utility", "at least 1"}},
    {{0}, {"--utility", "100000"}, {"--utility", "at most 4096"}},
    {{0}, {"--utility", "2"}, {"--utility 2", "only 1 utility thread"}},
    {{0}, {"--numamem", "1"}, {"--numamem 1", "not supported yet"}},
    {{"GRT_REGMEM", "3"}, {0}, {"--regmem 3", "not supported yet"}},
    {{0}, {"--eager-alloc-percentage", "101"}, {"--eager-alloc-percentage", "0..100"}},
    {{0}, {"--nodes", "0"}, {"--nodes", "at least 1"}},
    {{0}, {"--ranks-per-node", "abc"}, {"--ranks-per-node", "not a number"}},
    {{0}, {"--ranks-per-node", "1000"}, {"--ranks-per-node", "cores"}},
    {{0}, {"--ranks-per-node", "100000"}, {"--ranks-per-node", "at most 1024"}},
    {{0}, {"--nodes", "1048577"}, {"--nodes", "at most 1048576"}},
    {{0}, {"--launcher", "qsub"}, {"--launcher", "unknown launcher"}},
    {{0}, {"--launcher", "none", "--ranks-per-node", "2"}, {"--launcher none", "2 ranks"}},
    {{0}, {"--mem-bind", "local"}, {"--mem-bind", "srun"}},
    {{0}, {"--launcher", "none", "--cpu-bind", "core"}, {"--cpu-bind", "none"}},
    {{0}, {"--launcher-extra", "--oversubscribe"}, {"--launcher-extra", "--launcher none"}},
    {{0}, {"--profile=maybe"}, {"--profile", "boolean"}},
    {{0}, {"--dry-run=yes"}, {"--dry-run", "takes no value"}},
    {{0}, {"--logdir"}, {"--logdir", "missing value"}, true},
    {{0}, {"--regmem", "99999999999"}, {"--regmem", "not supported yet"}},
    {{0}, {"--zcmem", "99999999999"}, {"--zcmem", "available"}},
    {{"GRT_SYSMEM", "lots"}, {0}, {"GRT_SYSMEM", "--sysmem"}},
    {{"GRT_LAUNCHER", "qsub"}, {0}, {"GRT_LAUNCHER", "--launcher"}},
    {{"GRT_KEEP", "perhaps"}, {0}, {"GRT_KEEP", "--keep"}},
    {{0}, {"--cpus", "2"}, {"missing the program", "grt [flags] PROGRAM"}, true},
};

static void test_cli_bad_flags(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof bad_flags / sizeof bad_flags[0]; c++) {
    const bad_flag_t *b = &bad_flags[c];
    clear_env();
    if (b->env[0]) setenv(b->env[0], b->env[1], 1);
    const char *args[16];
    int n = 0;
    for (int i = 0; i < 8 && b->args[i]; i++) args[n++] = b->args[i];
    if (!b->no_program) {
      args[n++] = "touch";
      args[n++] = marker;
    }
    args[n] = NULL;
    unlink(marker);
    char *out, *err;
    int rc = run_grt(args, &out, NULL, &err);
    if (rc != 2) fail_msg("case %zu: exit %d, not 2; stderr: %s", c, rc, err);
    for (int j = 0; j < 2 && b->expect[j]; j++)
      if (!strstr(err, b->expect[j]))
        fail_msg("case %zu: stderr lacks \"%s\": %s", c, b->expect[j], err);
    /* (Other lines may come from hwloc, e.g. under valgrind.) */
    if (strncmp(err, "grt: ", 5) != 0 && !strstr(err, "\ngrt: "))
      fail_msg("case %zu: message not prefixed: %s", c, err);
    if (access(marker, F_OK) == 0) fail_msg("case %zu: the program was started", c);
    assert_string_equal(out, "");
    free(out);
    free(err);
  }
  assert_true(sizeof bad_flags / sizeof bad_flags[0] >= 20);
}

/* ---- --help, --version ---- */

static void test_cli_help_and_version(void **state) {
  (void)state;
  char *out, *err;
  const char *h[] = {"--help", NULL};
  assert_int_equal(run_grt(h, &out, NULL, &err), 0);
  static const char *const flags[][2] = {
      {"--cpus", "GRT_CPUS"}, {"--gpus", "GRT_GPUS"}, {"--omps", "GRT_OMPS"},
      {"--ompthreads", "GRT_OMPTHREADS"}, {"--utility", "GRT_UTILITY"}, {"--sysmem", "GRT_SYSMEM"},
      {"--numamem", "GRT_NUMAMEM"}, {"--fbmem", "GRT_FBMEM"}, {"--zcmem", "GRT_ZCMEM"},
      {"--regmem", "GRT_REGMEM"}, {"--eager-alloc-percentage", "GRT_EAGER_ALLOC_PERCENTAGE"},
      {"--nodes", "GRT_NODES"}, {"--ranks-per-node", "GRT_RANKS_PER_NODE"},
      {"--launcher", "GRT_LAUNCHER"}, {"--launcher-extra", "GRT_LAUNCHER_EXTRA"},
      {"--cpu-bind", "GRT_CPU_BIND"}, {"--mem-bind", "GRT_MEM_BIND"},
      {"--oversubscribe", "GRT_OVERSUBSCRIBE"}, {"--strict-cores", "GRT_STRICT_CORES"},
      {"--profile", "GRT_PROFILE"},
      {"--dataflow", "GRT_DATAFLOW"}, {"--event", "GRT_EVENT"}, {"--logdir", "GRT_LOGDIR"},
      {"--verbose", "GRT_VERBOSE"}, {"--keep", "GRT_KEEP"}, {"--show-config", NULL},
      {"--dry-run", NULL}, {"--help", NULL}, {"--version", NULL}};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    const char *line = strstr(out, flags[i][0]);
    if (!line) fail_msg("--help lacks %s", flags[i][0]);
    if (!flags[i][1]) continue;
    /* The variable and the default are on the next line. */
    const char *nl = strchr(line, '\n');
    assert_non_null(nl);
    const char *next = strchr(nl + 1, '\n');
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)(next - nl), nl);
    char want[64];
    snprintf(want, sizeof want, "env %s, default ", flags[i][1]);
    if (!strstr(buf, want)) fail_msg("--help: %s lacks \"%s\": %s", flags[i][0], want, buf);
  }
  assert_non_null(strstr(out, "flag > env > default"));
  free(out);
  free(err);
  const char *v[] = {"--version", NULL};
  assert_int_equal(run_grt(v, &out, NULL, &err), 0);
  assert_memory_equal(out, "grt 0.1.0", 9);
  /* it says what is built: no GPU path yet, whatever the CUDA toolkit */
  if (strstr(out, "CUDA: yes") || !strstr(out, "GPU execution not implemented"))
    fail_msg("--version claims a GPU path: %s", out);
  free(out);
  free(err);
}

/* ---- --dry-run ---- */

static void dry_run(const char *const *args, const char *want_cmd, const char *const *want_conf) {
  char *out, *err;
  int rc = run_grt(args, &out, NULL, &err);
  if (rc != 0) fail_msg("dry run exit %d: %s", rc, err);
  const char *c = strstr(out, "# command\n");
  assert_non_null(c);
  if (strcmp(c + 10, want_cmd) != 0)
    fail_msg("dry run command:\n  got  %s  want %s", c + 10, want_cmd);
  for (; want_conf && *want_conf; want_conf++)
    if (!strstr(out, *want_conf)) fail_msg("dry run config lacks \"%s\":\n%s", *want_conf, out);
  /* 21 key lines, each in the file format */
  int keys = 0;
  for (const char *p = out; p < c; p = strchr(p, '\n') + 1)
    keys += *p != '#' && strstr(p, " = ") && strstr(p, " = ") < strchr(p, '\n');
  assert_int_equal(keys, 21);
  assert_null(strstr(err, "grt:"));
  free(out);
  free(err);
}

static void test_cli_dry_run(void **state) {
  (void)state;
  const char *root = geteuid() == 0 ? "--allow-run-as-root " : "";
  char want[512];
  const char *none[] = {"--dry-run", "--sysmem", "64", "./app", "a b", NULL};
  const char *none_conf[] = {"sysmem = 64  # flag --sysmem\n", "nodes = 1  # default\n",
                             "ranks_per_node = 1  # default\n", NULL};
  dry_run(none, "GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app 'a b'\n", none_conf);

  const char *mpi[] = {"--dry-run", "--launcher", "mpirun", "--sysmem", "64", "./app", NULL};
  snprintf(want, sizeof want,
           "mpirun -np 1 --map-by ppr:1:node %s-x GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app\n",
           root);
  dry_run(mpi, want, none_conf);

  const char *srun[] = {"--dry-run", "--launcher=srun", "--cpu-bind", "cores", "--mem-bind",
                        "local", "./app", "x", NULL};
  dry_run(srun, "srun --nodes=1 --ntasks-per-node=1 --ntasks=1 --cpu-bind=cores "
                "--mem-bind=local --export=ALL,GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app x\n",
          NULL);

  const char *js[] = {"--dry-run", "--launcher", "jsrun", "--cpu-bind", "rs", "./app", NULL};
  dry_run(js, "jsrun --nrs 1 --rs_per_host 1 --tasks_per_rs 1 --bind rs "
              "-E GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app\n", NULL);

  /* --nodes 2 --ranks-per-node 2: mpirun by default, 4 ranks, 2 per node. */
  const char *multi[] = {"--dry-run", "--nodes", "2", "--ranks-per-node", "2", "--sysmem",
                         "100", "--launcher-extra", "--report-bindings", "./app", NULL};
  const char *multi_conf[] = {"nodes = 2  # flag --nodes\n",
                              "ranks_per_node = 2  # flag --ranks-per-node\n",
                              "sysmem = 100  # flag --sysmem\n", NULL};
  snprintf(want, sizeof want,
           "mpirun -np 4 --map-by ppr:2:node %s-x GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf "
           "--report-bindings ./app\n", root);
  dry_run(multi, want, multi_conf);
  const char *multi_srun[] = {"--dry-run", "--launcher", "srun", "--nodes", "2",
                              "--ranks-per-node", "2", "./app", NULL};
  dry_run(multi_srun, "srun --nodes=2 --ntasks-per-node=2 --ntasks=4 "
                      "--export=ALL,GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app\n", NULL);
  const char *multi_js[] = {"--dry-run", "--launcher", "jsrun", "--nodes", "2",
                            "--ranks-per-node", "2", "./app", NULL};
  dry_run(multi_js, "jsrun --nrs 4 --rs_per_host 2 --tasks_per_rs 1 "
                    "-E GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf ./app\n", NULL);

  /* Environment defaults, overridden by flags; the origin is recorded. */
  setenv("GRT_GPUS", "0", 1);
  setenv("GRT_UTILITY", "1", 1);
  setenv("GRT_TILES", "8", 1);
  setenv("GRT_LOGDIR", "/tmp/log dir", 1);
  setenv("GRT_LAUNCHER", "srun", 1);
  setenv("GRT_LAUNCHER_EXTRA", "--x=1   --y", 1);
  const char *envs[] = {"--dry-run", "--utility=1", "--profile", "./app", NULL};
  const char *env_conf[] = {"gpus = 0  # environment GRT_GPUS\n",
                            "utility = 1  # flag --utility\n",
                            "tiles = 8  # environment GRT_TILES\n",
                            "logdir = \"/tmp/log dir\"  # environment GRT_LOGDIR\n",
                            "profile = true  # flag --profile\n", NULL};
  dry_run(envs, "srun --nodes=1 --ntasks-per-node=1 --ntasks=1 "
                "--export=ALL,GRT_CONFIG=/tmp/grt-XXXXXX/grt.conf --x=1 --y ./app\n", env_conf);
  clear_env();

  /* A TMPDIR with a space is quoted in the printed command. */
  char tmp[64];
  snprintf(tmp, sizeof tmp, "/tmp/grt test %d", (int)getpid());
  assert_int_equal(mkdir(tmp, 0700), 0); /* (valgrind wants TMPDIR to exist) */
  setenv("TMPDIR", tmp, 1);
  const char *q[] = {"--dry-run", "--launcher", "mpirun", "./app", "$(id)", NULL};
  snprintf(want, sizeof want,
           "mpirun -np 1 --map-by ppr:1:node %s-x 'GRT_CONFIG=%s/grt-XXXXXX/grt.conf' "
           "./app '$(id)'\n", root, tmp);
  dry_run(q, want, NULL);
  rmdir(tmp);
}

static void test_cli_show_config(void **state) {
  (void)state;
  char *out, *err;
  const char *a[] = {"--show-config", "--cpus", "1", "--sysmem=10", NULL};
  assert_int_equal(run_grt(a, &out, NULL, &err), 0);
  assert_non_null(strstr(out, "cpus = 1  # flag --cpus\n"));
  assert_non_null(strstr(out, "sysmem = 10  # flag --sysmem\n"));
  free(out);
  free(err);
}

/* ---- running through --launcher none ---- */

/* Parses argv_dump's output: fills @p args (malloc'd copies) and returns
 * their count; *cfg gets the config line. */
static int parse_dump(const char *out, size_t len, char **args, int max, char *cfg, size_t cfgsize) {
  const char *p = out, *end = out + len;
  int n = 0;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  assert_non_null(nl);
  snprintf(cfg, cfgsize, "%.*s", (int)(nl - p), p);
  p = nl + 1;
  while (p < end && strncmp(p, "arg ", 4) == 0 && n < max) {
    char *q;
    size_t l = strtoul(p + 4, &q, 10);
    assert_true(*q == ' ');
    q++;
    assert_true(q + l < end + 1);
    args[n] = malloc(l + 1);
    memcpy(args[n], q, l);
    args[n][l] = '\0';
    n++;
    p = q + l + 1;
  }
  return n;
}

static void test_cli_quoting(void **state) {
  (void)state;
  char big[10001];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  const char *hostile[] = {"a b", "", "'", "\"", "it's \"quoted\"", ";", "; touch /tmp/grt-pwned",
                           "$(touch /tmp/grt-pwned)", "`touch /tmp/grt-pwned`", "&&", "|", "*",
                           "~", "\\", "\\n", "line1\nline2", "tab\there", "--cpus", "-",
                           "--", "$HOME", "${PATH}", "\xc3\xbc" "n\xc3\xaf" "c\xc3\xb8" "de", "%s%n",
                           "a=b", " leading", "trailing ", big};
  enum { N = sizeof hostile / sizeof hostile[0] };
  unlink("/tmp/grt-pwned");
  const char *args[N + 8];
  int n = 0;
  args[n++] = "--launcher";
  args[n++] = "none";
  args[n++] = dump_bin;
  for (int i = 0; i < N; i++) args[n++] = hostile[i];
  args[n] = NULL;
  char *out, *err;
  size_t len;
  int rc = run_grt(args, &out, &len, &err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  char *got[N + 4], cfg[4200];
  int m = parse_dump(out, len, got, N + 4, cfg, sizeof cfg);
  assert_int_equal(m, N);
  for (int i = 0; i < N; i++) {
    if (strcmp(got[i], hostile[i]) != 0) fail_msg("argument %d changed: \"%s\"", i, got[i]);
    free(got[i]);
  }
  assert_int_equal(access("/tmp/grt-pwned", F_OK), -1);
  /* The program saw a private config: file 0600 in a 0700 directory. */
  char path[4096];
  unsigned fmode, dmode;
  assert_int_equal(sscanf(cfg, "config %4095s %o %o", path, &fmode, &dmode), 3);
  assert_int_equal(fmode, 0600);
  assert_int_equal(dmode, 0700);
  assert_memory_equal(path, "/tmp/grt-", 9);
  /* ... and it is gone afterwards. */
  char *slash = strrchr(path, '/');
  *slash = '\0';
  assert_int_equal(access(path, F_OK), -1);
  free(out);
  free(err);

  /* "--" ends grt's flags: a program named like a flag is still run. */
  const char *dd[] = {"--", dump_bin, "--cpus", NULL};
  assert_int_equal(run_grt(dd, &out, &len, &err), 0);
  assert_non_null(strstr(out, "arg 6 --cpus\n"));
  free(out);
  free(err);
}

static void test_cli_exit_status(void **state) {
  (void)state;
  const char *a[] = {dump_bin, NULL};
  char *out, *err;
  setenv("GRT_TEST_EXIT", "5", 1);
  assert_int_equal(run_grt(a, &out, NULL, &err), 5);
  free(out);
  free(err);
  unsetenv("GRT_TEST_EXIT");
  setenv("GRT_TEST_KILL", "9", 1);
  assert_int_equal(run_grt(a, &out, NULL, &err), 128 + 9);
  free(out);
  free(err);
  unsetenv("GRT_TEST_KILL");
  const char *missing[] = {"/nonexistent/program", NULL};
  assert_int_equal(run_grt(missing, &out, NULL, &err), 127);
  assert_non_null(strstr(err, "/nonexistent/program"));
  free(out);
  free(err);
  char plain[] = "/tmp/grt-test-notexec-XXXXXX";
  int fd = mkstemp(plain); /* mode 0600: not executable */
  assert_true(fd >= 0);
  close(fd);
  const char *notexec[] = {plain, NULL};
  assert_int_equal(run_grt(notexec, &out, NULL, &err), 126);
  assert_non_null(strstr(err, plain));
  unlink(plain);
  free(out);
  free(err);
}

static void test_cli_keep(void **state) {
  (void)state;
  const char *a[] = {"--keep", dump_bin, NULL};
  char *out, *err;
  size_t len;
  assert_int_equal(run_grt(a, &out, &len, &err), 0);
  char path[4096];
  unsigned fmode, dmode;
  assert_int_equal(sscanf(out, "config %4095s %o %o", path, &fmode, &dmode), 3);
  assert_int_equal(access(path, R_OK), 0);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  assert_non_null(strstr(err, path));  /* "kept the run directory ..." */
  /* The kept file is exactly the config: every key, in the file format. */
  char conf[4200];
  snprintf(conf, sizeof conf, "%s/grt.conf", path);
  FILE *f = fopen(conf, "r");
  assert_non_null(f);
  char line[512];
  int lines = 0;
  while (fgets(line, sizeof line, f)) lines += strstr(line, " = ") != NULL;
  fclose(f);
  assert_int_equal(lines, 21);
  unlink(conf);
  assert_int_equal(rmdir(path), 0);
  free(out);
  free(err);
}

/* Starts grt on a sleeping argv_dump, waits for "ready", sends @p sig to grt
 * (as kill(1) would) and returns grt's exit status. */
static int signal_run(int sig, char *cfgdir, size_t size) {
  int rfd = -1;
  setenv("GRT_TEST_SLEEP", "1", 1);
  pid_t pid = spawn_piped((char *[]){(char *)grt_bin, (char *)dump_bin, NULL}, &rfd);
  unsetenv("GRT_TEST_SLEEP");
  assert_true(pid > 0);
  char buf[8192];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    ssize_t r = read(rfd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
    buf[n] = '\0';
    if (strstr(buf, "ready\n")) break;
  }
  buf[n] = '\0';
  assert_non_null(strstr(buf, "ready\n"));
  unsigned fm, dm;
  assert_int_equal(sscanf(buf, "config %4095s %o %o", cfgdir, &fm, &dm), 3);
  (void)size;
  *strrchr(cfgdir, '/') = '\0';
  assert_int_equal(access(cfgdir, F_OK), 0);
  kill(pid, sig);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(rfd);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void test_cli_signals_forwarded(void **state) {
  (void)state;
#if defined(__SANITIZE_THREAD__)
  /* ThreadSanitizer defers a signal's handler to the thread's next
   * intercepted call, and a launcher blocked in waitpid() makes none: the
   * forwarding handler would run only once the job exited by itself, so the
   * sleeping job is never signalled and this test hangs. It runs in every
   * other build (plain, ASan/UBSan, valgrind); docs/testing.md lists the
   * exclusion. */
  skip();
#endif
  char dir[4096];
  assert_int_equal(signal_run(SIGTERM, dir, sizeof dir), 128 + SIGTERM);
  assert_int_equal(access(dir, F_OK), -1);  /* run dir removed */
  assert_int_equal(signal_run(SIGINT, dir, sizeof dir), 128 + SIGINT);
  assert_int_equal(access(dir, F_OK), -1);
}

/* grt killed by SIGKILL cannot forward anything nor clean up: the program
 * it started must die with it (PR_SET_PDEATHSIG), and its run directory
 * must not stay behind in TMPDIR. (Both stayed, before.) */
static void test_cli_launcher_killed(void **state) {
  (void)state;
  char tmp[] = "/tmp/grt-test-tmpdir-XXXXXX";
  assert_non_null(mkdtemp(tmp));
  setenv("TMPDIR", tmp, 1);
  setenv("GRT_TEST_SLEEP", "1", 1);
  char mark[64];
  snprintf(mark, sizeof mark, "grt-test-killed-%d", (int)getpid());
  char *argv[] = {(char *)grt_bin, (char *)dump_bin, mark, NULL};
  int rc = kill_launcher(argv, 1, mark, tmp, 5.0);
  unsetenv("GRT_TEST_SLEEP");
  kill_marked(mark);
  remove_tree(tmp);
  if (rc != 0)
    fail_msg("%s", rc < 0 ? "the program never got ready"
                   : rc == 1 ? "the program outlived grt by 5 s"
                             : "the run directory outlived grt by 5 s");
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s GRT ARGV_DUMP\n", argv[0]);
    return 2;
  }
  grt_bin = argv[1];
  dump_bin = argv[2];
  const char *t = getenv("TMPDIR");
  saved_tmpdir = t ? strdup(t) : NULL;
  snprintf(marker, sizeof marker, "/tmp/grt-test-marker-%d", (int)getpid());
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cli_bad_flags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_help_and_version, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_dry_run, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_show_config, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_quoting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_exit_status, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_keep, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_signals_forwarded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cli_launcher_killed, setup, teardown),
  };
  int rc = cmocka_run_group_tests_name("launcher cli", tests, NULL, NULL);
  unlink(marker);
  free(saved_tmpdir);
  return rc;
}
