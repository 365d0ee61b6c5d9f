// SPDX-License-Identifier: Apache-2.0
#include "metrics/internal/expression.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

// A recursive-descent evaluator: expressions are short (CloudWatch allows 2048 characters),
// so they are evaluated while parsing instead of being turned into a tree first. Recursion is
// bounded by kMaxDepth.

namespace roentgen::metrics::internal {
namespace {

constexpr int kMaxDepth = 32;

struct Value {
  bool is_scalar = false;
  double scalar = 0;
  std::vector<TimeSeries> series;
};

// Applies `op` to two series on the timestamps both have.
TimeSeries Combine(const TimeSeries& a, const TimeSeries& b, char op) {
  TimeSeries out;
  out.id = a.id;
  out.label = a.label;
  size_t a_idx = 0, b_idx = 0;
  while (a_idx < a.timestamps.size() && b_idx < b.timestamps.size()) {
    if (a.timestamps[a_idx] < b.timestamps[b_idx]) {
      ++a_idx;
    } else if (b.timestamps[b_idx] < a.timestamps[a_idx]) {
      ++b_idx;
    } else {
      double x = a.values[a_idx], y = b.values[b_idx];
      double result = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
      if (std::isfinite(result)) {
        out.timestamps.push_back(a.timestamps[a_idx]);
        out.values.push_back(result);
      }
      ++a_idx;
      ++b_idx;
    }
  }
  return out;
}

TimeSeries Scale(const TimeSeries& a, double scalar, char op, bool scalar_left) {
  TimeSeries out;
  out.id = a.id;
  out.label = a.label;
  for (size_t point_idx = 0; point_idx < a.values.size(); ++point_idx) {
    double x = scalar_left ? scalar : a.values[point_idx];
    double y = scalar_left ? a.values[point_idx] : scalar;
    double result = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
    if (!std::isfinite(result)) continue;
    out.timestamps.push_back(a.timestamps[point_idx]);
    out.values.push_back(result);
  }
  return out;
}

class Evaluator {
 public:
  Evaluator(std::string_view text, const ExpressionContext& context)
      : text_(text), context_(context) {}

  Result<Value> Run() {
    Result<Value> value = Expr(0);
    if (!value.ok()) return value;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return value;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgumentError(fmt::format("expression: {} at column {}", what, pos_ + 1));
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Result<Value> Apply(Value a, Value b, char op) {
    Value out;
    if (a.is_scalar && b.is_scalar) {
      out.is_scalar = true;
      double x = a.scalar, y = b.scalar;
      out.scalar = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
      if (!std::isfinite(out.scalar)) return Error("the result is not a finite number");
      return out;
    }
    if (a.is_scalar) {
      for (const TimeSeries& s : b.series) out.series.push_back(Scale(s, a.scalar, op, true));
      return out;
    }
    if (b.is_scalar) {
      for (const TimeSeries& s : a.series) out.series.push_back(Scale(s, b.scalar, op, false));
      return out;
    }
    if (a.series.size() == 1) {
      for (const TimeSeries& s : b.series) {
        TimeSeries combined = Combine(a.series[0], s, op);
        out.series.push_back(std::move(combined));
      }
      return out;
    }
    if (b.series.size() == 1) {
      for (const TimeSeries& s : a.series) out.series.push_back(Combine(s, b.series[0], op));
      return out;
    }
    if (a.series.size() != b.series.size())
      return Error("arithmetic between lists of different lengths");
    for (size_t series_idx = 0; series_idx < a.series.size(); ++series_idx)
      out.series.push_back(Combine(a.series[series_idx], b.series[series_idx], op));
    return out;
  }

  Result<Value> Expr(int depth) {
    if (depth > kMaxDepth) return Error("expression nested too deeply");
    Result<Value> left = Term(depth);
    if (!left.ok()) return left;
    Value value = std::move(left).value();
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) return value;
      char op = text_[pos_++];
      Result<Value> right = Term(depth);
      if (!right.ok()) return right;
      Result<Value> applied = Apply(std::move(value), std::move(right).value(), op);
      if (!applied.ok()) return applied;
      value = std::move(applied).value();
    }
  }

