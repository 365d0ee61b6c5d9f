// SPDX-License-Identifier: Apache-2.0
// The fast evaluator: the syntax tree becomes a tree of small closures, one per node, each
// specialised for its keyword (a direct field read) and operator (chosen at compile time).
// A flat op list was the alternative; closures keep each scope's code (trace, segment, call,
// root-cause item) separate and typed, and cost one indirect call per node, which is small
// next to the field reads. Keywords are never looked up by name at evaluation time.
#include "query/internal/compiler.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roentgen::query::internal {
namespace {

using model::EdgeCall;
using model::NodeKind;
using model::NodeSegment;
using model::RootCause;
using model::RootCauseEntity;
using model::RootCauseException;
using model::RootCauseService;
using model::ServiceNode;

template <typename Item>
using Pred = std::function<bool(const Item&)>;

// Evaluation cost classes, for ordering AND/OR operands.
constexpr int kCostScalar = 0;  // one summary field
constexpr int kCostList = 1;    // a scan of a short summary list
constexpr int kCostDetail = 3;  // a scan of the detail's nodes or edges
constexpr int kCostRootCause = 4;

template <typename Item>
struct Piece {
  Pred<Item> fn;
  int cost = kCostScalar;
};

// ---- Matchers shared by every scope ----

struct NumberMatcher {
  std::optional<CompareOp> op;  // nullopt: present
  double literal = 0;
  bool operator()(std::optional<double> value) const {
    if (!value) return false;
    if (!op) return true;
    return CompareNumbers(*value, *op, literal);
  }
};

// Empty values are absent: every comparison with them is false.
struct StringMatcher {
  std::optional<CompareOp> op;  // nullopt: set
  std::string literal;
  bool operator()(std::string_view value) const {
    if (value.empty()) return false;
    if (!op) return true;
    return CompareStrings(value, *op, literal);
  }
};

NumberMatcher MakeNumberMatcher(const Expr& expr) {
  return NumberMatcher{expr.op, expr.literal.number_value};
}
StringMatcher MakeStringMatcher(const Expr& expr) {
  return StringMatcher{expr.op, expr.literal.string_value};
}

// `kw`, `kw = true`, `kw != false` test for true; the other forms for false.
bool WantsTrue(const Expr& expr) {
  return !expr.op || ((*expr.op == CompareOp::kEq) == expr.literal.bool_value);
}

template <typename Item, typename Get>
Pred<Item> BoolField(Get get, const Expr& expr) {
  if (WantsTrue(expr)) return [get](const Item& item) { return get(item); };
  return [get](const Item& item) { return !get(item); };
}

// Numbers are the hot path of most filters: specialise the common operators.
template <typename Item, typename Get>
Pred<Item> NumberField(Get get, const Expr& expr) {
  if (!expr.op) return [get](const Item& item) { return get(item).has_value(); };
  const double literal = expr.literal.number_value;
  switch (*expr.op) {
    case CompareOp::kGt:
      return [get, literal](const Item& item) {
        std::optional<double> value = get(item);
        return value && *value > literal;
      };
    case CompareOp::kLt:
      return [get, literal](const Item& item) {
        std::optional<double> value = get(item);
        return value && *value < literal;
      };
    default: {
      NumberMatcher matcher = MakeNumberMatcher(expr);
      return [get, matcher](const Item& item) { return matcher(get(item)); };
    }
  }
}

template <typename Item, typename Get>
Pred<Item> StringField(Get get, const Expr& expr) {
  StringMatcher matcher = MakeStringMatcher(expr);
  return [get, matcher = std::move(matcher)](const Item& item) { return matcher(get(item)); };
}

// Existential over several values (users of a trace, zones of a segment...).
template <typename Item, typename List>
Pred<Item> StringListField(List list, const Expr& expr) {
  StringMatcher matcher = MakeStringMatcher(expr);
  return [list, matcher = std::move(matcher)](const Item& item) {
    for (const auto& value : list(item)) {
      if (matcher(value)) return true;
    }
    return false;
  };
}

std::optional<double> OptionalStatus(const std::optional<int32_t>& status) {
  if (!status) return std::nullopt;
  return static_cast<double>(*status);
}

// ---- Boolean structure, for any scope ----

template <typename Item, typename Leaf>
Piece<Item> CompileTree(const Expr& expr, const Leaf& leaf) {
  switch (expr.kind) {
    case Expr::Kind::kTrue:
      return {[](const Item&) { return true; }, kCostScalar};
    case Expr::Kind::kNot: {
      const Expr* inner = expr.children[0].get();
      if (inner->kind == Expr::Kind::kNot) {  // !!x is x
        return CompileTree<Item>(*inner->children[0], leaf);
      }
      Piece<Item> operand = CompileTree<Item>(*inner, leaf);
      return {[fn = std::move(operand.fn)](const Item& item) { return !fn(item); }, operand.cost};
    }
    case Expr::Kind::kAnd:
    case Expr::Kind::kOr: {
      std::vector<Piece<Item>> operands;
      for (const auto& child : expr.children) operands.push_back(CompileTree<Item>(*child, leaf));
      std::stable_sort(operands.begin(), operands.end(),
                       [](const Piece<Item>& a, const Piece<Item>& b) { return a.cost < b.cost; });
      int cost = operands.back().cost;
      const bool is_and = expr.kind == Expr::Kind::kAnd;
      if (operands.size() == 2) {
        Pred<Item> first = std::move(operands[0].fn);
        Pred<Item> second = std::move(operands[1].fn);
        if (is_and) {
          return {[first, second](const Item& item) { return first(item) && second(item); }, cost};
        }
        return {[first, second](const Item& item) { return first(item) || second(item); }, cost};
      }
      std::vector<Pred<Item>> fns;
      for (Piece<Item>& operand : operands) fns.push_back(std::move(operand.fn));
      if (is_and) {
        return {[fns](const Item& item) {
                  for (const Pred<Item>& fn : fns) {
                    if (!fn(item)) return false;
                  }
                  return true;
                },
                cost};
      }
      return {[fns](const Item& item) {
                for (const Pred<Item>& fn : fns) {
                  if (fn(item)) return true;
                }
                return false;
              },
              cost};
    }
    default:
      return leaf(expr);
  }
}

// ---- Per-segment scope: service(...) { } ----

Piece<NodeSegment> SegmentLeaf(const Expr& expr) {
  using S = NodeSegment;
  switch (expr.field) {
    case Field::kOk:
      return {BoolField<S>([](const S& s) { return !s.error && !s.fault && !s.throttle; }, expr)};
    case Field::kError:
      return {BoolField<S>([](const S& s) { return s.error; }, expr)};
    case Field::kFault:
      return {BoolField<S>([](const S& s) { return s.fault; }, expr)};
    case Field::kThrottle:
      return {BoolField<S>([](const S& s) { return s.throttle; }, expr)};
    case Field::kPartial:
      return {BoolField<S>([](const S& s) { return s.in_progress; }, expr)};
    case Field::kInferred:
      return {BoolField<S>([](const S& s) { return s.inferred; }, expr)};
    case Field::kRoot:
      return {BoolField<S>([](const S& s) { return s.root; }, expr)};
    case Field::kResponseTime:
      return {NumberField<S>([](const S& s) { return s.response_time; }, expr)};
    case Field::kDuration:
      return {NumberField<S>([](const S& s) { return s.duration; }, expr)};
    case Field::kHttpStatus:
      return {NumberField<S>([](const S& s) { return OptionalStatus(s.http_status); }, expr)};
    case Field::kHttpUrl:
      return {StringField<S>([](const S& s) { return std::string_view(s.http_url); }, expr)};
    case Field::kHttpMethod:
      return {StringField<S>([](const S& s) { return std::string_view(s.http_method); }, expr)};
    case Field::kHttpUserAgent:
      return {StringField<S>([](const S& s) { return std::string_view(s.http_user_agent); }, expr)};
    case Field::kHttpClientIp:
      return {StringField<S>([](const S& s) { return std::string_view(s.http_client_ip); }, expr)};
    case Field::kUser:
      return {StringField<S>([](const S& s) { return std::string_view(s.user); }, expr)};
    case Field::kResourceArn:
      return {StringField<S>([](const S& s) { return std::string_view(s.resource_arn); }, expr)};
    case Field::kInstanceId:
      return {StringField<S>([](const S& s) { return std::string_view(s.instance_id); }, expr)};
    case Field::kAvailabilityZone:
      return {StringListField<S>(
          [](const S& s) -> const std::vector<std::string>& { return s.availability_zones; },
          expr)};
    default:
      break;
  }
  return {[](const S&) { return false; }};  // unreachable: the parser checked the scope
}

// ---- Per-call scope: edge(a, b) { } ----

Piece<EdgeCall> CallLeaf(const Expr& expr) {
  using C = EdgeCall;
  switch (expr.field) {
    case Field::kOk:
      return {BoolField<C>([](const C& c) { return !c.error && !c.fault && !c.throttle; }, expr)};
    case Field::kError:
      return {BoolField<C>([](const C& c) { return c.error; }, expr)};
    case Field::kFault:
      return {BoolField<C>([](const C& c) { return c.fault; }, expr)};
    case Field::kThrottle:
      return {BoolField<C>([](const C& c) { return c.throttle; }, expr)};
    case Field::kPartial:
      return {BoolField<C>([](const C& c) { return c.in_progress; }, expr)};
    case Field::kResponseTime:
    case Field::kDuration:
      return {NumberField<C>([](const C& c) { return c.response_time; }, expr)};
    case Field::kHttpStatus:
      return {NumberField<C>([](const C& c) { return OptionalStatus(c.http_status); }, expr)};
    case Field::kHttpUrl:
      return {StringField<C>([](const C& c) { return std::string_view(c.http_url); }, expr)};
    case Field::kHttpMethod:
      return {StringField<C>([](const C& c) { return std::string_view(c.http_method); }, expr)};
    case Field::kHttpUserAgent:
      return {StringField<C>([](const C& c) { return std::string_view(c.http_user_agent); }, expr)};
    case Field::kHttpClientIp:
      return {StringField<C>([](const C& c) { return std::string_view(c.http_client_ip); }, expr)};
    default:
      break;
  }
  return {[](const C&) { return false; }};
}

// ---- Root-cause scopes ----

template <typename T>
struct Positioned {
  const T* value;
  size_t index;
  size_t count;
};

template <typename T>
std::optional<Piece<Positioned<T>>> PositionLeaf(const Expr& expr) {
  using P = Positioned<T>;
  switch (expr.field) {
    case Field::kFirst:
      return Piece<P>{BoolField<P>([](const P& p) { return p.index == 0; }, expr)};
    case Field::kLast:
      return Piece<P>{BoolField<P>([](const P& p) { return p.index + 1 == p.count; }, expr)};
    case Field::kIndex:
      return Piece<P>{NumberField<P>(
          [](const P& p) { return std::optional<double>(static_cast<double>(p.index)); }, expr)};
    default:
      return std::nullopt;
  }
}

Piece<Positioned<RootCauseService>> RootCauseServiceLeaf(const Expr& expr) {
  using P = Positioned<RootCauseService>;
  if (auto piece = PositionLeaf<RootCauseService>(expr)) return *piece;
  switch (expr.field) {
    case Field::kName:
      return {StringField<P>([](const P& p) { return std::string_view(p.value->id.name); }, expr)};
    case Field::kType:
      return {StringField<P>([](const P& p) { return std::string_view(p.value->id.type); }, expr)};
    case Field::kInferred:
      return {BoolField<P>([](const P& p) { return p.value->inferred; }, expr)};
    default:
      break;
  }
  return {[](const P&) { return false; }};
}

Piece<Positioned<RootCauseEntity>> RootCauseEntityLeaf(const Expr& expr) {
  using P = Positioned<RootCauseEntity>;
  if (auto piece = PositionLeaf<RootCauseEntity>(expr)) return *piece;
  switch (expr.field) {
    case Field::kName:
      return {StringField<P>([](const P& p) { return std::string_view(p.value->name); }, expr)};
    case Field::kRemote:
      return {BoolField<P>([](const P& p) { return p.value->remote; }, expr)};
    case Field::kCoverage:
      return {NumberField<P>([](const P& p) { return std::optional<double>(p.value->coverage); },
                             expr)};
    default:
      break;
  }
  return {[](const P&) { return false; }};
}

Piece<Positioned<RootCauseException>> RootCauseExceptionLeaf(const Expr& expr) {
  using P = Positioned<RootCauseException>;
  if (auto piece = PositionLeaf<RootCauseException>(expr)) return *piece;
  switch (expr.field) {
    case Field::kName:
      return {StringField<P>([](const P& p) { return std::string_view(p.value->name); }, expr)};
    case Field::kMessage:
      return {StringField<P>([](const P& p) { return std::string_view(p.value->message); }, expr)};
    default:
      break;
  }
  return {[](const P&) { return false; }};
}

template <typename Item, typename Leaf>
Pred<Item> CompileBlock(const Expr* block, const Leaf& leaf) {
  if (block == nullptr) return nullptr;
  return CompileTree<Item>(*block, leaf).fn;
}

// ---- Nodes ----

struct NodeMatcher {
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::string> account_id;

