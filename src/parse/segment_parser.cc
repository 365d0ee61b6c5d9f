// SPDX-License-Identifier: Apache-2.0
#include "parse/segment_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/check.h"
#include "parse/internal/ids.h"
#include "parse/internal/name_rules.h"
#include "parse/internal/utf8.h"
#include "parse/json_dom.h"

// How this is built, and why.
//
// ParseSegmentDocument runs simdjson's DOM parser (which fully validates the JSON, UTF-8
// included, at several GB/s) and then walks the tape once, dispatching on member names and
// copying what the model needs. The alternative, simdjson On Demand, is faster at picking a
// few fields but validates only what it visits: a broken `metadata` value would be accepted,
// stored, and later break trace assembly and BatchGetTraces. Every document is ingested once
// and read many times, so full validation at ingest is worth its price. (ParseDocumentHeader,
// which is meant for already-validated text, does use On Demand.)
//
// ValidateSegmentDocument runs the same parse and the same walk (DocumentWalker in
// kValidateOnly mode): every check, in the same order, with the same failures, but nothing
// copied. The ingest paths use it; the model is built later, once per trace.
//
// The happy path records no positions. When a document is rejected, the walker remembers the
// path of the offending value ("subsegments[2].end_time"); the slow path then re-parses the
// text with json_dom, which keeps source offsets, to turn that path into a byte offset.

namespace roentgen::parse {
namespace {

namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

using model::Annotation;
using model::AnnotationType;
using model::CauseInfo;
using model::Entity;
using model::ExceptionInfo;
using model::SegmentDocument;
using model::SegmentId;
using model::TraceId;

constexpr size_t kMaxFailureIdBytes = 64;
constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();
// Initial capacity of a thread's simdjson parser; it grows to the largest document seen.
constexpr size_t kInitialParserCapacity = 4096;
// ParseLimits::max_json_depth is capped here (simdjson's default maximum).
constexpr size_t kMaxJsonDepthLimit = 1024;

size_t JsonDepth(const ParseLimits& limits) {
  return std::min(limits.max_json_depth, kMaxJsonDepthLimit);
}

// ---------------------------------------------------------------------------------------------
// Member names.

// `key == literal`, written so that the compiler inlines the comparison (a constant-length
// memcmp) instead of calling memcmp: member-name dispatch is a hot spot.
template <size_t N>
[[gnu::always_inline]] inline bool KeyIs(std::string_view key, const char (&literal)[N]) {
  return key.size() == N - 1 && std::memcmp(key.data(), literal, N - 1) == 0;
}

enum class Field : uint8_t {
  kUnknown,
  kId,
  kName,
  kStartTime,
  kEndTime,
  kInProgress,
  kNamespace,
  kError,
  kThrottle,
  kFault,
  kCause,
  kHttp,
  kAws,
  kSql,
  kAnnotations,
  kMetadata,
  kPrecursorIds,
  kSubsegments,
  kTraced,
  kTraceId,
  kParentId,
  kType,
  kOrigin,
  kUser,
  kResourceArn,
  kService,
};

[[gnu::always_inline]] inline Field ClassifyEntityField(std::string_view key) {
  switch (key.size()) {
    case 2:
      if (KeyIs(key, "id")) return Field::kId;
      break;
    case 3:
      if (KeyIs(key, "aws")) return Field::kAws;
      if (KeyIs(key, "sql")) return Field::kSql;
      break;
    case 4:
      if (KeyIs(key, "name")) return Field::kName;
      if (KeyIs(key, "http")) return Field::kHttp;
      if (KeyIs(key, "type")) return Field::kType;
      if (KeyIs(key, "user")) return Field::kUser;
      break;
    case 5:
      if (KeyIs(key, "fault")) return Field::kFault;
      if (KeyIs(key, "error")) return Field::kError;
      if (KeyIs(key, "cause")) return Field::kCause;
      break;
    case 6:
      if (KeyIs(key, "origin")) return Field::kOrigin;
      if (KeyIs(key, "traced")) return Field::kTraced;
      break;
    case 7:
      if (KeyIs(key, "service")) return Field::kService;
      break;
    case 8:
      if (KeyIs(key, "end_time")) return Field::kEndTime;
      if (KeyIs(key, "trace_id")) return Field::kTraceId;
      if (KeyIs(key, "metadata")) return Field::kMetadata;
      if (KeyIs(key, "throttle")) return Field::kThrottle;
      break;
    case 9:
      if (KeyIs(key, "namespace")) return Field::kNamespace;
      if (KeyIs(key, "parent_id")) return Field::kParentId;
      break;
    case 10:
      if (KeyIs(key, "start_time")) return Field::kStartTime;
      break;
    case 11:
      if (KeyIs(key, "subsegments")) return Field::kSubsegments;
      if (KeyIs(key, "in_progress")) return Field::kInProgress;
      if (KeyIs(key, "annotations")) return Field::kAnnotations;
      break;
    case 12:
      if (KeyIs(key, "resource_arn")) return Field::kResourceArn;
      break;
    case 13:
      if (KeyIs(key, "precursor_ids")) return Field::kPrecursorIds;
      break;
    default:
      break;
  }
  return Field::kUnknown;
}

// ---------------------------------------------------------------------------------------------
// Scalar helpers over simdjson DOM elements. None of them fails on a wrong type: they report
// "not this type" and the caller decides whether that is an error or a field to ignore.

[[gnu::always_inline]] inline bool GetString(dom::element value, std::string_view* out) {
  return value.get_string().get(*out) == simdjson::SUCCESS;
}

[[gnu::always_inline]] inline bool GetBool(dom::element value, bool* out) {
  return value.get_bool().get(*out) == simdjson::SUCCESS;
}

[[gnu::always_inline]] inline bool GetNumber(dom::element value, double* out) {
  return value.get_double().get(*out) == simdjson::SUCCESS;
}

// An integer-valued number that fits in int64_t (200 and 200.0 both qualify).
bool GetInt64(dom::element value, int64_t* out) {
  switch (value.type()) {
    case dom::element_type::INT64:
      return value.get_int64().get(*out) == simdjson::SUCCESS;
    case dom::element_type::DOUBLE: {
      double number = 0;
      if (value.get_double().get(number) != simdjson::SUCCESS) return false;
      // 2^63 is exactly representable; everything below it converts without overflow.
      if (!(number >= -9223372036854775808.0 && number < 9223372036854775808.0)) return false;
      if (std::trunc(number) != number) return false;
      *out = static_cast<int64_t>(number);
      return true;
    }
    default:
      return false;
  }
}

bool GetInt32(dom::element value, int32_t* out) {
  int64_t wide = 0;
  if (!GetInt64(value, &wide)) return false;
  if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
    return false;
  }
  *out = static_cast<int32_t>(wide);
  return true;
}

[[gnu::always_inline]] inline bool IsNull(dom::element value) {
  return value.type() == dom::element_type::NULL_VALUE;
}

// Returns the best-effort id of a document that could not be parsed as JSON: the first
// `"id" : "..."` in the text, as the X-Ray daemon's regular expression finds it.
std::string ScanForId(std::string_view json) {
  size_t from = 0;
  while (true) {
    const size_t found = json.find("\"id\"", from);
    if (found == std::string_view::npos) return std::string();
    size_t pos = found + 4;
    auto skip_blank = [&] {
      while (pos < json.size() &&
             (json[pos] == ' ' || json[pos] == '\t' || json[pos] == '\n' || json[pos] == '\r')) {
        ++pos;
      }
    };
    skip_blank();
    if (pos < json.size() && json[pos] == ':') {
      ++pos;
      skip_blank();
      if (pos < json.size() && json[pos] == '"') {
        ++pos;
        size_t end = pos;
        while (end < json.size() && end - pos < kMaxFailureIdBytes && json[end] != '"' &&
               json[end] != '\\' && static_cast<unsigned char>(json[end]) >= 0x20) {
          ++end;
        }
        std::string_view id = json.substr(pos, end - pos);
        if (internal::FindInvalidUtf8(id) != internal::kNoInvalidUtf8) return std::string();
        return std::string(id);
      }
    }
    from = found + 4;
  }
}

std::string CutId(std::string_view id) {
  return std::string(id.substr(0, internal::Utf8TruncatedSize(id, kMaxFailureIdBytes)));
}

// ---------------------------------------------------------------------------------------------
// The walker: simdjson DOM → model or header, with validation.
//
// One walker, two modes, so that ValidateSegmentDocument and ParseSegmentDocument cannot drift:
// both run the same WalkEntity loop, which performs every check; only kBuildModel copies into
// the model. Everything that only the model needs lives in void functions (ReadModelField and
// what it calls): returning nothing, they cannot reject a document, so skipping them in
// kValidateOnly mode cannot change which documents are accepted.

// What a walk produces.
enum class WalkMode {
  kBuildModel,    // a model::SegmentDocument
  kValidateOnly,  // a DocumentHeader; no strings copied, no Entity tree
};

// The members of model::Entity that validation reads, under the same names, so that one
// WalkEntity body serves both modes. kValidateOnly walks fill this instead of an Entity.
struct EntityHeader {
  SegmentId id;
  double start_time = 0;
  std::optional<double> end_time;
  bool in_progress = false;
};

// One step of the path to a value: a member name, or an array index when key is empty.
struct PathStep {
  std::string_view key;
  size_t index = kNoIndex;
};

// Not thread-safe; one instance per document.
template <WalkMode kMode>
class DocumentWalker {
 public:
  static constexpr bool kBuild = kMode == WalkMode::kBuildModel;
  using EntityOut = std::conditional_t<kBuild, Entity, EntityHeader>;
  using DocumentOut = std::conditional_t<kBuild, SegmentDocument, DocumentHeader>;

