/* test_profile.c - the `profile` setting: the timeline file a run leaves in
 * logdir, its events (one per point run, named by the task, times that make
 * sense), escaping of task names, a missing logdir created, the error for
 * one that cannot be written, and the graph settings refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "grt.h"

static void busy(grt_task_context_t *ctx) {
  grt_buffer_t b;
  if (grt_task_arg(ctx, 0, &b) < 0) return;
  double *v = b.ptr;
  for (int64_t i = b.lo[0]; i <= b.hi[0]; i++) v[(i - b.lo[0]) * b.stride[0]] += 1.0;
}

static grt_runtime_t *start(const char *profile, const char *logdir, int *rc) {
  grt_config_t *cfg;
  assert_int_equal(grt_config_create(&cfg), 0);
  assert_int_equal(grt_config_set(cfg, "cpus", "2"), 0);
  assert_int_equal(grt_config_set(cfg, "min_cpu_chunk", "0"), 0);
  assert_int_equal(grt_config_set(cfg, "profile", profile), 0);
  assert_int_equal(grt_config_set(cfg, "logdir", logdir), 0);
  grt_runtime_t *rt = NULL;
  *rc = grt_init_config(NULL, NULL, cfg, &rt);
  grt_config_destroy(cfg);
  return rt;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static int count(const char *s, const char *needle) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* Three 4-point launches of "prof.busy" and one of a task with a quote and a
 * backslash in its name: the file holds exactly those 16 task events, each
 * point 0..3 four times, with start times and durations >= 0 that nest in
 * the run, and a thread name per worker. */
static void test_profile_timeline(void **state) {
  (void)state;
  char dir[] = "/tmp/grt-profile-XXXXXX";
  assert_non_null(mkdtemp(dir));
  int rc;
  grt_runtime_t *rt = start("true", dir, &rc);
  assert_int_equal(rc, 0);
  grt_library_t *lib;
  assert_int_equal(grt_library_create(rt, "prof", &lib), 0);
  assert_int_equal(grt_task_register(lib, 1, "prof.busy", &(grt_variants_t){.cpu = busy}), 0);
  assert_int_equal(grt_task_register(lib, 2, "we\"ird\\name", &(grt_variants_t){.cpu = busy}), 0);
  int64_t shape[1] = {4096};
  grt_store_t *s;
  assert_int_equal(grt_store_create(rt, grt_type_float64(), 1, shape, &s), 0);
  double z = 0;
  assert_int_equal(grt_fill(s, &z), 0);
  assert_int_equal(grt_fence(rt), 0);
  for (int k = 0; k < 4; k++) {
    grt_launch_t *l;
    assert_int_equal(grt_launch_create_manual(lib, k < 3 ? 1 : 2, 1, (int64_t[]){4}, &l), 0);
    grt_partition_t *p;
    assert_int_equal(grt_partition_tiling(s, (int64_t[]){1024}, &p), 0);
    assert_int_equal(grt_launch_add_partitioned(l, s, p, GRT_READ_WRITE), 0);
    grt_partition_destroy(p);
    assert_int_equal(grt_launch_submit(l, NULL), 0);
  }
  grt_store_destroy(s);
  assert_int_equal(grt_finalize(rt), 0);

  char path[128];
  snprintf(path, sizeof path, "%s/grt_profile_0.json", dir);
  char *t = slurp(path);
  assert_non_null(t);
  assert_int_equal(count(t, "\"name\":\"prof.busy\""), 12);
  assert_int_equal(count(t, "\"name\":\"we\\\"ird\\\\name\""), 4);
  assert_int_equal(count(t, "\"name\":\"thread_name\""), 2);
  assert_non_null(strstr(t, "\"traceEvents\":["));
  assert_non_null(strstr(t, "],\"dropped\":0}\n"));
  int seen[4] = {0};
  double last_end = 0;
  for (const char *p = t; (p = strstr(p, "\"name\":\"prof.busy\"")); p++) {
    const char *ts = strstr(p, "\"ts\":"), *pt = strstr(p, "\"point\":");
    assert_non_null(ts);
    assert_non_null(pt);
    double a = -1, d = -1;
    int point = -1;
    assert_int_equal(sscanf(ts, "\"ts\":%lf,\"dur\":%lf", &a, &d), 2);
    assert_int_equal(sscanf(pt, "\"point\":%d", &point), 1);
    assert_true(a >= 0 && d >= 0);
    assert_true(point >= 0 && point < 4);
    seen[point]++;
    if (a + d > last_end) last_end = a + d;
  }
  for (int i = 0; i < 4; i++) assert_int_equal(seen[i], 3);
  assert_true(last_end > 0 && last_end < 60e6); /* within a minute of grt_init, in us */
  unlink(path);
  rmdir(dir);
}

