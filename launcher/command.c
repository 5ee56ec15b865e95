/* command.c - the mpirun/srun/jsrun/none command line that starts the job. */
#include "launcher.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- argument vectors ---- */

static int grow(grt_strvec_t *sv) {
  if (sv->n + 2 <= sv->cap) return 0;
  int cap = sv->cap ? sv->cap * 2 : 16;
  char **v = realloc(sv->v, (size_t)cap * sizeof *v);
  if (!v) return -1;
  sv->v = v;
  unsigned char *owned = realloc(sv->owned, (size_t)cap);
  if (!owned) return -1;
  sv->owned = owned;
  sv->cap = cap;
  return 0;
}

int grt_strvec_push(grt_strvec_t *sv, const char *s) {
  if (grow(sv) < 0) return -1;
  sv->owned[sv->n] = 0;
  sv->v[sv->n++] = (char *)s;
  sv->v[sv->n] = NULL;
  return 0;
}

int grt_strvec_push_owned(grt_strvec_t *sv, char *s) {
  if (!s || grow(sv) < 0) {
    free(s);
    return -1;
  }
  sv->owned[sv->n] = 1;
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
  return 0;
}

static int vpushf(grt_strvec_t *sv, const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0) return -1;
  return grt_strvec_push_owned(sv, s);
}

int grt_strvec_pushf(grt_strvec_t *sv, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vpushf(sv, fmt, ap);
  va_end(ap);
  return rc;
}

void grt_strvec_free(grt_strvec_t *sv) {
  for (int i = 0; i < sv->n; i++)
    if (sv->owned[i]) free(sv->v[i]);
  free(sv->v);
  free(sv->owned);
  sv->v = NULL;
  sv->owned = NULL;
  sv->n = sv->cap = 0;
}

/* ---- the command ---- */

/* Pushes @p flag, then its value formatted from @p fmt as a separate
 * argument ("-np" "4"). Returns 0 or -1 (out of memory). */
static int push_opt(grt_strvec_t *sv, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int push_opt(grt_strvec_t *sv, const char *flag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = grt_strvec_push(sv, flag);
  if (rc == 0) rc = vpushf(sv, fmt, ap);
  va_end(ap);
  return rc;
}

int grt_launcher_build_command(const grt_launcher_opts_t *o, const char *config_path,
                               int prog_argc, char **prog_argv, bool is_root,
                               grt_strvec_t *cmd, char *err, size_t errlen) {
  memset(cmd, 0, sizeof *cmd);
  if (prog_argc < 1) {
    snprintf(err, errlen, "missing the program to run");
    return GRT_LAUNCHER_EXIT_USAGE;
  }
  long long nodes = o->val[GRT_LK_NODES].num, rpn = o->val[GRT_LK_RANKS_PER_NODE].num;
  int rc = 0;
  switch (o->launcher) {
  case GRT_LAUNCHER_NONE: break;
  case GRT_LAUNCHER_MPIRUN:
    rc |= grt_strvec_push(cmd, "mpirun");
    rc |= push_opt(cmd, "-np", "%lld", nodes * rpn);
    rc |= push_opt(cmd, "--map-by", "ppr:%lld:node", rpn);
    if (o->cpu_bind) rc |= push_opt(cmd, "--bind-to", "%s", o->cpu_bind);
    if (o->oversubscribe) rc |= grt_strvec_push(cmd, "--oversubscribe");
    if (is_root) rc |= grt_strvec_push(cmd, "--allow-run-as-root");
    rc |= push_opt(cmd, "-x", "GRT_CONFIG=%s", config_path);
    break;
  case GRT_LAUNCHER_SRUN:
    /* --export takes a comma-separated list: a comma in the path would split it. */
    if (strchr(config_path, ',')) {
      snprintf(err, errlen, "--launcher srun: the run directory %s contains a ',' that srun "
               "--export cannot pass; set TMPDIR to a path without one", config_path);
      return GRT_LAUNCHER_EXIT_USAGE;
    }
    rc |= grt_strvec_push(cmd, "srun");
    rc |= grt_strvec_pushf(cmd, "--nodes=%lld", nodes);
    rc |= grt_strvec_pushf(cmd, "--ntasks-per-node=%lld", rpn);
    rc |= grt_strvec_pushf(cmd, "--ntasks=%lld", nodes * rpn);
    if (o->cpu_bind) rc |= grt_strvec_pushf(cmd, "--cpu-bind=%s", o->cpu_bind);
    if (o->mem_bind) rc |= grt_strvec_pushf(cmd, "--mem-bind=%s", o->mem_bind);
    if (o->oversubscribe) rc |= grt_strvec_push(cmd, "--overcommit");
    rc |= grt_strvec_pushf(cmd, "--export=ALL,GRT_CONFIG=%s", config_path);
    break;
  case GRT_LAUNCHER_JSRUN:
    rc |= grt_strvec_push(cmd, "jsrun");
    rc |= push_opt(cmd, "--nrs", "%lld", nodes * rpn);
    rc |= push_opt(cmd, "--rs_per_host", "%lld", rpn);
    rc |= push_opt(cmd, "--tasks_per_rs", "1");
    if (o->cpu_bind) rc |= push_opt(cmd, "--bind", "%s", o->cpu_bind);
    rc |= push_opt(cmd, "-E", "GRT_CONFIG=%s", config_path);
    break;
  }
  if (o->launcher != GRT_LAUNCHER_NONE)
    for (int i = 0; i < o->nextra; i++) rc |= grt_strvec_push(cmd, o->extra[i]);
  for (int i = 0; i < prog_argc; i++) rc |= grt_strvec_push(cmd, prog_argv[i]);
  if (rc) {
    grt_strvec_free(cmd);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  return 0;
}

/* ---- display ---- */

void grt_launcher_shell_quote(const char *s, FILE *out) {
  bool plain = *s != '\0';
  for (const char *p = s; *p && plain; p++)
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,+@%",
                   *p) != NULL;
  if (plain) {
    fputs(s, out);
    return;
  }
  fputc('\'', out);
  for (const char *p = s; *p; p++) {
    if (*p == '\'') fputs("'\\''", out);
    else fputc(*p, out);
  }
  fputc('\'', out);
}

void grt_launcher_print_command(const grt_launcher_opts_t *o, const char *config_path,
                                const grt_strvec_t *cmd, FILE *out) {
  if (o->launcher == GRT_LAUNCHER_NONE) {
    fputs("GRT_CONFIG=", out);
    grt_launcher_shell_quote(config_path, out);
    fputc(' ', out);
  }
  for (int i = 0; i < cmd->n; i++) {
    if (i) fputc(' ', out);
    grt_launcher_shell_quote(cmd->v[i], out);
  }
  fputc('\n', out);
}
