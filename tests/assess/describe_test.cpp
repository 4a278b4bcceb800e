// Description rules on hand-built analysis results.
#include <gtest/gtest.h>

#include "assess_fixtures.h"
#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"

namespace calcscope {
namespace {

using test::add_cluster;
using test::calc;
using test::empty_result;

// These tests check the rules. The hand-built clusters (every member scoring 0.9, contrast-to-noise
// 10, 0.1 mm pixels) are nothing like the detector output the learned descriptor model was trained
// on, and since session 8 that model is used at 0.1 mm too, so the rules are asked for explicitly.
// The model's use is tested in descriptor_model_test.cpp, its accuracy on phantoms in phantom_eval_test.cpp.
const DescribeParams kRules = [] {
  DescribeParams p;
  p.use_descriptor_model = false;
  return p;
}();

const ClusterDescription& only_cluster(const ImageDescription& d) {
  EXPECT_EQ(d.clusters.size(), 1u);
  return d.clusters.front();
}

TEST(SizeClass, ThresholdsInMillimetres) {
  EXPECT_EQ(size_class(0.3), "micro");
  EXPECT_EQ(size_class(0.49), "micro");
  EXPECT_EQ(size_class(0.5), "intermediate");
  EXPECT_EQ(size_class(2.0), "intermediate");
  EXPECT_EQ(size_class(2.5), "macro");
}

TEST(BenignType, EachSingleCalcificationType) {
  const Image none;
  EXPECT_EQ(benign_type(calc(1, 10, 10, 3.0, 1.3, 0, 0.4), none), "coarse_popcorn");
  EXPECT_EQ(benign_type(calc(1, 10, 10, 1.4, 4.0), none), "rod_like");  // width 1.4/2 = 0.7 mm
  EXPECT_EQ(benign_type(calc(1, 10, 10, 0.8, 4.0), none), "");          // thin line: not rod-like
  EXPECT_EQ(benign_type(calc(1, 10, 10, 0.7), none), "round");
  EXPECT_EQ(benign_type(calc(1, 10, 10, 0.3), none), "punctate");
  EXPECT_EQ(benign_type(calc(1, 10, 10, 0.3, 1.2, 0, 0.5), none), "");  // irregular outline
}

TEST(BenignType, RimNeedsALucentCentreInTheImage) {
  AnalysisResult r = empty_result();
  r.calcifications.push_back(calc(1, 60, 80, 1.6));  // ring
  r.calcifications.push_back(calc(2, 60, 120, 1.6));  // solid disc
  const Image im = test::render(r, {1});
  const auto ring = rim_centre_drop(im, r.calcifications[0]);
  const auto disc = rim_centre_drop(im, r.calcifications[1]);
  ASSERT_TRUE(ring && disc);
  EXPECT_GT(*ring, 0.5);
  EXPECT_LT(*disc, 0.1);
  EXPECT_EQ(benign_type(r.calcifications[0], im), "rim");
  EXPECT_NE(benign_type(r.calcifications[1], im), "rim");
  EXPECT_FALSE(rim_centre_drop(Image{}, r.calcifications[0]));  // no pixels: not tested
}

TEST(Describe, SkinCalcificationsNearTheSkinLine) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> v;
  for (int i = 0; i < 5; ++i) {  // 1 mm inside the skin line (a half ellipse)
    const double a = -0.5 + 0.03 * i;
    v.push_back(calc(i + 1, 149 * std::cos(a), 100 + 94 * std::sin(a), 0.6, 1.2, 0, 0.1, 10, 1.2));
  }
  add_cluster(r, v);
  const ImageDescription d = describe_image(Image{}, r, kRules);
  EXPECT_EQ(d.calcifications[0].benign_type, "skin");
  EXPECT_EQ(only_cluster(d).morphology, "typically_benign");
  EXPECT_EQ(only_cluster(d).benign_type, "skin");
}

TEST(Describe, FinePleomorphicGrouped) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::pleomorphic(1, 80, 90));
  const auto d = describe_image(Image{}, r, kRules);
  const auto& c = only_cluster(d);
  EXPECT_EQ(c.morphology, "fine_pleomorphic") << c.measurements.dump();
  EXPECT_EQ(c.distribution, "grouped");
  EXPECT_GT(c.measurements["size_cv"].get<double>(), 0.3);
  EXPECT_FALSE(c.measurements["morphology_reason"].get<std::string>().empty());
  EXPECT_FALSE(c.measurements["distribution_reason"].get<std::string>().empty());
  EXPECT_NE(c.position.find("mm from the nipple"), std::string::npos);
  EXPECT_NE(c.position.find("lateral"), std::string::npos) << c.position;  // above the nipple on CC
}

