// SPDX-License-Identifier: Apache-2.0
#include "http/http_client.h"

#include <charconv>
#include <exception>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace roentgen::http {

namespace asio = boost::asio;
namespace beast = boost::beast;

Result<Endpoint> ParseEndpoint(std::string_view text) {
  std::string_view rest = text;
  if (rest.rfind("http://", 0) == 0) rest.remove_prefix(7);
  if (rest.rfind("https://", 0) == 0) {
    return InvalidArgumentError("endpoint " + std::string(text) + ": https is not supported");
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  Endpoint endpoint;
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    endpoint.host = std::string(rest);
  } else {
    endpoint.host = std::string(rest.substr(0, colon));
    std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return InvalidArgumentError("endpoint " + std::string(text) + ": bad port");
    }
    endpoint.port = static_cast<uint16_t>(value);
  }
  if (endpoint.host.size() >= 2 && endpoint.host.front() == '[' && endpoint.host.back() == ']') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  if (endpoint.host.empty())
    return InvalidArgumentError("endpoint " + std::string(text) + ": no host");
  return endpoint;
}

Result<Response> SendRequest(const Endpoint& endpoint, const ClientRequest& request,
                             std::chrono::milliseconds timeout) {
  try {
    asio::io_context io;
    asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    auto addresses = resolver.resolve(endpoint.host, std::to_string(endpoint.port));
    stream.connect(addresses);
    beast::http::request<beast::http::string_body> wire;
    wire.method_string(request.method);
    wire.target(request.target);
    wire.version(11);
    wire.set(beast::http::field::host, endpoint.host + ":" + std::to_string(endpoint.port));
    wire.set(beast::http::field::user_agent, "roentgen-cli");
    for (const auto& [name, value] : request.headers) wire.set(name, value);
    wire.body() = request.body;
    wire.prepare_payload();
    beast::http::write(stream, wire);
    beast::flat_buffer buffer;
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(256u << 20);
    beast::http::read(stream, buffer, parser);
    auto& reply = parser.get();
    Response response;
    response.status = static_cast<int>(reply.result_int());
    for (const auto& field : reply) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(reply.body());
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    return response;
  } catch (const std::exception& error) {
    return UnavailableError("http://" + endpoint.host + ":" + std::to_string(endpoint.port) +
                            request.target + ": " + error.what());
  }
}

}  // namespace roentgen::http
