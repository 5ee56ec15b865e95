/* grt.h - the one public header of grt, a task-based distributed runtime. */
#ifndef GRT_H
#define GRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define GRT_EXPORT __declspec(dllexport)
#elif defined(__GNUC__)
#define GRT_EXPORT __attribute__((visibility("default")))
#else
#define GRT_EXPORT
#endif

#if defined(__GNUC__)
#define GRT_NODISCARD __attribute__((warn_unused_result))
#else
#define GRT_NODISCARD
#endif

#define GRT_VERSION_MAJOR 0
#define GRT_VERSION_MINOR 1
#define GRT_VERSION_PATCH 0

/* ===========================================================================
 * Conventions that hold for every function below (docs/api.md has more).
 *
 * Errors. A function returning int returns 0 on success, or a count or index
 * >= 0 where its comment says so, and a negative GRT_E* code on failure. A
 * failing call records a message naming the function and the bad argument,
 * which grt_last_error() returns on the same thread; a call that returns a
 * pointer returns NULL on failure, and a void call that fails only records
 * the message. "Handle errors" below means: GRT_EINVAL when the handle is
 * NULL or not a handle of that kind, GRT_ESTATE when it is stale (its object
 * was already destroyed, submitted or unmapped), when a store handle's root
 * was detached, or when the call comes from inside a task body.
 *
 * Ownership. The application owns what it creates and releases it with the
 * matching call: a runtime (grt_finalize), a config (grt_config_destroy), a
 * store or view handle (grt_store_destroy), an array (grt_array_destroy), a
 * launch (grt_launch_submit or grt_launch_destroy), a future
 * (grt_future_destroy), a partition (grt_partition_destroy) and a mapping
 * (grt_mapping_unmap). The runtime owns libraries and the types made by
 * grt_type_fixed_binary()/grt_type_struct() (both live until grt_finalize);
 * built-in types are static. Release stores, views, arrays, partitions,
 * futures, launches and mappings before grt_finalize.
 *
 * Handles. Stores, views, launches, futures, partitions and mappings are
 * generation-tagged handles (runtime/handle.h): a released handle is stale,
 * and every call given one returns GRT_ESTATE (a void call only records the
 * message) instead of touching the object that now reuses its memory, while
 * the runtime lives. Handles left over at grt_finalize: docs/api.md,
 * "Handles". Libraries and arrays are plain pointers: using one after
 * grt_finalize (libraries) or grt_array_destroy (arrays) is undefined.
 *
 * Threads. One application thread makes the calls (grt does not check which
 * one). Task bodies run on the runtime's worker threads and may call only:
 *   - the grt_task_* functions, with the context they were given;
 *   - pure queries, which are also safe on any thread: grt_strerror,
 *     grt_last_error, the built-in type getters and the grt_type_* queries
 *     (not grt_type_fixed_binary/grt_type_struct, which take a runtime),
 *     grt_rank, grt_num_ranks, grt_num_procs, grt_memory_usage, grt_memory_info,
 *     grt_show_config, grt_array_data, grt_array_validity and the grt_config_*
 *     functions.
 * Every other call that takes a runtime, library or handle refuses inside a
 * body: it returns GRT_ESTATE naming the task, changes nothing and is not
 * recorded for the divergence check, so on several ranks it fails alike
 * everywhere. The check is a thread-local flag of the worker running the
 * body: threads a body starts itself (an OpenMP team) are not checked, and
 * must not make those calls either.
 *
 * Replication. On several ranks (an MPI job, or simulated ranks) every rank
 * runs the same program: it must make the same calls, with the same
 * arguments, in the same order (runtime setup and registration, store
 * creation, attach, views and destroy, partitions, launches with their
 * scalars, fill, copy, map, unmap, detach, future wait and get, fence,
 * finalize), because store ids, custom operator ids and message tags are
 * counted alike on every rank. Queries (grt_rank, shapes, ...) are local. On
 * several real ranks the divergence check records launches, maps, unmaps and
 * detaches and compares them on rank 0 at least every 64 operations and at
 * every blocking call (grt_fence, grt_future_wait, grt_future_get,
 * grt_store_map, grt_store_detach, grt_finalize): those calls are collective
 * (every rank makes them), and a difference makes them return GRT_EDIVERGED
 * naming the first differing operation; rank 0 then aborts the job.
 * ======================================================================== */

/* ---- errors ----
 * Every function returning int returns 0 (or an index >= 0 where stated) on
 * success and one of these negative codes on failure. grt_last_error() returns
 * a thread-local message naming the bad argument of the last failure on the
 * calling thread. */
enum {
  GRT_OK = 0,
  GRT_EINVAL = -1,        /* bad argument */
  GRT_ENOMEM = -2,        /* insufficient resources: a memory budget */
  GRT_ENOTFOUND = -3,     /* unknown task/library/redop */
  GRT_ESTATE = -4,        /* wrong state: destroyed object, finalized runtime */
  GRT_EUNSUPPORTED = -5,  /* e.g. no GPU variant and GPUs required */
  GRT_EDIVERGED = -6,     /* ranks issued different operations */
  GRT_ECOMM = -7,         /* communication failure */
  GRT_ETASK = -8,         /* a task failed (grt_task_fail) */
};
/** A description of an error code. Any thread.
 *  @param err a GRT_E* code (or GRT_OK).
 *  @returns a static string (never NULL): "unknown error" for other values. */
GRT_EXPORT const char *grt_strerror(int err);
/** The message of the calling thread's last failing grt call, naming the
 *  function and the bad argument. Any thread, task bodies included.
 *  @returns a thread-local buffer ("" if no call failed on this thread yet),
 *  overwritten by the thread's next failure (successful calls do not clear
 *  it). */
GRT_EXPORT const char *grt_last_error(void);

/* ---- kinds ---- */
typedef enum { GRT_PROC_CPU, GRT_PROC_OMP, GRT_PROC_GPU } grt_proc_kind_t;
typedef enum { GRT_READ, GRT_WRITE, GRT_READ_WRITE, GRT_REDUCE } grt_privilege_t;
/* Built-in reduction operators: all four on integers and floats; SUM and
 * PROD on complex types (MIN/MAX are GRT_EINVAL: no order); on bool, SUM and
 * MAX are logical OR, PROD and MIN logical AND; none on fixed binary or
 * struct types (docs/types.md). Custom operators registered with
 * grt_redop_register() get ids >= GRT_REDOP_CUSTOM. */
typedef enum {
  GRT_REDOP_SUM, GRT_REDOP_PROD, GRT_REDOP_MIN, GRT_REDOP_MAX,
  GRT_REDOP_CUSTOM = 64
} grt_redop_t;

