// SPDX-License-Identifier: Apache-2.0
#include "sampling/internal/quota.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace roentgen::sampling::internal {

void QuotaAllocator::Prune(int64_t now) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    Client& client = it->second;
    if (client.grant.has_value() && client.grant->expires < now) client.grant.reset();
    if (!client.grant.has_value() && client.last_report < now - options_.idle_seconds) {
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
}

int64_t QuotaAllocator::Allocate(std::string_view client_id, int64_t now, int64_t request_count,
                                 int64_t reservoir, int64_t expires) {
  reservoir = std::max<int64_t>(reservoir, 0);
  request_count = std::max<int64_t>(request_count, 0);
  Prune(now);
  auto found = clients_.find(client_id);
  if (found == clients_.end()) {
    if (clients_.size() >= options_.max_clients) return 0;
    found = clients_.emplace(std::string(client_id), Client{}).first;
    found->second.last_report = now - options_.default_period_seconds;
  }
  Client& client = found->second;
  int64_t period = std::max<int64_t>(1, now - client.last_report);
  client.rate = static_cast<double>(request_count) / static_cast<double>(period);
  client.last_report = std::max(client.last_report, now);

  // Water-filling: the clients that reported recently, smallest demand first (ties by id, so
  // that equal clients keep the same shares from one report to the next).
  struct Demand {
    int64_t demand;
    const std::string* id;
    int64_t share = 0;
  };
  std::vector<Demand> demands;
  for (const auto& [id, state] : clients_) {
    if (state.last_report < now - options_.idle_seconds || state.rate <= 0) continue;
    double wanted = std::min(std::ceil(state.rate), static_cast<double>(reservoir));
    demands.push_back(Demand{static_cast<int64_t>(wanted), &id});
  }
  std::sort(demands.begin(), demands.end(), [](const Demand& a, const Demand& b) {
    return a.demand != b.demand ? a.demand < b.demand : *a.id < *b.id;
  });
  int64_t remaining = reservoir;
  for (size_t idx = 0; idx < demands.size(); ++idx) {
    int64_t fair = remaining / static_cast<int64_t>(demands.size() - idx);
    demands[idx].share = std::min(demands[idx].demand, fair);
    remaining -= demands[idx].share;
  }
  int64_t desired = 0;
  for (const Demand& demand : demands) {
    if (*demand.id == found->first) desired = demand.share;
  }

  // What the other clients may still use from `now` on bounds this client's quota.
  int64_t committed = 0;
  for (const auto& [id, state] : clients_) {
    if (&state != &client) committed += state.ValidAt(now);
  }
  int64_t quota = std::clamp<int64_t>(reservoir - committed, 0, desired);
  client.grant = Grant{quota, std::max(expires, now)};
  return quota;
}

int64_t QuotaAllocator::OutstandingAt(int64_t s) const {
  int64_t total = 0;
  for (const auto& [id, client] : clients_) total += client.ValidAt(s);
  return total;
}

}  // namespace roentgen::sampling::internal
