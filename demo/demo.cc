// SPDX-License-Identifier: Apache-2.0
// roentgen-demo: the order application of the reference recipe (docs/demo.md), traced with
// roentgen-sdk only. Four HTTP services on 127.0.0.1, each with its own recorder:
//   xray-monitoring-api/prod (AWS::ApiGateway::Stage)  POST /prod/orders  --listen (8080)
//   order-processor          (AWS::Lambda::Function)   POST /invoke       ephemeral port
//   inventory-manager        (AWS::Lambda::Function)   POST /invoke       ephemeral port
//   notification-service     (AWS::Lambda::Function)   POST /invoke       ephemeral port
// plus a traffic generator (--rate orders/s, 0 = none, or --recipe: the recipe's 13 requests),
// the `orders` table in SQLite (--orders-db), fault and latency injection changed live through
// GET/POST /admin/faults on the gateway's port, and the AWS/Lambda and AWS/ApiGateway metrics
// that those services would have, sent to the server with PutMetricData. The trace header
// travels between the services as X-Amzn-Trace-Id; every response carries it.
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "roentgen/sdk.h"

namespace sdk = roentgen::sdk;

namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// ------------------------------------------------------------------------------------------
// A small blocking HTTP/1.1 server and client (one request per connection).

struct HttpRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < key.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(key[i])) !=
            std::tolower(static_cast<unsigned char>(name[i]))) {
          same = false;
          break;
        }
      }
      if (same) return value;
    }
    return "";
  }
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void SetTimeouts(int fd, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// Reads one message (request or response): start line, headers, Content-Length body.
bool ReadMessage(int fd, std::string* start_line,
                 std::vector<std::pair<std::string, std::string>>* headers, std::string* body) {
  std::string data;
  char buffer[4096];
  size_t header_end;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > 65536) return false;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<size_t>(n));
  }
  size_t line_end = data.find("\r\n");
  *start_line = data.substr(0, line_end);
  size_t content_length = 0;
  size_t pos = line_end + 2;
  while (pos < header_end) {
    size_t end = data.find("\r\n", pos);
    std::string line = data.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    size_t value_start = line.find_first_not_of(' ', colon + 1);
    std::string value = value_start == std::string::npos ? "" : line.substr(value_start);
    if (strcasecmp(key.c_str(), "Content-Length") == 0) {
      content_length = static_cast<size_t>(std::strtoul(value.c_str(), nullptr, 10));
      if (content_length > (1u << 20)) return false;
    }
    headers->emplace_back(std::move(key), std::move(value));
  }
  *body = data.substr(header_end + 4);
  while (body->size() < content_length) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    body->append(buffer, static_cast<size_t>(n));
  }
  body->resize(content_length);
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    default:
      return "Status";
  }
}

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Binds host:port (port 0: any free one). Returns false on failure.
  bool Listen(const std::string& host, uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
    if (::listen(fd_, 128) != 0) return false;
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    return true;
  }

  uint16_t port() const { return port_; }

  void Start(Handler handler) {
    handler_ = std::move(handler);
    thread_ = std::thread([this] { AcceptLoop(); });
  }

  void Stop() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    // Connection threads are detached: wait (bounded by their socket timeouts) for them.
    for (int i = 0; i < 250 && active_.load() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  ~HttpServer() { Stop(); }

 private:
  void AcceptLoop() {
    while (!g_stop.load()) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) {
        if (errno == EINTR) continue;
        return;
      }
      active_.fetch_add(1);
      std::thread([this, client] {
        Serve(client);
        active_.fetch_sub(1);
      }).detach();
    }
  }

  void Serve(int client) {
    SetTimeouts(client, 10);
    HttpRequest request;
    std::string start_line;
    if (ReadMessage(client, &start_line, &request.headers, &request.body)) {
      size_t first = start_line.find(' ');
      size_t second = start_line.find(' ', first + 1);
      if (first != std::string::npos && second != std::string::npos) {
        request.method = start_line.substr(0, first);
        request.path = start_line.substr(first + 1, second - first - 1);
        HttpResponse response = handler_(request);
        std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                          Reason(response.status) + "\r\nContent-Type: application/json\r\n";
        for (const auto& [key, value] : response.headers) out += key + ": " + value + "\r\n";
        out += "Content-Length: " + std::to_string(response.body.size()) +
               "\r\nConnection: close\r\n\r\n" + response.body;
        SendAll(client, out);
      }
    }
    ::close(client);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> active_{0};
  Handler handler_;
  std::thread thread_;
};

// Sends one request to host:port (an IPv4 literal); returns the status (0: no answer) and the
// body. `headers` are added to Host, Content-Type (unless given), Connection and Content-Length.
std::pair<int, std::string> HttpSend(
    const std::string& method, const std::string& host, uint16_t port, const std::string& path,
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
    std::string* response_trace_header = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  SetTimeouts(fd, 10);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {0, ""};
  }
  std::string out = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" +
                    std::to_string(port) + "\r\nConnection: close\r\n";
  bool has_content_type = false;
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), "Content-Type") == 0) has_content_type = true;
    out += key + ": " + value + "\r\n";
  }
  if (!has_content_type) out += "Content-Type: application/json\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::pair<int, std::string> result{0, ""};
  std::string status_line;
  std::vector<std::pair<std::string, std::string>> response_headers;
  if (SendAll(fd, out) && ReadMessage(fd, &status_line, &response_headers, &result.second)) {
    size_t space = status_line.find(' ');
    if (space != std::string::npos) result.first = std::atoi(status_line.c_str() + space + 1);
    for (const auto& [key, value] : response_headers) {
      if (response_trace_header != nullptr && strcasecmp(key.c_str(), "X-Amzn-Trace-Id") == 0) {
        *response_trace_header = value;
      }
    }
  }
  ::close(fd);
  return result;
}

