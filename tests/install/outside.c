/* outside.c - a program built outside the tree against the installed grt.pc:
 * types, stores, views, arrays and memory budgets. */
#include <grt.h>
#include <stdio.h>
#include <string.h>

#define CHECK(x)                                                          \
  do {                                                                    \
    if (!(x)) {                                                           \
      fprintf(stderr, "outside: %s failed: %s\n", #x, grt_last_error()); \
      return 1;                                                           \
    }                                                                     \
  } while (0)

int main(int argc, char **argv) {
  grt_config_t *cfg;
  grt_runtime_t *rt;
  CHECK(grt_config_create(&cfg) == 0);
  CHECK(grt_config_set(cfg, "sysmem", "1") == 0); /* 1 MiB budget */
  CHECK(grt_init_config(&argc, &argv, cfg, &rt) == 0);
  grt_config_destroy(cfg);
  CHECK(strcmp(grt_type_format(grt_type_int32()), "i") == 0);
  const grt_type_t *fields[2] = {grt_type_float64(), grt_type_int8()};
  const grt_type_t *st = grt_type_struct(rt, 2, fields);
  CHECK(st && grt_type_size(st) == 16);
  int64_t shape[2] = {64, 64};
  grt_store_t *s, *v;
  CHECK(grt_store_create(rt, grt_type_float64(), 2, shape, &s) == 0);
  CHECK(grt_store_transpose(s, (int[]){1, 0}, &v) == 0);
  double x = 2.0;
  CHECK(grt_fill(v, &x) == 0);
  grt_mapping_t *m;
  CHECK(grt_store_map(s, GRT_READ, &m) == 0);
  CHECK(((double *)grt_mapping_ptr(m, NULL))[4095] == 2.0);
  CHECK(grt_mapping_unmap(m) == 0);
  grt_array_t *a;
  CHECK(grt_array_create(rt, grt_type_int64(), 2, shape, true, &a) == 0);
  CHECK(grt_array_validity(a) != NULL);
  /* 64x64 doubles = 32 KiB; a 512x512 store (2 MiB) exceeds the 1 MiB budget */
  int64_t big[2] = {512, 512};
  grt_store_t *b;
  CHECK(grt_store_create(rt, grt_type_float64(), 2, big, &b) == 0);
  CHECK(grt_fill(b, &x) == GRT_ENOMEM);
  CHECK(strstr(grt_last_error(), "sysmem") != NULL);
  size_t used = 0, budget = 0;
  CHECK(grt_memory_usage(rt, GRT_MEM_SYSMEM, &used, &budget) == 0);
  CHECK(budget == 1 << 20 && used > 0 && used <= budget);
  grt_store_destroy(b);
  grt_array_destroy(a);
  grt_store_destroy(v);
  grt_store_destroy(s);
  CHECK(grt_finalize(rt) == 0);
  printf("outside: ok\n");
  return 0;
}
