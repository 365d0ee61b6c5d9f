// SPDX-License-Identifier: Apache-2.0
// udp_ingest_bench: how many recipe segments per second roentgen takes over UDP without loss,
// against a bare recvmmsg sink (udp_sink.h) on the same machine in the same run.
//
// One sender thread sends recipe datagrams (recipe_traffic.h) paced at an offered rate for a
// few seconds ("a step") to (a) the sink, in this process, and (b) a fresh `roentgen serve`
// child. After each step it waits for the receiver to drain, sends one probe datagram (the
// kernel reports SO_RXQ_OVFL drops only with the next datagram queued, so the probe makes the
// drops at the end of a step visible) and accounts for every datagram:
//
//   sink:      sent = received + kernel drops (SO_RXQ_OVFL)
//   roentgen:  sent = roentgen_udp_datagrams_total + roentgen_udp_kernel_drops_total
//              roentgen_udp_datagrams_total = roentgen_udp_documents_accepted_total
//                                             + sum(roentgen_udp_dropped_total{reason})
//
// and prints any unexplained difference, with /proc/net/udp (the socket's own drop count and
// queue) and /proc/net/softnet_stat (loopback backlog drops, machine-wide) as cross-checks.
// A step has zero loss when every datagram sent was stored (sink: received).
//
// The search doubles the offered rate from --start-rate until a step loses datagrams, then
// bisects, then runs one saturation step at --max-rate (the sender's top speed). It reports
// the highest zero-loss rate of each receiver (the rate the sender really achieved, when it
// fell short: "ok*"), the highest received rate of any step and the roentgen/sink ratios.
// CPU per segment: roentgen's utime+stime (the whole process, every thread; read with
// clock_getcpuclockid, the /proc/<pid>/stat figure at ns resolution) over the step divided by
// the datagrams received, until everything was stored ("us/seg") and until the step's traces
// were sealed too ("+seal"); the sink's receive-thread CPU clock. At the end of each run the
// server's whole-run CPU (rusage after SIGTERM) per document stored, and its CPU by thread.
//
// Usage: udp_ingest_bench [flags]
//   --target=both|sink|roentgen   what to measure (both)
//   --runs=N                      repeat the whole search N times; medians are reported (1)
//   --rates=R1,R2,...             fixed offered rates (datagrams/s) instead of the search
//   --start-rate=R                first rate of the search (10000)
//   --max-rate=R                  stop doubling here (1280000)
//   --step-seconds=S              length of one step (3)
//   --bisect-steps=N              bisection steps after the first loss (4)
//   --tolerance=F                 stop bisecting when (bad-good)/good < F (0.05)
//   --no-saturation               skip the last step at --max-rate (the sender's top speed),
//                                 which measures the highest received rate under overload
//   --roentgen=PATH               the server binary (next to this tool, else $PATH)
//   --server-arg=ARG              extra argument for `roentgen serve` (repeatable)
//   --keep-data                   keep the temp data directories
//   --seed=N                      generator seed (1)
//   --smoke                       CI: one run, rates 2000 and 5000, 1 s steps, no search
//   --verbose                     per-step details
// Exit status: 0 ok; 1 a tool or server failure (server died, could not talk to it,
// unexplained datagrams); 2 bad flags.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "bench_util.h"
#include "recipe_traffic.h"
#include "udp_sink.h"

namespace roentgen::bench {
namespace {

// ---- Sender ----

// Sends recipe datagrams to 127.0.0.1:port, paced. Not thread-safe.
class Sender {
 public:
  struct Result {
    uint64_t sent = 0;         // accepted by sendmmsg
    uint64_t send_errors = 0;  // datagrams sendmmsg refused (not sent)
    std::string first_error;
    double start = 0;  // MonoSeconds()
    double end = 0;
    double cpu_seconds = 0;  // this thread
    double achieved_rate() const {
      return end > start ? static_cast<double>(sent) / (end - start) : 0;
    }
  };

  explicit Sender(uint64_t seed) : traffic_(RecipeTrafficOptions{.seed = seed}) {
    for (auto& buffer : buffers_) buffer.reserve(16 * 1024);
  }
  ~Sender() {
    if (fd_ >= 0) close(fd_);
  }

  bool Connect(uint16_t port, std::string* error) {
    if (fd_ >= 0) close(fd_);
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      *error = std::string("sender: ") + std::strerror(errno);
      return false;
    }
    // A large send buffer: blocking sends then wait instead of failing under bursts.
    int size = 8 * 1024 * 1024;
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
    return true;
  }

  // Sends round(rate * seconds) datagrams; datagram i is due at start + i / rate. Wakes up at
  // most ~2000 times a second and sends what is due in sendmmsg batches of up to 64.
  Result Send(double rate, double seconds) {
    Result result;
    const auto total = static_cast<uint64_t>(std::llround(rate * seconds));
    const uint64_t chunk = std::clamp<uint64_t>(static_cast<uint64_t>(rate / 2000), 1, kBatch);
    const double cpu_start = ThreadCpuSeconds();
    result.start = MonoSeconds();
    uint64_t attempted = 0;
    while (attempted < total) {
      const double now = MonoSeconds();
      auto due = static_cast<uint64_t>((now - result.start) * rate) + 1;
      due = std::min(due, total);
      if (due <= attempted) {
        const double wake = result.start + static_cast<double>(attempted + chunk - 1) / rate;
        SleepSeconds(wake - now);
        continue;
      }
      while (attempted < due) {
        const auto count = static_cast<size_t>(std::min<uint64_t>(kBatch, due - attempted));
        SendBatch(count, &result);
        attempted += count;
      }
    }
    result.end = MonoSeconds();
    result.cpu_seconds = ThreadCpuSeconds() - cpu_start;
    return result;
  }

