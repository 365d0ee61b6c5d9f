// SPDX-License-Identifier: Apache-2.0
// Differential fuzz target: the fuzz input drives a generator of small traces (segments,
// independent subsegments, nesting, dangling and repeated ids, flags, HTTP, annotations of
// all three types, downstream calls, exceptions) and of filter expressions over a small
// vocabulary that makes matches likely. Properties:
//  1. the fast evaluator (summary + detail) and the reference evaluator (raw documents)
//     agree on every expression that compiles;
//  2. the detail survives EncodeTraceDetail/DecodeTraceDetail unchanged;
//  3. a filter that does not need the detail gives the same answer without it;
//  4. on a match, every scan hint holds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "model/trace_detail.h"
#include "query/internal/test_util.h"
#include "query/query.h"
#include "query/reference_evaluator.h"

namespace {

using roentgen::model::Entity;
using roentgen::model::SegmentDocument;

// Reads choices from the fuzz input; yields zeros once it is exhausted.
class Source {
 public:
  Source(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t Next() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Uniform-ish in [0, n).
  uint32_t Below(uint32_t n) { return n == 0 ? 0 : Next() % n; }
  bool Chance(uint32_t percent) { return Below(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(static_cast<uint32_t>(N))];
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

constexpr const char* kNames[] = {
    "frontend", "order-processor", "orders", "api.example.com", "DynamoDB", "SQS", "inventory"};
constexpr const char* kOrigins[] = {
    "", "", "AWS::Lambda", "AWS::Lambda::Function", "AWS::EC2::Instance", "remote"};
constexpr const char* kNamespaces[] = {"", "", "aws", "remote"};
constexpr const char* kStrings[] = {
    "", "a", "alice", "bob", "GET", "POST", "https://x/api", "curl/8", "orders", "e1"};
constexpr const char* kKeys[] = {"k", "operation", "aws.local.env", "n"};
constexpr const char* kExceptionIds[] = {"", "e1", "e2", "e3"};
constexpr int32_t kStatuses[] = {200, 201, 404, 429, 500, 503, 302};
constexpr double kNumbers[] = {0, 0.05, 0.1, 0.5, 1, 1.5, 2, 3, 200, 404, 429, 500, -1};

struct TraceGenerator {
  explicit TraceGenerator(Source* source) : in(source) {}
  Source* in;
  uint64_t next_id = 1;
  std::vector<uint64_t> ids;

  uint64_t NewId() {
    // Now and then reuse an id, to exercise the first-occurrence rules.
    if (!ids.empty() && in->Chance(5)) return ids[in->Below(static_cast<uint32_t>(ids.size()))];
    ids.push_back(next_id);
    return next_id++;
  }
  uint64_t SomeId() { return in->Below(static_cast<uint32_t>(next_id + 3)) + 1; }

  Entity MakeEntity(int depth, bool segment) {
    double start = 100 + in->Below(40) * 0.05;
    std::optional<double> end;
    if (!in->Chance(12)) end = start + in->Below(50) * 0.05;
    Entity entity = roentgen::query::testing::MakeEntity(NewId(), in->Pick(kNames), start, end);
    if (in->Chance(3)) entity.in_progress = true;  // in progress with an end time too
    entity.error = in->Chance(15);
    entity.fault = in->Chance(15);
    entity.throttle = in->Chance(10);
    if (!segment) entity.namespace_name = in->Pick(kNamespaces);
    if (in->Chance(40)) {
      entity.http.emplace();
      if (in->Chance(70)) entity.http->response.emplace().status = in->Pick(kStatuses);
      if (in->Chance(60)) {
        auto& request = entity.http->request.emplace();
        request.method = in->Pick(kStrings);
        request.url = in->Pick(kStrings);
        request.user_agent = in->Pick(kStrings);
        request.client_ip = in->Pick(kStrings);
        request.traced = in->Chance(30);
      }
    }
    if (in->Chance(30)) {
      auto& aws = entity.aws.emplace();
      aws.table_name = in->Chance(50) ? "orders" : "";
      aws.account_id = in->Chance(30) ? "123" : "";
      aws.queue_url = in->Chance(20) ? "https://sqs/1/jobs" : "";
      aws.ec2_instance_id = in->Chance(30) ? "i-1" : "";
      aws.ec2_availability_zone = in->Chance(30) ? "us-east-1a" : "";
    }
    if (segment) {
      entity.origin = in->Pick(kOrigins);
      if (in->Chance(30)) entity.user = in->Pick(kStrings);
      if (in->Chance(20)) entity.resource_arn = "arn:aws:lambda:fn";
    }
    for (uint32_t count = in->Below(3); count > 0; --count) {
      const char* key = in->Pick(kKeys);
      switch (in->Below(3)) {
        case 0:
          roentgen::query::testing::Annotate(&entity, key, std::string(in->Pick(kStrings)));
          break;
        case 1:
          roentgen::query::testing::Annotate(&entity, key, in->Pick(kNumbers));
          break;
        default:
          roentgen::query::testing::Annotate(&entity, key, in->Chance(50));
          break;
      }
    }
    if (in->Chance(20)) {
      auto& cause = entity.cause.emplace();
      if (in->Chance(40)) {
        cause.exception_id = in->Pick(kExceptionIds);
      } else {
        for (uint32_t count = in->Below(3); count > 0; --count) {
          roentgen::model::ExceptionInfo exception;
          exception.id = in->Pick(kExceptionIds);
          exception.type = in->Pick(kStrings);
          exception.message = in->Pick(kStrings);
          exception.remote = in->Chance(30);
          cause.exceptions.push_back(exception);
        }
      }
    }
    if (depth < 3) {
      for (uint32_t count = in->Below(depth == 0 ? 4 : 3); count > 0; --count) {
        entity.subsegments.push_back(MakeEntity(depth + 1, false));
      }
    }
    return entity;
  }

  std::vector<SegmentDocument> Documents() {
    std::vector<SegmentDocument> docs;
    for (uint32_t count = 1 + in->Below(6); count > 0; --count) {
      bool segment = docs.empty() || in->Chance(65);
      Entity entity = MakeEntity(0, segment);
      if (segment) {
        std::optional<uint64_t> parent;
        if (!docs.empty() && in->Chance(65)) parent = SomeId();
        docs.push_back(roentgen::query::testing::MakeSegment(std::move(entity), parent));
      } else {
        docs.push_back(roentgen::query::testing::MakeSubsegment(std::move(entity), SomeId()));
      }
    }
    return docs;
  }
};

struct ExpressionGenerator {
  explicit ExpressionGenerator(Source* source) : in(source) {}
  Source* in;

  std::string Number() {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%g", in->Pick(kNumbers));
    return buffer;
  }
  std::string String() { return "\"" + std::string(in->Pick(kStrings)) + "\""; }
  std::string Name() { return "\"" + std::string(in->Pick(kNames)) + "\""; }
  std::string NumberOp() {
    static constexpr const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    return in->Pick(kOps);
  }
  std::string StringOp() {
    static constexpr const char* kOps[] = {"=", "!=", "CONTAINS", "BEGINSWITH", "ENDSWITH"};
    return in->Pick(kOps);
  }
  std::string BoolForm(const std::string& keyword) {
    switch (in->Below(4)) {
      case 0:
        return keyword;
      case 1:
        return "!" + keyword;
      case 2:
        return keyword + " = " + (in->Chance(50) ? "true" : "false");
      default:
        return keyword + " != " + (in->Chance(50) ? "true" : "false");
    }
  }
  std::string NumberForm(const std::string& keyword) {
    if (in->Chance(10)) return keyword;
    return keyword + " " + NumberOp() + " " + Number();
  }
  std::string StringForm(const std::string& keyword) {
    if (in->Chance(10)) return keyword;
    return keyword + " " + StringOp() + " " + String();
  }

  // A leaf valid in the given scope.
  std::string Leaf(int scope) {
    static constexpr const char* kFlags[] = {"ok", "error", "fault", "throttle", "partial"};
    static constexpr const char* kHttp[] = {"http.url", "http.method", "http.useragent",
                                            "http.clientip"};
    static constexpr const char* kAnySegment[] = {"user", "availabilityzone", "instance.id",
                                                  "resource.arn"};
    switch (scope) {
      case 0:
      case 1:
      case 2: {  // trace, service, edge
        uint32_t choice = in->Below(scope == 2 ? 4 : 6);
        if (choice == 0) return BoolForm(in->Pick(kFlags));
        if (choice == 1) {
          static constexpr const char* kNumberKeywords[] = {"responsetime", "duration",
                                                            "http.status"};
          return NumberForm(in->Pick(kNumberKeywords));
        }
        if (choice == 2) return StringForm(in->Pick(kHttp));
        if (choice == 3) return scope == 1 && in->Chance(50) ? BoolForm("root") : BoolForm("ok");
        if (choice == 4) return StringForm(in->Pick(kAnySegment));
        return BoolForm("inferred");
      }
      case 3:  // rootcause service
        switch (in->Below(5)) {
          case 0:
            return BoolForm(in->Chance(50) ? "first" : "last");
          case 1:
            return NumberForm("index");
          case 2:
            return BoolForm("inferred");
          case 3:
            return "type " + StringOp() + " \"" +
                   std::string(in->Chance(50) ? "AWS::DynamoDB::Table" : "remote") + "\"";
          default:
            return "name " + StringOp() + " " + Name();
        }
      case 4:  // rootcause entity (responsetime adds coverage)
      case 5:
        switch (in->Below(scope == 5 ? 5 : 4)) {
          case 0:
            return BoolForm(in->Chance(50) ? "first" : "last");
          case 1:
            return NumberForm("index");
          case 2:
            return BoolForm("remote");
          case 3:
            return "name " + StringOp() + " " + Name();
          default:
            return "coverage " + NumberOp() + " " + (in->Chance(50) ? "0.5" : "1");
        }
      default:  // rootcause exception
        switch (in->Below(3)) {
          case 0:
            return BoolForm(in->Chance(50) ? "first" : "last");
          case 1:
            return "name " + StringOp() + " " + String();
          default:
            return "message " + StringOp() + " " + String();
        }
    }
  }

  std::string NodeRef() {
    switch (in->Below(4)) {
      case 0:
        return Name();
      case 1:
        return "id(type: \"" + std::string(in->Pick(kOrigins)) + "\")";
      case 2:
        return "id(name: " + Name() + ", type: \"" +
               std::string(in->Chance(50) ? "client" : "AWS::DynamoDB::Table") + "\")";
      default:
        return "id(name: " + Name() + (in->Chance(30) ? ", account.id: \"123\"" : "") + ")";
    }
  }

  std::string Block(int scope, int depth) {
    if (in->Chance(30)) return "";
    return " { " + Expression(scope, depth + 1) + " }";
  }

  std::string Complex(int depth) {
    switch (in->Below(7)) {
      case 0: {
        std::string key = in->Pick(kKeys);
        std::string annotation = key.find('.') != std::string::npos || in->Chance(50)
                                     ? "annotation[" + key + "]"
                                     : "annotation." + key;
        switch (in->Below(5)) {
          case 0:
            return (in->Chance(50) ? "!" : "") + annotation;
          case 1:
            return annotation + " " + StringOp() + " " + String();
          case 2:
            return annotation + " " + NumberOp() + " " + Number();
          default:
            return annotation + (in->Chance(50) ? " = " : " != ") +
                   (in->Chance(50) ? "true" : "false");
        }
      }
      case 1:
        return "service(" + (in->Chance(15) ? std::string() : NodeRef()) + ")" + Block(1, depth);
      case 2:
        return "edge(" + NodeRef() + ", " + NodeRef() + ")" + Block(2, depth);
      case 3:
        return std::string(in->Chance(50) ? "group.name = \"g1\"" : "group.arn = \"arn:g2\"");
      case 4: {
        static constexpr const char* kKinds[] = {"fault", "error", "responsetime"};
        std::string kind = in->Pick(kKinds);
        uint32_t element = in->Below(kind == "responsetime" ? 2 : 3);
        static constexpr const char* kElements[] = {"service", "entity", "exception"};
        int scope = element == 0 ? 3 : element == 2 ? 6 : (kind == "responsetime" ? 5 : 4);
        return "rootcause." + kind + "." + kElements[element] + Block(scope, depth);
      }
      case 5: {
        static constexpr const char* kPatterns[] = {
            R"([{"Services": [{"Name": "frontend"}]}])",
            R"([{"ClientImpacting": true}])",
            R"([{"Services": [{"Name": "frontend", "EntityPath": [{"Name": "frontend"}]}, {"Inferred": true, "Type": "AWS::DynamoDB::Table"}]}])",
            R"([{"Services": [{"Type": null}, {"Name": "orders", "Names": ["orders"]}]}])",
            R"([{"Services": [{"EntityPath": [{"Coverage": 1, "Remote": false}]}]}])",
            R"([{"Services": [{"EntityPath": [{"Exceptions": [{"Name": "a"}]}]}]}, {}])",
        };
        return std::string("rootcause.json = #") + in->Pick(kPatterns);
      }
      default:
        return Leaf(0);
    }
  }

  std::string Expression(int scope, int depth) {
    uint32_t choice = depth >= 3 ? 0 : in->Below(6);
    switch (choice) {
      case 1:
        return Expression(scope, depth + 1) + " AND " + Expression(scope, depth + 1);
      case 2:
        return Expression(scope, depth + 1) + " OR " + Expression(scope, depth + 1);
      case 3:
        return Expression(scope, depth + 1) + " " + Expression(scope, depth + 1);  // implicit AND
      case 4:
        return (in->Chance(50) ? "!(" : "NOT (") + Expression(scope, depth + 1) + ")";
      case 5:
        return "(" + Expression(scope, depth + 1) + ")";
      default:
        return scope == 0 && in->Chance(60) ? Complex(depth) : Leaf(scope);
    }
  }
};

}  // namespace

#define FUZZ_CHECK(cond, expression)                                                           \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: property failed: %s\nexpression: %s\n", __FILE__, __LINE__, \
                   #cond, std::string(expression).c_str());                                    \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Source in(data, size);
  TraceGenerator traces(&in);
  auto trace = roentgen::query::testing::MakeTrace(traces.Documents());

  std::string encoded;
  roentgen::model::EncodeTraceDetail(trace.detail, &encoded);
  auto decoded = roentgen::model::DecodeTraceDetail(encoded);
  FUZZ_CHECK(decoded.ok() && *decoded == trace.detail, "(detail round trip)");

  std::vector<roentgen::query::GroupMembership> groups;
  if (in.Chance(50)) groups.push_back({"g1", "arn:g1"});
  if (in.Chance(50)) groups.push_back({"g2", "arn:g2"});
  roentgen::query::EvalContext context{groups};

  ExpressionGenerator expressions(&in);
  for (int round = 0; round < 4; ++round) {
    std::string expression = expressions.Expression(0, 0);
    auto filter = roentgen::query::Compile(expression);
    if (!filter.ok()) {
      std::fprintf(stderr, "generated expression does not compile: %s\n%s\n", expression.c_str(),
                   filter.error().ToString().c_str());
      std::abort();
    }
    bool fast = filter->Matches(trace.summary, *decoded, context);
    bool reference = roentgen::query::ReferenceMatches(*filter, trace.documents, context);
    FUZZ_CHECK(fast == reference, expression);
    if (!filter->needs_detail()) {
      FUZZ_CHECK(fast == filter->Matches(trace.summary, roentgen::model::TraceDetail{}, context),
                 expression);
    }
    if (fast) FUZZ_CHECK(roentgen::query::testing::HintsHold(*filter, trace), expression);
    // Exact hints decide the match alone (scans then skip the summary and the detail).
    if (filter->hints().exact) {
      FUZZ_CHECK(fast == roentgen::query::testing::HintsHold(*filter, trace), expression);
    }
  }
  return 0;
}
