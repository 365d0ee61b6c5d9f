// SPDX-License-Identifier: Apache-2.0
// Sending segment documents to the daemon address over UDP: one datagram per document,
// `{"format":"json","version":1}\n{document}` (xray-protocol.md §4.1).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen::sdk {

inline constexpr std::string_view kDaemonHeader = "{\"format\":\"json\",\"version\":1}\n";
// Largest datagram the SDK sends, header included: below the daemon's 64 KiB buffer and the
// IPv4 UDP payload limit of 65,507 bytes.
inline constexpr size_t kMaxDatagramBytes = 64000;
inline constexpr size_t kMaxDocumentBytes = kMaxDatagramBytes - kDaemonHeader.size();

// Where finished documents go. Implementations are thread-safe, and Send never blocks on I/O.
class Emitter {
 public:
  virtual ~Emitter() = default;
  // Queues one segment document (JSON without the daemon header). Returns false when it was
  // dropped (queue full, too large, shut down).
  virtual bool Send(std::string document) = 0;
  // Produces documents later: `build` appends them to its argument. The default runs it now
  // and Sends each; UdpEmitter runs it on its sender thread, so that serialization stays off
  // the request thread. Returns false when dropped (then `build` never runs).
  using DocumentBuilder = std::function<void(std::vector<std::string>&)>;
  virtual bool SendLater(DocumentBuilder build) {
    std::vector<std::string> documents{};
    build(documents);
    bool all_sent = true;
    for (std::string& document : documents) all_sent &= Send(std::move(document));
    return all_sent;
  }
  // Waits up to `timeout_s` for queued documents to go out. Returns true if the queue drained.
  virtual bool Flush(double timeout_s) {
    (void)timeout_s;
    return true;
  }
  // Sends what is queued (bounded by `timeout_s`), then stops. Idempotent.
  virtual void Shutdown(double timeout_s) { (void)timeout_s; }
};

struct EmitterStats {
  uint64_t queued = 0;              // Send / SendLater calls accepted
  uint64_t sent = 0;                // datagrams sent
  uint64_t dropped_queue_full = 0;  // calls refused (queue full, shut down) or left at shutdown
  uint64_t dropped_too_large = 0;   // documents over kMaxDocumentBytes
  uint64_t send_errors = 0;         // failed sendto (unresolved host, no route, …)
};

// A bounded queue drained by one background thread that owns the UDP socket. Thread-safe.
// Overflow policy: drop the newest document and count it. Documents from SendLater are
// serialized on the sender thread.
class UdpEmitter final : public Emitter {
 public:
  struct Options {
    std::string host = "127.0.0.1";  // UDP side of AWS_XRAY_DAEMON_ADDRESS; resolved once
    uint16_t port = 2000;
    size_t queue_capacity = 4096;  // documents
  };
  explicit UdpEmitter(Options options);
  ~UdpEmitter() override;  // Shutdown(1)
  UdpEmitter(const UdpEmitter&) = delete;
  UdpEmitter& operator=(const UdpEmitter&) = delete;

  bool Send(std::string document) override;
  bool SendLater(DocumentBuilder build) override;
  bool Flush(double timeout_s) override;
  void Shutdown(double timeout_s) override;
  EmitterStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace roentgen::sdk
