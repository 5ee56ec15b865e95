/* validate.c - what this node has (hwloc, /proc/meminfo) and whether the request fits. */
#include "launcher.h"

#include <hwloc.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "grt_build_config.h"

static unsigned long long mem_available_mib(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kb = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
  fclose(f);
  return kb / 1024;
}

/* NVIDIA GPUs: CUDA/NVML OS devices when hwloc has those plugins, else PCI
 * display/3D controllers of vendor 0x10de. */
static int count_gpus(hwloc_topology_t topo) {
  int pci = 0, cuda = 0;
  for (hwloc_obj_t o = NULL; (o = hwloc_get_next_pcidev(topo, o));)
    if (o->attr->pcidev.vendor_id == 0x10de &&
        (o->attr->pcidev.class_id == 0x0300 || o->attr->pcidev.class_id == 0x0302))
      pci++;
  for (hwloc_obj_t o = NULL; (o = hwloc_get_next_osdev(topo, o));)
    if (o->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC && o->subtype &&
        strcmp(o->subtype, "CUDA") == 0)
      cuda++;
  return cuda > pci ? cuda : pci;
}

int grt_launcher_probe(grt_machine_t *m, bool want_gpus, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  m->have_cuda = GRT_HAVE_CUDA;
  m->mem_available_mib = mem_available_mib();
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) < 0) {
    snprintf(err, errlen, "hwloc: cannot initialize the topology");
    return -1;
  }
  if (want_gpus) {
    hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    /* hwloc's Linux backend reads PCI devices from sysfs; its libpciaccess
     * plugin ("pci") finds the same ones but leaks at every load. */
    hwloc_topology_set_components(topo, HWLOC_TOPOLOGY_COMPONENTS_FLAG_BLACKLIST, "pci");
  }
  if (hwloc_topology_load(topo) < 0) {
    hwloc_topology_destroy(topo);
    snprintf(err, errlen, "hwloc: cannot load the topology of this node");
    return -1;
  }
  int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  if (cores <= 0) cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
  m->cores = cores > 0 ? cores : 1;
  if (want_gpus) m->gpus = count_gpus(topo);
  hwloc_topology_destroy(topo);
  return 0;
}

void grt_launcher_resolve(grt_launcher_opts_t *o, const grt_machine_t *m) {
  grt_lval_t *s = &o->val[GRT_LK_SYSMEM];
  if (!s->sysmem_auto) return;
  long long rpn = o->val[GRT_LK_RANKS_PER_NODE].num;
  if (rpn < 1) rpn = 1;
  /* The runtime's rule (runtime/config_keys.h), in MiB. */
  size_t bytes = grt__config_default_sysmem((size_t)m->mem_available_mib << 20,
                                              rpn > INT_MAX ? INT_MAX : (int)rpn);
  s->num = (long long)(bytes >> 20);
}

static bool has_oversubscribe(const grt_launcher_opts_t *o) {
  for (int i = 0; i < o->nextra; i++)
    if (strstr(o->extra[i], "oversubscribe") || strstr(o->extra[i], "OVERSUBSCRIBE"))
      return true;
  return false;
}

