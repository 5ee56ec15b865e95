/* run.c - the private run directory and its guard, fork + execvp, signal forwarding and the exit status. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- run directory ---- */

int grt_launcher_rundir_template(char *buf, size_t size) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp) tmp = "/tmp";
  int n = snprintf(buf, size, "%s/grt-XXXXXX", tmp);
  return n < 0 || (size_t)n >= size ? -1 : 0;
}

int grt_launcher_make_rundir(char *dir, size_t dirsize, const char *config_text, char *path,
                             size_t pathsize, char *err, size_t errlen) {
  if (grt_launcher_rundir_template(dir, dirsize) < 0) {
    snprintf(err, errlen, "TMPDIR is too long for a run directory");
    return -1;
  }
  if (!mkdtemp(dir)) { /* mkdtemp creates it with mode 0700 */
    snprintf(err, errlen, "cannot create the run directory %s: %s", dir, strerror(errno));
    return -1;
  }
  int n = snprintf(path, pathsize, "%s/grt.conf", dir);
  if (n < 0 || (size_t)n >= pathsize) {
    rmdir(dir);
    snprintf(err, errlen, "run directory path too long");
    return -1;
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    rmdir(dir);
    return -1;
  }
  size_t len = strlen(config_text), off = 0;
  while (off < len) {
    ssize_t w = write(fd, config_text + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
      close(fd);
      grt_launcher_remove_rundir(dir);
      return -1;
    }
    off += (size_t)w;
  }
  if (close(fd) < 0) {
    snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    grt_launcher_remove_rundir(dir);
    return -1;
  }
  return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int grt_launcher_remove_rundir(const char *dir) {
  return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the run directory's guard ---- */

int grt_launcher_guard_rundir(const char *dir, pid_t *guard) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    /* The guard: no stdio (a reader of the launcher's output must not wait
     * for it), deaf to the signals that end a job, waiting for the
     * launcher's end of the pipe to close. */
    close(p[1]);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) close(null);
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    char c = 0;
    ssize_t r;
    do r = read(p[0], &c, 1);
    while (r < 0 && errno == EINTR);
    if (!(r == 1 && c == 'k')) grt_launcher_remove_rundir(dir);
    _exit(0);
  }
  close(p[0]);
  *guard = pid;
  return p[1];
}

void grt_launcher_guard_end(int fd, pid_t guard, int keep) {
  if (fd < 0) return;
  if (keep) {
    ssize_t w = write(fd, "k", 1);
    (void)w;
  }
  close(fd);
  while (waitpid(guard, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* ---- running the job ---- */

/* Whether @p path is a regular file this process may execute; errno set if not. */
static int executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return 0;
  if (!S_ISREG(st.st_mode)) {
    errno = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
    return 0;
  }
  return access(path, X_OK) == 0;
}

int grt_launcher_check_program(const char *prog, char *err, size_t errlen) {
  int e = ENOENT;
  if (strchr(prog, '/')) {
    if (executable(prog)) return 0;
    e = errno;
  } else {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/bin:/usr/bin";
    bool denied = false;
    for (const char *p = path;; p++) {
      const char *end = strchr(p, ':');
      size_t n = end ? (size_t)(end - p) : strlen(p);
      char cand[4096];
      if (snprintf(cand, sizeof cand, "%.*s/%s", (int)n, n ? p : ".", prog) < (int)sizeof cand) {
        if (executable(cand)) return 0;
        if (errno != ENOENT && errno != ENOTDIR) denied = true;
      }
      if (!end) break;
      p = end;
    }
    e = denied ? EACCES : ENOENT;
  }
  snprintf(err, errlen, "cannot run '%s': %s", prog, strerror(e));
  return e == ENOENT || e == ENOTDIR ? 127 : 126;
}

static volatile sig_atomic_t child_pid;

/* Forwards a signal sent to the launcher by a process (kill, a batch system)
 * to the job. A signal the terminal sent (SI_KERNEL: Ctrl-C) went to the
 * whole foreground process group, the job included, so it is not sent twice:
 * mpirun treats a second SIGINT as "abort now". */
static void forward(int sig, siginfo_t *info, void *ctx) {
  (void)ctx;
  pid_t pid = (pid_t)child_pid;
  if (pid > 0 && (!info || info->si_code != SI_KERNEL)) kill(pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
#define NFORWARDED ((int)(sizeof forwarded / sizeof forwarded[0]))

int grt_launcher_spawn(char *const *cmd, const char *config_path) {
  /* Set in the launcher itself so the child needs no allocation after fork. */
  if (config_path && setenv("GRT_CONFIG", config_path, 1) < 0) {
    fprintf(stderr, "grt: setenv: %s\n", strerror(errno));
    return 126;
  }
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0) {
    fprintf(stderr, "grt: pipe: %s\n", strerror(errno));
    return 126;
  }
  sigset_t block, old;
  sigemptyset(&block);
  for (int i = 0; i < NFORWARDED; i++) sigaddset(&block, forwarded[i]);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct sigaction sa, saved[NFORWARDED];
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = forward;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &sa, &saved[i]);

  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    for (int i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &saved[i], NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(pfd[0]);
    close(pfd[1]);
    fprintf(stderr, "grt: fork: %s\n", strerror(e));
    return 126;
  }
  if (pid == 0) {
    /* The child: the dispositions and mask the launcher was started with,
     * then exec. Only async-signal-safe calls from here on. */
    for (int i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &saved[i], NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(pfd[0]);
    /* The job ends with the launcher, even a SIGKILLed one (then nothing
     * is forwarded): SIGTERM, which mpirun/srun pass on to the ranks. If
     * the launcher is already gone, end now. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
    execvp(cmd[0], cmd);
    int e = errno;
    ssize_t w = write(pfd[1], &e, sizeof e);
    (void)w;
    _exit(e == ENOENT ? 127 : 126);
  }
  child_pid = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  close(pfd[1]);
  int exec_errno = 0;
  ssize_t r;
  do r = read(pfd[0], &exec_errno, sizeof exec_errno);
  while (r < 0 && errno == EINTR);
  close(pfd[0]);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      status = -1;
      break;
    }
  }
  child_pid = 0;
  for (int i = 0; i < NFORWARDED; i++) sigaction(forwarded[i], &saved[i], NULL);

  if (r == (ssize_t)sizeof exec_errno) {
    fprintf(stderr, "grt: cannot run '%s': %s\n", cmd[0], strerror(exec_errno));
    return exec_errno == ENOENT ? 127 : 126;
  }
  if (status == -1) return 126;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 126;
}
