// SPDX-License-Identifier: Apache-2.0
//
// HttpServer: Boost.Asio sockets, our RequestParser (Beast's parser underneath) for bytes.
//
// Threads and ownership. There are Options::io_threads event loops, each an io_context run by
// one thread. The acceptor lives on loop 0 and deals new connections round-robin; a
// connection (Session) then lives entirely on its loop's thread, so a session needs no
// strands or locks. Each loop keeps a map of its sessions (strong references): that is what
// keeps a session alive while its request is with the Handler, when no socket operation is
// pending, and what Shutdown() walks to close idle connections.
//
// Responses. The Handler gets a Responder that may be called from any thread. It holds weak
// references to the server core and the session; calling it posts the response onto the
// session's loop, where the session checks that it is still waiting for that request. So a
// late or stray call after the connection closed, or after Shutdown(), is harmless. A
// Responder destroyed without being called answers 500, so a handler bug cannot hang a
// client.
//
// One request at a time per connection. Pipelined requests are buffered and parsed only after
// the previous response has been written, which answers them in order without a reorder
// queue and bounds per-connection memory (the rejected alternative: dispatching pipelined
// requests concurrently; no client we serve pipelines, and PutTraceSegments ordering would
// need the queue anyway).
//
// Timeouts, one steady_timer per session, re-armed per phase: idle (between requests; closes
// silently), request (first byte to last byte of a request; 408 and close: the slowloris
// guard), write (a client that stops reading; close), linger (see Linger()).
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "base/check.h"
#include "base/clock.h"
#include "base/logging.h"
#include "http/http.h"
#include "http/internal/wire.h"
#include "http/request_parser.h"
#include "net/address.h"

namespace roentgen::http {
namespace internal {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using std::chrono::milliseconds;

// Bytes requested per read. The read buffer is max_header_bytes + this, which RequestParser's
// bound on unconsumed input guarantees is enough.
constexpr size_t kReadChunk = 16 * 1024;
// After answering with "Connection: close" we stop sending and read (and discard) for up to
// this long before closing. Closing a socket with unread input makes the kernel send RST,
// which can destroy the response before the client reads it (e.g. a 413 while the client is
// still uploading).
constexpr milliseconds kLingerTimeout(2000);
// Back-off after accept() fails (EMFILE and friends), so that the loop does not spin.
constexpr milliseconds kAcceptRetryDelay(100);

std::string NowHttpDate() { return HttpDate(Clock::Real().NowUnixNanos() / 1'000'000'000); }

}  // namespace

class Session;

// One event loop and the connections it owns.
struct Loop {
  asio::io_context context{1};
  // Guarded by running on `thread` (or by `thread` having been joined).
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  std::thread thread;
};

class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  ServerCore(HttpServer::Options options, Handler handler, ErrorFormatter formatter,
             StatsRegistry* stats);
  ~ServerCore();

  Status Start();
  void Shutdown();
  uint16_t port() const { return port_.load(std::memory_order_relaxed); }

  // For sessions (on I/O threads).
  const HttpServer::Options& options() const { return options_; }
  const Limits& limits() const { return limits_; }
  const Handler& handler() const { return handler_; }
  bool shutting_down() const { return shutting_down_.load(std::memory_order_relaxed); }
  Response Format(int status, std::string_view type, std::string_view message) const {
    return formatter_ ? formatter_(status, type, message)
                      : DefaultErrorResponse(status, type, message);
  }
  void CountResponse(int status) {
    const int status_class = status / 100;
    if (status_class >= 1 && status_class <= 5 && requests_[status_class - 1] != nullptr) {
      requests_[status_class - 1]->Add();
    }
  }
  void CountTimeout(bool idle) {
    Counter* counter = idle ? idle_timeouts_ : request_timeouts_;
    if (counter != nullptr) counter->Add();
  }
  void OnConnectionClosed();

 private:
  void RunLoop(Loop* loop, size_t index);
  void DoAccept();
  void OnAccept(const ErrorCode& ec, tcp::socket socket, Loop* loop);
  void Reject(tcp::socket socket);
  void StopAndJoin();

  // Immutable after construction.
  const HttpServer::Options options_;
  const Limits limits_;
  const Handler handler_;
  const ErrorFormatter formatter_;

  // Set up by Start(). Declared before the acceptor and timers, which must be destroyed
  // before the io_contexts they use.
  std::vector<std::unique_ptr<Loop>> loops_;
  std::unique_ptr<tcp::acceptor> acceptor_;           // on loops_[0]
  std::unique_ptr<asio::steady_timer> accept_retry_;  // on loops_[0]
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  size_t next_loop_ = 0;  // owned by loop 0's thread

  // Owner thread only (Start/Shutdown).
  bool started_ = false;
  bool stopped_ = false;

  std::atomic<uint16_t> port_{0};
  std::atomic<bool> shutting_down_{false};
  std::atomic<size_t> active_{0};
  std::mutex drain_mu_;
  std::condition_variable drained_;  // notified when active_ drops to 0

  // Stats; null without a registry.
  Counter* requests_[5] = {};
  Counter* connections_total_ = nullptr;
  Counter* connections_rejected_ = nullptr;
  Counter* idle_timeouts_ = nullptr;
  Counter* request_timeouts_ = nullptr;
  Gauge* connections_active_ = nullptr;
};

// Delivers one request's response to its session; shared by the Responder's copies.
class ResponderState {
 public:
  ResponderState(std::weak_ptr<ServerCore> core, std::weak_ptr<Session> session, uint64_t seq)
      : core_(std::move(core)), session_(std::move(session)), seq_(seq) {}
  ~ResponderState() {
    if (!called_.exchange(true)) Post(std::nullopt);
  }
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  void Deliver(Response response) {
    if (called_.exchange(true)) {
      RG_BUG(false, "http: Responder called more than once");
      return;
    }
    Post(std::move(response));
  }

