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
#include "launcher_env.h"

static const grt_machine_t machine = {.cores = 64, .mem_available_mib = 1 << 20, .gpus = 8,
                                      .have_cuda = true};

#define setup launcher_env_setup
#define teardown launcher_env_teardown

/* Splits the `key = value  # origin` lines of @p text (one per key, in the
 * table's order) into their `key = value` parts, cut in place. */
static void split_lines(char *text, char *line[GRT_LK_COUNT]) {
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char *comment = strstr(text, "  # ");
    assert_non_null(comment);
    *comment = '\0';
    line[i] = text;
    text = nl + 1;
  }
  assert_int_equal(*text, '\0');
}

/* The runtime's settings printed in the file format, into a malloc'd text. */
static char *print_settings(const grt_settings_t *s) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_int_equal(grt__config_print(s, f), 0);
  fclose(f);
  return buf;
}

/* Each key's largest value, from the one table both sides are built from. */
#define KEY_MAX(id, name, kind, min, max, ...) [GRT_LK_##id] = max,
static const long long key_max[GRT_LK_COUNT] = {GRT_CONFIG_KEYS(KEY_MAX)};
#undef KEY_MAX

/* Parses flags @p args (NULL-terminated, without "grt" and the program). */
static int parse(const char *const *args, grt_launcher_opts_t *o, char *err, size_t errlen) {
  char *argv[64] = {"grt"};
  int argc = 1;
  for (; *args; args++) {
    assert_true(argc < 62);
    argv[argc++] = (char *)*args;
  }
  argv[argc++] = "./app";
  argv[argc] = NULL;
  return grt_launcher_parse(argc, argv, o, err, errlen);
}

/* Writes the config of @p o to a file, as the launcher does, and loads it
 * into @p s with the runtime's loader; the file's text goes to @p text
 * (@p size bytes) unless it is NULL. */
static void write_and_load(const grt_launcher_opts_t *o, grt_settings_t *s, char *text,
                           size_t size) {
  char path[] = "/tmp/grt-test-rt-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w+");
  assert_int_equal(grt_launcher_write_config(o, f), 0);
  rewind(f);
  if (text) text[fread(text, 1, size - 1, f)] = '\0';
  fclose(f);
  /* Environment variables must not matter: the file sets every key. */
  setenv("GRT_CPUS", "77", 1);
  setenv("GRT_CONFIG", path, 1);
  int rc = grt__config_load(s, NULL);
  unlink(path);
  unsetenv("GRT_CONFIG");
  unsetenv("GRT_CPUS");
  if (rc) fail_msg("load: %s", grt_last_error());
}

/* Every key of the one table (runtime/config_keys.h), at a value other than
 * its default (its bound, true, an awkward path; the default where the
 * runtime takes nothing else yet), given by its flag or, for the keys
 * without one, its variable: the launcher writes `key = value` and the
 * runtime, having loaded the file, prints it back the same.
 * Also the names the table derives: the variable is GRT_ + the key in upper
 * case, the flag -- + the key with '-' for '_'. */
