// SPDX-License-Identifier: Apache-2.0
#include "base/stats.h"

#include <set>

#include <fmt/format.h>

namespace roentgen {

StatsRegistry::Entry* StatsRegistry::Find(std::string_view name, std::string_view labels) const {
  for (const auto& entry : entries_) {
    if (entry->name == name && entry->labels == labels) return entry.get();
  }
  return nullptr;
}

Counter& StatsRegistry::GetCounter(std::string_view name, std::string_view help,
                                   std::string_view labels) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* entry = Find(name, labels); entry != nullptr && entry->counter) return *entry->counter;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->labels = std::string(labels);
  entry->kind = Kind::kCounter;
  entry->counter = std::make_unique<Counter>();
  Counter& counter = *entry->counter;
  entries_.push_back(std::move(entry));
  return counter;
}

Gauge& StatsRegistry::GetGauge(std::string_view name, std::string_view help,
                               std::string_view labels) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Entry* entry = Find(name, labels); entry != nullptr && entry->gauge) return *entry->gauge;
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->labels = std::string(labels);
  entry->kind = Kind::kGauge;
  entry->gauge = std::make_unique<Gauge>();
  Gauge& gauge = *entry->gauge;
  entries_.push_back(std::move(entry));
  return gauge;
}

void StatsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                     std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->kind = Kind::kCallback;
  entry->callback = std::move(read);
  entries_.push_back(std::move(entry));
}

std::string StatsRegistry::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  std::set<std::string> described;
  // Group samples of one metric name together, as the format requires.
  std::vector<const Entry*> ordered;
  for (const auto& entry : entries_) ordered.push_back(entry.get());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Entry* a, const Entry* b) { return a->name < b->name; });
  for (const Entry* entry : ordered) {
    if (described.insert(entry->name).second) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", entry->name, entry->help, entry->name,
                         entry->kind == Kind::kCounter ? "counter" : "gauge");
    }
    std::string series =
        entry->labels.empty() ? entry->name : fmt::format("{}{{{}}}", entry->name, entry->labels);
    switch (entry->kind) {
      case Kind::kCounter:
        out += fmt::format("{} {}\n", series, entry->counter->value());
        break;
      case Kind::kGauge:
        out += fmt::format("{} {}\n", series, entry->gauge->value());
        break;
      case Kind::kCallback:
        out += fmt::format("{} {}\n", series, entry->callback());
        break;
    }
  }
  return out;
}

uint64_t StatsRegistry::CounterValue(std::string_view name, std::string_view labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Entry* entry = Find(name, labels);
  return entry != nullptr && entry->counter ? entry->counter->value() : 0;
}

}  // namespace roentgen
