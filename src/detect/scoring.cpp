// Scorers: gradient-boosted trees (XGBoost JSON model format, evaluated here without the library)
// embedded into the binary at build time, with a documented heuristic fallback.
#include "calcscope/detect/scoring.h"

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
    static const ScoringModels models =
        make_models(load_embedded(calc_text.data(), calc_text.size(), "calcification-digital",
                                  calcification_feature_names().size()),
                    load_embedded(cluster_text.data(), cluster_text.size(), "cluster-digital",
                                  cluster_feature_names().size()));
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

std::string models_description(const ScoringModels& models) {
  return models.calcification->name() + " + " + models.cluster->name();
}

}  // namespace calcscope
