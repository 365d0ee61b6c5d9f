// SPDX-License-Identifier: Apache-2.0
// The reference evaluator. Written from the definitions, not from the fast path: it keeps
// the trace as a flat list of entity occurrences and answers every question with linear
// searches over that list ("who is my parent?", "which segment owns this document?", "is
// any segment's parent_id this id?"), recomputing on every call. Clarity over speed; the
// only code it shares with the fast evaluator is the syntax tree it walks.
#include "query/reference_evaluator.h"

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/trace_summary.h"
#include "query/internal/ast.h"
#include "query/internal/compiled_filter.h"

namespace roentgen::query {
namespace {

using internal::CompareOp;
using internal::Expr;
using internal::Field;
using internal::JsonValue;
using internal::NodeRef;
using internal::RootCauseElement;
using internal::RootCauseKind;
using internal::ValueType;
using model::DocumentKind;
using model::Entity;
using model::SegmentDocument;
using model::ServiceId;

double Micros(double seconds) { return std::round(seconds * 1e6) / 1e6; }

std::optional<int32_t> StatusCodeOf(const Entity& entity) {
  if (!entity.http || !entity.http->response) return std::nullopt;
  return entity.http->response->status;
}
bool IsError(const Entity& e) {
  auto status = StatusCodeOf(e);
  return e.error || (status && *status / 100 == 4);
}
bool IsFault(const Entity& e) {
  auto status = StatusCodeOf(e);
  return e.fault || (status && *status / 100 == 5);
}
bool IsThrottle(const Entity& e) {
  auto status = StatusCodeOf(e);
  return e.throttle || (status && *status == 429);
}
bool IsOk(const Entity& e) { return !IsError(e) && !IsFault(e) && !IsThrottle(e); }

bool NumberTest(double value, CompareOp op, double literal) {
  if (op == CompareOp::kEq) return value == literal;
  if (op == CompareOp::kNe) return value != literal;
  if (op == CompareOp::kLt) return value < literal;
  if (op == CompareOp::kLe) return value <= literal;
  if (op == CompareOp::kGt) return value > literal;
  if (op == CompareOp::kGe) return value >= literal;
  return false;
}

bool StringTest(const std::string& value, CompareOp op, const std::string& literal) {
  if (op == CompareOp::kEq) return value == literal;
  if (op == CompareOp::kNe) return value != literal;
  if (op == CompareOp::kContains) return value.find(literal) != std::string::npos;
  if (op == CompareOp::kBeginsWith) return value.rfind(literal, 0) == 0;
  if (op == CompareOp::kEndsWith) {
    return value.size() >= literal.size() &&
           value.compare(value.size() - literal.size(), literal.size(), literal) == 0;
  }
  return false;
}

// A predicate against one optional number / a list of strings (empty strings are absent).
bool TestNumber(const Expr& expr, std::optional<double> value) {
  if (!value) return false;
  return !expr.op || NumberTest(*value, *expr.op, expr.literal.number_value);
}
bool TestStrings(const Expr& expr, const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    if (value.empty()) continue;
    if (!expr.op || StringTest(value, *expr.op, expr.literal.string_value)) return true;
  }
  return false;
}
bool TestString(const Expr& expr, const std::string& value) {
  return TestStrings(expr, std::vector<std::string>{value});
}
bool TestBool(const Expr& expr, bool value) {
  if (!expr.op) return value;
  bool equal = value == expr.literal.bool_value;
  return *expr.op == CompareOp::kEq ? equal : !equal;
}

// The facts a service or edge block sees (the reference's own shape).
struct Facts {
  std::optional<double> response_time;
  std::optional<double> duration;
  bool ok = false, error = false, fault = false, throttle = false;
  bool partial = false, root = false, inferred = false;
  std::optional<double> status;
  std::string url, method, user_agent, client_ip;
  std::string user, resource_arn, instance_id;
  std::vector<std::string> zones;
};

Facts FactsOf(const Entity& e) {
  Facts facts;
  if (e.end_time) facts.response_time = Micros(*e.end_time - e.start_time);
  facts.duration = facts.response_time;
  facts.ok = IsOk(e);
  facts.error = IsError(e);
  facts.fault = IsFault(e);
  facts.throttle = IsThrottle(e);
  facts.partial = e.in_progress;
  if (auto status = StatusCodeOf(e)) facts.status = *status;
  if (e.http && e.http->request) {
    facts.url = e.http->request->url;
    facts.method = e.http->request->method;
    facts.user_agent = e.http->request->user_agent;
    facts.client_ip = e.http->request->client_ip;
  }
  return facts;
}

struct NodeInfo {
  ServiceId id;
  int kind = 0;  // 0 active, 1 inferred, 2 client
  std::vector<Facts> segments;
};

struct CallInfo {
  ServiceId caller;
  ServiceId callee;
  Facts facts;
};

struct CauseEntity {
  std::string name;
  bool remote = false;
  double coverage = 0;
  std::vector<std::pair<std::string, std::string>> exceptions;  // (type, message)
};
struct CauseService {
  ServiceId id;
  bool inferred = false;
  std::vector<CauseEntity> entities;
};
struct Cause {
  std::vector<CauseService> services;
  bool client_impacting = false;
  bool Same(const Cause& other) const {
    if (client_impacting != other.client_impacting || services.size() != other.services.size()) {
      return false;
    }
    for (size_t s = 0; s < services.size(); ++s) {
      const CauseService& a = services[s];
      const CauseService& b = other.services[s];
      if (!(a.id == b.id) || a.inferred != b.inferred || a.entities.size() != b.entities.size()) {
        return false;
      }
      for (size_t e = 0; e < a.entities.size(); ++e) {
        const CauseEntity& x = a.entities[e];
        const CauseEntity& y = b.entities[e];
        if (x.name != y.name || x.remote != y.remote || x.coverage != y.coverage ||
            x.exceptions != y.exceptions) {
          return false;
        }
      }
    }
    return true;
  }
};

// The whole trace, recomputed from the documents.
class World {
 public:
  explicit World(std::span<const SegmentDocument> docs) : docs_(docs) {
    for (size_t d = 0; d < docs_.size(); ++d) Walk(&docs_[d].entity, d, -1);
    FindRoot();
    BuildNodes();
    BuildCauses();
  }

