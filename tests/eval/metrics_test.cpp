// FROC, AUC, bootstrap and hit rules on hand-computed cases.
#include <cmath>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"

using namespace calcscope;
using namespace calcscope::eval;

namespace {

DetectedCluster det(double x, double y, double score, std::optional<double> value = std::nullopt) {
  DetectedCluster d;
  d.x = x;
  d.y = y;
  d.score = score;
  d.value = value;
  return d;
}

TruthCluster truth_cluster(double x, double y, double radius_px, std::string severity = "") {
  TruthCluster t;
  t.x = x;
  t.y = y;
  t.radius_px = radius_px;
  t.severity = std::move(severity);
  return t;
}

EvalCase make_case(const std::string& stem, double pixel_mm, std::vector<TruthCluster> truth,
                   std::vector<DetectedCluster> detections) {
  EvalCase c;
  c.result.stem = c.truth.stem = stem;
  c.result.width = c.result.height = 1024;
  c.result.pixel_size_mm = pixel_mm;
  c.result.clusters = std::move(detections);
  c.truth.clusters = std::move(truth);
  c.truth.has_calcifications = !c.truth.clusters.empty();
  return c;
}

// The tiny made-up case (pixel size 0.2 mm, so the 5 mm minimum radius is 25 px):
//   image A: truth T1 at (100,100), radius 30 px. d1 (100,100) score 0.9 -> T1;
//            d2 (105,100) score 0.6 -> T1 again (double hit); d3 (400,400) score 0.4 -> FP.
//   image B: truth T2 at (200,300), radius 10 px (2 mm), widened to 25 px by the 5 mm minimum.
//            d4 (220,300) score 0.7 is 20 px away -> T2 (only thanks to the minimum radius).
//   image C: normal. d5 (50,50) score 0.8 -> FP.
// Sweep (3 images, 2 locatable truth clusters):
//   thr    kept             found  FP  sens  FP/image
//   none   -                0      0   0     0
//   0.9    d1               1      0   0.5   0
//   0.8    +d5              1      1   0.5   1/3
//   0.7    +d4              2      1   1.0   1/3
//   0.6    +d2 (double hit) 2      1   1.0   1/3
//   0.4    +d3              2      2   1.0   2/3
// Best sensitivity with FP/image <= 0.1 and <= 0.25: 0.5 (thr 0.9); <= 0.5, 1, 2: 1.0, first reached
// at thr 0.7 (0.6 gives no more).  Partial area over [0,2]: 0.5 on [0,1/3) and 1.0 on [1/3,2]
// = 0.5/3 + 5/3 = 11/6; normalised by 2 -> 11/12.
std::vector<EvalCase> tiny_case(double pixel_b_mm = 0.2) {
  return {make_case("A", 0.2, {truth_cluster(100, 100, 30)},
                    {det(100, 100, 0.9), det(105, 100, 0.6), det(400, 400, 0.4)}),
          make_case("B", pixel_b_mm, {truth_cluster(200, 300, 10)}, {det(220, 300, 0.7)}),
          make_case("C", 0.2, {}, {det(50, 50, 0.8)})};
}

}  // namespace

TEST(ClusterFroc, HandComputedCurve) {
  const auto curve = froc_curve(cluster_froc_units(tiny_case(), 5.0));
  ASSERT_EQ(curve.size(), 6u);
  const double thr[] = {0.9, 0.8, 0.7, 0.6, 0.4};
  const int found[] = {0, 1, 1, 2, 2, 2};
  const int fp[] = {0, 0, 1, 1, 1, 2};
  EXPECT_FALSE(curve[0].threshold.has_value());
  for (std::size_t i = 0; i < curve.size(); ++i) {
    if (i > 0) EXPECT_DOUBLE_EQ(*curve[i].threshold, thr[i - 1]);
    EXPECT_EQ(curve[i].found, found[i]) << "point " << i;
    EXPECT_EQ(curve[i].false_positives, fp[i]) << "point " << i;
    EXPECT_DOUBLE_EQ(curve[i].sensitivity, found[i] / 2.0);
    EXPECT_DOUBLE_EQ(curve[i].fp_rate, fp[i] / 3.0);
  }
}

