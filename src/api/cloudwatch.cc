// SPDX-License-Identifier: Apache-2.0
// CloudWatch's two wire protocols over one set of handlers (xray-protocol.md §7). The
// request's own protocol decides the answer's: botocore silently drops an XML answer to a
// JSON request (§7.1), so the protocol is never guessed from anything but the request.

#include "api/internal/cloudwatch.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "api/errors.h"
#include "base/json_writer.h"
#include "base/logging.h"

namespace roentgen::api::internal {
namespace {

constexpr std::string_view kTargetPrefix = "GraniteServiceVersion20100801.";
constexpr std::string_view kXmlNamespace = "http://monitoring.amazonaws.com/doc/2010-08-01/";
constexpr size_t kMaxFormDepth = 16;
constexpr size_t kMaxListIndex = 100000;

struct CwOperation {
  std::string_view name;
  CwHandler handler;
  bool has_output;  // whether the query answer has an <OpResult> element
};

// The operation table (STYLE.md 9).
constexpr CwOperation kOperations[] = {
    {"PutMetricData", &CwPutMetricData, false},
    {"GetMetricStatistics", &CwGetMetricStatistics, true},
    {"GetMetricData", &CwGetMetricData, true},
    {"ListMetrics", &CwListMetrics, true},
    {"PutMetricAlarm", &CwPutMetricAlarm, false},
    {"DescribeAlarms", &CwDescribeAlarms, true},
    {"DescribeAlarmHistory", &CwDescribeAlarmHistory, true},
    {"DeleteAlarms", &CwDeleteAlarms, false},
    {"SetAlarmState", &CwSetAlarmState, false},
    {"PutAnomalyDetector", &CwPutAnomalyDetector, true},
    {"DescribeAnomalyDetectors", &CwDescribeAnomalyDetectors, true},
    {"DeleteAnomalyDetector", &CwDeleteAnomalyDetector, true},
    {"PutDashboard", &CwPutDashboard, true},
    {"GetDashboard", &CwGetDashboard, true},
    {"ListDashboards", &CwListDashboards, true},
    {"DeleteDashboards", &CwDeleteDashboards, true},
};

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t pos = 0; pos < prefix.size(); ++pos)
    if (std::tolower(static_cast<unsigned char>(text[pos])) !=
        std::tolower(static_cast<unsigned char>(prefix[pos])))
      return false;
  return true;
}

void AppendXmlEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\r':
        *out += "&#13;";
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string FormatDouble(double value) {
  JsonWriter writer;
  writer.Double(value);
  return writer.Release();
}

void WriteJsonValue(JsonWriter& w, const CwOut& out) {
  switch (out.kind) {
    case CwOut::Kind::kString:
      w.String(out.text);
      return;
    case CwOut::Kind::kNumber:
    case CwOut::Kind::kTime:
      w.Double(out.number);
      return;
    case CwOut::Kind::kInt:
      w.Int(out.integer);
      return;
    case CwOut::Kind::kBool:
      w.Bool(out.boolean);
      return;
    case CwOut::Kind::kObject:
    case CwOut::Kind::kMap:
      w.BeginObject();
      for (const auto& [key, value] : out.members) {
        w.Key(key);
        WriteJsonValue(w, value);
      }
      w.EndObject();
      return;
    case CwOut::Kind::kArray:
      w.BeginArray();
      for (const CwOut& item : out.items) WriteJsonValue(w, item);
      w.EndArray();
      return;
  }
}

void WriteXmlContent(std::string* xml, const CwOut& out);

void WriteXmlElement(std::string* xml, std::string_view name, const CwOut& out) {
  bool empty =
      (out.kind == CwOut::Kind::kArray && out.items.empty()) ||
      ((out.kind == CwOut::Kind::kObject || out.kind == CwOut::Kind::kMap) && out.members.empty());
  if (empty) {
    *xml += fmt::format("<{}/>", name);
    return;
  }
  *xml += fmt::format("<{}>", name);
  WriteXmlContent(xml, out);
  *xml += fmt::format("</{}>", name);
}

