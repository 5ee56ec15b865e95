/* runtime.c - grt_init / grt_finalize and the runtime object's registry. */
#include "runtime.h"
#include "instances.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alias.h"
#include "analysis.h"
#include "check.h"
#include "coherence.h"
#include "plan.h"
#include "grt_error.h"
#include "graph.h"
#include "library.h"
#include "machine.h"
#include "op.h"
#include "ops.h"
#include "profile.h"
#include "redop.h"

#include "grt_build_config.h"

/* grt__store_api_check without the task-body guard: for pure queries. */
static inline int runtime_live_check(const grt_runtime_t *rt, const char *argname) {
  return grt__store_ctx_live_check(rt ? &rt->store_ctx : NULL, argname);
}

static int live_add(grt_runtime_t *rt) {
  if (grt__store_ctx_open(&rt->store_ctx) < 0)
    return grt__error(GRT_ESTATE, "grt_init: too many runtimes alive at once (max %d)",
                      GRT_STORE_CTX_MAX_LIVE);
  return 0;
}

static void live_remove(grt_runtime_t *rt) { grt__store_ctx_close(&rt->store_ctx); }

/* GPUs are asked for but not built yet: say so rather than run on CPUs only.
 * Names the setting and where its value came from. */
static int gpus_check(const grt_runtime_t *rt) {
  const grt_settings_t *s = &rt->settings;
  if (s->gpus <= 0) return 0;
  int k = grt__config_key_index("gpus");
  grt_setting_source_t src = k >= 0 ? s->source[k] : GRT_SRC_DEFAULT;
  return grt__error(GRT_EUNSUPPORTED,
                    "grt_init: gpus = %d (%s%s): this build has no GPU support yet (GPU "
                    "execution is not implemented%s); set gpus to 0",
                    s->gpus, grt__config_source_name(src),
                    src == GRT_SRC_ENV ? " GRT_GPUS" : src == GRT_SRC_EXPLICIT ? " setting" : "",
                    GRT_HAVE_CUDA ? ", although the CUDA toolkit was found at build time" : "");
}

/* Waits until every submitted node has completed, then drains them. */
static void wait_all(grt_runtime_t *rt) {
  grt__graph_wait(&rt->graph);
  grt__op_drain(rt);
}

GRT_EXPORT int grt_init(int *argc, char ***argv, grt_runtime_t **out) {
  return grt_init_config(argc, argv, NULL, out);
}

/* Resolves automatic processor counts from the machine. */
static void resolve_procs(grt_runtime_t *rt) {
  const grt_settings_t *s = &rt->settings;
  grt_graph_t *g = &rt->graph;
  int ncores = rt->machine.ncores;
  int utility = s->utility > 0 ? s->utility : 0;
  g->ncpu = s->cpus >= 0 ? s->cpus : ncores - utility;
  if (g->ncpu < 1 && s->cpus < 0) g->ncpu = 1;
  g->nomp = 0;
#if GRT_HAVE_OPENMP
  g->nomp = s->omps > 0 ? s->omps : 0;
#endif
  g->omp_threads = s->ompthreads > 0 ? s->ompthreads : (ncores > 1 ? ncores - 1 : 1);
  rt->ngpu = 0; /* GPUs come with the device backend */
  if (g->ncpu < 1 && g->nomp < 1) g->ncpu = 1; /* something must run tasks */
}

static void runtime_free(grt_runtime_t *rt) {
  grt__pools_free(rt);
  grt__op_pool_free(rt);
  grt__library_free_all(rt);
  grt__redop_free_all(rt);
  grt__store_ctx_fini(&rt->store_ctx);
  grt__plan_free(rt);
  grt__alias_free(rt);
  grt__profile_discard(rt->graph.prof);
  grt__comm_fini(rt->comm);
  grt__check_fini(rt);
  grt__machine_fini(&rt->machine);
  grt__graph_fini(&rt->graph);
  pthread_mutex_destroy(&rt->fail_mu);
  pthread_mutex_destroy(&rt->roots_mu);
  free(rt);
}

