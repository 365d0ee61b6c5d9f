// SPDX-License-Identifier: Apache-2.0
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "roentgen/sdk/emitter.h"

namespace roentgen::sdk {
namespace {

// A UDP socket on 127.0.0.1:0, standing in for the daemon.
class UdpSink {
 public:
  UdpSink() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    int size = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  ~UdpSink() { ::close(fd_); }
  uint16_t port() const { return port_; }
  // One datagram, or "" after `timeout_ms`.
  std::string Receive(int timeout_ms = 2000) {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0) return "";
    std::string buf(70000, '\0');
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST(UdpEmitter, SendsOneDatagramPerDocumentWithTheDaemonHeader) {
  UdpSink sink;
  UdpEmitter emitter({"127.0.0.1", sink.port(), 16});
  std::string doc = "{\"name\":\"a\",\"id\":\"70de5b6f19ff9a0a\"}";
  ASSERT_TRUE(emitter.Send(doc));
  EXPECT_EQ(sink.Receive(), "{\"format\":\"json\",\"version\":1}\n" + doc);
  // The largest allowed document still fits one datagram under 64 KiB.
  std::string big = "{\"pad\":\"" + std::string(kMaxDocumentBytes - 10, 'x') + "\"}";
  ASSERT_EQ(big.size(), kMaxDocumentBytes);
  ASSERT_TRUE(emitter.Send(big));
  std::string datagram = sink.Receive();
  EXPECT_EQ(datagram.size(), kMaxDatagramBytes);
  EXPECT_LE(datagram.size(), 65536u);
  EXPECT_FALSE(emitter.Send(big + " "));  // over the limit: refused, counted
  EXPECT_TRUE(emitter.Flush(2));
  EmitterStats stats = emitter.stats();
  EXPECT_EQ(stats.sent, 2u);
  EXPECT_EQ(stats.dropped_too_large, 1u);
}

TEST(UdpEmitter, SendLaterBuildsOnTheSenderThread) {
  UdpSink sink;
  UdpEmitter emitter({"127.0.0.1", sink.port(), 16});
  std::thread::id caller = std::this_thread::get_id();
  std::thread::id builder;
  ASSERT_TRUE(emitter.SendLater([&builder](std::vector<std::string>& out) {
    builder = std::this_thread::get_id();
    out.push_back("{\"n\":1}");
    out.push_back(std::string(kMaxDocumentBytes + 1, 'x'));  // too large: counted, not sent
    out.push_back("{\"n\":2}");
  }));
  EXPECT_EQ(sink.Receive(), "{\"format\":\"json\",\"version\":1}\n{\"n\":1}");
  EXPECT_EQ(sink.Receive(), "{\"format\":\"json\",\"version\":1}\n{\"n\":2}");
  EXPECT_TRUE(emitter.Flush(2));
  EXPECT_NE(builder, caller);
  EmitterStats stats = emitter.stats();
  EXPECT_EQ(stats.queued, 1u);
  EXPECT_EQ(stats.sent, 2u);
  EXPECT_EQ(stats.dropped_too_large, 1u);
}

TEST(UdpEmitter, NeverBlocksAndCountsDrops) {
  UdpSink sink;
  UdpEmitter emitter({"127.0.0.1", sink.port(), 8});
  constexpr int kDocuments = 20000;
  std::string doc(2000, 'x');
  int accepted = 0;
  auto start = std::chrono::steady_clock::now();
  for (int idx = 0; idx < kDocuments; ++idx) accepted += emitter.Send(doc);
  auto elapsed = std::chrono::steady_clock::now() - start;
  // 20,000 sends of 2 KB with an 8-deep queue: the caller only ever appends or drops.
  EXPECT_LT(std::chrono::duration<double>(elapsed).count(), 1.0);
  EXPECT_TRUE(emitter.Flush(5));
  EmitterStats stats = emitter.stats();
  EXPECT_EQ(stats.queued, static_cast<uint64_t>(accepted));
  EXPECT_EQ(stats.queued + stats.dropped_queue_full, static_cast<uint64_t>(kDocuments));
  EXPECT_GT(stats.dropped_queue_full, 0u);
  EXPECT_EQ(stats.sent + stats.send_errors, stats.queued);
}

TEST(UdpEmitter, ShutdownIsIdempotentAndRefusesAfterwards) {
  UdpSink sink;
  UdpEmitter emitter({"127.0.0.1", sink.port(), 8});
  EXPECT_TRUE(emitter.Send("{}"));
  emitter.Shutdown(1);
  emitter.Shutdown(1);
  EXPECT_FALSE(emitter.Send("{}"));
  EXPECT_EQ(sink.Receive(), "{\"format\":\"json\",\"version\":1}\n{}");
}

TEST(UdpEmitter, UnresolvableHostCountsErrorsWithoutThrowing) {
  UdpEmitter emitter({"no-such-host.invalid", 2000, 8});
  EXPECT_TRUE(emitter.Send("{}"));
  EXPECT_TRUE(emitter.Flush(5));
  EXPECT_EQ(emitter.stats().send_errors, 1u);
}

}  // namespace
}  // namespace roentgen::sdk
