// SPDX-License-Identifier: Apache-2.0
// Segment trees, their JSON documents and when they are sent.
//
// A segment tree lives in memory until its root and every subsegment have ended, then goes out
// as one document; the request thread only serializes and enqueues. Two things split a tree:
//   - streaming: once a tree holds more than `streaming_threshold` subsegments, each subsegment
//     that ends with its whole subtree ended is sent at once as an independent subsegment
//     (`"type":"subsegment"`, trace_id, parent_id) and detached, as aws-xray-sdk-core does;
//   - size: a document over kMaxDocumentBytes sheds its largest ended child subtrees as
//     independent documents until it fits (recursively), so no datagram exceeds 64 KiB.
// The rejected alternative, fragmenting one document over several datagrams, is not part of
// the daemon protocol: every datagram must be a whole document.
#include "roentgen/sdk/recorder.h"

#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>

#include "json_internal.h"
#include "recorder_internal.h"

namespace roentgen::sdk {

using internal::EntityData;
using internal::RecorderCore;
using internal::SegmentState;

namespace {

constexpr size_t kMaxAnnotationKey = 500;
constexpr size_t kMaxAnnotationValue = 1000;
constexpr size_t kMaxName = 200;

#if defined(__clang__)
constexpr std::string_view kRuntimeVersion = "clang " __clang_version__;
#elif defined(__GNUC__)
constexpr std::string_view kRuntimeVersion = "gcc " __VERSION__;
#else
constexpr std::string_view kRuntimeVersion = "unknown";
#endif

// The current entity of this thread (innermost scope last).
thread_local std::vector<std::shared_ptr<EntityData>> tls_context;

// Cuts `text` to at most `max_chars` UTF-8 characters without splitting one.
std::string TruncateUtf8(std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if ((static_cast<unsigned char>(text[pos]) & 0xC0) != 0x80) {
      if (chars == max_chars) return std::string(text.substr(0, pos));
      ++chars;
    }
  }
  return std::string(text);
}

// Segment names: the SDKs strip ? ; * ( ) ! $ ~ ^ < > and cap at 200 characters.
std::string SanitizeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (std::string_view("?;*()!$~^<>").find(c) == std::string_view::npos) out.push_back(c);
  }
  return TruncateUtf8(out, kMaxName);
}

bool IsValidAnnotationKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxAnnotationKey) return false;
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void SetField(Json::Object& object, std::string_view key, Json value) {
  for (auto& [name, existing] : object) {
    if (name == key) {
      existing = std::move(value);
      return;
    }
  }
  object.emplace_back(std::string(key), std::move(value));
}

void AppendKey(std::string& out, std::string_view key) {
  out.push_back(',');
  internal::AppendQuoted(out, key);
  out.push_back(':');
}

void AppendObject(std::string& out, const Json::Object& object) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, value] : object) {
    if (!first) out.push_back(',');
    first = false;
    internal::AppendQuoted(out, name);
    out.push_back(':');
    value.AppendTo(out);
  }
  out.push_back('}');
}

bool SubtreeEnded(const EntityData& entity) {
  if (!entity.ended) return false;
  for (const auto& child : entity.subsegments) {
    if (!SubtreeEnded(*child)) return false;
  }
  return true;
}

size_t SubtreeSize(const EntityData& entity) {
  size_t size = 1;
  for (const auto& child : entity.subsegments) size += SubtreeSize(*child);
  return size;
}

