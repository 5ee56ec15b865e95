/* flags.c - the grt launcher's flags and their GRT_* environment defaults. */
#include "launcher.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the configuration keys ----
 * One row per key of runtime/config_keys.h, the runtime's own table: same
 * names, order, variables, kinds, bounds and defaults (docs/config.md). */

typedef struct {
  const char *key, *flag, *env, *arg, *def, *help;
  grt_key_kind_t type;
  long long min, max, dflt;  /* in the file unit */
  grt_key_section_t section;
} lkey_t;

#define LKEY(id, name, kind, min, max, dflt, section, flag, arg, def, help) \
  [GRT_LK_##id] = {#name, flag, "GRT_" #id, arg, def, help, GRT_KT_##kind, min, max, dflt, \
                   GRT_KS_##section},
static const lkey_t lkeys[GRT_LK_COUNT] = {GRT_CONFIG_KEYS(LKEY)};
#undef LKEY

const char *grt_launcher_key_name(int key) {
  return key >= 0 && key < GRT_LK_COUNT ? lkeys[key].key : NULL;
}
const char *grt_launcher_key_flag(int key) {
  return key >= 0 && key < GRT_LK_COUNT ? lkeys[key].flag : NULL;
}
const char *grt_launcher_key_env(int key) {
  return key >= 0 && key < GRT_LK_COUNT ? lkeys[key].env : NULL;
}
grt_key_kind_t grt_launcher_key_kind(int key) {
  return key >= 0 && key < GRT_LK_COUNT ? lkeys[key].type : GRT_KT_INT;
}

static const char *const kind_names[] = {"none", "mpirun", "srun", "jsrun"};

const char *grt_launcher_kind_name(grt_launcher_kind_t kind) {
  return (unsigned)kind < 4 ? kind_names[kind] : "unknown";
}

/* ---- the other flags ---- */

typedef enum {
  OF_LAUNCHER, OF_EXTRA, OF_CPU_BIND, OF_MEM_BIND, OF_OVERSUBSCRIBE, OF_STRICT_CORES,
  OF_SHOW_CONFIG, OF_DRY_RUN, OF_VERBOSE,
  OF_KEEP, OF_HELP, OF_VERSION, OF_COUNT
} oflag_t;

typedef struct {
  const char *flag, *env, *arg, *def, *help;
} oflag_def_t;

static const oflag_def_t oflags[OF_COUNT] = {
    [OF_LAUNCHER] = {"--launcher", "GRT_LAUNCHER", "KIND", "none for 1 rank, else mpirun", "mpirun, srun, jsrun or none (run the program directly)"},
    [OF_EXTRA] = {"--launcher-extra", "GRT_LAUNCHER_EXTRA", "ARG", "none", "extra argument for the launcher (repeatable; the variable is split at blanks)"},
    [OF_CPU_BIND] = {"--cpu-bind", "GRT_CPU_BIND", "BIND", "the launcher's", "CPU binding (mpirun --bind-to, srun --cpu-bind, jsrun --bind)"},
    [OF_MEM_BIND] = {"--mem-bind", "GRT_MEM_BIND", "BIND", "the launcher's", "memory binding (srun --mem-bind only)"},
    [OF_OVERSUBSCRIBE] = {"--oversubscribe", "GRT_OVERSUBSCRIBE", NULL, "false", "allow more threads than cores (passed to mpirun; srun gets --overcommit)"},
    [OF_STRICT_CORES] = {"--strict-cores", "GRT_STRICT_CORES", NULL, "false", "count utility threads as needing a core (else only warn)"},
    [OF_SHOW_CONFIG] = {"--show-config", NULL, NULL, NULL, "print the generated config (then run the program, if any)"},
    [OF_DRY_RUN] = {"--dry-run", NULL, NULL, NULL, "print the generated config and the exact command; run nothing"},
    [OF_VERBOSE] = {"--verbose", "GRT_VERBOSE", NULL, "false", "print the run directory and the command before running"},
    [OF_KEEP] = {"--keep", "GRT_KEEP", NULL, "false", "keep the run directory (its path is printed)"},
    [OF_HELP] = {"--help", NULL, NULL, NULL, "print this help"},
    [OF_VERSION] = {"--version", NULL, NULL, NULL, "print the version"},
};

/* ---- messages ---- */

int grt__launcher_fail(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return GRT_LAUNCHER_EXIT_USAGE;
}

/* Names where a bad value came from: "--cpus" or "GRT_CPUS (default of --cpus)". */
static const char *where(const char *flag, const char *env, bool from_env, char *buf,
                         size_t size) {
  if (!from_env) return flag;
  if (flag) snprintf(buf, size, "%s (default of %s)", env, flag);
  else snprintf(buf, size, "%s", env);
  return buf;
}

/* ---- values ---- */

static bool is_blank(const char *s) {
  for (; *s; s++)
    if (!isspace((unsigned char)*s)) return false;
  return true;
}

/* Parses a boolean; returns 0 or -1. */
static int parse_bool(const char *s, bool *out) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) return *out = true, 0;
    if (strcasecmp(s, no[i]) == 0) return *out = false, 0;
  }
  return -1;
}

