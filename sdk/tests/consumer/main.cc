// SPDX-License-Identifier: Apache-2.0
// Uses the installed headers and library; exits 0 when a segment document was produced.
#include <cstdio>
#include <memory>
#include <string>

#include <roentgen/sdk.h>

namespace {

class Count final : public roentgen::sdk::Emitter {
 public:
  explicit Count(int* documents) : documents_(documents) {}
  bool Send(std::string document) override {
    ++*documents_;
    std::printf("%s\n", document.c_str());
    return true;
  }

 private:
  int* documents_;
};

}  // namespace

int main() {
  int documents = 0;
  roentgen::sdk::RecorderOptions options;
  options.service_name = "consumer";
  options.read_environment = false;
  options.sampler = std::make_unique<roentgen::sdk::ConstantSampler>(true);
  options.emitter = std::make_unique<Count>(&documents);
  auto recorder = roentgen::sdk::Recorder::Create(std::move(options));
  {
    roentgen::sdk::SegmentScope segment(*recorder);
    segment->AddAnnotation("installed", true);
  }
  return documents == 1 ? 0 : 1;
}