// Writes one entity. `independent` adds type/parent_id/trace_id to a subsegment; an entity
// that has not ended is written with "in_progress":true instead of end_time.
// REQUIRES: entity.segment->mu held.
void Serialize(const EntityData& entity, bool independent, std::string& out) {
  const SegmentState& segment = *entity.segment;
  const RecorderCore& core = *segment.core;
  out.push_back('{');
  if (entity.is_segment) {
    out += "\"trace_id\":";
    internal::AppendQuoted(out, segment.trace_id);
    AppendKey(out, "id");
  } else {
    out += "\"id\":";
  }
  internal::AppendQuoted(out, entity.id);
  AppendKey(out, "start_time");
  internal::AppendTime(out, entity.start_time);
  AppendKey(out, "name");
  internal::AppendQuoted(out, entity.name);
  if (entity.is_segment) {
    if (!segment.parent_id.empty()) {
      AppendKey(out, "parent_id");
      internal::AppendQuoted(out, segment.parent_id);
    }
    AppendKey(out, "service");
    out += "{\"runtime\":\"C++\",\"runtime_version\":";
    internal::AppendQuoted(out, kRuntimeVersion);
    out += ",\"version\":";
    internal::AppendQuoted(
        out, entity.service_version.empty() ? std::string_view("unknown") : entity.service_version);
    out += ",\"name\":";
    internal::AppendQuoted(out, core.service_name);
    out.push_back('}');
    AppendKey(out, "aws");
    out.push_back('{');
    for (const auto& [name, value] : entity.aws) {
      internal::AppendQuoted(out, name);
      out.push_back(':');
      value.AppendTo(out);
      out.push_back(',');
    }
    out += "\"xray\":{\"sdk\":\"X-Ray for C++\",\"sdk_version\":";
    internal::AppendQuoted(out, kSdkVersion);
    out += ",\"package\":\"roentgen-sdk\"";
    if (!segment.rule_name.empty()) {
      out += ",\"rule_name\":";
      internal::AppendQuoted(out, segment.rule_name);
    }
    out += "}}";
    if (!entity.origin.empty()) {
      AppendKey(out, "origin");
      internal::AppendQuoted(out, entity.origin);
    }
    if (!entity.resource_arn.empty()) {
      AppendKey(out, "resource_arn");
      internal::AppendQuoted(out, entity.resource_arn);
    }
  } else {
    if (!entity.name_space.empty()) {
      AppendKey(out, "namespace");
      internal::AppendQuoted(out, entity.name_space);
    }
    if (!entity.aws.empty()) {
      AppendKey(out, "aws");
      AppendObject(out, entity.aws);
    }
  }
  if (!entity.http_request.empty() || !entity.http_response.empty()) {
    AppendKey(out, "http");
    out.push_back('{');
    if (!entity.http_request.empty()) {
      out += "\"request\":";
      AppendObject(out, entity.http_request);
    }
    if (!entity.http_response.empty()) {
      if (!entity.http_request.empty()) out.push_back(',');
      out += "\"response\":";
      AppendObject(out, entity.http_response);
    }
    out.push_back('}');
  }
  if (!entity.annotations.empty()) {
    AppendKey(out, "annotations");
    AppendObject(out, entity.annotations);
  }
  if (entity.is_segment && !entity.user.empty()) {
    AppendKey(out, "user");
    internal::AppendQuoted(out, entity.user);
  }
  if (!entity.metadata.empty()) {
    AppendKey(out, "metadata");
    out.push_back('{');
    bool first = true;
    for (const auto& [name_space, values] : entity.metadata) {
      if (!first) out.push_back(',');
      first = false;
      internal::AppendQuoted(out, name_space);
      out.push_back(':');
      AppendObject(out, values);
    }
    out.push_back('}');
  }
  if (!entity.sql.empty()) {
    AppendKey(out, "sql");
    AppendObject(out, entity.sql);
  }
  if (entity.traced) out += ",\"traced\":true";
  if (!entity.subsegments.empty()) {
    AppendKey(out, "subsegments");
    out.push_back('[');
    bool first = true;
    for (const auto& child : entity.subsegments) {
      if (!first) out.push_back(',');
      first = false;
      Serialize(*child, false, out);
    }
    out.push_back(']');
  }
  if (entity.throttle) out += ",\"throttle\":true";
  if (entity.error) out += ",\"error\":true";
  if (entity.fault) out += ",\"fault\":true";
  if (!entity.exceptions.empty()) {
    AppendKey(out, "cause");
    out += "{\"working_directory\":";
    internal::AppendQuoted(out, core.working_directory);
    out += ",\"exceptions\":";
    Json(entity.exceptions).AppendTo(out);
    out.push_back('}');
  }
  if (entity.ended) {
    AppendKey(out, "end_time");
    internal::AppendTime(out, entity.end_time);
  } else {
    out += ",\"in_progress\":true";
  }
  if (independent && !entity.is_segment) {
    out += ",\"type\":\"subsegment\",\"parent_id\":";
    internal::AppendQuoted(out, entity.parent_id);
    out += ",\"trace_id\":";
    internal::AppendQuoted(out, segment.trace_id);
  }
  out.push_back('}');
}