  // `path_storage` is scratch space reused across documents (it saves an allocation per
  // document); it must outlive the walker.
  DocumentWalker(const ParseLimits& limits, std::vector<PathStep>* path_storage)
      : limits_(limits), path_(*path_storage) {
    path_.clear();
  }

  // Fills *out from `root`. On false, code(), detail() and failure_path() say why.
  bool WalkDocument(dom::object root, DocumentOut* out) {
    RootFields root_fields;
    [[maybe_unused]] EntityHeader header_entity;
    EntityOut* entity;
    if constexpr (kBuild) {
      entity = &out->entity;
    } else {
      entity = &header_entity;
    }
    if (!WalkEntity(root, entity, 0, &root_fields)) return false;
    if (!root_fields.trace_id) return FailMissing("trace_id");
    out->trace_id = *root_fields.trace_id;
    out->parent_id = root_fields.parent_id;
    out->kind = root_fields.kind;
    if (out->kind == model::DocumentKind::kSubsegment && !out->parent_id) {
      return FailMissing("parent_id", " (required when \"type\" is \"subsegment\")");
    }
    if constexpr (kBuild) {
      if (out->kind == model::DocumentKind::kSubsegment) {
        // Segment-only fields stay empty on subsegments (model/segment.h).
        entity->origin.clear();
        entity->user.clear();
        entity->resource_arn.clear();
        entity->service_version.clear();
      }
    } else {
      out->id = entity->id;
      out->start_time = entity->start_time;
      out->end_time = entity->end_time;
      out->in_progress = entity->in_progress;
    }
    return true;
  }

  std::string_view code() const { return code_; }
  const std::string& detail() const { return detail_; }
  const std::vector<PathStep>& failure_path() const { return failure_path_; }

 private:
  // Fields only the document's own entity reads.
  struct RootFields {
    std::optional<TraceId> trace_id;
    std::optional<SegmentId> parent_id;
    model::DocumentKind kind = model::DocumentKind::kSegment;
  };

  // Cold: the hot path never builds a message.
  [[gnu::noinline, gnu::cold]] bool Fail(std::string_view code, std::string_view field,
                                         std::string detail) {
    code_ = code;
    detail_ = std::move(detail);
    failure_path_ = path_;
    if (!field.empty()) failure_path_.push_back(PathStep{field, kNoIndex});
    return false;
  }

  [[gnu::noinline, gnu::cold]] bool FailMissing(std::string_view field,
                                                std::string_view extra = {}) {
    std::string detail = "missing required field \"";
    detail.append(field);
    detail.append("\"");
    detail.append(extra);
    return Fail(error_code::kMissingField, {}, std::move(detail));
  }

  [[gnu::always_inline]] void CopyString(std::string_view text, std::string* out) const {
    const size_t size = text.size() <= limits_.max_string_bytes
                            ? text.size()
                            : internal::Utf8TruncatedSize(text, limits_.max_string_bytes);
    // clear + append: cheaper than assign, which must allow for overlapping buffers.
    out->clear();
    out->append(text.data(), size);
  }

  // Copies `value` into *out when it is a string; leaves *out alone otherwise.
  [[gnu::always_inline]] void CopyIfString(dom::element value, std::string* out) const {
    std::string_view text;
    if (GetString(value, &text)) CopyString(text, out);
  }

