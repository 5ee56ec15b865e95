/* library.c - libraries by name, task registration and mappers. */
#include "library.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "grt_error.h"
#include "runtime.h"

GRT_EXPORT int grt_library_find(grt_runtime_t *rt, const char *name, grt_library_t **out) {
  const char *fn = "grt_library_find";
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  int rc = grt__store_api_check(rt, fn);
  if (rc < 0) return rc;
  if (!name) return grt__error(GRT_EINVAL, "%s: name is NULL", fn);
  for (grt_library_t *l = rt->libs; l; l = l->next)
    if (strcmp(l->name, name) == 0) {
      *out = l;
      return 0;
    }
  return grt__error(GRT_ENOTFOUND, "%s: no library named '%s'", fn, name);
}

GRT_EXPORT int grt_library_create(grt_runtime_t *rt, const char *name, grt_library_t **out) {
  const char *fn = "grt_library_create";
  if (!out) return grt__error(GRT_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  int rc = grt__store_api_check(rt, fn);
  if (rc < 0) return rc;
  if (!name || !name[0]) return grt__error(GRT_EINVAL, "%s: name is NULL or empty", fn);
  for (grt_library_t *l = rt->libs; l; l = l->next)
    if (strcmp(l->name, name) == 0) {
      *out = l;
      return 0;
    }
  grt_library_t *lib = calloc(1, sizeof *lib);
  if (!lib || !(lib->name = strdup(name))) {
    free(lib);
    return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  }
  lib->rt = rt;
  lib->name_hash = grt__check_hash_bytes(0xcbf29ce484222325ull, name, strlen(name));
  lib->next = rt->libs;
  rt->libs = lib;
  *out = lib;
  return 0;
}

const grt_task_info_t *grt__library_task_find(const grt_library_t *lib, int task_id) {
  int lo = 0, hi = lib->ntasks - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (lib->tasks[mid].id == task_id) return &lib->tasks[mid];
    if (lib->tasks[mid].id < task_id)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return NULL;
}

GRT_EXPORT int grt_task_register(grt_library_t *lib, int task_id, const char *name,
                                 const grt_variants_t *v) {
  const char *fn = "grt_task_register";
  if (!lib) return grt__error(GRT_EINVAL, "%s: lib is NULL", fn);
  int rc = grt__store_api_check(lib->rt, fn);
  if (rc < 0) return rc;
  if (task_id < 0) return grt__error(GRT_EINVAL, "%s: task_id %d is negative", fn, task_id);
  if (!name) return grt__error(GRT_EINVAL, "%s: name is NULL", fn);
  if (!v) return grt__error(GRT_EINVAL, "%s: variants is NULL", fn);
  if (!v->cpu && !v->omp && !v->gpu)
    return grt__error(GRT_EINVAL, "%s: task '%s' has no variant (cpu, omp and gpu are NULL)", fn,
                      name);
  if (grt__library_task_find(lib, task_id))
    return grt__error(GRT_EINVAL, "%s: task_id %d is already registered in library '%s'", fn,
                      task_id, lib->name);
  if (lib->ntasks == lib->captasks) {
    int cap = lib->captasks ? lib->captasks * 2 : 16;
    grt_task_info_t *t = realloc(lib->tasks, sizeof *t * (size_t)cap);
    if (!t) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
    lib->tasks = t;
    lib->captasks = cap;
  }
  char *nm = strdup(name);
  if (!nm) return grt__error(GRT_ENOMEM, "%s: out of host memory", fn);
  int pos = lib->ntasks;
  while (pos > 0 && lib->tasks[pos - 1].id > task_id) {
    lib->tasks[pos] = lib->tasks[pos - 1];
    pos--;
  }
  lib->tasks[pos] = (grt_task_info_t){.id = task_id, .name = nm, .v = *v};
  lib->ntasks++;
  return 0;
}

GRT_EXPORT int grt_library_set_mapper(grt_library_t *lib, const grt_mapper_t *m) {
  const char *fn = "grt_library_set_mapper";
  if (!lib) return grt__error(GRT_EINVAL, "%s: lib is NULL", fn);
  int rc = grt__store_api_check(lib->rt, fn);
  if (rc < 0) return rc;
  if (m)
    lib->mapper = *m;
  else
    memset(&lib->mapper, 0, sizeof lib->mapper);
  return 0;
}

void grt__library_free_all(grt_runtime_t *rt) {
  for (grt_library_t *l = rt->libs, *next; l; l = next) {
    next = l->next;
    for (int i = 0; i < l->ntasks; i++) free(l->tasks[i].name);
    free(l->tasks);
    free(l->name);
    free(l);
  }
  rt->libs = NULL;
}
