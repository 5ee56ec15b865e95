/* check.c - the divergence check, the runtime's side: every rank folds each
 * API operation into a running hash and a numbered record, which comm's
 * divergence exchange (comm/divergence.h) compares across ranks. */
#include "check.h"

#include "runtime.h"
#include "divergence.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Names of the GRT_CHECK_* kinds, for the exchange's messages. */
static const char *const kind_names[] = {"launch", "map",        "unmap",       "detach",
                                         "fence",  "future get", "future wait", "finalize",
                                         "memory trim"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == GRT_CHECK_TRIM + 1,
               "one name per GRT_CHECK_* kind");

/* A fast 64-bit hash, eight bytes at a time (xor-multiply-shift mixing). */
uint64_t grt__check_hash_bytes(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

bool grt__check_enabled(const grt_runtime_t *rt) { return rt->checker != NULL; }

int grt__check_init(grt_runtime_t *rt) {
  grt_divergence_t *d;
  int rc = grt__divergence_new(rt->comm, kind_names, GRT_CHECK_TRIM + 1, &d);
  rt->checker = d;
  return rc;
}

int grt__check_start(grt_runtime_t *rt) { return grt__divergence_start(rt->checker); }

int grt__check_start_agree(grt_runtime_t *rt, int rc) {
  return grt__divergence_start_agree(rt->comm, rc);
}

void grt__check_fini(grt_runtime_t *rt) {
  grt__divergence_free(rt->checker);
  rt->checker = NULL;
}

void grt__check_op(grt_runtime_t *rt, uint32_t kind, uint64_t h) {
  grt__check_op_named(rt, kind, h, NULL, NULL);
}

void grt__check_op_named(grt_runtime_t *rt, uint32_t kind, uint64_t h, const char *lib,
                         const char *name) {
  rt->op_count++;
  rt->op_hash = grt__check_hash_bytes(rt->op_hash, &h, sizeof h);
  if (rt->checker) grt__divergence_record(rt->checker, rt->op_count, kind, h, lib, name);
}

int grt__check_sync(grt_runtime_t *rt, uint32_t kind, uint64_t h, bool *any_failed) {
  if (any_failed) *any_failed = false;
  grt_divergence_t *d = rt->checker;
  if (!d) {
    grt__check_op(rt, kind, h);
    return 0;
  }
  const char *why = grt__divergence_why(d);
  if (why) return grt__error(GRT_EDIVERGED, "%s", why);
  grt__check_op(rt, kind, h);
  /* Short of memory: the instance pool three quarters full. Every rank
   * learns from the verdict whether any rank is, and then trims copies
   * alike (grt__instances_trim_due). */
  const grt_mem_pool_t *ip = &rt->mems[GRT_MEM_SYSMEM].inst;
  grt__divergence_set_pressure(d, atomic_load(&ip->used) / 3 >= ip->budget / 4 && ip->budget > 0);
  uint32_t failed = any_failed ? (uint32_t)atomic_load(&rt->task_failed) : 0;
  char failtext[160] = "";
  if (failed) {
    pthread_mutex_lock(&rt->fail_mu);
    snprintf(failtext, sizeof failtext, "%.150s", rt->fail_msg);
    pthread_mutex_unlock(&rt->fail_mu);
  }
  int rc = grt__divergence_sync(d, rt->op_count, kind == GRT_CHECK_FINALIZE, failed, failtext,
                                any_failed);
  if (rc == 0) rt->trim_due = grt__divergence_any_pressure(d) && kind != GRT_CHECK_FINALIZE;
  /* Where every rank may run a collective: trim now (instances.h, through
   * the hook runtime.c sets: instances sit above this module). */
  if (rc == 0 && rt->trim_due && rt->trim_hook &&
      (kind == GRT_CHECK_FENCE || kind == GRT_CHECK_FUTURE_WAIT || kind == GRT_CHECK_FUTURE_GET))
    rc = rt->trim_hook(rt);
  return rc;
}
