// SPDX-License-Identifier: Apache-2.0
// Replays a fuzz corpus through LLVMFuzzerTestOneInput without libFuzzer, so that gcc and
// sanitizer builds run every corpus file as a plain test. Arguments are files or folders.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    return 1;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int failures = 0;
  size_t files = 0;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    std::filesystem::path root(argv[arg_idx]);
    if (std::filesystem::is_directory(root)) {
      std::vector<std::filesystem::path> paths;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file()) paths.push_back(entry.path());
      }
      std::sort(paths.begin(), paths.end());
      for (const auto& path : paths) {
        failures += RunFile(path);
        ++files;
      }
    } else {
      failures += RunFile(root);
      ++files;
    }
  }
  std::printf("replayed %zu inputs\n", files);
  return failures == 0 && files > 0 ? 0 : 1;
}