// Serializes `entity`, splitting off its largest ended child subtrees as independent
// documents until it fits. Appends documents in send order (children first).
// REQUIRES: entity.segment->mu held.
void BuildDocuments(EntityData& entity, bool independent, std::vector<std::string>& out,
                    uint64_t& split_off, uint64_t& dropped) {
  std::string doc;
  doc.reserve(1024);
  Serialize(entity, independent, doc);
  while (doc.size() > kMaxDocumentBytes) {
    // Largest ended children first.
    std::vector<std::pair<size_t, size_t>> sizes;  // (size, index)
    for (size_t idx = 0; idx < entity.subsegments.size(); ++idx) {
      if (!SubtreeEnded(*entity.subsegments[idx])) continue;
      std::string child;
      Serialize(*entity.subsegments[idx], false, child);
      sizes.emplace_back(child.size(), idx);
    }
    if (sizes.empty()) {
      ++dropped;  // one entity alone is too large (huge metadata): nothing to split off
      return;
    }
    std::sort(sizes.rbegin(), sizes.rend());
    size_t excess = doc.size() - kMaxDocumentBytes;
    std::vector<size_t> detach;
    size_t freed = 0;
    for (const auto& [size, idx] : sizes) {
      detach.push_back(idx);
      freed += size + 1;
      if (freed >= excess) break;
    }
    std::sort(detach.rbegin(), detach.rend());  // erase from the back
    std::vector<std::shared_ptr<EntityData>> removed;
    for (size_t idx : detach) {
      removed.push_back(entity.subsegments[idx]);
      entity.subsegments.erase(entity.subsegments.begin() + static_cast<ptrdiff_t>(idx));
    }
    for (const auto& child : removed) {
      entity.segment->subsegment_count -= SubtreeSize(*child);
      BuildDocuments(*child, true, out, split_off, dropped);
      ++split_off;
    }
    doc.clear();
    Serialize(entity, independent, doc);
  }
  out.push_back(std::move(doc));
}

void SendAll(RecorderCore& core, std::vector<std::string>& docs) {
  for (std::string& doc : docs) {
    if (!core.emitter->Send(std::move(doc))) core.documents_dropped.fetch_add(1);
  }
}

std::string Demangle(const char* name) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return name;
  std::string out(demangled);
  std::free(demangled);
  return out;
}

std::shared_ptr<EntityData> NewChild(const std::shared_ptr<EntityData>& parent,
                                     std::string_view name, std::string_view name_space) {
  auto child = std::make_shared<EntityData>();
  SegmentState& segment = *parent->segment;
  child->segment = parent->segment;
  child->id = NewEntityId();
  child->parent_id = parent->id;
  child->parent = parent;
  child->start_time = segment.core->clock->Now();
  child->name = SanitizeName(name);
  child->name_space = std::string(name_space);
  std::lock_guard lock(segment.mu);
  if (parent->ended) return nullptr;  // children of an ended entity are refused
  ++segment.open_count;
  if (segment.sampled) {
    parent->subsegments.push_back(child);
    ++segment.subsegment_count;
  }
  return child;
}

}  // namespace

void internal::RecorderCore::Log(std::string_view message) const {
  if (logger) {
    logger(message);
    return;
  }
  std::fprintf(stderr, "[roentgen-sdk] %.*s\n", static_cast<int>(message.size()), message.data());
}

// ------------------------------------------------------------------------------------------
// Entity

#define RG_SDK_LOCKED_WRITE()               \
  if (data_ == nullptr) return;             \
  std::lock_guard lock(data_->segment->mu); \
  if (data_->ended || !data_->segment->sampled) return

bool Entity::is_sampled() const { return data_ != nullptr && data_->segment->sampled; }
std::string Entity::id() const { return data_ != nullptr ? data_->id : std::string(); }
std::string Entity::trace_id() const {
  return data_ != nullptr ? data_->segment->trace_id : std::string();
}

bool Entity::is_ended() const {
  if (data_ == nullptr) return true;
  std::lock_guard lock(data_->segment->mu);
  return data_->ended;
}

