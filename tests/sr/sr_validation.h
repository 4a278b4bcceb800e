// Shared by the SR tests: every SR a test writes goes through dciodvfy (dicom3tools; no Error lines)
// and DCMTK's dsrdump (exit 0). CALCSCOPE_SR_KEEP=DIR keeps a copy of each SR for a look (docs/sr.md).
#pragma once
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "test_support.h"

namespace calcscope::test {

/// Validates the SR file; returns the `dsrdump +Pc` output (codes shown) for further checks.
inline std::string expect_valid_sr(const std::filesystem::path& sr) {
  EXPECT_EQ(run_shell("command -v dciodvfy").exit_code, 0) << "dciodvfy (Debian package dicom3tools) is not installed";
  EXPECT_EQ(run_shell("command -v dsrdump").exit_code, 0) << "dsrdump (Debian package dcmtk) is not installed";
  const CommandResult vfy = run_shell("dciodvfy '" + sr.string() + "'");
  EXPECT_TRUE(lines_starting(vfy.output, "Error").empty()) << "dciodvfy errors for " << sr << ":\n" << vfy.output;
  for (const std::string& w : lines_starting(vfy.output, "Warning")) std::cout << "[dciodvfy] " << w << "\n";
  const CommandResult dump = run_shell("dsrdump +Pc '" + sr.string() + "'");
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  EXPECT_NE(dump.output.find("Mammography CAD Report"), std::string::npos) << dump.output;
  if (const char* keep = std::getenv("CALCSCOPE_SR_KEEP")) {
    std::error_code ec;
    std::filesystem::copy_file(sr, std::filesystem::path(keep) / sr.filename(),
                               std::filesystem::copy_options::overwrite_existing, ec);
  }
  return dump.output;
}

}  // namespace calcscope::test