  // Sends one datagram now (the probe).
  Result SendOne() {
    Result result;
    result.start = MonoSeconds();
    SendBatch(1, &result);
    result.end = MonoSeconds();
    return result;
  }

 private:
  static constexpr size_t kBatch = 64;

  // Fills `count` datagrams from the generator and sends them; counts what went out.
  void SendBatch(size_t count, Result* result) {
    mmsghdr msgs[kBatch];
    iovec iovs[kBatch];
    std::memset(msgs, 0, sizeof(msgs[0]) * count);
    for (size_t idx = 0; idx < count; ++idx) {
      if (trace_ == nullptr || cursor_ == trace_->datagrams.size()) {
        trace_ = &traffic_.NextTrace(WallSeconds());
        cursor_ = 0;
      }
      buffers_[idx].assign(trace_->datagrams[cursor_++]);
      iovs[idx].iov_base = buffers_[idx].data();
      iovs[idx].iov_len = buffers_[idx].size();
      msgs[idx].msg_hdr.msg_iov = &iovs[idx];
      msgs[idx].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    while (done < count) {
      int sent = sendmmsg(fd_, msgs + done, static_cast<unsigned>(count - done), 0);
      if (sent < 0) {
        if (errno == EINTR) continue;
        // ECONNREFUSED (nobody listening: the server died), ENOBUFS, ...: the datagram is
        // not sent; an SDK would drop it too.
        if (result->first_error.empty()) result->first_error = std::strerror(errno);
        ++result->send_errors;
        ++done;
        continue;
      }
      done += static_cast<size_t>(sent);
      result->sent += static_cast<uint64_t>(sent);
    }
  }

  RecipeTraffic traffic_;
  const RecipeTrace* trace_ = nullptr;
  size_t cursor_ = 0;
  int fd_ = -1;
  std::string buffers_[kBatch];
};

// ---- Receivers ----

// What a receiver has counted so far.
struct Snapshot {
  double mono = 0;
  uint64_t received = 0;      // datagrams read from the socket by the receiver
  uint64_t kernel_drops = 0;  // as the receiver reports them (SO_RXQ_OVFL)
  uint64_t stored = 0;        // roentgen: UDP documents stored; sink: = received
  uint64_t app_dropped = 0;   // roentgen: sum of roentgen_udp_dropped_total
  uint64_t store_stored = 0;  // roentgen: roentgen_store_documents_stored_total (cross-check)
  uint64_t open_traces = 0;   // roentgen: roentgen_store_open_traces (not sealed yet)
  Metrics drop_reasons;       // roentgen: roentgen_udp_dropped_total{...} series
  UdpSocketStats socket;      // /proc/net/udp
  KernelUdpCounters kernel;   // machine-wide
  double cpu = 0;             // seconds: roentgen process / sink thread
  ProcCpu proc_cpu;           // roentgen: user/system split
  double last_receive = 0;    // sink: exact time of the last batch; 0 = unknown
  std::map<pid_t, ThreadCpu> threads;  // roentgen: CPU by thread
};

// CPU of one roentgen thread over the steps: while sending and draining ("ingest") and while
// waiting for the step's traces to be sealed ("sealing").
struct ThreadPhases {
  std::string name;
  double ingest = 0;
  double sealing = 0;
};

class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual std::string name() const = 0;
  virtual uint16_t port() const = 0;
  virtual bool Take(Snapshot* snapshot, std::string* error) = 0;
  // False (with *why) when the receiver died.
  virtual bool Alive(std::string* why) = 0;
  // Waits until the work the step left behind is done (roentgen: every trace sealed, then the
  // process idle), so that the next step starts clean and the step's CPU includes it.
  virtual void Settle() {}
};

class SinkReceiver : public Receiver {
 public:
  bool Start(std::string* error) {
    sink_ = std::make_unique<UdpSink>(UdpSink::Options{});
    return sink_->Start(error);
  }
  std::string name() const override { return "sink"; }
  uint16_t port() const override { return sink_->port(); }
  bool Take(Snapshot* s, std::string*) override {
    UdpSink::Counters c = sink_->counters();
    s->mono = MonoSeconds();
    s->received = c.datagrams;
    s->kernel_drops = c.kernel_drops;
    s->stored = c.datagrams;
    s->cpu = c.cpu_seconds;
    s->last_receive = c.last_receive_mono;
    s->socket = ReadProcNetUdp(port());
    s->kernel = ReadKernelUdpCounters();
    return true;
  }
  bool Alive(std::string*) override { return true; }
  int effective_receive_buffer() const { return sink_->effective_receive_buffer(); }

