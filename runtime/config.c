/* config.c - the configuration module: explicit > GRT_CONFIG file > GRT_* env > defaults. */
#include "config.h"
#include "config_keys.h"
#include "config_limits.h"
#include "grt_error.h"
#include "memory.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the key table ----
 * One row per key of config_keys.h, in its order: the row's index is the
 * key's index in settings->source[] (GRT_KEY_<ID>), and the key's name is also
 * the name of its field in grt_settings_t. */

typedef struct {
  const char *name;
  const char *env;       /* "GRT_" + the key in upper case */
  grt_key_kind_t type;
  size_t offset;
  long long min, max;    /* numbers: range, in the file unit (config_limits.h) */
  long long dflt;        /* in the file unit */
} key_def_t;

#define KEY_DEF(id, name, kind, min, max, dflt, ...) \
  {#name, "GRT_" #id, GRT_KT_##kind, offsetof(grt_settings_t, name), min, max, dflt},
static const key_def_t keys[] = {GRT_CONFIG_KEYS(KEY_DEF)};
#undef KEY_DEF

enum { NKEYS = (int)(sizeof keys / sizeof keys[0]) };
_Static_assert((int)NKEYS == (int)GRT_NKEYS, "the key table is config_keys.h's");
_Static_assert(NKEYS <= (int)(sizeof ((grt_settings_t *)0)->source /
                              sizeof ((grt_settings_t *)0)->source[0]),
               "settings->source[] is too small for the key table");

/* Each key's field has the size its kind stores (store_value writes it so). */
#define FIELD_SIZE_INT sizeof(int)
#define FIELD_SIZE_AUTO sizeof(int)
#define FIELD_SIZE_PERCENT sizeof(int)
#define FIELD_SIZE_MIB sizeof(size_t)
#define FIELD_SIZE_BYTES sizeof(size_t)
#define FIELD_SIZE_BOOL sizeof(bool)
#define FIELD_SIZE_STRING sizeof ((grt_settings_t *)0)->logdir
#define KEY_FIELD_CHECK(id, name, kind, ...)                                              \
  _Static_assert(sizeof ((grt_settings_t *)0)->name == FIELD_SIZE_##kind,              \
                 "grt_settings_t." #name " does not hold a " #kind " value");
GRT_CONFIG_KEYS(KEY_FIELD_CHECK)
#undef KEY_FIELD_CHECK

int grt__config_nkeys(void) { return NKEYS; }

const char *grt__config_key(int i) { return i >= 0 && i < NKEYS ? keys[i].name : NULL; }

int grt__config_key_index(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < NKEYS; i++)
    if (strcmp(keys[i].name, name) == 0) return i;
  return -1;
}

const char *grt__config_source_name(grt_setting_source_t src) {
  switch (src) {
  case GRT_SRC_DEFAULT: return "default";
  case GRT_SRC_ENV: return "environment";
  case GRT_SRC_FILE: return "GRT_CONFIG file";
  case GRT_SRC_EXPLICIT: return "explicit";
  }
  return "unknown";
}

/* ---- parsing one value ----
 * A parsed value, before it is stored into the settings. */
typedef struct {
  long long i;   /* GRT_KT_INT, GRT_KT_AUTO, GRT_KT_PERCENT */
  size_t z;      /* GRT_KT_MIB (already in bytes), GRT_KT_BYTES */
  bool b;        /* GRT_KT_BOOL */
  const char *s; /* GRT_KT_STRING: points into the caller's text */
} value_t;

static bool is_blank(const char *s) {
  for (; *s; s++)
    if (!isspace((unsigned char)*s)) return false;
  return true;
}

/* Parses a non-negative decimal integer that fits in unsigned long long.
 * Returns 0, or -1 with @p why set. Leading/trailing blanks are allowed. */
static int parse_ull(const char *text, unsigned long long *out, const char **why) {
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  if (*p == '\0') return *why = "empty value", -1;
  if (*p == '-') {
    /* "-0" is harmless but a sign on a size is almost always a mistake. */
    return *why = "is negative", -1;
  }
  if (*p == '+') p++;
  if (!isdigit((unsigned char)*p)) return *why = "is not a number", -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno == ERANGE) return *why = "is too large (overflow)", -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end != '\0') return *why = "has trailing characters after the number", -1;
  *out = v;
  return 0;
}

