// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/stats.h"
#include "http/http.h"

namespace roentgen::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool Has(const std::string& name) const { return headers.count(name) != 0; }
  std::string Get(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A blocking TCP client with a receive timeout, so that a broken server fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    SetTimeout(5s);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void SetTimeout(std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  // Sends everything; false on error (e.g. the server closed).
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response. `head_request`: the response has no body whatever Content-Length says.
  std::optional<ClientResponse> Read(bool head_request = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    ClientResponse response;
    const std::string head = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end + 2;
    while (pos < head.size()) {
      line_end = head.find("\r\n", pos);
      const std::string line = head.substr(pos, line_end - pos);
      pos = line_end + 2;
      const size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers[Lower(line.substr(0, colon))] = value;
    }
    size_t length = 0;
    if (response.Has("content-length") && !head_request) {
      length = std::stoul(response.Get("content-length"));
    }
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // Reads exactly `n` raw bytes.
  std::string ReadRaw(size_t n) {
    while (buffer_.size() < n && Fill()) {
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, out.size());
    return out;
  }

  // True if the server closes the connection (EOF or reset) within `timeout`, with no more
  // data arriving first.
  bool WaitClosed(std::chrono::milliseconds timeout = 3000ms) {
    SetTimeout(timeout);
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    SetTimeout(5s);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Post(std::string_view path, std::string_view body, std::string_view extra = "") {
  return "POST " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}
std::string Get(std::string_view path, std::string_view extra = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(extra) +
         "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  ~HttpServerTest() override {
    server_.reset();
    std::lock_guard<std::mutex> lock(threads_mu_);
    for (auto& t : threads_) t.join();
  }

  static HttpServer::Options TestOptions() {
    HttpServer::Options options;
    options.address = "127.0.0.1";
    options.port = 0;
    return options;
  }

  // Echoes "METHOD path\n" + body, and the Content-Type back.
  static void Echo(Request&& request, Responder respond) {
    Response response;
    response.headers.emplace_back("Content-Type", "text/plain");
    response.headers.emplace_back("X-Remote", request.remote_address);
    response.body = request.method + " " + request.path + "\n" + request.body;
    respond(std::move(response));
  }

  void StartServer(Handler handler, HttpServer::Options options = TestOptions()) {
    ErrorFormatter formatter = [this](int status, std::string_view type, std::string_view message) {
      {
        std::lock_guard<std::mutex> lock(errors_mu_);
        errors_.emplace_back(status, std::string(type));
      }
      Response response;
      response.status = status;
      response.headers.emplace_back("Content-Type", "application/json");
      response.headers.emplace_back("X-Amzn-ErrorType", std::string(type));
      response.body =
          "{\"__type\":\"" + std::string(type) + "\",\"Message\":\"" + std::string(message) + "\"}";
      return response;
    };
    server_ = std::make_unique<HttpServer>(options, std::move(handler), formatter, &stats_);
    Status status = server_->Start();
    ASSERT_TRUE(status.ok()) << status.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  // Runs `fn` on a thread the fixture joins at the end.
  void Spawn(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(threads_mu_);
    threads_.emplace_back(std::move(fn));
  }

  std::vector<std::pair<int, std::string>> Errors() {
    std::lock_guard<std::mutex> lock(errors_mu_);
    return errors_;
  }

  uint16_t port() const { return server_->port(); }

  StatsRegistry stats_;
  std::unique_ptr<HttpServer> server_;
  std::mutex errors_mu_;
  std::vector<std::pair<int, std::string>> errors_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Post("/a", "first")));
  auto r1 = client.Read();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->status, 200);
  EXPECT_EQ(r1->body, "POST /a\nfirst");
  EXPECT_EQ(r1->Get("content-length"), std::to_string(r1->body.size()));
  EXPECT_TRUE(r1->Has("date"));
  EXPECT_FALSE(r1->Has("connection"));
  EXPECT_EQ(r1->Get("x-remote").rfind("127.0.0.1:", 0), 0u) << r1->Get("x-remote");
  ASSERT_TRUE(client.Send(Post("/b", "second")));
  auto r2 = client.Read();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->body, "POST /b\nsecond");
  EXPECT_EQ(stats_.CounterValue("roentgen_http_requests_total", "code=\"2xx\""), 2u);
  EXPECT_EQ(stats_.CounterValue("roentgen_http_connections_total"), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  // The first request is answered last by the handler's clock, yet first on the wire.
  StartServer([this](Request&& request, Responder respond) {
    if (request.path == "/slow") {
      Spawn([respond] {
        std::this_thread::sleep_for(100ms);
        respond(Response{200, {}, "slow"});
      });
    } else {
      respond(Response{200, {}, request.path.substr(1)});
    }
  });
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/slow") + Post("/fast", "x") + Get("/third")));
  std::vector<std::string> bodies;
  for (int idx = 0; idx < 3; ++idx) {
    auto r = client.Read();
    ASSERT_TRUE(r.has_value()) << idx;
    bodies.push_back(r->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"slow", "fast", "third"}));
}

