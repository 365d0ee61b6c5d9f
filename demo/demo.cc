// SPDX-License-Identifier: Apache-2.0
// roentgen-demo: the order application of the reference recipe (docs/demo.md), traced with
// roentgen-sdk only. Four HTTP services on 127.0.0.1, each with its own recorder:
//   xray-monitoring-api/prod (AWS::ApiGateway::Stage)  POST /prod/orders  --listen (8080)
//   order-processor          (AWS::Lambda::Function)   POST /invoke       ephemeral port
//   inventory-manager        (AWS::Lambda::Function)   POST /invoke       ephemeral port
//   notification-service     (AWS::Lambda::Function)   POST /invoke       ephemeral port
// plus a traffic generator (--rate orders/s, 0 = none). The trace header travels between them
// as X-Amzn-Trace-Id; every response carries it.
#include <strings.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
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

// POSTs body to 127.0.0.1:port path; returns the status (0: no answer) and the body.
std::pair<int, std::string> HttpPost(uint16_t port, const std::string& path,
                                     const std::string& body, const std::string& trace_header,
                                     std::string* response_trace_header = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  SetTimeouts(fd, 10);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {0, ""};
  }
  std::string out = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  if (!trace_header.empty()) out += "X-Amzn-Trace-Id: " + trace_header + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::pair<int, std::string> result{0, ""};
  std::string status_line;
  std::vector<std::pair<std::string, std::string>> headers;
  if (SendAll(fd, out) && ReadMessage(fd, &status_line, &headers, &result.second)) {
    size_t space = status_line.find(' ');
    if (space != std::string::npos) result.first = std::atoi(status_line.c_str() + space + 1);
    for (const auto& [key, value] : headers) {
      if (response_trace_header != nullptr && strcasecmp(key.c_str(), "X-Amzn-Trace-Id") == 0) {
        *response_trace_header = value;
      }
    }
  }
  ::close(fd);
  return result;
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

// ------------------------------------------------------------------------------------------
// The services.

struct Options {
  std::string daemon;  // empty: AWS_XRAY_DAEMON_ADDRESS or 127.0.0.1:2000
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  double rate = 5;
  int64_t count = -1;  // orders to send, then keep serving (-1: unlimited)
  bool centralized_sampling = false;
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
    for (auto* recorder : {&gateway_recorder_, &processor_recorder_, &inventory_recorder_,
                           &notification_recorder_}) {
      (*recorder)->Flush(2);
    }
  }

  uint16_t gateway_port() const { return gateway_.port(); }

 private:
  // xray-monitoring-api/prod: routes POST /prod/orders to the order-processor function.
  HttpResponse Gateway(const HttpRequest& request) {
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
    if (request.path != "/prod/orders" || request.method != "POST") {
      response.status = 404;
      response.body = "{\"message\":\"Not Found\"}";
    } else {
      auto [status, body] =
          TracedCall(*gateway_recorder_, "order-processor", processor_.port(), request.body);
      response.status = status;
      response.body = std::move(body);
    }
    segment->SetHttpResponse(response.status, static_cast<int64_t>(response.body.size()));
    response.headers.emplace_back("X-Amzn-Trace-Id", segment->ResponseHeader());
    return response;
  }

  // order-processor: validate, PutItem on `orders`, inventory, notification.
  HttpResponse Process(const HttpRequest& request) {
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*processor_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(processor_.port()) + "/invoke");
    segment->AddAnnotation("service", "order-processor");
    segment->AddAnnotation("operation", "create_order");
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
      std::string item = "{\"orderId\":" + Quote(order_id) + ",\"customerId\":" + Quote(*customer) +
                         ",\"productId\":" + Quote(*product) +
                         ",\"quantity\":" + std::to_string(quantity) + ",\"status\":\"pending\"}";
      {
        std::lock_guard<std::mutex> lock(orders_mutex_);
        orders_[order_id] = item;
      }
      Sleep(5);
      dynamodb->SetHttpResponse(200);
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
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*inventory_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(inventory_.port()) + "/invoke");
    segment->AddAnnotation("service", "inventory-manager");
    segment->AddAnnotation("operation", "update_inventory");
    std::string product = JsonField(request.body, "productId").value_or("");
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
    std::optional<sdk::TraceHeader> upstream = Upstream(request);
    sdk::SegmentScope segment(*notification_recorder_, "", upstream ? &*upstream : nullptr);
    segment->SetHttpRequest("POST",
                            "http://127.0.0.1:" + std::to_string(notification_.port()) + "/invoke");
    segment->AddAnnotation("service", "notification-service");
    segment->AddAnnotation("operation", "send_notification");
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
  std::mutex orders_mutex_;
  std::unordered_map<std::string, std::string> orders_;  // the `orders` table
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

void Traffic(uint16_t port, double rate, int64_t count) {
  if (rate <= 0 || count == 0) return;
  auto interval = std::chrono::duration<double>(1.0 / rate);
  auto next = std::chrono::steady_clock::now();
  std::vector<std::thread> inflight;
  for (int64_t i = 0; !g_stop.load() && (count < 0 || i < count); ++i) {
    std::this_thread::sleep_until(next);
    next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    inflight.emplace_back([port, i] { HttpPost(port, "/prod/orders", GeneratedOrder(i), ""); });
    if (inflight.size() >= 64) {
      for (auto& thread : inflight) thread.join();
      inflight.clear();
    }
  }
  for (auto& thread : inflight) thread.join();
  std::printf("roentgen-demo: traffic done\n");
  std::fflush(stdout);
}

bool ParsePort(const std::string& address, std::string* host, uint16_t* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  long value = std::strtol(address.c_str() + colon + 1, nullptr, 10);
  if (value < 0 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

void Usage() {
  std::fprintf(stderr,
               "usage: roentgen demo [--daemon HOST:PORT] [--listen HOST:PORT] [--rate N] "
               "[--count N] [--centralized-sampling]\n"
               "  --daemon   X-Ray daemon address (default: AWS_XRAY_DAEMON_ADDRESS or "
               "127.0.0.1:2000)\n"
               "  --listen   the API gateway stage's address (default 127.0.0.1:8080)\n"
               "  --rate     generated orders per second (default 5; 0: no traffic)\n"
               "  --count    stop generating after N orders (default: never)\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      Usage();
      return 0;
    } else if (arg == "--centralized-sampling") {
      options.centralized_sampling = true;
    } else if (arg == "--daemon" || arg == "--listen" || arg == "--rate" || arg == "--count") {
      std::optional<std::string> v = value();
      if (!v) {
        Usage();
        return 2;
      }
      if (arg == "--daemon") {
        options.daemon = *v;
      } else if (arg == "--listen") {
        if (!ParsePort(*v, &options.listen_host, &options.listen_port)) {
          Usage();
          return 2;
        }
      } else if (arg == "--rate") {
        options.rate = std::strtod(v->c_str(), nullptr);
      } else {
        options.count = std::strtoll(v->c_str(), nullptr, 10);
      }
    } else {
      std::fprintf(stderr, "roentgen demo: unknown argument %s\n", arg.c_str());
      Usage();
      return 2;
    }
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  Demo demo(options);
  if (!demo.Start()) return 1;
  std::thread traffic([&] { Traffic(demo.gateway_port(), options.rate, options.count); });
  while (!g_stop.load()) Sleep(100);
  traffic.join();
  demo.Stop();
  return 0;
}