// POSTs body to 127.0.0.1:port path with an optional trace header.
std::pair<int, std::string> HttpPost(uint16_t port, const std::string& path,
                                     const std::string& body, const std::string& trace_header,
                                     std::string* response_trace_header = nullptr) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!trace_header.empty()) headers.emplace_back("X-Amzn-Trace-Id", trace_header);
  return HttpSend("POST", "127.0.0.1", port, path, body, headers, response_trace_header);
}

// ------------------------------------------------------------------------------------------
// Order fields: a tiny reader for the flat JSON objects the demo exchanges.

std::optional<std::string> JsonField(const std::string& body, const std::string& key) {
  std::string needle = "\"" + key + "\"";
  size_t pos = body.find(needle);
  if (pos == std::string::npos) return std::nullopt;
  pos = body.find_first_not_of(" \t\r\n", pos + needle.size());
  if (pos == std::string::npos || body[pos] != ':') return std::nullopt;
  pos = body.find_first_not_of(" \t\r\n", pos + 1);
  if (pos == std::string::npos) return std::nullopt;
  if (body[pos] == '"') {
    std::string value;
    for (size_t i = pos + 1; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) {
        value += body[++i];
      } else if (body[i] == '"') {
        return value;
      } else {
        value += body[i];
      }
    }
    return std::nullopt;
  }
  size_t end = body.find_first_of(",} \t\r\n", pos);
  std::string value = body.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (value == "null") return std::nullopt;
  return value;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

std::string NewOrderId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t start = static_cast<uint64_t>(
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::milliseconds(1));
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "ord-%llx-%06llu", static_cast<unsigned long long>(start),
                static_cast<unsigned long long>(counter.fetch_add(1)));
  return buffer;
}

// "HOST:PORT" → host and port.
// "HOST:PORT", also written as an endpoint URL ("http://HOST:PORT/", as --endpoint-url is).
bool ParsePort(const std::string& address, std::string* host, uint16_t* port) {
  std::string_view text = address;
  if (text.starts_with("http://")) text.remove_prefix(7);
  if (text.ends_with("/")) text.remove_suffix(1);
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string_view digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return false;
  long value = std::strtol(std::string(digits).c_str(), nullptr, 10);
  if (value > 65535) return false;
  *host = std::string(text.substr(0, colon));
  *port = static_cast<uint16_t>(value);
  return true;
}

// ------------------------------------------------------------------------------------------
// Fault and latency injection, changed live through /admin/faults (docs/demo.md).

// What is injected into one function's invocations. Each invocation draws independently.
struct Injection {
  double fault_rate = 0;    // share failing with an exception and HTTP 500 (a fault)
  double latency_rate = 0;  // share delayed by latency_ms before the work starts
  int64_t latency_ms = 0;
  std::string warehouse;  // inventory-manager only: delay just this warehouse's orders

  std::string ToJson() const {
    return "{\"fault_rate\":" + std::to_string(fault_rate) +
           ",\"latency_rate\":" + std::to_string(latency_rate) +
           ",\"latency_ms\":" + std::to_string(latency_ms) + ",\"warehouse\":" + Quote(warehouse) +
           "}";
  }
};

constexpr const char* kFunctions[] = {"order-processor", "inventory-manager",
                                      "notification-service"};

bool IsFunction(const std::string& name) {
  for (const char* function : kFunctions) {
    if (name == function) return true;
  }
  return false;
}

// True with probability `p` (thread-local generator).
bool Chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(generator) < p;
}

// The injections of all functions. Thread-safe.
class Injections {
 public:
  Injection Get(const std::string& function) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = injections_.find(function);
    return it == injections_.end() ? Injection{} : it->second;
  }
  void Set(const std::string& function, Injection injection) {
    std::lock_guard<std::mutex> lock(mutex_);
    injections_[function] = std::move(injection);
  }
  std::string ToJson() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string out = "{";
    for (const char* function : kFunctions) {
      auto it = injections_.find(function);
      if (out.size() > 1) out += ",";
      out += Quote(function) + ":" + (it == injections_.end() ? Injection{} : it->second).ToJson();
    }
    return out + "}";
  }

  // Applies a POST /admin/faults body: {"service": NAME, "fault_rate": 0.3, "latency_ms": 800,
  // "latency_rate": 1, "warehouse": "eu-west-1a"}; absent fields keep their values. Returns
  // an error message, or empty on success.
  std::string Apply(const std::string& body) {
    std::optional<std::string> service = JsonField(body, "service");
    if (!service || !IsFunction(*service)) {
      return "service must be one of order-processor, inventory-manager, notification-service";
    }
    Injection injection = Get(*service);
    auto rate = [&](const char* key, double* out) -> bool {
      std::optional<std::string> text = JsonField(body, key);
      if (!text) return true;
      char* end = nullptr;
      double value = std::strtod(text->c_str(), &end);
      if (end == text->c_str() || *end != '\0' || !(value >= 0 && value <= 1)) return false;
      *out = value;
      return true;
    };
    if (!rate("fault_rate", &injection.fault_rate)) return "fault_rate must be in [0, 1]";
    if (!rate("latency_rate", &injection.latency_rate)) return "latency_rate must be in [0, 1]";
    if (std::optional<std::string> text = JsonField(body, "latency_ms")) {
      char* end = nullptr;
      long long value = std::strtoll(text->c_str(), &end, 10);
      if (end == text->c_str() || *end != '\0' || value < 0 || value > 60000) {
        return "latency_ms must be an integer in [0, 60000]";
      }
      injection.latency_ms = value;
      // Giving a latency without a rate means every invocation.
      if (!JsonField(body, "latency_rate") && value > 0) injection.latency_rate = 1;
    }
    if (std::optional<std::string> warehouse = JsonField(body, "warehouse")) {
      injection.warehouse = *warehouse;
    }
    Set(*service, std::move(injection));
    return "";
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Injection> injections_;
};

// ------------------------------------------------------------------------------------------
// The `orders` table: SQLite (a file with --orders-db, else in memory). Thread-safe.

class OrdersTable {
 public:
  ~OrdersTable() {
    if (db_ != nullptr) sqlite3_close(db_);
  }

