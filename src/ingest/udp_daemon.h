// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>

#include "base/stats.h"
#include "base/status.h"
#include "model/tenant.h"
#include "net/udp_receiver.h"
#include "parse/daemon_datagram.h"
#include "parse/segment_parser.h"
#include "store/store.h"

namespace roentgen::ingest {

// The X-Ray daemon's UDP side: receives datagrams in batches, checks the header line,
// parses and validates each segment document, and hands every batch's valid documents to
// the store in one Append. A bad datagram is dropped and counted by reason
// (roentgen_udp_dropped_total{reason=...}); nothing is ever answered on UDP.
// Thread-safe; the work runs on the receiver's thread.
class UdpDaemon {
 public:
  struct Options {
    net::UdpReceiver::Options receiver;
    model::TenantId tenant = std::string(model::kDefaultTenant);
    parse::ParseLimits parse_limits;
  };

  // `store` and `stats` must outlive the daemon.
  UdpDaemon(Options options, store::Store& store, StatsRegistry& stats);
  ~UdpDaemon();

  Status Start();
  void Shutdown();
  uint16_t port() const { return receiver_->port(); }

 private:
  void OnBatch(std::span<const net::Datagram> batch);
  Counter& DropCounter(std::string_view reason);

  Options options_;
  store::Store& store_;
  StatsRegistry& stats_;
  std::unique_ptr<net::UdpReceiver> receiver_;
  Counter* received_;
  Counter* accepted_;
};

}  // namespace roentgen::ingest
