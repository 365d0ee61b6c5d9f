// SPDX-License-Identifier: Apache-2.0
#include "query/internal/ast.h"

#include <array>
#include <cstdio>
#include <string>

namespace roentgen::query::internal {
namespace {

constexpr uint32_t Bit(Scope scope) { return 1u << static_cast<uint32_t>(scope); }

constexpr uint32_t kTraceServiceEdge =
    Bit(Scope::kTrace) | Bit(Scope::kService) | Bit(Scope::kEdge);
constexpr uint32_t kTraceService = Bit(Scope::kTrace) | Bit(Scope::kService);
constexpr uint32_t kRootCauseEntities =
    Bit(Scope::kRootCauseEntity) | Bit(Scope::kRootCauseTimeEntity);
constexpr uint32_t kAnyRootCause =
    Bit(Scope::kRootCauseService) | kRootCauseEntities | Bit(Scope::kRootCauseException);

// Indexed by Field.
constexpr std::array<FieldInfo, 26> kFields = {{
    {Field::kOk, "ok", ValueType::kBool, kTraceServiceEdge},
    {Field::kError, "error", ValueType::kBool, kTraceServiceEdge},
    {Field::kFault, "fault", ValueType::kBool, kTraceServiceEdge},
    {Field::kThrottle, "throttle", ValueType::kBool, kTraceServiceEdge},
    {Field::kPartial, "partial", ValueType::kBool, kTraceServiceEdge},
    {Field::kInferred, "inferred", ValueType::kBool, kTraceService | Bit(Scope::kRootCauseService)},
    {Field::kRoot, "root", ValueType::kBool, Bit(Scope::kService)},
    {Field::kFirst, "first", ValueType::kBool, kAnyRootCause},
    {Field::kLast, "last", ValueType::kBool, kAnyRootCause},
    {Field::kRemote, "remote", ValueType::kBool, kRootCauseEntities},
    {Field::kResponseTime, "responsetime", ValueType::kNumber, kTraceServiceEdge},
    {Field::kDuration, "duration", ValueType::kNumber, kTraceServiceEdge},
    {Field::kHttpStatus, "http.status", ValueType::kNumber, kTraceServiceEdge},
    {Field::kIndex, "index", ValueType::kNumber, kAnyRootCause},
    {Field::kCoverage, "coverage", ValueType::kNumber, Bit(Scope::kRootCauseTimeEntity)},
    {Field::kHttpUrl, "http.url", ValueType::kString, kTraceServiceEdge},
    {Field::kHttpMethod, "http.method", ValueType::kString, kTraceServiceEdge},
    {Field::kHttpUserAgent, "http.useragent", ValueType::kString, kTraceServiceEdge},
    {Field::kHttpClientIp, "http.clientip", ValueType::kString, kTraceServiceEdge},
    {Field::kUser, "user", ValueType::kString, kTraceService},
    {Field::kAvailabilityZone, "availabilityzone", ValueType::kString, kTraceService},
    {Field::kInstanceId, "instance.id", ValueType::kString, kTraceService},
    {Field::kResourceArn, "resource.arn", ValueType::kString, kTraceService},
    {Field::kName, "name", ValueType::kString, kAnyRootCause},
    {Field::kType, "type", ValueType::kString, Bit(Scope::kRootCauseService)},
    {Field::kMessage, "message", ValueType::kString, Bit(Scope::kRootCauseException)},
}};

}  // namespace

const FieldInfo* FindField(std::string_view lowercase_word) {
  for (const FieldInfo& info : kFields) {
    if (info.name == lowercase_word) return &info;
  }
  return nullptr;
}

const FieldInfo& GetFieldInfo(Field field) { return kFields[static_cast<size_t>(field)]; }

std::string_view CompareOpName(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kContains:
      return "CONTAINS";
    case CompareOp::kBeginsWith:
      return "BEGINSWITH";
    case CompareOp::kEndsWith:
      return "ENDSWITH";
  }
  return "?";
}

