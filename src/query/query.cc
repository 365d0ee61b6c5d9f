// SPDX-License-Identifier: Apache-2.0
#include "query/query.h"

#include <utility>

#include "base/status_macros.h"
#include "query/internal/compiled_filter.h"
#include "query/internal/compiler.h"
#include "query/internal/parser.h"

namespace roentgen::query {
namespace {

std::shared_ptr<const internal::CompiledFilter> MatchAll() {
  auto impl = std::make_shared<internal::CompiledFilter>();
  impl->ast = std::make_unique<internal::Expr>();
  impl->predicate = [](const internal::TraceInput&) { return true; };
  impl->matches_everything = true;
  return impl;
}

}  // namespace

Filter::Filter() : impl_(MatchAll()) {}

Filter::Filter(std::shared_ptr<const internal::CompiledFilter> impl) : impl_(std::move(impl)) {}

bool Filter::Matches(const model::TraceSummary& summary, const model::TraceDetail& detail,
                     const EvalContext& context) const {
  return impl_->predicate(internal::TraceInput{summary, detail, context});
}

bool Filter::needs_detail() const { return impl_->needs_detail; }
bool Filter::needs_groups() const { return impl_->needs_groups; }
bool Filter::matches_everything() const { return impl_->matches_everything; }
const ScanHints& Filter::hints() const { return impl_->hints; }
std::span<const GroupReference> Filter::referenced_groups() const { return impl_->groups; }
std::string_view Filter::expression() const { return impl_->expression; }

Result<Filter> Compile(std::string_view expression, const CompileOptions& options) {
  RG_ASSIGN_OR_RETURN(internal::ParsedFilter parsed, internal::ParseFilter(expression, options));
  auto impl = std::make_shared<internal::CompiledFilter>();
  impl->expression = std::string(expression);
  impl->ast = std::move(parsed.root);
  impl->groups = std::move(parsed.groups);
  internal::CompiledPredicate compiled = internal::CompileExpression(*impl->ast);
  impl->predicate = std::move(compiled.predicate);
  impl->needs_detail = compiled.needs_detail;
  impl->needs_groups = compiled.needs_groups;
  impl->matches_everything = impl->ast->kind == internal::Expr::Kind::kTrue;
  impl->hints = internal::ComputeScanHints(*impl->ast);
  return Filter(std::move(impl));
}

}  // namespace roentgen::query
