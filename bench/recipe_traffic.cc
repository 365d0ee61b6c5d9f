// SPDX-License-Identifier: Apache-2.0
#include "recipe_traffic.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace roentgen::bench {
namespace {

// ---- Patch slots ----
//
// Templates are JSON text with these markers, resolved once when the template is built:
//   ${name}     a build-time string (sizes, status codes, optional parts, ...); values may
//               hold ${...} and $ markers themselves (two levels are expanded)
//   $t(name)    a time with 6 decimals (Python SDK), offset `name` from the trace start
//   $m(name)    a time with 3 decimals (Node SDK, AWS services)
// and these, left as fixed-width patch slots that NextTrace() overwrites per trace:
//   $T          the trace id (35 chars)
//   $S<n>       segment id slot n (16 hex)
//   $U<n>       UUID slot n (36 chars)
//   $C $P $X    customer number (6 digits), product number (4 digits), API Gateway
//               extended request id (16 chars)

enum class PatchKind : uint8_t {
  kTraceId,
  kSegmentId,
  kUuid,
  kTime6,
  kTime3,
  kCustomer,
  kProduct,
  kExtendedId
};

constexpr size_t kTraceIdWidth = 35;
constexpr size_t kSegmentIdWidth = 16;
constexpr size_t kUuidWidth = 36;
constexpr size_t kTime6Width = 17;  // 10 digits '.' 6 digits
constexpr size_t kTime3Width = 14;  // 10 digits '.' 3 digits
constexpr size_t kCustomerWidth = 6;
constexpr size_t kProductWidth = 4;
constexpr size_t kExtendedIdWidth = 16;
constexpr size_t kSegmentSlots = 24;
constexpr size_t kUuidSlots = 8;

struct Patch {
  uint32_t offset;  // within the datagram text (header included)
  PatchKind kind;
  uint8_t slot;
  int64_t micros;  // times: offset from the trace start
};

struct DocTemplate {
  std::string text;  // kDaemonHeader + document
  std::vector<Patch> patches;
};

using Vars = std::map<std::string, std::string>;
using Times = std::map<std::string, int64_t>;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "recipe_traffic: bug: %s\n", message.c_str());
  std::abort();
}

// Replaces every ${name} in `source` with vars[name] (one level).
std::string Substitute(std::string_view source, const Vars& vars) {
  std::string out;
  size_t pos = 0;
  while (pos < source.size()) {
    size_t mark = source.find("${", pos);
    if (mark == std::string_view::npos) {
      out.append(source.substr(pos));
      break;
    }
    out.append(source.substr(pos, mark - pos));
    size_t end = source.find('}', mark);
    if (end == std::string_view::npos) Die("unterminated ${");
    std::string name(source.substr(mark + 2, end - mark - 2));
    auto it = vars.find(name);
    if (it == vars.end()) Die("no variable " + name);
    out.append(it->second);
    pos = end + 1;
  }
  return out;
}

// Resolves the $ markers left in `source` (see above) into a DocTemplate. The templates are
// our own constants, so a marker error is a bug found the first time any tool runs.
DocTemplate Compile(std::string_view source, const Times& times) {
  DocTemplate doc;
  doc.text.reserve(source.size() + kDaemonHeader.size() + 64);
  doc.text.append(kDaemonHeader);
  auto name_in = [&](size_t* pos, char open, char close) {
    if (source[*pos] != open) Die("recipe template: expected " + std::string(1, open));
    size_t end = source.find(close, *pos);
    if (end == std::string_view::npos) Die("recipe template: unterminated name");
    std::string name(source.substr(*pos + 1, end - *pos - 1));
    *pos = end + 1;
    return name;
  };
  auto patch_slot = [&](PatchKind kind, size_t slot, int64_t micros, size_t width) {
    doc.patches.push_back(
        Patch{static_cast<uint32_t>(doc.text.size()), kind, static_cast<uint8_t>(slot), micros});
    doc.text.append(width, '0');
  };
  size_t pos = 0;
  while (pos < source.size()) {
    char c = source[pos++];
    if (c != '$') {
      doc.text.push_back(c);
      continue;
    }
    char kind = source[pos++];
    switch (kind) {
      case 't':
      case 'm': {
        std::string name = name_in(&pos, '(', ')');
        auto it = times.find(name);
        if (it == times.end()) Die("recipe template: no time " + name);
        if (kind == 't') {
          patch_slot(PatchKind::kTime6, 0, it->second, kTime6Width);
        } else {
          patch_slot(PatchKind::kTime3, 0, it->second, kTime3Width);
        }
        break;
      }
      case 'T':
        patch_slot(PatchKind::kTraceId, 0, 0, kTraceIdWidth);
        break;
      case 'C':
        patch_slot(PatchKind::kCustomer, 0, 0, kCustomerWidth);
        break;
      case 'P':
        patch_slot(PatchKind::kProduct, 0, 0, kProductWidth);
        break;
      case 'X':
        patch_slot(PatchKind::kExtendedId, 0, 0, kExtendedIdWidth);
        break;
      case 'S':
      case 'U': {
        size_t slot = 0;
        size_t digits = 0;
        while (pos < source.size() && source[pos] >= '0' && source[pos] <= '9') {
          slot = slot * 10 + static_cast<size_t>(source[pos++] - '0');
          ++digits;
        }
        if (digits == 0) Die("recipe template: slot number expected");
        if (kind == 'S') {
          if (slot >= kSegmentSlots) Die("recipe template: segment slot");
          patch_slot(PatchKind::kSegmentId, slot, 0, kSegmentIdWidth);
        } else {
          if (slot >= kUuidSlots) Die("recipe template: uuid slot");
          patch_slot(PatchKind::kUuid, slot, 0, kUuidWidth);
        }
        break;
      }
      default:
        Die(std::string("recipe template: bad marker $") + kind);
    }
  }
  return doc;
}