/* Memory kinds. Only sysmem is backed today; the others have budgets. */
typedef enum {
  GRT_MEM_SYSMEM, GRT_MEM_NUMAMEM, GRT_MEM_FBMEM, GRT_MEM_ZCMEM, GRT_MEM_REGMEM,
  GRT_MEM_KIND_COUNT
} grt_mem_kind_t;

/* ---- configuration ----
 * Settings come, highest precedence first, from an explicit grt_config_t passed
 * to grt_init_config(), the file named by GRT_CONFIG (key = value lines), GRT_*
 * environment variables, then defaults. Keys are documented in docs/config.md.
 * A grt_config_t is a plain value owned by the caller: it touches no runtime
 * and may be used on any thread (one at a time per object). */
typedef struct grt_config grt_config_t;
/** Creates an empty set of explicit settings; free with grt_config_destroy().
 *  @param out receives the new config (NULL on failure).
 *  @returns 0; GRT_EINVAL if @p out is NULL; GRT_ENOMEM. */
GRT_EXPORT int  grt_config_create(grt_config_t **out);
/** Sets @p key (e.g. "cpus", "sysmem") to the text @p value; validated at once.
 *  The text is copied; setting a key again replaces its value. grt_init_config()
 *  checks it again.
 *  @param cfg the config.
 *  @param key a key of docs/config.md.
 *  @param value its value as text, as in a GRT_CONFIG file.
 *  @returns 0; GRT_EINVAL if @p cfg, @p key or @p value is NULL, the key is
 *  unknown or the value is not valid for it (the message says why);
 *  GRT_ENOMEM. */
GRT_EXPORT int  grt_config_set(grt_config_t *cfg, const char *key, const char *value);
/** Frees @p cfg and its values (NULL is a no-op). A runtime keeps its own copy
 *  of the settings, so @p cfg may be destroyed right after grt_init_config(). */
GRT_EXPORT void grt_config_destroy(grt_config_t *cfg);

/* ---- runtime ---- */
typedef struct grt_runtime grt_runtime_t;
/** Starts grt: reads GRT_CONFIG / GRT_* env / defaults. The caller owns *rt
 *  until grt_finalize(). @p argc and @p argv may be NULL.
 *  Same as grt_init_config(argc, argv, NULL, rt). */
GRT_EXPORT int  grt_init(int *argc, char ***argv, grt_runtime_t **rt);
/** As grt_init(), with explicit settings that override every other source.
 *
 *  Loads the settings, the machine model (hwloc), connects the ranks (MPI, or
 *  the simulated ranks of the sim_ranks setting), starts the worker threads
 *  and, on several real ranks, the divergence check. Collective on several
 *  ranks: a step that fails on one rank fails grt_init on every rank. At most
 *  16 runtimes may be alive at once in a process.
 *
 *  @param argc the program's argument count for MPI, or NULL.
 *  @param argv the program's arguments for MPI, or NULL.
 *  @param cfg explicit settings (may be NULL); only read during the call.
 *  @param rt receives the runtime, NULL on failure.
 *  @returns 0; GRT_EINVAL if @p rt is NULL, for a bad setting from any source
 *  (naming the key and its source) or a profile file that cannot be
 *  created; GRT_EUNSUPPORTED for gpus > 0 (no GPU execution yet) or the
 *  dataflow/event settings; GRT_ENOMEM (host memory, hwloc, threads);
 *  GRT_ECOMM when MPI cannot start, or on the other ranks when one rank
 *  failed (naming it); GRT_ESTATE when 16 runtimes are already alive or
 *  the call comes from a task body. */
GRT_EXPORT int  grt_init_config(int *argc, char ***argv, const grt_config_t *cfg,
                                grt_runtime_t **rt);
/** Waits for all work, frees everything the runtime owns, including *rt.
 *
 *  Collective (a blocking call of the divergence check). Attached stores never
 *  detached are detached here: their values are written back to every rank's
 *  buffer, with a warning on stderr. The profile, if on, is written.
 *  Unless @p rt is refused (NULL, already finalized, a call from a task body:
 *  nothing happens then), the runtime is freed even when an error is
 *  returned; afterwards every call on @p rt reports GRT_ESTATE.
 *  @returns 0; GRT_EINVAL if @p rt is NULL; GRT_ESTATE if it is already
 *  finalized or the call comes from a task body; GRT_EDIVERGED; GRT_EINVAL
 *  if writing the profile failed; the error of writing an attached store
 *  back (GRT_ENOMEM). Task failures are reported by grt_fence(), not here. */
GRT_EXPORT int  grt_finalize(grt_runtime_t *rt);
/** Waits for all submitted work. Returns GRT_ETASK if a task failed since the
 *  previous fence.
 *
 *  Blocks until every operation this rank submitted has completed. Collective
 *  (a blocking call of the divergence check); on several ranks a task failure
 *  on any rank makes it return GRT_ETASK on every rank.
 *  @returns 0; GRT_EINVAL if @p rt is NULL; GRT_ESTATE (finalized runtime,
 *  task body); GRT_EDIVERGED; GRT_ETASK with the failed task's message. */
GRT_EXPORT GRT_NODISCARD int grt_fence(grt_runtime_t *rt);
/** This process's rank, 0 .. grt_num_ranks() - 1. Any thread.
 *  @returns the rank; GRT_EINVAL if @p rt is NULL; GRT_ESTATE if it was
 *  finalized. */
GRT_EXPORT int  grt_rank(const grt_runtime_t *rt);
/** The number of ranks of the job (1 without MPI). Any thread.
 *  @returns the count; GRT_EINVAL if @p rt is NULL; GRT_ESTATE if it was
 *  finalized. */
GRT_EXPORT int  grt_num_ranks(const grt_runtime_t *rt);
/** The processors of @p kind of the whole job: this rank's count (from the
 *  cpus, omps and gpus settings and the machine; omps counts 0 in a build
 *  without OpenMP, gpus always 0 today) times the number of ranks. Any
 *  thread.
 *  @returns the count; GRT_EINVAL if @p rt is NULL or @p kind is not a
 *  processor kind; GRT_ESTATE if the runtime is finalized. */
GRT_EXPORT int  grt_num_procs(const grt_runtime_t *rt, grt_proc_kind_t kind); /* whole machine */
/** Prints the configuration in force (every key, its value and its source) to
 *  @p out, in the GRT_CONFIG file format. Any thread.
 *  @returns 0; GRT_EINVAL if @p rt or @p out is NULL or writing failed;
 *  GRT_ESTATE if the runtime is finalized. */
GRT_EXPORT int  grt_show_config(const grt_runtime_t *rt, FILE *out);
/** Reports a memory kind's bytes in use and its budget (either may be NULL).
 *  Both are this rank's. Any thread.
 *  @returns 0; GRT_EINVAL if @p rt is NULL or @p kind is not a memory kind;
 *  GRT_ESTATE if the runtime is finalized. */
