// SPDX-License-Identifier: Apache-2.0
// The request thread only appends to a bounded deque under a mutex held for a push; the
// sender thread owns the socket and does every syscall. Drop-newest on overflow: a tracing
// SDK must shed load rather than slow the application it observes.
#include <netdb.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <sys/socket.h>
#include <sys/types.h>

#include "roentgen/sdk/emitter.h"

namespace roentgen::sdk {

struct UdpEmitter::State {
  Options options;
  std::mutex mu;
  std::condition_variable wake;     // sender: work or stop
  std::condition_variable drained;  // Flush: queue empty and nothing in flight
  // Guarded by mu.
  // A document, or a builder of documents run on the sender thread.
  struct Item {
    std::string document;
    DocumentBuilder build;
  };
  std::deque<Item> queue;
  bool in_flight = false;
  bool stop = false;
  EmitterStats stats;
  // Owned by the sender thread after start.
  int fd = -1;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::thread sender;
};

namespace {

bool Resolve(const std::string& host, uint16_t port, sockaddr_storage* addr, socklen_t* len,
             int* family) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* result = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &result) != 0 || result == nullptr) {
    return false;
  }
  std::memcpy(addr, result->ai_addr, result->ai_addrlen);
  *len = static_cast<socklen_t>(result->ai_addrlen);
  *family = result->ai_family;
  ::freeaddrinfo(result);
  return true;
}

}  // namespace

UdpEmitter::UdpEmitter(Options options) : state_(new State()) {
  state_->options = std::move(options);
  int family = AF_INET;
  if (Resolve(state_->options.host, state_->options.port, &state_->addr, &state_->addr_len,
              &family)) {
    state_->fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  State* s = state_.get();
  state_->sender = std::thread([s] {
    std::string datagram;
    std::vector<std::string> documents;
    std::unique_lock lock(s->mu);
    while (true) {
      s->wake.wait(lock, [s] { return s->stop || !s->queue.empty(); });
      if (s->queue.empty()) break;  // stop requested and nothing left
      State::Item item = std::move(s->queue.front());
      s->queue.pop_front();
      s->in_flight = true;
      lock.unlock();
      documents.clear();
      if (item.build) {
        item.build(documents);
      } else {
        documents.push_back(std::move(item.document));
      }
      uint64_t sent = 0, errors = 0, too_large = 0;
      for (const std::string& document : documents) {
        if (document.size() > kMaxDocumentBytes) {
          ++too_large;
          continue;
        }
        datagram.assign(kDaemonHeader);
        datagram += document;
        bool ok = s->fd >= 0 && ::sendto(s->fd, datagram.data(), datagram.size(), 0,
                                         reinterpret_cast<const sockaddr*>(&s->addr),
                                         s->addr_len) == static_cast<ssize_t>(datagram.size());
        ++(ok ? sent : errors);
      }
      lock.lock();
      s->in_flight = false;
      s->stats.sent += sent;
      s->stats.send_errors += errors;
      s->stats.dropped_too_large += too_large;
      if (s->queue.empty()) s->drained.notify_all();
    }
    s->drained.notify_all();
  });
}

UdpEmitter::~UdpEmitter() {
  Shutdown(1);
  if (state_->fd >= 0) ::close(state_->fd);
}

bool UdpEmitter::Send(std::string document) {
  std::lock_guard lock(state_->mu);
  if (document.size() > kMaxDocumentBytes) {
    ++state_->stats.dropped_too_large;
    return false;
  }
  if (state_->stop || state_->queue.size() >= state_->options.queue_capacity) {
    ++state_->stats.dropped_queue_full;
    return false;
  }
  state_->queue.push_back({std::move(document), nullptr});
  ++state_->stats.queued;
  state_->wake.notify_one();
  return true;
}

bool UdpEmitter::SendLater(DocumentBuilder build) {
  std::lock_guard lock(state_->mu);
  if (state_->stop || state_->queue.size() >= state_->options.queue_capacity) {
    ++state_->stats.dropped_queue_full;
    return false;
  }
  state_->queue.push_back({std::string(), std::move(build)});
  ++state_->stats.queued;
  state_->wake.notify_one();
  return true;
}

bool UdpEmitter::Flush(double timeout_s) {
  std::unique_lock lock(state_->mu);
  return state_->drained.wait_for(lock, std::chrono::duration<double>(timeout_s),
                                  [this] { return state_->queue.empty() && !state_->in_flight; });
}

void UdpEmitter::Shutdown(double timeout_s) {
  if (!state_->sender.joinable()) return;
  (void)Flush(timeout_s);
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
    // Whatever did not go out within the deadline is dropped (and counted).
    state_->stats.dropped_queue_full += state_->queue.size();
    state_->queue.clear();
  }
  state_->wake.notify_all();
  state_->sender.join();
}

EmitterStats UdpEmitter::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

}  // namespace roentgen::sdk