bool Entity::AddAnnotation(std::string_view key, std::string_view value) {
  if (data_ == nullptr) return false;
  if (!IsValidAnnotationKey(key)) {
    data_->segment->core->invalid_annotations.fetch_add(1);
    return false;
  }
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return false;
  SetField(data_->annotations, key, Json(TruncateUtf8(value, kMaxAnnotationValue)));
  return true;
}

bool Entity::AddAnnotation(std::string_view key, const char* value) {
  return AddAnnotation(key, std::string_view(value != nullptr ? value : ""));
}

bool Entity::AddAnnotation(std::string_view key, double value) {
  if (data_ == nullptr) return false;
  if (!IsValidAnnotationKey(key) || !std::isfinite(value)) {
    data_->segment->core->invalid_annotations.fetch_add(1);
    return false;
  }
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return false;
  SetField(data_->annotations, key, Json(value));
  return true;
}

bool Entity::AddAnnotation(std::string_view key, int64_t value) {
  if (data_ == nullptr) return false;
  if (!IsValidAnnotationKey(key)) {
    data_->segment->core->invalid_annotations.fetch_add(1);
    return false;
  }
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return false;
  SetField(data_->annotations, key, Json(value));
  return true;
}

bool Entity::AddAnnotation(std::string_view key, int value) {
  return AddAnnotation(key, static_cast<int64_t>(value));
}

bool Entity::AddAnnotation(std::string_view key, bool value) {
  if (data_ == nullptr) return false;
  if (!IsValidAnnotationKey(key)) {
    data_->segment->core->invalid_annotations.fetch_add(1);
    return false;
  }
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return false;
  SetField(data_->annotations, key, Json(value));
  return true;
}

bool Entity::AddMetadata(std::string_view key, Json value, std::string_view name_space) {
  if (data_ == nullptr || key.empty()) return false;
  if (name_space.empty()) name_space = "default";
  if (name_space.substr(0, 4) == "AWS.") return false;
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return false;
  for (auto& [name, values] : data_->metadata) {
    if (name == name_space) {
      SetField(values, key, std::move(value));
      return true;
    }
  }
  Json::Object values;
  values.emplace_back(std::string(key), std::move(value));
  data_->metadata.emplace_back(std::string(name_space), std::move(values));
  return true;
}

void Entity::SetHttpRequest(std::string_view method, std::string_view url,
                            std::string_view user_agent, std::string_view client_ip) {
  RG_SDK_LOCKED_WRITE();
  Json::Object& request = data_->http_request;
  if (!method.empty()) SetField(request, "method", Json(method));
  if (!url.empty()) SetField(request, "url", Json(url));
  if (data_->is_segment) {
    SetField(request, "user_agent", Json(user_agent));
    if (!client_ip.empty()) SetField(request, "client_ip", Json(client_ip));
  }
}

void Entity::SetHttpResponse(int status, int64_t content_length) {
  RG_SDK_LOCKED_WRITE();
  SetField(data_->http_response, "status", Json(status));
  if (content_length >= 0) SetField(data_->http_response, "content_length", Json(content_length));
  if (status == 429) {
    data_->throttle = true;
    data_->error = true;
  } else if (status >= 500) {
    data_->fault = true;
  } else if (status >= 400) {
    data_->error = true;
  }
}

void Entity::SetError() {
  RG_SDK_LOCKED_WRITE();
  data_->error = true;
}

void Entity::SetFault() {
  RG_SDK_LOCKED_WRITE();
  data_->fault = true;
}

void Entity::SetThrottle() {
  RG_SDK_LOCKED_WRITE();
  data_->throttle = true;
  data_->error = true;
}

