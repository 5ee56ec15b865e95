/* library.h - libraries by name, their tasks (sorted by id) and mappers. */
#ifndef GRT_LIBRARY_H
#define GRT_LIBRARY_H

#include <stdint.h>

#include "grt.h"

typedef struct grt_task_info {
  int id;
  char *name;
  grt_variants_t v;
} grt_task_info_t;

/* Registered on the application thread; read by submission (there) and by
 * workers only through what an op copied out (fn, name). */
struct grt_library {
  grt_runtime_t *rt;
  char *name;
  uint64_t name_hash;            /* for the divergence check */
  int ntasks, captasks;
  grt_task_info_t *tasks;        /* sorted by id */
  grt_mapper_t mapper;
  grt_library_t *next;
};

/* The tasks of the internal library (rt->internal_lib, registered by ops.c). */
enum { GRT_INTERNAL_FILL = 0, GRT_INTERNAL_COPY = 1 };

/* Task @p task_id of @p lib, or NULL. */
const grt_task_info_t *grt__library_task_find(const grt_library_t *lib, int task_id);
/* Frees every library of @p rt (grt_finalize). */
void grt__library_free_all(grt_runtime_t *rt);

#endif
