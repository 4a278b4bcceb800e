// Benign vs malignant on MIAS calcification clusters (issue 4, Done-when 2): the likelihood of
// malignancy of every locatable MIAS CALC truth cluster, from the calcifications analyze() finds
// inside the truth circle, with patient-pair cross-validation and a bootstrap confidence interval.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/pipeline/analyze.h"

namespace calcscope {

struct MiasMalignancyOptions {
  std::filesystem::path mias_dir;  ///< mdbNNN.png + truth.txt (200 um)
  int folds = 5;                   ///< patient-pair folds (pairs mdb(2k-1), mdb(2k) share a fold)
  int bootstrap = 2000;            ///< resamples of patient pairs for the 95 % interval
  double min_member_score = 0.3;   ///< members: candidates in the circle at least this likely ...
  int min_members = 3;             ///< ... else the best `min_members` candidates in the circle
  double min_radius_mm = 1.0;      ///< truth circles smaller than this are widened to it
  bool heuristic_detector = false; ///< score candidates with the untrained heuristic models
};

struct MiasMalignancyCase {
  std::string stem;
  int fold = 0;
  std::string severity;  ///< "B" / "M"
  int candidates = 0, members = 0;
  double likelihood = 0;
  std::string morphology, distribution, category;
};

struct MiasMalignancyResult {
  std::vector<MiasMalignancyCase> cases;
  int malignant = 0, benign = 0;
  double auc = 0, ci_low = 0, ci_high = 0;  ///< pooled out-of-fold AUC, 95 % bootstrap interval
  std::string text;                          ///< table and summary
};

/// Runs the evaluation. No parameter of the likelihood is fitted to MIAS (the assessment model is fixed:
/// docs/assessment.md), so each fold's scores come from the same model and the out-of-fold AUC is the
/// pooled AUC; the folds still define the resampling unit (patient pairs) of the bootstrap.
/// Throws Error(FileNotFound) when the directory or truth.txt is absent.
MiasMalignancyResult evaluate_mias_malignancy(const MiasMalignancyOptions& o);

}  // namespace calcscope