  // Every check of an entity (a document's own or an embedded subsegment) happens here, in
  // both modes; `root` is null for embedded subsegments.
  [[gnu::flatten]] bool WalkEntity(dom::object object, EntityOut* entity, size_t depth,
                                   RootFields* root) {
    bool have_id = false;
    bool have_name = false;
    bool have_start = false;
    [[maybe_unused]] bool traced = false;  // kBuildModel only
    // Subsegments below this entity (all levels) that subsegment_count_ holds: a repeated
    // `subsegments` member gives them back before it adds its own.
    size_t descendants = 0;
    for (dom::key_value_pair member : object) {
      const Field field = ClassifyEntityField(member.key);
      const dom::element value = member.value;
      switch (field) {
        case Field::kId: {
          have_id = false;
          if (IsNull(value)) break;
          std::string_view text;
          if (!GetString(value, &text)) {
            return Fail(error_code::kInvalidSegmentId, "id", "must be a string of 16 hex digits");
          }
          std::optional<SegmentId> id = internal::ParseSegmentIdFast(text);
          if (!id) return Fail(error_code::kInvalidSegmentId, "id", "must be 16 hex digits");
          entity->id = *id;
          have_id = true;
          break;
        }
        case Field::kName: {
          have_name = false;
          if (IsNull(value)) break;
          std::string_view text;
          if (!GetString(value, &text)) {
            return Fail(error_code::kInvalidName, "name", "must be a string");
          }
          if (!CheckName(text)) return false;
          if constexpr (kBuild) entity->name.assign(text);
          have_name = true;
          break;
        }
        case Field::kStartTime:
          have_start = false;
          if (IsNull(value)) break;
          if (!GetTime(value, "start_time", &entity->start_time)) return false;
          have_start = true;
          break;
        case Field::kEndTime: {
          entity->end_time.reset();
          if (IsNull(value)) break;
          double end_time = 0;
          if (!GetTime(value, "end_time", &end_time)) return false;
          entity->end_time = end_time;
          break;
        }
        case Field::kInProgress:
          GetBool(value, &entity->in_progress);
          break;
        case Field::kSubsegments:
          if (!WalkSubsegments(value, entity, depth, &descendants)) return false;
          break;
        case Field::kTraceId:
        case Field::kParentId:
        case Field::kType:
          // Embedded subsegments carry no segment-level fields; the Python SDK writes
          // trace_id/parent_id/type into them anyway, and X-Ray ignores them.
          if (root != nullptr && !ReadRootField(field, value, root)) return false;
          break;
        case Field::kUnknown:
          break;
        default:
          // Fields that never reject a document.
          if constexpr (kBuild) ReadModelField(field, value, entity, root != nullptr, &traced);
          break;
      }
    }
    if (!have_id) return FailMissing("id");
    if (!have_name) return FailMissing("name");
    if (!have_start) return FailMissing("start_time");
    if (!entity->end_time && !entity->in_progress) {
      return FailMissing("end_time", " (or \"in_progress\": true)");
    }
    if constexpr (kBuild) {
      if (traced) {
        // The Node SDK writes `traced` next to `http`, the schema puts it in http.request.
        if (!entity->http) entity->http.emplace();
        if (!entity->http->request) entity->http->request.emplace();
        entity->http->request->traced = true;
      }
    }
    return true;
  }

  // The document-level fields that can reject it: trace_id, parent_id, type.
  [[gnu::flatten]] bool ReadRootField(Field field, dom::element value, RootFields* root) {
    switch (field) {
      case Field::kTraceId: {
        root->trace_id.reset();
        if (IsNull(value)) return true;
        std::string_view text;
        if (!GetString(value, &text)) {
          return Fail(error_code::kInvalidTraceId, "trace_id", "must be a string");
        }
        root->trace_id = internal::ParseTraceIdFast(text);
        if (!root->trace_id) {
          return Fail(error_code::kInvalidTraceId, "trace_id",
                      "must look like 1-581cf771-a006649127e371903a2de979");
        }
        return true;
      }
      case Field::kParentId: {
        root->parent_id.reset();
        if (IsNull(value)) return true;
        std::string_view text;
        if (!GetString(value, &text)) {
          return Fail(error_code::kInvalidParentId, "parent_id",
                      "must be a string of 16 hex digits");
        }
        root->parent_id = internal::ParseSegmentIdFast(text);
        if (!root->parent_id) {
          return Fail(error_code::kInvalidParentId, "parent_id", "must be 16 hex digits");
        }
        return true;
      }
      case Field::kType: {
        root->kind = model::DocumentKind::kSegment;
        if (IsNull(value)) return true;
        std::string_view text;
        if (GetString(value, &text)) {
          if (KeyIs(text, "subsegment")) {
            root->kind = model::DocumentKind::kSubsegment;
            return true;
          }
          if (KeyIs(text, "segment")) return true;
        }
        return Fail(error_code::kInvalidType, "type", "must be \"subsegment\" when present");
      }
      default:
        return true;
    }
  }

  // kBuildModel: copies a field that never rejects the document into the model. Returns
  // nothing on purpose (see the comment at the top of the walker).
  [[gnu::flatten]] void ReadModelField(Field field, dom::element value, Entity* entity,
                                       bool is_root, bool* traced) {
    switch (field) {
      case Field::kNamespace:
        CopyIfString(value, &entity->namespace_name);
        break;
      case Field::kError:
        GetBool(value, &entity->error);
        break;
      case Field::kThrottle:
        GetBool(value, &entity->throttle);
        break;
      case Field::kFault:
        GetBool(value, &entity->fault);
        break;
      case Field::kTraced:
        *traced = false;
        GetBool(value, traced);
        break;
      case Field::kCause:
        ReadCause(value, &entity->cause);
        break;
      case Field::kHttp:
        ReadHttp(value, &entity->http);
        break;
      case Field::kAws:
        ReadAws(value, &entity->aws);
        break;
      case Field::kSql:
        ReadSql(value, &entity->sql);
        break;
      case Field::kAnnotations:
        ReadAnnotations(value, &entity->annotations);
        break;
      case Field::kMetadata: {
        dom::object metadata;
        entity->has_metadata =
            value.get_object().get(metadata) == simdjson::SUCCESS && metadata.size() > 0;
        break;
      }
      case Field::kPrecursorIds:
        ReadPrecursorIds(value, &entity->precursor_ids);
        break;
      // Segment-only fields: the document's own entity only.
      case Field::kOrigin:
        if (is_root) CopyIfString(value, &entity->origin);
        break;
      case Field::kUser:
        if (is_root) CopyIfString(value, &entity->user);
        break;
      case Field::kResourceArn:
        if (is_root) CopyIfString(value, &entity->resource_arn);
        break;
      case Field::kService: {
        dom::object service;
        if (!is_root || value.get_object().get(service) != simdjson::SUCCESS) break;
        for (dom::key_value_pair member : service) {
          if (KeyIs(member.key, "version")) CopyIfString(member.value, &entity->service_version);
        }
        break;
      }
      default:
        break;
    }
  }

