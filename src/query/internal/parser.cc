// SPDX-License-Identifier: Apache-2.0
// Grammar (docs/query_language.md has the full EBNF):
//   filter  = [ or ] ;          or = and { OR and } ;      and = unary { [ AND ] unary } ;
//   unary   = { "!" | NOT } primary ;
//   primary = "(" or ")" | service | edge | group | rootcause | json | predicate ;
// Precedence: ! > AND (explicit or juxtaposed) > OR. Type and scope checks happen while
// parsing, so every error can point at the offending token.
#include "query/internal/parser.h"

#include <string>
#include <utility>

#include "base/status_macros.h"
#include "query/internal/json_literal.h"
#include "query/internal/lexer.h"

namespace roentgen::query::internal {
namespace {

using ExprPtr = std::unique_ptr<Expr>;

std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  quoted.append(text);
  quoted.push_back('"');
  return quoted;
}

constexpr uint32_t Bit(Scope scope) { return 1u << static_cast<uint32_t>(scope); }

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kBool:
      return "boolean";
    case ValueType::kNumber:
      return "number";
    case ValueType::kString:
      return "string";
  }
  return "?";
}

bool OperatorFits(ValueType type, CompareOp op) {
  switch (type) {
    case ValueType::kBool:
      return op == CompareOp::kEq || op == CompareOp::kNe;
    case ValueType::kNumber:
      return op == CompareOp::kEq || op == CompareOp::kNe || op == CompareOp::kLt ||
             op == CompareOp::kLe || op == CompareOp::kGt || op == CompareOp::kGe;
    case ValueType::kString:
      return op == CompareOp::kEq || op == CompareOp::kNe || op == CompareOp::kContains ||
             op == CompareOp::kBeginsWith || op == CompareOp::kEndsWith;
  }
  return false;
}

