// SPDX-License-Identifier: Apache-2.0
// ComputeTraceDetail builds one "entity tree" for the trace and reads nodes, edges and root
// causes off it:
//  * every entity of every document is a tree node; embedded subsegments are children of
//    their entity, an independent subsegment is a child of the entity its parent_id names,
//    a segment with a known parent_id is a child of that entity (a downstream call), and
//    each inferred segment is a child of the subsegment it was inferred from;
//  * children are ordered: embedded subsegments, then attached documents (document order),
//    then the inferred segment. The response-time walk breaks ties by this order.
// The tree is built once with plain indices (no maps of pointers to pointers) because the
// seal path runs it for every trace. A separate, deliberately naive implementation of the same
// definitions lives in query/reference_evaluator.cc; the differential fuzzer compares them.
#include "model/trace_detail.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/coding.h"

namespace roentgen::model {
namespace {

double RoundToMicros(double seconds) { return std::round(seconds * 1e6) / 1e6; }

std::optional<int32_t> StatusOf(const Entity& entity) {
  if (entity.http && entity.http->response && entity.http->response->status) {
    return entity.http->response->status;
  }
  return std::nullopt;
}

struct Flags {
  bool error = false;
  bool fault = false;
  bool throttle = false;
};

Flags FlagsOf(const Entity& entity) {
  Flags flags{entity.error, entity.fault, entity.throttle};
  if (auto status = StatusOf(entity)) {
    if (*status >= 400 && *status <= 499) flags.error = true;
    if (*status >= 500 && *status <= 599) flags.fault = true;
    if (*status == 429) flags.throttle = true;
  }
  return flags;
}

bool IsDownstreamNamespace(const std::string& ns) { return ns == "aws" || ns == "remote"; }

ServiceId SegmentServiceId(const Entity& entity) {
  ServiceId id;
  id.name = entity.name;
  id.type = entity.origin;
  if (entity.aws) id.account_id = entity.aws->account_id;
  return id;
}

}  // namespace

// §3.3: the node a downstream-call subsegment stands for when its callee sent no segment.
ServiceId InferredServiceId(const Entity& subsegment) {
  ServiceId id;
  if (subsegment.aws) id.account_id = subsegment.aws->account_id;
  if (subsegment.namespace_name == "remote") {
    id.name = subsegment.name;
    id.type = "remote";
    return id;
  }
  if (subsegment.name == "DynamoDB") {
    if (subsegment.aws && !subsegment.aws->table_name.empty()) {
      id.name = subsegment.aws->table_name;
      id.type = "AWS::DynamoDB::Table";
    } else {
      id.name = "DynamoDB";
      id.type = "AWS::DynamoDB";
    }
    return id;
  }
  if (subsegment.name == "SQS" && subsegment.aws && !subsegment.aws->queue_url.empty()) {
    const std::string& url = subsegment.aws->queue_url;
    size_t slash = url.find_last_of('/');
    std::string queue = slash == std::string::npos ? url : url.substr(slash + 1);
    if (!queue.empty()) {
      id.name = std::move(queue);
      id.type = "AWS::SQS::Queue";
      return id;
    }
  }
  id.name = subsegment.name;
  id.type = "AWS::" + subsegment.name;
  return id;
}

namespace {

void CopyHttp(const Entity& entity, std::optional<int32_t>* status, std::string* url,
              std::string* method, std::string* user_agent, std::string* client_ip) {
  *status = StatusOf(entity);
  if (entity.http && entity.http->request) {
    const HttpRequestInfo& request = *entity.http->request;
    *url = request.url;
    *method = request.method;
    *user_agent = request.user_agent;
    *client_ip = request.client_ip;
  }
}

EdgeCall CallOf(const Entity& entity) {
  EdgeCall call;
  call.start_time = entity.start_time;
  call.end_time = entity.end_time;
  if (entity.end_time) call.response_time = RoundToMicros(*entity.end_time - entity.start_time);
  Flags flags = FlagsOf(entity);
  call.error = flags.error;
  call.fault = flags.fault;
  call.throttle = flags.throttle;
  call.in_progress = entity.in_progress;
  CopyHttp(entity, &call.http_status, &call.http_url, &call.http_method, &call.http_user_agent,
           &call.http_client_ip);
  return call;
}

constexpr int32_t kNone = -1;

// One node of the entity tree.
struct TreeNode {
  const Entity* entity = nullptr;
  int32_t doc = kNone;      // the document the entity came from
  int32_t parent = kNone;   // structural parent (embedded), kNone for a document's entity
  bool is_segment = false;  // the entity of a segment document (a node boundary)
  bool inferred = false;    // a server-generated inferred segment
  int32_t node = kNone;     // the service node it belongs to (kNone for orphans)
  std::vector<int32_t> children;
};

class Builder {
 public:
  explicit Builder(std::span<const SegmentDocument> documents) : docs_(documents) {}

