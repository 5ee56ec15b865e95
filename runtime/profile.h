/* profile.h - the `profile` setting: per-worker timelines written as a Chrome trace.
 *
 * Owns the profile file and the workers' event buffers. It sits below the
 * graph: it knows workers only as the buffers it hands out (in worker
 * order) and nodes only as the marks the graph and the run hooks fill in. */
#ifndef GRT_PROFILE_H
#define GRT_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

typedef struct grt_prof grt_prof_t;
typedef struct grt_prof_buf grt_prof_buf_t;

/* What ran: the label of an event. */
typedef enum { GRT_PROF_TASK, GRT_PROF_FOLD, GRT_PROF_SEND, GRT_PROF_RECEIVE } grt_prof_kind_t;

/* What a worker notes of a node while it runs it: the graph fills t0 and
 * seq before the run hook, the hook the rest when its work ends (the node
 * may be freed once it completes). */
typedef struct grt_prof_mark {
  uint64_t t0, seq;
  const char *name;              /* the task's name (lives as long as its library) or NULL */
  int32_t point;                 /* the point's index in its launch, or -1 */
  uint8_t kind;                  /* grt_prof_kind_t */
} grt_prof_mark_t;

uint64_t grt__profile_now(void);
/* At grt_init: with the profile setting on, creates <logdir>/grt_profile_<rank>.json
 * and sets *out; otherwise *out = NULL. Returns 0 or GRT_EINVAL / GRT_ENOMEM. */
int grt__profile_open(const grt_settings_t *s, int rank, grt_prof_t **out);
/* The next worker's event buffer, owned by @p p (freed by close or discard);
 * NULL when @p p is NULL or out of memory. @p omp names the worker's kind. */
grt_prof_buf_t *grt__profile_buf_new(grt_prof_t *p, bool omp);
void grt__profile_record(grt_prof_buf_t *b, const grt_prof_mark_t *m, uint64_t t1);
/* At grt_finalize, once every node has completed: writes the file, frees
 * @p p and its buffers. NULL: nothing. Returns 0 or GRT_EINVAL. */
int grt__profile_close(grt_prof_t *p, int rank, int nranks);
/* A grt_init that failed after grt__profile_open: removes the empty file. */
void grt__profile_discard(grt_prof_t *p);

#endif
