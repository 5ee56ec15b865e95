/* main.c - grt [flags] PROGRAM [ARGS...]: checks the request, writes the config, starts the job. */
#include "launcher.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grt_build_config.h"

static int usage_error(grt_launcher_opts_t *o, const char *msg) {
  fprintf(stderr, "grt: %s\n", msg);
  grt_launcher_opts_free(o);
  return GRT_LAUNCHER_EXIT_USAGE;
}

int main(int argc, char **argv) {
  grt_launcher_opts_t o;
  char err[1024];
  if (grt_launcher_parse(argc, argv, &o, err, sizeof err)) return usage_error(&o, err);
  if (o.help) {
    grt_launcher_usage(stdout);
    grt_launcher_opts_free(&o);
    return 0;
  }
  if (o.version) {
    /* What is really built: a CUDA toolkit found at build time does not mean
     * GPU tasks run (grt_init refuses gpus > 0 until they do). */
    printf("grt %s (CUDA: %s; OpenMP: %s)\n", GRT_VERSION,
           GRT_HAVE_CUDA ? "toolkit found at build time, GPU execution not implemented"
                         : "no, GPU execution not implemented",
           GRT_HAVE_OPENMP ? "yes" : "no");
    grt_launcher_opts_free(&o);
    return 0;
  }

  grt_machine_t m;
  if (grt_launcher_probe(&m, o.val[GRT_LK_GPUS].num > 0, err, sizeof err) < 0) {
    fprintf(stderr, "grt: warning: %s; counting online CPUs instead\n", err);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m.cores = n > 0 ? (int)n : 1;
  }
  grt_launcher_resolve(&o, &m);
  if (grt_launcher_validate(&o, &m, err, sizeof err)) return usage_error(&o, err);
  if (err[0]) fprintf(stderr, "grt: warning: %s\n", err);

  char *conf = NULL;
  size_t conflen = 0;
  FILE *cf = open_memstream(&conf, &conflen);
  if (!cf || grt_launcher_write_config(&o, cf) < 0 || fclose(cf) != 0) {
    free(conf);
    return usage_error(&o, "out of memory writing the config");
  }

  int prog_argc = argc - o.prog_index;
  char **prog_argv = argv + o.prog_index;
  if (o.show_config && !o.dry_run) fputs(conf, stdout);
  if (prog_argc == 0) { /* --show-config alone */
    free(conf);
    grt_launcher_opts_free(&o);
    return 0;
  }

  char dir[4096], path[4200];
  grt_strvec_t cmd;
  int rc;
  if (o.dry_run) {
    if (grt_launcher_rundir_template(dir, sizeof dir) < 0) {
      free(conf);
      return usage_error(&o, "TMPDIR is too long for a run directory");
    }
    snprintf(path, sizeof path, "%s/grt.conf", dir);
    rc = grt_launcher_build_command(&o, path, prog_argc, prog_argv, geteuid() == 0, &cmd, err,
                                    sizeof err);
    if (rc) {
      free(conf);
      return usage_error(&o, err);
    }
    printf("# grt --dry-run: config file %s (XXXXXX is chosen at run time)\n", path);
    fputs(conf, stdout);
    printf("# command\n");
    grt_launcher_print_command(&o, path, &cmd, stdout);
    grt_strvec_free(&cmd);
    free(conf);
    grt_launcher_opts_free(&o);
    return 0;
  }

  /* A missing program ends 127 (126: not executable) whatever the launcher
   * would make of it (mpirun ends 132). */
  if ((rc = grt_launcher_check_program(prog_argv[0], err, sizeof err)) != 0) {
    free(conf);
    fprintf(stderr, "grt: %s\n", err);
    grt_launcher_opts_free(&o);
    return rc;
  }
  if (grt_launcher_make_rundir(dir, sizeof dir, conf, path, sizeof path, err, sizeof err) < 0) {
    free(conf);
    fprintf(stderr, "grt: %s\n", err);
    grt_launcher_opts_free(&o);
    return 126;
  }
  free(conf);
  /* The run directory goes when grt ends, whichever way (SIGKILL too),
   * unless --keep asks for it. */
  pid_t guard = 0;
  int guard_fd = o.keep ? -1 : grt_launcher_guard_rundir(dir, &guard);
  rc = grt_launcher_build_command(&o, path, prog_argc, prog_argv, geteuid() == 0, &cmd, err,
                                  sizeof err);
  if (rc) {
    grt_launcher_remove_rundir(dir);
    grt_launcher_guard_end(guard_fd, guard, 0);
    return usage_error(&o, err);
  }
  if (o.verbose) {
    fprintf(stderr, "grt: run directory %s\ngrt: command: ", dir);
    grt_launcher_print_command(&o, path, &cmd, stderr);
  }
  int status = grt_launcher_spawn(cmd.v, path);
  grt_strvec_free(&cmd);
  if (o.keep) {
    fprintf(stderr, "grt: kept the run directory %s\n", dir);
  } else if (grt_launcher_remove_rundir(dir) < 0) {
    fprintf(stderr, "grt: warning: could not remove the run directory %s\n", dir);
  }
  grt_launcher_guard_end(guard_fd, guard, o.keep);
  if (o.verbose) fprintf(stderr, "grt: exit status %d\n", status);
  grt_launcher_opts_free(&o);
  return status;
}