  // ---- Trace-level answers ----
  bool HasRoot() const { return root_doc_ >= 0; }
  const Entity* Root() const {
    return root_doc_ >= 0 ? &docs_[static_cast<size_t>(root_doc_)].entity : nullptr;
  }

  std::optional<double> ResponseTime() const {
    const Entity* root = Root();
    if (!root || !root->end_time) return std::nullopt;
    return Micros(*root->end_time - root->start_time);
  }
  double Duration() const {
    if (occ_.empty()) return 0;
    double start = occ_[0].e->start_time;
    double end = occ_[0].e->end_time ? *occ_[0].e->end_time : occ_[0].e->start_time;
    for (const Occurrence& o : occ_) {
      if (o.e->start_time < start) start = o.e->start_time;
      if (o.e->end_time && *o.e->end_time > end) end = *o.e->end_time;
    }
    return Micros(end - start > 0 ? end - start : 0.0);
  }
  bool TraceFault() const { return Root() && IsFault(*Root()); }
  bool TraceError() const { return Root() && IsError(*Root()); }
  bool TraceOk() const { return Root() && IsOk(*Root()); }
  bool TraceThrottle() const {
    for (const Occurrence& o : occ_) {
      if (o.e->throttle) return true;
    }
    auto status = Root() ? StatusCodeOf(*Root()) : std::nullopt;
    return status && *status == 429;
  }
  bool TracePartial() const {
    for (const Occurrence& o : occ_) {
      if (o.e->in_progress) return true;
    }
    return false;
  }
  bool TraceInferred() const {
    for (const NodeInfo& node : nodes_) {
      if (node.kind == 1) return true;
    }
    return false;
  }
  Facts RootHttp() const {
    Facts facts;
    if (const Entity* root = Root()) {
      Facts all = FactsOf(*root);
      facts.status = all.status;
      facts.url = all.url;
      facts.method = all.method;
      facts.user_agent = all.user_agent;
      facts.client_ip = all.client_ip;
    }
    return facts;
  }
  std::vector<std::string> SegmentStrings(Field field) const {
    std::vector<std::string> values;
    for (const SegmentDocument& doc : docs_) {
      if (doc.kind != DocumentKind::kSegment) continue;
      const Entity& e = doc.entity;
      if (field == Field::kUser) values.push_back(e.user);
      if (field == Field::kResourceArn) values.push_back(e.resource_arn);
      if (e.aws && field == Field::kInstanceId) values.push_back(e.aws->ec2_instance_id);
      if (e.aws && field == Field::kAvailabilityZone) {
        values.push_back(e.aws->ec2_availability_zone);
        values.push_back(e.aws->ecs_availability_zone);
      }
    }
    return values;
  }
  // The values of an indexed annotation key (only the first kMaxIndexedAnnotations distinct
  // keys, in entity order, are indexed).
  std::vector<model::AnnotationValue> AnnotationValues(const std::string& key) const {
    std::vector<std::string> keys;
    for (const Occurrence& o : occ_) {
      for (const model::Annotation& annotation : o.e->annotations) {
        bool seen = false;
        for (const std::string& k : keys) seen = seen || k == annotation.key;
        if (!seen && keys.size() < model::kMaxIndexedAnnotations) keys.push_back(annotation.key);
      }
    }
    bool indexed = false;
    for (const std::string& k : keys) indexed = indexed || k == key;
    std::vector<model::AnnotationValue> values;
    if (!indexed) return values;
    for (const Occurrence& o : occ_) {
      for (const model::Annotation& annotation : o.e->annotations) {
        if (annotation.key == key) values.push_back(annotation.value);
      }
    }
    return values;
  }

  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  const std::vector<CallInfo>& calls() const { return calls_; }
  int KindOf(const ServiceId& id) const {
    for (const NodeInfo& node : nodes_) {
      if (node.id == id) return node.kind;
    }
    return 0;
  }
  const std::vector<Cause>& Causes(RootCauseKind kind) const {
    if (kind == RootCauseKind::kFault) return fault_;
    if (kind == RootCauseKind::kError) return error_;
    return time_;
  }