 private:
  void Post(std::optional<Response> response);

  const std::weak_ptr<ServerCore> core_;
  const std::weak_ptr<Session> session_;
  const uint64_t seq_;
  std::atomic<bool> called_{false};
};

// One connection. Lives on one loop's thread; not thread-safe.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(ServerCore& core, Loop& loop, tcp::socket socket)
      : core_(core),
        loop_(loop),
        socket_(std::move(socket)),
        timer_(loop.context),
        parser_(core.limits()) {}

  asio::io_context& context() { return loop_.context; }

  void Start();
  // Shutdown(): close now if idle, else close after the current response.
  void BeginShutdown();
  // After the loop's thread was joined: release the socket.
  void ForceClose() {
    phase_ = Phase::kClosed;
    ErrorCode ec;
    socket_.close(ec);
    timer_.cancel();
  }
  void OnResponse(uint64_t seq, Response response);

 private:
  enum class Phase { kIdle, kReading, kHandling, kWriting, kLingering, kClosed };
  enum class TimerKind { kIdle, kRequest, kWrite, kLinger };

  void EnterIdle();
  void ReadMore();
  void OnRead(const ErrorCode& ec, size_t bytes);
  void Process();
  void Dispatch(ParsedRequest&& parsed);
  void SendError(const RequestError& error);
  void Write(std::string bytes, bool close_after);
  void OnWritten(const ErrorCode& ec);
  void WriteContinue();
  void Linger();
  void Close();
  void ArmTimer(milliseconds after, TimerKind kind);
  void OnTimer(TimerKind kind);

  ServerCore& core_;
  Loop& loop_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  RequestParser parser_;
  std::string remote_;

  // Input: bytes [begin_, end_) of buffer_ are received but not yet consumed by parser_.
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
  // Output in flight.
  std::string out_;

  Phase phase_ = Phase::kIdle;
  bool read_pending_ = false;
  bool write_pending_ = false;
  bool continue_sent_ = false;
  bool close_after_write_ = false;
  // The request being handled.
  bool keep_alive_ = true;
  bool http10_ = false;
  bool is_head_ = false;
  uint64_t request_seq_ = 0;
  uint64_t timer_gen_ = 0;  // a timer callback acts only if it is still the newest
};

void ResponderState::Post(std::optional<Response> response) {
  std::shared_ptr<ServerCore> core = core_.lock();
  if (core == nullptr) return;
  std::shared_ptr<Session> session = session_.lock();
  if (session == nullptr) return;
  try {
    if (!response.has_value()) {
      RG_LOG(kError, "http: a request handler dropped its responder without answering");
      response = core->Format(500, kErrorInternal, "the request was not answered");
    }
    asio::post(session->context(), [session, seq = seq_, r = std::move(*response)]() mutable {
      session->OnResponse(seq, std::move(r));
    });
  } catch (const std::exception& e) {
    RG_LOG(kError, "http: cannot deliver a response: {}", e.what());
  }
}

// ---------------------------------------------------------------------------------------
// Session

void Session::Start() {
  loop_.sessions.emplace(this, shared_from_this());
  if (core_.shutting_down()) {
    Close();
    return;
  }
  ErrorCode ec;
  const tcp::endpoint peer = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_ =
        net::Address::FromSockaddr(peer.data(), static_cast<socklen_t>(peer.size())).ToString();
  }
  socket_.set_option(tcp::no_delay(true), ec);
  buffer_.resize(core_.limits().max_header_bytes + kReadChunk);
  EnterIdle();
}

