// SPDX-License-Identifier: Apache-2.0
#pragma once

// The segment document model: what parse/ produces from X-Ray segment JSON, and what
// summaries, the service graph and metrics read. Plain value types, no behaviour.
// The raw document text is kept separately by the store (Roentgen returns what was sent).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/box.h"
#include "model/trace_id.h"

namespace roentgen::model {

enum class AnnotationType { kString, kNumber, kBool };

struct AnnotationValue {
  AnnotationType type = AnnotationType::kString;
  std::string string_value;
  double number_value = 0;
  bool bool_value = false;
  bool operator==(const AnnotationValue&) const = default;
};

struct Annotation {
  std::string key;
  AnnotationValue value;
  bool operator==(const Annotation&) const = default;
};

struct HttpRequestInfo {
  std::string method;
  std::string url;
  std::string user_agent;
  std::string client_ip;
  bool x_forwarded_for = false;
  bool traced = false;  // subsegments: the downstream is instrumented
  bool operator==(const HttpRequestInfo&) const = default;
};

struct HttpResponseInfo {
  std::optional<int32_t> status;
  std::optional<int64_t> content_length;
  bool operator==(const HttpResponseInfo&) const = default;
};

struct HttpInfo {
  std::optional<HttpRequestInfo> request;
  std::optional<HttpResponseInfo> response;
  bool operator==(const HttpInfo&) const = default;
};

// The `aws` object. Only the members that Roentgen indexes or graphs are typed; the whole
// object stays in the raw document.
struct AwsInfo {
  std::string account_id;
  std::string operation;
  std::string region;
  std::string request_id;
  std::string table_name;
  std::string queue_url;
  std::string ec2_instance_id;
  std::string ec2_availability_zone;
  std::string ecs_container;
  std::string ecs_availability_zone;
  std::string xray_sdk;
  std::string xray_sdk_version;
  std::string xray_sampling_rule_name;  // aws.xray.rule_name or sampling_rule_name
  bool operator==(const AwsInfo&) const = default;
};

struct SqlInfo {
  std::string url;
  std::string connection_string;
  std::string sanitized_query;
  std::string database_type;
  std::string database_version;
  std::string driver_version;
  std::string user;
  std::string preparation;
  bool operator==(const SqlInfo&) const = default;
};

struct StackFrame {
  std::string path;
  int32_t line = 0;
  std::string label;
  bool operator==(const StackFrame&) const = default;
};

struct ExceptionInfo {
  std::string id;
  std::string message;
  std::string type;
  bool remote = false;
  int32_t truncated = 0;
  int32_t skipped = 0;
  std::string cause;  // id of the exception that caused this one
  std::vector<StackFrame> stack;
  bool operator==(const ExceptionInfo&) const = default;
};

// `cause`: either a reference to an exception recorded elsewhere (exception_id) or an object.
struct CauseInfo {
  std::string exception_id;
  std::string working_directory;
  std::vector<std::string> paths;
  std::vector<ExceptionInfo> exceptions;
  bool operator==(const CauseInfo&) const = default;
};

// A segment or subsegment: the fields both share, plus the segment-only ones (empty on
// subsegments).
struct Entity {
  SegmentId id;
  std::string name;
  double start_time = 0;
  std::optional<double> end_time;  // absent while in progress
  bool in_progress = false;
  std::string namespace_name;  // subsegments: "aws", "remote", "local" or empty
  bool error = false;
  bool throttle = false;
  bool fault = false;
  // Rarely present and large: boxed so that an Entity stays small.
  Box<CauseInfo> cause;
  Box<HttpInfo> http;
  Box<AwsInfo> aws;
  Box<SqlInfo> sql;
  std::vector<Annotation> annotations;
  bool has_metadata = false;
  std::vector<SegmentId> precursor_ids;
  std::vector<Entity> subsegments;
  // Segment-only (empty on subsegments).
  std::string origin;
  std::string user;
  std::string resource_arn;
  std::string service_version;
  bool inferred = false;  // set only on server-generated inferred segments
  bool operator==(const Entity&) const = default;
};

enum class DocumentKind {
  kSegment,     // a top-level segment
  kSubsegment,  // an independent subsegment ("type": "subsegment")
};

// One parsed segment document (one datagram or one PutTraceSegments string).
struct SegmentDocument {
  DocumentKind kind = DocumentKind::kSegment;
  TraceId trace_id;
  // Segments: the caller's subsegment id from the trace header, if any. Independent
  // subsegments: the parent segment or subsegment (always present).
  std::optional<SegmentId> parent_id;
  Entity entity;
  bool operator==(const SegmentDocument&) const = default;
};

}  // namespace roentgen::model