TEST_F(HttpServerTest, ChunkedBody) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /v1/traces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n"));
  std::this_thread::sleep_for(20ms);  // the body arrives in pieces
  ASSERT_TRUE(client.Send("7;ext=1\r\n, world\r\n0\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /v1/traces\nhello, world");
}

TEST_F(HttpServerTest, GzipBody) {
  std::string wire_body;
  StartServer([&wire_body](Request&& request, Responder respond) {
    wire_body = request.wire_body;
    Echo(std::move(request), std::move(respond));
  });
  const std::string json = R"({"MetricData":[{"MetricName":"TotalTraces","Value":12}]})";
  const std::string gz = Gzip(json);
  Client client(port());
  ASSERT_TRUE(client.Send(Post("/", gz, "Content-Encoding: gzip\r\n")));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /\n" + json);
  EXPECT_EQ(wire_body, gz);
}

TEST_F(HttpServerTest, BadGzipIsFormatted400AndTheConnectionContinues) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(client.Send(Post("/", "definitely not gzip", "Content-Encoding: gzip\r\n")));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorBadContentEncoding));
  EXPECT_EQ(r->body.rfind("{\"__type\":\"BadContentEncoding\"", 0), 0u) << r->body;
  EXPECT_FALSE(r->Has("connection"));
  ASSERT_EQ(Errors().size(), 1u);
  EXPECT_EQ(Errors()[0], (std::pair<int, std::string>(400, "BadContentEncoding")));
  // Same connection, next request.
  ASSERT_TRUE(client.Send(Post("/ok", "fine")));
  r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(stats_.CounterValue("roentgen_http_requests_total", "code=\"4xx\""), 1u);
}

TEST_F(HttpServerTest, TenMegabyteBodyIs413AndTheServerCarriesOn) {
  StartServer(Echo);
  {
    Client client(port());
    const std::string body(10 * 1000 * 1000, 'b');
    // The server answers as soon as it sees Content-Length; the upload may fail half-way
    // (that is fine), and the 413 must still be readable.
    client.Send(Post("/TraceSegments", body));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorPayloadTooLarge));
    EXPECT_TRUE(client.WaitClosed());
  }
  {
    // With "Expect: 100-continue" the client learns it before sending the body.
    Client client(port());
    ASSERT_TRUE(
        client.Send("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    "Content-Length: 10000000\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 413);
  }
  Client next(port());
  ASSERT_TRUE(next.Send(Get("/after")));
  auto r = next.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Errors().size(), 2u);
}

