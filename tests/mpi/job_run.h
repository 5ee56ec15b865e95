/* job_run.h - running one job (mpirun or a program) for the MPI tests:
 * its output captured, its exit status, killed (with its process group)
 * after a time limit. */
#ifndef GRT_TEST_JOB_RUN_H
#define GRT_TEST_JOB_RUN_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double job_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs argv (NULL-terminated) with extra env "K=V" strings; its stdout and
 * stderr go to @p out (NUL-terminated, at most @p cap - 1 bytes). Returns
 * the exit status (128 + signal), or -1 when it ran past @p limit seconds
 * and was killed; -2 when it could not start. */
static inline int job_run(char *const argv[], const char *const *env, double limit, char *out,
                          size_t cap) {
  char path[] = "/tmp/grt-mpi-job-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -2;
  double t0 = job_now();
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    unlink(path);
    return -2;
  }
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    setpgid(0, 0);
    for (const char *const *e = env; e && *e; e++) putenv((char *)*e);
    execvp(argv[0], argv);
    _exit(127);
  }
  int st = 0, status = -1;
  for (;;) {
    if (waitpid(pid, &st, WNOHANG) == pid) {
      status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (job_now() - t0 > limit) {
      kill(-pid, SIGKILL);
      waitpid(pid, &st, 0);
      break;
    }
    usleep(20000);
  }
  ssize_t n = pread(fd, out, cap - 1, 0);
  out[n > 0 ? n : 0] = '\0';
  close(fd);
  unlink(path);
  return status;
}

#endif
