// Phantom evaluation and training of the learned cluster descriptors (issue 4, Done-when 1).
// Each seed is a 70 um phantom with two clusters of known morphology and distribution; analyze()
// runs on it, describe_image() describes the detected clusters, and each true cluster is matched with
// the detected cluster holding the most detected calcifications within its radius + 3 mm.
// Training uses a seed range disjoint from the reported one (docs/assessment.md).
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/describe.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// The six morphology words and four distribution words of the evaluation phantoms.
const std::vector<std::string>& describe_eval_morphologies();
const std::vector<std::string>& describe_eval_distributions();

/// Deterministic phantom of one seed: 70 um (or pixel_size_mm), two clusters (k = 0, 1) with 7-12
/// calcifications.
PhantomSpec describe_eval_phantom_spec(int seed, double pixel_size_mm = 0.07);

/// One analysed seed (from the cache or freshly analysed). `image` is empty when read from the cache.
struct DescribeSeed {
  int seed = 0;
  AnalysisResult result;
  std::vector<PhantomCluster> truth;
  Image image;
};

/// Analyses a seed, or reads/writes `cache_dir/seed<N>.json` when `cache_dir` is not empty. The cached
/// result has no pixels (rim test skipped) and its breast mask is reduced to the bounding box.
/// Stale caches (another detector) are the caller's business: delete the directory.
DescribeSeed analyse_describe_seed(int seed, const std::filesystem::path& cache_dir, double pixel_size_mm = 0.07);

/// One true cluster and what the pipeline said about it.
struct DescribeCase {
  int seed = 0;
  std::string truth_morphology, truth_distribution;
  bool detected = false;
  std::string morphology, distribution;  ///< described words (benign_type for typically benign)
  ClusterDescription cluster;            ///< the matched detected cluster (when detected)
};

/// Matches the truth of one seed with its described clusters (best match per true cluster).
std::vector<DescribeCase> describe_cases(const DescribeSeed& s, const DescribeParams& p = {});

/// Training samples: every detected cluster with >= 2 members inside a true cluster (radius + 3 mm),
/// labelled with that truth (a detected cluster is labelled once, with the truth it overlaps most).
struct DescriptorSample {
  int seed = 0;
  std::string morphology, distribution;
  nlohmann::json measurements;  ///< the cluster's measurements (features: descriptor_features())
};
std::vector<DescriptorSample> descriptor_samples(const DescribeSeed& s, const DescribeParams& p = {});

/// Confusion matrix truth -> predicted -> count, printed as a Markdown table.
struct Confusion {
  std::vector<std::string> labels;
  std::map<std::string, std::map<std::string, int>> n;
  void add(const std::string& truth, const std::string& predicted) { ++n[truth][predicted]; }
  int total() const;
  int correct() const;
  int total_excluding(const std::string& predicted) const;  ///< e.g. without "(missed)"
  std::string table(const std::string& title) const;
};

struct DescribeEvaluation {
  int first_seed = 0, last_seed = 0;
  int truths = 0, detected = 0;
  Confusion morphology, distribution;
  std::string text;  ///< both tables with "of detected" and "of all true clusters" lines
};
/// Runs seeds [first, last] (threads in parallel, each seed analysed once) and fills the matrices.
/// pixel_size_mm: of the phantoms (the reported figures are at 0.07; use another cache_dir per size).
DescribeEvaluation evaluate_descriptors(int first, int last, const std::filesystem::path& cache_dir, int threads,
                                        const DescribeParams& p = {}, bool verbose = false,
                                        double pixel_size_mm = 0.07);

struct DescriptorTrainOptions {
  int first_seed = 1, last_seed = 300;  ///< training seeds (the docs report 1000-1100: keep them disjoint)
  int eval_first_seed = 1000, eval_last_seed = 1100;  ///< held-out report after training (0 = none)
  std::filesystem::path cache_dir;      ///< optional analysis cache (see analyse_describe_seed)
  std::filesystem::path out_dir = "models";
  int threads = 2;
  int trees = 80, depth = 3;
  double learning_rate = 0.1;
  int cv_folds = 5;  ///< cross-validation folds on the training seeds (0 = none)
  bool verbose = true;
};
struct DescriptorTrainReport {
  nlohmann::json model;  ///< what was written to out_dir/descriptor.json
  /// 5-fold cross-validation on the training seeds (folds by seed; matched clusters; the model's word
  /// only, without the rules): correct / samples
  int cv_samples = 0, cv_morphology_correct = 0, cv_distribution_correct = 0;
  std::string text;      ///< training summary and, when asked, the held-out evaluation
};
/// Trains the one-vs-rest models on the training seeds, writes out_dir/descriptor.json, then (when
/// eval seeds are given) evaluates the new model on the held-out seeds. Throws Error.
DescriptorTrainReport train_descriptors(const DescriptorTrainOptions& o);

}  // namespace calcscope
