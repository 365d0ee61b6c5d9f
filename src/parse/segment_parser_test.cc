// SPDX-License-Identifier: Apache-2.0
#include "parse/segment_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "parse/daemon_datagram.h"
#include "parse/internal/ids.h"
#include "parse/internal/name_rules.h"
#include "parse/internal/test_fixtures.h"

// This thread's heap allocations, counted by the replacement allocation functions below (for
// ValidationAllocatesNothing). They replace every non-aligned form, so that each pairs with
// its own deallocation (sanitizers check that), and affect the whole test binary, harmlessly.
// Out of line: GCC warns about free() on "new" memory where it inlines them.
thread_local size_t g_allocations = 0;

namespace {
void* CountedAllocate(size_t size) noexcept {
  ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

[[gnu::noinline]] void* operator new(size_t size) {
  if (void* memory = CountedAllocate(size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](size_t size) {
  if (void* memory = CountedAllocate(size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return CountedAllocate(size);
}
[[gnu::noinline]] void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return CountedAllocate(size);
}
[[gnu::noinline]] void operator delete(void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, size_t) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete[](void* memory, size_t) noexcept { std::free(memory); }
[[gnu::noinline]] void operator delete(void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}
[[gnu::noinline]] void operator delete[](void* memory, const std::nothrow_t&) noexcept {
  std::free(memory);
}

namespace roentgen::parse {
namespace {

using model::AnnotationType;
using model::DocumentKind;
using model::SegmentDocument;
using model::SegmentId;

const std::filesystem::path kClients = internal::ClientFixturesDir(RG_SHARED_DIR);

// The header ValidateSegmentDocument must return for a document ParseSegmentDocument built.
DocumentHeader HeaderOf(const SegmentDocument& document) {
  DocumentHeader header;
  header.kind = document.kind;
  header.trace_id = document.trace_id;
  header.id = document.entity.id;
  header.parent_id = document.parent_id;
  header.start_time = document.entity.start_time;
  header.end_time = document.entity.end_time;
  header.in_progress = document.entity.in_progress;
  return header;
}

void ExpectSameFailure(const ParseFailure& validated, const ParseFailure& parsed) {
  EXPECT_EQ(validated.error_code, parsed.error_code);
  EXPECT_EQ(validated.message, parsed.message);
  EXPECT_EQ(validated.id, parsed.id);
}

// Both MustParse and MustFail also run ValidateSegmentDocument and check that it agrees with
// ParseSegmentDocument: the same outcome, the same failure, the header of the same model.
SegmentDocument MustParse(std::string_view json, const ParseLimits& limits = {}) {
  ParseFailure failure;
  auto parsed = ParseSegmentDocument(json, limits, &failure);
  EXPECT_TRUE(parsed.ok()) << failure.error_code << ": " << failure.message << "\n" << json;
  ParseFailure validate_failure;
  auto validated = ValidateSegmentDocument(json, limits, &validate_failure);
  EXPECT_EQ(validated.ok(), parsed.ok()) << validate_failure.message << "\n" << json;
  if (parsed.ok() && validated.ok()) {
    EXPECT_EQ(*validated, HeaderOf(*parsed)) << json;
  }
  return parsed.ok() ? *parsed : SegmentDocument();
}

ParseFailure MustFail(std::string_view json, const ParseLimits& limits = {}) {
  ParseFailure failure;
  auto parsed = ParseSegmentDocument(json, limits, &failure);
  EXPECT_FALSE(parsed.ok()) << json;
  if (!parsed.ok()) {
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message(), failure.message);
  }
  ParseFailure validate_failure;
  auto validated = ValidateSegmentDocument(json, limits, &validate_failure);
  EXPECT_FALSE(validated.ok()) << json;
  if (!validated.ok() && !parsed.ok()) {
    EXPECT_EQ(validated.error(), parsed.error());
    ExpectSameFailure(validate_failure, failure);
  }
  return failure;
}

// ParseDocumentList and ValidateDocumentList agree on `json`: the same whole failure, or the
// same elements with the same outcomes. Returns the parsed list.
Result<std::vector<DocumentListEntry>> ListBoth(std::string_view json,
                                                const ParseLimits& limits = {},
                                                ParseFailure* failure = nullptr) {
  ParseFailure parse_failure;
  auto parsed = ParseDocumentList(json, limits, &parse_failure);
  ParseFailure validate_failure;
  auto validated = ValidateDocumentList(json, limits, &validate_failure);
  EXPECT_EQ(validated.ok(), parsed.ok()) << json;
  if (parsed.ok() && validated.ok()) {
    EXPECT_EQ(validated->size(), parsed->size());
    for (size_t idx = 0; idx < std::min(parsed->size(), validated->size()); ++idx) {
      SCOPED_TRACE(idx);
      const DocumentListEntry& full = (*parsed)[idx];
      const ValidatedListEntry& checked = (*validated)[idx];
      EXPECT_EQ(checked.raw.data(), full.raw.data());
      EXPECT_EQ(checked.raw.size(), full.raw.size());
      EXPECT_EQ(checked.header.has_value(), full.document.has_value());
      if (checked.header && full.document) {
        EXPECT_EQ(*checked.header, HeaderOf(*full.document));
      }
      if (!checked.header && !full.document) {
        ExpectSameFailure(checked.failure, full.failure);
      }
    }
  } else if (!parsed.ok() && !validated.ok()) {
    EXPECT_EQ(validated.error(), parsed.error());
    ExpectSameFailure(validate_failure, parse_failure);
  }
  if (failure != nullptr) *failure = parse_failure;
  return parsed;
}

std::string FixtureBody(const std::string& relative) {
  const std::filesystem::path path = kClients / relative;
  if (!std::filesystem::exists(path)) return std::string();
  return internal::DatagramBody(internal::ReadFileBytes(path));
}

#define SKIP_WITHOUT_FIXTURES()                                                  \
  do {                                                                           \
    if (!std::filesystem::is_directory(kClients)) GTEST_SKIP() << "no fixtures"; \
  } while (false)

constexpr std::string_view kTraceId = "1-581cf771-a006649127e371903a2de979";

// A minimal valid segment with `extra` members spliced in front.
std::string Segment(std::string_view extra = "") {
  std::string json = "{";
  json.append(extra);
  if (!extra.empty()) json.append(",");
  json.append(R"("name":"example.com","id":"70de5b6f19ff9a0a","start_time":1.478293361271E9,)"
              R"("trace_id":"1-581cf771-a006649127e371903a2de979","end_time":1.478293361449E9})");
  return json;
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

TEST(SegmentParserFixtures, EveryUdpFixtureParses) {
  SKIP_WITHOUT_FIXTURES();
  const auto paths = internal::FindFixtures(kClients, "", ".udp");
  ASSERT_GE(paths.size(), 20u);
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    const std::string datagram = internal::ReadFileBytes(path);
    DatagramDropReason reason;
    auto body = SplitDaemonDatagram(datagram, &reason);
    ASSERT_TRUE(body.ok()) << body.error().ToString();
    EXPECT_EQ(reason, DatagramDropReason::kNone);
    SegmentDocument document = MustParse(*body);
    EXPECT_FALSE(document.entity.name.empty());
    const bool independent = path.filename().string().find("subsegment") != std::string::npos;
    EXPECT_EQ(document.kind, independent ? DocumentKind::kSubsegment : DocumentKind::kSegment);

    // The header fast path agrees with the full parse.
    ParseFailure failure;
    auto header = ParseDocumentHeader(*body, ParseLimits(), &failure);
    ASSERT_TRUE(header.ok()) << failure.message;
    EXPECT_EQ(header->kind, document.kind);
    EXPECT_EQ(header->trace_id, document.trace_id);
    EXPECT_EQ(header->id, document.entity.id);
    EXPECT_EQ(header->parent_id, document.parent_id);
    EXPECT_EQ(header->start_time, document.entity.start_time);
    EXPECT_EQ(header->end_time, document.entity.end_time);
    EXPECT_EQ(header->in_progress, document.entity.in_progress);
  }
}

TEST(SegmentParserFixtures, EveryPutTraceSegmentsDocumentParses) {
  SKIP_WITHOUT_FIXTURES();
  const auto paths = internal::FindFixtures(kClients, "put-trace-segments", ".http");
  ASSERT_GE(paths.size(), 5u);
  size_t documents = 0;
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    for (const std::string& json :
         internal::PutTraceSegmentsDocuments(internal::ReadFileBytes(path))) {
      SegmentDocument document = MustParse(json);
      EXPECT_EQ(document.entity.name, "order-processor");
      EXPECT_EQ(document.kind, DocumentKind::kSegment);
      auto list = ListBoth(json, ParseLimits());
      ASSERT_TRUE(list.ok());
      ASSERT_EQ(list->size(), 1u);
      EXPECT_EQ((*list)[0].raw, json);
      ASSERT_TRUE((*list)[0].document.has_value());
      EXPECT_EQ(*(*list)[0].document, document);
      ++documents;
    }
  }
  EXPECT_GE(documents, 7u);
}

TEST(SegmentParserFixtures, AwsCliInProgressDocument) {
  SKIP_WITHOUT_FIXTURES();
  const auto documents = internal::PutTraceSegmentsDocuments(
      internal::ReadFileBytes(kClients / "awscli/v2.9.19-debian/16-xray-put-trace-segments.http"));
  ASSERT_EQ(documents.size(), 2u);
  SegmentDocument complete = MustParse(documents[0]);
  EXPECT_EQ(complete.entity.http->request->method, "POST");
  EXPECT_EQ(complete.entity.http->request->url, "https://api.example.com/orders");
  EXPECT_EQ(complete.entity.http->response->status, 200);
  ASSERT_EQ(complete.entity.annotations.size(), 1u);
  EXPECT_EQ(complete.entity.annotations[0].key, "operation");
  SegmentDocument open = MustParse(documents[1]);
  EXPECT_TRUE(open.entity.in_progress);
  EXPECT_FALSE(open.entity.end_time.has_value());
  EXPECT_EQ(open.entity.start_time, 1752314401.0);
  EXPECT_EQ(open.trace_id.ToString(), "1-68723220-89abcdef0123456701234567");
}

TEST(SegmentParserFixtures, NodeSegmentWithFaultAndStack) {
  SKIP_WITHOUT_FIXTURES();
  const SegmentDocument document =
      MustParse(FixtureBody("xray-sdk-node/06-segment-order-processor.udp"));
  const model::Entity& segment = document.entity;
  EXPECT_EQ(document.kind, DocumentKind::kSegment);
  EXPECT_EQ(document.trace_id.ToString(), "1-6b0520ba-8da5688b8675a9f9055cc261");
  EXPECT_FALSE(document.parent_id.has_value());
  EXPECT_EQ(segment.id.ToString(), "65bd5c3b16aec733");
  EXPECT_EQ(segment.name, "order-processor");
  EXPECT_DOUBLE_EQ(segment.start_time, 1795498169.668);
  EXPECT_DOUBLE_EQ(*segment.end_time, 1795498169.686);
  EXPECT_FALSE(segment.in_progress);
  EXPECT_EQ(segment.user, "customer-1");
  EXPECT_EQ(segment.service_version, "unknown");
  EXPECT_TRUE(segment.has_metadata);
  EXPECT_FALSE(segment.fault);
  ASSERT_TRUE(segment.http && segment.http->request && segment.http->response);
  EXPECT_EQ(segment.http->request->method, "POST");
  EXPECT_EQ(segment.http->request->client_ip, "127.0.0.1");
  EXPECT_EQ(segment.http->request->user_agent, "");
  EXPECT_EQ(segment.http->request->url, "http://127.0.0.1:36319/orders");
  EXPECT_EQ(segment.http->response->status, 200);
  EXPECT_FALSE(segment.http->response->content_length.has_value());
  ASSERT_TRUE(segment.aws);
  EXPECT_EQ(segment.aws->xray_sdk, "X-Ray for Node.js");
  EXPECT_EQ(segment.aws->xray_sdk_version, "3.12.0");
  EXPECT_EQ(segment.aws->xray_sampling_rule_name, "error-traces");
  ASSERT_EQ(segment.annotations.size(), 4u);
  EXPECT_EQ(segment.annotations[2].key, "quantity");
  EXPECT_EQ(segment.annotations[2].value.type, AnnotationType::kNumber);
  EXPECT_EQ(segment.annotations[2].value.number_value, 3);
  EXPECT_EQ(segment.annotations[3].value.type, AnnotationType::kBool);

  ASSERT_EQ(segment.subsegments.size(), 4u);
  const model::Entity& put = segment.subsegments[0];
  EXPECT_EQ(put.name, "dynamodb_put_item");
  EXPECT_FALSE(put.has_metadata);
  ASSERT_EQ(put.annotations.size(), 1u);
  EXPECT_EQ(put.annotations[0].value.string_value, "orders");
  ASSERT_EQ(put.subsegments.size(), 2u);
  const model::Entity& dynamo = put.subsegments[0];
  EXPECT_EQ(dynamo.namespace_name, "aws");
  ASSERT_TRUE(dynamo.aws);
  EXPECT_EQ(dynamo.aws->operation, "PutItem");
  EXPECT_EQ(dynamo.aws->region, "us-east-1");
  EXPECT_EQ(dynamo.aws->request_id, "08473d17-b79e-47cc-89d2-fe9b7466c386");
  EXPECT_EQ(dynamo.aws->table_name, "xray-monitoring-abc123-orders");
  EXPECT_EQ(dynamo.http->response->content_length, 2);
  EXPECT_EQ(put.subsegments[1].aws->operation, "GetItem");

  const model::Entity& check = segment.subsegments[1];
  EXPECT_EQ(check.namespace_name, "remote");
  ASSERT_TRUE(check.http && check.http->request);
  EXPECT_TRUE(check.http->request->traced);  // Node writes `traced` beside `http`
  EXPECT_EQ(check.http->request->method, "GET");

  const model::Entity& failed_call = segment.subsegments[2];
  EXPECT_TRUE(failed_call.fault);
  EXPECT_EQ(failed_call.http->response->status, 503);

  const model::Entity& notify = segment.subsegments[3];
  EXPECT_EQ(notify.name, "send_notification");
  EXPECT_TRUE(notify.fault);
  EXPECT_TRUE(notify.has_metadata);
  ASSERT_TRUE(notify.cause);
  EXPECT_EQ(notify.cause->working_directory, "/srv/capture");
  ASSERT_EQ(notify.cause->exceptions.size(), 1u);
  const model::ExceptionInfo& exception = notify.cause->exceptions[0];
  EXPECT_EQ(exception.id, "86775871b5ee1b98");
  EXPECT_EQ(exception.message, "SMTP relay refused connection");
  EXPECT_EQ(exception.type, "Error");
  EXPECT_FALSE(exception.remote);
  ASSERT_EQ(exception.stack.size(), 7u);
  EXPECT_EQ(exception.stack[0].path, "/srv/capture/run_xray_sdk_node.js");
  EXPECT_EQ(exception.stack[0].line, 76);
  EXPECT_EQ(exception.stack[0].label, "anonymous");
  EXPECT_EQ(exception.stack[6].path, "node");
  EXPECT_EQ(exception.stack[6].line, 0);  // "line": null
  EXPECT_EQ(exception.stack[6].label, "process.processTicksAndRejections");
}

TEST(SegmentParserFixtures, NodeThrottledAndCallerParent) {
  SKIP_WITHOUT_FIXTURES();
  const SegmentDocument throttled =
      MustParse(FixtureBody("xray-sdk-node/08-segment-order-processor.udp"));
  EXPECT_TRUE(throttled.entity.throttle);
  EXPECT_TRUE(throttled.entity.error);
  EXPECT_FALSE(throttled.entity.fault);
  EXPECT_EQ(throttled.entity.http->response->status, 429);
  const SegmentDocument called =
      MustParse(FixtureBody("xray-sdk-node/09-segment-order-processor.udp"));
  ASSERT_TRUE(called.parent_id.has_value());
  EXPECT_EQ(called.parent_id->ToString(), "53995c3f42cd8ad8");
  EXPECT_EQ(called.trace_id.epoch_seconds(), 0x68723220u);
}

TEST(SegmentParserFixtures, Python215AnnotationsAndAwsSubsegment) {
  SKIP_WITHOUT_FIXTURES();
  const SegmentDocument document =
      MustParse(FixtureBody("xray-sdk-python/v2.15.0-pip/06-segment-order-processor.udp"));
  const model::Entity& segment = document.entity;
  EXPECT_EQ(segment.id.ToString(), "7956c3bb832ebcde");
  EXPECT_FALSE(segment.in_progress);  // "in_progress": false beside end_time
  EXPECT_DOUBLE_EQ(*segment.end_time, 1795498195.9392242);
  EXPECT_EQ(segment.user, "customer-1");
  EXPECT_EQ(segment.service_version, "");
  EXPECT_EQ(segment.aws->xray_sdk, "X-Ray for Python");
  EXPECT_EQ(segment.aws->xray_sampling_rule_name, "error-traces");
  EXPECT_EQ(segment.http->request->user_agent, "curl/7.88.1");

  ASSERT_EQ(segment.annotations.size(), 4u);
  EXPECT_EQ(segment.annotations[0].key, "service");
  EXPECT_EQ(segment.annotations[0].value.type, AnnotationType::kString);
  EXPECT_EQ(segment.annotations[0].value.string_value, "order-processor");
  EXPECT_EQ(segment.annotations[1].key, "operation");
  EXPECT_EQ(segment.annotations[1].value.string_value, "create_order");
  EXPECT_EQ(segment.annotations[2].key, "quantity");
  EXPECT_EQ(segment.annotations[2].value.type, AnnotationType::kNumber);
  EXPECT_EQ(segment.annotations[2].value.number_value, 3.0);
  EXPECT_EQ(segment.annotations[3].key, "priority_customer");
  EXPECT_EQ(segment.annotations[3].value.type, AnnotationType::kBool);
  EXPECT_TRUE(segment.annotations[3].value.bool_value);

  ASSERT_EQ(segment.subsegments.size(), 4u);
  const model::Entity& put = segment.subsegments[0];
  EXPECT_EQ(put.name, "dynamodb_put_item");
  EXPECT_EQ(put.namespace_name, "local");
  ASSERT_EQ(put.subsegments.size(), 2u);
  const model::Entity& dynamo = put.subsegments[0];
  EXPECT_EQ(dynamo.name, "dynamodb");
  EXPECT_EQ(dynamo.namespace_name, "aws");
  ASSERT_TRUE(dynamo.aws);
  EXPECT_EQ(dynamo.aws->table_name, "xray-monitoring-abc123-orders");
  EXPECT_EQ(dynamo.aws->operation, "PutItem");
  EXPECT_EQ(dynamo.http->response->status, 200);
  EXPECT_EQ(put.subsegments[1].aws->operation, "GetItem");
  EXPECT_EQ(segment.subsegments[1].annotations[0].key, "inventory_check");
  EXPECT_EQ(segment.subsegments[1].subsegments[0].http->request->method, "get");
  const model::Entity& notify = segment.subsegments[2];
  EXPECT_TRUE(notify.fault);
  EXPECT_EQ(notify.cause->exceptions[0].type, "RuntimeError");
  EXPECT_EQ(notify.cause->exceptions[0].stack[1].line, 111);
}

TEST(SegmentParserFixtures, StreamedSubsegments) {
  SKIP_WITHOUT_FIXTURES();
  const SegmentDocument validate =
      MustParse(FixtureBody("xray-sdk-node/10-subsegment-validate.udp"));
  EXPECT_EQ(validate.kind, DocumentKind::kSubsegment);
  EXPECT_EQ(validate.parent_id->ToString(), "2136080c81a753e5");
  EXPECT_EQ(validate.entity.name, "validate");
  const SegmentDocument reserve =
      MustParse(FixtureBody("xray-sdk-python/v0.95-debian/09-subsegment-reserve_stock.udp"));
  EXPECT_EQ(reserve.kind, DocumentKind::kSubsegment);
  EXPECT_EQ(reserve.entity.namespace_name, "local");
  EXPECT_EQ(reserve.parent_id->ToString(), "c7f090cd5fcb05d1");
}

TEST(SegmentParserFixtures, ValidationAgreesWithTheModelOnMutatedFixtures) {
  SKIP_WITHOUT_FIXTURES();
  std::vector<std::string> documents;
  for (const auto& path : internal::FindFixtures(kClients, "", ".udp")) {
    documents.push_back(internal::DatagramBody(internal::ReadFileBytes(path)));
  }
  ASSERT_FALSE(documents.empty());
  // Small edits that hit the validated fields often: ids, names, times, nesting, quotes.
  const std::string alphabet = "0123456789abcdefg-:.\"{}[],?é\\ nultrex";
  std::mt19937_64 random(7);
  size_t accepted = 0;
  size_t rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string json = documents[random() % documents.size()];
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int edit = 0; edit < edits && !json.empty(); ++edit) {
      const size_t at = random() % json.size();
      switch (random() % 4) {
        case 0:
          json[at] = alphabet[random() % alphabet.size()];
          break;
        case 1:
          json.erase(at, 1 + random() % 8);
          break;
        case 2:
          json.insert(at, 1, alphabet[random() % alphabet.size()]);
          break;
        default:
          json.insert(at, json.substr(random() % json.size(), 1 + random() % 40));
          break;
      }
    }
    ParseFailure parse_failure;
    auto parsed = ParseSegmentDocument(json, ParseLimits(), &parse_failure);
    ParseFailure validate_failure;
    auto validated = ValidateSegmentDocument(json, ParseLimits(), &validate_failure);
    ASSERT_EQ(validated.ok(), parsed.ok()) << json;
    if (parsed.ok()) {
      ++accepted;
      ASSERT_EQ(*validated, HeaderOf(*parsed)) << json;
    } else {
      ++rejected;
      ASSERT_EQ(validated.error(), parsed.error()) << json;
      ASSERT_EQ(validate_failure.error_code, parse_failure.error_code) << json;
      ASSERT_EQ(validate_failure.message, parse_failure.message) << json;
      ASSERT_EQ(validate_failure.id, parse_failure.id) << json;
    }
  }
  // Both outcomes must be well represented for the comparison to mean something.
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(rejected, 100u);
}

TEST(SegmentParserFixtures, ValidationAllocatesNothing) {
  SKIP_WITHOUT_FIXTURES();
  std::vector<std::string> documents;
  for (const auto& path : internal::FindFixtures(kClients, "", ".udp")) {
    documents.push_back(internal::DatagramBody(internal::ReadFileBytes(path)));
  }
  for (const auto& path : internal::FindFixtures(kClients, "put-trace-segments", ".http")) {
    for (std::string& json : internal::PutTraceSegmentsDocuments(internal::ReadFileBytes(path))) {
      documents.push_back(std::move(json));
    }
  }
  ASSERT_FALSE(documents.empty());
  const ParseLimits limits;
  // The first round sizes this thread's parser and scratch space.
  for (const std::string& json : documents) ASSERT_TRUE(ValidateSegmentDocument(json, limits).ok());
  const size_t before = g_allocations;
  size_t valid = 0;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& json : documents) valid += ValidateSegmentDocument(json, limits).ok();
  }
  EXPECT_EQ(g_allocations - before, 0u);
  EXPECT_EQ(valid, 3 * documents.size());
  // The full parse does allocate (the model), which shows that the counter works.
  ASSERT_TRUE(ParseSegmentDocument(documents[0], limits).ok());
  EXPECT_GT(g_allocations - before, 0u);
}

// ---------------------------------------------------------------------------------------------
// Accepted shapes.

TEST(SegmentParser, MinimalDocumentsFromTheReference) {
  SegmentDocument complete = MustParse(
      R"({"name":"example.com","id":"70de5b6f19ff9a0a","start_time":1.478293361271E9,"trace_id":"1-581cf771-a006649127e371903a2de979","end_time":1.478293361449E9})");
  EXPECT_DOUBLE_EQ(complete.entity.start_time, 1478293361.271);
  EXPECT_DOUBLE_EQ(*complete.entity.end_time, 1478293361.449);
  SegmentDocument open = MustParse(
      R"({"name":"example.com","id":"70de5b6f19ff9a0b","start_time":1.478293361271E9,"trace_id":"1-581cf771-a006649127e371903a2de979","in_progress":true})");
  EXPECT_TRUE(open.entity.in_progress);
  EXPECT_FALSE(open.entity.end_time);
  SegmentDocument sub = MustParse(
      R"({"name":"api.example.com","id":"53995c3f42cd8ad8","start_time":1.478293361271E9,"end_time":1.478293361449E9,"type":"subsegment","trace_id":"1-581cf771-a006649127e371903a2de979","parent_id":"defdfd9912dc5a56","namespace":"remote","http":{"request":{"url":"https://api.example.com/health","method":"POST","traced":true},"response":{"status":200,"content_length":861}}})");
  EXPECT_EQ(sub.kind, DocumentKind::kSubsegment);
  EXPECT_EQ(sub.parent_id->ToString(), "defdfd9912dc5a56");
  EXPECT_TRUE(sub.entity.http->request->traced);
  EXPECT_EQ(sub.entity.http->response->content_length, 861);
}

TEST(SegmentParser, OldEpochsAndUppercaseHexAreAccepted) {
  SegmentDocument document = MustParse(
      R"({"name":"a","id":"70DE5B6F19FF9A0A","start_time":1,"end_time":2,"trace_id":"1-00000001-A006649127E371903A2DE979"})");
  EXPECT_EQ(document.entity.id.ToString(), "70de5b6f19ff9a0a");
  EXPECT_EQ(document.trace_id.epoch_seconds(), 1u);
}

TEST(SegmentParser, SegmentOnlyFields) {
  SegmentDocument document = MustParse(Segment(
      R"("origin":"AWS::EC2::Instance","user":"u1","resource_arn":"arn:aws:lambda:us-east-1:1:function:f","service":{"version":"1.2.3","runtime":"x"},"parent_id":"defdfd9912dc5a56","aws":{"account_id":"123","ec2":{"instance_id":"i-1","availability_zone":"us-east-1a"},"ecs":{"container":"c1","availability_zone":"us-east-1b"},"xray":{"sdk":"s","sdk_version":"v","sampling_rule_name":"r"}})"));
  const model::Entity& entity = document.entity;
  EXPECT_EQ(entity.origin, "AWS::EC2::Instance");
  EXPECT_EQ(entity.user, "u1");
  EXPECT_EQ(entity.resource_arn, "arn:aws:lambda:us-east-1:1:function:f");
  EXPECT_EQ(entity.service_version, "1.2.3");
  EXPECT_EQ(document.parent_id->ToString(), "defdfd9912dc5a56");
  EXPECT_EQ(entity.aws->account_id, "123");
  EXPECT_EQ(entity.aws->ec2_instance_id, "i-1");
  EXPECT_EQ(entity.aws->ec2_availability_zone, "us-east-1a");
  EXPECT_EQ(entity.aws->ecs_container, "c1");
  EXPECT_EQ(entity.aws->ecs_availability_zone, "us-east-1b");
  EXPECT_EQ(entity.aws->xray_sampling_rule_name, "r");
  EXPECT_FALSE(entity.inferred);
}

TEST(SegmentParser, SegmentOnlyFieldsAreEmptyOnSubsegments) {
  SegmentDocument document = MustParse(Segment(
      R"("origin":"AWS::EC2::Instance","user":"u1","type":"subsegment","parent_id":"defdfd9912dc5a56")"));
  EXPECT_EQ(document.kind, DocumentKind::kSubsegment);
  EXPECT_EQ(document.entity.origin, "");
  EXPECT_EQ(document.entity.user, "");
}

TEST(SegmentParser, SqlCausePrecursorsAndQueue) {
  SegmentDocument document = MustParse(Segment(
      R"("subsegments":[{"id":"0000000000000001","name":"db","start_time":1,"end_time":2,"namespace":"remote","sql":{"url":"jdbc:postgresql://h/db","sanitized_query":"SELECT 1","database_type":"PostgreSQL","database_version":"15","driver_version":"42","user":"app","preparation":"statement","connection_string":"cs"},"cause":"0123456789abcdef","precursor_ids":["0000000000000002","bad",7]},{"id":"0000000000000002","name":"q","start_time":1,"end_time":2,"aws":{"queue_url":"https://sqs/q","operation":"SendMessage"},"cause":{"paths":["a.py","b.py"],"exceptions":[{"id":"1111111111111111","truncated":2,"skipped":1.0,"cause":"2222222222222222","remote":true}]}}])"));
  const model::Entity& db = document.entity.subsegments[0];
  ASSERT_TRUE(db.sql);
  EXPECT_EQ(db.sql->url, "jdbc:postgresql://h/db");
  EXPECT_EQ(db.sql->sanitized_query, "SELECT 1");
  EXPECT_EQ(db.sql->database_type, "PostgreSQL");
  EXPECT_EQ(db.sql->database_version, "15");
  EXPECT_EQ(db.sql->driver_version, "42");
  EXPECT_EQ(db.sql->user, "app");
  EXPECT_EQ(db.sql->preparation, "statement");
  EXPECT_EQ(db.sql->connection_string, "cs");
  ASSERT_TRUE(db.cause);
  EXPECT_EQ(db.cause->exception_id, "0123456789abcdef");
  ASSERT_EQ(db.precursor_ids.size(), 1u);
  EXPECT_EQ(db.precursor_ids[0].value, 2u);
  const model::Entity& queue = document.entity.subsegments[1];
  EXPECT_EQ(queue.aws->queue_url, "https://sqs/q");
  ASSERT_TRUE(queue.cause);
  EXPECT_EQ(queue.cause->paths, (std::vector<std::string>{"a.py", "b.py"}));
  const model::ExceptionInfo& exception = queue.cause->exceptions[0];
  EXPECT_EQ(exception.truncated, 2);
  EXPECT_EQ(exception.skipped, 1);
  EXPECT_EQ(exception.cause, "2222222222222222");
  EXPECT_TRUE(exception.remote);
}

TEST(SegmentParser, LenientOptionalFields) {
  // Wrong types of optional fields are ignored, not rejected.
  SegmentDocument document = MustParse(Segment(
      R"("http":{"request":"x","response":{"status":"500","content_length":"42"}},"aws":[],"fault":"yes","cause":"not-an-id","annotations":{"o":{},"a":[1],"n":null,"s":"v"},"metadata":{},"in_progress":false,"namespace":5,"unknown":{"deep":[1,2,{"x":null}]})"));
  const model::Entity& entity = document.entity;
  ASSERT_TRUE(entity.http);
  EXPECT_FALSE(entity.http->request);
  EXPECT_FALSE(entity.http->response->status);
  EXPECT_EQ(entity.http->response->content_length, 42);
  EXPECT_FALSE(entity.aws);
  EXPECT_FALSE(entity.fault);
  EXPECT_FALSE(entity.cause);
  ASSERT_EQ(entity.annotations.size(), 1u);
  EXPECT_EQ(entity.annotations[0].key, "s");
  EXPECT_FALSE(entity.has_metadata);
  EXPECT_EQ(entity.namespace_name, "");
}

TEST(SegmentParser, DuplicateMembersLastWins) {
  SegmentDocument document =
      MustParse(Segment(R"("id":"0000000000000001","annotations":{"k":"first","k":2,"j":true})"));
  // Segment() appends its own "id" after ours: the last one wins.
  EXPECT_EQ(document.entity.id.ToString(), "70de5b6f19ff9a0a");
  ASSERT_EQ(document.entity.annotations.size(), 2u);
  EXPECT_EQ(document.entity.annotations[0].key, "k");
  EXPECT_EQ(document.entity.annotations[0].value.type, AnnotationType::kNumber);
  EXPECT_EQ(document.entity.annotations[0].value.number_value, 2);
}

TEST(SegmentParser, AnnotationLimits) {
  ParseLimits limits;
  limits.max_annotations = 2;
  limits.max_annotation_key_bytes = 3;
  SegmentDocument document = MustParse(
      Segment(
          R"("annotations":{"a":1,"long":2,"b":3,"c":4},"subsegments":[{"id":"0000000000000001","name":"x","start_time":1,"end_time":2,"annotations":{"d":5}}])"),
      limits);
  ASSERT_EQ(document.entity.annotations.size(), 2u);
  EXPECT_EQ(document.entity.annotations[1].key, "b");
  EXPECT_TRUE(document.entity.subsegments[0].annotations.empty());
}

TEST(SegmentParser, LongStringsAreCutInTheModelOnly) {
  ParseLimits limits;
  limits.max_string_bytes = 5;
  // "é" is two bytes: a cut after 5 bytes would split the third one.
  SegmentDocument document =
      MustParse(Segment(R"("user":"ééé","http":{"request":{"url":"abcdefgh"}})"), limits);
  EXPECT_EQ(document.entity.user, "éé");
  EXPECT_EQ(document.entity.http->request->url, "abcde");
}

TEST(SegmentParser, NumberForms) {
  SegmentDocument document = MustParse(
      R"({"name":"n","id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979","start_time":1478293361,"end_time":14782933612710e-4,"http":{"response":{"status":200.0,"content_length":-1}}})");
  EXPECT_EQ(document.entity.start_time, 1478293361.0);
  EXPECT_DOUBLE_EQ(*document.entity.end_time, 1478293361.271);
  EXPECT_EQ(document.entity.http->response->status, 200);
  EXPECT_EQ(document.entity.http->response->content_length, -1);
}

TEST(SegmentParser, UnicodeNames) {
  MustParse(Segment(R"("name":"café-服务 Ünïcödé_name.v2:80/x%&#=+\\@")"));
  MustParse(Segment(R"("name":"\u00e9t\u00e9")"));
  MustParse(Segment("\"name\":\"" + std::string(200, 'n') + "\""));
  std::string two_hundred_letters;
  for (int idx = 0; idx < 200; ++idx) two_hundred_letters += "é";
  MustParse(Segment("\"name\":\"" + two_hundred_letters + "\""));
}

TEST(SegmentParser, NameRules) {
  using internal::CheckEntityName;
  using internal::NameProblem;
  EXPECT_EQ(CheckEntityName("a b\tc_d.e:f/g%h&i#j=k+l\\m-n@o", nullptr), NameProblem::kNone);
  EXPECT_EQ(CheckEntityName("", nullptr), NameProblem::kEmpty);
  size_t offset = 99;
  EXPECT_EQ(CheckEntityName("abc?", &offset), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(offset, 3u);
  for (char bad : std::string("?;*()!$~^<>\"',[]{}|`")) {
    EXPECT_EQ(CheckEntityName(std::string("x") + bad, nullptr), NameProblem::kForbiddenCharacter)
        << bad;
  }
  EXPECT_EQ(CheckEntityName("\x01", nullptr), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(CheckEntityName("名前", nullptr), NameProblem::kNone);
  EXPECT_EQ(CheckEntityName("Ωμέγα", nullptr), NameProblem::kNone);
  EXPECT_EQ(CheckEntityName("x\u00a0y", nullptr), NameProblem::kNone);  // no-break space
  EXPECT_EQ(CheckEntityName("²", nullptr), NameProblem::kNone);         // a digit (No)
  EXPECT_EQ(CheckEntityName("😀", nullptr), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(CheckEntityName("a→b", nullptr), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(CheckEntityName("€", nullptr), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(CheckEntityName("«x»", nullptr), NameProblem::kForbiddenCharacter);
  EXPECT_EQ(CheckEntityName("\xEF\xBB\xBFx", nullptr), NameProblem::kForbiddenCharacter);  // BOM
  EXPECT_EQ(CheckEntityName(std::string(201, 'x'), nullptr), NameProblem::kTooLong);
}

TEST(SegmentParser, FastIdParsersMatchTheModel) {
  std::mt19937_64 random(42);
  const std::string alphabet = "0123456789abcdefABCDEFgG-/:@` \x7f\x80\xff";
  for (int round = 0; round < 200000; ++round) {
    std::string text(16, '0');
    for (char& ch : text) {
      // Mostly hex, sometimes anything.
      ch = (random() % 8 == 0) ? static_cast<char>(random() % 256) : alphabet[random() % 22];
    }
    ASSERT_EQ(internal::ParseSegmentIdFast(text), SegmentId::Parse(text)) << text;
    std::string trace = "1-" + text.substr(0, 8) + "-" + text + text.substr(8, 8);
    if (round % 3 == 0)
      trace[static_cast<size_t>(random() % 35)] = static_cast<char>(random() % 256);
    ASSERT_EQ(internal::ParseTraceIdFast(trace), model::TraceId::Parse(trace)) << trace;
  }
  for (std::string_view text : {"", "0", "0123456789abcdef0", "ffffffffffffffff",
                                "FFFFFFFFFFFFFFFF", "0000000000000000", "123456789ABCDEF0"}) {
    EXPECT_EQ(internal::ParseSegmentIdFast(text), SegmentId::Parse(text)) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Rejections.

TEST(SegmentParserErrors, BadId) {
  ParseFailure failure = MustFail(
      R"({"name":"a","id":"xyz","start_time":1,"end_time":2,"trace_id":"1-581cf771-a006649127e371903a2de979"})");
  EXPECT_EQ(failure.error_code, "InvalidSegmentId");
  EXPECT_EQ(failure.id, "xyz");
  EXPECT_NE(failure.message.find("id"), std::string::npos);
  EXPECT_NE(failure.message.find("(byte 17)"), std::string::npos) << failure.message;
  EXPECT_EQ(MustFail(Segment(R"("id":12)")).error_code, "InvalidSegmentId");
  // Each value is checked as it is read: a bad id fails even when a good one follows.
  EXPECT_EQ(MustFail(Segment().insert(1, R"("id":"70de5b6f19ff9a0",)")).error_code,
            "InvalidSegmentId");
  EXPECT_EQ(
      MustFail(
          R"({"name":"a","start_time":1,"end_time":2,"trace_id":"1-581cf771-a006649127e371903a2de979"})")
          .error_code,
      "MissingField");
}

TEST(SegmentParserErrors, BadTraceId) {
  for (std::string_view bad :
       {"1-581cf771-a006649127e371903a2de97", "2-581cf771-a006649127e371903a2de979",
        "1-581cf77g-a006649127e371903a2de979", "1_581cf771-a006649127e371903a2de979",
        "581cf771a006649127e371903a2de979"}) {
    std::string json =
        R"({"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":")";
    json.append(bad);
    json.append("\"}");
    ParseFailure failure = MustFail(json);
    EXPECT_EQ(failure.error_code, "InvalidTraceId") << bad;
    EXPECT_EQ(failure.id, "70de5b6f19ff9a0a");
  }
  ParseFailure missing =
      MustFail(R"({"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"end_time":2})");
  EXPECT_EQ(missing.error_code, "MissingField");
  EXPECT_NE(missing.message.find("trace_id"), std::string::npos);
}

TEST(SegmentParserErrors, MissingEndTimeWithoutInProgress) {
  const std::string base =
      R"({"name":"a","id":"70de5b6f19ff9a0a","start_time":1,"trace_id":"1-581cf771-a006649127e371903a2de979")";
  ParseFailure failure = MustFail(base + "}");
  EXPECT_EQ(failure.error_code, "MissingField");
  EXPECT_NE(failure.message.find("end_time"), std::string::npos);
  EXPECT_NE(failure.message.find("(byte 0)"), std::string::npos) << failure.message;
  EXPECT_EQ(MustFail(base + R"(,"in_progress":false})").error_code, "MissingField");
  EXPECT_EQ(MustFail(base + R"(,"end_time":null})").error_code, "MissingField");
  MustParse(base + R"(,"in_progress":true})");
  EXPECT_EQ(MustFail(base + R"(,"end_time":"2"})").error_code, "InvalidTimestamp");
}

TEST(SegmentParserErrors, BadTimes) {
  const std::string tail =
      R"("name":"a","id":"70de5b6f19ff9a0a","end_time":2,"trace_id":"1-581cf771-a006649127e371903a2de979"})";
  EXPECT_EQ(MustFail(R"({"start_time":"1",)" + tail).error_code, "InvalidTimestamp");
  EXPECT_EQ(MustFail(R"({"start_time":-1,)" + tail).error_code, "InvalidTimestamp");
  EXPECT_EQ(MustFail(R"({"start_time":true,)" + tail).error_code, "InvalidTimestamp");
  EXPECT_EQ(MustFail(R"({)" + tail).error_code, "MissingField");
}

TEST(SegmentParserErrors, IndependentSubsegmentNeedsParentId) {
  ParseFailure failure = MustFail(Segment(R"("type":"subsegment")"));
  EXPECT_EQ(failure.error_code, "MissingField");
  EXPECT_NE(failure.message.find("parent_id"), std::string::npos);
  EXPECT_EQ(MustFail(Segment(R"("parent_id":"abc")")).error_code, "InvalidParentId");
  EXPECT_EQ(MustFail(Segment(R"("type":"subsegment","parent_id":5)")).error_code,
            "InvalidParentId");
  EXPECT_EQ(MustFail(Segment(R"("type":"span")")).error_code, "InvalidType");
  MustParse(Segment(R"("type":"segment")"));
  MustParse(Segment(R"("parent_id":null)"));
}

TEST(SegmentParserErrors, ForbiddenNameCharacters) {
  const std::string tail =
      R"(,"id":"70de5b6f19ff9a0a","start_time":1,"end_time":2,"trace_id":"1-581cf771-a006649127e371903a2de979"})";
  for (std::string_view name : {"a?b", "x;y", "(x)", "a*b", "<x>", "a!", "$", "~", "^"}) {
    ParseFailure failure = MustFail(R"({"name":")" + std::string(name) + "\"" + tail);
    EXPECT_EQ(failure.error_code, "InvalidName") << name;
    EXPECT_EQ(failure.id, "70de5b6f19ff9a0a");
  }
  EXPECT_EQ(MustFail(R"({"name":"")" + tail).error_code, "InvalidName");
  EXPECT_EQ(MustFail(R"({"name":7)" + tail).error_code, "InvalidName");
  EXPECT_EQ(MustFail(R"({"name":")" + std::string(201, 'x') + "\"" + tail).error_code,
            "InvalidName");
  EXPECT_EQ(MustFail(R"({)" + tail.substr(1)).error_code, "MissingField");
}

TEST(SegmentParserErrors, DocumentTooLarge) {
  std::string json =
      Segment(R"("metadata":{"default":{"blob":")" + std::string(70000, 'x') + "\"}}");
  ASSERT_GT(json.size(), 70000u);
  ParseFailure failure = MustFail(json);
  EXPECT_EQ(failure.error_code, "DocumentTooLarge");
  EXPECT_NE(failure.message.find(std::to_string(json.size())), std::string::npos);
  // The id sits after the blob, beyond the limit: no id.
  EXPECT_EQ(failure.id, "");
  std::string id_first = R"({"id":"70de5b6f19ff9a0a","x":")" + std::string(70000, 'x') + "\"}";
  EXPECT_EQ(MustFail(id_first).id, "70de5b6f19ff9a0a");
  ParseLimits limits;
  limits.max_document_bytes = 100;
  EXPECT_EQ(MustFail(Segment(), limits).error_code, "DocumentTooLarge");
}

TEST(SegmentParserErrors, TruncatedJson) {
  const std::string full = Segment();
  for (size_t cut : {size_t{0}, size_t{1}, size_t{10}, full.size() / 2, full.size() - 1}) {
    ParseFailure failure = MustFail(full.substr(0, cut));
    EXPECT_EQ(failure.error_code, "InvalidJson") << cut;
  }
  ParseFailure failure = MustFail(R"({"id":"70de5b6f19ff9a0a","name":"a",)");
  EXPECT_EQ(failure.id, "70de5b6f19ff9a0a");
  EXPECT_NE(failure.message.find("at byte"), std::string::npos) << failure.message;
  EXPECT_EQ(MustFail(R"({"id":"70de5b6f19ff9a0a","name":"a"} x)").error_code, "InvalidJson");
  EXPECT_EQ(MustFail(Segment(R"("metadata":{"a":tru})")).error_code, "InvalidJson");
  EXPECT_EQ(MustFail(Segment("\"user\":\"\xff\"")).error_code, "InvalidJson");
}

TEST(SegmentParserErrors, NotAnObject) {
  EXPECT_EQ(MustFail("[1]").error_code, "NotAnObject");
  EXPECT_EQ(MustFail("42").error_code, "NotAnObject");
  EXPECT_EQ(MustFail("\"x\"").error_code, "NotAnObject");
}

std::string NestedSubsegments(size_t levels) {
  std::string open;
  std::string close;
  for (size_t level = 0; level < levels; ++level) {
    open += R"("subsegments":[{"id":"000000000000000)" +
            std::string(1, "0123456789abcdef"[level % 16]) +
            R"(","name":"n","start_time":1,"end_time":2,)";
    close += "}]";
  }
  // Drop the trailing comma of the innermost object.
  open.pop_back();
  return Segment(open + close);
}

TEST(SegmentParserErrors, DeepNesting) {
  MustParse(NestedSubsegments(32));
  ParseFailure failure = MustFail(NestedSubsegments(33));
  EXPECT_EQ(failure.error_code, "NestingTooDeep");
  EXPECT_EQ(failure.id, "70de5b6f19ff9a0a");
  std::string deep_metadata =
      "\"metadata\":{\"x\":" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_EQ(MustFail(Segment(deep_metadata)).error_code, "NestingTooDeep");
  std::string very_deep = std::string(100000, '[');
  EXPECT_NE(MustFail(very_deep).error_code, "");
}

TEST(SegmentParserErrors, EmbeddedSubsegmentRules) {
  ParseFailure failure = MustFail(Segment(
      R"("subsegments":[{"id":"0000000000000001","name":"ok","start_time":1,"end_time":2},{"id":"0000000000000002","name":"open","start_time":1}])"));
  EXPECT_EQ(failure.error_code, "MissingField");
  EXPECT_EQ(failure.id, "70de5b6f19ff9a0a");
  EXPECT_NE(failure.message.find("subsegments[1]"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("end_time"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("(byte 82)"), std::string::npos) << failure.message;

  ParseFailure bad_name = MustFail(Segment(
      R"("subsegments":[{"id":"0000000000000001","name":"ok","start_time":1,"end_time":2,"subsegments":[{"id":"0000000000000003","name":"a?","start_time":1,"in_progress":true}]}])"));
  EXPECT_EQ(bad_name.error_code, "InvalidName");
  EXPECT_NE(bad_name.message.find("subsegments[0].subsegments[0].name"), std::string::npos)
      << bad_name.message;
  EXPECT_EQ(MustFail(Segment(R"("subsegments":{})")).error_code, "InvalidSubsegment");
  EXPECT_EQ(MustFail(Segment(R"("subsegments":[1])")).error_code, "InvalidSubsegment");
  EXPECT_EQ(
      MustFail(Segment(R"("subsegments":[{"name":"x","start_time":1,"end_time":2}])")).error_code,
      "MissingField");
  // Embedded trace_id/parent_id/type are not checked (the Python SDK writes them).
  MustParse(Segment(
      R"("subsegments":[{"id":"0000000000000001","name":"x","start_time":1,"end_time":2,"trace_id":"junk","parent_id":7,"type":"other"}])"));
  MustParse(Segment(R"("subsegments":[])"));
  MustParse(Segment(R"("subsegments":null)"));
}

TEST(SegmentParserErrors, TooManySubsegments) {
  ParseLimits limits;
  limits.max_subsegments = 3;
  std::string children;
  for (int idx = 0; idx < 4; ++idx) {
    if (idx > 0) children += ",";
    children += R"({"id":"000000000000000)" + std::to_string(idx) +
                R"(","name":"x","start_time":1,"end_time":2})";
  }
  EXPECT_EQ(MustFail(Segment("\"subsegments\":[" + children + "]"), limits).error_code,
            "TooManySubsegments");
  limits.max_subsegments = 4;
  SegmentDocument document = MustParse(Segment("\"subsegments\":[" + children + "]"), limits);
  EXPECT_EQ(document.entity.subsegments.size(), 4u);
}

TEST(SegmentParserErrors, RepeatedSubsegmentsMembersReplaceTheirCount) {
  ParseLimits limits;
  limits.max_subsegments = 3;
  auto child = [](int idx, std::string_view extra = "") {
    return R"({"id":"000000000000000)" + std::to_string(idx) +
           R"(","name":"x","start_time":1,"end_time":2)" + std::string(extra) + "}";
  };
  // The second member replaces the first: 3 in the model, not 5.
  MustParse(Segment("\"subsegments\":[" + child(1) + "," + child(2) + "],\"subsegments\":[" +
                    child(3) + "," + child(4) + "," + child(5) + "]"),
            limits);
  // The same inside an embedded subsegment, whose replaced children had children of their own.
  const std::string inner = "\"subsegments\":[" + child(6) + "]";
  MustParse(Segment("\"subsegments\":[" +
                    child(1, ",\"subsegments\":[" + child(2, "," + inner) + "]," + inner) + "]"),
            limits);
  EXPECT_EQ(MustFail(Segment("\"subsegments\":[" + child(1) + "],\"subsegments\":[" + child(2) +
                             "," + child(3) + "," + child(4) + "," + child(5) + "]"),
                     limits)
                .error_code,
            "TooManySubsegments");
  // A null or empty member gives the earlier ones back as well.
  MustParse(Segment("\"subsegments\":[" + child(1) + "," + child(2) + "," + child(3) +
                    "],\"subsegments\":null,\"subsegments\":[" + child(4) + "," + child(5) + "," +
                    child(6) + "]"),
            limits);
}

TEST(SegmentParserErrors, NullFailureIsAllowed) {
  auto parsed = ParseSegmentDocument("{", ParseLimits(), nullptr);
  EXPECT_FALSE(parsed.ok());
  auto validated = ValidateSegmentDocument("{", ParseLimits(), nullptr);
  EXPECT_FALSE(validated.ok());
  EXPECT_EQ(validated.error(), parsed.error());
  EXPECT_FALSE(ValidateDocumentList("[", ParseLimits(), nullptr).ok());
}

// ---------------------------------------------------------------------------------------------
// Document lists.

TEST(DocumentList, SingleObjectKeepsTheWholeText) {
  const std::string json = "  " + Segment() + "\n";
  auto list = ListBoth(json, ParseLimits());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].raw, json);
  EXPECT_TRUE((*list)[0].document.has_value());
}

