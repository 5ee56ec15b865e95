/* config_keys.h - the configuration keys, in one table that the runtime and the launcher share. */
#ifndef GRT_CONFIG_KEYS_H
#define GRT_CONFIG_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "config_limits.h"

/* This header and config_keys.c are the part of the configuration module
 * that the launcher links (libc only: no other runtime code comes with them).
 * Each key is one row of GRT_CONFIG_KEYS below; the runtime's loader
 * (config.c) and the launcher's flags (launcher/flags.c) are both expanded
 * from it, so a key cannot exist in one and not the other, and its name,
 * variable, kind, bounds and default are written once. The bounds are
 * config_limits.h's.
 *
 * A row is X(ID, name, kind, min, max, dflt, section, flag, arg, dflt_text, help):
 *   ID        the key in upper case: the enum GRT_KEY_<ID> and the
 *             environment variable "GRT_<ID>"
 *   name      the key as files and grt_config_set() spell it; also the
 *             field of grt_settings_t (config.h) that holds it
 *   kind      GRT_KT_<kind>, the value's syntax and unit (below)
 *   min, max  the range of a number, in its file unit (0, 0 for the others)
 *   dflt      the default, in the file unit; 0 is false for a boolean and
 *             "" for a string. sysmem's 0 is computed from the machine when
 *             no source sets it (grt__config_default_sysmem)
 *   section   where `grt --help` lists the flag: GRT_KS_<section>
 *   flag      the launcher's flag, "--" + name with '-' for '_', or NULL:
 *             the launcher takes the key from its variable only
 *   arg       the flag's value in --help ("N"), NULL for a boolean
 *   dflt_text the default as --help shows it
 *   help      one line for --help
 * Order: the order docs/config.md lists them, the order every config file is
 * written in, and the index of each key in grt_settings_t.source[]. */
#define GRT_CONFIG_KEYS(X)                                                                       \
  X(CPUS, cpus, AUTO, 1, GRT_MAX_THREADS, -1, RESOURCE, "--cpus", "N", "auto",                   \
    "CPU worker threads per rank")                                                               \
  X(GPUS, gpus, INT, 0, GRT_MAX_GPUS, 0, RESOURCE, "--gpus", "N", "0", "GPUs per rank")          \
  X(OMPS, omps, INT, 0, GRT_MAX_THREADS, 0, RESOURCE, "--omps", "N", "0",                        \
    "OpenMP groups per rank")                                                                    \
  X(OMPTHREADS, ompthreads, AUTO, 1, GRT_MAX_THREADS, -1, RESOURCE, "--ompthreads", "N", "auto", \
    "threads per OpenMP group")                                                                  \
  X(UTILITY, utility, INT, 1, GRT_MAX_THREADS, 1, RESOURCE, "--utility", "N", "1",               \
    "utility threads per rank (only 1 is supported yet)")                                        \
  X(SYSMEM, sysmem, MIB, 0, GRT_MAX_MEM_MIB, 0, RESOURCE, "--sysmem", "MiB",                     \
    "80% of MemAvailable / ranks per node", "host memory budget per rank")                       \
  X(NUMAMEM, numamem, MIB, 0, GRT_MAX_MEM_MIB, 0, RESOURCE, "--numamem", "MiB", "0",             \
    "NUMA-bound memory budget per rank (not supported yet: 0 only)")                             \
  X(FBMEM, fbmem, MIB, 0, GRT_MAX_MEM_MIB, 0, RESOURCE, "--fbmem", "MiB", "0",                   \
    "GPU frame-buffer budget per GPU")                                                           \
  X(ZCMEM, zcmem, MIB, 0, GRT_MAX_MEM_MIB, 32, RESOURCE, "--zcmem", "MiB", "32",                 \
    "zero-copy memory budget per rank")                                                          \
  X(REGMEM, regmem, MIB, 0, GRT_MAX_MEM_MIB, 0, RESOURCE, "--regmem", "MiB", "0",                \
    "registered memory budget per rank (not supported yet: 0 only)")                             \
  X(EAGER_ALLOC_PERCENTAGE, eager_alloc_percentage, PERCENT, 0, 100, 20, RESOURCE,               \
    "--eager-alloc-percentage", "PCT", "20", "share of each budget for eager allocations (0..100)") \
  X(MIN_CPU_CHUNK, min_cpu_chunk, BYTES, 0, GRT_MAX_CHUNK_BYTES, 65536, NONE, NULL, "BYTES",     \
    "65536", "smallest per-CPU piece of an auto launch (bytes)")                                 \
  X(TILES, tiles, INT, 0, GRT_MAX_TILES, 0, NONE, NULL, "N", "0",                                \
    "fixed tile count (0 = per machine)")                                                        \
  X(SIM_RANKS, sim_ranks, INT, 0, GRT_MAX_RANKS, 0, NONE, NULL, "N", "0",                        \
    "simulated ranks (0 = off)")                                                                 \
  X(SIM_RANK, sim_rank, INT, 0, GRT_MAX_RANKS - 1, 0, NONE, NULL, "N", "0", "the simulated rank") \
  X(PROFILE, profile, BOOL, 0, 0, 0, TOOL, "--profile", NULL, "false", "record a profile")       \
  X(DATAFLOW, dataflow, BOOL, 0, 0, 0, TOOL, "--dataflow", NULL, "false",                        \
    "record the dataflow graph")                                                                 \
  X(EVENT, event, BOOL, 0, 0, 0, TOOL, "--event", NULL, "false", "record the event graph")       \
  X(LOGDIR, logdir, STRING, 0, 0, 0, TOOL, "--logdir", "DIR", "\"\" (current directory)",        \
    "where tools write their output")                                                            \
  X(NODES, nodes, INT, 1, GRT_MAX_NODES, 1, LAUNCH, "--nodes", "N", "1", "nodes to run on")      \
  X(RANKS_PER_NODE, ranks_per_node, INT, 1, GRT_MAX_RANKS_PER_NODE, 1, LAUNCH,                   \
    "--ranks-per-node", "N", "1", "ranks per node")