TEST_F(HttpServerTest, HeaderOverflowIs431) {
  StartServer(Echo);
  Client client(port());
  client.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + std::string(20000, 'h') + "\r\n\r\n");
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorHeaderTooLarge));
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nBad Header\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorMalformedRequest));
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, UnknownMethodGoesToTheHandler) {
  StartServer([](Request&& request, Responder respond) {
    respond(Response{request.method == "BREW" ? 418 : 500, {}, request.method});
  });
  Client client(port());
  ASSERT_TRUE(client.Send("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, "BREW");
}

TEST_F(HttpServerTest, AsyncResponderFromAnotherThread) {
  StartServer([this](Request&& request, Responder respond) {
    Spawn([respond, body = request.body] {
      std::this_thread::sleep_for(50ms);
      respond(Response{202, {{"X-From", "worker"}}, "stored " + body});
    });
  });
  Client client(port());
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send(Post("/TraceSegments", "doc")));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(Clock::now() - start, 45ms);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->Get("x-from"), "worker");
  EXPECT_EQ(r->body, "stored doc");
  // The connection is still usable.
  ASSERT_TRUE(client.Send(Post("/TraceSegments", "two")));
  r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "stored two");
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  StartServer([](Request&&, Responder) {});
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorInternal));
}

TEST_F(HttpServerTest, IdleTimeoutClosesTheConnection) {
  HttpServer::Options options = TestOptions();
  options.idle_timeout = 200ms;
  StartServer(Echo, options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.Read().has_value());
  const auto start = Clock::now();
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_GE(Clock::now() - start, 150ms);
  EXPECT_LT(Clock::now() - start, 2000ms);
  EXPECT_EQ(stats_.CounterValue("roentgen_http_timeouts_total", "kind=\"idle\""), 1u);
}

TEST_F(HttpServerTest, SlowRequestGets408) {
  HttpServer::Options options = TestOptions();
  options.request_timeout = 300ms;
  StartServer(Echo, options);
  Client client(port());
  // Slowloris: a head that trickles in and never ends.
  ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(100ms);
  client.Send("X-A: 1\r\n");
  std::this_thread::sleep_for(100ms);
  client.Send("X-B: 2\r\n");
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorRequestTimeout));
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(stats_.CounterValue("roentgen_http_timeouts_total", "kind=\"request\""), 1u);
}

TEST_F(HttpServerTest, ExpectContinue) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(
      client.Send("POST /TraceSegments HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: 4\r\n\r\n"));
  EXPECT_EQ(client.ReadRaw(25), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(client.Send("body"));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /TraceSegments\nbody");
}

TEST_F(HttpServerTest, Http10AndConnectionCloseAreHonored) {
  StartServer(Echo);
  {
    Client client(port());
    ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_EQ(r->body, "GET /old\n");
    EXPECT_TRUE(client.WaitClosed());
  }
  {
    Client client(port());
    ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Get("connection"), "keep-alive");
    ASSERT_TRUE(client.Send("GET /again HTTP/1.0\r\n\r\n"));
    r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body, "GET /again\n");
    EXPECT_TRUE(client.WaitClosed());
  }
  {
    Client client(port());
    ASSERT_TRUE(client.Send(Get("/bye", "Connection: close\r\n")));
    auto r = client.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->Get("connection"), "close");
    EXPECT_TRUE(client.WaitClosed());
  }
}

TEST_F(HttpServerTest, HandlerMayAskToClose) {
  StartServer([](Request&&, Responder respond) {
    respond(Response{200, {{"Connection", "close"}, {"Content-Length", "999"}}, "abc"});
  });
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Get("content-length"), "3");  // ours, not the handler's
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_EQ(r->body, "abc");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, HeadAnd204HaveNoBody) {
  StartServer([](Request&& request, Responder respond) {
    if (request.path == "/empty") {
      respond(Response{204, {}, ""});
    } else {
      respond(Response{200, {}, "hello"});
    }
  });
  Client client(port());
  ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = client.Read(/*head_request=*/true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->Get("content-length"), "5");
  ASSERT_TRUE(client.Send(Get("/empty")));
  r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  EXPECT_FALSE(r->Has("content-length"));
  ASSERT_TRUE(client.Send(Get("/")));
  r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "hello");
}