void Session::BeginShutdown() {
  switch (phase_) {
    case Phase::kIdle:
    case Phase::kLingering:
      Close();
      break;
    case Phase::kReading:
      // A request that has begun may finish (its response will close the connection).
      if (!parser_.started()) Close();
      break;
    case Phase::kHandling:
    case Phase::kWriting:
    case Phase::kClosed:
      break;
  }
}

void Session::EnterIdle() {
  if (begin_ < end_) {
    // Pipelined bytes are waiting.
    phase_ = Phase::kReading;
    ArmTimer(core_.options().request_timeout, TimerKind::kRequest);
    Process();
    return;
  }
  begin_ = end_ = 0;
  phase_ = Phase::kIdle;
  ArmTimer(core_.options().idle_timeout, TimerKind::kIdle);
  ReadMore();
}

void Session::ReadMore() {
  if (read_pending_) return;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    // RequestParser keeps unconsumed input under max_header_bytes, so there is always room.
    RG_BUG(false, "http: read buffer full");
    Close();
    return;
  }
  read_pending_ = true;
  socket_.async_read_some(
      asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
      [self = shared_from_this()](const ErrorCode& ec, size_t bytes) { self->OnRead(ec, bytes); });
}

void Session::OnRead(const ErrorCode& ec, size_t bytes) {
  read_pending_ = false;
  switch (phase_) {
    case Phase::kClosed:
    case Phase::kHandling:
    case Phase::kWriting:
      return;  // a read that completed after we stopped caring (e.g. cancelled for a 408)
    case Phase::kLingering:
      if (ec && ec != asio::error::operation_aborted) {
        Close();  // the client closed (or reset): done
        return;
      }
      begin_ = end_ = 0;  // discard
      ReadMore();
      return;
    case Phase::kIdle:
    case Phase::kReading:
      break;
  }
  if (ec) {
    // EOF or an error: the client went away, idle or mid-request. Nothing to answer.
    if (ec != asio::error::operation_aborted) Close();
    return;
  }
  end_ += bytes;
  if (phase_ == Phase::kIdle) {
    phase_ = Phase::kReading;
    ArmTimer(core_.options().request_timeout, TimerKind::kRequest);
  }
  Process();
}

void Session::Process() {
  const size_t used = parser_.Feed(std::string_view(buffer_.data() + begin_, end_ - begin_));
  begin_ += used;
  switch (parser_.state()) {
    case RequestParser::State::kComplete:
      Dispatch(parser_.TakeRequest());
      return;
    case RequestParser::State::kError:
      SendError(parser_.error());
      return;
    case RequestParser::State::kNeedMore:
      break;
  }
  if (!parser_.started() && phase_ == Phase::kReading) {
    // Only blank lines so far: still idle as far as timeouts go.
    phase_ = Phase::kIdle;
    ArmTimer(core_.options().idle_timeout, TimerKind::kIdle);
  }
  if (parser_.header_done() && parser_.expects_continue() && !continue_sent_) {
    continue_sent_ = true;
    WriteContinue();
    return;
  }
  ReadMore();
}

void Session::WriteContinue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  write_pending_ = true;
  asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                    [self = shared_from_this()](const ErrorCode& ec, size_t) {
                      self->write_pending_ = false;
                      if (self->phase_ != Phase::kReading && self->phase_ != Phase::kIdle) return;
                      if (ec) {
                        self->Close();
                        return;
                      }
                      self->ReadMore();
                    });
}

