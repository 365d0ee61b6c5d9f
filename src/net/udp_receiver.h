// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "base/stats.h"
#include "base/status.h"
#include "net/address.h"

namespace roentgen::net {

// One received UDP datagram, as handed to UdpReceiver's callback.
struct Datagram {
  // The bytes received, at most Options::max_datagram_bytes of them. Points into the receiver's
  // buffers: valid only until the callback returns.
  std::string_view payload;
  // True when the datagram was longer than Options::max_datagram_bytes; `payload` then holds
  // only its first max_datagram_bytes bytes and should be dropped by the consumer.
  bool truncated = false;
  Address sender;
};

// Receives UDP datagrams (the X-Ray daemon protocol, xray-protocol.md section 4.1) on one
// socket and hands them to a callback in batches, from one receive thread that it owns.
//
// The thread waits in poll(2) on the socket and an eventfd used for shutdown, then drains the
// socket with recvmmsg(2), up to Options::batch_size datagrams per call. Each buffer is
// max_datagram_bytes + 1 bytes long, so a longer datagram is detected (MSG_TRUNC or the extra
// byte) and flagged instead of silently cut. The socket gets a large SO_RCVBUF, because senders
// are fire-and-forget, and SO_RXQ_OVFL, so that datagrams the kernel drops for lack of buffer
// space are counted.
//
// Thread-safety: Start() and Shutdown() must be called by one owning thread (not concurrently
// with each other); counters(), port() and receive_buffer_bytes() are thread-safe. The callback
// runs on the receive thread only, one batch at a time; while it runs no more datagrams are
// read, so it should hand the work off quickly (a slow callback makes the kernel drop).
class UdpReceiver {
 public:
  struct Options {
    // IPv4/IPv6 literal or "localhost" (see Address::Parse).
    std::string address = "127.0.0.1";
    // 0 picks an ephemeral port; port() reports it after Start().
    uint16_t port = 2000;
    // Requested SO_RCVBUF. 32 MiB absorbs about 100k small segments of burst. As root it is set
    // with SO_RCVBUFFORCE; otherwise the kernel caps it at net.core.rmem_max (the effective
    // size is logged and reported by receive_buffer_bytes()).
    size_t receive_buffer_bytes = 32 * 1024 * 1024;
    // Datagrams per recvmmsg call and per callback batch.
    size_t batch_size = 64;
    // Longest datagram delivered whole. 64 KiB matches the X-Ray daemon's buffers and exceeds
    // the largest possible UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).
    size_t max_datagram_bytes = 64 * 1024;
  };

  // Called on the receive thread with a non-empty batch.
  using BatchCallback = std::function<void(std::span<const Datagram> batch)>;

  // Totals since Start().
  struct Counters {
    uint64_t datagrams = 0;     // datagrams received, truncated ones included
    uint64_t bytes = 0;         // payload bytes received (as delivered, after truncation)
    uint64_t truncated = 0;     // datagrams longer than max_datagram_bytes
    uint64_t kernel_drops = 0;  // datagrams the kernel dropped on this socket (SO_RXQ_OVFL)
    uint64_t batches = 0;       // callback invocations
  };

  // `stats` (nullable; must outlive this object) additionally receives the counters as
  // roentgen_udp_{datagrams,bytes,truncated,kernel_drops}_total.
  UdpReceiver(Options options, BatchCallback callback, StatsRegistry* stats = nullptr);
  // Calls Shutdown().
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  // Opens and binds the socket and starts the receive thread. Errors (IoError or
  // InvalidArgument) name the address, e.g. "udp: bind 127.0.0.1:2000: Address already in
  // use". REQUIRES: called at most once.
  Status Start();

  // Stops the receive thread and closes the socket; returns once the thread has exited (after
  // the callback in progress, if any, returns). Datagrams still queued in the kernel are
  // discarded. Idempotent; safe to call without Start().
  void Shutdown();

  // The bound port; 0 before Start().
  uint16_t port() const { return bound_port_.load(std::memory_order_relaxed); }
  // The effective SO_RCVBUF as reported by the kernel (which doubles the requested value for
  // bookkeeping overhead); 0 before Start().
  size_t receive_buffer_bytes() const { return effective_rcvbuf_.load(std::memory_order_relaxed); }
  Counters counters() const;

 private:
  void Run();
  // Receives one recvmmsg batch; returns the number of datagrams, 0 when the socket is
  // drained, or -1 on an error other than EAGAIN/EINTR.
  int ReceiveBatch();
  void SetReceiveBuffer();

  // Immutable after construction.
  const Options options_;
  const BatchCallback callback_;

  // Set by Start(), read by the receive thread.
  int fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;

  // Owned by the receive thread (allocated by Start()).
  struct BatchBuffers;
  std::unique_ptr<BatchBuffers> buffers_;
  uint32_t last_drop_count_ = 0;

  std::atomic<uint16_t> bound_port_{0};
  std::atomic<size_t> effective_rcvbuf_{0};
  std::atomic<bool> stop_{false};

  // Local counters (thread-safe), plus the registry's when one was given.
  Counter datagrams_, bytes_, truncated_, kernel_drops_, batches_;
  Counter* stats_datagrams_ = nullptr;
  Counter* stats_bytes_ = nullptr;
  Counter* stats_truncated_ = nullptr;
  Counter* stats_kernel_drops_ = nullptr;
};

}  // namespace roentgen::net
