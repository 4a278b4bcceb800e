// The evaluation report as JSON and as aligned terminal tables.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "calcscope/eval/eval.h"

namespace calcscope::eval {

namespace {

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
nlohmann::json num(const std::optional<double>& v) { return v ? num(*v) : nlohmann::json(nullptr); }

nlohmann::json froc_json(const FrocSummary& s, const char* per) {
  nlohmann::json j;
  j["fp_rate_per"] = per;
  j["images"] = s.units;
  j["truth_objects"] = s.targets;
  j["detections"] = s.detections;
  j["exposure"] = s.exposure;
  j["operating_points"] = nlohmann::json::array();
  for (const auto& op : s.operating_points)
    j["operating_points"].push_back({{"fp_rate_limit", op.fp_rate_limit},
                                     {"sensitivity", num(op.sensitivity)},
                                     {"found", op.found},
                                     {"threshold", num(op.threshold)},
                                     {"fp_rate", num(op.fp_rate)},
                                     {"ci95_low", num(op.ci_low)},
                                     {"ci95_high", num(op.ci_high)}});
  j["partial_area"] = num(s.partial_area);
  j["partial_area_max_fp_rate"] = s.max_fp_rate;
  j["curve"] = nlohmann::json::array();
  for (const auto& p : s.curve)
    j["curve"].push_back({{"threshold", num(p.threshold)},
                          {"found", p.found},
                          {"false_positives", p.false_positives},
                          {"sensitivity", num(p.sensitivity)},
                          {"fp_rate", num(p.fp_rate)}});
  return j;
}

std::string fmt(const char* f, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string fmt(const char* f, const std::optional<double>& v) { return v ? fmt(f, *v) : "-"; }

std::string ci_text(const std::optional<double>& lo, const std::optional<double>& hi) {
  if (!lo || !hi) return "-";
  return fmt("%.3f", *lo) + " - " + fmt("%.3f", *hi);
}

void froc_table(std::ostringstream& os, const FrocSummary& s, const std::string& rate_name,
                const BootstrapOptions& bootstrap) {
  char line[256];
  std::snprintf(line, sizeof line, "  %-10s %-11s %-9s %-10s %-12s %s\n", rate_name.c_str(), "sensitivity", "found",
                "threshold", ("at " + rate_name).c_str(),
                ("95% CI (" + std::to_string(bootstrap.resamples) + " bootstrap)").c_str());
  os << line;
  for (const auto& op : s.operating_points) {
    const std::string found = std::to_string(op.found) + "/" + std::to_string(s.targets);
    std::snprintf(line, sizeof line, "  %-10s %-11s %-9s %-10s %-12s %s\n", fmt("%.2f", op.fp_rate_limit).c_str(),
                  fmt("%.3f", op.sensitivity).c_str(), found.c_str(), fmt("%.4f", op.threshold).c_str(),
                  fmt("%.3f", op.fp_rate).c_str(), ci_text(op.ci_low, op.ci_high).c_str());
    os << line;
  }
  os << "  partial area (0-" << fmt("%g", s.max_fp_rate) << " " << rate_name
     << ", normalised to 1): " << fmt("%.3f", s.partial_area) << "\n";
  const FrocPoint& last = s.curve.back();
  os << "  all candidates: sensitivity " << fmt("%.3f", last.sensitivity) << " at " << fmt("%.2f", last.fp_rate)
     << " " << rate_name << "\n";
}

}  // namespace

nlohmann::json report_to_json(const EvalReport& r) {
  nlohmann::json j;
  j["schema_version"] = kEvalSchemaVersion;
  j["kind"] = "calcscope-eval";
  j["truth"] = to_string(r.truth_kind);
  j["options"] = {{"min_radius_mm", r.options.min_radius_mm},
                  {"min_diameter_mm", r.options.min_diameter_mm},
                  {"calcification_margin_mm", r.options.calc_margin_mm},
                  {"calcification_min_distance_mm", r.options.calc_min_distance_mm},
                  {"bootstrap_resamples", r.options.bootstrap.resamples},
                  {"bootstrap_seed", r.options.bootstrap.seed},
                  {"malignancy_field", r.options.value_field.empty() ? nlohmann::json(nullptr)
                                                                      : nlohmann::json(r.options.value_field)}};
  j["counts"] = {{"images", r.images},
                 {"images_with_calcifications", r.images_with_calcifications},
                 {"images_without_calcifications", r.images - r.images_with_calcifications},
                 {"truth_clusters", r.truth_clusters},
                 {"locatable_truth_clusters", r.locatable_truth_clusters}};
  j["cluster_froc"] = froc_json(r.clusters, "image");
  j["image_level"] = {{"positives", r.image.positives},
                      {"negatives", r.image.negatives},
                      {"image_score", "max cluster score (0 if none)"},
                      {"auc", num(r.image.auc)},
                      {"ci95_low", num(r.image.ci_low)},
                      {"ci95_high", num(r.image.ci_high)}};
  if (r.calcifications) {
    j["calcification_froc"] = froc_json(*r.calcifications, "cm2");
    j["calcification_froc"]["min_diameter_mm"] = r.options.min_diameter_mm;
  }
  if (r.eligible_clusters) {
    j["cluster_froc_eligible"] = froc_json(*r.eligible_clusters, "image");
    j["cluster_froc_eligible"]["min_members"] = r.options.eligible_min_members;
    j["cluster_froc_eligible"]["member_min_diameter_mm"] = r.options.min_diameter_mm;
  }
  if (!r.clusters_by_morphology.empty()) {
    j["clusters_found_by_morphology"] = nlohmann::json::array();
    for (const auto& g : r.clusters_by_morphology)
      j["clusters_found_by_morphology"].push_back(
          {{"morphology", g.group}, {"clusters", g.clusters}, {"found", g.found}});
  }
  if (!r.calcifications_by_morphology.empty()) {
    j["calcifications_found_by_morphology"] = nlohmann::json::array();
    for (const auto& g : r.calcifications_by_morphology)
      j["calcifications_found_by_morphology"].push_back({{"morphology", g.group},
                                                         {"calcifications", g.calcifications},
                                                         {"found", g.found},
                                                         {"candidates", g.candidates}});
  }
  if (r.severity)
    j["severity"] = {{"field", r.severity->field},
                     {"benign", r.severity->benign},
                     {"malignant", r.severity->malignant},
                     {"unmatched", r.severity->unmatched},
                     {"auc", num(r.severity->auc)}};
  j["notes"] = r.notes;
  return j;
}

namespace {

/// "found by morphology" table of a FROC: the header names its operating points.
void morphology_header(std::ostream& os, const FrocSummary& froc, const char* unit, const std::string& extra) {
  os << "  found by morphology at those thresholds (" << unit;
  for (const auto& op : froc.operating_points) os << " " << fmt("%g", op.fp_rate_limit);
  os << extra << "):\n";
}

void morphology_row(std::ostream& os, const std::string& word, int total, const std::vector<int>& found,
                    const std::string& tail) {
  char line[96];
  std::snprintf(line, sizeof line, "    %-22s %4d:", word.c_str(), total);
  os << line;
  for (int f : found) os << " " << f;
  os << tail << "\n";
}

}  // namespace

std::string format_report(const EvalReport& r) {
  std::ostringstream os;
  os << "calcscope eval: " << (r.truth_kind == TruthKind::Mias ? "MIAS" : "phantom") << " truth, " << r.images
     << " images (" << r.images_with_calcifications << " with calcifications, "
     << r.images - r.images_with_calcifications << " without)\n";
  os << "truth clusters: " << r.truth_clusters << " (" << r.locatable_truth_clusters << " locatable)\n\n";

  os << "Cluster-level FROC: " << r.clusters.detections << " detected clusters; hit = centre within max(truth radius, "
     << fmt("%g", r.options.min_radius_mm) << " mm)\n";
  froc_table(os, r.clusters, "FP/image", r.options.bootstrap);

  if (!r.clusters_by_morphology.empty()) {
    morphology_header(os, r.clusters, "FP/image", "");
    for (const auto& g : r.clusters_by_morphology) morphology_row(os, g.group, g.clusters, g.found, "");
  }
  if (r.eligible_clusters) {
    os << "\nCluster-level FROC, eligible clusters only (>= " << r.options.eligible_min_members
       << " calcifications of >= " << fmt("%g", r.options.min_diameter_mm) << " mm: " << r.eligible_clusters->targets
       << " of " << r.locatable_truth_clusters
       << "; detections of the others are neither hits nor false positives)\n";
    froc_table(os, *r.eligible_clusters, "FP/image", r.options.bootstrap);
  }

  os << "\nImage level (has calcifications; image score = max cluster score): ROC AUC " << fmt("%.3f", r.image.auc)
     << "  95% CI " << ci_text(r.image.ci_low, r.image.ci_high) << "  (" << r.image.positives << " vs "
     << r.image.negatives << " images)\n";

  if (r.calcifications) {
    os << "\nCalcification-level FROC: " << r.calcifications->detections << " detected calcifications, "
       << r.calcifications->targets << " truth calcifications >= " << fmt("%g", r.options.min_diameter_mm)
       << " mm, " << fmt("%.1f", r.calcifications->exposure) << " cm^2 of breast\n";
    froc_table(os, *r.calcifications, "FP/cm2", r.options.bootstrap);
    if (!r.calcifications_by_morphology.empty()) {
      morphology_header(os, *r.calcifications, "FP/cm2", "; then: a candidate at any score");
      for (const auto& g : r.calcifications_by_morphology)
        morphology_row(os, g.group, g.calcifications, g.found, "; " + std::to_string(g.candidates));
    }
  }
  if (r.severity) {
    os << "\nBenign vs malignant (" << r.severity->field << "): AUC " << fmt("%.3f", r.severity->auc) << "  ("
       << r.severity->malignant << " malignant, " << r.severity->benign << " benign truth clusters matched; "
       << r.severity->unmatched << " not found)\n";
  }
  if (!r.notes.empty()) {
    os << "\nNotes:\n";
    for (const auto& n : r.notes) os << "  - " << n << "\n";
  }
  return os.str();
}

}  // namespace calcscope::eval