  Result<Value> Term(int depth) {
    Result<Value> left = Unary(depth);
    if (!left.ok()) return left;
    Value value = std::move(left).value();
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '*' && text_[pos_] != '/')) return value;
      char op = text_[pos_++];
      Result<Value> right = Unary(depth);
      if (!right.ok()) return right;
      Result<Value> applied = Apply(std::move(value), std::move(right).value(), op);
      if (!applied.ok()) return applied;
      value = std::move(applied).value();
    }
  }

  Result<Value> Unary(int depth) {
    if (depth > kMaxDepth) return Error("expression nested too deeply");
    if (Consume('-')) {
      Result<Value> inner = Unary(depth + 1);
      if (!inner.ok()) return inner;
      Value zero;
      zero.is_scalar = true;
      return Apply(std::move(zero), std::move(inner).value(), '-');
    }
    return Primary(depth);
  }

  Result<std::vector<Value>> Arguments(int depth, char close) {
    std::vector<Value> args;
    if (Consume(close)) return args;
    for (;;) {
      Result<Value> arg = Expr(depth + 1);
      if (!arg.ok()) return arg.error();
      args.push_back(std::move(arg).value());
      if (Consume(close)) return args;
      if (!Consume(',')) return Error(fmt::format("expected ',' or '{}'", close));
    }
  }

  static Value Flatten(std::vector<Value> args) {
    Value out;
    for (Value& arg : args)
      for (TimeSeries& s : arg.series) out.series.push_back(std::move(s));
    return out;
  }

  Result<Value> Reduce(std::string_view function, Value input) {
    if (input.is_scalar) return Error(fmt::format("{} needs time series", function));
    std::map<double, std::pair<double, double>> by_time;  // sum or min/max, count
    for (const TimeSeries& s : input.series) {
      for (size_t point_idx = 0; point_idx < s.values.size(); ++point_idx) {
        double v = s.values[point_idx];
        auto [it, inserted] = by_time.try_emplace(s.timestamps[point_idx], v, 1);
        if (inserted) continue;
        auto& [acc, count] = it->second;
        if (function == "MIN") {
          acc = std::min(acc, v);
        } else if (function == "MAX") {
          acc = std::max(acc, v);
        } else {
          acc += v;
        }
        count += 1;
      }
    }
    TimeSeries out;
    out.label = std::string(function);
    for (const auto& [timestamp, acc_count] : by_time) {
      out.timestamps.push_back(timestamp);
      out.values.push_back(function == "AVG" ? acc_count.first / acc_count.second
                                             : acc_count.first);
    }
    Value value;
    value.series.push_back(std::move(out));
    return value;
  }

  Result<Value> Call(std::string name, int depth) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (upper == "ANOMALY_DETECTION_BAND") {
      SkipSpace();
      size_t id_start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      std::string id(text_.substr(id_start, pos_ - id_start));
      if (id.empty()) return Error("ANOMALY_DETECTION_BAND needs a metric id");
      double stddevs = 2;
      if (Consume(',')) {
        Result<Value> arg = Expr(depth + 1);
        if (!arg.ok()) return arg;
        if (!arg->is_scalar) return Error("the band width must be a number");
        stddevs = arg->scalar;
      }
      if (!Consume(')')) return Error("expected ')'");
      if (!context_.anomaly_band) return Error("ANOMALY_DETECTION_BAND is not available here");
      Result<AnomalyBand> band = context_.anomaly_band(id, stddevs);
      if (!band.ok()) return band.error();
      Value value;
      value.series.push_back(std::move(band->lower));
      value.series.push_back(std::move(band->upper));
      return value;
    }
    Result<std::vector<Value>> args = Arguments(depth, ')');
    if (!args.ok()) return args.error();
    if (upper == "METRICS") {
      std::string filter;
      if (args->size() > 1) return Error("METRICS takes at most one argument");
      Value value;
      if (context_.metric_ids == nullptr || context_.named == nullptr) return value;
      for (const std::string& id : *context_.metric_ids) {
        auto it = context_.named->find(id);
        if (it == context_.named->end()) continue;
        for (const TimeSeries& s : it->second) value.series.push_back(s);
      }
      return value;
    }
    if (upper == "SUM" || upper == "AVG" || upper == "MIN" || upper == "MAX") {
      if (args->empty()) return Error(upper + " needs an argument");
      return Reduce(upper, Flatten(std::move(args).value()));
    }
    if (upper == "ABS") {
      if (args->size() != 1) return Error("ABS takes one argument");
      Value value = std::move((*args)[0]);
      if (value.is_scalar) value.scalar = std::fabs(value.scalar);
      for (TimeSeries& s : value.series)
        for (double& v : s.values) v = std::fabs(v);
      return value;
    }
    return Error("unknown function " + name);
  }

  Result<Value> Primary(int depth) {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      Result<Value> inner = Expr(depth + 1);
      if (!inner.ok()) return inner;
      if (!Consume(')')) return Error("expected ')'");
      return inner;
    }
    if (c == '[') {
      ++pos_;
      Result<std::vector<Value>> items = Arguments(depth, ']');
      if (!items.ok()) return items.error();
      return Flatten(std::move(items).value());
    }
    if (c == '"') {
      // String arguments (METRICS("label")) are accepted and ignored.
      size_t close = text_.find('"', pos_ + 1);
      if (close == std::string_view::npos) return Error("unterminated string");
      pos_ = close + 1;
      Value empty;
      return empty;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              text_[pos_] == 'e' || text_[pos_] == 'E' ||
              ((text_[pos_] == '+' || text_[pos_] == '-') &&
               (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E'))))
        ++pos_;
      Value value;
      value.is_scalar = true;
      auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value.scalar);
      if (ec != std::errc() || ptr != text_.data() + pos_) return Error("bad number");
      return value;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
        ++pos_;
      std::string name(text_.substr(start, pos_ - start));
      if (Consume('(')) return Call(std::move(name), depth + 1);
      if (context_.named != nullptr) {
        auto it = context_.named->find(name);
        if (it != context_.named->end()) {
          Value value;
          value.series = it->second;
          return value;
        }
      }
      pos_ = start;
      return Error("unknown id " + name);
    }
    return Error(fmt::format("unexpected '{}'", c));
  }

  std::string_view text_;
  const ExpressionContext& context_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<TimeSeries>> EvaluateExpression(std::string_view expression,
                                                   const ExpressionContext& context,
                                                   double* scalar) {
  Evaluator evaluator(expression, context);
  Result<Value> value = evaluator.Run();
  if (!value.ok()) return value.error();
  if (value->is_scalar) {
    if (scalar != nullptr) *scalar = value->scalar;
    return std::vector<TimeSeries>();
  }
  return std::move(value->series);
}

}  // namespace roentgen::metrics::internal