namespace {

std::string LiteralString(const Literal& literal) {
  switch (literal.type) {
    case ValueType::kBool:
      return literal.bool_value ? "true" : "false";
    case ValueType::kNumber: {
      char buffer[32];
      std::snprintf(buffer, sizeof(buffer), "%.17g", literal.number_value);
      return buffer;
    }
    case ValueType::kString:
      return "\"" + literal.string_value + "\"";
  }
  return "?";
}

std::string NodeRefString(const NodeRef& ref) {
  if (ref.any) return "any";
  std::string text;
  auto add = [&](std::string_view key, const std::optional<std::string>& value) {
    if (!value) return;
    if (!text.empty()) text.push_back(' ');
    text.append(key);
    text.append("=\"");
    text.append(*value);
    text.push_back('"');
  };
  add("name", ref.name);
  add("type", ref.type);
  add("account", ref.account_id);
  return text;
}

std::string Predicate(std::string_view subject, const Expr& expr) {
  if (!expr.op) return std::string(subject);
  return "(" + std::string(CompareOpName(*expr.op)) + " " + std::string(subject) + " " +
         LiteralString(expr.literal) + ")";
}

std::string Block(const Expr& expr) {
  return expr.block ? " {" + DebugString(*expr.block) + "}" : "";
}

}  // namespace

std::string DebugString(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kTrue:
      return "true";
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      std::string text = expr.kind == Expr::Kind::kAnd ? "(and" : "(or";
      for (const auto& child : expr.children) text += " " + DebugString(*child);
      return text + ")";
    }
    case Expr::Kind::kNot:
      return "(not " + DebugString(*expr.children[0]) + ")";
    case Expr::Kind::kPredicate:
      return Predicate(GetFieldInfo(expr.field).name, expr);
    case Expr::Kind::kAnnotation:
      return Predicate("annotation[" + expr.annotation_key + "]", expr);
    case Expr::Kind::kService:
      return "(service " + NodeRefString(expr.source) + Block(expr) + ")";
    case Expr::Kind::kEdge:
      return "(edge " + NodeRefString(expr.source) + ", " + NodeRefString(expr.target) +
             Block(expr) + ")";
    case Expr::Kind::kGroup:
      return std::string(expr.group_key == GroupKey::kName ? "(group.name \"" : "(group.arn \"") +
             expr.group_value + "\")";
    case Expr::Kind::kRootCause: {
      static constexpr std::string_view kKinds[] = {"fault", "error", "responsetime"};
      static constexpr std::string_view kElements[] = {"service", "entity", "exception"};
      return "(rootcause." + std::string(kKinds[static_cast<size_t>(expr.rc_kind)]) + "." +
             std::string(kElements[static_cast<size_t>(expr.rc_element)]) + Block(expr) + ")";
    }
    case Expr::Kind::kJson:
      return "(rootcause.json " + std::to_string(expr.json.elements.size()) + ")";
  }
  return "?";
}

bool CompareNumbers(double value, CompareOp op, double literal) {
  switch (op) {
    case CompareOp::kEq:
      return value == literal;
    case CompareOp::kNe:
      return value != literal;
    case CompareOp::kLt:
      return value < literal;
    case CompareOp::kLe:
      return value <= literal;
    case CompareOp::kGt:
      return value > literal;
    case CompareOp::kGe:
      return value >= literal;
    default:
      return false;
  }
}

bool CompareStrings(std::string_view value, CompareOp op, std::string_view literal) {
  switch (op) {
    case CompareOp::kEq:
      return value == literal;
    case CompareOp::kNe:
      return value != literal;
    case CompareOp::kContains:
      return value.find(literal) != std::string_view::npos;
    case CompareOp::kBeginsWith:
      return value.substr(0, literal.size()) == literal;
    case CompareOp::kEndsWith:
      return value.size() >= literal.size() &&
             value.substr(value.size() - literal.size()) == literal;
    default:
      return false;
  }
}

}  // namespace roentgen::query::internal