 private:
  struct Occurrence {
    const Entity* e;
    size_t doc;
    int embedded_parent;  // occurrence index, -1 for a document's own entity
  };
  // A tree vertex for root causes: an occurrence, or the inferred segment of one.
  struct Vertex {
    int occurrence;
    bool inferred;
    bool operator==(const Vertex&) const = default;
  };

  void Walk(const Entity* e, size_t doc, int parent) {
    occ_.push_back(Occurrence{e, doc, parent});
    int self = static_cast<int>(occ_.size()) - 1;
    for (const Entity& child : e->subsegments) Walk(&child, doc, self);
  }

  bool IsSegmentTop(int o) const {
    const Occurrence& occurrence = occ_[static_cast<size_t>(o)];
    return occurrence.embedded_parent < 0 && docs_[occurrence.doc].kind == DocumentKind::kSegment;
  }

  int FirstWithId(uint64_t id) const {
    for (size_t o = 0; o < occ_.size(); ++o) {
      if (occ_[o].e->id.value == id) return static_cast<int>(o);
    }
    return -1;
  }

  int TopOf(size_t doc) const {
    for (size_t o = 0; o < occ_.size(); ++o) {
      if (occ_[o].doc == doc && occ_[o].embedded_parent < 0) return static_cast<int>(o);
    }
    return -1;
  }

  // The occurrence a document's parent_id names, if it is outside the document.
  int DocParent(size_t doc) const {
    if (!docs_[doc].parent_id) return -1;
    int o = FirstWithId(docs_[doc].parent_id->value);
    if (o < 0 || occ_[static_cast<size_t>(o)].doc == doc) return -1;
    return o;
  }

  // The segment document that owns `doc`, or -1.
  int OwnerDoc(size_t doc) const {
    size_t current = doc;
    for (size_t step = 0; step <= docs_.size(); ++step) {
      if (docs_[current].kind == DocumentKind::kSegment) return static_cast<int>(current);
      int parent = DocParent(current);
      if (parent < 0) return -1;
      current = occ_[static_cast<size_t>(parent)].doc;
    }
    return -1;
  }

  void FindRoot() {
    auto pick = [&](bool parentless) {
      int best = -1;
      for (size_t d = 0; d < docs_.size(); ++d) {
        const SegmentDocument& doc = docs_[d];
        if (doc.kind != DocumentKind::kSegment || doc.entity.inferred) continue;
        if (parentless && doc.parent_id) continue;
        if (!parentless && doc.parent_id && FirstWithId(doc.parent_id->value) >= 0) continue;
        if (best < 0) {
          best = static_cast<int>(d);
          continue;
        }
        const Entity& a = doc.entity;
        const Entity& b = docs_[static_cast<size_t>(best)].entity;
        if (a.start_time < b.start_time || (a.start_time == b.start_time && a.id < b.id)) {
          best = static_cast<int>(d);
        }
      }
      return best;
    };
    root_doc_ = pick(true);
    if (root_doc_ < 0) root_doc_ = pick(false);
  }

  static ServiceId SegmentNode(const Entity& e) {
    return ServiceId{e.name, e.origin, e.aws ? e.aws->account_id : std::string()};
  }

  // Whether occurrence `o` stands for a downstream service that sent no segment.
  bool Infers(int o) const {
    const Entity& e = *occ_[static_cast<size_t>(o)].e;
    if (IsSegmentTop(o)) return false;
    if (e.namespace_name != "aws" && e.namespace_name != "remote") return false;
    for (const SegmentDocument& doc : docs_) {
      if (doc.kind == DocumentKind::kSegment && !doc.entity.inferred && doc.parent_id &&
          doc.parent_id->value == e.id.value) {
        return false;
      }
    }
    return true;
  }

