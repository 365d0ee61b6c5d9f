// SPDX-License-Identifier: Apache-2.0
// The smallest traced program: one segment with a subsegment, an annotation, metadata and a
// downstream header, sent to AWS_XRAY_DAEMON_ADDRESS (default 127.0.0.1:2000).
//
//   AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 ./roentgen_sdk_hello
#include <chrono>
#include <cstdio>
#include <thread>

#include "roentgen/sdk.h"

namespace sdk = roentgen::sdk;

int main() {
  sdk::RecorderOptions options;
  options.service_name = "hello";
  // Sample every request (the default asks the daemon for centralized rules).
  options.sampler = std::make_unique<sdk::ConstantSampler>(true);
  std::unique_ptr<sdk::Recorder> recorder = sdk::Recorder::Create(std::move(options));

  std::string trace_id;
  {
    sdk::SegmentScope request(*recorder, "hello");
    request->SetHttpRequest("GET", "http://localhost/hello", "hello/1.0", "127.0.0.1");
    request->AddAnnotation("greeting", "hello");
    request->AddMetadata("details", sdk::Json::Object{{"language", "C++"}, {"count", 1}});
    {
      sdk::SubsegmentScope work(*recorder, "compute");
      work->AddAnnotation("steps", 3);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::printf("downstream header: %s\n", work->DownstreamHeader().ToString().c_str());
    }
    request->SetHttpResponse(200);
    trace_id = request->trace_id();
  }
  recorder->Flush(2);
  std::printf("sent trace %s to %s:%u\n", trace_id.c_str(), recorder->udp_host().c_str(),
              static_cast<unsigned>(recorder->udp_port()));
  return 0;
}