/* Parses @p text as key @p k. Returns 0, or -1 with @p why. */
static int parse_key_value(const lkey_t *k, const char *text, grt_lval_t *v, const char **why) {
  if (k->type == GRT_KT_STRING) {
    if (strlen(text) >= 4096) return *why = "is too long (4095 bytes at most)", -1;
    v->str = text;
    return 0;
  }
  if (k->type == GRT_KT_BOOL) {
    if (parse_bool(text, &v->b) < 0) return *why = "is not a boolean (true/false, 1/0, yes/no, on/off)", -1;
    return 0;
  }
  if (*text == '\0') return *why = "is empty", -1;
  if (k->type == GRT_KT_AUTO && strcmp(text, "auto") == 0) return v->num = -1, 0;
  const char *p = text;
  bool neg = false;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  if (!isdigit((unsigned char)*p)) return *why = "is not a number", -1;
  errno = 0;
  char *end;
  unsigned long long u = strtoull(p, &end, 10);
  if (*end != '\0') return *why = "has trailing characters after the number", -1;
  if (errno == ERANGE) return *why = "is too large (overflow)", -1;
  if (neg && u != 0) {
    if (k->type == GRT_KT_AUTO && u == 1) return v->num = -1, 0;
    return *why = k->type == GRT_KT_AUTO ? "must be auto (-1) or at least 1" : "is negative", -1;
  }
  switch (k->type) {
  case GRT_KT_MIB:
    if (u > (unsigned long long)(SIZE_MAX >> 20)) return *why = "is too large: MiB * 2^20 overflows", -1;
    break;
  case GRT_KT_BYTES:
    if (u > (unsigned long long)SIZE_MAX) return *why = "is too large (overflow)", -1;
    break;
  case GRT_KT_PERCENT:
    if (u > 100) return *why = "is out of range (0..100)", -1;
    break;
  default:
    if (u > INT_MAX) return *why = "is too large (overflow of an int)", -1;
    if ((long long)u < k->min)
      return *why = k->type == GRT_KT_AUTO ? "must be auto (-1) or at least 1"
                                           : "must be at least 1",
             -1;
  }
  if (k->type != GRT_KT_PERCENT && u > (unsigned long long)k->max) {
    static _Thread_local char buf[96];
    snprintf(buf, sizeof buf, "is too large: grt holds at most %lld%s", k->max,
             k->type == GRT_KT_MIB ? " MiB" : k->type == GRT_KT_BYTES ? " bytes" : "");
    return *why = buf, -1;
  }
  v->num = (long long)u;
  return 0;
}

/* Splits a copy of @p text at blanks into o->extra. Returns 0 or -1 (OOM). */
static int split_extra(grt_launcher_opts_t *o, const char *text) {
  o->owned = strdup(text);
  if (!o->owned) return -1;
  for (char *p = o->owned;;) {
    while (isspace((unsigned char)*p)) p++;
    if (!*p) break;
    char *start = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (*p) *p++ = '\0';
    const char **nv = realloc(o->extra, (size_t)(o->nextra + 1) * sizeof *nv);
    if (!nv) return -1;
    o->extra = nv;
    o->extra[o->nextra++] = start;
  }
  return 0;
}

