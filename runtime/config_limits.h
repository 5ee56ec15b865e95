/* config_limits.h - the largest value of each numeric setting that grt can hold. */
#ifndef GRT_CONFIG_LIMITS_H
#define GRT_CONFIG_LIMITS_H

/* The key table (config_keys.h) gives each numeric key its bound from here;
 * the runtime's parser (runtime/config.c) and the launcher's flags
 * (launcher/flags.c) both refuse a value above it, naming the key and the
 * bound, so that no setting reaches code that cannot hold it (a GRT_SIM_RANKS
 * near INT_MAX once overflowed the coherence map's bitset size into a
 * negative memset). docs/config.md lists them. Macros only. */

/* cpus, omps, ompthreads, utility: threads per rank. The workers' array and
 * core numbers (local rank x workers + i) stay far inside an int. */
#define GRT_MAX_THREADS 4096
/* gpus: GPUs per rank. */
#define GRT_MAX_GPUS 1024
/* sysmem, numamem, fbmem, zcmem, regmem, in MiB: 2^40 MiB = 2^60 bytes, so a
 * budget fits a size_t and an int64_t, and the five budgets of a node's
 * ranks add up without overflow. */
#define GRT_MAX_MEM_MIB (1LL << 40)
/* min_cpu_chunk, in bytes: compared with store sizes held in int64_t. */
#define GRT_MAX_CHUNK_BYTES (1LL << 60)
/* tiles: a launch holds one point per tile. */
#define GRT_MAX_TILES (1 << 20)
/* sim_ranks (and sim_rank below it): the coherence map keeps a bitset of
 * (ranks + 63) / 64 words per piece and counts ranks in ints. */
#define GRT_MAX_RANKS (1 << 20)
/* nodes and ranks_per_node: their product, the job's rank count, fits an int
 * (2^30) with room to spare. */
#define GRT_MAX_NODES (1 << 20)
#define GRT_MAX_RANKS_PER_NODE 1024

#endif
