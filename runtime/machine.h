/* machine.h - the machine model from hwloc: cores, NUMA nodes, thread binding. */
#ifndef GRT_MACHINE_H
#define GRT_MACHINE_H

typedef struct grt_machine {
  int ncores, nnuma;             /* at least 1 each once loaded */
  void *topology;                /* hwloc_topology_t */
} grt_machine_t;

/* Loads the topology. Returns 0 or GRT_ENOMEM. */
int grt__machine_init(grt_machine_t *m);
void grt__machine_fini(grt_machine_t *m);
/* Binds the calling thread to core @p core (modulo the core count). Best
 * effort: a refusal (containers, cgroups) leaves the thread floating. */
void grt__machine_bind(const grt_machine_t *m, int core);

#endif
