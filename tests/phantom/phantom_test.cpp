// Phantom generator: determinism, truth consistency, physical scaling, texture spectrum, views.
#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/phantom/phantom.h"

namespace calcscope {
namespace {

PhantomSpec small_spec(std::uint64_t seed = 5) {
  PhantomSpec s;
  s.width_mm = 120;
  s.height_mm = 150;
  s.pixel_size_mm = 0.2;
  s.seed = seed;
  s.random_clusters = 2;
  s.scattered_benign = 3;
  return s;
}

TEST(Phantom, SameSeedSamePixelsDifferentSeedDifferentPixels) {
  const Phantom a = make_phantom(small_spec(5));
  const Phantom b = make_phantom(small_spec(5));
  const Phantom c = make_phantom(small_spec(6));
  ASSERT_EQ(a.image.width, 600);
  ASSERT_EQ(a.image.height, 750);
  EXPECT_EQ(a.image.pixels, b.image.pixels);
  EXPECT_EQ(phantom_truth_to_json(a), phantom_truth_to_json(b));
  ASSERT_EQ(a.image.pixels.size(), c.image.pixels.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.image.pixels.size(); ++i) differ += a.image.pixels[i] != c.image.pixels[i];
  EXPECT_GT(differ, a.image.pixels.size() / 10);
}

TEST(Phantom, ValuesInRangeBackgroundDarkBreastBright) {
  const Phantom p = make_phantom(small_spec());
  double in = 0, out = 0;
  std::size_t n_in = 0, n_out = 0;
  for (int y = 0; y < p.image.height; ++y)
    for (int x = 0; x < p.image.width; ++x) {
      const float v = p.image.at(x, y);
      ASSERT_GE(v, 0.f);
      ASSERT_LE(v, 1.f);
      if (p.breast.at(x, y)) in += v, ++n_in;
      else out += v, ++n_out;
    }
  ASSERT_GT(n_in, 0u);
  ASSERT_GT(n_out, 0u);
  EXPECT_LT(out / n_out, 0.06);  // dark background (with a small bright label)
  EXPECT_GT(in / n_in, 0.25);
}

TEST(Phantom, TruthIsConsistentWithTheSpec) {
  PhantomSpec s = small_spec(9);
  s.random_clusters = 1;
  PhantomClusterSpec c;
  c.morphology = Morphology::FinePleomorphic;
  c.distribution = Distribution::Grouped;
  c.count = 9;
  c.mean_diameter_mm = 0.3;
  c.extent_mm = 8;
  c.x_mm = 40;
  c.y_mm = 75;
  s.clusters.push_back(c);
  PhantomClusterSpec l = c;
  l.morphology = Morphology::FineLinearBranching;
  l.distribution = Distribution::Linear;
  l.count = 6;
  l.x_mm = 45;
  l.y_mm = 45;
  l.extent_mm = 12;
  s.clusters.push_back(l);
  const Phantom p = make_phantom(s);
  ASSERT_EQ(p.clusters.size(), 3u);
  std::map<int, const PhantomCalcification*> by_id;
  for (const auto& k : p.calcifications) {
    by_id[k.id] = &k;
    const int x = static_cast<int>(std::lround(k.x)), y = static_cast<int>(std::lround(k.y));
    ASSERT_GE(x, 0);
    ASSERT_GE(y, 0);
    ASSERT_LT(x, p.image.width);
    ASSERT_LT(y, p.image.height);
    EXPECT_TRUE(p.breast.inside(x, y)) << "calcification " << k.id << " outside the breast";
    EXPECT_NEAR(k.x_mm, k.x * s.pixel_size_mm, 1e-9);
    EXPECT_GT(k.diameter_mm, 0);
  }
  EXPECT_EQ(by_id.size(), p.calcifications.size());  // unique ids
  const auto& g = p.clusters[0];
  EXPECT_EQ(g.morphology, Morphology::FinePleomorphic);
  EXPECT_EQ(g.calcification_ids.size(), 9u);
  EXPECT_NEAR(g.x_mm, 40, 1e-6);
  EXPECT_NEAR(g.y_mm, 75, 1e-6);
  EXPECT_LE(g.radius_mm, 4.0 + 0.6);
  for (int id : g.calcification_ids) {
    const auto* k = by_id.at(id);
    EXPECT_EQ(k->cluster_id, g.id);
    EXPECT_EQ(k->morphology, Morphology::FinePleomorphic);
    EXPECT_LE(std::hypot(k->x_mm - 40, k->y_mm - 75), 4.0 + 1e-6);
    EXPECT_LE(k->diameter_mm, 0.5 + 1e-9);
  }
  const auto& lin = p.clusters[1];
  EXPECT_EQ(lin.calcification_ids.size(), 6u);
  for (int id : lin.calcification_ids) EXPECT_LE(std::hypot(by_id.at(id)->x_mm - 45, by_id.at(id)->y_mm - 45), 6.0 + 1e-6);
  // every calcification belongs to exactly the cluster that lists it
  std::size_t in_clusters = 0;
  for (const auto& cl : p.clusters) in_clusters += cl.calcification_ids.size();
  std::size_t isolated = 0;
  for (const auto& k : p.calcifications) isolated += k.cluster_id == 0;
  EXPECT_EQ(in_clusters + isolated, p.calcifications.size());
  EXPECT_EQ(isolated, 3u);
}

TEST(Phantom, RandomClustersDoNotOverlapAndStayAwayFromTheSkin) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    PhantomSpec s = small_spec(seed);
    s.random_clusters = 3;
    s.view = seed == 2 ? "MLO" : "CC";
    const Phantom p = make_phantom(s);
    std::vector<const PhantomCluster*> local;
    for (const auto& c : p.clusters)
      if (c.distribution != Distribution::Diffuse) local.push_back(&c);
    for (std::size_t i = 0; i < local.size(); ++i)
      for (std::size_t j = i + 1; j < local.size(); ++j)
        EXPECT_GT(std::hypot(local[i]->x_mm - local[j]->x_mm, local[i]->y_mm - local[j]->y_mm),
                  local[i]->radius_mm + local[j]->radius_mm - 2.0)
            << "seed " << seed;
  }
}

