// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/json_writer.h"
#include "base/periodic_thread.h"
#include "base/result.h"
#include "base/stats.h"
#include "base/status_macros.h"

namespace roentgen {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return InvalidArgumentError("odd");
  return value / 2;
}

Result<int> Quarter(int value) {
  RG_ASSIGN_OR_RETURN(int half, Half(value));
  RG_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, OkIsCheapAndErrorsCarryMessages) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "OK");
  Status bad = CorruptionError("wal: bad checksum");
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_EQ(bad.WithContext("recovery").message(), "recovery: wal: bad checksum");
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(Quarter(8).value(), 2);
  EXPECT_EQ(Quarter(6).error().message(), "odd");
  EXPECT_FALSE(Quarter(3).ok());
}

TEST(Crc32cTest, KnownVectors) {
  // From RFC 3720 B.4.
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8a9136aau);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62a8ab43u);
  EXPECT_EQ(crc32c::Value("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c::Extend(crc32c::Value("1234"), "56789", 5), 0xe3069283u);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(0x12345678u)), 0x12345678u);
}

TEST(CodingTest, VarintsRoundTrip) {
  std::string buf;
  for (uint64_t value : {0ull, 1ull, 127ull, 128ull, 300ull, ~0ull})
    coding::PutVarint64(&buf, value);
  coding::PutVarsint64(&buf, -5);
  std::string_view in(buf);
  for (uint64_t expected : {0ull, 1ull, 127ull, 128ull, 300ull, ~0ull}) {
    uint64_t value;
    ASSERT_TRUE(coding::GetVarint64(&in, &value));
    EXPECT_EQ(value, expected);
  }
  int64_t signed_value;
  ASSERT_TRUE(coding::GetVarsint64(&in, &signed_value));
  EXPECT_EQ(signed_value, -5);
  EXPECT_TRUE(in.empty());
  std::string_view truncated("\x80\x80", 2);
  uint64_t ignored;
  EXPECT_FALSE(coding::GetVarint64(&truncated, &ignored));
}

TEST(JsonWriterTest, WritesCompactEscapedJson) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a");
  w.String("q\"\n\x01");
  w.Key("b");
  w.BeginArray();
  w.Int(-3);
  w.Double(1795497420.405);
  w.Double(2.0);
  w.Bool(true);
  w.Null();
  w.EndArray();
  w.EndObject();
  EXPECT_EQ(w.str(), R"({"a":"q\"\n\u0001","b":[-3,1795497420.405,2,true,null]})");
}

TEST(StatsRegistryTest, RendersPrometheusText) {
  StatsRegistry stats;
  stats.GetCounter("rg_dropped_total", "Dropped datagrams.", "reason=\"bad_json\"").Add(2);
  stats.GetCounter("rg_dropped_total", "Dropped datagrams.", "reason=\"too_large\"").Add();
  stats.GetGauge("rg_queue_depth", "Queue depth.").Set(7);
  std::string text = stats.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE rg_dropped_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("rg_dropped_total{reason=\"bad_json\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("rg_queue_depth 7\n"), std::string::npos);
  EXPECT_EQ(stats.CounterValue("rg_dropped_total", "reason=\"too_large\""), 1u);
}

TEST(PeriodicThreadTest, TicksUntilStoppedAndStopsWithoutWaitingForTheInterval) {
  std::atomic<int> ticks{0};
  PeriodicThread job;
  job.Start(std::chrono::milliseconds(1), [&ticks] { ticks.fetch_add(1); });
  while (ticks.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  job.Stop();
  int after_stop = ticks.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(ticks.load(), after_stop);  // no tick after Stop returned

  // An hour-long interval: kImmediately ticks once at once, and Stop does not wait the hour.
  std::atomic<int> hourly{0};
  job.Start(
      std::chrono::hours(1), [&hourly] { hourly.fetch_add(1); },
      PeriodicThread::FirstTick::kImmediately);
  while (hourly.load() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  job.Stop();
  EXPECT_EQ(hourly.load(), 1);
  job.Stop();  // idempotent
}

}  // namespace
}  // namespace roentgen