std::optional<CompareOp> OperatorOf(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEq:
      return CompareOp::kEq;
    case TokenKind::kNe:
      return CompareOp::kNe;
    case TokenKind::kLt:
      return CompareOp::kLt;
    case TokenKind::kLe:
      return CompareOp::kLe;
    case TokenKind::kGt:
      return CompareOp::kGt;
    case TokenKind::kGe:
      return CompareOp::kGe;
    case TokenKind::kWord:
      if (token.value == "contains") return CompareOp::kContains;
      if (token.value == "beginswith") return CompareOp::kBeginsWith;
      if (token.value == "endswith") return CompareOp::kEndsWith;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

// Words that can never start an operand or be a bare value.
bool IsReservedWord(std::string_view lowercase) {
  return lowercase == "and" || lowercase == "or" || lowercase == "not" || lowercase == "contains" ||
         lowercase == "beginswith" || lowercase == "endswith";
}

// Where a keyword that is not valid in the current scope would be valid.
std::string ValidPlaces(uint32_t scopes) {
  if (scopes == Bit(Scope::kService)) return "service() { }";
  if (scopes == Bit(Scope::kRootCauseTimeEntity)) return "rootcause.responsetime.entity { }";
  if (scopes == Bit(Scope::kRootCauseService)) return "rootcause.<kind>.service { }";
  if (scopes == Bit(Scope::kRootCauseException)) return "rootcause.<kind>.exception { }";
  if (scopes == (Bit(Scope::kRootCauseEntity) | Bit(Scope::kRootCauseTimeEntity))) {
    return "rootcause.<kind>.entity { }";
  }
  return "rootcause blocks";
}

class Parser {
 public:
  // `expanding` names the groups whose filters enclose this text (outermost first);
  // `expansions` counts group expansions across the whole compilation.
  Parser(std::string_view text, const CompileOptions& options, std::vector<std::string>* expanding,
         size_t* expansions)
      : text_(text),
        options_(options),
        lexer_(text),
        expanding_(expanding),
        expansions_(expansions) {}

  Result<ParsedFilter> Run() {
    if (text_.size() > options_.max_length) {
      return SyntaxError(
          "expression longer than " + std::to_string(options_.max_length) + " characters",
          options_.max_length + 1);
    }
    ParsedFilter result;
    RG_RETURN_IF_ERROR(Fill());
    if (peek_.kind == TokenKind::kEnd) {
      result.root = std::make_unique<Expr>();
      result.root->kind = Expr::Kind::kTrue;
    } else {
      RG_ASSIGN_OR_RETURN(result.root, ParseOr(Scope::kTrace, ""));
      RG_RETURN_IF_ERROR(Fill());
      if (peek_.kind != TokenKind::kEnd) {
        return SyntaxError("unexpected " + DescribeToken(peek_), peek_.column);
      }
    }
    result.groups = std::move(groups_);
    return result;
  }

 private:
  // ---- Tokens ----
  Status Fill() {
    if (!has_peek_) {
      RG_ASSIGN_OR_RETURN(peek_, lexer_.Next());
      has_peek_ = true;
    }
    return Status();
  }
  // REQUIRES: Fill() succeeded.
  Token Take() {
    has_peek_ = false;
    return std::move(peek_);
  }
  bool PeekIs(TokenKind kind) const { return peek_.kind == kind; }
  bool PeekIsWord(std::string_view lowercase) const {
    return peek_.kind == TokenKind::kWord && peek_.value == lowercase;
  }
  Status Expect(TokenKind kind, std::string_view what) {
    RG_RETURN_IF_ERROR(Fill());
    if (!PeekIs(kind)) return SyntaxError("expected " + std::string(what), peek_.column);
    Take();
    return Status();
  }

  Status Enter(size_t column) {
    if (++depth_ > options_.max_depth) {
      return SyntaxError("nesting deeper than " + std::to_string(options_.max_depth) + " levels",
                         column);
    }
    return Status();
  }
  void Leave() { --depth_; }

  // Whether the lookahead can start an operand (for implicit AND).
  bool PeekStartsOperand() const {
    switch (peek_.kind) {
      case TokenKind::kBang:
      case TokenKind::kLParen:
      case TokenKind::kAnnotation:
        return true;
      case TokenKind::kWord:
        return peek_.value == "not" ||
               (!IsReservedWord(peek_.value) && peek_.value != "true" && peek_.value != "false");
      default:
        return false;
    }
  }

  static ExprPtr Combine(Expr::Kind kind, std::vector<ExprPtr> operands) {
    if (operands.size() == 1) return std::move(operands[0]);
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->column = operands[0]->column;
    expr->children = std::move(operands);
    return expr;
  }

  // ---- Boolean structure ----
  Result<ExprPtr> ParseOr(Scope scope, std::string_view after) {
    std::vector<ExprPtr> operands;
    RG_ASSIGN_OR_RETURN(ExprPtr first, ParseAnd(scope, after));
    operands.push_back(std::move(first));
    for (;;) {
      RG_RETURN_IF_ERROR(Fill());
      if (!PeekIsWord("or")) break;
      Take();
      RG_ASSIGN_OR_RETURN(ExprPtr next, ParseAnd(scope, "after \"OR\""));
      operands.push_back(std::move(next));
    }
    return Combine(Expr::Kind::kOr, std::move(operands));
  }

  Result<ExprPtr> ParseAnd(Scope scope, std::string_view after) {
    std::vector<ExprPtr> operands;
    RG_ASSIGN_OR_RETURN(ExprPtr first, ParseUnary(scope, after));
    operands.push_back(std::move(first));
    for (;;) {
      RG_RETURN_IF_ERROR(Fill());
      if (PeekIsWord("and")) {
        Take();
        RG_ASSIGN_OR_RETURN(ExprPtr next, ParseUnary(scope, "after \"AND\""));
        operands.push_back(std::move(next));
      } else if (PeekStartsOperand()) {
        RG_ASSIGN_OR_RETURN(ExprPtr next, ParseUnary(scope, ""));
        operands.push_back(std::move(next));
      } else {
        break;
      }
    }
    return Combine(Expr::Kind::kAnd, std::move(operands));
  }

  Result<ExprPtr> ParseUnary(Scope scope, std::string_view after) {
    std::vector<size_t> negations;
    std::string after_text(after);
    for (;;) {
      RG_RETURN_IF_ERROR(Fill());
      if (PeekIs(TokenKind::kBang) || PeekIsWord("not")) {
        Token token = Take();
        RG_RETURN_IF_ERROR(Enter(token.column));
        negations.push_back(token.column);
        after_text = token.kind == TokenKind::kBang ? "after \"!\"" : "after \"NOT\"";
        continue;
      }
      break;
    }
    RG_ASSIGN_OR_RETURN(ExprPtr operand, ParsePrimary(scope, after_text));
    for (auto it = negations.rbegin(); it != negations.rend(); ++it) {
      auto negation = std::make_unique<Expr>();
      negation->kind = Expr::Kind::kNot;
      negation->column = *it;
      negation->children.push_back(std::move(operand));
      operand = std::move(negation);
      Leave();
    }
    return operand;
  }

  Status ExpectedExpression(std::string_view after) const {
    std::string what = "expected an expression";
    if (!after.empty()) {
      what.push_back(' ');
      what.append(after);
    }
    return SyntaxError(what, peek_.column);
  }

  Result<ExprPtr> ParsePrimary(Scope scope, std::string_view after) {
    RG_RETURN_IF_ERROR(Fill());
    switch (peek_.kind) {
      case TokenKind::kLParen: {
        Token open = Take();
        RG_RETURN_IF_ERROR(Enter(open.column));
        RG_RETURN_IF_ERROR(Fill());
        if (PeekIs(TokenKind::kRParen)) return ExpectedExpression("after \"(\"");
        RG_ASSIGN_OR_RETURN(ExprPtr inner, ParseOr(scope, "after \"(\""));
        RG_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\""));
        Leave();
        return inner;
      }
      case TokenKind::kAnnotation:
        return ParseAnnotation(scope);
      case TokenKind::kWord:
        break;
      default:
        return ExpectedExpression(after);
    }
    const std::string& word = peek_.value;
    if (word == "service") return ParseService(scope);
    if (word == "edge") return ParseEdge(scope);
    if (word == "group.name" || word == "group.arn") return ParseGroup(scope);
    if (word == "rootcause" || word.rfind("rootcause.", 0) == 0) return ParseRootCause(scope);
    if (const FieldInfo* info = FindField(word)) return ParsePredicate(scope, *info);
    if (IsReservedWord(word) || word == "true" || word == "false") {
      return ExpectedExpression(after);
    }
    if (word == "id") {
      return SyntaxError("id(...) is only valid inside service() or edge()", peek_.column);
    }
    if (word == "annotation") {
      return SyntaxError("expected annotation.KEY or annotation[KEY]", peek_.column);
    }
    return SyntaxError("unknown keyword " + Quote(peek_.text), peek_.column);
  }

  // ---- Scope checks ----
  Status NotInBlock(std::string_view keyword, Scope scope, size_t column) const {
    if (scope == Scope::kTrace) return Status();
    return SyntaxError(std::string(keyword) + " cannot be used inside " + block_name_, column);
  }

  Status CheckFieldScope(const FieldInfo& info, Scope scope, size_t column) const {
    if ((info.scopes & Bit(scope)) != 0) return Status();
    if (scope == Scope::kTrace) {
      return SyntaxError(
          std::string(info.name) + " is only valid inside " + ValidPlaces(info.scopes), column);
    }
    return SyntaxError(std::string(info.name) + " cannot be used inside " + block_name_, column);
  }

  // ---- Predicates ----
  // Parses `op literal` when an operator follows; the literal's type is checked against
  // `fixed_type` (keywords) or decides the operators allowed (annotations, fixed_type empty).
  Status ParseComparison(Expr* expr, std::optional<ValueType> fixed_type,
                         std::string_view keyword) {
    RG_RETURN_IF_ERROR(Fill());
    std::optional<CompareOp> op = OperatorOf(peek_);
    if (!op) return Status();
    Token op_token = Take();
    const std::string op_name = Quote(CompareOpName(*op));
    if (fixed_type && !OperatorFits(*fixed_type, *op)) {
      return SyntaxError("operator " + op_name + " is not valid for " +
                             std::string(TypeName(*fixed_type)) + " keyword " +
                             std::string(keyword),
                         op_token.column);
    }
    RG_RETURN_IF_ERROR(Fill());
    Literal literal;
    switch (peek_.kind) {
      case TokenKind::kString:
        literal.type = ValueType::kString;
        literal.string_value = peek_.value;
        break;
      case TokenKind::kNumber:
        literal.type = ValueType::kNumber;
        literal.number_value = peek_.number;
        break;
      case TokenKind::kWord:
        if (peek_.value == "true" || peek_.value == "false") {
          literal.type = ValueType::kBool;
          literal.bool_value = peek_.value == "true";
        } else if (!IsReservedWord(peek_.value)) {
          // An unquoted word is taken as a string (leniency: the docs contain `name = traces`).
          literal.type = ValueType::kString;
          literal.string_value = std::string(peek_.text);
        } else {
          return SyntaxError("expected a value after " + op_name, peek_.column);
        }
        break;
      default:
        return SyntaxError("expected a value after " + op_name, peek_.column);
    }
    if (fixed_type && literal.type != *fixed_type) {
      std::string expected = *fixed_type == ValueType::kBool     ? "true or false"
                             : *fixed_type == ValueType::kNumber ? "a number"
                                                                 : "a string";
      return SyntaxError("expected " + expected + " after " + op_name, peek_.column);
    }
    if (!fixed_type && !OperatorFits(literal.type, *op)) {
      return SyntaxError("operator " + op_name + " is not valid for a " +
                             std::string(TypeName(literal.type)) + " value",
                         op_token.column);
    }
    Take();
    expr->op = op;
    expr->literal = std::move(literal);
    return Status();
  }

  Result<ExprPtr> ParsePredicate(Scope scope, const FieldInfo& info) {
    Token token = Take();
    RG_RETURN_IF_ERROR(CheckFieldScope(info, scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->kind = Expr::Kind::kPredicate;
    expr->column = token.column;
    expr->field = info.field;
    RG_RETURN_IF_ERROR(ParseComparison(expr.get(), info.type, info.name));
    return expr;
  }

  Result<ExprPtr> ParseAnnotation(Scope scope) {
    Token token = Take();
    RG_RETURN_IF_ERROR(NotInBlock(token.text, scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->kind = Expr::Kind::kAnnotation;
    expr->column = token.column;
    expr->annotation_key = std::move(token.value);
    RG_RETURN_IF_ERROR(ParseComparison(expr.get(), std::nullopt, token.text));
    return expr;
  }

  // ---- service(), edge(), id() ----
  // A string or bare word value after `after`.
  Result<std::string> ParseStringValue(std::string_view after) {
    RG_RETURN_IF_ERROR(Fill());
    if (PeekIs(TokenKind::kString)) return Take().value;
    if (PeekIs(TokenKind::kWord) && !IsReservedWord(peek_.value)) {
      return std::string(Take().text);
    }
    return SyntaxError("expected a string after " + std::string(after), peek_.column);
  }

  Status ParseId(NodeRef* ref) {
    Take();  // id
    RG_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\" after \"id\""));
    for (;;) {
      RG_RETURN_IF_ERROR(Fill());
      std::optional<std::string>* slot = nullptr;
      if (PeekIsWord("name")) {
        slot = &ref->name;
      } else if (PeekIsWord("type")) {
        slot = &ref->type;
      } else if (PeekIsWord("account.id")) {
        slot = &ref->account_id;
      } else {
        return SyntaxError("expected name:, type: or account.id: in id()", peek_.column);
      }
      Token argument = Take();
      if (slot->has_value()) {
        return SyntaxError("duplicate id() argument " + Quote(argument.value), argument.column);
      }
      RG_RETURN_IF_ERROR(Expect(TokenKind::kColon, "\":\" after " + Quote(argument.value)));
      RG_ASSIGN_OR_RETURN(*slot, ParseStringValue(Quote(argument.value + ":")));
      RG_RETURN_IF_ERROR(Fill());
      if (PeekIs(TokenKind::kComma)) {
        Take();
        continue;
      }
      return Expect(TokenKind::kRParen, "\",\" or \")\" in id()");
    }
  }

  Status ParseNodeRef(NodeRef* ref, std::string_view after) {
    RG_RETURN_IF_ERROR(Fill());
    if (PeekIs(TokenKind::kString)) {
      ref->name = Take().value;
      return Status();
    }
    if (PeekIsWord("id")) return ParseId(ref);
    return SyntaxError("expected a service name (a string) or id(...) after " + std::string(after),
                       peek_.column);
  }

  Result<ExprPtr> ParseBlock(Scope inner, std::string block_name) {
    RG_RETURN_IF_ERROR(Fill());
    if (!PeekIs(TokenKind::kLBrace)) return ExprPtr();
    Token open = Take();
    RG_RETURN_IF_ERROR(Enter(open.column));
    RG_RETURN_IF_ERROR(Fill());
    ExprPtr block;
    if (PeekIs(TokenKind::kRBrace)) {
      Take();  // an empty block adds no condition
    } else {
      std::string saved = std::move(block_name_);
      block_name_ = std::move(block_name);
      RG_ASSIGN_OR_RETURN(block, ParseOr(inner, "after \"{\""));
      block_name_ = std::move(saved);
      RG_RETURN_IF_ERROR(Expect(TokenKind::kRBrace, "\"}\""));
    }
    Leave();
    return block;
  }

  Result<ExprPtr> ParseService(Scope scope) {
    Token token = Take();
    RG_RETURN_IF_ERROR(NotInBlock("service()", scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->kind = Expr::Kind::kService;
    expr->column = token.column;
    RG_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\" after \"service\""));
    RG_RETURN_IF_ERROR(Fill());
    if (PeekIs(TokenKind::kRParen)) {
      expr->source.any = true;
    } else {
      RG_RETURN_IF_ERROR(ParseNodeRef(&expr->source, "\"service(\""));
    }
    RG_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\""));
    RG_ASSIGN_OR_RETURN(expr->block, ParseBlock(Scope::kService, "a service block"));
    return expr;
  }

  Result<ExprPtr> ParseEdge(Scope scope) {
    Token token = Take();
    RG_RETURN_IF_ERROR(NotInBlock("edge()", scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->kind = Expr::Kind::kEdge;
    expr->column = token.column;
    RG_RETURN_IF_ERROR(Expect(TokenKind::kLParen, "\"(\" after \"edge\""));
    RG_RETURN_IF_ERROR(ParseNodeRef(&expr->source, "\"edge(\""));
    RG_RETURN_IF_ERROR(Expect(TokenKind::kComma, "\",\" and the second node of edge()"));
    RG_RETURN_IF_ERROR(ParseNodeRef(&expr->target, "\",\""));
    RG_RETURN_IF_ERROR(Expect(TokenKind::kRParen, "\")\""));
    RG_ASSIGN_OR_RETURN(expr->block, ParseBlock(Scope::kEdge, "an edge block"));
    return expr;
  }

  // ---- group.name / group.arn ----
  Result<ExprPtr> ParseGroup(Scope scope) {
    Token token = Take();
    RG_RETURN_IF_ERROR(NotInBlock(token.value, scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->kind = Expr::Kind::kGroup;
    expr->column = token.column;
    expr->group_key = token.value == "group.name" ? GroupKey::kName : GroupKey::kArn;
    RG_RETURN_IF_ERROR(Expect(TokenKind::kEq, "\"=\" after " + token.value));
    RG_RETURN_IF_ERROR(Fill());
    const size_t value_column = peek_.column;
    RG_ASSIGN_OR_RETURN(expr->group_value, ParseStringValue("\"=\""));
    if (options_.group_definition) {
      groups_.push_back(GroupReference{expr->group_key, expr->group_value, token.column});
      return ExpandGroup(*expr, value_column);
    }
    if (options_.group_exists && !options_.group_exists(expr->group_key, expr->group_value)) {
      return SyntaxError("unknown group " + Quote(expr->group_value), value_column);
    }
    groups_.push_back(GroupReference{expr->group_key, expr->group_value, token.column});
    return expr;
  }

  // Replaces a group reference by the parsed filter of the group it names.
  Result<ExprPtr> ExpandGroup(const Expr& reference, size_t value_column) {
    std::optional<GroupDefinition> group =
        options_.group_definition(reference.group_key, reference.group_value);
    if (!group) return SyntaxError("unknown group " + Quote(reference.group_value), value_column);
    bool cyclic = group->name == options_.defining_group;
    for (const std::string& name : *expanding_) cyclic = cyclic || name == group->name;
    if (cyclic) {
      return SyntaxError("group " + Quote(group->name) + " refers to itself (directly or through " +
                             "other groups)",
                         value_column);
    }
    if (++*expansions_ > options_.max_group_expansions) {
      return SyntaxError("more than " + std::to_string(options_.max_group_expansions) +
                             " group references (counting nested ones)",
                         value_column);
    }
    expanding_->push_back(group->name);
    Result<ParsedFilter> nested =
        Parser(group->expression, options_, expanding_, expansions_).Run();
    expanding_->pop_back();
    if (!nested.ok()) {
      std::string_view why = nested.error().message();
      if (why.starts_with("filter: ")) why.remove_prefix(8);
      return SyntaxError("the filter of group " + Quote(group->name) + " does not compile (" +
                             std::string(why) + ")",
                         value_column);
    }
    return std::move(nested->root);
  }

  // ---- rootcause.* ----
  Result<ExprPtr> ParseRootCause(Scope scope) {
    Token token = Take();
    RG_RETURN_IF_ERROR(NotInBlock(token.value, scope, token.column));
    auto expr = std::make_unique<Expr>();
    expr->column = token.column;
    const std::string& word = token.value;
    if (word == "rootcause.json") return ParseJson(std::move(expr));
    std::vector<std::string_view> parts;
    std::string_view rest = word;
    for (size_t dot; (dot = rest.find('.')) != std::string_view::npos;) {
      parts.push_back(rest.substr(0, dot));
      rest.remove_prefix(dot + 1);
    }
    parts.push_back(rest);
    bool known = parts.size() == 3;
    if (known) {
      if (parts[1] == "fault") {
        expr->rc_kind = RootCauseKind::kFault;
      } else if (parts[1] == "error") {
        expr->rc_kind = RootCauseKind::kError;
      } else if (parts[1] == "responsetime") {
        expr->rc_kind = RootCauseKind::kResponseTime;
      } else {
        known = false;
      }
      if (parts[2] == "service") {
        expr->rc_element = RootCauseElement::kService;
      } else if (parts[2] == "entity") {
        expr->rc_element = RootCauseElement::kEntity;
      } else if (parts[2] == "exception") {
        expr->rc_element = RootCauseElement::kException;
      } else {
        known = false;
      }
    }
    if (!known) {
      return SyntaxError("unknown keyword " + Quote(token.text) +
                             " (expected rootcause.<fault|error|responsetime>."
                             "<service|entity|exception> or rootcause.json)",
                         token.column);
    }
    if (expr->rc_kind == RootCauseKind::kResponseTime &&
        expr->rc_element == RootCauseElement::kException) {
      return SyntaxError("rootcause.responsetime has no exceptions", token.column);
    }
    expr->kind = Expr::Kind::kRootCause;
    Scope inner = Scope::kRootCauseService;
    if (expr->rc_element == RootCauseElement::kEntity) {
      inner = expr->rc_kind == RootCauseKind::kResponseTime ? Scope::kRootCauseTimeEntity
                                                            : Scope::kRootCauseEntity;
    } else if (expr->rc_element == RootCauseElement::kException) {
      inner = Scope::kRootCauseException;
    }
    RG_ASSIGN_OR_RETURN(expr->block, ParseBlock(inner, "a " + word + " block"));
    return expr;
  }

  // Checks the shape of a rootcause.json pattern: arrays of objects with the fields of the
  // X-Ray root-cause shapes (FaultRootCause, ...Service, ...Entity, RootCauseException).
  Status CheckJsonObject(const JsonValue& value, int level, size_t column) {
    static constexpr std::string_view kLevelNames[] = {"root cause", "service", "entity",
                                                       "exception"};
    if (value.type != JsonValue::Type::kObject) {
      return SyntaxError(
          "rootcause.json: expected a " + std::string(kLevelNames[level]) + " object", column);
    }
    using Type = JsonValue::Type;
    for (const JsonMember& json_member : value.members) {
      const std::string& name = json_member.first;
      const JsonValue& member = json_member.second;
      auto require = [&](bool ok, std::string_view what) -> Status {
        if (ok) return Status();
        return SyntaxError("rootcause.json: field " + Quote(name) + " must be " + std::string(what),
                           column);
      };
      auto list = [&](int child_level) -> Status {
        RG_RETURN_IF_ERROR(require(member.type == Type::kArray, "an array"));
        for (const JsonValue& element : member.elements) {
          RG_RETURN_IF_ERROR(CheckJsonObject(element, child_level, column));
        }
        return Status();
      };
      bool known = true;
      Status status;
      switch (level) {
        case 0:
          if (name == "Services") {
            status = list(1);
          } else if (name == "ClientImpacting") {
            status = require(member.type == Type::kBool, "true or false");
          } else {
            known = false;
          }
          break;
        case 1:
          if (name == "Name") {
            status = require(member.type == Type::kString, "a string");
          } else if (name == "Names") {
            status = require(member.type == Type::kArray, "an array of strings");
            for (const JsonValue& element : member.elements) {
              if (status.ok()) {
                status = require(element.type == Type::kString, "an array of strings");
              }
            }
          } else if (name == "Type" || name == "AccountId") {
            status = require(member.type == Type::kString || member.type == Type::kNull,
                             "a string or null");
          } else if (name == "Inferred") {
            status = require(member.type == Type::kBool, "true or false");
          } else if (name == "EntityPath") {
            status = list(2);
          } else {
            known = false;
          }
          break;
        case 2:
          if (name == "Name") {
            status = require(member.type == Type::kString, "a string");
          } else if (name == "Coverage") {
            status = require(member.type == Type::kNumber, "a number");
          } else if (name == "Remote") {
            status = require(member.type == Type::kBool, "true or false");
          } else if (name == "Exceptions") {
            status = list(3);
          } else {
            known = false;
          }
          break;
        default:
          if (name == "Name" || name == "Message") {
            status = require(member.type == Type::kString, "a string");
          } else {
            known = false;
          }
          break;
      }
      RG_RETURN_IF_ERROR(status);
      if (!known) {
        return SyntaxError("rootcause.json: unknown field " + Quote(name) + " in a " +
                               std::string(kLevelNames[level]) + " object",
                           column);
      }
    }
    return Status();
  }

  Result<ExprPtr> ParseJson(ExprPtr expr) {
    expr->kind = Expr::Kind::kJson;
    RG_RETURN_IF_ERROR(Expect(TokenKind::kEq, "\"=\" after rootcause.json"));
    RG_RETURN_IF_ERROR(Fill());
    if (!PeekIs(TokenKind::kJson)) {
      return SyntaxError("expected #[...] after \"=\"", peek_.column);
    }
    Token json = Take();
    const size_t json_column = json.column + 1;  // the '['
    size_t depth_left = options_.max_depth > depth_ ? options_.max_depth - depth_ : 0;
    JsonError error;
    if (!ParseJsonLiteral(json.text, depth_left, &expr->json, &error)) {
      return SyntaxError("rootcause.json: " + error.what, json_column + error.offset);
    }
    if (expr->json.type != JsonValue::Type::kArray || expr->json.elements.empty()) {
      return SyntaxError("rootcause.json: expected at least one root cause object", json_column);
    }
    for (const JsonValue& element : expr->json.elements) {
      RG_RETURN_IF_ERROR(CheckJsonObject(element, 0, json_column));
    }
    return expr;
  }

  std::string_view text_;
  const CompileOptions& options_;
  Lexer lexer_;
  Token peek_;
  bool has_peek_ = false;
  size_t depth_ = 0;
  std::string block_name_;
  std::vector<GroupReference> groups_;
  std::vector<std::string>* expanding_;
  size_t* expansions_;
};

}  // namespace

Result<ParsedFilter> ParseFilter(std::string_view text, const CompileOptions& options) {
  std::vector<std::string> expanding;
  size_t expansions = 0;
  return Parser(text, options, &expanding, &expansions).Run();
}

}  // namespace roentgen::query::internal
