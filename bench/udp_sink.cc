// SPDX-License-Identifier: Apache-2.0
#include "udp_sink.h"

#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "bench_util.h"

namespace roentgen::bench {
namespace {
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(uint32_t));
}  // namespace

UdpSink::~UdpSink() { Stop(); }

bool UdpSink::Start(std::string* error) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("sink: socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(options_.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = std::string("sink: bind: ") + std::strerror(errno);
    return false;
  }
  socklen_t length = sizeof(addr);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
  // As roentgen does: SO_RCVBUFFORCE (root) else SO_RCVBUF (capped by net.core.rmem_max).
  const int requested =
      static_cast<int>(std::min<size_t>(options_.receive_buffer_bytes, INT_MAX / 2));
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &requested, sizeof(requested)) != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &requested, sizeof(requested));
  }
  length = sizeof(effective_rcvbuf_);
  getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &effective_rcvbuf_, &length);
  const int on = 1;
  setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    *error = std::string("sink: eventfd: ") + std::strerror(errno);
    return false;
  }
  thread_ = std::thread([this] { Run(); });
  has_thread_clock_ = pthread_getcpuclockid(thread_.native_handle(), &thread_clock_) == 0;
  return true;
}

void UdpSink::Stop() {
  if (!thread_.joinable()) {
    if (fd_ >= 0) close(fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    fd_ = wake_fd_ = -1;
    return;
  }
  stop_.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = write(wake_fd_, &one, sizeof(one));
  thread_.join();
  has_thread_clock_ = false;
  close(fd_);
  close(wake_fd_);
  fd_ = wake_fd_ = -1;
}

UdpSink::Counters UdpSink::counters() const {
  Counters c;
  c.datagrams = datagrams_.load();
  c.bytes = bytes_.load();
  c.kernel_drops = kernel_drops_.load();
  c.last_receive_mono = last_receive_mono_.load();
  if (has_thread_clock_) {
    timespec ts;
    if (clock_gettime(thread_clock_, &ts) == 0) {
      c.cpu_seconds = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    }
  }
  return c;
}

void UdpSink::Run() {
  const size_t batch = options_.batch_size;
  const size_t slot = options_.max_datagram_bytes + 1;
  std::vector<char> data(batch * slot);
  std::vector<char> control(batch * kControlBytes);
  std::vector<mmsghdr> msgs(batch);
  std::vector<iovec> iovs(batch);
  std::vector<sockaddr_storage> senders(batch);
  uint32_t last_drop_count = 0;
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (!stop_.load(std::memory_order_relaxed)) {
    fds[0].revents = fds[1].revents = 0;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    while (!stop_.load(std::memory_order_relaxed)) {
      for (size_t idx = 0; idx < batch; ++idx) {
        iovs[idx].iov_base = data.data() + idx * slot;
        iovs[idx].iov_len = slot;
        msghdr& hdr = msgs[idx].msg_hdr;
        hdr.msg_name = &senders[idx];
        hdr.msg_namelen = sizeof(sockaddr_storage);
        hdr.msg_iov = &iovs[idx];
        hdr.msg_iovlen = 1;
        hdr.msg_control = control.data() + idx * kControlBytes;
        hdr.msg_controllen = kControlBytes;
        hdr.msg_flags = 0;
      }
      int received =
          recvmmsg(fd_, msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
      if (received < 0) {
        if (errno == EINTR) continue;
        break;  // EAGAIN: drained
      }
      uint64_t bytes = 0;
      uint64_t drops = 0;
      for (int idx = 0; idx < received; ++idx) {
        msghdr& hdr = msgs[static_cast<size_t>(idx)].msg_hdr;
        bytes += msgs[static_cast<size_t>(idx)].msg_len;
        for (cmsghdr* cmsg = CMSG_FIRSTHDR(&hdr); cmsg != nullptr; cmsg = CMSG_NXTHDR(&hdr, cmsg)) {
          if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SO_RXQ_OVFL) {
            uint32_t total;
            std::memcpy(&total, CMSG_DATA(cmsg), sizeof(total));
            const uint32_t delta = total - last_drop_count;
            if (delta != 0 && delta < (1u << 31)) {
              drops += delta;
              last_drop_count = total;
            }
          }
        }
      }
      datagrams_.fetch_add(static_cast<uint64_t>(received), std::memory_order_relaxed);
      bytes_.fetch_add(bytes, std::memory_order_relaxed);
      if (drops != 0) kernel_drops_.fetch_add(drops, std::memory_order_relaxed);
      last_receive_mono_.store(MonoSeconds(), std::memory_order_relaxed);
      if (static_cast<size_t>(received) < batch) break;
    }
  }
}

}  // namespace roentgen::bench
