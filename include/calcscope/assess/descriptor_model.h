// Learned cluster descriptors: gradient-boosted trees (one-vs-rest, XGBoost binary:logistic) over the
// measured quantities of a described cluster (the `measurements` object of ClusterDescription).
// The model decides the morphology word among the six cluster words it was trained on and the
// distribution word among grouped / linear / segmental / regional; the rules stay the explanation
// (`rule_morphology`, `morphology_reason` ...) and still decide the typically benign types the model
// never saw (skin, coarse popcorn, rod-like, rim, vascular) and "diffuse".
// Training: `calcscope train --descriptors` (src/train/describe_phantoms.cpp, models/README.md).
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calcscope {

/// Names of the model inputs: keys of ClusterDescription::measurements, in model order.
const std::vector<std::string>& descriptor_feature_names();

/// The model inputs read from a measurements object (missing or non-numeric keys -> NaN, which the
/// trees route along their default branch).
std::vector<double> descriptor_features(const nlohmann::json& measurements);

/// One learned word and the probabilities behind it.
struct DescriptorVote {
  std::string word;                        ///< class with the highest probability
  double probability = 0;                  ///< its normalised probability
  std::map<std::string, double> probabilities;  ///< every class, normalised to sum 1
};

class DescriptorModel {
 public:
  /// The model compiled into the binary (models/descriptor.json); nullptr when that file was absent
  /// at build time. Throws Error(InvalidData) if the embedded text is malformed.
  static const DescriptorModel* embedded();
  /// Parses the file format written by `calcscope train --descriptors`:
  /// {"format": "calcscope-descriptor-1", "features": [...], "pixel_size_mm": [lo, hi],
  ///  "morphology": {"<word>": <xgboost json>, ...}, "distribution": {...}, "card": {...}}.
  /// Throws Error(InvalidData) when the features differ from descriptor_feature_names() or a model is malformed.
  static DescriptorModel from_json(const nlohmann::json& j);

  std::optional<DescriptorVote> morphology(const nlohmann::json& measurements) const;
  std::optional<DescriptorVote> distribution(const nlohmann::json& measurements) const;
  /// Pixel sizes the training images had (the model is used only inside this range).
  double min_pixel_size_mm() const { return min_px_; }
  double max_pixel_size_mm() const { return max_px_; }
  const nlohmann::json& card() const { return card_; }

  DescriptorModel();
  ~DescriptorModel();
  DescriptorModel(DescriptorModel&&) noexcept;
  DescriptorModel& operator=(DescriptorModel&&) noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  double min_px_ = 0, max_px_ = 0;
  nlohmann::json card_;
};

}  // namespace calcscope