/* "is too large: at most N" for a value above @p k's bound; the text lives
 * in a per-thread buffer until the next call (messages are formatted at once). */
static const char *too_large(const key_def_t *k) {
  static _Thread_local char buf[96];
  const char *unit = k->type == GRT_KT_MIB ? " MiB" : k->type == GRT_KT_BYTES ? " bytes" : "";
  snprintf(buf, sizeof buf, "is too large: grt holds at most %lld%s", k->max, unit);
  return buf;
}

static int parse_int(const key_def_t *k, const char *text, long long *out, const char **why) {
  bool allow_auto = k->type == GRT_KT_AUTO;
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  if (allow_auto) {
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1])) n--;
    if (n == 4 && strncmp(p, "auto", 4) == 0) return *out = -1, 0;
  }
  if (*p == '\0') return *why = "empty value", -1;
  const char *q = p;
  if (*q == '-' || *q == '+') q++;
  if (!isdigit((unsigned char)*q)) return *why = "is not an integer", -1;
  errno = 0;
  char *end;
  long long v = strtoll(p, &end, 10);
  if (errno == ERANGE || v > INT_MAX || v < INT_MIN)
    return *why = "is out of the range of an int (overflow)", -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end != '\0') return *why = "has trailing characters after the integer", -1;
  if (allow_auto && v == -1) return *out = -1, 0;
  if (v > k->max && k->type != GRT_KT_PERCENT) return *why = too_large(k), -1;
  if (v < k->min || v > k->max) {
    if (allow_auto) return *why = "must be -1 (auto) or at least 1", -1;
    if (v < 0) return *why = "is negative", -1;
    if (k->type == GRT_KT_PERCENT) return *why = "is out of range (0..100)", -1;
    return *why = k->min == 1 ? "must be at least 1" : "is out of range", -1;
  }
  *out = v;
  return 0;
}

static int parse_bool(const char *text, bool *out, const char **why) {
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  const char *p = text;
  while (isspace((unsigned char)*p)) p++;
  size_t n = strlen(p);
  while (n > 0 && isspace((unsigned char)p[n - 1])) n--;
  if (n == 0) return *why = "empty value", -1;
  for (size_t i = 0; i < 4; i++) {
    if (strlen(yes[i]) == n && strncasecmp(p, yes[i], n) == 0) return *out = true, 0;
    if (strlen(no[i]) == n && strncasecmp(p, no[i], n) == 0) return *out = false, 0;
  }
  return *why = "is not a boolean (true/false, 1/0, yes/no, on/off)", -1;
}

/* Parses @p text as the value of key @p k. Returns 0, or -1 with @p why. */
static int parse_value_raw(const key_def_t *k, const char *text, value_t *v, const char **why) {
  unsigned long long u;
  switch (k->type) {
  case GRT_KT_INT:
  case GRT_KT_AUTO:
  case GRT_KT_PERCENT: return parse_int(k, text, &v->i, why);
  case GRT_KT_MIB:
    if (parse_ull(text, &u, why) < 0) return -1;
    if (u > (unsigned long long)(SIZE_MAX >> 20))
      return *why = "is too large: MiB * 2^20 overflows a byte count", -1;
    if (u > (unsigned long long)k->max) return *why = too_large(k), -1;
    v->z = (size_t)u << 20;
    return 0;
  case GRT_KT_BYTES:
    if (parse_ull(text, &u, why) < 0) return -1;
    if (u > (unsigned long long)SIZE_MAX) return *why = "is too large (overflow)", -1;
    if (u > (unsigned long long)k->max) return *why = too_large(k), -1;
    v->z = (size_t)u;
    return 0;
  case GRT_KT_BOOL: return parse_bool(text, &v->b, why);
  case GRT_KT_STRING:
    if (strlen(text) >= sizeof ((grt_settings_t *)0)->logdir)
      return *why = "is too long (4095 bytes at most)", -1;
    v->s = text;
    return 0;
  }
  return *why = "has an unknown type", -1;
}

/* Values the format accepts that nothing implements yet are refused, not
 * ignored (the launcher refuses them too): more than one utility thread,
 * NUMA-bound and registered memory budgets. */
