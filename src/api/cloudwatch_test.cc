// SPDX-License-Identifier: Apache-2.0
// Golden tests: every CloudWatch request captured from the real clients
// (../shared/fixtures/clients: awscli v1 and v2, boto3 pip and Debian, JS SDK v3) goes through
// the router in capture order; each answer must be in the protocol its client expects and
// carry what the recipe needs.

#include "api/internal/cloudwatch.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/api.h"
#include "http/request_parser.h"
#include "metrics/alarms.h"
#include "metrics/metrics.h"
#include "parse/json_dom.h"

namespace roentgen::api {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

// 2025-07-12T10:35:00Z: the fixtures' payload timestamps (10:00-11:00) are then recent.
constexpr int64_t kCaptureTime = 1752316500;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Whether `xml` is one element with balanced tags (enough to catch writer bugs; the client
// tests parse it with botocore).
bool BalancedXml(std::string_view xml) {
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string_view::npos) {
    size_t end = xml.find('>', pos);
    if (end == std::string_view::npos) return false;
    std::string_view tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.ends_with('/')) continue;
    if (tag.starts_with('/')) {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
      if (open.empty() && pos != xml.size()) return false;
      continue;
    }
    open.emplace_back(tag.substr(0, tag.find(' ')));
  }
  return open.empty();
}

class CloudWatchGoldenTest : public ::testing::Test {
 protected:
  CloudWatchGoldenTest()
      : dir_(fs::temp_directory_path() /
             ("rg_cloudwatch_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())),
        clock_(kCaptureTime * 1'000'000'000) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    catalog_ = std::move(store::Catalog::Open((dir_ / "catalog").string())).value();
    metrics::MetricStoreOptions options;
    options.dir = (dir_ / "metrics").string();
    options.clock = &clock_;
    metrics_ = std::move(metrics::MetricStore::Open(options)).value();
    metrics::AlarmEngineOptions alarm_options;
    alarm_options.catalog = catalog_.get();
    alarm_options.store = metrics_.get();
    alarm_options.clock = &clock_;
    alarms_ = std::move(metrics::AlarmEngine::Open(alarm_options)).value();
    ApiDependencies deps;
    deps.catalog = catalog_.get();
    deps.stats = &stats_;
    deps.clock = &clock_;
    deps.metrics = metrics_.get();
    deps.alarms = alarms_.get();
    router_ = std::make_unique<ApiRouter>(ApiOptions(), deps);
  }
  ~CloudWatchGoldenTest() override {
    router_.reset();
    alarms_.reset();
    metrics_.reset();
    catalog_.reset();
    fs::remove_all(dir_);
  }

  http::Response Send(std::string bytes) {
    size_t consumed = 0;
    auto parsed = http::ParseHttpRequest(bytes, http::Limits(), &consumed);
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    http::Response answer;
    answer.status = -1;
    router_->Handle(std::move(parsed->request), [&](http::Response r) { answer = std::move(r); });
    return answer;
  }

  // Replays every cw capture of `client_dir` in order; returns (file name, response).
  std::vector<std::pair<std::string, http::Response>> Replay(const fs::path& client_dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(client_dir)) {
      std::string name = entry.path().filename().string();
      if (name.find("-cw-") != std::string::npos && name.ends_with(".http"))
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::pair<std::string, http::Response>> out;
    for (const fs::path& file : files) {
      std::string bytes = ReadFile(file);
      fs::path bin = file;
      bin.replace_extension(".bin");
      if (fs::exists(bin)) bytes += ReadFile(bin);
      out.emplace_back(file.filename().string(), Send(std::move(bytes)));
    }
    return out;
  }

  static std::string Header(const http::Response& r, std::string_view name) {
    for (const auto& [key, value] : r.headers)
      if (key == name) return value;
    return "";
  }

  void CheckClient(const std::string& relative, bool json) {
    fs::path dir = fs::path(RG_SHARED_DIR) / "fixtures/clients" / relative;
    if (!fs::exists(dir)) GTEST_SKIP() << dir << " missing";
    auto responses = Replay(dir);
    ASSERT_FALSE(responses.empty());
    for (const auto& [name, response] : responses) {
      SCOPED_TRACE(relative + "/" + name + ": " + response.body);
      EXPECT_EQ(response.status, 200);
      if (json) {
        EXPECT_EQ(Header(response, "Content-Type"), "application/x-amz-json-1.0");
        auto parsed = parse::ParseJson(response.body, 64);
        ASSERT_TRUE(parsed.ok());
        EXPECT_TRUE(parsed->is_object());
      } else {
        EXPECT_EQ(Header(response, "Content-Type"), "text/xml");
        EXPECT_THAT(response.body,
                    HasSubstr("xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\""));
        EXPECT_TRUE(BalancedXml(response.body));
        EXPECT_THAT(response.body, HasSubstr("<RequestId>"));
      }
      if (name.find("describe-alarms") != std::string::npos) {
        EXPECT_THAT(response.body, HasSubstr("xray-monitoring-abc123-high-error-rate"));
        EXPECT_THAT(response.body, HasSubstr("xray-monitoring-abc123-high-latency"));
        EXPECT_THAT(response.body, HasSubstr("INSUFFICIENT_DATA"));
      }
      if (name.find("get-metric-statistics") != std::string::npos) {
        EXPECT_THAT(response.body, json ? HasSubstr("\"Sum\":3") : HasSubstr("<Sum>3</Sum>"));
      }
      if (name.find("list-metrics") != std::string::npos) {
        EXPECT_THAT(response.body, HasSubstr("ErrorTraces"));
      }
    }
    // delete-alarms and delete-dashboards left nothing behind.
    if (relative.starts_with("awscli")) {
      EXPECT_TRUE(alarms_->ListAlarms("000000000000").empty());
      EXPECT_TRUE(catalog_->List("dashboard", "000000000000")->empty());
    }
  }

  fs::path dir_;
  ManualClock clock_;
  StatsRegistry stats_;
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<metrics::MetricStore> metrics_;
  std::unique_ptr<metrics::AlarmEngine> alarms_;
  std::unique_ptr<ApiRouter> router_;
};

TEST_F(CloudWatchGoldenTest, AwsCliV1Json) { CheckClient("awscli/v1.45.11-pip", true); }
TEST_F(CloudWatchGoldenTest, AwsCliV2Query) { CheckClient("awscli/v2.9.19-debian", false); }
TEST_F(CloudWatchGoldenTest, Boto3PipJson) { CheckClient("boto3/v1.43.11-pip", true); }
TEST_F(CloudWatchGoldenTest, Boto3DebianQuery) { CheckClient("boto3/v1.26.27-debian", false); }
TEST_F(CloudWatchGoldenTest, JsSdkV3Json) { CheckClient("js-sdk-v3", true); }

TEST_F(CloudWatchGoldenTest, ErrorsInEachProtocolsForm) {
  std::string json_head =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: GraniteServiceVersion20100801.GetDashboard\r\n"
      "Content-Type: application/x-amz-json-1.0\r\nx-amzn-query-mode: true\r\n";
  std::string body = R"({"DashboardName":"nope"})";
  http::Response r =
      Send(json_head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Header(r, "x-amzn-query-error"), "ResourceNotFound;Sender");
  EXPECT_THAT(r.body, HasSubstr(R"("__type":"com.amazonaws.cloudwatch#DashboardNotFoundError")"));
  EXPECT_THAT(r.body, HasSubstr(R"("message":"Dashboard nope does not exist")"));

  std::string form = "Action=PutDashboard&Version=2010-08-01&DashboardName=d1&DashboardBody=%7B%7D";
  r = Send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; "
      "charset=utf-8\r\nContent-Length: " +
      std::to_string(form.size()) + "\r\n\r\n" + form);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("<Type>Sender</Type><Code>InvalidParameterInput</Code>"));
  EXPECT_THAT(r.body, HasSubstr("<DataPath>/</DataPath><Message>Should have required property "
                                "'widgets'</Message>"));
  EXPECT_TRUE(BalancedXml(r.body));

  form = "Action=NoSuchThing&Version=2010-08-01";
  r = Send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: " +
      std::to_string(form.size()) + "\r\n\r\n" + form);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("<Code>InvalidAction</Code>"));

