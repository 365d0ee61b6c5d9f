// SPDX-License-Identifier: Apache-2.0
// The SDK against a real `roentgen serve`: centralized sampling rules and targets over HTTP,
// segments over UDP, read back with BatchGetTraces (POST /Traces). Started as the Python
// harness does (tests/clients/harness.py): port 0, a temp data dir, the listening line.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iterator>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "http_client.h"
#include "roentgen/sdk.h"

namespace roentgen::sdk {
namespace {

class Server {
 public:
  bool Start(const std::string& binary) {
    char templ[] = "/tmp/roentgen-sdk-e2e-XXXXXX";
    if (::mkdtemp(templ) == nullptr) return false;
    data_dir_ = templ;
    int out[2];
    if (::pipe(out) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, STDERR_FILENO);
      ::close(out[0]);
      ::execl(binary.c_str(), binary.c_str(), "serve", "--data-dir", data_dir_.c_str(), "--listen",
              "127.0.0.1:0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = ::fdopen(out[0], "r");
    char line[1024];
    if (stdout_ == nullptr || std::fgets(line, sizeof(line), stdout_) == nullptr) return false;
    // roentgen: listening http=127.0.0.1:PORT udp=127.0.0.1:PORT data=...
    std::string text(line);
    size_t http = text.find("http=127.0.0.1:");
    if (http == std::string::npos) return false;
    port_ = static_cast<uint16_t>(std::atoi(text.c_str() + http + 15));
    return port_ != 0;
  }
  ~Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ != nullptr) std::fclose(stdout_);
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
    }
  }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  std::string data_dir_;
  uint16_t port_ = 0;
};

