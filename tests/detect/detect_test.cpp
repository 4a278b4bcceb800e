// Unit tests of the detection stages on small synthetic images made here (no phantom dependency).
#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/detect/breast.h"
#include "calcscope/detect/calcifications.h"
#include "calcscope/detect/clusters.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/pipeline/analyze.h"
#include "detect/gbdt.h"

using namespace calcscope;

namespace {

/// A half-disc "breast" (chest wall on the left or right) of radius 60 mm on a dark background,
/// with mild noise and Gaussian bright spots of the given diameters at the given mm positions.
Image synthetic_breast(double px, bool chest_left, const std::vector<std::array<double, 3>>& spots,
                       unsigned seed = 1) {
  const double w_mm = 80, h_mm = 140;
  Image im(static_cast<int>(w_mm / px), static_cast<int>(h_mm / px), px, 0.05f);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.01f);
  const double cx_mm = chest_left ? 0 : w_mm, cy_mm = h_mm / 2, r_mm = 60;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const double d = std::hypot(x * px - cx_mm, y * px - cy_mm);
      float v = d < r_mm ? 0.45f + 0.1f * static_cast<float>(std::cos(y * px * 0.3)) : 0.05f;
      for (const auto& s : spots) {
        const double sig = s[2] / 2.355;  // FWHM = diameter
        const double dd = std::hypot(x * px - s[0], y * px - s[1]);
        v += 0.12f * static_cast<float>(std::exp(-dd * dd / (2 * sig * sig)));
      }
      im.at(x, y) = std::clamp(v + noise(rng), 0.f, 1.f);
    }
  im.info.view = "CC";
  return im;
}

/// A 0.3 mm calcification of score 0.9 at (x_mm, y_mm) on a 0.1 mm grid.
Calcification calc(int id, double x_mm, double y_mm) {
  Calcification c;
  c.id = id;
  c.x_mm = x_mm;
  c.y_mm = y_mm;
  c.x = x_mm / 0.1;
  c.y = y_mm / 0.1;
  c.diameter_mm = 0.3;
  c.score = 0.9;
  return c;
}

}  // namespace

TEST(Breast, FindsHalfDiscChestWallAndNipple) {
  for (bool left : {true, false}) {
    const Image im = synthetic_breast(0.2, left, {});
    const BreastRegion r = segment_breast(im);
    EXPECT_EQ(r.chest_wall_side, left ? -1 : +1);
    const double true_area = M_PI * 60 * 60 / 2;
    // the whole silhouette within 10 %; the detection mask is smaller (skin band removed)
    double breast_px = 0;
    for (auto v : r.breast.pixels) breast_px += v != 0;
    EXPECT_NEAR(breast_px * 0.04, true_area, 0.1 * true_area);
    EXPECT_LT(r.area_mm2, breast_px * 0.04);
    // nipple: farthest point from the chest wall, at mid height
    EXPECT_NEAR(r.nipple.y * 0.2, 70, 5);
    EXPECT_NEAR(r.nipple.x * 0.2, left ? 60 : 20, 4);
    EXPECT_FALSE(r.skin_line.empty());
  }
}

TEST(Breast, SilhouetteAndDetectionFollowTheImageWhenMirrored) {
  // The same breast with the chest wall on the left and mirrored to the right: the silhouette must
  // cover the breast in both (a shared-buffer flip once mirrored it for right-sided images only), and
  // the detector must find the same number of candidates.
  const std::vector<std::array<double, 3>> spots = {{20, 50, 0.3}, {30, 80, 0.5}, {25, 100, 0.8}};
  const Image left = synthetic_breast(0.1, true, spots, 5);
  Image right = left;
  for (int y = 0; y < left.height; ++y)
    for (int x = 0; x < left.width; ++x) right.at(x, y) = left.at(left.width - 1 - x, y);
  const BreastRegion rl = segment_breast(left), rr = segment_breast(right);
  ASSERT_EQ(rl.chest_wall_side, -1);
  ASSERT_EQ(rr.chest_wall_side, +1);
  long differ = 0, inside = 0;
  for (int y = 0; y < left.height; ++y)
    for (int x = 0; x < left.width; ++x) {
      const bool a = rl.breast.at(x, y) != 0, b = rr.breast.at(left.width - 1 - x, y) != 0;
      inside += a;
      differ += a != b;
    }
  EXPECT_LT(differ, inside / 100) << "silhouettes of mirrored images are not mirrored";
  // a point 5 mm from the chest wall at mid height is breast; 75 mm from it is not
  const int mid = left.height / 2, near_px = 50, far_px = 750;
  EXPECT_NE(rr.breast.at(right.width - 1 - near_px, mid), 0);
  EXPECT_EQ(rr.breast.at(right.width - 1 - far_px, mid), 0);
  const auto cl = detect_calcifications(left, rl), cr = detect_calcifications(right, rr);
  ASSERT_FALSE(cl.empty());
  EXPECT_NEAR(static_cast<double>(cr.size()), static_cast<double>(cl.size()), 0.05 * cl.size() + 2);
}