TEST(Phantom, LateralityPutsTheChestWallOnTheRightEdge) {
  PhantomSpec s = small_spec();
  s.laterality = "L";
  const Phantom l = make_phantom(s);
  s.laterality = "R";
  const Phantom r = make_phantom(s);
  auto column_fill = [](const Mask& m, int x) {
    int n = 0;
    for (int y = 0; y < m.height; ++y) n += m.at(x, y) != 0;
    return n;
  };
  const int W = l.breast.width;
  // L: breast attached to the left edge and pointing right; R: the mirror image
  EXPECT_GT(column_fill(l.breast, 0), l.breast.height / 3);
  EXPECT_EQ(column_fill(l.breast, W - 1), 0);
  EXPECT_GT(column_fill(r.breast, W - 1), r.breast.height / 3);
  EXPECT_EQ(column_fill(r.breast, 0), 0);
  EXPECT_EQ(r.image.info.laterality, "R");
  // same scene, mirrored: cluster positions mirror about the image width
  ASSERT_EQ(l.clusters.size(), r.clusters.size());
  for (std::size_t i = 0; i < l.clusters.size(); ++i) {
    if (l.clusters[i].distribution == Distribution::Diffuse) continue;
    EXPECT_NEAR(l.clusters[i].x_mm, s.width_mm - r.clusters[i].x_mm, 1e-6);
    EXPECT_NEAR(l.clusters[i].y_mm, r.clusters[i].y_mm, 1e-6);
  }
}

double region_mean(const Image& im, double x0_mm, double y0_mm, double size_mm) {
  const int x0 = static_cast<int>(x0_mm / im.pixel_size_mm), y0 = static_cast<int>(y0_mm / im.pixel_size_mm);
  const int n = static_cast<int>(size_mm / im.pixel_size_mm);
  double s = 0;
  for (int y = y0; y < y0 + n; ++y)
    for (int x = x0; x < x0 + n; ++x) s += im.at(x, y);
  return s / (n * n);
}

TEST(Phantom, MloHasABrightPectoralInTheChestWallTopCorner) {
  PhantomSpec s = small_spec(4);
  s.random_clusters = 0;
  s.scattered_benign = 0;
  s.view = "MLO";
  const Phantom mlo = make_phantom(s);
  s.view = "CC";
  const Phantom cc = make_phantom(s);
  EXPECT_EQ(mlo.image.info.view, "MLO");
  // MLO: breast tissue reaches the top edge at the chest wall, and the corner is muscle (bright)
  const double corner = region_mean(mlo.image, 1, 1, 8);
  const double body = region_mean(mlo.image, 30, 90, 8);
  EXPECT_GT(corner, body + 0.1) << "pectoral " << corner << " vs breast " << body;
  EXPECT_GT(corner, 0.6);
  // CC: the top-left corner is background
  EXPECT_LT(region_mean(cc.image, 1, 1, 8), 0.05);
}