std::string Binary() {
  if (const char* env = std::getenv("ROENTGEN_BINARY")) return env;
#ifdef RG_ROENTGEN_BINARY
  return RG_ROENTGEN_BINARY;
#else
  return "";
#endif
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

// BatchGetTraces until `ready` accepts the body or 15 s pass.
std::string WaitForTrace(uint16_t port, const std::string& trace_id,
                         const std::function<bool(const std::string&)>& ready) {
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<std::string> response = internal::HttpPost(
        "127.0.0.1", port, "/Traces", "{\"TraceIds\":[\"" + trace_id + "\"]}", 5);
    if (response) {
      body = *response;
      if (ready(body)) return body;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return body;
}

TEST(SdkEndToEnd, SegmentsReachRoentgenAndSamplingUsesItsRules) {
  std::string binary = Binary();
  if (binary.empty() || !std::filesystem::exists(binary)) {
    GTEST_SKIP() << "no roentgen binary (set ROENTGEN_BINARY)";
  }
  Server server;
  ASSERT_TRUE(server.Start(binary));
  std::string address = "tcp:127.0.0.1:" + std::to_string(server.port()) +
                        " udp:127.0.0.1:" + std::to_string(server.port());

  CentralizedSampler::Options sampler_options;
  sampler_options.daemon_host = "127.0.0.1";
  sampler_options.daemon_port = server.port();
  auto sampler = std::make_unique<CentralizedSampler>(sampler_options);
  CentralizedSampler* centralized = sampler.get();
  RecorderOptions options;
  options.service_name = "sdk-e2e";
  options.daemon_address = address;
  options.read_environment = false;
  options.sampler = std::move(sampler);
  options.logger = [](std::string_view) {};
  auto recorder = Recorder::Create(std::move(options));
  EXPECT_EQ(recorder->udp_port(), server.port());

  // The server's Default rule (reservoir 1/s, 5 %) arrives over GetSamplingRules.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!centralized->HasRules() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(centralized->HasRules());

  // One request: the first of its second is borrowed by the Default rule.
  std::string small_trace;
  {
    SegmentScope segment(*recorder, "", nullptr, {"", "", "localhost", "POST", "/orders"});
    ASSERT_TRUE(segment->is_sampled());
    small_trace = segment->trace_id();
    segment->SetHttpRequest("POST", "http://localhost/orders", "sdk-test", "127.0.0.1");
    segment->AddAnnotation("operation", "create_order");
    {
      SubsegmentScope db(*recorder, "orders", "aws");
      db->SetAws("operation", "PutItem");
      db->SetAws("table_name", "orders");
    }
    segment->SetHttpResponse(200);
  }

  // A segment too large for one datagram, sampled upstream: split into several documents.
  auto upstream = TraceHeader::Parse("Root=" + NewTraceId(std::time(nullptr)) + ";Sampled=1");
  ASSERT_TRUE(upstream.has_value());
  {
    SegmentScope segment(*recorder, "", &*upstream);
    for (int idx = 0; idx < 300; ++idx) {
      SubsegmentScope leaf(*recorder, "leaf");
      leaf->AddMetadata("payload", std::string(500, 'x'));
    }
  }
  ASSERT_TRUE(recorder->Flush(5));
  RecorderStats stats = recorder->stats();
  EXPECT_EQ(stats.segments_sent, 2u);
  EXPECT_GT(stats.subsegments_streamed, 0u);
  EXPECT_EQ(stats.documents_dropped, 0u);

  std::string small = WaitForTrace(server.port(), small_trace, [](const std::string& body) {
    return body.find("create_order") != std::string::npos &&
           body.find("PutItem") != std::string::npos;
  });
  EXPECT_NE(small.find("create_order"), std::string::npos) << small;
  EXPECT_NE(small.find("sdk-e2e"), std::string::npos) << small;
  EXPECT_NE(small.find("Default"), std::string::npos) << small;  // aws.xray.rule_name

  std::string big = WaitForTrace(server.port(), upstream->root, [](const std::string& body) {
    return Count(body, "leaf") >= 300;
  });
  EXPECT_EQ(Count(big, "leaf"), 300u);
  recorder->Shutdown(1);
}

// The check: a rule of reservoir 5/s and fixed rate 0 converges to 5 sampled per second
// once SamplingTargets hands out the quota (before that, 1/s is borrowed).
TEST(SdkEndToEnd, ReservoirOfFivePerSecondConverges) {
  std::string binary = Binary();
  if (binary.empty() || !std::filesystem::exists(binary)) {
    GTEST_SKIP() << "no roentgen binary (set ROENTGEN_BINARY)";
  }
  Server server;
  ASSERT_TRUE(server.Start(binary));
  ASSERT_TRUE(internal::HttpPost(
      "127.0.0.1", server.port(), "/CreateSamplingRule",
      "{\"SamplingRule\":{\"RuleName\":\"five\",\"ResourceARN\":\"*\",\"Priority\":1,"
      "\"FixedRate\":0,\"ReservoirSize\":5,\"ServiceName\":\"sdk-conv\",\"ServiceType\":\"*\","
      "\"Host\":\"*\",\"HTTPMethod\":\"*\",\"URLPath\":\"*\",\"Version\":1}}",
      5));
  CentralizedSampler::Options options;
  options.daemon_host = "127.0.0.1";
  options.daemon_port = server.port();
  options.targets_interval_s = 1;  // the SDKs report every 10 s; faster here
  CentralizedSampler sampler(options);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!sampler.HasRules() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(sampler.HasRules());
  // ~200 requests per second for 6 s; sampled counts per wall-clock second.
  std::map<int64_t, int> sampled_per_second;
  std::map<int64_t, int> requests_per_second;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  SamplingRequest request{"sdk-conv", "", "localhost", "GET", "/"};
  while (std::chrono::steady_clock::now() < end) {
    int64_t second = static_cast<int64_t>(SystemClock().Now());
    SamplingDecision decision = sampler.ShouldSample(request);
    EXPECT_EQ(decision.rule_name, "five");
    ++requests_per_second[second];
    if (decision.sampled) ++sampled_per_second[second];
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sampler.Shutdown();
  // Whole seconds only (drop the first and last, partial ones); the last three are at quota.
  std::vector<int> full;
  for (auto it = std::next(requests_per_second.begin()); it != std::prev(requests_per_second.end());
       ++it) {
    full.push_back(sampled_per_second[it->first]);
  }
  ASSERT_GE(full.size(), 4u);
  for (size_t idx = full.size() - 3; idx < full.size(); ++idx) {
    EXPECT_EQ(full[idx], 5) << "second " << idx;
  }
}

}  // namespace
}  // namespace roentgen::sdk
