// Film (pixels >= 0.15 mm) is searched at a 0.1 mm working resolution; candidates come back on the
// input's pixel grid.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "calcscope/detect/breast.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {
namespace {

TEST(WorkResolution, FilmIsSearchedAtTheWorkingPixelSizeDigitalAsIs) {
  EXPECT_DOUBLE_EQ(detection_pixel_size_mm(0.2), kFilmWorkPixelSizeMm);
  EXPECT_DOUBLE_EQ(detection_pixel_size_mm(0.15), kFilmWorkPixelSizeMm);
  EXPECT_DOUBLE_EQ(detection_pixel_size_mm(0.1), 0.1);
  EXPECT_DOUBLE_EQ(detection_pixel_size_mm(0.07), 0.07);
}

/// A 200 um phantom: every inserted calcification >= 0.3 mm has a candidate within 0.4 mm, and the
/// candidates' pixel and millimetre positions agree on the input's 0.2 mm grid.
TEST(WorkResolution, FilmCandidatesComeBackOnTheInputGrid) {
  PhantomSpec spec;
  spec.pixel_size_mm = 0.2;
  spec.width_mm = 120;
  spec.height_mm = 150;
  spec.seed = 11;
  PhantomClusterSpec cs;
  cs.morphology = Morphology::Punctate;
  cs.count = 8;
  cs.mean_diameter_mm = 0.5;
  cs.contrast = 2.0;
  spec.clusters = {cs};
  const Phantom ph = make_phantom(spec);
  const BreastRegion region = segment_breast(ph.image);
  const auto calcs = detect_calcifications_for_analysis(ph.image, region);
  ASSERT_FALSE(calcs.empty());
  for (const auto& c : calcs) {
    EXPECT_NEAR(c.x_mm, c.x * 0.2, 1e-9);
    EXPECT_NEAR(c.y_mm, c.y * 0.2, 1e-9);
    EXPECT_GE(c.x, -0.5);
    EXPECT_LT(c.x, ph.image.width);
    EXPECT_GE(c.y, -0.5);
    EXPECT_LT(c.y, ph.image.height);
    EXPECT_NEAR(c.area_px * 0.04, c.area_mm2, 1e-9);
  }
  int truth = 0, found = 0;
  for (const auto& t : ph.calcifications) {
    if (t.cluster_id == 0 || t.diameter_mm < 0.3) continue;
    ++truth;
    const bool hit = std::any_of(calcs.begin(), calcs.end(), [&](const Calcification& c) {
      return std::hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) <= 0.4;
    });
    found += hit;
  }
  ASSERT_GT(truth, 3);
  EXPECT_GE(found, truth - 1) << found << " of " << truth << " inserted calcifications have a candidate";
}

}  // namespace
}  // namespace calcscope
