// check_spots: a speck present in both images is visible through the transform; one painted in a
// single image is not; spots outside the other image are not judged; bad input is an error.
#include <gtest/gtest.h>

#include "calcscope/compare/change.h"
#include "calcscope/compare/pixel_evidence.h"
#include "calcscope/core/error.h"
#include "compare_test_util.h"

namespace calcscope {
namespace {

void add_speck(Image& im, double x_mm, double y_mm, double radius_mm, float amplitude) {
  const double p = im.pixel_size_mm;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const double d = std::hypot(x * p - x_mm, y * p - y_mm);
      if (d < 3 * radius_mm) im.at(x, y) += amplitude * static_cast<float>(std::exp(-d * d / (2 * radius_mm * radius_mm)));
    }
}

TEST(PixelEvidence, SpeckInBothImagesIsVisibleAndOneSidedIsNot) {
  Image prior = test::synthetic_breast(0.1, 3);
  const SimilarityTransform t{2.0, 1.02, -3.0, 4.0};  // prior mm -> current mm
  Image current = warp_image(prior, t, prior.width, prior.height, prior.pixel_size_mm);
  test::change_contrast(current, 0.8, 0.95);  // another processing
  // four specks in both exams (drawn after warping so both are sharp), two in the current only
  const std::vector<PointPx> both_prior_mm{{40, 90}, {43, 92}, {41, 95}, {45, 96}};
  for (const auto& q : both_prior_mm) {
    add_speck(prior, q.x, q.y, 0.12, 0.08f);
    const PointPx c = t.apply(q);
    add_speck(current, c.x, c.y, 0.12, 0.08f);
  }
  const std::vector<PointPx> fresh_mm{{t.apply({50, 100})}, {t.apply({52, 103})}};
  for (const auto& c : fresh_mm) add_speck(current, c.x, c.y, 0.12, 0.08f);

  std::vector<PointPx> spots;  // current pixels
  for (const auto& q : both_prior_mm) {
    const PointPx c = t.apply(q);
    spots.push_back({c.x / 0.1, c.y / 0.1});
  }
  for (const auto& c : fresh_mm) spots.push_back({c.x / 0.1, c.y / 0.1});
  // a small residual misregistration (0.4 mm) must be absorbed by the offset search
  SimilarityTransform back = t.inverse();
  back.shift_x_mm += 0.4;
  const SpotCheck check = check_spots(current, prior, back, spots);
  ASSERT_EQ(check.spots.size(), spots.size());
  EXPECT_EQ(check.judged, 6);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_TRUE(check.spots[k].visible) << k << ": " << check.spots[k].other_cnr;
  for (std::size_t k = 4; k < 6; ++k) EXPECT_FALSE(check.spots[k].visible) << k << ": " << check.spots[k].other_cnr;
  EXPECT_NEAR(check.offset_x_mm, -0.4, 0.15);
  EXPECT_EQ(check.visible, 4);

  // the other way: every prior speck is visible now
  std::vector<PointPx> prior_spots;
  for (const auto& q : both_prior_mm) prior_spots.push_back({q.x / 0.1, q.y / 0.1});
  EXPECT_EQ(check_spots(prior, current, t, prior_spots).visible, 4);
}

TEST(PixelEvidence, OutsideTheOtherImageIsNotJudgedAndBadInputThrows) {
  Image a = test::synthetic_breast(0.2, 5);
  add_speck(a, 30, 100, 0.2, 0.1f);
  const SimilarityTransform far_away{0, 1, 500, 0};
  const SpotCheck c = check_spots(a, a, far_away, {{30 / 0.2, 100 / 0.2}});
  EXPECT_EQ(c.strong, 1);
  EXPECT_EQ(c.judged, 0);
  EXPECT_TRUE(check_spots(a, a, {}, {}).spots.empty());
  EXPECT_THROW(check_spots(a, a, {}, {{-5, 10}}), Error);
  Image no_size = a;
  no_size.pixel_size_mm = 0;
  EXPECT_THROW(check_spots(no_size, a, {}, {{10, 10}}), Error);
}


// A new cluster among texture specks: the detector's cluster holds 4 clear calcifications found in
// the current image only and 6 faint specks present in both exams. Over half of its spots are
// visible in the prior, but none of its clear ones: the cluster is new (ChangeParams::
// pixel_present_clear_cnr); counted spot by spot it would pass for present.
TEST(PixelEvidence, NewClusterAmongSpecksSeenInBothExamsIsNew) {
  Image prior = test::synthetic_breast(0.1, 3);
  Image current = prior;
  const std::vector<PointPx> clear_mm{{60, 110}, {62.5, 111}, {60.5, 113}, {63, 113.5}};
  const std::vector<PointPx> faint_mm{{58.5, 108}, {61, 108.5}, {64, 109.5}, {58, 111.5}, {61.5, 115}, {64.5, 112}};
  for (const auto& q : clear_mm) add_speck(current, q.x, q.y, 0.12, 0.08f);
  for (const auto& q : faint_mm) {
    add_speck(prior, q.x, q.y, 0.12, 0.0025f);
    add_speck(current, q.x, q.y, 0.12, 0.0025f);
  }
  std::vector<PointPx> all_px;
  for (const auto* list : {&clear_mm, &faint_mm})
    for (const auto& q : *list) all_px.push_back({q.x / 0.1, q.y / 0.1});
  // the premise: clear specks at or above the clear contrast, faint ones judged but below it
  const ChangeParams params;
  const SpotCheck pre = check_spots(current, prior, {}, all_px);
  for (std::size_t k = 0; k < all_px.size(); ++k) {
    const SpotEvidence& s = pre.spots[k];
    if (k < clear_mm.size()) {
      EXPECT_GE(s.own_cnr, params.pixel_present_clear_cnr) << k;
      EXPECT_FALSE(s.visible) << k << ": " << s.other_cnr;
    } else {
      EXPECT_GE(s.own_cnr, params.pixel_evidence.min_own_cnr) << k;
      EXPECT_LT(s.own_cnr, params.pixel_present_clear_cnr) << k;
      EXPECT_TRUE(s.visible) << k << ": " << s.own_cnr << " / " << s.other_cnr;
    }
  }

  ExamFindings now;
  now.file = "current.png", now.date = "2024-01-01", now.pixel_size_mm = 0.1;
  now.width = current.width, now.height = current.height, now.image = &current;
  Cluster cl;
  cl.id = 1, cl.score = 0.9, cl.count = static_cast<int>(all_px.size());
  for (const auto& q : all_px) cl.x += q.x / all_px.size(), cl.y += q.y / all_px.size();
  cl.x_mm = cl.x * 0.1, cl.y_mm = cl.y * 0.1;
  for (std::size_t k = 0; k < all_px.size(); ++k) {
    Calcification c;
    c.id = static_cast<int>(k) + 1;
    c.x = all_px[k].x, c.y = all_px[k].y, c.x_mm = c.x * 0.1, c.y_mm = c.y * 0.1;
    c.score = 0.9;
    now.calcifications.push_back(c);
    cl.calcification_ids.push_back(c.id);
    cl.radius_mm = std::max(cl.radius_mm, std::hypot(c.x_mm - cl.x_mm, c.y_mm - cl.y_mm) + 0.15);
  }
  now.clusters.push_back(cl);
  PriorExam then;
  then.findings.file = "prior.png", then.findings.date = "2023-01-01", then.findings.pixel_size_mm = 0.1;
  then.findings.width = prior.width, then.findings.height = prior.height, then.findings.image = &prior;

  const ChangeResult r = compare_findings(now, {then}, params);
  ASSERT_EQ(r.clusters.size(), 1u);
  EXPECT_EQ(r.clusters[0].change, "new") << r.clusters[0].reason;
  EXPECT_NE(r.clusters[0].reason.find("clear"), std::string::npos) << r.clusters[0].reason;
  ChangeParams by_count = params;
  by_count.pixel_present_clear_cnr = 0;  // off: 6 of 10 spots visible pass for present
  const ChangeResult c = compare_findings(now, {then}, by_count);
  ASSERT_EQ(c.clusters.size(), 1u);
  EXPECT_NE(c.clusters[0].change, "new") << c.clusters[0].reason;
}

}  // namespace
}  // namespace calcscope