GRT_EXPORT int grt_init_config(int *argc, char ***argv, const grt_config_t *cfg,
                               grt_runtime_t **out) {
  if (!out) return grt__error(GRT_EINVAL, "grt_init: rt (output) is NULL");
  *out = NULL;
  int guard = grt__task_guard("grt_init");
  if (guard < 0) return guard;
  grt_runtime_t *rt = calloc(1, sizeof *rt);
  if (!rt) return grt__error(GRT_ENOMEM, "grt_init: out of host memory");
  grt__pools_init(rt);
  /* The type registry is made here, its failure reported below with the
   * other allocations. */
  int ctx_rc = grt__store_ctx_init(&rt->store_ctx, rt, rt->pools);
  rt->store_ctx.root_orphaned = grt__ops_root_orphaned;
  pthread_mutex_init(&rt->fail_mu, NULL);
  pthread_mutex_init(&rt->roots_mu, NULL);
  rt->nranks = 1;
  int rc = grt__graph_init(&rt->graph);
  if (rc == 0) rc = grt__config_load(&rt->settings, cfg);
  if (rc < 0) goto fail;
  /* Graph recording is not built yet: say so rather than run without it. */
  if (rt->settings.dataflow || rt->settings.event) {
    const char *k = rt->settings.dataflow ? "dataflow" : "event";
    rc = grt__error(GRT_EUNSUPPORTED,
                    "grt_init: setting '%s' (GRT_%s, --%s) is not supported yet: grt does not record "
                    "%s graphs; the 'profile' setting records a timeline",
                    k, rt->settings.dataflow ? "DATAFLOW" : "EVENT", k, k);
    goto fail;
  }
  const size_t budgets[GRT_MEM_KIND_COUNT] = {
      rt->settings.sysmem, rt->settings.numamem, rt->settings.fbmem,
      rt->settings.zcmem, rt->settings.regmem};
  /* Whole instances for small roots; the tests lower the threshold to
   * exercise partial instances, growth and retirement on small stores. */
  rt->inst_whole_bytes = GRT_INST_WHOLE_BYTES;
  const char *iw = getenv("GRT_TEST_INST_WHOLE_BYTES");
  if (iw && *iw) rt->inst_whole_bytes = (size_t)strtoull(iw, NULL, 10);
  const char *tf = getenv("GRT_TEST_TRIM_AT_FENCE");
  rt->trim_at_fence = tf && *tf == '1';
  rt->trim_hook = grt__instances_trim_due;
  for (int k = 0; k < GRT_MEM_KIND_COUNT; k++) {
    grt__mem_init(&rt->mems[k], (grt_mem_kind_t)k, budgets[k]);
    grt__mem_set_eager(&rt->mems[k], rt->settings.eager_alloc_percentage);
  }
  if (ctx_rc < 0) {
    rc = grt__error(GRT_ENOMEM, "grt_init: out of host memory");
    goto fail;
  }
  if ((rc = grt__machine_init(&rt->machine)) < 0) goto fail;
  if ((rc = grt__comm_init(argc, argv, rt->settings.sim_ranks, rt->settings.sim_rank, &rt->comm,
                           &rt->rank, &rt->nranks)) < 0)
    goto fail;
  rt->graph.comm = rt->comm;
  rt->graph.machine = &rt->machine;
  /* From here on the ranks are connected: a step that fails on one rank
   * must fail grt_init on all of them (grt__check_start_agree), or the others
   * would wait for it forever. */
  int started = 0, live = 0;
  rc = gpus_check(rt);
  if (rc == 0) rc = grt__profile_open(&rt->settings, rt->rank, &rt->graph.prof);
  if (rc == 0) rc = grt__check_init(rt);
  if (rc == 0) {
    resolve_procs(rt);
    rc = live_add(rt);
    live = rc == 0;
  }
  if (rc == 0) rc = grt__ops_internal_library(rt);
  if (rc == 0) {
    rc = grt__graph_start(&rt->graph);
    started = rc == 0;
  }
  rc = grt__check_start_agree(rt, rc);
  /* the check's receives go up only once every rank has started */
  if (rc == 0 && (rc = grt__check_start(rt)) < 0)
    grt__comm_abort(rt->comm, rc, "grt: grt_init cannot start the divergence check");
  if (rc < 0) {
    if (started) {
      grt__graph_stop(&rt->graph);
      grt__op_drain(rt);
    }
    if (live) live_remove(rt);
    goto fail;
  }
  *out = rt;
  return 0;
fail:
  runtime_free(rt);
  return rc;
}

GRT_EXPORT int grt_finalize(grt_runtime_t *rt) {
  int rc = grt__store_api_check(rt, "grt_finalize");
  if (rc < 0) return rc;
  /* After a divergence the job can only end in its abort (status 6): wait
   * for it rather than free what rank 0's abort still uses. */
  grt__comm_end_if_doomed(rt->comm);
  wait_all(rt);
  int crc = grt__check_sync(rt, GRT_CHECK_FINALIZE, 0, NULL);
  grt__comm_end_if_doomed(rt->comm);
  /* Attached stores never detached: their values go back to the buffers
   * (every rank alike), with a warning; then wait for the transfers. */
  int drc = grt__ops_detach_all(rt, crc == 0);
  if (crc == 0) crc = drc;
  wait_all(rt);
  /* every node has completed: the workers' profile buffers are final */
  int prc = grt__profile_close(rt->graph.prof, rt->rank, rt->nranks);
  rt->graph.prof = NULL;
  if (crc == 0) crc = prc;
  grt__graph_stop(&rt->graph);
  grt__op_drain(rt);
  live_remove(rt);
  grt__analysis_scratch_free();
  grt__coherence_scratch_free();
  runtime_free(rt);
  return crc;
}

