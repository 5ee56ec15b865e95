/* launcher.h - the grt driver's pieces: flags, machine checks, config writer, command, run. */
#ifndef GRT_LAUNCHER_H
#define GRT_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "runtime/config_keys.h"

/* The launcher uses no runtime internals but the configuration module's
 * shared part (runtime/config_keys.h, linked as grt_config_keys): its keys
 * are expanded from the runtime's key table, and it writes the file format
 * with the runtime's quoted writer. A test loads what it writes with the
 * runtime's loader. */

/* Exit status of every usage or validation error: nothing was started. */
#define GRT_LAUNCHER_EXIT_USAGE 2

/* Where an option's value came from, lowest precedence first. */
typedef enum { GRT_LOPT_DEFAULT, GRT_LOPT_ENV, GRT_LOPT_FLAG } grt_lopt_origin_t;

typedef enum {
  GRT_LAUNCHER_NONE, GRT_LAUNCHER_MPIRUN, GRT_LAUNCHER_SRUN, GRT_LAUNCHER_JSRUN
} grt_launcher_kind_t;

/* The configuration keys, in docs/config.md order: GRT_LK_<ID> is the
 * runtime's GRT_KEY_<ID> (config_keys.h). */
enum {
#define GRT_LK_ENUM_(id, ...) GRT_LK_##id = GRT_KEY_##id,
  GRT_CONFIG_KEYS(GRT_LK_ENUM_)
#undef GRT_LK_ENUM_
  GRT_LK_COUNT = GRT_NKEYS,
  GRT_LK_EAGER = GRT_LK_EAGER_ALLOC_PERCENTAGE  /* the launcher's short name */
};

/* One configuration key's value. Numbers are in the key's file unit (MiB for
 * memories, bytes for min_cpu_chunk); -1 is "auto" where allowed. */
typedef struct {
  long long num;
  bool b;
  const char *str;          /* logdir: points into argv, environ or opts->owned */
  grt_lopt_origin_t origin;
  bool sysmem_auto;         /* sysmem only: computed by grt_launcher_resolve */
} grt_lval_t;

/* Everything the command line and environment said. Pointers point into argv
 * or the environment or into opts->owned; free with grt_launcher_opts_free. */
typedef struct {
  grt_lval_t val[GRT_LK_COUNT];
  grt_launcher_kind_t launcher;
  grt_lopt_origin_t launcher_origin;
  const char **extra;       /* --launcher-extra arguments, in order (owned array) */
  int nextra;
  grt_lopt_origin_t extra_origin;
  const char *cpu_bind, *mem_bind;  /* NULL = launcher's default */
  bool show_config, dry_run, verbose, keep, help, version;
  bool oversubscribe;       /* --oversubscribe: more threads than cores is fine */
  bool strict_cores;        /* --strict-cores: utility threads need cores too */
  int prog_index;           /* argv index of the program, or argc if none */
  char *owned;              /* copy of GRT_LAUNCHER_EXTRA split in place */
} grt_launcher_opts_t;

/* ---- flags.c ---- */

/* Parses argv (flags up to the program, then the program and its arguments)
 * with GRT_* environment variables as defaults: flag > env > default.
 * Returns 0, or GRT_LAUNCHER_EXIT_USAGE with a message naming the flag (and
 * the variable, if the bad value came from one) in @p err. Never prints.
 * @p o must be freed with grt_launcher_opts_free() in both cases. */
int grt_launcher_parse(int argc, char **argv, grt_launcher_opts_t *o, char *err, size_t errlen);
void grt_launcher_opts_free(grt_launcher_opts_t *o);

/* Writes the --help text. */
void grt_launcher_usage(FILE *out);

/* Formats a usage error into @p err (when it is not NULL) and returns
 * GRT_LAUNCHER_EXIT_USAGE: the one way flags.c and validate.c fail. */
int grt__launcher_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The configuration key name of @p key ("cpus"), its flag ("--cpus", or NULL
 * if it has none), its environment variable ("GRT_CPUS") and its kind (NULL
 * and GRT_KT_INT past the table). */
const char *grt_launcher_key_name(int key);
const char *grt_launcher_key_flag(int key);
const char *grt_launcher_key_env(int key);
grt_key_kind_t grt_launcher_key_kind(int key);
const char *grt_launcher_kind_name(grt_launcher_kind_t kind);

/* ---- validate.c ---- */

/* What the launcher knows of the node it runs on. */
typedef struct {
  int cores;                /* usable cores (hwloc, allowed cpuset); >= 1 */
  unsigned long long mem_available_mib;  /* MemAvailable, 0 if unknown */
  int gpus;                 /* NVIDIA GPUs (PCI or CUDA OS devices) */
  bool have_cuda;           /* this grt was built with CUDA */
} grt_machine_t;

/* Probes this node with hwloc and /proc/meminfo. GPUs are looked for only if
 * @p want_gpus (it is the slow part). Returns 0, or -1 with @p err set. */
