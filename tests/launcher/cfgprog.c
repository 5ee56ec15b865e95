/* cfgprog.c - a grt program started by the launcher tests: did it read the generated config? */
#include <grt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Usage: cfgprog [--expect LINE]...  Initializes grt, prints the
 * configuration (grt_show_config) and checks that every LINE appears in it.
 * Exits 0 and prints "cfgprog: ok" if so, 3 otherwise. */
int main(int argc, char **argv) {
  grt_runtime_t *rt;
  int rc = grt_init(&argc, &argv, &rt);
  if (rc < 0) {
    fprintf(stderr, "cfgprog: grt_init: %s: %s\n", grt_strerror(rc), grt_last_error());
    return 4;
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f || grt_show_config(rt, f) < 0) return 5;
  fclose(f);
  fputs(buf, stdout);
  int bad = 0;
  const char *cfg = getenv("GRT_CONFIG");
  if (!cfg || !*cfg) {
    fprintf(stderr, "cfgprog: GRT_CONFIG is not set\n");
    bad = 1;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--expect") != 0) continue;
    if (!strstr(buf, argv[i + 1])) {
      fprintf(stderr, "cfgprog: missing line: %s\n", argv[i + 1]);
      bad = 1;
    }
  }
  free(buf);
  grt_finalize(rt);
  if (bad) return 3;
  printf("cfgprog: ok\n");
  return 0;
}