/* The keys' indices: GRT_KEY_CPUS, ..., and their number. */
enum {
#define GRT_KEY_ENUM_(id, ...) GRT_KEY_##id,
  GRT_CONFIG_KEYS(GRT_KEY_ENUM_)
#undef GRT_KEY_ENUM_
  GRT_NKEYS
};

/* A key's kind: its syntax and unit (docs/config.md). Numbers are bounded by
 * the row's min and max. */
typedef enum {
  GRT_KT_INT,     /* an int */
  GRT_KT_AUTO,    /* an int, or -1 / "auto": chosen by the runtime */
  GRT_KT_PERCENT, /* an int, 0..100 */
  GRT_KT_MIB,     /* a memory size in MiB, held in bytes by the runtime */
  GRT_KT_BYTES,   /* a size in bytes */
  GRT_KT_BOOL,    /* true/false, 1/0, yes/no, on/off */
  GRT_KT_STRING,  /* at most 4095 bytes; written double-quoted in files */
} grt_key_kind_t;

/* Where `grt --help` lists a key's flag. */
typedef enum { GRT_KS_NONE, GRT_KS_RESOURCE, GRT_KS_LAUNCH, GRT_KS_TOOL } grt_key_section_t;

/* Writes @p str double-quoted with the escapes the file format reads (\\ \"
 * \n \t \r, and \xHH for the other control bytes), so that any string value
 * loads back as it was. Errors show in ferror(@p out). */
void grt__config_write_quoted(const char *str, FILE *out);

/* Returns @p text, or, if it is @p size bytes or longer, its first size - 4
 * bytes and "..." copied into @p buf (@p size bytes): a value quoted in a
 * message then leaves room for the key and the reason. */
const char *grt__config_clip(const char *text, char *buf, size_t size);

/* The default sysmem budget, in bytes: 80% of @p available bytes divided
 * among @p local_ranks ranks on the node (< 1 counts as 1), rounded down to a
 * whole MiB; GRT_DEFAULT_SYSMEM_FALLBACK when @p available is 0 (unknown).
 * The runtime applies it when no source sets sysmem; the launcher applies it
 * on the launching node and writes the result. */
#define GRT_DEFAULT_SYSMEM_FALLBACK ((size_t)1 << 30) /* 1 GiB if MemAvailable is unknown */
size_t grt__config_default_sysmem(size_t available, int local_ranks);

#endif
