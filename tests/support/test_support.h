// Helpers shared by the tests: temp dirs, running the CLI, locating ../shared.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace calcscope::test {

/// A fresh empty directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "calcscope-test");
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs the built calcscope CLI with `args` (a shell-quoted string).
CommandResult run_cli(const std::string& args);

/// ../shared beside the checkout, or nullopt (tests then GTEST_SKIP with a message).
std::optional<std::filesystem::path> shared_dir();

}  // namespace calcscope::test
