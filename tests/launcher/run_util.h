/* run_util.h - starting a program from a test and capturing its output and status. */
#ifndef GRT_TEST_RUN_UTIL_H
#define GRT_TEST_RUN_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads a whole file into a NUL-terminated malloc'd buffer (length in *len). */
static inline char *slurp_fd(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  lseek(fd, 0, SEEK_SET);
  for (;;) {
    if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r <= 0) break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

/* Runs argv (execvp) with stdout and stderr captured; returns the exit
 * status as a shell reports it (128 + signal if killed). *out and *err are
 * malloc'd; either may be NULL to discard. */
static inline int run_capture(char *const argv[], char **out, size_t *outlen, char **err) {
  char o_path[] = "/tmp/grt-test-out-XXXXXX", e_path[] = "/tmp/grt-test-err-XXXXXX";
  int ofd = mkstemp(o_path), efd = mkstemp(e_path);
  unlink(o_path);
  unlink(e_path);
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(ofd, 1);
    dup2(efd, 2);
    close(ofd);
    close(efd);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
  }
  if (out) *out = slurp_fd(ofd, outlen);
  if (err) *err = slurp_fd(efd, NULL);
  close(ofd);
  close(efd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