std::string Entity::AddException(const ExceptionInfo& exception) {
  if (data_ == nullptr) return "";
  std::string id = NewEntityId();
  Json::Object record;
  record.emplace_back("message", Json(TruncateUtf8(exception.message, 4096)));
  record.emplace_back("type", Json(exception.type));
  if (!exception.stack.empty()) {
    Json::Array stack;
    for (const StackFrame& frame : exception.stack) {
      Json::Object f;
      f.emplace_back("path", Json(frame.path));
      f.emplace_back("line", frame.line > 0 ? Json(frame.line) : Json(nullptr));
      f.emplace_back("label", Json(frame.label));
      stack.emplace_back(std::move(f));
    }
    record.emplace_back("stack", Json(std::move(stack)));
  }
  record.emplace_back("remote", Json(exception.remote));
  record.emplace_back("id", Json(id));
  std::lock_guard lock(data_->segment->mu);
  if (data_->ended || !data_->segment->sampled) return id;
  data_->exceptions.emplace_back(std::move(record));
  if (!data_->error && !data_->throttle) data_->fault = true;
  return id;
}

std::string Entity::AddException(const std::exception& exception, bool remote) {
  ExceptionInfo info;
  info.type = Demangle(typeid(exception).name());
  info.message = exception.what();
  info.remote = remote;
  return AddException(info);
}

std::string Entity::AddCurrentException(bool remote) {
  std::exception_ptr current = std::current_exception();
  if (!current) return "";
  // The one place the SDK handles C++ exceptions: it must, to learn the type of the caught one.
  try {
    std::rethrow_exception(current);
  } catch (const std::exception& e) {
    return AddException(e, remote);
  } catch (...) {
    return AddException(ExceptionInfo{"unknown", "non-standard exception", remote, {}});
  }
}

void Entity::SetAws(std::string_view key, Json value) {
  RG_SDK_LOCKED_WRITE();
  if (key == "xray") return;  // written by the SDK
  SetField(data_->aws, key, std::move(value));
}

Subsegment Entity::BeginSubsegment(std::string_view name, std::string_view name_space) {
  if (data_ == nullptr) return Subsegment();
  std::shared_ptr<EntityData> child = NewChild(data_, name, name_space);
  return child != nullptr ? Subsegment(std::move(child)) : Subsegment();
}

void Entity::End() {
  if (data_ == nullptr) return;
  SegmentState& segment = *data_->segment;
  RecorderCore& core = *segment.core;
  double now = core.clock->Now();
  std::vector<std::string> docs;
  std::shared_ptr<EntityData> finished_root;
  uint64_t split_off = 0, dropped = 0;
  {
    std::lock_guard lock(segment.mu);
    if (data_->ended) return;
    data_->ended = true;
    data_->end_time = std::max(now, data_->start_time);
    --segment.open_count;
    if (segment.sampled && !data_->is_segment &&
        segment.subsegment_count > core.streaming_threshold && SubtreeEnded(*data_)) {
      // Stream this subsegment now (the parent is still open, or the segment is large).
      if (std::shared_ptr<EntityData> parent = data_->parent.lock();
          parent != nullptr && !segment.sent) {
        auto& siblings = parent->subsegments;
        auto it = std::find(siblings.begin(), siblings.end(), data_);
        if (it != siblings.end()) {
          siblings.erase(it);
          segment.subsegment_count -= SubtreeSize(*data_);
          BuildDocuments(*data_, true, docs, split_off, dropped);
          ++split_off;
        }
      }
    }
    if (data_->is_segment) segment.pending_root = data_;
    if (segment.open_count == 0 && segment.pending_root != nullptr && !segment.sent) {
      segment.sent = true;
      finished_root = std::move(segment.pending_root);
      if (!segment.sampled) finished_root.reset();
    }
  }
  core.subsegments_streamed.fetch_add(split_off);
  core.documents_dropped.fetch_add(dropped);
  SendAll(core, docs);
  if (finished_root == nullptr) return;
  core.segments_sent.fetch_add(1);
  // Serialization (and any split) runs where the emitter chooses: UdpEmitter does it on its
  // sender thread, which keeps it off the request thread. Every entity of the tree has ended,
  // so nothing writes to it any more; the lock only orders memory.
  bool queued =
      core.emitter->SendLater([root = std::move(finished_root)](std::vector<std::string>& out) {
        SegmentState& state = *root->segment;
        uint64_t split = 0, too_large = 0;
        {
          std::lock_guard lock(state.mu);
          BuildDocuments(*root, false, out, split, too_large);
        }
        state.core->subsegments_streamed.fetch_add(split);
        state.core->documents_dropped.fetch_add(too_large);
      });
  if (!queued) core.documents_dropped.fetch_add(1);
}