/// A film-like 0.2 mm image, 80 x 140 mm: a half-disc breast (radius 75 mm, grey 0.7) against the
/// chest wall at the left, touching the top and bottom borders, on 0.03, with noise of sigma 0.01.
/// `paint(xm, ym, v)` returns the noiseless grey of each pixel given the breast's (mm from top-left).
template <class Paint>
Image half_disc_film(unsigned seed, const char* view, Paint paint) {
  const double px = 0.2, w_mm = 80, h_mm = 140;
  Image im(static_cast<int>(w_mm / px), static_cast<int>(h_mm / px), px, 0.03f);
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.01f);
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const double xm = x * px, ym = y * px;
      const float v = paint(xm, ym, std::hypot(xm, ym - h_mm / 2) < 75 ? 0.7f : 0.03f);
      im.at(x, y) = std::clamp(v + noise(rng), 0.f, 1.f);
    }
  im.info.view = view;
  return im;
}

TEST(Breast, TapeBandAtTheFilmEdgeIsNotBreast) {
  // A breast (half disc, radius 75 mm) touching the top and bottom borders at the chest wall, with a
  // strip of adhesive tape (10 mm high, 78 mm long, textured grey) along the top border and a label
  // card hanging from the tape beyond the breast: digitised film has both. The tape and the card are
  // not breast; without the tape the breast keeps its rows at the border.
  const double px = 0.2, h_mm = 140;
  auto make = [&](bool tape) {
    return half_disc_film(3, "MLO", [&](double xm, double ym, float v) {
      if (tape && ym < 10 && xm < 78) v = 0.35f + 0.05f * static_cast<float>(std::sin(xm * 7) * std::cos(ym * 5));
      if (tape && xm > 68 && xm < 78 && ym >= 10 && ym < 20) v = 0.9f;  // label card below the tape
      return v;
    });
  };
  auto breast_at = [&](const BreastRegion& r, double xm, double ym) {
    return r.breast.at(static_cast<int>(xm / px), static_cast<int>(ym / px)) != 0;
  };
  const BreastRegion with = segment_breast(make(true)), without = segment_breast(make(false));
  for (double xm : {20.0, 40.0, 60.0, 75.0}) EXPECT_FALSE(breast_at(with, xm, 5)) << "tape at x = " << xm << " mm";
  EXPECT_FALSE(breast_at(with, 73, 16)) << "label card";
  EXPECT_TRUE(breast_at(with, 20, 30));
  EXPECT_TRUE(breast_at(with, 40, 70));
  EXPECT_TRUE(breast_at(without, 10, 3)) << "breast at the top border cut without any tape";
  EXPECT_TRUE(breast_at(without, 10, h_mm - 3)) << "breast at the bottom border cut without any tape";
}

TEST(Breast, DarkFilmFrameBandAtTheChestWallIsNotSearched) {
  // Digitised film (mini-MIAS mdb133-154): a black unexposed strip of the film's frame, 2.4 mm wide,
  // between the left image edge and the breast. The silhouette's blur bridges it, and the
  // black-to-tissue step reads as a column of bright specks, so the strip and 3 mm beyond it
  // (skin margin + smoothing) are not searched. Without the strip the breast is searched up to the
  // 2 mm image margin.
  const double px = 0.2, band_mm = 2.4;
  auto make = [&](bool band) {
    return half_disc_film(5, "CC", [&](double xm, double, float v) { return band && xm < band_mm ? 0.0f : v; });
  };
  auto searched = [&](const BreastRegion& r, double xm, double ym) {
    return r.mask.at(static_cast<int>(xm / px), static_cast<int>(ym / px)) != 0;
  };
  const BreastRegion with = segment_breast(make(true)), without = segment_breast(make(false));
  ASSERT_TRUE(with.breast.at(static_cast<int>(1.0 / px), static_cast<int>(70 / px)))
      << "the silhouette bridges the strip (else this test does not exercise the rule)";
  EXPECT_NEAR(with.dark_edge_bands_mm[0], band_mm, 0.21);
  EXPECT_EQ(with.dark_edge_bands_mm[1], 0.0);
  EXPECT_EQ(with.dark_edge_bands_mm[2], 0.0);
  EXPECT_EQ(with.dark_edge_bands_mm[3], 0.0);
  for (double ym : {30.0, 70.0, 110.0}) {
    EXPECT_FALSE(searched(with, band_mm + 0.2, ym)) << "the step at " << ym << " mm";
    EXPECT_FALSE(searched(with, band_mm + 2.8, ym)) << ym;
    EXPECT_TRUE(searched(with, band_mm + 3.6, ym)) << ym;
    EXPECT_TRUE(searched(without, 2.6, ym)) << "no strip: searched from the image margin on, " << ym;
  }
  for (double v : without.dark_edge_bands_mm) EXPECT_EQ(v, 0.0);
  BreastParams off;
  off.remove_dark_edge_bands = false;
  EXPECT_TRUE(searched(segment_breast(make(true), off), band_mm + 0.2, 70)) << "switched off";
}