void Session::Dispatch(ParsedRequest&& parsed) {
  ++timer_gen_;  // disarm: the handler has no deadline here
  timer_.cancel();
  phase_ = Phase::kHandling;
  keep_alive_ = parsed.keep_alive;
  http10_ = parsed.request.http_version == 10;
  is_head_ = parsed.is_head;
  continue_sent_ = false;
  parsed.request.remote_address = remote_;
  const uint64_t seq = ++request_seq_;
  auto state = std::make_shared<ResponderState>(core_.weak_from_this(), weak_from_this(), seq);
  Responder respond = [state](Response response) { state->Deliver(std::move(response)); };
  state.reset();  // the Responder's copies own it now
  try {
    core_.handler()(std::move(parsed.request), std::move(respond));
  } catch (const std::exception& e) {
    // Our handlers do not throw; if one does, its dropped Responder answers 500.
    RG_LOG(kError, "http: request handler threw: {}", e.what());
  }
}

void Session::OnResponse(uint64_t seq, Response response) {
  if (phase_ != Phase::kHandling || seq != request_seq_) return;
  const bool close = !keep_alive_ || core_.shutting_down() || ResponseRequestsClose(response);
  core_.CountResponse(response.status);
  const std::string date = NowHttpDate();
  ResponseFraming framing;
  framing.close = close;
  framing.http10_keep_alive = http10_ && !close;
  framing.is_head = is_head_;
  framing.date = date;
  Write(SerializeResponse(response, framing), close);
}

void Session::SendError(const RequestError& error) {
  RG_LOG(kDebug, "http: {} {} from {}: {}", error.http_status, error.error_type, remote_,
         error.message);
  Response response = core_.Format(error.http_status, error.error_type, error.message);
  const bool close =
      !error.connection_reusable || core_.shutting_down() || ResponseRequestsClose(response);
  parser_.Reset();
  continue_sent_ = false;
  core_.CountResponse(response.status);
  const std::string date = NowHttpDate();
  ResponseFraming framing;
  framing.close = close;
  framing.date = date;
  Write(SerializeResponse(response, framing), close);
}

void Session::Write(std::string bytes, bool close_after) {
  phase_ = Phase::kWriting;
  close_after_write_ = close_after;
  out_ = std::move(bytes);
  ArmTimer(core_.options().request_timeout, TimerKind::kWrite);
  write_pending_ = true;
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const ErrorCode& ec, size_t) {
                      self->write_pending_ = false;
                      self->OnWritten(ec);
                    });
}

void Session::OnWritten(const ErrorCode& ec) {
  if (phase_ != Phase::kWriting) return;
  if (ec) {
    Close();
    return;
  }
  if (out_.capacity() > 64 * 1024) {
    std::string().swap(out_);
  } else {
    out_.clear();
  }
  if (close_after_write_ || core_.shutting_down()) {
    Linger();
    return;
  }
  EnterIdle();
}

// Half-closes and drains input until the client closes or kLingerTimeout passes, so that
// the last response is not lost to a reset.
void Session::Linger() {
  phase_ = Phase::kLingering;
  ErrorCode ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec || core_.shutting_down()) {
    Close();
    return;
  }
  ArmTimer(kLingerTimeout, TimerKind::kLinger);
  begin_ = end_ = 0;
  ReadMore();
}

void Session::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  std::shared_ptr<Session> self = shared_from_this();  // survive the erase below
  ErrorCode ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  ++timer_gen_;
  timer_.cancel();
  loop_.sessions.erase(this);
  core_.OnConnectionClosed();
}

void Session::ArmTimer(milliseconds after, TimerKind kind) {
  const uint64_t gen = ++timer_gen_;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), gen, kind](const ErrorCode& ec) {
    if (ec || gen != self->timer_gen_ || self->phase_ == Phase::kClosed) return;
    self->OnTimer(kind);
  });
}

void Session::OnTimer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kIdle:
      if (phase_ != Phase::kIdle) return;
      core_.CountTimeout(/*idle=*/true);
      Close();
      return;
    case TimerKind::kRequest: {
      if (phase_ != Phase::kReading) return;
      core_.CountTimeout(/*idle=*/false);
      if (write_pending_) {  // stuck sending "100 Continue"
        Close();
        return;
      }
      ErrorCode ec;
      socket_.cancel(ec);  // abandon the pending read
      RequestError error;
      error.http_status = 408;
      error.error_type = kErrorRequestTimeout;
      error.message = fmt::format("the request was not received within {} ms",
                                  core_.options().request_timeout.count());
      SendError(error);
      return;
    }
    case TimerKind::kWrite:
      if (phase_ == Phase::kWriting) Close();
      return;
    case TimerKind::kLinger:
      if (phase_ == Phase::kLingering) Close();
      return;
  }
}

// ---------------------------------------------------------------------------------------
// ServerCore

