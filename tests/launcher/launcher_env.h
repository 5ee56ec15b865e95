/* launcher_env.h - the variables the grt launcher reads, so that a test or fuzz input starts clean. */
#ifndef GRT_TEST_LAUNCHER_ENV_H
#define GRT_TEST_LAUNCHER_ENV_H

#include <stddef.h>
#include <stdlib.h>

#include "runtime/config_keys.h"

/* Every key's variable, from the one key table (a key added there is cleared
 * here too), then the launcher's own variables and GRT_CONFIG. */
static const char *const launcher_env_vars[] = {
#define LAUNCHER_KEY_ENV(id, ...) "GRT_" #id,
    GRT_CONFIG_KEYS(LAUNCHER_KEY_ENV)
#undef LAUNCHER_KEY_ENV
    "GRT_LAUNCHER", "GRT_LAUNCHER_EXTRA", "GRT_CPU_BIND", "GRT_MEM_BIND", "GRT_OVERSUBSCRIBE",
    "GRT_STRICT_CORES", "GRT_VERBOSE", "GRT_KEEP", "GRT_CONFIG"};

static inline void launcher_env_clear(void) {
  for (size_t i = 0; i < sizeof launcher_env_vars / sizeof launcher_env_vars[0]; i++)
    unsetenv(launcher_env_vars[i]);
}

/* cmocka setup and teardown: each test starts and ends with none of them set. */
static inline int launcher_env_setup(void **state) {
  (void)state;
  launcher_env_clear();
  return 0;
}
static inline int launcher_env_teardown(void **state) {
  (void)state;
  launcher_env_clear();
  return 0;
}

#endif