TEST(ClusterFroc, HandComputedOperatingPointsAndArea) {
  const auto s = summarise_froc(cluster_froc_units(tiny_case(), 5.0), default_fp_rates(), {0, 1});
  const double sens[] = {0.5, 0.5, 1.0, 1.0, 1.0};
  const double thr[] = {0.9, 0.9, 0.7, 0.7, 0.7};
  ASSERT_EQ(s.operating_points.size(), 5u);
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_DOUBLE_EQ(s.operating_points[k].sensitivity, sens[k]) << "rate " << default_fp_rates()[k];
    ASSERT_TRUE(s.operating_points[k].threshold);
    EXPECT_DOUBLE_EQ(*s.operating_points[k].threshold, thr[k]);
  }
  EXPECT_DOUBLE_EQ(s.operating_points[2].fp_rate, 1.0 / 3.0);
  EXPECT_NEAR(s.partial_area, 11.0 / 12.0, 1e-12);
  EXPECT_EQ(s.targets, 2);
  EXPECT_EQ(s.detections, 5);
  EXPECT_FALSE(s.operating_points[0].ci_low);  // bootstrap switched off
}

TEST(ClusterFroc, DoubleHitCountsOnceAndIsNoFalsePositive) {
  // Two detections on the same truth cluster and one on two overlapping truth clusters.
  std::vector<EvalCase> cases = {make_case("A", 0.1, {truth_cluster(100, 100, 80), truth_cluster(200, 100, 80)},
                                           {det(100, 100, 0.9), det(102, 100, 0.8), det(150, 100, 0.7)})};
  const auto curve = froc_curve(cluster_froc_units(cases, 5.0));
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_EQ(curve[1].found, 1);
  EXPECT_EQ(curve[2].found, 1);  // second hit on the same cluster: still one found
  EXPECT_EQ(curve[3].found, 2);  // the detection between both circles finds the second one
  for (const auto& p : curve) EXPECT_EQ(p.false_positives, 0);
}

TEST(ClusterFroc, MinimumRadiusWidensSmallTruthCircles) {
  // Without a minimum radius, d4 (20 px from a 10 px truth circle) is a false positive and T2 is missed.
  const auto none = summarise_froc(cluster_froc_units(tiny_case(), 0.0), default_fp_rates(), {0, 1});
  for (const auto& op : none.operating_points) EXPECT_DOUBLE_EQ(op.sensitivity, 0.5);
  EXPECT_EQ(none.curve.back().false_positives, 3);
  // The minimum radius is converted with each image's pixel size: at 0.4 mm, 5 mm is 12.5 px < 20 px.
  const auto coarse = froc_curve(cluster_froc_units(tiny_case(0.4), 5.0));
  EXPECT_EQ(coarse.back().found, 1);
  // At 0.1 mm the minimum is 50 px and d4 hits again.
  const auto fine = froc_curve(cluster_froc_units(tiny_case(0.1), 5.0));
  EXPECT_EQ(fine.back().found, 2);
}

TEST(ClusterFroc, UnlocatableTruthIsNotATargetAndItsDetectionsAreFalsePositives) {
  auto c = make_case("N3", 0.2, {truth_cluster(0, 0, 0)}, {det(10, 10, 0.5)});
  c.truth.clusters[0].locatable = false;
  const auto units = cluster_froc_units({c}, 5.0);
  EXPECT_EQ(units[0].targets, 0);
  EXPECT_TRUE(units[0].detections[0].false_positive);
  EXPECT_TRUE(std::isnan(froc_curve(units).back().sensitivity));
}

