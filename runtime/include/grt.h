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
/** @returns a static description of @p err (never NULL). */
GRT_EXPORT const char *grt_strerror(int err);
/** @returns the calling thread's message for its last error ("" if none). */
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
 * environment variables, then defaults. Keys are documented in docs/config.md. */
typedef struct grt_config grt_config_t;
/** Creates an empty set of explicit settings; free with grt_config_destroy(). */
GRT_EXPORT int  grt_config_create(grt_config_t **out);
/** Sets @p key (e.g. "cpus", "sysmem") to the text @p value; validated at once. */
GRT_EXPORT int  grt_config_set(grt_config_t *cfg, const char *key, const char *value);
GRT_EXPORT void grt_config_destroy(grt_config_t *cfg);

/* ---- runtime ---- */
typedef struct grt_runtime grt_runtime_t;
/** Starts grt: reads GRT_CONFIG / GRT_* env / defaults. The caller owns *rt
 *  until grt_finalize(). @p argc and @p argv may be NULL. */
GRT_EXPORT int  grt_init(int *argc, char ***argv, grt_runtime_t **rt);
/** As grt_init(), with explicit settings that override every other source. */
GRT_EXPORT int  grt_init_config(int *argc, char ***argv, const grt_config_t *cfg,
                                grt_runtime_t **rt);
/** Waits for all work, frees everything the runtime owns, including *rt. */
GRT_EXPORT int  grt_finalize(grt_runtime_t *rt);
/** Waits for all submitted work. Returns GRT_ETASK if a task failed since the
 *  previous fence. */
GRT_EXPORT GRT_NODISCARD int grt_fence(grt_runtime_t *rt);
GRT_EXPORT int  grt_rank(const grt_runtime_t *rt);
GRT_EXPORT int  grt_num_ranks(const grt_runtime_t *rt);
GRT_EXPORT int  grt_num_procs(const grt_runtime_t *rt, grt_proc_kind_t kind); /* whole machine */
/** Prints the configuration in force (every key, its value and its source) to
 *  @p out, in the GRT_CONFIG file format. */
GRT_EXPORT int  grt_show_config(const grt_runtime_t *rt, FILE *out);
/** Reports a memory kind's bytes in use and its budget (either may be NULL). */
GRT_EXPORT int  grt_memory_usage(const grt_runtime_t *rt, grt_mem_kind_t kind,
                                 size_t *used, size_t *budget);

/* ---- types (Arrow-compatible; format strings of the Arrow C data interface) ----
 * Built-in types are static; fixed_binary and struct types are owned by the
 * runtime and live until grt_finalize(). Mapping of complex types: see
 * docs/types.md (Arrow has no complex type). */
typedef struct grt_type grt_type_t;
typedef enum {
  GRT_TYPE_BOOL, GRT_TYPE_INT8, GRT_TYPE_INT16, GRT_TYPE_INT32, GRT_TYPE_INT64,
  GRT_TYPE_UINT8, GRT_TYPE_UINT16, GRT_TYPE_UINT32, GRT_TYPE_UINT64,
  GRT_TYPE_FLOAT16, GRT_TYPE_FLOAT32, GRT_TYPE_FLOAT64,
  GRT_TYPE_COMPLEX64, GRT_TYPE_COMPLEX128, GRT_TYPE_FIXED_BINARY, GRT_TYPE_STRUCT
} grt_type_code_t;
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
GRT_EXPORT const grt_type_t *grt_type_complex64(void);  /* two float32 */
GRT_EXPORT const grt_type_t *grt_type_complex128(void); /* two float64 */
GRT_EXPORT const grt_type_t *grt_type_fixed_binary(grt_runtime_t *rt, size_t width); /* "w:N" */
GRT_EXPORT const grt_type_t *grt_type_struct(grt_runtime_t *rt, int n,
                                             const grt_type_t *const *fields); /* "+s" */