  // Opens (creating) the table; returns an error message or empty.
  std::string Open(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return db_ == nullptr ? "out of memory" : sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
    const char* schema =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS orders (orderId TEXT PRIMARY KEY, customerId TEXT NOT NULL,"
        " productId TEXT NOT NULL, quantity INTEGER NOT NULL, status TEXT NOT NULL,"
        " createdAt TEXT NOT NULL)";
    char* error = nullptr;
    if (sqlite3_exec(db_, schema, nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "schema failed";
      sqlite3_free(error);
      return message;
    }
    return "";
  }

  // PutItem; returns false on a database error.
  bool Put(const std::string& order_id, const std::string& customer, const std::string& product,
           int64_t quantity, const std::string& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, "
                           "strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                           -1, &statement, nullptr) != SQLITE_OK) {
      return false;
    }
    sqlite3_bind_text(statement, 1, order_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 2, customer.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(statement, 3, product.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(statement, 4, quantity);
    sqlite3_bind_text(statement, 5, status.c_str(), -1, SQLITE_TRANSIENT);
    bool ok = sqlite3_step(statement) == SQLITE_DONE;
    sqlite3_finalize(statement);
    return ok;
  }

  // GetItem: the order as a JSON object, nullopt if absent (or on a database error).
  std::optional<std::string> Get(const std::string& order_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_,
                           "SELECT customerId, productId, quantity, status, createdAt FROM orders "
                           "WHERE orderId = ?",
                           -1, &statement, nullptr) != SQLITE_OK) {
      return std::nullopt;
    }
    sqlite3_bind_text(statement, 1, order_id.c_str(), -1, SQLITE_TRANSIENT);
    std::optional<std::string> item;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      auto text = [&](int column) {
        const unsigned char* value = sqlite3_column_text(statement, column);
        return Quote(value == nullptr ? "" : reinterpret_cast<const char*>(value));
      };
      item = "{\"orderId\":" + Quote(order_id) + ",\"customerId\":" + text(0) +
             ",\"productId\":" + text(1) +
             ",\"quantity\":" + std::to_string(sqlite3_column_int64(statement, 2)) +
             ",\"status\":" + text(3) + ",\"createdAt\":" + text(4) + "}";
    }
    sqlite3_finalize(statement);
    return item;
  }

 private:
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

// ------------------------------------------------------------------------------------------
// The metrics AWS would publish for these services, sent to the server as PutMetricData
// (awsJson1_0) every interval: AWS/Lambda Invocations, Errors, Throttles, Duration per
// FunctionName ("<project>-<function>", as the recipe's dashboard names them), and
// AWS/ApiGateway Count, 4XXError, 5XXError, Latency per ApiName and Stage.

class CloudMetrics {
 public:
  CloudMetrics(std::string project, std::string host, uint16_t port, int interval_seconds)
      : project_(std::move(project)),
        host_(std::move(host)),
        port_(port),
        interval_seconds_(interval_seconds) {}

  ~CloudMetrics() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      auto next = std::chrono::steady_clock::now() + std::chrono::seconds(interval_seconds_);
      while (!stopping_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (std::chrono::steady_clock::now() < next) continue;
        next += std::chrono::seconds(interval_seconds_);
        Flush();
      }
      Flush();
    });
  }

  void Stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  // One invocation of `function` (a Lambda function): its duration and HTTP status.
  void RecordFunction(const std::string& function, double duration_ms, int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    Series& series = functions_[function];
    series.Add(duration_ms);
    if (status >= 500) ++series.errors;
    if (status == 429) ++series.throttles;
  }

  // One request through the API gateway stage.
  void RecordApi(double latency_ms, int status) {
    std::lock_guard<std::mutex> lock(mutex_);
    api_.Add(latency_ms);
    if (status >= 400 && status < 500) ++api_.client_errors;
    if (status >= 500) ++api_.errors;
  }

  uint64_t sent_batches() const { return sent_.load(); }

 private:
  struct Series {
    int64_t count = 0;
    int64_t errors = 0;         // Lambda Errors (5xx); ApiGateway 5XXError
    int64_t throttles = 0;      // Lambda Throttles (429)
    int64_t client_errors = 0;  // ApiGateway 4XXError
    double sum = 0, minimum = 0, maximum = 0;
    void Add(double ms) {
      minimum = count == 0 ? ms : std::min(minimum, ms);
      maximum = count == 0 ? ms : std::max(maximum, ms);
      sum += ms;
      ++count;
    }
  };

  static std::string Datum(const std::string& name, const std::string& dimensions, double timestamp,
                           const std::string& value_json, const std::string& unit) {
    char stamp[32];
    std::snprintf(stamp, sizeof(stamp), "%.3f", timestamp);
    return "{\"MetricName\":" + Quote(name) + ",\"Dimensions\":" + dimensions +
           ",\"Timestamp\":" + stamp + "," + value_json + ",\"Unit\":" + Quote(unit) + "}";
  }

  static std::string Number(double value) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.6g", value);
    return text;
  }

  static std::string StatisticSet(const Series& series) {
    return "\"StatisticValues\":{\"SampleCount\":" + std::to_string(series.count) +
           ",\"Sum\":" + Number(series.sum) + ",\"Minimum\":" + Number(series.minimum) +
           ",\"Maximum\":" + Number(series.maximum) + "}";
  }

  void Send(const std::string& name_space, const std::vector<std::string>& data) {
    if (data.empty()) return;
    std::string body = "{\"Namespace\":" + Quote(name_space) + ",\"MetricData\":[";
    for (size_t i = 0; i < data.size(); ++i) body += (i == 0 ? "" : ",") + data[i];
    body += "]}";
    auto [status, response] =
        HttpSend("POST", host_, port_, "/", body,
                 {{"Content-Type", "application/x-amz-json-1.0"},
                  {"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"},
                  {"x-amzn-query-mode", "true"}});
    if (status == 200) {
      sent_.fetch_add(1);
    } else if (!warned_.exchange(true)) {
      std::fprintf(stderr, "roentgen-demo: PutMetricData to %s:%u failed (HTTP %d): %s\n",
                   host_.c_str(), static_cast<unsigned>(port_), status, response.c_str());
    }
  }

  void Flush() {
    std::map<std::string, Series> functions;
    Series api;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      functions.swap(functions_);
      std::swap(api, api_);
    }
    double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<std::string> lambda;
    for (const auto& [function, series] : functions) {
      if (series.count == 0) continue;
      std::string dimensions =
          "[{\"Name\":\"FunctionName\",\"Value\":" + Quote(project_ + "-" + function) + "}]";
      lambda.push_back(Datum("Invocations", dimensions, now,
                             "\"Value\":" + std::to_string(series.count), "Count"));
      lambda.push_back(
          Datum("Errors", dimensions, now, "\"Value\":" + std::to_string(series.errors), "Count"));
      lambda.push_back(Datum("Throttles", dimensions, now,
                             "\"Value\":" + std::to_string(series.throttles), "Count"));
      lambda.push_back(Datum("Duration", dimensions, now, StatisticSet(series), "Milliseconds"));
    }
    Send("AWS/Lambda", lambda);
    if (api.count > 0) {
      std::string dimensions = "[{\"Name\":\"ApiName\",\"Value\":" + Quote(project_ + "-api") +
                               "},{\"Name\":\"Stage\",\"Value\":\"prod\"}]";
      Send("AWS/ApiGateway",
           {Datum("Count", dimensions, now, "\"Value\":" + std::to_string(api.count), "Count"),
            Datum("4XXError", dimensions, now, "\"Value\":" + std::to_string(api.client_errors),
                  "Count"),
            Datum("5XXError", dimensions, now, "\"Value\":" + std::to_string(api.errors), "Count"),
            Datum("Latency", dimensions, now, StatisticSet(api), "Milliseconds")});
    }
  }

  std::string project_;
  std::string host_;
  uint16_t port_;
  int interval_seconds_;
  std::mutex mutex_;
  std::map<std::string, Series> functions_;  // guarded by mutex_
  Series api_;                               // guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::atomic<bool> warned_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

