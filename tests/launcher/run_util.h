/* run_util.h - starting a program from a test and capturing its output and status. */
#ifndef GRT_TEST_RUN_UTIL_H
#define GRT_TEST_RUN_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
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

/* Visits every process that has an argument equal to @p marker (from
 * /proc): counts them, and SIGKILLs them when @p kill_them. -1 if /proc
 * cannot be read. */
static inline int walk_marked(const char *marker, bool kill_them) {
  DIR *d = opendir("/proc");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    char buf[8192];
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = '\0';
    for (char *a = buf; a < buf + len; a += strlen(a) + 1)
      if (strcmp(a, marker) == 0) {
        n++;
        if (kill_them) kill((pid_t)atoi(e->d_name), SIGKILL);
        break;
      }
  }
  closedir(d);
  return n;
}

/* How many processes have an argument equal to @p marker. */
static inline int count_marked(const char *marker) { return walk_marked(marker, false); }

/* SIGKILLs every process that has an argument equal to @p marker (the
 * leftovers of a failed test; the marker is unique to it). */
static inline void kill_marked(const char *marker) { (void)walk_marked(marker, true); }

static inline int remove_one_(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes @p dir and everything under it. */
static inline void remove_tree(const char *dir) { nftw(dir, remove_one_, 16, FTW_DEPTH | FTW_PHYS); }

/* Whether directory @p dir has no entries but . and .. */
static inline int dir_is_empty(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  int empty = 1;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
  closedir(d);
  return empty;
}

/* Starts grt (@p argv) with stdout on a pipe, waits until "ready\n" has
 * been printed @p nready times (each started program prints it), SIGKILLs
 * grt alone, reaps it, and then waits up to @p limit seconds for every
 * process carrying @p marker to be gone and @p tmpdir to be empty. Returns
 * 0 if both happened, 1 if processes remain, 2 if files remain, -1 if the
 * programs never got ready. */
/* Starts @p argv with its stdout on a pipe: the child's pid, and the read
 * end in *@p rfd (-1 and no child if the pipe cannot be made). */
static inline pid_t spawn_piped(char *const argv[], int *rfd) {
  int pfd[2];
  if (pipe(pfd) != 0) return -1;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(pfd[1]);
  *rfd = pfd[0];
  return pid;
}

static inline int kill_launcher(char *const argv[], int nready, const char *marker,
                                const char *tmpdir, double limit) {
  int rfd = -1;
  pid_t pid = spawn_piped(argv, &rfd);
  if (pid < 0) return -1;
  char buf[16384];
  size_t n = 0;
  int ready = 0;
  while (ready < nready && n < sizeof buf - 1) {
    ssize_t r = read(rfd, buf + n, sizeof buf - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
    buf[n] = '\0';
    ready = 0;
    for (const char *p = buf; (p = strstr(p, "ready\n")); p++) ready++;
  }
  kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  close(rfd);
  if (ready < nready) return -1;
  int left = 1;
  for (int i = 0; i < (int)(limit * 20); i++) {
    if (count_marked(marker) == 0 && dir_is_empty(tmpdir)) return 0;
    usleep(50000);
  }
  left = count_marked(marker);
  return left > 0 ? 1 : 2;
}

#endif