// ---- physical scaling ----

/// Integrated signal of the calcifications alone (grey value x mm^2 within r_mm of each centre):
/// the same phantom rendered with calcification contrast 1 and 0.01 (noise off), subtracted.
std::vector<double> calcification_signals(PhantomSpec s, std::size_t cluster, double r_mm) {
  s.noise = 0;
  const Phantom with = make_phantom(s);
  for (auto& c : s.clusters) c.contrast = 0.01;
  const Phantom without = make_phantom(s);
  const double px = with.image.pixel_size_mm;
  std::vector<double> out;
  for (int id : with.clusters.at(cluster).calcification_ids) {
    const auto& k = with.calcifications[static_cast<std::size_t>(id - 1)];
    double sum = 0;
    const int R = static_cast<int>(std::ceil(r_mm / px)) + 1;
    const int cx = static_cast<int>(std::lround(k.x)), cy = static_cast<int>(std::lround(k.y));
    for (int y = cy - R; y <= cy + R; ++y)
      for (int x = cx - R; x <= cx + R; ++x)
        if (std::hypot(x - k.x, y - k.y) * px <= r_mm) sum += with.image.at(x, y) - without.image.at(x, y);
    out.push_back(sum * px * px);
  }
  return out;
}

TEST(Phantom, SameSpecAtSeventyAndTwoHundredMicronsMatchesPhysically) {
  PhantomSpec s;
  s.width_mm = 100;
  s.height_mm = 120;
  s.seed = 21;
  s.random_clusters = 1;
  PhantomClusterSpec c;
  c.morphology = Morphology::Punctate;
  c.count = 6;
  c.mean_diameter_mm = 0.3;
  c.extent_mm = 16;
  c.x_mm = 35;
  c.y_mm = 60;
  s.clusters.push_back(c);
  s.pixel_size_mm = 0.07;
  const Phantom fine = make_phantom(s);
  s.pixel_size_mm = 0.2;
  const Phantom coarse = make_phantom(s);
  ASSERT_EQ(fine.clusters.size(), coarse.clusters.size());
  for (std::size_t i = 0; i < fine.clusters.size(); ++i) {
    EXPECT_NEAR(fine.clusters[i].x_mm, coarse.clusters[i].x_mm, 0.05);
    EXPECT_NEAR(fine.clusters[i].y_mm, coarse.clusters[i].y_mm, 0.05);
    EXPECT_EQ(fine.clusters[i].calcification_ids.size(), coarse.clusters[i].calcification_ids.size());
  }
  ASSERT_EQ(fine.calcifications.size(), coarse.calcifications.size());
  for (std::size_t i = 0; i < fine.calcifications.size(); ++i) {
    EXPECT_NEAR(fine.calcifications[i].x_mm, coarse.calcifications[i].x_mm, 0.05);
    EXPECT_NEAR(fine.calcifications[i].y_mm, coarse.calcifications[i].y_mm, 0.05);
    EXPECT_NEAR(fine.calcifications[i].diameter_mm, coarse.calcifications[i].diameter_mm, 1e-9);
  }
  s.pixel_size_mm = 0.07;
  const auto a = calcification_signals(s, 0, 0.8);
  s.pixel_size_mm = 0.2;
  const auto b = calcification_signals(s, 0, 0.8);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_GT(a[i], 0.0);
    const double ratio = a[i] / b[i];
    EXPECT_GT(ratio, 0.8) << "calcification " << i;
    EXPECT_LT(ratio, 1.25) << "calcification " << i;
  }
}

TEST(Phantom, CalcificationContrastGrowsWithSizeAndTheContrastFactor) {
  PhantomSpec s = small_spec(3);
  s.random_clusters = 0;
  s.scattered_benign = 0;
  s.pixel_size_mm = 0.1;
  PhantomClusterSpec c;
  c.morphology = Morphology::Punctate;
  c.count = 5;
  c.extent_mm = 10;
  c.mean_diameter_mm = 0.2;
  c.x_mm = 30;
  c.y_mm = 50;
  s.clusters.push_back(c);
  c.morphology = Morphology::Round;
  c.mean_diameter_mm = 0.8;
  c.y_mm = 100;
  s.clusters.push_back(c);
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  const double small = mean(calcification_signals(s, 0, 1.0));
  const double big = mean(calcification_signals(s, 1, 1.0));
  EXPECT_GT(small, 0.0);
  EXPECT_GT(big, 10 * small);  // roughly volume: (0.8 / 0.2)^3
  s.clusters[0].contrast = 2.0;
  const double doubled = mean(calcification_signals(s, 0, 1.0));
  EXPECT_GT(doubled / small, 1.5);  // linear in attenuation, compressed a little by the display shoulder
  EXPECT_LT(doubled / small, 2.2);
}

