// The C++ tests' one assertion: CHECK(condition) reports a failure with its file and line and keeps going; a
// test's main returns check_failures() != 0.
#pragma once

#include <cstdio>

namespace sparsebolt_test {
inline int failures = 0;
}  // namespace sparsebolt_test

#define CHECK(condition)                                                                 \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      ++sparsebolt_test::failures;                                                       \
    }                                                                                    \
  } while (0)
