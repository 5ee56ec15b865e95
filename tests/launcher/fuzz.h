/* fuzz.h - what a fuzz harness gives the plain driver (fuzz_driver.c): seeds and a dictionary. */
#ifndef GRT_TEST_FUZZ_H
#define GRT_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *data;
  size_t size;
} fuzz_seed_t;

#define FUZZ_SEED(s) {s, sizeof s - 1}

/* Defined by each harness. */
extern const fuzz_seed_t fuzz_seeds[];
extern const size_t fuzz_nseeds;
extern const char *const fuzz_dict[];
extern const size_t fuzz_ndict;

/* The libFuzzer entry point each harness defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
