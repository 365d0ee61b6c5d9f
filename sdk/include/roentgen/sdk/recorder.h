// SPDX-License-Identifier: Apache-2.0
// The recorder: segments, subsegments and what they carry, sent to the X-Ray daemon address.
//
//   auto recorder = roentgen::sdk::Recorder::Create({.service_name = "orders"});
//   {
//     roentgen::sdk::SegmentScope request(*recorder, "", incoming_header);
//     request->SetHttpRequest("POST", "http://example.com/orders");
//     {
//       roentgen::sdk::SubsegmentScope db(*recorder, "orders", "aws");
//       db->AddAnnotation("table", "orders");
//     }
//     request->SetHttpResponse(200);
//   }  // the segment is sent here
//
// Every call is safe on a no-op handle (an unsampled trace, a missing context, a default
// constructed handle): nothing in this API throws, aborts or blocks on the network.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roentgen/sdk/emitter.h"
#include "roentgen/sdk/json.h"
#include "roentgen/sdk/sampler.h"
#include "roentgen/sdk/trace_header.h"

namespace roentgen::sdk {

namespace internal {
struct EntityData;
struct RecorderCore;
}  // namespace internal

inline constexpr std::string_view kSdkVersion = "0.1.0";

// What happens when code asks for the current segment and there is none
// (AWS_XRAY_CONTEXT_MISSING = LOG_ERROR | IGNORE_ERROR). Never an abort or an exception.
enum class ContextMissingStrategy { kLogError, kIgnoreError };

struct StackFrame {
  std::string path{};
  int line = 0;
  std::string label{};
};

// One entry of cause.exceptions. `id` is generated.
struct ExceptionInfo {
  std::string type{};
  std::string message{};
  bool remote = false;  // thrown by a downstream call
  std::vector<StackFrame> stack{};
};

// The `sql` namespace of a subsegment (no passwords in url / connection_string).
struct SqlInfo {
  std::string url{};
  std::string connection_string{};
  std::string sanitized_query{};
  std::string database_type{};
  std::string database_version{};
  std::string driver_version{};
  std::string user{};
  std::string preparation{};  // "statement" | "call"
};

class Subsegment;

// Shared behaviour of segment and subsegment handles. A handle is a cheap reference to a
// trace entity; copies refer to the same entity. Thread-safe: one segment's entities share a
// mutex. After End(), setters are ignored.
class Entity {
 public:
  Entity() = default;

  // False for a no-op handle (default constructed, or context missing).
  bool valid() const { return data_ != nullptr; }
  // True when this entity is recorded and sent. Unsampled entities still have ids so that the
  // decision can be propagated downstream.
  bool is_sampled() const;
  std::string id() const;
  std::string trace_id() const;

  // Indexed annotations. Keys must be 1–500 characters of ASCII letters, digits and `_`;
  // other keys are dropped and counted in RecorderStats::invalid_annotations, as are
  // non-finite numbers. String values longer than 1000 characters are truncated. Returns
  // whether the annotation was recorded.
  bool AddAnnotation(std::string_view key, std::string_view value);
  bool AddAnnotation(std::string_view key, const char* value);
  bool AddAnnotation(std::string_view key, double value);
  bool AddAnnotation(std::string_view key, int64_t value);
  bool AddAnnotation(std::string_view key, int value);
  bool AddAnnotation(std::string_view key, bool value);

  // Metadata `{namespace: {key: value}}`. Namespaces starting with "AWS." are reserved and
  // refused (returns false); an empty key is refused.
  bool AddMetadata(std::string_view key, Json value, std::string_view name_space = "default");

  // http.request / http.response. SetHttpResponse also flags error (4xx), throttle and
  // error (429) or fault (5xx). content_length < 0 is left out.
  void SetHttpRequest(std::string_view method, std::string_view url,
                      std::string_view user_agent = "", std::string_view client_ip = "");
  void SetHttpResponse(int status, int64_t content_length = -1);

