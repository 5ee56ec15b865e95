/* test_flags.c - the launcher's flag parser, machine checks and command builder, in process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "launcher.h"
#include "launcher_env.h"

#define setup launcher_env_setup
#define teardown launcher_env_teardown

/* Parses "grt ARGS..." (NULL-terminated); returns the parser's result. */
static int parse(grt_launcher_opts_t *o, char *err, const char *const *args) {
  char *argv[64] = {"grt"};
  int argc = 1;
  for (; *args; args++) argv[argc++] = (char *)*args;
  argv[argc] = NULL;
  return grt_launcher_parse(argc, argv, o, err, 512);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_flags_precedence(void **state) {
  (void)state;
  grt_launcher_opts_t o;
  char err[512];
  assert_int_equal(parse(&o, err, ARGS("./app")), 0);
  assert_int_equal(o.val[GRT_LK_CPUS].num, -1);
  assert_int_equal(o.val[GRT_LK_CPUS].origin, GRT_LOPT_DEFAULT);
  assert_int_equal(o.launcher, GRT_LAUNCHER_NONE);
  grt_launcher_opts_free(&o);

  setenv("GRT_CPUS", "3", 1);
  setenv("GRT_SYSMEM", "100", 1);
  setenv("GRT_RANKS_PER_NODE", "2", 1);
  assert_int_equal(parse(&o, err, ARGS("--cpus=4", "./app")), 0);
  assert_int_equal(o.val[GRT_LK_CPUS].num, 4);
  assert_int_equal(o.val[GRT_LK_CPUS].origin, GRT_LOPT_FLAG);
  assert_int_equal(o.val[GRT_LK_SYSMEM].num, 100);
  assert_int_equal(o.val[GRT_LK_SYSMEM].origin, GRT_LOPT_ENV);
  assert_false(o.val[GRT_LK_SYSMEM].sysmem_auto);
  /* 2 ranks from the environment: mpirun by default. */
  assert_int_equal(o.launcher, GRT_LAUNCHER_MPIRUN);
  assert_int_equal(o.prog_index, 2);
  grt_launcher_opts_free(&o);

  /* A flag's value wins even when it is the default value. */
  assert_int_equal(parse(&o, err, ARGS("--ranks-per-node", "1", "./app")), 0);
  assert_int_equal(o.launcher, GRT_LAUNCHER_NONE);
  grt_launcher_opts_free(&o);
}

static void test_flags_forms(void **state) {
  (void)state;
  grt_launcher_opts_t o;
  char err[512];
  assert_int_equal(parse(&o, err, ARGS("--profile", "--event=false", "--dataflow=ON",
                                       "--ompthreads", "auto", "--cpus", "-1", "--logdir=",
                                       "--keep", "--verbose=0", "--", "--app", "--cpus")), 0);
  assert_true(o.val[GRT_LK_PROFILE].b);
  assert_false(o.val[GRT_LK_EVENT].b);
  assert_int_equal(o.val[GRT_LK_EVENT].origin, GRT_LOPT_FLAG);
  assert_true(o.val[GRT_LK_DATAFLOW].b);
  assert_int_equal(o.val[GRT_LK_OMPTHREADS].num, -1);
  assert_int_equal(o.val[GRT_LK_CPUS].num, -1);
  assert_string_equal(o.val[GRT_LK_LOGDIR].str, "");
  assert_true(o.keep);
  assert_false(o.verbose);
  assert_int_equal(o.prog_index, 12); /* "--app" */
  grt_launcher_opts_free(&o);

  /* The first non-flag argument is the program; later flags are its own. */
  assert_int_equal(parse(&o, err, ARGS("./app", "--cpus", "x")), 0);
  assert_int_equal(o.prog_index, 1);
  assert_int_equal(o.val[GRT_LK_CPUS].origin, GRT_LOPT_DEFAULT);
  grt_launcher_opts_free(&o);

  /* --help and --version need no program; -h is --help. */
  assert_int_equal(parse(&o, err, ARGS("-h")), 0);
  assert_true(o.help);
  grt_launcher_opts_free(&o);
  assert_int_equal(parse(&o, err, ARGS("--version")), 0);
  assert_true(o.version);
  grt_launcher_opts_free(&o);
  assert_int_equal(parse(&o, err, ARGS("--show-config")), 0);
  grt_launcher_opts_free(&o);
}

static void test_flags_launcher_extra(void **state) {
  (void)state;
  grt_launcher_opts_t o;
  char err[512];
  setenv("GRT_LAUNCHER_EXTRA", "  --a  --b=1 ", 1);
  assert_int_equal(parse(&o, err, ARGS("./app")), 0);
  assert_int_equal(o.nextra, 2);
  assert_string_equal(o.extra[0], "--a");
  assert_string_equal(o.extra[1], "--b=1");
  grt_launcher_opts_free(&o);
  /* Flags replace the variable's list. */
  assert_int_equal(parse(&o, err, ARGS("--launcher-extra", "--x", "--launcher-extra=y z", "a")), 0);
  assert_int_equal(o.nextra, 2);
  assert_string_equal(o.extra[0], "--x");
  assert_string_equal(o.extra[1], "y z");
  grt_launcher_opts_free(&o);
  /* Missing value at the end. */
  assert_int_equal(parse(&o, err, ARGS("--launcher-extra")), GRT_LAUNCHER_EXIT_USAGE);
  assert_non_null(strstr(err, "--launcher-extra"));
  grt_launcher_opts_free(&o);
}

/* ---- validation against fake machines ---- */

static int check(const grt_machine_t *m, char *err, const char *const *args) {
  grt_launcher_opts_t o;
  int rc = parse(&o, err, args);
  if (rc == 0) {
    grt_launcher_resolve(&o, m);
    rc = grt_launcher_validate(&o, m, err, 512);
  }
  grt_launcher_opts_free(&o);
  return rc;
}

static void test_flags_validate_gpus(void **state) {
  (void)state;
  char err[512];
  grt_machine_t m = {.cores = 8, .mem_available_mib = 10000, .gpus = 0, .have_cuda = false};
  assert_int_equal(check(&m, err, ARGS("--gpus", "1", "a")), 2);
  assert_non_null(strstr(err, "--gpus 1: this grt was built without CUDA"));
  m.have_cuda = true;
  assert_int_equal(check(&m, err, ARGS("--gpus", "1", "a")), 2);
  assert_non_null(strstr(err, "--gpus 1: no GPU found"));
  m.gpus = 2;
  assert_int_equal(check(&m, err, ARGS("--gpus", "1", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--gpus", "1", "--ranks-per-node", "2", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--gpus", "2", "--ranks-per-node", "2", "a")), 2);
  assert_non_null(strstr(err, "--gpus 2: 2 ranks per node need 4 GPUs, this node has 2"));
  assert_int_equal(check(&m, err, ARGS("--gpus", "0", "a")), 0);
}

static void test_flags_validate_cores_and_memory(void **state) {
  (void)state;
  char err[512];
  grt_machine_t m = {.cores = 4, .mem_available_mib = 1000, .gpus = 0, .have_cuda = true};
  assert_int_equal(check(&m, err, ARGS("--cpus", "3", "a")), 0);      /* 3 + 1 utility */
  assert_string_equal(err, "");
  /* The utility thread mostly sleeps: not fitting it is a warning, unless
   * --strict-cores (issue 14: --cpus 2 on a 2-core laptop exited 2). */
  assert_int_equal(check(&m, err, ARGS("--cpus", "4", "a")), 0);
  assert_non_null(strstr(err, "utility thread shares a core"));
  assert_int_equal(check(&m, err, ARGS("--cpus", "4", "--strict-cores", "a")), 2);
  assert_non_null(strstr(err, "--cpus: each rank needs 5 cores"));
  assert_non_null(strstr(err, "--strict-cores"));
  setenv("GRT_STRICT_CORES", "1", 1);
  assert_int_equal(check(&m, err, ARGS("--cpus", "4", "a")), 2);
  assert_int_equal(check(&m, err, ARGS("--cpus", "4", "--strict-cores=no", "a")), 0);
  unsetenv("GRT_STRICT_CORES");
  assert_int_equal(check(&m, err, ARGS("--cpus", "5", "a")), 2);  /* workers beyond the cores */
  assert_non_null(strstr(err, "--cpus: each rank needs 5 cores (--cpus 5 + --omps 0 x "
                              "--ompthreads 1) but this node's 4 cores give 4 per rank"));
  assert_non_null(strstr(err, "--oversubscribe"));
  assert_int_equal(check(&m, err, ARGS("--cpus", "5", "--oversubscribe", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--cpus", "1", "--ranks-per-node", "2", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--cpus", "2", "--ranks-per-node", "2", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--cpus", "3", "--ranks-per-node", "2", "a")), 2);
  assert_non_null(strstr(err, "give 2 per rank"));
  /* The laptop of issue 14: 2 cores, 2 ranks of 1 CPU worker each. */
  grt_machine_t laptop = {.cores = 2, .mem_available_mib = 1000, .gpus = 0};
  assert_int_equal(check(&laptop, err, ARGS("--ranks-per-node", "2", "--cpus", "1", "a")), 0);
  assert_int_equal(check(&laptop, err, ARGS("--cpus", "2", "a")), 0);
  assert_int_equal(check(&laptop, err, ARGS("--ranks-per-node", "3", "a")), 2);
  assert_int_equal(check(&laptop, err, ARGS("--ranks-per-node", "3", "--oversubscribe", "a")), 0);
  /* Settings that do nothing yet are refused, not ignored. */
  assert_int_equal(check(&m, err, ARGS("--utility", "2", "a")), 2);
  assert_non_null(strstr(err, "--utility 2: only 1 utility thread"));
  assert_int_equal(check(&m, err, ARGS("--numamem", "1", "a")), 2);
  assert_non_null(strstr(err, "--numamem 1: NUMA-bound memory is not supported yet"));
  assert_int_equal(check(&m, err, ARGS("--regmem", "1", "a")), 2);
  assert_non_null(strstr(err, "--regmem 1: registered memory is not supported yet"));
  assert_int_equal(check(&m, err, ARGS("--omps", "1", "--ompthreads", "3", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--omps", "2", "--ompthreads", "3", "a")), 2);
  assert_non_null(strstr(err, "--omps"));
  assert_int_equal(check(&m, err, ARGS("--ranks-per-node", "5", "a")), 2);
  assert_non_null(strstr(err, "--ranks-per-node 5"));
  /* The user may oversubscribe on purpose. */
  assert_int_equal(check(&m, err, ARGS("--ranks-per-node", "5", "--launcher-extra",
                                       "--oversubscribe", "--sysmem", "10", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--cpus", "64", "--launcher", "mpirun",
                                       "--launcher-extra", "--oversubscribe", "a")), 0);
  /* Memory: default sysmem fits by construction; explicit budgets add up. */
  assert_int_equal(check(&m, err, ARGS("--ranks-per-node", "3", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--sysmem", "900", "a")), 0);
  assert_int_equal(check(&m, err, ARGS("--sysmem", "1000", "a")), 2); /* + 32 zcmem */
  assert_non_null(strstr(err, "--sysmem"));
  assert_non_null(strstr(err, "1000 MiB available"));
  assert_int_equal(check(&m, err, ARGS("--sysmem", "400", "--ranks-per-node", "3", "a")), 2);
  assert_int_equal(check(&m, err, ARGS("--sysmem", "1", "--zcmem", "2000", "a")), 2);
  assert_non_null(strstr(err, "--zcmem"));
  /* Unknown MemAvailable: no memory check; default sysmem 1 GiB. */
  m.mem_available_mib = 0;
  assert_int_equal(check(&m, err, ARGS("--sysmem", "99999999", "a")), 0);
  grt_launcher_opts_t o;
  assert_int_equal(parse(&o, err, ARGS("a")), 0);
  grt_launcher_resolve(&o, &m);
  assert_int_equal(o.val[GRT_LK_SYSMEM].num, 1024);
  grt_launcher_opts_free(&o);
  /* Simulated rank out of range (env only). */
  m.mem_available_mib = 1000;
  setenv("GRT_SIM_RANKS", "2", 1);
  setenv("GRT_SIM_RANK", "2", 1);
  assert_int_equal(check(&m, err, ARGS("a")), 2);
  assert_non_null(strstr(err, "GRT_SIM_RANK"));
}

static void test_flags_probe(void **state) {
  (void)state;
  grt_machine_t m;
  char err[256];
  assert_int_equal(grt_launcher_probe(&m, true, err, sizeof err), 0);
  assert_true(m.cores >= 1);
  assert_true(m.mem_available_mib > 0);
  assert_true(m.gpus >= 0);
}

/* ---- commands ---- */

static void command(const char *const *args, bool root, const char *want) {
  grt_launcher_opts_t o;
  char err[512];
  assert_int_equal(parse(&o, err, args), 0);
  grt_strvec_t cmd;
  assert_int_equal(grt_launcher_build_command(&o, "/r/grt.conf", 1,
                                              (char **)args + o.prog_index - 1, root, &cmd, err,
                                              sizeof err), 0);
  char *line = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&line, &len);
  grt_launcher_print_command(&o, "/r/grt.conf", &cmd, f);
  fclose(f);
  if (strcmp(line, want) != 0) fail_msg("got  %swant %s", line, want);
  free(line);
  grt_strvec_free(&cmd);
  grt_launcher_opts_free(&o);
}

static void test_flags_commands(void **state) {
  (void)state;
  command(ARGS("app"), false, "GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--launcher", "mpirun", "app"), false,
          "mpirun -np 1 --map-by ppr:1:node -x GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--ranks-per-node", "3", "--nodes", "2", "--cpu-bind", "socket", "app"), true,
          "mpirun -np 6 --map-by ppr:3:node --bind-to socket --allow-run-as-root "
          "-x GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--ranks-per-node", "2", "--oversubscribe", "app"), false,
          "mpirun -np 2 --map-by ppr:2:node --oversubscribe -x GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--launcher", "srun", "--oversubscribe", "app"), false,
          "srun --nodes=1 --ntasks-per-node=1 --ntasks=1 --overcommit "
          "--export=ALL,GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--launcher", "srun", "--nodes", "4", "app"), true,
          "srun --nodes=4 --ntasks-per-node=1 --ntasks=4 --export=ALL,GRT_CONFIG=/r/grt.conf app\n");
  command(ARGS("--launcher", "jsrun", "--ranks-per-node", "6", "--launcher-extra", "-X",
               "--launcher-extra", "1", "app"), false,
          "jsrun --nrs 6 --rs_per_host 6 --tasks_per_rs 1 -E GRT_CONFIG=/r/grt.conf -X 1 app\n");

  /* srun cannot pass a path with a comma through --export. */
  grt_launcher_opts_t o;
  char err[512];
  assert_int_equal(parse(&o, err, ARGS("--launcher", "srun", "app")), 0);
  char *prog[] = {"app", NULL};
  grt_strvec_t cmd;
  assert_int_equal(grt_launcher_build_command(&o, "/t,x/grt.conf", 1, prog, false, &cmd, err,
                                              sizeof err), GRT_LAUNCHER_EXIT_USAGE);
  assert_non_null(strstr(err, "--launcher srun"));
  assert_int_equal(grt_launcher_build_command(&o, "/t/grt.conf", 0, prog, false, &cmd, err,
                                              sizeof err), GRT_LAUNCHER_EXIT_USAGE);
  grt_launcher_opts_free(&o);
}

static void test_flags_shell_quote(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"plain-./:=,+@%_9", "plain-./:=,+@%_9"}, {"", "''"}, {"a b", "'a b'"},
      {"it's", "'it'\\''s'"}, {"$(x)", "'$(x)'"}, {"a\nb", "'a\nb'"}, {"*", "'*'"},
      {"~", "'~'"}, {"\"", "'\"'"}, {";", "';'"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    grt_launcher_shell_quote(cases[i][0], f);
    fclose(f);
    assert_string_equal(buf, cases[i][1]);
    free(buf);
  }
}

static void test_flags_usage_and_names(void **state) {
  (void)state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  grt_launcher_usage(f);
  fclose(f);
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const char *name = grt_launcher_key_flag(i) ? grt_launcher_key_flag(i)
                                                : grt_launcher_key_env(i);
    if (!strstr(buf, name)) fail_msg("--help lacks %s", name);
  }
  free(buf);
  assert_null(grt_launcher_key_name(-1));
  assert_null(grt_launcher_key_name(GRT_LK_COUNT));
  assert_string_equal(grt_launcher_kind_name(GRT_LAUNCHER_JSRUN), "jsrun");
  assert_string_equal(grt_launcher_kind_name((grt_launcher_kind_t)9), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_flags_precedence, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_forms, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_launcher_extra, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_validate_gpus, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_validate_cores_and_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_probe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_commands, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_shell_quote, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flags_usage_and_names, setup, teardown),
  };
  return cmocka_run_group_tests_name("launcher flags", tests, NULL, NULL);
}