int grt_launcher_validate(const grt_launcher_opts_t *o, const grt_machine_t *m, char *err,
                          size_t errlen) {
  const grt_lval_t *v = o->val;
  if (err && errlen) err[0] = '\0';
  long long nodes = v[GRT_LK_NODES].num, rpn = v[GRT_LK_RANKS_PER_NODE].num;
  const char *kind = grt_launcher_kind_name(o->launcher);
  if (nodes * rpn > 1 << 24)
    return grt__launcher_fail(err, errlen,
                              "--nodes %lld --ranks-per-node %lld: %lld ranks is too many", nodes,
                              rpn, nodes * rpn);
  if (o->launcher == GRT_LAUNCHER_NONE && nodes * rpn > 1)
    return grt__launcher_fail(
        err, errlen,
        "--launcher none starts a single process, but --nodes %lld "
        "--ranks-per-node %lld asks for %lld ranks (use mpirun, srun or jsrun)",
        nodes, rpn, nodes * rpn);
  if (o->cpu_bind && o->launcher == GRT_LAUNCHER_NONE)
    return grt__launcher_fail(err, errlen, "--cpu-bind: not supported with --launcher none");
  if (o->mem_bind && o->launcher != GRT_LAUNCHER_SRUN)
    return grt__launcher_fail(err, errlen, "--mem-bind: only srun binds memory (--launcher is %s)",
                              kind);
  if (o->launcher != GRT_LAUNCHER_NONE && o->launcher != GRT_LAUNCHER_MPIRUN &&
      o->launcher != GRT_LAUNCHER_SRUN && o->launcher != GRT_LAUNCHER_JSRUN)
    return grt__launcher_fail(err, errlen, "--launcher: unknown launcher");
  if (o->nextra > 0 && o->launcher == GRT_LAUNCHER_NONE)
    return grt__launcher_fail(err, errlen,
                              "--launcher-extra: there is no launcher to pass '%s' to "
                              "(--launcher none)",
                              o->extra[0]);
  long long sr = v[GRT_LK_SIM_RANKS].num, r = v[GRT_LK_SIM_RANK].num;
  if (sr > 0 ? r >= sr : r != 0)
    return grt__launcher_fail(err, errlen,
                              "GRT_SIM_RANK: value %lld is out of range: it must be below "
                              "GRT_SIM_RANKS = %lld",
                              r, sr);

  /* Settings that are accepted by the configuration format but not
   * implemented yet: refused rather than silently ignored (runtime/config.c
   * refuses them too). */
  if (v[GRT_LK_UTILITY].num > 1)
    return grt__launcher_fail(err, errlen,
                              "--utility %lld: only 1 utility thread per rank is supported yet",
                              v[GRT_LK_UTILITY].num);
  if (v[GRT_LK_NUMAMEM].num > 0)
    return grt__launcher_fail(err, errlen,
                              "--numamem %lld: NUMA-bound memory is not supported yet (0 only)",
                              v[GRT_LK_NUMAMEM].num);
  if (v[GRT_LK_REGMEM].num > 0)
    return grt__launcher_fail(err, errlen,
                              "--regmem %lld: registered memory is not supported yet (0 only)",
                              v[GRT_LK_REGMEM].num);

  /* Cores: explicit CPUs + OpenMP threads per rank must fit the node's
   * cores divided among its ranks (auto counts are resolved by the runtime
   * to what fits). The utility thread mostly sleeps: it counts only with
   * --strict-cores, else not fitting it is a warning. Skipped when the user
   * oversubscribes (--oversubscribe, or mpirun's flag in --launcher-extra). */
  if (!o->oversubscribe && !has_oversubscribe(o)) {
    if (rpn > m->cores)
      return grt__launcher_fail(err, errlen,
                                "--ranks-per-node %lld: this node has only %d cores "
                                "(pass --oversubscribe to run anyway)",
                                rpn, m->cores);
    long long per_rank = m->cores / rpn;
    long long cpus = v[GRT_LK_CPUS].num > 0 ? v[GRT_LK_CPUS].num : 0;
    long long omps = v[GRT_LK_OMPS].num;
    long long ompthreads = v[GRT_LK_OMPTHREADS].num > 0 ? v[GRT_LK_OMPTHREADS].num : 1;
    long long util = v[GRT_LK_UTILITY].num;
    long long workers = cpus + omps * ompthreads;
    long long need = workers + (o->strict_cores ? util : 0);
    if (need > per_rank) {
      const char *flag = cpus > 0 && cpus >= omps * ompthreads ? "--cpus"
                         : omps > 0                             ? "--omps"
                                                                : "--utility";
      char ut[64] = "";
      if (o->strict_cores) snprintf(ut, sizeof ut, " + --utility %lld with --strict-cores", util);
      return grt__launcher_fail(
          err, errlen,
          "%s: each rank needs %lld cores (--cpus %lld + --omps %lld x "
          "--ompthreads %lld%s) but this node's %d cores give %lld per rank with "
          "--ranks-per-node %lld (pass --oversubscribe to run anyway)",
          flag, need, cpus, omps, ompthreads, ut, m->cores, per_rank, rpn);
    }
    if (workers + util > per_rank && err && errlen)
      snprintf(err, errlen, "each rank runs %lld worker%s and %lld utility thread%s on %lld "
               "core%s: the utility thread shares a core (--strict-cores refuses this)",
               workers, workers == 1 ? "" : "s", util, util == 1 ? "" : "s", per_rank,
               per_rank == 1 ? "" : "s");
  }

  /* Host memory: every host budget of every rank on this node must fit in
   * what is available now. */
  if (m->mem_available_mib > 0) {
    static const int host[] = {GRT_LK_SYSMEM, GRT_LK_NUMAMEM, GRT_LK_ZCMEM, GRT_LK_REGMEM};
    unsigned long long total = 0, biggest = 0;
    int which = GRT_LK_SYSMEM;
    for (int i = 0; i < 4; i++) {
      unsigned long long b = (unsigned long long)v[host[i]].num;
      if (b > ~0ULL / 2 / (unsigned long long)rpn) b = ~0ULL / 2 / (unsigned long long)rpn;
      total += b * (unsigned long long)rpn;
      if (b > biggest) biggest = b, which = host[i];
      if (total > ~0ULL / 2) total = ~0ULL / 2;
    }
    if (total > m->mem_available_mib)
      return grt__launcher_fail(
          err, errlen,
          "%s: %lld ranks per node x (sysmem %lld + numamem %lld + zcmem "
          "%lld + regmem %lld MiB) = %llu MiB is more than the %llu MiB available "
          "on this node",
          grt_launcher_key_flag(which), rpn, v[GRT_LK_SYSMEM].num, v[GRT_LK_NUMAMEM].num,
          v[GRT_LK_ZCMEM].num, v[GRT_LK_REGMEM].num, total, m->mem_available_mib);
  }

  /* GPUs */
  long long gpus = v[GRT_LK_GPUS].num;
  if (gpus > 0) {
    if (!m->have_cuda)
      return grt__launcher_fail(err, errlen,
                                "--gpus %lld: this grt was built without CUDA, so it cannot use "
                                "GPUs",
                                gpus);
    if (m->gpus == 0)
      return grt__launcher_fail(err, errlen, "--gpus %lld: no GPU found on this node", gpus);
    if (gpus * rpn > m->gpus)
      return grt__launcher_fail(err, errlen,
                                "--gpus %lld: %lld ranks per node need %lld GPUs, this node has "
                                "%d",
                                gpus, rpn, gpus * rpn, m->gpus);
  }
  return 0;
}
