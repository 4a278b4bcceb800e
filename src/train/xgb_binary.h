// Shared by the training commands: one binary:logistic XGBoost model from a dense feature matrix,
// and the MIAS patient pair of an image name. Internal to src/train.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace calcscope::train_detail {

struct XgbSettings {
  int trees = 100;
  int depth = 4;
  double learning_rate = 0.1;
  int threads = 2;
  int seed = 7;
  /// XGBoost monotone_constraints, one of -1/0/+1 per feature ("" = none)
  std::string monotone;
};

/// Trains binary:logistic trees on x (rows x n_features, row-major), labels y (0/1) and weights w;
/// returns XGBoost's JSON model text. Throws Error(Internal) when XGBoost fails.
std::string train_xgb_binary(const std::vector<float>& x, std::size_t n_features, const std::vector<float>& y,
                             const std::vector<float>& w, const XgbSettings& s);

/// One model whose margin is the mean of the given models' margins (bagging): the trees of all of them,
/// every leaf value divided by their number, in XGBoost's JSON format (binary:logistic, base_score 0.5,
/// as XGBoost 1.7 writes; other base scores are refused). One model is returned unchanged. Throws
/// Error(InvalidData) on an empty list, models of different feature counts or a malformed model.
std::string average_xgb_models(const std::vector<std::string>& models);

/// MIAS patient pair of "mdbNNN": mdb(2k-1) and mdb(2k) belong to pair k.
int mias_pair_index(const std::string& stem);

}  // namespace calcscope::train_detail
