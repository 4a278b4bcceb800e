// A guard on the only real digital images we have: the INFN patches (never used for training or
// tuning) through the real CLI with every candidate kept, then `calcscope eval --patches-*`.
// The threshold-free ROC AUC of a patch's best calcification score (patches with vs without
// microcalcifications) was 0.962 with the session-7/8 models; a model trained on phantoms alone gave
// 0.865 (models/README.md). A change that drops it below 0.95 has made detection on real digital
// tissue worse, whatever it does on phantoms. Needs ../shared/data/infn-patches (skipped otherwise).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "calcscope/report/json_output.h"
#include "test_support.h"

namespace calcscope {
namespace {

namespace fs = std::filesystem;

using test::quoted;

TEST(InfnPatches, BestCalcificationScoreSeparatesPatchesWithAndWithoutCalcifications) {
  const auto shared = test::shared_dir();
  if (!shared || !fs::is_directory(*shared / "data" / "infn-patches" / "1"))
    GTEST_SKIP() << "../shared/data/infn-patches not found beside the checkout: the INFN guard needs it";
  const test::TempDir out("calcscope-infn");
  for (const char* cls : {"0", "1"}) {
    const auto r = test::run_cli("analyze " + quoted(*shared / "data" / "infn-patches" / cls) +
                                 " --pixel-size 0.1 --whole-image --min-score 0 --output " +
                                 quoted(out.path() / cls) + " -q");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const auto json = out.path() / "patches.json";
  const auto r = test::run_cli("eval --patches-positive " + quoted(out.path() / "1") + " --patches-negative " +
                               quoted(out.path() / "0") + " --output " + quoted(json));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json_file(json);
  EXPECT_GT(j.at("positive").at("patches").get<int>(), 300);
  EXPECT_GT(j.at("negative").at("patches").get<int>(), 300);
  const double auc = j.at("patch_score_auc").get<double>();
  std::printf("INFN patches: threshold-free ROC AUC of the best calcification score %.3f\n", auc);
  EXPECT_GE(auc, 0.95) << "detection on real digital patches got worse (0.962 in session 8)";
}

}  // namespace
}  // namespace calcscope
