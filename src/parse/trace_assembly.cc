// SPDX-License-Identifier: Apache-2.0
#include "parse/trace_assembly.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>

#include "model/trace_id.h"
#include "parse/json_dom.h"

// Splicing instead of re-serializing: each document is parsed with json_dom only to learn
// where its entities' `subsegments` arrays (or closing braces) are; the output is the original
// text with the children's text inserted at those offsets. Re-serializing the parent from the
// DOM would also work, but would reformat bytes the client sent (spacing, escapes), which
// BatchGetTraces is expected to return as sent.

namespace roentgen::parse {
namespace {

// Stored documents passed ingest validation with a smaller JSON depth limit; this only keeps
// the recursive parser bounded if something else slipped in.
constexpr size_t kMaxJsonDepth = 512;
// Embedded subsegment levels searched for parents.
constexpr size_t kMaxEntityDepth = 128;
// Independent subsegments nested inside one another (A in B in C ...).
constexpr size_t kMaxNestingDepth = 64;

enum class InsertKind {
  kAppend,        // non-empty `subsegments` array: insert ",child" before its ']'
  kIntoEmpty,     // empty `subsegments` array: insert "child" before its ']'
  kReplaceValue,  // `subsegments` is not an array: replace the value with "[child]"
  kAddMember,     // no `subsegments`: insert ',"subsegments":[child]' before the '}'
};

struct InsertionPoint {
  InsertKind kind = InsertKind::kAddMember;
  size_t begin = 0;              // where to insert, or where the replaced value starts
  size_t end = 0;                // end of the replaced value (kReplaceValue); else == begin
  bool object_is_empty = false;  // kAddMember without a leading comma
};

struct DocumentInfo {
  bool is_object = false;
  bool is_independent = false;
  std::optional<uint64_t> parent_id;
  size_t value_begin = 0;  // the root object's span, without surrounding whitespace
  size_t value_end = 0;
  std::vector<InsertionPoint> entities;
  // (entity index, child document index) in the order the children were attached.
  std::vector<std::pair<size_t, size_t>> children;
};

struct EntityRef {
  size_t document = 0;
  size_t entity = 0;
};

InsertionPoint InsertionPointOf(const JsonValue& object) {
  InsertionPoint point;
  const JsonValue* subsegments = object.Find("subsegments");
  if (subsegments == nullptr) {
    point.kind = InsertKind::kAddMember;
    point.begin = point.end = object.source_end() - 1;  // the closing '}'
    point.object_is_empty = object.members().empty();
  } else if (subsegments->is_array()) {
    point.kind = subsegments->elements().empty() ? InsertKind::kIntoEmpty : InsertKind::kAppend;
    point.begin = point.end = subsegments->source_end() - 1;  // the closing ']'
  } else {
    point.kind = InsertKind::kReplaceValue;
    point.begin = subsegments->source_begin();
    point.end = subsegments->source_end();
  }
  return point;
}

// Not thread-safe; one instance per call.
class Assembler {
 public:
  explicit Assembler(std::span<const std::string_view> documents)
      : documents_(documents),
        infos_(documents.size()),
        visited_(documents.size(), false),
        attached_(documents.size(), false) {}

  std::vector<std::string> Run() {
    for (size_t doc_idx = 0; doc_idx < documents_.size(); ++doc_idx) Index(doc_idx);
    Attach();
    std::vector<std::optional<std::string>> outputs(documents_.size());
    // Pass 1: documents with no parent, in input order, with everything below them.
    for (size_t doc_idx = 0; doc_idx < documents_.size(); ++doc_idx) {
      if (!attached_[doc_idx]) outputs[doc_idx] = Render(doc_idx, 0, /*trim=*/false);
    }
    // Pass 2: what pass 1 could not reach (cycles, nesting too deep) becomes top-level.
    for (size_t doc_idx = 0; doc_idx < documents_.size(); ++doc_idx) {
      if (!visited_[doc_idx]) outputs[doc_idx] = Render(doc_idx, 0, /*trim=*/false);
    }
    std::vector<std::string> result;
    result.reserve(documents_.size());
    for (std::optional<std::string>& output : outputs) {
      if (output) result.push_back(std::move(*output));
    }
    return result;
  }

 private:
  void Index(size_t doc_idx) {
    auto parsed = ParseJson(documents_[doc_idx], kMaxJsonDepth);
    if (!parsed.ok() || !parsed->is_object()) return;  // opaque: returned as is
    const JsonValue& root = *parsed;
    DocumentInfo& info = infos_[doc_idx];
    info.is_object = true;
    info.value_begin = root.source_begin();
    info.value_end = root.source_end();
    const JsonValue* type = root.Find("type");
    info.is_independent =
        type != nullptr && type->is_string() && type->string_value() == "subsegment";
    const JsonValue* parent = root.Find("parent_id");
    if (info.is_independent && parent != nullptr && parent->is_string()) {
      if (auto id = model::SegmentId::Parse(parent->string_value())) info.parent_id = id->value;
    }
    CollectEntities(root, doc_idx, 0);
  }

