// Scorers: gradient-boosted trees (XGBoost JSON model format, evaluated here without the library)
// embedded into the binary at build time, with a documented heuristic fallback.
#include "calcscope/detect/scoring.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "calcscope/core/error.h"
#include "calcscope/core/image.h"
#include "detect/gbdt.h"
#include "detect/scoring_models.h"

namespace calcscope {

namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// Fallback when no trained model is embedded: contrast-to-noise with shape penalties.
class HeuristicCalcificationScorer final : public Scorer {
 public:
  double score(const std::vector<double>& f) const override {
    const double cnr = f[0], elong = f[6], line_ratio = f[11];
    double z = 1.2 * (cnr - 5.0);
    if (elong > 3.0) z -= (elong - 3.0);
    if (line_ratio < 0.15) z -= 1.0;
    return sigmoid(z);
  }
  std::string name() const override { return "heuristic-calcification-v1"; }
};

class HeuristicClusterScorer final : public Scorer {
 public:
  double score(const std::vector<double>& f) const override {
    const double log_count = f[0], top3 = f[3];
    return sigmoid(1.5 * (log_count - 2.0) + 4.0 * (top3 - 0.7));
  }
  std::string name() const override { return "heuristic-cluster-v1"; }
};

class GbdtScorer final : public Scorer {
 public:
  GbdtScorer(GbdtModel model, std::string name) : model_(std::move(model)), name_(std::move(name)) {}
  double score(const std::vector<double>& f) const override { return model_.predict(f); }
  std::string name() const override { return name_; }

 private:
  GbdtModel model_;
  std::string name_;
};

std::unique_ptr<Scorer> load_embedded(const char* text, std::size_t size, const std::string& what,
                                      std::size_t n_features) {
  if (size == 0) return nullptr;
  GbdtModel model = GbdtModel::from_xgboost_json(nlohmann::json::parse(std::string(text, size)));
  if (model.num_features() > n_features)
    throw Error(ErrorCode::Internal, "embedded " + what + " model expects " + std::to_string(model.num_features()) +
                                         " features, the detector makes " + std::to_string(n_features));
  return std::make_unique<GbdtScorer>(std::move(model), what + "-gbdt");
}

}  // namespace

struct ScoringModels {
  std::unique_ptr<Scorer> calcification;
  std::unique_ptr<Scorer> cluster;
  const Scorer* patch = nullptr;  ///< the patch model (digital family only), not owned
};

ScoringModels make_models(std::unique_ptr<Scorer> calc, std::unique_ptr<Scorer> cluster) {
  ScoringModels m;
  m.calcification = calc ? std::move(calc) : std::make_unique<HeuristicCalcificationScorer>();
  m.cluster = cluster ? std::move(cluster) : std::make_unique<HeuristicClusterScorer>();
  return m;
}

const ScoringModels& default_models() {
  static const ScoringModels models = [] {
    const auto& calc_text = embedded_model_calcification();
    const auto& cluster_text = embedded_model_cluster();
    return make_models(load_embedded(calc_text.data(), calc_text.size(), "calcification",
                                     calcification_feature_names().size()),
                       load_embedded(cluster_text.data(), cluster_text.size(), "cluster",
                                     cluster_feature_names().size()));
  }();
  return models;
}

const ScoringModels& default_models(double pixel_size_mm) {
  if (!(pixel_size_mm < kFilmPixelSizeMm)) return default_models();
  static const ScoringModels* digital = []() -> const ScoringModels* {
    const auto& calc_text = embedded_model_calcification_digital();
    const auto& cluster_text = embedded_model_cluster_digital();
    if (calc_text.empty() || cluster_text.empty()) return nullptr;  // one family for every pixel size
    static ScoringModels models =
        make_models(load_embedded(calc_text.data(), calc_text.size(), "calcification-digital",
                                  calcification_feature_names().size()),
                    load_embedded(cluster_text.data(), cluster_text.size(), "cluster-digital",
                                  cluster_feature_names().size()));
    models.patch = default_patch_model();
    return &models;
  }();
  return digital ? *digital : default_models();
}