TEST(Auc, MannWhitneyWithTiesByHand) {
  // pos {0.5, 0.8, 0.3} vs neg {0.5, 0.2}: pairs 0.5/0.5 tie = 1/2, 0.5>0.2 = 1, 0.8 beats both = 2,
  // 0.3<0.5 = 0, 0.3>0.2 = 1 -> 4.5 / 6 = 0.75.
  EXPECT_DOUBLE_EQ(auc_mann_whitney({0.5, 0.8, 0.3}, {0.5, 0.2}), 0.75);
  EXPECT_DOUBLE_EQ(auc_mann_whitney({1, 1}, {1, 1, 1}), 0.5);  // all tied
  EXPECT_DOUBLE_EQ(auc_mann_whitney({0.9}, {0.1, 0.2}), 1.0);
  EXPECT_DOUBLE_EQ(auc_mann_whitney({0.0}, {0.1, 0.2}), 0.0);
  EXPECT_TRUE(std::isnan(auc_mann_whitney({}, {0.1})));
}

TEST(Auc, ImageLevelUsesMaxClusterScoreAndZeroWithoutClusters) {
  // Positives A (max 0.9) and B (0.7); negative C (0.8): 0.9 > 0.8 = 1, 0.7 < 0.8 = 0 -> 0.5.
  auto cases = tiny_case();
  EXPECT_DOUBLE_EQ(image_level_auc(cases, {0, 1}).auc, 0.5);
  // A negative image with no cluster scores 0 and so ranks below both positives.
  cases.push_back(make_case("D", 0.2, {}, {}));
  const auto level = image_level_auc(cases, {0, 1});
  EXPECT_EQ(level.positives, 2);
  EXPECT_EQ(level.negatives, 2);
  EXPECT_DOUBLE_EQ(level.auc, 0.75);  // (1 + 0 + 1 + 1) / 4
}

TEST(Bootstrap, SeededIntervalsAreReproducibleAndBracketTheEstimate) {
  std::vector<EvalCase> cases = tiny_case();
  for (int i = 0; i < 6; ++i) {
    auto more = tiny_case();
    for (auto& c : more) cases.push_back(c);
  }
  const auto units = cluster_froc_units(cases, 5.0);
  const auto a = froc_bootstrap(units, default_fp_rates(), {500, 7});
  const auto b = froc_bootstrap(units, default_fp_rates(), {500, 7});
  const auto s = summarise_froc(units, default_fp_rates(), {500, 7});
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_TRUE(a[k].first && a[k].second);
    EXPECT_EQ(*a[k].first, *b[k].first);
    EXPECT_EQ(*a[k].second, *b[k].second);
    EXPECT_LE(*a[k].first, s.operating_points[k].sensitivity);
    EXPECT_GE(*a[k].second, s.operating_points[k].sensitivity);
    EXPECT_GE(*a[k].first, 0.0);
    EXPECT_LE(*a[k].second, 1.0);
  }
  // At 0.1 FP/image the sensitivity depends on which images are drawn: the interval is not a point.
  EXPECT_LT(*a[0].first, *a[0].second);
}

TEST(Bootstrap, IdenticalImagesGiveAZeroWidthInterval) {
  std::vector<EvalCase> cases;
  for (int i = 0; i < 5; ++i)
    cases.push_back(make_case("A" + std::to_string(i), 0.2, {truth_cluster(100, 100, 30)},
                              {det(100, 100, 0.9), det(500, 500, 0.95)}));
  const auto ci = froc_bootstrap(cluster_froc_units(cases, 5.0), {0.5, 1.0}, {200, 3});
  EXPECT_DOUBLE_EQ(*ci[0].first, 0.0);  // 1 FP per image > 0.5: nothing may be kept
  EXPECT_DOUBLE_EQ(*ci[0].second, 0.0);
  EXPECT_DOUBLE_EQ(*ci[1].first, 1.0);
  EXPECT_DOUBLE_EQ(*ci[1].second, 1.0);
}

