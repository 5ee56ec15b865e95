/* peer_starpu.h: starting StarPU quietly with an exact number of CPU workers,
 * shared by the StarPU peers. */
#ifndef GRT_BENCH_PEER_STARPU_H
#define GRT_BENCH_PEER_STARPU_H

#include <starpu.h>

#include "peer_util.h"

/* Starts StarPU with `ncpus` CPU workers and no accelerators. Quiet unless
 * the caller's environment says otherwise; no performance-model calibration
 * (the codelets have no model). Returns starpu_init's result. */
static inline int peer_starpu_start(int ncpus)
{
    setenv("STARPU_SILENT", "1", 0);
    setenv("STARPU_NCUDA", "0", 0);
    setenv("STARPU_NOPENCL", "0", 0);
    setenv("STARPU_CALIBRATE", "0", 0);
    /* Keep StarPU's sampling files out of $HOME when it is not writable/wanted. */
    setenv("STARPU_HOME", "/tmp", 0);
    struct starpu_conf conf;
    starpu_conf_init(&conf);
    conf.ncpus = ncpus;
    conf.ncuda = 0;
    conf.nopencl = 0;
    return starpu_init(&conf);
}

#endif