// The warehouse that serves a product (an annotation of inventory-manager): a stable hash.
std::string WarehouseOf(const std::string& product) {
  static constexpr const char* kWarehouses[] = {"us-east-1a", "us-east-1b", "eu-west-1a"};
  uint32_t hash = 2166136261u;
  for (char c : product) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return kWarehouses[hash % 3];
}

// ------------------------------------------------------------------------------------------
// The services.

struct Options {
  std::string daemon;  // empty: AWS_XRAY_DAEMON_ADDRESS or 127.0.0.1:2000
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  double rate = 5;
  int64_t count = -1;   // orders to send, then keep serving (-1: unlimited)
  bool recipe = false;  // send the recipe's 10 valid and 3 invalid orders instead of --rate
  bool centralized_sampling = false;
  std::string orders_db = ":memory:";
  std::string project_name = "xray-monitoring";
  // PutMetricData target "HOST:PORT" (empty: the daemon's address; the server answers the
  // CloudWatch API on the same port number over TCP).
  std::string metrics_endpoint;
  bool publish_metrics = true;
  int metrics_interval_seconds = 10;
  std::vector<std::string> initial_injections;  // POST /admin/faults bodies applied at start
};

std::unique_ptr<sdk::Recorder> MakeRecorder(const Options& options, const std::string& name,
                                            const std::string& origin) {
  sdk::RecorderOptions recorder_options;
  recorder_options.service_name = name;
  recorder_options.origin = origin;
  recorder_options.service_version = "1.0";
  if (!options.daemon.empty()) {
    recorder_options.daemon_address = options.daemon;
    recorder_options.read_environment = false;
  }
  if (!options.centralized_sampling) {
    recorder_options.sampler = std::make_unique<sdk::ConstantSampler>(true);
  }
  return sdk::Recorder::Create(std::move(recorder_options));
}