  static ServiceId InferredNode(const Entity& e) {
    ServiceId id;
    id.account_id = e.aws ? e.aws->account_id : "";
    if (e.namespace_name == "remote") {
      id.name = e.name;
      id.type = "remote";
    } else if (e.name == "DynamoDB") {
      bool table = e.aws && !e.aws->table_name.empty();
      id.name = table ? e.aws->table_name : "DynamoDB";
      id.type = table ? "AWS::DynamoDB::Table" : "AWS::DynamoDB";
    } else {
      std::string queue;
      if (e.name == "SQS" && e.aws && !e.aws->queue_url.empty()) {
        const std::string& url = e.aws->queue_url;
        queue = url.substr(url.rfind('/') == std::string::npos ? 0 : url.rfind('/') + 1);
      }
      if (!queue.empty()) {
        id.name = queue;
        id.type = "AWS::SQS::Queue";
      } else {
        id.name = e.name;
        id.type = "AWS::" + e.name;
      }
    }
    return id;
  }

  NodeInfo& Node(const ServiceId& id, int kind) {
    for (NodeInfo& node : nodes_) {
      if (node.id == id) return node;
    }
    nodes_.push_back(NodeInfo{id, kind, {}});
    return nodes_.back();
  }

  std::optional<ServiceId> OwnerNode(int o) const {
    int owner = OwnerDoc(occ_[static_cast<size_t>(o)].doc);
    if (owner < 0) return std::nullopt;
    return SegmentNode(docs_[static_cast<size_t>(owner)].entity);
  }

  void BuildNodes() {
    for (size_t d = 0; d < docs_.size(); ++d) {
      const SegmentDocument& doc = docs_[d];
      if (doc.kind != DocumentKind::kSegment) continue;
      const Entity& e = doc.entity;
      Facts facts = FactsOf(e);
      facts.root = static_cast<int>(d) == root_doc_;
      facts.inferred = e.inferred;
      facts.user = e.user;
      facts.resource_arn = e.resource_arn;
      if (e.aws) {
        facts.instance_id = e.aws->ec2_instance_id;
        facts.zones = {e.aws->ec2_availability_zone, e.aws->ecs_availability_zone};
      }
      // Duration: the latest end among the segment's own entities (its document and the
      // independent subsegments it owns).
      std::optional<double> latest;
      for (const Occurrence& o : occ_) {
        bool own = o.doc == d || (docs_[o.doc].kind == DocumentKind::kSubsegment &&
                                  OwnerDoc(o.doc) == static_cast<int>(d));
        if (own && o.e->end_time && (!latest || *o.e->end_time > *latest)) latest = o.e->end_time;
      }
      facts.duration.reset();
      if (latest) facts.duration = Micros(*latest - e.start_time);
      Node(SegmentNode(e), e.inferred ? 1 : 0).segments.push_back(facts);
    }
    for (size_t o = 0; o < occ_.size(); ++o) {
      if (!Infers(static_cast<int>(o))) continue;
      const Entity& e = *occ_[o].e;
      Facts facts = FactsOf(e);
      facts.inferred = true;
      ServiceId id = InferredNode(e);
      Node(id, 1).segments.push_back(facts);
      if (auto caller = OwnerNode(static_cast<int>(o)))
        calls_.push_back(CallInfo{*caller, id, facts});
    }
    for (size_t d = 0; d < docs_.size(); ++d) {
      if (docs_[d].kind != DocumentKind::kSegment) continue;
      int parent = DocParent(d);
      if (parent < 0) continue;
      auto caller = OwnerNode(parent);
      if (!caller) continue;
      const Entity& timed =
          IsSegmentTop(parent) ? docs_[d].entity : *occ_[static_cast<size_t>(parent)].e;
      calls_.push_back(CallInfo{*caller, SegmentNode(docs_[d].entity), FactsOf(timed)});
    }
    if (const Entity* root = Root()) {
      ServiceId client{root->name, "client", ""};
      if (root->http && root->http->request &&
          root->http->request->user_agent.find("CloudWatchSynthetics") != std::string::npos) {
        client.type = "client::Synthetics";
      }
      Node(client, 2);
      calls_.push_back(CallInfo{client, SegmentNode(*root), FactsOf(*root)});
    }
  }

  // ---- The entity tree, for root causes ----
  std::vector<Vertex> Children(const Vertex& v) const {
    std::vector<Vertex> children;
    if (v.inferred) return children;
    for (size_t o = 0; o < occ_.size(); ++o) {
      if (occ_[o].embedded_parent == v.occurrence) children.push_back({static_cast<int>(o), false});
    }
    for (size_t d = 0; d < docs_.size(); ++d) {
      if (DocParent(d) == v.occurrence) children.push_back({TopOf(d), false});
    }
    if (Infers(v.occurrence)) children.push_back({v.occurrence, true});
    return children;
  }