int grt_launcher_probe(grt_machine_t *m, bool want_gpus, char *err, size_t errlen);

/* Fills in what depends on the machine (the default sysmem: 80% of
 * MemAvailable shared among the ranks of a node, whole MiB, as the runtime
 * computes it; 1024 MiB if MemAvailable is unknown). */
void grt_launcher_resolve(grt_launcher_opts_t *o, const grt_machine_t *m);

/* Checks the request against the machine and the launcher kind. Returns 0 or
 * GRT_LAUNCHER_EXIT_USAGE with a message naming the flag in @p err. On 0,
 * @p err is empty or holds a warning to print (the utility threads do not
 * fit beside the workers; see --strict-cores). */
int grt_launcher_validate(const grt_launcher_opts_t *o, const grt_machine_t *m, char *err,
                          size_t errlen);

/* ---- confwrite.c ---- */

/* Writes every key as `key = value  # origin` (docs/config.md format).
 * Returns 0 or -1 on a write error. */
int grt_launcher_write_config(const grt_launcher_opts_t *o, FILE *out);

/* ---- command.c ---- */

/* A NULL-terminated, growable argument vector. Strings are borrowed except
 * those added with grt_strvec_push_owned(). */
typedef struct {
  char **v;
  unsigned char *owned;
  int n, cap;
} grt_strvec_t;
int  grt_strvec_push(grt_strvec_t *sv, const char *s);
int  grt_strvec_push_owned(grt_strvec_t *sv, char *s); /* takes s (malloc'd) */
int  grt_strvec_pushf(grt_strvec_t *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void grt_strvec_free(grt_strvec_t *sv);

/* Builds the command that starts the job: the launcher's argv (for `none`,
 * the program's own argv) with @p config_path handed to every rank as
 * GRT_CONFIG. @p is_root adds mpirun's --allow-run-as-root. Returns 0, -1
 * (out of memory) or GRT_LAUNCHER_EXIT_USAGE with @p err set. */
int grt_launcher_build_command(const grt_launcher_opts_t *o, const char *config_path,
                               int prog_argc, char **prog_argv, bool is_root,
                               grt_strvec_t *cmd, char *err, size_t errlen);

/* Writes @p s quoted for a POSIX shell if it needs quoting, as is otherwise. */
void grt_launcher_shell_quote(const char *s, FILE *out);
/* Writes the command as one shell-quoted line; for `none`, with a
 * GRT_CONFIG=... prefix. */
void grt_launcher_print_command(const grt_launcher_opts_t *o, const char *config_path,
                                const grt_strvec_t *cmd, FILE *out);

/* ---- run.c ---- */

/* The run directory template: "$TMPDIR/grt-XXXXXX" (/tmp if TMPDIR is unset
 * or empty), written into @p buf. Returns 0 or -1 if it does not fit. */
int grt_launcher_rundir_template(char *buf, size_t size);

/* Creates the private run directory (mode 0700) and writes @p config_text
 * into <dir>/grt.conf (mode 0600). Returns 0 or -1 with @p err set. */
int grt_launcher_make_rundir(char *dir, size_t dirsize, const char *config_text,
                             char *path, size_t pathsize, char *err, size_t errlen);
/* Removes the run directory and everything in it. Returns 0 or -1. */
int grt_launcher_remove_rundir(const char *dir);

/* Starts a guard process for the run directory @p dir: it outlives the
 * launcher (it ignores SIGINT, SIGTERM and SIGHUP and holds none of its
 * stdio) and removes @p dir when the launcher ends in any way, SIGKILL
 * included (it waits for the end of a pipe only the launcher holds).
 * Returns the pipe's write end (>= 0), or -1 if no guard could start (the
 * launcher then cleans up alone, as before). */
int grt_launcher_guard_rundir(const char *dir, pid_t *guard);
/* Ends the guard: @p keep asks it to leave the directory in place. Waits
 * for it, so the directory is gone (unless kept) when this returns. */
void grt_launcher_guard_end(int fd, pid_t guard, int keep);

/* Checks that @p prog can be executed, as execvp would find it (PATH if it
 * has no '/'), on this node: before a launcher (mpirun, srun, jsrun) starts
 * it everywhere, so that a missing program ends with the documented status
 * whatever the launcher makes of it. Returns 0, 127 (not found) or 126 (not
 * executable) with @p err set. */
int grt_launcher_check_program(const char *prog, char *err, size_t errlen);

/* Starts @p cmd (fork + execvp, never a shell) with GRT_CONFIG=@p config_path
 * in its environment, forwards SIGINT/SIGTERM/SIGHUP sent to the launcher,
 * waits, and returns the job's exit status (128 + signal if it was killed,
 * 127/126 if it could not be executed, with a message on stderr). The job
 * gets SIGTERM if the launcher dies (PR_SET_PDEATHSIG): mpirun then ends
 * its ranks. */
int grt_launcher_spawn(char *const *cmd, const char *config_path);

#endif
