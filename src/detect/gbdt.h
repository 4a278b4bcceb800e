// Gradient-boosted tree ensemble evaluated from XGBoost's JSON model format (binary:logistic).
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

namespace calcscope {

class GbdtModel {
 public:
  /// Parses `Booster.save_model("x.json")` output. Throws Error(InvalidData) on a malformed model.
  static GbdtModel from_xgboost_json(const nlohmann::json& model);
  /// Probability in [0,1].
  double predict(const std::vector<double>& features) const;
  std::size_t num_features() const { return num_features_; }
  std::size_t num_trees() const { return trees_.size(); }

 private:
  struct Tree {
    std::vector<int> left, right, feature;
    std::vector<float> threshold;  // leaf value at leaves
    std::vector<unsigned char> default_left;
  };
  std::vector<Tree> trees_;
  double base_margin_ = 0;
  std::size_t num_features_ = 0;
};

}  // namespace calcscope
