// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "roentgen/sdk/recorder.h"

namespace roentgen::sdk::internal {

// What every segment of one recorder shares. Immutable after construction except the
// atomic counters; handles keep it alive past the Recorder.
struct RecorderCore {
  std::string service_name;
  std::string service_version;
  std::string origin;
  std::string working_directory;
  DaemonAddress daemon;
  ContextMissingStrategy context_missing = ContextMissingStrategy::kLogError;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<Emitter> emitter;
  const Clock* clock = nullptr;
  size_t streaming_threshold = 100;
  std::function<void(std::string_view)> logger;

  std::atomic<uint64_t> segments_sent{0};
  std::atomic<uint64_t> subsegments_streamed{0};
  std::atomic<uint64_t> documents_dropped{0};
  std::atomic<uint64_t> invalid_annotations{0};
  std::atomic<uint64_t> context_missing_count{0};

  void Log(std::string_view message) const;
};

struct EntityData;

// One segment tree. Invariants (under mu):
//   1. open_count = number of entities of this tree (root included) not yet ended, counting
//      detached (streamed) ones only once they are ended, i.e. never;
//   2. a subtree is streamed or split off only when it and all its descendants have ended;
//   3. the root document is sent once, when the root has ended and open_count is 0.
struct SegmentState {
  std::shared_ptr<RecorderCore> core;
  std::mutex mu;
  // Immutable after BeginSegment.
  std::string trace_id;
  std::string parent_id;
  bool sampled = false;
  std::string rule_name;
  SampledFlag upstream_flag = SampledFlag::kUnknown;
  std::string lineage;
  std::vector<std::pair<std::string, std::string>> extra;
  // Guarded by mu.
  size_t open_count = 0;
  size_t subsegment_count = 0;  // subsegments attached to the tree
  bool sent = false;
  std::weak_ptr<EntityData> root;  // owned by the Segment handles
  // Holds the root between its End() and the end of its last open subsegment, so that the
  // document is sent even if every Segment handle is gone by then (a cycle only until sent).
  std::shared_ptr<EntityData> pending_root;
};

// One segment or subsegment. All fields guarded by segment->mu except the immutable ones.
struct EntityData {
  // Immutable after creation.
  std::shared_ptr<SegmentState> segment;
  bool is_segment = false;
  std::string id;
  std::string parent_id;  // subsegments: the enclosing entity's id
  std::weak_ptr<EntityData> parent;
  double start_time = 0;
  // Guarded by segment->mu.
  std::string name;
  std::string name_space;
  double end_time = 0;
  bool ended = false;
  bool error = false, fault = false, throttle = false;
  bool traced = false;
  Json::Object annotations;
  std::vector<std::pair<std::string, Json::Object>> metadata;
  Json::Object http_request;
  Json::Object http_response;
  Json::Object aws;
  Json::Object sql;
  std::string user, origin, service_version, resource_arn;
  Json::Array exceptions;
  std::vector<std::shared_ptr<EntityData>> subsegments;
};

}  // namespace roentgen::sdk::internal