std::optional<sdk::TraceHeader> Upstream(const HttpRequest& request) {
  return sdk::TraceHeader::Parse(request.Header("X-Amzn-Trace-Id"));
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The remote call of a traced entity: a `remote` subsegment named after the callee, the
// downstream header, and the callee's status recorded on the subsegment.
std::pair<int, std::string> TracedCall(sdk::Recorder& recorder, const std::string& callee,
                                       uint16_t port, const std::string& body) {
  sdk::SubsegmentScope call(recorder, callee, "remote");
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/invoke";
  call->SetHttpRequest("POST", url);
  call->SetTraced(true);
  std::pair<int, std::string> result =
      HttpPost(port, "/invoke", body, call->DownstreamHeader().ToString());
  if (result.first == 0) {
    call->SetFault();
    result.first = 502;
  } else {
    call->SetHttpResponse(result.first);
  }
  return result;
}

class Demo {
 public:
  explicit Demo(Options options) : options_(std::move(options)) {}

  bool Start() {
    if (std::string error = orders_.Open(options_.orders_db); !error.empty()) {
      std::fprintf(stderr, "roentgen-demo: orders table %s: %s\n", options_.orders_db.c_str(),
                   error.c_str());
      return false;
    }
    for (const std::string& body : options_.initial_injections) {
      if (std::string error = injections_.Apply(body); !error.empty()) {
        std::fprintf(stderr, "roentgen-demo: %s: %s\n", body.c_str(), error.c_str());
        return false;
      }
    }
    gateway_recorder_ =
        MakeRecorder(options_, "xray-monitoring-api/prod", "AWS::ApiGateway::Stage");
    processor_recorder_ = MakeRecorder(options_, "order-processor", "AWS::Lambda::Function");
    inventory_recorder_ = MakeRecorder(options_, "inventory-manager", "AWS::Lambda::Function");
    notification_recorder_ =
        MakeRecorder(options_, "notification-service", "AWS::Lambda::Function");
    if (!notification_.Listen("127.0.0.1", 0) || !inventory_.Listen("127.0.0.1", 0) ||
        !processor_.Listen("127.0.0.1", 0) ||
        !gateway_.Listen(options_.listen_host, options_.listen_port)) {
      std::fprintf(stderr, "roentgen-demo: cannot listen on %s:%u: %s\n",
                   options_.listen_host.c_str(), options_.listen_port, std::strerror(errno));
      return false;
    }
    notification_.Start([this](const HttpRequest& r) { return Notify(r); });
    inventory_.Start([this](const HttpRequest& r) { return Inventory(r); });
    processor_.Start([this](const HttpRequest& r) { return Process(r); });
    gateway_.Start([this](const HttpRequest& r) { return Gateway(r); });
    if (options_.publish_metrics) {
      std::string host = gateway_recorder_->udp_host();
      uint16_t port = gateway_recorder_->udp_port();
      if (!options_.metrics_endpoint.empty() &&
          !ParsePort(options_.metrics_endpoint, &host, &port)) {
        std::fprintf(stderr, "roentgen-demo: bad --metrics-endpoint %s\n",
                     options_.metrics_endpoint.c_str());
        return false;
      }
      metrics_ = std::make_unique<CloudMetrics>(options_.project_name, host, port,
                                                options_.metrics_interval_seconds);
      metrics_->Start();
    }
    std::printf(
        "roentgen-demo: listening gateway=%s:%u order-processor=127.0.0.1:%u "
        "inventory-manager=127.0.0.1:%u notification-service=127.0.0.1:%u daemon=%s:%u\n",
        options_.listen_host.c_str(), gateway_.port(), processor_.port(), inventory_.port(),
        notification_.port(), gateway_recorder_->udp_host().c_str(),
        static_cast<unsigned>(gateway_recorder_->udp_port()));
    std::fflush(stdout);
    return true;
  }

  void Stop() {
    gateway_.Stop();
    processor_.Stop();
    inventory_.Stop();
    notification_.Stop();
    if (metrics_) metrics_->Stop();
    for (auto* recorder : {&gateway_recorder_, &processor_recorder_, &inventory_recorder_,
                           &notification_recorder_}) {
      (*recorder)->Flush(2);
    }
  }

  uint16_t gateway_port() const { return gateway_.port(); }

 private:
  // xray-monitoring-api/prod: routes POST /prod/orders to the order-processor function.
  HttpResponse Gateway(const HttpRequest& request) {
    if (request.path == "/admin/faults") return Admin(request);
    auto started = std::chrono::steady_clock::now();
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(
        *gateway_recorder_, "", upstream ? &*upstream : nullptr,
        {.host = "127.0.0.1", .http_method = request.method, .url_path = request.path});
    segment->SetHttpRequest(request.method,
                            "http://127.0.0.1:" + std::to_string(gateway_.port()) + request.path,
                            request.Header("User-Agent"), "127.0.0.1");
    segment->SetResourceArn(
        "arn:aws:apigateway:us-east-1::/restapis/xray-monitoring-api/stages/prod");
    HttpResponse response;
    constexpr std::string_view kOrderPrefix = "/prod/orders/";
    if (request.path == "/prod/orders" && request.method == "POST") {
      auto [status, body] =
          TracedCall(*gateway_recorder_, "order-processor", processor_.port(), request.body);
      response.status = status;
      response.body = std::move(body);
    } else if (request.path.rfind(kOrderPrefix, 0) == 0 && request.method == "GET" &&
               request.path.size() > kOrderPrefix.size()) {
      std::string order_id = request.path.substr(kOrderPrefix.size());
      auto [status, body] = TracedCall(*gateway_recorder_, "order-processor", processor_.port(),
                                       "{\"action\":\"get\",\"orderId\":" + Quote(order_id) + "}");
      response.status = status;
      response.body = std::move(body);
    } else {
      response.status = 404;
      response.body = "{\"message\":\"Not Found\"}";
    }
    segment->SetHttpResponse(response.status, static_cast<int64_t>(response.body.size()));
    response.headers.emplace_back("X-Amzn-Trace-Id", segment->ResponseHeader());
    if (metrics_) metrics_->RecordApi(MillisecondsSince(started), response.status);
    return response;
  }

  // GET /admin/faults: the injections; POST: change one function's (Injections::Apply).
  HttpResponse Admin(const HttpRequest& request) {
    HttpResponse response;
    if (request.method == "POST") {
      if (std::string error = injections_.Apply(request.body); !error.empty()) {
        response.status = 400;
        response.body = "{\"error\":" + Quote(error) + "}";
        return response;
      }
      std::printf("roentgen-demo: injections now %s\n", injections_.ToJson().c_str());
      std::fflush(stdout);
    } else if (request.method != "GET") {
      response.status = 405;
      response.body = "{\"error\":\"use GET or POST\"}";
      return response;
    }
    response.body = injections_.ToJson();
    return response;
  }

  static double MillisecondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  }

  // Starts an invocation of `function`: the injected delay (for inventory-manager only when
  // the order's warehouse matches, if one is set), then whether the invocation faults; a fault
  // is recorded on `segment` as an exception with HTTP 500 and answered in *response.
  bool InjectFault(const std::string& function, sdk::Segment& segment, HttpResponse* response,
                   const std::string& warehouse = "") {
    Injection injection = injections_.Get(function);
    if (injection.latency_ms > 0 && Chance(injection.latency_rate) &&
        (injection.warehouse.empty() || injection.warehouse == warehouse)) {
      Sleep(static_cast<int>(injection.latency_ms));
    }
    if (!Chance(injection.fault_rate)) return false;
    segment.AddException(sdk::ExceptionInfo{.type = "InjectedFault",
                                            .message = function + " failed (injected fault)"});
    segment.SetHttpResponse(500);
    response->status = 500;
    response->body = "{\"error\":\"internal error\"}";
    return true;
  }

  // Records a finished invocation of a function for the AWS/Lambda metrics.
  void RecordInvocation(const std::string& function, std::chrono::steady_clock::time_point started,
                        int status) {
    if (metrics_) metrics_->RecordFunction(function, MillisecondsSince(started), status);
  }

  // order-processor: validate, PutItem on `orders`, inventory, notification.
  HttpResponse Process(const HttpRequest& request) {
    auto started = std::chrono::steady_clock::now();
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*processor_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(processor_.port()) + "/invoke");
    segment->AddAnnotation("service", "order-processor");
    bool get = JsonField(request.body, "action").value_or("") == "get";
    segment->AddAnnotation("operation", get ? "get_order" : "create_order");
    HttpResponse response;
    if (!InjectFault("order-processor", segment.get(), &response)) {
      response = get ? GetOrder(request, segment.get()) : CreateOrder(request, segment.get());
    }
    RecordInvocation("order-processor", started, response.status);
    return response;
  }

  // order-processor's GetItem on `orders`.
  HttpResponse GetOrder(const HttpRequest& request, sdk::Segment& segment) {
    std::string order_id = JsonField(request.body, "orderId").value_or("");
    segment.AddAnnotation("order_id", order_id);
    std::optional<std::string> item;
    {
      sdk::SubsegmentScope get_item(*processor_recorder_, "dynamodb_get_item");
      sdk::SubsegmentScope dynamodb(*processor_recorder_, "DynamoDB", "aws");
      dynamodb->SetAws("operation", "GetItem");
      dynamodb->SetAws("table_name", "orders");
      dynamodb->SetAws("region", "us-east-1");
      item = orders_.Get(order_id);
      dynamodb->SetHttpResponse(200);
    }
    HttpResponse response;
    if (!item) {
      segment.SetHttpResponse(404);
      response.status = 404;
      response.body = "{\"error\":\"order not found\"}";
      return response;
    }
    segment.SetHttpResponse(200);
    response.body = *item;
    return response;
  }

  // order-processor's create: validate, PutItem on `orders`, inventory, notification.
  HttpResponse CreateOrder(const HttpRequest& request, sdk::Segment& segment_ref) {
    sdk::Segment* segment = &segment_ref;
    HttpResponse response;
    std::optional<std::string> customer = JsonField(request.body, "customerId");
    std::optional<std::string> product = JsonField(request.body, "productId");
    std::optional<std::string> quantity_text = JsonField(request.body, "quantity");
    int64_t quantity = quantity_text ? std::atoll(quantity_text->c_str()) : 1;
    std::string order_id = NewOrderId();
    segment->AddMetadata(
        "order_details",
        sdk::Json::Object{{"order_id", order_id},
                          {"customer_id", customer ? sdk::Json(*customer) : sdk::Json()},
                          {"product_id", product ? sdk::Json(*product) : sdk::Json()},
                          {"quantity", quantity}});
    std::string error;
    {
      sdk::SubsegmentScope validate(*processor_recorder_, "validate_order");
      if (!customer || customer->empty() || !product || product->empty()) {
        error = "customerId and productId are required";
      } else if (quantity < 1) {
        error = "quantity must be at least 1";
      }
      if (!error.empty()) validate->SetError();
    }
    if (!error.empty()) {
      segment->AddAnnotation("error", error);
      segment->SetHttpResponse(400);
      response.status = 400;
      response.body = "{\"error\":" + Quote(error) + "}";
      return response;
    }
    {
      // The recipe's `dynamodb_put_item`, with the PutItem call as the SDKs record it.
      sdk::SubsegmentScope put_item(*processor_recorder_, "dynamodb_put_item");
      sdk::SubsegmentScope dynamodb(*processor_recorder_, "DynamoDB", "aws");
      dynamodb->SetAws("operation", "PutItem");
      dynamodb->SetAws("table_name", "orders");
      dynamodb->SetAws("region", "us-east-1");
      if (orders_.Put(order_id, *customer, *product, quantity, "pending")) {
        dynamodb->SetHttpResponse(200);
      } else {
        dynamodb->SetFault();
        dynamodb->SetHttpResponse(500);
      }
    }
    std::string payload =
        "{\"orderId\":" + Quote(order_id) + ",\"customerId\":" + Quote(*customer) +
        ",\"productId\":" + Quote(*product) + ",\"quantity\":" + std::to_string(quantity) + "}";
    int status = 200;
    std::string inventory_body;
    {
      sdk::SubsegmentScope check(*processor_recorder_, "check_inventory");
      auto [inventory_status, body] =
          TracedCall(*processor_recorder_, "inventory-manager", inventory_.port(), payload);
      inventory_body = body;
      if (inventory_status == 200) {
        check->AddAnnotation("inventory_check", "completed");
        segment->AddAnnotation("inventory_check", "completed");
      } else {
        status = inventory_status == 429 ? 429 : 502;
        error = "inventory-manager answered " + std::to_string(inventory_status);
      }
    }
    std::string notification_body = "null";
    if (status == 200) {
      sdk::SubsegmentScope send(*processor_recorder_, "send_notification");
      auto [notification_status, body] =
          TracedCall(*processor_recorder_, "notification-service", notification_.port(), payload);
      if (notification_status == 200) {
        notification_body = body;
        send->AddAnnotation("notification_sent", "true");
        segment->AddAnnotation("notification_sent", "true");
      } else {
        status = 502;
        error = "notification-service answered " + std::to_string(notification_status);
      }
    }
    if (!error.empty()) {
      segment->AddAnnotation("error", error);
      response.body = "{\"error\":" + Quote(error) + "}";
    } else {
      response.body = "{\"orderId\":" + Quote(order_id) +
                      ",\"status\":\"processed\",\"inventory\":" + inventory_body +
                      ",\"notification\":" + notification_body + "}";
    }
    segment->SetHttpResponse(status);
    response.status = status;
    return response;
  }

  // inventory-manager: validation ~100 ms, update ~50 ms. quantity > 100 is throttled.
  HttpResponse Inventory(const HttpRequest& request) {
    auto started = std::chrono::steady_clock::now();
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*inventory_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(inventory_.port()) + "/invoke");
    segment->AddAnnotation("service", "inventory-manager");
    segment->AddAnnotation("operation", "update_inventory");
    std::string product = JsonField(request.body, "productId").value_or("");
    std::string warehouse = WarehouseOf(product);
    segment->AddAnnotation("warehouse", warehouse);
    HttpResponse response;
    if (!InjectFault("inventory-manager", segment.get(), &response, warehouse)) {
      response = UpdateInventory(request, segment.get(), product);
    }
    RecordInvocation("inventory-manager", started, response.status);
    return response;
  }

  HttpResponse UpdateInventory(const HttpRequest& request, sdk::Segment& segment_ref,
                               const std::string& product) {
    sdk::Segment* segment = &segment_ref;
    int64_t quantity = std::atoll(JsonField(request.body, "quantity").value_or("1").c_str());
    HttpResponse response;
    {
      sdk::SubsegmentScope validation(*inventory_recorder_, "inventory_validation");
      Sleep(100);
      validation->AddMetadata("inventory_check", sdk::Json::Object{{"product_id", product},
                                                                   {"requested_quantity", quantity},
                                                                   {"available_quantity", 100}});
      if (quantity > 100) {
        validation->SetThrottle();
        segment->AddAnnotation("error", "requested quantity exceeds the available 100");
        segment->SetHttpResponse(429);
        response.status = 429;
        response.body = "{\"error\":\"insufficient inventory\"}";
        return response;
      }
    }
    {
      sdk::SubsegmentScope update(*inventory_recorder_, "inventory_update");
      Sleep(50);
      segment->AddAnnotation("inventory_updated", "true");
    }
    segment->SetHttpResponse(200);
    response.body =
        "{\"productId\":" + Quote(product) +
        ",\"status\":\"reserved\",\"availableQuantity\":" + std::to_string(100 - quantity) + "}";
    return response;
  }

  // notification-service: ~50 ms; a productId starting with "fault" makes it fail.
  HttpResponse Notify(const HttpRequest& request) {
    auto started = std::chrono::steady_clock::now();
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*notification_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(notification_.port()) + "/invoke");
    segment->AddAnnotation("service", "notification-service");
    segment->AddAnnotation("operation", "send_notification");
    HttpResponse response;
    if (!InjectFault("notification-service", segment.get(), &response)) {
      response = SendNotification(request, segment.get());
    }
    RecordInvocation("notification-service", started, response.status);
    return response;
  }

  HttpResponse SendNotification(const HttpRequest& request, sdk::Segment& segment_ref) {
    sdk::Segment* segment = &segment_ref;
    HttpResponse response;
    Sleep(50);
    std::string product = JsonField(request.body, "productId").value_or("");
    if (product.rfind("fault", 0) == 0) {
      segment->AddException(
          sdk::ExceptionInfo{.type = "NotificationError", .message = "mail relay unavailable"});
      segment->AddAnnotation("error", "mail relay unavailable");
      segment->SetHttpResponse(500);
      response.status = 500;
      response.body = "{\"error\":\"mail relay unavailable\"}";
      return response;
    }
    segment->AddAnnotation("notification_sent", "true");
    segment->SetHttpResponse(200);
    response.body = "{\"status\":\"sent\",\"channel\":\"email\"}";
    return response;
  }

  Options options_;
  std::unique_ptr<sdk::Recorder> gateway_recorder_, processor_recorder_, inventory_recorder_,
      notification_recorder_;
  HttpServer gateway_, processor_, inventory_, notification_;
  OrdersTable orders_;
  Injections injections_;
  std::unique_ptr<CloudMetrics> metrics_;
};