// ---- texture ----

/// Slope of the radially averaged power spectrum (log-log) of an n x n block, between f_lo and f_hi cycles/mm.
double spectrum_slope(const Image& im, int x0, int y0, int n, double f_lo, double f_hi) {
  using cd = std::complex<double>;
  std::vector<double> block(static_cast<std::size_t>(n * n));
  double mean = 0;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) mean += block[static_cast<std::size_t>(y * n + x)] = im.at(x0 + x, y0 + y);
  mean /= n * n;
  const double pi = 3.14159265358979323846;
  std::vector<cd> f(static_cast<std::size_t>(n * n));
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double w = (0.5 - 0.5 * std::cos(2 * pi * (x + 0.5) / n)) * (0.5 - 0.5 * std::cos(2 * pi * (y + 0.5) / n));
      f[static_cast<std::size_t>(y * n + x)] = (block[static_cast<std::size_t>(y * n + x)] - mean) * w;
    }
  std::vector<cd> tw(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) tw[static_cast<std::size_t>(k)] = std::polar(1.0, -2 * pi * k / n);
  auto dft_lines = [&](bool rows) {
    std::vector<cd> in(static_cast<std::size_t>(n)), out(static_cast<std::size_t>(n));
    for (int l = 0; l < n; ++l) {
      for (int i = 0; i < n; ++i) in[static_cast<std::size_t>(i)] = f[static_cast<std::size_t>(rows ? l * n + i : i * n + l)];
      for (int k = 0; k < n; ++k) {
        cd acc = 0;
        for (int i = 0; i < n; ++i) acc += in[static_cast<std::size_t>(i)] * tw[static_cast<std::size_t>((k * i) % n)];
        out[static_cast<std::size_t>(k)] = acc;
      }
      for (int k = 0; k < n; ++k) f[static_cast<std::size_t>(rows ? l * n + k : k * n + l)] = out[static_cast<std::size_t>(k)];
    }
  };
  dft_lines(true);
  dft_lines(false);
  const double df = 1.0 / (n * im.pixel_size_mm);
  std::map<int, std::pair<double, int>> bins;  // log-spaced bins
  for (int ky = -n / 2; ky < n / 2; ++ky)
    for (int kx = -n / 2; kx < n / 2; ++kx) {
      const double fr = std::hypot(kx, ky) * df;
      if (fr < f_lo || fr > f_hi) continue;
      const int b = static_cast<int>(std::floor(std::log(fr) / 0.15));
      const cd v = f[static_cast<std::size_t>(((ky + n) % n) * n + (kx + n) % n)];
      bins[b].first += std::norm(v);
      bins[b].second += 1;
    }
  std::vector<double> lx, ly;
  for (const auto& [b, v] : bins) {
    lx.push_back((b + 0.5) * 0.15);
    ly.push_back(std::log(v.first / v.second));
  }
  const double mx = std::accumulate(lx.begin(), lx.end(), 0.0) / lx.size();
  const double my = std::accumulate(ly.begin(), ly.end(), 0.0) / ly.size();
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < lx.size(); ++i) sxy += (lx[i] - mx) * (ly[i] - my), sxx += (lx[i] - mx) * (lx[i] - mx);
  return sxy / sxx;
}

TEST(Phantom, TextureHasAPowerLawSpectrumWithTheRequestedExponent) {
  for (double beta : {2.2, 3.0, 3.6}) {
    PhantomSpec s;
    s.width_mm = 180;
    s.height_mm = 230;
    s.pixel_size_mm = 0.2;
    s.seed = 33;
    s.noise = 0;
    s.texture_beta = beta;
    const Phantom p = make_phantom(s);
    // a 25.6 mm tissue block well inside the breast (chest wall on the left, nipple near mid-height)
    const int n = 128;
    const int x0 = static_cast<int>(32 / 0.2), y0 = static_cast<int>((230 / 2.0 - 12.8) / 0.2);
    for (int y = y0; y < y0 + n; ++y)
      for (int x = x0; x < x0 + n; ++x) ASSERT_TRUE(p.breast.at(x, y));
    const double slope = spectrum_slope(p.image, x0, y0, n, 0.08, 1.0);
    EXPECT_NEAR(-slope, beta, 0.7) << "beta " << beta;
  }
}

