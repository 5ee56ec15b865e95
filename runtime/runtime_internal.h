/* runtime_internal.h - the runtime object every other object hangs off. */
#ifndef GRT_RUNTIME_INTERNAL_H
#define GRT_RUNTIME_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "grt.h"
#include "config.h"
#include "error.h"
#include "memory.h"
#include "store.h"
#include "type.h"

struct grt_runtime {
  grt_settings_t settings;
  grt_memory_t mems[GRT_MEM_KIND_COUNT];
  grt_type_registry_t *types;
  uint64_t next_store_id;          /* sequence numbers: equal on every rank */
  pthread_mutex_t shell_lock;      /* guards shells */
  grt_store_t *shells;             /* destroyed handles, freed at finalize */
  int rank, nranks;
  int ncores;                      /* from hwloc */
};

#endif