GRT_EXPORT size_t      grt_type_size(const grt_type_t *t);      /* 0 for NULL */
GRT_EXPORT size_t      grt_type_alignment(const grt_type_t *t); /* 0 for NULL */
GRT_EXPORT const char *grt_type_format(const grt_type_t *t);    /* NULL for NULL */
GRT_EXPORT int         grt_type_code(const grt_type_t *t);      /* grt_type_code_t or GRT_EINVAL */
GRT_EXPORT int         grt_type_num_fields(const grt_type_t *t);
GRT_EXPORT const grt_type_t *grt_type_field(const grt_type_t *t, int i);
GRT_EXPORT size_t      grt_type_field_offset(const grt_type_t *t, int i);

/* ---- stores and views ----
 * A store is an N-D array (1..GRT_MAX_DIM dims) with a shape, a type and no
 * placement. Views alias their root. Every handle (store or view) is owned by
 * the caller and released with grt_store_destroy(); the data lives until the
 * last handle is destroyed and the last task using it has finished. A
 * destroyed handle must not be used again (doing so returns GRT_ESTATE while
 * the runtime is alive). */
typedef struct grt_store grt_store_t;
#define GRT_MAX_DIM 4
GRT_EXPORT int  grt_store_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, grt_store_t **out);
/** Uses the application's row-major @p buffer (same on every rank) as the
 *  store's memory until grt_store_detach(). The buffer must stay valid until
 *  the store is detached, or, if it never is, until the next grt_fence() or
 *  grt_finalize() after its last handle (store or view) is destroyed. A
 *  store still alive at grt_finalize and never detached is detached there:
 *  every value is written back into the buffer on every rank, with a
 *  warning on stderr. */
GRT_EXPORT int  grt_store_attach(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, void *buffer, grt_store_t **out);
/** Waits for the tasks using the store, writes the latest values back into the
 *  buffer. The store can no longer be used afterwards (GRT_ESTATE); the handle
 *  must still be destroyed. */
GRT_EXPORT GRT_NODISCARD int grt_store_detach(grt_store_t *s);
/** Releases a store or view handle (NULL is a no-op); the data is freed once
 *  the last handle is gone and the tasks using it finish (not waited for).
 *  Destroying the last handle of an attached store that was never detached
 *  does what grt_store_detach() does without waiting, with a warning on
 *  stderr (rank 0): after the next grt_fence() or grt_finalize() the buffer
 *  holds every value on every rank; until then tasks and transfers may still
 *  write into it. Replicated like other calls on several ranks: every rank
 *  destroys the same handles in the same order. */
GRT_EXPORT void grt_store_destroy(grt_store_t *s);
GRT_EXPORT int  grt_store_ndim(const grt_store_t *s);
GRT_EXPORT void grt_store_shape(const grt_store_t *s, int64_t *shape);
GRT_EXPORT const grt_type_t *grt_store_type(const grt_store_t *s);
/* views alias their root; the caller destroys the view handle */
GRT_EXPORT int  grt_store_slice(grt_store_t *s, int dim, int64_t start, int64_t stop, grt_store_t **out);
GRT_EXPORT int  grt_store_transpose(grt_store_t *s, const int *perm, grt_store_t **out);
GRT_EXPORT int  grt_store_promote(grt_store_t *s, int dim, int64_t size, grt_store_t **out);    /* new broadcast dim */
GRT_EXPORT int  grt_store_project(grt_store_t *s, int dim, int64_t index, grt_store_t **out);   /* drop a dim */
GRT_EXPORT int  grt_store_delinearize(grt_store_t *s, int dim, int n, const int64_t *sizes, grt_store_t **out);
GRT_EXPORT GRT_NODISCARD int grt_fill(grt_store_t *s, const void *value);
/** Copies @p src into @p dst (same shape and type). Views of one root may
 *  overlap: the copy behaves like memmove (src is read in full first). */
GRT_EXPORT GRT_NODISCARD int grt_copy(grt_store_t *dst, grt_store_t *src);
/* inline mapping: the calling thread accesses the data directly */
typedef struct grt_mapping grt_mapping_t;
/** Waits for exactly the tasks that touch @p s, then maps the whole store in
 *  host memory. Tasks submitted later that touch it wait for the unmap. */
