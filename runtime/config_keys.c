/* config_keys.c - the pieces of the config module the launcher shares: quoting, clipping, default sysmem. */
#include "config_keys.h"

#include <string.h>

void grt__config_write_quoted(const char *str, FILE *out) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
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

const char *grt__config_clip(const char *text, char *buf, size_t size) {
  size_t n = strlen(text);
  if (n < size) return text;
  memcpy(buf, text, size - 4);
  memcpy(buf + size - 4, "...", 4);
  return buf;
}

size_t grt__config_default_sysmem(size_t available, int local_ranks) {
  if (available == 0) return GRT_DEFAULT_SYSMEM_FALLBACK;
  if (local_ranks < 1) local_ranks = 1;
  size_t share = available / 10 * 8 / (size_t)local_ranks;
  share &= ~(((size_t)1 << 20) - 1);                     /* whole MiB: prints exactly */
  return share;
}