TEST_F(HttpServerTest, ConnectionCapAnswers503) {
  HttpServer::Options options = TestOptions();
  options.max_connections = 1;
  StartServer(Echo, options);
  auto first = std::make_unique<Client>(port());
  ASSERT_TRUE(first->Send(Get("/")));
  ASSERT_TRUE(first->Read().has_value());  // accepted and counted
  {
    Client second(port());
    auto r = second.Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Get("x-amzn-errortype"), std::string(kErrorServiceUnavailable));
    EXPECT_TRUE(second.WaitClosed());
  }
  EXPECT_EQ(stats_.CounterValue("roentgen_http_connections_rejected_total"), 1u);
  first.reset();
  // Once the first closes, new connections are served again.
  std::optional<ClientResponse> r;
  for (int attempt = 0; attempt < 50; ++attempt) {
    Client third(port());
    third.Send(Get("/third"));
    r = third.Read();
    if (r.has_value() && r->status == 200) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, ShutdownWithAnIdleKeepAliveConnectionIsPrompt) {
  StartServer(Echo);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.Read().has_value());
  const auto start = Clock::now();
  server_->Shutdown();
  EXPECT_LT(Clock::now() - start, 500ms);
  EXPECT_TRUE(client.WaitClosed(1000ms));
  server_->Shutdown();  // idempotent
  Client refused(port());
  EXPECT_FALSE(refused.connected());
}

TEST_F(HttpServerTest, ShutdownLetsTheRequestInFlightFinish) {
  std::atomic<bool> handling{false};
  StartServer([&](Request&&, Responder respond) {
    handling = true;
    Spawn([respond] {
      std::this_thread::sleep_for(300ms);
      respond(Response{200, {}, "done"});
    });
  });
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  while (!handling) std::this_thread::sleep_for(1ms);
  const auto start = Clock::now();
  server_->Shutdown();
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 3000ms);
  auto r = client.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->Get("connection"), "close");
  EXPECT_TRUE(client.WaitClosed());
}

TEST_F(HttpServerTest, ShutdownDeadlineAbandonsAStuckHandler) {
  HttpServer::Options options = TestOptions();
  options.shutdown_timeout = 200ms;
  Responder kept;
  std::mutex mu;
  StartServer(
      [&](Request&&, Responder respond) {
        std::lock_guard<std::mutex> lock(mu);
        kept = std::move(respond);
      },
      options);
  Client client(port());
  ASSERT_TRUE(client.Send(Get("/")));
  for (int idx = 0; idx < 200; ++idx) {
    std::lock_guard<std::mutex> lock(mu);
    if (kept) break;
  }
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  server_->Shutdown();
  EXPECT_LT(Clock::now() - start, 1500ms);
  EXPECT_TRUE(client.WaitClosed());
  // A late answer, and even one after the server is gone, is ignored.
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_TRUE(static_cast<bool>(kept));
  kept(Response{200, {}, "late"});
  server_.reset();
}

TEST_F(HttpServerTest, StartErrorsNameTheAddress) {
  StartServer(Echo);
  HttpServer::Options options = TestOptions();
  options.port = port();
  HttpServer second(options, Echo, nullptr);
  Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_NE(status.message().find("127.0.0.1:" + std::to_string(port())), std::string::npos)
      << status.ToString();

  options.address = "nowhere.invalid";
  HttpServer third(options, Echo, nullptr);
  status = third.Start();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("nowhere.invalid"), std::string::npos);
}

TEST_F(HttpServerTest, DefaultFormatterAndIpv6) {
  HttpServer::Options options = TestOptions();
  options.address = "::1";
  HttpServer server(options, Echo, nullptr);
  Status status = server.Start();
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback: " << status.ToString();
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  addr.sin6_port = htons(server.port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string request =
      "GET / HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 415 Unsupported Media Type\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_NE(got.find("\r\n\r\nUnsupportedMediaType: "), std::string::npos) << got;
}

}  // namespace
}  // namespace roentgen::http