  bool CheckName(std::string_view name) {
    size_t bad_offset = 0;
    switch (internal::CheckEntityName(name, &bad_offset)) {
      case internal::NameProblem::kNone:
        return true;
      case internal::NameProblem::kEmpty:
        return Fail(error_code::kInvalidName, "name", "must not be empty");
      case internal::NameProblem::kTooLong:
        return Fail(
            error_code::kInvalidName, "name",
            "is longer than " + std::to_string(internal::kMaxNameCodePoints) + " characters");
      case internal::NameProblem::kForbiddenCharacter:
        return Fail(error_code::kInvalidName, "name",
                    "has a character that is not allowed at byte " + std::to_string(bad_offset) +
                        " of the name (allowed: letters, digits, whitespace and _.:/%&#=+\\-@)");
    }
    return true;
  }

  bool GetTime(dom::element value, std::string_view field, double* out) {
    double seconds = 0;
    if (!GetNumber(value, &seconds)) {
      return Fail(error_code::kInvalidTimestamp, field, "must be a number of epoch seconds");
    }
    if (!(seconds >= 0) || !std::isfinite(seconds)) {
      return Fail(error_code::kInvalidTimestamp, field, "must not be negative");
    }
    *out = seconds;
    return true;
  }

  // `*descendants`: what subsegment_count_ holds for this entity's subsegments so far (0, or
  // what an earlier `subsegments` member of the same object added); updated.
  [[gnu::flatten]] bool WalkSubsegments(dom::element value, EntityOut* entity, size_t depth,
                                        size_t* descendants) {
    // A repeated member replaces the earlier one, as everywhere else.
    subsegment_count_ -= *descendants;
    *descendants = 0;
    if constexpr (kBuild) entity->subsegments.clear();
    if (IsNull(value)) return true;
    dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) {
      return Fail(error_code::kInvalidSubsegment, "subsegments", "must be an array");
    }
    if (array.size() == 0) return true;
    if (depth + 1 > limits_.max_depth) {
      return Fail(error_code::kNestingTooDeep, "subsegments",
                  "subsegments nest deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if constexpr (kBuild) {
      entity->subsegments.reserve(
          std::min(array.size(),
                   limits_.max_subsegments - std::min(limits_.max_subsegments, subsegment_count_)));
    }
    const size_t count_before = subsegment_count_;
    path_.push_back(PathStep{"subsegments", kNoIndex});
    size_t index = 0;
    for (dom::element child : array) {
      path_.push_back(PathStep{{}, index});
      if (++subsegment_count_ > limits_.max_subsegments) {
        return Fail(error_code::kTooManySubsegments, {},
                    "more than " + std::to_string(limits_.max_subsegments) +
                        " subsegments in one document");
      }
      dom::object child_object;
      if (child.get_object().get(child_object) != simdjson::SUCCESS) {
        return Fail(error_code::kInvalidSubsegment, {}, "a subsegment must be a JSON object");
      }
      if constexpr (kBuild) {
        entity->subsegments.emplace_back();
        if (!WalkEntity(child_object, &entity->subsegments.back(), depth + 1, nullptr)) {
          return false;
        }
      } else {
        EntityHeader child_header;
        if (!WalkEntity(child_object, &child_header, depth + 1, nullptr)) return false;
      }
      path_.pop_back();
      ++index;
    }
    path_.pop_back();
    *descendants = subsegment_count_ - count_before;
    return true;
  }

  [[gnu::flatten]] void ReadCause(dom::element value, model::Box<CauseInfo>* out) {
    out->reset();
    std::string_view text;
    if (GetString(value, &text)) {
      // A reference to an exception recorded elsewhere in the trace. Anything but an id is
      // not schema-conformant and dropped.
      if (internal::ParseSegmentIdFast(text)) {
        out->emplace();
        (*out)->exception_id.assign(text);
      }
      return;
    }
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return;
    CauseInfo& cause = out->emplace();
    for (dom::key_value_pair member : object) {
      if (KeyIs(member.key, "working_directory")) {
        CopyIfString(member.value, &cause.working_directory);
      } else if (KeyIs(member.key, "paths")) {
        cause.paths.clear();
        dom::array paths;
        if (member.value.get_array().get(paths) != simdjson::SUCCESS) continue;
        cause.paths.reserve(paths.size());
        for (dom::element path : paths) {
          if (GetString(path, &text)) CopyString(text, &cause.paths.emplace_back());
        }
      } else if (KeyIs(member.key, "exceptions")) {
        cause.exceptions.clear();
        dom::array exceptions;
        if (member.value.get_array().get(exceptions) != simdjson::SUCCESS) continue;
        cause.exceptions.reserve(exceptions.size());
        for (dom::element exception : exceptions) {
          dom::object exception_object;
          if (exception.get_object().get(exception_object) != simdjson::SUCCESS) continue;
          ReadException(exception_object, &cause.exceptions.emplace_back());
        }
      }
    }
  }

  [[gnu::flatten]] void ReadException(dom::object object, ExceptionInfo* exception) {
    for (dom::key_value_pair member : object) {
      const std::string_view key = member.key;
      if (KeyIs(key, "id")) {
        CopyIfString(member.value, &exception->id);
      } else if (KeyIs(key, "message")) {
        CopyIfString(member.value, &exception->message);
      } else if (KeyIs(key, "type")) {
        CopyIfString(member.value, &exception->type);
      } else if (KeyIs(key, "remote")) {
        GetBool(member.value, &exception->remote);
      } else if (KeyIs(key, "truncated")) {
        GetInt32(member.value, &exception->truncated);
      } else if (KeyIs(key, "skipped")) {
        GetInt32(member.value, &exception->skipped);
      } else if (KeyIs(key, "cause")) {
        CopyIfString(member.value, &exception->cause);
      } else if (KeyIs(key, "stack")) {
        exception->stack.clear();
        dom::array stack;
        if (member.value.get_array().get(stack) != simdjson::SUCCESS) continue;
        exception->stack.reserve(stack.size());
        for (dom::element frame_value : stack) {
          dom::object frame_object;
          if (frame_value.get_object().get(frame_object) != simdjson::SUCCESS) continue;
          model::StackFrame& frame = exception->stack.emplace_back();
          for (dom::key_value_pair frame_member : frame_object) {
            if (KeyIs(frame_member.key, "path")) {
              CopyIfString(frame_member.value, &frame.path);
            } else if (KeyIs(frame_member.key, "line")) {
              GetInt32(frame_member.value, &frame.line);  // the Node SDK writes null
            } else if (KeyIs(frame_member.key, "label")) {
              CopyIfString(frame_member.value, &frame.label);
            }
          }
        }
      }
    }
  }

