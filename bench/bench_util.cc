// SPDX-License-Identifier: Apache-2.0
#include "bench_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

namespace roentgen::bench {
namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  *out = buffer.str();
  return true;
}

double TicksToSeconds(uint64_t ticks) {
  static const long kTicks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(kTicks > 0 ? kTicks : 100);
}

// Fields 14 and 15 (utime, stime) of a /proc/.../stat line; the command name (field 2) may
// hold spaces and parentheses, so count from the last ')'.
bool ParseStatTimes(const std::string& stat, uint64_t* utime, uint64_t* stime, std::string* comm) {
  size_t open = stat.find('(');
  size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  if (comm != nullptr) *comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  // After ')': field 3 (state) is index 0, so utime (14) is index 11 and stime index 12.
  for (int idx = 0; idx <= 12; ++idx) {
    if (!(rest >> field)) return false;
    if (idx == 11) *utime = std::strtoull(field.c_str(), nullptr, 10);
    if (idx == 12) *stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  return true;
}

}  // namespace

// ---- Time ----

double MonoSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void SleepSeconds(double seconds) {
  if (seconds <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// ---- Flags ----

bool Flags::Parse(int argc, char** argv, std::string* error) {
  for (int idx = 1; idx < argc; ++idx) {
    std::string arg = argv[idx];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      *error = "unexpected argument '" + arg + "'";
      return false;
    }
    arg = arg.substr(2);
    size_t equals = arg.find('=');
    if (equals != std::string::npos) {
      values_.emplace(arg.substr(0, equals), arg.substr(equals + 1));
    } else if (idx + 1 < argc && std::string_view(argv[idx + 1]).rfind("--", 0) != 0) {
      values_.emplace(arg, argv[++idx]);
    } else {
      values_.emplace(arg, "true");
    }
  }
  return true;
}

bool Flags::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::string Flags::Get(std::string_view name, std::string_view fallback) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::string(fallback);
  auto last = range.second;
  --last;
  return last->second;
}

double Flags::GetDouble(std::string_view name, double fallback) const {
  if (!Has(name)) return fallback;
  return std::strtod(Get(name, "").c_str(), nullptr);
}

int64_t Flags::GetInt(std::string_view name, int64_t fallback) const {
  if (!Has(name)) return fallback;
  return static_cast<int64_t>(std::strtod(Get(name, "").c_str(), nullptr));
}

bool Flags::GetBool(std::string_view name) const {
  if (!Has(name)) return false;
  std::string value = Get(name, "");
  return value != "false" && value != "0" && value != "no";
}

std::vector<std::string> Flags::All(std::string_view name) const {
  std::vector<std::string> result;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) result.push_back(it->second);
  return result;
}

std::vector<std::string> Flags::Unknown(const std::vector<std::string_view>& known) const {
  std::vector<std::string> result;
  for (const auto& [name, value] : values_) {
    if (std::find(known.begin(), known.end(), name) == known.end()) result.push_back(name);
  }
  return result;
}

// ---- Files ----

bool MakeTempDir(std::string_view prefix, std::string* path, std::string* error) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") + "/" +
                        std::string(prefix) + "XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back(0);
  if (mkdtemp(buffer.data()) == nullptr) {
    *error = Errno("mkdtemp " + pattern);
    return false;
  }
  *path = buffer.data();
  return true;
}

void RemoveTree(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    unlink(path.c_str());
    return;
  }
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string child = path + "/" + name;
    struct stat st;
    if (lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      RemoveTree(child);
    } else {
      unlink(child.c_str());
    }
  }
  closedir(dir);
  rmdir(path.c_str());
}

namespace {
void ListFilesUnder(const std::string& root, const std::string& relative,
                    std::vector<FileEntry>* out) {
  std::string path = relative.empty() ? root : root + "/" + relative;
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string child_relative = relative.empty() ? name : relative + "/" + name;
    struct stat st;
    if (lstat((root + "/" + child_relative).c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ListFilesUnder(root, child_relative, out);
    } else if (S_ISREG(st.st_mode)) {
      out->push_back(FileEntry{child_relative, static_cast<uint64_t>(st.st_size),
                               static_cast<uint64_t>(st.st_blocks) * 512});
    }
  }
  closedir(dir);
}
}  // namespace

std::vector<FileEntry> ListFiles(const std::string& root) {
  std::vector<FileEntry> files;
  ListFilesUnder(root, "", &files);
  std::sort(files.begin(), files.end(), [](const FileEntry& a, const FileEntry& b) {
    return a.relative_path < b.relative_path;
  });
  return files;
}

