// How the comparison with priors changes the BI-RADS assessment: new or increasing clusters raise
// suspicion, stability for two years makes a finding benign, and a probably-benign (category 3)
// finding's follow-up advances 6 -> 12 -> 24 months, stated with dates.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"
#include "calcscope/compare/change.h"

namespace calcscope {

struct AssessChangeParams {
  std::string min_category_new = "4A";        ///< at least this for a new (not typically benign) cluster
  std::string min_category_increased = "4A";  ///< ... for an increasing cluster
  std::string min_category_suspicious_change = "4A";  ///< ... for a change to linear/segmental or to a suspicious morphology
  double stable_benign_months = 24;           ///< unchanged this long -> category 2
  std::vector<int> follow_up_months{6, 12, 24};  ///< category 3 surveillance, months from the baseline exam
  double follow_up_slack_months = 1.0;        ///< an exam this close before a milestone counts as that milestone
};

struct FollowUp {
  int months_from_baseline = 0;
  std::string date;  ///< baseline date + months ("" when the baseline date is unknown)
};

struct ClusterAssessmentChange {
  std::string change;             ///< copied from the comparison
  int current_cluster_id = 0;
  int prior_cluster_id = 0;
  std::string category_before;    ///< from this exam's description alone ("" when not described)
  std::string category_after;     ///< after the comparison ("" when neither is known; resolved: "")
  std::string reason;
  std::string baseline_date;      ///< first exam of the surveillance (category 3)
  std::vector<FollowUp> follow_up;  ///< remaining follow-up exams (category 3)
  std::string next_follow_up_date;
  double stable_months = -1;      ///< months from stable_since to the current exam (-1 unknown)
};

struct AssessmentChange {
  std::vector<ClusterAssessmentChange> clusters;
  std::vector<std::string> changes;  ///< one sentence per noteworthy change (new, increased, resolved, ...)
  std::string category_before;       ///< worst per-cluster category before the comparison
  std::string category_after;        ///< worst after it
  std::string recommendation;        ///< "biopsy", "short_interval_follow_up", "routine_screening" or ""
  std::string recommendation_text;
  std::string next_follow_up_date;
};

/// BI-RADS hierarchy rank of a category (1 < 2 < 3 < 0 < 4A < 4B < 4C < 5; "" = -1).
int category_rank(const std::string& category);
/// The more severe of two categories ("" counts as nothing).
std::string worse_category(const std::string& a, const std::string& b);

/// Applies the comparison to the current descriptions (matched by cluster_id; may be empty).
AssessmentChange assess_changes(const ChangeResult& changes, const std::vector<ClusterDescription>& current,
                                const AssessChangeParams& params = {});

nlohmann::json to_json(const AssessmentChange& a);

}  // namespace calcscope