TEST(Severity, UsesTheHighestScoringDetectionOnEachTruthCluster) {
  std::vector<EvalCase> cases = {
      make_case("M", 0.2, {truth_cluster(100, 100, 20, "M")}, {det(100, 100, 0.9, 0.8)}),
      make_case("B", 0.2, {truth_cluster(100, 100, 20, "B"), truth_cluster(600, 600, 20, "B")},
                {det(100, 100, 0.9, 0.3), det(101, 100, 0.2, 0.95), det(800, 800, 0.9, 0.99)})};
  const auto s = severity_auc(cases, 5.0, "malignancy");
  EXPECT_EQ(s.malignant, 1);
  EXPECT_EQ(s.benign, 1);
  EXPECT_EQ(s.unmatched, 1);  // the second benign cluster has no detection
  EXPECT_DOUBLE_EQ(s.auc, 1.0);  // 0.8 vs 0.3; the low-score 0.95 and the far 0.99 are ignored
}

TEST(CalcificationLevel, HitRuleCompactAndElongated) {
  TruthCalcification round;
  round.x = 100;
  round.y = 100;
  round.diameter_mm = 0.4;  // tolerance max(0.2 + 0.25, 0.5) = 0.5 mm = 5 px at 0.1 mm
  EXPECT_TRUE(calcification_hit(104.9, 100, round, 0.1));
  EXPECT_FALSE(calcification_hit(105.1, 100, round, 0.1));
  round.diameter_mm = 1.0;  // tolerance 0.75 mm
  EXPECT_TRUE(calcification_hit(107.4, 100, round, 0.1));
  EXPECT_FALSE(calcification_hit(107.6, 100, round, 0.1));

  TruthCalcification rod;
  rod.x = 300;
  rod.y = 300;
  rod.diameter_mm = 0.2;
  rod.length_mm = 2.0;  // axis from x 291 to 309 px; tolerance 0.5 mm = 5 px
  rod.angle_deg = 90;   // vertical: axis from y 291 to 309
  EXPECT_TRUE(calcification_hit(303, 308, rod, 0.1));
  EXPECT_FALSE(calcification_hit(308, 300, rod, 0.1));
  rod.angle_deg.reset();  // unknown orientation: disc of radius 1.0 + 0.25 mm
  EXPECT_TRUE(calcification_hit(308, 300, rod, 0.1));
  EXPECT_FALSE(calcification_hit(313, 300, rod, 0.1));
}

namespace {

// Made-up phantom image: pixel 0.1 mm, breast 200 mm^2 = 2 cm^2.
//   truth c1 (100,100) d 0.4 mm; c2 (200,100) d 0.15 mm (below the 0.2 mm size cut: not counted);
//   c3 (300,300) rod d 0.2 mm, length 2 mm, angle 0 -> axis x 291..309, tolerance 0.5 mm = 5 px.
//   e1 (103,100) 0.9 -> c1;  e2 (200,101) 0.8 -> c2 (no target, no FP);  e4 (100,106) 0.6 -> 0.6 mm
//   from c1: FP;  e3 (308,303) 0.55 -> 0.3 mm from c3's axis: c3;  e5 (300,310) 0.5 -> 1.0 mm from
//   the axis: FP.
// Sweep (2 targets, 2 cm^2):
//   thr 0.9: 1 found, 0 FP;  0.8: same;  0.6: 1 found, 1 FP (0.5/cm^2);  0.55: 2 found, 1 FP;
//   0.5: 2 found, 2 FP (1/cm^2).
// Sensitivity at <= 0.1 and 0.25 FP/cm^2: 0.5 (thr 0.9); at 0.5, 1, 2: 1.0 (thr 0.55).
DetectedCalcification dc(double x, double y, double score) {
  DetectedCalcification d;
  d.x = x;
  d.y = y;
  d.score = score;
  return d;
}

EvalCase calcification_case(bool with_angle) {
  EvalCase c;
  c.result.stem = c.truth.stem = "P";
  c.result.width = c.result.height = 1000;
  c.result.pixel_size_mm = 0.1;
  c.result.breast_area_mm2 = 200;
  c.truth.has_calcification_truth = true;
  const auto tc = [](double x, double y, double d, double len = 0) {
    TruthCalcification t;
    t.x = x;
    t.y = y;
    t.diameter_mm = d;
    t.length_mm = len;
    return t;
  };
  c.truth.calcifications = {tc(100, 100, 0.4), tc(200, 100, 0.15), tc(300, 300, 0.2, 2.0)};
  if (with_angle) c.truth.calcifications[2].angle_deg = 0;
  c.result.calcifications = {dc(103, 100, 0.9), dc(200, 101, 0.8), dc(100, 106, 0.6), dc(308, 303, 0.55),
                             dc(300, 310, 0.5)};
  return c;
}

}  // namespace

