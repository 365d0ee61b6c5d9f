// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace roentgen {

// Appends compact JSON to a string. The caller is responsible for structure (the writer
// inserts commas between members and elements). Not thread-safe.
//
//   JsonWriter w;
//   w.BeginObject(); w.Key("Traces"); w.BeginArray(); w.EndArray(); w.EndObject();
class JsonWriter {
 public:
  JsonWriter() = default;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  // Shortest text that reads back as the same double; integers without ".0".
  void Double(double value);
  void Bool(bool value);
  void Null();
  // Inserts already-serialized JSON as a value (trusted to be valid).
  void Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Release() { return std::move(out_); }

  // Appends `value` as a quoted, escaped JSON string to *out.
  static void AppendQuoted(std::string* out, std::string_view value);

 private:
  void BeforeValue();

  std::string out_;
  bool need_comma_ = false;
};

}  // namespace roentgen