GRT_EXPORT int grt_memory_trim(grt_runtime_t *rt, size_t *freed) {
  if (freed) *freed = 0;
  int rc = grt__store_api_check(rt, "grt_memory_trim");
  if (rc < 0) return rc;
  wait_all(rt);
  if ((rc = grt__check_sync(rt, GRT_CHECK_TRIM, 0, NULL)) < 0) return rc;
  size_t f = 0;
  rc = grt__instances_trim(rt, &f);
  if (freed) *freed = f;
  return rc;
}

GRT_EXPORT int grt_fence(grt_runtime_t *rt) {
  int rc = grt__store_api_check(rt, "grt_fence");
  if (rc < 0) return rc;
  wait_all(rt);
  /* Tests: trim at every fence (every rank alike: the variable is the job's). */
  if (rt->trim_at_fence && rt->nranks > 1) {
    size_t f = 0;
    if ((rc = grt__instances_trim(rt, &f)) < 0) return rc;
  }
  bool any_failed = false;
  if ((rc = grt__check_sync(rt, GRT_CHECK_FENCE, 0, &any_failed)) < 0) return rc;
  if (atomic_exchange(&rt->task_failed, 0)) {
    pthread_mutex_lock(&rt->fail_mu);
    rc = grt__error(GRT_ETASK, "grt_fence: %s", rt->fail_msg);
    pthread_mutex_unlock(&rt->fail_mu);
  } else if (any_failed) {
    char msg[400];
    snprintf(msg, sizeof msg, "%s", grt_last_error());
    rc = grt__error(GRT_ETASK, "grt_fence: a task failed %s", msg);
  }
  return rc;
}

GRT_EXPORT int grt_num_procs(const grt_runtime_t *rt, grt_proc_kind_t kind) {
  int rc = runtime_live_check(rt, "grt_num_procs");
  if (rc < 0) return rc;
  switch (kind) {
  case GRT_PROC_CPU: return rt->graph.ncpu * rt->nranks;
  case GRT_PROC_OMP: return rt->graph.nomp * rt->nranks;
  case GRT_PROC_GPU: return rt->ngpu * rt->nranks;
  }
  return grt__error(GRT_EINVAL, "grt_num_procs: kind %d is not a processor kind", (int)kind);
}

/* Pure queries (allowed in task bodies), but a finalized runtime is
 * GRT_ESTATE, never a read of its freed memory. */
GRT_EXPORT int grt_rank(const grt_runtime_t *rt) {
  int rc = runtime_live_check(rt, "grt_rank");
  return rc < 0 ? rc : rt->rank;
}
GRT_EXPORT int grt_num_ranks(const grt_runtime_t *rt) {
  int rc = runtime_live_check(rt, "grt_num_ranks");
  return rc < 0 ? rc : rt->nranks;
}

GRT_EXPORT int grt_show_config(const grt_runtime_t *rt, FILE *out) {
  int rc = runtime_live_check(rt, "grt_show_config");
  if (rc < 0) return rc;
  if (!out) return grt__error(GRT_EINVAL, "grt_show_config: out is NULL");
  return grt__config_print(&rt->settings, out);
}

GRT_EXPORT int grt_memory_usage(const grt_runtime_t *rt, grt_mem_kind_t kind, size_t *used,
                                size_t *budget) {
  int rc = runtime_live_check(rt, "grt_memory_usage");
  if (rc < 0) return rc;
  if ((int)kind < 0 || kind >= GRT_MEM_KIND_COUNT)
    return grt__error(GRT_EINVAL, "grt_memory_usage: kind %d is not a memory kind", (int)kind);
  if (used) *used = atomic_load(&rt->mems[kind].used);
  if (budget) *budget = rt->mems[kind].budget;
  return 0;
}

GRT_EXPORT int grt_memory_info(const grt_runtime_t *rt, grt_mem_kind_t kind,
                               grt_memory_info_t *out) {
  int rc = runtime_live_check(rt, "grt_memory_info");
  if (rc < 0) return rc;
  if ((int)kind < 0 || kind >= GRT_MEM_KIND_COUNT)
    return grt__error(GRT_EINVAL, "grt_memory_info: kind %d is not a memory kind", (int)kind);
  if (!out) return grt__error(GRT_EINVAL, "grt_memory_info: out is NULL");
  const grt_memory_t *m = &rt->mems[kind];
  *out = (grt_memory_info_t){
      .budget = m->budget,
      .instance_used = atomic_load(&m->inst.used),
      .instance_budget = m->inst.budget,
      .instance_peak = atomic_load(&m->inst.peak),
      .instance_count = atomic_load(&m->inst.count),
      .eager_used = atomic_load(&m->eager.used),
      .eager_budget = m->eager.budget,
      .eager_peak = atomic_load(&m->eager.peak),
      .trimmed = kind == GRT_MEM_SYSMEM ? rt->inst_trimmed : 0,
  };
  return 0;
}