static int refuse_unsupported(const key_def_t *k, const value_t *v, const char **why) {
  if (strcmp(k->name, "utility") == 0 && v->i > 1)
    return *why = "is not supported yet: only 1 utility thread per rank", -1;
  if ((strcmp(k->name, "numamem") == 0 || strcmp(k->name, "regmem") == 0) && v->z > 0)
    return *why = "is not supported yet: this memory kind is not implemented (0 only)", -1;
  return 0;
}

/* parse_value_raw, then refuse_unsupported. */
static int parse_value(const key_def_t *k, const char *text, value_t *v, const char **why) {
  if (parse_value_raw(k, text, v, why) < 0) return -1;
  return refuse_unsupported(k, v, why);
}

static void store_value(grt_settings_t *s, int key, const value_t *v,
                        grt_setting_source_t src) {
  const key_def_t *k = &keys[key];
  char *field = (char *)s + k->offset;
  switch (k->type) {
  case GRT_KT_INT:
  case GRT_KT_AUTO:
  case GRT_KT_PERCENT: *(int *)field = (int)v->i; break;
  case GRT_KT_MIB:
  case GRT_KT_BYTES: *(size_t *)field = v->z; break;
  case GRT_KT_BOOL: *(bool *)field = v->b; break;
  case GRT_KT_STRING: {
    size_t n = strlen(v->s);
    memcpy(field, v->s, n + 1);
    break;
  }
  }
  s->source[key] = src;
}

/* ---- explicit settings ---- */

struct grt_config {
  char *value[NKEYS];  /* NULL = not set; owned, freed by grt_config_destroy */
};

GRT_EXPORT int grt_config_create(grt_config_t **out) {
  if (!out) return grt__error(GRT_EINVAL, "grt_config_create: out is NULL");
  *out = calloc(1, sizeof **out);
  if (!*out) return grt__error(GRT_ENOMEM, "grt_config_create: out of host memory");
  return 0;
}

GRT_EXPORT int grt_config_set(grt_config_t *cfg, const char *key, const char *value) {
  if (!cfg) return grt__error(GRT_EINVAL, "grt_config_set: cfg is NULL");
  if (!key) return grt__error(GRT_EINVAL, "grt_config_set: key is NULL");
  char vb[128];
  int i = grt__config_key_index(key);
  if (i < 0)
    return grt__error(GRT_EINVAL, "explicit setting '%s': unknown key (see docs/config.md)",
                      grt__config_clip(key, vb, 64));
  if (!value) return grt__error(GRT_EINVAL, "explicit setting '%s': value is NULL", key);
  value_t v;
  const char *why;
  if (parse_value(&keys[i], value, &v, &why) < 0)
    return grt__error(GRT_EINVAL, "explicit setting '%s': value '%s' %s", key,
                      grt__config_clip(value, vb, sizeof vb), why);
  char *copy = strdup(value);
  if (!copy) return grt__error(GRT_ENOMEM, "grt_config_set: out of host memory");
  free(cfg->value[i]);
  cfg->value[i] = copy;
  return 0;
}

GRT_EXPORT void grt_config_destroy(grt_config_t *cfg) {
  if (!cfg) return;
  for (int i = 0; i < NKEYS; i++) free(cfg->value[i]);
  free(cfg);
}

/* ---- defaults ---- */

/* Number of ranks sharing this node, from the launcher's environment, or 0 if
 * unknown: Open MPI, MPICH/Hydra, then Slurm. */
static int local_ranks_from_env(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS",
                                     "SLURM_NTASKS_PER_NODE"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *e = getenv(vars[i]);
    if (!e) continue;
    char *end;
    errno = 0;
    long n = strtol(e, &end, 10);
    if (errno == 0 && end != e && *end == '\0' && n > 0 && n <= INT_MAX) return (int)n;
  }
  return 0;
}

/* Every key at the table's default; sysmem's 0 is resolved after every
 * source (grt__config_load). */
static void set_defaults(grt_settings_t *s) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < NKEYS; i++) {
    const key_def_t *k = &keys[i];
    value_t v = {.i = k->dflt, .z = (size_t)k->dflt, .b = k->dflt != 0, .s = ""};
    if (k->type == GRT_KT_MIB) v.z <<= 20;
    store_value(s, i, &v, GRT_SRC_DEFAULT);
  }
}

/* ---- environment ---- */

