// Comparison on data with a known answer: phantom time series (registration error, change-label
// confusion matrix: Done-when 1) and real MIAS images (a warped copy of itself -> every cluster
// stable; a prior with one cluster smoothed away -> that cluster new: Done-when 2).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <random>
#include <sstream>

#include "calcscope/compare/compare.h"
#include "calcscope/compare/pixel_evidence.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/report/json_output.h"
#include "compare_test_util.h"
#include "test_support.h"

namespace calcscope {
namespace {

SimilarityTransform from_phantom(const PhantomTransform& t) {
  SimilarityTransform s{t.rotation_deg, t.scale, 0, 0};
  const PointPx c = s.apply({t.centre_x_mm, t.centre_y_mm});
  s.shift_x_mm = t.centre_x_mm - c.x + t.shift_x_mm;
  s.shift_y_mm = t.centre_y_mm - c.y + t.shift_y_mm;
  return s;
}

double median(std::vector<double> v) {
  if (v.empty()) return 1e9;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---- phantom time series -------------------------------------------------------------------

/// Confusion matrix and registration errors over a phantom time series.
struct SeriesResult {
  std::map<std::string, std::map<std::string, int>> confusion;  // truth -> predicted
  std::vector<double> reg_errors;
  int correct = 0, judged = 0, undetected = 0, merged = 0, pairs = 0;
  double accuracy() const { return judged ? static_cast<double>(correct) / judged : 0; }
};

/// Debug aid (CALCSCOPE_SERIES_DIAG=1): the true members of a cluster looked up in the other
/// exam's pixels, with the detector's best score near each (own/other CNR, "v" = visible, "-" = not
/// judged, score of a detected calcification within 0.3 mm or "." when none scored >= 0.3).
void print_member_evidence(const char* what, const Phantom& own, const Phantom& other, const SimilarityTransform& own_to_other,
                           const PhantomCluster& cl, const AnalysisResult& detected) {
  std::vector<PointPx> pts;
  for (int id : cl.calcification_ids)
    for (const auto& c : own.calcifications)
      if (c.id == id) pts.push_back({c.x, c.y});
  const SpotCheck sc = check_spots(own.image, other.image, own_to_other, pts);
  std::printf("    %s (%zu true members, %d judged, %d visible in the other exam):", what, pts.size(), sc.judged, sc.visible);
  for (const auto& s : sc.spots) {
    double best = -1;
    for (const auto& d : detected.calcifications)
      if (std::hypot(d.x - s.own_px.x, d.y - s.own_px.y) * own.image.pixel_size_mm < 0.3) best = std::max(best, d.score);
    char det[16];
    if (best >= 0.3) std::snprintf(det, sizeof det, "%.2f", best); else std::snprintf(det, sizeof det, ".");
    std::printf(" %.1f/%.1f%s%s", s.own_cnr, s.other_cnr, s.judged ? (s.visible ? "v" : "") : "-", det);
  }
  std::printf("\n");
}

/// `pairs` prior/current phantom pairs with seeds first_seed.. and random positioning changes
/// (rotation +-5 deg, shift +-15 mm, scale +-5 %, gain 0.8-1.2) drawn from a generator seeded with
/// first_seed. Each pair: 5 current clusters (1 new, 1 increased, 1 decreased, 2 stable) + 1 resolved.
SeriesResult run_phantom_series(int first_seed, int pairs, const CompareOptions& options = {}) {
  SeriesResult res;
  res.pairs = pairs;
  std::mt19937 rng(static_cast<unsigned>(first_seed));
  std::uniform_real_distribution<double> u(-1, 1);
  const bool diag = std::getenv("CALCSCOPE_SERIES_DIAG") != nullptr;
  for (int k = 0; k < pairs; ++k) {
    PhantomSpec spec;
    spec.pixel_size_mm = 0.1;
    spec.seed = static_cast<std::uint64_t>(first_seed + k);
    spec.laterality = k % 2 ? "R" : "L";
    spec.view = k % 3 == 2 ? "MLO" : "CC";
    for (int c = 0; c < 5; ++c) {
      PhantomClusterSpec cs;
      cs.count = 12;
      cs.contrast = 1.6;
      cs.morphology = c % 2 ? Morphology::Punctate : Morphology::FinePleomorphic;
      spec.clusters.push_back(cs);
    }
    PhantomChangeSpec change;
    change.rotation_deg = 5 * u(rng);
    change.shift_x_mm = 15 * u(rng);
    change.shift_y_mm = 15 * u(rng);
    change.scale = 1 + 0.05 * u(rng);
    change.contrast_gain = 1 + 0.2 * u(rng);
    change.add_clusters = change.remove_clusters = change.grow_clusters = change.shrink_clusters = 1;
    if (const char* only = std::getenv("CALCSCOPE_SERIES_ONLY"))  // debug aid: "117,125" = only these seeds
      if (("," + std::string(only) + ",").find("," + std::to_string(first_seed + k) + ",") == std::string::npos) continue;
    const auto [prior, current] = make_phantom_pair(spec, change);
    EXPECT_TRUE(current.transform.has_value());
    if (!current.transform) continue;
    const SimilarityTransform truth = from_phantom(*current.transform);

    const CompareRun run = compare_exams({&current.image, "current.png", "2024-03-01"},
                                         {{&prior.image, "prior.png", "2023-02-20"}}, options);
    // registration error at the true cluster centres of the prior
    std::vector<double> errs;
    for (const auto& c : prior.clusters) {
      const PointPx est = run.registrations[0].transform.apply({c.x_mm, c.y_mm});
      const PointPx tru = truth.apply({c.x_mm, c.y_mm});
      errs.push_back(std::hypot(est.x - tru.x, est.y - tru.y));
    }
    res.reg_errors.insert(res.reg_errors.end(), errs.begin(), errs.end());
    std::printf("pair %d (seed %d): rot %+.1f shift (%+.1f, %+.1f) scale %.3f gain %.2f -> median error %.2f mm, quality %.2f\n",
                k, first_seed + k, change.rotation_deg, change.shift_x_mm, change.shift_y_mm, change.scale,
                change.contrast_gain, median(errs), run.registrations[0].quality);

    // each true cluster: the label of the reported cluster at its place
    const double px = current.image.pixel_size_mm;
    std::vector<PointPx> truth_centres_mm;  // every true cluster of the pair, in current mm
    for (const auto& c : current.clusters) truth_centres_mm.push_back({c.x * px, c.y * px});
    for (const auto& c : prior.clusters)
      if (c.change == "resolved") truth_centres_mm.push_back(truth.apply({c.x_mm, c.y_mm}));
    auto label_at = [&](double x_mm, double y_mm, bool resolved, double radius_mm) -> std::string {
      const ClusterChange* best = nullptr;
      double best_d = 1e9;
      for (const auto& c : run.change.clusters) {
        if ((c.change == "resolved") != resolved) continue;
        const double d = std::hypot(c.x_mm - x_mm, c.y_mm - y_mm);
        if (d < std::max(5.0, radius_mm + 3) && d < best_d) best_d = d, best = &c;
      }
      if (best && diag) std::printf("  [%s]", best->reason.c_str());
      if (best)
        std::printf("  at (%.0f, %.0f) mm: %s, %d now / %d then (%d/%d clusters, region %d / %d), extent %.1f / %.1f mm\n",
                    x_mm, y_mm, best->change.c_str(), best->count_now, best->count_then, best->group_clusters_now,
                    best->group_clusters_then, best->region_count_now, best->region_count_then, best->extent_mm_now,
                    best->extent_mm_then);
      if (!best) return "not_detected";
      // a detected cluster that covers several true clusters (the detector merged neighbours) cannot
      // be judged per true cluster: counted apart as "merged"
      const double reach = std::max(best->extent_mm_now, best->extent_mm_then) / 2 + 2;
      int covered = 0;
      for (const auto& t : truth_centres_mm)
        if (std::hypot(t.x - best->x_mm, t.y - best->y_mm) <= reach) ++covered;
      return covered > 1 ? "merged" : best->change;
    };
    auto tally = [&](const std::string& truth_label, const std::string& got) {
      ++res.confusion[truth_label][got];
      if (got == "not_detected" || got == "outside_prior") {
        std::printf(got == "not_detected" ? " not detected\n" : " outside the prior image: not comparable\n");
        ++res.undetected;
      } else if (got == "merged") {
        ++res.merged;
      } else {
        ++res.judged;
        res.correct += got == truth_label;
      }
    };
    for (const auto& c : current.clusters) {
      std::printf("  truth %s (%zu members now)", c.change.c_str(), c.calcification_ids.size());
      // a cluster that was there before but lies outside the prior image (the positioning change
      // moved it out of the field of view) cannot be compared: no method can see it in the prior
      bool in_prior_field = c.change == "new";
      for (const auto& pc : prior.clusters)
        if (c.prior_cluster_id != 0 && pc.id == c.prior_cluster_id)
          in_prior_field = pc.x >= 0 && pc.y >= 0 && pc.x < prior.image.width && pc.y < prior.image.height;
      const std::string got = in_prior_field ? label_at(c.x * px, c.y * px, false, c.radius_mm) : "outside_prior";
      tally(c.change, got);
      if (diag && got != c.change) {
        std::printf("    TRUTH");
        for (const auto& q : current.calcifications)
          if (std::hypot(q.x_mm - c.x * px, q.y_mm - c.y * px) < 12) std::printf(" c%d(%.1f,%.1f)", q.cluster_id, q.x_mm, q.y_mm);
        for (const auto& q : prior.calcifications) {
          const PointPx m = truth.apply({q.x_mm, q.y_mm});
          if (std::hypot(m.x - c.x * px, m.y - c.y * px) < 12) std::printf(" p%d(%.1f,%.1f)", q.cluster_id, m.x, m.y);
        }
        std::printf("\n");
        print_member_evidence("now", current, prior, run.registrations[0].transform.inverse(), c, run.current_analysis);
        for (const auto& pc : prior.clusters)
          if (pc.id == c.prior_cluster_id && c.prior_cluster_id != 0)
            print_member_evidence("then", prior, current, run.registrations[0].transform, pc, run.prior_analyses[0]);
      }
    }
    for (const auto& c : prior.clusters) {
      if (c.change != "resolved") continue;
      const PointPx m = truth.apply({c.x_mm, c.y_mm});
      // a resolved cluster that was never detected on the prior cannot be called resolved
      bool seen_then = false;
      for (const auto& d : run.prior_analyses[0].clusters)
        if (d.score >= run.report_min_cluster_score && std::hypot(d.x_mm - c.x_mm, d.y_mm - c.y_mm) < c.radius_mm + 3)
          seen_then = true;
      std::printf("  truth resolved (%zu members then)", c.calcification_ids.size());
      // seen then but not reported as resolved now: a wrong label (whatever is reported there, or
      // "unreported" when nothing is), never "not detected"
      std::string got = "not_detected";
      if (seen_then) {
        got = label_at(m.x, m.y, true, c.radius_mm);
        if (got == "not_detected") {
          got = label_at(m.x, m.y, false, c.radius_mm);
          if (got == "not_detected") got = "unreported";
        }
      }
      tally("resolved", got);
    }
  }
  const std::vector<std::string> labels{"new", "stable", "increased", "decreased", "resolved"};
  std::printf("\nconfusion matrix (rows: truth, columns: calcscope), %d phantom pairs, seeds %d-%d\n%-10s", pairs,
              first_seed, first_seed + pairs - 1, "");
  for (const auto& l : labels) std::printf("%10s", l.c_str());
  std::printf("%14s%8s%15s%12s\n", "not_detected", "merged", "outside_prior", "unreported");
  for (const auto& t : labels) {
    std::printf("%-10s", t.c_str());
    for (const auto& l : labels) std::printf("%10d", res.confusion[t][l]);
    std::printf("%14d%8d%15d%12d\n", res.confusion[t]["not_detected"], res.confusion[t]["merged"], res.confusion[t]["outside_prior"],
                res.confusion[t]["unreported"]);
  }
  std::printf("change labels correct: %d / %d = %.1f %% (%d true clusters not detected or outside the prior image, %d merged with a neighbour by the detector)\n",
              res.correct, res.judged, 100 * res.accuracy(), res.undetected, res.merged);
  std::printf("registration error at cluster centres: median %.2f mm over %zu clusters\n", median(res.reg_errors),
              res.reg_errors.size());
  return res;
}

// Honesty rule: the ChangeParams / PixelEvidenceParams defaults were chosen on seeds 100-129
// (PhantomSeries.DISABLED_TuningSeeds). The reported figure is on seeds 7000-7039, which were first
// run after the defaults were frozen and never tuned on (docs/compare.md). Issue 5 asks for 0.95;
// the guard is a floor below it (one or two labels move the figure by ~1 %) and the figure is printed.
TEST(PhantomSeries, RegistrationAndChangeLabels) {
  const int pairs = 40;
  const SeriesResult r = run_phantom_series(7000, pairs);
  EXPECT_LE(median(r.reg_errors), 2.0);
  EXPECT_GE(r.judged, pairs * 3);
  EXPECT_LE(r.merged, r.judged / 4);  // most clusters must be detected for the figure to mean anything
  std::printf("HELD-OUT change-label accuracy (seeds 7000-7039): %.3f (issue 5 target 0.95)\n", r.accuracy());
  if (r.accuracy() < 0.95) std::printf("SHORTFALL: change-label accuracy %.3f < target 0.95\n", r.accuracy());
  EXPECT_GE(r.accuracy(), 0.9);
}

// The earlier held-out seeds (looked at before the error analysis of this version: the spot-level
// failures studied were on the tuning seeds only, but these seeds' figure was known).
TEST(PhantomSeries, EarlierHeldOutSeeds) {
  const int pairs = 20;
  const SeriesResult r = run_phantom_series(500, pairs);
  EXPECT_LE(median(r.reg_errors), 2.0);
  EXPECT_GE(r.judged, pairs * 3);
  std::printf("change-label accuracy (seeds 500-519): %.3f\n", r.accuracy());
  EXPECT_GE(r.accuracy(), 0.9);
}

// The seeds the ChangeParams defaults were chosen on (run with --gtest_also_run_disabled_tests).
TEST(PhantomSeries, DISABLED_TuningSeeds) {
  const SeriesResult r = run_phantom_series(100, 30);
  EXPECT_GE(r.judged, 30 * 3);
}

// ---- MIAS ----------------------------------------------------------------------------------

struct MiasCalc {
  std::string ref;
  double x, y, radius;  // image pixels (row from the top)
};

std::vector<MiasCalc> mias_calcs(const std::filesystem::path& dir) {
  std::ifstream in(dir / "truth.txt");
  std::vector<MiasCalc> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string ref, tissue, cls, sev;
    double x = 0, y = 0, r = 0;
    if (!(s >> ref >> tissue >> cls)) continue;
    if (cls != "CALC" || !(s >> sev >> x >> y >> r)) continue;
    if (std::filesystem::exists(dir / (ref + ".png"))) out.push_back({ref, x, 1024 - y, r});
  }
  return out;
}

std::optional<std::filesystem::path> mias_dir() {
  const auto shared = test::shared_dir();
  if (!shared || !std::filesystem::exists(*shared / "data/mias/truth.txt")) return std::nullopt;
  return *shared / "data/mias";
}

Image read_mias(const std::filesystem::path& dir, const std::string& ref) {
  ReadOptions o;
  o.pixel_size_mm = 0.2;
  return read_image(dir / (ref + ".png"), o);
}

TEST(Mias, RegistrationRecoversWarpsAtClusterCentres) {
  const auto dir = mias_dir();
  if (!dir) GTEST_SKIP() << "shared/data/mias not found: real-image registration not measured";
  const auto calcs = mias_calcs(*dir);
  ASSERT_FALSE(calcs.empty());
  std::vector<double> errors;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (std::size_t i = 0; i < std::min<std::size_t>(calcs.size(), 8); ++i) {
    const Image prior = read_mias(*dir, calcs[i].ref);
    const SimilarityTransform t{5 * u(rng), 1 + 0.05 * u(rng), 15 * u(rng), 15 * u(rng)};
    // rotate/scale about the image centre so that the breast stays in the picture
    SimilarityTransform truth = t;
    const PointPx c = SimilarityTransform{t.rotation_deg, t.scale, 0, 0}.apply({102.4, 102.4});
    truth.shift_x_mm = 102.4 - c.x + t.shift_x_mm;
    truth.shift_y_mm = 102.4 - c.y + t.shift_y_mm;
    Image current = warp_image(prior, truth, prior.width, prior.height, prior.pixel_size_mm);
    test::change_contrast(current, 0.75, 0.95);
    const RegistrationResult r = register_images(prior, current);
    const PointPx p{calcs[i].x * 0.2, calcs[i].y * 0.2};
    const PointPx a = r.transform.apply(p), b = truth.apply(p);
    errors.push_back(std::hypot(a.x - b.x, a.y - b.y));
    std::printf("%s rot %+.1f scale %.3f shift (%+.1f, %+.1f): error at the cluster %.2f mm, quality %.2f (%s)\n",
                calcs[i].ref.c_str(), t.rotation_deg, t.scale, t.shift_x_mm, t.shift_y_mm, errors.back(), r.quality,
                r.method.c_str());
  }
  std::printf("MIAS registration error at cluster centres: median %.2f mm, max %.2f mm over %zu warps\n",
              median(errors), *std::max_element(errors.begin(), errors.end()), errors.size());
  EXPECT_LE(median(errors), 2.0);
}

/// The MIAS image with the most clusters detected (so that the test has something to compare).
struct Picked {
  Image image;
  std::string ref;
};
/// MIAS is 200 um film: its cross-validated cluster cut at ~0.5 false clusters per image is far
/// below the default (digital) operating point (models/cv-table.txt), so these tests report at 0.05.
CompareOptions mias_options() {
  CompareOptions o;
  o.analyze.min_cluster_score = 0.05;
  return o;
}

std::optional<Picked> pick_mias_with_clusters(const std::filesystem::path& dir) {
  for (const auto& c : mias_calcs(dir)) {
    Image im = read_mias(dir, c.ref);
    const AnalysisResult a = analyze(im, mias_options().analyze);
    if (!a.clusters.empty()) return Picked{std::move(im), c.ref};
  }
  return std::nullopt;
}

/// `image` resampled through a similarity transform given about the image centre (so that the
/// breast stays in the picture).
Image warped_about_centre(const Image& image, const SimilarityTransform& t) {
  const double cx = image.width_mm() / 2, cy = image.height_mm() / 2;
  SimilarityTransform about_centre = t;
  const PointPx c = SimilarityTransform{t.rotation_deg, t.scale, 0, 0}.apply({cx, cy});
  about_centre.shift_x_mm = cx - c.x + t.shift_x_mm;
  about_centre.shift_y_mm = cy - c.y + t.shift_y_mm;
  return warp_image(image, about_centre, image.width, image.height, image.pixel_size_mm);
}

// Judged by pixel evidence (members looked up in the other copy's pixels, docs/compare.md): the
// specks of small clusters that the detector keeps in one copy only are visible in both.
// Issue 5 Done-when 2: a "prior" that is a warped copy (rotation, shift, scaling, contrast change)
// of the same MIAS image gives "stable" for every detected cluster. Both exams are resampled
// (bilinear interpolation softens 1-3 pixel specks the same way in both): the prior shifted a
// little, the current rotated, scaled, shifted and given another contrast. Run over the first
// MIAS CALC images on which the warped current shows clusters.
TEST(Mias, WarpedCopyOfItselfIsStable) {
  const auto dir = mias_dir();
  if (!dir) GTEST_SKIP() << "shared/data/mias not found";
  int reported = 0, stable = 0, images = 0;
  std::set<std::string> done;
  for (const auto& calc : mias_calcs(*dir)) {
    if (images >= 4 || !done.insert(calc.ref).second) continue;
    const Image original = read_mias(*dir, calc.ref);
    const Image prior = warped_about_centre(original, {0, 1, 0.3, -0.3});
    Image current = warped_about_centre(original, {2.5, 1.02, -6, 8});
    test::change_contrast(current, 0.85, 0.97);
    const CompareRun run = compare_exams({&current, calc.ref + "-warped", "2024-01-01"},
                                         {{&prior, calc.ref, "2023-01-01"}}, mias_options());
    if (run.change.clusters.empty()) continue;
    ++images;
    for (const auto& ch : run.change.clusters) {
      std::printf("%s: %s cluster at (%.0f, %.0f) px, %d now / %d then (%s)\n", calc.ref.c_str(), ch.change.c_str(),
                  ch.current_px.x, ch.current_px.y, ch.count_now, ch.count_then, ch.reason.c_str());
      ++reported;
      stable += ch.change == "stable";
      EXPECT_EQ(ch.change, "stable") << calc.ref << ": " << ch.reason;
    }
  }
  std::printf("MIAS warped copies: %d of %d clusters stable over %d images\n", stable, reported, images);
  if (images == 0) GTEST_SKIP() << "no cluster detected on any warped MIAS CALC image: nothing to compare";
  EXPECT_GT(reported, 0);
}

/// Replaces a disc by a strongly smoothed copy of itself (box mean over `box_mm`), blended in over a
/// 2 mm rim so that the edit leaves no edge for the detector to find.
void smooth_away(Image& im, double cx, double cy, double radius_px, double box_mm) {
  const Image src = im;
  const int b = std::max(2, static_cast<int>(box_mm / im.pixel_size_mm / 2));
  const double feather_px = 2.0 / im.pixel_size_mm, outer = radius_px + feather_px;
  for (int y = static_cast<int>(cy - outer); y <= static_cast<int>(cy + outer); ++y)
    for (int x = static_cast<int>(cx - outer); x <= static_cast<int>(cx + outer); ++x) {
      const double d = std::hypot(x - cx, y - cy);
      if (x < 0 || y < 0 || x >= im.width || y >= im.height || d > outer) continue;
      double s = 0;
      int n = 0;
      for (int v = std::max(0, y - b); v <= std::min(im.height - 1, y + b); ++v)
        for (int w = std::max(0, x - b); w <= std::min(im.width - 1, x + b); ++w) s += src.at(w, v), ++n;
      const double wgt = std::clamp((outer - d) / feather_px, 0.0, 1.0);
      im.at(x, y) = static_cast<float>(wgt * s / n + (1 - wgt) * src.at(x, y));
    }
}

TEST(Mias, ClusterSmoothedAwayInThePriorIsNew) {
  const auto dir = mias_dir();
  if (!dir) GTEST_SKIP() << "shared/data/mias not found";
  const auto picked = pick_mias_with_clusters(*dir);
  if (!picked) GTEST_SKIP() << "no cluster detected on any MIAS CALC image: nothing to compare";
  const Image& current = picked->image;
  const AnalysisResult a = analyze(current, mias_options().analyze);
  const Cluster target = *std::max_element(a.clusters.begin(), a.clusters.end(),
                                           [](const Cluster& x, const Cluster& y) { return x.score < y.score; });
  Image prior = current;
  smooth_away(prior, target.x, target.y, (target.radius_mm + 2.0) / prior.pixel_size_mm, 3.0);
  const CompareRun run = compare_exams({&current, picked->ref, "2024-01-01"},
                                       {{&prior, picked->ref + "-smoothed", "2023-01-01"}}, mias_options());
  const ClusterChange* found = nullptr;
  for (const auto& ch : run.change.clusters) {
    std::printf("%s: %s cluster at (%.0f, %.0f) px (target at (%.0f, %.0f))\n", picked->ref.c_str(), ch.change.c_str(),
                ch.current_px.x, ch.current_px.y, target.x, target.y);
    const double d_mm = std::hypot(ch.current_px.x - target.x, ch.current_px.y - target.y) * 0.2;
    if (ch.change != "resolved" && d_mm < 3) found = &ch;
    // the smoothing blends over a rim around the edited disc, which can add or remove a speck
    // there in the prior: only clusters away from the edit must be stable
    else if (d_mm > target.radius_mm + 2.0 + 5.0) EXPECT_EQ(ch.change, "stable") << ch.reason;
  }
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->change, "new") << found->reason;
  // and the assessment says so: a new cluster is raised to at least 4A, unless it is described as
  // typically benign (then the reason says so and the category stays)
  bool checked = false;
  for (const auto& c : run.assessment.clusters) {
    if (c.current_cluster_id != found->current_cluster_id) continue;
    checked = true;
    if (c.reason.find("typically benign") != std::string::npos)
      EXPECT_EQ(c.category_after, c.category_before) << c.reason;
    else
      EXPECT_TRUE(category_rank(c.category_after) >= category_rank("4A") || c.category_before.empty()) << c.reason;
  }
  EXPECT_TRUE(checked) << "no assessment for the new cluster";
}

}  // namespace
}  // namespace calcscope

