// SPDX-License-Identifier: Apache-2.0
#include "ingest/udp_daemon.h"

#include <fmt/format.h>

namespace roentgen::ingest {
namespace {
constexpr std::string_view kDroppedName = "roentgen_udp_dropped_total";
constexpr std::string_view kDroppedHelp =
    "UDP datagrams dropped before storage, by reason (datagram framing, segment validation "
    "error code, queue_full, trace_too_large).";
}  // namespace

UdpDaemon::UdpDaemon(Options options, store::Store& store, StatsRegistry& stats)
    : options_(std::move(options)), store_(store), stats_(stats) {
  received_ = &stats.GetCounter("roentgen_udp_documents_received_total",
                                "UDP datagrams handed to the segment parser.");
  accepted_ = &stats.GetCounter("roentgen_udp_documents_accepted_total",
                                "UDP segment documents stored durably.");
  for (auto reason : parse::kAllDatagramDropReasons)
    DropCounter(parse::DatagramDropReasonName(reason));
  DropCounter("queue_full");
  DropCounter("trace_too_large");
  receiver_ = std::make_unique<net::UdpReceiver>(
      options_.receiver, [this](std::span<const net::Datagram> batch) { OnBatch(batch); }, &stats);
}

UdpDaemon::~UdpDaemon() { Shutdown(); }

Counter& UdpDaemon::DropCounter(std::string_view reason) {
  return stats_.GetCounter(kDroppedName, kDroppedHelp, fmt::format("reason=\"{}\"", reason));
}

Status UdpDaemon::Start() { return receiver_->Start(); }

void UdpDaemon::Shutdown() {
  if (receiver_) receiver_->Shutdown();
}

void UdpDaemon::OnBatch(std::span<const net::Datagram> batch) {
  std::vector<store::IncomingDocument> documents;
  documents.reserve(batch.size());
  for (const net::Datagram& datagram : batch) {
    if (datagram.truncated) {
      DropCounter(parse::DatagramDropReasonName(parse::DatagramDropReason::kTooLarge)).Add();
      continue;
    }
    parse::DatagramDropReason reason;
    auto body = parse::SplitDaemonDatagram(datagram.payload, &reason);
    if (!body.ok()) {
      DropCounter(parse::DatagramDropReasonName(reason)).Add();
      continue;
    }
    received_->Add();
    // Validation only: the store keeps the raw text and builds the model once per trace.
    parse::ParseFailure failure;
    auto header = parse::ValidateSegmentDocument(*body, options_.parse_limits, &failure);
    if (!header.ok()) {
      DropCounter(failure.error_code).Add();
      continue;
    }
    store::IncomingDocument doc;
    doc.trace_id = header->trace_id;
    doc.id = header->id;
    doc.is_subsegment = header->kind == model::DocumentKind::kSubsegment;
    doc.in_progress = header->in_progress;
    doc.raw = std::string(*body);
    documents.push_back(std::move(doc));
  }
  if (documents.empty()) return;
  size_t count = documents.size();
  Status status =
      store_.Append(options_.tenant, std::move(documents), [this](store::AppendResult result) {
        uint64_t stored = 0;
        for (auto outcome : result.outcomes) {
          if (outcome == store::DocumentOutcome::kStored) {
            ++stored;
          } else if (outcome == store::DocumentOutcome::kTraceTooLarge) {
            DropCounter("trace_too_large").Add();
          } else {
            DropCounter("store_error").Add();
          }
        }
        accepted_->Add(stored);
      });
  if (!status.ok()) {
    DropCounter(status.code() == StatusCode::kResourceExhausted ? "queue_full" : "store_error")
        .Add(count);
  }
}

}  // namespace roentgen::ingest
