// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <netinet/in.h>
#include <sys/socket.h>

#include "base/result.h"

namespace roentgen::net {

// An IPv4 or IPv6 socket address (a sockaddr_in or sockaddr_in6). A plain value type; not
// thread-safe, but copies are independent.
class Address {
 public:
  // An empty address (family AF_UNSPEC); is_valid() is false.
  Address() = default;

  // Parses a bind or peer address without touching DNS. `host` is an IPv4 literal
  // ("127.0.0.1", "0.0.0.0"), an IPv6 literal with or without brackets ("::1", "[::]",
  // "fe80::1%eth0"), or "localhost", which means 127.0.0.1 (never ::1, so that it matches what
  // the X-Ray SDKs resolve it to). Returns InvalidArgument naming `host` for anything else.
  static Result<Address> Parse(std::string_view host, uint16_t port);

  // Copies a socket address returned by the kernel. Lengths or families other than IPv4/IPv6
  // give an empty address.
  static Address FromSockaddr(const sockaddr* addr, socklen_t length);

  bool is_valid() const { return length_ != 0; }
  // AF_INET, AF_INET6 or AF_UNSPEC.
  int family() const { return storage_.ss_family; }
  uint16_t port() const;

  // For bind(2), connect(2) and friends. REQUIRES: is_valid() for a meaningful result.
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }

  // The numeric host: "127.0.0.1", "::1" (no brackets). Empty when !is_valid().
  std::string HostString() const;
  // "127.0.0.1:2000" or "[::1]:2000"; "(none)" when !is_valid().
  std::string ToString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace roentgen::net