GRT_EXPORT int  grt_memory_usage(const grt_runtime_t *rt, grt_mem_kind_t kind,
                                 size_t *used, size_t *budget);

/** Frees copies, on every rank: a collective call (every rank makes it at
 *  the same point of the program, as grt_fence). It waits for this rank's
 *  pending work (as grt_fence, without reporting task failures), then every
 *  rank frees its instances that hold only copies of values another rank
 *  also holds (halos and broadcast reads received earlier), and the ranks
 *  tell each other, so that later reads fetch those values again. Values a
 *  rank holds alone are never freed. Nothing is freed while a mapping is
 *  live on that rank. Use it where memory is short: a rank's allocation
 *  that its budget refuses waits for its pending work but cannot free
 *  copies on its own (the others must agree). On one rank it only waits.
 *  @param freed if not NULL, receives the bytes of instances this rank freed.
 *  @returns 0; GRT_EINVAL / GRT_ESTATE as grt_fence; GRT_EDIVERGED if the
 *  ranks did not all call it here. */
GRT_EXPORT GRT_NODISCARD int grt_memory_trim(grt_runtime_t *rt, size_t *freed);

/** A memory's two pools on this rank (see docs/stores.md, "Instances"). The
 *  budget is split by the eager_alloc_percentage setting: the eager pool
 *  pays for short-lived allocations (reduction buffers, transfer staging),
 *  the instance pool for instances -- the blocks holding the parts of
 *  stores this rank's tasks, transfers and mappings touch. */
typedef struct grt_memory_info {
  size_t budget;              /* the memory's budget: both pools */
  size_t instance_used;       /* bytes of live instances */
  size_t instance_budget;
  size_t instance_peak;       /* the most instance bytes at once so far */
  size_t instance_count;      /* live instances */
  size_t eager_used;          /* bytes of eager allocations now */
  size_t eager_budget;
  size_t eager_peak;
  size_t trimmed;             /* bytes of copies freed by trims so far (an
                               * explicit grt_memory_trim, or the automatic
                               * one at a blocking call when some rank's
                               * instance pool is three quarters full) */
} grt_memory_info_t;
/** Fills @p out with this rank's pools of memory @p kind. Any thread.
 *  @returns 0; GRT_EINVAL if @p rt or @p out is NULL or @p kind is not a
 *  memory kind; GRT_ESTATE if the runtime is finalized. */
GRT_EXPORT int  grt_memory_info(const grt_runtime_t *rt, grt_mem_kind_t kind,
                                grt_memory_info_t *out);

/* ---- types (Arrow-compatible; format strings of the Arrow C data interface) ----
 * Built-in types are static; fixed_binary and struct types are owned by the
 * runtime and live until grt_finalize(). Mapping of complex types: see
 * docs/types.md (Arrow has no complex type).
 * Types are compared by pointer: a runtime returns the same pointer for equal
 * derived types, and a store only takes a built-in type or one of its own
 * runtime's. The getters and queries are pure: any thread, task bodies
 * included; the queries return 0 (size, alignment) or NULL (format) for a
 * NULL type, without a message. */
typedef struct grt_type grt_type_t;
typedef enum {
  GRT_TYPE_BOOL, GRT_TYPE_INT8, GRT_TYPE_INT16, GRT_TYPE_INT32, GRT_TYPE_INT64,
  GRT_TYPE_UINT8, GRT_TYPE_UINT16, GRT_TYPE_UINT32, GRT_TYPE_UINT64,
  GRT_TYPE_FLOAT16, GRT_TYPE_FLOAT32, GRT_TYPE_FLOAT64,
  GRT_TYPE_COMPLEX64, GRT_TYPE_COMPLEX128, GRT_TYPE_FIXED_BINARY, GRT_TYPE_STRUCT
} grt_type_code_t;
/* The built-in types (never NULL). Elements are the C types of the same size
 * (bool: one byte per element). */
GRT_EXPORT const grt_type_t *grt_type_bool(void);    /* "b" */
GRT_EXPORT const grt_type_t *grt_type_int8(void);    /* "c" */
GRT_EXPORT const grt_type_t *grt_type_int16(void);   /* "s" */
GRT_EXPORT const grt_type_t *grt_type_int32(void);   /* "i" */
GRT_EXPORT const grt_type_t *grt_type_int64(void);   /* "l" */
GRT_EXPORT const grt_type_t *grt_type_uint8(void);   /* "C" */
GRT_EXPORT const grt_type_t *grt_type_uint16(void);  /* "S" */
GRT_EXPORT const grt_type_t *grt_type_uint32(void);  /* "I" */
GRT_EXPORT const grt_type_t *grt_type_uint64(void);  /* "L" */
GRT_EXPORT const grt_type_t *grt_type_float16(void); /* "e" */
GRT_EXPORT const grt_type_t *grt_type_float32(void); /* "f" */
GRT_EXPORT const grt_type_t *grt_type_float64(void); /* "g" */
/* Complex types: format "+w:2" (a fixed-size list of two floats) with one
 * field, the float type. */
GRT_EXPORT const grt_type_t *grt_type_complex64(void);  /* two float32 */
GRT_EXPORT const grt_type_t *grt_type_complex128(void); /* two float64 */
/** An opaque element of @p width bytes (alignment 1), owned by @p rt.
 *  @returns the type (the same pointer for the same width), or NULL with
 *  GRT_EINVAL (NULL runtime, @p width 0), GRT_ESTATE (finalized runtime, task
 *  body) or GRT_ENOMEM recorded as the last error. */
GRT_EXPORT const grt_type_t *grt_type_fixed_binary(grt_runtime_t *rt, size_t width); /* "w:N" */
/** A struct of @p n fields laid out as a C compiler does (each field at the
 *  next offset aligned for it, the size rounded up to the largest alignment),
 *  owned by @p rt. The field types are not copied: they are built-in or
 *  @p rt's own.
 *  @returns the type (the same pointer for the same field list), or NULL with
 *  GRT_EINVAL (NULL runtime, @p n < 1, @p fields or a field NULL, a field
 *  of another runtime, a size past SIZE_MAX), GRT_ESTATE (finalized runtime,
 *  task body) or GRT_ENOMEM recorded as the last error. */
GRT_EXPORT const grt_type_t *grt_type_struct(grt_runtime_t *rt, int n,
                                             const grt_type_t *const *fields); /* "+s" */
GRT_EXPORT size_t      grt_type_size(const grt_type_t *t);      /* 0 for NULL */
GRT_EXPORT size_t      grt_type_alignment(const grt_type_t *t); /* 0 for NULL */
GRT_EXPORT const char *grt_type_format(const grt_type_t *t);    /* NULL for NULL */
GRT_EXPORT int         grt_type_code(const grt_type_t *t);      /* grt_type_code_t or GRT_EINVAL */
/** @returns the number of fields: 0 for scalar and fixed binary types, 1 for
 *  complex types, n for a struct; GRT_EINVAL if @p t is NULL. */