  const Entity& EntityOf(const Vertex& v) const {
    return *occ_[static_cast<size_t>(v.occurrence)].e;
  }

  ServiceId NodeOf(const Vertex& v) const {
    if (v.inferred) return InferredNode(EntityOf(v));
    return OwnerNode(v.occurrence).value_or(ServiceId{});
  }

  Cause MakeCause(const std::vector<Vertex>& path, double root_time, bool coverage) const {
    Cause cause;
    for (const Vertex& v : path) {
      const Entity& e = EntityOf(v);
      bool segment = v.inferred || IsSegmentTop(v.occurrence);
      if (segment || cause.services.empty()) {
        CauseService service;
        service.id = NodeOf(v);
        service.inferred = v.inferred || (IsSegmentTop(v.occurrence) && e.inferred);
        cause.services.push_back(service);
      }
      CauseEntity entity;
      entity.name = e.name;
      entity.remote = v.inferred || (!IsSegmentTop(v.occurrence) &&
                                     (e.namespace_name == "aws" || e.namespace_name == "remote"));
      if (e.cause) {
        for (const model::ExceptionInfo& x : e.cause->exceptions) {
          entity.exceptions.emplace_back(x.type, x.message);
          entity.remote = entity.remote || x.remote;
        }
      }
      if (coverage && e.end_time) entity.coverage = (*e.end_time - e.start_time) / root_time;
      cause.services.back().entities.push_back(entity);
    }
    return cause;
  }

  static void AddCause(std::vector<Cause>* causes, const Cause& cause) {
    for (const Cause& existing : *causes) {
      if (existing.Same(cause)) return;
    }
    causes->push_back(cause);
  }

  void BuildCauses() {
    if (root_doc_ < 0) return;
    // Depth-first pre-order from the root, remembering each vertex's parent.
    std::vector<Vertex> order;
    std::vector<int> parent;  // index into order
    std::vector<std::pair<Vertex, int>> stack{
        {Vertex{TopOf(static_cast<size_t>(root_doc_)), false}, -1}};
    while (!stack.empty()) {
      auto [v, p] = stack.back();
      stack.pop_back();
      bool seen = false;
      for (const Vertex& u : order) seen = seen || u == v;
      if (seen) continue;
      order.push_back(v);
      parent.push_back(p);
      int self = static_cast<int>(order.size()) - 1;
      std::vector<Vertex> children = Children(v);
      for (auto it = children.rbegin(); it != children.rend(); ++it) stack.emplace_back(*it, self);
    }
    auto path_to = [&](int i) {
      std::vector<Vertex> path;
      for (int at = i; at >= 0; at = parent[static_cast<size_t>(at)])
        path.insert(path.begin(), order[static_cast<size_t>(at)]);
      return path;
    };
    auto is_below = [&](int i, int ancestor) {
      for (int at = parent[static_cast<size_t>(i)]; at >= 0; at = parent[static_cast<size_t>(at)]) {
        if (at == ancestor) return true;
      }
      return false;
    };
    for (int kind = 0; kind < 2; ++kind) {
      std::vector<bool> marked;
      for (const Vertex& v : order) {
        const Entity& e = EntityOf(v);
        marked.push_back(kind == 0 ? IsFault(e) : (IsError(e) || IsThrottle(e)));
      }
      for (size_t i = 0; i < order.size(); ++i) {
        const Entity& e = EntityOf(order[i]);
        if (!marked[i] || !e.cause || e.cause->exception_id.empty()) continue;
        // The first entity that records the exception, if it lies below this one.
        int owner_occurrence = -1;
        for (size_t o = 0; o < occ_.size() && owner_occurrence < 0; ++o) {
          if (!occ_[o].e->cause) continue;
          for (const model::ExceptionInfo& x : occ_[o].e->cause->exceptions) {
            if (!x.id.empty() && x.id == e.cause->exception_id)
              owner_occurrence = static_cast<int>(o);
          }
        }
        for (size_t j = 0; j < order.size(); ++j) {
          if (order[j] == Vertex{owner_occurrence, false} &&
              is_below(static_cast<int>(j), static_cast<int>(i))) {
            marked[j] = true;
          }
        }
      }
      std::vector<Cause>& out = kind == 0 ? fault_ : error_;
      for (size_t i = 0; i < order.size(); ++i) {
        if (!marked[i]) continue;
        bool below = false;
        for (size_t j = 0; j < order.size(); ++j) {
          below = below || (marked[j] && is_below(static_cast<int>(j), static_cast<int>(i)));
        }
        if (below) continue;
        Cause cause = MakeCause(path_to(static_cast<int>(i)), 0, false);
        cause.client_impacting = marked[0];
        AddCause(&out, cause);
      }
    }
    // Response time: follow the longest completed child while it covers >= 10 % of the root.
    const Entity& root = EntityOf(order[0]);
    if (!root.end_time || !(*root.end_time - root.start_time > 0)) return;
    double root_time = *root.end_time - root.start_time;
    std::vector<Vertex> path{order[0]};
    for (;;) {
      int best = -1;
      double best_time = 0;
      // Children as reached by the walk above (a vertex reached twice keeps its first parent).
      int at = -1;
      for (size_t i = 0; i < order.size(); ++i) {
        if (order[i] == path.back()) at = static_cast<int>(i);
      }
      for (const Vertex& child : Children(path.back())) {
        int index = -1;
        for (size_t i = 0; i < order.size(); ++i) {
          if (order[i] == child) index = static_cast<int>(i);
        }
        if (index < 0 || parent[static_cast<size_t>(index)] != at) continue;
        const Entity& e = EntityOf(child);
        if (!e.end_time) continue;
        double time = *e.end_time - e.start_time;
        if (best < 0 || time > best_time) {
          best = index;
          best_time = time;
        }
      }
      if (best < 0 || best_time < model::kResponseTimeRootCauseThreshold * root_time) break;
      path.push_back(order[static_cast<size_t>(best)]);
    }
    Cause cause = MakeCause(path, root_time, true);
    cause.client_impacting = true;
    time_.push_back(cause);
  }