TraceHeader Entity::DownstreamHeader() const {
  TraceHeader header;
  if (data_ == nullptr) return header;
  const SegmentState& segment = *data_->segment;
  header.root = segment.trace_id;
  header.parent = data_->id;
  header.sampled = segment.sampled ? SampledFlag::kSampled : SampledFlag::kNotSampled;
  header.lineage = segment.lineage;
  header.extra = segment.extra;
  return header;
}

// ------------------------------------------------------------------------------------------
// Segment / Subsegment

void Segment::SetUser(std::string_view user) {
  RG_SDK_LOCKED_WRITE();
  data_->user = TruncateUtf8(user, 250);
}

void Segment::SetOrigin(std::string_view origin) {
  RG_SDK_LOCKED_WRITE();
  data_->origin = std::string(origin);
}

void Segment::SetServiceVersion(std::string_view version) {
  RG_SDK_LOCKED_WRITE();
  data_->service_version = std::string(version);
}

void Segment::SetResourceArn(std::string_view arn) {
  RG_SDK_LOCKED_WRITE();
  data_->resource_arn = std::string(arn);
}

std::string Segment::ResponseHeader() const {
  if (data_ == nullptr) return "";
  const SegmentState& segment = *data_->segment;
  std::string header = "Root=" + segment.trace_id;
  if (segment.upstream_flag == SampledFlag::kRequested ||
      segment.upstream_flag == SampledFlag::kUnknown) {
    header += segment.sampled ? ";Sampled=1" : ";Sampled=0";
  }
  return header;
}

void Segment::SendInProgress() {
  if (data_ == nullptr) return;
  SegmentState& segment = *data_->segment;
  std::string doc;
  {
    std::lock_guard lock(segment.mu);
    if (data_->ended || !segment.sampled) return;
    // Only the segment itself: subsegments come with the complete document.
    std::vector<std::shared_ptr<EntityData>> children = std::move(data_->subsegments);
    data_->subsegments.clear();
    Serialize(*data_, false, doc);
    data_->subsegments = std::move(children);
  }
  if (doc.size() > kMaxDocumentBytes || !segment.core->emitter->Send(std::move(doc))) {
    segment.core->documents_dropped.fetch_add(1);
  }
}

void Subsegment::SetNamespace(std::string_view name_space) {
  RG_SDK_LOCKED_WRITE();
  data_->name_space = std::string(name_space);
}

void Subsegment::SetSql(const SqlInfo& sql) {
  RG_SDK_LOCKED_WRITE();
  Json::Object& out = data_->sql;
  out.clear();
  auto put = [&out](const char* key, const std::string& value) {
    if (!value.empty()) out.emplace_back(key, Json(value));
  };
  put("url", sql.url);
  put("connection_string", sql.connection_string);
  put("sanitized_query", sql.sanitized_query);
  put("database_type", sql.database_type);
  put("database_version", sql.database_version);
  put("driver_version", sql.driver_version);
  put("user", sql.user);
  put("preparation", sql.preparation);
}

void Subsegment::SetTraced(bool traced) {
  RG_SDK_LOCKED_WRITE();
  data_->traced = traced;
}

#undef RG_SDK_LOCKED_WRITE

// ------------------------------------------------------------------------------------------
// Recorder

namespace {

std::optional<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos) return std::nullopt;
  if (port.empty() || port.size() > 5) return std::nullopt;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return std::make_pair(std::string(host), static_cast<uint16_t>(value));
}

const char* Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

}  // namespace

