// SPDX-License-Identifier: Apache-2.0
#include "net/udp_receiver.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/stats.h"

namespace roentgen::net {
namespace {

using std::chrono::milliseconds;

// Collects everything the receiver delivers. Thread-safe.
class Sink {
 public:
  void Add(std::span<const Datagram> batch) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Datagram& d : batch) {
      received_.push_back({std::string(d.payload), d.truncated, d.sender.port()});
    }
    cv_.notify_all();
  }
  // Waits until `count` datagrams arrived or `timeout` passed; returns the number arrived.
  size_t WaitFor(size_t count, milliseconds timeout = milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    return received_.size();
  }
  struct Item {
    std::string payload;
    bool truncated;
    uint16_t sender_port;
  };
  std::vector<Item> Items() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> received_;
};

// A plain UDP client socket bound to an ephemeral port on 127.0.0.1.
class Sender {
 public:
  Sender() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    socklen_t len = sizeof(local);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
    int sndbuf = 4 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  }
  ~Sender() { ::close(fd_); }
  bool Send(uint16_t to_port, const std::string& payload) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(to_port);
    return ::sendto(fd_, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to),
                    sizeof(to)) == static_cast<ssize_t>(payload.size());
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

std::string Payload(size_t index, size_t size) {
  std::string header =
      "{\"format\":\"json\",\"version\":1}\n{\"id\":\"" + std::to_string(index) + "\"";
  std::string out = header;
  while (out.size() < size) out.push_back(static_cast<char>('a' + (out.size() + index) % 26));
  out.resize(std::max(size, header.size()));
  return out;
}

UdpReceiver::Options LocalOptions() {
  UdpReceiver::Options options;
  options.address = "127.0.0.1";
  options.port = 0;
  return options;
}

TEST(Address, ParsesLiteralsAndLocalhost) {
  auto v4 = Address::Parse("127.0.0.1", 2000);
  ASSERT_TRUE(v4.ok()) << v4.error().ToString();
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:2000");

  auto local = Address::Parse("localhost", 80);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->ToString(), "127.0.0.1:80");

  auto v6 = Address::Parse("::1", 2000);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "[::1]:2000");
  auto bracketed = Address::Parse("[::]", 7);
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(bracketed->ToString(), "[::]:7");
  EXPECT_EQ(bracketed->port(), 7);

  for (const char* bad : {"", "example.com", "999.1.1.1", "1.2.3", "[::1", "::g"}) {
    auto r = Address::Parse(bad, 1);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_FALSE(Address().is_valid());
  EXPECT_EQ(Address().ToString(), "(none)");
}

TEST(UdpReceiver, ReceivesMaximumSizeAndBurstWithCounters) {
  Sink sink;
  StatsRegistry stats;
  UdpReceiver receiver(
      LocalOptions(), [&](std::span<const Datagram> b) { sink.Add(b); }, &stats);
  ASSERT_TRUE(receiver.Start().ok());
  ASSERT_NE(receiver.port(), 0);
  EXPECT_GT(receiver.receive_buffer_bytes(), 0u);

  Sender sender;
  std::vector<std::string> sent;
  sent.push_back(Payload(0, 65507));  // the largest IPv4 UDP payload
  ASSERT_TRUE(sender.Send(receiver.port(), sent[0]));
  ASSERT_EQ(sink.WaitFor(1), 1u);

  // 1000 datagrams in one burst when the socket buffer can hold them (it can when the
  // effective SO_RCVBUF is large, as root or with a high rmem_max); otherwise paced, so that
  // the test checks delivery rather than the host's buffer settings.
  const bool burst = receiver.receive_buffer_bytes() >= (4u << 20);
  for (size_t idx = 1; idx <= 1000; ++idx) {
    sent.push_back(Payload(idx, 100 + (idx * 37) % 1400));
    ASSERT_TRUE(sender.Send(receiver.port(), sent.back()));
    if (!burst && idx % 50 == 0) sink.WaitFor(idx + 1, milliseconds(2000));
  }
  ASSERT_EQ(sink.WaitFor(sent.size()), sent.size());

  std::vector<Sink::Item> items = sink.Items();
  ASSERT_EQ(items.size(), sent.size());
  uint64_t bytes = 0;
  for (size_t idx = 0; idx < sent.size(); ++idx) {
    // One sender over loopback: order is preserved.
    EXPECT_EQ(items[idx].payload, sent[idx]) << "datagram " << idx;
    EXPECT_FALSE(items[idx].truncated);
    EXPECT_EQ(items[idx].sender_port, sender.port());
    bytes += sent[idx].size();
  }
  UdpReceiver::Counters c = receiver.counters();
  EXPECT_EQ(c.datagrams, sent.size());
  EXPECT_EQ(c.bytes, bytes);
  EXPECT_EQ(c.truncated, 0u);
  EXPECT_EQ(c.kernel_drops, 0u);
  EXPECT_GE(c.batches, 1u);
  EXPECT_LE(c.batches, c.datagrams);
  EXPECT_EQ(stats.CounterValue("roentgen_udp_datagrams_total"), sent.size());
  EXPECT_EQ(stats.CounterValue("roentgen_udp_bytes_total"), bytes);
  receiver.Shutdown();
}