TEST(Breast, OuterImageMarginIsNotSearched) {
  // A CC breast filling the chest-wall side from the top to the bottom border: the silhouette reaches
  // the borders, the detection mask stops image_margin_mm (2 mm) short of them; --whole-image
  // (patches) keeps everything.
  const double px = 0.2, w_mm = 80, h_mm = 140;
  Image im(static_cast<int>(w_mm / px), static_cast<int>(h_mm / px), px, 0.03f);
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) im.at(x, y) = std::hypot(x * px, y * px - h_mm / 2) < 75 ? 0.7f : 0.03f;
  im.info.view = "CC";
  const BreastRegion r = segment_breast(im);
  auto at = [&](const Mask& m, double xm, double ym) {
    return m.at(static_cast<int>(xm / px), static_cast<int>(ym / px)) != 0;
  };
  for (double ym : {0.0, 1.0, 1.8, h_mm - 1.0}) {
    EXPECT_TRUE(at(r.breast, 10, ym)) << ym;
    EXPECT_FALSE(at(r.mask, 10, ym)) << "searched " << ym << " mm from the border";
  }
  EXPECT_FALSE(at(r.mask, 1.0, 70)) << "chest-wall border";
  EXPECT_TRUE(at(r.mask, 10, 2.2));
  EXPECT_TRUE(at(r.mask, 2.2, 70));
  BreastParams whole;
  whole.whole_image = true;
  EXPECT_TRUE(at(segment_breast(im, whole).mask, 0.0, 0.0));
}

TEST(Breast, PolarityEvidenceTellsAnInvertedImage) {
  const Image im = synthetic_breast(0.2, true, {});
  Image inv = im;
  for (float& v : inv.pixels) v = 1.f - v;
  const PolarityEvidence a = polarity_evidence(im), b = polarity_evidence(inv);
  EXPECT_FALSE(a.inverted);
  EXPECT_TRUE(b.inverted);
  // the flat background covers most of the border; the tissue class is the spread one
  EXPECT_GT(a.dark_border_fraction, 0.6);
  EXPECT_GT(a.bright_spread, 2 * a.dark_spread);
  EXPECT_NEAR(b.bright_border_fraction, a.dark_border_fraction, 1e-9);
  // a crop of tissue only (no background) is never called inverted, either way round
  Image crop(150, 250, 0.2);
  for (int y = 0; y < crop.height; ++y)
    for (int x = 0; x < crop.width; ++x) crop.at(x, y) = im.at(x, y + 95);
  EXPECT_FALSE(polarity_evidence(crop).inverted);
  for (float& v : crop.pixels) v = 1.f - v;
  EXPECT_FALSE(polarity_evidence(crop).inverted);
  // too small to judge (patches): no evidence
  EXPECT_FALSE(polarity_evidence(Image(5, 5, 0.2, 0.5f)).inverted);
}

// The darker Otsu class is air when it is flat (session 23): what the segmentation histograms of phantoms,
// mini-MIAS and a crop of tissue look like.
TEST(Breast, DarkerClassIsAirOnlyWhenItIsFlat) {
  std::vector<int> air(256, 0), tissue(256, 0);
  for (int v = 0; v <= 8; ++v) air[v] = v == 3 ? 5000 : 50;          // air at 3, a little skin above it
  for (int v = 100; v <= 200; ++v) air[v] = tissue[v] = 40;          // the tissue itself
  for (int v = 60; v <= 124; ++v) tissue[v] += 60;                   // fatty tissue below the Otsu level
  EXPECT_TRUE(darker_class_is_air(air, 71, 3));
  EXPECT_FALSE(darker_class_is_air(tissue, 124, 102));
  EXPECT_TRUE(darker_class_is_air(std::vector<int>(256, 0), 0, 0));  // nothing darker: nothing to call tissue
  // a film background with the breast's dark periphery in it: spread, but near black (mini-MIAS mdb134)
  std::vector<int> film(256, 0);
  for (int v = 0; v <= 60; ++v) film[v] = 100;
  film[21] += 2000;
  EXPECT_TRUE(darker_class_is_air(film, 80, 21));
}