  [[gnu::flatten]] void ReadHttp(dom::element value, model::Box<model::HttpInfo>* out) {
    out->reset();
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return;
    model::HttpInfo& http = out->emplace();
    for (dom::key_value_pair member : object) {
      dom::object part;
      if (KeyIs(member.key, "request")) {
        http.request.reset();
        if (member.value.get_object().get(part) != simdjson::SUCCESS) continue;
        model::HttpRequestInfo& request = http.request.emplace();
        for (dom::key_value_pair field : part) {
          const std::string_view key = field.key;
          if (KeyIs(key, "method")) {
            CopyIfString(field.value, &request.method);
          } else if (KeyIs(key, "url")) {
            CopyIfString(field.value, &request.url);
          } else if (KeyIs(key, "user_agent")) {
            CopyIfString(field.value, &request.user_agent);
          } else if (KeyIs(key, "client_ip")) {
            CopyIfString(field.value, &request.client_ip);
          } else if (KeyIs(key, "x_forwarded_for")) {
            GetBool(field.value, &request.x_forwarded_for);
          } else if (KeyIs(key, "traced")) {
            GetBool(field.value, &request.traced);
          }
        }
      } else if (KeyIs(member.key, "response")) {
        http.response.reset();
        if (member.value.get_object().get(part) != simdjson::SUCCESS) continue;
        model::HttpResponseInfo& response = http.response.emplace();
        for (dom::key_value_pair field : part) {
          if (KeyIs(field.key, "status")) {
            int32_t status = 0;
            if (GetInt32(field.value, &status)) response.status = status;
          } else if (KeyIs(field.key, "content_length")) {
            int64_t length = 0;
            std::string_view text;
            if (GetInt64(field.value, &length)) {
              response.content_length = length;
            } else if (GetString(field.value, &text)) {
              // The OTel collector tolerates numeric strings here; so do we.
              auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), length);
              if (ec == std::errc() && end == text.data() + text.size()) {
                response.content_length = length;
              }
            }
          }
        }
      }
    }
  }

  [[gnu::flatten]] void ReadAws(dom::element value, model::Box<model::AwsInfo>* out) {
    out->reset();
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return;
    model::AwsInfo& aws = out->emplace();
    for (dom::key_value_pair member : object) {
      const std::string_view key = member.key;
      dom::object nested;
      if (KeyIs(key, "operation")) {
        CopyIfString(member.value, &aws.operation);
      } else if (KeyIs(key, "region")) {
        CopyIfString(member.value, &aws.region);
      } else if (KeyIs(key, "request_id")) {
        CopyIfString(member.value, &aws.request_id);
      } else if (KeyIs(key, "table_name")) {
        CopyIfString(member.value, &aws.table_name);
      } else if (KeyIs(key, "queue_url")) {
        CopyIfString(member.value, &aws.queue_url);
      } else if (KeyIs(key, "account_id")) {
        CopyIfString(member.value, &aws.account_id);
      } else if (KeyIs(key, "xray")) {
        if (member.value.get_object().get(nested) != simdjson::SUCCESS) continue;
        for (dom::key_value_pair field : nested) {
          if (KeyIs(field.key, "sdk")) {
            CopyIfString(field.value, &aws.xray_sdk);
          } else if (KeyIs(field.key, "sdk_version")) {
            CopyIfString(field.value, &aws.xray_sdk_version);
          } else if (KeyIs(field.key, "sampling_rule_name") || KeyIs(field.key, "rule_name")) {
            // Python writes sampling_rule_name, Node rule_name.
            CopyIfString(field.value, &aws.xray_sampling_rule_name);
          }
        }
      } else if (KeyIs(key, "ec2")) {
        if (member.value.get_object().get(nested) != simdjson::SUCCESS) continue;
        for (dom::key_value_pair field : nested) {
          if (KeyIs(field.key, "instance_id")) {
            CopyIfString(field.value, &aws.ec2_instance_id);
          } else if (KeyIs(field.key, "availability_zone")) {
            CopyIfString(field.value, &aws.ec2_availability_zone);
          }
        }
      } else if (KeyIs(key, "ecs")) {
        if (member.value.get_object().get(nested) != simdjson::SUCCESS) continue;
        for (dom::key_value_pair field : nested) {
          if (KeyIs(field.key, "container")) {
            CopyIfString(field.value, &aws.ecs_container);
          } else if (KeyIs(field.key, "availability_zone")) {
            CopyIfString(field.value, &aws.ecs_availability_zone);
          }
        }
      }
    }
  }

  [[gnu::flatten]] void ReadSql(dom::element value, model::Box<model::SqlInfo>* out) {
    out->reset();
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return;
    model::SqlInfo& sql = out->emplace();
    for (dom::key_value_pair member : object) {
      const std::string_view key = member.key;
      if (KeyIs(key, "url")) {
        CopyIfString(member.value, &sql.url);
      } else if (KeyIs(key, "connection_string")) {
        CopyIfString(member.value, &sql.connection_string);
      } else if (KeyIs(key, "sanitized_query")) {
        CopyIfString(member.value, &sql.sanitized_query);
      } else if (KeyIs(key, "database_type")) {
        CopyIfString(member.value, &sql.database_type);
      } else if (KeyIs(key, "database_version")) {
        CopyIfString(member.value, &sql.database_version);
      } else if (KeyIs(key, "driver_version")) {
        CopyIfString(member.value, &sql.driver_version);
      } else if (KeyIs(key, "user")) {
        CopyIfString(member.value, &sql.user);
      } else if (KeyIs(key, "preparation")) {
        CopyIfString(member.value, &sql.preparation);
      }
    }
  }

  [[gnu::flatten]] void ReadAnnotations(dom::element value, std::vector<Annotation>* out) {
    annotation_count_ -= std::min(annotation_count_, out->size());
    out->clear();
    dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return;
    out->reserve(std::min(object.size(), limits_.max_annotations));
    for (dom::key_value_pair member : object) {
      const std::string_view key = member.key;
      if (key.size() > limits_.max_annotation_key_bytes) continue;
      model::AnnotationValue annotation;
      std::string_view text;
      switch (member.value.type()) {
        case dom::element_type::STRING:
          GetString(member.value, &text);
          annotation.type = AnnotationType::kString;
          CopyString(text, &annotation.string_value);
          break;
        case dom::element_type::INT64:
        case dom::element_type::UINT64:
        case dom::element_type::DOUBLE:
          annotation.type = AnnotationType::kNumber;
          GetNumber(member.value, &annotation.number_value);
          break;
        case dom::element_type::BOOL:
          annotation.type = AnnotationType::kBool;
          GetBool(member.value, &annotation.bool_value);
          break;
        default:
          continue;  // objects, arrays and null are not annotation values
      }
      // Duplicate keys: the last value wins, in the position of the first.
      auto existing = std::find_if(out->begin(), out->end(),
                                   [&](const Annotation& entry) { return entry.key == key; });
      if (existing != out->end()) {
        existing->value = std::move(annotation);
        continue;
      }
      if (annotation_count_ >= limits_.max_annotations) continue;
      ++annotation_count_;
      out->push_back(Annotation{std::string(key), std::move(annotation)});
    }
  }

  [[gnu::flatten]] void ReadPrecursorIds(dom::element value, std::vector<SegmentId>* out) {
    out->clear();
    dom::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) return;
    for (dom::element element : array) {
      std::string_view text;
      if (!GetString(element, &text)) continue;
      if (std::optional<SegmentId> id = internal::ParseSegmentIdFast(text)) out->push_back(*id);
    }
  }

  const ParseLimits& limits_;
  size_t subsegment_count_ = 0;
  size_t annotation_count_ = 0;
  std::vector<PathStep>& path_;  // of the entity being walked
  // Set by Fail.
  std::string_view code_;
  std::string detail_;
  std::vector<PathStep> failure_path_;
};

