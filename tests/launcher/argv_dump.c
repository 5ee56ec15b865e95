/* argv_dump.c - helper the launcher tests start through grt: reports what it received. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints, on stdout:
 *   config <GRT_CONFIG> <file mode> <dir mode>   (octal, or "-" if unset)
 *   arg <length> <bytes>\n                       one per argument after argv[0]
 * then, if GRT_TEST_SLEEP is set, "ready" and waits for a signal; exits with
 * GRT_TEST_EXIT (default 0), or kills itself with signal GRT_TEST_KILL. */
int main(int argc, char **argv) {
  const char *cfg = getenv("GRT_CONFIG");
  if (cfg) {
    struct stat fs, ds;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", cfg);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int f = stat(cfg, &fs), d = stat(dir, &ds);
    printf("config %s %o %o\n", cfg, f == 0 ? (unsigned)(fs.st_mode & 07777) : 0u,
           d == 0 ? (unsigned)(ds.st_mode & 07777) : 0u);
  } else {
    printf("config - 0 0\n");
  }
  for (int i = 1; i < argc; i++) {
    printf("arg %zu ", strlen(argv[i]));
    fwrite(argv[i], 1, strlen(argv[i]), stdout);
    putchar('\n');
  }
  if (getenv("GRT_TEST_SLEEP")) {
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  fflush(stdout);
  const char *k = getenv("GRT_TEST_KILL");
  if (k) raise(atoi(k));
  const char *e = getenv("GRT_TEST_EXIT");
  return e ? atoi(e) : 0;
}
