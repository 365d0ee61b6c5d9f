// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plumbing shared by the load tools: a child `roentgen serve`, a small blocking HTTP/1.1
// client, the Prometheus text of GET /metrics, the kernel's UDP counters, CPU clocks, and
// command-line flags. Standalone: the tools speak only UDP and HTTP to the server.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace roentgen::bench {

// ---- Time ----

// CLOCK_MONOTONIC in seconds.
double MonoSeconds();
void SleepSeconds(double seconds);

// ---- Flags ----

// `--name=value`, `--name value` and bare `--name` (value "true"). A flag given several
// times keeps every value (see All()). Not thread-safe.
class Flags {
 public:
  // Returns false (and sets *error) on an argument that is not a flag.
  bool Parse(int argc, char** argv, std::string* error);
  bool Has(std::string_view name) const;
  std::string Get(std::string_view name, std::string_view fallback) const;
  double GetDouble(std::string_view name, double fallback) const;
  int64_t GetInt(std::string_view name, int64_t fallback) const;
  bool GetBool(std::string_view name) const;
  std::vector<std::string> All(std::string_view name) const;
  // Names given that are not in `known`; for "unknown flag" errors.
  std::vector<std::string> Unknown(const std::vector<std::string_view>& known) const;

 private:
  std::multimap<std::string, std::string, std::less<>> values_;
};

// ---- Files ----

// Creates a fresh directory under $TMPDIR (or /tmp) named <prefix>XXXXXX.
bool MakeTempDir(std::string_view prefix, std::string* path, std::string* error);
// rm -rf; best effort.
void RemoveTree(const std::string& path);

// Every regular file under a directory (recursively): path relative to the root, apparent
// size (st_size) and allocated bytes (st_blocks * 512).
struct FileEntry {
  std::string relative_path;
  uint64_t size = 0;
  uint64_t allocated = 0;
};
std::vector<FileEntry> ListFiles(const std::string& root);

// The first readable `roentgen` among: `flag_value` when non-empty, then next to this
// executable and its parent directory (build/<dir>/bench/x -> build/<dir>/roentgen), then
// $PATH. Empty when none is found.
std::string FindRoentgen(const std::string& flag_value);

// ---- CPU ----

// User and system CPU seconds of a whole process, from /proc/<pid>/stat (utime, stime).
struct ProcCpu {
  double user = 0;
  double system = 0;
  double total() const { return user + system; }
};
bool ReadProcCpu(pid_t pid, ProcCpu* cpu);

// Per-thread CPU seconds of a process (/proc/<pid>/task/*/stat), sorted by CPU, highest first.
struct ThreadCpu {
  pid_t tid = 0;
  std::string name;
  double seconds = 0;
};
std::vector<ThreadCpu> ReadThreadCpu(pid_t pid);

// CPU seconds of a process through clock_getcpuclockid (nanosecond resolution), or -1.
double ProcessCpuSeconds(pid_t pid);
// CPU seconds of the calling thread.
double ThreadCpuSeconds();

// ---- Kernel UDP counters ----

// One socket's line of /proc/net/udp (IPv4), found by its local port.
struct UdpSocketStats {
  bool found = false;
  uint64_t rx_queue_bytes = 0;  // bytes waiting in the receive buffer
  uint64_t drops = 0;           // sk_drops: what SO_RXQ_OVFL reports, but always current
};
UdpSocketStats ReadProcNetUdp(uint16_t port);

// Machine-wide counters: /proc/net/snmp "Udp:" and the "dropped" column of
// /proc/net/softnet_stat summed over CPUs (the loopback backlog overflowing). Other
// processes' traffic is included, so use deltas over a short window, as a cross-check.
struct KernelUdpCounters {
  uint64_t in_datagrams = 0;
  uint64_t rcvbuf_errors = 0;
  uint64_t in_errors = 0;
  uint64_t sndbuf_errors = 0;
  uint64_t softnet_drops = 0;
};
KernelUdpCounters ReadKernelUdpCounters();

// ---- HTTP ----

// A blocking HTTP/1.1 client on one keep-alive connection to host:port. Reconnects once when
// a request fails on a reused connection. Not thread-safe; one per thread.
class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response (Content-Length or chunked). Returns false
  // with *error on a network or framing failure; any HTTP status is a success here.
  bool Request(std::string_view method, std::string_view path, std::string_view content_type,
               std::string_view body, int* status, std::string* response_body, std::string* error,
               double timeout_seconds = 30);

 private:
  bool Connect(std::string* error);
  void Close();
  bool RequestOnce(std::string_view method, std::string_view path, std::string_view content_type,
                   std::string_view body, int* status, std::string* response_body,
                   std::string* error, double timeout_seconds);

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  std::string inbuf_;
};

// ---- Metrics ----

// GET /metrics, parsed: "name{labels}" (exactly as written) -> value.
using Metrics = std::map<std::string, double, std::less<>>;
bool ParseMetrics(std::string_view text, Metrics* metrics);
// The value of one series ("name" or "name{labels}"), 0 when absent.
double MetricValue(const Metrics& metrics, std::string_view series);
// The sum over every series of a metric name (all label sets).
double MetricSum(const Metrics& metrics, std::string_view name);
// Fetches and parses GET /metrics.
bool FetchMetrics(HttpClient& client, Metrics* metrics, std::string* error);

// ---- The server as a child process ----

// Runs `roentgen serve --data-dir <dir> --listen 127.0.0.1:0 [extra...]` with stdout and
// stderr in files under `log_dir`, and waits for its "roentgen: listening ..." line.
// Not thread-safe.
class ServerProcess {
 public:
  struct Options {
    std::string binary;
    std::string data_dir;
    std::string log_dir;
    std::vector<std::string> extra_args;
    double start_timeout_seconds = 30;
  };
  ServerProcess() = default;
  ~ServerProcess();  // kills (SIGKILL) a server still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool Start(const Options& options, std::string* error);
  // SIGTERM, then waits up to `timeout_seconds` (SIGKILL after that). Fills the exit code
  // (128 + signal when killed by a signal) and the CPU the process used in all (rusage of the
  // reaped child, threads and shutdown included). False when it had to be killed.
  bool Stop(double timeout_seconds, int* exit_code, ProcCpu* total_cpu, std::string* error);
  // False once the process has exited (reaps it; *exit_code then holds the status).
  bool Running(int* exit_code = nullptr);

  pid_t pid() const { return pid_; }
  uint16_t http_port() const { return http_port_; }
  uint16_t udp_port() const { return udp_port_; }
  const std::string& stderr_path() const { return stderr_path_; }
  // The last `bytes` of its stderr (for error reports).
  std::string StderrTail(size_t bytes) const;

 private:
  pid_t pid_ = -1;
  uint16_t http_port_ = 0;
  uint16_t udp_port_ = 0;
  std::string stdout_path_;
  std::string stderr_path_;
};

// Blocks until the process uses less than `busy_fraction` of one CPU over a 250 ms window, or
// `timeout_seconds` pass. Returns the seconds waited.
double WaitUntilIdle(pid_t pid, double busy_fraction, double timeout_seconds);

// Median of a non-empty vector (by value).
double Median(std::vector<double> values);

}  // namespace roentgen::bench
