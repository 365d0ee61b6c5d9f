// SPDX-License-Identifier: Apache-2.0
#include "net/udp_receiver.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>

#include <sys/eventfd.h>
#include <sys/socket.h>

#include "base/logging.h"

// SO_RXQ_OVFL has been in Linux since 2.6.33, but older libc headers may lack it.
#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

namespace roentgen::net {
namespace {

// Room for one SO_RXQ_OVFL control message (a uint32_t drop count) per datagram.
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(uint32_t));

void CloseFd(int* fd) {
  if (*fd >= 0) {
    ::close(*fd);
    *fd = -1;
  }
}

}  // namespace

// recvmmsg(2) state for one batch, reused across calls.
struct UdpReceiver::BatchBuffers {
  BatchBuffers(size_t batch, size_t slot_bytes)
      : slot(slot_bytes),
        data(batch * slot_bytes),
        control(batch * kControlBytes),
        msgs(batch),
        iovs(batch),
        senders(batch) {
    datagrams.reserve(batch);
  }

  const size_t slot;  // bytes per datagram buffer
  std::vector<char> data;
  std::vector<char> control;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_storage> senders;
  std::vector<Datagram> datagrams;
};

UdpReceiver::UdpReceiver(Options options, BatchCallback callback, StatsRegistry* stats)
    : options_(std::move(options)), callback_(std::move(callback)) {
  if (stats != nullptr) {
    stats_datagrams_ = &stats->GetCounter("roentgen_udp_datagrams_total",
                                          "UDP datagrams received (truncated ones included)");
    stats_bytes_ = &stats->GetCounter("roentgen_udp_bytes_total", "UDP payload bytes received");
    stats_truncated_ = &stats->GetCounter("roentgen_udp_truncated_total",
                                          "UDP datagrams longer than the receive buffer");
    stats_kernel_drops_ = &stats->GetCounter(
        "roentgen_udp_kernel_drops_total",
        "UDP datagrams dropped by the kernel because the socket buffer was full");
  }
}

UdpReceiver::~UdpReceiver() { Shutdown(); }

UdpReceiver::Counters UdpReceiver::counters() const {
  Counters c;
  c.datagrams = datagrams_.value();
  c.bytes = bytes_.value();
  c.truncated = truncated_.value();
  c.kernel_drops = kernel_drops_.value();
  c.batches = batches_.value();
  return c;
}

Status UdpReceiver::Start() {
  if (started_) return FailedPreconditionError("udp: Start() called twice");
  started_ = true;
  if (options_.batch_size == 0 || options_.batch_size > 1024 || options_.max_datagram_bytes == 0 ||
      options_.max_datagram_bytes > (1u << 20)) {
    return InvalidArgumentError("udp: batch_size must be 1..1024 and max_datagram_bytes 1..1 MiB");
  }
  Result<Address> parsed = Address::Parse(options_.address, options_.port);
  if (!parsed.ok()) return parsed.error().WithContext("udp");
  const Address& address = parsed.value();
  const std::string name = address.ToString();

  fd_ = ::socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return ErrnoError("udp: socket for", name, errno);
  if (::bind(fd_, address.sockaddr_ptr(), address.length()) != 0) {
    const int err = errno;
    CloseFd(&fd_);
    return ErrnoError("udp: bind", name, err);
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    const int err = errno;
    CloseFd(&fd_);
    return ErrnoError("udp: getsockname", name, err);
  }
  bound_port_.store(Address::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_len).port(),
                    std::memory_order_relaxed);

  SetReceiveBuffer();
  const int on = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)) != 0) {
    // Not fatal: we only lose the drop count.
    RG_LOG(kWarning, "udp: SO_RXQ_OVFL unavailable on {} ({}); kernel drops will not be counted",
           name, std::strerror(errno));
  }

  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    const int err = errno;
    CloseFd(&fd_);
    return ErrnoError("udp: eventfd for", name, err);
  }

  buffers_ = std::make_unique<BatchBuffers>(options_.batch_size, options_.max_datagram_bytes + 1);
  try {
    thread_ = std::thread([this] { Run(); });
  } catch (const std::exception& e) {
    CloseFd(&fd_);
    CloseFd(&wake_fd_);
    return InternalError(std::string("udp: cannot start the receive thread: ") + e.what());
  }
  RG_LOG(kInfo, "udp: listening on {} (SO_RCVBUF {} bytes)",
         Address::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_len).ToString(),
         effective_rcvbuf_.load(std::memory_order_relaxed));
  return Status::Ok();
}

