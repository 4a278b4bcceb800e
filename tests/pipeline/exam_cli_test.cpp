// `calcscope analyze --exam`: the four views of one study analysed together (on all cores), per-image
// outputs plus DIR/<study>.exam.json; a bad file in the study is reported, the others still analysed.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace calcscope {
namespace {

using test::run_cli;

/// Four small 200 um PNG phantoms named by view (LCC.png ...) in dir/study.
std::filesystem::path make_study(const test::TempDir& dir) {
  const auto study = dir / "study";
  std::filesystem::create_directories(study);
  for (const char* lat : {"L", "R"})
    for (const char* view : {"CC", "MLO"}) {
      const auto r = run_cli("phantom --output '" + (study / (std::string(lat) + view + ".png")).string() +
                             "' --seed 5 --pixel-size 0.2 --width-mm 100 --height-mm 130 --clusters 1 --laterality " +
                             lat + " --view " + view);
      EXPECT_EQ(r.exit_code, 0) << r.output;
    }
  return study;
}

nlohmann::json load(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(ExamCli, FourViewsAssessedTogether) {
  test::TempDir dir("calcscope-exam-cli");
  const auto study = make_study(dir);
  const auto out = dir / "out";
  const auto r = run_cli("analyze '" + study.string() + "' --exam --pixel-size 0.2 --jobs 2 --output '" + out.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* stem : {"LCC", "LMLO", "RCC", "RMLO"}) EXPECT_TRUE(std::filesystem::exists(out / (std::string(stem) + ".json"))) << stem;
  ASSERT_TRUE(std::filesystem::exists(out / "study.exam.json")) << r.output;
  const auto exam = load(out / "study.exam.json");
  EXPECT_EQ(exam["images"].size(), 4u);
  EXPECT_TRUE(exam["missing_views"].empty()) << exam["missing_views"].dump();
  EXPECT_NE(exam["assessment"]["category"].get<std::string>(), "0");  // all four views present and readable
  EXPECT_NE(r.output.find("exam study: 4 image(s)"), std::string::npos) << r.output;
}

TEST(ExamCli, ABadFileIsReportedAndTheOthersAnalysed) {
  test::TempDir dir("calcscope-exam-cli-bad");
  const auto study = make_study(dir);
  std::ofstream(study / "LXX.png") << "not an image\n";
  const auto out = dir / "out";
  const auto r = run_cli("analyze '" + study.string() + "' --exam --pixel-size 0.2 --output '" + out.string() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // documented: some inputs failed
  EXPECT_NE(r.output.find("LXX.png"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unsupported"), std::string::npos) << r.output;
  for (const char* stem : {"LCC", "LMLO", "RCC", "RMLO"}) EXPECT_TRUE(std::filesystem::exists(out / (std::string(stem) + ".json"))) << stem;
  EXPECT_TRUE(std::filesystem::exists(out / "study.exam.json"));
}

}  // namespace
}  // namespace calcscope