// The i-th generated order: mostly valid; 4 % invalid (400), 2 % throttled by the inventory
// (quantity > 100), 2 % faulting in the notification service.
std::string GeneratedOrder(int64_t i) {
  std::string customer = "customer-" + std::to_string(i % 17);
  std::string product = "product-" + std::to_string(i % 7);
  int64_t quantity = 1 + i % 5;
  if (i % 25 == 3) return "{\"customerId\":" + Quote(customer) + ",\"quantity\":1}";
  if (i % 50 == 11) quantity = 500;
  if (i % 50 == 37) product = "fault-widget";
  return "{\"customerId\":" + Quote(customer) + ",\"productId\":" + Quote(product) +
         ",\"quantity\":" + std::to_string(quantity) + "}";
}

// Sends one order to the gateway at host:port; returns the status (0: no answer).
int SendOrder(const std::string& host, uint16_t port, const std::string& body,
              std::string* trace_header = nullptr) {
  return HttpSend("POST", host, port, "/prod/orders", body, {}, trace_header).first;
}

// Steady traffic: `rate` generated orders per second, `count` of them (-1: until stopped).
void Traffic(const std::string& host, uint16_t port, double rate, int64_t count) {
  if (rate <= 0 || count == 0) return;
  auto interval = std::chrono::duration<double>(1.0 / rate);
  auto next = std::chrono::steady_clock::now();
  std::vector<std::thread> inflight;
  for (int64_t i = 0; !g_stop.load() && (count < 0 || i < count); ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    inflight.emplace_back([host, port, i] { SendOrder(host, port, GeneratedOrder(i)); });
    if (inflight.size() >= 64) {
      for (auto& thread : inflight) thread.join();
      inflight.clear();
    }
  }
  for (auto& thread : inflight) thread.join();
  std::printf("roentgen-demo: traffic done\n");
  std::fflush(stdout);
}

