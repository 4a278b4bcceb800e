#include "train/xgb_binary.h"

#include <xgboost/c_api.h>

#include <cctype>
#include <cmath>

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

int mias_pair_index(const std::string& stem) {
  int n = 0;
  for (char ch : stem)
    if (std::isdigit(static_cast<unsigned char>(ch))) n = n * 10 + (ch - '0');
  return (n + 1) / 2;
}

}  // namespace calcscope::train_detail