  TraceDetail Build() {
    IndexEntities();
    ResolveOwners();
    AttachDocuments();
    root_doc_ = FindRootSegment(docs_);
    AddSegmentNodes();
    AddInferredNodes();
    AddCalleeEdges();
    AddClient();
    if (root_doc_) {
      int32_t root = doc_top_[*root_doc_];
      BuildTreeOrder(root);
      AddFailureRootCauses(root, /*fault=*/true, &detail_.fault_root_causes);
      AddFailureRootCauses(root, /*fault=*/false, &detail_.error_root_causes);
      AddResponseTimeRootCause(root);
    }
    return std::move(detail_);
  }

 private:
  void IndexEntities() {
    doc_top_.resize(docs_.size());
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      const SegmentDocument& doc = docs_[doc_idx];
      doc_top_[doc_idx] = static_cast<int32_t>(tree_.size());
      // Pre-order walk with an explicit stack of (entity, parent).
      std::vector<std::pair<const Entity*, int32_t>> stack{{&doc.entity, kNone}};
      while (!stack.empty()) {
        auto [entity, parent] = stack.back();
        stack.pop_back();
        auto idx = static_cast<int32_t>(tree_.size());
        TreeNode node;
        node.entity = entity;
        node.doc = static_cast<int32_t>(doc_idx);
        node.parent = parent;
        node.is_segment = parent == kNone && doc.kind == DocumentKind::kSegment;
        tree_.push_back(std::move(node));
        if (parent != kNone) tree_[static_cast<size_t>(parent)].children.push_back(idx);
        by_id_.try_emplace(entity->id.value, idx);
        for (auto it = entity->subsegments.rbegin(); it != entity->subsegments.rend(); ++it) {
          stack.emplace_back(&*it, idx);
        }
      }
    }
  }

  // The tree node a document's parent_id names, unless it lies inside the document itself.
  int32_t DocumentParent(size_t doc_idx) const {
    const SegmentDocument& doc = docs_[doc_idx];
    if (!doc.parent_id) return kNone;
    auto it = by_id_.find(doc.parent_id->value);
    if (it == by_id_.end()) return kNone;
    if (tree_[static_cast<size_t>(it->second)].doc == static_cast<int32_t>(doc_idx)) return kNone;
    return it->second;
  }

  void ResolveOwners() {
    owner_.assign(docs_.size(), kNone);
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      size_t current = doc_idx;
      // A chain longer than the number of documents loops.
      for (size_t step = 0; step <= docs_.size(); ++step) {
        if (docs_[current].kind == DocumentKind::kSegment) {
          owner_[doc_idx] = static_cast<int32_t>(current);
          break;
        }
        int32_t parent = DocumentParent(current);
        if (parent == kNone) break;
        current = static_cast<size_t>(tree_[static_cast<size_t>(parent)].doc);
      }
    }
  }