// The recipe's step 8: ten valid orders (customer-i, product-i, quantity i), then three
// invalid ones ({"invalid": "data"}), `interval_ms` apart. Prints one line per request.
// Returns the number of answers that differ from the expected 200 / 400.
int RecipeTraffic(const std::string& host, uint16_t port, int interval_ms) {
  int unexpected = 0;
  for (int i = 1; i <= 13 && !g_stop.load(); ++i) {
    bool valid = i <= 10;
    std::string body = valid ? "{\"customerId\": \"customer-" + std::to_string(i) +
                                   "\", \"productId\": \"product-" + std::to_string(i) +
                                   "\", \"quantity\": " + std::to_string(i) + "}"
                             : "{\"invalid\": \"data\"}";
    std::string trace_header;
    int status = SendOrder(host, port, body, &trace_header);
    if (status != (valid ? 200 : 400)) ++unexpected;
    std::printf("roentgen-demo: recipe order %d -> HTTP %d %s\n", i, status, trace_header.c_str());
    std::fflush(stdout);
    if (i < 13) Sleep(interval_ms);
  }
  std::printf("roentgen-demo: recipe traffic done (%d unexpected answers)\n", unexpected);
  std::fflush(stdout);
  return unexpected;
}

void Usage() {
  std::fprintf(
      stderr,
      "usage: roentgen demo [OPTIONS]               run the services (and traffic)\n"
      "       roentgen demo traffic [--target HOST:PORT] [--recipe | --rate N --count N]\n"
      "  --daemon HOST:PORT      X-Ray daemon address (default: AWS_XRAY_DAEMON_ADDRESS or "
      "127.0.0.1:2000)\n"
      "  --listen HOST:PORT      the API gateway stage's address (default 127.0.0.1:8080)\n"
      "  --rate N                generated orders per second (default 5; 0: no traffic)\n"
      "  --count N               stop generating after N orders (default: never)\n"
      "  --recipe                send the recipe's 10 valid and 3 invalid orders, 1 s apart\n"
      "  --recipe-interval MS    the pause between recipe orders (default 1000)\n"
      "  --orders-db PATH        the SQLite file of the orders table (default: in memory)\n"
      "  --fault SERVICE=RATE    inject faults into a function from the start (0..1)\n"
      "  --latency SERVICE=MS[@RATE]  inject latency into a function from the start\n"
      "  --project-name NAME     prefix of the Lambda function names in metrics "
      "(default xray-monitoring)\n"
      "  --metrics-endpoint HOST:PORT  where PutMetricData goes (also http://HOST:PORT; default: "
      "the "
      "daemon address)\n"
      "  --metrics-interval S    seconds between metric batches (default 10)\n"
      "  --no-metrics            publish no AWS/Lambda and AWS/ApiGateway metrics\n"
      "  --centralized-sampling  sample with the server's rules instead of recording all\n"
      "  --target HOST:PORT      (traffic) the gateway to send orders to (default "
      "127.0.0.1:8080)\n");
}

