#include "detect/gbdt.h"

#include <cmath>
#include <string>

#include "calcscope/core/error.h"

namespace calcscope {

GbdtModel GbdtModel::from_xgboost_json(const nlohmann::json& j) {
  GbdtModel m;
  try {
    const auto& learner = j.at("learner");
    const auto& params = learner.at("learner_model_param");
    const double base_score = std::stod(params.at("base_score").get<std::string>());
    m.num_features_ = static_cast<std::size_t>(std::stoul(params.at("num_feature").get<std::string>()));
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    if (objective != "binary:logistic")
      throw Error(ErrorCode::InvalidData, "model objective must be binary:logistic, not " + objective);
    const double p = std::min(1 - 1e-7, std::max(1e-7, base_score));
    m.base_margin_ = std::log(p / (1 - p));
    for (const auto& t : learner.at("gradient_booster").at("model").at("trees")) {
      Tree tree;
      tree.left = t.at("left_children").get<std::vector<int>>();
      tree.right = t.at("right_children").get<std::vector<int>>();
      tree.feature = t.at("split_indices").get<std::vector<int>>();
      tree.threshold = t.at("split_conditions").get<std::vector<float>>();
      for (const auto& d : t.at("default_left")) tree.default_left.push_back(d.get<int>() != 0);
      if (tree.left.size() != tree.right.size() || tree.left.size() != tree.feature.size() ||
          tree.left.size() != tree.threshold.size() || tree.left.size() != tree.default_left.size())
        throw Error(ErrorCode::InvalidData, "inconsistent tree arrays in model");
      m.trees_.push_back(std::move(tree));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("malformed XGBoost JSON model: ") + e.what());
  }
  return m;
}

double GbdtModel::predict(const std::vector<double>& f) const {
  double margin = base_margin_;
  for (const auto& t : trees_) {
    int node = 0;
    while (t.left[node] != -1) {
      const int fi = t.feature[node];
      const bool missing = fi < 0 || static_cast<std::size_t>(fi) >= f.size() || std::isnan(f[fi]);
      const bool go_left = missing ? t.default_left[node] != 0 : static_cast<float>(f[fi]) < t.threshold[node];
      node = go_left ? t.left[node] : t.right[node];
    }
    margin += t.threshold[node];
  }
  return 1.0 / (1.0 + std::exp(-margin));
}

}  // namespace calcscope
