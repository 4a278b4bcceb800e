// Registration recovers known similarity transforms (synthetic breast; phantoms and MIAS in
// compare_data_test.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "calcscope/compare/register.h"
#include "calcscope/core/error.h"
#include "compare_test_util.h"

namespace calcscope {
namespace {

std::vector<PointPx> breast_points_mm() {
  std::vector<PointPx> pts;
  for (double y = 50; y <= 170; y += 20)
    for (double x = 10; x <= 80; x += 20) pts.push_back({x, y});
  return pts;
}

/// A transform specified like the phantom's (rotation/scale about the image centre), in the form
/// register_images returns (about the origin).
SimilarityTransform about_centre(double rot, double scale, double sx, double sy, double cx, double cy) {
  SimilarityTransform t{rot, scale, 0, 0};
  const PointPx c = t.apply({cx, cy});
  t.shift_x_mm = cx - c.x + sx;
  t.shift_y_mm = cy - c.y + sy;
  return t;
}

TEST(SimilarityTransform, InverseAndComposition) {
  const SimilarityTransform t{4.0, 1.03, 12.0, -7.0};
  const PointPx p{50, 80};
  const PointPx q = t.inverse().apply(t.apply(p));
  EXPECT_NEAR(q.x, p.x, 1e-9);
  EXPECT_NEAR(q.y, p.y, 1e-9);
  const SimilarityTransform id = t.after(t.inverse());
  EXPECT_NEAR(id.rotation_deg, 0, 1e-9);
  EXPECT_NEAR(id.scale, 1, 1e-9);
  EXPECT_NEAR(id.shift_x_mm, 0, 1e-9);
  // positive angle turns +x towards +y (clockwise on screen)
  const PointPx r = SimilarityTransform{90, 1, 0, 0}.apply({1, 0});
  EXPECT_NEAR(r.x, 0, 1e-12);
  EXPECT_NEAR(r.y, 1, 1e-12);
}

TEST(Registration, IdentityOnTheSameImage) {
  const Image im = test::synthetic_breast();
  const RegistrationResult r = register_images(im, im);
  EXPECT_EQ(r.method, "refined");
  EXPECT_LT(test::median_error_mm(r.transform, {}, breast_points_mm()), 0.3);
  EXPECT_GT(r.quality, 0.95);
}

struct Case {
  double rot, scale, sx, sy, gamma, gain;
};

class RegistrationRecovers : public ::testing::TestWithParam<Case> {};

TEST_P(RegistrationRecovers, KnownSimilarityWithContrastChange) {
  const Case c = GetParam();
  const Image prior = test::synthetic_breast();
  const SimilarityTransform truth = about_centre(c.rot, c.scale, c.sx, c.sy, prior.width_mm() / 2, prior.height_mm() / 2);
  Image current = warp_image(prior, truth, prior.width, prior.height, prior.pixel_size_mm);
  test::change_contrast(current, c.gamma, c.gain);
  const RegistrationResult r = register_images(prior, current);
  const double err = test::median_error_mm(r.transform, truth, breast_points_mm());
  std::printf("rot %+.1f scale %.3f shift (%+.0f, %+.0f) gamma %.2f: error %.2f mm, quality %.2f (%s)\n", c.rot,
              c.scale, c.sx, c.sy, c.gamma, err, r.quality, r.method.c_str());
  EXPECT_LE(err, 2.0);
  EXPECT_EQ(r.method, "refined");
  // the pixel form agrees with the mm form
  const PointPx px = r.prior_px_to_current_px({200, 300});
  const PointPx mm = r.transform.apply({200 * prior.pixel_size_mm, 300 * prior.pixel_size_mm});
  EXPECT_NEAR(px.x * current.pixel_size_mm, mm.x, 1e-6);
  EXPECT_NEAR(px.y * current.pixel_size_mm, mm.y, 1e-6);
  const PointPx back = r.current_px_to_prior_px(px);
  EXPECT_NEAR(back.x, 200, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Synthetic, RegistrationRecovers,
                         ::testing::Values(Case{5, 1.0, 0, 0, 1.0, 1.0}, Case{-5, 1.0, 10, -10, 1.0, 1.0},
                                           Case{3, 1.05, -15, 8, 0.7, 0.9}, Case{-4, 0.95, 12, 15, 1.4, 1.0},
                                           Case{0, 1.0, 15, 15, 0.6, 1.1}));

TEST(Registration, DifferentPixelSizes) {
  const Image prior = test::synthetic_breast(0.5);
  const Image current_src = test::synthetic_breast(0.5);
  const SimilarityTransform truth{2, 1.0, 5, -4};
  const Image current = warp_image(current_src, truth, 400, 550, 0.4);
  const RegistrationResult r = register_images(prior, current);
  EXPECT_LE(test::median_error_mm(r.transform, truth, breast_points_mm()), 2.0);
}

TEST(Registration, RejectsOtherBreastAndEmptyImages) {
  Image a = test::synthetic_breast();
  Image b = a;
  a.info.laterality = "L";
  b.info.laterality = "R";
  try {
    register_images(a, b);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
  }
  EXPECT_THROW(register_images(Image{}, a), Error);
  Image blank(200, 200, 0.5, 0.f);
  try {
    register_images(blank, blank);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotAMammogram);
  }
}

TEST(Registration, FallsBackWithWarningOnUnrelatedTexture) {
  // same outline, unrelated inside texture: refinement may still align the outline; whatever it does,
  // the result is usable (mask overlap high) and a poor match is flagged
  const Image prior = test::synthetic_breast(0.4, 1);
  const Image current = test::synthetic_breast(0.4, 99);
  const RegistrationResult r = register_images(prior, current);
  EXPECT_GT(r.mask_overlap, 0.9);
  EXPECT_LT(test::median_error_mm(r.transform, {}, breast_points_mm()), 5.0);
}

}  // namespace
}  // namespace calcscope
