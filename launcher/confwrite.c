/* confwrite.c - writes the generated configuration in the docs/config.md file format. */
#include "launcher.h"

int grt_launcher_write_config(const grt_launcher_opts_t *o, FILE *out) {
  for (int i = 0; i < GRT_LK_COUNT; i++) {
    const grt_lval_t *v = &o->val[i];
    fprintf(out, "%s = ", grt_launcher_key_name(i));
    switch (grt_launcher_key_kind(i)) {
    case GRT_KT_BOOL: fputs(v->b ? "true" : "false", out); break;
    case GRT_KT_STRING: grt__config_write_quoted(v->str ? v->str : "", out); break;
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
