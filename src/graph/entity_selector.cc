// SPDX-License-Identifier: Apache-2.0
// EntitySelectorExpression parsing and the fault forecast band.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "base/status.h"
#include "base/status_macros.h"
#include "graph/graph.h"
#include "graph/internal/cells.h"

namespace roentgen::graph {

bool NodeMatcher::Matches(const model::ServiceId& id) const {
  if (internal::IsClientType(id.type) && !type) return false;
  if (name && *name != id.name) return false;
  if (type && *type != id.type) return false;
  if (account_id && *account_id != id.account_id) return false;
  return true;
}

namespace {

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  Result<EntitySelector> Parse() {
    EntitySelector selector;
    SkipSpace();
    if (AtEnd()) return selector;
    if (PeekString()) {
      selector.kind = EntitySelector::Kind::kService;
      RG_ASSIGN_OR_RETURN(selector.node, ParseNode());
    } else {
      std::string word = ReadWord();
      if (word == "service") {
        selector.kind = EntitySelector::Kind::kService;
        RG_RETURN_IF_ERROR(Expect('('));
        RG_ASSIGN_OR_RETURN(selector.node, ParseNode());
        RG_RETURN_IF_ERROR(Expect(')'));
      } else if (word == "edge") {
        selector.kind = EntitySelector::Kind::kEdge;
        RG_RETURN_IF_ERROR(Expect('('));
        RG_ASSIGN_OR_RETURN(selector.caller, ParseNode());
        RG_RETURN_IF_ERROR(Expect(','));
        RG_ASSIGN_OR_RETURN(selector.callee, ParseNode());
        RG_RETURN_IF_ERROR(Expect(')'));
      } else if (word == "id") {
        selector.kind = EntitySelector::Kind::kService;
        pos_ = word_start_;
        RG_ASSIGN_OR_RETURN(selector.node, ParseNode());
      } else {
        return Error("expected service(...), edge(...) or id(...)");
      }
    }
    SkipSpace();
    if (!AtEnd()) return Error("unexpected text after the selector");
    return selector;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool PeekString() {
    SkipSpace();
    return !AtEnd() && text_[pos_] == '"';
  }
  Status Error(std::string_view what) const {
    return InvalidArgumentError("EntitySelectorExpression: " + std::string(what) + " at column " +
                                std::to_string(pos_ + 1));
  }
  // A keyword, lower-cased (letters, digits, '.', '_').
  std::string ReadWord() {
    SkipSpace();
    word_start_ = pos_;
    std::string word;
    while (!AtEnd()) {
      char c = text_[pos_];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_') break;
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      ++pos_;
    }
    return word;
  }
  Status Expect(char c) {
    SkipSpace();
    if (AtEnd() || text_[pos_] != c) return Error(std::string("expected '") + c + "'");
    ++pos_;
    return Status::Ok();
  }
  Result<std::string> ReadString() {
    SkipSpace();
    if (AtEnd() || text_[pos_] != '"') return Error("expected a quoted string");
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd()) return Error("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (AtEnd()) return Error("unterminated string");
        char next = text_[pos_++];
        if (next != '"' && next != '\\') return Error("unknown escape in string");
        out.push_back(next);
      } else {
        out.push_back(c);
      }
    }
  }
  // "name" | id(part: "v", ...)
  Result<NodeMatcher> ParseNode() {
    NodeMatcher node;
    if (PeekString()) {
      RG_ASSIGN_OR_RETURN(std::string name, ReadString());
      node.name = std::move(name);
      return node;
    }
    if (ReadWord() != "id") return Error("expected a quoted name or id(...)");
    RG_RETURN_IF_ERROR(Expect('('));
    bool first = true;
    while (true) {
      SkipSpace();
      if (!AtEnd() && text_[pos_] == ')') {
        if (first) return Error("id() needs name, type or account.id");
        ++pos_;
        return node;
      }
      if (!first) RG_RETURN_IF_ERROR(Expect(','));
      first = false;
      std::string part = ReadWord();
      RG_RETURN_IF_ERROR(Expect(':'));
      RG_ASSIGN_OR_RETURN(std::string value, ReadString());
      std::optional<std::string>* slot = nullptr;
      if (part == "name") {
        slot = &node.name;
      } else if (part == "type") {
        slot = &node.type;
      } else if (part == "account.id") {
        slot = &node.account_id;
      } else {
        return Error("unknown id() part '" + part + "' (name, type, account.id)");
      }
      if (slot->has_value()) return Error("id() part '" + part + "' given twice");
      *slot = std::move(value);
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t word_start_ = 0;
};

}  // namespace

Result<EntitySelector> ParseEntitySelector(std::string_view text) {
  return SelectorParser(text).Parse();
}

FaultBand ForecastFaultBand(double fault_probability, int64_t requests) {
  double p = std::clamp(fault_probability, 0.0, 1.0);
  double n = static_cast<double>(std::max<int64_t>(0, requests));
  double expected = n * p;
  double sigma = std::sqrt(n * p * (1 - p));
  FaultBand band;
  band.high = static_cast<int64_t>(std::ceil(expected + 3 * sigma + 2));
  band.low = std::max<int64_t>(0, static_cast<int64_t>(std::floor(expected - 3 * sigma)));
  return band;
}

FaultBaseline::FaultBaseline(int64_t history_faults, int64_t history_requests,
                             int64_t period_seconds)
    : probability_(kMinFaultProbability),
      alpha_(1.0 -
             std::pow(0.5, static_cast<double>(std::max<int64_t>(1, period_seconds)) / 3600.0)) {
  if (history_requests > 0) {
    probability_ = std::max(kMinFaultProbability, static_cast<double>(history_faults) /
                                                      static_cast<double>(history_requests));
  }
}

FaultBand FaultBaseline::Next(int64_t faults, int64_t requests) {
  FaultBand band = ForecastFaultBand(probability_, requests);
  if (requests > 0 && faults <= band.high) {
    double ratio = static_cast<double>(faults) / static_cast<double>(requests);
    probability_ = std::max(kMinFaultProbability, alpha_ * ratio + (1 - alpha_) * probability_);
  }
  return band;
}

}  // namespace roentgen::graph
