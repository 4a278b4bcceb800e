// The overlay PNG marks what a person should look at: cluster members, and single calcifications
// only when they score >= kMarkSingleCalcificationMinScore (the JSON keeps them all).
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "calcscope/pipeline/analyze.h"
#include "calcscope/report/overlay.h"
#include "test_support.h"

namespace calcscope {
namespace {

Calcification speck(int id, double x, double y, double score) {
  Calcification c;
  c.id = id;
  c.x = x;
  c.y = y;
  c.x_mm = x * 0.1;
  c.y_mm = y * 0.1;
  c.diameter_mm = 0.4;
  c.score = score;
  return c;
}

/// Marked (non-grey) pixels within 4 px of (x, y).
int marked_near(const cv::Mat& bgr, int x, int y) {
  int n = 0;
  for (int dy = -4; dy <= 4; ++dy)
    for (int dx = -4; dx <= 4; ++dx) {
      const auto p = bgr.at<cv::Vec3b>(y + dy, x + dx);
      n += !(p[0] == p[1] && p[1] == p[2]);
    }
  return n;
}

TEST(Overlay, MarksClusterMembersAndOnlyLikelySingleCalcifications) {
  Image im(400, 400, 0.1, 0.4f);
  AnalysisResult r;
  r.calcifications = {speck(1, 100, 100, 0.7), speck(2, 110, 100, 0.7), speck(3, 105, 110, 0.7),  // a cluster
                      speck(4, 300, 100, 0.95),                                                   // likely single
                      speck(5, 300, 300, 0.7)};                                                   // doubtful single
  Cluster k;
  k.id = 1;
  k.x = 105, k.y = 103;
  k.radius_mm = 1;
  k.count = 3;
  k.calcification_ids = {1, 2, 3};
  k.outline = {{100, 100}, {110, 100}, {105, 110}};
  r.clusters = {k};
  test::TempDir dir("calcscope-overlay");
  write_overlay_png(im, r, dir / "o.png");
  const cv::Mat a = cv::imread((dir / "o.png").string(), cv::IMREAD_COLOR);
  ASSERT_EQ(a.cols, 400);
  EXPECT_GT(marked_near(a, 100, 100), 0);
  EXPECT_GT(marked_near(a, 300, 100), 0);
  EXPECT_EQ(marked_near(a, 300, 300), 0);  // 0.7 outside a cluster: in the JSON, not on the image
  OverlayOptions all;
  all.single_min_score = 0;
  write_overlay_png(im, r, dir / "all.png", all);
  EXPECT_GT(marked_near(cv::imread((dir / "all.png").string(), cv::IMREAD_COLOR), 300, 300), 0);
}

// A dark film-frame band that was not searched (segment_breast) is shown, and only where it is.
TEST(Overlay, TintsADarkFilmFrameBandThatWasNotSearched) {
  Image im(400, 400, 0.1, 0.4f);
  AnalysisResult r;
  r.region.dark_edge_bands_mm = {0.0, 2.0, 0.0, 0.0};  // 2 mm = 20 px at the right edge
  test::TempDir dir("calcscope-overlay-band");
  write_overlay_png(im, r, dir / "b.png");
  const cv::Mat a = cv::imread((dir / "b.png").string(), cv::IMREAD_COLOR);
  ASSERT_EQ(a.cols, 400);
  EXPECT_GT(marked_near(a, 390, 100), 0);  // inside the band
  EXPECT_EQ(marked_near(a, 370, 100), 0);  // tissue beside it
  EXPECT_EQ(marked_near(a, 8, 100), 0);    // the other edges have no band
  r.region.dark_edge_bands_mm = {};
  write_overlay_png(im, r, dir / "none.png");
  EXPECT_EQ(marked_near(cv::imread((dir / "none.png").string(), cv::IMREAD_COLOR), 390, 100), 0);
}

}  // namespace
}  // namespace calcscope