  void AttachDocuments() {
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      int32_t parent = DocumentParent(doc_idx);
      if (parent != kNone) tree_[static_cast<size_t>(parent)].children.push_back(doc_top_[doc_idx]);
      if (docs_[doc_idx].kind == DocumentKind::kSegment && docs_[doc_idx].parent_id &&
          !docs_[doc_idx].entity.inferred) {
        segment_parent_ids_.insert(docs_[doc_idx].parent_id->value);
      }
    }
  }

  uint32_t FindOrAddNode(const ServiceId& id, NodeKind kind) {
    auto [it, added] = node_index_.try_emplace(id, static_cast<uint32_t>(detail_.nodes.size()));
    if (added) detail_.nodes.push_back(ServiceNode{id, kind, {}});
    return it->second;
  }

  // Latest end among the entity and its same-node descendants, or nullopt.
  std::optional<double> LatestEnd(int32_t top) const {
    std::optional<double> latest;
    std::vector<int32_t> stack{top};
    std::unordered_set<int32_t> seen;
    while (!stack.empty()) {
      int32_t idx = stack.back();
      stack.pop_back();
      if (!seen.insert(idx).second) continue;
      const TreeNode& node = tree_[static_cast<size_t>(idx)];
      if (node.entity->end_time && (!latest || *node.entity->end_time > *latest)) {
        latest = node.entity->end_time;
      }
      for (int32_t child : node.children) {
        const TreeNode& child_node = tree_[static_cast<size_t>(child)];
        if (child_node.is_segment || child_node.inferred) continue;
        stack.push_back(child);
      }
    }
    return latest;
  }

  void AddSegmentNodes() {
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      const SegmentDocument& doc = docs_[doc_idx];
      if (doc.kind != DocumentKind::kSegment) continue;
      const Entity& entity = doc.entity;
      uint32_t node_idx = FindOrAddNode(SegmentServiceId(entity),
                                        entity.inferred ? NodeKind::kInferred : NodeKind::kActive);
      NodeSegment segment;
      segment.start_time = entity.start_time;
      segment.end_time = entity.end_time;
      if (entity.end_time) {
        segment.response_time = RoundToMicros(*entity.end_time - entity.start_time);
      }
      if (auto latest = LatestEnd(doc_top_[doc_idx])) {
        segment.duration = RoundToMicros(*latest - entity.start_time);
      }
      Flags flags = FlagsOf(entity);
      segment.error = flags.error;
      segment.fault = flags.fault;
      segment.throttle = flags.throttle;
      segment.in_progress = entity.in_progress;
      segment.root = root_doc_ && *root_doc_ == doc_idx;
      segment.inferred = entity.inferred;
      CopyHttp(entity, &segment.http_status, &segment.http_url, &segment.http_method,
               &segment.http_user_agent, &segment.http_client_ip);
      segment.user = entity.user;
      segment.resource_arn = entity.resource_arn;
      if (entity.aws) {
        segment.instance_id = entity.aws->ec2_instance_id;
        if (!entity.aws->ec2_availability_zone.empty()) {
          segment.availability_zones.push_back(entity.aws->ec2_availability_zone);
        }
        if (!entity.aws->ecs_availability_zone.empty()) {
          segment.availability_zones.push_back(entity.aws->ecs_availability_zone);
        }
      }
      detail_.nodes[node_idx].segments.push_back(std::move(segment));
    }
    // Every tree node learns its service node through its document's owner.
    std::vector<int32_t> doc_node(docs_.size(), kNone);
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      int32_t owner = owner_[doc_idx];
      if (owner == kNone) continue;
      doc_node[doc_idx] = static_cast<int32_t>(FindOrAddNode(
          SegmentServiceId(docs_[static_cast<size_t>(owner)].entity), NodeKind::kActive));
    }
    for (TreeNode& node : tree_) node.node = doc_node[static_cast<size_t>(node.doc)];
  }

  void AddCall(int32_t caller, uint32_t callee, EdgeCall call) {
    if (caller == kNone) return;
    auto caller_idx = static_cast<uint32_t>(caller);
    auto [it, added] =
        edge_index_.try_emplace((uint64_t{caller_idx} << 32) | callee, detail_.edges.size());
    if (added) detail_.edges.push_back(ServiceEdge{caller_idx, callee, {}});
    detail_.edges[it->second].calls.push_back(std::move(call));
  }

  void AddInferredNodes() {
    const size_t entity_count = tree_.size();
    for (size_t idx = 0; idx < entity_count; ++idx) {
      const TreeNode& source = tree_[idx];
      const Entity& entity = *source.entity;
      if (source.is_segment || !IsDownstreamNamespace(entity.namespace_name)) continue;
      if (segment_parent_ids_.count(entity.id.value) != 0) continue;
      uint32_t node_idx = FindOrAddNode(InferredServiceId(entity), NodeKind::kInferred);
      EdgeCall call = CallOf(entity);
      NodeSegment segment;
      segment.start_time = call.start_time;
      segment.end_time = call.end_time;
      segment.response_time = call.response_time;
      segment.duration = call.response_time;
      segment.error = call.error;
      segment.fault = call.fault;
      segment.throttle = call.throttle;
      segment.in_progress = call.in_progress;
      segment.inferred = true;
      segment.http_status = call.http_status;
      segment.http_url = call.http_url;
      segment.http_method = call.http_method;
      segment.http_user_agent = call.http_user_agent;
      segment.http_client_ip = call.http_client_ip;
      detail_.nodes[node_idx].segments.push_back(std::move(segment));
      AddCall(source.node, node_idx, std::move(call));

      TreeNode inferred;
      inferred.entity = &entity;
      inferred.doc = source.doc;
      inferred.inferred = true;
      inferred.node = static_cast<int32_t>(node_idx);
      auto inferred_idx = static_cast<int32_t>(tree_.size());
      tree_.push_back(std::move(inferred));
      tree_[idx].children.push_back(inferred_idx);
    }
  }

  void AddCalleeEdges() {
    for (size_t doc_idx = 0; doc_idx < docs_.size(); ++doc_idx) {
      const SegmentDocument& doc = docs_[doc_idx];
      if (doc.kind != DocumentKind::kSegment) continue;
      int32_t parent = DocumentParent(doc_idx);
      if (parent == kNone) continue;
      const TreeNode& parent_node = tree_[static_cast<size_t>(parent)];
      const TreeNode& callee = tree_[static_cast<size_t>(doc_top_[doc_idx])];
      // A segment called by a segment (not by one of its subsegments) times its own call.
      EdgeCall call = CallOf(parent_node.is_segment ? doc.entity : *parent_node.entity);
      AddCall(parent_node.node, static_cast<uint32_t>(callee.node), std::move(call));
    }
  }

  void AddClient() {
    if (!root_doc_) return;
    const Entity& root = docs_[*root_doc_].entity;
    ServiceId client;
    client.name = root.name;
    client.type = "client";
    if (root.http && root.http->request &&
        root.http->request->user_agent.find("CloudWatchSynthetics") != std::string::npos) {
      client.type = "client::Synthetics";
    }
    uint32_t client_idx = FindOrAddNode(client, NodeKind::kClient);
    AddCall(static_cast<int32_t>(client_idx),
            static_cast<uint32_t>(tree_[static_cast<size_t>(doc_top_[*root_doc_])].node),
            CallOf(root));
  }

  // Pre-order of the tree reachable from `root`, and each reached node's tree parent.
  void BuildTreeOrder(int32_t root) {
    tree_parent_.assign(tree_.size(), kNone);
    std::vector<bool> seen(tree_.size(), false);
    std::vector<int32_t> stack{root};
    while (!stack.empty()) {
      int32_t idx = stack.back();
      stack.pop_back();
      if (seen[static_cast<size_t>(idx)]) continue;
      seen[static_cast<size_t>(idx)] = true;
      preorder_.push_back(idx);
      const auto& children = tree_[static_cast<size_t>(idx)].children;
      for (auto it = children.rbegin(); it != children.rend(); ++it) {
        if (seen[static_cast<size_t>(*it)]) continue;
        tree_parent_[static_cast<size_t>(*it)] = idx;
        stack.push_back(*it);
      }
    }
  }

  bool IsStrictDescendant(int32_t candidate, int32_t ancestor) const {
    for (int32_t idx = tree_parent_[static_cast<size_t>(candidate)]; idx != kNone;
         idx = tree_parent_[static_cast<size_t>(idx)]) {
      if (idx == ancestor) return true;
    }
    return false;
  }

  // The first entity (entity order) that records an exception with this id.
  int32_t ExceptionOwner(const std::string& exception_id) {
    if (!exception_owner_built_) {
      exception_owner_built_ = true;
      for (size_t idx = 0; idx < tree_.size(); ++idx) {
        const TreeNode& node = tree_[idx];
        if (node.inferred || !node.entity->cause) continue;
        for (const ExceptionInfo& exception : node.entity->cause->exceptions) {
          if (!exception.id.empty()) {
            exception_owner_.try_emplace(exception.id, static_cast<int32_t>(idx));
          }
        }
      }
    }
    auto it = exception_owner_.find(exception_id);
    return it == exception_owner_.end() ? kNone : it->second;
  }

  // Cuts a root-to-leaf path into per-service runs.
  RootCause PathToRootCause(const std::vector<int32_t>& path, double root_response_time,
                            bool with_coverage) const {
    RootCause cause;
    for (int32_t idx : path) {
      const TreeNode& node = tree_[static_cast<size_t>(idx)];
      const Entity& entity = *node.entity;
      if (node.is_segment || node.inferred || cause.services.empty()) {
        RootCauseService service;
        if (node.node != kNone) service.id = detail_.nodes[static_cast<size_t>(node.node)].id;
        service.inferred = node.inferred || (node.is_segment && entity.inferred);
        cause.services.push_back(std::move(service));
      }
      RootCauseEntity item;
      item.name = entity.name;
      item.remote =
          node.inferred || (!node.is_segment && IsDownstreamNamespace(entity.namespace_name));
      if (entity.cause) {
        for (const ExceptionInfo& exception : entity.cause->exceptions) {
          item.exceptions.push_back(RootCauseException{exception.type, exception.message});
          if (exception.remote) item.remote = true;
        }
      }
      if (with_coverage && entity.end_time) {
        // Rounded to 1e-6 like response times (and so stored in a few bytes).
        item.coverage =
            std::round((*entity.end_time - entity.start_time) / root_response_time * 1e6) / 1e6;
      }
      cause.services.back().entity_path.push_back(std::move(item));
    }
    return cause;
  }

  std::vector<int32_t> PathTo(int32_t leaf) const {
    std::vector<int32_t> path;
    for (int32_t idx = leaf; idx != kNone; idx = tree_parent_[static_cast<size_t>(idx)]) {
      path.push_back(idx);
    }
    std::reverse(path.begin(), path.end());
    return path;
  }

  static void AddUnique(std::vector<RootCause>* causes, RootCause cause) {
    if (std::find(causes->begin(), causes->end(), cause) == causes->end()) {
      causes->push_back(std::move(cause));
    }
  }

  void AddFailureRootCauses(int32_t root, bool fault, std::vector<RootCause>* out) {
    std::vector<bool> marked(tree_.size(), false);
    for (int32_t idx : preorder_) {
      Flags flags = FlagsOf(*tree_[static_cast<size_t>(idx)].entity);
      marked[static_cast<size_t>(idx)] = fault ? flags.fault : (flags.error || flags.throttle);
    }
    // A failing entity whose cause names an exception recorded deeper down passes the blame on.
    for (int32_t idx : preorder_) {
      const Entity& entity = *tree_[static_cast<size_t>(idx)].entity;
      if (!marked[static_cast<size_t>(idx)] || !entity.cause ||
          entity.cause->exception_id.empty()) {
        continue;
      }
      int32_t owner = ExceptionOwner(entity.cause->exception_id);
      if (owner != kNone && IsStrictDescendant(owner, idx))
        marked[static_cast<size_t>(owner)] = true;
    }
    std::vector<bool> marked_below(tree_.size(), false);
    for (auto it = preorder_.rbegin(); it != preorder_.rend(); ++it) {
      int32_t parent = tree_parent_[static_cast<size_t>(*it)];
      if (parent == kNone) continue;
      if (marked[static_cast<size_t>(*it)] || marked_below[static_cast<size_t>(*it)]) {
        marked_below[static_cast<size_t>(parent)] = true;
      }
    }
    for (int32_t idx : preorder_) {
      if (!marked[static_cast<size_t>(idx)] || marked_below[static_cast<size_t>(idx)]) continue;
      RootCause cause = PathToRootCause(PathTo(idx), 0, /*with_coverage=*/false);
      cause.client_impacting = marked[static_cast<size_t>(root)];
      AddUnique(out, std::move(cause));
    }
  }

  void AddResponseTimeRootCause(int32_t root) {
    const Entity& root_entity = *tree_[static_cast<size_t>(root)].entity;
    if (!root_entity.end_time) return;
    double response_time = *root_entity.end_time - root_entity.start_time;
    if (!(response_time > 0)) return;
    std::vector<int32_t> path{root};
    int32_t current = root;
    for (;;) {
      int32_t best = kNone;
      double best_duration = 0;
      for (int32_t child : tree_[static_cast<size_t>(current)].children) {
        if (tree_parent_[static_cast<size_t>(child)] != current) continue;  // not reached here
        const Entity& entity = *tree_[static_cast<size_t>(child)].entity;
        if (!entity.end_time) continue;
        double duration = *entity.end_time - entity.start_time;
        if (best == kNone || duration > best_duration) {
          best = child;
          best_duration = duration;
        }
      }
      if (best == kNone || best_duration < kResponseTimeRootCauseThreshold * response_time) break;
      path.push_back(best);
      current = best;
    }
    RootCause cause = PathToRootCause(path, response_time, /*with_coverage=*/true);
    cause.client_impacting = true;
    detail_.response_time_root_causes.push_back(std::move(cause));
  }

  std::span<const SegmentDocument> docs_;
  std::vector<TreeNode> tree_;
  std::vector<int32_t> doc_top_;
  std::vector<int32_t> owner_;
  std::unordered_map<uint64_t, int32_t> by_id_;
  std::unordered_set<uint64_t> segment_parent_ids_;
  std::unordered_map<std::string, int32_t> exception_owner_;
  bool exception_owner_built_ = false;
  std::optional<size_t> root_doc_;
  std::map<ServiceId, uint32_t> node_index_;
  std::unordered_map<uint64_t, size_t> edge_index_;  // (caller << 32 | callee) → edges index
  std::vector<int32_t> preorder_;
  std::vector<int32_t> tree_parent_;
  TraceDetail detail_;
};