TEST(Breast, EmptyImageIsNotAMammogram) {
  Image im(200, 200, 0.2, 0.0f);
  try {
    segment_breast(im);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NotAMammogram);
  }
}

TEST(Calcifications, SameSpotsFoundAtEveryPixelSize) {
  // three specks (0.3, 0.5, 0.8 mm) at fixed mm positions inside the breast
  const std::vector<std::array<double, 3>> spots = {{20, 50, 0.3}, {30, 80, 0.5}, {25, 100, 0.8}};
  for (double px : {0.07, 0.1, 0.2}) {
    const Image im = synthetic_breast(px, true, spots, 3);
    const auto region = segment_breast(im);
    const auto calcs = detect_calcifications(im, region);
    for (const auto& s : spots) {
      const Calcification* best = nullptr;
      for (const auto& c : calcs)
        if (std::hypot(c.x_mm - s[0], c.y_mm - s[1]) < 0.5 && (!best || c.cnr > best->cnr)) best = &c;
      ASSERT_NE(best, nullptr) << "spot " << s[2] << " mm at " << px << " mm/px not found";
      EXPECT_GT(best->cnr, 5.0);
      EXPECT_NEAR(best->x, best->x_mm / px, 1e-6);
      // measured size follows the physical size (within the resolution of the grid)
      EXPECT_NEAR(best->diameter_mm, s[2], std::max(0.25, 1.5 * px)) << "at " << px;
      EXPECT_EQ(best->features.size(), calcification_feature_names().size());
    }
    // and few false candidates on a smooth background with mild noise
    int strong = 0;
    for (const auto& c : calcs) strong += c.cnr > 8;
    EXPECT_LE(strong, 6) << "at " << px;
  }
}

TEST(Clusters, SingleLinkageWithMinimumCount) {
  // a chain of 4 (gaps 4 mm), a pair (too few), a far singleton, and one low-score member
  std::vector<Calcification> cs = {calc(1, 10, 10), calc(2, 14, 10), calc(3, 18, 10), calc(4, 22, 10),
                                   calc(5, 60, 60), calc(6, 63, 60), calc(7, 100, 100), calc(8, 26, 10)};
  cs[7].score = 0.1;
  ClusterParams p;  // 5 mm, >= 3
  p.compact_discs_below_pixel_mm = 0;  // the 12 mm chain stays whole (1 cm^2 circles: own test)
  const auto k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].count, 4);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_NEAR(k[0].x_mm, 16, 1e-9);
  EXPECT_NEAR(k[0].extent_mm, 12, 1e-9);
  EXPECT_NEAR(k[0].radius_mm, 6 + 0.15, 1e-9);
  EXPECT_GE(k[0].outline.size(), 2u);
  EXPECT_EQ(k[0].features.size(), cluster_feature_names().size());
  auto feature = [&](const Cluster& c, const std::string& name) {
    const auto& names = cluster_feature_names();
    const auto at = std::find(names.begin(), names.end(), name);
    EXPECT_NE(at, names.end()) << name;
    return c.features.at(static_cast<std::size_t>(at - names.begin()));
  };
  EXPECT_NEAR(feature(k[0], "log_likely_count"), std::log2(5.0), 1e-9);  // 4 members >= 0.5
  EXPECT_EQ(feature(k[0], "image_likely_per_cm2"), 0.0);                  // no breast area given
  // 7 of the 8 calcifications score >= 0.5, on 2 cm^2 of breast (the density cap stays off: 60 minimum)
  const auto k2 = find_clusters(cs, 0.1, p, 200.0);
  ASSERT_EQ(k2.size(), 1u);
  EXPECT_NEAR(feature(k2[0], "image_likely_per_cm2"), 3.5, 1e-9);
  // a shorter link breaks the chain
  p.link_distance_mm = 3.5;
  EXPECT_TRUE(find_clusters(cs, 0.1, p).empty());
  // the pair becomes a cluster with min_count 2
  p.link_distance_mm = 5;
  p.min_count = 2;
  EXPECT_EQ(find_clusters(cs, 0.1, p).size(), 2u);
}