TEST(UdpReceiver, FlagsDatagramsLongerThanTheLimit) {
  Sink sink;
  UdpReceiver::Options options = LocalOptions();
  options.max_datagram_bytes = 1000;
  UdpReceiver receiver(options, [&](std::span<const Datagram> b) { sink.Add(b); });
  ASSERT_TRUE(receiver.Start().ok());
  Sender sender;
  const std::string exact = Payload(1, 1000);
  const std::string one_more = Payload(2, 1001);
  const std::string longer = Payload(3, 5000);
  ASSERT_TRUE(sender.Send(receiver.port(), exact));
  ASSERT_TRUE(sender.Send(receiver.port(), one_more));
  ASSERT_TRUE(sender.Send(receiver.port(), longer));
  ASSERT_EQ(sink.WaitFor(3), 3u);
  auto items = sink.Items();
  EXPECT_FALSE(items[0].truncated);
  EXPECT_EQ(items[0].payload, exact);
  EXPECT_TRUE(items[1].truncated);
  EXPECT_EQ(items[1].payload, one_more.substr(0, 1000));
  EXPECT_TRUE(items[2].truncated);
  EXPECT_EQ(items[2].payload, longer.substr(0, 1000));
  EXPECT_EQ(receiver.counters().truncated, 2u);
}

TEST(UdpReceiver, CountsKernelDrops) {
  // A tiny socket buffer and a callback that blocks: the kernel must drop, and SO_RXQ_OVFL
  // must account for every datagram that did not arrive.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  Sink sink;
  UdpReceiver::Options options = LocalOptions();
  options.receive_buffer_bytes = 4096;
  UdpReceiver receiver(options, [&](std::span<const Datagram> b) {
    sink.Add(b);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  ASSERT_TRUE(receiver.Start().ok());
  Sender sender;
  constexpr size_t kSent = 500;
  for (size_t idx = 0; idx < kSent; ++idx) {
    ASSERT_TRUE(sender.Send(receiver.port(), Payload(idx, 1000)));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  // Let the receiver drain what the kernel kept, then send a sentinel: it carries the final
  // drop count.
  uint64_t before;
  do {
    before = receiver.counters().datagrams;
    std::this_thread::sleep_for(milliseconds(100));
  } while (receiver.counters().datagrams != before);
  ASSERT_TRUE(sender.Send(receiver.port(), "sentinel"));
  ASSERT_EQ(sink.WaitFor(before + 1), before + 1);
  UdpReceiver::Counters c = receiver.counters();
  EXPECT_GT(c.kernel_drops, 0u);
  EXPECT_EQ(c.datagrams + c.kernel_drops, kSent + 1);
}

TEST(UdpReceiver, ShutdownIsPromptAndIdempotent) {
  UdpReceiver receiver(LocalOptions(), [](std::span<const Datagram>) {});
  ASSERT_TRUE(receiver.Start().ok());
  const auto start = std::chrono::steady_clock::now();
  receiver.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  receiver.Shutdown();

  UdpReceiver never_started(LocalOptions(), [](std::span<const Datagram>) {});
  never_started.Shutdown();
}

TEST(UdpReceiver, BindErrorsNameTheAddress) {
  UdpReceiver first(LocalOptions(), [](std::span<const Datagram>) {});
  ASSERT_TRUE(first.Start().ok());
  UdpReceiver::Options options = LocalOptions();
  options.port = first.port();
  UdpReceiver second(options, [](std::span<const Datagram>) {});
  Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos)
      << status.ToString();

  options.address = "not-an-address";
  UdpReceiver bad(options, [](std::span<const Datagram>) {});
  status = bad.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("not-an-address"), std::string::npos);
}

TEST(UdpReceiver, ReceivesOverIpv6Loopback) {
  Sink sink;
  UdpReceiver::Options options = LocalOptions();
  options.address = "::1";
  UdpReceiver receiver(options, [&](std::span<const Datagram> b) { sink.Add(b); });
  Status status = receiver.Start();
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback: " << status.ToString();
  int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = in6addr_loopback;
  to.sin6_port = htons(receiver.port());
  const std::string payload = Payload(7, 300);
  ASSERT_EQ(
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
      static_cast<ssize_t>(payload.size()));
  ::close(fd);
  ASSERT_EQ(sink.WaitFor(1), 1u);
  EXPECT_EQ(sink.Items()[0].payload, payload);
}

}  // namespace
}  // namespace roentgen::net