// ---- Binary encoding (version 2) ----
//
// detail   := version:varint32 nodes edges causes(fault) causes(error) causes(responsetime)
// nodes    := count:varint32 { str(name) str(type) str(account) kind:byte
//                              count:varint32 { segment } }
// segment  := flags:varint32 [rt:f64] [duration:f64] times [status:zigzag] str(url)
//             str(method) str(user_agent) str(client_ip) str(user) str(resource_arn)
//             str(instance_id) count:varint32 { str(az) }
// edges    := count:varint32 { caller:varint32 callee:varint32 count:varint32 { call } }
// call     := flags:varint32 [rt:f64] times [status:zigzag] str(url) str(method)
//             str(user_agent) str(client_ip)
// times    := start:f64 [end:f64]           (end present iff flags has kHasEnd)
// causes   := count:varint32 { client_impacting:byte count:varint32 { service } }
// service  := str(name) str(type) str(account) inferred:byte count:varint32 { entity }
// entity   := str(name) remote:byte coverage:f64 count:varint32 { str(name) str(message) }
//             (version 3: coverage is a `time` against 0, see below)
// str is varint32 length + bytes; f64 is the IEEE bits little-endian.
// Version 3 (written now) replaces `[rt] [duration] times` of segments and `[rt] times` of
// calls by `start [end] [rt] [duration]`, each a `time` against a base:
//   time := varint u; u even: the value is n/1e6 s with n = base + unzigzag(u >> 1);
//           u = 1: an f64 follows (a value that is not a whole number of microseconds).
//   Bases, in whole microseconds (the nearest, for an f64): start against the previous
//   segment's or call's start (0 at first), end against start, rt against end - start (0
//   without an end), duration against rt (or what rt's base would be). Times from documents
//   with at most microsecond digits then take a few bytes, mostly 0s, instead of 8 random.
// Version 2 is version 3 with f64 times; version 1 has no `times` at all (both still
// decoded; has_entity_times is false for version 1).