static int push_extra(grt_launcher_opts_t *o, const char *arg) {
  const char **nv = realloc(o->extra, (size_t)(o->nextra + 1) * sizeof *nv);
  if (!nv) return -1;
  o->extra = nv;
  o->extra[o->nextra++] = arg;
  return 0;
}

static int parse_kind(const char *s, grt_launcher_kind_t *out) {
  for (int i = 0; i < 4; i++)
    if (strcmp(s, kind_names[i]) == 0) return *out = (grt_launcher_kind_t)i, 0;
  return -1;
}

/* Reads the GRT_* variables into @p o (origin GRT_LOPT_ENV). */
static int apply_env(grt_launcher_opts_t *o, char *err, size_t errlen) {
  char wb[96], vb[80];
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const lkey_t *k = &lkeys[i];
    const char *text = getenv(k->env);
    if (!text || (k->type != GRT_KT_STRING && is_blank(text))) continue;
    const char *why;
    if (parse_key_value(k, text, &o->val[i], &why) < 0)
      return grt__launcher_fail(err, errlen, "%s: value '%s' %s",
                                where(k->flag, k->env, true, wb, sizeof wb),
                                grt__config_clip(text, vb, sizeof vb), why);
    o->val[i].origin = GRT_LOPT_ENV;
  }
  const char *e = getenv("GRT_LAUNCHER");
  if (e && !is_blank(e)) {
    if (parse_kind(e, &o->launcher) < 0)
      return grt__launcher_fail(err, errlen,
                                "GRT_LAUNCHER (default of --launcher): unknown launcher '%s' "
                                "(mpirun, srun, jsrun or none)",
                                grt__config_clip(e, vb, sizeof vb));
    o->launcher_origin = GRT_LOPT_ENV;
  }
  e = getenv("GRT_LAUNCHER_EXTRA");
  if (e && !is_blank(e)) {
    if (split_extra(o, e) < 0) return grt__launcher_fail(err, errlen, "out of memory");
    o->extra_origin = GRT_LOPT_ENV;
  }
  e = getenv("GRT_CPU_BIND");
  if (e && !is_blank(e)) o->cpu_bind = e;
  e = getenv("GRT_MEM_BIND");
  if (e && !is_blank(e)) o->mem_bind = e;
  static const struct { const char *env, *flag; size_t off; } bools[] = {
      {"GRT_VERBOSE", "--verbose", offsetof(grt_launcher_opts_t, verbose)},
      {"GRT_KEEP", "--keep", offsetof(grt_launcher_opts_t, keep)},
      {"GRT_OVERSUBSCRIBE", "--oversubscribe", offsetof(grt_launcher_opts_t, oversubscribe)},
      {"GRT_STRICT_CORES", "--strict-cores", offsetof(grt_launcher_opts_t, strict_cores)}};
  for (int i = 0; i < 4; i++) {
    e = getenv(bools[i].env);
    if (!e || is_blank(e)) continue;
    if (parse_bool(e, (bool *)((char *)o + bools[i].off)) < 0)
      return grt__launcher_fail(err, errlen, "%s (default of %s): value '%s' is not a boolean",
                                bools[i].env, bools[i].flag, grt__config_clip(e, vb, sizeof vb));
  }
  return 0;
}

void grt_launcher_opts_free(grt_launcher_opts_t *o) {
  if (!o) return;
  free(o->extra);
  free(o->owned);
  o->extra = NULL;
  o->owned = NULL;
  o->nextra = 0;
}