GRT_EXPORT int         grt_type_num_fields(const grt_type_t *t);
/** @returns field @p i's type, or NULL (GRT_EINVAL recorded) if @p t is NULL
 *  or @p i is not in 0 .. grt_type_num_fields(t) - 1. */
GRT_EXPORT const grt_type_t *grt_type_field(const grt_type_t *t, int i);
/** @returns field @p i's byte offset in an element, or 0 with GRT_EINVAL
 *  recorded if @p t is NULL or @p i is out of range (check the index first:
 *  0 is also a valid offset). */
GRT_EXPORT size_t      grt_type_field_offset(const grt_type_t *t, int i);

/* ---- stores and views ----
 * A store is an N-D array (1..GRT_MAX_DIM dims) with a shape, a type and no
 * placement. Views alias their root. Every handle (store or view) is owned by
 * the caller and released with grt_store_destroy(); the data lives until the
 * last handle is destroyed and the last task using it has finished. A
 * destroyed handle must not be used again (doing so returns GRT_ESTATE while
 * the runtime is alive).
 * A store's memory is allocated, zeroed, on this rank's sysmem at its first
 * use by a launch (grt_fill and grt_copy are launches) or a map, so an
 * exhausted budget is GRT_ENOMEM from that call, not from the creation. Store
 * creation, attach and destroy are replicated: every rank makes the same ones
 * in the same order (store ids are counted alike). The queries
 * (grt_store_ndim, grt_store_shape, grt_store_type) are local but refused
 * inside task bodies. */
typedef struct grt_store grt_store_t;
#define GRT_MAX_DIM 4
/** Creates a store of @p ndim dims.
 *  @param rt the runtime.
 *  @param type a built-in type or one of @p rt's.
 *  @param ndim 1 .. GRT_MAX_DIM.
 *  @param shape @p ndim extents >= 0 (0 makes an empty store).
 *  @param out receives the handle (NULL on failure).
 *  @returns 0; GRT_EINVAL (NULL @p out, @p rt, @p type or @p shape, a type of
 *  another runtime, @p ndim out of range, a negative extent, more bytes than
 *  the address space); GRT_ESTATE (finalized runtime, task body);
 *  GRT_ENOMEM (host memory). */
GRT_EXPORT int  grt_store_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, grt_store_t **out);
/** Uses the application's row-major @p buffer (same on every rank) as the
 *  store's memory until grt_store_detach(). The buffer must stay valid until
 *  the store is detached, or, if it never is, until the next grt_fence() or
 *  grt_finalize() after its last handle (store or view) is destroyed. A
 *  store still alive at grt_finalize and never detached is detached there:
 *  every value is written back into the buffer on every rank, with a
 *  warning on stderr.
 *
 *  Every rank passes its own buffer, holding the same values. Until then the
 *  buffer is the store's memory on this rank: grt's tasks and transfers read
 *  and write it, and the application reaches the values through
 *  grt_store_map(). grt never frees the buffer. Parameters and errors as
 *  grt_store_create(), and GRT_EINVAL when @p buffer is NULL for a non-empty
 *  store or not aligned for @p type. */
GRT_EXPORT int  grt_store_attach(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, void *buffer, grt_store_t **out);
/** Waits for the tasks using the store, writes the latest values back into the
 *  buffer. The store can no longer be used afterwards (GRT_ESTATE); the handle
 *  must still be destroyed.
 *
 *  Waits for every task touching the root through any view; on several ranks
 *  every rank's buffer then holds every value. Every handle of the root
 *  (store and views) then reports GRT_ESTATE. Collective (a blocking call of
 *  the divergence check).
 *  @param s an attached store or a view of one.
 *  @returns 0; the handle errors (also for a store already detached);
 *  GRT_EINVAL if the store was not made by grt_store_attach(); GRT_ESTATE
 *  (finalized runtime); GRT_EDIVERGED; GRT_ENOMEM. */
GRT_EXPORT GRT_NODISCARD int grt_store_detach(grt_store_t *s);
/** Releases a store or view handle (NULL is a no-op); the data is freed once
 *  the last handle is gone and the tasks using it finish (not waited for).
 *  Destroying the last handle of an attached store that was never detached
 *  does what grt_store_detach() does without waiting, with a warning on
 *  stderr (rank 0): after the next grt_fence() or grt_finalize() the buffer
 *  holds every value on every rank; until then tasks and transfers may still
 *  write into it. Replicated like other calls on several ranks: every rank
 *  destroys the same handles in the same order.
 *  Every copy of the handle is stale afterwards. Launches, partitions and
 *  mappings keep their own reference to the data, so a handle may be
 *  destroyed as soon as it was passed to them. A stale handle, or a call from
 *  a task body, only records the message. After grt_finalize it frees the
 *  handle but not the data. */
GRT_EXPORT void grt_store_destroy(grt_store_t *s);
/** @returns the number of dims of the store or view; the handle errors. */
GRT_EXPORT int  grt_store_ndim(const grt_store_t *s);
/** Writes grt_store_ndim(s) extents into @p shape. On a handle error or a NULL
 *  @p shape it writes nothing and records the message. */
GRT_EXPORT void grt_store_shape(const grt_store_t *s, int64_t *shape);
/** @returns the element type of the store's root, or NULL on a handle error. */
GRT_EXPORT const grt_type_t *grt_store_type(const grt_store_t *s);
/* views alias their root; the caller destroys the view handle */
/* Each view call makes a new handle (*out, NULL on failure) that sees the
 * elements of @p s through a transform, without copying: writes through a
 * view are writes of the root. A view keeps the root's data alive: @p s may
 * be destroyed first. Views of a view compose. Errors: the handle errors
 * for @p s; GRT_EINVAL for a NULL @p out or an argument out of range (the
 * message names it); GRT_ESTATE if the runtime is finalized; GRT_ENOMEM. */
/** The elements [@p start, @p stop) of dim @p dim (0 <= start <= stop <=
 *  extent); the other dims whole. */
GRT_EXPORT int  grt_store_slice(grt_store_t *s, int dim, int64_t start, int64_t stop, grt_store_t **out);
/** Dim k of the view is dim @p perm[k] of @p s (@p perm: a permutation of
 *  0 .. ndim - 1). */
GRT_EXPORT int  grt_store_transpose(grt_store_t *s, const int *perm, grt_store_t **out);
/** Inserts a new dim at position @p dim (0 .. ndim) of extent @p size >= 0
 *  whose elements all alias the same element of @p s (stride 0). Launches may
 *  read or reduce through it, never write (grt_launch_submit: GRT_EINVAL).
 *  @p s must have fewer than GRT_MAX_DIM dims. */