// ---------------------------------------------------------------------------------------------
// Failure reporting.

std::string PathToString(const std::vector<PathStep>& path) {
  std::string out;
  for (const PathStep& step : path) {
    if (step.key.empty()) {
      out += "[" + std::to_string(step.index) + "]";
    } else {
      if (!out.empty()) out.push_back('.');
      out.append(step.key);
    }
  }
  return out;
}

// The byte offset of the value at `path`, found by re-parsing with json_dom (slow path).
std::optional<size_t> LocatePath(std::string_view json, const std::vector<PathStep>& path,
                                 const ParseLimits& limits) {
  auto parsed = ParseJson(json, JsonDepth(limits));
  if (!parsed.ok()) return std::nullopt;
  const JsonValue* value = &*parsed;
  for (const PathStep& step : path) {
    if (step.key.empty()) {
      if (!value->is_array() || step.index >= value->elements().size()) return std::nullopt;
      value = &value->elements()[step.index];
    } else {
      value = value->Find(step.key);
      if (value == nullptr) return std::nullopt;
    }
  }
  return value->source_begin();
}

Status Reject(ParseFailure* failure, std::string id, std::string_view code, std::string message) {
  Status status = InvalidArgumentError(message);
  if (failure != nullptr) {
    failure->id = std::move(id);
    failure->error_code = std::string(code);
    failure->message = std::move(message);
  }
  return status;
}

// ---------------------------------------------------------------------------------------------
// Per-thread parser state.

// Not thread-safe; one per thread (thread_local).
struct ThreadState {
  dom::parser dom_parser;
  size_t dom_max_depth = 0;
  ondemand::parser ondemand_parser;
  size_t ondemand_max_depth = 0;
  std::string padded;          // On Demand input copy with SIMDJSON_PADDING bytes to spare
  std::vector<PathStep> path;  // DocumentWalker scratch (both modes)
};

ThreadState& GetThreadState() {
  thread_local ThreadState state;
  return state;
}

dom::parser& DomParser(ThreadState& state, size_t max_json_depth) {
  // simdjson rejects nesting >= its max_depth; ours is "at most max_json_depth" (as in
  // json_dom), hence + 1.
  const size_t depth = max_json_depth + 1;
  if (state.dom_max_depth != depth) {
    // Fails only when memory is exhausted, which is fatal (STYLE.md 25).
    RG_CHECK(state.dom_parser.allocate(
                 std::max(kInitialParserCapacity, state.dom_parser.capacity()), depth) ==
             simdjson::SUCCESS);
    state.dom_max_depth = depth;
  }
  return state.dom_parser;
}

// The document is over limits.max_document_bytes.
[[gnu::noinline, gnu::cold]] Status RejectTooLarge(std::string_view json, const ParseLimits& limits,
                                                   ParseFailure* failure) {
  return Reject(failure, ScanForId(json.substr(0, limits.max_document_bytes)),
                error_code::kDocumentTooLarge,
                "segment document of " + std::to_string(json.size()) +
                    " bytes exceeds the limit of " + std::to_string(limits.max_document_bytes));
}

// simdjson rejected the text.
[[gnu::noinline, gnu::cold]] Status RejectJsonError(std::string_view json,
                                                    const ParseLimits& limits,
                                                    simdjson::error_code parse_error,
                                                    ParseFailure* failure) {
  RG_CHECK(parse_error != simdjson::MEMALLOC);  // out of memory is fatal (STYLE.md 25)
  size_t offset = 0;
  auto reparsed = ParseJson(json, JsonDepth(limits), &offset);
  std::string message;
  std::string_view code = error_code::kInvalidJson;
  if (parse_error == simdjson::DEPTH_ERROR) {
    code = error_code::kNestingTooDeep;
    message = "JSON nests deeper than " + std::to_string(JsonDepth(limits)) + " levels";
  } else if (parse_error == simdjson::CAPACITY) {
    code = error_code::kDocumentTooLarge;
    message = "segment document too large for the parser";
  } else if (!reparsed.ok()) {
    // json_dom names the problem more precisely than simdjson does.
    std::string_view detail = reparsed.error().message();
    if (detail.substr(0, 6) == "json: ") detail.remove_prefix(6);
    message = "invalid JSON: " + std::string(detail);
  } else {
    message = std::string("invalid JSON: ") + simdjson::error_message(parse_error);
  }
  if (!reparsed.ok() && code != error_code::kInvalidJson) {
    message += " at byte " + std::to_string(offset);
  }
  return Reject(failure, ScanForId(json), code, std::move(message));
}

