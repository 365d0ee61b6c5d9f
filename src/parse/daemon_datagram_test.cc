// SPDX-License-Identifier: Apache-2.0
#include "parse/daemon_datagram.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "parse/udp_datagram_format.h"

namespace roentgen::parse {
namespace {

constexpr std::string_view kBody = R"({"id":"70de5b6f19ff9a0a"})";

// Splits and returns the body, or "" with *reason set.
std::string Split(std::string_view datagram, DatagramDropReason* reason) {
  auto body = SplitDaemonDatagram(datagram, reason);
  if (!body.ok()) {
    EXPECT_NE(*reason, DatagramDropReason::kNone);
    EXPECT_EQ(body.error().code(), StatusCode::kInvalidArgument);
    return std::string();
  }
  EXPECT_EQ(*reason, DatagramDropReason::kNone);
  return std::string(*body);
}

TEST(DaemonDatagram, AcceptedHeaders) {
  for (std::string_view header :
       {R"({"format":"json","version":1})", R"({"format": "json", "version": 1})",
        R"({ "version" : 1 , "format" : "JSON" })", R"({"Format":"Json","VERSION":1})",
        R"({"format":"json","version":1,"extra":[1,{"a":null}]})",
        "{\"format\":\"json\",\"version\":1}\r",
        R"({"format":"xml","format":"json","version":1})"}) {
    DatagramDropReason reason = DatagramDropReason::kTooLarge;
    EXPECT_EQ(Split(std::string(header) + "\n" + std::string(kBody), &reason), kBody) << header;
  }
}

TEST(DaemonDatagram, RejectedHeaders) {
  for (std::string_view header :
       {R"({"format":"json","version":2})", R"({"format":"json","version":"1"})",
        R"({"format":"json","version":1.0})", R"({"format":"json","version":1e0})",
        R"({"format":"json"})", R"({"version":1})", R"({"format":"jsonx","version":1})",
        R"({"format":1,"version":1})", R"(["json",1])", "null", "", "garbage",
        R"({"format":"json","version":1)", R"({"format":"json","version":1}{})"}) {
    DatagramDropReason reason = DatagramDropReason::kNone;
    EXPECT_EQ(Split(std::string(header) + "\n" + std::string(kBody), &reason), "") << header;
    EXPECT_EQ(reason, DatagramDropReason::kBadHeader) << header;
  }
}

TEST(DaemonDatagram, SplitsAtTheFirstNewline) {
  DatagramDropReason reason;
  const std::string body = "{\n\"id\": \"x\"\n}\n";
  EXPECT_EQ(Split(std::string(kCanonicalHeader) + "\n" + body, &reason), body);
}

TEST(DaemonDatagram, DropReasons) {
  DatagramDropReason reason;
  Split("", &reason);
  EXPECT_EQ(reason, DatagramDropReason::kNoNewline);
  Split(kCanonicalHeader, &reason);
  EXPECT_EQ(reason, DatagramDropReason::kNoNewline);
  Split(kBody, &reason);
  EXPECT_EQ(reason, DatagramDropReason::kNoNewline);
  Split(std::string(kCanonicalHeader) + "\n", &reason);
  EXPECT_EQ(reason, DatagramDropReason::kEmptyBody);
  Split(std::string(kCanonicalHeader) + "\n \r\n\t", &reason);
  EXPECT_EQ(reason, DatagramDropReason::kEmptyBody);
  std::string large = std::string(kCanonicalHeader) + "\n" + std::string(kMaxDatagramBytes, ' ');
  Split(large, &reason);
  EXPECT_EQ(reason, DatagramDropReason::kTooLarge);
  // Exactly at the limit is fine.
  std::string limit = std::string(kCanonicalHeader) + "\n{}";
  limit += std::string(kMaxDatagramBytes - limit.size(), ' ');
  EXPECT_EQ(Split(limit, &reason).substr(0, 2), "{}");
}

TEST(DaemonDatagram, NullReasonIsAllowed) {
  EXPECT_TRUE(SplitDaemonDatagram(std::string(kCanonicalHeader) + "\n{}", nullptr).ok());
  EXPECT_FALSE(SplitDaemonDatagram("x", nullptr).ok());
}

TEST(DaemonDatagram, ReasonNamesAreStableAndDistinct) {
  EXPECT_EQ(DatagramDropReasonName(DatagramDropReason::kNone), "none");
  EXPECT_EQ(DatagramDropReasonName(DatagramDropReason::kTooLarge), "too_large");
  EXPECT_EQ(DatagramDropReasonName(DatagramDropReason::kNoNewline), "no_newline");
  EXPECT_EQ(DatagramDropReasonName(DatagramDropReason::kBadHeader), "bad_header");
  EXPECT_EQ(DatagramDropReasonName(DatagramDropReason::kEmptyBody), "empty_body");
  std::set<std::string_view> names;
  for (DatagramDropReason reason : kAllDatagramDropReasons) {
    names.insert(DatagramDropReasonName(reason));
  }
  EXPECT_EQ(names.size(), kAllDatagramDropReasons.size());
}

}  // namespace
}  // namespace roentgen::parse