GRT_EXPORT int  grt_store_promote(grt_store_t *s, int dim, int64_t size, grt_store_t **out);    /* new broadcast dim */
/** The elements whose coordinate in dim @p dim is @p index (0 .. extent - 1),
 *  without that dim; @p s must have at least 2 dims. */
GRT_EXPORT int  grt_store_project(grt_store_t *s, int dim, int64_t index, grt_store_t **out);   /* drop a dim */
/** Splits dim @p dim into @p n dims of extents @p sizes (row-major), whose
 *  product must be the dim's extent; the view has ndim - 1 + n <=
 *  GRT_MAX_DIM dims. */
GRT_EXPORT int  grt_store_delinearize(grt_store_t *s, int dim, int n, const int64_t *sizes, grt_store_t **out);
/** Sets every element of @p s (a store or view) to *@p value, which holds one
 *  element of the store's type (read during the call). Issued as a launch of
 *  grt's own fill task: returns once submitted, not done; later operations
 *  on the store see the values.
 *  @returns 0; the handle errors; GRT_EINVAL if @p value is NULL; GRT_ESTATE
 *  (finalized runtime); and the errors of grt_launch_submit() (GRT_ENOMEM
 *  for the store's first allocation). */
GRT_EXPORT GRT_NODISCARD int grt_fill(grt_store_t *s, const void *value);
/** Copies @p src into @p dst (same shape and type). Views of one root may
 *  overlap: the copy behaves like memmove (src is read in full first).
 *
 *  Same type means the same type object. Issued as a launch of grt's own copy
 *  task (returns once submitted).
 *  @returns 0; the handle errors for @p dst or @p src; GRT_EINVAL if they
 *  belong to different runtimes or differ in type or shape; GRT_ESTATE
 *  (finalized runtime); and the errors of grt_launch_submit(). */
GRT_EXPORT GRT_NODISCARD int grt_copy(grt_store_t *dst, grt_store_t *src);
/* inline mapping: the calling thread accesses the data directly */
typedef struct grt_mapping grt_mapping_t;
/** Waits for exactly the tasks that touch @p s, then maps the whole store in
 *  host memory. Tasks submitted later that touch it wait for the unmap.
 *
 *  "Touch" follows the dependence rule: a GRT_READ mapping waits for the
 *  earlier tasks that write or reduce the view's elements, and holds back
 *  later ones that write or reduce them; a GRT_WRITE or GRT_READ_WRITE
 *  mapping (both see the current values) waits for and holds back every
 *  access to them. On several ranks every rank maps the whole view (its
 *  missing values are sent to it) and a write mapping must write the same
 *  values on every rank. Collective (a blocking call of the divergence
 *  check). Release with grt_mapping_unmap().
 *  @param s a store or view.
 *  @param priv GRT_READ, GRT_WRITE or GRT_READ_WRITE.
 *  @param out receives the mapping.
 *  @returns 0; the handle errors; GRT_EINVAL (NULL @p out, @p priv
 *  GRT_REDUCE or unknown); GRT_ESTATE (finalized runtime); GRT_EDIVERGED;
 *  GRT_ENOMEM (the store's first allocation, host memory). */
GRT_EXPORT GRT_NODISCARD int grt_store_map(grt_store_t *s, grt_privilege_t priv, grt_mapping_t **out);
/** Address of element 0 of the (view) store; strides in elements (may be NULL).
 *  Writes the view's ndim strides (0 on a promoted dim). The memory is valid
 *  until grt_mapping_unmap().
 *  @returns the address (possibly NULL for an empty store), or NULL on a
 *  handle error or a finalized runtime. */
GRT_EXPORT void *grt_mapping_ptr(grt_mapping_t *m, int64_t *strides);
/** Ends the mapping and frees @p m (its handle is stale afterwards, also when
 *  an error is returned after the handle check); tasks held back by it may
 *  run. On several ranks, the values of a write mapping become every rank's.
 *  @returns 0; the handle errors; GRT_ESTATE (finalized runtime); GRT_ENOMEM. */
GRT_EXPORT int  grt_mapping_unmap(grt_mapping_t *m);   /* frees m */

/* ---- arrays: a data store plus an optional validity mask, as in Arrow ---- */
typedef struct grt_array grt_array_t;
/** Creates an array: a data store of @p type and @p shape and, if @p nullable,
 *  a bool validity store of the same shape (true where the element is valid;
 *  all false until written). The array owns both store handles. Parameters
 *  and errors as grt_store_create(). Replicated (it creates stores). */
GRT_EXPORT int  grt_array_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, bool nullable, grt_array_t **out);
/* The array's own store handles: do not destroy them; they go stale at
 * grt_array_destroy(). Both record GRT_EINVAL and return NULL for a NULL
 * array; any thread, task bodies included. */
GRT_EXPORT grt_store_t *grt_array_data(grt_array_t *a);      /* owned by the array */
GRT_EXPORT grt_store_t *grt_array_validity(grt_array_t *a);  /* NULL if not nullable; bool store */
/** Destroys the array's stores (as grt_store_destroy()) and frees @p a, which
 *  is a plain pointer: it must not be used again. Not from a task body. */
GRT_EXPORT void grt_array_destroy(grt_array_t *a);           /* NULL is a no-op */

/* ---- libraries, tasks, reduction operators ----
 * A library is a named set of tasks with a mapper. Libraries are owned by the
 * runtime and live until grt_finalize() (a grt_library_t is a plain pointer,
 * valid until then). Registration is replicated: every rank registers the
 * same libraries, tasks and operators in the same order. */
typedef struct grt_library grt_library_t;
typedef struct grt_task_context grt_task_context_t;
typedef void (*grt_task_fn)(grt_task_context_t *ctx);
typedef struct { grt_task_fn cpu, omp, gpu; } grt_variants_t;  /* any may be NULL, not all */
/** Registers (or finds) the library @p name; owned by the runtime.
 *  An existing library of that name is returned as is (grt's own fill and
 *  copy tasks live in "grt.internal"). The name is copied.
 *  @returns 0; GRT_EINVAL (NULL @p out or @p rt, NULL or empty @p name);
 *  GRT_ESTATE (finalized runtime, task body); GRT_ENOMEM. */
GRT_EXPORT int  grt_library_create(grt_runtime_t *rt, const char *name, grt_library_t **out);
/** Looks the library @p name up without creating it.
 *  @returns 0 and *@p out; GRT_ENOTFOUND if there is none (*out NULL);
 *  GRT_EINVAL (NULL @p out, @p rt or @p name); GRT_ESTATE (finalized
 *  runtime, task body). */
