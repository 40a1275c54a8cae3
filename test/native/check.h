// A minimal test harness for the native unit tests (ctest runs each executable): TEST registers a
// case, CHECK and CHECK_EQ report the failing line and let the case go on (REQUIRE ends it), main()
// runs them all and exits non-zero if any check failed.
#pragma once

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace check {

struct Case {
  const char* name;
  std::function<void()> run;
};

inline std::vector<Case>& Cases() {
  static std::vector<Case> cases;
  return cases;
}

inline int& Failures() {
  static int failures = 0;
  return failures;
}

struct Register {
  Register(const char* name, std::function<void()> run) {
    Cases().push_back({name, std::move(run)});
  }
};

template <typename A, typename B>
void Equal(const A& a, const B& b, const char* expr, const char* file, int line) {
  if (a == b) return;
  std::ostringstream out;
  out << a << " != " << b;
  std::fprintf(stderr, "%s:%d: CHECK_EQ(%s) failed: %s\n", file, line, expr, out.str().c_str());
  Failures()++;
}

}  // namespace check

#define TEST(name)                                     \
  static void name();                                  \
  static check::Register register_##name(#name, name); \
  static void name()

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      check::Failures()++;                                                          \
    }                                                                               \
  } while (0)

// Like CHECK, but ends the case when it fails (what follows depends on it).
#define REQUIRE(cond)                                                                 \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
      check::Failures()++;                                                            \
      return;                                                                         \
    }                                                                                 \
  } while (0)

#define CHECK_EQ(a, b) check::Equal((a), (b), #a ", " #b, __FILE__, __LINE__)

int main() {
  for (const check::Case& c : check::Cases()) {
    const int before = check::Failures();
    c.run();
    std::printf("%s %s\n", check::Failures() == before ? "ok  " : "FAIL", c.name);
  }
  return check::Failures() == 0 ? 0 : 1;
}
