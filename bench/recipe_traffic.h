// SPDX-License-Identifier: Apache-2.0
#pragma once

// Segment documents with the traffic shape of the reference recipe
// (shared/reference/000_91255ed27935efe5.txt): one POST /orders request is one trace of
//
//   xray-monitoring-api/prod      AWS::ApiGateway::Stage segment; a "Lambda" Invoke subsegment
//   order-processor               AWS::Lambda service segment (parent: that subsegment)
//   order-processor               AWS::Lambda::Function segment, Python SDK 2.15 shape:
//                                 annotations service/operation=create_order, metadata
//                                 order_details, dynamodb_put_item > DynamoDB PutItem (aws,
//                                 table_name orders), check_inventory > remote call
//                                 (inventory_check), send_notification > remote call
//                                 (notification_sent)
//   inventory-manager             Python shape; inventory_validation (~100 ms) and
//                                 inventory_update (~50 ms) subsegments (parent: the remote
//                                 inventory call)
//   notification-service          Node SDK 3.12 shape, ~50 ms, an SNS Publish subsegment
//                                 (parent: the remote notification call)
//
// Outcomes: most traces succeed (5 documents). A share are faults (the notification fails:
// fault + cause chain, HTTP 500/502; 5 documents), errors (DynamoDB ValidationException, HTTP
// 400; 3 documents) and throttles (API Gateway 429; 1 document).
//
// How it is fast enough for a load generator: a few hundred trace templates are rendered once
// (random durations, sizes and variants), with fixed-width patch slots for everything that
// must be unique or current: trace id, segment ids, request ids, order/customer/product ids and
// every start/end time. NextTrace() copies one template and overwrites the patch slots
// (about a microsecond per trace), so every trace has unique random ids and real times.
// Field shapes follow the captures in shared/fixtures/clients/xray-sdk-{node,python}; times
// have a fixed number of decimals (6 for Python, 3 for Node and AWS services).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen::bench {

// The header line the X-Ray SDKs put before the JSON in every UDP datagram.
inline constexpr std::string_view kDaemonHeader = "{\"format\":\"json\",\"version\":1}\n";

enum class TraceOutcome : uint8_t { kOk, kFault, kError, kThrottle };

struct RecipeTrafficOptions {
  uint64_t seed = 1;
  // Shares of the outcomes other than kOk; the rest succeed.
  double fault_share = 0.04;
  double error_share = 0.03;
  double throttle_share = 0.01;
  // Templates rendered per outcome (more = more variety in durations and sizes).
  size_t templates_per_outcome = 64;
};

// One generated trace. Views point into the generator's buffer: valid until the next
// NextTrace() call on the same generator.
struct RecipeTrace {
  std::string_view trace_id;  // "1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy"
  TraceOutcome outcome = TraceOutcome::kOk;
  std::vector<std::string_view> datagrams;  // kDaemonHeader + document, ready for UDP
  std::vector<std::string_view> documents;  // the same documents without the header
  size_t document_bytes = 0;                // sum of documents[i].size()
};

// Generates recipe traces. Not thread-safe; externally synchronized (use one per thread,
// with different seeds).
class RecipeTraffic {
 public:
  explicit RecipeTraffic(RecipeTrafficOptions options = {});
  ~RecipeTraffic();
  RecipeTraffic(const RecipeTraffic&) = delete;
  RecipeTraffic& operator=(const RecipeTraffic&) = delete;

  // Makes the next trace: the API Gateway segment starts at `start_seconds` (Unix time, e.g.
  // WallSeconds()), the trace id carries that epoch, and every id is fresh and random.
  // Returns views valid until the next call.
  const RecipeTrace& NextTrace(double start_seconds);

  // Expected documents per trace for the configured outcome shares.
  double expected_documents_per_trace() const;

 private:
  struct Template;
  void BuildTemplates();
  static void CountSlots(Template* tpl);
  const Template& PickTemplate(TraceOutcome* outcome);

  // Immutable after construction.
  RecipeTrafficOptions options_;
  std::vector<Template> templates_[4];  // by TraceOutcome

  // Per call.
  uint64_t rng_[4];
  std::string buffer_;
  RecipeTrace trace_;
};

// Current Unix time in seconds (CLOCK_REALTIME), microsecond precision.
double WallSeconds();

}  // namespace roentgen::bench
