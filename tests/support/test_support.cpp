#include "test_support.h"

#include <array>
#include <cstdio>
#include <random>
#include <sys/wait.h>

namespace calcscope::test {

TempDir::TempDir(const std::string& prefix) {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(rng()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_cli(const std::string& args) {
  CommandResult result;
  const std::string cmd = std::string("'") + CALCSCOPE_CLI + "' " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe)) result.output += buf.data();
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path p = CALCSCOPE_SHARED_DIR;
  if (std::filesystem::exists(p / "data")) return std::filesystem::canonical(p);
  return std::nullopt;
}

}  // namespace calcscope::test
