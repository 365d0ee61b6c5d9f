// SPDX-License-Identifier: Apache-2.0
#pragma once

// The typed syntax tree of a filter expression. The parser builds it already type-checked:
// every predicate's operator and literal fit its keyword, and every keyword is valid in the
// scope (trace level or the kind of block) it appears in. Both evaluators read it: the fast
// one compiles it once (compiler.h), the reference one walks it per trace.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "query/query.h"

namespace roentgen::query::internal {

// Where an expression is evaluated: against the whole trace, or per element inside a block.
enum class Scope : uint8_t {
  kTrace,
  kService,              // service(...) { }: per segment of the node
  kEdge,                 // edge(a, b) { }: per call
  kRootCauseService,     // rootcause.<kind>.service { }
  kRootCauseEntity,      // rootcause.fault|error.entity { }
  kRootCauseTimeEntity,  // rootcause.responsetime.entity { } (adds coverage)
  kRootCauseException,   // rootcause.fault|error.exception { }
};

enum class ValueType : uint8_t { kBool, kNumber, kString };

// The fixed keywords (annotations, service/edge/group/rootcause are separate node kinds).
enum class Field : uint8_t {
  kOk,
  kError,
  kFault,
  kThrottle,
  kPartial,
  kInferred,
  kRoot,
  kFirst,
  kLast,
  kRemote,
  kResponseTime,
  kDuration,
  kHttpStatus,
  kIndex,
  kCoverage,
  kHttpUrl,
  kHttpMethod,
  kHttpUserAgent,
  kHttpClientIp,
  kUser,
  kAvailabilityZone,
  kInstanceId,
  kResourceArn,
  kName,
  kType,
  kMessage,
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kContains, kBeginsWith, kEndsWith };

enum class RootCauseKind : uint8_t { kFault, kError, kResponseTime };
enum class RootCauseElement : uint8_t { kService, kEntity, kException };

struct FieldInfo {
  Field field;
  std::string_view name;  // canonical lowercase spelling
  ValueType type;
  uint32_t scopes;  // bit (1 << Scope) for each scope it is valid in
};

// The keyword table; nullptr when `lowercase_word` is not a field keyword.
const FieldInfo* FindField(std::string_view lowercase_word);
const FieldInfo& GetFieldInfo(Field field);

// "=", "CONTAINS", ...
std::string_view CompareOpName(CompareOp op);

struct Literal {
  ValueType type = ValueType::kBool;
  bool bool_value = false;
  double number_value = 0;
  std::string string_value;
};

struct JsonMember;

// The literal of rootcause.json = #[...]: plain JSON.
struct JsonValue {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool bool_value = false;
  double number_value = 0;
  std::string string_value;
  std::vector<JsonValue> elements;  // kArray
  std::vector<JsonMember> members;  // kObject, in source order
};

struct JsonMember {
  std::string first;  // the name
  JsonValue second;   // the value
};

// service(...) / edge(...) arguments: a name, an id(...) call, or nothing (service()).
// A node matches when every given part is equal; client nodes match only when `type` is
// given (xray-semantics.md §1.6).
struct NodeRef {
  bool any = false;  // service() without an argument
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::string> account_id;
};

struct Expr {
  enum class Kind : uint8_t {
    kTrue,        // the empty expression
    kAnd,         // children (>= 2)
    kOr,          // children (>= 2)
    kNot,         // children[0]
    kPredicate,   // field [op literal]
    kAnnotation,  // annotation_key [op literal] (trace scope only)
    kService,     // source [block]
    kEdge,        // source, target [block]
    kGroup,       // group_key = group_value
    kRootCause,   // rc_kind, rc_element [block]
    kJson,        // rootcause.json = #[json]
  };
  Kind kind = Kind::kTrue;
  size_t column = 1;  // 1-based column of the first token
  std::vector<std::unique_ptr<Expr>> children;

  Field field = Field::kOk;
  std::string annotation_key;
  std::optional<CompareOp> op;  // nullopt: the bare form (true / is set / present)
  Literal literal;

  NodeRef source;
  NodeRef target;
  std::unique_ptr<Expr> block;  // nullptr: no block, or an empty one

  GroupKey group_key = GroupKey::kName;
  std::string group_value;

  RootCauseKind rc_kind = RootCauseKind::kFault;
  RootCauseElement rc_element = RootCauseElement::kService;

  JsonValue json;
};

// A compact, unambiguous rendering for tests and debugging, e.g.
// (and (service name="a" {(> responsetime 1)}) (not fault)).
std::string DebugString(const Expr& expr);

// Compares a number with the operator (one of = != < <= > >=).
bool CompareNumbers(double value, CompareOp op, double literal);
// Applies a string operator; callers treat empty values as absent before calling.
bool CompareStrings(std::string_view value, CompareOp op, std::string_view literal);

}  // namespace roentgen::query::internal
