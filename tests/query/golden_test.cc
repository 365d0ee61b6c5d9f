// SPDX-License-Identifier: Apache-2.0
// Golden tests for the filter-expression language (STYLE.md 37), in the style of DuckDB's
// sqllogictest. Reads the trace set src/query/testdata/traces/*.json (each file a JSON array
// of the segment documents of one trace, parsed with roentgen::parse exactly as ingest would)
// and runs every src/query/testdata/*.test file against it:
//
//   # name: query/keywords                        header (required)
//   # description: ...
//   group NAME ARN EXPRESSION                     a group; membership is decided per trace, in
//                                                 file order (later groups may use earlier)
//   statement ok EXPRESSION                       compiles
//   query EXPRESSION                              expected matches follow "----", one trace id
//   ----                                          per line (order-independent; text after the
//   1-6553f101-000000000000000000000001 name      id is the trace's file name, a comment)
//                                                 a blank line ends the record
//   error EXPRESSION                              compiling fails with exactly this message
//   ----
//   filter: unknown keyword "foo" at column 1
//
// Every query is also checked against the reference evaluator (raw documents), compiled a
// second time with group references expanded inline (what searches do; it must agree with the
// memberships), the scan hints are checked on every match (and, when exact, on every trace),
// and every trace's detail must survive encode/decode.
// Set RG_GOLDEN_REGENERATE=1 to rewrite the expected outputs in place (review the diff).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/trace_detail.h"
#include "model/trace_summary.h"
#include "parse/segment_parser.h"
#include "query/internal/test_util.h"
#include "query/query.h"
#include "query/reference_evaluator.h"