// The clustered lumpy background (a second texture model, for robustness checks): deterministic,
// a different tissue from the power-law field of the same seed, and the same breast and truth.
TEST(Phantom, LumpyTextureIsDeterministicAndDiffersFromThePowerLawField) {
  PhantomSpec s = small_spec(41);
  s.noise = 0;
  PhantomSpec l = s;
  l.texture = "lumpy";
  const Phantom a = make_phantom(l), b = make_phantom(l), p = make_phantom(s);
  ASSERT_EQ(a.image.width, p.image.width);
  EXPECT_EQ(a.image.pixels, b.image.pixels);
  EXPECT_EQ(a.breast.pixels, p.breast.pixels);
  ASSERT_EQ(a.calcifications.size(), p.calcifications.size());
  for (std::size_t i = 0; i < a.calcifications.size(); ++i) EXPECT_DOUBLE_EQ(a.calcifications[i].x_mm, p.calcifications[i].x_mm);
  // tissue differs: correlation of the two renderings over the breast well below 1
  double sa = 0, sp = 0, saa = 0, spp = 0, sap = 0, n = 0;
  for (int y = 0; y < a.image.height; ++y)
    for (int x = 0; x < a.image.width; ++x) {
      if (!a.breast.at(x, y)) continue;
      const double u = a.image.at(x, y), v = p.image.at(x, y);
      sa += u, sp += v, saa += u * u, spp += v * v, sap += u * v, n += 1;
    }
  ASSERT_GT(n, 1000);
  const double cov = sap / n - sa / n * sp / n;
  const double corr = cov / std::sqrt((saa / n - sa / n * sa / n) * (spp / n - sp / n * sp / n));
  EXPECT_LT(corr, 0.9);  // both share the breast's thickness profile, not the tissue
  // the lumpy tissue still varies: not a flat breast
  double lo = 1, hi = 0;
  for (int y = a.image.height / 3; y < 2 * a.image.height / 3; ++y) {
    const int x = a.image.width / 4;
    if (!a.breast.at(x, y)) continue;
    lo = std::min<double>(lo, a.image.at(x, y));
    hi = std::max<double>(hi, a.image.at(x, y));
  }
  EXPECT_GT(hi - lo, 0.05);
  l.texture = "cloudy";
  EXPECT_THROW(make_phantom(l), Error);
}

// ---- truth JSON ----

TEST(PhantomTruth, JsonRoundTripAndFormat) {
  const Phantom p = make_phantom(small_spec(12));
  const nlohmann::json j = phantom_truth_to_json(p);
  EXPECT_EQ(j.at("kind"), "calcscope-phantom-truth");
  EXPECT_EQ(j.at("schema_version"), "1.0.0");
  EXPECT_EQ(j.at("seed"), 12u);
  EXPECT_EQ(j.at("image").at("width"), 600);
  EXPECT_EQ(j.at("image").at("laterality"), "L");
  ASSERT_FALSE(j.at("clusters").empty());
  const auto& c0 = j.at("clusters")[0];
  for (const char* key : {"id", "x", "y", "x_mm", "y_mm", "radius_mm", "count", "morphology", "distribution",
                          "calcification_ids", "change", "prior_cluster_id"})
    EXPECT_TRUE(c0.contains(key)) << key;
  EXPECT_EQ(c0.at("count").get<std::size_t>(), c0.at("calcification_ids").size());
  const auto& k0 = j.at("calcifications")[0];
  for (const char* key : {"id", "x", "y", "x_mm", "y_mm", "diameter_mm", "length_mm", "morphology", "cluster_id"})
    EXPECT_TRUE(k0.contains(key)) << key;
  EXPECT_FALSE(j.contains("transform"));
  const Phantom back = phantom_truth_from_json(j);
  EXPECT_TRUE(back.image.pixels.empty());
  EXPECT_EQ(phantom_truth_to_json(back), j);
}

TEST(PhantomTruth, RejectsMalformedTruth) {
  nlohmann::json j = phantom_truth_to_json(make_phantom(small_spec()));
  nlohmann::json wrong_kind = j;
  wrong_kind["kind"] = "something-else";
  EXPECT_THROW(phantom_truth_from_json(wrong_kind), Error);
  nlohmann::json no_clusters = j;
  no_clusters.erase("clusters");
  EXPECT_THROW(phantom_truth_from_json(no_clusters), Error);
  nlohmann::json bad_morph = j;
  bad_morph["calcifications"][0]["morphology"] = "banana";
  try {
    phantom_truth_from_json(bad_morph);
    FAIL() << "accepted an unknown morphology";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
  }
}

