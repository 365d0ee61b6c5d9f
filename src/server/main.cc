// SPDX-License-Identifier: Apache-2.0
// The `roentgen` binary: subcommands over the server library.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/cli.h"
#include "server/config.h"
#include "server/server.h"

namespace {

// Reads `key = value` lines (# comments, optional quotes) into *config, keys as the flags.
roentgen::Status ApplyConfigFile(const std::string& path, roentgen::server::ServerConfig* config) {
  std::ifstream in(path);
  if (!in) return roentgen::IoError("cannot read config file " + path);
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    auto trim = [](std::string text) {
      size_t begin = text.find_first_not_of(" \t\r");
      size_t end = text.find_last_not_of(" \t\r");
      return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
    };
    if (size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    line = trim(line);
    if (line.empty()) continue;
    size_t equals = line.find('=');
    if (equals == std::string::npos) {
      return roentgen::InvalidArgumentError(path + ":" + std::to_string(line_number) +
                                            ": expected key = value");
    }
    std::string key = trim(line.substr(0, equals));
    std::string value = trim(line.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    bool known = false;
    for (const auto& spec : roentgen::server::ServeOptions()) {
      if (spec.name != key) continue;
      known = true;
      roentgen::Status status = spec.apply(config, value);
      if (!status.ok()) {
        return status.WithContext(path + ":" + std::to_string(line_number));
      }
    }
    if (!known) {
      return roentgen::InvalidArgumentError(path + ":" + std::to_string(line_number) +
                                            ": unknown option '" + key + "'");
    }
  }
  return roentgen::Status();
}

// `roentgen demo ARGS`: execs `roentgen-demo ARGS` from this binary's directory (docs/demo.md),
// so that the server does not link the demo. Returns only on failure.
int RunDemo(const std::vector<std::string>& args) {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (length <= 0) {
    std::cerr << "roentgen demo: cannot find this binary: " << std::strerror(errno) << "\n";
    return 1;
  }
  std::string path(self, static_cast<size_t>(length));
  path = path.substr(0, path.rfind('/') + 1) + "roentgen-demo";
  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> demo_argv;
  for (std::string& arg : argv_strings) demo_argv.push_back(arg.data());
  demo_argv.push_back(nullptr);
  ::execv(path.c_str(), demo_argv.data());
  std::cerr << "roentgen demo: cannot run " << path << ": " << std::strerror(errno)
            << " (build the roentgen_demo target)\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Roentgen: a self-hosted, AWS X-Ray compatible tracing server."};
  app.require_subcommand(1);
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the server: X-Ray daemon UDP, the X-Ray HTTP API and the embedded store.");
  roentgen::server::ServerConfig defaults;
  std::map<std::string, std::string> values;
  std::string config_path;
  serve->add_option("--config", config_path,
                    "Config file of `option = value` lines (option names as the flags below); "
                    "flags given on the command line win.");
  for (const auto& spec : roentgen::server::ServeOptions()) {
    std::string help(spec.help);
    std::string current = spec.current(defaults);
    if (!current.empty()) help += " Default: " + current + ".";
    CLI::Option* option =
        serve->add_option("--" + std::string(spec.name), values[std::string(spec.name)], help)
            ->type_name(std::string(spec.kind));
    // Repeatable: every value reaches the option, one per line.
    if (spec.name == "insights-webhook") option->multi_option_policy(CLI::MultiOptionPolicy::Join);
  }
  roentgen::cli::QueryOptions query_options;
  CLI::App* query = app.add_subcommand(
      "query", "Search traces with an X-Ray filter expression and print their summaries.");
  query->add_option("expression", query_options.expression,
                    "Filter expression (docs/query_language.md); empty: every trace.");
  query->add_option("--since", query_options.since,
                    "How far back from --end to search (90s, 15m, 1h, 7d). Default: 1h.");
  query->add_option("--start", query_options.start,
                    "Start of the range: epoch seconds or 2025-07-12T10:00:00Z (UTC).");
  query->add_option("--end", query_options.end, "End of the range (as --start). Default: now.");
  query->add_option("--group", query_options.group, "Only traces of this group.");
  query
      ->add_option("--time-range-type", query_options.time_range_type,
                   "Which time the range applies to: TraceId, Event or Service. Default: Event.")
      ->check(CLI::IsMember({"TraceId", "Event", "Service"}));
  query->add_option("--limit", query_options.limit, "Print at most this many traces. Default: 50.");
  query->add_flag("--json", query_options.json, "Print each TraceSummary as a JSON line.");
  query->add_option("--endpoint", query_options.common.endpoint,
                    "The Roentgen server's API. Default: http://127.0.0.1:2000.");
  roentgen::cli::MapOptions map_options;
  CLI::App* map = app.add_subcommand(
      "map",
      "Print the service map: nodes with request counts, error/throttle/fault rates and "
      "average latency, then the edges.");
  map->add_option("--since", map_options.since,
                  "How far back from now (90s, 15m, 1h, 6h). Default: 1h.");
  map->add_option("--group", map_options.group, "The map of this group. Default: Default.");
  map->add_flag("--json", map_options.json, "Print each Service of the map as a JSON line.");
  map->add_option("--endpoint", map_options.common.endpoint,
                  "The Roentgen server's API. Default: http://127.0.0.1:2000.");
  roentgen::cli::SamplingOptions sampling_options;
  CLI::App* sampling = app.add_subcommand(
      "sampling", "List the sampling rules with their latest statistics reported by SDKs.");
  sampling->add_flag("--json", sampling_options.json,
                     "Print each rule and its latest statistics as a JSON line.");
  sampling->add_option("--endpoint", sampling_options.common.endpoint,
                       "The Roentgen server's API. Default: http://127.0.0.1:2000.");
  CLI::App* demo = app.add_subcommand(
      "demo",
      "Run the order demo of the reference recipe, traced with roentgen-sdk, and steady traffic: "
      "roentgen demo [--daemon 127.0.0.1:2000] [--listen 127.0.0.1:8080] [--rate 5] [--count N] "
      "(docs/demo.md).");
  demo->prefix_command();
  demo->set_help_flag();  // --help goes to roentgen-demo
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (serve->parsed()) {
    roentgen::server::ServerConfig config;
    if (!config_path.empty()) {
      roentgen::Status status = ApplyConfigFile(config_path, &config);
      if (!status.ok()) {
        std::cerr << "roentgen: " << status.message() << "\n";
        return 2;
      }
    }
    for (const auto& spec : roentgen::server::ServeOptions()) {
      if (serve->count("--" + std::string(spec.name)) == 0) continue;
      roentgen::Status status = spec.apply(&config, values[std::string(spec.name)]);
      if (!status.ok()) {
        std::cerr << "roentgen: --" << spec.name << ": " << status.message() << "\n";
        return 2;
      }
    }
    roentgen::Status status = roentgen::server::ValidateConfig(config);
    if (!status.ok()) {
      std::cerr << "roentgen: " << status.message() << "\n";
      return 2;
    }
    return roentgen::server::RunServe(config);
  }
  if (query->parsed()) return roentgen::cli::RunQuery(query_options, std::cout, std::cerr);
  if (map->parsed()) return roentgen::cli::RunMap(map_options, std::cout, std::cerr);
  if (demo->parsed()) return RunDemo(demo->remaining());
  if (sampling->parsed()) {
    return roentgen::cli::RunSampling(sampling_options, std::cout, std::cerr);
  }
  return 0;
}
