// LD_PRELOAD shim for end-to-end tests: moves the wall clock of the process
// it is loaded into forward by $SAMRAD_TEST_TIME_SHIFT_SECONDS (monotonic
// clocks untouched), so a real relay can be run "days later" on the same
// data directory. Never linked into a product binary.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long ShiftSeconds(void) {
  const char* value = getenv("SAMRAD_TEST_TIME_SHIFT_SECONDS");
  return value != NULL ? atoll(value) : 0;
}

int clock_gettime(clockid_t id, struct timespec* ts) {
  static int (*real)(clockid_t, struct timespec*) = NULL;
  if (real == NULL) real = (int (*)(clockid_t, struct timespec*))dlsym(RTLD_NEXT, "clock_gettime");
  int result = real(id, ts);
  if (result == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
    ts->tv_sec += (time_t)ShiftSeconds();
  }
  return result;
}

int gettimeofday(struct timeval* tv, void* tz) {
  static int (*real)(struct timeval*, void*) = NULL;
  if (real == NULL) real = (int (*)(struct timeval*, void*))dlsym(RTLD_NEXT, "gettimeofday");
  int result = real(tv, tz);
  if (result == 0 && tv != NULL) tv->tv_sec += (time_t)ShiftSeconds();
  return result;
}

time_t time(time_t* out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out != NULL) *out = ts.tv_sec;
  return ts.tv_sec;
}