const ScoringModels& heuristic_models() {
  static const ScoringModels models = make_models(nullptr, nullptr);
  return models;
}

std::unique_ptr<ScoringModels> load_models(const std::string& calcification_json, const std::string& cluster_json) {
  auto m = std::make_unique<ScoringModels>();
  auto calc = calcification_json.empty()
                  ? nullptr
                  : load_embedded(calcification_json.data(), calcification_json.size(), "calcification",
                                  calcification_feature_names().size());
  auto cl = cluster_json.empty() ? nullptr
                                 : load_embedded(cluster_json.data(), cluster_json.size(), "cluster",
                                                 cluster_feature_names().size());
  *m = make_models(std::move(calc), std::move(cl));
  return m;
}

void score_calcifications(std::vector<Calcification>& calcs, const ScoringModels& models) {
  for (auto& c : calcs) c.score = models.calcification->score(c.features);
}

void score_clusters(std::vector<Cluster>& clusters, const std::vector<Calcification>&, const ScoringModels& models) {
  for (auto& c : clusters) c.score = c.model_score = models.cluster->score(c.features);
}

const std::vector<std::string>& patch_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = calcification_feature_names();
    for (const char* extra : {"image_model_score", "rank_in_patch", "others_scoring_over_half", "best_other_score"})
      n.push_back(extra);
    return n;
  }();
  return names;
}

std::vector<std::vector<double>> patch_features(const std::vector<Calcification>& scored) {
  // held at 0: the grey level and noise of the patch are properties of the digitiser, not of a
  // calcification (INFN's 1/ patches are brighter than its 0/ ones; docs/algorithms.md §3b)
  static const std::vector<std::size_t> ignored = [] {
    std::vector<std::size_t> v;
    const auto& names = calcification_feature_names();
    for (const char* n : {"background", "log_noise"})
      v.push_back(static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin()));
    return v;
  }();
  std::vector<std::vector<double>> out;
  out.reserve(scored.size());
  for (std::size_t i = 0; i < scored.size(); ++i) {
    int higher = 0, over_half = 0;
    double best_other = 0;
    for (std::size_t j = 0; j < scored.size(); ++j) {
      if (j == i) continue;
      const double s = scored[j].score;
      if (s > scored[i].score || (s == scored[i].score && j < i)) ++higher;
      if (s >= 0.5) ++over_half;
      best_other = std::max(best_other, s);
    }
    std::vector<double> f = scored[i].features;
    f.resize(calcification_feature_names().size(), 0.0);
    for (const std::size_t k : ignored) f[k] = 0.0;
    f.push_back(scored[i].score);
    f.push_back(std::min(higher, 10));
    f.push_back(std::min(over_half, 20));
    f.push_back(best_other);
    out.push_back(std::move(f));
  }
  return out;
}

std::unique_ptr<Scorer> load_patch_model(const std::string& json) {
  auto m = load_embedded(json.data(), json.size(), "calcification-patch", patch_feature_names().size());
  if (!m) throw Error(ErrorCode::InvalidData, "empty patch model");
  return m;
}

const Scorer* default_patch_model() {
  static const std::unique_ptr<Scorer> model = []() -> std::unique_ptr<Scorer> {
    const auto& text = embedded_model_calcification_patch();
    if (text.empty()) return nullptr;
    return load_patch_model(text);
  }();
  return model.get();
}

void score_patch_calcifications(std::vector<Calcification>& calcs, const Scorer& patch_model) {
  const auto f = patch_features(calcs);
  for (std::size_t i = 0; i < calcs.size(); ++i) calcs[i].score = patch_model.score(f[i]);
}

const Scorer* patch_model_of(const ScoringModels& models) { return models.patch; }

std::string models_description(const ScoringModels& models) {
  return models.calcification->name() + " + " + models.cluster->name();
}

}  // namespace calcscope
