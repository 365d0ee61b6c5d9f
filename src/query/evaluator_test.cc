// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "query/internal/test_util.h"
#include "query/query.h"
#include "query/reference_evaluator.h"

namespace roentgen::query {
namespace {

using testing::Annotate;
using testing::MakeEntity;
using testing::MakeSegment;
using testing::MakeSubsegment;
using testing::MakeTrace;
using testing::SetRequest;
using testing::SetStatus;
using testing::Trace;

// Evaluates with both evaluators, checks they agree and that the hints hold on a match.
bool Eval(std::string_view expression, const Trace& trace, const EvalContext& context = {}) {
  auto filter = Compile(expression);
  EXPECT_TRUE(filter.ok()) << expression << ": " << filter.error().ToString();
  if (!filter.ok()) return false;
  bool fast = filter->Matches(trace.summary, trace.detail, context);
  bool reference = ReferenceMatches(*filter, trace.documents, context);
  EXPECT_EQ(fast, reference) << "evaluators disagree on " << expression;
  if (fast) {
    EXPECT_TRUE(testing::HintsHold(*filter, trace)) << expression;
  }
  if (filter->hints().exact) {
    EXPECT_EQ(fast, testing::HintsHold(*filter, trace)) << "exact hints differ on " << expression;
  }
  if (!filter->needs_detail()) {
    EXPECT_EQ(fast, filter->Matches(trace.summary, model::TraceDetail{}, context)) << expression;
  }
  return fast;
}

// The root (frontend, 0.3 s) calls order-processor over HTTP, which keeps working for 2 s
// after the root answered (the "slow downstream, fast root" trap) and faults.
Trace AsyncSlowDownstream() {
  std::vector<model::SegmentDocument> docs;
  auto root = MakeEntity(1, "frontend", 100.0, 100.3);
  SetRequest(&root, "POST", "https://shop.example.com/api/orders", "curl/8.0", "10.0.0.1");
  SetStatus(&root, 202);
  root.user = "alice";
  Annotate(&root, "operation", std::string("create_order"));
  auto call = MakeEntity(2, "order-processor", 100.1, 100.2);
  call.namespace_name = "remote";
  call.http.emplace().request.emplace().traced = true;
  root.subsegments.push_back(call);
  docs.push_back(MakeSegment(root));
  auto processor = MakeEntity(3, "order-processor", 100.15, 102.15);
  processor.fault = true;
  SetStatus(&processor, 500);
  Annotate(&processor, "attempt", 3.0);
  Annotate(&processor, "retried", true);
  docs.push_back(MakeSegment(processor, 2));
  return MakeTrace(std::move(docs));
}

// order-processor is the slow root (1.5 s) and fine.
Trace SlowRoot() {
  std::vector<model::SegmentDocument> docs;
  auto root = MakeEntity(1, "order-processor", 10.0, 11.5);
  SetStatus(&root, 200);
  root.user = "bob";
  auto table = MakeEntity(2, "DynamoDB", 10.1, 11.4);
  table.namespace_name = "aws";
  table.aws.emplace().table_name = "orders";
  table.throttle = true;
  table.error = true;
  SetStatus(&table, 429);
  root.subsegments.push_back(table);
  docs.push_back(MakeSegment(root));
  return MakeTrace(std::move(docs));
}

TEST(Evaluator, TraceLevelKeywordsDescribeTheRoot) {
  Trace trace = AsyncSlowDownstream();
  EXPECT_TRUE(Eval("ok", trace));
  EXPECT_FALSE(Eval("fault", trace));  // the downstream fault was handled
  EXPECT_FALSE(Eval("error OR fault", trace));
  EXPECT_TRUE(Eval("responsetime < 0.31 AND responsetime > 0.29", trace));
  EXPECT_TRUE(Eval("duration >= 2.15 AND duration <= 2.15", trace));
  EXPECT_TRUE(Eval("http.status = 202 AND http.method = \"POST\"", trace));
  EXPECT_TRUE(
      Eval("http.url BEGINSWITH \"https://shop\" AND http.url ENDSWITH \"/orders\"", trace));
  EXPECT_TRUE(Eval("http.useragent CONTAINS \"curl\" http.clientip = \"10.0.0.1\"", trace));
  EXPECT_TRUE(Eval("user = \"alice\"", trace));
  EXPECT_FALSE(Eval("user = \"Alice\"", trace));  // values are case-sensitive
  EXPECT_TRUE(Eval("user CONTAINS \"\"", trace));
  EXPECT_FALSE(Eval("partial", trace));
  EXPECT_FALSE(Eval("inferred", trace));  // the traced call was answered by a real segment
  EXPECT_FALSE(Eval("throttle", trace));
}

TEST(Evaluator, ServiceBlocksTestThatServicesSegments) {
  Trace async = AsyncSlowDownstream();
  Trace slow_root = SlowRoot();
  // The trap: responsetime outside the braces is the root's.
  EXPECT_FALSE(Eval("service(\"order-processor\") AND responsetime > 1", async));
  EXPECT_TRUE(Eval("service(\"order-processor\") { responsetime > 1 }", async));
  EXPECT_TRUE(Eval("service(\"order-processor\") AND responsetime > 1", slow_root));
  EXPECT_TRUE(Eval("service(\"order-processor\") { responsetime > 1 }", slow_root));
  EXPECT_TRUE(Eval("service(\"order-processor\") { fault AND responsetime > 1 }", async));
  EXPECT_FALSE(Eval("service(\"order-processor\") { fault AND responsetime > 1 }", slow_root));
  EXPECT_TRUE(Eval("service() { fault }", async));
  EXPECT_FALSE(Eval("service(\"frontend\") { fault }", async));
  EXPECT_TRUE(Eval("service(\"frontend\") { root AND ok }", async));
  EXPECT_FALSE(Eval("service(\"order-processor\") { root }", async));
  EXPECT_TRUE(Eval("!service(\"cart\")", async));
  // The DynamoDB call in slow_root is an inferred node named after its table.
  EXPECT_TRUE(Eval("inferred", slow_root));
  EXPECT_TRUE(Eval("service(\"orders\")", slow_root));
  EXPECT_FALSE(Eval("service(\"DynamoDB\")", slow_root));
  EXPECT_TRUE(
      Eval("service(id(type: \"AWS::DynamoDB::Table\")) { throttle AND error }", slow_root));
  EXPECT_TRUE(Eval("throttle", slow_root));  // any document's throttle counts
  EXPECT_TRUE(Eval("ok", slow_root));        // but the root answered 200
  // Client nodes answer only to an explicit type.
  EXPECT_TRUE(Eval("service(id(name: \"order-processor\", type: \"client\"))", slow_root));
  EXPECT_FALSE(Eval("service(id(name: \"client\"))", slow_root));
}

TEST(Evaluator, EdgesUseTheCallersView) {
  Trace async = AsyncSlowDownstream();
  EXPECT_TRUE(Eval("edge(\"frontend\", \"order-processor\")", async));
  EXPECT_FALSE(Eval("edge(\"order-processor\", \"frontend\")", async));
  // The caller's subsegment took 0.1 s and saw no fault.
  EXPECT_TRUE(Eval("edge(\"frontend\", \"order-processor\") { responsetime < 0.2 AND ok }", async));
  EXPECT_FALSE(Eval("edge(\"frontend\", \"order-processor\") { fault }", async));
  EXPECT_TRUE(Eval("edge(id(type: \"client\"), \"frontend\") { http.status = 202 }", async));
  Trace slow_root = SlowRoot();
  EXPECT_TRUE(
      Eval("edge(\"order-processor\", id(name: \"orders\", type: \"AWS::DynamoDB::Table\")) "
           "{ throttle }",
           slow_root));
}

TEST(Evaluator, AnnotationsAreDynamicallyTyped) {
  Trace trace = AsyncSlowDownstream();
  EXPECT_TRUE(Eval("annotation.operation = \"create_order\"", trace));
  EXPECT_TRUE(
      Eval("service(\"order-processor\") AND annotation.operation = \"create_order\"", trace));
  EXPECT_TRUE(Eval("annotation.attempt >= 3", trace));
  EXPECT_FALSE(Eval("annotation.attempt = \"3\"", trace));  // a string never equals a number
  EXPECT_TRUE(Eval("annotation.retried", trace));
  EXPECT_TRUE(Eval("annotation.retried = true", trace));
  EXPECT_FALSE(Eval("annotation.retried = false", trace));
  EXPECT_FALSE(Eval("annotation.missing", trace));
  EXPECT_TRUE(Eval("!annotation.missing", trace));
  EXPECT_FALSE(Eval("annotation.missing != 1", trace));
  EXPECT_TRUE(Eval("annotation[operation] CONTAINS \"order\"", trace));
}

TEST(Evaluator, RootCauses) {
  Trace async = AsyncSlowDownstream();
  // The fault sits in order-processor; the root did not fault, so it is not client-impacting.
  EXPECT_TRUE(Eval("rootcause.fault.service { last AND name = \"order-processor\" }", async));
  EXPECT_TRUE(
      Eval("rootcause.fault.service { first AND name = \"frontend\" AND index = 0 }", async));
  EXPECT_TRUE(Eval("rootcause.fault.entity { last AND name = \"order-processor\" }", async));
  EXPECT_FALSE(Eval("rootcause.error.service", async));
  EXPECT_TRUE(
      Eval("rootcause.json = #[{\"ClientImpacting\": false, \"Services\": [{\"Name\": "
           "\"frontend\"}, {\"Name\": \"order-processor\", \"EntityPath\": [{\"Name\": "
           "\"order-processor\"}]}]}]",
           async));
  EXPECT_FALSE(
      Eval("rootcause.json = #[{\"Services\": [{\"Name\": \"order-processor\"}]}]", async));
  Trace slow_root = SlowRoot();
  EXPECT_TRUE(Eval("rootcause.responsetime.service { last AND type = \"AWS::DynamoDB::Table\" }",
                   slow_root));
  EXPECT_TRUE(
      Eval("rootcause.responsetime.entity { remote AND coverage > 0.8 AND name = "
           "\"DynamoDB\" }",
           slow_root));
  EXPECT_TRUE(Eval("rootcause.error.service { inferred AND name = \"orders\" }", slow_root));
}

TEST(Evaluator, Groups) {
  Trace trace = SlowRoot();
  std::vector<GroupMembership> groups = {{"slow", "arn:aws:xray:us-east-1:1:group/slow/A"}};
  EvalContext context{groups};
  EXPECT_TRUE(Eval("group.name = \"slow\"", trace, context));
  EXPECT_FALSE(Eval("group.name = \"Slow\"", trace, context));
  EXPECT_TRUE(Eval("group.arn = \"arn:aws:xray:us-east-1:1:group/slow/A\"", trace, context));
  EXPECT_FALSE(Eval("group.name = \"slow\"", trace));
  auto filter = Compile("ok AND group.name = \"slow\" OR group.arn = \"b\"");
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(filter->needs_groups());
  ASSERT_EQ(filter->referenced_groups().size(), 2u);
  EXPECT_EQ(filter->referenced_groups()[0], (GroupReference{GroupKey::kName, "slow", 8}));
  EXPECT_EQ(filter->referenced_groups()[1], (GroupReference{GroupKey::kArn, "b", 31}));
}

TEST(Evaluator, GroupReferencesExpandToTheGroupsOwnFilter) {
  Trace trace = SlowRoot();
  const std::map<std::string, std::string> filters = {
      {"slow", "responsetime > 1"},
      {"fast", "responsetime < 0.01"},
      {"slow-or-fast", "group.name = \"slow\" OR group.name = \"fast\""},
      {"a", "group.name = \"b\""},
      {"b", "group.arn = \"arn:a\""},
      {"broken", "responsetime >"}};
  CompileOptions options;
  options.group_definition = [&](GroupKey key,
                                 std::string_view value) -> std::optional<GroupDefinition> {
    std::string name(value);
    if (key == GroupKey::kArn) {
      if (!value.starts_with("arn:")) return std::nullopt;
      name = std::string(value.substr(4));
    }
    auto found = filters.find(name);
    if (found == filters.end()) return std::nullopt;
    return GroupDefinition{found->first, found->second};
  };
  auto eval = [&](std::string_view expression) {
    auto filter = Compile(expression, options);
    EXPECT_TRUE(filter.ok()) << expression << ": " << filter.error().ToString();
    if (!filter.ok()) return false;
    EXPECT_FALSE(filter->needs_groups()) << expression;
    bool fast = filter->Matches(trace.summary, trace.detail);
    EXPECT_EQ(fast, ReferenceMatches(*filter, trace.documents, {})) << expression;
    return fast;
  };
  ASSERT_TRUE(Eval("responsetime > 1", trace));
  EXPECT_TRUE(eval("group.name = \"slow\""));
  EXPECT_FALSE(eval("group.name = \"fast\""));
  EXPECT_TRUE(eval("group.arn = \"arn:slow\" AND NOT group.name = \"fast\""));
  EXPECT_TRUE(eval("group.name = \"slow-or-fast\""));
  // The referenced filter is a whole operand: `x AND group` keeps the group's OR together.
  EXPECT_FALSE(eval("responsetime < 0 AND group.name = \"slow-or-fast\""));

  auto unknown = Compile("ok AND group.name = \"nope\"", options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "filter: unknown group \"nope\" at column 21");
  auto cycle = Compile("group.name = \"a\"", options);
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.error().message().find("refers to itself"), std::string_view::npos)
      << cycle.error().message();
  CompileOptions defining = options;
  defining.defining_group = "slow";
  auto self = Compile("group.name = \"slow-or-fast\"", defining);
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message().find("group \"slow\" refers to itself"), std::string_view::npos)
      << self.error().message();
  auto broken = Compile("group.name = \"broken\"", options);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().message(),
            "filter: the filter of group \"broken\" does not compile (expected a value after "
            "\">\" at column 15) at column 14");
  CompileOptions few = options;
  few.max_group_expansions = 2;
  EXPECT_FALSE(Compile("group.name = \"slow-or-fast\" AND group.name = \"slow\"", few).ok());
}