/* Off (the default): nothing is written. */
static void test_profile_off_writes_nothing(void **state) {
  (void)state;
  char dir[] = "/tmp/grt-profile-XXXXXX";
  assert_non_null(mkdtemp(dir));
  int rc;
  grt_runtime_t *rt = start("false", dir, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(grt_finalize(rt), 0);
  assert_int_equal(rmdir(dir), 0); /* fails unless empty */
}

/* A logdir that cannot be written fails grt_init, naming the setting and
 * the path; nothing is left behind. */
static void test_profile_bad_logdir(void **state) {
  (void)state;
  int rc;
  char file[] = "/tmp/grt-profile-file-XXXXXX"; /* a file where a directory should be */
  int fd = mkstemp(file);
  assert_true(fd >= 0);
  close(fd);
  char logdir[64];
  snprintf(logdir, sizeof logdir, "%s/sub", file);
  grt_runtime_t *rt = start("true", logdir, &rc);
  assert_null(rt);
  assert_int_equal(rc, GRT_EINVAL);
  const char *msg = grt_last_error();
  assert_non_null(strstr(msg, "logdir"));
  char want[96];
  snprintf(want, sizeof want, "%s/grt_profile_0.json", logdir);
  assert_non_null(strstr(msg, want));
  unlink(file);
}

/* A missing logdir is created, with its parents. */
static void test_profile_creates_logdir(void **state) {
  (void)state;
  char dir[] = "/tmp/grt-profile-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char logdir[64], path[96];
  snprintf(logdir, sizeof logdir, "%s/a/b", dir);
  int rc;
  grt_runtime_t *rt = start("true", logdir, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(grt_finalize(rt), 0);
  snprintf(path, sizeof path, "%s/grt_profile_0.json", logdir);
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(logdir), 0);
  snprintf(logdir, sizeof logdir, "%s/a", dir);
  assert_int_equal(rmdir(logdir), 0);
  assert_int_equal(rmdir(dir), 0);
}

/* The graph settings are not built yet: grt_init says so instead of
 * running without them. */
static void test_graph_settings_unsupported(void **state) {
  (void)state;
  static const char *const keys[] = {"dataflow", "event"};
  for (int i = 0; i < 2; i++) {
    grt_config_t *cfg;
    assert_int_equal(grt_config_create(&cfg), 0);
    assert_int_equal(grt_config_set(cfg, keys[i], "true"), 0);
    grt_runtime_t *rt = NULL;
    assert_int_equal(grt_init_config(NULL, NULL, cfg, &rt), GRT_EUNSUPPORTED);
    grt_config_destroy(cfg);
    assert_null(rt);
    assert_non_null(strstr(grt_last_error(), keys[i]));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_profile_timeline),
      cmocka_unit_test(test_profile_off_writes_nothing),
      cmocka_unit_test(test_profile_bad_logdir),
      cmocka_unit_test(test_profile_creates_logdir),
      cmocka_unit_test(test_graph_settings_unsupported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