TEST(Clusters, ThreeWithinOneSquareCentimetreRule) {
  // two pairs 2 mm apart inside, 6 mm between the pairs: no 5 mm chain of 3, but all four fit a
  // 1 cm^2 circle (extent 8.2 mm)
  std::vector<Calcification> cs = {calc(1, 10, 10), calc(2, 12, 10), calc(3, 18, 10), calc(4, 18, 12)};
  ClusterParams p;
  p.compact_discs_below_pixel_mm = 0;  // the rule as it stands alone (circles: own test)
  p.compact_link_mm = 0;
  EXPECT_TRUE(find_clusters(cs, 0.1, p).empty());
  p.compact_link_mm = 7;
  auto k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3, 4}));
  // the pairs 11 mm apart (group extent 13 mm): no cluster
  for (int i : {2, 3}) cs[i].x_mm += 5, cs[i].x += 50;
  EXPECT_TRUE(find_clusters(cs, 0.1, p).empty());
  // a compact group found by the 5 mm link is not changed by the rule
  std::vector<Calcification> tight = {calc(1, 10, 10), calc(2, 13, 10), calc(3, 16, 10)};
  k = find_clusters(tight, 0.1, p);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].count, 3);
}

TEST(Clusters, SplitAtAClearGap) {
  // Two tight groups (members 1 mm apart) joined by a bridge of two strays 3.5-4 mm apart, like a
  // punctate cluster chained to a false group 13 mm away (the e2e phantom that motivated the rule).
  std::vector<Calcification> cs;
  int id = 0;
  for (double x : {40.0, 41.0, 42.0, 43.0}) cs.push_back(calc(++id, x, 10));
  for (double x : {46.5, 50.0}) cs.push_back(calc(++id, x, 10));  // the bridge
  for (double x : {54.0, 55.0, 56.0, 57.0, 58.0}) cs.push_back(calc(++id, x, 10));
  ClusterParams p;
  p.max_extent_mm = 100;  // keep the long-chain split (extent 18 mm > 15) out of this test
  p.compact_discs_below_pixel_mm = 0;  // and the 1 cm^2 circles
  p.gap_ratio = 0;
  auto k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 1u);  // one chain of 11, centred at 47.9 mm: 8 mm from the right group
  p.gap_ratio = 2.0;
  k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 2u);
  // the longest link (50 -> 54, 4 mm) is cut first: the right group is exactly the five tight members
  EXPECT_EQ(k[1].calcification_ids, (std::vector<int>{7, 8, 9, 10, 11}));
  EXPECT_NEAR(k[1].x_mm, 56, 1e-9);
  EXPECT_EQ(k[0].count, 6);  // the left group keeps its bridge: cutting it would leave a side of 2
  // evenly spaced members (no gap) are never split
  std::vector<Calcification> even;
  for (int i = 0; i < 10; ++i) even.push_back(calc(i + 1, 10 + 3.5 * i, 10));
  EXPECT_EQ(find_clusters(even, 0.1, p).size(), 1u);
  // a gap shorter than gap_min_mm is not a gap, however long relative to the median
  std::vector<Calcification> small;
  for (double x : {10.0, 10.5, 11.0, 13.5, 14.0, 14.5}) small.push_back(calc(static_cast<int>(small.size()) + 1, x, 10));
  EXPECT_EQ(find_clusters(small, 0.1, p).size(), 1u);
}

TEST(Clusters, CentreIsWeightedByMemberCertainty) {
  // three certain members (0.99) and three doubtful ones (0.55) beside them, like a true cluster
  // with false specks around it: the centre stays on the certain members
  std::vector<Calcification> cs;
  for (double x : {10.0, 11.0, 12.0}) cs.push_back(calc(static_cast<int>(cs.size()) + 1, x, 10)), cs.back().score = 0.99;
  for (double x : {14.0, 15.0, 16.0}) cs.push_back(calc(static_cast<int>(cs.size()) + 1, x, 10)), cs.back().score = 0.55;
  ClusterParams p;
  p.strong_proposal_score = 0;  // this rule alone (the strong members' own proposal: below)
  p.weighted_centre = false;
  auto k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_NEAR(k[0].x_mm, 13.0, 1e-9);
  p.weighted_centre = true;
  k = find_clusters(cs, 0.1, p);
  ASSERT_EQ(k.size(), 1u);
  // weights log(99) = 4.595 and log(0.55/0.45) = 0.201: (4.595*33 + 0.201*45) / (3*4.595 + 3*0.201) = 11.17
  EXPECT_NEAR(k[0].x_mm, 11.17, 0.01);
  EXPECT_NEAR(k[0].x, k[0].x_mm / 0.1, 1e-9);
  // the radius still reaches the farthest member's edge from that centre
  EXPECT_NEAR(k[0].radius_mm, 16.0 - k[0].x_mm + 0.15, 1e-6);
}