static int apply_env(grt_settings_t *s) {
  for (int i = 0; i < NKEYS; i++) {
    const char *var = keys[i].env;
    const char *text = getenv(var);
    if (!text || (keys[i].type != GRT_KT_STRING && is_blank(text))) continue; /* "" = unset */
    value_t v;
    const char *why;
    char vb[128];
    if (parse_value(&keys[i], text, &v, &why) < 0)
      return grt__error(GRT_EINVAL, "environment variable %s: key '%s': value '%s' %s", var,
                        keys[i].name, grt__config_clip(text, vb, sizeof vb), why);
    store_value(s, i, &v, GRT_SRC_ENV);
  }
  return 0;
}

/* ---- the GRT_CONFIG file ----
 * Format (docs/config.md): one `key = value` per line; '#' starts a comment
 * outside quotes; blank lines and surrounding whitespace are ignored; a value
 * may be written "double-quoted" with the escapes \\ \" \n \t \r \xHH (the
 * printer quotes every string value, so any logdir round-trips). A key may
 * appear once per file. */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Unquotes the value starting at the '"' at @p p into @p p itself (in place,
 * the result is never longer). The rest of the line after the closing quote
 * may only be blanks or a comment. Returns 0 or -1 with @p why. */
static int unquote(char *p, const char **why) {
  char *out = p;
  const char *in = p + 1;
  for (;;) {
    char c = *in++;
    if (c == '\0') return *why = "has no closing '\"'", -1;
    if (c == '"') break;
    if (c == '\\') {
      char e = *in++;
      switch (e) {
      case '\\': c = '\\'; break;
      case '"': c = '"'; break;
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case 'x': {
        int hi = hexval((unsigned char)in[0]), lo = hi < 0 ? -1 : hexval((unsigned char)in[1]);
        if (hi < 0 || lo < 0) return *why = "has a bad \\x escape (two hex digits expected)", -1;
        c = (char)(hi * 16 + lo);
        if (c == '\0') return *why = "contains a \\x00 escape", -1;
        in += 2;
        break;
      }
      default: return *why = "has an unknown escape (\\\\ \\\" \\n \\t \\r \\xHH)", -1;
      }
    }
    *out++ = c;
  }
  while (isspace((unsigned char)*in)) in++;
  if (*in != '\0' && *in != '#') return *why = "has characters after the closing '\"'", -1;
  *out = '\0';
  return 0;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  return s;
}

/* Where each key set from the file was set, for cross-key messages. */
typedef struct {
  const char *path;
  int line[NKEYS];
} file_lines_t;

/* Bounds on what the parser reads, so that GRT_CONFIG=/dev/zero (or any
 * endless or binary file) fails at once instead of growing memory: the
 * longest line the printer can write (a 4095-byte logdir of \xHH escapes,
 * quoted, with its key and comment) is under 17 KiB. */
#define CONFIG_MAX_LINE ((size_t)64 << 10) /* bytes in one line, newline included */
#define CONFIG_MAX_FILE ((size_t)1 << 20)  /* bytes in the whole file */

typedef enum { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_FILE_TOO_BIG, LINE_ERROR } line_rc_t;

/* Reads one line of @p f into @p buf (CONFIG_MAX_LINE bytes), without its
 * newline, NUL-terminated; @p total counts the bytes read from the stream so
 * far. Stops at the first NUL byte, overlong line, byte past CONFIG_MAX_FILE
 * or read error. */
static line_rc_t read_line(FILE *f, char *buf, size_t *total) {
  size_t n = 0;
  for (;;) {
    int c = getc(f);
    if (c == EOF) {
      buf[n] = '\0';
      if (ferror(f)) return LINE_ERROR;
      return n > 0 ? LINE_OK : LINE_EOF;
    }
    if (++*total > CONFIG_MAX_FILE) return LINE_FILE_TOO_BIG;
    if (c == '\n') {
      buf[n] = '\0';
      return LINE_OK;
    }
    if (c == '\0') return LINE_NUL;
    if (n + 1 >= CONFIG_MAX_LINE) return LINE_TOO_LONG;
    buf[n++] = (char)c;
  }
}

