# Renames of the execution-side split of runtime/ (issue 15, branch modules).
# Apply with: sed -i -f RENAMES.sed FILE...
# graph.[ch] (was exec.c): graph state lives in rt->graph (grt_graph_t)
s/\bgrt__node_init(\([^,()]*\), \([^,]*\), GRT_NODE_XFER, NULL)/grt__graph_node_init(\&\1->graph, \2, GRT_NODE_ANY, run_xfer, NULL)/g
s/\bgrt__node_init(\([^,()]*\),/grt__graph_node_init(\&\1->graph,/g
s/\bgrt__node_add_edge\b/grt__graph_add_edge/g
s/\bgrt__node_release(\([^,()]*\),/grt__graph_release(\&\1->graph,/g
s/\bgrt__node_release(\([^,()]*([^()]*)[^,()]*\),/grt__graph_release(\&\1->graph,/g
s/\bgrt__node_complete(\([^,()]*\),/grt__graph_complete(\&\1->graph,/g
s/\bgrt__table_insert(\([^,()]*\),/grt__graph_insert(\&\1->graph,/g
s/\bgrt__table_find(\([^,()]*\),/grt__graph_find(\&\1->graph,/g
s/\batomic_fetch_add(&rt->outstanding, /grt__graph_expect(\&rt->graph, /g
s/\bgrt__drain_completed\b/grt__op_drain/g
s/\bGRT_NODE_XFER\b/GRT_NODE_ANY/g
s/\bgrt__xfer_is_send\b/(removed: a run hook names its profile event: grt__graph_prof_end)/g
s/\bgrt__workers_start(\([^,()]*\))/grt__graph_start(\&\1->graph)/g
s/\bgrt__workers_stop(\([^,()]*\))/grt__graph_stop(\&\1->graph)/g
s/\bgrt__wait_all(\([^,()]*\))/(grt__graph_wait(\&\1->graph), grt__op_drain(\1))/g
s/\bgrt__prof_end(\([^,()]*\))/(removed: the run hook calls grt__graph_prof_end(w, kind, name, point))/g
# op.[ch] (was task.c + the op pool of submit.c + the future exchange of distrib.c)
s/\bgrt__run_point\b/grt__op_run_point/g
s/\bgrt__run_fold\b/grt__op_run_fold/g
s/\bgrt__task_defer\b/grt__op_task_defer/g
s/\bgrt__task_finish\b/grt__op_task_finish/g
s/\bgrt__arg_gathers\b/grt__op_arg_gathers/g
s/\bgrt__post_future_exchange\b/grt__op_future_exchange/g
s/\bcolor_of(/grt__sharding_point(/g
s/\bgrt__op_color_of\b/grt__sharding_point/g
# analysis.[ch] (was part of submit.c)
s/\bgrt__root_state\b/grt__analysis_root_state/g
s/\bgrt__dg_add_targets\b/grt__analysis_add_targets/g
s/\bgrt__access_whole\b/grt__analysis_access_whole/g
s/\bgrt__submit_scratch_free\b/grt__analysis_scratch_free/g
# machine.[ch]: rt->machine (grt_machine_t)
s/\brt->ncores\b/rt->machine.ncores/g
s/\brt->nnuma\b/rt->machine.nnuma/g
s/\brt->topology\b/rt->machine.topology/g
# processors and profile now in the graph
s/\brt->ncpu\b/rt->graph.ncpu/g
s/\brt->nomp\b/rt->graph.nomp/g
s/\brt->omp_threads\b/rt->graph.omp_threads/g
s/\brt->nworkers\b/rt->graph.nworkers/g
s/\brt->workers\b/rt->graph.workers/g
s/\brt->prof\b/rt->graph.prof/g
# runtime_internal.h is gone: include the module headers instead
s/^#include "runtime_internal.h"$/#include "runtime.h"/
# prefix = file for the smaller modules
s/\bgrt__copy_launch\b/grt__submit_copy/g
s/\bgrt__task_find\b/grt__library_task_find/g
s/\bgrt__libraries_free\b/grt__library_free_all/g
s/\bgrt__redops_free\b/grt__redop_free_all/g
s/\bgrt__internal_library\b/grt__ops_internal_library/g
s/\bgrt__prof_\(now\|open\|buf_new\|record\|close\|discard\)\b/grt__profile_\1/g
s/\bgrt__send_redbuf\b/(removed: op.c sends a point's gathered reduction buffer itself)/g
s/\bgrt__gather_send\b/(removed: op.c sends a point's gathered reduction buffer itself)/g
s/\bgrt__op_finish_future\b/(removed: static in op.c)/g
s/\bgrt__futx_free\b/(removed: static in op.c)/g
s/\bgrt__op_block_\(get\|put\)\b/(removed: static in op.c; grt__op_alloc)/g
# the runtime's liveness moved from runtime.c to store_api.c (same names, declared in store_api.h)
