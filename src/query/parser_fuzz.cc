// SPDX-License-Identifier: Apache-2.0
// Fuzz target for the filter-expression lexer and parser: arbitrary text → Compile.
// Properties checked on every input:
//  1. Compile never crashes, and stays bounded (length and nesting limits);
//  2. every error is InvalidArgument "filter: ... at column N" with 1 <= N <= length + 1;
//  3. on success, printing the syntax tree back as an expression and compiling that gives
//     the same tree (print → parse → print is a fixed point), and evaluating the filter on
//     an empty trace does not crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "query/internal/ast.h"
#include "query/internal/compiled_filter.h"
#include "query/query.h"

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (false)

namespace {

using roentgen::query::internal::CompareOpName;
using roentgen::query::internal::Expr;
using roentgen::query::internal::GetFieldInfo;
using roentgen::query::internal::JsonValue;
using roentgen::query::internal::Literal;
using roentgen::query::internal::NodeRef;
using roentgen::query::internal::ValueType;

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Number(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

std::string JsonText(const JsonValue& value) {
  switch (value.type) {
    case JsonValue::Type::kNull:
      return "null";
    case JsonValue::Type::kBool:
      return value.bool_value ? "true" : "false";
    case JsonValue::Type::kNumber:
      return Number(value.number_value);
    case JsonValue::Type::kString: {
      std::string out = "\"";
      for (char c : value.string_value) {
        if (c == '"' || c == '\\') {
          out.push_back('\\');
          out.push_back(c);
        } else if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned>(c));
          out.append(escape);
        } else {
          out.push_back(c);
        }
      }
      return out + "\"";
    }
    case JsonValue::Type::kArray: {
      std::string out = "[";
      for (size_t idx = 0; idx < value.elements.size(); ++idx) {
        if (idx > 0) out += ",";
        out += JsonText(value.elements[idx]);
      }
      return out + "]";
    }
    case JsonValue::Type::kObject: {
      std::string out = "{";
      for (size_t idx = 0; idx < value.members.size(); ++idx) {
        if (idx > 0) out += ",";
        JsonValue name;
        name.type = JsonValue::Type::kString;
        name.string_value = value.members[idx].first;
        out += JsonText(name) + ":" + JsonText(value.members[idx].second);
      }
      return out + "}";
    }
  }
  return "null";
}

std::string LiteralText(const Literal& literal) {
  switch (literal.type) {
    case ValueType::kBool:
      return literal.bool_value ? "true" : "false";
    case ValueType::kNumber:
      return Number(literal.number_value);
    case ValueType::kString:
      return Quoted(literal.string_value);
  }
  return "";
}

std::string NodeText(const NodeRef& ref) {
  if (ref.any) return "";
  std::string args;
  auto add = [&](std::string_view key, const std::optional<std::string>& value) {
    if (!value) return;
    if (!args.empty()) args += ", ";
    args += std::string(key) + ": " + Quoted(*value);
  };
  add("name", ref.name);
  add("type", ref.type);
  add("account.id", ref.account_id);
  return "id(" + args + ")";
}

std::string Comparison(const Expr& expr) {
  if (!expr.op) return "";
  return " " + std::string(CompareOpName(*expr.op)) + " " + LiteralText(expr.literal);
}

// Prints a syntax tree as an expression that parses back to the same tree.
std::string Print(const Expr& expr) {
  auto block = [&]() { return expr.block ? " { " + Print(*expr.block) + " }" : std::string(); };
  switch (expr.kind) {
    case Expr::Kind::kTrue:
      return "";
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      std::string out = "(";
      for (size_t idx = 0; idx < expr.children.size(); ++idx) {
        if (idx > 0) out += expr.kind == Expr::Kind::kAnd ? " AND " : " OR ";
        out += Print(*expr.children[idx]);
      }
      return out + ")";
    }
    case Expr::Kind::kNot:
      return "!" + Print(*expr.children[0]);
    case Expr::Kind::kPredicate:
      return std::string(GetFieldInfo(expr.field).name) + Comparison(expr);
    case Expr::Kind::kAnnotation: {
      std::string key = expr.annotation_key;
      if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = "\"" + key + "\"";
      return "annotation[" + key + "]" + Comparison(expr);
    }
    case Expr::Kind::kService:
      return "service(" + NodeText(expr.source) + ")" + block();
    case Expr::Kind::kEdge:
      return "edge(" + NodeText(expr.source) + ", " + NodeText(expr.target) + ")" + block();
    case Expr::Kind::kGroup:
      return std::string(expr.group_key == roentgen::query::GroupKey::kName ? "group.name"
                                                                            : "group.arn") +
             " = " + Quoted(expr.group_value);
    case Expr::Kind::kRootCause: {
      static constexpr std::string_view kKinds[] = {"fault", "error", "responsetime"};
      static constexpr std::string_view kElements[] = {"service", "entity", "exception"};
      return "rootcause." + std::string(kKinds[static_cast<size_t>(expr.rc_kind)]) + "." +
             std::string(kElements[static_cast<size_t>(expr.rc_element)]) + block();
    }
    case Expr::Kind::kJson:
      return "rootcause.json = #" + JsonText(expr.json);
  }
  return "";
}

}  // namespace

