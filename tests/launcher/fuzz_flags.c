/* fuzz_flags.c - fuzz harness for the launcher's flag parser, checks, config writer and command.
 *
 * The input is split at NUL bytes into argv; a leading piece "@NAME=VALUE"
 * sets GRT_NAME=VALUE in the environment for this input instead (the
 * parser's other source). Properties checked: no crash, no
 * leak, no sanitizer report; a rejected command line always has a message; an
 * accepted one writes a config that the runtime's loader accepts with the same
 * values, and a command that ends with the program's arguments intact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "launcher.h"
#include "launcher_env.h"

#define S(x) x "\0"
const fuzz_seed_t fuzz_seeds[] = {
    FUZZ_SEED(S("--cpus") S("4") S("--sysmem=1024") S("./app") "arg"),
    FUZZ_SEED(S("--nodes") S("2") S("--ranks-per-node") S("2") S("--launcher") S("srun") "./app"),
    FUZZ_SEED(S("--launcher=jsrun") S("--cpu-bind") S("rs") S("--gpus") S("1") S("--fbmem") S("4096") "./app"),
    FUZZ_SEED(S("--launcher-extra") S("--oversubscribe") S("--launcher") S("mpirun") S("--dry-run") "app"),
    FUZZ_SEED(S("--profile") S("--dataflow=false") S("--event=1") S("--logdir") S("/tmp/x y") S("--") S("--cpus") "x"),
    FUZZ_SEED(S("--omps") S("2") S("--ompthreads") S("auto") S("--utility") S("2") S("--eager-alloc-percentage") S("100") "p"),
    FUZZ_SEED(S("--show-config") S("--verbose") S("--keep=no") S("--zcmem") S("0") S("--numamem") S("1") S("--regmem") "2"),
    FUZZ_SEED(S("--mem-bind") S("local") S("--launcher") S("srun") "a"),
    FUZZ_SEED(S("--oversubscribe") S("--strict-cores=no") S("--launcher") S("mpirun") S("--cpus") S("9") "a"),
    FUZZ_SEED(S("@OVERSUBSCRIBE=yes") S("@STRICT_CORES=1") S("--launcher=srun") "app"),
    FUZZ_SEED(S("@SYSMEM=64") S("@LAUNCHER=srun") S("@LAUNCHER_EXTRA=--a  --b") S("@LOGDIR=/x\ny") S("--cpus") S("2") "app"),
    FUZZ_SEED(S("@RANKS_PER_NODE=2") S("@PROFILE=yes") S("@SIM_RANKS=3") S("@SIM_RANK=2") S("@TILES=4") "app"),
    FUZZ_SEED(S("@CPU_BIND=core") S("@MEM_BIND=local") S("@KEEP=1") S("@VERBOSE=no") S("--launcher=srun") "app"),
    FUZZ_SEED("--help"),
    FUZZ_SEED(""),
};
const size_t fuzz_nseeds = sizeof fuzz_seeds / sizeof fuzz_seeds[0];
const char *const fuzz_dict[] = {
    "--cpus", "--gpus", "--omps", "--ompthreads", "--utility", "--sysmem", "--numamem", "--fbmem",
    "--zcmem", "--regmem", "--eager-alloc-percentage", "--nodes", "--ranks-per-node",
    "--launcher", "--launcher-extra", "--cpu-bind", "--mem-bind", "--profile", "--dataflow",
    "--event", "--logdir", "--show-config", "--dry-run", "--verbose", "--keep", "--help",
    "--oversubscribe", "--strict-cores",
    "--version", "--", "=", "mpirun", "srun", "jsrun", "none", "auto", "-1", "2147483648",
    "17592186044416", "\"", "\\", "\n", "#", "oversubscribe", "@CPUS=", "@SYSMEM=",
    "@LAUNCHER=", "@LAUNCHER_EXTRA=", "@MIN_CPU_CHUNK=", "@SIM_RANK=", "@LOGDIR=", "@KEEP=",
    "@OVERSUBSCRIBE=", "@STRICT_CORES="};
const size_t fuzz_ndict = sizeof fuzz_dict / sizeof fuzz_dict[0];

/* A large machine, so that most parsed requests get through the checks. */
static const grt_machine_t machine = {.cores = 1 << 20, .mem_available_mib = 1ULL << 40,
                                      .gpus = 1 << 20, .have_cuda = true};

