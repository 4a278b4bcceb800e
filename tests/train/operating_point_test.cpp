// The default cuts in include/calcscope/pipeline/analyze.h are read by hand from the training
// cross-validation (docs/algorithms.md §5) whenever the models are retrained. This test re-reads them
// from the committed model card by the same rule, so a retrain without updating the cuts fails here.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "calcscope/detect/clusters.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/train/train.h"

namespace calcscope {
namespace {

/// Threshold of the operating point at fp_rate_limit in one FROC of the model card.
double threshold_at(const nlohmann::json& froc, double fp_rate_limit) {
  for (const auto& op : froc.at("operating_points"))
    if (std::abs(op.at("fp_rate_limit").get<double>() - fp_rate_limit) < 1e-9) return op.at("threshold").get<double>();
  ADD_FAILURE() << "no operating point at " << fp_rate_limit;
  return -1;
}

TEST(OperatingPoint, CutsAreReadFromTheCommittedModelCard) {
  const auto card_path = std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "models" / "model-card.json";
  std::ifstream in(card_path);
  ASSERT_TRUE(in) << card_path;
  const auto card = nlohmann::json::parse(in);
  const auto& r = card.at("cross_validation").at("results");
  // the rule, rounded to two decimals
  // digital: the 70/100 um phantom table of the digital models; clusters at 0.25 false clusters per
  // training phantom, calcifications at 1 false positive per cm^2
  EXPECT_NEAR(kDefaultClusterMinScore, threshold_at(r.at("phantom_digital").at("cluster_froc"), 0.25), 0.005);
  EXPECT_NEAR(kDefaultCalcificationMinScore, threshold_at(r.at("phantom_digital").at("calcification_froc"), 1.0),
              0.005);
  // film: calcifications at 1 per cm^2 on the general models' phantom table; clusters at 0.5 false
  // clusters per image on the MIAS patient-pair cross-validation
  EXPECT_NEAR(kDefaultCalcificationMinScoreFilm, threshold_at(r.at("phantom").at("calcification_froc"), 1.0), 0.005);
  EXPECT_NEAR(kDefaultClusterMinScoreFilm, threshold_at(r.at("mias").at("cluster_froc"), 0.5), 0.005);
}

// The patch cut (kDefaultCalcificationMinScorePatch) is the patch card's recommended cut, rounded.
TEST(OperatingPoint, PatchCutIsReadFromTheCommittedPatchCard) {
  const auto card_path = std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "models" / "patch-card.json";
  std::ifstream in(card_path);
  ASSERT_TRUE(in) << card_path;
  const auto card = nlohmann::json::parse(in);
  EXPECT_NEAR(kDefaultCalcificationMinScorePatch, card.at("recommended_cut").get<double>(), 0.005);
}

// The cluster models were trained on the groups of one rule; analyze must group the same way. The card
// records the rule of each family (since session 11): the digital family's must be ClusterParams'
// defaults, the general family's too except the two digital-only switches (inactive on film).
TEST(OperatingPoint, ClusterRuleOfTheCommittedModelsIsTheDefault) {
  const auto card_path = std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "models" / "model-card.json";
  std::ifstream in(card_path);
  ASSERT_TRUE(in) << card_path;
  const auto card = nlohmann::json::parse(in);
  ASSERT_TRUE(card.contains("cluster_rule")) << "model card without cluster_rule: retrain (scripts/train.sh)";
  const nlohmann::json defaults = cluster_params_json(ClusterParams{});
  EXPECT_EQ(card.at("cluster_rule").at("digital"), defaults);
  nlohmann::json general = card.at("cluster_rule").at("general");
  for (const char* digital_only : {"compact_discs_below_pixel_mm", "proposals_below_pixel_mm"})
    general[digital_only] = defaults.at(digital_only);
  EXPECT_EQ(general, defaults);
}

// Since session 15 the film cluster model may not use the member-score ratios
// (TrainOptions::film_cluster_ignored). The committed model must follow the default, and no split of
// it may read an ignored feature.
TEST(OperatingPoint, FilmClusterModelDoesNotReadTheIgnoredFeatures) {
  const auto dir = std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "models";
  std::ifstream card_in(dir / "model-card.json");
  ASSERT_TRUE(card_in);
  const auto card = nlohmann::json::parse(card_in);
  const auto& cluster = card.at("models").at("cluster");
  ASSERT_TRUE(cluster.contains("features_not_used")) << "model card without features_not_used: retrain (scripts/train.sh)";
  const auto ignored = cluster.at("features_not_used").get<std::vector<std::string>>();
  EXPECT_EQ(ignored, TrainOptions{}.film_cluster_ignored);
  ASSERT_FALSE(ignored.empty());
  std::set<int> ignored_idx;
  const auto& names = cluster_feature_names();
  for (const auto& n : ignored) {
    const auto it = std::find(names.begin(), names.end(), n);
    ASSERT_NE(it, names.end()) << n;
    ignored_idx.insert(static_cast<int>(it - names.begin()));
  }
  std::ifstream model_in(dir / "cluster.json");
  ASSERT_TRUE(model_in);
  const auto model = nlohmann::json::parse(model_in);
  const auto& trees = model.at("learner").at("gradient_booster").at("model").at("trees");
  ASSERT_FALSE(trees.empty());
  int splits = 0;
  for (const auto& t : trees) {
    const auto& left = t.at("left_children");
    const auto& feature = t.at("split_indices");
    for (std::size_t k = 0; k < left.size(); ++k) {
      if (left[k].get<int>() < 0) continue;  // a leaf
      ++splits;
      EXPECT_EQ(ignored_idx.count(feature[k].get<int>()), 0u) << "split on " << names[feature[k].get<int>()];
    }
  }
  EXPECT_GT(splits, 0);
}

}  // namespace
}  // namespace calcscope
