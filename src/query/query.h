// SPDX-License-Identifier: Apache-2.0
#pragma once

// The query component's façade: X-Ray filter expressions (docs/query_language.md,
// xray-semantics.md §1) compiled into predicates over a trace's summary and detail.
//
//   RG_ASSIGN_OR_RETURN(query::Filter filter, query::Compile(text));
//   if (filter.Matches(summary, filter.needs_detail() ? detail : model::TraceDetail{}, ctx)) ...
//
// Related public header: reference_evaluator.h (the naive evaluator over raw documents that
// tests compare this one with).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/trace_detail.h"
#include "model/trace_summary.h"

namespace roentgen::query {

namespace internal {
struct CompiledFilter;
struct FilterAccess;
}  // namespace internal

// How group.name / group.arn name a group.
enum class GroupKey : uint8_t { kName, kArn };

// A group referenced by an expression (group.name = "x" or group.arn = "arn...").
struct GroupReference {
  GroupKey key = GroupKey::kName;
  std::string value;
  size_t column = 0;  // 1-based column of the keyword
  bool operator==(const GroupReference&) const = default;
};

// What group_definition returns for an existing group.
struct GroupDefinition {
  std::string name;        // the group's name (the identity used for cycle checks)
  std::string expression;  // its current filter expression; empty matches every trace
};

// One group a trace belongs to (membership is decided when the trace is stored).
struct GroupMembership {
  std::string_view name;
  std::string_view arn;
};

// What an evaluation needs besides the trace itself.
struct EvalContext {
  // The groups the trace belongs to; group.name / group.arn test membership here. Borrowed.
  std::span<const GroupMembership> groups;
};

// A closed or open interval of numbers.
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_inclusive = true;
  bool max_inclusive = true;
  bool Contains(double value) const {
    return (min_inclusive ? value >= min : value > min) &&
           (max_inclusive ? value <= max : value < max);
  }
  bool operator==(const NumberRange&) const = default;
};

// Necessary conditions a scan may use to skip traces or whole blocks before evaluating:
// every trace the filter matches satisfies all of them (they come from the top-level AND
// chain only, so a filter may match far fewer traces). Empty/nullopt means no condition.
struct ScanHints {
  // The trace has a response time, and it lies in this range.
  std::optional<NumberRange> response_time;
  // The trace's duration lies in this range.
  std::optional<NumberRange> duration;
  // Each is the name of a (non-client) service node of the trace (TraceDetail::nodes).
  std::vector<std::string> service_names;
  // Each is a key of the trace's indexed annotations (TraceSummary::annotations).
  std::vector<std::string> annotation_keys;
  // Each is an indexed annotation that has a value equal to `value` (`annotation.key = v`).
  struct AnnotationEquals {
    std::string key;
    model::AnnotationValue value;
    bool operator==(const AnnotationEquals&) const = default;
  };
  std::vector<AnnotationEquals> annotation_equals;
  // Trace-level booleans the filter requires (`fault`, `error = false`, ...); unset: none.
  std::optional<bool> fault;
  std::optional<bool> error;
  std::optional<bool> throttle;
  std::optional<bool> partial;
  // True when the conditions above are also sufficient: the filter matches a trace exactly
  // when all of them hold (it is a conjunction of `responsetime` comparisons, name-only
  // `service("x")` without a block, `annotation.key = literal` and the trace-level
  // fault/error/throttle/partial booleans; or empty). A scan that
  // tests them on columns then needs neither the summary nor the detail.
  bool exact = false;
  // Two of the conditions exclude each other (e.g. `fault AND fault = false`): nothing
  // matches, and the hints are not exact.
  bool contradictory = false;
};

struct CompileOptions {
  // Longer expressions fail (the old X-Ray API limit of FilterExpression).
  size_t max_length = 2000;
  // Deeper nesting of ( ), { }, !/NOT and JSON literals fails.
  size_t max_depth = 64;
  // When set, group.name / group.arn values are checked with it and unknown groups fail.
  std::function<bool(GroupKey key, std::string_view value)> group_exists;
  // When set, group.name / group.arn expand to the named group's own filter expression, as
  // X-Ray evaluates a referenced group's filter inline (xray-semantics.md §1.6), so that
  // group tests need no stored memberships. nullopt: no such group (an error). Takes
  // precedence over group_exists. Self references (see defining_group) and cycles fail.
  std::function<std::optional<GroupDefinition>(GroupKey key, std::string_view value)>
      group_definition;
  // The name of the group whose filter is being compiled (empty: none); a reference to it,
  // directly or through other groups, is a cycle.
  std::string defining_group;
  // Group expansions allowed in one compilation (bounds the size of nested references).
  size_t max_group_expansions = 32;
};

// A compiled filter expression. Immutable; safe to share and to call from any thread.
// Copying is cheap (shared ownership of the compiled program).
class Filter {
 public:
  // A filter that matches every trace (the same as compiling "").
  Filter();

  // Whether the trace matches. `detail` is only read when needs_detail(); otherwise any
  // value (e.g. an empty TraceDetail) may be passed. `summary` and `detail` must describe the
  // same revision of one trace. Never fails: comparisons with absent values are false.
  bool Matches(const model::TraceSummary& summary, const model::TraceDetail& detail,
               const EvalContext& context = {}) const;

  // Whether Matches reads the detail (service, edge, rootcause.*, ok, inferred). When false,
  // a scan can skip decoding the detail column.
  bool needs_detail() const;
  // Whether Matches reads EvalContext::groups.
  bool needs_groups() const;
  // True for the empty expression.
  bool matches_everything() const;
  const ScanHints& hints() const;
  // group.name / group.arn references, in source order (for existence and cycle checks).
  std::span<const GroupReference> referenced_groups() const;
  // The source text.
  std::string_view expression() const;

 private:
  friend struct internal::FilterAccess;
  friend Result<Filter> Compile(std::string_view expression, const CompileOptions& options);
  explicit Filter(std::shared_ptr<const internal::CompiledFilter> impl);

  std::shared_ptr<const internal::CompiledFilter> impl_;
};

// Parses, type-checks and compiles `expression`. Keywords and word operators are
// case-insensitive; string comparisons are case-sensitive. On error returns InvalidArgument
// with a message "filter: <what was expected or wrong> at column <N>" (N 1-based, in bytes),
// e.g. `filter: expected a value after "=" at column 17`. Thread-safe.
Result<Filter> Compile(std::string_view expression, const CompileOptions& options = {});

}  // namespace roentgen::query