std::string FindRoentgen(const std::string& flag_value) {
  auto usable = [](const std::string& path) { return access(path.c_str(), X_OK) == 0; };
  if (!flag_value.empty()) return usable(flag_value) ? flag_value : "";
  char self[4096];
  ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length > 0) {
    std::string dir(self, static_cast<size_t>(length));
    dir = dir.substr(0, dir.rfind('/'));
    for (int up = 0; up < 3 && !dir.empty(); ++up) {
      if (usable(dir + "/roentgen")) return dir + "/roentgen";
      dir = dir.substr(0, dir.rfind('/'));
    }
  }
  if (const char* path_env = std::getenv("PATH")) {
    std::istringstream paths(path_env);
    std::string entry;
    while (std::getline(paths, entry, ':')) {
      if (!entry.empty() && usable(entry + "/roentgen")) return entry + "/roentgen";
    }
  }
  return "";
}

// ---- CPU ----

bool ReadProcCpu(pid_t pid, ProcCpu* cpu) {
  std::string stat;
  if (!ReadWholeFile("/proc/" + std::to_string(pid) + "/stat", &stat)) return false;
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (!ParseStatTimes(stat, &utime, &stime, nullptr)) return false;
  cpu->user = TicksToSeconds(utime);
  cpu->system = TicksToSeconds(stime);
  return true;
}

std::vector<ThreadCpu> ReadThreadCpu(pid_t pid) {
  std::vector<ThreadCpu> threads;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) return threads;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    std::string stat;
    if (!ReadWholeFile(task_dir + "/" + entry->d_name + "/stat", &stat)) continue;
    uint64_t utime = 0;
    uint64_t stime = 0;
    ThreadCpu thread;
    if (!ParseStatTimes(stat, &utime, &stime, &thread.name)) continue;
    thread.tid = static_cast<pid_t>(std::atoi(entry->d_name));
    thread.seconds = TicksToSeconds(utime + stime);
    threads.push_back(thread);
  }
  closedir(dir);
  std::sort(threads.begin(), threads.end(),
            [](const ThreadCpu& a, const ThreadCpu& b) { return a.seconds > b.seconds; });
  return threads;
}

double ProcessCpuSeconds(pid_t pid) {
  clockid_t clock;
  if (clock_getcpuclockid(pid, &clock) != 0) return -1;
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ---- Kernel UDP counters ----

UdpSocketStats ReadProcNetUdp(uint16_t port) {
  UdpSocketStats result;
  std::ifstream in("/proc/net/udp");
  std::string line;
  std::getline(in, line);  // header
  char wanted[8];
  std::snprintf(wanted, sizeof(wanted), ":%04X", port);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues)) continue;
    if (local.size() < 5 || local.substr(local.size() - 5) != wanted) continue;
    // tx_queue:rx_queue in hex, then tr, tm->when, retrnsmt, uid, timeout, inode, ref, pointer,
    // drops.
    result.found = true;
    size_t colon = queues.find(':');
    if (colon != std::string::npos) {
      result.rx_queue_bytes = std::strtoull(queues.c_str() + colon + 1, nullptr, 16);
    }
    std::string field, last;
    while (fields >> field) last = field;
    result.drops = std::strtoull(last.c_str(), nullptr, 10);
    break;
  }
  return result;
}

KernelUdpCounters ReadKernelUdpCounters() {
  KernelUdpCounters counters;
  std::ifstream snmp("/proc/net/snmp");
  std::string header, values;
  while (std::getline(snmp, header)) {
    if (header.rfind("Udp:", 0) != 0) continue;
    if (!std::getline(snmp, values)) break;
    std::istringstream names(header.substr(4)), numbers(values.substr(4));
    std::string name;
    uint64_t number;
    while (names >> name && numbers >> number) {
      if (name == "InDatagrams") counters.in_datagrams = number;
      if (name == "RcvbufErrors") counters.rcvbuf_errors = number;
      if (name == "InErrors") counters.in_errors = number;
      if (name == "SndbufErrors") counters.sndbuf_errors = number;
    }
    break;
  }
  std::ifstream softnet("/proc/net/softnet_stat");
  std::string line;
  while (std::getline(softnet, line)) {
    std::istringstream fields(line);
    std::string processed, dropped;
    if (fields >> processed >> dropped) {
      counters.softnet_drops += std::strtoull(dropped.c_str(), nullptr, 16);
    }
  }
  return counters;
}

// ---- HTTP ----

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  inbuf_.clear();
}