static void check_loaded(const grt_launcher_opts_t *o, const grt_settings_t *s) {
  const grt_lval_t *v = o->val;
  int ok = s->cpus == v[GRT_LK_CPUS].num && s->gpus == v[GRT_LK_GPUS].num &&
           s->omps == v[GRT_LK_OMPS].num && s->ompthreads == v[GRT_LK_OMPTHREADS].num &&
           s->utility == v[GRT_LK_UTILITY].num &&
           s->sysmem == (size_t)v[GRT_LK_SYSMEM].num << 20 &&
           s->numamem == (size_t)v[GRT_LK_NUMAMEM].num << 20 &&
           s->fbmem == (size_t)v[GRT_LK_FBMEM].num << 20 &&
           s->zcmem == (size_t)v[GRT_LK_ZCMEM].num << 20 &&
           s->regmem == (size_t)v[GRT_LK_REGMEM].num << 20 &&
           s->eager_alloc_percentage == v[GRT_LK_EAGER].num &&
           s->min_cpu_chunk == (size_t)v[GRT_LK_MIN_CPU_CHUNK].num &&
           s->tiles == v[GRT_LK_TILES].num && s->sim_ranks == v[GRT_LK_SIM_RANKS].num &&
           s->sim_rank == v[GRT_LK_SIM_RANK].num && s->profile == v[GRT_LK_PROFILE].b &&
           s->dataflow == v[GRT_LK_DATAFLOW].b && s->event == v[GRT_LK_EVENT].b &&
           strcmp(s->logdir, v[GRT_LK_LOGDIR].str) == 0 && s->nodes == v[GRT_LK_NODES].num &&
           s->ranks_per_node == v[GRT_LK_RANKS_PER_NODE].num;
  if (!ok) {
    fprintf(stderr, "fuzz_flags: the runtime read other values than the launcher wrote\n");
    abort();
  }
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *argv[66];
  int argc = 0;
  argv[argc++] = "grt";
  size_t at = 0;
  launcher_env_clear();
  /* Leading "@NAME=VALUE" pieces set GRT_NAME. */
  while (at < size && buf[at] == '@') {
    char *eq = strchr(buf + at, '=');
    size_t next = at + strlen(buf + at) + 1;
    if (eq && eq > buf + at + 1) {
      *eq = '\0';
      char name[64];
      snprintf(name, sizeof name, "GRT_%s", buf + at + 1);
      for (size_t i = 0; i < sizeof launcher_env_vars / sizeof launcher_env_vars[0]; i++)
        if (strcmp(name, launcher_env_vars[i]) == 0) setenv(name, eq + 1, 1);
    }
    at = next;
  }
  while (at <= size && argc < 65) {
    argv[argc++] = buf + at;
    at += strlen(buf + at) + 1;
  }
  argv[argc] = NULL;

  grt_launcher_opts_t o;
  char err[1024];
  int rc = grt_launcher_parse(argc, argv, &o, err, sizeof err);
  if (rc != 0) {
    if (rc != GRT_LAUNCHER_EXIT_USAGE || err[0] == '\0') abort();
    goto done;
  }
  if (o.help || o.version) goto done;
  grt_launcher_resolve(&o, &machine);
  rc = grt_launcher_validate(&o, &machine, err, sizeof err);
  if (rc != 0) {
    if (rc != GRT_LAUNCHER_EXIT_USAGE || err[0] == '\0') abort();
    goto done;
  }
  char *conf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&conf, &len);
  if (!f || grt_launcher_write_config(&o, f) != 0) abort();
  fclose(f);
  f = fmemopen(conf, len, "r");
  grt_settings_t s;
  memset(&s, 0, sizeof s);
  if (grt__config_apply_stream(&s, f, "launcher.conf") != 0) {
    fprintf(stderr, "fuzz_flags: the runtime rejects the launcher's config: %s\n%s",
            grt_last_error(), conf);
    abort();
  }
  fclose(f);
  free(conf);
  check_loaded(&o, &s);

  int prog_argc = argc - o.prog_index;
  if (prog_argc > 0) {
    grt_strvec_t cmd;
    rc = grt_launcher_build_command(&o, "/tmp/grt-XXXXXX/grt.conf", prog_argc,
                                    argv + o.prog_index, true, &cmd, err, sizeof err);
    if (rc != 0) abort();
    /* The program and its arguments end the command, untouched. */
    for (int i = 0; i < prog_argc; i++)
      if (cmd.v[cmd.n - prog_argc + i] != argv[o.prog_index + i]) abort();
    char *line = NULL;
    size_t ll = 0;
    FILE *lf = open_memstream(&line, &ll);
    grt_launcher_print_command(&o, "/tmp/grt-XXXXXX/grt.conf", &cmd, lf);
    fclose(lf);
    free(line);
    grt_strvec_free(&cmd);
  }
done:
  grt_launcher_opts_free(&o);
  launcher_env_clear();
  free(buf);
  return 0;
}