static int apply_stream(grt_settings_t *s, FILE *f, const char *name, file_lines_t *where) {
  int lineno = 0, rc = 0;
  int seen[NKEYS] = {0};  /* line of each key's first occurrence */
  char nb[160], kb[96], vb[128];
  const char *fname = grt__config_clip(name ? name : "(stream)", nb, sizeof nb);
  char *line = malloc(CONFIG_MAX_LINE);
  if (!line) return grt__error(GRT_ENOMEM, "GRT_CONFIG file %s: out of host memory", fname);
  size_t total = 0;
  line_rc_t lrc;
  errno = 0;
  while ((lrc = read_line(f, line, &total)) == LINE_OK) {
    lineno++;
    char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '\0' || *p == '#') continue;
    char *eq = strchr(p, '=');
    char *hash = strchr(p, '#');
    if (!eq || (hash && hash < eq)) {
      /* Name the first word as the key: "cpus 4" is key 'cpus'. */
      size_t w = 0;
      while (p[w] && p[w] != '#' && !isspace((unsigned char)p[w])) w++;
      p[w] = '\0';
      rc = grt__error(GRT_EINVAL,
                      "GRT_CONFIG file %s:%d: key '%s': missing '=' (expected key = value)", fname,
                      lineno, grt__config_clip(p, kb, 64));
      break;
    }
    *eq = '\0';
    char *key = trim(p);
    if (*key == '\0') {
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: missing key before '='", fname, lineno);
      break;
    }
    int i = grt__config_key_index(key);
    if (i < 0) {
      rc = grt__error(GRT_EINVAL,
                      "GRT_CONFIG file %s:%d: key '%s': unknown key (see docs/config.md)", fname,
                      lineno, grt__config_clip(key, kb, 64));
      break;
    }
    if (seen[i]) {
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: key '%s': already set on line %d", fname,
                      lineno, key, seen[i]);
      break;
    }
    seen[i] = lineno;
    char *val = eq + 1;
    while (isspace((unsigned char)*val)) val++;
    const char *why = NULL;
    if (*val == '"') {
      if (keys[i].type != GRT_KT_STRING) {
        why = "is quoted, but only string values may be";
      } else if (unquote(val, &why) == 0) {
        why = NULL;
      }
    } else {
      char *h = strchr(val, '#');
      if (h) *h = '\0';
      val = trim(val);
      if (*val == '\0' && keys[i].type != GRT_KT_STRING) why = "empty value";
    }
    value_t v;
    if (!why && parse_value(&keys[i], val, &v, &why) == 0) {
      store_value(s, i, &v, GRT_SRC_FILE);
      if (where) where->line[i] = lineno;
      continue;
    }
    rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: key '%s': value '%s' %s", fname, lineno,
                    key, grt__config_clip(val, vb, sizeof vb), why);
    break;
  }
  if (rc == 0) {
    switch (lrc) {
    case LINE_OK:
    case LINE_EOF: break;
    case LINE_NUL:
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: line contains a NUL byte", fname,
                      lineno + 1);
      break;
    case LINE_TOO_LONG:
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: line is longer than %zu bytes", fname,
                      lineno + 1, CONFIG_MAX_LINE - 1);
      break;
    case LINE_FILE_TOO_BIG:
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: file is larger than %zu bytes", fname,
                      lineno + 1, CONFIG_MAX_FILE);
      break;
    case LINE_ERROR:
      rc = grt__error(GRT_EINVAL, "GRT_CONFIG file %s:%d: read error: %s", fname, lineno + 1,
                      errno ? strerror(errno) : "unknown");
      break;
    }
  }
  free(line);
  return rc;
}

int grt__config_apply_stream(grt_settings_t *s, FILE *f, const char *name) {
  return apply_stream(s, f, name, NULL);
}

static int apply_file(grt_settings_t *s, file_lines_t *where) {
  const char *path = getenv("GRT_CONFIG");
  if (!path || *path == '\0') return 0;
  where->path = path;
  char nb[160];
  FILE *f = fopen(path, "r");
  if (!f)
    return grt__error(GRT_EINVAL, "GRT_CONFIG file %s: cannot open: %s",
                      grt__config_clip(path, nb, sizeof nb), strerror(errno));
  int rc = apply_stream(s, f, path, where);
  fclose(f);
  return rc;
}