TEST(CalcificationLevel, HandComputedFrocPerSquareCentimetre) {
  const auto s = summarise_froc(calcification_froc_units({calcification_case(true)}, 0.2), default_fp_rates(), {0, 1});
  EXPECT_EQ(s.targets, 2);
  EXPECT_DOUBLE_EQ(s.exposure, 2.0);
  const double sens[] = {0.5, 0.5, 1.0, 1.0, 1.0};
  const double thr[] = {0.9, 0.9, 0.55, 0.55, 0.55};
  for (std::size_t k = 0; k < 5; ++k) {
    EXPECT_DOUBLE_EQ(s.operating_points[k].sensitivity, sens[k]);
    EXPECT_DOUBLE_EQ(*s.operating_points[k].threshold, thr[k]);
  }
  EXPECT_EQ(s.curve.back().false_positives, 2);
  EXPECT_DOUBLE_EQ(s.curve.back().fp_rate, 1.0);
}

TEST(CalcificationLevel, SizeCutAndOrientation) {
  // Counting every size: c2 becomes a target, found by e2 at 0.8.
  const auto all = froc_curve(calcification_froc_units({calcification_case(true)}, 0.0));
  EXPECT_EQ(all.back().found, 3);
  EXPECT_DOUBLE_EQ(all.back().sensitivity, 1.0);
  // Unknown rod orientation: e5 (1.0 mm from the centre) lies within 1.0 + 0.25 mm and is no longer an FP.
  const auto disc = froc_curve(calcification_froc_units({calcification_case(false)}, 0.2));
  EXPECT_EQ(disc.back().false_positives, 1);
}