TEST(Describe, FineLinearBranchingIsLinear) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::linear_branching(1, 80, 100));
  const ImageDescription d = describe_image(Image{}, r, kRules);
  const auto& c = only_cluster(d);
  EXPECT_EQ(c.morphology, "fine_linear_branching") << c.measurements.dump();
  EXPECT_EQ(c.distribution, "linear");
  EXPECT_GT(c.measurements["branching_fraction"].get<double>(), 0.0);
}

TEST(Describe, PunctateAmorphousCoarseHeterogeneous) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::punctate(1, 60, 60));
  add_cluster(r, test::amorphous(101, 60, 140));
  add_cluster(r, test::coarse_heterogeneous(201, 110, 100));
  const auto d = describe_image(Image{}, r, kRules);
  ASSERT_EQ(d.clusters.size(), 3u);
  EXPECT_EQ(d.clusters[0].morphology, "typically_benign");
  EXPECT_EQ(d.clusters[0].benign_type, "punctate");
  EXPECT_EQ(d.clusters[1].morphology, "amorphous") << d.clusters[1].measurements.dump();
  EXPECT_EQ(d.clusters[2].morphology, "coarse_heterogeneous") << d.clusters[2].measurements.dump();
}

TEST(Describe, RodLikeAndCoarseClusters) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> rods, coarse;
  for (int i = 0; i < 4; ++i) rods.push_back(calc(i + 1, 60 + 3 * i, 60 + i, 1.6, 4.5, 10, 0.2));
  for (int i = 0; i < 3; ++i) coarse.push_back(calc(i + 11, 60 + 4 * i, 140, 3.2, 1.4, 0, 0.4));
  add_cluster(r, rods);
  add_cluster(r, coarse);
  const auto d = describe_image(Image{}, r, kRules);
  EXPECT_EQ(d.clusters[0].benign_type, "rod_like");
  EXPECT_EQ(d.clusters[1].benign_type, "coarse_popcorn");
  EXPECT_EQ(d.calcifications.back().size_class, "macro");
}

// Session 21: a popcorn calcification comes out of the detector as 1-2 mm pieces with fragments
// around them, which the rules read as coarse heterogeneous (category 4): a member wider than coarse
// heterogeneous calcifications (1.2 mm) makes the description say so. Real coarse heterogeneous
// clusters (0.5-1.2 mm) and typically benign ones get no caution.
TEST(Describe, CautionWhenAMemberIsWiderThanCoarseHeterogeneous) {
  AnalysisResult r = empty_result();
  add_cluster(r, test::coarse_heterogeneous(1, 110, 100));
  std::vector<Calcification> pieces = test::coarse_heterogeneous(101, 60, 140);
  pieces.front().diameter_mm = 1.6;  // one piece of a popcorn
  add_cluster(r, pieces);
  std::vector<Calcification> coarse;
  for (int i = 0; i < 3; ++i) coarse.push_back(calc(i + 201, 60 + 4 * i, 60, 3.2, 1.4, 0, 0.4));
  add_cluster(r, coarse);
  const auto d = describe_image(Image{}, r, kRules);
  ASSERT_EQ(d.clusters.size(), 3u);
  EXPECT_EQ(d.clusters[0].morphology, "coarse_heterogeneous");
  EXPECT_TRUE(d.clusters[0].cautions.empty()) << d.clusters[0].cautions.front();
  ASSERT_EQ(d.clusters[1].cautions.size(), 1u) << d.clusters[1].morphology;
  EXPECT_NE(d.clusters[1].cautions[0].find("1.60 mm"), std::string::npos) << d.clusters[1].cautions[0];
  EXPECT_NE(d.clusters[1].cautions[0].find("popcorn"), std::string::npos);
  EXPECT_EQ(d.clusters[2].benign_type, "coarse_popcorn");
  EXPECT_TRUE(d.clusters[2].cautions.empty());  // already called benign
  EXPECT_TRUE(to_json(d.clusters[1]).at("cautions").is_array());
}