  void SetError();
  void SetFault();
  void SetThrottle();  // also sets error, as the SDKs do
  // Records cause.exceptions (and the working directory) and sets fault, unless error or
  // throttle was already set. Returns the exception id.
  std::string AddException(const ExceptionInfo& exception);
  // From a caught exception: type from RTTI (demangled), message from what().
  std::string AddException(const std::exception& exception, bool remote = false);
  // From std::current_exception() inside a catch block; unknown types are recorded as such.
  std::string AddCurrentException(bool remote = false);

  // A field of the `aws` object (operation, region, request_id, table_name, …).
  void SetAws(std::string_view key, Json value);

  // Opens a child subsegment (explicit begin/end; also see SubsegmentScope). `name_space` is
  // "", "aws" or "remote". A no-op handle if this one is.
  Subsegment BeginSubsegment(std::string_view name, std::string_view name_space = "");

  // Ends the entity (end_time = now). The segment is sent when it and all its subsegments
  // have ended. Idempotent.
  void End();
  bool is_ended() const;

  // The header to send to a downstream call made inside this entity: Root, Parent = this id,
  // the sampling decision and the upstream Lineage.
  TraceHeader DownstreamHeader() const;

 protected:
  explicit Entity(std::shared_ptr<internal::EntityData> data) : data_(std::move(data)) {}
  std::shared_ptr<internal::EntityData> data_;

  friend class Recorder;
  friend class SegmentScope;
  friend class SubsegmentScope;
};

// A segment: the work one service did for one request.
class Segment : public Entity {
 public:
  Segment() = default;

  void SetUser(std::string_view user);
  void SetOrigin(std::string_view origin);  // e.g. "AWS::EC2::Instance"
  void SetServiceVersion(std::string_view version);
  void SetResourceArn(std::string_view arn);

  // The response header for the caller: `Root=…;Sampled=1|0` when the upstream asked with
  // Sampled=? (or sent no decision), otherwise `Root=…`. Empty for a no-op handle.
  std::string ResponseHeader() const;

  // Sends the segment now as an in-progress document (`"in_progress":true`, no end_time),
  // for long requests. The complete document later replaces it. No-op once ended.
  void SendInProgress();

 private:
  using Entity::Entity;
  friend class Recorder;
};

// A subsegment: a unit of work or a downstream call inside a segment.
class Subsegment : public Entity {
 public:
  Subsegment() = default;

  void SetNamespace(std::string_view name_space);  // "aws" | "remote"
  void SetSql(const SqlInfo& sql);
  // http.request.traced: the downstream is instrumented and will send its own segment.
  void SetTraced(bool traced);

 private:
  using Entity::Entity;
  friend class Entity;
  friend class Recorder;
};

struct RecorderOptions {
  // Default segment name; AWS_XRAY_TRACING_NAME overrides it.
  std::string service_name{};
  // `host:port` or `tcp:host:port udp:host:port`; AWS_XRAY_DAEMON_ADDRESS overrides it.
  // Default 127.0.0.1:2000.
  std::string daemon_address{};
  // AWS_XRAY_CONTEXT_MISSING (LOG_ERROR | IGNORE_ERROR) overrides it.
  ContextMissingStrategy context_missing = ContextMissingStrategy::kLogError;
  std::string service_version{};  // service.version on every segment
  std::string origin{};           // origin on every segment
  // nullptr: centralized sampling against the daemon address.
  std::unique_ptr<Sampler> sampler{};
  // With the default sampler: the local rules used until (and whenever) centralized rules are
  // unavailable, instead of 1/s then 5 % (LocalRules; e.g. LoadLocalRules(path)).
  std::optional<LocalRules> local_sampling_rules{};
  // nullptr: UDP to the daemon address.
  std::unique_ptr<Emitter> emitter{};
  const Clock* clock = nullptr;  // nullptr: SystemClock(); must outlive the recorder
  // Once a segment holds more subsegments than this, completed subsegments are streamed as
  // their own documents. Documents over kMaxDocumentBytes are split regardless.
  size_t streaming_threshold = 100;
  bool read_environment = true;  // false: ignore the AWS_XRAY_* variables (tests)
  // Where LOG_ERROR messages go; nullptr: one line on stderr.
  std::function<void(std::string_view)> logger{};
};

struct RecorderStats {
  uint64_t segments_sent = 0;         // complete segment documents handed to the emitter
  uint64_t subsegments_streamed = 0;  // independent subsegment documents
  uint64_t documents_dropped = 0;     // refused by the emitter or too large to split
  uint64_t invalid_annotations = 0;   // bad keys or values
  uint64_t context_missing = 0;
};

// Owns the sampler and the emitter. Thread-safe.
class Recorder {
 public:
  // Never fails: a bad daemon address is logged and the default 127.0.0.1:2000 is used.
  static std::unique_ptr<Recorder> Create(RecorderOptions options);
  ~Recorder();  // Shutdown(1)
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Starts a segment. `name` empty → the configured service name ("unknown" if none). With
  // an upstream header the segment joins its trace (parent_id = Parent) and follows its
  // Sampled=1/0; otherwise (or Sampled=?) the sampler decides with `request`. The returned
  // segment is not made current (see SegmentScope).
  Segment BeginSegment(std::string_view name = "", const TraceHeader* upstream = nullptr,
                       const SamplingRequest& request = {});