  void CollectEntities(const JsonValue& object, size_t doc_idx, size_t depth) {
    DocumentInfo& info = infos_[doc_idx];
    const size_t entity_idx = info.entities.size();
    info.entities.push_back(InsertionPointOf(object));
    const JsonValue* id = object.Find("id");
    if (id != nullptr && id->is_string()) {
      if (auto parsed = model::SegmentId::Parse(id->string_value())) {
        owners_.try_emplace(parsed->value, EntityRef{doc_idx, entity_idx});  // first wins
      }
    }
    const JsonValue* subsegments = object.Find("subsegments");
    if (subsegments == nullptr || !subsegments->is_array() || depth >= kMaxEntityDepth) return;
    for (const JsonValue& child : subsegments->elements()) {
      if (child.is_object()) CollectEntities(child, doc_idx, depth + 1);
    }
  }

  void Attach() {
    for (size_t doc_idx = 0; doc_idx < documents_.size(); ++doc_idx) {
      const DocumentInfo& info = infos_[doc_idx];
      if (!info.is_independent || !info.parent_id) continue;
      auto owner = owners_.find(*info.parent_id);
      if (owner == owners_.end() || owner->second.document == doc_idx) continue;  // orphan
      infos_[owner->second.document].children.emplace_back(owner->second.entity, doc_idx);
      attached_[doc_idx] = true;
    }
  }

  // The text of document `doc_idx` with its descendants inserted; only the root object's span
  // when `trim` (for nesting), else the whole input text.
  std::string Render(size_t doc_idx, size_t depth, bool trim) {
    visited_[doc_idx] = true;
    const std::string_view text = documents_[doc_idx];
    const DocumentInfo& info = infos_[doc_idx];
    const size_t begin = trim ? info.value_begin : 0;
    const size_t end = trim ? info.value_end : text.size();

    // Children's texts in attachment (input) order, then stably sorted by where they go:
    // children of one entity stay in input order. O(n log n) in the number of children.
    std::vector<std::pair<size_t, std::string>> rendered;  // (entity index, text)
    for (const std::pair<size_t, size_t>& attachment : info.children) {
      const size_t child_idx = attachment.second;
      if (visited_[child_idx] || depth + 1 > kMaxNestingDepth) continue;  // see pass 2
      rendered.emplace_back(attachment.first, Render(child_idx, depth + 1, /*trim=*/true));
    }
    if (rendered.empty()) return std::string(text.substr(begin, end - begin));
    std::stable_sort(rendered.begin(), rendered.end(), [&](const auto& left, const auto& right) {
      return info.entities[left.first].begin < info.entities[right.first].begin;
    });

    std::string out;
    size_t total = end - begin;
    for (const auto& child : rendered) total += child.second.size() + 20;
    out.reserve(total);
    size_t cursor = begin;
    for (size_t run_begin = 0; run_begin < rendered.size();) {
      const size_t entity_idx = rendered[run_begin].first;
      size_t run_end = run_begin;
      while (run_end < rendered.size() && rendered[run_end].first == entity_idx) ++run_end;
      const InsertionPoint& point = info.entities[entity_idx];
      out.append(text.substr(cursor, point.begin - cursor));
      cursor = point.begin;
      auto append_children = [&] {
        for (size_t child = run_begin; child < run_end; ++child) {
          if (child > run_begin) out.push_back(',');
          out.append(rendered[child].second);
        }
      };
      switch (point.kind) {
        case InsertKind::kAppend:
          out.push_back(',');
          append_children();
          break;
        case InsertKind::kIntoEmpty:
          append_children();
          break;
        case InsertKind::kReplaceValue:
          out.push_back('[');
          append_children();
          out.push_back(']');
          cursor = point.end;
          break;
        case InsertKind::kAddMember:
          if (!point.object_is_empty) out.push_back(',');
          out.append("\"subsegments\":[");
          append_children();
          out.push_back(']');
          break;
      }
      run_begin = run_end;
    }
    out.append(text.substr(cursor, end - cursor));
    return out;
  }

  std::span<const std::string_view> documents_;
  std::vector<DocumentInfo> infos_;
  std::vector<bool> visited_;
  std::vector<bool> attached_;
  std::unordered_map<uint64_t, EntityRef> owners_;
};

}  // namespace

std::vector<std::string> NestIndependentSubsegments(std::span<const std::string_view> documents) {
  return Assembler(documents).Run();
}

}  // namespace roentgen::parse
