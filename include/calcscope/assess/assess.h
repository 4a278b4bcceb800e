// BI-RADS assessment categories, likelihood of malignancy and the recommendation table
// (docs/assessment.md; ranges from BI-RADS 5th edition, see shared docs/calcifications.md).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"

namespace calcscope {

/// One row of the category table: the likelihood range and what happens next.
struct CategoryInfo {
  std::string category;        ///< "0", "1", "2", "3", "4A", "4B", "4C", "5"
  std::string name;            ///< "incomplete", "negative", "benign", "probably benign", ...
  double likelihood_min = 0;   ///< exclusive lower bound (inclusive for 0/1/2/5)
  double likelihood_max = 0;   ///< inclusive upper bound (exclusive for 4C)
  int severity = 0;            ///< BI-RADS overall-assessment hierarchy: 1 < 2 < 3 < 0 < 4A < 4B < 4C < 5
  Recommendation recommendation;  ///< breast left empty: filled per finding
  std::string patient_words;   ///< "benign", "probably benign", "suspicious", "highly suspicious", ...
};

/// The single table keyed by category (every recommendation text comes from here).
const std::vector<CategoryInfo>& category_table();
/// Throws Error(InvalidData) for an unknown category.
const CategoryInfo& category_info(const std::string& category);

/// Category whose likelihood range holds p (for suspicious findings: "3" .. "5").
std::string category_for_likelihood(double p);

/// Recommendation for a category, `breast` = "L", "R", "both" or "".
Recommendation recommendation_for(const std::string& category, const std::string& breast);

/// Parameters of the likelihood model: log-odds of the morphology PPV plus shifts for distribution,
/// member count and detection confidence. Documented in docs/assessment.md.
struct AssessParams {
  double ppv_amorphous = 0.20;
  double ppv_coarse_heterogeneous = 0.14;
  double ppv_fine_pleomorphic = 0.29;
  double ppv_fine_linear_branching = 0.70;
  double punctate_group_likelihood = 0.01;    ///< grouped punctate/round: probably benign (3)
  double logit_segmental = 1.2, logit_linear = 1.0, logit_grouped = 0.0;
  double logit_regional = -1.0, logit_diffuse = -2.5;
  double logit_few_members = -0.3;            ///< count < 5
  double logit_many_members = 0.3;            ///< count >= 10
  double logit_very_many_members = 0.5;       ///< count >= 20
  double logit_per_confidence = 2.0;          ///< times (confidence - 0.5)
};

/// Sets category, likelihood, reason and rendering intent of one described cluster.
void assess_cluster(ClusterDescription& cluster, const AssessParams& p = {});

/// Image-level assessment: worst cluster; no cluster -> 1, or 2 when only typically benign
/// calcifications were described. `laterality` names the breast in the recommendation.
Assessment assess_image(ImageDescription& description, const std::string& laterality,
                        const AssessParams& p = {});

/// Category 0 with a reason (missing view, unreadable image).
Assessment incomplete_assessment(const std::string& reason, const std::string& breast);

/// The worse of two assessments by the BI-RADS hierarchy (ties: higher likelihood).
const Assessment& worse(const Assessment& a, const Assessment& b);

nlohmann::json to_json(const Recommendation& r);
nlohmann::json to_json(const Assessment& a);
nlohmann::json to_json(const CalcificationDescription& c);
nlohmann::json to_json(const ClusterDescription& c);
/// {"description": {"calcifications": [...], "clusters": [...]}, "assessment": {...}}
nlohmann::json description_to_json(const ImageDescription& d);

}  // namespace calcscope