void UdpReceiver::SetReceiveBuffer() {
  const int requested =
      static_cast<int>(std::min<size_t>(options_.receive_buffer_bytes, INT_MAX / 2));
  // SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN; fall back quietly.
  bool forced = ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &requested, sizeof(requested)) == 0;
  if (!forced) {
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &requested, sizeof(requested)) != 0) {
      RG_LOG(kWarning, "udp: setsockopt(SO_RCVBUF, {}) failed: {}", requested,
             std::strerror(errno));
    }
  }
  int effective = 0;
  socklen_t len = sizeof(effective);
  if (::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &effective, &len) != 0) effective = 0;
  effective_rcvbuf_.store(static_cast<size_t>(std::max(effective, 0)), std::memory_order_relaxed);
  // The kernel reports twice the usable size it granted.
  if (effective / 2 < requested) {
    RG_LOG(kWarning,
           "udp: receive buffer is {} bytes, less than the {} requested; raise "
           "net.core.rmem_max or run with CAP_NET_ADMIN to avoid drops under bursts",
           effective, requested);
  }
}

void UdpReceiver::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  stop_.store(true, std::memory_order_relaxed);
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    // Cannot fail short of a bug: the counter cannot overflow with one write.
    [[maybe_unused]] ssize_t written = ::write(wake_fd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  CloseFd(&fd_);
  CloseFd(&wake_fd_);
}

void UdpReceiver::Run() {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  int consecutive_errors = 0;
  while (!stop_.load(std::memory_order_relaxed)) {
    fds[0].revents = 0;
    fds[1].revents = 0;
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      RG_LOG(kError, "udp: poll failed: {}; receive thread exits", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // Shutdown()
    // Drain the socket, checking for shutdown between batches.
    while (!stop_.load(std::memory_order_relaxed)) {
      const int received = ReceiveBatch();
      if (received < 0) {
        // Errors on an unconnected UDP socket are unexpected (ENOMEM and the like); back off
        // through poll() instead of spinning, and do not flood the log.
        if (++consecutive_errors <= 10) {
          RG_LOG(kError, "udp: recvmmsg failed: {}", std::strerror(errno));
        }
        ::poll(&fds[1], 1, 10);
        break;
      }
      consecutive_errors = 0;
      if (static_cast<size_t>(received) < options_.batch_size) break;
    }
  }
}

int UdpReceiver::ReceiveBatch() {
  BatchBuffers& b = *buffers_;
  const size_t batch = b.msgs.size();
  for (size_t idx = 0; idx < batch; ++idx) {
    b.iovs[idx].iov_base = b.data.data() + idx * b.slot;
    b.iovs[idx].iov_len = b.slot;
    msghdr& hdr = b.msgs[idx].msg_hdr;
    hdr.msg_name = &b.senders[idx];
    hdr.msg_namelen = sizeof(sockaddr_storage);
    hdr.msg_iov = &b.iovs[idx];
    hdr.msg_iovlen = 1;
    hdr.msg_control = b.control.data() + idx * kControlBytes;
    hdr.msg_controllen = kControlBytes;
    hdr.msg_flags = 0;
    b.msgs[idx].msg_len = 0;
  }
  int received;
  do {
    received = ::recvmmsg(fd_, b.msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
  if (received == 0) return 0;

  std::vector<Datagram>& datagrams = b.datagrams;
  datagrams.resize(static_cast<size_t>(received));
  uint64_t bytes = 0;
  uint64_t truncated = 0;
  uint64_t drops = 0;
  for (size_t idx = 0; idx < datagrams.size(); ++idx) {
    msghdr& hdr = b.msgs[idx].msg_hdr;
    const size_t length = b.msgs[idx].msg_len;
    Datagram& d = datagrams[idx];
    d.truncated = (hdr.msg_flags & MSG_TRUNC) != 0 || length > options_.max_datagram_bytes;
    d.payload = std::string_view(b.data.data() + idx * b.slot,
                                 std::min(length, options_.max_datagram_bytes));
    d.sender = Address::FromSockaddr(reinterpret_cast<sockaddr*>(&b.senders[idx]), hdr.msg_namelen);
    bytes += d.payload.size();
    if (d.truncated) ++truncated;
    // The kernel attaches the socket's cumulative drop count (when non-zero) to each datagram.
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&hdr); cmsg != nullptr; cmsg = CMSG_NXTHDR(&hdr, cmsg)) {
      if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SO_RXQ_OVFL &&
          cmsg->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
        uint32_t total;
        std::memcpy(&total, CMSG_DATA(cmsg), sizeof(total));
        // uint32 arithmetic handles the counter wrapping around.
        const uint32_t delta = total - last_drop_count_;
        if (delta != 0 && delta < (1u << 31)) {
          drops += delta;
          last_drop_count_ = total;
        }
      }
    }
  }
  datagrams_.Add(datagrams.size());
  bytes_.Add(bytes);
  truncated_.Add(truncated);
  kernel_drops_.Add(drops);
  batches_.Add(1);
  if (stats_datagrams_ != nullptr) {
    stats_datagrams_->Add(datagrams.size());
    stats_bytes_->Add(bytes);
    stats_truncated_->Add(truncated);
    stats_kernel_drops_->Add(drops);
  }
  callback_(std::span<const Datagram>(datagrams));
  return received;
}

}  // namespace roentgen::net
