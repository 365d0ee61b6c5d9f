// SPDX-License-Identifier: Apache-2.0
#include "http/request_parser.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/internal/gzip.h"

namespace roentgen::http {
namespace {

namespace fs = std::filesystem;

const fs::path kClients = fs::path(RG_SHARED_DIR) / "fixtures" / "clients";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Gzip(std::string_view data, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
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

// Wraps a payload as one chunk plus the last chunk.
std::string Chunked(std::string_view payload) {
  std::ostringstream out;
  out << std::hex << payload.size() << "\r\n" << payload << "\r\n0\r\n\r\n";
  return out.str();
}

// An independent de-chunker for the fixtures (no extensions or trailers there).
std::string Dechunk(std::string_view framed) {
  std::string body;
  for (;;) {
    const size_t eol = framed.find("\r\n");
    const size_t size = std::stoul(std::string(framed.substr(0, eol)), nullptr, 16);
    framed.remove_prefix(eol + 2);
    if (size == 0) break;
    body.append(framed.substr(0, size));
    framed.remove_prefix(size + 2);
  }
  return body;
}

struct Fixture {
  std::string name;   // path relative to fixtures/clients
  std::string bytes;  // the whole request
  std::string head;   // the .http file
  bool has_bin = false;
  std::string bin;
  std::string decoded_json;  // when present
};

// Every .http capture made whole: a .bin beside it holds the (de-chunked) body, which we
// re-frame as one chunk when the head says chunked.
std::vector<Fixture> LoadFixtures() {
  std::vector<Fixture> fixtures;
  for (const auto& entry : fs::recursive_directory_iterator(kClients)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".http") continue;
    Fixture f;
    f.name = fs::relative(entry.path(), kClients).string();
    f.head = ReadFile(entry.path());
    fs::path bin = entry.path();
    bin.replace_extension(".bin");
    f.bytes = f.head;
    if (fs::exists(bin)) {
      f.has_bin = true;
      f.bin = ReadFile(bin);
      const bool chunked = Lower(f.head).find("transfer-encoding: chunked") != std::string::npos;
      f.bytes += chunked ? Chunked(f.bin) : f.bin;
    }
    fs::path decoded = entry.path();
    decoded.replace_extension(".decoded.json");
    if (fs::exists(decoded)) f.decoded_json = ReadFile(decoded);
    fixtures.push_back(std::move(f));
  }
  std::sort(fixtures.begin(), fixtures.end(),
            [](const Fixture& a, const Fixture& b) { return a.name < b.name; });
  return fixtures;
}

struct ManifestRow {
  std::string method, target;
  size_t body_bytes = 0;
};

std::map<std::string, ManifestRow> LoadManifest() {
  std::map<std::string, ManifestRow> rows;
  std::istringstream in(ReadFile(kClients / "manifest.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream fields(line);
    std::string col;
    while (std::getline(fields, col, '\t')) cols.push_back(col);
    if (cols.size() < 8 || cols[1] != "http") continue;
    rows[cols[0]] = {cols[2], cols[3], std::stoul(cols[6])};
  }
  return rows;
}

Limits SmallLimits() {
  Limits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 64 * 1024;
  limits.max_decoded_body_bytes = 256 * 1024;
  return limits;
}

RequestError ExpectError(std::string_view bytes, const Limits& limits = Limits()) {
  size_t consumed = 0;
  RequestError error;
  auto result = ParseHttpRequest(bytes, limits, &consumed, &error);
  EXPECT_FALSE(result.ok()) << bytes.substr(0, 200);
  return error;
}

TEST(RequestParser, EveryFixtureParses) {
  const std::vector<Fixture> fixtures = LoadFixtures();
  const std::map<std::string, ManifestRow> manifest = LoadManifest();
  ASSERT_GE(fixtures.size(), 100u);
  size_t chunked = 0, gzipped = 0;
  for (const Fixture& f : fixtures) {
    SCOPED_TRACE(f.name);
    size_t consumed = 0;
    RequestError error;
    auto parsed = ParseHttpRequest(f.bytes, Limits(), &consumed, &error);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    EXPECT_EQ(consumed, f.bytes.size());
    const Request& r = parsed->request;

    auto row = manifest.find(f.name);
    ASSERT_NE(row, manifest.end());
    EXPECT_EQ(r.method, row->second.method);
    EXPECT_EQ(r.target, row->second.target);
    EXPECT_EQ(r.path, row->second.target.substr(0, row->second.target.find('?')));
    EXPECT_EQ(r.http_version, 11);
    EXPECT_TRUE(parsed->keep_alive);  // HTTP/1.1 clients; none sends "Connection: close"
    EXPECT_FALSE(parsed->expects_continue);

    // Header lookup ignores case and finds the first field of that name.
    ASSERT_FALSE(r.headers.empty());
    for (const auto& [name, value] : r.headers) {
      std::string first;
      for (const auto& [n2, v2] : r.headers) {
        if (Lower(n2) == Lower(name)) {
          first = v2;
          break;
        }
      }
      EXPECT_EQ(r.Header(Lower(name)), first);
      EXPECT_EQ(r.Header(Upper(name)), first);
    }
    EXPECT_TRUE(r.Header("host").has_value());
    EXPECT_FALSE(r.Header("x-not-sent").has_value());

    const std::string head_body = f.head.substr(f.head.find("\r\n\r\n") + 4);
    const bool is_chunked = r.Header("transfer-encoding") == "chunked";
    const bool is_gzip = r.Header("content-encoding") == "gzip";
    if (is_gzip) {
      ++gzipped;
      ASSERT_FALSE(f.decoded_json.empty());
      EXPECT_EQ(r.body, f.decoded_json);
      EXPECT_EQ(r.wire_body, f.bin);
    } else if (f.has_bin) {
      EXPECT_EQ(r.body, f.bin);
      EXPECT_TRUE(r.wire_body.empty());
    } else if (is_chunked) {
      EXPECT_EQ(r.body, Dechunk(head_body));
    } else {
      EXPECT_EQ(r.body, head_body);
    }
    if (is_chunked) ++chunked;
    EXPECT_EQ((is_gzip ? r.wire_body : r.body).size(), row->second.body_bytes);
  }
  EXPECT_EQ(chunked, 3u);  // the OTLP JSON, OTLP protobuf and Zipkin exports
  EXPECT_EQ(gzipped, 2u);  // PutMetricData from botocore 1.43 and JS v3
}

TEST(RequestParser, ChunkedOtlpJson) {
  const std::string bytes = ReadFile(kClients / "otel-js/01-otlp-http-json-export.http");
  auto parsed = ParseHttpRequest(bytes, Limits(), nullptr);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  const std::string& body = parsed->request.body;
  EXPECT_EQ(body.size(), 4009u);
  EXPECT_EQ(body.substr(0, 17), "{\"resourceSpans\":");
  EXPECT_EQ(body.back(), '}');
  EXPECT_EQ(body.find("\r\n"), std::string::npos);  // no chunk framing left
}

TEST(RequestParser, IncrementalFeedingMatchesWholeBuffer) {
  for (const Fixture& f : LoadFixtures()) {
    SCOPED_TRACE(f.name);
    auto whole = ParseHttpRequest(f.bytes, Limits(), nullptr);
    ASSERT_TRUE(whole.ok());
    for (size_t step : {size_t{1}, size_t{7}, size_t{1000}}) {
      if (step == 1 && f.bytes.size() > 8000) continue;  // keep the test quick
      RequestParser parser{Limits()};
      std::string pending;
      size_t offset = 0;
      while (parser.state() == RequestParser::State::kNeedMore && offset < f.bytes.size()) {
        const size_t take = std::min(step, f.bytes.size() - offset);
        pending.append(f.bytes, offset, take);
        offset += take;
        pending.erase(0, parser.Feed(pending));
      }
      ASSERT_EQ(parser.state(), RequestParser::State::kComplete) << "step " << step;
      EXPECT_TRUE(pending.empty());
      ParsedRequest got = parser.TakeRequest();
      EXPECT_EQ(got.request.method, whole->request.method);
      EXPECT_EQ(got.request.target, whole->request.target);
      EXPECT_EQ(got.request.headers, whole->request.headers);
      EXPECT_EQ(got.request.body, whole->request.body);
      EXPECT_EQ(parser.state(), RequestParser::State::kNeedMore);
      EXPECT_FALSE(parser.started());
    }
  }
}

TEST(RequestParser, PipelinedRequests) {
  const std::string a = ReadFile(kClients / "xray-sdk-node/01-GetSamplingRules.http");
  const std::string b = ReadFile(kClients / "otel-js/03-zipkin-export.http");
  const std::string c = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string all = a + b + c;
  size_t offset = 0;
  std::vector<std::string> paths;
  while (offset < all.size()) {
    size_t consumed = 0;
    auto parsed = ParseHttpRequest(std::string_view(all).substr(offset), Limits(), &consumed);
    ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
    paths.push_back(parsed->request.path);
    offset += consumed;
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/GetSamplingRules", "/api/v2/spans", "/health"}));

  // The incremental parser stops after each request and leaves the rest unconsumed.
  RequestParser parser{Limits()};
  size_t used = parser.Feed(all);
  EXPECT_EQ(used, a.size());
  ASSERT_EQ(parser.state(), RequestParser::State::kComplete);
  EXPECT_EQ(parser.TakeRequest().request.path, "/GetSamplingRules");
}

TEST(RequestParser, TargetsAndVersions) {
  auto r = ParseHttpRequest("GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.path, "/a/b");
  EXPECT_EQ(r->request.query, "x=1&y=%20");

  r = ParseHttpRequest("GET http://example.com:2000/TraceSegments?q HTTP/1.1\r\n\r\n", Limits(),
                       nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.path, "/TraceSegments");
  EXPECT_EQ(r->request.query, "q");

  r = ParseHttpRequest("GET / HTTP/1.0\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.http_version, 10);
  EXPECT_FALSE(r->keep_alive);
  r = ParseHttpRequest("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->keep_alive);
  r = ParseHttpRequest("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->keep_alive);

  r = ParseHttpRequest("BREW /pot HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.method, "BREW");
  EXPECT_EQ(r->request.body, "abc");

  r = ParseHttpRequest("HEAD / HTTP/1.1\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_head);

  // Blank lines before a request are skipped.
  size_t consumed = 0;
  r = ParseHttpRequest("\r\n\r\nGET / HTTP/1.1\r\n\r\n", Limits(), &consumed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(consumed, 22u);

  r = ParseHttpRequest("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
                       Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->expects_continue);

  // Header values are trimmed; names keep their case; duplicates stay.
  r = ParseHttpRequest("GET / HTTP/1.1\r\nX-A:   one  \r\nx-a: two\r\n\r\n", Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->request.headers.size(), 2u);
  EXPECT_EQ(r->request.headers[0].first, "X-A");
  EXPECT_EQ(r->request.headers[0].second, "one");
  EXPECT_EQ(r->request.Header("X-a"), "one");
}

TEST(RequestParser, GzipBodies) {
  const std::string json = R"({"TraceSegmentDocuments":["{\"id\":\"1\"}"]})";
  const std::string gz = Gzip(json);
  auto request = [](std::string_view encoding, std::string_view body) {
    return "POST /TraceSegments HTTP/1.1\r\nContent-Encoding: " + std::string(encoding) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  };
  for (const char* name : {"gzip", "x-gzip", "GZIP", "identity, gzip", "gzip, identity"}) {
    auto r = ParseHttpRequest(request(name, gz), Limits(), nullptr);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().ToString();
    EXPECT_EQ(r->request.body, json);
    EXPECT_EQ(r->request.wire_body, gz);
  }
  auto r = ParseHttpRequest(request("identity", json), Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.body, json);
  EXPECT_TRUE(r->request.wire_body.empty());

  // Applied twice, undone twice.
  r = ParseHttpRequest(request("gzip, gzip", Gzip(gz)), Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.body, json);

  // Concatenated members decode as one stream.
  r = ParseHttpRequest(request("gzip", Gzip("abc") + Gzip("def")), Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.body, "abcdef");

  // Chunked and gzipped together.
  const std::string both =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" +
      Chunked(gz);
  r = ParseHttpRequest(both, Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.body, json);

  // Empty body with a coding: nothing to decode.
  r = ParseHttpRequest(request("gzip", ""), Limits(), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.body, "");
}

TEST(RequestParser, BadGzipIsA400ThatKeepsTheConnection) {
  const std::string gz = Gzip(std::string(1000, 'x'));
  auto request = [](std::string_view body, std::string_view extra = "") {
    return "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\n" + std::string(extra) +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  };
  for (const std::string& bad : {std::string("not gzip at all"), gz.substr(0, gz.size() / 2),
                                 gz + "trailing", std::string("\x1f\x8b\x08\x00", 4)}) {
    RequestError e = ExpectError(request(bad));
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.error_type, kErrorBadContentEncoding);
    EXPECT_TRUE(e.connection_reusable);
  }
  std::string corrupt = gz;
  corrupt[corrupt.size() - 3] ^= 0x55;  // the length/CRC trailer
  EXPECT_EQ(ExpectError(request(corrupt)).error_type, kErrorBadContentEncoding);
  // With "Connection: close" the connection is not reused.
  EXPECT_FALSE(ExpectError(request("junk", "Connection: close\r\n")).connection_reusable);
}

TEST(RequestParser, ZipBombIsA413) {
  const std::string bomb = Gzip(std::string(10 * 1024 * 1024, '\0'), 9);
  ASSERT_LT(bomb.size(), 64u * 1024);
  const std::string bytes = "POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                            std::to_string(bomb.size()) + "\r\n\r\n" + bomb;
  RequestError e = ExpectError(bytes, SmallLimits());
  EXPECT_EQ(e.http_status, 413);
  EXPECT_EQ(e.error_type, kErrorPayloadTooLarge);
  EXPECT_TRUE(e.connection_reusable);
  size_t consumed = 0;
  auto r = ParseHttpRequest(bytes, SmallLimits(), &consumed);
  EXPECT_EQ(r.error().code(), StatusCode::kOutOfRange);
  // Exactly at the limit is fine.
  Limits exact = SmallLimits();
  exact.max_decoded_body_bytes = 10 * 1024 * 1024;
  EXPECT_TRUE(ParseHttpRequest(bytes, exact, nullptr).ok());
}

TEST(RequestParser, Gunzip) {
  std::string out;
  EXPECT_TRUE(internal::Gunzip(Gzip("hello"), 5, &out).ok());
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(internal::Gunzip(Gzip("hello!"), 5, &out).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(internal::Gunzip("x", 5, &out).code(), StatusCode::kInvalidArgument);
  const std::string big(300 * 1024, 'q');
  EXPECT_TRUE(internal::Gunzip(Gzip(big), big.size(), &out).ok());
  EXPECT_EQ(out, big);
}

TEST(RequestParser, LimitsAndFraming) {
  const Limits limits = SmallLimits();
  // Header overflow.
  std::string huge_header = "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  RequestError e = ExpectError(huge_header, limits);
  EXPECT_EQ(e.http_status, 431);
  EXPECT_EQ(e.error_type, kErrorHeaderTooLarge);
  // ...also when it arrives without an end.
  e = ExpectError("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a'), limits);
  EXPECT_EQ(e.http_status, 431);
  // The limit covers request line plus fields, however the bytes arrive.
  const std::string start = "POST /GetSamplingRules HTTP/1.1\r\n";
  std::string long_fields =
      "X-Pad: " + std::string(1000 - 9 - 21, 'p') + "\r\nContent-Length: 2\r\n\r\n";
  ASSERT_EQ(long_fields.size(), 1000u);
  e = ExpectError(start + long_fields + "{}", limits);
  EXPECT_EQ(e.http_status, 431);
  {
    RequestParser parser(limits);
    std::string pending = start.substr(0, 5);
    pending.erase(0, parser.Feed(pending));
    pending += start.substr(5) + long_fields + "{}";
    pending.erase(0, parser.Feed(pending));
    ASSERT_EQ(parser.state(), RequestParser::State::kError);
    EXPECT_EQ(parser.error().http_status, 431);
  }
  // Bare-LF heads are refused whether they arrive at once or in pieces.
  EXPECT_EQ(ExpectError("GET / HTTP/1.1\nHost: x\n\n").http_status, 400);
  {
    RequestParser parser(limits);
    std::string pending = "GET / HT";
    pending.erase(0, parser.Feed(pending));
    EXPECT_EQ(parser.state(), RequestParser::State::kNeedMore);
    pending += "TP/1.1\nHost: x\n\n";
    parser.Feed(pending);
    ASSERT_EQ(parser.state(), RequestParser::State::kError);
    EXPECT_EQ(parser.error().http_status, 400);
  }
  // An incomplete head within the limit is just incomplete.
  e = ExpectError("GET / HTTP/1.1\r\nHost: x\r\n", limits);
  EXPECT_EQ(e.error_type, kErrorIncompleteRequest);
  e = ExpectError("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", limits);
  EXPECT_EQ(e.error_type, kErrorIncompleteRequest);

  // Body limits: declared, and chunked.
  e = ExpectError("POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", limits);
  EXPECT_EQ(e.http_status, 413);
  EXPECT_FALSE(e.connection_reusable);
  e = ExpectError("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", limits);
  EXPECT_EQ(e.http_status, 400);
  std::string many_chunks = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int idx = 0; idx < 20; ++idx) many_chunks += "1000\r\n" + std::string(4096, 'z') + "\r\n";
  e = ExpectError(many_chunks + "0\r\n\r\n", limits);
  EXPECT_EQ(e.http_status, 413);

  // Chunk framing errors.
  for (const char* bad : {"zz\r\nabc\r\n0\r\n\r\n", "3\r\nabcX\r\n0\r\n\r\n",
                          "ffffffffffffffffffff\r\n", "-1\r\n", "3;\x01\r\nabc\r\n0\r\n\r\n"}) {
    e = ExpectError(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") + bad,
                    limits);
    EXPECT_TRUE(e.http_status == 400 || e.http_status == 413) << bad;
    EXPECT_FALSE(e.connection_reusable);
  }
  // An endless chunk-size line or trailer is cut off at max_header_bytes.
  e = ExpectError(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(5000, 'e'), limits);
  EXPECT_EQ(e.http_status, 400);
  EXPECT_NE(e.message.find("chunk header or trailer"), std::string::npos) << e.message;
  e = ExpectError(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + std::string(5000, 't'),
      limits);
  EXPECT_EQ(e.http_status, 400);

  // Trailers are accepted.
  auto r = ParseHttpRequest(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
      limits, nullptr);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->request.body, "abc");
}

TEST(RequestParser, RefusesAmbiguousOrUnsupportedFraming) {
  // Content-Length with Transfer-Encoding (request smuggling), either order.
  EXPECT_EQ(ExpectError("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
                        "\r\n3\r\nabc\r\n0\r\n\r\n")
                .http_status,
            400);
  EXPECT_EQ(ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n"
                        "\r\n3\r\nabc\r\n0\r\n\r\n")
                .http_status,
            400);
  // Codings Beast would silently ignore.
  RequestError e = ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc");
  EXPECT_EQ(e.http_status, 501);
  EXPECT_EQ(e.error_type, kErrorNotImplemented);
  EXPECT_EQ(ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
                .http_status,
            501);
  EXPECT_EQ(ExpectError("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n")
                .http_status,
            400);
  EXPECT_EQ(
      ExpectError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").http_status,
      400);
  EXPECT_EQ(ExpectError("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
                .http_status,
            400);
  // Unsupported content coding.
  e = ExpectError("POST / HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(e.http_status, 415);
  EXPECT_EQ(e.error_type, kErrorUnsupportedMediaType);
  // Versions and garbage.
  e = ExpectError("GET / HTTP/2.0\r\n\r\n");
  EXPECT_EQ(e.http_status, 505) << e.message;
  EXPECT_EQ(e.error_type, kErrorVersionNotSupported);
  EXPECT_EQ(ExpectError("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").http_status, 505);
  EXPECT_EQ(ExpectError("GET / HTTP/1.9\r\n\r\n").http_status, 505);
  for (const char* bad : {"GET\r\n\r\n", "GET / FTP/1.1\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n",
                          "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", "GET / HTTP/1.1\nHost: x\n\n",
                          "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"}) {
    e = ExpectError(bad);
    EXPECT_EQ(e.http_status, 400) << bad;
    EXPECT_EQ(e.error_type, kErrorMalformedRequest) << bad;
  }
}

}  // namespace
}  // namespace roentgen::http
