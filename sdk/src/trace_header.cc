// SPDX-License-Identifier: Apache-2.0
#include "roentgen/sdk/trace_header.h"

#include <cctype>
#include <random>

namespace roentgen::sdk {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool AllHex(std::string_view text) {
  for (char c : text) {
    if (!IsHex(c)) return false;
  }
  return true;
}

bool AllZero(std::string_view text) {
  for (char c : text) {
    if (c != '0') return false;
  }
  return true;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t idx = 0; idx < a.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(a[idx])) !=
        std::tolower(static_cast<unsigned char>(b[idx]))) {
      return false;
    }
  }
  return true;
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  return rng;
}

void AppendHex(std::string& out, uint64_t value, int digits) {
  char buf[16];
  for (int idx = digits - 1; idx >= 0; --idx) {
    buf[idx] = kHexDigits[value & 0xF];
    value >>= 4;
  }
  out.append(buf, static_cast<size_t>(digits));
}

}  // namespace

bool IsValidTraceId(std::string_view id) {
  return id.size() == 35 && id[0] == '1' && id[1] == '-' && id[10] == '-' &&
         AllHex(id.substr(2, 8)) && AllHex(id.substr(11, 24));
}

bool IsValidEntityId(std::string_view id) { return id.size() == 16 && AllHex(id); }

std::string NewTraceId(int64_t epoch_seconds) {
  std::string id = "1-";
  AppendHex(id, static_cast<uint64_t>(epoch_seconds) & 0xFFFFFFFFu, 8);
  id.push_back('-');
  AppendHex(id, Rng()() & 0xFFFFFFFFu, 8);
  AppendHex(id, Rng()(), 16);
  return id;
}

std::string NewEntityId() {
  uint64_t value = 0;
  while (value == 0) value = Rng()();
  std::string id;
  AppendHex(id, value, 16);
  return id;
}

std::optional<TraceHeader> TraceHeader::Parse(std::string_view value) {
  TraceHeader header;
  bool has_root = false;
  while (!value.empty()) {
    size_t semi = value.find(';');
    std::string_view field = Trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
    if (field.empty()) continue;
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) continue;  // not Key=Value: ignored
    std::string_view key = Trim(field.substr(0, eq));
    std::string_view val = Trim(field.substr(eq + 1));
    if (key.empty()) continue;
    if (EqualsIgnoreCase(key, "Root")) {
      if (!IsValidTraceId(val)) return std::nullopt;
      header.root = Lower(val);
      has_root = true;
    } else if (EqualsIgnoreCase(key, "Parent")) {
      if (IsValidEntityId(val)) header.parent = Lower(val);
    } else if (EqualsIgnoreCase(key, "Sampled")) {
      if (val == "1") {
        header.sampled = SampledFlag::kSampled;
      } else if (val == "0") {
        header.sampled = SampledFlag::kNotSampled;
      } else if (val == "?") {
        header.sampled = SampledFlag::kRequested;
      } else {
        header.sampled = SampledFlag::kUnknown;
      }
    } else if (EqualsIgnoreCase(key, "Lineage")) {
      header.lineage = std::string(val);
    } else if (EqualsIgnoreCase(key, "Self")) {
      // Added by ALB; the SDKs drop it when propagating.
    } else if (!val.empty() && val.find_first_of(";=") == std::string_view::npos) {
      header.extra.emplace_back(std::string(key), std::string(val));
    }
  }
  if (!has_root) return std::nullopt;
  return header;
}

std::string TraceHeader::ToString() const {
  std::string out = "Root=" + root;
  if (!parent.empty()) out += ";Parent=" + parent;
  switch (sampled) {
    case SampledFlag::kSampled:
      out += ";Sampled=1";
      break;
    case SampledFlag::kNotSampled:
      out += ";Sampled=0";
      break;
    case SampledFlag::kRequested:
      out += ";Sampled=?";
      break;
    case SampledFlag::kUnknown:
      break;
  }
  if (!lineage.empty()) out += ";Lineage=" + lineage;
  for (const auto& [key, val] : extra) out += ";" + key + "=" + val;
  return out;
}

std::optional<std::string> TraceHeader::ToTraceparent() const {
  if (!IsValidTraceId(root) || !IsValidEntityId(parent)) return std::nullopt;
  std::string out = "00-";
  out += Lower(root.substr(2, 8));
  out += Lower(root.substr(11, 24));
  out += "-" + Lower(parent) + "-";
  out += sampled == SampledFlag::kSampled ? "01" : "00";
  return out;
}

std::optional<TraceHeader> TraceHeader::FromTraceparent(std::string_view value) {
  value = Trim(value);
  // version "-" trace-id(32) "-" parent-id(16) "-" flags(2)
  if (value.size() < 55) return std::nullopt;
  std::string_view version = value.substr(0, 2);
  if (!AllHex(version) || EqualsIgnoreCase(version, "ff")) return std::nullopt;
  if (version == "00" && value.size() != 55) return std::nullopt;
  if (value.size() > 55 && value[55] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  std::string_view trace = value.substr(3, 32);
  std::string_view span = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!AllHex(trace) || !AllHex(span) || !AllHex(flags)) return std::nullopt;
  if (AllZero(trace) || AllZero(span)) return std::nullopt;
  TraceHeader header;
  header.root = "1-" + Lower(trace.substr(0, 8)) + "-" + Lower(trace.substr(8));
  header.parent = Lower(span);
  int flag_low = flags[1] >= 'a' ? (flags[1] | 0x20) - 'a' + 10
                                 : (flags[1] >= 'A' ? flags[1] - 'A' + 10 : flags[1] - '0');
  header.sampled = (flag_low & 1) != 0 ? SampledFlag::kSampled : SampledFlag::kNotSampled;
  return header;
}

}  // namespace roentgen::sdk