TEST(Evaluator, PartialTraces) {
  std::vector<model::SegmentDocument> docs;
  docs.push_back(MakeSegment(MakeEntity(1, "svc", 5.0, std::nullopt)));
  docs.push_back(MakeSubsegment(MakeEntity(2, "work", 5.5, 7.0), 1));
  Trace trace = MakeTrace(std::move(docs));
  EXPECT_TRUE(Eval("partial", trace));
  EXPECT_FALSE(Eval("responsetime", trace));  // the root is still open
  EXPECT_FALSE(Eval("responsetime >= 0", trace));
  EXPECT_TRUE(Eval("service(\"svc\") { partial AND duration = 2 }", trace));
  EXPECT_TRUE(Eval("ok", trace));
}

TEST(Evaluator, FlagsAndHints) {
  auto summary_only = Compile("responsetime > 1 AND duration < 5 AND annotation.k = 1 AND fault");
  ASSERT_TRUE(summary_only.ok());
  EXPECT_FALSE(summary_only->needs_detail());
  EXPECT_FALSE(summary_only->needs_groups());
  const ScanHints& hints = summary_only->hints();
  ASSERT_TRUE(hints.response_time.has_value());
  EXPECT_EQ(*hints.response_time,
            (NumberRange{1, std::numeric_limits<double>::infinity(), false, true}));
  ASSERT_TRUE(hints.duration.has_value());
  EXPECT_EQ(hints.duration->max, 5);
  EXPECT_FALSE(hints.duration->max_inclusive);
  EXPECT_EQ(hints.annotation_keys, std::vector<std::string>{"k"});

  auto with_detail =
      Compile("service(\"a\") { fault } AND (responsetime > 1 AND responsetime <= 3)");
  ASSERT_TRUE(with_detail.ok());
  EXPECT_TRUE(with_detail->needs_detail());
  EXPECT_EQ(with_detail->hints().service_names, std::vector<std::string>{"a"});
  EXPECT_EQ(*with_detail->hints().response_time, (NumberRange{1, 3, false, true}));

  auto disjunction = Compile("responsetime > 1 OR service(\"a\")");
  ASSERT_TRUE(disjunction.ok());
  EXPECT_FALSE(disjunction->hints().response_time.has_value());
  EXPECT_TRUE(disjunction->hints().service_names.empty());
  EXPECT_FALSE(disjunction->hints().exact);

  // Exact: a conjunction of responsetime ranges, name-only services and annotation equality.
  for (std::string_view expression :
       {"", "responsetime > 1", "service(\"order-processor\") AND responsetime > 1",
        "annotation.operation = \"create_order\" responsetime <= 2",
        "(service(\"a\") AND annotation[x.y] = 3) AND annotation.b = true", "responsetime"}) {
    auto filter = Compile(expression);
    ASSERT_TRUE(filter.ok()) << expression;
    EXPECT_TRUE(filter->hints().exact) << expression;
  }
  for (std::string_view expression :
       {"ok", "duration > 1", "service(\"a\") { fault }",
        "service(id(name: \"a\", type: \"AWS::Lambda\"))", "annotation.k != 1", "annotation.k",
        "NOT responsetime > 1", "responsetime != 1", "ok AND service(\"a\")",
        "fault AND fault = false", "NOT fault", "responsetime > 1 OR responsetime < 0.5"}) {
    auto filter = Compile(expression);
    ASSERT_TRUE(filter.ok()) << expression;
    EXPECT_FALSE(filter->hints().exact) << expression;
  }
  auto annotations =
      Compile("annotation.s = \"x\" AND annotation.n = 2.5 AND annotation.b = false");
  ASSERT_TRUE(annotations.ok());
  ASSERT_EQ(annotations->hints().annotation_equals.size(), 3u);
  EXPECT_EQ(annotations->hints().annotation_equals[0].value.string_value, "x");
  EXPECT_EQ(annotations->hints().annotation_equals[1].value.number_value, 2.5);
  EXPECT_EQ(annotations->hints().annotation_equals[2].value.type, model::AnnotationType::kBool);

  EXPECT_TRUE(Compile("ok")->needs_detail());
  EXPECT_TRUE(Compile("inferred")->needs_detail());
  EXPECT_TRUE(Compile("")->matches_everything());
  EXPECT_TRUE(Filter().matches_everything());
  EXPECT_EQ(Compile("  fault ")->expression(), "  fault ");
}

TEST(Evaluator, FiltersAreSafeToShareAcrossThreads) {
  Trace async = AsyncSlowDownstream();
  Trace slow = SlowRoot();
  auto filter = Compile("service(\"order-processor\") { responsetime > 1 } AND annotation.attempt");
  ASSERT_TRUE(filter.ok());
  std::vector<std::thread> threads;
  std::vector<int> matches(4, 0);
  for (size_t thread_idx = 0; thread_idx < matches.size(); ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      for (int round = 0; round < 1000; ++round) {
        matches[thread_idx] += filter->Matches(async.summary, async.detail) ? 1 : 0;
        matches[thread_idx] += filter->Matches(slow.summary, slow.detail) ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int count : matches) EXPECT_EQ(count, 1000);
}

}  // namespace
}  // namespace roentgen::query
