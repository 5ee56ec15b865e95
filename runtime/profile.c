/* profile.c - the `profile` setting: a timeline of every node each worker
 * ran, written at grt_finalize as a Chrome trace (Trace Event Format, what
 * Perfetto and chrome://tracing open) to <logdir>/grt_profile_<rank>.json.
 *
 * Each worker appends to its own buffer (no lock, no shared cache line):
 * start and end times (CLOCK_MONOTONIC), the node's kind, its task's name,
 * the operation's sequence number and the point. Buffers grow by doubling;
 * if one cannot grow, that worker stops recording and the file says how many
 * events it dropped. With the setting off a worker tests one pointer per
 * node. The file is created at grt_init (logdir too, with its parents, if
 * missing), so a logdir that cannot be written fails there, naming the path,
 * not after the run; that happens before the divergence check starts, so
 * ranks that all fail alike end cleanly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "profile.h"

#include "grt_error.h"

typedef struct grt_prof_ev {
  uint64_t t0, t1;  /* ns, CLOCK_MONOTONIC */
  const char *name; /* the task's name (lives as long as its library) or NULL */
  uint64_t seq;     /* the node's sequence number */
  int32_t point;    /* the point's index in its launch, or -1 */
  uint8_t kind;     /* grt_prof_kind_t */
} grt_prof_ev_t;

struct grt_prof_buf {
  grt_prof_ev_t *v;
  size_t n, cap;
  size_t dropped;
};

struct grt_prof {
  FILE *f;
  char path[4200];
  uint64_t t_start;
  int nbufs;                /* the workers' buffers, in worker order */
  grt_prof_buf_t **bufs;
  bool *omp;                /* per buffer: an OpenMP group's worker */
};

uint64_t grt__profile_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* mkdir -p: creates @p dir and its missing parents (as Legate's logdir). */
static int make_dirs(const char *dir) {
  char buf[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof buf) return n == 0 ? 0 : -1;
  memcpy(buf, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    buf[i] = c;
  }
  return 0;
}

int grt__profile_open(const grt_settings_t *s, int rank, grt_prof_t **out) {
  *out = NULL;
  if (!s->profile) return 0;
  grt_prof_t *p = calloc(1, sizeof *p);
  if (!p) return grt__error(GRT_ENOMEM, "grt_init: out of host memory for the profile");
  const char *dir = s->logdir[0] ? s->logdir : ".";
  snprintf(p->path, sizeof p->path, "%s/grt_profile_%d.json", dir, rank);
  (void)make_dirs(s->logdir); /* a failure shows in the fopen below */
  p->f = fopen(p->path, "w");
  if (!p->f) {
    int e = errno;
    int rc = grt__error(GRT_EINVAL, "grt_init: profile: cannot create '%s' (setting logdir = '%s'): %s",
                      p->path, s->logdir, strerror(e));
    free(p);
    return rc;
  }
  p->t_start = grt__profile_now();
  *out = p;
  return 0;
}

grt_prof_buf_t *grt__profile_buf_new(grt_prof_t *p, bool omp) {
  if (!p) return NULL;
  grt_prof_buf_t **v = realloc(p->bufs, sizeof *v * (size_t)(p->nbufs + 1));
  if (v) p->bufs = v;
  bool *o = realloc(p->omp, sizeof *o * (size_t)(p->nbufs + 1));
  if (o) p->omp = o;
  grt_prof_buf_t *b = v && o ? calloc(1, sizeof *b) : NULL;
  if (!b) return NULL;
  p->bufs[p->nbufs] = b;
  p->omp[p->nbufs++] = omp;
  return b;
}

void grt__profile_record(grt_prof_buf_t *b, const grt_prof_mark_t *m, uint64_t t1) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 1024;
    grt_prof_ev_t *v = b->dropped ? NULL : realloc(b->v, cap * sizeof *v);
    if (!v) {
      b->dropped++;
      return;
    }
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n++] = (grt_prof_ev_t){m->t0, t1, m->name, m->seq, m->point, m->kind};
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static const char *kind_name(const grt_prof_ev_t *e) {
  switch ((grt_prof_kind_t)e->kind) {
  case GRT_PROF_TASK: return "task";
  case GRT_PROF_FOLD: return "fold";
  case GRT_PROF_SEND: return "send";
  case GRT_PROF_RECEIVE: return "receive";
  }
  return "node";
}

static void bufs_free(grt_prof_t *p) {
  for (int i = 0; i < p->nbufs; i++) {
    free(p->bufs[i]->v);
    free(p->bufs[i]);
  }
  free(p->bufs);
  free(p->omp);
}

int grt__profile_close(grt_prof_t *p, int rank, int nranks) {
  if (!p) return 0;
  FILE *f = p->f;
  fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"rank\":%d,\"ranks\":%d},\n"
             "\"traceEvents\":[\n",
          rank, nranks);
  fprintf(f, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":\"rank %d\"}}",
          rank, rank);
  size_t dropped = 0;
  for (int w = 0; w < p->nbufs; w++) {
    fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
               "\"args\":{\"name\":\"%s worker %d\"}}",
            rank, w, p->omp[w] ? "omp" : "cpu", w);
    const grt_prof_buf_t *b = p->bufs[w];
    dropped += b->dropped;
    for (size_t i = 0; i < b->n; i++) {
      const grt_prof_ev_t *e = &b->v[i];
      double ts = (double)(e->t0 - p->t_start) / 1e3, dur = (double)(e->t1 - e->t0) / 1e3;
      /* a task is named by its task, a fold by "fold <task>", a transfer
       * by its direction */
      char name[320];
      if (e->name && e->kind == GRT_PROF_TASK)
        snprintf(name, sizeof name, "%s", e->name);
      else if (e->name)
        snprintf(name, sizeof name, "%s %s", kind_name(e), e->name);
      else
        snprintf(name, sizeof name, "%s", kind_name(e));
      fputs(",\n{\"ph\":\"X\",\"name\":", f);
      put_str(f, name);
      fprintf(f, ",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,"
                 "\"args\":{\"seq\":%llu,\"point\":%d}}",
              kind_name(e), rank, w, ts, dur, (unsigned long long)e->seq, (int)e->point);
    }
  }
  fprintf(f, "\n],\"dropped\":%zu}\n", dropped);
  int bad = ferror(f);
  if (fclose(f) != 0) bad = 1;
  int rc = 0;
  if (bad)
    rc = grt__error(GRT_EINVAL, "grt_finalize: writing the profile '%s' failed: %s", p->path,
                    strerror(errno));
  bufs_free(p);
  free(p);
  return rc;
}

void grt__profile_discard(grt_prof_t *p) {
  if (!p) return;
  fclose(p->f);
  remove(p->path);
  bufs_free(p);
  free(p);
}
