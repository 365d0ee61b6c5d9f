// SPDX-License-Identifier: Apache-2.0
#pragma once

// The composition root: the only code that knows every component. It builds them from a
// ServerConfig, wires the seal observers and queues, owns the threads' lifetimes, and shuts
// everything down in order.

#include <memory>

#include "base/result.h"
#include "server/config.h"

namespace roentgen::server {

// Thread-safety: Start/Shutdown from one thread; the ports from any.
class Server {
 public:
  // Opens the data directory (recovering the WAL) and builds every component.
  static Result<std::unique_ptr<Server>> Create(const ServerConfig& config);
  ~Server();

  // Binds the UDP and HTTP listeners and starts serving.
  Status Start();
  uint16_t http_port() const;
  uint16_t udp_port() const;
  // Stops accepting, lets in-flight requests finish, seals and flushes every trace, syncs.
  Status Shutdown();

 private:
  struct Components;
  explicit Server(std::unique_ptr<Components> components);
  std::unique_ptr<Components> components_;
};

// `roentgen serve`: runs until SIGTERM or SIGINT, then shuts down cleanly. Returns the
// process exit code.
int RunServe(const ServerConfig& config);

}  // namespace roentgen::server
