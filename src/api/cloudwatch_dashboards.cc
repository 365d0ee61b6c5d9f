// SPDX-License-Identifier: Apache-2.0
// PutDashboard, GetDashboard, ListDashboards, DeleteDashboards. Dashboards live in the catalog
// (kind "dashboard"), the value being "<last modified seconds>\n<body>".

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "api/internal/cloudwatch.h"

namespace roentgen::api::internal {
namespace {

constexpr std::string_view kKind = "dashboard";
constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr size_t kPageSize = 1000;

struct Stored {
  double last_modified = 0;
  std::string body;
};

std::string Encode(const Stored& stored) {
  return fmt::format("{}\n{}", stored.last_modified, stored.body);
}

Stored Decode(std::string_view value) {
  Stored stored;
  size_t newline = value.find('\n');
  if (newline == std::string_view::npos) {
    stored.body = std::string(value);
    return stored;
  }
  std::from_chars(value.data(), value.data() + newline, stored.last_modified);
  stored.body = std::string(value.substr(newline + 1));
  return stored;
}

std::string Arn(const CwCall& call, std::string_view name) {
  return fmt::format("arn:aws:cloudwatch::{}:dashboard/{}", call.tenant, name);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

CwError InvalidBody(std::string message, std::vector<std::pair<std::string, std::string>> details) {
  return {"DashboardInvalidInputError", "InvalidParameterInput", 400, std::move(message),
          std::move(details)};
}

// CloudWatch's dashboard body checks (a subset of its JSON schema): errors as (DataPath,
// Message); returns the number of widgets.
void ValidateBody(const parse::JsonValue& body,
                  std::vector<std::pair<std::string, std::string>>* errors) {
  if (!body.is_object()) {
    errors->emplace_back("/", "Should be object");
    return;
  }
  const parse::JsonValue* widgets = body.Find("widgets");
  if (widgets == nullptr) {
    errors->emplace_back("/", "Should have required property 'widgets'");
    return;
  }
  if (!widgets->is_array()) {
    errors->emplace_back("/widgets", "Should be array");
    return;
  }
  static constexpr std::string_view kTypes[] = {"metric",   "text",   "log", "alarm",
                                                "explorer", "custom", "logs"};
  for (size_t widget_idx = 0; widget_idx < widgets->elements().size(); ++widget_idx) {
    const parse::JsonValue& widget = widgets->elements()[widget_idx];
    std::string path = fmt::format("/widgets/{}", widget_idx);
    if (!widget.is_object()) {
      errors->emplace_back(path, "Should be object");
      continue;
    }
    const parse::JsonValue* type = widget.Find("type");
    if (type == nullptr) {
      errors->emplace_back(path, "Should have required property 'type'");
    } else if (!type->is_string() || std::find(std::begin(kTypes), std::end(kTypes),
                                               type->string_value()) == std::end(kTypes)) {
      errors->emplace_back(path + "/type",
                           "Should be equal to one of the allowed values [metric, text, log, "
                           "alarm, explorer, custom]");
    }
    for (std::string_view dimension : {"x", "y", "width", "height"}) {
      const parse::JsonValue* value = widget.Find(dimension);
      if (value == nullptr) continue;
      std::optional<double> number = value->is_number() ? value->number_as_double() : std::nullopt;
      if (!number || *number < 0 || *number != std::floor(*number)) {
        errors->emplace_back(path + "/" + std::string(dimension), "Should be integer");
      } else if ((dimension == "width" || dimension == "height") &&
                 (*number < 1 || *number > (dimension == "width" ? 24 : 1000))) {
        errors->emplace_back(
            path + "/" + std::string(dimension),
            dimension == "width" ? "Should be <= 24 and >= 1" : "Should be <= 1000 and >= 1");
      }
    }
    const parse::JsonValue* properties = widget.Find("properties");
    if (properties == nullptr) {
      errors->emplace_back(path, "Should have required property 'properties'");
      continue;
    }
    if (!properties->is_object()) {
      errors->emplace_back(path + "/properties", "Should be object");
      continue;
    }
    if (type != nullptr && type->is_string() && type->string_value() == "metric") {
      const parse::JsonValue* list = properties->Find("metrics");
      if (list != nullptr) {
        if (!list->is_array()) {
          errors->emplace_back(path + "/properties/metrics", "Should be array");
        } else {
          for (size_t metric_idx = 0; metric_idx < list->elements().size(); ++metric_idx)
            if (!list->elements()[metric_idx].is_array())
              errors->emplace_back(fmt::format("{}/properties/metrics/{}", path, metric_idx),
                                   "Should be array");
        }
      }
    }
  }
}

}  // namespace

bool CwPutDashboard(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::optional<std::string> name, body;
  if (!ReadString(call, in, "DashboardName", &name) ||
      !ReadString(call, in, "DashboardBody", &body))
    return false;
  if (!name) return call.Missing("DashboardName");
  if (!body) return call.Missing("DashboardBody");
  if (!ValidName(*name))
    return call.Fail(InvalidBody(
        "The value for field DashboardName contains invalid characters. It can only contain "
        "alphanumerics, dash (-) and underscore (_).",
        {{"DashboardName", "Should match pattern ^[\\-_A-Za-z0-9]{1,255}$"}}));
  if (body->size() > kMaxBodyBytes)
    return call.Fail(InvalidBody("The field DashboardBody must be at most 1 MB.", {}));
  auto parsed = parse::ParseJson(*body, 64);
  if (!parsed.ok())
    return call.Fail(InvalidBody("The field DashboardBody must be a valid JSON object",
                                 {{"/", std::string(parsed.error().message())}}));
  std::vector<std::pair<std::string, std::string>> errors;
  ValidateBody(*parsed, &errors);
  if (!errors.empty())
    return call.Fail(InvalidBody("The field DashboardBody must be a valid JSON object", errors));
  Status status = call.services.catalog->Put(kKind, call.tenant, *name, Encode({call.now, *body}));
  if (!status.ok()) return call.FailStatus(status);
  out->Add("DashboardValidationMessages", CwOut::Array());
  return true;
}

bool CwGetDashboard(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::optional<std::string> name;
  if (!ReadString(call, in, "DashboardName", &name)) return false;
  if (!name) return call.Missing("DashboardName");
  auto value = call.services.catalog->Get(kKind, call.tenant, *name);
  if (!value.ok()) {
    if (value.error().code() == StatusCode::kNotFound)
      return call.Fail({"DashboardNotFoundError",
                        "ResourceNotFound",
                        404,
                        fmt::format("Dashboard {} does not exist", *name),
                        {}});
    return call.FailStatus(value.error());
  }
  Stored stored = Decode(*value);
  out->Add("DashboardArn", CwOut::String(Arn(call, *name)));
  out->Add("DashboardBody", CwOut::String(stored.body));
  out->Add("DashboardName", CwOut::String(*name));
  return true;
}

bool CwListDashboards(CwCall& call, const parse::JsonValue& in, CwOut* out) {
  std::optional<std::string> prefix, token;
  if (!ReadString(call, in, "DashboardNamePrefix", &prefix) ||
      !ReadString(call, in, "NextToken", &token))
    return false;
  auto entries = call.services.catalog->List(kKind, call.tenant);
  if (!entries.ok()) return call.FailStatus(entries.error());
  CwOut& list = out->Add("DashboardEntries", CwOut::Array());
  size_t listed = 0;
  for (const auto& [name, value] : *entries) {
    if (prefix && !name.starts_with(*prefix)) continue;
    if (token && name <= *token) continue;
    if (listed == kPageSize) {
      out->Add("NextToken", CwOut::String(list.items.back().members.front().second.text));
      break;
    }
    Stored stored = Decode(value);
    CwOut& item = list.Push(CwOut::Object());
    item.Add("DashboardName", CwOut::String(name));
    item.Add("DashboardArn", CwOut::String(Arn(call, name)));
    item.Add("LastModified", CwOut::Time(stored.last_modified));
    item.Add("Size", CwOut::Int(static_cast<int64_t>(stored.body.size())));
    ++listed;
  }
  return true;
}

bool CwDeleteDashboards(CwCall& call, const parse::JsonValue& in, CwOut* /*out*/) {
  std::vector<std::string> names;
  if (!ReadStringList(call, in, "DashboardNames", &names)) return false;
  if (names.empty()) return call.Missing("DashboardNames");
  // All or nothing: an unknown name fails the call before anything is deleted.
  for (const std::string& name : names) {
    auto value = call.services.catalog->Get(kKind, call.tenant, name);
    if (!value.ok()) {
      if (value.error().code() == StatusCode::kNotFound)
        return call.Fail({"DashboardNotFoundError",
                          "ResourceNotFound",
                          404,
                          fmt::format("Dashboard {} does not exist", name),
                          {}});
      return call.FailStatus(value.error());
    }
  }
  for (const std::string& name : names) {
    Status status = call.services.catalog->Delete(kKind, call.tenant, name);
    if (!status.ok()) return call.FailStatus(status);
  }
  return true;
}

}  // namespace roentgen::api::internal