constexpr uint32_t kFormatVersion = 3;
constexpr uint32_t kFormatVersionF64Times = 2;
constexpr uint32_t kFormatVersionWithoutTimes = 1;

constexpr uint32_t kError = 1u << 0;
constexpr uint32_t kFault = 1u << 1;
constexpr uint32_t kThrottle = 1u << 2;
constexpr uint32_t kInProgress = 1u << 3;
constexpr uint32_t kRoot = 1u << 4;
constexpr uint32_t kInferred = 1u << 5;
constexpr uint32_t kHasResponseTime = 1u << 6;
constexpr uint32_t kHasDuration = 1u << 7;
constexpr uint32_t kHasStatus = 1u << 8;
constexpr uint32_t kHasEnd = 1u << 9;

void PutDouble(std::string* dst, double value) {
  coding::PutFixed64(dst, std::bit_cast<uint64_t>(value));
}

// The whole microseconds nearest to a time (0 for a value without any): the base that the
// next time is written against. Writer and reader compute it from the same double.
int64_t BaseMicros(double value) {
  constexpr double kMaxMicros = 9.0e15;  // |n| below 2^53: exact in a double
  return std::isfinite(value) && std::fabs(value) * 1e6 < kMaxMicros ? std::llround(value * 1e6)
                                                                     : 0;
}

