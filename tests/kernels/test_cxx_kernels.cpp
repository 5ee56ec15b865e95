// test_cxx_kernels.cpp - grt_kernels.h compiles and links from C++ (nvcc
// compiles .cu files as C++), and a kernel runs through it.
#include <grt_kernels.h>

#include <cmath>
#include <cstdio>

int main() {
  grt_runtime_t *rt = nullptr;
  if (grt_init(nullptr, nullptr, &rt) < 0) return 1;
  grtk_t *k = nullptr;
  int rc = grtk_create(rt, &k);
  grt_store_t *s = nullptr;
  const int64_t n = 100;
  double v = 0;
  grt_future_t *f = nullptr;
  if (rc == 0) rc = grt_store_create(rt, grt_type_float64(), 1, &n, &s);
  if (rc == 0) rc = grtk_arange(k, s, 1.0, 1.0);
  if (rc == 0) rc = grtk_sum(k, s, &f);
  if (rc == 0) rc = grt_future_get(f, &v, sizeof v);
  grt_future_destroy(f);
  grt_store_destroy(s);
  grtk_destroy(k);
  if (grt_finalize(rt) < 0) rc = -1;
  if (rc != 0 || v != 5050.0) {
    std::fprintf(stderr, "test_cxx_kernels: rc %d sum %g (%s)\n", rc, v, grtk_last_error());
    return 1;
  }
  return 0;
}
