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

/// The image-context discount (session 17) is wired into analyze(): on film the best cluster of the
/// image keeps its model score and every other cluster scores below its own, by exactly the rank
/// rule of discount_by_rank(); on digital images score = model_score.
TEST(WorkResolution, FilmClusterScoresAreDiscountedByRankDigitalAreNot) {
  for (const double px : {0.2, 0.07}) {
    PhantomSpec spec;
    spec.pixel_size_mm = px;
    spec.width_mm = 110;
    spec.height_mm = 140;
    spec.seed = 23;
    spec.random_clusters = 3;
    AnalyzeOptions o;
    o.min_calcification_score = 0;
    o.min_cluster_score = 0;
    const AnalysisResult r = analyze(make_phantom(spec).image, o);
    ASSERT_GE(r.clusters.size(), 2u) << px;
    std::vector<const Cluster*> by_model;
    for (const auto& k : r.clusters) by_model.push_back(&k);
    std::stable_sort(by_model.begin(), by_model.end(),
                     [](const Cluster* a, const Cluster* b) { return a->model_score > b->model_score; });
    for (std::size_t k = 0; k < by_model.size(); ++k) {
      const Cluster& c = *by_model[k];
      if (px < 0.15 || k == 0) {
        EXPECT_DOUBLE_EQ(c.score, c.model_score) << px << " rank " << k;
      } else {
        const double p = std::clamp(c.model_score, 1e-9, 1 - 1e-9);
        const double expected = 1 / (1 + std::exp(-(std::log(p / (1 - p)) - static_cast<double>(k))));
        EXPECT_NEAR(c.score, expected, 1e-9) << "rank " << k;
        EXPECT_LT(c.score, c.model_score) << "rank " << k;
      }
    }
  }
}

}  // namespace
}  // namespace calcscope