// Writes a `time` (format 3) against `base_micros`.
void PutTime(std::string* dst, double value, int64_t base_micros) {
  const int64_t micros = BaseMicros(value);
  if (std::bit_cast<uint64_t>(static_cast<double>(micros) / 1e6) ==
      std::bit_cast<uint64_t>(value)) {
    const int64_t delta = micros - base_micros;
    coding::PutVarint64(
        dst, ((static_cast<uint64_t>(delta) << 1) ^ static_cast<uint64_t>(delta >> 63)) << 1);
    return;
  }
  coding::PutVarint64(dst, 1);
  PutDouble(dst, value);
}

// The times of a segment or call (format 3): start against the previous entity's start, end
// against start, response time against end - start, duration against the response time.
void PutEntityTimes(std::string* dst, double start, const std::optional<double>& end,
                    const std::optional<double>& response_time,
                    const std::optional<double>& duration, int64_t* previous_start_micros) {
  PutTime(dst, start, *previous_start_micros);
  const int64_t start_micros = *previous_start_micros = BaseMicros(start);
  int64_t span_micros = 0;
  if (end) {
    PutTime(dst, *end, start_micros);
    span_micros = BaseMicros(*end) - start_micros;
  }
  if (response_time) {
    PutTime(dst, *response_time, span_micros);
    span_micros = BaseMicros(*response_time);
  }
  if (duration) PutTime(dst, *duration, span_micros);
}

void PutString(std::string* dst, const std::string& value) {
  coding::PutLengthPrefixed(dst, value);
}

void PutServiceId(std::string* dst, const ServiceId& id) {
  PutString(dst, id.name);
  PutString(dst, id.type);
  PutString(dst, id.account_id);
}

void PutHttp(std::string* dst, const std::optional<int32_t>& status, const std::string& url,
             const std::string& method, const std::string& user_agent,
             const std::string& client_ip) {
  if (status) coding::PutVarsint64(dst, *status);
  PutString(dst, url);
  PutString(dst, method);
  PutString(dst, user_agent);
  PutString(dst, client_ip);
}

void PutCauses(std::string* dst, const std::vector<RootCause>& causes) {
  coding::PutVarint32(dst, static_cast<uint32_t>(causes.size()));
  for (const RootCause& cause : causes) {
    dst->push_back(cause.client_impacting ? 1 : 0);
    coding::PutVarint32(dst, static_cast<uint32_t>(cause.services.size()));
    for (const RootCauseService& service : cause.services) {
      PutServiceId(dst, service.id);
      dst->push_back(service.inferred ? 1 : 0);
      coding::PutVarint32(dst, static_cast<uint32_t>(service.entity_path.size()));
      for (const RootCauseEntity& entity : service.entity_path) {
        PutString(dst, entity.name);
        dst->push_back(entity.remote ? 1 : 0);
        PutTime(dst, entity.coverage, 0);
        coding::PutVarint32(dst, static_cast<uint32_t>(entity.exceptions.size()));
        for (const RootCauseException& exception : entity.exceptions) {
          PutString(dst, exception.name);
          PutString(dst, exception.message);
        }
      }
    }
  }
}

// Bounds-checked reader; the first failure sticks.
class Reader {
 public:
  explicit Reader(std::string_view input) : input_(input) {}
  bool ok() const { return ok_; }
  bool at_end() const { return input_.empty(); }

