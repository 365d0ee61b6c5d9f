// SPDX-License-Identifier: Apache-2.0
#pragma once

// The baseline for UDP ingest: a bare receiver that does what roentgen's net::UdpReceiver
// does at the socket (poll + eventfd, recvmmsg batches of 64 into 64 KiB + 1 buffers, a
// 32 MiB SO_RCVBUF set with SO_RCVBUFFORCE when allowed, SO_RXQ_OVFL drop counts) and
// nothing else: it counts datagrams and bytes. The gap between it and roentgen is the cost of
// parsing, validating and storing.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace roentgen::bench {

// Thread-safe: Start()/Stop() from one owning thread; counters() from any thread.
class UdpSink {
 public:
  struct Options {
    uint16_t port = 0;  // 0: an ephemeral port on 127.0.0.1
    size_t receive_buffer_bytes = 32 * 1024 * 1024;
    size_t batch_size = 64;
    size_t max_datagram_bytes = 64 * 1024;
  };

  struct Counters {
    uint64_t datagrams = 0;
    uint64_t bytes = 0;
    uint64_t kernel_drops = 0;     // from SO_RXQ_OVFL (reported with the next datagram)
    double last_receive_mono = 0;  // MonoSeconds() after the last batch with data
    double cpu_seconds = 0;        // CPU time of the receive thread
  };

  explicit UdpSink(Options options) : options_(options) {}
  ~UdpSink();
  UdpSink(const UdpSink&) = delete;
  UdpSink& operator=(const UdpSink&) = delete;

  // Binds 127.0.0.1:port and starts the receive thread. False with *error on failure.
  bool Start(std::string* error);
  // Stops the thread and closes the socket. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  // The SO_RCVBUF the kernel reports (twice the usable size).
  int effective_receive_buffer() const { return effective_rcvbuf_; }
  Counters counters() const;

 private:
  void Run();

  // Immutable after Start().
  const Options options_;
  int fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  int effective_rcvbuf_ = 0;
  std::thread thread_;
  clockid_t thread_clock_{};
  bool has_thread_clock_ = false;

  // Written by the receive thread.
  std::atomic<uint64_t> datagrams_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> kernel_drops_{0};
  std::atomic<double> last_receive_mono_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace roentgen::bench
