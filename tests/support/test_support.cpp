#include "test_support.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
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

CommandResult run_cli(const std::string& args) { return run_shell(std::string("'") + CALCSCOPE_CLI + "' " + args); }

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

CommandResult run_shell(const std::string& command) {
  CommandResult result;
  const std::string cmd = command + " 2>&1";
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

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

namespace {
std::string chromium_command(const std::string& args, const std::filesystem::path& profile) {
  return std::string("timeout 120 ") + kChromium +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --hide-scrollbars --user-data-dir='" + profile.string() +
         "' " + args + " 2>/dev/null";
}
}  // namespace

std::string chromium_dump_dom(const std::filesystem::path& html, const std::filesystem::path& work_dir) {
  const auto out = work_dir / (html.filename().string() + ".dom");
  TempDir profile("calcscope-chromium");
  const int rc =
      std::system(chromium_command("--dump-dom 'file://" + html.string() + "' > '" + out.string() + "'", profile.path()).c_str());
  return rc == 0 ? slurp(out) : std::string();
}

bool chromium_screenshot(const std::filesystem::path& html, const std::filesystem::path& png, int height) {
  TempDir profile("calcscope-chromium");
  const int rc = std::system(chromium_command("--window-size=1200," + std::to_string(height) + " --screenshot='" +
                                                  png.string() + "' 'file://" + html.string() + "'",
                                              profile.path())
                                 .c_str());
  return rc == 0 && std::filesystem::exists(png);
}

}  // namespace calcscope::test