ServerCore::ServerCore(HttpServer::Options options, Handler handler, ErrorFormatter formatter,
                       StatsRegistry* stats)
    : options_(std::move(options)),
      limits_{options_.max_header_bytes, options_.max_body_bytes, options_.max_decoded_body_bytes},
      handler_(std::move(handler)),
      formatter_(std::move(formatter)) {
  if (stats != nullptr) {
    static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t idx = 0; idx < 5; ++idx) {
      requests_[idx] = &stats->GetCounter("roentgen_http_requests_total",
                                          "HTTP responses written, by status class",
                                          fmt::format("code=\"{}\"", kClasses[idx]));
    }
    connections_total_ =
        &stats->GetCounter("roentgen_http_connections_total", "HTTP connections accepted");
    connections_rejected_ =
        &stats->GetCounter("roentgen_http_connections_rejected_total",
                           "HTTP connections refused with 503 because max_connections were open");
    idle_timeouts_ = &stats->GetCounter("roentgen_http_timeouts_total",
                                        "HTTP connections closed by a timeout", "kind=\"idle\"");
    request_timeouts_ = &stats->GetCounter(
        "roentgen_http_timeouts_total", "HTTP connections closed by a timeout", "kind=\"request\"");
    connections_active_ =
        &stats->GetGauge("roentgen_http_connections_active", "HTTP connections open");
  }
}

ServerCore::~ServerCore() {
  // Shutdown() joined the threads; make sure, since destroying a joinable std::thread aborts.
  StopAndJoin();
}

Status ServerCore::Start() {
  if (started_) return FailedPreconditionError("http: Start() called twice");
  started_ = true;
  if (options_.io_threads < 1 || options_.io_threads > 256) {
    return InvalidArgumentError("http: io_threads must be between 1 and 256");
  }
  if (options_.max_connections == 0 || options_.max_header_bytes < 256) {
    return InvalidArgumentError("http: max_connections must be positive, max_header_bytes >= 256");
  }
  Result<net::Address> address = net::Address::Parse(options_.address, options_.port);
  if (!address.ok()) return address.error().WithContext("http");
  const std::string name = address->ToString();
  try {
    for (int idx = 0; idx < options_.io_threads; ++idx) loops_.push_back(std::make_unique<Loop>());
    acceptor_ = std::make_unique<tcp::acceptor>(loops_[0]->context);
    accept_retry_ = std::make_unique<asio::steady_timer>(loops_[0]->context);
    tcp::endpoint endpoint;
    std::memcpy(endpoint.data(), address->sockaddr_ptr(), address->length());
    endpoint.resize(address->length());
    ErrorCode ec;
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return IoError(fmt::format("http: socket for {}: {}", name, ec.message()));
    acceptor_->bind(endpoint, ec);
    if (ec) return IoError(fmt::format("http: bind {}: {}", name, ec.message()));
    acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return IoError(fmt::format("http: listen {}: {}", name, ec.message()));
    const tcp::endpoint bound = acceptor_->local_endpoint(ec);
    if (ec) return IoError(fmt::format("http: getsockname {}: {}", name, ec.message()));
    port_.store(bound.port(), std::memory_order_relaxed);

    for (auto& loop : loops_) work_.push_back(asio::make_work_guard(loop->context));
    DoAccept();
    for (size_t idx = 0; idx < loops_.size(); ++idx) {
      Loop* loop = loops_[idx].get();
      loop->thread = std::thread([this, loop, idx] { RunLoop(loop, idx); });
    }
  } catch (const std::exception& e) {
    StopAndJoin();
    return InternalError(fmt::format("http: cannot start on {}: {}", name, e.what()));
  }
  RG_LOG(kInfo, "http: listening on {}:{} ({} I/O threads)", address->HostString(), port(),
         options_.io_threads);
  return Status::Ok();
}

void ServerCore::RunLoop(Loop* loop, size_t index) {
  const std::string name = fmt::format("rg-http-{}", index);
  pthread_setname_np(pthread_self(), name.c_str());
  for (;;) {
    try {
      loop->context.run();
      return;
    } catch (const std::exception& e) {
      // Only our own bugs or allocation failure get here; keep serving.
      RG_LOG(kError, "http: I/O thread {} caught an exception: {}", index, e.what());
    }
  }
}

void ServerCore::DoAccept() {
  Loop* target = loops_[next_loop_].get();
  next_loop_ = (next_loop_ + 1) % loops_.size();
  acceptor_->async_accept(target->context, [this, target](const ErrorCode& ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket), target);
  });
}