  // PutMetricData with a bad unit names the field; JSON protocol.
  json_head =
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
      "GraniteServiceVersion20100801.PutMetricData\r\nContent-Type: "
      "application/x-amz-json-1.0\r\n";
  body =
      R"({"Namespace":"A","MetricData":[{"MetricName":"m","Value":1},{"MetricName":"m","Value":1,"Unit":"Parsecs"}]})";
  r = Send(json_head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "x-amzn-query-error"), "InvalidParameterValue;Sender");
  EXPECT_THAT(r.body, HasSubstr("MetricData.member.2.Unit"));
}

TEST(CloudWatchForm, DecodesAndBuildsTheTree) {
  auto form = internal::DecodeForm(
      "Action=PutMetricData&Namespace=App%2FTest&MetricData.member.2.MetricName=B+C"
      "&MetricData.member.1.MetricName=A&MetricData.member.1.Dimensions.member.1.Name=S"
      "&Empty=");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 6u);
  EXPECT_EQ((*form)[1].second, "App/Test");
  EXPECT_EQ((*form)[2].second, "B C");
  auto tree = internal::FormToTree(*form);
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ(
      parse::SerializeJson(*tree),
      R"({"Empty":"","MetricData":[{"Dimensions":[{"Name":"S"}],"MetricName":"A"},{"MetricName":"B C"}],"Namespace":"App/Test"})");
  EXPECT_FALSE(internal::DecodeForm("a=%G1").ok());
  EXPECT_FALSE(internal::DecodeForm("a=%1").ok());
  // Names and values become JSON strings: ill-formed UTF-8 is refused, raw or %-escaped.
  EXPECT_FALSE(internal::DecodeForm("Metr\351cData=1").ok());  // a lone Latin-1 byte
  EXPECT_FALSE(internal::DecodeForm("a=%FF").ok());
  EXPECT_FALSE(internal::DecodeForm("a=%C0%AF").ok());  // overlong '/'
  ASSERT_TRUE(internal::DecodeForm("a=%C3%A9").ok());   // é
  EXPECT_FALSE(internal::FormToTree({{"A.member.0", "x"}}).ok());
  EXPECT_FALSE(internal::FormToTree({{"A", "x"}, {"A.B", "y"}}).ok());
  EXPECT_EQ(internal::ParseTimestampText("2025-07-12T10:30:00Z"), 1752316200.0);
  EXPECT_EQ(internal::ParseTimestampText("2025-07-12T12:30:00.5+02:00"), 1752316200.5);
  EXPECT_EQ(internal::IsoTimestamp(1752316200.5), "2025-07-12T10:30:00.500Z");
}

}  // namespace
}  // namespace roentgen::api