std::optional<DaemonAddress> ParseDaemonAddress(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    size_t space = value.find(' ');
    std::string_view item = value.substr(0, space);
    if (!item.empty()) items.push_back(item);
    value = space == std::string_view::npos ? std::string_view() : value.substr(space + 1);
  }
  DaemonAddress out;
  if (items.size() == 1) {
    if (items[0].find("tcp") != std::string_view::npos ||
        items[0].find("udp") != std::string_view::npos) {
      return std::nullopt;
    }
    auto hp = ParseHostPort(items[0]);
    if (!hp) return std::nullopt;
    out.udp_host = out.tcp_host = hp->first;
    out.udp_port = out.tcp_port = hp->second;
    return out;
  }
  if (items.size() != 2) return std::nullopt;
  bool has_tcp = false, has_udp = false;
  for (std::string_view item : items) {
    bool is_tcp = item.substr(0, 4) == "tcp:";
    bool is_udp = item.substr(0, 4) == "udp:";
    if (!is_tcp && !is_udp) return std::nullopt;
    auto hp = ParseHostPort(item.substr(4));
    if (!hp) return std::nullopt;
    if (is_tcp) {
      if (has_tcp) return std::nullopt;
      has_tcp = true;
      out.tcp_host = hp->first;
      out.tcp_port = hp->second;
    } else {
      if (has_udp) return std::nullopt;
      has_udp = true;
      out.udp_host = hp->first;
      out.udp_port = hp->second;
    }
  }
  return out;
}

std::unique_ptr<Recorder> Recorder::Create(RecorderOptions options) {
  auto core = std::make_shared<RecorderCore>();
  core->logger = std::move(options.logger);
  core->clock = options.clock != nullptr ? options.clock : &SystemClock();
  core->streaming_threshold = options.streaming_threshold;
  core->service_version = options.service_version;
  core->origin = options.origin;
  core->context_missing = options.context_missing;

  std::string address = options.daemon_address;
  std::string name = options.service_name;
  if (options.read_environment) {
    if (const char* env = Getenv("AWS_XRAY_DAEMON_ADDRESS")) address = env;
    if (const char* env = Getenv("AWS_XRAY_TRACING_NAME")) name = env;
    if (const char* env = Getenv("AWS_XRAY_CONTEXT_MISSING")) {
      std::string_view strategy(env);
      if (strategy == "IGNORE_ERROR") {
        core->context_missing = ContextMissingStrategy::kIgnoreError;
      } else if (strategy == "LOG_ERROR") {
        core->context_missing = ContextMissingStrategy::kLogError;
      } else {
        // RUNTIME_ERROR (throw) is deliberately not offered: the SDK never throws.
        core->Log("AWS_XRAY_CONTEXT_MISSING=" + std::string(strategy) +
                  " is not supported; using LOG_ERROR");
      }
    }
  }
  if (!address.empty()) {
    if (std::optional<DaemonAddress> parsed = ParseDaemonAddress(address)) {
      core->daemon = *parsed;
    } else {
      core->Log("invalid daemon address '" + address + "'; using 127.0.0.1:2000");
    }
  }
  core->service_name = SanitizeName(name);
  if (core->service_name.empty()) core->service_name = "unknown";
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) != nullptr) core->working_directory = cwd;

  if (options.sampler != nullptr) {
    core->sampler = std::move(options.sampler);
  } else {
    CentralizedSampler::Options sampler_options;
    sampler_options.daemon_host = core->daemon.tcp_host;
    sampler_options.daemon_port = core->daemon.tcp_port;
    sampler_options.clock = core->clock;
    sampler_options.local_rules = std::move(options.local_sampling_rules);
    core->sampler = std::make_unique<CentralizedSampler>(std::move(sampler_options));
  }
  if (options.emitter != nullptr) {
    core->emitter = std::move(options.emitter);
  } else {
    UdpEmitter::Options emitter_options;
    emitter_options.host = core->daemon.udp_host;
    emitter_options.port = core->daemon.udp_port;
    core->emitter = std::make_unique<UdpEmitter>(std::move(emitter_options));
  }
  return std::unique_ptr<Recorder>(new Recorder(std::move(core)));
}

Recorder::Recorder(std::shared_ptr<RecorderCore> core) : core_(std::move(core)) {}

Recorder::~Recorder() { Shutdown(1); }

void Recorder::ContextMissing(std::string_view what) const {
  core_->context_missing_count.fetch_add(1);
  if (core_->context_missing == ContextMissingStrategy::kLogError) {
    core_->Log("context missing: " + std::string(what) + " has no current segment");
  }
}