static void test_roundtrip_each_key(void **state) {
  (void)state;
  assert_int_equal(GRT_LK_COUNT, grt__config_nkeys());
  grt_settings_t d;
  assert_int_equal(grt__config_load(&d, NULL), 0);
  char *dflt_text = print_settings(&d), *dflt[GRT_LK_COUNT];
  split_lines(dflt_text, dflt);
  const char *args[GRT_LK_COUNT + 1];
  int nargs = 0;
  char values[GRT_LK_COUNT][32], flag_args[GRT_LK_COUNT][128], expect[GRT_LK_COUNT][128];
  bool is_default[GRT_LK_COUNT] = {0};
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const char *name = grt_launcher_key_name(i);
    assert_string_equal(name, grt__config_key(i));
    char want[64] = "GRT_";
    size_t n = 4;
    for (const char *p = name; *p; p++) want[n++] = (char)toupper((unsigned char)*p);
    want[n] = '\0';
    assert_string_equal(grt_launcher_key_env(i), want);
    const char *flag = grt_launcher_key_flag(i);
    if (flag) {
      n = 2;
      for (const char *p = name; *p; p++) want[n++] = *p == '_' ? '-' : *p;
      memcpy(want, "--", 2);
      want[n] = '\0';
      assert_string_equal(flag, want);
    }
    const char *value = values[i], *quoted = NULL;
    switch (grt_launcher_key_kind(i)) {
    case GRT_KT_BOOL: value = "true"; break;
    case GRT_KT_STRING:
      value = "/tmp/with space/# \"quote\" \\ \t\x01 end ";
      quoted = "\"/tmp/with space/# \\\"quote\\\" \\\\ \\t\\x01 end \"";
      break;
    default: {
      grt_config_t *cfg;
      assert_int_equal(grt_config_create(&cfg), 0);
      snprintf(values[i], sizeof values[i], "%lld", key_max[i]);
      if (grt_config_set(cfg, name, values[i]) != 0) { /* "not supported yet" */
        assert_non_null(strstr(grt_last_error(), "not supported yet"));
        sscanf(dflt[i], "%*s = %31s", values[i]);
        is_default[i] = true;
      }
      grt_config_destroy(cfg);
    }
    }
    if (flag) { /* --flag=VALUE: a boolean flag takes no separate value */
      snprintf(flag_args[i], sizeof flag_args[i], "%s=%s", flag, value);
      args[nargs++] = flag_args[i];
    } else {
      setenv(grt_launcher_key_env(i), value, 1);
    }
    snprintf(expect[i], sizeof expect[i], "%s = %s", name, quoted ? quoted : value);
  }
  args[nargs] = NULL;

  grt_launcher_opts_t o;
  char err[512];
  if (parse(args, &o, err, sizeof err)) fail_msg("parse: %s", err);
  grt_settings_t s;
  char written_text[1 << 14];
  write_and_load(&o, &s, written_text, sizeof written_text);
  grt_launcher_opts_free(&o);
  char *written[GRT_LK_COUNT], *loaded_text = print_settings(&s), *loaded[GRT_LK_COUNT];
  split_lines(written_text, written);
  split_lines(loaded_text, loaded);
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    assert_int_equal(s.source[i], GRT_SRC_FILE);
    assert_string_equal(written[i], expect[i]);
    assert_string_equal(loaded[i], expect[i]);
    if (!is_default[i] && strcmp(loaded[i], dflt[i]) == 0)
      fail_msg("%s: the flag or variable did not change it", written[i]);
  }
  free(loaded_text);
  free(dflt_text);
}

/* Every numeric key, one past its bound, is refused by the launcher (naming
 * its flag or variable) and by the runtime, for the same reason. */
static void test_roundtrip_each_bound(void **state) {
  (void)state;
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    grt_key_kind_t kind = grt_launcher_key_kind(i);
    if (kind == GRT_KT_BOOL || kind == GRT_KT_STRING) continue;
    char over[32], reason[128];
    snprintf(over, sizeof over, "%lld", key_max[i] + 1);
    if (kind == GRT_KT_PERCENT)
      snprintf(reason, sizeof reason, "value '%s' is out of range (0..100)", over);
    else
      snprintf(reason, sizeof reason, "value '%s' is too large: grt holds at most %lld%s", over,
               key_max[i], kind == GRT_KT_MIB ? " MiB" : kind == GRT_KT_BYTES ? " bytes" : "");
    const char *flag = grt_launcher_key_flag(i), *env = grt_launcher_key_env(i);
    const char *args[] = {flag, over, NULL};
    if (!flag) {
      setenv(env, over, 1);
      args[0] = NULL;
    }
    grt_launcher_opts_t o;
    char err[512] = "";
    assert_int_equal(parse(args, &o, err, sizeof err), GRT_LAUNCHER_EXIT_USAGE);
    grt_launcher_opts_free(&o);
    unsetenv(env);
    if (!strstr(err, flag ? flag : env) || !strstr(err, reason))
      fail_msg("launcher: \"%s\" lacks \"%s\"", err, reason);
    grt_config_t *cfg;
    assert_int_equal(grt_config_create(&cfg), 0);
    assert_int_equal(grt_config_set(cfg, grt_launcher_key_name(i), over), GRT_EINVAL);
    grt_config_destroy(cfg);
    if (!strstr(grt_last_error(), reason))
      fail_msg("runtime: \"%s\" lacks \"%s\"", grt_last_error(), reason);
  }
}

/* Parses @p args as flags, writes the config to a file, loads it with the
 * runtime's loader and checks every key against the launcher's value. */
static void roundtrip(const char *const *args) {
  grt_launcher_opts_t o;
  char err[512];
  int rc = parse(args, &o, err, sizeof err);
  if (rc) fail_msg("parse: %s", err);
  grt_launcher_resolve(&o, &machine);
  rc = grt_launcher_validate(&o, &machine, err, sizeof err);
  if (rc) fail_msg("validate: %s", err);

  grt_settings_t s;
  write_and_load(&o, &s, NULL, 0);

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
  assert_int_equal(grt__config_load(&d, NULL), 0);
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
                       grt__config_default_sysmem((size_t)avail << 20, rpn));
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
  assert_int_equal(grt__config_apply_stream(&s, f, "mem"), 0);
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
      cmocka_unit_test_setup_teardown(test_roundtrip_each_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_each_bound, setup, teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_roundtrip_every_flag, setup, teardown),
  };
  return cmocka_run_group_tests_name("launcher roundtrip", tests, NULL, NULL);
}
