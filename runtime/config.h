/* config.h - the runtime's settings: explicit > GRT_CONFIG file > GRT_* env > defaults. */
#ifndef GRT_CONFIG_H
#define GRT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config_keys.h"
#include "grt.h"

/* Where a setting's value came from. */
typedef enum {
  GRT_SRC_DEFAULT, GRT_SRC_ENV, GRT_SRC_FILE, GRT_SRC_EXPLICIT
} grt_setting_source_t;

/* Every key, in the order docs/config.md lists them: one field per row of
 * GRT_CONFIG_KEYS (config_keys.h), named as the key (config.c checks each
 * field's size against its kind). Memory sizes are given in MiB in files, env
 * and explicit settings and stored here in bytes. A value of -1 in an int
 * field means "automatic" (resolved by the runtime from the machine). */
typedef struct grt_settings {
  int cpus;                    /* cpus: CPU workers per rank (-1 auto) */
  int gpus;                    /* gpus: GPUs per rank */
  int omps;                    /* omps: OpenMP groups per rank */
  int ompthreads;              /* ompthreads: threads per OpenMP group (-1 auto) */
  int utility;                 /* utility: utility threads per rank */
  size_t sysmem, numamem, fbmem, zcmem, regmem; /* bytes */
  int eager_alloc_percentage;  /* 0..100 */
  size_t min_cpu_chunk;        /* min_cpu_chunk: bytes below which a launch is not split */
  int tiles;                   /* tiles: fixed tile count (reproducible mode), 0 = per machine */
  int sim_ranks, sim_rank;     /* sim_ranks / sim_rank: simulated-rank mode (0 = off) */
  bool profile, dataflow, event;
  char logdir[4096];
  int nodes, ranks_per_node;   /* recorded by the launcher */
  grt_setting_source_t source[32]; /* per key index GRT_KEY_<ID>, see grt__config_key() */
} grt_settings_t;

/* Number of keys, and the name of key @p i (NULL past the end). */
int grt__config_nkeys(void);
const char *grt__config_key(int i);

/* Fills @p out from every source. @p explicit_cfg may be NULL. Returns 0 or
 * GRT_EINVAL with a message naming the key and the source ("GRT_CONFIG file
 * f.conf:12", "environment variable GRT_CPUS", "explicit setting"). */
int grt__config_load(grt_settings_t *out, const grt_config_t *explicit_cfg);

/* Prints every key as `key = value  # source` lines (the file format). */
int grt__config_print(const grt_settings_t *s, FILE *out);

/* ---- additions (declarations above are the fixed interface) ---- */

/* Index of key @p name in settings->source[], or -1 if it is not a key. */
int grt__config_key_index(const char *name);

/* "default", "environment", "GRT_CONFIG file" or "explicit". */
const char *grt__config_source_name(grt_setting_source_t src);

/* Applies the `key = value` lines read from @p f on top of @p s, exactly as
 * the GRT_CONFIG file is applied (source GRT_SRC_FILE); @p name is used in
 * messages. Used by grt__config_load and by the fuzzers. Returns 0 or
 * GRT_EINVAL ("GRT_CONFIG file <name>:<line>: key '<key>': ..."); on error @p s
 * may hold the lines before the bad one. */
int grt__config_apply_stream(grt_settings_t *s, FILE *f, const char *name);

#endif