GRT_EXPORT int  grt_library_find(grt_runtime_t *rt, const char *name, grt_library_t **out);
/** Registers task @p task_id of @p lib with its variants (the struct and
 *  @p name are copied; the function pointers must stay valid). Each launch
 *  runs one of the variants for all its points, chosen at submission
 *  (grt_mapper_t.select_proc; by default GPU, then OpenMP, then CPU, among
 *  the kinds with processors).
 *  @param task_id >= 0, not yet registered in @p lib.
 *  @returns 0; GRT_EINVAL (NULL @p lib, @p name or @p v, a negative or
 *  already registered id, no variant); GRT_ESTATE (finalized runtime, task
 *  body); GRT_ENOMEM. */
GRT_EXPORT int  grt_task_register(grt_library_t *lib, int task_id, const char *name, const grt_variants_t *v);

/** A custom reduction operator over elements of @p type: @p fold combines
 *  @p n elements of @p src into @p dst (dst[i] = dst[i] op src[i]); it must be
 *  associative and @p identity its identity. Returns the operator id
 *  (>= GRT_REDOP_CUSTOM) usable wherever a grt_redop_t is taken, with that type. */
typedef void (*grt_fold_fn)(void *dst, const void *src, size_t n);
/** Registers the custom reduction operator (@p type, @p identity, @p fold)
 *  described above. It belongs to @p lib's runtime (any launch may use it)
 *  and its id is GRT_REDOP_CUSTOM plus the number of operators registered
 *  before in that runtime, hence the same on every rank. One element of
 *  @p identity is copied. @p fold may run on any of grt's threads, several at
 *  once, and must not call grt.
 *  @returns the id; GRT_EINVAL (NULL @p lib, @p type, @p identity or
 *  @p fold); GRT_ESTATE (finalized runtime, task body); GRT_ENOMEM. */
GRT_EXPORT int  grt_redop_register(grt_library_t *lib, const grt_type_t *type,
                                   const void *identity, grt_fold_fn fold);

/* A library's mapper: any member may be NULL (the default is used).
 * grt keeps a copy of the struct, not of *data: data must stay valid while
 * launches of the library may still call it. The callbacks are asked during
 * grt_launch_submit() on the application thread (shard also later, on the
 * thread that completes an operation), on every rank: each must give every
 * rank the same answer, so it must depend on its arguments and data only. */
typedef struct {
  /* choose the processor kind for a task among those it has variants for
   * (ncpu, nomp, ngpu: this rank's processors; a kind without a variant or
   * processor makes grt_launch_submit return GRT_EUNSUPPORTED) */
  grt_proc_kind_t (*select_proc)(void *data, int task_id, const grt_variants_t *v,
                                 int ncpu, int nomp, int ngpu);
  /* minimum bytes of the largest store below which a launch is not split
   * (auto launches; default: the min_cpu_chunk setting) */
  size_t (*min_chunk)(void *data, int task_id, grt_proc_kind_t kind);
  /* tile-shape hint: fill @p tiles (launch shape per dim) for @p nprocs; return
   * 0 to accept, < 0 to use the default (auto launches; the hint is also
   * ignored unless every tiles[d] is in 1 .. max(shape[d], 1) and their
   * product is at most nprocs) */
  int (*tile_shape)(void *data, int task_id, int ndim, const int64_t *shape,
                    int nprocs, int64_t *tiles);
  void *data;
  /* sharding: the rank (0 .. nranks-1) that runs the point @p point of a
   * launch of shape @p shape (ndim dims); NULL: blocks of consecutive points
   * (point p of n on rank p * nranks / n). Every rank calls it alike, so it
   * must depend on its arguments only. Not called on one rank; an answer out
   * of range makes grt_launch_submit return GRT_EINVAL on every rank. */
  int (*shard)(void *data, int task_id, int ndim, const int64_t *point, const int64_t *shape,
               int nranks);
} grt_mapper_t;
/** Sets @p lib's mapper to a copy of *@p m, or back to the defaults if @p m is
 *  NULL; applies to launches submitted afterwards.
 *  @returns 0; GRT_EINVAL if @p lib is NULL; GRT_ESTATE (finalized runtime,
 *  task body). */
GRT_EXPORT int  grt_library_set_mapper(grt_library_t *lib, const grt_mapper_t *m);

/* ---- launches ----
 * A launch runs a task over points: an auto launch is partitioned by grt at
 * submission (one point per tile of its stores), a manual one has the given
 * launch shape. The handle is the caller's until grt_launch_submit() or
 * grt_launch_destroy(). The building calls record their first error (except
 * handle errors of the launch itself) and grt_launch_submit() reports it
 * again. A store argument keeps its own reference to the data and a copy of
 * the view: the store handle may be destroyed right after it is added. */
typedef struct grt_launch grt_launch_t;
typedef struct grt_future grt_future_t;
typedef struct grt_partition grt_partition_t;
/** Creates an auto launch of task @p task_id of @p lib.
 *  @returns 0; GRT_EINVAL (NULL @p out or @p lib); GRT_ESTATE (finalized
 *  runtime, task body); GRT_ENOTFOUND (task not registered); GRT_ENOMEM. */
GRT_EXPORT int  grt_launch_create(grt_library_t *lib, int task_id, grt_launch_t **out);  /* auto-partitioned */
/** Creates a manual launch of @p ndim (1 .. GRT_MAX_DIM) dims and shape
 *  @p launch_shape (extents >= 1, at most 2^24 points in all). Its arguments:
 *  grt_launch_add_partitioned() (point p gets colour p), or the add calls
 *  (every point sees the whole store; a store written that way needs a
 *  partition when there is more than one point: GRT_EINVAL at submission).
 *  @returns as grt_launch_create(), and GRT_EINVAL for a bad @p ndim or
 *  @p launch_shape. */
GRT_EXPORT int  grt_launch_create_manual(grt_library_t *lib, int task_id, int ndim,
                                         const int64_t *launch_shape, grt_launch_t **out);
/* each returns the argument's index (>= 0) or an error */
/* Store arguments (at most 32 per launch) are numbered in add order, for
 * grt_task_arg() and the constraints. Errors: the handle errors for the
 * launch or the store; GRT_EINVAL for a store of another runtime or a 33rd
 * argument; for a reduction, GRT_EINVAL if @p op is not defined on the
 * store's type (or was registered for another) and GRT_ENOTFOUND for an
 * unknown operator id. A reduction gives each point a private buffer
 * filled with the identity; after the points, grt folds the buffers into
 * the store in point order. */