TEST(Clusters, CompactRuleTakesOneCm2CirclesOutOfLongGroups) {
  // five calcifications in a row 5.5 mm apart: no 5 mm link, one 7 mm group of extent 22 mm, too
  // long for a 1 cm^2 circle. The first three are certain (0.95), the last two doubtful (0.6).
  std::vector<Calcification> cs;
  for (double x : {10.0, 15.5, 21.0, 26.5, 32.0}) cs.push_back(calc(static_cast<int>(cs.size()) + 1, x, 10));
  for (int i : {3, 4}) cs[i].score = 0.6;
  ClusterParams p;
  p.strong_proposal_score = 0;  // this rule alone (the strong members' own proposal: below)
  p.compact_discs_below_pixel_mm = 0;
  EXPECT_TRUE(find_clusters(cs, 0.07, p).empty());  // the whole group is dropped
  p.compact_discs_below_pixel_mm = 0.15;
  auto k = find_clusters(cs, 0.07, p);
  // the circle (radius 5.65 mm) on the second member holds the three certain ones; the two left
  // are too few for another
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3}));
  EXPECT_LE(k[0].extent_mm, p.compact_max_extent_mm);
  // film (pixels >= 0.15 mm) keeps the rule without circles
  EXPECT_TRUE(find_clusters(cs, 0.2, p).empty());
}

TEST(Clusters, LongGroupIsTakenApartIntoOneCm2Circles) {
  // a chain of 10 members 1.5 mm apart (extent 13.5 mm: under the 15 mm re-link, no gap): four
  // certain ones (0.99) at one end, six doubtful ones (0.8) after them, like a true cluster joined
  // by a clump of false candidates whose centre lies elsewhere
  std::vector<Calcification> cs;
  for (int i = 0; i < 10; ++i) {
    cs.push_back(calc(i + 1, 10 + 1.5 * i, 10));
    cs.back().score = i < 4 ? 0.99 : 0.8;
  }
  ClusterParams p;
  p.strong_proposal_score = 0;  // this rule alone (the strong members' own proposal: below)
  p.compact_discs_below_pixel_mm = 0.15;
  p.long_group_discs = false;
  auto k = find_clusters(cs, 0.07, p);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].count, 10);
  p.long_group_discs = true;
  k = find_clusters(cs, 0.07, p);
  // the best circle is centred on the 4th member (10 + 4.5 mm): the four certain members and the
  // three doubtful ones within 5.65 mm; the last three (extent 3 mm) form a cluster by the 7 mm rule
  ASSERT_EQ(k.size(), 2u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(k[1].calcification_ids, (std::vector<int>{8, 9, 10}));
  for (const auto& c : k) EXPECT_LE(c.extent_mm, p.compact_max_extent_mm);
  EXPECT_LT(std::abs(k[0].x_mm - 12.25), std::abs(k[0].x_mm - 16.75));  // nearer the certain four
  EXPECT_EQ(find_clusters(cs, 0.2, p).size(), 1u);  // film: unchanged
}

TEST(Clusters, DensityCapPairIsCompletedByCappedNeighbours) {
  // 100 cm^2 of breast: the cap keeps the best 60 of the eligible calcifications. 100 isolated
  // candidates scoring 0.6 (20 mm apart) fill it; a certain pair (0.95) has a doubtful neighbour
  // (0.5) that the cap leaves out; three doubtful candidates (0.45) sit together elsewhere.
  std::vector<Calcification> cs;
  auto add = [&](double x, double y, double score) {
    cs.push_back(calc(static_cast<int>(cs.size()) + 1, x, y));
    cs.back().score = score;
  };
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) add(5 + 20.0 * i, 5 + 20.0 * j, 0.6);
  add(15, 15, 0.95);
  add(17, 15, 0.95);
  add(17, 18, 0.5);                                    // within 5 mm of the pair, below the cap
  add(55, 15, 0.45), add(57, 15, 0.45), add(56, 17, 0.45);  // doubtful only, below the cap
  ClusterParams p;
  p.proposal_density_factor = 0;  // the one-cap rule this switch completes (proposals: own test)
  p.complete_pairs = false;
  EXPECT_TRUE(find_clusters(cs, 0.1, p, 10000.0).empty());
  p.complete_pairs = true;
  const auto k = find_clusters(cs, 0.1, p, 10000.0);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{101, 102, 103}));
  // without the cap (no breast area) every group forms, the doubtful triple too
  EXPECT_EQ(find_clusters(cs, 0.1, p).size(), 2u);
}