bool HttpClient::Connect(std::string* error) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = Errno("socket");
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    *error = "bad IPv4 address " + host_;
    Close();
    return false;
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = Errno("connect " + host_ + ":" + std::to_string(port_));
    Close();
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool HttpClient::Request(std::string_view method, std::string_view path,
                         std::string_view content_type, std::string_view body, int* status,
                         std::string* response_body, std::string* error, double timeout_seconds) {
  const bool reused = fd_ >= 0;
  if (!reused && !Connect(error)) return false;
  if (RequestOnce(method, path, content_type, body, status, response_body, error,
                  timeout_seconds)) {
    return true;
  }
  if (!reused) return false;
  // The server may have closed an idle keep-alive connection: one fresh try.
  if (!Connect(error)) return false;
  return RequestOnce(method, path, content_type, body, status, response_body, error,
                     timeout_seconds);
}

bool HttpClient::RequestOnce(std::string_view method, std::string_view path,
                             std::string_view content_type, std::string_view body, int* status,
                             std::string* response_body, std::string* error,
                             double timeout_seconds) {
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ");
  head.append(host_).append(":").append(std::to_string(port_)).append("\r\n");
  head.append("User-Agent: roentgen-bench\r\n");
  if (!content_type.empty()) head.append("Content-Type: ").append(content_type).append("\r\n");
  if (method != "GET" || !body.empty()) {
    head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  head.append("\r\n");
  const double deadline = MonoSeconds() + timeout_seconds;
  auto send_all = [&](std::string_view data) {
    while (!data.empty()) {
      ssize_t sent = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        *error = Errno("send");
        return false;
      }
      data.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
  };
  if (!send_all(head) || !send_all(body)) {
    Close();
    return false;
  }
  // Reads more bytes into inbuf_; false on close, error or timeout.
  auto fill = [&]() {
    pollfd pfd{fd_, POLLIN, 0};
    int wait_ms = static_cast<int>(std::max(0.0, deadline - MonoSeconds()) * 1000);
    int ready = poll(&pfd, 1, wait_ms);
    if (ready <= 0) {
      *error = ready == 0 ? "timeout waiting for the response" : Errno("poll");
      return false;
    }
    char buffer[65536];
    ssize_t got = recv(fd_, buffer, sizeof(buffer), 0);
    if (got <= 0) {
      *error = got == 0 ? "connection closed by the server" : Errno("recv");
      return false;
    }
    inbuf_.append(buffer, static_cast<size_t>(got));
    return true;
  };
  size_t head_end;
  while ((head_end = inbuf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      Close();
      return false;
    }
  }
  std::string response_head = inbuf_.substr(0, head_end);
  inbuf_.erase(0, head_end + 4);
  if (response_head.size() < 12 || response_head.rfind("HTTP/1.", 0) != 0) {
    *error = "bad status line";
    Close();
    return false;
  }
  *status = std::atoi(response_head.c_str() + 9);
  std::string lower = response_head;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  bool close_after = lower.find("\r\nconnection: close") != std::string::npos;
  response_body->clear();
  size_t length_at = lower.find("\r\ncontent-length:");
  if (length_at != std::string::npos) {
    size_t length = std::strtoull(lower.c_str() + length_at + 17, nullptr, 10);
    while (inbuf_.size() < length) {
      if (!fill()) {
        Close();
        return false;
      }
    }
    response_body->assign(inbuf_, 0, length);
    inbuf_.erase(0, length);
  } else if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    while (true) {
      size_t line_end;
      while ((line_end = inbuf_.find("\r\n")) == std::string::npos) {
        if (!fill()) {
          Close();
          return false;
        }
      }
      size_t chunk = std::strtoull(inbuf_.c_str(), nullptr, 16);
      inbuf_.erase(0, line_end + 2);
      while (inbuf_.size() < chunk + 2) {
        if (!fill()) {
          Close();
          return false;
        }
      }
      response_body->append(inbuf_, 0, chunk);
      inbuf_.erase(0, chunk + 2);
      if (chunk == 0) break;  // (trailers are not expected)
    }
  } else {
    // No length: the body runs to the end of the connection.
    while (fill()) {
    }
    *response_body = inbuf_;
    close_after = true;
  }
  if (close_after) Close();
  return true;
}

// ---- Metrics ----

bool ParseMetrics(std::string_view text, Metrics* metrics) {
  metrics->clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    // The value follows the last space (label values here never hold spaces before it).
    size_t space = line.rfind(' ');
    if (space == std::string_view::npos) return false;
    std::string value(line.substr(space + 1));
    (*metrics)[std::string(line.substr(0, space))] = std::strtod(value.c_str(), nullptr);
  }
  return !metrics->empty();
}

double MetricValue(const Metrics& metrics, std::string_view series) {
  auto it = metrics.find(series);
  return it == metrics.end() ? 0 : it->second;
}