void WriteXmlContent(std::string* xml, const CwOut& out) {
  switch (out.kind) {
    case CwOut::Kind::kString:
      AppendXmlEscaped(xml, out.text);
      return;
    case CwOut::Kind::kNumber:
      *xml += FormatDouble(out.number);
      return;
    case CwOut::Kind::kInt:
      *xml += std::to_string(out.integer);
      return;
    case CwOut::Kind::kBool:
      *xml += out.boolean ? "true" : "false";
      return;
    case CwOut::Kind::kTime:
      *xml += IsoTimestamp(out.number);
      return;
    case CwOut::Kind::kObject:
      for (const auto& [key, value] : out.members) WriteXmlElement(xml, key, value);
      return;
    case CwOut::Kind::kMap:
      for (const auto& [key, value] : out.members) {
        *xml += "<entry><key>";
        AppendXmlEscaped(xml, key);
        *xml += "</key>";
        WriteXmlElement(xml, "value", value);
        *xml += "</entry>";
      }
      return;
    case CwOut::Kind::kArray:
      for (const CwOut& item : out.items) WriteXmlElement(xml, "member", item);
      return;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (pos + 2 >= text.size() || HexValue(text[pos + 1]) < 0 || HexValue(text[pos + 2]) < 0)
        return InvalidArgumentError(fmt::format("form: bad %-escape at byte {}", pos));
      out.push_back(static_cast<char>(HexValue(text[pos + 1]) * 16 + HexValue(text[pos + 2])));
      pos += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// One node of a form while it is being assembled.
struct FormNode {
  std::optional<std::string> value;
  std::map<std::string, FormNode> children;
  std::map<size_t, FormNode> items;
};

parse::JsonValue ToJson(FormNode& node) {
  if (!node.items.empty()) {
    parse::JsonValue array = parse::JsonValue::Array();
    for (auto& [index, item] : node.items) array.Append(ToJson(item));
    return array;
  }
  if (!node.children.empty()) {
    parse::JsonValue object = parse::JsonValue::Object();
    for (auto& [key, child] : node.children) object.AddMember(key, ToJson(child));
    return object;
  }
  return parse::JsonValue::String(node.value.value_or(""));
}

http::Response JsonResponse(int status, std::string body, std::string_view request_id) {
  http::Response response;
  response.status = status;
  response.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                      {"x-amzn-RequestId", std::string(request_id)}};
  response.body = std::move(body);
  return response;
}

http::Response XmlResponse(int status, std::string body, std::string_view request_id) {
  http::Response response;
  response.status = status;
  response.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", std::string(request_id)}};
  response.body = std::move(body);
  return response;
}

http::Response ErrorResponse(bool json, const CwError& error, std::string_view request_id) {
  std::string_view fault = error.http_status >= 500 ? "Receiver" : "Sender";
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.Key("__type");
    w.String(fmt::format("com.amazonaws.cloudwatch#{}", error.shape));
    w.Key("message");
    w.String(error.message);
    if (!error.validation_messages.empty()) {
      w.Key("dashboardValidationMessages");
      w.BeginArray();
      for (const auto& [path, message] : error.validation_messages) {
        w.BeginObject();
        w.Key("DataPath");
        w.String(path);
        w.Key("Message");
        w.String(message);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
    http::Response response = JsonResponse(error.http_status, w.Release(), request_id);
    response.headers.emplace_back("x-amzn-query-error", fmt::format("{};{}", error.code, fault));
    return response;
  }
  std::string xml =
      fmt::format("<ErrorResponse xmlns=\"{}\"><Error><Type>{}</Type><Code>{}</Code><Message>",
                  kXmlNamespace, fault, error.code);
  AppendXmlEscaped(&xml, error.message);
  xml += "</Message>";
  if (!error.validation_messages.empty()) {
    xml += "<DashboardValidationMessages>";
    for (const auto& [path, message] : error.validation_messages) {
      xml += "<member><DataPath>";
      AppendXmlEscaped(&xml, path);
      xml += "</DataPath><Message>";
      AppendXmlEscaped(&xml, message);
      xml += "</Message></member>";
    }
    xml += "</DashboardValidationMessages>";
  }
  xml += fmt::format("</Error><RequestId>{}</RequestId></ErrorResponse>", request_id);
  return XmlResponse(error.http_status, std::move(xml), request_id);
}

const parse::JsonValue* Member(const parse::JsonValue& in, std::string_view key) {
  const parse::JsonValue* value = in.Find(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

bool TypeError(CwCall& call, std::string_view key, std::string_view expected) {
  return call.Invalid(fmt::format("The parameter {} must be {}.", key, expected));
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> DecodeForm(std::string_view body,
                                                                    size_t max_pairs) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view part = body.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) {
      if (end == body.size()) break;
      continue;
    }
    if (pairs.size() == max_pairs) return InvalidArgumentError("form: too many parameters");
    size_t eq = part.find('=');
    Result<std::string> name = PercentDecode(part.substr(0, eq));
    if (!name.ok()) return name.error();
    Result<std::string> value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
    if (!value.ok()) return value.error();
    // Every member becomes a JSON string of the request tree, which must be UTF-8.
    if (!parse::IsWellFormedUtf8(*name) || !parse::IsWellFormedUtf8(*value)) {
      return InvalidArgumentError(fmt::format(
          "form: parameter {} is not valid UTF-8 after percent-decoding", pairs.size() + 1));
    }
    pairs.emplace_back(std::move(name).value(), std::move(value).value());
    if (end == body.size()) break;
  }
  return pairs;
}

std::string EncodeFormComponent(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

Result<parse::JsonValue> FormToTree(const std::vector<std::pair<std::string, std::string>>& form) {
  FormNode root;
  for (const auto& [key, value] : form) {
    if (key == "Action" || key == "Version") continue;
    FormNode* node = &root;
    std::string_view rest = key;
    size_t depth = 0;
    while (true) {
      if (++depth > kMaxFormDepth)
        return InvalidArgumentError("form: " + key + " nests too deeply");
      size_t dot = rest.find('.');
      std::string_view part = rest.substr(0, dot);
      if (part.empty()) return InvalidArgumentError("form: empty part in " + key);
      if ((part == "member" || part == "entry") && dot != std::string_view::npos) {
        rest = rest.substr(dot + 1);
        dot = rest.find('.');
        std::string_view number = rest.substr(0, dot);
        size_t index = 0;
        auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
        if (ec != std::errc() || ptr != number.data() + number.size() || index == 0 ||
            index > kMaxListIndex)
          return InvalidArgumentError("form: bad list index in " + key);
        node = &node->items[index];
      } else {
        node = &node->children[std::string(part)];
      }
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    if (!node->children.empty() || !node->items.empty())
      return InvalidArgumentError("form: " + key + " is both a value and a structure");
    node->value = value;
  }
  // A leaf with children (set in the other order) is the same conflict.
  std::vector<FormNode*> stack = {&root};
  while (!stack.empty()) {
    FormNode* node = stack.back();
    stack.pop_back();
    if (node->value && (!node->children.empty() || !node->items.empty()) && !node->value->empty())
      return InvalidArgumentError("form: a parameter is both a value and a structure");
    for (auto& [name, child] : node->children) stack.push_back(&child);
    for (auto& [index, child] : node->items) stack.push_back(&child);
  }
  return ToJson(root);
}

std::string RenderJson(const CwOut& out) {
  JsonWriter w;
  WriteJsonValue(w, out);
  return w.Release();
}

std::string RenderXmlMembers(const CwOut& out) {
  std::string xml;
  WriteXmlContent(&xml, out);
  return xml;
}

std::string IsoTimestamp(double seconds) {
  double whole = std::floor(seconds);
  auto time = static_cast<std::time_t>(whole);
  int millis = static_cast<int>(std::lround((seconds - whole) * 1000));
  if (millis == 1000) {
    ++time;
    millis = 0;
  }
  std::tm tm{};
  gmtime_r(&time, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::optional<double> ParseTimestampText(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find('-') == std::string_view::npos || text.find('T') == std::string_view::npos) {
    double seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(seconds))
      return std::nullopt;
    return seconds;
  }
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]
  auto digits = [&](size_t pos, size_t count, int* value) {
    if (pos + count > text.size()) return false;
    *value = 0;
    for (size_t idx = pos; idx < pos + count; ++idx) {
      if (text[idx] < '0' || text[idx] > '9') return false;
      *value = *value * 10 + (text[idx] - '0');
    }
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(0, 4, &year) || text.size() < 19 || text[4] != '-' || !digits(5, 2, &month) ||
      text[7] != '-' || !digits(8, 2, &day) || (text[10] != 'T' && text[10] != 't') ||
      !digits(11, 2, &hour) || text[13] != ':' || !digits(14, 2, &minute) || text[16] != ':' ||
      !digits(17, 2, &second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  size_t pos = 19;
  double fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    double scale = 0.1;
    ++pos;
    size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int offset_seconds = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int oh = 0, om = 0;
      if (!digits(pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
          !digits(pos + 4, 2, &om))
        return std::nullopt;
      offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
      pos += 6;
    }
  }
  if (pos != text.size()) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm).
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  return static_cast<double>(days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds) +
         fraction;
}

bool CwCall::FailStatus(const Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return Invalid(std::move(message));
    case StatusCode::kNotFound:
      return Fail({"ResourceNotFound", "ResourceNotFound", 404, std::move(message), {}});
    case StatusCode::kResourceExhausted:
      return Fail({"LimitExceededFault", "LimitExceeded", 400, std::move(message), {}});
    default:
      RG_LOG(kWarning, "cloudwatch: {}", status.ToString());
      return Fail({"InternalServiceFault", "InternalServiceError", 500, std::move(message), {}});
  }
}

bool ReadString(CwCall& call, const parse::JsonValue& in, std::string_view key,
                std::optional<std::string>* out) {
  const parse::JsonValue* value = Member(in, key);
  if (value == nullptr) return true;
  if (!value->is_string()) return TypeError(call, key, "a string");
  *out = value->string_value();
  return true;
}

bool ReadNumber(CwCall& call, const parse::JsonValue& in, std::string_view key,
                std::optional<double>* out) {
  const parse::JsonValue* value = Member(in, key);
  if (value == nullptr) return true;
  std::optional<double> number;
  if (value->is_number()) {
    number = value->number_as_double();
  } else if (value->is_string()) {
    const std::string& text = value->string_value();
    double parsed = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && ptr == text.data() + text.size()) number = parsed;
  }
  if (!number || !std::isfinite(*number)) return TypeError(call, key, "a finite number");
  *out = number;
  return true;
}

bool ReadInt(CwCall& call, const parse::JsonValue& in, std::string_view key,
             std::optional<int64_t>* out) {
  std::optional<double> number;
  if (!ReadNumber(call, in, key, &number)) return false;
  if (!number) return true;
  if (*number != std::floor(*number) || std::fabs(*number) > 9e15)
    return TypeError(call, key, "an integer");
  *out = static_cast<int64_t>(*number);
  return true;
}

bool ReadBool(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::optional<bool>* out) {
  const parse::JsonValue* value = Member(in, key);
  if (value == nullptr) return true;
  if (value->is_bool()) {
    *out = value->bool_value();
  } else if (value->is_string() && value->string_value() == "true") {
    *out = true;
  } else if (value->is_string() && value->string_value() == "false") {
    *out = false;
  } else {
    return TypeError(call, key, "true or false");
  }
  return true;
}

bool ReadTime(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::optional<double>* out) {
  const parse::JsonValue* value = Member(in, key);
  if (value == nullptr) return true;
  std::optional<double> seconds;
  if (value->is_number()) seconds = value->number_as_double();
  if (value->is_string()) seconds = ParseTimestampText(value->string_value());
  if (!seconds || !std::isfinite(*seconds))
    return TypeError(call, key, "a timestamp (ISO-8601 or seconds since the epoch)");
  *out = seconds;
  return true;
}

bool ReadList(CwCall& call, const parse::JsonValue& in, std::string_view key,
              std::vector<const parse::JsonValue*>* out) {
  out->clear();
  const parse::JsonValue* value = Member(in, key);
  if (value == nullptr) return true;
  if (value->is_string() && value->string_value().empty()) return true;
  if (!value->is_array()) return TypeError(call, key, "a list");
  for (const parse::JsonValue& element : value->elements()) out->push_back(&element);
  return true;
}

bool ReadStringList(CwCall& call, const parse::JsonValue& in, std::string_view key,
                    std::vector<std::string>* out) {
  std::vector<const parse::JsonValue*> items;
  if (!ReadList(call, in, key, &items)) return false;
  out->clear();
  for (const parse::JsonValue* item : items) {
    if (!item->is_string()) return TypeError(call, key, "a list of strings");
    out->push_back(item->string_value());
  }
  return true;
}

bool IsCloudWatchRequest(const http::Request& request) {
  std::optional<std::string_view> target = request.Header("X-Amz-Target");
  if (target) return target->starts_with(kTargetPrefix);
  std::optional<std::string_view> type = request.Header("Content-Type");
  return type && StartsWithNoCase(*type, "application/x-www-form-urlencoded");
}

void CloudWatch(Call call) {
  std::optional<std::string_view> target = call.request.Header("X-Amz-Target");
  bool json = target.has_value();
  std::string op_name;
  parse::JsonValue input;
  if (json) {
    op_name = std::string(target->substr(kTargetPrefix.size()));
    std::string_view body = call.request.body;
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      input = parse::JsonValue::Object();
    } else {
      auto parsed = parse::ParseJson(body, 64);
      if (!parsed.ok() || !parsed->is_object()) {
        call.respond(ErrorResponse(true,
                                   {"SerializationException",
                                    "SerializationException",
                                    400,
                                    parsed.ok() ? "the request body must be a JSON object"
                                                : std::string(parsed.error().message()),
                                    {}},
                                   call.request_id));
        return;
      }
      input = std::move(parsed).value();
    }
  } else {
    auto form = DecodeForm(call.request.body);
    if (!form.ok()) {
      call.respond(ErrorResponse(false,
                                 {"InvalidParameterValueException",
                                  "MalformedQueryString",
                                  400,
                                  std::string(form.error().message()),
                                  {}},
                                 call.request_id));
      return;
    }
    for (const auto& [key, value] : *form)
      if (key == "Action") op_name = value;
    auto tree = FormToTree(*form);
    if (!tree.ok()) {
      call.respond(ErrorResponse(false,
                                 {"InvalidParameterValueException",
                                  "MalformedQueryString",
                                  400,
                                  std::string(tree.error().message()),
                                  {}},
                                 call.request_id));
      return;
    }
    input = std::move(tree).value();
  }
  const CwOperation* operation = nullptr;
  for (const CwOperation& candidate : kOperations)
    if (candidate.name == op_name) operation = &candidate;
  if (operation == nullptr) {
    CwError error = json
                        ? CwError{"UnknownOperationException",
                                  "InvalidAction",
                                  400,
                                  "Unknown operation " + op_name,
                                  {}}
                        : CwError{"InvalidAction",
                                  "InvalidAction",
                                  400,
                                  "Could not find operation " + op_name + " for version 2010-08-01",
                                  {}};
    call.respond(ErrorResponse(json, error, call.request_id));
    return;
  }
  if (call.services.metrics == nullptr || call.services.alarms == nullptr) {
    call.respond(ErrorResponse(json,
                               {"ServiceUnavailable",
                                "ServiceUnavailable",
                                503,
                                "CloudWatch is not enabled on this server",
                                {}},
                               call.request_id));
    return;
  }
  CwCall cw{call.services, call.tenant, call.services.clock->NowUnixSeconds(), std::nullopt};
  CwOut output = CwOut::Object();
  if (!operation->handler(cw, input, &output)) {
    if (!cw.error)
      cw.error = CwError{"InternalServiceFault", "InternalServiceError", 500, "internal error", {}};
    call.respond(ErrorResponse(json, *cw.error, call.request_id));
    return;
  }
  if (json) {
    call.respond(JsonResponse(200, RenderJson(output), call.request_id));
    return;
  }
  std::string xml = fmt::format("<{}Response xmlns=\"{}\">", operation->name, kXmlNamespace);
  if (operation->has_output) {
    std::string members = RenderXmlMembers(output);
    if (members.empty()) {
      xml += fmt::format("<{}Result/>", operation->name);
    } else {
      xml += fmt::format("<{0}Result>{1}</{0}Result>", operation->name, members);
    }
  }
  xml += fmt::format("<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{}Response>",
                     call.request_id, operation->name);
  call.respond(XmlResponse(200, std::move(xml), call.request_id));
}

}  // namespace roentgen::api::internal