  // Opens a subsegment of the current entity of this thread (innermost SegmentScope or
  // SubsegmentScope). Without one: the context-missing strategy, and a no-op handle.
  Subsegment BeginSubsegment(std::string_view name, std::string_view name_space = "");
  // The innermost current entity of this thread, or a no-op handle.
  Entity CurrentEntity() const;

  // Waits for queued documents to be sent. Returns true if drained.
  bool Flush(double timeout_s);
  // Stops the sampler poller and the emitter. Idempotent.
  void Shutdown(double timeout_s);

  RecorderStats stats() const;
  const std::string& service_name() const;
  // The parsed daemon address.
  const std::string& udp_host() const;
  uint16_t udp_port() const;
  const std::string& tcp_host() const;
  uint16_t tcp_port() const;

 private:
  explicit Recorder(std::shared_ptr<internal::RecorderCore> core);
  void ContextMissing(std::string_view what) const;
  std::shared_ptr<internal::RecorderCore> core_;
};

// RAII: begins a segment, makes it this thread's current entity, and ends it (and restores
// the previous current entity) on destruction. Not thread-safe; stays on its thread.
class SegmentScope {
 public:
  SegmentScope(Recorder& recorder, std::string_view name = "",
               const TraceHeader* upstream = nullptr, const SamplingRequest& request = {});
  ~SegmentScope();
  SegmentScope(const SegmentScope&) = delete;
  SegmentScope& operator=(const SegmentScope&) = delete;
  Segment* operator->() { return &segment_; }
  Segment& get() { return segment_; }

 private:
  Segment segment_;
};

// RAII: a subsegment of the current entity (or of `parent`), current until destruction.
class SubsegmentScope {
 public:
  SubsegmentScope(Recorder& recorder, std::string_view name, std::string_view name_space = "");
  SubsegmentScope(Entity& parent, std::string_view name, std::string_view name_space = "");
  ~SubsegmentScope();
  SubsegmentScope(const SubsegmentScope&) = delete;
  SubsegmentScope& operator=(const SubsegmentScope&) = delete;
  Subsegment* operator->() { return &subsegment_; }
  Subsegment& get() { return subsegment_; }

 private:
  Subsegment subsegment_;
};

// Parsed AWS_XRAY_DAEMON_ADDRESS.
struct DaemonAddress {
  std::string udp_host = "127.0.0.1";
  uint16_t udp_port = 2000;
  std::string tcp_host = "127.0.0.1";
  uint16_t tcp_port = 2000;
};
// `host:port` (both sides) or `tcp:host:port udp:host:port` in either order. nullopt for an
// empty host, a bad port, a missing side, or more than two items.
std::optional<DaemonAddress> ParseDaemonAddress(std::string_view value);

}  // namespace roentgen::sdk
