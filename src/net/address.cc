// SPDX-License-Identifier: Apache-2.0
#include "net/address.h"

#include <netdb.h>

#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>

namespace roentgen::net {

Result<Address> Address::Parse(std::string_view host, uint16_t port) {
  std::string literal(host);
  if (literal == "localhost") literal = "127.0.0.1";
  if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (literal.empty() || literal.find('\0') != std::string::npos) {
    return InvalidArgumentError(fmt::format("address: '{}' is not an IP address", host));
  }
  Address address;
  if (literal.find(':') == std::string::npos) {
    // inet_pton, unlike getaddrinfo, insists on a dotted quad ("1.2.3" is not 1.2.0.3).
    sockaddr_in in4{};
    in4.sin_family = AF_INET;
    in4.sin_port = htons(port);
    if (inet_pton(AF_INET, literal.c_str(), &in4.sin_addr) != 1) {
      return InvalidArgumentError(
          fmt::format("address: '{}' is not an IPv4/IPv6 literal or \"localhost\"", host));
    }
    return FromSockaddr(reinterpret_cast<const sockaddr*>(&in4), sizeof(in4));
  }
  // getaddrinfo with AI_NUMERICHOST never consults DNS, and unlike inet_pton it understands
  // IPv6 scope ids ("fe80::1%eth0").
  addrinfo hints{};
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = getaddrinfo(literal.c_str(), service.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return InvalidArgumentError(
        fmt::format("address: '{}' is not an IPv4/IPv6 literal or \"localhost\" ({})", host,
                    rc != 0 ? gai_strerror(rc) : "no result"));
  }
  address = FromSockaddr(found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (!address.is_valid()) {
    return InvalidArgumentError(fmt::format("address: '{}' has an unsupported family", host));
  }
  return address;
}

Address Address::FromSockaddr(const sockaddr* addr, socklen_t length) {
  Address address;
  if (addr == nullptr) return address;
  if (addr->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&address.storage_, addr, sizeof(sockaddr_in));
    address.length_ = sizeof(sockaddr_in);
  } else if (addr->sa_family == AF_INET6 &&
             length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&address.storage_, addr, sizeof(sockaddr_in6));
    address.length_ = sizeof(sockaddr_in6);
  }
  return address;
}

uint16_t Address::port() const {
  if (family() == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

std::string Address::HostString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&storage_);
    if (inet_ntop(AF_INET, &in4->sin_addr, buf, sizeof(buf)) != nullptr) return buf;
  } else if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf)) != nullptr) return buf;
  }
  return {};
}

std::string Address::ToString() const {
  if (family() == AF_INET) return fmt::format("{}:{}", HostString(), port());
  if (family() == AF_INET6) return fmt::format("[{}]:{}", HostString(), port());
  return "(none)";
}

}  // namespace roentgen::net
