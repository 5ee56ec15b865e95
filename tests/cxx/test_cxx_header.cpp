// test_cxx_header.cpp - grt.h compiles as C++ (nvcc compiles .cu files as C++).
#include <grt.h>

#include <cstdio>
#include <cstring>

int main() {
  // Linkage and types usable from C++: the error strings and a type query.
  if (std::strcmp(grt_strerror(GRT_EINVAL), "invalid argument") != 0) return 1;
  if (grt_type_size(grt_type_float64()) != sizeof(double)) return 1;
  grt_buffer_t b{};
  b.ndim = 1;
  std::printf("1 passed, 0 failed\n");
  return b.ndim == 1 ? 0 : 1;
}
