// Training of the two learned stages with nested patient-pair cross-validation.
//
// Data: every candidate the detector finds in the training images (MIAS development split at
// 200 um, synthetic phantoms at 70/100/200 um, optionally INFN patches), labelled:
//   - phantom: a candidate hitting an inserted calcification is positive, others negative;
//   - MIAS: a candidate inside a CALC truth circle is positive; candidates of images without
//     calcifications are negative; candidates of CALC images outside the circles are left out
//     (unannotated calcifications are common there); `*NOTE 3*` images are left out;
//   - INFN: all candidates of 0/ patches negative, the best candidate of a 1/ patch positive.
// Stage 1 scores calcification candidates; stage 2 scores clusters built from stage-1 scores.
// Cross-validation: for test fold f, stage 1 is trained on the other folds; stage 2 is trained on
// clusters of the other folds whose stage-1 scores came from inner models that saw neither those
// images nor fold f. MIAS pairs mdb(2k-1), mdb(2k) always share a fold.
#include "calcscope/train/train.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/eval/eval.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/report/json_output.h"
#include "detect/gbdt.h"
#include "train/train_common.h"
#include "train/xgb_binary.h"

namespace calcscope {
namespace fs = std::filesystem;

namespace {

struct Sample {
  std::vector<double> features;
  float label = 0;
  float weight = 1;
};

/// TrainOptions::cluster_monotone: the cluster score may only rise with the member counts and member
/// scores (features 0-4, 16-19 of cluster_feature_names()); "" when off.
std::string cluster_monotone(const TrainOptions& o) {
  if (!o.cluster_monotone) return {};
  static const std::set<std::string> rising = {"log_count", "mean_member_score", "max_member_score",
                                               "top3_member_score", "sum_member_score", "log_strong_count",
                                               "strong_fraction", "median_member_score", "log_likely_count"};
  std::string m = "(";
  for (std::size_t i = 0; i < cluster_feature_names().size(); ++i)
    m += std::string(i ? "," : "") + (rising.count(cluster_feature_names()[i]) ? "1" : "0");
  return m + ")";
}

/// Indices in `all` (a feature-name list) of `names`; Error(Usage) naming an unknown one.
std::vector<std::size_t> feature_indices(const std::vector<std::string>& names, const std::vector<std::string>& all,
                                         const std::string& what) {
  std::vector<std::size_t> idx;
  for (const auto& n : names) {
    const auto it = std::find(all.begin(), all.end(), n);
    if (it == all.end()) throw Error(ErrorCode::Usage, "unknown " + what + " feature (see " + what + "_feature_names())", n);
    idx.push_back(static_cast<std::size_t>(it - all.begin()));
  }
  return idx;
}

std::vector<std::size_t> cluster_feature_indices(const std::vector<std::string>& names) {
  return feature_indices(names, cluster_feature_names(), "cluster");
}

std::vector<std::size_t> calcification_feature_indices(const std::vector<std::string>& names) {
  return feature_indices(names, calcification_feature_names(), "calcification");
}

/// `f` with the features at `ignored` set to 0: a constant column no tree can split on.
std::vector<double> without_features(std::vector<double> f, const std::vector<std::size_t>& ignored) {
  for (const std::size_t i : ignored)
    if (i < f.size()) f[i] = 0.0;
  return f;
}

/// Trains a binary:logistic GBDT and returns its JSON text. bag > 1: that many models with XGBoost
/// seeds 7, 8, ... (different row and column subsamples), averaged in margin (average_xgb_models()).
std::string train_gbdt(const std::vector<Sample>& data, const TrainOptions& o, int trees, int depth,
                       const std::string& monotone = "", int bag = 1) {
  if (data.empty()) throw Error(ErrorCode::InvalidData, "no training samples");
  const std::size_t nf = data.front().features.size();
  std::vector<float> x;
  std::vector<float> y, w;
  x.reserve(data.size() * nf);
  double pos = 0, neg = 0;
  for (const auto& s : data) {
    for (double v : s.features) x.push_back(static_cast<float>(v));
    y.push_back(s.label);
    (s.label > 0.5 ? pos : neg) += s.weight;
  }
  // balance the classes so that scores around 0.5 separate them
  const double pos_w = pos > 0 ? std::max(1.0, neg / pos) : 1.0;
  for (const auto& s : data) w.push_back(static_cast<float>(s.weight * (s.label > 0.5 ? pos_w : 1.0)));
  train_detail::XgbSettings xs;
  xs.trees = trees;
  xs.depth = depth;
  xs.learning_rate = o.learning_rate;
  xs.threads = o.threads;
  xs.monotone = monotone;
  std::vector<std::string> models;
  for (int b = 0; b < std::max(1, bag); ++b) {
    xs.seed = 7 + b;
    models.push_back(train_detail::train_xgb_binary(x, nf, y, w, xs));
  }
  return train_detail::average_xgb_models(models);
}

/// One training image reduced to what training needs: its candidates and truth.
struct TrainImage {
  std::string stem;
  std::string source;  // "mias", "phantom", "infn"
  int fold = 0;
  int width = 0, height = 0;
  double pixel_size_mm = 0;
  double breast_area_mm2 = 0;
  std::vector<Calcification> candidates;
  std::vector<float> labels;   // per candidate: 1, 0, or -1 (left out)
  std::vector<char> linear;    // per candidate: positive only through a fine-linear-branching truth calcification
  eval::TruthImage truth;
  bool use_for_clusters = true;
  bool varied_imaging = false;  // phantom rendered with phantom_imaging_variety() (digital family)
  bool resampled = false;       // MIAS resampled to a digital pixel size (TrainOptions::mias_resampled_mm)
};

std::string fmt_mm(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

/// MIAS truth on a grid resampled by `f` (pixel centres: x' = (x + 0.5) f - 0.5).
eval::TruthImage scale_truth(eval::TruthImage t, double f) {
  for (auto& c : t.clusters) {
    c.x = (c.x + 0.5) * f - 0.5;
    c.y = (c.y + 0.5) * f - 0.5;
    c.radius_px *= f;
  }
  if (t.image_height_px > 0) t.image_height_px = static_cast<int>(std::lround(t.image_height_px * f));
  if (t.pixel_size_mm > 0) t.pixel_size_mm /= f;
  return t;
}

std::vector<float> label_candidates(const std::vector<Calcification>& cands, const eval::TruthImage& truth,
                                    double px, const std::string& source) {
  std::vector<float> labels(cands.size(), 0.f);
  for (std::size_t i = 0; i < cands.size(); ++i) {
    const auto& c = cands[i];
    if (truth.has_calcification_truth) {
      bool hit = false;
      for (const auto& t : truth.calcifications)
        if (eval::calcification_hit(c.x, c.y, t, px)) { hit = true; break; }
      labels[i] = hit ? 1.f : 0.f;
    } else if (source == "mias") {
      bool any_unlocatable = false, inside = false;
      for (const auto& t : truth.clusters) {
        if (!t.locatable) { any_unlocatable = true; continue; }
        const double r = std::max(t.radius_px, 1.0 / px);
        if (std::hypot(c.x - t.x, c.y - t.y) <= r) inside = true;
      }
      if (any_unlocatable) labels[i] = -1.f;
      else if (inside) labels[i] = 1.f;
      else labels[i] = truth.has_calcifications ? -1.f : 0.f;
    }
  }
  return labels;
}

int pair_index(const std::string& stem) { return train_detail::mias_pair_index(stem); }

/// Clusters of one image built from the given candidate scores, labelled against its truth.
struct ClusterSet {
  std::vector<Cluster> clusters;
  std::vector<float> labels;
};

ClusterSet build_clusters(const TrainImage& im, const std::vector<double>& scores, const AnalyzeOptions& ao) {
  std::vector<Calcification> c = im.candidates;
  for (std::size_t i = 0; i < c.size(); ++i) c[i].score = scores[i];
  ClusterSet s;
  s.clusters = find_clusters(c, im.pixel_size_mm, ao.cluster, im.breast_area_mm2);
  for (const auto& k : s.clusters) {
    eval::DetectedCluster d;
    d.x = k.x;
    d.y = k.y;
    s.labels.push_back(eval::cluster_hits(d, im.truth, im.pixel_size_mm, 5.0).empty() ? 0.f : 1.f);
  }
  return s;
}

/// Stage-1 samples of the given folds, from the images with in[i] set. Negatives are subsampled
/// deterministically to at most kMaxNegatives (kept ones weighted up by 1 / their keep probability)
/// so that the 25 nested-CV models train in minutes on 2 cores. hardness_power 0 keeps every negative
/// with the same probability; > 0 keeps a negative in proportion to (max(CNR, 3) / 3)^hardness_power
/// (capped at 1): bright texture, the negatives the model must learn to tell from calcifications,
/// is sampled more densely, and the weights keep the sample unbiased (importance sampling).
std::vector<Sample> calc_samples(const std::vector<TrainImage>& images, const std::vector<char>& in,
                                 const std::vector<int>& folds_in, double hardness_power = 0, bool skip_linear = false,
                                 const std::vector<std::size_t>& ignored = {},
                                 std::size_t width = static_cast<std::size_t>(-1)) {
  constexpr double kMaxNegatives = 15000;
  // the first `width` features only (the film family does not read the candidate-patch network's)
  auto features_of = [&](const Calcification& c) {
    auto f = without_features(c.features, ignored);
    if (f.size() > width) f.resize(width);
    return f;
  };
  auto used = [&](std::size_t i) {
    return in[i] && std::find(folds_in.begin(), folds_in.end(), images[i].fold) != folds_in.end();
  };
  auto hardness = [&](const Calcification& c) {
    return hardness_power > 0 ? std::pow(std::max(c.cnr, 3.0) / 3.0, hardness_power) : 1.0;
  };
  std::vector<double> h_all;
  for (std::size_t i = 0; i < images.size(); ++i)
    if (used(i))
      for (std::size_t k = 0; k < images[i].candidates.size(); ++k)
        if (images[i].labels[k] == 0.f) h_all.push_back(hardness(images[i].candidates[k]));
  const std::vector<double> keep_all = negative_keep_probabilities(h_all, kMaxNegatives);
  std::size_t next_negative = 0;
  std::vector<Sample> out;
  for (std::size_t n = 0; n < images.size(); ++n) {
    if (!used(n)) continue;
    const TrainImage& im = images[n];
    const std::size_t h = std::hash<std::string>{}(im.stem);
    for (std::size_t i = 0; i < im.candidates.size(); ++i) {
      if (im.labels[i] > 0.5f) {
        if (skip_linear && !im.linear.empty() && im.linear[i]) continue;
        out.push_back({features_of(im.candidates[i]), 1.f, 1.f});
      } else if (im.labels[i] == 0.f) {
        const double keep = keep_all[next_negative++];
        const double u = static_cast<double>((h + i * 0x9E3779B97F4A7C15ull) % 1000003ull) / 1000003.0;
        if (u < keep) out.push_back({features_of(im.candidates[i]), 0.f, static_cast<float>(1.0 / keep)});
      }
    }
  }
  return out;
}

std::vector<double> predict_all(const GbdtModel& m, const std::vector<Calcification>& cands) {
  std::vector<double> s;
  s.reserve(cands.size());
  for (const auto& c : cands) s.push_back(m.predict(c.features));
  return s;
}

std::vector<int> all_folds_except(int folds, std::initializer_list<int> ex) {
  std::vector<int> v;
  for (int f = 0; f < folds; ++f)
    if (std::find(ex.begin(), ex.end(), f) == ex.end()) v.push_back(f);
  return v;
}

using train_detail::parallel_for;

/// The nested cross-validation and final models of one model family (the images `member` accepts).
struct FamilyResult {
  std::vector<std::vector<Cluster>> oof_clusters;   ///< per image of the training set (empty for non-members)
  std::vector<std::vector<double>> oof_calc_scores; ///< per image (empty for non-members)
  std::string calcification_model, cluster_model;   ///< final models on every member, XGBoost JSON
};

template <typename Member, typename Log>
FamilyResult train_family(const std::vector<TrainImage>& images, Member member, const TrainOptions& o, Log& log,
                          const std::string& name) {
  std::vector<char> in(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) in[i] = member(images[i]) ? 1 : 0;
  const int F = o.folds;
  const double hard = name == "digital" ? o.digital_hard_negatives : 0.0;
  const bool skip_linear = name == "general" && o.film_skip_linear;
  const int bag = name == "general" ? o.film_bag : 1;
  const std::vector<std::size_t> ignored =
      cluster_feature_indices(name == "general" ? o.film_cluster_ignored : o.digital_cluster_ignored);
  const std::vector<std::size_t> calc_ignored =
      name == "digital" ? calcification_feature_indices(o.digital_calc_ignored) : std::vector<std::size_t>{};
  // the film family reads the features before "speck_net" (session 26: its models stay as they were)
  const std::size_t calc_width =
      name == "general" ? calcification_feature_indices({"speck_net"}).front() : calcification_feature_names().size();
  // inner[f][g]: stage-1 model trained without folds f and g; outer[f]: without fold f.
  std::vector<GbdtModel> outer(F);
  std::vector<std::vector<GbdtModel>> inner(F, std::vector<GbdtModel>(F));
  for (int f = 0; f < F; ++f) {
    outer[f] = GbdtModel::from_xgboost_json(
        nlohmann::json::parse(train_gbdt(calc_samples(images, in, all_folds_except(F, {f}), hard, skip_linear, calc_ignored, calc_width), o, o.trees, o.depth, "", bag)));
    for (int g = 0; g < F; ++g) {
      if (g == f) continue;
      inner[f][g] = GbdtModel::from_xgboost_json(nlohmann::json::parse(
          train_gbdt(calc_samples(images, in, all_folds_except(F, {f, g}), hard, skip_linear, calc_ignored, calc_width), o, o.trees, o.depth, "", bag)));
    }
    log(name + ": stage 1, fold " + std::to_string(f) + " done");
  }
  // out-of-fold cluster scores
  FamilyResult r;
  r.oof_clusters.resize(images.size());
  r.oof_calc_scores.resize(images.size());
  for (int f = 0; f < F; ++f) {
    std::vector<Sample> train2;
    for (std::size_t i = 0; i < images.size(); ++i) {
      const auto& im = images[i];
      if (!in[i] || im.fold == f || !im.use_for_clusters) continue;
      const auto cs = build_clusters(im, predict_all(inner[f][im.fold], im.candidates), o.analyze);
      for (std::size_t k = 0; k < cs.clusters.size(); ++k) train2.push_back({without_features(cs.clusters[k].features, ignored), cs.labels[k], 1.f});
    }
    const GbdtModel m2 = GbdtModel::from_xgboost_json(nlohmann::json::parse(train_gbdt(train2, o, 80, 3, cluster_monotone(o), bag)));
    for (std::size_t i = 0; i < images.size(); ++i) {
      const auto& im = images[i];
      if (!in[i] || im.fold != f || !im.use_for_clusters) continue;
      r.oof_calc_scores[i] = predict_all(outer[f], im.candidates);
      auto cs = build_clusters(im, r.oof_calc_scores[i], o.analyze);
      for (auto& k : cs.clusters) k.score = k.model_score = m2.predict(without_features(k.features, ignored));
      suppress_overlapping_clusters(cs.clusters, o.analyze.cluster);
      discount_by_rank(cs.clusters, o.analyze.cluster, im.pixel_size_mm);
      r.oof_clusters[i] = std::move(cs.clusters);
    }
    log(name + ": stage 2, fold " + std::to_string(f) + " done (" + std::to_string(train2.size()) +
        " training clusters)");
  }
  // final models on every member
  r.calcification_model = train_gbdt(calc_samples(images, in, all_folds_except(F, {}), hard, skip_linear, calc_ignored, calc_width), o, o.trees, o.depth, "", bag);
  std::vector<Sample> train2;
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (!in[i] || !images[i].use_for_clusters) continue;
    const auto cs = build_clusters(images[i], r.oof_calc_scores[i], o.analyze);
    for (std::size_t k = 0; k < cs.clusters.size(); ++k) train2.push_back({without_features(cs.clusters[k].features, ignored), cs.labels[k], 1.f});
  }
  r.cluster_model = train_gbdt(train2, o, 80, 3, cluster_monotone(o), bag);
  log(name + ": final models trained");
  return r;
}

}  // namespace

PhantomImaging phantom_imaging_variety(int i, bool wide) {
  if (wide)
    return {2.2 + 0.16 * ((i * 7) % 11), 0.02 + 0.1 / 6 * ((i * 5) % 7), 0.5 + 2.0 / 12 * ((i * 3) % 13)};
  return {2.5 + 0.1 * ((i * 7) % 11), 0.04 + 0.01 * ((i * 5) % 7), 0.7 + 1.1 / 12 * ((i * 3) % 13)};
}

PhantomGrey phantom_grey_variety(int i) {
  return {0.88 + 0.25 / 16 * ((i * 3) % 17), -0.03 + 0.07 / 18 * ((i * 7) % 19)};
}

std::vector<double> negative_keep_probabilities(const std::vector<double>& hardness, double budget) {
  const auto n = hardness.size();
  if (static_cast<double>(n) <= budget) return std::vector<double>(n, 1.0);
  bool equal = true;
  for (double h : hardness) equal = equal && h == hardness.front();
  // equal hardness: exactly budget / n (the uniform subsample every model up to session 9 was trained on)
  if (equal) return std::vector<double>(n, budget / static_cast<double>(n));
  auto expected = [&](double l) {
    double e = 0;
    for (double h : hardness) e += std::min(1.0, l * h);
    return e;
  };
  double lo = 0, hi = 1;
  while (expected(hi) < budget) hi *= 2;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (expected(mid) < budget ? lo : hi) = mid;
  }
  std::vector<double> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = std::min(1.0, hi * hardness[i]);
  return p;
}