// Group references expand to these filters (cycles, a chain, a broken filter): expansion
// never crashes, fails only in the documented form, and leaves no group test behind.
void CheckGroupExpansion(std::string_view text) {
  static const std::pair<const char*, const char*> kGroups[] = {
      {"slow", "responsetime > 1"},          {"chain", "group.name = \"slow\" AND fault"},
      {"loop-a", "group.name = \"loop-b\""}, {"loop-b", "group.arn = \"arn:loop-a\""},
      {"broken", "responsetime >"},          {"Default", ""}};
  roentgen::query::CompileOptions options;
  options.group_definition =
      [](roentgen::query::GroupKey key,
         std::string_view value) -> std::optional<roentgen::query::GroupDefinition> {
    if (key == roentgen::query::GroupKey::kArn) {
      if (value.substr(0, 4) != "arn:") return std::nullopt;
      value.remove_prefix(4);
    }
    for (const auto& [name, expression] : kGroups) {
      if (value == name) return roentgen::query::GroupDefinition{name, expression};
    }
    return std::nullopt;
  };
  auto filter = roentgen::query::Compile(text, options);
  if (!filter.ok()) {
    FUZZ_CHECK(filter.error().code() == roentgen::StatusCode::kInvalidArgument);
    FUZZ_CHECK(filter.error().message().substr(0, 8) == "filter: ");
    return;
  }
  FUZZ_CHECK(!filter->needs_groups());
  (void)filter->Matches(roentgen::model::TraceSummary{}, roentgen::model::TraceDetail{});
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckGroupExpansion(text);
  auto filter = roentgen::query::Compile(text);
  if (!filter.ok()) {
    FUZZ_CHECK(filter.error().code() == roentgen::StatusCode::kInvalidArgument);
    std::string_view message = filter.error().message();
    FUZZ_CHECK(message.substr(0, 8) == "filter: ");
    size_t at = message.rfind(" at column ");
    FUZZ_CHECK(at != std::string_view::npos);
    size_t column = std::strtoul(std::string(message.substr(at + 11)).c_str(), nullptr, 10);
    FUZZ_CHECK(column >= 1 && column <= std::max<size_t>(size, 2000) + 1);
    return 0;
  }
  FUZZ_CHECK(size <= 2000);
  const auto& compiled = roentgen::query::internal::FilterAccess::Get(*filter);
  const std::string printed = Print(*compiled.ast);
  // The printed form adds parentheses and spaces; it may exceed the default limits.
  roentgen::query::CompileOptions generous;
  generous.max_length = 1 << 20;
  generous.max_depth = 1 << 10;
  auto again = roentgen::query::Compile(printed, generous);
  if (!again.ok()) {
    std::fprintf(stderr, "printed form does not compile: %s\n%s\n", printed.c_str(),
                 again.error().ToString().c_str());
    std::abort();
  }
  const std::string reprinted = Print(*roentgen::query::internal::FilterAccess::Get(*again).ast);
  if (reprinted != printed) {
    std::fprintf(stderr, "print/parse is not a fixed point:\n%s\n%s\n", printed.c_str(),
                 reprinted.c_str());
    std::abort();
  }
  (void)filter->Matches(roentgen::model::TraceSummary{}, roentgen::model::TraceDetail{});
  return 0;
}