// "--fault inventory-manager=0.3" / "--latency inventory-manager=800@0.5" as an
// /admin/faults body; empty on a malformed value.
std::string InjectionFlag(const std::string& flag, const std::string& value) {
  size_t equals = value.find('=');
  if (equals == std::string::npos || equals == 0) return "";
  std::string service = value.substr(0, equals);
  std::string setting = value.substr(equals + 1);
  if (flag == "--fault") {
    return "{\"service\":" + Quote(service) + ",\"fault_rate\":" + setting + "}";
  }
  size_t at = setting.find('@');
  std::string body = "{\"service\":" + Quote(service) + ",\"latency_ms\":" + setting.substr(0, at);
  if (at != std::string::npos) body += ",\"latency_rate\":" + setting.substr(at + 1);
  return body + "}";
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool traffic_only = false;
  std::string target = "127.0.0.1:8080";
  int recipe_interval_ms = 1000;
  int first = 1;
  if (argc > 1 && std::string(argv[1]) == "traffic") {
    traffic_only = true;
    first = 2;
  }
  auto bad = [](const std::string& message) {
    std::fprintf(stderr, "roentgen demo: %s\n", message.c_str());
    Usage();
    return 2;
  };
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    }
    if (arg == "--centralized-sampling") {
      options.centralized_sampling = true;
      continue;
    }
    if (arg == "--recipe") {
      options.recipe = true;
      continue;
    }
    if (arg == "--no-metrics") {
      options.publish_metrics = false;
      continue;
    }
    static const char* const kWithValue[] = {
        "--daemon",       "--listen",           "--rate",  "--count",   "--orders-db",
        "--project-name", "--metrics-endpoint", "--fault", "--latency", "--metrics-interval",
        "--target",       "--recipe-interval"};
    bool known = false;
    for (const char* name : kWithValue) known = known || arg == name;
    if (!known) return bad("unknown argument " + arg);
    if (i + 1 >= argc) return bad(arg + " needs a value");
    std::string v = argv[++i];
    if (arg == "--daemon") {
      options.daemon = v;
    } else if (arg == "--listen") {
      if (!ParsePort(v, &options.listen_host, &options.listen_port)) return bad("bad --listen");
    } else if (arg == "--rate") {
      options.rate = std::strtod(v.c_str(), nullptr);
    } else if (arg == "--count") {
      options.count = std::strtoll(v.c_str(), nullptr, 10);
    } else if (arg == "--orders-db") {
      options.orders_db = v;
    } else if (arg == "--project-name") {
      options.project_name = v;
    } else if (arg == "--metrics-endpoint") {
      options.metrics_endpoint = v;
    } else if (arg == "--metrics-interval") {
      options.metrics_interval_seconds = std::max(1, std::atoi(v.c_str()));
    } else if (arg == "--target") {
      target = v;
    } else if (arg == "--recipe-interval") {
      recipe_interval_ms = std::max(0, std::atoi(v.c_str()));
    } else {
      std::string body = InjectionFlag(arg, v);
      if (body.empty()) return bad("bad " + arg + " " + v);
      options.initial_injections.push_back(body);
    }
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  if (traffic_only) {
    std::string host;
    uint16_t port = 0;
    if (!ParsePort(target, &host, &port)) return bad("bad --target " + target);
    if (options.recipe) return RecipeTraffic(host, port, recipe_interval_ms) == 0 ? 0 : 1;
    Traffic(host, port, options.rate, options.count);
    return 0;
  }
  Demo demo(options);
  if (!demo.Start()) return 1;
  std::thread traffic([&] {
    if (options.recipe) {
      RecipeTraffic("127.0.0.1", demo.gateway_port(), recipe_interval_ms);
    } else {
      Traffic("127.0.0.1", demo.gateway_port(), options.rate, options.count);
    }
  });
  while (!g_stop.load()) Sleep(100);
  traffic.join();
  demo.Stop();
  return 0;
}