// ---- Random numbers: xoshiro256** ----

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Next(uint64_t* s) {
  const uint64_t result = Rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = Rotl(s[3], 45);
  return result;
}

void Seed(uint64_t seed, uint64_t* s) {
  // splitmix64 to spread the seed over the state.
  for (int idx = 0; idx < 4; ++idx) {
    seed += 0x9e3779b97f4a7c15ULL;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    s[idx] = z ^ (z >> 31);
  }
}

double Uniform01(uint64_t* s) { return static_cast<double>(Next(s) >> 11) * 0x1.0p-53; }

int64_t UniformInt(uint64_t* s, int64_t lo, int64_t hi) {  // inclusive
  return lo + static_cast<int64_t>(Next(s) % static_cast<uint64_t>(hi - lo + 1));
}

// Log-normal around `median` microseconds with spread `sigma`, clamped.
int64_t LogNormal(uint64_t* s, double median, double sigma, int64_t lo, int64_t hi) {
  double u1 = std::max(Uniform01(s), 1e-12);
  double u2 = Uniform01(s);
  double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  auto value = static_cast<int64_t>(median * std::exp(sigma * normal));
  return std::clamp(value, lo, hi);
}

template <size_t N>
const char* Pick(uint64_t* s, const char* const (&items)[N]) {
  return items[Next(s) % N];
}

// ---- Fast fixed-width formatting ----

constexpr char kHex[] = "0123456789abcdef";

struct HexPairs {
  char pairs[256][2];
  constexpr HexPairs() : pairs() {
    for (int byte = 0; byte < 256; ++byte) {
      pairs[byte][0] = kHex[byte >> 4];
      pairs[byte][1] = kHex[byte & 0xf];
    }
  }
};
constexpr HexPairs kHexPairs;

// The low `digits` hex digits of `value`; `digits` is even.
void WriteHex(char* out, uint64_t value, size_t digits) {
  for (size_t idx = digits; idx > 0; idx -= 2) {
    std::memcpy(out + idx - 2, kHexPairs.pairs[value & 0xff], 2);
    value >>= 8;
  }
}