void ServerCore::OnAccept(const ErrorCode& ec, tcp::socket socket, Loop* loop) {
  if (shutting_down() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Typically EMFILE/ENFILE: wait a little rather than spin on the pending connection.
    RG_LOG(kWarning, "http: accept failed: {}", ec.message());
    accept_retry_->expires_after(kAcceptRetryDelay);
    accept_retry_->async_wait([this](const ErrorCode& wait_ec) {
      if (!wait_ec && !shutting_down()) DoAccept();
    });
    return;
  }
  if (active_.load(std::memory_order_relaxed) >= options_.max_connections) {
    Reject(std::move(socket));
  } else {
    active_.fetch_add(1, std::memory_order_relaxed);
    if (connections_total_ != nullptr) connections_total_->Add();
    if (connections_active_ != nullptr) connections_active_->Add(1);
    auto session = std::make_shared<Session>(*this, *loop, std::move(socket));
    asio::post(loop->context, [session] { session->Start(); });
  }
  DoAccept();
}

// Over max_connections: answer 503 without a session. The socket is fresh, so the short
// response fits its send buffer and a non-blocking write does not block the acceptor.
void ServerCore::Reject(tcp::socket socket) {
  if (connections_rejected_ != nullptr) connections_rejected_->Add();
  ErrorCode ec;
  socket.non_blocking(true, ec);
  Response response = Format(503, kErrorServiceUnavailable, "too many open connections");
  CountResponse(response.status);
  const std::string date = NowHttpDate();
  ResponseFraming framing;
  framing.close = true;
  framing.date = date;
  const std::string bytes = SerializeResponse(response, framing);
  socket.write_some(asio::buffer(bytes), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  // Read what already arrived so that close() is less likely to reset the connection.
  char scratch[4096];
  for (int rounds = 0; rounds < 16; ++rounds) {
    socket.read_some(asio::buffer(scratch), ec);
    if (ec) break;
  }
  socket.close(ec);
}

void ServerCore::OnConnectionClosed() {
  if (connections_active_ != nullptr) connections_active_->Add(-1);
  if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard<std::mutex> lock(drain_mu_);
    drained_.notify_all();
  }
}

void ServerCore::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (!started_ || loops_.empty()) return;
  shutting_down_.store(true, std::memory_order_relaxed);
  try {
    asio::post(loops_[0]->context, [this] {
      ErrorCode ec;
      acceptor_->close(ec);
      accept_retry_->cancel();
    });
    for (auto& loop : loops_) {
      asio::post(loop->context, [raw = loop.get()] {
        std::vector<std::shared_ptr<Session>> sessions;
        sessions.reserve(raw->sessions.size());
        for (auto& [ptr, session] : raw->sessions) sessions.push_back(session);
        for (auto& session : sessions) session->BeginShutdown();
      });
    }
    std::unique_lock<std::mutex> lock(drain_mu_);
    drained_.wait_for(lock, options_.shutdown_timeout,
                      [&] { return active_.load(std::memory_order_acquire) == 0; });
  } catch (const std::exception& e) {
    RG_LOG(kError, "http: shutdown: {}", e.what());
  }
  const size_t left = active_.load(std::memory_order_acquire);
  if (left > 0) {
    RG_LOG(kWarning, "http: closing {} connections still busy after the shutdown deadline", left);
  }
  StopAndJoin();
}

void ServerCore::StopAndJoin() {
  for (auto& loop : loops_) loop->context.stop();
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
  work_.clear();
  // No thread runs the loops any more: release every socket now. Handlers still queued in
  // the stopped contexts are destroyed with them.
  if (acceptor_ != nullptr) {
    ErrorCode ec;
    acceptor_->close(ec);
  }
  for (auto& loop : loops_) {
    for (auto& [ptr, session] : loop->sessions) session->ForceClose();
    loop->sessions.clear();
  }
}

}  // namespace internal

// ---------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(Options options, Handler handler, ErrorFormatter formatter,
                       StatsRegistry* stats)
    : core_(std::make_shared<internal::ServerCore>(std::move(options), std::move(handler),
                                                   std::move(formatter), stats)) {}

HttpServer::~HttpServer() { Shutdown(); }

Status HttpServer::Start() { return core_->Start(); }

uint16_t HttpServer::port() const { return core_->port(); }

void HttpServer::Shutdown() { core_->Shutdown(); }

}  // namespace roentgen::http