double MetricSum(const Metrics& metrics, std::string_view name) {
  double sum = 0;
  for (auto it = metrics.lower_bound(name); it != metrics.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, name.size()) != name) break;
    if (key.size() == name.size() || key[name.size()] == '{') sum += it->second;
  }
  return sum;
}

bool FetchMetrics(HttpClient& client, Metrics* metrics, std::string* error) {
  int status = 0;
  std::string body;
  if (!client.Request("GET", "/metrics", "", "", &status, &body, error, 10)) return false;
  if (status != 200) {
    *error = "GET /metrics answered " + std::to_string(status);
    return false;
  }
  if (!ParseMetrics(body, metrics)) {
    *error = "GET /metrics: cannot parse the answer";
    return false;
  }
  return true;
}

// ---- ServerProcess ----

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

bool ServerProcess::Start(const Options& options, std::string* error) {
  stdout_path_ = options.log_dir + "/roentgen.stdout";
  stderr_path_ = options.log_dir + "/roentgen.stderr";
  std::vector<std::string> args = {options.binary,   "serve",    "--data-dir",
                                   options.data_dir, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out_fd = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    *error = Errno("open " + stdout_path_);
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    return false;
  }
  pid_t child = fork();
  if (child < 0) {
    *error = Errno("fork");
    close(out_fd);
    close(err_fd);
    return false;
  }
  if (child == 0) {
    // Only async-signal-safe calls until exec.
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  pid_ = child;
  const double deadline = MonoSeconds() + options.start_timeout_seconds;
  while (MonoSeconds() < deadline) {
    int exit_code = 0;
    if (!Running(&exit_code)) {
      *error = "roentgen exited with status " + std::to_string(exit_code) +
               " before listening; stderr: " + StderrTail(2000);
      return false;
    }
    std::string out;
    ReadWholeFile(stdout_path_, &out);
    size_t at = out.find("roentgen: listening ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      size_t http_at = out.find("http=", at);
      size_t udp_at = out.find("udp=", at);
      if (http_at == std::string::npos || udp_at == std::string::npos) break;
      auto port_of = [&](size_t field) {
        size_t space = out.find(' ', field);
        size_t colon = out.rfind(':', space);
        return static_cast<uint16_t>(std::atoi(out.c_str() + colon + 1));
      };
      http_port_ = port_of(http_at);
      udp_port_ = port_of(udp_at);
      return http_port_ != 0 && udp_port_ != 0;
    }
    SleepSeconds(0.02);
  }
  *error = "roentgen did not print its listening line in time; stderr: " + StderrTail(2000);
  return false;
}

bool ServerProcess::Running(int* exit_code) {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  if (exit_code != nullptr) {
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_ = -1;
  return false;
}

bool ServerProcess::Stop(double timeout_seconds, int* exit_code, ProcCpu* total_cpu,
                         std::string* error) {
  if (pid_ <= 0) {
    *error = "roentgen is not running";
    return false;
  }
  kill(pid_, SIGTERM);
  const double deadline = MonoSeconds() + timeout_seconds;
  int status = 0;
  rusage usage{};
  bool killed = false;
  while (true) {
    pid_t done = wait4(pid_, &status, WNOHANG, &usage);
    if (done == pid_) break;
    if (done < 0) {
      *error = Errno("wait4");
      pid_ = -1;
      return false;
    }
    if (MonoSeconds() > deadline && !killed) {
      kill(pid_, SIGKILL);
      killed = true;
      *error = "roentgen did not exit within " + std::to_string(timeout_seconds) +
               " s of SIGTERM; killed";
    }
    SleepSeconds(0.01);
  }
  pid_ = -1;
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  total_cpu->user = static_cast<double>(usage.ru_utime.tv_sec) +
                    static_cast<double>(usage.ru_utime.tv_usec) * 1e-6;
  total_cpu->system = static_cast<double>(usage.ru_stime.tv_sec) +
                      static_cast<double>(usage.ru_stime.tv_usec) * 1e-6;
  return !killed;
}

std::string ServerProcess::StderrTail(size_t bytes) const {
  std::string text;
  ReadWholeFile(stderr_path_, &text);
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  return text;
}

double WaitUntilIdle(pid_t pid, double busy_fraction, double timeout_seconds) {
  const double start = MonoSeconds();
  double previous = ProcessCpuSeconds(pid);
  while (MonoSeconds() - start < timeout_seconds) {
    SleepSeconds(0.25);
    double now = ProcessCpuSeconds(pid);
    if (now < 0 || previous < 0) break;
    if (now - previous < busy_fraction * 0.25) break;
    previous = now;
  }
  return MonoSeconds() - start;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace roentgen::bench