Segment Recorder::BeginSegment(std::string_view name, const TraceHeader* upstream,
                               const SamplingRequest& request) {
  auto state = std::make_shared<SegmentState>();
  state->core = core_;
  double now = core_->clock->Now();
  auto root = std::make_shared<EntityData>();
  root->segment = state;
  root->is_segment = true;
  root->id = NewEntityId();
  root->start_time = now;
  root->name = name.empty() ? core_->service_name : SanitizeName(name);
  if (root->name.empty()) root->name = "unknown";
  root->origin = core_->origin;
  root->service_version = core_->service_version;

  bool decided = false;
  if (upstream != nullptr && IsValidTraceId(upstream->root)) {
    state->trace_id = upstream->root;
    state->parent_id = upstream->parent;
    state->upstream_flag = upstream->sampled;
    state->lineage = upstream->lineage;
    state->extra = upstream->extra;
    if (upstream->sampled == SampledFlag::kSampled ||
        upstream->sampled == SampledFlag::kNotSampled) {
      state->sampled = upstream->sampled == SampledFlag::kSampled;
      decided = true;
    }
  } else {
    state->trace_id = NewTraceId(static_cast<int64_t>(now));
  }
  if (!decided) {
    SamplingRequest match = request;
    if (match.service_name.empty()) match.service_name = root->name;
    if (match.service_type.empty()) match.service_type = core_->origin;
    SamplingDecision decision = core_->sampler->ShouldSample(match);
    state->sampled = decision.sampled;
    if (decision.sampled) state->rule_name = decision.rule_name;
  }
  state->open_count = 1;
  state->root = root;
  return Segment(std::move(root));
}

Subsegment Recorder::BeginSubsegment(std::string_view name, std::string_view name_space) {
  if (tls_context.empty()) {
    ContextMissing("BeginSubsegment(\"" + std::string(name) + "\")");
    return Subsegment();
  }
  std::shared_ptr<EntityData> child = NewChild(tls_context.back(), name, name_space);
  return child != nullptr ? Subsegment(std::move(child)) : Subsegment();
}

Entity Recorder::CurrentEntity() const {
  if (tls_context.empty()) return Entity();
  return Entity(tls_context.back());
}

bool Recorder::Flush(double timeout_s) { return core_->emitter->Flush(timeout_s); }

void Recorder::Shutdown(double timeout_s) {
  core_->sampler->Shutdown();
  core_->emitter->Shutdown(timeout_s);
}

RecorderStats Recorder::stats() const {
  RecorderStats stats;
  stats.segments_sent = core_->segments_sent.load();
  stats.subsegments_streamed = core_->subsegments_streamed.load();
  stats.documents_dropped = core_->documents_dropped.load();
  stats.invalid_annotations = core_->invalid_annotations.load();
  stats.context_missing = core_->context_missing_count.load();
  return stats;
}

const std::string& Recorder::service_name() const { return core_->service_name; }
const std::string& Recorder::udp_host() const { return core_->daemon.udp_host; }
uint16_t Recorder::udp_port() const { return core_->daemon.udp_port; }
const std::string& Recorder::tcp_host() const { return core_->daemon.tcp_host; }
uint16_t Recorder::tcp_port() const { return core_->daemon.tcp_port; }

// ------------------------------------------------------------------------------------------
// Scopes

SegmentScope::SegmentScope(Recorder& recorder, std::string_view name, const TraceHeader* upstream,
                           const SamplingRequest& request)
    : segment_(recorder.BeginSegment(name, upstream, request)) {
  tls_context.push_back(segment_.data_);
}

SegmentScope::~SegmentScope() {
  if (!tls_context.empty() && tls_context.back() == segment_.data_) tls_context.pop_back();
  segment_.End();
}

SubsegmentScope::SubsegmentScope(Recorder& recorder, std::string_view name,
                                 std::string_view name_space)
    : subsegment_(recorder.BeginSubsegment(name, name_space)) {
  if (subsegment_.valid()) tls_context.push_back(subsegment_.data_);
}

SubsegmentScope::SubsegmentScope(Entity& parent, std::string_view name, std::string_view name_space)
    : subsegment_(parent.BeginSubsegment(name, name_space)) {
  if (subsegment_.valid()) tls_context.push_back(subsegment_.data_);
}

SubsegmentScope::~SubsegmentScope() {
  if (subsegment_.valid() && !tls_context.empty() && tls_context.back() == subsegment_.data_) {
    tls_context.pop_back();
  }
  subsegment_.End();
}

}  // namespace roentgen::sdk
