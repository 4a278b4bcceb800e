// The learned descriptor model: file format, feature lookup, and how describe_image uses it.
#include <gtest/gtest.h>

#include <cmath>

#include "assess_fixtures.h"
#include "calcscope/assess/describe.h"
#include "calcscope/assess/descriptor_model.h"
#include "calcscope/core/error.h"

namespace calcscope {
namespace {

/// A one-tree model whose margin is `leaf` when feature `fi` < `threshold`, else `-leaf`.
nlohmann::json stump(int fi, double threshold, double leaf) {
  nlohmann::json tree = {{"left_children", {1, -1, -1}},
                         {"right_children", {2, -1, -1}},
                         {"split_indices", {fi, 0, 0}},
                         {"split_conditions", {threshold, leaf, -leaf}},
                         {"default_left", {1, 0, 0}}};
  return {{"learner",
           {{"learner_model_param", {{"base_score", "5E-1"}, {"num_feature", "46"}}},
            {"objective", {{"name", "binary:logistic"}}},
            {"gradient_booster", {{"model", {{"trees", {tree}}}}}}}}};
}

int feature(const std::string& name) {
  const auto& n = descriptor_feature_names();
  return static_cast<int>(std::find(n.begin(), n.end(), name) - n.begin());
}

/// Morphology: fine_pleomorphic when the median diameter < 0.3 mm, else round; distribution: linear
/// when the core's axis ratio < 100 (always), grouped never.
nlohmann::json toy_model() {
  const int d = feature("median_diameter_mm"), a = feature("axis_ratio");
  nlohmann::json j;
  j["format"] = "calcscope-descriptor-1";
  j["features"] = descriptor_feature_names();
  j["pixel_size_mm"] = {0.05, 0.12};
  j["morphology"]["fine_pleomorphic"] = stump(d, 0.3, 3.0);
  j["morphology"]["round"] = stump(d, 0.3, -3.0);
  j["distribution"]["linear"] = stump(a, 100, 3.0);
  j["distribution"]["grouped"] = stump(a, 100, -3.0);
  return j;
}

TEST(DescriptorModel, FeaturesFollowDottedNamesAndMissingIsNaN) {
  const nlohmann::json m = {{"count", 7}, {"benign_type_fractions", {{"round", 0.25}}}, {"extent_mm", "x"}};
  const auto f = descriptor_features(m);
  ASSERT_EQ(f.size(), descriptor_feature_names().size());
  EXPECT_EQ(f[static_cast<std::size_t>(feature("count"))], 7);
  EXPECT_EQ(f[static_cast<std::size_t>(feature("benign_type_fractions.round"))], 0.25);
  EXPECT_TRUE(std::isnan(f[static_cast<std::size_t>(feature("extent_mm"))]));
  EXPECT_TRUE(std::isnan(f[static_cast<std::size_t>(feature("axis_ratio"))]));
}

TEST(DescriptorModel, VotesAreNormalisedProbabilities) {
  const DescriptorModel m = DescriptorModel::from_json(toy_model());
  const auto small = m.morphology({{"median_diameter_mm", 0.2}});
  const auto large = m.morphology({{"median_diameter_mm", 0.6}});
  ASSERT_TRUE(small && large);
  EXPECT_EQ(small->word, "fine_pleomorphic");
  EXPECT_EQ(large->word, "round");
  EXPECT_NEAR(small->probabilities.at("fine_pleomorphic") + small->probabilities.at("round"), 1.0, 1e-9);
  EXPECT_GT(small->probability, 0.9);
}

TEST(DescriptorModel, RejectsOtherFeaturesOrFormat) {
  nlohmann::json j = toy_model();
  j["features"][0] = "something_else";
  EXPECT_THROW(DescriptorModel::from_json(j), Error);
  j = toy_model();
  j["format"] = "v0";
  EXPECT_THROW(DescriptorModel::from_json(j), Error);
  j = toy_model();
  j["morphology"]["round"]["learner"].erase("gradient_booster");
  EXPECT_THROW(DescriptorModel::from_json(j), Error);
}

AnalysisResult small_pleomorphic_group() {
  AnalysisResult r = test::empty_result();
  std::vector<Calcification> m;
  const double d[] = {0.2, 0.25, 0.18, 0.3, 0.22, 0.27};
  for (int i = 0; i < 6; ++i) m.push_back(test::calc(i + 1, 60 + 1.5 * (i % 3), 80 + 1.5 * (i / 3), d[i]));
  test::add_cluster(r, m);
  return r;
}

TEST(DescriptorModel, DescribeUsesTheModelInsideItsPixelRangeAndKeepsTheRules) {
  const DescriptorModel model = DescriptorModel::from_json(toy_model());
  const AnalysisResult r = small_pleomorphic_group();
  DescribeParams p;
  p.descriptor_model = &model;
  const ImageDescription with = describe_image(Image{}, r, p);
  ASSERT_EQ(with.clusters.size(), 1u);
  const auto& c = with.clusters[0];
  EXPECT_EQ(c.morphology, "fine_pleomorphic");
  EXPECT_EQ(c.distribution, "linear");  // the toy model's word, not the rules' "grouped"
  EXPECT_EQ(c.measurements.at("distribution_source"), "model");
  EXPECT_EQ(c.measurements.at("rule_distribution"), "grouped");
  EXPECT_TRUE(c.measurements.contains("rule_morphology"));
  EXPECT_GT(c.measurements.at("morphology_probabilities").at("fine_pleomorphic").get<double>(), 0.9);
  EXPECT_NE(c.measurements.at("distribution_reason").get<std::string>().find("rules say grouped"), std::string::npos);

  p.use_descriptor_model = false;  // rules only
  const auto rules = describe_image(Image{}, r, p);
  EXPECT_EQ(rules.clusters[0].distribution, "grouped");
  EXPECT_FALSE(rules.clusters[0].measurements.contains("distribution_source"));

  nlohmann::json narrow = toy_model();  // a model trained on other pixel sizes is not used
  narrow["pixel_size_mm"] = {0.06, 0.08};
  const DescriptorModel other = DescriptorModel::from_json(narrow);
  p.use_descriptor_model = true;
  p.descriptor_model = &other;
  EXPECT_EQ(describe_image(Image{}, r, p).clusters[0].distribution, "grouped");
}

TEST(DescriptorModel, EmbeddedModelDescribes100MicrometreImagesButNotFilm) {
  if (!DescriptorModel::embedded()) GTEST_SKIP() << "models/descriptor.json was absent at build time: rules only";
  AnalysisResult r = small_pleomorphic_group();  // 0.1 mm pixels
  EXPECT_EQ(describe_image(Image{}, r).clusters[0].measurements.at("distribution_source"), "model");
  AnalysisResult film = r;
  film.image_meta_only.pixel_size_mm = 0.2;
  EXPECT_FALSE(describe_image(Image{}, film).clusters[0].measurements.contains("distribution_source"));
}

TEST(DescriptorModel, RulesKeepTheTypicallyBenignTypesTheModelNeverSaw) {
  const DescriptorModel model = DescriptorModel::from_json(toy_model());
  AnalysisResult r = test::empty_result();
  std::vector<Calcification> m;
  for (int i = 0; i < 5; ++i) m.push_back(test::calc(i + 1, 60 + 3 * i, 80, 3.0, 1.3, 0, 0.4));  // coarse
  test::add_cluster(r, m);
  DescribeParams p;
  p.descriptor_model = &model;
  const auto d = describe_image(Image{}, r, p);
  EXPECT_EQ(d.clusters[0].benign_type, "coarse_popcorn");
  EXPECT_EQ(d.clusters[0].measurements.at("morphology_source"), "rules");
}

TEST(DescriptorModel, EmbeddedModelWhenPresentIsConsistent) {
  const DescriptorModel* m = DescriptorModel::embedded();
  if (!m) GTEST_SKIP() << "models/descriptor.json was absent at build time: rules only";
  EXPECT_LT(m->min_pixel_size_mm(), m->max_pixel_size_mm());
  // trained at 0.07 mm, used for 70-100 um digital images (measured at 0.1 mm: docs/assessment.md);
  // never for film
  EXPECT_LE(m->min_pixel_size_mm(), 0.07);
  EXPECT_GE(m->max_pixel_size_mm(), 0.1);
  EXPECT_LT(m->max_pixel_size_mm(), 0.15);
  const auto v = m->morphology(nlohmann::json::object());  // all inputs missing: still a vote
  ASSERT_TRUE(v);
  // one probability per morphology word that had training samples; the card lists the others
  // (amorphous when the detector found no amorphous cluster in the training seeds)
  const auto without = m->card().value("words_without_samples", nlohmann::json::array());
  EXPECT_EQ(v->probabilities.size() + without.size(), 6u);
  EXPECT_GE(v->probabilities.size(), 5u);
  for (const auto& w : without) EXPECT_EQ(v->probabilities.count(w.get<std::string>()), 0u) << w;
  EXPECT_TRUE(m->card().contains("training_seeds"));
}

}  // namespace
}  // namespace calcscope