  std::span<const SegmentDocument> docs_;
  std::vector<Occurrence> occ_;
  int root_doc_ = -1;
  std::vector<NodeInfo> nodes_;
  std::vector<CallInfo> calls_;
  std::vector<Cause> fault_, error_, time_;
};

// ---- Node references ----
bool RefMatches(const NodeRef& ref, const ServiceId& id, int kind) {
  if (kind == 2 && !ref.type) return false;
  if (ref.name && *ref.name != id.name) return false;
  if (ref.type && *ref.type != id.type) return false;
  if (ref.account_id && *ref.account_id != id.account_id) return false;
  return true;
}

// ---- rootcause.json ----
bool JsonStringIs(const JsonValue& value, const std::string& actual) {
  if (value.type == JsonValue::Type::kNull) return actual.empty();
  return value.string_value == actual;
}

bool JsonEntity(const JsonValue& pattern, const CauseEntity& entity) {
  for (const auto& [key, value] : pattern.members) {
    if (key == "Name" && value.string_value != entity.name) return false;
    if (key == "Remote" && value.bool_value != entity.remote) return false;
    if (key == "Coverage" && std::fabs(value.number_value - entity.coverage) > 1e-6) return false;
    if (key == "Exceptions") {
      if (value.elements.size() != entity.exceptions.size()) return false;
      for (size_t i = 0; i < value.elements.size(); ++i) {
        for (const auto& [field, expected] : value.elements[i].members) {
          const std::string& actual =
              field == "Name" ? entity.exceptions[i].first : entity.exceptions[i].second;
          if (expected.string_value != actual) return false;
        }
      }
    }
  }
  return true;
}

bool JsonService(const JsonValue& pattern, const CauseService& service) {
  for (const auto& [key, value] : pattern.members) {
    if (key == "Name" && value.string_value != service.id.name) return false;
    if (key == "Names" &&
        !(value.elements.size() == 1 && value.elements[0].string_value == service.id.name)) {
      return false;
    }
    if (key == "Type" && !JsonStringIs(value, service.id.type)) return false;
    if (key == "AccountId" && !JsonStringIs(value, service.id.account_id)) return false;
    if (key == "Inferred" && value.bool_value != service.inferred) return false;
    if (key == "EntityPath") {
      if (value.elements.size() != service.entities.size()) return false;
      for (size_t i = 0; i < value.elements.size(); ++i) {
        if (!JsonEntity(value.elements[i], service.entities[i])) return false;
      }
    }
  }
  return true;
}

bool JsonCause(const JsonValue& pattern, const Cause& cause) {
  for (const auto& [key, value] : pattern.members) {
    if (key == "ClientImpacting" && value.bool_value != cause.client_impacting) return false;
    if (key == "Services") {
      if (value.elements.size() != cause.services.size()) return false;
      for (size_t i = 0; i < value.elements.size(); ++i) {
        if (!JsonService(value.elements[i], cause.services[i])) return false;
      }
    }
  }
  return true;
}

// ---- Evaluation ----
// What the current block iterates over.
struct Item {
  const Facts* facts = nullptr;  // service / edge blocks
  const CauseService* service = nullptr;
  const CauseEntity* entity = nullptr;
  const std::pair<std::string, std::string>* exception = nullptr;
  size_t index = 0;
  size_t count = 0;
};

class Evaluator {
 public:
  Evaluator(const World& world, const EvalContext& context) : world_(world), context_(context) {}

