// SPDX-License-Identifier: Apache-2.0
// The trace-analysis rules API (docs/trace_analysis.md), a Roentgen extension in restJson1
// style on the same port:
//   GET    /analysis/rules              every rule with its next run and last run
//   GET    /analysis/rules/NAME         one rule with its recent runs
//   PUT    /analysis/rules/NAME         create or replace (body: the rule's JSON)
//   DELETE /analysis/rules/NAME
//   POST   /analysis/rules/NAME/run     run now over the window ending now
//   GET    /analysis/rules/NAME/runs    the recent runs, newest first

#include <string>
#include <string_view>

#include "analysis/analysis.h"
#include "api/errors.h"
#include "api/internal/context.h"
#include "base/json_writer.h"

namespace roentgen::api::internal {
namespace {

constexpr std::string_view kPrefix = "/analysis/rules";

void WriteStatus(const analysis::RuleStatus& status, bool all_runs, JsonWriter* out) {
  out->BeginObject();
  out->Key("rule");
  out->Raw(analysis::RuleToJson(status.rule));
  out->Key("next_run");
  if (status.next_run && status.rule.enabled) {
    out->Double(*status.next_run);
  } else {
    out->Null();
  }
  if (all_runs) {
    out->Key("runs");
    out->BeginArray();
    for (const analysis::RuleRun& run : status.recent_runs) out->Raw(analysis::RunToJson(run));
    out->EndArray();
  } else {
    out->Key("last_run");
    if (status.recent_runs.empty()) {
      out->Null();
    } else {
      out->Raw(analysis::RunToJson(status.recent_runs.front()));
    }
  }
  out->EndObject();
}

}  // namespace

bool IsAnalysisRulesPath(std::string_view path) {
  return path == kPrefix ||
         (path.size() > kPrefix.size() && path.starts_with(kPrefix) && path[kPrefix.size()] == '/');
}

void AnalysisRules(Call call) {
  analysis::RuleEngine* engine = call.services.analysis_rules;
  if (engine == nullptr) {
    call.respond(RestJsonError(503, "ServiceUnavailableException",
                               "trace-analysis rules are not enabled", call.request_id));
    return;
  }
  std::string_view rest = std::string_view(call.request.path).substr(kPrefix.size());
  if (!rest.empty()) rest.remove_prefix(1);  // the '/'
  std::string_view name = rest.substr(0, rest.find('/'));
  std::string_view action =
      rest.size() > name.size() ? rest.substr(name.size() + 1) : std::string_view();
  const std::string& method = call.request.method;
  auto fail = [&](const Status& status) { call.respond(RestJsonError(status, call.request_id)); };
  auto not_allowed = [&] {
    call.respond(RestJsonError(405, "MethodNotAllowedException",
                               method + " is not allowed on " + call.request.path,
                               call.request_id));
  };

  if (name.empty()) {
    if (method != "GET") return not_allowed();
    JsonWriter out;
    out.BeginObject();
    out.Key("rules");
    out.BeginArray();
    for (const analysis::RuleStatus& status : engine->List()) WriteStatus(status, false, &out);
    out.EndArray();
    out.EndObject();
    call.respond(RestJsonOk(out.Release(), call.request_id));
    return;
  }
  if (action == "run") {
    if (method != "POST") return not_allowed();
    auto run = engine->RunNow(name);
    if (!run.ok()) return fail(run.status());
    call.respond(RestJsonOk("{\"run\":" + analysis::RunToJson(*run) + "}", call.request_id));
    return;
  }
  if (action == "runs" || action.empty()) {
    if (method == "GET") {
      auto status = engine->Get(name);
      if (!status.ok()) return fail(status.status());
      JsonWriter out;
      if (action == "runs") {
        out.BeginObject();
        out.Key("runs");
        out.BeginArray();
        for (const analysis::RuleRun& run : status->recent_runs) {
          out.Raw(analysis::RunToJson(run));
        }
        out.EndArray();
        out.EndObject();
      } else {
        WriteStatus(*status, true, &out);
      }
      call.respond(RestJsonOk(out.Release(), call.request_id));
      return;
    }
    if (action.empty() && method == "PUT") {
      auto rule = analysis::ParseRuleJson(call.request.body, name);
      if (!rule.ok()) return fail(rule.status());
      if (Status put = engine->Put(*rule); !put.ok()) return fail(put);
      auto status = engine->Get(name);
      if (!status.ok()) return fail(status.status());
      JsonWriter out;
      WriteStatus(*status, false, &out);
      call.respond(RestJsonOk(out.Release(), call.request_id));
      return;
    }
    if (action.empty() && method == "DELETE") {
      if (Status deleted = engine->Delete(name); !deleted.ok()) return fail(deleted);
      call.respond(RestJsonOk("{}", call.request_id));
      return;
    }
    return not_allowed();
  }
  call.respond(RestJsonError(404, "UnknownOperationException",
                             "no operation at " + method + " " + call.request.path,
                             call.request_id));
}

}  // namespace roentgen::api::internal