TEST(Gbdt, EvaluatesXgboostJsonTrees) {
  // one stump: feature 0 < 0.5 -> leaf -1, else +2; base_score 0.5 (margin 0)
  const auto model = nlohmann::json::parse(R"({
    "learner": {
      "learner_model_param": {"base_score": "5E-1", "num_feature": "2"},
      "objective": {"name": "binary:logistic"},
      "gradient_booster": {"model": {"trees": [
        {"left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0],
         "split_conditions": [0.5, -1.0, 2.0], "default_left": [1, 0, 0]}]}}}})");
  const GbdtModel m = GbdtModel::from_xgboost_json(model);
  EXPECT_NEAR(m.predict({0.2, 0}), 1 / (1 + std::exp(1.0)), 1e-9);
  EXPECT_NEAR(m.predict({0.7, 0}), 1 / (1 + std::exp(-2.0)), 1e-9);
  EXPECT_NEAR(m.predict({NAN, 0}), 1 / (1 + std::exp(1.0)), 1e-9);  // missing goes left
  EXPECT_THROW(GbdtModel::from_xgboost_json(nlohmann::json::parse(R"({"learner": {}})")), Error);
}

TEST(Scoring, DefaultModelsScoreInUnitInterval) {
  const Image im = synthetic_breast(0.1, true, {{20, 50, 0.4}, {22, 52, 0.4}, {24, 50, 0.4}});
  auto calcs = detect_calcifications(im, segment_breast(im));
  score_calcifications(calcs, default_models());
  ASSERT_FALSE(calcs.empty());
  for (const auto& c : calcs) {
    EXPECT_GE(c.score, 0.0);
    EXPECT_LE(c.score, 1.0);
  }
  EXPECT_FALSE(models_description(default_models()).empty());
}

TEST(Scoring, DigitalAndFilmImagesUseTheirModelFamily) {
  // film (>= kFilmPixelSizeMm) always gets the general family; digital images get the digital family
  // (models/*-digital.json, committed and embedded since session 9)
  const std::string general = models_description(default_models());
  EXPECT_EQ(models_description(default_models(0.2)), general);
  EXPECT_EQ(models_description(default_models(kFilmPixelSizeMm)), general);
  const std::string digital = models_description(default_models(0.07));
  EXPECT_EQ(models_description(default_models(0.1)), digital);
  EXPECT_NE(digital, general) << "models/calcification-digital.json / cluster-digital.json were not embedded";
  EXPECT_NE(digital.find("digital"), std::string::npos) << digital;
}

TEST(Clusters, ProposalsAtThreeDensityCapsFindAClusterTheCapLeftOut) {
  // 60 certain, isolated false specks (10 mm apart, never linked) fill the density cap of a small
  // breast (cap = min_grouped = 60); a tight group of 4 doubtful members (score 0.6) lies beyond it.
  std::vector<Calcification> cs;
  int id = 0;
  for (int i = 0; i < 60; ++i) cs.push_back(calc(++id, 10.0 * (i % 8), 10.0 * (i / 8)));
  for (double x : {200.0, 201.5, 203.0, 201.0}) {
    cs.push_back(calc(++id, x, 200.0 + (x == 201.0 ? 1.5 : 0.0)));
    cs.back().score = 0.6;
  }
  ClusterParams p;
  p.proposal_density_factor = 0;  // one cap: the group loses its slots
  EXPECT_TRUE(find_clusters(cs, 0.1, p, 1000.0).empty());
  p.proposal_density_factor = 2;  // caps 30, 60 and 120: formed at the looser one
  auto k = find_clusters(cs, 0.1, p, 1000.0);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{61, 62, 63, 64}));
  // film (pixels >= proposals_below_pixel_mm) keeps one cap
  for (auto& c : cs) c.x = c.x_mm / 0.2, c.y = c.y_mm / 0.2;
  EXPECT_TRUE(find_clusters(cs, 0.2, p, 1000.0).empty());
}

TEST(Clusters, StrongMembersAloneFormTheClusterADoubtfulChainBreaks) {
  // five near-certain members (0.99) on a 12 mm line, bridged and extended by doubtful specks (0.5)
  // 2.25-2.5 mm apart: the chain is 24.5 mm long at the 5 mm and the 3 mm link, falls apart into
  // single specks at 1.8 mm, and the compact rule's 7 mm link chains them again (stress seed 4823)
  std::vector<Calcification> cs;
  int id = 0;
  for (double x : {0.0, 2.5, 5.0, 9.5, 12.0}) {
    cs.push_back(calc(++id, 50.0 + x, 50.0));
    cs.back().score = 0.99;
  }
  for (double x : {-5.0, -2.5, 7.25, 14.5, 17.0, 19.5}) {
    cs.push_back(calc(++id, 50.0 + x, 50.0));
    cs.back().score = 0.5;
  }
  ClusterParams p;
  p.strong_proposal_score = 0;  // off (sessions 11-28): no cluster at all
  EXPECT_TRUE(find_clusters(cs, 0.1, p, 1000.0).empty());
  p.strong_proposal_score = 0.9;  // the default
  const auto k = find_clusters(cs, 0.1, p, 1000.0);
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3, 4, 5}));
  // film keeps one cap and no further proposals
  auto film = cs;
  for (auto& c : film) c.x = c.x_mm / 0.2, c.y = c.y_mm / 0.2;
  EXPECT_TRUE(find_clusters(film, 0.2, p, 1000.0).empty());
}