  uint32_t Varint() {
    uint32_t value = 0;
    if (ok_ && !coding::GetVarint32(&input_, &value)) ok_ = false;
    return ok_ ? value : 0;
  }
  // A count of elements that each take at least one byte.
  size_t Count() {
    uint32_t count = Varint();
    if (count > input_.size()) ok_ = false;
    return ok_ ? count : 0;
  }
  int32_t HttpStatus() {
    int64_t value = 0;
    if (ok_ && !coding::GetVarsint64(&input_, &value)) ok_ = false;
    if (value < INT32_MIN || value > INT32_MAX) ok_ = false;
    return ok_ ? static_cast<int32_t>(value) : 0;
  }
  double Double() {
    uint64_t bits = 0;
    if (ok_ && !coding::GetFixed64(&input_, &bits)) ok_ = false;
    return ok_ ? std::bit_cast<double>(bits) : 0;
  }
  std::string String() {
    std::string_view value;
    if (ok_ && !coding::GetLengthPrefixed(&input_, &value)) ok_ = false;
    return ok_ ? std::string(value) : std::string();
  }
  bool Bool() {
    if (!ok_ || input_.empty()) {
      ok_ = false;
      return false;
    }
    char byte = input_.front();
    input_.remove_prefix(1);
    if (byte != 0 && byte != 1) ok_ = false;
    return byte == 1;
  }
  uint8_t Byte() {
    if (!ok_ || input_.empty()) {
      ok_ = false;
      return 0;
    }
    auto byte = static_cast<uint8_t>(input_.front());
    input_.remove_prefix(1);
    return byte;
  }
  ServiceId Service() {
    ServiceId id;
    id.name = String();
    id.type = String();
    id.account_id = String();
    return id;
  }
  // A `time` of format 3 written against `base_micros` (see PutTime).
  double Time(int64_t base_micros) {
    uint64_t tagged = 0;
    if (ok_ && !coding::GetVarint64(&input_, &tagged)) ok_ = false;
    if (!ok_) return 0;
    if (tagged == 1) return Double();
    if (tagged & 1) {
      ok_ = false;
      return 0;
    }
    const uint64_t zigzag = tagged >> 1;
    const uint64_t delta = (zigzag >> 1) ^ (~(zigzag & 1) + 1);
    // Unsigned: damaged input wraps instead of overflowing.
    const auto micros = static_cast<int64_t>(static_cast<uint64_t>(base_micros) + delta);
    return static_cast<double>(micros) / 1e6;
  }
  // The inverse of PutEntityTimes (format 3).
  void EntityTimes(uint32_t flags, bool has_duration, int64_t* previous_start_micros, double* start,
                   std::optional<double>* end, std::optional<double>* response_time,
                   std::optional<double>* duration) {
    *start = Time(*previous_start_micros);
    const int64_t start_micros = *previous_start_micros = BaseMicros(*start);
    int64_t span_micros = 0;
    if (flags & kHasEnd) {
      *end = Time(start_micros);
      span_micros = BaseMicros(**end) - start_micros;
    }
    if (flags & kHasResponseTime) {
      *response_time = Time(span_micros);
      span_micros = BaseMicros(**response_time);
    }
    if (has_duration && (flags & kHasDuration)) *duration = Time(span_micros);
  }
  // Format 2: f64 times after the response time and duration.
  void F64Times(uint32_t flags, double* start, std::optional<double>* end) {
    *start = Double();
    if (flags & kHasEnd) *end = Double();
  }
  void Http(uint32_t flags, std::optional<int32_t>* status, std::string* url, std::string* method,
            std::string* user_agent, std::string* client_ip) {
    if (flags & kHasStatus) *status = HttpStatus();
    *url = String();
    *method = String();
    *user_agent = String();
    *client_ip = String();
  }
  std::vector<RootCause> Causes(bool compact) {
    std::vector<RootCause> causes(Count());
    for (RootCause& cause : causes) {
      cause.client_impacting = Bool();
      cause.services.resize(Count());
      for (RootCauseService& service : cause.services) {
        service.id = Service();
        service.inferred = Bool();
        service.entity_path.resize(Count());
        for (RootCauseEntity& entity : service.entity_path) {
          entity.name = String();
          entity.remote = Bool();
          entity.coverage = compact ? Time(0) : Double();
          entity.exceptions.resize(Count());
          for (RootCauseException& exception : entity.exceptions) {
            exception.name = String();
            exception.message = String();
          }
        }
      }
    }
    return causes;
  }

 private:
  std::string_view input_;
  bool ok_ = true;
};

}  // namespace

TraceDetail ComputeTraceDetail(std::span<const SegmentDocument> documents) {
  return Builder(documents).Build();
}

void EncodeTraceDetail(const TraceDetail& detail, std::string* dst) {
  coding::PutVarint32(dst, kFormatVersion);
  int64_t previous_start_micros = 0;
  coding::PutVarint32(dst, static_cast<uint32_t>(detail.nodes.size()));
  for (const ServiceNode& node : detail.nodes) {
    PutServiceId(dst, node.id);
    dst->push_back(static_cast<char>(node.kind));
    coding::PutVarint32(dst, static_cast<uint32_t>(node.segments.size()));
    for (const NodeSegment& segment : node.segments) {
      uint32_t flags =
          (segment.error ? kError : 0u) | (segment.fault ? kFault : 0u) |
          (segment.throttle ? kThrottle : 0u) | (segment.in_progress ? kInProgress : 0u) |
          (segment.root ? kRoot : 0u) | (segment.inferred ? kInferred : 0u) |
          (segment.response_time ? kHasResponseTime : 0u) | (segment.duration ? kHasDuration : 0u) |
          (segment.http_status ? kHasStatus : 0u) | (segment.end_time ? kHasEnd : 0u);
      coding::PutVarint32(dst, flags);
      PutEntityTimes(dst, segment.start_time, segment.end_time, segment.response_time,
                     segment.duration, &previous_start_micros);
      PutHttp(dst, segment.http_status, segment.http_url, segment.http_method,
              segment.http_user_agent, segment.http_client_ip);
      PutString(dst, segment.user);
      PutString(dst, segment.resource_arn);
      PutString(dst, segment.instance_id);
      coding::PutVarint32(dst, static_cast<uint32_t>(segment.availability_zones.size()));
      for (const std::string& zone : segment.availability_zones) PutString(dst, zone);
    }
  }
  coding::PutVarint32(dst, static_cast<uint32_t>(detail.edges.size()));
  for (const ServiceEdge& edge : detail.edges) {
    coding::PutVarint32(dst, edge.caller);
    coding::PutVarint32(dst, edge.callee);
    coding::PutVarint32(dst, static_cast<uint32_t>(edge.calls.size()));
    for (const EdgeCall& call : edge.calls) {
      uint32_t flags = (call.error ? kError : 0u) | (call.fault ? kFault : 0u) |
                       (call.throttle ? kThrottle : 0u) | (call.in_progress ? kInProgress : 0u) |
                       (call.response_time ? kHasResponseTime : 0u) |
                       (call.http_status ? kHasStatus : 0u) | (call.end_time ? kHasEnd : 0u);
      coding::PutVarint32(dst, flags);
      PutEntityTimes(dst, call.start_time, call.end_time, call.response_time, std::nullopt,
                     &previous_start_micros);
      PutHttp(dst, call.http_status, call.http_url, call.http_method, call.http_user_agent,
              call.http_client_ip);
    }
  }
  PutCauses(dst, detail.fault_root_causes);
  PutCauses(dst, detail.error_root_causes);
  PutCauses(dst, detail.response_time_root_causes);
}