 private:
  std::unique_ptr<UdpSink> sink_;
};

class RoentgenReceiver : public Receiver {
 public:
  ~RoentgenReceiver() override {
    if (!keep_data_ && !temp_dir_.empty()) RemoveTree(temp_dir_);
  }

  bool Start(const std::string& binary, const std::vector<std::string>& extra_args, bool keep_data,
             std::string* error) {
    keep_data_ = keep_data;
    if (!MakeTempDir("roentgen-udp-bench-", &temp_dir_, error)) return false;
    ServerProcess::Options options;
    options.binary = binary;
    options.data_dir = temp_dir_ + "/data";
    options.log_dir = temp_dir_;
    options.extra_args = extra_args;
    if (!server_.Start(options, error)) return false;
    http_ = std::make_unique<HttpClient>("127.0.0.1", server_.http_port());
    return true;
  }

  std::string name() const override { return "roentgen"; }
  uint16_t port() const override { return server_.udp_port(); }
  pid_t pid() const { return server_.pid(); }
  const std::string& temp_dir() const { return temp_dir_; }

  bool Take(Snapshot* s, std::string* error) override {
    Metrics m;
    s->mono = MonoSeconds();
    s->cpu = ProcessCpuSeconds(server_.pid());
    ReadProcCpu(server_.pid(), &s->proc_cpu);
    s->socket = ReadProcNetUdp(port());
    s->kernel = ReadKernelUdpCounters();
    if (!FetchMetrics(*http_, &m, error)) return false;
    auto value = [&](std::string_view series) {
      return static_cast<uint64_t>(MetricValue(m, series));
    };
    s->threads.clear();
    for (const ThreadCpu& thread : ReadThreadCpu(server_.pid())) s->threads[thread.tid] = thread;
    s->received = value("roentgen_udp_datagrams_total");
    s->kernel_drops = value("roentgen_udp_kernel_drops_total");
    s->stored = value("roentgen_udp_documents_accepted_total");
    s->app_dropped = static_cast<uint64_t>(MetricSum(m, "roentgen_udp_dropped_total"));
    s->store_stored = value("roentgen_store_documents_stored_total");
    s->open_traces = value("roentgen_store_open_traces");
    s->drop_reasons.clear();
    for (const auto& [series, number] : m) {
      if (series.rfind("roentgen_udp_dropped_total{", 0) == 0) s->drop_reasons[series] = number;
    }
    return true;
  }

  bool Alive(std::string* why) override {
    int exit_code = 0;
    if (server_.Running(&exit_code)) return true;
    *why = "roentgen exited with status " + std::to_string(exit_code) +
           "; stderr: " + server_.StderrTail(3000);
    return false;
  }

  void Settle() override {
    // Traces are sealed after the quiet period (2 s by default): wait for none to be open,
    // then for the sealer to finish.
    const double deadline = MonoSeconds() + 60;
    std::string error;
    Snapshot s;
    while (MonoSeconds() < deadline && Take(&s, &error) && s.open_traces > 0) SleepSeconds(0.1);
    WaitUntilIdle(server_.pid(), 0.05, 15);
  }

  // Per-thread CPU, for the report.
  std::vector<ThreadCpu> Threads() const { return ReadThreadCpu(server_.pid()); }

  bool Stop(ProcCpu* total_cpu, int* exit_code, std::string* error) {
    return server_.Stop(120, exit_code, total_cpu, error);
  }