TEST(PhantomVocabulary, NamesRoundTripAndClusterSpecParses) {
  for (auto m : {Morphology::Punctate, Morphology::Round, Morphology::Amorphous, Morphology::CoarseHeterogeneous,
                 Morphology::FinePleomorphic, Morphology::FineLinearBranching, Morphology::CoarsePopcorn,
                 Morphology::RodLike, Morphology::Rim, Morphology::Vascular, Morphology::Skin})
    EXPECT_EQ(parse_morphology(to_string(m)), m);
  for (auto d : {Distribution::Grouped, Distribution::Linear, Distribution::Segmental, Distribution::Regional,
                 Distribution::Diffuse})
    EXPECT_EQ(parse_distribution(to_string(d)), d);
  EXPECT_EQ(to_string(Morphology::FineLinearBranching), "fine_linear_branching");
  EXPECT_EQ(parse_morphology("Fine-Linear-Branching"), Morphology::FineLinearBranching);
  const auto c = parse_cluster_spec("morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.3,extent=8,x=60,y=100");
  EXPECT_EQ(c.morphology, Morphology::FinePleomorphic);
  EXPECT_EQ(c.count, 8);
  EXPECT_DOUBLE_EQ(c.mean_diameter_mm, 0.3);
  EXPECT_DOUBLE_EQ(c.x_mm, 60);
  EXPECT_DOUBLE_EQ(c.y_mm, 100);
  EXPECT_THROW(parse_cluster_spec("count=abc"), Error);
  EXPECT_THROW(parse_cluster_spec("colour=red"), Error);
  EXPECT_THROW(parse_cluster_spec("x=10"), Error);
  EXPECT_THROW(parse_morphology("banana"), Error);
}

TEST(Phantom, BadSpecsAreUsageErrors) {
  PhantomSpec s = small_spec();
  s.pixel_size_mm = 0;
  EXPECT_THROW(make_phantom(s), Error);
  s = small_spec();
  s.laterality = "X";
  EXPECT_THROW(make_phantom(s), Error);
  s = small_spec();
  PhantomClusterSpec c;
  c.x_mm = 115;  // far beyond the nipple, in the background
  c.y_mm = 5;
  s.clusters.push_back(c);
  try {
    make_phantom(s);
    FAIL() << "accepted a cluster outside the breast";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
}

TEST(Phantom, EveryMorphologyAndDistributionRenders) {
  const std::vector<std::pair<Morphology, Distribution>> cases = {
      {Morphology::Amorphous, Distribution::Grouped},       {Morphology::CoarseHeterogeneous, Distribution::Grouped},
      {Morphology::FineLinearBranching, Distribution::Segmental}, {Morphology::CoarsePopcorn, Distribution::Regional},
      {Morphology::RodLike, Distribution::Segmental},        {Morphology::Rim, Distribution::Regional},
      {Morphology::Vascular, Distribution::Linear},          {Morphology::Skin, Distribution::Grouped},
      {Morphology::Round, Distribution::Diffuse}};
  for (const auto& [m, d] : cases) {
    PhantomSpec s = small_spec(8);
    s.random_clusters = 0;
    s.scattered_benign = 0;
    PhantomClusterSpec c;
    c.morphology = m;
    c.distribution = d;
    c.count = 5;
    c.mean_diameter_mm = 0.3;  // clamped to the morphology's size range
    s.clusters.push_back(c);
    const Phantom p = make_phantom(s);
    ASSERT_EQ(p.clusters.size(), 1u) << to_string(m);
    EXPECT_EQ(p.clusters[0].calcification_ids.size(), 5u) << to_string(m);
    double lo = 1e9, hi = 0;
    for (const auto& k : p.calcifications) lo = std::min(lo, k.diameter_mm), hi = std::max(hi, k.diameter_mm);
    if (m == Morphology::CoarsePopcorn) EXPECT_GE(lo, 2.0);
    if (m == Morphology::Amorphous) EXPECT_LE(hi, 0.25 + 1e-9);
    if (m == Morphology::RodLike) EXPECT_GE(lo, 0.5);
    if (d == Distribution::Segmental || d == Distribution::Regional) EXPECT_GT(p.clusters[0].radius_mm, 5.0);
  }
}

}  // namespace
}  // namespace calcscope