void WriteDecimal(char* out, uint64_t value, size_t digits) {
  for (size_t idx = digits; idx > 0; --idx) {
    out[idx - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// `value` < 1e6 as 6 digits.
void WriteFraction6(char* out, uint32_t value) {
  std::memcpy(out, kDigitPairs + 2 * (value / 10000), 2);
  std::memcpy(out + 2, kDigitPairs + 2 * (value / 100 % 100), 2);
  std::memcpy(out + 4, kDigitPairs + 2 * (value % 100), 2);
}

// `value` < 1000 as 3 digits.
void WriteFraction3(char* out, uint32_t value) {
  out[0] = static_cast<char>('0' + value / 100);
  std::memcpy(out + 1, kDigitPairs + 2 * (value % 100), 2);
}

void WriteUuid(char* out, uint64_t high, uint64_t low) {
  // Version 4 layout: 8-4-4-4-12.
  high = (high & ~0xf000ULL) | 0x4000ULL;
  low = (low & ~(0xc000ULL << 48)) | (0x8000ULL << 48);
  WriteHex(out, high >> 32, 8);
  out[8] = '-';
  WriteHex(out + 9, (high >> 16) & 0xffff, 4);
  out[13] = '-';
  WriteHex(out + 14, high & 0xffff, 4);
  out[18] = '-';
  WriteHex(out + 19, low >> 48, 4);
  out[23] = '-';
  WriteHex(out + 24, low & 0xffffffffffffULL, 12);
}

// ---- The templates ----

constexpr const char* kAccount = "123456789012";
constexpr const char* kRestApi = "a1b2c3d4e5";
constexpr const char* kFunctionPrefix = "xray-monitoring-abc123-";

// API Gateway stage segment, as X-Ray records it for a REST API with tracing on.
constexpr std::string_view kApiGatewaySegment =
    R"({"id":"$S0","name":"xray-monitoring-api/prod","start_time":$m(api_start),"end_time":$m(api_end),)"
    R"("trace_id":"$T","http":{"request":{"url":"https://${rest_api}.execute-api.us-east-1.amazonaws.com/prod/orders",)"
    R"("method":"POST","user_agent":"${user_agent}","client_ip":"${client_ip}","x_forwarded_for":true},)"
    R"("response":{"status":${api_status},"content_length":${api_length}}},)"
    R"("aws":{"api_gateway":{"account_id":"${account}","rest_api_id":"${rest_api}","stage":"prod","request_id":"$U0"}},)"
    R"("annotations":{"aws:api_id":"${rest_api}","aws:api_stage":"prod"},)"
    R"("metadata":{"default":{"extended_request_id":"$X","request_id":"$U0"}},)"
    R"("origin":"AWS::ApiGateway::Stage","resource_arn":"arn:aws:apigateway:us-east-1::/restapis/${rest_api}/stages/prod")"
    R"(${api_flags}${api_subsegments}})";

constexpr std::string_view kApiGatewayLambdaSubsegment =
    R"(,"subsegments":[{"id":"$S1","name":"Lambda","start_time":$m(invoke_start),"end_time":$m(invoke_end),)"
    R"("http":{"request":{"url":"https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:${account}:function:${fn_order}/invocations",)"
    R"("method":"POST"},"response":{"status":200,"content_length":${api_length}}},)"
    R"("aws":{"function_name":"${fn_order}","region":"us-east-1","operation":"Invoke","resource_names":["${fn_order}"]},)"
    R"("namespace":"aws"}])";

// The Lambda service's own segment for the order-processor invocation.
constexpr std::string_view kLambdaServiceSegment =
    R"({"id":"$S2","name":"order-processor","start_time":$m(service_start),"end_time":$m(service_end),)"
    R"("parent_id":"$S1","trace_id":"$T","http":{"response":{"status":200}},)"
    R"("aws":{"request_id":"$U2","account_id":"${account}","resource_names":["${fn_order}"]},)"
    R"("origin":"AWS::Lambda","resource_arn":"arn:aws:lambda:us-east-1:${account}:function:${fn_order}"})";

// The order-processor function segment, Python SDK 2.15 shape (", " separators; every
// subsegment carries trace_id, parent_id, type, namespace and in_progress).
constexpr std::string_view kOrderProcessorSegment =
    R"({"id": "$S3", "name": "order-processor", "start_time": $t(fn_start), "in_progress": false, )"
    R"("parent_id": "$S2", "origin": "AWS::Lambda::Function", )"
    R"("resource_arn": "arn:aws:lambda:us-east-1:${account}:function:${fn_order}", )"
    R"("annotations": {"service": "order-processor", "operation": "create_order"${order_error_annotation}}, )"
    R"("metadata": {"default": {"order_details": {"order_id": "$U1", "customer_id": "customer-$C", "product_id": "product-$P"}}}, )"
    R"("aws": {"function_arn": "arn:aws:lambda:us-east-1:${account}:function:${fn_order}", "resource_names": ["${fn_order}"], )"
    R"("account_id": "${account}", "xray": {"sdk": "X-Ray for Python", "sdk_version": "2.15.0"}}, )"
    R"("subsegments": [{"id": "$S4", "name": "dynamodb_put_item", "start_time": $t(ddb_local_start), "parent_id": "$S3", )"
    R"("in_progress": false, "subsegments": [{"id": "$S5", "name": "dynamodb", "start_time": $t(ddb_start), )"
    R"("parent_id": "$S4", "in_progress": false, "http": {"response": {"status": ${ddb_status}}}, )"
    R"("aws": {"operation": "PutItem", "region": "us-east-1", "request_id": "$U3", "table_name": "orders"${ddb_retries}}, )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "aws"${ddb_failure}, "end_time": $t(ddb_end)}], )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "local"${ddb_local_failure}, "end_time": $t(ddb_local_end)})"
    R"(${order_calls}], "trace_id": "$T", "user": "customer-$C", )"
    R"("service": {"runtime": "CPython", "runtime_version": "3.12.4"}${order_flags}, "end_time": $t(fn_end)})";

constexpr std::string_view kOrderProcessorCalls =
    R"(, {"id": "$S6", "name": "check_inventory", "start_time": $t(inv_local_start), "parent_id": "$S3", )"
    R"("in_progress": false, "annotations": {"inventory_check": "completed"}, )"
    R"("subsegments": [{"id": "$S7", "name": "inventory.internal", "start_time": $t(inv_remote_start), )"
    R"("parent_id": "$S6", "in_progress": false, "http": {"request": {"method": "post", )"
    R"("url": "https://inventory.internal/inventory/reserve"}, "response": {"status": 200, "content_length": ${inv_length}}}, )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "remote", "traced": true, "end_time": $t(inv_remote_end)}], )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "local", "end_time": $t(inv_local_end)}, )"
    R"({"id": "$S8", "name": "send_notification", "start_time": $t(ntf_local_start), "parent_id": "$S3", )"
    R"("in_progress": false, ${ntf_local_annotations})"
    R"("subsegments": [{"id": "$S9", "name": "notifications.internal", "start_time": $t(ntf_remote_start), )"
    R"("parent_id": "$S8", "in_progress": false, "http": {"request": {"method": "post", )"
    R"("url": "https://notifications.internal/notify"}, "response": {"status": ${ntf_status}, "content_length": ${ntf_length}}}, )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "remote", "traced": true${ntf_remote_flags}, "end_time": $t(ntf_remote_end)}], )"
    R"("trace_id": "$T", "type": "subsegment", "namespace": "local"${ntf_local_failure}, "end_time": $t(ntf_local_end)})";

// inventory-manager, Python shape: validation (~100 ms) and update (~50 ms).
constexpr std::string_view kInventorySegment =
    R"({"id": "$S10", "name": "inventory-manager", "start_time": $t(inv_start), "in_progress": false, )"
    R"("parent_id": "$S7", "origin": "AWS::Lambda::Function", )"
    R"("resource_arn": "arn:aws:lambda:us-east-1:${account}:function:${fn_inventory}", )"
    R"("http": {"request": {"method": "POST", "url": "https://inventory.internal/inventory/reserve", )"
    R"("user_agent": "python-requests/2.32.3", "client_ip": "${inner_ip}", "x_forwarded_for": true}, "response": {"status": 200}}, )"
    R"("annotations": {"service": "inventory-manager", "operation": "update_inventory"}, )"
    R"("aws": {"function_arn": "arn:aws:lambda:us-east-1:${account}:function:${fn_inventory}", "resource_names": ["${fn_inventory}"], )"
    R"("account_id": "${account}", "xray": {"sdk": "X-Ray for Python", "sdk_version": "2.15.0"}}, )"
    R"("subsegments": [{"id": "$S11", "name": "inventory_validation", "start_time": $t(validation_start), "parent_id": "$S10", )"
    R"("in_progress": false, "metadata": {"default": {"inventory_check": {"product_id": "product-$P", )"
    R"("requested_quantity": ${quantity}, "available_quantity": 100}}}, "trace_id": "$T", "type": "subsegment", )"
    R"("namespace": "local", "end_time": $t(validation_end)}, {"id": "$S12", "name": "inventory_update", )"
    R"("start_time": $t(update_start), "parent_id": "$S10", "in_progress": false, )"
    R"("annotations": {"inventory_updated": "true"}, "trace_id": "$T", "type": "subsegment", "namespace": "local", )"
    R"("end_time": $t(update_end)}], "trace_id": "$T", "service": {"runtime": "CPython", "runtime_version": "3.12.4"}, )"
    R"("end_time": $t(inv_end)})";

// notification-service, Node SDK 3.12 shape (compact; local subsegments without namespace).
constexpr std::string_view kNotificationSegment =
    R"({"trace_id":"$T","id":"$S13","start_time":$m(ntf_start),"name":"notification-service",)"
    R"("origin":"AWS::Lambda::Function","parent_id":"$S9",)"
    R"("service":{"runtime":"node","runtime_version":"v20.20.2","version":"unknown","name":"unknown"},)"
    R"("aws":{"xray":{"sdk":"X-Ray for Node.js","sdk_version":"3.12.0","package":"aws-xray-sdk-core"}},)"
    R"("http":{"request":{"method":"POST","user_agent":"python-requests/2.32.3","client_ip":"${inner_ip}",)"
    R"("url":"https://notifications.internal/notify"},"response":{"status":${ntf_status}}},)"
    R"("annotations":{"service":"notification-service","notification_sent":"${ntf_sent}"},)"
    R"("metadata":{"default":{"channel":"${channel}","order_id":"$U1"}},)"
    R"("subsegments":[{"id":"$S14","name":"SNS","start_time":$m(sns_start),"namespace":"aws",)"
    R"("aws":{"operation":"Publish","region":"us-east-1","request_id":"$U4","retries":0,)"
    R"("topic_arn":"arn:aws:sns:us-east-1:${account}:order-notifications"},)"
    R"("http":{"response":{"status":${sns_status},"content_length":${sns_length}}}${sns_failure},"end_time":$m(sns_end)}])"
    R"(${ntf_failure},"end_time":$m(ntf_end)})";

constexpr std::string_view kNodeSnsCause =
    R"(,"fault":true,"cause":{"working_directory":"/var/task","exceptions":[{"message":"Service Unavailable",)"
    R"("type":"ServiceUnavailable","remote":true,"stack":[{"path":"/var/task/node_modules/@smithy/smithy-client/dist-cjs/index.js",)"
    R"("line":867,"label":"throwDefaultError"},{"path":"/var/task/node_modules/@aws-sdk/client-sns/dist-cjs/index.js",)"
    R"("line":1432,"label":"de_CommandError"},{"path":"/var/task/index.js","line":41,"label":"publishOrderEvent"}],"id":"$S15"}]})";

constexpr std::string_view kNodeSegmentCause =
    R"(,"fault":true,"cause":{"working_directory":"/var/task","exceptions":[{"message":"notification failed: SNS Publish returned 503",)"
    R"("type":"Error","stack":[{"path":"/var/task/index.js","line":48,"label":"publishOrderEvent"},)"
    R"({"path":"/var/task/index.js","line":22,"label":"Runtime.handler"},)"
    R"({"path":"node:internal/process/task_queues","line":95,"label":"process.processTicksAndRejections"}],)"
    R"("remote":false,"id":"$S16"}]})";

constexpr std::string_view kPythonNotificationCause =
    R"(, "fault": true, "cause": {"working_directory": "/var/task", "exceptions": [{"id": "$S17", )"
    R"("message": "notification service returned 502", "type": "RuntimeError", "remote": false, )"
    R"("stack": [{"path": "order-processor.py", "line": 121, "label": "send_notification"}, )"
    R"({"path": "recorder.py", "line": 445, "label": "record_subsegment"}, )"
    R"({"path": "order-processor.py", "line": 62, "label": "lambda_handler"}]}]})";

constexpr std::string_view kPythonDynamoCause =
    R"(, "error": true, "cause": {"working_directory": "/var/task", "exceptions": [{"id": "$S15", )"
    R"("message": "An error occurred (ValidationException) when calling the PutItem operation: One or more parameter values were invalid: Missing the key orderId in the item", )"
    R"("type": "ClientError", "remote": true, "stack": [{"path": "client.py", "line": 1023, "label": "_make_api_call"}, )"
    R"({"path": "patch.py", "line": 72, "label": "_xray_traced_botocore"}, )"
    R"({"path": "order-processor.py", "line": 55, "label": "lambda_handler"}]}]})";

constexpr const char* kUserAgents[] = {
    "curl/7.88.1",
    "python-requests/2.31.0",
    "okhttp/4.12.0",
    "aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.15.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
};

std::string Ip(uint64_t* s, const char* prefix) {
  return std::string(prefix) + std::to_string(UniformInt(s, 1, 254)) + "." +
         std::to_string(UniformInt(s, 1, 254));
}

}  // namespace

struct RecipeTraffic::Template {
  std::vector<DocTemplate> docs;
  int64_t max_offset_micros = 0;
  size_t segment_slots = 0;  // 1 + the highest $S slot used
  size_t uuid_slots = 0;     // 1 + the highest $U slot used
};

RecipeTraffic::RecipeTraffic(RecipeTrafficOptions options) : options_(options) {
  Seed(options_.seed, rng_);
  BuildTemplates();
  buffer_.reserve(32 * 1024);
}

RecipeTraffic::~RecipeTraffic() = default;

double RecipeTraffic::expected_documents_per_trace() const {
  double ok = 1.0 - options_.fault_share - options_.error_share - options_.throttle_share;
  return ok * 5 + options_.fault_share * 5 + options_.error_share * 3 + options_.throttle_share * 1;
}

void RecipeTraffic::BuildTemplates() {
  uint64_t s[4];
  Seed(options_.seed ^ 0x7265636970655f74ULL, s);  // templates: own stream
  auto u = [&](int64_t lo, int64_t hi) { return UniformInt(s, lo, hi); };
  for (int outcome_idx = 0; outcome_idx < 4; ++outcome_idx) {
    auto outcome = static_cast<TraceOutcome>(outcome_idx);
    for (size_t count = 0; count < std::max<size_t>(options_.templates_per_outcome, 1); ++count) {
      Vars v;
      Times t;
      v["account"] = kAccount;
      v["rest_api"] = kRestApi;
      v["fn_order"] = std::string(kFunctionPrefix) + "order-processor";
      v["fn_inventory"] = std::string(kFunctionPrefix) + "inventory-manager";
      v["user_agent"] = Pick(s, kUserAgents);
      v["client_ip"] = Ip(s, "198.51.");
      v["inner_ip"] = Ip(s, "10.0.");
      v["quantity"] = std::to_string(u(1, 5));
      v["channel"] = (Next(s) % 5 == 0) ? "sms" : "email";

      // Timeline, microseconds from the API Gateway segment's start.
      int64_t now = 0;
      t["api_start"] = now;
      Template tpl;
      if (outcome == TraceOutcome::kThrottle) {
        t["api_end"] = u(200, 1500);
        v["api_status"] = "429";
        v["api_length"] = "58";
        v["api_flags"] = R"(,"error":true,"throttle":true)";
        v["api_subsegments"] = "";
        tpl.docs.push_back(Compile(Substitute(kApiGatewaySegment, v), t));
        tpl.max_offset_micros = t["api_end"];
        CountSlots(&tpl);
        templates_[outcome_idx].push_back(std::move(tpl));
        continue;
      }
      t["invoke_start"] = now += u(800, 2500);
      t["service_start"] = now += u(300, 900);
      bool cold = Uniform01(s) < 0.03;
      t["fn_start"] = now += u(200, 800) + (cold ? u(250000, 700000) : 0);
      t["ddb_local_start"] = now += u(500, 2000);
      t["ddb_start"] = now += u(50, 300);
      t["ddb_end"] = now += LogNormal(s, 8000, 0.4, 3000, 80000);
      t["ddb_local_end"] = now += u(30, 200);
      v["ddb_retries"] = (Next(s) % 20 == 0) ? R"(, "retries": 1)" : "";
      if (outcome == TraceOutcome::kError) {
        v["ddb_status"] = "400";
        v["ddb_failure"] = std::string(kPythonDynamoCause);
        v["ddb_local_failure"] = R"(, "error": true)";
        v["order_error_annotation"] =
            R"(, "error": "An error occurred (ValidationException) when calling the PutItem operation")";
        v["order_calls"] = "";
        v["order_flags"] = "";
      } else {
        v["ddb_status"] = "200";
        v["ddb_failure"] = "";
        v["ddb_local_failure"] = "";
        bool fault = outcome == TraceOutcome::kFault;
        v["order_error_annotation"] =
            fault ? R"(, "error": "notification service returned 502")" : "";
        v["order_flags"] = "";
        t["inv_local_start"] = now += u(20, 150);
        t["inv_remote_start"] = now += u(50, 300);
        t["inv_start"] = now += u(1000, 3000);
        t["validation_start"] = now += u(200, 800);
        t["validation_end"] = now += 100000 + LogNormal(s, 900, 0.8, 50, 20000);
        t["update_start"] = now += u(50, 300);
        t["update_end"] = now += 50000 + LogNormal(s, 600, 0.8, 50, 15000);
        t["inv_end"] = now += u(300, 1500);
        t["inv_remote_end"] = now += u(1000, 3000);
        t["inv_local_end"] = now += u(50, 300);
        v["inv_length"] = std::to_string(u(60, 75));
        t["ntf_local_start"] = now += u(20, 150);
        t["ntf_remote_start"] = now += u(50, 300);
        t["ntf_start"] = now += u(1000, 3000);
        int64_t ntf_start = now;
        t["sns_start"] = now += u(1000, 5000);
        t["sns_end"] = now += LogNormal(s, 22000, 0.3, 8000, 150000);
        now = std::max(ntf_start + 50000 + u(200, 3000), now + u(200, 1000));
        t["ntf_end"] = now;
        t["ntf_remote_end"] = now += u(1000, 3000);
        t["ntf_local_end"] = now += u(50, 300);
        v["ntf_status"] = fault ? "502" : "200";
        v["ntf_length"] = fault ? "36" : std::to_string(u(40, 48));
        v["ntf_sent"] = fault ? "false" : "true";
        v["ntf_local_annotations"] =
            fault ? "" : R"("annotations": {"notification_sent": "true"}, )";
        v["ntf_remote_flags"] = fault ? R"(, "fault": true)" : "";
        v["ntf_local_failure"] = fault ? std::string(kPythonNotificationCause) : "";
        v["sns_status"] = fault ? "503" : "200";
        v["sns_length"] = fault ? "271" : "294";
        v["sns_failure"] = fault ? std::string(kNodeSnsCause) : "";
        v["ntf_failure"] = fault ? std::string(kNodeSegmentCause) : "";
        v["order_calls"] = std::string(kOrderProcessorCalls);
      }
      t["fn_end"] = now += u(300, 1500);
      t["service_end"] = now += u(200, 800);
      t["invoke_end"] = now += u(300, 900);
      t["api_end"] = now += u(500, 2000);
      switch (outcome) {
        case TraceOutcome::kOk:
          v["api_status"] = "200";
          v["api_length"] = std::to_string(u(150, 175));
          v["api_flags"] = "";
          break;
        case TraceOutcome::kFault:
          v["api_status"] = "500";
          v["api_length"] = "52";
          v["api_flags"] = R"(,"fault":true)";
          break;
        default:
          v["api_status"] = "400";
          v["api_length"] = "118";
          v["api_flags"] = R"(,"error":true)";
          break;
      }
      v["api_subsegments"] = std::string(kApiGatewayLambdaSubsegment);
      auto compile = [&](std::string_view source) {
        // Values may contain ${...} one level deep (e.g. ${account} inside a subsegment).
        std::string once = Substitute(source, v);
        std::string twice = Substitute(once, v);
        tpl.docs.push_back(Compile(twice, t));
      };
      compile(kApiGatewaySegment);
      compile(kLambdaServiceSegment);
      compile(kOrderProcessorSegment);
      if (outcome != TraceOutcome::kError) {
        compile(kInventorySegment);
        compile(kNotificationSegment);
      }
      tpl.max_offset_micros = now;
      CountSlots(&tpl);
      templates_[outcome_idx].push_back(std::move(tpl));
    }
  }
}

void RecipeTraffic::CountSlots(Template* tpl) {
  for (const DocTemplate& doc : tpl->docs) {
    for (const Patch& patch : doc.patches) {
      if (patch.kind == PatchKind::kSegmentId) {
        tpl->segment_slots = std::max<size_t>(tpl->segment_slots, patch.slot + 1u);
      } else if (patch.kind == PatchKind::kUuid) {
        tpl->uuid_slots = std::max<size_t>(tpl->uuid_slots, patch.slot + 1u);
      }
    }
  }
}

const RecipeTraffic::Template& RecipeTraffic::PickTemplate(TraceOutcome* outcome) {
  double draw = Uniform01(rng_);
  if (draw < options_.fault_share) {
    *outcome = TraceOutcome::kFault;
  } else if (draw < options_.fault_share + options_.error_share) {
    *outcome = TraceOutcome::kError;
  } else if (draw < options_.fault_share + options_.error_share + options_.throttle_share) {
    *outcome = TraceOutcome::kThrottle;
  } else {
    *outcome = TraceOutcome::kOk;
  }
  const auto& pool = templates_[static_cast<int>(*outcome)];
  return pool[Next(rng_) % pool.size()];
}

const RecipeTrace& RecipeTraffic::NextTrace(double start_seconds) {
  TraceOutcome outcome;
  const Template& tpl = PickTemplate(&outcome);

  // Per-trace values.
  const auto start_micros = static_cast<int64_t>(std::llround(start_seconds * 1e6));
  char trace_id[kTraceIdWidth];
  trace_id[0] = '1';
  trace_id[1] = '-';
  WriteHex(trace_id + 2, static_cast<uint64_t>(start_micros / 1000000), 8);
  trace_id[10] = '-';
  WriteHex(trace_id + 11, Next(rng_), 16);
  WriteHex(trace_id + 27, Next(rng_), 8);
  char segment_ids[kSegmentSlots][kSegmentIdWidth];
  for (size_t slot = 0; slot < tpl.segment_slots; ++slot) {
    WriteHex(segment_ids[slot], Next(rng_), kSegmentIdWidth);
  }
  // Times: the 10-digit seconds for the start second and the few after it.
  constexpr int64_t kSecondsCached = 4;
  const int64_t base_second = start_micros / 1000000;
  char seconds[kSecondsCached][10];
  for (int64_t idx = 0; idx < kSecondsCached; ++idx) {
    WriteDecimal(seconds[idx], static_cast<uint64_t>(base_second + idx), 10);
  }
  char uuids[kUuidSlots][kUuidWidth];
  for (size_t slot = 0; slot < tpl.uuid_slots; ++slot) {
    WriteUuid(uuids[slot], Next(rng_), Next(rng_));
  }
  const uint64_t customer = Next(rng_) % 1000000;
  const uint64_t product = Next(rng_) % 10000;
  char extended_id[kExtendedIdWidth];
  {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t bits = Next(rng_);
    for (size_t idx = 0; idx < kExtendedIdWidth - 1; ++idx) {
      extended_id[idx] = kAlphabet[bits % 62];
      bits /= 62;
      if (idx == 9) bits = Next(rng_);
    }
    extended_id[kExtendedIdWidth - 1] = '=';
  }

  buffer_.clear();
  std::vector<std::pair<size_t, size_t>> spans;  // (offset, length) of each datagram
  spans.reserve(tpl.docs.size());
  for (const DocTemplate& doc : tpl.docs) {
    const size_t base = buffer_.size();
    buffer_.append(doc.text);
    char* out = buffer_.data() + base;
    for (const Patch& patch : doc.patches) {
      char* at = out + patch.offset;
      switch (patch.kind) {
        case PatchKind::kTraceId:
          std::memcpy(at, trace_id, kTraceIdWidth);
          break;
        case PatchKind::kSegmentId:
          std::memcpy(at, segment_ids[patch.slot], kSegmentIdWidth);
          break;
        case PatchKind::kUuid:
          std::memcpy(at, uuids[patch.slot], kUuidWidth);
          break;
        case PatchKind::kTime6:
        case PatchKind::kTime3: {
          const int64_t micros = start_micros + patch.micros;
          const int64_t second = micros / 1000000;
          if (second - base_second < kSecondsCached) {
            std::memcpy(at, seconds[second - base_second], 10);
          } else {
            WriteDecimal(at, static_cast<uint64_t>(second), 10);
          }
          at[10] = '.';
          const auto fraction = static_cast<uint32_t>(micros % 1000000);
          if (patch.kind == PatchKind::kTime6) {
            WriteFraction6(at + 11, fraction);
          } else {
            WriteFraction3(at + 11, fraction / 1000);
          }
          break;
        }
        case PatchKind::kCustomer:
          WriteDecimal(at, customer, kCustomerWidth);
          break;
        case PatchKind::kProduct:
          WriteDecimal(at, product, kProductWidth);
          break;
        case PatchKind::kExtendedId:
          std::memcpy(at, extended_id, kExtendedIdWidth);
          break;
      }
    }
    spans.emplace_back(base, doc.text.size());
  }

  const size_t trace_id_offset = buffer_.size();
  buffer_.append(trace_id, kTraceIdWidth);

  trace_.outcome = outcome;
  trace_.datagrams.clear();
  trace_.documents.clear();
  trace_.document_bytes = 0;
  const std::string_view all(buffer_);
  for (const auto& [offset, length] : spans) {
    trace_.datagrams.push_back(all.substr(offset, length));
    trace_.documents.push_back(
        all.substr(offset + kDaemonHeader.size(), length - kDaemonHeader.size()));
    trace_.document_bytes += length - kDaemonHeader.size();
  }
  trace_.trace_id = all.substr(trace_id_offset, kTraceIdWidth);
  return trace_;
}

double WallSeconds() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec / 1000) * 1e-6;
}

}  // namespace roentgen::bench