TEST(CalcificationLevel, MissingBreastAreaIsAnError) {
  auto c = calcification_case(true);
  c.result.breast_area_mm2 = 0;
  try {
    calcification_froc_units({c}, 0.2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
  }
}

TEST(Evaluate, ReportCountsAndJson) {
  auto cases = tiny_case();
  cases[1].truth.clusters.push_back(truth_cluster(0, 0, 0));
  cases[1].truth.clusters.back().locatable = false;
  EvalOptions opt;
  opt.bootstrap.resamples = 50;
  const auto r = evaluate(cases, TruthKind::Mias, opt);
  EXPECT_EQ(r.images, 3);
  EXPECT_EQ(r.images_with_calcifications, 2);
  EXPECT_EQ(r.truth_clusters, 3);
  EXPECT_EQ(r.locatable_truth_clusters, 2);
  EXPECT_FALSE(r.calcifications);
  EXPECT_FALSE(r.severity);
  const auto j = report_to_json(r);
  EXPECT_EQ(j.at("schema_version"), kEvalSchemaVersion);
  EXPECT_DOUBLE_EQ(j.at("cluster_froc").at("operating_points").at(2).at("sensitivity").get<double>(), 1.0);
  EXPECT_TRUE(j.at("cluster_froc").at("curve").at(0).at("threshold").is_null());
  const std::string text = format_report(r);
  EXPECT_NE(text.find("FP/image"), std::string::npos);
  EXPECT_NE(text.find("*NOTE 3*"), std::string::npos);
}

// Phantom truth with morphology words and per-calcification sizes (pixel size 0.1 mm):
//   P "1" punctate at (100,100), 5 members of 0.3 mm          -> eligible (5 of >= 0.2 mm)
//   M "2" amorphous at (600,600), 2 of 0.3 mm and 3 of 0.15 mm -> not eligible
//   detections: dM (600,600) 0.9 hits M; dF (900,100) 0.7 false; dP (100,100) 0.5 hits P.
// All clusters: thr 0.9 -> 1/2, 0 FP; 0.7 -> 1/2, 1 FP; 0.5 -> 2/2, 1 FP (one image).
//   FP/image <= 0.1, 0.25, 0.5: 0.5 at thr 0.9; <= 1, 2: 1.0 at thr 0.5.
//   found by morphology at those thresholds: amorphous 1 1 1 1 1, punctate 0 0 0 1 1.
// Eligible only (P): dM is neither a hit nor a false positive: thr 0.9 -> 0/1, 0 FP; 0.7 -> 0/1,
//   1 FP; 0.5 -> 1/1, 1 FP. FP/image <= 0.1-0.5: 0; <= 1, 2: 1.0 at thr 0.5.
TEST(Evaluate, EligibleClustersAndFoundByMorphologyByHand) {
  EvalCase c = make_case("A", 0.1, {truth_cluster(100, 100, 30), truth_cluster(600, 600, 30)},
                         {det(600, 600, 0.9), det(900, 100, 0.7), det(100, 100, 0.5)});
  c.truth.clusters[0].id = "1";
  c.truth.clusters[0].morphology = "punctate";
  c.truth.clusters[1].id = "2";
  c.truth.clusters[1].morphology = "amorphous";
  c.truth.has_calcification_truth = true;
  c.result.breast_area_mm2 = 10000;
  for (int k = 0; k < 5; ++k) {
    TruthCalcification p;
    p.id = "p" + std::to_string(k);
    p.x = 95 + 2 * k, p.y = 100, p.diameter_mm = 0.3, p.cluster_id = "1";
    c.truth.calcifications.push_back(p);
    TruthCalcification m = p;
    m.id = "m" + std::to_string(k);
    m.x = 595 + 2 * k, m.y = 600, m.diameter_mm = k < 2 ? 0.3 : 0.15, m.cluster_id = "2";
    c.truth.calcifications.push_back(m);
  }
  EXPECT_EQ(cluster_members_at_least(c.truth, 0, 0.2), 5);
  EXPECT_EQ(cluster_members_at_least(c.truth, 1, 0.2), 2);
  EvalOptions opt;
  opt.bootstrap.resamples = 0;
  const auto r = evaluate({c}, TruthKind::Phantom, opt);
  const double all_sens[] = {0.5, 0.5, 0.5, 1.0, 1.0};
  for (std::size_t k = 0; k < 5; ++k) EXPECT_DOUBLE_EQ(r.clusters.operating_points[k].sensitivity, all_sens[k]) << k;
  ASSERT_EQ(r.clusters_by_morphology.size(), 2u);  // sorted by word
  EXPECT_EQ(r.clusters_by_morphology[0].group, "amorphous");
  EXPECT_EQ(r.clusters_by_morphology[0].clusters, 1);
  EXPECT_EQ(r.clusters_by_morphology[0].found, (std::vector<int>{1, 1, 1, 1, 1}));
  EXPECT_EQ(r.clusters_by_morphology[1].group, "punctate");
  EXPECT_EQ(r.clusters_by_morphology[1].found, (std::vector<int>{0, 0, 0, 1, 1}));
  ASSERT_TRUE(r.eligible_clusters);
  EXPECT_EQ(r.eligible_clusters->targets, 1);
  const double eligible_sens[] = {0, 0, 0, 1.0, 1.0};
  for (std::size_t k = 0; k < 5; ++k)
    EXPECT_DOUBLE_EQ(r.eligible_clusters->operating_points[k].sensitivity, eligible_sens[k]) << k;
  EXPECT_DOUBLE_EQ(*r.eligible_clusters->operating_points[3].threshold, 0.5);
  EXPECT_DOUBLE_EQ(r.eligible_clusters->operating_points[3].fp_rate, 1.0);  // dF only: dM is no false positive
  const auto j = report_to_json(r);
  EXPECT_EQ(j.at("cluster_froc_eligible").at("truth_objects"), 1);
  EXPECT_EQ(j.at("cluster_froc_eligible").at("min_members"), 5);
  EXPECT_EQ(j.at("clusters_found_by_morphology").at(1).at("found").at(3), 1);
  const std::string text = format_report(r);
  EXPECT_NE(text.find("eligible clusters only"), std::string::npos);
  EXPECT_NE(text.find("amorphous"), std::string::npos);
  // MIAS truth has neither
  const auto m = evaluate(tiny_case(), TruthKind::Mias, opt);
  EXPECT_FALSE(m.eligible_clusters);
  EXPECT_TRUE(m.clusters_by_morphology.empty());
}

// Calcifications found by morphology (pixel 0.1 mm, 1 cm^2 of breast, so FP/cm^2 = false positives):
//   truth punctate p1 (100,100) and p2 (200,100) of 0.3 mm; amorphous a1 (300,100) and a2 (400,100) of
//   0.25 mm, a3 (500,100) of 0.15 mm (under 0.2 mm: not counted).
//   detections: p1 0.9, false 0.8, p2 0.4, a1 0.3, false 0.2; a2 and a3 none.
// FROC over the 4 counted: FP <= 0.1, 0.25, 0.5 -> threshold 0.9 (1 FP would be 0.8); <= 1 -> 0.3
// (false 0.8 only); <= 2 -> 0.2. Punctate found 1 1 1 2 2, candidates 2; amorphous 0 0 0 1 1, candidates 1.
TEST(Evaluate, CalcificationsFoundByMorphologyByHand) {
  EvalCase c = make_case("A", 0.1, {}, {});
  c.truth.has_calcification_truth = true;
  c.result.breast_area_mm2 = 100;
  const auto tc = [](double x, double d, const std::string& word) {
    TruthCalcification t;
    t.id = std::to_string(static_cast<int>(x));
    t.x = x;
    t.y = 100;
    t.diameter_mm = d;
    t.morphology = word;
    return t;
  };
  c.truth.calcifications = {tc(100, 0.3, "punctate"), tc(200, 0.3, "punctate"), tc(300, 0.25, "amorphous"),
                            tc(400, 0.25, "amorphous"), tc(500, 0.15, "amorphous")};
  c.result.calcifications = {dc(100, 100, 0.9), dc(700, 700, 0.8), dc(200, 100, 0.4), dc(300, 100, 0.3),
                             dc(800, 800, 0.2)};
  EvalOptions opt;
  opt.bootstrap.resamples = 0;
  const auto r = evaluate({c}, TruthKind::Phantom, opt);
  ASSERT_TRUE(r.calcifications);
  EXPECT_EQ(r.calcifications->targets, 4);
  ASSERT_EQ(r.calcifications_by_morphology.size(), 2u);  // sorted by word
  const auto& a = r.calcifications_by_morphology[0];
  const auto& p = r.calcifications_by_morphology[1];
  EXPECT_EQ(a.group, "amorphous");
  EXPECT_EQ(a.calcifications, 2);
  EXPECT_EQ(a.found, (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(a.candidates, 1);
  EXPECT_EQ(p.group, "punctate");
  EXPECT_EQ(p.found, (std::vector<int>{1, 1, 1, 2, 2}));
  EXPECT_EQ(p.candidates, 2);
  const auto j = report_to_json(r);
  EXPECT_EQ(j.at("calcifications_found_by_morphology").at(0).at("candidates"), 1);
  EXPECT_NE(format_report(r).find("a candidate at any score"), std::string::npos);
}
