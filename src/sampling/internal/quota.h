// SPDX-License-Identifier: Apache-2.0
#pragma once

// The reservoir split of one sampling rule across its clients (docs/sampling.md "Quotas").
//
// Each report of a client asks for a new per-second quota. The client's fair share comes from
// water-filling the rule's ReservoirSize over the clients that reported recently, each
// demanding its observed request rate (rounded up, capped at the reservoir); the share is
// then cut to what the other clients' still-valid quotas leave free. A client's new quota
// replaces its previous one (the SDKs overwrite it), so a client that shrinks gives its share
// back at once, and a fleet converges one report period after its last client appeared.
// Rejected alternative: counting every quota until its TTL even after the client got a newer
// one (safe even if an answer is lost, but it kept a departed share locked for a whole TTL and
// a new fleet needed two to three report periods to converge). The cost: a client whose
// answer is lost keeps its older quota until that quota's TTL (interval + slack seconds).

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace roentgen::sampling::internal {

// Not thread-safe; externally synchronized.
//
// Invariants:
//  1. Each client's latest grant is recorded until its expiry second has passed.
//  2. For every second s >= the last Allocate's `now`, OutstandingAt(s) (the sum of the
//     latest grants valid at s) <= the largest `reservoir` passed to Allocate while those
//     grants were issued.
class QuotaAllocator {
 public:
  struct Options {
    int64_t default_period_seconds = 10;  // assumed report period of a client's first report
    int64_t idle_seconds = 30;            // reports older than this do not ask for a share
    size_t max_clients = 10000;           // further clients get quota 0 and are not tracked
  };
  explicit QuotaAllocator(Options options) : options_(options) {}

  // Records that `client` reported `request_count` requests at second `now` and returns its
  // quota (requests per second, >= 0), valid through second `expires` (>= now).
  // `reservoir` is the rule's ReservoirSize (negative counts as 0).
  int64_t Allocate(std::string_view client, int64_t now, int64_t request_count, int64_t reservoir,
                   int64_t expires);

  // Sum over clients of their latest quota, if it is valid at second `s`.
  int64_t OutstandingAt(int64_t s) const;
  size_t client_count() const { return clients_.size(); }

 private:
  struct Grant {
    int64_t quota;
    int64_t expires;  // valid while s <= expires
  };
  struct Client {
    int64_t last_report = 0;
    double rate = 0;             // requests per second in its last report
    std::optional<Grant> grant;  // the latest
    int64_t ValidAt(int64_t s) const {
      return grant.has_value() && grant->expires >= s ? grant->quota : 0;
    }
  };
  void Prune(int64_t now);

  const Options options_;
  std::map<std::string, Client, std::less<>> clients_;
};

}  // namespace roentgen::sampling::internal
