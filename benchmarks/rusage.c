// rusage.node: getrusage(RUSAGE_CHILDREN) for the benchmark, which Node does not expose.
//
// The CPU time of the benchmark's child processes (ip, sh, sysctl and their own children)
// accumulates in the Node process's RUSAGE_CHILDREN when libuv reaps them. Its user + system
// total is exact to the microsecond (the kernel keeps it in nanoseconds of scheduler time);
// /proc/self/stat's cutime and cstime are the same numbers rounded down to clock ticks (10 ms).
//
//   children() -> { user, system }   microseconds since this process started
//
// Built by build-nlbench.sh into benchmarks/bin/rusage.node; run.ts falls back to
// /proc/self/stat when it is missing.

#include <node_api.h>
#include <sys/resource.h>

static napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static napi_value children(napi_env env, napi_callback_info info) {
  (void)info;
  struct rusage ru;
  if (getrusage(RUSAGE_CHILDREN, &ru) != 0) {
    napi_throw_error(env, NULL, "getrusage(RUSAGE_CHILDREN) failed");
    return NULL;
  }
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(
      env, out, "user",
      number(env, (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec));
  napi_set_named_property(
      env, out, "system",
      number(env, (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec));
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "children", NAPI_AUTO_LENGTH, children, NULL, &fn);
  napi_set_named_property(env, exports, "children", fn);
  return exports;
}