TEST(Clusters, OverlappingProposalsKeepTheBestScoring) {
  auto cluster = [](std::vector<int> ids, double score, double x) {
    Cluster c;
    c.calcification_ids = std::move(ids);
    c.score = score;
    c.x = x;
    return c;
  };
  std::vector<Cluster> k = {cluster({1, 2, 3}, 0.5, 10), cluster({1, 2, 3, 4}, 0.9, 11),
                            cluster({7, 8, 9}, 0.2, 50), cluster({4, 5, 6}, 0.6, 12)};
  ClusterParams p;
  p.proposal_density_factor = 0;  // off: nothing happens
  suppress_overlapping_clusters(k, p);
  EXPECT_EQ(k.size(), 4u);
  p.proposal_density_factor = 2;
  suppress_overlapping_clusters(k, p);
  ASSERT_EQ(k.size(), 2u);  // {1,2,3} and {4,5,6} share members with the 0.9 one
  EXPECT_EQ(k[0].calcification_ids, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(k[0].id, 1);
  EXPECT_EQ(k[1].calcification_ids, (std::vector<int>{7, 8, 9}));  // disjoint: kept, however low
  EXPECT_EQ(k[1].id, 2);
}

TEST(Clusters, PatchContextReplacesOnlyTheTwoImageContextFeatures) {
  const auto& names = cluster_feature_names();
  Cluster c;
  for (std::size_t i = 0; i < names.size(); ++i) c.features.push_back(100.0 + static_cast<double>(i));
  std::vector<Cluster> k = {c};
  impute_patch_context(k);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "mean_dist_to_skin_mm")
      EXPECT_DOUBLE_EQ(k[0].features[i], kPatchDistToSkinMm);
    else if (names[i] == "image_likely_per_cm2")
      EXPECT_DOUBLE_EQ(k[0].features[i], kPatchLikelyPerCm2);
    else
      EXPECT_DOUBLE_EQ(k[0].features[i], 100.0 + static_cast<double>(i)) << names[i];
  }
}

TEST(Clusters, DiscountByRankDividesTheOddsPerBetterClusterOfTheImage) {
  auto cluster = [](int id, double model_score) {
    Cluster c;
    c.id = id;
    c.model_score = model_score;
    c.score = -1;  // overwritten
    return c;
  };
  // hand-computed: ranks by model score are 0.8 (k=0), 0.5 (k=1), 0.5 (k=2, later in the list), 0.2 (k=3)
  std::vector<Cluster> k = {cluster(1, 0.5), cluster(2, 0.8), cluster(3, 0.2), cluster(4, 0.5)};
  ClusterParams p;
  p.rank_logit_step = 1.0;
  p.rank_discount_from_pixel_mm = 0.15;
  discount_by_rank(k, p, 0.2);  // film
  ASSERT_EQ(k.size(), 4u);
  EXPECT_EQ(k[0].id, 1);  // order and ids unchanged
  EXPECT_EQ(k[3].id, 4);
  EXPECT_NEAR(k[1].score, 0.8, 1e-12);                                   // the best keeps its score
  EXPECT_NEAR(k[0].score, 1 / (1 + std::exp(1.0)), 1e-12);               // logit 0 - 1
  EXPECT_NEAR(k[3].score, 1 / (1 + std::exp(2.0)), 1e-12);               // logit 0 - 2
  EXPECT_NEAR(k[2].score, 1 / (1 + std::exp(std::log(4.0) + 3)), 1e-12);  // logit(0.2) = -log 4, - 3
  for (const auto& c : k) EXPECT_LE(c.score, c.model_score);
  // a confident second cluster stays confident: 0.99 behind 0.995 -> odds 99 / e = 36.4 -> 0.973
  std::vector<Cluster> two = {cluster(1, 0.99), cluster(2, 0.995)};
  discount_by_rank(two, p, 0.2);
  EXPECT_NEAR(two[0].score, 99 / std::exp(1.0) / (1 + 99 / std::exp(1.0)), 1e-9);
  // digital images (pixels < 0.15 mm) keep the model score
  discount_by_rank(k, p, 0.07);
  for (const auto& c : k) EXPECT_DOUBLE_EQ(c.score, c.model_score);
  // switched off: score = model score
  discount_by_rank(two, p, 0.2);
  EXPECT_LT(two[0].score, two[0].model_score);
  p.rank_logit_step = 0;
  discount_by_rank(two, p, 0.2);
  for (const auto& c : two) EXPECT_DOUBLE_EQ(c.score, c.model_score);
}