namespace calcscope {
namespace {

TEST(CompareCli, PriorsAndDoubleReadingWriteTheirJson) {
  const auto dir = mias_dir();
  if (!dir) GTEST_SKIP() << "shared/data/mias not found";
  const auto calcs = mias_calcs(*dir);
  ASSERT_FALSE(calcs.empty());
  test::TempDir out;
  const std::string img = (*dir / (calcs[0].ref + ".png")).string();
  {
    std::ofstream(out / "reader.json") << R"({"findings": [{"x": 10, "y": 10, "category": "3"}]})";
  }
  const auto r = test::run_cli("compare --current '" + img + "' --prior '" + img +
                               "' --current-date 2024-05-01 --prior-date 2022-04-20 --pixel-size 0.2 --reader '" +
                               (out / "reader.json").string() + "' -o '" + out.path().string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = read_json_file(out / (calcs[0].ref + ".compare.json"));
  EXPECT_EQ(j["schema_version"], kCompareSchemaVersion);
  EXPECT_EQ(j["priors"][0]["date"], "2022-04-20");
  EXPECT_NEAR(j["priors"][0]["transform"]["rotation_deg"].get<double>(), 0, 0.2);
  for (const auto& c : j["clusters"]) EXPECT_EQ(c["change"], "stable");  // the same image twice
  const auto k = read_json_file(out / (calcs[0].ref + ".reading.json"));
  EXPECT_EQ(k["summary"]["reader_only"], 1);  // a corner of the image: nothing there
  EXPECT_NE(r.output.find("reader-only"), std::string::npos);
  // bad input: a date that is not one
  const auto bad = test::run_cli("compare --current '" + img + "' --prior '" + img +
                                 "' --prior-date 20-04-2022 --pixel-size 0.2 -o '" + out.path().string() + "'");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("YYYY-MM-DD"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace calcscope