int grt_launcher_parse(int argc, char **argv, grt_launcher_opts_t *o, char *err, size_t errlen) {
  memset(o, 0, sizeof *o);
  if (err && errlen) err[0] = '\0';
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    o->val[i].num = lkeys[i].dflt;
    o->val[i].str = "";
    o->val[i].origin = GRT_LOPT_DEFAULT;
  }
  o->val[GRT_LK_SYSMEM].sysmem_auto = true;
  int rc = apply_env(o, err, errlen);
  if (rc) return rc;
  if (o->val[GRT_LK_SYSMEM].origin != GRT_LOPT_DEFAULT) o->val[GRT_LK_SYSMEM].sysmem_auto = false;

  char vb[80];
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break; /* the program */
    if (strcmp(a, "-h") == 0) a = "--help";
    /* "--flag=value" or "--flag [value]" */
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    const char *inline_val = eq ? eq + 1 : NULL;
    int key = -1, of = -1;
    for (int k = 0; k < GRT_LK_COUNT && key < 0; k++)
      if (lkeys[k].flag && strlen(lkeys[k].flag) == nlen && strncmp(a, lkeys[k].flag, nlen) == 0)
        key = k;
    for (int k = 0; k < OF_COUNT && key < 0 && of < 0; k++)
      if (strlen(oflags[k].flag) == nlen && strncmp(a, oflags[k].flag, nlen) == 0) of = k;
    if (key < 0 && of < 0) {
      char nb[80];
      snprintf(nb, sizeof nb, "%.*s", (int)(nlen < 64 ? nlen : 64), a);
      return grt__launcher_fail(err, errlen, "%s: unknown flag (see grt --help)", nb);
    }
    const char *flag = key >= 0 ? lkeys[key].flag : oflags[of].flag;
    bool is_bool = key >= 0 ? lkeys[key].type == GRT_KT_BOOL : oflags[of].arg == NULL;
    const char *val = inline_val;
    if (is_bool) {
      bool b = true;
      if (val && parse_bool(val, &b) < 0)
        return grt__launcher_fail(err, errlen, "%s: value '%s' is not a boolean", flag,
                                  grt__config_clip(val, vb, sizeof vb));
      if (val && key < 0 && of != OF_VERBOSE && of != OF_KEEP && of != OF_OVERSUBSCRIBE &&
          of != OF_STRICT_CORES)
        return grt__launcher_fail(err, errlen, "%s: takes no value", flag);
      if (key >= 0) {
        o->val[key].b = b;
        o->val[key].origin = GRT_LOPT_FLAG;
      } else {
        switch ((oflag_t)of) {
        case OF_SHOW_CONFIG: o->show_config = true; break;
        case OF_DRY_RUN: o->dry_run = true; break;
        case OF_VERBOSE: o->verbose = b; break;
        case OF_KEEP: o->keep = b; break;
        case OF_OVERSUBSCRIBE: o->oversubscribe = b; break;
        case OF_STRICT_CORES: o->strict_cores = b; break;
        case OF_HELP: o->help = true; break;
        case OF_VERSION: o->version = true; break;
        default: break;
        }
      }
      continue;
    }
    if (!val) {
      /* The value is the next argument. Only --launcher-extra may take a
       * value that looks like a flag ("--launcher-extra --oversubscribe"). */
      if (i + 1 >= argc || (of != OF_EXTRA && strncmp(argv[i + 1], "--", 2) == 0))
        return grt__launcher_fail(err, errlen, "%s: missing value (%s %s)", flag, flag,
                                  key >= 0 ? lkeys[key].arg : oflags[of].arg);
      val = argv[++i];
    }
    if (key >= 0) {
      const char *why;
      if (parse_key_value(&lkeys[key], val, &o->val[key], &why) < 0)
        return grt__launcher_fail(err, errlen, "%s: value '%s' %s", flag,
                                  grt__config_clip(val, vb, sizeof vb), why);
      o->val[key].origin = GRT_LOPT_FLAG;
      if (key == GRT_LK_SYSMEM) o->val[key].sysmem_auto = false;
      continue;
    }
    switch ((oflag_t)of) {
    case OF_LAUNCHER:
      if (parse_kind(val, &o->launcher) < 0)
        return grt__launcher_fail(err, errlen,
                                  "--launcher: unknown launcher '%s' (mpirun, srun, jsrun or none)",
                                  grt__config_clip(val, vb, sizeof vb));
      o->launcher_origin = GRT_LOPT_FLAG;
      break;
    case OF_EXTRA:
      if (o->extra_origin == GRT_LOPT_ENV) o->nextra = 0; /* flags replace the variable */
      o->extra_origin = GRT_LOPT_FLAG;
      if (push_extra(o, val) < 0) return grt__launcher_fail(err, errlen, "out of memory");
      break;
    case OF_CPU_BIND:
    case OF_MEM_BIND:
      if (*val == '\0' || is_blank(val))
        return grt__launcher_fail(err, errlen, "%s: value is empty", flag);
      if (of == OF_CPU_BIND) o->cpu_bind = val;
      else o->mem_bind = val;
      break;
    default: break;
    }
  }
  o->prog_index = i;
  if (o->launcher_origin == GRT_LOPT_DEFAULT) {
    long long ranks = o->val[GRT_LK_NODES].num * o->val[GRT_LK_RANKS_PER_NODE].num;
    o->launcher = ranks == 1 ? GRT_LAUNCHER_NONE : GRT_LAUNCHER_MPIRUN;
  }
  if (o->help || o->version) return 0;
  if (i >= argc && !o->show_config)
    return grt__launcher_fail(err, errlen,
                              "missing the program to run: grt [flags] PROGRAM [ARGS...] "
                              "(see grt --help)");
  return 0;
}

