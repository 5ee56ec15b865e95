/* config.c - placeholder: defaults only, until the configuration module lands. */
#include "config.h"
#include "error.h"

#include <string.h>

int grt__settings_load(grt_settings_t *out, const grt_config_t *explicit_cfg) {
  (void)explicit_cfg;
  memset(out, 0, sizeof *out);
  out->cpus = -1;
  out->ompthreads = -1;
  out->sysmem = (size_t)4 << 30;
  out->min_cpu_chunk = 64 << 10;
  return 0;
}
int grt__settings_print(const grt_settings_t *s, FILE *out) { (void)s; (void)out; return 0; }
int grt__settings_nkeys(void) { return 0; }
const char *grt__settings_key(int i) { (void)i; return NULL; }
GRT_EXPORT int grt_config_create(grt_config_t **out) { (void)out; return GRT_EUNSUPPORTED; }
GRT_EXPORT int grt_config_set(grt_config_t *cfg, const char *k, const char *v) { (void)cfg; (void)k; (void)v; return GRT_EUNSUPPORTED; }
GRT_EXPORT void grt_config_destroy(grt_config_t *cfg) { (void)cfg; }