TEST(DocumentList, SingleBadObjectIsAFailedEntry) {
  auto list = ListBoth(R"({"id":"70de5b6f19ff9a0a"})", ParseLimits());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE((*list)[0].document.has_value());
  EXPECT_EQ((*list)[0].failure.error_code, "MissingField");
  EXPECT_EQ((*list)[0].failure.id, "70de5b6f19ff9a0a");
}

TEST(DocumentList, ArrayOfIndependentSubsegments) {
  const std::string first =
      R"({"id":"4fe8249477477b8e","name":"validate","start_time":1795498170.901,"end_time":1795498170.906,"type":"subsegment","parent_id":"2136080c81a753e5","trace_id":"1-6b0520bb-70261e2c02b9b9c88a586abb"})";
  const std::string second =
      R"({ "id": "10aa5a53520e8e3e", "name": "reserve_stock", "start_time": 1795498170.906, "end_time": 1795498170.912, "type": "subsegment", "parent_id": "2136080c81a753e5", "trace_id": "1-6b0520bb-70261e2c02b9b9c88a586abb" })";
  const std::string bad = R"({"id":"0000000000000009","name":"x?"})";
  const std::string json = "[ " + first + ",\n" + second + " , " + bad + "]";
  ParseFailure failure;
  auto list = ListBoth(json, ParseLimits(), &failure);
  ASSERT_TRUE(list.ok()) << failure.message;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].raw, first);
  EXPECT_EQ((*list)[1].raw, second);
  EXPECT_EQ((*list)[2].raw, bad);
  ASSERT_TRUE((*list)[0].document && (*list)[1].document);
  EXPECT_EQ((*list)[0].document->kind, DocumentKind::kSubsegment);
  EXPECT_EQ((*list)[1].document->entity.name, "reserve_stock");
  EXPECT_FALSE((*list)[2].document);
  EXPECT_EQ((*list)[2].failure.error_code, "InvalidName");
  EXPECT_EQ((*list)[2].failure.id, "0000000000000009");
  EXPECT_EQ((*list)[2].failure.message.substr(0, 4), "[2]:");
}