 private:
  ServerProcess server_;
  std::unique_ptr<HttpClient> http_;
  std::string temp_dir_;
  bool keep_data_ = false;
};

// ---- Steps ----

struct StepResult {
  double offered_rate = 0;   // asked for
  double achieved_rate = 0;  // what the sender managed
  uint64_t sent = 0;         // including the probe
  uint64_t send_errors = 0;
  uint64_t received = 0;
  uint64_t kernel_drops = 0;                   // as the receiver reported them
  uint64_t proc_drops = 0;                     // /proc/net/udp delta
  uint64_t drops_unreported_before_probe = 0;  // /proc drops the receiver had not seen yet
  uint64_t app_dropped = 0;
  uint64_t stored = 0;
  uint64_t softnet_drops = 0;
  int64_t unexplained_kernel = 0;  // sent - received - kernel_drops
  int64_t unexplained_app = 0;     // received - stored - app_dropped
  double received_rate = 0;
  double drain_seconds = 0;  // from the last send until the receiver was done
  double cpu_seconds = 0;
  double cpu_user = 0;
  double cpu_system = 0;
  double cpu_us_per_segment = 0;          // from the start until everything was stored
  double settled_cpu_us_per_segment = 0;  // ... until the step's traces were sealed, too
  double sender_cpu_us_per_datagram = 0;
  Metrics drop_reasons;  // non-zero deltas
  bool stuck = false;    // the receiver stopped making progress with work outstanding
  std::map<pid_t, ThreadPhases> threads;  // roentgen
  bool zero_loss() const { return sent > 0 && stored == sent && send_errors == 0; }
  bool sender_bound() const { return achieved_rate < 0.95 * offered_rate; }
  // What the receiver was really offered.
  double effective_rate() const { return std::min(offered_rate, achieved_rate); }
};

struct Config {
  double step_seconds = 3;
  bool verbose = false;
};

// Polls until the receiver has read everything queued and accounted for it (or stops making
// progress). out->mono is set to when the receiver last read datagrams from the socket (the
// sink knows it exactly; for roentgen it is the first poll, every 20 ms, that saw the count
// move), not counting `progress_since` and before.
bool Drain(Receiver& receiver, const Snapshot& base, uint64_t expected_at_socket,
           double progress_since, double timeout, Snapshot* out, bool* stuck, std::string* error) {
  Snapshot previous;
  if (!receiver.Take(&previous, error)) return false;
  double last_change = progress_since;   // any counter moved
  double last_receive = progress_since;  // the receiver read datagrams
  const double start = MonoSeconds();
  *stuck = false;
  while (true) {
    SleepSeconds(0.02);
    Snapshot now;
    if (!receiver.Take(&now, error)) return false;
    if (now.received != previous.received) last_receive = now.mono;
    if (now.received != previous.received || now.stored != previous.stored ||
        now.app_dropped != previous.app_dropped || now.kernel_drops != previous.kernel_drops) {
      last_change = now.mono;
    }
    const bool socket_empty = !now.socket.found || now.socket.rx_queue_bytes == 0;
    const uint64_t arrived =
        (now.received - base.received) + (now.socket.drops - base.socket.drops);
    const bool all_arrived = arrived >= expected_at_socket;
    const bool all_accounted = (now.stored - base.stored) + (now.app_dropped - base.app_dropped) >=
                               now.received - base.received;
    previous = now;
    if (socket_empty && all_arrived && all_accounted && now.mono - last_change >= 0.15) break;
    if (now.mono - last_change > 3.0 || now.mono - start > timeout) {
      *stuck = !(socket_empty && all_accounted);
      break;
    }
  }
  *out = previous;
  out->mono = last_receive;
  if (previous.last_receive > 0) out->mono = std::max(previous.last_receive, progress_since);
  return true;
}

bool RunStep(Receiver& receiver, Sender& sender, double rate, const Config& config,
             StepResult* step, std::string* error) {
  *step = StepResult{};
  Snapshot base;
  if (!receiver.Take(&base, error)) return false;
  step->offered_rate = rate;
  Sender::Result sent = sender.Send(rate, config.step_seconds);
  step->achieved_rate = sent.achieved_rate();
  step->sender_cpu_us_per_datagram =
      sent.sent > 0 ? sent.cpu_seconds * 1e6 / static_cast<double>(sent.sent) : 0;
  Snapshot drained;
  bool stuck = false;
  const double timeout = std::max(20.0, config.step_seconds * 5);
  if (!Drain(receiver, base, sent.sent, sent.end, timeout, &drained, &stuck, error)) return false;
  const double end_of_receiving = drained.mono;
  step->drops_unreported_before_probe =
      (drained.socket.drops - base.socket.drops) - (drained.kernel_drops - base.kernel_drops);
  // The probe: makes SO_RXQ_OVFL report the drops at the end of the step.
  Sender::Result probe = sender.SendOne();
  Snapshot after;
  bool probe_stuck = false;
  if (!Drain(receiver, base, sent.sent + probe.sent, probe.end, 10, &after, &probe_stuck, error)) {
    return false;
  }
  if (!receiver.Take(&after, error)) return false;
  receiver.Settle();
  Snapshot settled;
  if (!receiver.Take(&settled, error)) return false;
  step->stuck = stuck || probe_stuck;
  step->sent = sent.sent + probe.sent;
  step->send_errors = sent.send_errors + probe.send_errors;
  step->received = after.received - base.received;
  step->kernel_drops = after.kernel_drops - base.kernel_drops;
  step->proc_drops = after.socket.drops - base.socket.drops;
  step->app_dropped = after.app_dropped - base.app_dropped;
  step->stored = after.stored - base.stored;
  step->softnet_drops = after.kernel.softnet_drops - base.kernel.softnet_drops;
  step->unexplained_kernel = static_cast<int64_t>(step->sent) -
                             static_cast<int64_t>(step->received) -
                             static_cast<int64_t>(step->kernel_drops);
  step->unexplained_app = static_cast<int64_t>(step->received) -
                          static_cast<int64_t>(step->stored) -
                          static_cast<int64_t>(step->app_dropped);
  const uint64_t received_in_step = drained.received - base.received;
  step->drain_seconds = std::max(0.0, end_of_receiving - sent.end);
  step->received_rate = end_of_receiving > sent.start ? static_cast<double>(received_in_step) /
                                                            (end_of_receiving - sent.start)
                                                      : 0;
  step->cpu_seconds = after.cpu - base.cpu;
  step->cpu_user = after.proc_cpu.user - base.proc_cpu.user;
  step->cpu_system = after.proc_cpu.system - base.proc_cpu.system;
  step->cpu_us_per_segment =
      step->received > 0 ? step->cpu_seconds * 1e6 / static_cast<double>(step->received) : 0;
  for (const auto& [tid, thread] : settled.threads) {
    ThreadPhases& phases = step->threads[tid];
    phases.name = thread.name;
    auto cpu_at = [&](const Snapshot& snapshot) {
      auto it = snapshot.threads.find(tid);
      return it == snapshot.threads.end() ? 0.0 : it->second.seconds;
    };
    phases.ingest = cpu_at(after) - cpu_at(base);
    phases.sealing = thread.seconds - cpu_at(after);
  }
  step->settled_cpu_us_per_segment =
      step->received > 0 ? (settled.cpu - base.cpu) * 1e6 / static_cast<double>(step->received) : 0;
  for (const auto& [series, number] : after.drop_reasons) {
    double delta = number - MetricValue(base.drop_reasons, series);
    if (delta != 0) step->drop_reasons[series] = delta;
  }
  if (!sent.first_error.empty() && error != nullptr) {
    std::fprintf(stderr, "  sender: %llu datagrams refused by sendmmsg (%s)\n",
                 static_cast<unsigned long long>(step->send_errors), sent.first_error.c_str());
  }
  return true;
}

void PrintStepHeader() {
  std::printf("  %-8s %9s %9s %9s %9s %9s %8s %8s %8s %8s %6s %7s %6s %6s %6s\n", "receiver",
              "offered/s", "achieved", "sent", "received", "rcv/s", "k-drops", "app-drop", "stored",
              "lost", "unexp", "drainms", "us/seg", "+seal", "result");
}

void PrintStep(const std::string& name, const StepResult& s, bool verbose) {
  const int64_t lost = static_cast<int64_t>(s.sent) - static_cast<int64_t>(s.stored);
  std::printf(
      "  %-8s %9.0f %9.0f %9llu %9llu %9.0f %8llu %8llu %8llu %8lld %6lld %7.0f %6.2f %6.2f %6s\n",
      name.c_str(), s.offered_rate, s.achieved_rate, static_cast<unsigned long long>(s.sent),
      static_cast<unsigned long long>(s.received), s.received_rate,
      static_cast<unsigned long long>(s.kernel_drops),
      static_cast<unsigned long long>(s.app_dropped), static_cast<unsigned long long>(s.stored),
      static_cast<long long>(lost),
      static_cast<long long>(s.unexplained_kernel + s.unexplained_app), s.drain_seconds * 1000,
      s.cpu_us_per_segment, s.settled_cpu_us_per_segment,
      s.zero_loss() ? (s.sender_bound() ? "ok*" : "ok") : "LOSS");
  if (s.unexplained_kernel != 0 || s.unexplained_app != 0) {
    std::printf(
        "    UNEXPLAINED: sent - received - kernel drops = %lld; received - stored - dropped = "
        "%lld  (/proc/net/udp drops %llu, softnet backlog drops %llu, sendmmsg errors %llu)\n",
        static_cast<long long>(s.unexplained_kernel), static_cast<long long>(s.unexplained_app),
        static_cast<unsigned long long>(s.proc_drops),
        static_cast<unsigned long long>(s.softnet_drops),
        static_cast<unsigned long long>(s.send_errors));
  }
  if (s.stuck) std::printf("    the receiver stopped making progress with work outstanding\n");
  if (s.kernel_drops != s.proc_drops) {
    std::printf("    kernel drops: receiver says %llu, /proc/net/udp says %llu\n",
                static_cast<unsigned long long>(s.kernel_drops),
                static_cast<unsigned long long>(s.proc_drops));
  }
  if (verbose || s.drops_unreported_before_probe > 0) {
    if (s.drops_unreported_before_probe > 0) {
      std::printf(
          "    %llu kernel drops were not visible in the receiver's count until the probe "
          "datagram arrived (SO_RXQ_OVFL is reported with the next datagram)\n",
          static_cast<unsigned long long>(s.drops_unreported_before_probe));
    }
  }
  for (const auto& [series, delta] : s.drop_reasons) {
    std::printf("    %s +%.0f\n", series.c_str(), delta);
  }
  if (verbose) {
    std::printf("    cpu %.3f s (user %.3f, sys %.3f); sender %.2f us/datagram\n", s.cpu_seconds,
                s.cpu_user, s.cpu_system, s.sender_cpu_us_per_datagram);
  }
  std::fflush(stdout);
}

struct SearchResult {
  std::vector<StepResult> steps;
  double zero_loss_rate = 0;  // highest offered rate with zero loss
  double max_received_rate = 0;
  double cpu_us_at_zero_loss = 0;            // until stored
  double settled_cpu_us_at_zero_loss = 0;    // until sealed as well
  bool sender_bound = false;                 // the sender could not offer more than what was kept
  std::map<pid_t, ThreadPhases> thread_cpu;  // roentgen, summed over the steps
  bool accounting_ok = true;
};

bool Search(Receiver& receiver, Sender& sender, const Config& config,
            const std::vector<double>& fixed_rates, double start_rate, double max_rate,
            int bisect_steps, double tolerance, bool saturate, SearchResult* result,
            std::string* error) {
  auto run = [&](double rate, StepResult* step) {
    if (!RunStep(receiver, sender, rate, config, step, error)) return false;
    PrintStep(receiver.name(), *step, config.verbose);
    result->steps.push_back(*step);
    result->max_received_rate = std::max(result->max_received_rate, step->received_rate);
    for (const auto& [tid, phases] : step->threads) {
      ThreadPhases& total = result->thread_cpu[tid];
      total.name = phases.name;
      total.ingest += phases.ingest;
      total.sealing += phases.sealing;
    }
    if (step->unexplained_kernel != 0 || step->unexplained_app != 0 || step->stuck) {
      result->accounting_ok = false;
    }
    if (step->zero_loss() && step->effective_rate() >= result->zero_loss_rate) {
      result->zero_loss_rate = step->effective_rate();
      result->cpu_us_at_zero_loss = step->cpu_us_per_segment;
      result->settled_cpu_us_at_zero_loss = step->settled_cpu_us_per_segment;
    }
    std::string why;
    if (!receiver.Alive(&why)) {
      *error = why;
      return false;
    }
    return true;
  };
  StepResult step;
  if (!fixed_rates.empty()) {
    for (double rate : fixed_rates) {
      if (!run(rate, &step)) return false;
    }
    return true;
  }
  double good = 0;
  double bad = 0;
  for (double rate = start_rate; rate <= max_rate; rate *= 2) {
    if (!run(rate, &step)) return false;
    if (!step.zero_loss()) {
      bad = rate;
      break;
    }
    good = rate;
    if (step.sender_bound()) {
      result->sender_bound = true;
      return true;
    }
  }
  if (good == 0) {
    // Lossy from the first step: halve until a step is clean.
    for (double rate = start_rate / 2; rate >= 250; rate /= 2) {
      if (!run(rate, &step)) return false;
      if (step.zero_loss()) {
        good = rate;
        break;
      }
      bad = rate;
    }
  }
  for (int idx = 0; idx < bisect_steps && bad > 0 && good > 0 && (bad - good) / good > tolerance;
       ++idx) {
    double mid = std::round((good + bad) / 2 / 500) * 500;
    if (!run(mid, &step)) return false;
    if (step.zero_loss()) {
      good = mid;
      if (step.sender_bound()) {
        result->sender_bound = true;
        break;
      }
    } else {
      bad = mid;
    }
  }
  // Saturation: as fast as the sender goes, for the highest received rate under overload.
  if (saturate && !result->sender_bound) {
    if (!run(max_rate, &step)) return false;
    if (step.zero_loss()) result->sender_bound = true;
  }
  return true;
}

// roentgen's CPU by thread over all steps, split into the ingest phase (sending and draining)
// and the sealing phase (waiting until the step's traces were sealed). Unnamed threads are
// told apart by what they wait in now: the UDP receiver in poll(2).
void PrintThreads(pid_t pid, const std::map<pid_t, ThreadPhases>& threads) {
  std::vector<std::pair<pid_t, ThreadPhases>> sorted(threads.begin(), threads.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second.ingest + a.second.sealing > b.second.ingest + b.second.sealing;
  });
  std::printf("  roentgen CPU by thread over the steps (s while ingesting / s while sealing):");
  for (size_t idx = 0; idx < sorted.size() && idx < 6; ++idx) {
    const auto& [tid, phases] = sorted[idx];
    std::string name = phases.name;
    if (tid == pid) {
      name = "main";
    } else if (name == "roentgen") {
      std::ifstream wchan("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                          "/wchan");
      std::string waiting;
      std::getline(wchan, waiting);
      name =
          waiting.find("poll") != std::string::npos ? "udp-receiver" : "tid-" + std::to_string(tid);
    }
    std::printf(" %s %.2f/%.2f", name.c_str(), phases.ingest, phases.sealing);
  }
  std::printf("\n");
}

std::vector<double> ParseRates(const std::string& text) {
  std::vector<double> rates;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) rates.push_back(std::strtod(item.c_str(), nullptr));
  }
  return rates;
}