GRT_EXPORT GRT_NODISCARD int grt_store_map(grt_store_t *s, grt_privilege_t priv, grt_mapping_t **out);
/** Address of element 0 of the (view) store; strides in elements (may be NULL). */
GRT_EXPORT void *grt_mapping_ptr(grt_mapping_t *m, int64_t *strides);
GRT_EXPORT int  grt_mapping_unmap(grt_mapping_t *m);   /* frees m */

/* ---- arrays: a data store plus an optional validity mask, as in Arrow ---- */
typedef struct grt_array grt_array_t;
GRT_EXPORT int  grt_array_create(grt_runtime_t *rt, const grt_type_t *type, int ndim,
                                 const int64_t *shape, bool nullable, grt_array_t **out);
GRT_EXPORT grt_store_t *grt_array_data(grt_array_t *a);      /* owned by the array */
GRT_EXPORT grt_store_t *grt_array_validity(grt_array_t *a);  /* NULL if not nullable; bool store */
GRT_EXPORT void grt_array_destroy(grt_array_t *a);           /* NULL is a no-op */

/* ---- libraries, tasks, reduction operators ---- */
typedef struct grt_library grt_library_t;
typedef struct grt_task_context grt_task_context_t;
typedef void (*grt_task_fn)(grt_task_context_t *ctx);
typedef struct { grt_task_fn cpu, omp, gpu; } grt_variants_t;  /* any may be NULL, not all */
/** Registers (or finds) the library @p name; owned by the runtime. */
GRT_EXPORT int  grt_library_create(grt_runtime_t *rt, const char *name, grt_library_t **out);
GRT_EXPORT int  grt_library_find(grt_runtime_t *rt, const char *name, grt_library_t **out);
GRT_EXPORT int  grt_task_register(grt_library_t *lib, int task_id, const char *name, const grt_variants_t *v);

/** A custom reduction operator over elements of @p type: @p fold combines
 *  @p n elements of @p src into @p dst (dst[i] = dst[i] op src[i]); it must be
 *  associative and @p identity its identity. Returns the operator id
 *  (>= GRT_REDOP_CUSTOM) usable wherever a grt_redop_t is taken, with that type. */
typedef void (*grt_fold_fn)(void *dst, const void *src, size_t n);
GRT_EXPORT int  grt_redop_register(grt_library_t *lib, const grt_type_t *type,
                                   const void *identity, grt_fold_fn fold);

/* A library's mapper: any member may be NULL (the default is used). */
typedef struct {
  /* choose the processor kind for a task among those it has variants for */
  grt_proc_kind_t (*select_proc)(void *data, int task_id, const grt_variants_t *v,
                                 int ncpu, int nomp, int ngpu);
  /* minimum bytes of the largest store below which a launch is not split */
  size_t (*min_chunk)(void *data, int task_id, grt_proc_kind_t kind);
  /* tile-shape hint: fill @p tiles (launch shape per dim) for @p nprocs; return
   * 0 to accept, < 0 to use the default */
  int (*tile_shape)(void *data, int task_id, int ndim, const int64_t *shape,
                    int nprocs, int64_t *tiles);
  void *data;
  /* sharding: the rank (0 .. nranks-1) that runs the point @p point of a
   * launch of shape @p shape (ndim dims); NULL: blocks of consecutive points
   * (point p of n on rank p * nranks / n). Every rank calls it alike, so it
   * must depend on its arguments only. */
  int (*shard)(void *data, int task_id, int ndim, const int64_t *point, const int64_t *shape,
               int nranks);
} grt_mapper_t;
GRT_EXPORT int  grt_library_set_mapper(grt_library_t *lib, const grt_mapper_t *m);

/* ---- launches ---- */
typedef struct grt_launch grt_launch_t;
typedef struct grt_future grt_future_t;
typedef struct grt_partition grt_partition_t;
GRT_EXPORT int  grt_launch_create(grt_library_t *lib, int task_id, grt_launch_t **out);  /* auto-partitioned */
GRT_EXPORT int  grt_launch_create_manual(grt_library_t *lib, int task_id, int ndim,
                                         const int64_t *launch_shape, grt_launch_t **out);
