// BI-RADS assessment: category table, likelihood model, image-level assessment.
#include "calcscope/assess/assess.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

const std::string kBiopsyText =
    "Stereotactic (vacuum-assisted) biopsy of the calcifications for tissue diagnosis, with a specimen "
    "radiograph to confirm they were sampled.";

std::vector<CategoryInfo> make_table() {
  const Recommendation routine{"routine_screening", "Routine screening mammography in 12 months (annual).", "", {12}};
  const Recommendation follow{"short_interval_follow_up",
                              "Short-interval follow-up: mammogram of this breast at 6 months, then of both breasts at "
                              "12 and 24 months; unchanged for 2-3 years downgrades the finding to benign (category 2).",
                              "",
                              {6, 12, 24}};
  const Recommendation more{"additional_imaging",
                            "Additional imaging (magnification views of the area, the missing standard view) and/or "
                            "comparison with prior mammograms before a final assessment.",
                            "",
                            {}};
  const Recommendation biopsy{"biopsy", kBiopsyText, "", {}};
  return {
      {"0", "incomplete: needs additional imaging evaluation and/or prior mammograms", 0, 0, 4, more, "incomplete"},
      {"1", "negative", 0, 0, 1, routine, "negative"},
      {"2", "benign", 0, 0, 2, routine, "benign"},
      {"3", "probably benign", 0, 0.02, 3, follow, "probably benign"},
      {"4A", "low suspicion for malignancy", 0.02, 0.10, 5, biopsy, "suspicious (low suspicion)"},
      {"4B", "moderate suspicion for malignancy", 0.10, 0.50, 6, biopsy, "suspicious (moderate suspicion)"},
      {"4C", "high suspicion for malignancy", 0.50, 0.95, 7, biopsy, "suspicious (high suspicion)"},
      {"5", "highly suggestive of malignancy", 0.95, 1.0, 8, biopsy, "highly suspicious"},
  };
}

double logit(double p) { return std::log(p / (1 - p)); }
double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

std::string pct(double p) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(p < 0.1 ? 1 : 0);
  os << p * 100 << " %";
  return os.str();
}

std::string words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

const std::set<std::string> kTypicallyBenignSingles = {"coarse_popcorn", "rod_like", "rim", "vascular", "skin"};

}  // namespace

const std::vector<CategoryInfo>& category_table() {
  static const std::vector<CategoryInfo> table = make_table();
  return table;
}

const CategoryInfo& category_info(const std::string& category) {
  for (const auto& c : category_table())
    if (c.category == category) return c;
  throw Error(ErrorCode::InvalidData, "unknown BI-RADS category '" + category + "': use 0, 1, 2, 3, 4A, 4B, 4C or 5");
}

std::string category_for_likelihood(double p) {
  if (p >= 0.95) return "5";
  if (p > 0.50) return "4C";
  if (p > 0.10) return "4B";
  if (p > 0.02) return "4A";
  return "3";
}

Recommendation recommendation_for(const std::string& category, const std::string& breast) {
  Recommendation r = category_info(category).recommendation;
  r.breast = breast;
  if (r.code == "routine_screening") r.breast = "both";
  return r;
}

void assess_cluster(ClusterDescription& c, const AssessParams& p) {
  std::ostringstream why;
  const int count = c.measurements.is_object() && c.measurements.contains("count") ? c.measurements["count"].get<int>() : 0;
  if (c.morphology == "typically_benign") {
    const bool dotlike = c.benign_type == "punctate" || c.benign_type == "round";
    if (dotlike && (c.distribution == "linear" || c.distribution == "segmental")) {
      c.likelihood_of_malignancy = 0.05;
      why << words(c.benign_type) << " calcifications in a " << c.distribution
          << " distribution (deposits along a duct): low suspicion";
    } else if (dotlike && c.distribution == "grouped") {
      c.likelihood_of_malignancy = p.punctate_group_likelihood;
      why << "a group of " << count << " " << words(c.benign_type)
          << " calcifications of uniform size: probably benign, to be confirmed stable over time";
    } else {
      c.likelihood_of_malignancy = 0;
      c.category = "2";
      why << "typically benign " << words(c.benign_type) << " calcifications";
      if (!c.distribution.empty()) why << " (" << c.distribution << ")";
      c.reason = why.str();
      c.rendering_intent = "Not for Presentation";
      return;
    }
  } else {
    double ppv = p.ppv_fine_pleomorphic;
    if (c.morphology == "amorphous") ppv = p.ppv_amorphous;
    else if (c.morphology == "coarse_heterogeneous") ppv = p.ppv_coarse_heterogeneous;
    else if (c.morphology == "fine_linear_branching") ppv = p.ppv_fine_linear_branching;
    double z = logit(ppv);
    why << words(c.morphology) << " morphology (PPV about " << pct(ppv) << ")";
    if (c.distribution == "segmental") z += p.logit_segmental;
    else if (c.distribution == "linear") z += p.logit_linear;
    else if (c.distribution == "regional") z += p.logit_regional;
    else if (c.distribution == "diffuse") z += p.logit_diffuse;
    else z += p.logit_grouped;
    why << ", " << (c.distribution.empty() ? std::string("grouped") : c.distribution) << " distribution";
    if (count >= 20) z += p.logit_very_many_members;
    else if (count >= 10) z += p.logit_many_members;
    else if (count > 0 && count < 5) z += p.logit_few_members;
    why << ", " << count << " calcifications";
    z += p.logit_per_confidence * (c.confidence - 0.5);
    std::ostringstream conf;
    conf.setf(std::ios::fixed);
    conf.precision(2);
    conf << c.confidence;
    why << ", detection confidence " << conf.str();
    if (!c.correlated_image.empty()) why << " (seen in both views)";
    c.likelihood_of_malignancy = std::clamp(sigmoid(z), 0.0, 1.0);
  }
  c.category = category_for_likelihood(c.likelihood_of_malignancy);
  // Keep a dot-like group's likelihood inside its category range (the model is not used for those).
  why << ": likelihood of malignancy " << pct(c.likelihood_of_malignancy) << " -> BI-RADS " << c.category << " ("
      << category_info(c.category).name << ")";
  c.reason = why.str();
  c.rendering_intent = c.category == "3" ? "Optional" : "Required";
}