// The walker rejected the document: describe where.
[[gnu::noinline, gnu::cold]] Status RejectDocument(std::string_view json, const ParseLimits& limits,
                                                   dom::object object, std::string_view code,
                                                   const std::string& detail,
                                                   const std::vector<PathStep>& path,
                                                   ParseFailure* failure) {
  std::string id;
  std::string_view id_text;
  if (object["id"].get_string().get(id_text) == simdjson::SUCCESS) id = CutId(id_text);
  std::string message = path.empty() ? "segment document" : PathToString(path);
  message += ": ";
  message += detail;
  if (std::optional<size_t> offset = LocatePath(json, path, limits)) {
    message += " (byte " + std::to_string(*offset) + ")";
  }
  return Reject(failure, std::move(id), code, std::move(message));
}

// ParseSegmentDocument (kBuildModel) and ValidateSegmentDocument (kValidateOnly); the list
// functions call it per element. Fills *out in place (no moves of the finished model on the
// hot path). Everything up to the walk, and the failure reporting, is shared by both modes.
template <WalkMode kMode>
Status WalkInto(std::string_view json, const ParseLimits& limits, ParseFailure* failure,
                typename DocumentWalker<kMode>::DocumentOut* out) {
  if (json.size() > limits.max_document_bytes) return RejectTooLarge(json, limits, failure);
  ThreadState& state = GetThreadState();
  dom::parser& parser = DomParser(state, JsonDepth(limits));
  dom::element root;
  const simdjson::error_code parse_error = parser.parse(json.data(), json.size()).get(root);
  if (parse_error != simdjson::SUCCESS) {
    return RejectJsonError(json, limits, parse_error, failure);
  }
  dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Reject(failure, std::string(), error_code::kNotAnObject,
                  "a segment document must be a JSON object");
  }
  DocumentWalker<kMode> walker(limits, &state.path);
  if (walker.WalkDocument(object, out)) [[likely]] {
    return Status::Ok();
  }
  return RejectDocument(json, limits, object, walker.code(), walker.detail(), walker.failure_path(),
                        failure);
}

// Where a list entry's result goes.
std::optional<SegmentDocument>& Output(DocumentListEntry& entry) { return entry.document; }
std::optional<DocumentHeader>& Output(ValidatedListEntry& entry) { return entry.header; }

