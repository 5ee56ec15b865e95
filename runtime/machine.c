/* machine.c - the machine model from hwloc: cores, NUMA nodes, thread binding. */
#include "machine.h"

#include <hwloc.h>

#include "grt_error.h"

int grt__machine_init(grt_machine_t *m) {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) < 0)
    return grt__error(GRT_ENOMEM, "grt_init: hwloc_topology_init failed");
  if (hwloc_topology_load(topo) < 0) {
    hwloc_topology_destroy(topo);
    return grt__error(GRT_ENOMEM, "grt_init: hwloc_topology_load failed");
  }
  int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  if (cores <= 0) cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  m->ncores = cores > 0 ? cores : 1;
  m->nnuma = numa > 0 ? numa : 1;
  m->topology = topo;
  return 0;
}

void grt__machine_fini(grt_machine_t *m) {
  if (m->topology) hwloc_topology_destroy((hwloc_topology_t)m->topology);
  m->topology = NULL;
}

void grt__machine_bind(const grt_machine_t *m, int core) {
  hwloc_topology_t topo = m->topology;
  if (!topo) return;
  hwloc_obj_t obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)(core % m->ncores));
  if (!obj) obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)(core % m->ncores));
  if (!obj || !obj->cpuset) return;
  (void)hwloc_set_cpubind(topo, obj->cpuset, HWLOC_CPUBIND_THREAD);
}