GRT_EXPORT int  grt_launch_add_input(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_output(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_inout(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_reduction(grt_launch_t *l, grt_store_t *s, grt_redop_t op);
/** Adds a scalar argument: one element of type @p t, copied from @p value now.
 *  Scalars and futures (at most 32 together) are numbered in add order, apart
 *  from the stores, for grt_task_scalar().
 *  @returns the scalar's index; the launch's handle errors; GRT_EINVAL (NULL
 *  @p t or @p value, a 33rd scalar); GRT_ENOMEM. */
GRT_EXPORT int  grt_launch_add_scalar(grt_launch_t *l, const grt_type_t *t, const void *value);
/** Adds future @p f as a scalar argument (same numbering as scalars): the
 *  points wait for it and grt_task_scalar() gives its value. The launch takes
 *  its own reference: @p f may be destroyed once added. If its operation
 *  failed, the points still run (check with grt_future_wait()).
 *  @returns the scalar's index; the handle errors for @p l or @p f; GRT_ESTATE
 *  (finalized runtime); GRT_EINVAL (another runtime's future, a 33rd
 *  scalar); GRT_ENOMEM. */
GRT_EXPORT int  grt_launch_add_future(grt_launch_t *l, grt_future_t *f);     /* value readable in the task */
/* manual launches: argument by partition; point p of the launch gets sub-store p */
/** @param p a partition made for a store of @p s's shape, with at least the
 *  launch's extent of colours in each of the launch's dims.
 *  @param priv GRT_READ, GRT_WRITE or GRT_READ_WRITE (a halo partition: read
 *  only; reductions: grt_launch_add_reduction()).
 *  @returns the store argument's index; the handle errors for @p l, @p p or
 *  @p s; GRT_EINVAL (an auto launch, a bad @p priv, a partition of another
 *  shape, of another ndim than the launch or with fewer colours than the
 *  launch's extent in a dim, a written halo partition, and as
 *  grt_launch_add_input()). The launch copies the partition: @p p may be
 *  destroyed once added. */
GRT_EXPORT int  grt_launch_add_partitioned(grt_launch_t *l, grt_store_t *s, grt_partition_t *p,
                                           grt_privilege_t priv);
/* constraints for auto launches (argument indices) */
/* Each returns 0; the launch's handle errors; GRT_EINVAL for a manual launch,
 * an index that is not a store argument yet, arguments of different shapes,
 * or (broadcast, the halo of bloat) a written argument. */
/** Arguments @p arg_a and @p arg_b (same shape) get the same tiles. */
GRT_EXPORT int  grt_launch_align(grt_launch_t *l, int arg_a, int arg_b);
GRT_EXPORT int  grt_launch_broadcast(grt_launch_t *l, int arg);             /* every point sees all of it */
/** Argument @p arg_halo (read only, same shape as @p arg_base, another index)
 *  gets the tiles of @p arg_base grown by @p low and @p high (>= 0 per dim,
 *  clipped to the store); GRT_EINVAL also for equal indices or a NULL or
 *  negative @p low / @p high. */
GRT_EXPORT int  grt_launch_bloat(grt_launch_t *l, int arg_halo, int arg_base,
                                 const int64_t *low, const int64_t *high);  /* halo of the base's tiles */
/** Makes the launch's future the fold, by @p op in point order starting from
 *  its identity, of the values the points give grt_task_return() (one element
 *  of type @p t each; points that return nothing add nothing). Auto and manual
 *  launches.
 *  @returns 0; the launch's handle errors; GRT_EINVAL (NULL @p t, @p op not
 *  defined on @p t or registered for another type); GRT_ENOTFOUND
 *  (unknown operator id). */
GRT_EXPORT int  grt_launch_reduce_result(grt_launch_t *l, const grt_type_t *t, grt_redop_t op);
/** Submits the launch and frees @p l (also on failure).
 *
 *  Arguments may be views of one root. The launch behaves as if every
 *  argument it reads were read in full before any point writes: an input
 *  whose elements the launch writes through another point or another view
 *  is given a copy taken first (an input aligned with an output or inout on
 *  the same view is read in place, at no cost). Rejected with GRT_EINVAL,
 *  naming the arguments: two arguments writing overlapping elements through
 *  different views or partitions, a write and a reduction on overlapping
 *  elements, reductions with different operators on overlapping elements,
 *  and any output or inout through a promoted (broadcast) view. Reductions
 *  with one operator may overlap, also through promoted views: every value
 *  is folded in. A launch whose store arguments are all empty runs no point;
 *  a result reduction then gives the operator's identity.
 *
 *  Returns once the operation is issued: its points run on the workers after
 *  the earlier operations they depend on. Replicated: on several ranks each
 *  rank runs its share of the points and the data moves between ranks as
 *  needed.
 *  @param result if not NULL, receives the launch's future (the caller's, to
 *  destroy): the grt_launch_reduce_result() value, else the single point's
 *  grt_task_return() value (at most GRT_TASK_RETURN_MAX bytes) for a
 *  one-point launch, else no value (size 0) - a completion signal.
 *  @returns 0; the launch's first building error; the handle errors (then
 *  nothing is freed: the handle names no launch, or the call came from a
 *  task body); GRT_ESTATE (finalized runtime, an argument whose store was
 *  detached); GRT_EUNSUPPORTED (no variant or processor for the chosen kind,
 *  e.g. a GPU-only task); GRT_EINVAL (the aliasing rules above, a manual
 *  launch's whole-store write, a mapper's shard out of range, the
 *  partitioner's constraints); GRT_ENOMEM (a store's first allocation,
 *  host memory). *@p result is NULL on failure, except when the error comes
 *  after the operation was issued (analysis, transfers): its future then
 *  reports GRT_ENOMEM.
 *  A divergence is reported by the next blocking call. */
GRT_EXPORT GRT_NODISCARD int grt_launch_submit(grt_launch_t *l, grt_future_t **result /* may be NULL */);
/** Discards an unsubmitted launch and its references; the handle goes stale.
 *  A stale handle, a task body or a finalized runtime only records the
 *  message (a launch left over at grt_finalize is leaked). */
GRT_EXPORT void grt_launch_destroy(grt_launch_t *l);  /* discard an unsubmitted launch; NULL no-op */

/* ---- partitions ----
 * A tiling of a store's (or view's) shape: colour c covers the elements
 * [c * tile, (c + 1) * tile - 1] per dim, clipped to the store; a dim of
 * extent 0 has one (empty) colour. The partition keeps a reference to the
 * store's data, so the store handle may be destroyed first; it is the
 * caller's, freed by grt_partition_destroy(). Replicated like every call.
 * Errors of the tiling calls: the handle errors for @p s; GRT_EINVAL (NULL
 * @p out or @p tile_shape, an extent < 1, a NULL or negative halo);
 * GRT_ESTATE (finalized runtime); GRT_ENOMEM. */
/** @param tile_shape one tile extent (>= 1) per dim of @p s. */
GRT_EXPORT int  grt_partition_tiling(grt_store_t *s, const int64_t *tile_shape, grt_partition_t **out);
/** As grt_partition_tiling(), each tile grown by @p low and @p high elements
 *  (>= 0 per dim) below and above: neighbouring tiles overlap, so launches may
 *  only read through it. */
GRT_EXPORT int  grt_partition_tiling_halo(grt_store_t *s, const int64_t *tile_shape,
                                          const int64_t *low, const int64_t *high, grt_partition_t **out);
/** Number of tiles per dim (the colour space); returns ndim.
 *  @returns the partition's ndim, with its colours in @p colors; the handle
 *  errors; GRT_EINVAL if @p colors is NULL. */
GRT_EXPORT int  grt_partition_colors(const grt_partition_t *p, int64_t *colors);
/** Releases the partition (NULL is a no-op; a stale handle or a task body
 *  only records the message). Launches it was added to keep their copy. */
GRT_EXPORT void grt_partition_destroy(grt_partition_t *p);

/* ---- futures ----
 * The value of a launch (grt_launch_submit's @p result), the same on every
 * rank. The handle is the caller's until grt_future_destroy(). Waiting is
 * collective: on several ranks every rank waits for the same futures in the
 * same order (blocking calls of the divergence check). */
/** Blocks until the future is set.
 *  @returns 0; the handle errors; GRT_ESTATE (finalized runtime);
 *  GRT_EDIVERGED; the operation's failure: GRT_ETASK (a point failed:
 *  grt_task_fail(), a bad grt_task_return(), no memory for its reduction
 *  buffer), GRT_ENOMEM (the operation could not be run, or its value not
 *  stored). */
GRT_EXPORT GRT_NODISCARD int grt_future_wait(grt_future_t *f);
/** Waits (as grt_future_wait()), then copies the value into @p out.
 *  @param size must equal the value's size (0 for a future without value;
 *  @p out may then be NULL).
 *  @returns 0; the errors of grt_future_wait(); GRT_EINVAL if @p out is NULL
 *  with @p size > 0 or @p size differs from the value's. */
GRT_EXPORT GRT_NODISCARD int grt_future_get(grt_future_t *f, void *out, size_t size);  /* waits; same value on every rank */
/** Releases the caller's handle (NULL is a no-op; a stale handle or a task
 *  body only records the message): it goes stale at once, while launches that
 *  read the future keep their reference. Not waited for. */
GRT_EXPORT void grt_future_destroy(grt_future_t *f);

/* ---- the task ABI: what a variant sees ----
 * A variant is called once per point of its launch this rank runs, on a
 * worker thread, with a context valid until it returns. The functions below
 * take that context; they do not check which thread calls them. Each notes
 * what it does with a NULL context. */
typedef struct {
  void   *ptr;                     /* address of element lo[] (device pointer in a GPU variant) */
  int     ndim;
  int64_t lo[GRT_MAX_DIM], hi[GRT_MAX_DIM];   /* inclusive bounds in the store's own coordinates */
  int64_t stride[GRT_MAX_DIM];     /* in elements; 0 on a broadcast (promoted) dim */
  const grt_type_t *type;
} grt_buffer_t;
/* A point's part of a store argument: hi[d] < lo[d] in some dim when it is
 * empty. For a reduction argument ptr is the point's private buffer, dense
 * row-major over [lo, hi], filled with the operator's identity: fold the
 * point's contributions into it. */
/** @returns the number of store arguments; GRT_EINVAL (no message) for a NULL
 *  context. */
GRT_EXPORT int  grt_task_num_args(const grt_task_context_t *ctx);
/** Writes store argument @p i (0 .. grt_task_num_args() - 1) into @p out.
 *  @returns 0; GRT_EINVAL for a NULL @p ctx or @p out or @p i out of range. */
GRT_EXPORT int  grt_task_arg(const grt_task_context_t *ctx, int i, grt_buffer_t *out); /* stores in add order */
/* The pointer is valid until the body returns; NULL (GRT_EINVAL recorded) for
 * a NULL context or an index out of range. */
GRT_EXPORT const void *grt_task_scalar(const grt_task_context_t *ctx, int i);          /* scalars and futures in add order,
                                                                                          aligned for their type */
/** Writes the point's coordinates (launch ndim of them) into @p point.
 *  @returns the launch's ndim (>= 1); GRT_EINVAL for a NULL @p ctx or @p point. */
GRT_EXPORT int  grt_task_point(const grt_task_context_t *ctx, int64_t *point);         /* returns launch ndim */
/** Writes the launch's shape (for an auto launch, the one grt chose) into
 *  @p shape.
 *  @returns the launch's ndim; GRT_EINVAL for a NULL @p ctx or @p shape. */
GRT_EXPORT int  grt_task_launch_shape(const grt_task_context_t *ctx, int64_t *shape);
/** The most bytes a one-point launch's grt_task_return() value may have:
 *  the future carries it to every rank. */
#define GRT_TASK_RETURN_MAX 65536
/** Gives the point's result (@p size bytes, copied). With
 *  grt_launch_reduce_result() it must be one element of the result type (else
 *  the point fails: GRT_ETASK); without, only a one-point launch's value is
 *  kept (the future's value), and a later call replaces an earlier one; a
 *  value over GRT_TASK_RETURN_MAX bytes fails the point (GRT_ETASK), on any
 *  number of ranks alike. Nothing for a NULL @p ctx. */
GRT_EXPORT void grt_task_return(grt_task_context_t *ctx, const void *value, size_t size);
/* Always NULL today: no GPU variant runs yet (grt_init refuses gpus > 0). */
GRT_EXPORT void *grt_task_cuda_stream(const grt_task_context_t *ctx);   /* cudaStream_t in a GPU variant, else NULL */
/** Marks the point failed with @p msg (copied; NULL means ""); the body should
 *  return. The other points still run, and so does later work; the launch's
 *  future reports GRT_ETASK, and so does the next grt_fence() (on every
 *  rank), with the first failure's message since the previous fence.
 *  Nothing for a NULL @p ctx. */
GRT_EXPORT void grt_task_fail(grt_task_context_t *ctx, const char *msg); /* the launch's future reports GRT_ETASK */
/** The processor kind running this variant. */
/* GRT_PROC_OMP also when an OpenMP variant runs on a CPU worker because no
 * OpenMP group exists (then with one thread); GRT_PROC_CPU for NULL. */
GRT_EXPORT grt_proc_kind_t grt_task_proc_kind(const grt_task_context_t *ctx);
/** The number of OpenMP threads the body may use: the ompthreads of an OpenMP
 *  group, 1 on a CPU worker or for a NULL @p ctx. */
GRT_EXPORT int  grt_task_num_omp_threads(const grt_task_context_t *ctx);
/** The index of the worker thread running this body on its rank, in
 *  0 .. (CPU workers + OpenMP groups) - 1: CPU workers first, then OpenMP
 *  groups. Stable for the runtime's life, so a body may use it to pick
 *  per-worker scratch. GRT_EINVAL for a NULL @p ctx. */
GRT_EXPORT int  grt_task_worker(const grt_task_context_t *ctx);

#ifdef __cplusplus
}
#endif
#endif /* GRT_H */
