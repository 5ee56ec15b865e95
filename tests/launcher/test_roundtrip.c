/* test_roundtrip.c - what the launcher writes, the runtime's loader reads back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "launcher.h"

static const grt_machine_t machine = {.cores = 64, .mem_available_mib = 1 << 20, .gpus = 8,
                                      .have_cuda = true};

static void clear_env(void) {
  for (int i = 0; i < GRT_LK_COUNT; i++) unsetenv(grt_launcher_key_env(i));
  unsetenv("GRT_CONFIG");
  unsetenv("GRT_LAUNCHER");
  unsetenv("GRT_LAUNCHER_EXTRA");
}

static int setup(void **state) {
  (void)state;
  clear_env();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  clear_env();
  return 0;
}

/* The launcher's key table is the runtime's: same names, order, variables. */
static void test_roundtrip_same_keys(void **state) {
  (void)state;
  assert_int_equal(GRT_LK_COUNT, grt__settings_nkeys());
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    assert_string_equal(grt_launcher_key_name(i), grt__settings_key(i));
    char var[64] = "GRT_";
    size_t n = 4;
    for (const char *p = grt__settings_key(i); *p; p++) var[n++] = (char)toupper((unsigned char)*p);
    var[n] = '\0';
    assert_string_equal(grt_launcher_key_env(i), var);
    const char *flag = grt_launcher_key_flag(i);
    if (flag) { /* --key-name for key_name */
      char want[64] = "--";
      n = 2;
      for (const char *p = grt__settings_key(i); *p; p++) want[n++] = *p == '_' ? '-' : *p;
      want[n] = '\0';
      assert_string_equal(flag, want);
    }
  }
}

/* Parses @p args as flags, writes the config to a file, loads it with the
 * runtime's loader and checks every key against the launcher's value. */
static void roundtrip(const char *const *args) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "grt";
  for (; *args; args++) argv[argc++] = (char *)*args;
  argv[argc++] = "./app";
  argv[argc] = NULL;
  grt_launcher_opts_t o;
  char err[512];
  int rc = grt_launcher_parse(argc, argv, &o, err, sizeof err);
  if (rc) fail_msg("parse: %s", err);
  grt_launcher_resolve(&o, &machine);
  rc = grt_launcher_validate(&o, &machine, err, sizeof err);
  if (rc) fail_msg("validate: %s", err);

  char path[] = "/tmp/grt-test-rt-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_int_equal(grt_launcher_write_config(&o, f), 0);
  fclose(f);
  /* Environment variables must not matter: the file sets every key. */
  setenv("GRT_CPUS", "77", 1);
  setenv("GRT_CONFIG", path, 1);
  grt_settings_t s;
  rc = grt__settings_load(&s, NULL);
  if (rc) fail_msg("load: %s", grt_last_error());
  unlink(path);
  unsetenv("GRT_CONFIG");
  unsetenv("GRT_CPUS");

  const grt_lval_t *v = o.val;
  for (int i = 0; i < GRT_LK_COUNT; i++) assert_int_equal(s.source[i], GRT_SRC_FILE);
  assert_int_equal(s.cpus, v[GRT_LK_CPUS].num);
  assert_int_equal(s.gpus, v[GRT_LK_GPUS].num);
  assert_int_equal(s.omps, v[GRT_LK_OMPS].num);
  assert_int_equal(s.ompthreads, v[GRT_LK_OMPTHREADS].num);
  assert_int_equal(s.utility, v[GRT_LK_UTILITY].num);
  assert_int_equal(s.sysmem, (size_t)v[GRT_LK_SYSMEM].num << 20);
  assert_int_equal(s.numamem, (size_t)v[GRT_LK_NUMAMEM].num << 20);
  assert_int_equal(s.fbmem, (size_t)v[GRT_LK_FBMEM].num << 20);
  assert_int_equal(s.zcmem, (size_t)v[GRT_LK_ZCMEM].num << 20);
  assert_int_equal(s.regmem, (size_t)v[GRT_LK_REGMEM].num << 20);
  assert_int_equal(s.eager_alloc_percentage, v[GRT_LK_EAGER].num);
  assert_int_equal(s.min_cpu_chunk, (size_t)v[GRT_LK_MIN_CPU_CHUNK].num);
  assert_int_equal(s.tiles, v[GRT_LK_TILES].num);
  assert_int_equal(s.sim_ranks, v[GRT_LK_SIM_RANKS].num);
  assert_int_equal(s.sim_rank, v[GRT_LK_SIM_RANK].num);
  assert_int_equal(s.profile, v[GRT_LK_PROFILE].b);
  assert_int_equal(s.dataflow, v[GRT_LK_DATAFLOW].b);
  assert_int_equal(s.event, v[GRT_LK_EVENT].b);
  assert_string_equal(s.logdir, v[GRT_LK_LOGDIR].str);
  assert_int_equal(s.nodes, v[GRT_LK_NODES].num);
  assert_int_equal(s.ranks_per_node, v[GRT_LK_RANKS_PER_NODE].num);
  grt_launcher_opts_free(&o);
}

