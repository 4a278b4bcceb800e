// Helpers shared by the tests: temp dirs, running the CLI, locating ../shared.
#pragma once
#include <filesystem>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

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

/// A path in single quotes, for the argument string of run_cli / run_shell.
inline std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// Runs any shell command (stdout and stderr together).
CommandResult run_shell(const std::string& command);

/// The lines of text that start with prefix.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix);

/// ../shared beside the checkout, or nullopt (tests then GTEST_SKIP with a message).
std::optional<std::filesystem::path> shared_dir();

/// The whole file as bytes ("" when it cannot be read).
std::string slurp(const std::filesystem::path& p);

/// The lines joined, each ended by a newline (for assertion messages listing errors).
std::string joined_lines(const std::vector<std::string>& lines);

/// Non-overlapping-start occurrences of needle in hay.
std::size_t count_of(const std::string& hay, const std::string& needle);

// ---- headless Chromium (render checks of the HTML reports) ----
inline constexpr const char* kChromium = "/usr/bin/chromium";
/// The rendered DOM of a local HTML file ("" when Chromium failed); work_dir holds the dump.
std::string chromium_dump_dom(const std::filesystem::path& html, const std::filesystem::path& work_dir);
/// A screenshot 1200 px wide and `height` px high; true when the PNG was written.
bool chromium_screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int height);

}  // namespace calcscope::test
