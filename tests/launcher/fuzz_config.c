/* fuzz_config.c - fuzz harness for the runtime's GRT_CONFIG parser and grt_config_set.
 *
 * Properties checked on every input: no crash, no leak, no sanitizer report;
 * a file that loads prints back (grt__config_print) to a file that loads to
 * the same values; a failure always leaves a message that names the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

const fuzz_seed_t fuzz_seeds[] = {
    FUZZ_SEED("cpus = 4\ngpus = 0\nsysmem = 1024  # MiB\n"),
    FUZZ_SEED("# comment\n\n  omps=2\t\nompthreads = auto\nlogdir = \"/tmp/a # b \\\"q\\\" \\x41\"\n"),
    FUZZ_SEED("profile = yes\ndataflow = off\nevent = 1\nmin_cpu_chunk = 65536\ntiles = 8\n"),
    FUZZ_SEED("sim_ranks = 4\nsim_rank = 3\nnodes = 2\nranks_per_node = 2\neager_alloc_percentage = 50\n"),
    FUZZ_SEED("numamem = 0\nfbmem = 17592186044415\nzcmem = 32\nregmem = 1\nutility = 1\n"),
    FUZZ_SEED("logdir = plain value # comment\n"),
    FUZZ_SEED("cpus"),
    FUZZ_SEED(""),
};
const size_t fuzz_nseeds = sizeof fuzz_seeds / sizeof fuzz_seeds[0];
const char *const fuzz_dict[] = {
    "cpus", "gpus", "omps", "ompthreads", "utility", "sysmem", "numamem", "fbmem", "zcmem",
    "regmem", "eager_alloc_percentage", "min_cpu_chunk", "tiles", "sim_ranks", "sim_rank",
    "profile", "dataflow", "event", "logdir", "nodes", "ranks_per_node", " = ", "=", "#",
    "\n", "\"", "\\x", "\\", "auto", "-1", "true", "2147483648", "18446744073709551616",
    "17592186044416", "+", "  ", "\t"};
const size_t fuzz_ndict = sizeof fuzz_dict / sizeof fuzz_dict[0];

static char *print(grt_settings_t *s) {
  for (int i = 0; i < grt__config_nkeys(); i++) s->source[i] = GRT_SRC_FILE;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f || grt__config_print(s, f) != 0) abort();
  fclose(f);
  return buf;
}

static int apply(grt_settings_t *s, const char *text, size_t len) {
  if (len == 0) return 0; /* fmemopen rejects a zero size */
  FILE *f = fmemopen((void *)text, len, "r");
  if (!f) abort();
  int rc = grt__config_apply_stream(s, f, "fuzz.conf");
  fclose(f);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static grt_settings_t base;
  static int have_base;
  if (!have_base) {
    unsetenv("GRT_CONFIG");
    if (grt__config_load(&base, NULL) != 0) {
      fprintf(stderr, "fuzz_config: cannot load defaults: %s\n", grt_last_error());
      abort();
    }
    have_base = 1;
  }
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';

  grt_settings_t s = base;
  int rc = apply(&s, text, size);
  if (rc != 0) {
    if (rc != GRT_EINVAL || !strstr(grt_last_error(), "fuzz.conf")) {
      fprintf(stderr, "fuzz_config: rc %d, message \"%s\"\n", rc, grt_last_error());
      abort();
    }
  } else {
    char *one = print(&s);
    grt_settings_t t = base;
    if (apply(&t, one, strlen(one)) != 0) {
      fprintf(stderr, "fuzz_config: printed config does not load: %s\n%s", grt_last_error(), one);
      abort();
    }
    char *two = print(&t);
    if (strcmp(one, two) != 0) {
      fprintf(stderr, "fuzz_config: round trip changed the config:\n%s---\n%s", one, two);
      abort();
    }
    free(one);
    free(two);
  }

  /* The same bytes as one explicit setting: key up to the first '=' . */
  char *eq = strchr(text, '=');
  if (eq) {
    *eq = '\0';
    grt_config_t *cfg;
    if (grt_config_create(&cfg) != 0) abort();
    rc = grt_config_set(cfg, text, eq + 1);
    if (rc != 0 && rc != GRT_EINVAL) abort();
    grt_config_destroy(cfg);
  }
  free(text);
  return 0;
}