static void test_roundtrip_defaults(void **state) {
  (void)state;
  const char *none[] = {NULL};
  roundtrip(none);
  /* The launcher's defaults are the runtime's (sysmem aside: computed). */
  grt_settings_t d;
  assert_int_equal(grt__settings_load(&d, NULL), 0);
  char *argv[] = {"grt", "./app", NULL};
  grt_launcher_opts_t o;
  char err[256];
  assert_int_equal(grt_launcher_parse(2, argv, &o, err, sizeof err), 0);
  assert_int_equal(o.val[GRT_LK_CPUS].num, d.cpus);
  assert_int_equal(o.val[GRT_LK_OMPTHREADS].num, d.ompthreads);
  assert_int_equal(o.val[GRT_LK_UTILITY].num, d.utility);
  assert_int_equal((size_t)o.val[GRT_LK_ZCMEM].num << 20, d.zcmem);
  assert_int_equal(o.val[GRT_LK_EAGER].num, d.eager_alloc_percentage);
  assert_int_equal(o.val[GRT_LK_MIN_CPU_CHUNK].num, d.min_cpu_chunk);
  assert_int_equal(o.val[GRT_LK_NODES].num, d.nodes);
  assert_int_equal(o.val[GRT_LK_RANKS_PER_NODE].num, d.ranks_per_node);
  /* The launcher's sysmem rule is the runtime's. */
  grt_machine_t m = machine;
  for (unsigned long long avail = 1; avail < (1ULL << 24); avail = avail * 3 + 7) {
    for (int rpn = 1; rpn <= 5; rpn++) {
      m.mem_available_mib = avail;
      o.val[GRT_LK_RANKS_PER_NODE].num = rpn;
      o.val[GRT_LK_SYSMEM].sysmem_auto = true;
      grt_launcher_resolve(&o, &m);
      assert_int_equal((size_t)o.val[GRT_LK_SYSMEM].num << 20,
                       grt__settings_default_sysmem((size_t)avail << 20, rpn));
    }
  }
  grt_launcher_opts_free(&o);
}

static void test_roundtrip_every_flag(void **state) {
  (void)state;
  const char *all[] = {"--cpus", "3", "--gpus", "1", "--omps", "2", "--ompthreads", "4",
                       "--utility", "1", "--sysmem", "1000", "--numamem", "0", "--fbmem", "2000",
                       "--zcmem", "0", "--regmem", "0", "--eager-alloc-percentage", "0",
                       "--profile", "--dataflow=yes", "--event=true",
                       "--logdir", "/tmp/with space/# hash \"quote\" \\ \t\x01 end ",
                       "--nodes", "3", "--ranks-per-node", "2", NULL};
  setenv("GRT_MIN_CPU_CHUNK", "4096", 1);
  setenv("GRT_TILES", "12", 1);
  setenv("GRT_SIM_RANKS", "4", 1);
  setenv("GRT_SIM_RANK", "3", 1);
  roundtrip(all);
  const char *autos[] = {"--cpus=auto", "--ompthreads=-1", "--profile=false", "--logdir=", NULL};
  roundtrip(autos);
  /* The same values from the environment. */
  setenv("GRT_CPUS", "5", 1);
  setenv("GRT_SYSMEM", "123", 1);
  setenv("GRT_LOGDIR", "env dir\n", 1);
  setenv("GRT_EVENT", "on", 1);
  const char *none[] = {NULL};
  roundtrip(none);
  /* Largest values: the bounds the runtime holds (runtime/config_limits.h). */
  const char *big[] = {"--sysmem", "1099511627776", "--fbmem", "1099511627776",
                       "--gpus", "1024", NULL};
  grt_machine_t m = machine;
  (void)m;
  char *argv[16] = {"grt"};
  int argc = 1;
  for (int i = 0; big[i]; i++) argv[argc++] = (char *)big[i];
  argv[argc++] = "./app";
  grt_launcher_opts_t o;
  char err[256];
  assert_int_equal(grt_launcher_parse(argc, argv, &o, err, sizeof err), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(grt_launcher_write_config(&o, f), 0);
  fclose(f);
  f = fmemopen(buf, len, "r");
  grt_settings_t s;
  memset(&s, 0, sizeof s);
  assert_int_equal(grt__settings_apply_stream(&s, f, "mem"), 0);
  fclose(f);
  assert_int_equal(s.sysmem, (size_t)1099511627776ULL << 20);
  assert_int_equal(s.gpus, 1024);
  free(buf);
  grt_launcher_opts_free(&o);
  /* One past a bound: the launcher refuses it as the runtime would. */
  const char *over[][2] = {{"--sysmem", "1099511627777"}, {"--gpus", "1025"},
                           {"--cpus", "4097"}, {"--nodes", "1048577"}};
  for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
    char *av[] = {"grt", (char *)over[i][0], (char *)over[i][1], "./app", NULL};
    err[0] = '\0';
    assert_int_not_equal(grt_launcher_parse(4, av, &o, err, sizeof err), 0);
    if (!strstr(err, over[i][0]) || !strstr(err, "at most"))
      fail_msg("%s %s: \"%s\"", over[i][0], over[i][1], err);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_roundtrip_same_keys, setup, teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_every_flag, setup, teardown),
  };
  return cmocka_run_group_tests_name("launcher roundtrip", tests, NULL, NULL);
}
