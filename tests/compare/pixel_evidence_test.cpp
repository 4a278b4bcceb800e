// check_spots: a speck present in both images is visible through the transform; one painted in a
// single image is not; spots outside the other image are not judged; bad input is an error.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace calcscope
