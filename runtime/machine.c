/* machine.c - the machine model from hwloc: cores, NUMA nodes, thread binding. */
#include "runtime_internal.h"

#include <hwloc.h>

int grt__machine_init(grt_runtime_t *rt) {
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
  rt->ncores = cores > 0 ? cores : 1;
  rt->nnuma = numa > 0 ? numa : 1;
  rt->topology = topo;
  return 0;
}

void grt__machine_fini(grt_runtime_t *rt) {
  if (rt->topology) hwloc_topology_destroy((hwloc_topology_t)rt->topology);
  rt->topology = NULL;
}

/* Binds the calling thread to core @p core (modulo the core count). Binding
 * is best effort: a refusal (containers, cgroups) leaves the thread floating. */
void grt__machine_bind(grt_runtime_t *rt, int core) {
  hwloc_topology_t topo = rt->topology;
  if (!topo) return;
  hwloc_obj_t obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)(core % rt->ncores));
  if (!obj) obj = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)(core % rt->ncores));
  if (!obj || !obj->cpuset) return;
  (void)hwloc_set_cpubind(topo, obj->cpuset, HWLOC_CPUBIND_THREAD);
}