namespace roentgen::query {
namespace {

namespace fs = std::filesystem;

fs::path TestdataDir() { return fs::path(RG_SOURCE_DIR) / "src" / "query" / "testdata"; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct GoldenTrace {
  std::string name;  // file stem
  std::string id;    // text form
  std::vector<model::SegmentDocument> documents;
  model::TraceSummary summary;
  model::TraceDetail detail;
};

const std::vector<GoldenTrace>& Traces() {
  static const std::vector<GoldenTrace> traces = [] {
    std::vector<GoldenTrace> result;
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(TestdataDir() / "traces")) {
      if (entry.path().extension() == ".json") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    parse::ParseLimits limits;
    limits.max_document_bytes = 1 << 20;
    for (const fs::path& path : paths) {
      GoldenTrace trace;
      trace.name = path.stem().string();
      auto entries = parse::ParseDocumentList(ReadFile(path), limits);
      if (!entries.ok()) {
        ADD_FAILURE() << path << ": " << entries.error().ToString();
        continue;
      }
      for (const parse::DocumentListEntry& entry : *entries) {
        if (!entry.document) {
          ADD_FAILURE() << path << ": " << entry.failure.message;
          continue;
        }
        trace.documents.push_back(*entry.document);
      }
      if (trace.documents.empty()) continue;
      model::TraceId id = trace.documents[0].trace_id;
      for (const auto& doc : trace.documents) {
        EXPECT_EQ(doc.trace_id, id) << path << ": one trace per file";
      }
      trace.id = id.ToString();
      trace.summary = model::ComputeTraceSummary(id, trace.documents);
      trace.detail = model::ComputeTraceDetail(trace.documents);
      std::string encoded;
      model::EncodeTraceDetail(trace.detail, &encoded);
      auto decoded = model::DecodeTraceDetail(encoded);
      EXPECT_TRUE(decoded.ok() && *decoded == trace.detail) << path << ": detail round trip";
      result.push_back(std::move(trace));
    }
    return result;
  }();
  return traces;
}

struct Group {
  std::string name;
  std::string arn;
  std::string expression;
  std::vector<bool> members;  // per trace
};

// One parsed line or record of a .test file; raw lines are written back unchanged.
struct Item {
  enum class Kind { kRaw, kGroup, kStatement, kQuery, kError };
  Kind kind = Kind::kRaw;
  std::string raw;  // kRaw: the line; otherwise the record's first line
  std::string expression;
  std::vector<std::string> expected;
  size_t line = 0;
};

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

std::vector<Item> ParseTestFile(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  std::vector<Item> items;
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    const std::string& line = lines[idx];
    Item item;
    item.line = idx + 1;
    item.raw = line;
    if (StartsWith(line, "query ")) {
      item.kind = Item::Kind::kQuery;
      item.expression = line.substr(6);
    } else if (StartsWith(line, "error ")) {
      item.kind = Item::Kind::kError;
      item.expression = line.substr(6);
    } else if (StartsWith(line, "statement ok ")) {
      item.kind = Item::Kind::kStatement;
      item.expression = line.substr(13);
    } else if (StartsWith(line, "group ")) {
      item.kind = Item::Kind::kGroup;
      item.expression = line.substr(6);
    }
    if (item.kind == Item::Kind::kQuery || item.kind == Item::Kind::kError) {
      if (idx + 1 < lines.size() && lines[idx + 1] == "----") {
        idx += 2;
        for (; idx < lines.size() && !lines[idx].empty(); ++idx)
          item.expected.push_back(lines[idx]);
        // The blank line that ended the record is written back as a raw line.
        if (idx < lines.size()) {
          items.push_back(std::move(item));
          Item blank;
          blank.line = idx + 1;
          items.push_back(blank);
          continue;
        }
      } else {
        ADD_FAILURE() << "line " << item.line << ": expected ---- after the record";
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::string FirstWord(const std::string& line) { return line.substr(0, line.find(' ')); }

class QueryGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(QueryGolden, Run) {
  const fs::path path = TestdataDir() / GetParam();
  const std::string text = ReadFile(path);
  ASSERT_TRUE(StartsWith(text, "# name: ")) << path << ": missing the # name: header";
  const auto& traces = Traces();
  ASSERT_FALSE(traces.empty());
  const bool regenerate = std::getenv("RG_GOLDEN_REGENERATE") != nullptr;

  std::vector<Item> items = ParseTestFile(text);
  std::vector<Group> groups;
  CompileOptions options;
  options.group_exists = [&groups](GroupKey key, std::string_view value) {
    for (const Group& group : groups) {
      if ((key == GroupKey::kName ? group.name : group.arn) == value) return true;
    }
    return false;
  };
  // The same groups, expanded inline (what searches do): must agree with the memberships.
  CompileOptions expanding;
  expanding.group_definition = [&groups](GroupKey key,
                                         std::string_view value) -> std::optional<GroupDefinition> {
    for (const Group& group : groups) {
      if ((key == GroupKey::kName ? group.name : group.arn) == value) {
        return GroupDefinition{group.name, group.expression};
      }
    }
    return std::nullopt;
  };
  auto memberships = [&groups](size_t trace_idx) {
    std::vector<GroupMembership> result;
    for (const Group& group : groups) {
      if (group.members[trace_idx]) result.push_back(GroupMembership{group.name, group.arn});
    }
    return result;
  };
  size_t records = 0;
  for (Item& item : items) {
    const std::string where = GetParam() + ":" + std::to_string(item.line) + ": ";
    switch (item.kind) {
      case Item::Kind::kRaw:
        break;
      case Item::Kind::kGroup: {
        std::stringstream words(item.expression);
        Group group;
        words >> group.name >> group.arn;
        std::string expression;
        std::getline(words, expression);
        group.expression = expression;
        auto filter = Compile(expression, options);
        ASSERT_TRUE(filter.ok()) << where << filter.error().ToString();
        for (size_t trace_idx = 0; trace_idx < traces.size(); ++trace_idx) {
          auto member_of = memberships(trace_idx);
          group.members.push_back(filter->Matches(
              traces[trace_idx].summary, traces[trace_idx].detail, EvalContext{member_of}));
        }
        groups.push_back(std::move(group));
        break;
      }
      case Item::Kind::kStatement: {
        ++records;
        auto filter = Compile(item.expression, options);
        EXPECT_TRUE(filter.ok()) << where << filter.error().ToString();
        break;
      }
      case Item::Kind::kError: {
        ++records;
        auto filter = Compile(item.expression, options);
        std::string actual =
            filter.ok() ? "(compiled without error)" : std::string(filter.error().message());
        if (!filter.ok()) {
          EXPECT_EQ(filter.error().code(), StatusCode::kInvalidArgument) << where;
        }
        if (regenerate) {
          item.expected = {actual};
        } else {
          EXPECT_EQ(item.expected, std::vector<std::string>{actual}) << where << item.expression;
        }
        break;
      }
      case Item::Kind::kQuery: {
        ++records;
        auto filter = Compile(item.expression, options);
        if (!filter.ok()) {
          ADD_FAILURE() << where << item.expression << ": " << filter.error().ToString();
          break;
        }
        auto expanded = Compile(item.expression, expanding);
        EXPECT_TRUE(expanded.ok()) << where << expanded.error().ToString();
        std::vector<std::string> actual;
        std::set<std::string> actual_ids;
        for (size_t trace_idx = 0; trace_idx < traces.size(); ++trace_idx) {
          const GoldenTrace& trace = traces[trace_idx];
          auto member_of = memberships(trace_idx);
          EvalContext context{member_of};
          bool fast = filter->Matches(trace.summary, trace.detail, context);
          bool reference = ReferenceMatches(*filter, trace.documents, context);
          EXPECT_EQ(fast, reference)
              << where << "the evaluators disagree on " << trace.name << ": " << item.expression;
          if (expanded.ok()) {
            EXPECT_EQ(fast, expanded->Matches(trace.summary, trace.detail))
                << where << "group expansion disagrees with membership on " << trace.name;
          }
          if (filter->hints().exact) {
            EXPECT_EQ(fast, query::testing::HintsHold(
                                *filter, query::testing::Trace{trace.documents, trace.summary,
                                                               trace.detail}))
                << where << "exact hints disagree on " << trace.name;
          }
          if (!fast) continue;
          actual.push_back(trace.id + " " + trace.name);
          actual_ids.insert(trace.id);
          const ScanHints& hints = filter->hints();
          if (hints.response_time) {
            EXPECT_TRUE(trace.summary.response_time &&
                        hints.response_time->Contains(*trace.summary.response_time))
                << where << "response time hint";
          }
          if (hints.duration) {
            EXPECT_TRUE(hints.duration->Contains(trace.summary.duration))
                << where << "duration hint";
          }
          for (const std::string& name : hints.service_names) {
            bool found = false;
            for (const model::ServiceNode& node : trace.detail.nodes) {
              found = found || (node.kind != model::NodeKind::kClient && node.id.name == name);
            }
            EXPECT_TRUE(found) << where << "service name hint " << name;
          }
          for (const std::string& key : hints.annotation_keys) {
            bool found = false;
            for (const model::AnnotationSummary& annotation : trace.summary.annotations) {
              found = found || annotation.key == key;
            }
            EXPECT_TRUE(found) << where << "annotation key hint " << key;
          }
        }
        if (regenerate) {
          item.expected = actual;
        } else {
          std::set<std::string> expected_ids;
          for (const std::string& line : item.expected) expected_ids.insert(FirstWord(line));
          EXPECT_EQ(actual_ids, expected_ids) << where << item.expression << "\nactual:\n"
                                              << [&] {
                                                   std::string all;
                                                   for (const auto& a : actual) all += a + "\n";
                                                   return all;
                                                 }();
        }
        break;
      }
    }
  }
  EXPECT_GT(records, 0u) << path;
  if (regenerate) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (const Item& item : items) {
      out << item.raw << "\n";
      if (item.kind == Item::Kind::kQuery || item.kind == Item::Kind::kError) {
        out << "----\n";
        for (const std::string& line : item.expected) out << line << "\n";
      }
    }
  }
}

std::vector<std::string> TestFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(TestdataDir())) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Files, QueryGolden, ::testing::ValuesIn(TestFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// Every example expression of xray-semantics.md §1.10 appears in some .test file.
TEST(QueryGoldenCoverage, EveryExampleOfTheSemanticsReference) {
  const fs::path reference = fs::path(RG_SHARED_DIR) / "reference" / "xray-semantics.md";
  if (!fs::exists(reference)) GTEST_SKIP() << "no " << reference;
  std::set<std::string> covered;
  for (const std::string& file : TestFiles()) {
    for (const Item& item : ParseTestFile(ReadFile(TestdataDir() / file))) {
      if (item.kind != Item::Kind::kRaw) covered.insert(item.expression);
    }
  }
  std::stringstream doc(ReadFile(reference));
  bool in_examples = false;
  size_t examples = 0;
  const std::regex row(R"(^\| (\d+) \| (.*) \| .* \|$)");
  const std::regex code("`([^`]*)`");
  for (std::string line; std::getline(doc, line);) {
    if (StartsWith(line, "### 1.10")) in_examples = true;
    if (StartsWith(line, "## 2.")) break;
    std::smatch match;
    if (!in_examples || !std::regex_match(line, match, row)) continue;
    const std::string cell = match[2];
    for (std::sregex_iterator it(cell.begin(), cell.end(), code), end; it != end; ++it) {
      ++examples;
      EXPECT_TRUE(covered.count((*it)[1]) != 0)
          << "example #" << match[1] << " not covered: " << (*it)[1];
    }
  }
  EXPECT_GE(examples, 40u);
}

}  // namespace
}  // namespace roentgen::query