int mias_fold(const std::string& stem, int folds) {
  // deterministic shuffle of pair indices: multiplicative hash
  const unsigned k = static_cast<unsigned>(pair_index(stem));
  return static_cast<int>((k * 2654435761u >> 7) % static_cast<unsigned>(folds));
}

TrainReport train_models(const TrainOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  auto log = [&](const std::string& s) {
    if (o.verbose) std::fprintf(stderr, "[train %6.1fs] %s\n",
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(),
                                s.c_str());
  };
  cluster_feature_indices(o.film_cluster_ignored);  // an unknown name fails now, not after the data are read
  cluster_feature_indices(o.digital_cluster_ignored);
  calcification_feature_indices(o.digital_calc_ignored);
  // The models learn from every candidate of the silhouette, the film frame's dark edge band included
  // (its step gives hard negatives): `analyze` does not search that band (BreastParams::
  // remove_dark_edge_bands, session 20), but the models trained before it were kept (models/README.md).
  BreastParams breast = o.analyze.breast;
  breast.remove_dark_edge_bands = false;
  // The candidate-patch network (detect/speck_net.h) is fitted first, on phantoms of its own seeds, and
  // every candidate below gets its "speck_net" feature from it (0 without one).
  SpeckNet speck_net;
  nlohmann::json speck_net_card = nullptr;
  if (!o.speck_net_file.empty()) {
    std::ifstream in(o.speck_net_file);
    if (!in) {
      std::error_code ec;
      const bool there = std::filesystem::exists(o.speck_net_file, ec);
      throw Error(there ? ErrorCode::Unreadable : ErrorCode::FileNotFound,
                  there ? "cannot read the candidate-patch network (--speck-net-file): check its permissions"
                        : "the candidate-patch network file (--speck-net-file) does not exist",
                  o.speck_net_file.string());
    }
    try {
      speck_net = SpeckNet::from_json(nlohmann::json::parse(in));
    } catch (const Error& e) {
      throw Error(e.code(), e.message() + " (--speck-net-file: a speck-net.json as calcscope train writes it)",
                  o.speck_net_file.string());
    } catch (const std::exception& e) {
      throw Error(ErrorCode::InvalidData,
                  std::string("not a candidate-patch network (speck-net.json as calcscope train writes it): ") + e.what(),
                  o.speck_net_file.string());
    }
    if (speck_net.empty())
      throw Error(ErrorCode::InvalidData, "the candidate-patch network file holds no network", o.speck_net_file.string());
    speck_net_card = {{"file", o.speck_net_file.filename().string()}, {"fitted", "before this run (--speck-net-file)"}};
    log("speck net: read from " + o.speck_net_file.string());
  } else if (o.speck_net_phantoms > 0) {
    auto fit = train_detail::fit_training_speck_net(o, log);
    speck_net = std::move(fit.net);
    speck_net_card = fit.card;
    log("speck net: " + fit.summary);
  }
  CalcificationParams calc_params = o.analyze.calcification;
  calc_params.speck_net = &speck_net;
  std::vector<TrainImage> images;
  std::mutex mu;

  // ---- MIAS -------------------------------------------------------------------------------
  int mias_images = 0;
  if (!o.mias_dir.empty()) {
    const auto truth = eval::read_mias_truth(o.mias_dir / "truth.txt");
    std::vector<std::string> stems;
    for (const auto& [stem, t] : truth.images)
      if (fs::exists(o.mias_dir / (stem + ".png"))) stems.push_back(stem);
    if (stems.empty()) throw Error(ErrorCode::FileNotFound, "no MIAS images found", o.mias_dir.string());
    // One MIAS image as stored (resample_px 0) or resampled to a digital pixel size (digital family).
    const auto load = [&](const std::string& stem, double resample_px) {
      ReadOptions ro;
      ro.pixel_size_mm = 0.2;
      Image img = read_image(o.mias_dir / (stem + ".png"), ro);
      if (resample_px > 0) img = resample_image(img, resample_px);
      TrainImage ti;
      ti.stem = stem;
      ti.source = "mias";
      ti.resampled = resample_px > 0;
      ti.fold = mias_fold(stem, o.folds);
      ti.width = img.width;
      ti.height = img.height;
      ti.pixel_size_mm = img.pixel_size_mm;
      const auto region = segment_breast(img, breast);
      ti.breast_area_mm2 = region.area_mm2;
      ti.candidates = detect_calcifications_for_analysis(img, region, calc_params);
      ti.truth = resample_px > 0 ? scale_truth(truth.images.at(stem), 0.2 / resample_px) : truth.images.at(stem);
      ti.labels = label_candidates(ti.candidates, ti.truth, ti.pixel_size_mm, "mias");
      return ti;
    };
    images.resize(stems.size());
    parallel_for(static_cast<int>(stems.size()), o.threads, [&](int i) { images[i] = load(stems[i], 0); });
    mias_images = static_cast<int>(stems.size());
    log("MIAS: " + std::to_string(mias_images) + " images");
    // The same images at digital pixel sizes (digital family only).
    for (const double rpx : o.digital_models ? o.mias_resampled_mm : std::vector<double>{}) {
      std::vector<TrainImage> more(stems.size());
      parallel_for(static_cast<int>(stems.size()), o.threads, [&](int i) { more[i] = load(stems[i], rpx); });
      for (auto& ti : more) images.push_back(std::move(ti));
      log("MIAS resampled to " + fmt_mm(rpx) + " mm: " + std::to_string(stems.size()) + " images");
    }
  }

  // ---- phantoms ------------------------------------------------------------------------------
  // The same seeds twice with digital_models: generator-default imaging (general family) and
  // varied imaging (digital family).
  // digital_extra_phantoms: further seeds after those, varied imaging, digital family only.
  for (const int pass : {0, 1, 2}) {
    const bool varied = pass > 0;
    const int count = pass == 2 ? o.digital_extra_phantoms : o.phantoms;
    const int first = pass == 2 ? o.phantoms : 0;  // index of the first seed of this pass
    if (count <= 0 || (varied && !o.digital_models)) continue;
    const std::size_t base = images.size();
    images.resize(base + count);
    parallel_for(count, o.threads, [&, first](int k) {
      const int i = first + k;
      static const double sizes[] = {0.07, 0.1, 0.2};
      PhantomSpec spec;
      spec.seed = o.phantom_seed + static_cast<std::uint64_t>(i);
      spec.pixel_size_mm = sizes[i % 3];
      spec.width_mm = 110;
      spec.height_mm = 140;
      spec.view = (i % 2) ? "MLO" : "CC";
      spec.laterality = (i % 4 < 2) ? "L" : "R";
      spec.density = 0.2 + 0.6 * ((i * 37) % 11) / 10.0;
      spec.random_clusters = (i % 5 == 4) ? 0 : 1 + i % 3;
      spec.scattered_benign = 3 + i % 4;
      spec.noise = 0.8 + 0.1 * (i % 5);
      if (varied) {
        const PhantomImaging v = phantom_imaging_variety(i, o.digital_wide_imaging);
        spec.texture_beta = v.texture_beta;
        spec.blur_mm = v.blur_mm;
        spec.noise = v.noise;
        if (o.digital_lumpy_every > 0 && (i / 3) % o.digital_lumpy_every == 1 % o.digital_lumpy_every)
          spec.texture = "lumpy";
      }
      Phantom ph = make_phantom(spec);
      if (varied && o.digital_grey_variety) {
        const PhantomGrey g = phantom_grey_variety(i);
        for (auto& v : ph.image.pixels) v = static_cast<float>(std::clamp(g.offset + g.gain * v, 0.0, 1.0));
      }
      TrainImage ti;
      ti.stem = "phantom" + std::to_string(spec.seed) + (varied ? "v" : "");
      ti.varied_imaging = varied;
      ti.source = "phantom";
      ti.fold = static_cast<int>(spec.seed % static_cast<std::uint64_t>(o.folds));
      ti.width = ph.image.width;
      ti.height = ph.image.height;
      ti.pixel_size_mm = ph.image.pixel_size_mm;
      const auto region = segment_breast(ph.image, breast);
      ti.breast_area_mm2 = region.area_mm2;
      ti.candidates = detect_calcifications_for_analysis(ph.image, region, calc_params);
      ti.truth = eval::parse_phantom_truth(phantom_truth_to_json(ph), ti.stem);
      ti.labels = label_candidates(ti.candidates, ti.truth, ti.pixel_size_mm, "phantom");
      if (o.film_skip_linear) ti.linear.assign(ti.candidates.size(), 0);
      for (std::size_t k = 0; k < ti.linear.size(); ++k) {
        if (ti.labels[k] < 0.5f) continue;
        bool other = false, lin = false;
        for (const auto& t : ti.truth.calcifications)
          if (eval::calcification_hit(ti.candidates[k].x, ti.candidates[k].y, t, ti.pixel_size_mm))
            (t.morphology == "fine_linear_branching" ? lin : other) = true;
        ti.linear[k] = lin && !other;
      }
      images[base + k] = std::move(ti);
    });
    log(std::string("phantoms: ") + std::to_string(count) + " images" + (varied ? ", varied imaging" : "") +
        (pass == 2 ? " (digital family only)" : ""));
  }

  // ---- INFN patches (calcification stage only) -----------------------------------------------
  int infn_patches = 0;
  if (!o.infn_dir.empty()) {
    for (const char* cls : {"0", "1"}) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(o.infn_dir / cls)) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      const std::size_t base = images.size();
      images.resize(base + files.size());
      parallel_for(static_cast<int>(files.size()), o.threads, [&](int i) {
        ReadOptions ro;
        ro.pixel_size_mm = o.infn_pixel_size_mm;
        const Image img = read_image(files[i], ro);
        BreastRegion region;  // a patch is all tissue
        region.mask = Mask(img.width, img.height, 255);
        region.breast = Mask(img.width, img.height, 255);
        region.area_mm2 = img.width_mm() * img.height_mm();
        TrainImage ti;
        ti.stem = files[i].stem().string();
        ti.source = "infn";
        ti.fold = static_cast<int>(std::hash<std::string>{}(ti.stem) % static_cast<std::size_t>(o.folds));
        ti.pixel_size_mm = img.pixel_size_mm;
        ti.use_for_clusters = false;
        ti.candidates = detect_calcifications_for_analysis(img, region, calc_params);
        ti.labels.assign(ti.candidates.size(), std::string(cls) == "0" ? 0.f : -1.f);
        if (std::string(cls) == "1" && !ti.candidates.empty()) {
          std::size_t best = 0;
          for (std::size_t k = 1; k < ti.candidates.size(); ++k)
            if (ti.candidates[k].cnr > ti.candidates[best].cnr) best = k;
          ti.labels[best] = 1.f;
        }
        images[base + i] = std::move(ti);
      });
      infn_patches += static_cast<int>(files.size());
    }
    log("INFN: " + std::to_string(infn_patches) + " patches");
  }

  const train_detail::LabelCounts labels = train_detail::count_labels(images);
  log("candidates: " + labels.text());

  const int F = o.folds;
  // ---- nested cross-validation, once per model family -------------------------------------------
  // "general": MIAS, the generator-default phantoms, INFN -> calcification.json / cluster.json.
  // "digital" (TrainOptions::digital_models): every image, the phantoms in both renderings ->
  // calcification-digital.json / cluster-digital.json, used for pixels < kFilmPixelSizeMm while the
  // general family scores film. Session 8 tried a digital family without MIAS (better on phantoms,
  // worse on the real digital INFN patches, not kept); session 9's keeps MIAS and adds the
  // phantoms rendered with varied imaging (models/README.md). A phantom and its varied twin share
  // a seed and so a fold.
  const auto general_member = [&o](const TrainImage& im) {
    if (im.resampled) return false;  // digital pixel sizes: the digital family's
    if (!o.digital_models || o.film_phantoms == 0 || im.source != "phantom") return !im.varied_imaging;
    if (im.pixel_size_mm < kFilmPixelSizeMm) return false;
    return o.film_phantoms == 2 || !im.varied_imaging;
  };
  const auto digital_member = [](const TrainImage&) { return true; };
  // With a digital family the general one scores film only, where the 1 cm^2 circles of
  // ClusterParams::compact_discs_below_pixel_mm are never taken: its training groups every image
  // the film way, so the film models do not depend on a digital-only rule.
  TrainOptions general_options = o;
  if (o.digital_models) general_options.analyze.cluster.compact_discs_below_pixel_mm = 0;
  if (o.digital_models) general_options.analyze.cluster.proposals_below_pixel_mm = 0;  // film: one cap
  const FamilyResult general = train_family(images, general_member, general_options, log, "general");
  FamilyResult digital;
  if (o.digital_models) digital = train_family(images, digital_member, o, log, "digital");
  // ---- CV figures: MIAS (cluster FROC, image AUC) and phantoms (cluster + calcification FROC) ----
  // Out-of-fold scores of one family on its members of one source (the varied phantoms only when
  // asked), optionally digital pixel sizes only.
  auto cases_for = [&](const std::string& source, const FamilyResult& fam, bool digital_only = false,
                       bool with_varied = false, bool film_only = false, double resampled_px = 0) {
    const auto& oof_clusters = fam.oof_clusters;
    const auto& oof_calc_scores = fam.oof_calc_scores;
    std::vector<eval::EvalCase> cases;
    for (std::size_t i = 0; i < images.size(); ++i) {
      const auto& im = images[i];
      if (im.source != source || (im.varied_imaging && !with_varied)) continue;
      if (im.resampled != (resampled_px > 0) || (resampled_px > 0 && std::abs(im.pixel_size_mm - resampled_px) > 1e-9))
        continue;
      if (digital_only && im.pixel_size_mm >= kFilmPixelSizeMm) continue;
      if (film_only && im.pixel_size_mm < kFilmPixelSizeMm) continue;
      eval::EvalCase c;
      c.truth = im.truth;
      c.result.stem = im.stem;
      c.result.width = im.width;
      c.result.height = im.height;
      c.result.pixel_size_mm = im.pixel_size_mm;
      c.result.breast_area_mm2 = im.breast_area_mm2;
      for (const auto& k : oof_clusters[i]) {
        eval::DetectedCluster d;
        d.id = std::to_string(k.id);
        d.x = k.x;
        d.y = k.y;
        d.score = k.score;
        c.result.clusters.push_back(d);
      }
      for (std::size_t j = 0; j < im.candidates.size(); ++j) {
        eval::DetectedCalcification d;
        d.id = std::to_string(im.candidates[j].id);
        d.x = im.candidates[j].x;
        d.y = im.candidates[j].y;
        d.score = oof_calc_scores[i].empty() ? 0 : oof_calc_scores[i][j];
        c.result.calcifications.push_back(d);
      }
      cases.push_back(std::move(c));
    }
    return cases;
  };
  eval::EvalOptions eo;
  TrainReport report;
  nlohmann::json cv = nlohmann::json::object();
  std::ostringstream table;
  // the model card keeps the operating points, not the full curves
  auto strip_curves = [](nlohmann::json j) {
    for (const char* level : {"cluster_froc", "calcification_froc", "cluster_froc_eligible"})
      if (j.contains(level) && j[level].is_object()) j[level].erase("curve");
    return j;
  };
  if (mias_images > 0) {
    const auto rep = eval::evaluate(cases_for("mias", general), eval::TruthKind::Mias, eo);
    cv["mias"] = strip_curves(eval::report_to_json(rep));
    table << "== MIAS development split, " << F << "-fold patient-pair cross-validation (out-of-fold scores) ==\n"
          << eval::format_report(rep) << "\n";
  }
  for (const double rpx : o.digital_models && mias_images > 0 ? o.mias_resampled_mm : std::vector<double>{}) {
    const auto rep = eval::evaluate(cases_for("mias", digital, false, false, false, rpx), eval::TruthKind::Mias, eo);
    cv["mias_resampled_" + fmt_mm(rpx)] = strip_curves(eval::report_to_json(rep));
    table << "== MIAS resampled to " << fmt_mm(rpx) << " mm (bicubic), digital models, " << F
          << "-fold patient-pair cross-validation (out-of-fold scores) ==\n"
          << eval::format_report(rep) << "\n";
  }
  if (o.phantoms > 0) {
    // With --film-phantoms the general family has not seen the 70/100 um phantoms: its phantom table
    // (where the film calcification cut is read) is then the 200 um one.
    const bool film_table = o.digital_models && o.film_phantoms > 0;
    const auto rep = eval::evaluate(cases_for("phantom", general, false, false, film_table), eval::TruthKind::Phantom, eo);
    cv["phantom"] = strip_curves(eval::report_to_json(rep));
    table << "== training phantoms (" << (film_table ? "200 um" : "70/100/200 um")
          << ", generator-default imaging, general models), " << F << "-fold cross-validation"
          << (o.digital_models ? " (the film calcification cut is read here)" : "") << " ==\n"
          << eval::format_report(rep) << "\n";
    if (!film_table) {  // the film part alone, for comparison with --film-phantoms
      const auto rep_film = eval::evaluate(cases_for("phantom", general, false, false, true), eval::TruthKind::Phantom, eo);
      cv["phantom_film"] = strip_curves(eval::report_to_json(rep_film));
      table << "== training phantoms at 200 um only (the film part of the table above) ==\n"
            << eval::format_report(rep_film) << "\n";
    }
    // The digital operating points are read on the images the digital models score: the 70/100 um
    // phantoms, with the digital family in both renderings.
    const auto rep_digital = eval::evaluate(
        cases_for("phantom", o.digital_models ? digital : general, true, o.digital_models), eval::TruthKind::Phantom, eo);
    cv["phantom_digital"] = strip_curves(eval::report_to_json(rep_digital));
    table << "== training phantoms at 70/100 um only"
          << (o.digital_models ? ", both renderings (generator defaults and varied imaging), digital models"
                               : ", general models")
          << " (the digital operating points are read here), " << F << "-fold cross-validation ==\n"
          << eval::format_report(rep_digital) << "\n";
  }
  report.table = table.str();
  log("cross-validation done");
  if (!o.oof_dir.empty()) {
    fs::create_directories(o.oof_dir);
    int written = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
      const auto& im = images[i];
      if (im.source != "mias" || im.resampled) continue;
      nlohmann::json j = {{"image", {{"width", im.width}, {"height", im.height}, {"pixel_size_mm", im.pixel_size_mm}}},
                          {"breast", {{"area_mm2", im.breast_area_mm2}}},
                          {"clusters", nlohmann::json::array()},
                          {"calcifications", nlohmann::json::array()}};
      for (const auto& k : general.oof_clusters[i]) {
        nlohmann::json f = nlohmann::json::object();
        for (std::size_t q = 0; q < k.features.size() && q < cluster_feature_names().size(); ++q)
          f[cluster_feature_names()[q]] = k.features[q];
        j["clusters"].push_back({{"id", k.id}, {"x", k.x}, {"y", k.y}, {"score", k.score}, {"count", k.count},
                                 {"radius_mm", k.radius_mm}, {"calcification_ids", k.calcification_ids},
                                 {"features", f}});
      }
      for (std::size_t q = 0; q < im.candidates.size(); ++q) {
        const auto& c = im.candidates[q];
        j["calcifications"].push_back({{"id", c.id}, {"x", c.x}, {"y", c.y}, {"diameter_mm", c.diameter_mm},
                                       {"cnr", c.cnr},
                                       {"score", general.oof_calc_scores[i].empty() ? 0.0 : general.oof_calc_scores[i][q]}});
      }
      std::ofstream out(o.oof_dir / (im.stem + ".json"));
      if (!out) throw Error(ErrorCode::OutputFailed, "cannot write", (o.oof_dir / (im.stem + ".json")).string());
      out << j.dump() << "\n";
      ++written;
    }
    log("out-of-fold MIAS results: " + std::to_string(written) + " files in " + o.oof_dir.string());
  }

  report.calcification_model = general.calcification_model;
  report.cluster_model = general.cluster_model;
  report.calcification_model_digital = digital.calcification_model;
  report.cluster_model_digital = digital.cluster_model;

  report.card = {
      {"schema_version", "1.0.0"},
      {"generator", {{"name", "calcscope"}, {"version", CALCSCOPE_VERSION}}},
      {"models",
       {{"calcification", {{"file", "calcification.json"}, {"kind", "xgboost binary:logistic"}, {"trees", o.trees},
                           {"max_depth", o.depth}, {"bagged_models", o.film_bag},
                           {"features", calcification_feature_names()}}},
        {"cluster", {{"file", "cluster.json"}, {"kind", "xgboost binary:logistic"}, {"trees", 80}, {"max_depth", 3},
                     {"bagged_models", o.film_bag}, {"features", cluster_feature_names()},
                     {"features_not_used", o.film_cluster_ignored}}}}},
      {"families",
       o.digital_models
           ? nlohmann::json{{"general",
                             {{"files", {"calcification.json", "cluster.json"}},
                              {"trained_on", "MIAS, the training phantoms with generator-default imaging, INFN when given"},
                              {"used_for", "pixels >= " + std::to_string(kFilmPixelSizeMm) + " mm (digitised film)"}}},
                            {"digital",
                             {{"files", {"calcification-digital.json", "cluster-digital.json"}},
                              {"trained_on", "every training image, the phantoms both with generator-default and with varied imaging"},
                              {"used_for", "pixels < " + std::to_string(kFilmPixelSizeMm) + " mm (digital)"}}}}
           : nlohmann::json{{"general",
                             {{"files", {"calcification.json", "cluster.json"}},
                              {"trained_on", "every training image"},
                              {"used_for", "every image"}}}}},
      {"cluster_rule",  // the grouping the cluster models were trained on (ClusterParams; analyze must use the same)
       {{"general", cluster_params_json(general_options.analyze.cluster)},
        {"digital", cluster_params_json(o.analyze.cluster)}}},
      {"data",
       {{"mias_images", mias_images},
        {"phantoms", o.phantoms},
        {"phantom_seeds", {o.phantom_seed, o.phantom_seed + std::max(0, o.phantoms - 1)}},
        {"phantom_imaging",
         o.digital_models ? "general family: generator defaults (texture beta 3, blur 0.06 mm), noise 0.8-1.2; "
                            "digital family: these and the same seeds again with texture beta 2.5-3.5, blur 0.04-0.10 mm, noise 0.7-1.8"
                          : "generator defaults (texture beta 3, blur 0.06 mm), noise 0.8-1.2"},
        {"digital_lumpy_every", o.digital_models ? o.digital_lumpy_every : 0},  // varied phantoms in the lumpy texture
        {"infn_patches", infn_patches},
        {"infn_pixel_size_mm_assumed", o.infn_pixel_size_mm},
        {"candidates", {{"positive", labels.positive}, {"negative", labels.negative}, {"left_out", labels.left_out}}}}},
      {"cross_validation", {{"folds", F}, {"grouping", "MIAS patient pairs mdb(2k-1)/mdb(2k) share a fold"},
                            {"nested", true}, {"results", cv}}},
      {"training_seconds",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()},
  };
  // session 23 experiments: recorded only when used, so the committed card keeps its fields
  if (o.digital_models && o.digital_grey_variety) report.card["data"]["digital_grey_variety"] = true;
  if (o.digital_models && o.digital_wide_imaging) report.card["data"]["digital_wide_imaging"] = true;
  if (o.digital_models && !o.digital_calc_ignored.empty())
    report.card["data"]["digital_calcification_features_not_used"] = o.digital_calc_ignored;
  if (o.digital_models && !o.digital_cluster_ignored.empty())
    report.card["data"]["digital_cluster_features_not_used"] = o.digital_cluster_ignored;
  if (!speck_net_card.is_null()) report.card["speck_net"] = speck_net_card;
  if (!o.out_dir.empty()) {
    fs::create_directories(o.out_dir);
    const auto write_text = train_detail::write_text_file;
    write_text(o.out_dir / "calcification.json", report.calcification_model);
    write_text(o.out_dir / "cluster.json", report.cluster_model);
    for (const char* f : {"calcification-digital.json", "cluster-digital.json"}) fs::remove(o.out_dir / f);
    if (o.digital_models) {
      write_text(o.out_dir / "calcification-digital.json", report.calcification_model_digital);
      write_text(o.out_dir / "cluster-digital.json", report.cluster_model_digital);
    }
    fs::remove(o.out_dir / "speck-net.json");
    if (!speck_net.empty()) write_text(o.out_dir / "speck-net.json", speck_net.to_text());
    write_json_file(report.card, o.out_dir / "model-card.json");
    write_text(o.out_dir / "cv-table.txt", report.table);
  }
  return report;
}

}  // namespace calcscope
