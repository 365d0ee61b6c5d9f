// SPDX-License-Identifier: Apache-2.0
// The sampling operations (restJson1, xray-protocol.md §2, §6): CreateSamplingRule,
// GetSamplingRules, UpdateSamplingRule, DeleteSamplingRule, GetSamplingTargets and
// GetSamplingStatisticSummaries. The SDKs call GetSamplingRules and GetSamplingTargets
// unsigned on the daemon address, sometimes with no body; both are served here like the
// public API. Rules, quotas and statistics live in sampling::SamplingRegistry.

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api/errors.h"
#include "api/internal/context.h"
#include "api/internal/request_fields.h"
#include "base/json_writer.h"
#include "sampling/sampling.h"

namespace roentgen::api::internal {
namespace {

// Carries the first problem found while reading a request.
struct Reader {
  Call& call;
  bool failed = false;

  void Fail(std::string_view message) {
    if (failed) return;
    failed = true;
    call.respond(RestJsonError(400, "InvalidRequestException", message, call.request_id));
  }

  const parse::JsonValue* Member(const parse::JsonValue& object, std::string_view key) {
    const parse::JsonValue* value = object.Find(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }

  // The value of a shared reader (request_fields.h), or nullopt after Fail.
  template <typename T>
  std::optional<T> Take(Result<std::optional<T>> value) {
    if (!value.ok()) {
      Fail(value.error().message());
      return std::nullopt;
    }
    return *std::move(value);
  }

  std::optional<std::string> String(const parse::JsonValue& object, std::string_view key) {
    return Take(OptionalString(object, key));
  }

  std::optional<double> Number(const parse::JsonValue& object, std::string_view key) {
    return Take(OptionalNumber(object, key));
  }

  // An integer member (1 and 1.0 are both accepted, as the JS SDK and botocore send either).
  std::optional<int64_t> Integer(const parse::JsonValue& object, std::string_view key) {
    std::optional<double> number = Number(object, key);
    if (!number) return std::nullopt;
    if (*number != std::floor(*number) || std::fabs(*number) > 9.0e15) {
      Fail(fmt::format("{} must be an integer", key));
      return std::nullopt;
    }
    return static_cast<int64_t>(*number);
  }

  std::optional<int32_t> Integer32(const parse::JsonValue& object, std::string_view key) {
    std::optional<int64_t> number = Integer(object, key);
    if (!number) return std::nullopt;
    if (*number < std::numeric_limits<int32_t>::min() ||
        *number > std::numeric_limits<int32_t>::max()) {
      Fail(fmt::format("{} is out of range", key));
      return std::nullopt;
    }
    return static_cast<int32_t>(*number);
  }

  std::optional<std::map<std::string, std::string>> Attributes(const parse::JsonValue& object) {
    const parse::JsonValue* value = Member(object, "Attributes");
    if (value == nullptr) return std::nullopt;
    if (!value->is_object()) {
      Fail("Attributes must be a map of strings");
      return std::nullopt;
    }
    std::map<std::string, std::string> attributes;
    for (const parse::JsonMember& member : value->members()) {
      if (!member.value.is_string()) {
        Fail("Attributes must be a map of strings");
        return std::nullopt;
      }
      attributes[member.key] = member.value.string_value();
    }
    return attributes;
  }

  // A required member: fails when absent.
  template <typename T>
  T Required(std::optional<T> value, std::string_view key) {
    if (!value.has_value()) {
      Fail(fmt::format("SamplingRule.{} is required", key));
      return T{};
    }
    return *std::move(value);
  }
};

// The registry, or nullptr after answering that sampling is not available.
sampling::SamplingRegistry* Registry(Call& call) {
  if (call.services.sampling == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "sampling rules are not available on this server", call.request_id));
  }
  return call.services.sampling;
}

void RespondError(Call& call, const Status& status) {
  if (status.code() == StatusCode::kOutOfRange) {
    call.respond(
        RestJsonError(400, "RuleLimitExceededException", status.message(), call.request_id));
    return;
  }
  if (status.code() == StatusCode::kNotFound) {
    // X-Ray answers an unknown rule with InvalidRequestException ("Sampling rule does not
    // exist", xray-protocol.md §1.3).
    call.respond(RestJsonError(400, "InvalidRequestException", status.message(), call.request_id));
    return;
  }
  call.respond(RestJsonError(status, call.request_id));
}

void WriteRule(JsonWriter& out, const sampling::SamplingRule& rule) {
  out.BeginObject();
  out.Key("RuleName");
  out.String(rule.name);
  out.Key("RuleARN");
  out.String(rule.arn);
  out.Key("ResourceARN");
  out.String(rule.resource_arn);
  out.Key("Priority");
  out.Int(rule.priority);
  out.Key("FixedRate");
  out.Double(rule.fixed_rate);
  out.Key("ReservoirSize");
  out.Int(rule.reservoir_size);
  out.Key("ServiceName");
  out.String(rule.service_name);
  out.Key("ServiceType");
  out.String(rule.service_type);
  out.Key("Host");
  out.String(rule.host);
  out.Key("HTTPMethod");
  out.String(rule.http_method);
  out.Key("URLPath");
  out.String(rule.url_path);
  out.Key("Version");
  out.Int(rule.version);
  // Always present: the Node SDK drops a rule without it (xray-protocol.md §6.2).
  out.Key("Attributes");
  out.BeginObject();
  for (const auto& [key, value] : rule.attributes) {
    out.Key(key);
    out.String(value);
  }
  out.EndObject();
  out.EndObject();
}

void WriteRecord(JsonWriter& out, const sampling::SamplingRule& rule) {
  out.BeginObject();
  out.Key("SamplingRule");
  WriteRule(out, rule);
  out.Key("CreatedAt");
  out.Double(rule.created_at);
  out.Key("ModifiedAt");
  out.Double(rule.modified_at);
  out.EndObject();
}

void RespondRecord(Call& call, const sampling::SamplingRule& rule) {
  JsonWriter out;
  out.BeginObject();
  out.Key("SamplingRuleRecord");
  WriteRecord(out, rule);
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

std::optional<std::string> NextToken(Reader& reader, const parse::JsonValue& body) {
  std::optional<std::string> token = reader.String(body, "NextToken");
  return reader.failed ? std::nullopt : std::optional<std::string>(token.value_or(""));
}

}  // namespace

void CreateSamplingRule(Call call) {
  sampling::SamplingRegistry* registry = Registry(call);
  if (registry == nullptr) return;
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return;
  Reader reader{call};
  const parse::JsonValue* input = reader.Member(*body, "SamplingRule");
  if (input == nullptr || !input->is_object()) {
    reader.Fail("SamplingRule is required and must be an object");
    return;
  }
  sampling::SamplingRule rule;
  if (reader.Member(*input, "RuleARN") != nullptr && reader.Member(*input, "RuleName") == nullptr) {
    reader.Fail("SamplingRule.RuleName is required (the server assigns the ARN)");
    return;
  }
  rule.name = reader.Required(reader.String(*input, "RuleName"), "RuleName");
  rule.resource_arn = reader.Required(reader.String(*input, "ResourceARN"), "ResourceARN");
  rule.priority = reader.Required(reader.Integer32(*input, "Priority"), "Priority");
  rule.fixed_rate = reader.Required(reader.Number(*input, "FixedRate"), "FixedRate");
  rule.reservoir_size = reader.Required(reader.Integer(*input, "ReservoirSize"), "ReservoirSize");
  rule.service_name = reader.Required(reader.String(*input, "ServiceName"), "ServiceName");
  rule.service_type = reader.Required(reader.String(*input, "ServiceType"), "ServiceType");
  rule.host = reader.Required(reader.String(*input, "Host"), "Host");
  rule.http_method = reader.Required(reader.String(*input, "HTTPMethod"), "HTTPMethod");
  rule.url_path = reader.Required(reader.String(*input, "URLPath"), "URLPath");
  rule.version = reader.Required(reader.Integer32(*input, "Version"), "Version");
  rule.attributes = reader.Attributes(*input).value_or(std::map<std::string, std::string>{});
  // Tags are accepted (and checked for shape) but not kept: tagging sampling rules is not
  // supported yet (docs/sampling.md).
  if (const parse::JsonValue* tags = reader.Member(*body, "Tags"); tags != nullptr) {
    if (!tags->is_array()) {
      reader.Fail("Tags must be a list");
      return;
    }
    for (const parse::JsonValue& tag : tags->elements()) {
      const parse::JsonValue* key = tag.Find("Key");
      const parse::JsonValue* value = tag.Find("Value");
      if (key == nullptr || !key->is_string() || value == nullptr || !value->is_string()) {
        reader.Fail("each tag must have a string Key and a string Value");
      }
    }
  }
  if (reader.failed) return;
  Result<sampling::SamplingRule> created = registry->Create(call.tenant, std::move(rule));
  if (!created.ok()) {
    RespondError(call, created.error());
    return;
  }
  RespondRecord(call, *created);
}

namespace {

// The shape both paged sampling listings share: a NextToken in; one array and NextToken out.
// `list(registry, token)` reads the page; `write_items(out, page)` writes the array's items.
template <typename ListFn, typename WriteFn>
void RespondPage(Call& call, ListFn list, std::string_view array_key, WriteFn write_items) {
  sampling::SamplingRegistry* registry = Registry(call);
  if (registry == nullptr) return;
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return;
  Reader reader{call};
  std::optional<std::string> token = NextToken(reader, *body);
  if (!token) return;
  auto page = list(*registry, *token);
  if (!page.ok()) {
    RespondError(call, page.error());
    return;
  }
  JsonWriter out;
  out.BeginObject();
  out.Key(array_key);
  out.BeginArray();
  write_items(out, *page);
  out.EndArray();
  if (!page->next_token.empty()) {
    out.Key("NextToken");
    out.String(page->next_token);
  }
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

}  // namespace

void GetSamplingRules(Call call) {
  RespondPage(
      call,
      [&call](sampling::SamplingRegistry& registry, const std::string& token) {
        return registry.List(call.tenant, token);
      },
      "SamplingRuleRecords",
      [](JsonWriter& out, const sampling::RulePage& page) {
        for (const sampling::SamplingRule& rule : page.rules) WriteRecord(out, rule);
      });
}

void UpdateSamplingRule(Call call) {
  sampling::SamplingRegistry* registry = Registry(call);
  if (registry == nullptr) return;
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return;
  Reader reader{call};
  const parse::JsonValue* input = reader.Member(*body, "SamplingRuleUpdate");
  if (input == nullptr || !input->is_object()) {
    reader.Fail("SamplingRuleUpdate is required and must be an object");
    return;
  }
  sampling::RuleUpdate update;
  update.selector.name = reader.String(*input, "RuleName");
  update.selector.arn = reader.String(*input, "RuleARN");
  update.resource_arn = reader.String(*input, "ResourceARN");
  update.priority = reader.Integer32(*input, "Priority");
  update.fixed_rate = reader.Number(*input, "FixedRate");
  update.reservoir_size = reader.Integer(*input, "ReservoirSize");
  update.service_name = reader.String(*input, "ServiceName");
  update.service_type = reader.String(*input, "ServiceType");
  update.host = reader.String(*input, "Host");
  update.http_method = reader.String(*input, "HTTPMethod");
  update.url_path = reader.String(*input, "URLPath");
  update.attributes = reader.Attributes(*input);
  if (reader.failed) return;
  Result<sampling::SamplingRule> updated = registry->Update(call.tenant, update);
  if (!updated.ok()) {
    RespondError(call, updated.error());
    return;
  }
  RespondRecord(call, *updated);
}

void DeleteSamplingRule(Call call) {
  sampling::SamplingRegistry* registry = Registry(call);
  if (registry == nullptr) return;
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return;
  Reader reader{call};
  sampling::RuleSelector selector;
  selector.name = reader.String(*body, "RuleName");
  selector.arn = reader.String(*body, "RuleARN");
  if (reader.failed) return;
  Result<sampling::SamplingRule> deleted = registry->Delete(call.tenant, selector);
  if (!deleted.ok()) {
    RespondError(call, deleted.error());
    return;
  }
  RespondRecord(call, *deleted);
}

void GetSamplingTargets(Call call) {
  sampling::SamplingRegistry* registry = Registry(call);
  if (registry == nullptr) return;
  std::optional<parse::JsonValue> body = ParseBodyObject(call);
  if (!body) return;
  Reader reader{call};
  std::vector<sampling::StatisticsDocument> documents;
  // Absent (the OTel sampler's first poll may send nothing) counts as an empty list.
  if (const parse::JsonValue* list = reader.Member(*body, "SamplingStatisticsDocuments")) {
    if (!list->is_array()) {
      reader.Fail("SamplingStatisticsDocuments must be a list");
      return;
    }
    for (const parse::JsonValue& item : list->elements()) {
      if (!item.is_object()) {
        reader.Fail("each SamplingStatisticsDocument must be an object");
        return;
      }
      sampling::StatisticsDocument document;
      document.rule_name = reader.String(item, "RuleName").value_or("");
      document.client_id = reader.String(item, "ClientID").value_or("");
      document.timestamp = reader.Number(item, "Timestamp").value_or(0);
      document.request_count = reader.Integer(item, "RequestCount").value_or(0);
      document.sampled_count = reader.Integer(item, "SampledCount").value_or(0);
      document.borrow_count = reader.Integer(item, "BorrowCount").value_or(0);
      if (reader.failed) return;
      documents.push_back(std::move(document));
    }
  }
  // SamplingBoostStatisticsDocuments (adaptive sampling) are ignored: no boosts are offered,
  // so the answer has no SamplingBoost and an empty UnprocessedBoostStatistics.
  sampling::TargetsResult result = registry->GetTargets(call.tenant, documents);
  JsonWriter out;
  out.BeginObject();
  out.Key("SamplingTargetDocuments");
  out.BeginArray();
  for (const sampling::TargetDocument& target : result.targets) {
    out.BeginObject();
    out.Key("RuleName");
    out.String(target.rule_name);
    out.Key("FixedRate");
    out.Double(target.fixed_rate);
    out.Key("ReservoirQuota");
    out.Int(target.reservoir_quota);
    out.Key("ReservoirQuotaTTL");
    out.Int(target.reservoir_quota_ttl);
    out.Key("Interval");
    out.Int(target.interval);
    out.EndObject();
  }
  out.EndArray();
  out.Key("LastRuleModification");
  out.Double(result.last_rule_modification);
  out.Key("UnprocessedStatistics");
  out.BeginArray();
  for (const sampling::UnprocessedStatistic& item : result.unprocessed) {
    out.BeginObject();
    out.Key("RuleName");
    out.String(item.rule_name);
    out.Key("ErrorCode");
    out.String(item.error_code);
    out.Key("Message");
    out.String(item.message);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  call.respond(RestJsonOk(out.Release(), call.request_id));
}

void GetSamplingStatisticSummaries(Call call) {
  RespondPage(
      call,
      [&call](sampling::SamplingRegistry& registry, const std::string& token) {
        return registry.StatisticSummaries(call.tenant, token);
      },
      "SamplingStatisticSummaries",
      [](JsonWriter& out, const sampling::SummaryPage& page) {
        for (const sampling::StatisticSummary& summary : page.summaries) {
          out.BeginObject();
          out.Key("RuleName");
          out.String(summary.rule_name);
          out.Key("Timestamp");
          out.Int(summary.timestamp);
          out.Key("RequestCount");
          out.Int(summary.request_count);
          out.Key("BorrowCount");
          out.Int(summary.borrow_count);
          out.Key("SampledCount");
          out.Int(summary.sampled_count);
          out.EndObject();
        }
      });
}

}  // namespace roentgen::api::internal
