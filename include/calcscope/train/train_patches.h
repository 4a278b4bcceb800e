// Training of the patch model (models/calcification-patch.json): rescoring of the candidates of a
// patch, an image analysed whole (docs/algorithms.md §3b), from two sources: the INFN patches (60 x 60
// crops of digitised film with patch-level labels only: 1/ holds a microcalcification cluster, 0/
// none) and 60 x 60 windows cut from synthetic phantoms (every calcification known), so that the model
// does not learn one digitiser's look.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calcscope {

struct PatchTrainOptions {
  std::filesystem::path infn_dir;               ///< ../shared/data/infn-patches (0/ and 1/)
  /// The patches' pixel size is undocumented: every patch is used at each of these (both copies of a
  /// patch share a fold), so the model does not depend on one guess.
  std::vector<double> pixel_sizes_mm = {0.07, 0.1};
  int folds = 5;                                ///< grouped by the INFN case number (first 4 characters)
  int threads = 2;
  int trees = 80;
  int depth = 3;
  double learning_rate = 0.1;
  /// Labels of a 1/ patch (positions unknown): its candidates the image model scores at least this
  /// high are positive (at most positive_max_per_patch, best first; the best one when none is);
  /// the others are left out. Every candidate of a 0/ patch is negative.
  double positive_min_image_score = 0.5;
  int positive_max_per_patch = 5;
  /// Phantom windows: phantoms (seeds phantom_seed.., the training phantoms' range; 110 x 140 mm,
  /// 0.07 and 0.1 mm in turn, every other pair with varied imaging), each giving a window on every
  /// inserted cluster (jittered by up to 8 pixels) and negatives_per_phantom windows of tissue with no
  /// calcification within 1 mm; written to 8 bits like a patch file. Candidates are labelled by the
  /// truth. 0 = INFN only.
  int phantoms = 120;
  std::uint64_t phantom_seed = 500;
  int negatives_per_phantom = 6;
  int window_px = 60;
  std::filesystem::path out_dir;                ///< writes calcification-patch.json, patch-card.json, patch-cv.txt
  bool verbose = true;
};

struct PatchTrainReport {
  std::string model;      ///< XGBoost JSON text
  double cut = 0;         ///< recommended patch calcification cut (balanced accuracy on out-of-fold scores)
  nlohmann::json card;
  std::string table;
};

/// Grouped cross-validation (out-of-fold patch scores, the cut of each fold chosen without it), then
/// the final model on every patch. Throws Error.
PatchTrainReport train_patch_model(const PatchTrainOptions& options);

/// The cut that maximises (detected + quiet) / 2 over patch scores (a patch is detected when its best
/// score is >= the cut), midway between neighbouring scores, the lowest of tied ones; 0.5 when a class
/// is empty. Pure.
double balanced_patch_cut(const std::vector<double>& positive_best, const std::vector<double>& negative_best);

/// Patch scores of one source (positive and negative patches' best scores).
struct PatchScores {
  std::vector<double> positive_best, negative_best;
};
/// The cut that maximises the sum over sources of (detected + quiet) / 2: each source counts the same
/// whatever its number of patches. Same tie rule; sources with an empty class are skipped.
double balanced_patch_cut(const std::vector<PatchScores>& sources);

}  // namespace calcscope
