/* confwrite.c - writes the generated configuration in the docs/config.md file format. */
#include "launcher.h"

#include <ctype.h>

/* Writes @p s double-quoted with the escapes the runtime's loader reads:
 * \\ \" \n \t \r and \xHH for other control bytes. */
static void write_quoted(const char *s, FILE *out) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '\\': fputs("\\\\", out); break;
    case '"': fputs("\\\"", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    default:
      if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\x%02x", *p);
      else fputc(*p, out);
    }
  }
  fputc('"', out);
}

int grt_launcher_write_config(const grt_launcher_opts_t *o, FILE *out) {
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const grt_lval_t *v = &o->val[i];
    fprintf(out, "%s = ", grt_launcher_key_name(i));
    switch (i) {
    case GRT_LK_PROFILE:
    case GRT_LK_DATAFLOW:
    case GRT_LK_EVENT: fputs(v->b ? "true" : "false", out); break;
    case GRT_LK_LOGDIR: write_quoted(v->str ? v->str : "", out); break;
    default: fprintf(out, "%lld", v->num); break;
    }
    switch (v->origin) {
    case GRT_LOPT_FLAG: fprintf(out, "  # flag %s\n", grt_launcher_key_flag(i)); break;
    case GRT_LOPT_ENV: fprintf(out, "  # environment %s\n", grt_launcher_key_env(i)); break;
    default:
      if (i == GRT_LK_SYSMEM && v->sysmem_auto)
        fputs("  # default: 80% of MemAvailable / ranks per node\n", out);
      else
        fputs("  # default\n", out);
    }
  }
  return ferror(out) ? -1 : 0;
}