  explicit NodeMatcher(const NodeRef& ref)
      : name(ref.name), type(ref.type), account_id(ref.account_id) {}

  bool operator()(const ServiceNode& node) const {
    // Client nodes only answer to an explicit type.
    if (!type && node.kind == NodeKind::kClient) return false;
    if (name && node.id.name != *name) return false;
    if (type && node.id.type != *type) return false;
    if (account_id && node.id.account_id != *account_id) return false;
    return true;
  }
};

bool RootOk(const model::TraceDetail& detail) {
  for (const ServiceNode& node : detail.nodes) {
    for (const NodeSegment& segment : node.segments) {
      if (segment.root) return !segment.error && !segment.fault && !segment.throttle;
    }
  }
  return false;
}

// ---- rootcause.json ----

bool JsonString(const JsonValue& value, const std::string& actual) {
  return value.type == JsonValue::Type::kNull ? actual.empty() : value.string_value == actual;
}

bool MatchJsonEntity(const JsonValue& pattern, const RootCauseEntity& entity) {
  for (const auto& [name, value] : pattern.members) {
    if (name == "Name") {
      if (value.string_value != entity.name) return false;
    } else if (name == "Coverage") {
      if (std::fabs(value.number_value - entity.coverage) > 1e-6) return false;
    } else if (name == "Remote") {
      if (value.bool_value != entity.remote) return false;
    } else if (name == "Exceptions") {
      if (value.elements.size() != entity.exceptions.size()) return false;
      for (size_t idx = 0; idx < value.elements.size(); ++idx) {
        for (const auto& [field, expected] : value.elements[idx].members) {
          const RootCauseException& exception = entity.exceptions[idx];
          const std::string& actual = field == "Name" ? exception.name : exception.message;
          if (expected.string_value != actual) return false;
        }
      }
    }
  }
  return true;
}

bool MatchJsonService(const JsonValue& pattern, const RootCauseService& service) {
  for (const auto& [name, value] : pattern.members) {
    if (name == "Name") {
      if (value.string_value != service.id.name) return false;
    } else if (name == "Names") {
      if (value.elements.size() != 1 || value.elements[0].string_value != service.id.name) {
        return false;
      }
    } else if (name == "Type") {
      if (!JsonString(value, service.id.type)) return false;
    } else if (name == "AccountId") {
      if (!JsonString(value, service.id.account_id)) return false;
    } else if (name == "Inferred") {
      if (value.bool_value != service.inferred) return false;
    } else if (name == "EntityPath") {
      if (value.elements.size() != service.entity_path.size()) return false;
      for (size_t idx = 0; idx < value.elements.size(); ++idx) {
        if (!MatchJsonEntity(value.elements[idx], service.entity_path[idx])) return false;
      }
    }
  }
  return true;
}

bool MatchJsonRootCause(const JsonValue& pattern, const RootCause& cause) {
  for (const auto& [name, value] : pattern.members) {
    if (name == "Services") {
      if (value.elements.size() != cause.services.size()) return false;
      for (size_t idx = 0; idx < value.elements.size(); ++idx) {
        if (!MatchJsonService(value.elements[idx], cause.services[idx])) return false;
      }
    } else if (name == "ClientImpacting") {
      if (value.bool_value != cause.client_impacting) return false;
    }
  }
  return true;
}

// Every pattern element matches some root cause of the list.
bool MatchJsonList(const JsonValue& patterns, const std::vector<RootCause>& causes) {
  for (const JsonValue& pattern : patterns.elements) {
    bool found = false;
    for (const RootCause& cause : causes) {
      if (MatchJsonRootCause(pattern, cause)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

// ---- Trace scope ----

class TraceCompiler {
 public:
  bool needs_detail() const { return needs_detail_; }
  bool needs_groups() const { return needs_groups_; }

  Piece<TraceInput> Compile(const Expr& root) {
    return CompileTree<TraceInput>(root, [this](const Expr& expr) { return Leaf(expr); });
  }

 private:
  using T = TraceInput;

  Piece<T> Leaf(const Expr& expr) {
    switch (expr.kind) {
      case Expr::Kind::kPredicate:
        return FieldLeaf(expr);
      case Expr::Kind::kAnnotation:
        return AnnotationLeaf(expr);
      case Expr::Kind::kService:
        return ServiceLeaf(expr);
      case Expr::Kind::kEdge:
        return EdgeLeaf(expr);
      case Expr::Kind::kGroup:
        return GroupLeaf(expr);
      case Expr::Kind::kRootCause:
        return RootCauseLeaf(expr);
      case Expr::Kind::kJson:
        return JsonLeaf(expr);
      default:
        break;
    }
    return {[](const T&) { return false; }};
  }

  Piece<T> FieldLeaf(const Expr& expr) {
    switch (expr.field) {
      case Field::kOk:
        needs_detail_ = true;
        return {BoolField<T>([](const T& in) { return RootOk(in.detail); }, expr), kCostDetail};
      case Field::kError:
        return {BoolField<T>([](const T& in) { return in.summary.has_error; }, expr)};
      case Field::kFault:
        return {BoolField<T>([](const T& in) { return in.summary.has_fault; }, expr)};
      case Field::kThrottle:
        return {BoolField<T>([](const T& in) { return in.summary.has_throttle; }, expr)};
      case Field::kPartial:
        return {BoolField<T>([](const T& in) { return in.summary.is_partial; }, expr)};
      case Field::kInferred:
        needs_detail_ = true;
        return {BoolField<T>(
                    [](const T& in) {
                      for (const ServiceNode& node : in.detail.nodes) {
                        if (node.kind == NodeKind::kInferred) return true;
                      }
                      return false;
                    },
                    expr),
                kCostDetail};
      case Field::kResponseTime:
        return {NumberField<T>([](const T& in) { return in.summary.response_time; }, expr)};
      case Field::kDuration:
        return {NumberField<T>(
            [](const T& in) { return std::optional<double>(in.summary.duration); }, expr)};
      case Field::kHttpStatus:
        return {NumberField<T>([](const T& in) { return OptionalStatus(in.summary.http_status); },
                               expr)};
      case Field::kHttpUrl:
        return {StringField<T>([](const T& in) { return std::string_view(in.summary.http_url); },
                               expr)};
      case Field::kHttpMethod:
        return {StringField<T>([](const T& in) { return std::string_view(in.summary.http_method); },
                               expr)};
      case Field::kHttpUserAgent:
        return {StringField<T>(
            [](const T& in) { return std::string_view(in.summary.http_user_agent); }, expr)};
      case Field::kHttpClientIp:
        return {StringField<T>(
            [](const T& in) { return std::string_view(in.summary.http_client_ip); }, expr)};
      case Field::kUser: {
        StringMatcher matcher = MakeStringMatcher(expr);
        return {[matcher](const T& in) {
                  for (const model::UserSummary& user : in.summary.users) {
                    if (matcher(user.name)) return true;
                  }
                  return false;
                },
                kCostList};
      }
      case Field::kAvailabilityZone:
        return {StringListField<T>(
                    [](const T& in) -> const std::vector<std::string>& {
                      return in.summary.availability_zones;
                    },
                    expr),
                kCostList};
      case Field::kInstanceId:
        return {StringListField<T>(
                    [](const T& in) -> const std::vector<std::string>& {
                      return in.summary.instance_ids;
                    },
                    expr),
                kCostList};
      case Field::kResourceArn:
        return {StringListField<T>(
                    [](const T& in) -> const std::vector<std::string>& {
                      return in.summary.resource_arns;
                    },
                    expr),
                kCostList};
      default:
        break;
    }
    return {[](const T&) { return false; }};
  }

  // Scans the values of annotation `key` with `test`, a lambda type (inlined, no second
  // indirect call per value).
  template <typename Test>
  static Piece<T> AnnotationScan(std::string key, Test test) {
    return {[key = std::move(key), test](const T& in) {
              for (const model::AnnotationSummary& annotation : in.summary.annotations) {
                if (annotation.key != key) continue;
                for (const model::AnnotationValueWithServices& value : annotation.values) {
                  if (test(value.value)) return true;
                }
                return false;
              }
              return false;
            },
            kCostList};
  }

  static Piece<T> AnnotationLeaf(const Expr& expr) {
    std::string key = expr.annotation_key;
    using model::AnnotationType;
    using model::AnnotationValue;
    if (!expr.op) {
      // Present, and not the boolean false (a boolean annotation used bare is its value).
      return AnnotationScan(std::move(key), [](const AnnotationValue& value) {
        return value.type != AnnotationType::kBool || value.bool_value;
      });
    }
    const Literal& literal = expr.literal;
    const CompareOp op = *expr.op;
    switch (literal.type) {
      case ValueType::kString:
        if (op == CompareOp::kEq) {  // the common case, without the operator switch
          return AnnotationScan(
              std::move(key), [text = literal.string_value](const AnnotationValue& value) {
                return value.type == AnnotationType::kString && value.string_value == text;
              });
        }
        return AnnotationScan(std::move(key),
                              [op, text = literal.string_value](const AnnotationValue& value) {
                                return value.type == AnnotationType::kString &&
                                       CompareStrings(value.string_value, op, text);
                              });
      case ValueType::kNumber:
        return AnnotationScan(std::move(key),
                              [op, number = literal.number_value](const AnnotationValue& value) {
                                return value.type == AnnotationType::kNumber &&
                                       CompareNumbers(value.number_value, op, number);
                              });
      case ValueType::kBool:
        break;
    }
    return AnnotationScan(std::move(key),
                          [op, flag = literal.bool_value](const AnnotationValue& value) {
                            return value.type == AnnotationType::kBool &&
                                   ((value.bool_value == flag) == (op == CompareOp::kEq));
                          });
  }

  Piece<T> ServiceLeaf(const Expr& expr) {
    needs_detail_ = true;
    Pred<NodeSegment> block = CompileBlock<NodeSegment>(expr.block.get(), SegmentLeaf);
    const NodeRef& ref = expr.source;
    if (ref.name && !ref.type && !ref.account_id) {
      // The common service("name"): one string comparison per node.
      return ServiceScan(
          [name = *ref.name](const ServiceNode& node) {
            return node.kind != NodeKind::kClient && node.id.name == name;
          },
          std::move(block));
    }
    return ServiceScan(NodeMatcher(ref), std::move(block));
  }

  template <typename Matcher>
  static Piece<T> ServiceScan(Matcher matcher, Pred<NodeSegment> block) {
    if (!block) {
      return {[matcher = std::move(matcher)](const T& in) {
                for (const ServiceNode& node : in.detail.nodes) {
                  if (matcher(node)) return true;
                }
                return false;
              },
              kCostDetail};
    }
    return {[matcher = std::move(matcher), block = std::move(block)](const T& in) {
              for (const ServiceNode& node : in.detail.nodes) {
                if (!matcher(node)) continue;
                for (const NodeSegment& segment : node.segments) {
                  if (block(segment)) return true;
                }
              }
              return false;
            },
            kCostDetail};
  }

  Piece<T> EdgeLeaf(const Expr& expr) {
    needs_detail_ = true;
    NodeMatcher caller(expr.source);
    NodeMatcher callee(expr.target);
    Pred<EdgeCall> block = CompileBlock<EdgeCall>(expr.block.get(), CallLeaf);
    return {[caller = std::move(caller), callee = std::move(callee),
             block = std::move(block)](const T& in) {
              const auto& nodes = in.detail.nodes;
              for (const model::ServiceEdge& edge : in.detail.edges) {
                if (!caller(nodes[edge.caller]) || !callee(nodes[edge.callee])) continue;
                if (!block) return true;
                for (const EdgeCall& call : edge.calls) {
                  if (block(call)) return true;
                }
              }
              return false;
            },
            kCostDetail};
  }

  Piece<T> GroupLeaf(const Expr& expr) {
    needs_groups_ = true;
    std::string value = expr.group_value;
    if (expr.group_key == GroupKey::kName) {
      return {[value = std::move(value)](const T& in) {
                for (const GroupMembership& group : in.context.groups) {
                  if (group.name == value) return true;
                }
                return false;
              },
              kCostList};
    }
    return {[value = std::move(value)](const T& in) {
              for (const GroupMembership& group : in.context.groups) {
                if (group.arn == value) return true;
              }
              return false;
            },
            kCostList};
  }

  using CauseList = const std::vector<RootCause>& (*)(const model::TraceDetail&);

  static CauseList SelectCauses(RootCauseKind kind) {
    switch (kind) {
      case RootCauseKind::kFault:
        return [](const model::TraceDetail& detail) -> const std::vector<RootCause>& {
          return detail.fault_root_causes;
        };
      case RootCauseKind::kError:
        return [](const model::TraceDetail& detail) -> const std::vector<RootCause>& {
          return detail.error_root_causes;
        };
      case RootCauseKind::kResponseTime:
        break;
    }
    return [](const model::TraceDetail& detail) -> const std::vector<RootCause>& {
      return detail.response_time_root_causes;
    };
  }

  Piece<T> RootCauseLeaf(const Expr& expr) {
    needs_detail_ = true;
    CauseList causes = SelectCauses(expr.rc_kind);
    switch (expr.rc_element) {
      case RootCauseElement::kService: {
        using P = Positioned<RootCauseService>;
        Pred<P> block = CompileBlock<P>(expr.block.get(), RootCauseServiceLeaf);
        return {[causes, block = std::move(block)](const T& in) {
                  for (const RootCause& cause : causes(in.detail)) {
                    const size_t count = cause.services.size();
                    for (size_t idx = 0; idx < count; ++idx) {
                      if (!block || block(P{&cause.services[idx], idx, count})) return true;
                    }
                  }
                  return false;
                },
                kCostRootCause};
      }
      case RootCauseElement::kEntity: {
        using P = Positioned<RootCauseEntity>;
        Pred<P> block = CompileBlock<P>(expr.block.get(), RootCauseEntityLeaf);
        return {[causes, block = std::move(block)](const T& in) {
                  for (const RootCause& cause : causes(in.detail)) {
                    size_t count = 0;
                    for (const RootCauseService& service : cause.services) {
                      count += service.entity_path.size();
                    }
                    size_t idx = 0;
                    for (const RootCauseService& service : cause.services) {
                      for (const RootCauseEntity& entity : service.entity_path) {
                        if (!block || block(P{&entity, idx, count})) return true;
                        ++idx;
                      }
                    }
                  }
                  return false;
                },
                kCostRootCause};
      }
      case RootCauseElement::kException:
        break;
    }
    using P = Positioned<RootCauseException>;
    Pred<P> block = CompileBlock<P>(expr.block.get(), RootCauseExceptionLeaf);
    return {[causes, block = std::move(block)](const T& in) {
              for (const RootCause& cause : causes(in.detail)) {
                size_t count = 0;
                for (const RootCauseService& service : cause.services) {
                  for (const RootCauseEntity& entity : service.entity_path) {
                    count += entity.exceptions.size();
                  }
                }
                size_t idx = 0;
                for (const RootCauseService& service : cause.services) {
                  for (const RootCauseEntity& entity : service.entity_path) {
                    for (const RootCauseException& exception : entity.exceptions) {
                      if (!block || block(P{&exception, idx, count})) return true;
                      ++idx;
                    }
                  }
                }
              }
              return false;
            },
            kCostRootCause};
  }

  Piece<T> JsonLeaf(const Expr& expr) {
    needs_detail_ = true;
    const JsonValue* patterns = &expr.json;
    return {[patterns](const T& in) {
              return MatchJsonList(*patterns, in.detail.fault_root_causes) ||
                     MatchJsonList(*patterns, in.detail.error_root_causes) ||
                     MatchJsonList(*patterns, in.detail.response_time_root_causes);
            },
            kCostRootCause};
  }

  bool needs_detail_ = false;
  bool needs_groups_ = false;
};

// ---- Scan hints ----

void Intersect(std::optional<NumberRange>* range, const NumberRange& with) {
  NumberRange result = range->value_or(NumberRange{});
  if (with.min > result.min || (with.min == result.min && !with.min_inclusive)) {
    result.min = with.min;
    result.min_inclusive = with.min_inclusive;
  }
  if (with.max < result.max || (with.max == result.max && !with.max_inclusive)) {
    result.max = with.max;
    result.max_inclusive = with.max_inclusive;
  }
  *range = result;
}

std::optional<NumberRange> RangeOf(const Expr& expr) {
  NumberRange range;
  if (!expr.op) return range;  // present
  const double literal = expr.literal.number_value;
  switch (*expr.op) {
    case CompareOp::kEq:
      range.min = range.max = literal;
      return range;
    case CompareOp::kLt:
      range.max = literal;
      range.max_inclusive = false;
      return range;
    case CompareOp::kLe:
      range.max = literal;
      return range;
    case CompareOp::kGt:
      range.min = literal;
      range.min_inclusive = false;
      return range;
    case CompareOp::kGe:
      range.min = literal;
      return range;
    default:
      return std::nullopt;
  }
}

// The ScanHints member of a trace-level boolean keyword, or null.
std::optional<bool>* FlagHint(Field field, ScanHints* hints) {
  switch (field) {
    case Field::kFault:
      return &hints->fault;
    case Field::kError:
      return &hints->error;
    case Field::kThrottle:
      return &hints->throttle;
    case Field::kPartial:
      return &hints->partial;
    default:
      return nullptr;
  }
}

void CollectHints(const Expr& expr, ScanHints* hints) {
  switch (expr.kind) {
    case Expr::Kind::kAnd:
      for (const auto& child : expr.children) CollectHints(*child, hints);
      return;
    case Expr::Kind::kPredicate:
      if (std::optional<bool>* flag = FlagHint(expr.field, hints)) {
        const bool wanted = WantsTrue(expr);
        if (flag->has_value() && **flag != wanted) hints->contradictory = true;
        *flag = wanted;
      }
      if (expr.field == Field::kResponseTime || expr.field == Field::kDuration) {
        if (auto range = RangeOf(expr)) {
          Intersect(expr.field == Field::kResponseTime ? &hints->response_time : &hints->duration,
                    *range);
        }
      }
      return;
    case Expr::Kind::kService:
      if (expr.source.name && (!expr.source.type || expr.source.type->rfind("client", 0) != 0)) {
        hints->service_names.push_back(*expr.source.name);
      }
      return;
    case Expr::Kind::kAnnotation:
      hints->annotation_keys.push_back(expr.annotation_key);
      if (expr.op == CompareOp::kEq) {
        model::AnnotationValue value;
        switch (expr.literal.type) {
          case ValueType::kString:
            value.type = model::AnnotationType::kString;
            value.string_value = expr.literal.string_value;
            break;
          case ValueType::kNumber:
            value.type = model::AnnotationType::kNumber;
            value.number_value = expr.literal.number_value;
            break;
          case ValueType::kBool:
            value.type = model::AnnotationType::kBool;
            value.bool_value = expr.literal.bool_value;
            break;
        }
        hints->annotation_equals.push_back({expr.annotation_key, std::move(value)});
      }
      return;
    default:
      return;
  }
}

// Whether the hints CollectHints takes from `expr` are also sufficient for it.
bool HintsAreExact(const Expr& expr) {
  switch (expr.kind) {
    case Expr::Kind::kTrue:
      return true;
    case Expr::Kind::kAnd:
      for (const auto& child : expr.children) {
        if (!HintsAreExact(*child)) return false;
      }
      return true;
    case Expr::Kind::kPredicate:
      return (expr.field == Field::kResponseTime && RangeOf(expr).has_value()) ||
             expr.field == Field::kFault || expr.field == Field::kError ||
             expr.field == Field::kThrottle || expr.field == Field::kPartial;
    case Expr::Kind::kService:
      return !expr.source.any && expr.source.name && !expr.source.type && !expr.source.account_id &&
             !expr.block;
    case Expr::Kind::kAnnotation:
      return expr.op == CompareOp::kEq;
    default:
      return false;
  }
}

}  // namespace

CompiledPredicate CompileExpression(const Expr& root) {
  TraceCompiler compiler;
  Piece<TraceInput> piece = compiler.Compile(root);
  return CompiledPredicate{std::move(piece.fn), compiler.needs_detail(), compiler.needs_groups()};
}

ScanHints ComputeScanHints(const Expr& root) {
  ScanHints hints;
  CollectHints(root, &hints);
  hints.exact = HintsAreExact(root) && !hints.contradictory;
  return hints;
}

}  // namespace roentgen::query::internal
