#include "train/xgb_binary.h"

#include <xgboost/c_api.h>

#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "calcscope/core/error.h"

namespace calcscope::train_detail {

namespace {
void xgb_check(int rc, const char* what) {
  if (rc != 0) throw Error(ErrorCode::Internal, std::string("XGBoost ") + what + " failed: " + XGBGetLastError());
}
}  // namespace

std::string train_xgb_binary(const std::vector<float>& x, std::size_t n_features, const std::vector<float>& y,
                             const std::vector<float>& w, const XgbSettings& s) {
  if (y.empty() || x.size() != y.size() * n_features || w.size() != y.size())
    throw Error(ErrorCode::InvalidData, "training data: empty or inconsistent feature matrix");
  DMatrixHandle dm;
  xgb_check(XGDMatrixCreateFromMat(x.data(), y.size(), n_features, NAN, &dm), "DMatrix");
  xgb_check(XGDMatrixSetFloatInfo(dm, "label", y.data(), y.size()), "label");
  xgb_check(XGDMatrixSetFloatInfo(dm, "weight", w.data(), w.size()), "weight");
  BoosterHandle b;
  xgb_check(XGBoosterCreate(&dm, 1, &b), "booster");
  const auto set = [&](const char* k, const std::string& v) { xgb_check(XGBoosterSetParam(b, k, v.c_str()), k); };
  set("objective", "binary:logistic");
  set("max_depth", std::to_string(s.depth));
  set("eta", std::to_string(s.learning_rate));
  set("subsample", "0.8");
  set("colsample_bytree", "0.8");
  set("min_child_weight", "2");
  set("lambda", "2");
  set("nthread", std::to_string(s.threads));
  set("seed", std::to_string(s.seed));
  set("tree_method", "hist");
  set("verbosity", "0");
  if (!s.monotone.empty()) set("monotone_constraints", s.monotone);
  for (int i = 0; i < s.trees; ++i) xgb_check(XGBoosterUpdateOneIter(b, i, dm), "update");
  bst_ulong len = 0;
  const char* buf = nullptr;
  xgb_check(XGBoosterSaveModelToBuffer(b, R"({"format": "json"})", &len, &buf), "save");
  std::string text(buf, len);
  XGBoosterFree(b);
  XGDMatrixFree(dm);
  return text;
}

std::string average_xgb_models(const std::vector<std::string>& models) {
  if (models.empty()) throw Error(ErrorCode::InvalidData, "no models to average");
  if (models.size() == 1) return models.front();
  try {
    nlohmann::json out = nlohmann::json::parse(models.front());
    auto& learner = out.at("learner");
    const std::string nf = learner.at("learner_model_param").at("num_feature").get<std::string>();
    auto& model = learner.at("gradient_booster").at("model");
    nlohmann::json trees = nlohmann::json::array();
    const double k = static_cast<double>(models.size());
    for (const auto& text : models) {
      const nlohmann::json m = nlohmann::json::parse(text);
      const auto& params = m.at("learner").at("learner_model_param");
      if (params.at("num_feature").get<std::string>() != nf)
        throw Error(ErrorCode::InvalidData, "models to average have different feature counts");
      if (std::stod(params.at("base_score").get<std::string>()) != 0.5)
        throw Error(ErrorCode::InvalidData, "models to average must have base_score 0.5");
      for (auto t : m.at("learner").at("gradient_booster").at("model").at("trees")) {
        const auto left = t.at("left_children").get<std::vector<int>>();
        auto& cond = t.at("split_conditions");
        auto& weights = t.at("base_weights");
        for (std::size_t n = 0; n < left.size(); ++n) {
          if (left[n] == -1) cond[n] = cond[n].get<double>() / k;  // leaf value
          weights[n] = weights[n].get<double>() / k;
        }
        t["id"] = static_cast<int>(trees.size());
        trees.push_back(std::move(t));
      }
    }
    model["gbtree_model_param"]["num_trees"] = std::to_string(trees.size());
    model["tree_info"] = std::vector<int>(trees.size(), 0);
    model["trees"] = std::move(trees);
    return out.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("malformed XGBoost JSON model: ") + e.what());
  }
}

int mias_pair_index(const std::string& stem) {
  int n = 0;
  for (char ch : stem)
    if (std::isdigit(static_cast<unsigned char>(ch))) n = n * 10 + (ch - '0');
  return (n + 1) / 2;
}

}  // namespace calcscope::train_detail