/* each returns the argument's index (>= 0) or an error */
GRT_EXPORT int  grt_launch_add_input(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_output(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_inout(grt_launch_t *l, grt_store_t *s);
GRT_EXPORT int  grt_launch_add_reduction(grt_launch_t *l, grt_store_t *s, grt_redop_t op);
GRT_EXPORT int  grt_launch_add_scalar(grt_launch_t *l, const grt_type_t *t, const void *value);
GRT_EXPORT int  grt_launch_add_future(grt_launch_t *l, grt_future_t *f);     /* value readable in the task */
/* manual launches: argument by partition; point p of the launch gets sub-store p */
GRT_EXPORT int  grt_launch_add_partitioned(grt_launch_t *l, grt_store_t *s, grt_partition_t *p,
                                           grt_privilege_t priv);
/* constraints for auto launches (argument indices) */
GRT_EXPORT int  grt_launch_align(grt_launch_t *l, int arg_a, int arg_b);
GRT_EXPORT int  grt_launch_broadcast(grt_launch_t *l, int arg);             /* every point sees all of it */
GRT_EXPORT int  grt_launch_bloat(grt_launch_t *l, int arg_halo, int arg_base,
                                 const int64_t *low, const int64_t *high);  /* halo of the base's tiles */
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
 *  a result reduction then gives the operator's identity. */
GRT_EXPORT GRT_NODISCARD int grt_launch_submit(grt_launch_t *l, grt_future_t **result /* may be NULL */);
GRT_EXPORT void grt_launch_destroy(grt_launch_t *l);  /* discard an unsubmitted launch; NULL no-op */

/* ---- partitions ---- */
GRT_EXPORT int  grt_partition_tiling(grt_store_t *s, const int64_t *tile_shape, grt_partition_t **out);
GRT_EXPORT int  grt_partition_tiling_halo(grt_store_t *s, const int64_t *tile_shape,
                                          const int64_t *low, const int64_t *high, grt_partition_t **out);
/** Number of tiles per dim (the colour space); returns ndim. */
GRT_EXPORT int  grt_partition_colors(const grt_partition_t *p, int64_t *colors);
GRT_EXPORT void grt_partition_destroy(grt_partition_t *p);

/* ---- futures ---- */
GRT_EXPORT GRT_NODISCARD int grt_future_wait(grt_future_t *f);
GRT_EXPORT GRT_NODISCARD int grt_future_get(grt_future_t *f, void *out, size_t size);  /* waits; same value on every rank */
GRT_EXPORT void grt_future_destroy(grt_future_t *f);

/* ---- the task ABI: what a variant sees ---- */
typedef struct {
  void   *ptr;                     /* address of element lo[] (device pointer in a GPU variant) */
  int     ndim;
  int64_t lo[GRT_MAX_DIM], hi[GRT_MAX_DIM];   /* inclusive bounds in the store's own coordinates */
  int64_t stride[GRT_MAX_DIM];     /* in elements; 0 on a broadcast (promoted) dim */
  const grt_type_t *type;
} grt_buffer_t;
GRT_EXPORT int  grt_task_num_args(const grt_task_context_t *ctx);
GRT_EXPORT int  grt_task_arg(const grt_task_context_t *ctx, int i, grt_buffer_t *out); /* stores in add order */
GRT_EXPORT const void *grt_task_scalar(const grt_task_context_t *ctx, int i);          /* scalars and futures in add order,
                                                                                          aligned for their type */
GRT_EXPORT int  grt_task_point(const grt_task_context_t *ctx, int64_t *point);         /* returns launch ndim */
GRT_EXPORT int  grt_task_launch_shape(const grt_task_context_t *ctx, int64_t *shape);
GRT_EXPORT void grt_task_return(grt_task_context_t *ctx, const void *value, size_t size);
GRT_EXPORT void *grt_task_cuda_stream(const grt_task_context_t *ctx);   /* cudaStream_t in a GPU variant, else NULL */
GRT_EXPORT void grt_task_fail(grt_task_context_t *ctx, const char *msg); /* the launch's future reports GRT_ETASK */
/** The processor kind running this variant. */
GRT_EXPORT grt_proc_kind_t grt_task_proc_kind(const grt_task_context_t *ctx);
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
