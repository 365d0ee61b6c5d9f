// SPDX-License-Identifier: Apache-2.0
#include "base/clock.h"

#include <time.h>

namespace roentgen {
namespace {

class RealClock final : public Clock {
 public:
  int64_t NowUnixNanos() const override { return Read(CLOCK_REALTIME); }
  int64_t MonotonicNanos() const override { return Read(CLOCK_MONOTONIC); }

 private:
  static int64_t Read(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
};

}  // namespace

Clock& Clock::Real() {
  static RealClock* clock = new RealClock();  // never destroyed: used during shutdown
  return *clock;
}

}  // namespace roentgen