TEST(DocumentList, WholeFailures) {
  ParseFailure failure;
  EXPECT_FALSE(ListBoth("[]", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "InvalidSubsegment");
  EXPECT_FALSE(ListBoth("[{}, ", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "InvalidJson");
  EXPECT_FALSE(ListBoth("17", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "NotAnObject");
  EXPECT_FALSE(ListBoth("  ", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "InvalidJson");
  ParseLimits limits;
  limits.max_subsegments = 1;
  EXPECT_FALSE(ListBoth("[{},{}]", limits, &failure).ok());
  EXPECT_EQ(failure.error_code, "TooManySubsegments");
  auto list = ListBoth("[1]", ParseLimits(), &failure);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)[0].failure.error_code, "NotAnObject");
}

// ---------------------------------------------------------------------------------------------
// Header fast path.

TEST(DocumentHeader, ReadsTheHeaderFields) {
  ParseFailure failure;
  auto header = ParseDocumentHeader(
      Segment(
          R"("type":"subsegment","parent_id":"defdfd9912dc5a56","subsegments":[{"junk":1}],"in_progress":true)"),
      ParseLimits(), &failure);
  ASSERT_TRUE(header.ok()) << failure.message;
  EXPECT_EQ(header->kind, DocumentKind::kSubsegment);
  EXPECT_EQ(header->parent_id->ToString(), "defdfd9912dc5a56");
  EXPECT_EQ(header->trace_id.ToString(), kTraceId);
  EXPECT_EQ(header->id.ToString(), "70de5b6f19ff9a0a");
  EXPECT_DOUBLE_EQ(header->start_time, 1478293361.271);
  EXPECT_TRUE(header->in_progress);
}

TEST(DocumentHeader, Errors) {
  ParseFailure failure;
  EXPECT_FALSE(ParseDocumentHeader(R"({"id":"x"})", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "InvalidSegmentId");
  EXPECT_FALSE(
      ParseDocumentHeader(Segment(R"("type":"subsegment")"), ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "MissingField");
  EXPECT_FALSE(ParseDocumentHeader("{\"id\":", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "InvalidJson");
  EXPECT_FALSE(ParseDocumentHeader("[]", ParseLimits(), &failure).ok());
  EXPECT_EQ(failure.error_code, "NotAnObject");
  EXPECT_FALSE(ParseDocumentHeader("", ParseLimits(), &failure).ok());
  EXPECT_FALSE(
      ParseDocumentHeader(
          R"({"id":"70de5b6f19ff9a0a","trace_id":"1-581cf771-a006649127e371903a2de979","start_time":-4,"end_time":1})",
          ParseLimits(), &failure)
          .ok());
  EXPECT_EQ(failure.error_code, "InvalidTimestamp");
}

}  // namespace
}  // namespace roentgen::parse
