// SPDX-License-Identifier: Apache-2.0
// A deliberately small HTTP client: the sampling poller makes two kinds of requests every few
// seconds to a daemon on the local network, so a blocking socket on the poller thread is the
// simplest correct choice (an event loop or Boost.Asio would buy nothing here).
#include "http_client.h"

#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include <sys/socket.h>
#include <sys/types.h>

namespace roentgen::sdk::internal {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int TimeoutMs(double timeout_s) {
  if (timeout_s <= 0) return 0;
  if (timeout_s > 3600) return 3600 * 1000;
  return static_cast<int>(timeout_s * 1000);
}

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd pfd{fd, events, 0};
  while (true) {
    int rc = ::poll(&pfd, 1, timeout_ms);
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

int Connect(const std::string& host, uint16_t port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &result) != 0) return -1;
  int connected = -1;
  for (addrinfo* ai = result; ai != nullptr && connected < 0; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0 || (errno == EINPROGRESS && WaitFor(fd, POLLOUT, timeout_ms))) {
      int error = 0;
      socklen_t len = sizeof(error);
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0) {
        connected = fd;
        break;
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(result);
  return connected;
}

}  // namespace

std::optional<std::string> HttpPost(const std::string& host, uint16_t port, std::string_view path,
                                    std::string_view body, double timeout_s) {
  int timeout_ms = TimeoutMs(timeout_s);
  Fd fd(Connect(host, port, timeout_ms));
  if (fd.get() < 0) return std::nullopt;

  std::string request = "POST ";
  request += path;
  request += " HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ";
  request += std::to_string(body.size());
  request += "\r\nHost: " + host + ":" + std::to_string(port);
  request += "\r\nConnection: keep-alive\r\n\r\n";
  request += body;

  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFor(fd.get(), POLLOUT, timeout_ms)) return std::nullopt;
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::nullopt;
    }
    sent += static_cast<size_t>(n);
  }

  // Read until the headers and Content-Length bytes of body are in (or the peer closes).
  constexpr size_t kMaxResponse = 16 * 1024 * 1024;
  std::string response;
  size_t header_end = std::string::npos;
  size_t content_length = std::string::npos;
  char buf[16384];
  while (true) {
    if (header_end != std::string::npos && content_length != std::string::npos &&
        response.size() >= header_end + content_length) {
      break;
    }
    if (!WaitFor(fd.get(), POLLIN, timeout_ms)) return std::nullopt;
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    response.append(buf, static_cast<size_t>(n));
    if (response.size() > kMaxResponse) return std::nullopt;
    if (header_end == std::string::npos) {
      size_t pos = response.find("\r\n\r\n");
      if (pos == std::string::npos) continue;
      header_end = pos + 4;
      // Content-Length, case-insensitively.
      std::string headers = response.substr(0, pos);
      for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t cl = headers.find("\r\ncontent-length:");
      if (cl != std::string::npos) {
        content_length = std::strtoull(headers.c_str() + cl + 17, nullptr, 10);
      }
    }
  }
  if (header_end == std::string::npos) return std::nullopt;
  // Status line: HTTP/1.x 200 ...
  if (response.compare(0, 5, "HTTP/") != 0) return std::nullopt;
  size_t space = response.find(' ');
  if (space == std::string::npos || response.compare(space + 1, 3, "200") != 0) {
    return std::nullopt;
  }
  std::string out = response.substr(header_end);
  if (content_length != std::string::npos && out.size() > content_length) {
    out.resize(content_length);
  }
  return out;
}

}  // namespace roentgen::sdk::internal