  bool Trace(const Expr& expr) const {
    switch (expr.kind) {
      case Expr::Kind::kTrue:
        return true;
      case Expr::Kind::kNot:
        return !Trace(*expr.children[0]);
      case Expr::Kind::kAnd:
        for (const auto& child : expr.children) {
          if (!Trace(*child)) return false;
        }
        return true;
      case Expr::Kind::kOr:
        for (const auto& child : expr.children) {
          if (Trace(*child)) return true;
        }
        return false;
      case Expr::Kind::kPredicate:
        return TraceField(expr);
      case Expr::Kind::kAnnotation:
        return Annotation(expr);
      case Expr::Kind::kService:
        for (const NodeInfo& node : world_.nodes()) {
          if (!RefMatches(expr.source, node.id, node.kind)) continue;
          if (!expr.block) return true;
          for (const Facts& facts : node.segments) {
            Item item;
            item.facts = &facts;
            if (InBlock(*expr.block, item)) return true;
          }
        }
        return false;
      case Expr::Kind::kEdge:
        for (const CallInfo& call : world_.calls()) {
          if (!RefMatches(expr.source, call.caller, world_.KindOf(call.caller))) continue;
          if (!RefMatches(expr.target, call.callee, world_.KindOf(call.callee))) continue;
          Item item;
          item.facts = &call.facts;
          if (!expr.block || InBlock(*expr.block, item)) return true;
        }
        return false;
      case Expr::Kind::kGroup:
        for (const GroupMembership& group : context_.groups) {
          std::string_view actual = expr.group_key == GroupKey::kName ? group.name : group.arn;
          if (actual == expr.group_value) return true;
        }
        return false;
      case Expr::Kind::kRootCause:
        return RootCause(expr);
      case Expr::Kind::kJson:
        for (RootCauseKind kind :
             {RootCauseKind::kFault, RootCauseKind::kError, RootCauseKind::kResponseTime}) {
          bool all = true;
          for (const JsonValue& pattern : expr.json.elements) {
            bool any = false;
            for (const Cause& cause : world_.Causes(kind)) any = any || JsonCause(pattern, cause);
            all = all && any;
          }
          if (all) return true;
        }
        return false;
    }
    return false;
  }

 private:
  bool TraceField(const Expr& expr) const {
    switch (expr.field) {
      case Field::kOk:
        return TestBool(expr, world_.TraceOk());
      case Field::kError:
        return TestBool(expr, world_.TraceError());
      case Field::kFault:
        return TestBool(expr, world_.TraceFault());
      case Field::kThrottle:
        return TestBool(expr, world_.TraceThrottle());
      case Field::kPartial:
        return TestBool(expr, world_.TracePartial());
      case Field::kInferred:
        return TestBool(expr, world_.TraceInferred());
      case Field::kResponseTime:
        return TestNumber(expr, world_.ResponseTime());
      case Field::kDuration:
        return TestNumber(expr, world_.Duration());
      case Field::kHttpStatus:
        return TestNumber(expr, world_.RootHttp().status);
      case Field::kHttpUrl:
        return TestString(expr, world_.RootHttp().url);
      case Field::kHttpMethod:
        return TestString(expr, world_.RootHttp().method);
      case Field::kHttpUserAgent:
        return TestString(expr, world_.RootHttp().user_agent);
      case Field::kHttpClientIp:
        return TestString(expr, world_.RootHttp().client_ip);
      case Field::kUser:
      case Field::kResourceArn:
      case Field::kInstanceId:
      case Field::kAvailabilityZone:
        return TestStrings(expr, world_.SegmentStrings(expr.field));
      default:
        return false;
    }
  }

  bool Annotation(const Expr& expr) const {
    for (const model::AnnotationValue& value : world_.AnnotationValues(expr.annotation_key)) {
      if (!expr.op) {
        if (value.type != model::AnnotationType::kBool || value.bool_value) return true;
        continue;
      }
      const ValueType type = expr.literal.type;
      if (type == ValueType::kString && value.type == model::AnnotationType::kString &&
          StringTest(value.string_value, *expr.op, expr.literal.string_value)) {
        return true;
      }
      if (type == ValueType::kNumber && value.type == model::AnnotationType::kNumber &&
          NumberTest(value.number_value, *expr.op, expr.literal.number_value)) {
        return true;
      }
      if (type == ValueType::kBool && value.type == model::AnnotationType::kBool &&
          TestBool(expr, value.bool_value)) {
        return true;
      }
    }
    return false;
  }