// ParseDocumentList (kBuildModel, DocumentListEntry) and ValidateDocumentList (kValidateOnly,
// ValidatedListEntry).
template <WalkMode kMode, typename Entry>
Result<std::vector<Entry>> WalkDocumentList(std::string_view json, const ParseLimits& limits,
                                            ParseFailure* failure) {
  if (json.size() > limits.max_document_bytes) return RejectTooLarge(json, limits, failure);
  const size_t first = json.find_first_not_of(" \t\r\n");
  std::vector<Entry> entries;
  if (first != std::string_view::npos && json[first] == '{') {
    Entry& entry = entries.emplace_back();
    entry.raw = json;
    auto& output = Output(entry);
    if (!WalkInto<kMode>(json, limits, &entry.failure, &output.emplace()).ok()) output.reset();
    return entries;
  }
  if (first == std::string_view::npos || json[first] != '[') {
    return Reject(
        failure, std::string(),
        first == std::string_view::npos ? error_code::kInvalidJson : error_code::kNotAnObject,
        "a segment document must be a JSON object or an array of subsegments");
  }
  // An array: json_dom gives each element's exact span; each element is then parsed on its
  // own with the full rules.
  size_t offset = 0;
  auto parsed = ParseJson(json, JsonDepth(limits), &offset);
  if (!parsed.ok()) {
    std::string_view detail = parsed.error().message();
    if (detail.substr(0, 6) == "json: ") detail.remove_prefix(6);
    return Reject(failure, ScanForId(json), error_code::kInvalidJson,
                  "invalid JSON: " + std::string(detail));
  }
  const std::vector<JsonValue>& elements = parsed->elements();
  if (elements.empty()) {
    return Reject(failure, std::string(), error_code::kInvalidSubsegment,
                  "the subsegment array is empty");
  }
  if (elements.size() > limits.max_subsegments) {
    return Reject(
        failure, std::string(), error_code::kTooManySubsegments,
        "more than " + std::to_string(limits.max_subsegments) + " subsegments in one document");
  }
  entries.reserve(elements.size());
  for (size_t idx = 0; idx < elements.size(); ++idx) {
    const JsonValue& element = elements[idx];
    Entry& entry = entries.emplace_back();
    entry.raw = json.substr(element.source_begin(), element.source_end() - element.source_begin());
    auto& output = Output(entry);
    if (!WalkInto<kMode>(entry.raw, limits, &entry.failure, &output.emplace()).ok()) {
      output.reset();
      entry.failure.message = "[" + std::to_string(idx) + "]: " + entry.failure.message;
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Header fast path (On Demand).

ondemand::parser& OndemandParser(size_t max_json_depth) {
  ThreadState& state = GetThreadState();
  // simdjson rejects nesting >= its max_depth; ours is "at most max_json_depth" (as in
  // json_dom), hence + 1.
  const size_t depth = max_json_depth + 1;
  if (state.ondemand_max_depth != depth) {
    RG_CHECK(state.ondemand_parser.allocate(kInitialParserCapacity, depth) == simdjson::SUCCESS);
    state.ondemand_max_depth = depth;
  }
  return state.ondemand_parser;
}

}  // namespace

Result<model::SegmentDocument> ParseSegmentDocument(std::string_view json,
                                                    const ParseLimits& limits,
                                                    ParseFailure* failure) {
  // One named result and one return statement: the model is built in place and returned
  // without a copy or move (NRVO); moving a deep Entity tree is measurable at this rate.
  Result<SegmentDocument> result{SegmentDocument()};
  Status status = WalkInto<WalkMode::kBuildModel>(json, limits, failure, &result.value());
  if (!status.ok()) result = Result<SegmentDocument>(std::move(status));
  return result;
}

Result<DocumentHeader> ValidateSegmentDocument(std::string_view json, const ParseLimits& limits,
                                               ParseFailure* failure) {
  DocumentHeader header;
  Status status = WalkInto<WalkMode::kValidateOnly>(json, limits, failure, &header);
  if (!status.ok()) [[unlikely]] {
    return status;
  }
  return header;
}

Result<std::vector<DocumentListEntry>> ParseDocumentList(std::string_view json,
                                                         const ParseLimits& limits,
                                                         ParseFailure* failure) {
  return WalkDocumentList<WalkMode::kBuildModel, DocumentListEntry>(json, limits, failure);
}

Result<std::vector<ValidatedListEntry>> ValidateDocumentList(std::string_view json,
                                                             const ParseLimits& limits,
                                                             ParseFailure* failure) {
  return WalkDocumentList<WalkMode::kValidateOnly, ValidatedListEntry>(json, limits, failure);
}

Result<DocumentHeader> ParseDocumentHeader(std::string_view json, const ParseLimits& limits,
                                           ParseFailure* failure) {
  if (json.size() > limits.max_document_bytes) return RejectTooLarge(json, limits, failure);
  ThreadState& state = GetThreadState();
  ondemand::parser& parser = OndemandParser(JsonDepth(limits));
  std::string& padded = state.padded;
  if (padded.size() < json.size() + simdjson::SIMDJSON_PADDING) {
    padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  }
  if (!json.empty()) std::memcpy(padded.data(), json.data(), json.size());

  auto invalid_json = [&](simdjson::error_code error) {
    RG_CHECK(error != simdjson::MEMALLOC);
    std::string_view code =
        error == simdjson::DEPTH_ERROR ? error_code::kNestingTooDeep : error_code::kInvalidJson;
    return Reject(failure, ScanForId(json), code,
                  std::string("invalid JSON: ") + simdjson::error_message(error));
  };
  auto invalid = [&](std::string_view code, std::string_view field, std::string_view detail) {
    std::string message(field);
    message += ": ";
    message.append(detail);
    return Reject(failure, ScanForId(json), code, std::move(message));
  };

  ondemand::document doc;
  simdjson::error_code error = parser.iterate(padded.data(), json.size(), padded.size()).get(doc);
  if (error != simdjson::SUCCESS) return invalid_json(error);
  ondemand::object object;
  error = doc.get_object().get(object);
  if (error == simdjson::INCORRECT_TYPE) {
    return Reject(failure, std::string(), error_code::kNotAnObject,
                  "a segment document must be a JSON object");
  }
  if (error != simdjson::SUCCESS) return invalid_json(error);

  DocumentHeader header;
  bool have_trace_id = false;
  bool have_id = false;
  bool have_start = false;
  for (auto field_result : object) {
    ondemand::field field;
    if ((error = std::move(field_result).get(field)) != simdjson::SUCCESS) {
      return invalid_json(error);
    }
    std::string_view key;
    if ((error = field.unescaped_key().get(key)) != simdjson::SUCCESS) return invalid_json(error);
    ondemand::value value = field.value();
    const Field which = ClassifyEntityField(key);
    std::string_view text;
    double number = 0;
    bool is_null = false;
    switch (which) {
      case Field::kId:
      case Field::kTraceId:
      case Field::kParentId:
      case Field::kType: {
        if ((error = value.is_null().get(is_null)) != simdjson::SUCCESS) return invalid_json(error);
        if (which == Field::kId) have_id = false;
        if (which == Field::kTraceId) have_trace_id = false;
        if (which == Field::kParentId) header.parent_id.reset();
        if (which == Field::kType) header.kind = model::DocumentKind::kSegment;
        if (is_null) break;
        const bool is_string = value.get_string().get(text) == simdjson::SUCCESS;
        if (which == Field::kId) {
          std::optional<SegmentId> id;
          if (is_string) id = internal::ParseSegmentIdFast(text);
          if (!id) return invalid(error_code::kInvalidSegmentId, "id", "must be 16 hex digits");
          header.id = *id;
          have_id = true;
        } else if (which == Field::kTraceId) {
          std::optional<TraceId> trace_id;
          if (is_string) trace_id = internal::ParseTraceIdFast(text);
          if (!trace_id) {
            return invalid(error_code::kInvalidTraceId, "trace_id",
                           "must look like 1-581cf771-a006649127e371903a2de979");
          }
          header.trace_id = *trace_id;
          have_trace_id = true;
        } else if (which == Field::kParentId) {
          if (is_string) header.parent_id = internal::ParseSegmentIdFast(text);
          if (!header.parent_id) {
            return invalid(error_code::kInvalidParentId, "parent_id", "must be 16 hex digits");
          }
        } else {
          if (is_string && KeyIs(text, "subsegment")) {
            header.kind = model::DocumentKind::kSubsegment;
          } else if (!is_string || text != "segment") {
            return invalid(error_code::kInvalidType, "type", "must be \"subsegment\" when present");
          }
        }
        break;
      }
      case Field::kStartTime:
      case Field::kEndTime: {
        if ((error = value.is_null().get(is_null)) != simdjson::SUCCESS) return invalid_json(error);
        const std::string_view name = which == Field::kStartTime ? "start_time" : "end_time";
        if (which == Field::kStartTime) have_start = false;
        if (which == Field::kEndTime) header.end_time.reset();
        if (is_null) break;
        if (value.get_double().get(number) != simdjson::SUCCESS) {
          return invalid(error_code::kInvalidTimestamp, name, "must be a number of epoch seconds");
        }
        if (!(number >= 0) || !std::isfinite(number)) {
          return invalid(error_code::kInvalidTimestamp, name, "must not be negative");
        }
        if (which == Field::kStartTime) {
          header.start_time = number;
          have_start = true;
        } else {
          header.end_time = number;
        }
        break;
      }
      case Field::kInProgress: {
        bool in_progress = false;
        if (value.get_bool().get(in_progress) == simdjson::SUCCESS) {
          header.in_progress = in_progress;
        }
        break;
      }
      default:
        break;  // skipped by the iteration
    }
  }
  if (!have_id) return invalid(error_code::kMissingField, "segment document", "missing \"id\"");
  if (!have_trace_id) {
    return invalid(error_code::kMissingField, "segment document", "missing \"trace_id\"");
  }
  if (!have_start) {
    return invalid(error_code::kMissingField, "segment document", "missing \"start_time\"");
  }
  if (!header.end_time && !header.in_progress) {
    return invalid(error_code::kMissingField, "segment document",
                   "missing \"end_time\" (or \"in_progress\": true)");
  }
  if (header.kind == model::DocumentKind::kSubsegment && !header.parent_id) {
    return invalid(error_code::kMissingField, "segment document", "missing \"parent_id\"");
  }
  return header;
}

}  // namespace roentgen::parse
