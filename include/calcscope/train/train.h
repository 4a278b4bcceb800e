// Training and cross-validation of the learned scoring stages (gradient-boosted trees, XGBoost).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/pipeline/analyze.h"

namespace calcscope {

struct TrainOptions {
  std::filesystem::path mias_dir;   ///< ../shared/data/mias (PNG + truth.txt); empty = no MIAS
  std::filesystem::path infn_dir;   ///< ../shared/data/infn-patches (0/ and 1/); empty = not used
  double infn_pixel_size_mm = 0.1;  ///< assumed pixel size of the INFN patches (undocumented)
  int phantoms = 240;               ///< synthetic training images (70, 100 and 200 um in turn)
  std::uint64_t phantom_seed = 500; ///< first phantom seed (evaluation phantoms use seeds >= 1000)
  int folds = 5;                    ///< cross-validation folds (MIAS patient pairs kept together)
  int trees = 100;
  int depth = 4;
  double learning_rate = 0.08;
  int threads = 2;
  std::filesystem::path out_dir = "models";
  /// When set, the out-of-fold results of the MIAS images (general family) are written there, one
  /// `<stem>.json` per image in the analysis JSON's minimal form (image, breast area, clusters with
  /// their features and member ids, calcifications with their out-of-fold scores), so that
  /// `calcscope eval --results DIR --mias-truth ...` reproduces the cross-validation's MIAS table and
  /// single clusters can be inspected. Development only; empty = not written.
  std::filesystem::path oof_dir;
  AnalyzeOptions analyze;
  /// Also train the "digital" family, used for pixels < kFilmPixelSizeMm: every training image, the
  /// phantoms both with the generator's default imaging and again with varied imaging (texture
  /// exponent 2.5-3.5, blur 0.04-0.10 mm, noise 0.7-1.8; phantom_imaging_variety()). The general
  /// family (MIAS, default-imaging phantoms, INFN when given) then scores film only. Session 9: much
  /// more robust to imaging the generator defaults do not show, the same on the held-out phantoms
  /// and INFN (models/README.md). false = one family (the general one) for every pixel size.
  bool digital_models = true;
  /// Digital family only: negatives of the calcification model kept in proportion to
  /// (max(CNR, 3) / 3)^this, weighted back (importance sampling); 0 = uniform (calc_samples()).
  double digital_hard_negatives = 0;
  /// Digital family only: this many more phantoms (the seeds after the `phantoms` ones), rendered
  /// with varied imaging. 0 = none.
  int digital_extra_phantoms = 0;
  /// Digital family only: every K-th varied-imaging phantom of each pixel size ((i / 3) % K == 1)
  /// renders its tissue as a clustered lumpy background (PhantomSpec::texture "lumpy") instead of the
  /// power-law field. 0 = none; 3 since session 15 (models/README.md).
  int digital_lumpy_every = 3;
  /// Digital family only (experiment of session 23, not kept; models/README.md): the varied-imaging
  /// phantoms are written on other grey scales, v -> clamp(offset + gain v, 0, 1) with gain and offset
  /// from phantom_grey_variety(), so that the digital models might not learn our generator's exact
  /// grey calibration. The spread stays inside the grey window's dead band (docs/algorithms.md
  /// section 2), where analyze() leaves the grey levels as stored. false = as rendered (the models).
  bool digital_grey_variety = false;
  /// Digital family only (experiment of session 24; models/README.md): the varied-imaging phantoms
  /// span wider ranges, texture exponent 2.2-3.8, blur 0.02-0.12 mm, noise 0.5-2.5
  /// (phantom_imaging_variety(i, true)), so that the digital models have seen the imaging where
  /// scripts/stress.sh finds them failing. false = 2.5-3.5, 0.04-0.10 mm, 0.7-1.8.
  bool digital_wide_imaging = false;
  /// With digital_models, which phantoms the general (film) family learns from: 0 = every
  /// generator-default phantom (70/100/200 um, as up to session 11), 1 = the 200 um ones only,
  /// 2 = the 200 um ones in both renderings (default and varied imaging).
  int film_phantoms = 0;
  /// With digital_models: the MIAS images also resampled (bicubic) to these pixel sizes, mm (e.g. 0.07
  /// and 0.1), as real tissue at digital pixel sizes for the digital family only (truth circles
  /// scaled; same patient-pair folds). Empty = none.
  std::vector<double> mias_resampled_mm;
  /// Cluster models: the score may only rise with the member counts and member scores (XGBoost
  /// monotone constraints). Off = unconstrained (up to session 12).
  bool cluster_monotone = false;
  /// General (film) family: phantom candidates that are positive only through a fine-linear-branching
  /// calcification are left out of the calcification model's training (experiment, session 13).
  bool film_skip_linear = false;
  /// General (film) family: cluster features its cluster model may not use (held constant in
  /// training, so no tree splits on them; they are still computed and written). Default: the three
  /// member-score ratios, which fall when a group also takes in weak members, so that they read a
  /// real cluster with a few doubtful specks around it as less likely than three strong specks alone
  /// (session 15: MIAS cross-validation 0.594 -> 0.607, models/README.md). Names from
  /// cluster_feature_names(); empty = every feature (up to session 14).
  std::vector<std::string> film_cluster_ignored = {"mean_member_score", "strong_fraction", "median_member_score"};
  /// Digital family: calcification and cluster features its models may not use (held constant in
  /// training, as film_cluster_ignored). Names from calcification_feature_names() and
  /// cluster_feature_names(); empty = every feature (the models). Session 23 measured grey-scale-free
  /// digital models with them (models/README.md): not kept.
  std::vector<std::string> digital_calc_ignored;
  /// Session 26: the candidate-patch network (detect/speck_net.h) is fitted first, on this many phantoms
  /// of the training recipe at 70/100 um (every second pair with varied imaging) on seeds from
  /// speck_net_seed, and every candidate below gets its "speck_net" feature from it; 0 = no network
  /// (the feature is 0). The general (film) family never reads the feature.
  int speck_net_phantoms = 800;
  std::uint64_t speck_net_seed = 9000;
  int speck_net_epochs = 25;
  /// Session 28: real tissue for the network. Every candidate of the INFN normal patches (0/) of half the
  /// INFN cases (speck_net_infn_case_half() == 0), found at an assumed 0.07 and 0.1 mm, is a negative
  /// patch, repeated speck_net_infn_copies times; the other half of the cases is kept out, and the
  /// network alone is scored on it (model card). Empty = phantoms only (sessions 26-27).
  std::filesystem::path speck_net_infn_dir;
  int speck_net_infn_copies = 4;
  /// A network already fitted (speck-net.json as `calcscope train` writes it) used instead of fitting
  /// one: speck_net_phantoms and speck_net_infn_dir are then ignored. Empty = fit (or none).
  std::filesystem::path speck_net_file;
  std::vector<std::string> digital_cluster_ignored;
  /// General (film) family: every calcification and cluster model is the average (in margin) of this
  /// many XGBoost models trained with different seeds (bagging, to lower the variance of the film
  /// figures; session 21, models/README.md). 1 = one model (up to session 20).
  int film_bag = 1;
  bool verbose = true;
};

struct TrainReport {
  nlohmann::json card;             ///< model card: data, command, CV figures (also models/model-card.json)
  std::string calcification_model; ///< XGBoost JSON text
  std::string cluster_model;
  std::string calcification_model_digital;  ///< empty unless TrainOptions::digital_models
  std::string cluster_model_digital;
  std::string table;               ///< printed CV table
};

/// Extracts candidates from every training image, runs nested patient-pair cross-validation
/// (the figures), then trains the final models on everything and writes them to options.out_dir
/// (calcification.json, cluster.json, calcification-digital.json, cluster-digital.json,
/// model-card.json, cv-table.txt). Throws Error.
TrainReport train_models(const TrainOptions& options);

/// Imaging of training phantom i in the digital family: texture exponent, detector blur and noise
/// on grids of 11, 7 and 13 steps (prime, so independent of each other and of the phantoms'
/// pixel-size, view, side and noise cycles).
struct PhantomImaging {
  double texture_beta, blur_mm, noise;
};
/// wide (TrainOptions::digital_wide_imaging, session 24): texture exponent 2.2-3.8, blur 0.02-0.12 mm,
/// noise 0.5-2.5 on the same grids.
PhantomImaging phantom_imaging_variety(int i, bool wide = false);

/// Grey scale of varied-imaging training phantom i (TrainOptions::digital_grey_variety): gain
/// 0.88-1.13 on a grid of 17 steps and offset -0.03..0.04 on a grid of 19 (prime, independent of the
/// grids above and of the pixel-size cycle). Mapping the trained tissue range through it needs a gain
/// inside [1/1.15, 1.15] and moves the low end by at most 0.08: the grey window's dead band.
struct PhantomGrey {
  double gain, offset;
};
PhantomGrey phantom_grey_variety(int i);

/// Keep probabilities of negative samples for a budget (calcification model, calc_samples() in
/// src/train/train.cpp): min(1, lambda x hardness[i]) with lambda chosen so that they sum to
/// `budget` (all 1 when there are no more negatives than that). Equal hardness gives every negative
/// budget / n. A kept negative is weighted 1 / its probability, so the sample stays unbiased.
std::vector<double> negative_keep_probabilities(const std::vector<double>& hardness, double budget);

/// Patient-pair fold of a MIAS image name ("mdb123" -> pair 62 -> fold), deterministic.
int mias_fold(const std::string& stem, int folds);

}  // namespace calcscope
