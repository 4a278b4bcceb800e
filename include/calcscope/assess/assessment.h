// BI-RADS description and assessment of analysed images and exams.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Per calcification: size class and, when recognisable, a typically benign type.
struct CalcificationDescription {
  int calcification_id = 0;
  std::string size_class;   ///< "micro" (< 0.5 mm), "intermediate", "macro" (> 2 mm)
  std::string benign_type;  ///< "", "coarse_popcorn", "rod_like", "round", "punctate", "rim", "vascular", "skin"
};

/// Per cluster: BI-RADS words and the measured quantities behind them.
struct ClusterDescription {
  int cluster_id = 0;
  std::string morphology;    ///< amorphous, coarse_heterogeneous, fine_pleomorphic, fine_linear_branching, typically_benign
  std::string benign_type;   ///< when morphology is typically_benign
  std::string distribution;  ///< grouped, linear, segmental, regional, diffuse
  nlohmann::json measurements;  ///< size spread, elongation, branching, alignment, extent_mm ...
  std::string category;      ///< "2", "3", "4A", "4B", "4C", "5"
  double likelihood_of_malignancy = 0;  ///< [0,1], inside the category's range
  std::string reason;        ///< why, in words
  std::string rendering_intent;  ///< "Required", "Optional", "Not for Presentation" (SR TID 4000)
  int correlated_cluster_id = 0; ///< cluster in the other view of the same breast (exam mode), 0 = none
  std::string correlated_image;  ///< stem / SOP instance of that image
  double confidence = 0;         ///< detection confidence [0,1]: the cluster score, raised when seen in both views
  std::string position;          ///< where, in words (distance to nipple, third, half; quadrant/clock in exam mode)
  /// What a reader should check before acting on the category, in words (empty = nothing). Since
  /// session 21: a suspicious-looking cluster with a member larger than coarse heterogeneous
  /// calcifications (DescribeParams::coarse_het_max_mm) may be the pieces of one benign coarse
  /// (popcorn or dystrophic) calcification, which the detector splits (docs/assessment.md).
  std::vector<std::string> cautions;
};

struct Recommendation {
  std::string code;  ///< "routine_screening", "short_interval_follow_up", "additional_imaging", "biopsy"
  std::string text;  ///< what happens next, for the radiologist
  std::string breast;  ///< "L", "R", "both" or ""
  std::vector<int> follow_up_months;  ///< e.g. {6, 12, 24} for category 3
};

struct Assessment {
  std::string category;  ///< "0", "1", "2", "3", "4A", "4B", "4C", "5"
  double likelihood_of_malignancy = 0;
  std::string reason;
  Recommendation recommendation;
};

struct ImageDescription {
  std::vector<CalcificationDescription> calcifications;
  std::vector<ClusterDescription> clusters;
  Assessment assessment;  ///< image-level (worst cluster)
};

}  // namespace calcscope