  bool RootCause(const Expr& expr) const {
    for (const Cause& cause : world_.Causes(expr.rc_kind)) {
      std::vector<Item> items;
      for (const CauseService& service : cause.services) {
        if (expr.rc_element == RootCauseElement::kService) {
          Item item;
          item.service = &service;
          items.push_back(item);
          continue;
        }
        for (const CauseEntity& entity : service.entities) {
          if (expr.rc_element == RootCauseElement::kEntity) {
            Item item;
            item.entity = &entity;
            items.push_back(item);
            continue;
          }
          for (const auto& exception : entity.exceptions) {
            Item item;
            item.exception = &exception;
            items.push_back(item);
          }
        }
      }
      for (size_t i = 0; i < items.size(); ++i) {
        items[i].index = i;
        items[i].count = items.size();
        if (!expr.block || InBlock(*expr.block, items[i])) return true;
      }
    }
    return false;
  }

  bool InBlock(const Expr& expr, const Item& item) const {
    switch (expr.kind) {
      case Expr::Kind::kTrue:
        return true;
      case Expr::Kind::kNot:
        return !InBlock(*expr.children[0], item);
      case Expr::Kind::kAnd:
        for (const auto& child : expr.children) {
          if (!InBlock(*child, item)) return false;
        }
        return true;
      case Expr::Kind::kOr:
        for (const auto& child : expr.children) {
          if (InBlock(*child, item)) return true;
        }
        return false;
      case Expr::Kind::kPredicate:
        return BlockField(expr, item);
      default:
        return false;  // the parser allows nothing else in blocks
    }
  }

  static bool BlockField(const Expr& expr, const Item& item) {
    if (item.facts) {
      const Facts& f = *item.facts;
      switch (expr.field) {
        case Field::kOk:
          return TestBool(expr, f.ok);
        case Field::kError:
          return TestBool(expr, f.error);
        case Field::kFault:
          return TestBool(expr, f.fault);
        case Field::kThrottle:
          return TestBool(expr, f.throttle);
        case Field::kPartial:
          return TestBool(expr, f.partial);
        case Field::kInferred:
          return TestBool(expr, f.inferred);
        case Field::kRoot:
          return TestBool(expr, f.root);
        case Field::kResponseTime:
          return TestNumber(expr, f.response_time);
        case Field::kDuration:
          return TestNumber(expr, f.duration);
        case Field::kHttpStatus:
          return TestNumber(expr, f.status);
        case Field::kHttpUrl:
          return TestString(expr, f.url);
        case Field::kHttpMethod:
          return TestString(expr, f.method);
        case Field::kHttpUserAgent:
          return TestString(expr, f.user_agent);
        case Field::kHttpClientIp:
          return TestString(expr, f.client_ip);
        case Field::kUser:
          return TestString(expr, f.user);
        case Field::kResourceArn:
          return TestString(expr, f.resource_arn);
        case Field::kInstanceId:
          return TestString(expr, f.instance_id);
        case Field::kAvailabilityZone:
          return TestStrings(expr, f.zones);
        default:
          return false;
      }
    }
    switch (expr.field) {
      case Field::kFirst:
        return TestBool(expr, item.index == 0);
      case Field::kLast:
        return TestBool(expr, item.index + 1 == item.count);
      case Field::kIndex:
        return TestNumber(expr, static_cast<double>(item.index));
      default:
        break;
    }
    if (item.service) {
      if (expr.field == Field::kName) return TestString(expr, item.service->id.name);
      if (expr.field == Field::kType) return TestString(expr, item.service->id.type);
      if (expr.field == Field::kInferred) return TestBool(expr, item.service->inferred);
    } else if (item.entity) {
      if (expr.field == Field::kName) return TestString(expr, item.entity->name);
      if (expr.field == Field::kRemote) return TestBool(expr, item.entity->remote);
      if (expr.field == Field::kCoverage) return TestNumber(expr, item.entity->coverage);
    } else if (item.exception) {
      if (expr.field == Field::kName) return TestString(expr, item.exception->first);
      if (expr.field == Field::kMessage) return TestString(expr, item.exception->second);
    }
    return false;
  }

  const World& world_;
  const EvalContext& context_;
};

}  // namespace

bool ReferenceMatches(const Filter& filter, std::span<const SegmentDocument> documents,
                      const EvalContext& context) {
  const internal::CompiledFilter& compiled = internal::FilterAccess::Get(filter);
  World world(documents);
  return Evaluator(world, context).Trace(*compiled.ast);
}

}  // namespace roentgen::query