void PrintMachine() {
  utsname name{};
  uname(&name);
  std::string model;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("machine: %ld CPUs (%s), Linux %s, load average %.2f %.2f %.2f\n",
              sysconf(_SC_NPROCESSORS_ONLN), model.c_str(), name.release, load[0], load[1],
              load[2]);
}

int Main(int argc, char** argv) {
  Flags flags;
  std::string error;
  if (!flags.Parse(argc, argv, &error)) {
    std::fprintf(stderr, "udp_ingest_bench: %s\n", error.c_str());
    return 2;
  }
  auto unknown = flags.Unknown({"target", "runs", "rates", "start-rate", "max-rate", "step-seconds",
                                "bisect-steps", "tolerance", "roentgen", "server-arg", "keep-data",
                                "seed", "smoke", "verbose", "no-saturation", "help"});
  if (!unknown.empty() || flags.Has("help")) {
    if (!unknown.empty())
      std::fprintf(stderr, "udp_ingest_bench: unknown flag --%s\n", unknown[0].c_str());
    std::fprintf(stderr,
                 "usage: udp_ingest_bench [--target=both|sink|roentgen] [--runs=N] "
                 "[--rates=R,...] [--start-rate=R] [--max-rate=R] [--step-seconds=S] "
                 "[--bisect-steps=N] [--tolerance=F] [--roentgen=PATH] "
                 "[--server-arg=ARG]... [--keep-data] [--seed=N] [--smoke] [--verbose] "
                 "[--no-saturation]\n"
                 "(see the comment at the top of bench/udp_ingest_bench.cc)\n");
    return flags.Has("help") ? 0 : 2;
  }
  const bool smoke = flags.GetBool("smoke");
  Config config;
  config.step_seconds = flags.GetDouble("step-seconds", smoke ? 1 : 3);
  config.verbose = flags.GetBool("verbose");
  const std::string target = flags.Get("target", "both");
  if (target != "both" && target != "sink" && target != "roentgen") {
    std::fprintf(stderr, "udp_ingest_bench: --target must be both, sink or roentgen\n");
    return 2;
  }
  const int runs = static_cast<int>(flags.GetInt("runs", 1));
  std::vector<double> fixed_rates = ParseRates(flags.Get("rates", smoke ? "2000,5000" : ""));
  const double start_rate = flags.GetDouble("start-rate", 10000);
  const double max_rate = flags.GetDouble("max-rate", 1280000);
  const int bisect_steps = static_cast<int>(flags.GetInt("bisect-steps", 4));
  const double tolerance = flags.GetDouble("tolerance", 0.05);
  const auto seed = static_cast<uint64_t>(flags.GetInt("seed", 1));
  const bool saturate = !smoke && !flags.Has("no-saturation");
  const bool want_sink = target != "roentgen";
  const bool want_roentgen = target != "sink";
  std::string binary;
  if (want_roentgen) {
    binary = FindRoentgen(flags.Get("roentgen", ""));
    if (binary.empty()) {
      std::fprintf(stderr, "udp_ingest_bench: no roentgen binary found (use --roentgen=PATH)\n");
      return 1;
    }
  }

  PrintMachine();
  {
    RecipeTraffic sample;
    size_t docs = 0, bytes = 0;
    for (int idx = 0; idx < 2000; ++idx) {
      const RecipeTrace& trace = sample.NextTrace(WallSeconds());
      docs += trace.datagrams.size();
      for (auto datagram : trace.datagrams) bytes += datagram.size();
    }
    std::printf(
        "traffic: recipe traces, %.2f datagrams/trace, %.0f bytes/datagram on average; "
        "one sender thread, %.1f s steps\n",
        static_cast<double>(docs) / 2000, static_cast<double>(bytes) / static_cast<double>(docs),
        config.step_seconds);
  }
  if (want_roentgen) std::printf("roentgen: %s\n", binary.c_str());

  struct RunSummary {
    SearchResult sink;
    SearchResult roentgen;
    double roentgen_total_cpu_us = 0;  // whole run incl. sealing, blocks and shutdown
    uint64_t roentgen_stored = 0;
  };
  std::vector<RunSummary> summaries;
  bool failed = false;
  for (int run_idx = 0; run_idx < runs && !failed; ++run_idx) {
    RunSummary summary;
    std::printf("\n== run %d of %d\n", run_idx + 1, runs);
    PrintStepHeader();
    Sender sender(seed + static_cast<uint64_t>(run_idx) * 1000003);
    if (want_sink) {
      SinkReceiver sink;
      if (!sink.Start(&error) || !sender.Connect(sink.port(), &error)) {
        std::fprintf(stderr, "udp_ingest_bench: sink: %s\n", error.c_str());
        return 1;
      }
      if (run_idx == 0) {
        std::printf("  (sink SO_RCVBUF as reported by the kernel: %d bytes)\n",
                    sink.effective_receive_buffer());
      }
      if (!Search(sink, sender, config, fixed_rates, start_rate, max_rate, bisect_steps, tolerance,
                  saturate, &summary.sink, &error)) {
        std::fprintf(stderr, "udp_ingest_bench: sink: %s\n", error.c_str());
        failed = true;
      }
    }
    if (want_roentgen && !failed) {
      RoentgenReceiver server;
      if (!server.Start(binary, flags.All("server-arg"), flags.GetBool("keep-data"), &error) ||
          !sender.Connect(server.port(), &error)) {
        std::fprintf(stderr, "udp_ingest_bench: roentgen: %s\n", error.c_str());
        return 1;
      }
      if (!Search(server, sender, config, fixed_rates, start_rate, max_rate, bisect_steps,
                  tolerance, saturate, &summary.roentgen, &error)) {
        std::fprintf(stderr, "udp_ingest_bench: roentgen: %s\n", error.c_str());
        std::string why;
        if (!server.Alive(&why)) std::fprintf(stderr, "udp_ingest_bench: %s\n", why.c_str());
        failed = true;
      } else {
        Snapshot last;
        if (server.Take(&last, &error)) summary.roentgen_stored = last.stored;
        PrintThreads(server.pid(), summary.roentgen.thread_cpu);
        ProcCpu total;
        int exit_code = 0;
        const double stop_start = MonoSeconds();
        if (!server.Stop(&total, &exit_code, &error) || exit_code != 0) {
          std::fprintf(stderr, "udp_ingest_bench: roentgen shutdown: %s (exit status %d)\n",
                       error.c_str(), exit_code);
          failed = true;
        }
        if (summary.roentgen_stored > 0) {
          summary.roentgen_total_cpu_us =
              total.total() * 1e6 / static_cast<double>(summary.roentgen_stored);
        }
        std::printf(
            "  roentgen: %llu documents stored over UDP; whole-run CPU %.2f s (user "
            "%.2f, sys %.2f) = %.2f us/segment incl. sealing, blocks and shutdown "
            "(%.1f s); data in %s\n",
            static_cast<unsigned long long>(summary.roentgen_stored), total.total(), total.user,
            total.system, summary.roentgen_total_cpu_us, MonoSeconds() - stop_start,
            flags.GetBool("keep-data") ? server.temp_dir().c_str() : "(removed)");
      }
    }
    summaries.push_back(std::move(summary));
  }
  if (failed) return 1;

  // ---- Summary ----
  auto median_of = [&](auto field) {
    std::vector<double> values;
    for (const RunSummary& s : summaries) values.push_back(field(s));
    return Median(values);
  };
  bool accounting_ok = true;
  for (const RunSummary& s : summaries) {
    accounting_ok = accounting_ok && s.sink.accounting_ok && s.roentgen.accounting_ok;
  }
  std::printf("\n== summary (%s of %zu run%s)\n", summaries.size() > 1 ? "median" : "result",
              summaries.size(), summaries.size() > 1 ? "s" : "");
  const double sink_zero = median_of([](const RunSummary& s) { return s.sink.zero_loss_rate; });
  const double rg_zero = median_of([](const RunSummary& s) { return s.roentgen.zero_loss_rate; });
  const double sink_max = median_of([](const RunSummary& s) { return s.sink.max_received_rate; });
  const double rg_max = median_of([](const RunSummary& s) { return s.roentgen.max_received_rate; });
  const double sink_cpu = median_of([](const RunSummary& s) { return s.sink.cpu_us_at_zero_loss; });
  const double rg_cpu =
      median_of([](const RunSummary& s) { return s.roentgen.cpu_us_at_zero_loss; });
  const double rg_settled_cpu =
      median_of([](const RunSummary& s) { return s.roentgen.settled_cpu_us_at_zero_loss; });
  const double rg_total_cpu =
      median_of([](const RunSummary& s) { return s.roentgen_total_cpu_us; });
  std::printf("  %-44s %12s %12s %8s\n", "", "sink", "roentgen", "ratio");
  auto row = [&](const char* label, double sink_value, double rg_value, bool ratio) {
    std::printf("  %-44s", label);
    if (want_sink) {
      std::printf(" %12.1f", sink_value);
    } else {
      std::printf(" %12s", "-");
    }
    if (want_roentgen) {
      std::printf(" %12.1f", rg_value);
    } else {
      std::printf(" %12s", "-");
    }
    if (ratio && sink_value > 0 && want_sink && want_roentgen) {
      std::printf(" %7.1f%%", 100 * rg_value / sink_value);
    }
    std::printf("\n");
  };
  if (fixed_rates.empty()) {
    row("highest zero-loss offered rate (datagrams/s)", sink_zero, rg_zero, true);
  }
  row("highest received rate (datagrams/s)", sink_max, rg_max, true);
  row("CPU us/segment at the highest zero-loss step", sink_cpu, rg_cpu, false);
  if (want_roentgen) {
    std::printf("  %-44s %12s %12.1f\n", "  ... including sealing the step's traces", "",
                rg_settled_cpu);
  }
  if (want_roentgen) {
    std::printf("  roentgen whole-run CPU us/segment (incl. sealing, blocks, shutdown): %.2f\n",
                rg_total_cpu);
  }
  for (const RunSummary& s : summaries) {
    if (s.sink.sender_bound) {
      std::printf(
          "  note: the sink kept up with everything the one sender thread could offer "
          "(ok*): its rates are the sender's limit, a lower bound, so the ratios are "
          "upper bounds\n");
      break;
    }
  }
  if (fixed_rates.empty() && want_sink && want_roentgen && sink_zero > 0) {
    std::printf("RESULT udp_zero_loss_rate sink=%.0f roentgen=%.0f ratio=%.3f\n", sink_zero,
                rg_zero, rg_zero / sink_zero);
  }
  if (want_sink && want_roentgen && sink_max > 0) {
    std::printf("RESULT udp_max_received_rate sink=%.0f roentgen=%.0f ratio=%.3f\n", sink_max,
                rg_max, rg_max / sink_max);
  }
  std::printf(
      "RESULT udp_cpu_us_per_segment sink=%.2f roentgen=%.2f roentgen_with_sealing=%.2f "
      "roentgen_whole_run=%.2f\n",
      sink_cpu, rg_cpu, rg_settled_cpu, rg_total_cpu);
  if (!accounting_ok) {
    std::printf("FAIL: some datagrams are not accounted for (see UNEXPLAINED above)\n");
    return 1;
  }
  std::printf("accounting: every datagram sent is either stored or counted as a drop\n");
  return 0;
}

}  // namespace
}  // namespace roentgen::bench

int main(int argc, char** argv) { return roentgen::bench::Main(argc, argv); }
