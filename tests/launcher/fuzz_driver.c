/* fuzz_driver.c - a plain main() for the fuzz harnesses when libFuzzer is not available.
 *
 * Usage: fuzz_X [ITERATIONS [SEED]]   mutate the harness's seeds ITERATIONS times
 *        fuzz_X FILE...               replay inputs (e.g. a libFuzzer crash file)
 * The mutations are deterministic for a given SEED (printed at the start), so
 * a failure is reproduced by running the same command again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

enum { MAX_INPUT = 4096 };

static uint64_t rng;
static uint64_t next(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717ULL;
}
static size_t below(size_t n) { return n ? (size_t)(next() % n) : 0; }

static size_t insert(uint8_t *buf, size_t len, size_t at, const void *src, size_t n) {
  if (len + n > MAX_INPUT) n = MAX_INPUT - len;
  memmove(buf + at + n, buf + at, len - at);
  memcpy(buf + at, src, n);
  return len + n;
}

static size_t mutate(uint8_t *buf, size_t len) {
  static const uint8_t special[] = {0, '\n', '=', '#', '"', '\\', ' ', '-', '9', 0xff, 0x80};
  int rounds = 1 + (int)below(8);
  for (int r = 0; r < rounds; r++) {
    size_t at = below(len + 1);
    switch (below(9)) {
    case 0: if (len) buf[below(len)] ^= (uint8_t)(1u << below(8)); break;
    case 1: if (len) buf[below(len)] = (uint8_t)next(); break;
    case 2: { uint8_t c = special[below(sizeof special)]; len = insert(buf, len, at, &c, 1); break; }
    case 3:
      if (at < len) {
        size_t n = 1 + below(len - at > 16 ? 16 : len - at);
        memmove(buf + at, buf + at + n, len - at - n);
        len -= n;
      }
      break;
    case 4: { const char *t = fuzz_dict[below(fuzz_ndict)]; len = insert(buf, len, at, t, strlen(t)); break; }
    case 5: if (len) { size_t from = below(len), n = 1 + below(len - from);
                       uint8_t tmp[MAX_INPUT]; memcpy(tmp, buf + from, n);
                       len = insert(buf, len, at, tmp, n); } break;
    case 6: { const fuzz_seed_t *s = &fuzz_seeds[below(fuzz_nseeds)];
              size_t from = below(s->size), n = below(s->size - from + 1);
              len = insert(buf, len, at, s->data + from, n); break; }
    case 7: if (len) buf[below(len)] = special[below(sizeof special)]; break;
    case 8: len = below(len + 1); break;
    }
  }
  return len;
}

int main(int argc, char **argv) {
  char *end = NULL;
  if (argc > 1) strtoul(argv[1], &end, 10);
  if (argc > 1 && *end != '\0') { /* replay files */
    for (int i = 1; i < argc; i++) {
      FILE *f = fopen(argv[i], "rb");
      if (!f) { perror(argv[i]); return 1; }
      static uint8_t buf[1 << 20];
      size_t n = fread(buf, 1, sizeof buf, f);
      fclose(f);
      LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz: replayed %d inputs\n", argc - 1);
    return 0;
  }
  unsigned long iterations = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 20261125;
  printf("fuzz: %lu inputs from seed %llu\n", iterations, (unsigned long long)seed);
  fflush(stdout);
  rng = seed ? seed : 1;
  for (size_t i = 0; i < fuzz_nseeds; i++)
    LLVMFuzzerTestOneInput((const uint8_t *)fuzz_seeds[i].data, fuzz_seeds[i].size);
  static uint8_t buf[MAX_INPUT];
  for (unsigned long it = 0; it < iterations; it++) {
    const fuzz_seed_t *s = &fuzz_seeds[below(fuzz_nseeds)];
    size_t len = s->size < MAX_INPUT ? s->size : MAX_INPUT;
    memcpy(buf, s->data, len);
    len = mutate(buf, len);
    /* An exact-size heap copy, so that ASan sees reads past the end. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, buf, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
  }
  printf("fuzz: %lu inputs, no failure\n", iterations);
  return 0;
}