Result<TraceDetail> DecodeTraceDetail(std::string_view encoded) {
  Reader reader(encoded);
  uint32_t version = reader.Varint();
  if (!reader.ok() || version < kFormatVersionWithoutTimes || version > kFormatVersion) {
    return CorruptionError("trace detail: unknown format version");
  }
  const bool has_times = version >= kFormatVersionF64Times;
  const bool compact = version >= kFormatVersion;
  int64_t previous_start_micros = 0;
  TraceDetail detail;
  detail.has_entity_times = has_times;
  detail.nodes.resize(reader.Count());
  for (ServiceNode& node : detail.nodes) {
    node.id = reader.Service();
    uint8_t kind = reader.Byte();
    if (kind > static_cast<uint8_t>(NodeKind::kClient)) {
      return CorruptionError("trace detail: bad node kind");
    }
    node.kind = static_cast<NodeKind>(kind);
    node.segments.resize(reader.Count());
    for (NodeSegment& segment : node.segments) {
      uint32_t flags = reader.Varint();
      segment.error = (flags & kError) != 0;
      segment.fault = (flags & kFault) != 0;
      segment.throttle = (flags & kThrottle) != 0;
      segment.in_progress = (flags & kInProgress) != 0;
      segment.root = (flags & kRoot) != 0;
      segment.inferred = (flags & kInferred) != 0;
      if (compact) {
        reader.EntityTimes(flags, true, &previous_start_micros, &segment.start_time,
                           &segment.end_time, &segment.response_time, &segment.duration);
      } else {
        if (flags & kHasResponseTime) segment.response_time = reader.Double();
        if (flags & kHasDuration) segment.duration = reader.Double();
        if (has_times) reader.F64Times(flags, &segment.start_time, &segment.end_time);
      }
      reader.Http(flags, &segment.http_status, &segment.http_url, &segment.http_method,
                  &segment.http_user_agent, &segment.http_client_ip);
      segment.user = reader.String();
      segment.resource_arn = reader.String();
      segment.instance_id = reader.String();
      segment.availability_zones.resize(reader.Count());
      for (std::string& zone : segment.availability_zones) zone = reader.String();
      if (!reader.ok()) break;
    }
    if (!reader.ok()) break;
  }
  detail.edges.resize(reader.Count());
  for (ServiceEdge& edge : detail.edges) {
    edge.caller = reader.Varint();
    edge.callee = reader.Varint();
    if (reader.ok() && (edge.caller >= detail.nodes.size() || edge.callee >= detail.nodes.size())) {
      return CorruptionError("trace detail: edge refers to a missing node");
    }
    edge.calls.resize(reader.Count());
    for (EdgeCall& call : edge.calls) {
      uint32_t flags = reader.Varint();
      call.error = (flags & kError) != 0;
      call.fault = (flags & kFault) != 0;
      call.throttle = (flags & kThrottle) != 0;
      call.in_progress = (flags & kInProgress) != 0;
      if (compact) {
        std::optional<double> no_duration;
        reader.EntityTimes(flags, false, &previous_start_micros, &call.start_time, &call.end_time,
                           &call.response_time, &no_duration);
      } else {
        if (flags & kHasResponseTime) call.response_time = reader.Double();
        if (has_times) reader.F64Times(flags, &call.start_time, &call.end_time);
      }
      reader.Http(flags, &call.http_status, &call.http_url, &call.http_method,
                  &call.http_user_agent, &call.http_client_ip);
      if (!reader.ok()) break;
    }
    if (!reader.ok()) break;
  }
  detail.fault_root_causes = reader.Causes(compact);
  detail.error_root_causes = reader.Causes(compact);
  detail.response_time_root_causes = reader.Causes(compact);
  if (!reader.ok()) return CorruptionError("trace detail: truncated or malformed");
  if (!reader.at_end()) return CorruptionError("trace detail: trailing bytes");
  return detail;
}

void AddInferredServiceIds(const TraceDetail& detail, TraceSummary* summary) {
  for (const ServiceNode& node : detail.nodes) {
    if (node.kind != NodeKind::kInferred) continue;
    if (std::find(summary->service_ids.begin(), summary->service_ids.end(), node.id) ==
        summary->service_ids.end()) {
      summary->service_ids.push_back(node.id);
    }
  }
}

}  // namespace roentgen::model