Assessment incomplete_assessment(const std::string& reason, const std::string& breast) {
  Assessment a;
  a.category = "0";
  a.likelihood_of_malignancy = 0;
  a.reason = reason;
  a.recommendation = recommendation_for("0", breast);
  return a;
}

const Assessment& worse(const Assessment& a, const Assessment& b) {
  const int sa = category_info(a.category).severity, sb = category_info(b.category).severity;
  if (sa != sb) return sa > sb ? a : b;
  return b.likelihood_of_malignancy > a.likelihood_of_malignancy ? b : a;
}

Assessment assess_image(ImageDescription& d, const std::string& laterality, const AssessParams& p) {
  for (auto& c : d.clusters) assess_cluster(c, p);
  Assessment a;
  const ClusterDescription* worst = nullptr;
  for (const auto& c : d.clusters) {
    if (!worst) {
      worst = &c;
      continue;
    }
    const int s = category_info(c.category).severity, sw = category_info(worst->category).severity;
    if (s > sw || (s == sw && c.likelihood_of_malignancy > worst->likelihood_of_malignancy)) worst = &c;
  }
  if (worst) {
    a.category = worst->category;
    a.likelihood_of_malignancy = worst->likelihood_of_malignancy;
    a.reason = "worst finding: cluster " + std::to_string(worst->cluster_id) + ", " + worst->reason;
    if (d.clusters.size() > 1) a.reason += " (" + std::to_string(d.clusters.size()) + " clusters in this image)";
  } else {
    int benign = 0;
    for (const auto& c : d.calcifications)
      if (kTypicallyBenignSingles.count(c.benign_type)) ++benign;
    if (benign > 0) {
      a.category = "2";
      a.reason = "no cluster; only typically benign calcifications (" + std::to_string(benign) + ")";
    } else {
      a.category = "1";
      a.reason = "no calcification cluster found";
    }
  }
  a.recommendation = recommendation_for(a.category, laterality);
  d.assessment = a;
  return a;
}

nlohmann::json to_json(const Recommendation& r) {
  return {{"code", r.code}, {"text", r.text}, {"breast", r.breast}, {"follow_up_months", r.follow_up_months}};
}

nlohmann::json to_json(const Assessment& a) {
  return {{"category", a.category},
          {"category_name", a.category.empty() ? "" : category_info(a.category).name},
          {"likelihood_of_malignancy", a.likelihood_of_malignancy},
          {"reason", a.reason},
          {"recommendation", to_json(a.recommendation)}};
}

nlohmann::json to_json(const CalcificationDescription& c) {
  return {{"calcification_id", c.calcification_id}, {"size_class", c.size_class}, {"benign_type", c.benign_type}};
}

nlohmann::json to_json(const ClusterDescription& c) {
  nlohmann::json j = {{"cluster_id", c.cluster_id},
                      {"morphology", c.morphology},
                      {"benign_type", c.benign_type},
                      {"distribution", c.distribution},
                      {"measurements", c.measurements.is_null() ? nlohmann::json::object() : c.measurements},
                      {"category", c.category},
                      {"likelihood_of_malignancy", c.likelihood_of_malignancy},
                      {"reason", c.reason},
                      {"rendering_intent", c.rendering_intent},
                      {"confidence", c.confidence},
                      {"position", c.position},
                      {"cautions", c.cautions}};
  if (c.correlated_cluster_id != 0) {
    j["correlated_cluster_id"] = c.correlated_cluster_id;
    j["correlated_image"] = c.correlated_image;
  }
  return j;
}

nlohmann::json description_to_json(const ImageDescription& d) {
  nlohmann::json calcs = nlohmann::json::array(), clusters = nlohmann::json::array();
  for (const auto& c : d.calcifications) calcs.push_back(to_json(c));
  for (const auto& c : d.clusters) clusters.push_back(to_json(c));
  return {{"description", {{"calcifications", calcs}, {"clusters", clusters}}}, {"assessment", to_json(d.assessment)}};
}

}  // namespace calcscope