TEST(Describe, VascularTwoParallelTracks) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> v;
  for (int i = 0; i < 10; ++i) v.push_back(calc(i + 1, 50 + 2.5 * i, 90 + (i % 2 ? 1.0 : -1.0), 0.4, 2.0, 0, 0.2));
  add_cluster(r, v);
  const auto d = describe_image(Image{}, r, kRules);
  EXPECT_EQ(only_cluster(d).benign_type, "vascular") << only_cluster(d).measurements.dump();
  EXPECT_EQ(d.calcifications[0].benign_type, "vascular");
  EXPECT_NEAR(only_cluster(d).measurements["track_gap_mm"].get<double>(), 2.0, 0.3);
}

TEST(Describe, SingleLineIsNotVascular) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> v;
  const double off[] = {0.1, -0.4, 0.0, 0.3, -0.05, 0.5, -0.2, 0.02, 0.25, -0.3};
  for (int i = 0; i < 10; ++i) v.push_back(calc(i + 1, 50 + 2.0 * i, 90 + off[i], 0.3, 1.2, 0, 0.05));
  add_cluster(r, v);
  const ImageDescription d = describe_image(Image{}, r, kRules);
  const auto& c = only_cluster(d);
  EXPECT_NE(c.benign_type, "vascular");
  EXPECT_EQ(c.distribution, "linear");
}

TEST(Describe, SegmentalTrianglePointingToTheNipple) {
  AnalysisResult r = empty_result();  // nipple at (150, 100)
  std::vector<Calcification> v;
  int id = 1;
  // Apex near the nipple at x = 125, base at x = 95 about 16 mm wide.
  for (int i = 0; i < 7; ++i)
    for (int k = 0; k <= i / 2; ++k) {
      const double x = 125 - 4.5 * i, half = 1.2 * i;
      const double y = 100 + (i / 2 == 0 ? 0 : -half + 2 * half * k / (i / 2));
      v.push_back(calc(id++, x, y, 0.3, 1.5, 0, 0.3));
    }
  add_cluster(r, v);
  const ImageDescription d = describe_image(Image{}, r, kRules);
  const auto& c = only_cluster(d);
  EXPECT_EQ(c.distribution, "segmental") << c.measurements.dump();
  EXPECT_LT(c.measurements["nipple_axis_angle_deg"].get<double>(), 20);
  EXPECT_GT(c.measurements["widening"].get<double>(), 1.3);
}

TEST(Describe, RegionalLargeRoundArea) {
  AnalysisResult r = empty_result();
  std::vector<Calcification> v;
  for (int i = 0; i < 12; ++i)
    v.push_back(calc(i + 1, 80 + 12 * std::cos(i * 0.52) * (0.5 + 0.5 * (i % 2)), 100 + 12 * std::sin(i * 0.52), 0.3, 1.4, 0, 0.3));
  add_cluster(r, v);
  const ImageDescription d = describe_image(Image{}, r, kRules);
  const auto& c = only_cluster(d);
  EXPECT_EQ(c.distribution, "regional") << c.measurements.dump();
}

TEST(Describe, DiffuseWhenManyClustersScatterAcrossTheBreast) {
  AnalysisResult r = empty_result();
  const double centres[][2] = {{30, 30}, {120, 60}, {40, 170}, {110, 150}, {70, 100}};
  int id = 1;
  for (const auto& c : centres) {
    add_cluster(r, test::punctate(id, c[0], c[1]));
    id += 10;
  }
  const auto d = describe_image(Image{}, r, kRules);
  for (const auto& c : d.clusters) EXPECT_EQ(c.distribution, "diffuse");
  // The same clusters crowded into one corner are not diffuse.
  AnalysisResult near = empty_result();
  for (int i = 0; i < 5; ++i) add_cluster(near, test::punctate(100 + 10 * i, 60 + 8 * i, 90));
  for (const auto& c : describe_image(Image{}, near).clusters) EXPECT_NE(c.distribution, "diffuse");
}

TEST(Describe, PositionHalvesByView) {
  AnalysisResult cc = empty_result("L", "CC"), mlo = empty_result("L", "MLO");
  const auto below = describe_position(110 / test::kPx, 130 / test::kPx, cc);
  EXPECT_EQ(below.half, "medial");
  EXPECT_EQ(describe_position(100 / test::kPx, 70 / test::kPx, mlo).half, "upper");
  EXPECT_EQ(below.depth, "anterior");  // 40 of 150 mm from the nipple towards the chest wall
  EXPECT_NEAR(below.nipple_distance_mm, 50.0, 0.01);
}

}  // namespace
}  // namespace calcscope