static int apply_explicit(grt_settings_t *s, const grt_config_t *cfg) {
  if (!cfg) return 0;
  for (int i = 0; i < NKEYS; i++) {
    if (!cfg->value[i]) continue;
    value_t v;
    const char *why;
    char vb[128];
    /* Already validated by grt_config_set; re-checked so the struct is the
     * only source of truth. */
    if (parse_value(&keys[i], cfg->value[i], &v, &why) < 0)
      return grt__error(GRT_EINVAL, "explicit setting '%s': value '%s' %s", keys[i].name,
                        grt__config_clip(cfg->value[i], vb, sizeof vb), why);
    store_value(s, i, &v, GRT_SRC_EXPLICIT);
  }
  return 0;
}

/* Names key @p i and where it came from, for cross-key messages. */
static const char *source_phrase(const grt_settings_t *s, const file_lines_t *where, int i,
                                 char *buf, size_t size) {
  switch (s->source[i]) {
  case GRT_SRC_DEFAULT: snprintf(buf, size, "default '%s'", keys[i].name); break;
  case GRT_SRC_ENV:
    snprintf(buf, size, "environment variable %s: key '%s'", keys[i].env, keys[i].name);
    break;
  case GRT_SRC_FILE:
    snprintf(buf, size, "GRT_CONFIG file %.200s:%d: key '%s'", where->path, where->line[i],
             keys[i].name);
    break;
  case GRT_SRC_EXPLICIT: snprintf(buf, size, "explicit setting '%s'", keys[i].name); break;
  }
  return buf;
}

/* Checks the rules that involve more than one key; the message names the key
 * that is out of range and its source. */
static int check_cross(const grt_settings_t *s, const file_lines_t *where) {
  if (s->sim_ranks > 0 ? s->sim_rank >= s->sim_ranks : s->sim_rank != 0) {
    char b[300];
    return grt__error(GRT_EINVAL,
                      "%s: value %d is out of range: it must be below sim_ranks = %d (%s)%s",
                      source_phrase(s, where, GRT_KEY_SIM_RANK, b, sizeof b), s->sim_rank, s->sim_ranks,
                      grt__config_source_name(s->source[GRT_KEY_SIM_RANKS]),
                      s->sim_ranks == 0 ? "; simulated ranks are off" : "");
  }
  return 0;
}

int grt__config_load(grt_settings_t *out, const grt_config_t *explicit_cfg) {
  if (!out) return grt__error(GRT_EINVAL, "grt__config_load: out is NULL");
  grt_settings_t s;
  file_lines_t where = {0};
  set_defaults(&s);
  int rc = apply_env(&s);
  if (rc == 0) rc = apply_file(&s, &where);
  if (rc == 0) rc = apply_explicit(&s, explicit_cfg);
  if (rc == 0) rc = check_cross(&s, &where);
  if (rc < 0) return rc;
  if (s.source[GRT_KEY_SYSMEM] == GRT_SRC_DEFAULT) {
    int local = s.source[GRT_KEY_RANKS_PER_NODE] != GRT_SRC_DEFAULT ? s.ranks_per_node
                                                                    : local_ranks_from_env();
    s.sysmem = grt__config_default_sysmem(grt__mem_available(), local);
  }
  *out = s;
  return 0;
}

/* ---- printing ---- */

int grt__config_print(const grt_settings_t *s, FILE *out) {
  if (!s) return grt__error(GRT_EINVAL, "grt__config_print: settings is NULL");
  if (!out) return grt__error(GRT_EINVAL, "grt__config_print: out is NULL");
  for (int i = 0; i < NKEYS; i++) {
    const key_def_t *k = &keys[i];
    const char *field = (const char *)s + k->offset;
    fprintf(out, "%s = ", k->name);
    switch (k->type) {
    case GRT_KT_INT:
    case GRT_KT_AUTO:
    case GRT_KT_PERCENT: fprintf(out, "%d", *(const int *)field); break;
    case GRT_KT_MIB: fprintf(out, "%zu", *(const size_t *)field >> 20); break;
    case GRT_KT_BYTES: fprintf(out, "%zu", *(const size_t *)field); break;
    case GRT_KT_BOOL: fputs(*(const bool *)field ? "true" : "false", out); break;
    case GRT_KT_STRING: grt__config_write_quoted(field, out); break;
    }
    grt_setting_source_t src = s->source[i];
    if (src == GRT_SRC_ENV) fprintf(out, "  # environment %s\n", k->env);
    else fprintf(out, "  # %s\n", grt__config_source_name(src));
  }
  if (ferror(out)) return grt__error(GRT_EINVAL, "grt__config_print: write error");
  return 0;
}