/* ---- --help ---- */

static void usage_line(FILE *out, const char *flag, const char *arg, const char *env,
                       const char *def, const char *help) {
  char left[64];
  snprintf(left, sizeof left, "%s%s%s", flag, arg ? " " : "", arg ? arg : "");
  fprintf(out, "  %-32s %s\n", left, help);
  if (env || def) {
    fprintf(out, "  %-32s ", "");
    if (env) fprintf(out, "env %s", env);
    if (env && def) fputs(", ", out);
    if (def) fprintf(out, "default %s", def);
    fputc('\n', out);
  }
}

/* The keys of --help section @p section, in the table's order. */
static void usage_keys(FILE *out, grt_key_section_t section) {
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const lkey_t *k = &lkeys[i];
    if (k->section == section) usage_line(out, k->flag, k->arg, k->env, k->def, k->help);
  }
}

void grt_launcher_usage(FILE *out) {
  fputs("usage: grt [flags] PROGRAM [ARGS...]\n"
        "\n"
        "Starts PROGRAM on every rank with a generated grt configuration file\n"
        "(docs/config.md) passed as GRT_CONFIG. Each flag's default comes from its\n"
        "environment variable, else the default shown: flag > env > default.\n"
        "Memory sizes are in MiB. Flags end at the first argument that is not a\n"
        "flag, or at '--'. Values may be given as '--flag VALUE' or '--flag=VALUE';\n"
        "boolean flags accept '--flag=false'.\n"
        "\nResources per rank:\n",
        out);
  usage_keys(out, GRT_KS_RESOURCE);
  fputs("\nLaunch:\n", out);
  usage_keys(out, GRT_KS_LAUNCH);
  for (int f = OF_LAUNCHER; f <= OF_STRICT_CORES; f++)
    usage_line(out, oflags[f].flag, oflags[f].arg, oflags[f].env, oflags[f].def, oflags[f].help);
  fputs("\nTools (recorded in the config):\n", out);
  usage_keys(out, GRT_KS_TOOL);
  fputs("\nThis launcher:\n", out);
  for (int f = OF_SHOW_CONFIG; f < OF_COUNT; f++)
    usage_line(out, oflags[f].flag, oflags[f].arg, oflags[f].env, oflags[f].def, oflags[f].help);
  fputs("\nKeys without a flag, passed on from the environment:\n", out);
  for (int i = 0; i < GRT_LK_COUNT; i++)
    if (!lkeys[i].flag)
      fprintf(out, "  %-32s %s; default %s\n", lkeys[i].env, lkeys[i].help, lkeys[i].def);
  fputs("\nExit status: the job's; 2 for a bad flag or a request this machine cannot\n"
        "meet (nothing is started); 127/126 if the launcher or program cannot be run.\n",
        out);
}
