// Turning candidate features into calibrated scores in [0,1].
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "calcscope/detect/calcifications.h"
#include "calcscope/detect/clusters.h"

namespace calcscope {

/// A scorer over a feature vector. The default is built into the binary (models/*.json compiled in);
/// no data or file is needed at run time.
class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual double score(const std::vector<double>& features) const = 0;
  virtual std::string name() const = 0;
};

struct ScoringModels;  // opaque: the calcification and cluster scorers

/// The models analyze() uses by default: the trained models in models/ compiled into the binary,
/// or the heuristic scorers when none were embedded.
const ScoringModels& default_models();
/// The embedded models for an image of this acquisition pixel size: the "digital" family
/// (models/*-digital.json, trained without MIAS) below kFilmPixelSizeMm when it was embedded,
/// the general family otherwise. analyze() uses this.
const ScoringModels& default_models(double pixel_size_mm);
/// Documented heuristic scorers (contrast-to-noise with shape penalties), used to bootstrap training.
const ScoringModels& heuristic_models();
/// Models from XGBoost JSON texts (empty text = heuristic for that stage). Throws Error.
std::unique_ptr<ScoringModels> load_models(const std::string& calcification_json, const std::string& cluster_json);

void score_calcifications(std::vector<Calcification>& calcifications, const ScoringModels& models);
void score_clusters(std::vector<Cluster>& clusters, const std::vector<Calcification>& calcifications,
                    const ScoringModels& models);

/// Patch rescoring (docs/algorithms.md §3b). A patch (an image analysed whole, both sides under
/// kPatchMaxSideMm, digital pixels) holds a few square millimetres of tissue: whether one of its
/// candidates is a calcification is judged better against the other candidates of the same patch
/// than against a whole breast. The patch model (models/calcification-patch.json, trained by
/// `calcscope train --patches` on the INFN patches and phantom windows) scores each candidate from its
/// calcification features, its score by the image model, and that context. Feature names, in model order:
const std::vector<std::string>& patch_feature_names();
/// Patch features of every candidate; `scored` carries the image model's scores. Pure.
std::vector<std::vector<double>> patch_features(const std::vector<Calcification>& scored);
/// The embedded patch model, or nullptr when models/calcification-patch.json was not embedded.
const Scorer* default_patch_model();
/// A patch model from XGBoost JSON text (training, tests). Throws Error.
std::unique_ptr<Scorer> load_patch_model(const std::string& json);
/// The patch model that goes with these models: default_patch_model() for the embedded digital family
/// (default_models(pixel) below kFilmPixelSizeMm), nullptr for every other set.
const Scorer* patch_model_of(const ScoringModels& models);
/// Replaces each candidate's score (the image model's) by the patch model's.
void score_patch_calcifications(std::vector<Calcification>& calcifications, const Scorer& patch_model);

/// Name and version of the scoring models, recorded in the outputs.
std::string models_description(const ScoringModels& models);

}  // namespace calcscope
