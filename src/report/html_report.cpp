// The radiologist's HTML reports (image and exam): self-contained, images embedded as PNG data URIs.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "calcscope/report/overlay.h"
#include "calcscope/assess/assess.h"
#include "calcscope/report/reports.h"
#include "html_common.h"
#include "html_images.h"

namespace calcscope {
namespace report_detail {

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

std::string words(std::string s) {
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string likelihood_text(const std::string& category, double p) {
  if (category == "1" || category == "2") return "~0 %";
  if (category == "0") return "n/a";
  if (category == "3") return fixed(p * 100, 1) + " % (&le; 2 %)";
  return fixed(p * 100, p < 0.1 ? 1 : 0) + " %";
}

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#1c1c1c;line-height:1.4}
h1{font-size:1.5em;margin-bottom:0.2em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:0.92em} .note{background:#fff6db;border:1px solid #e9d48a;padding:8px 12px;border-radius:6px}
.assess{display:flex;gap:18px;align-items:center;border:1px solid #ccc;border-radius:8px;padding:12px 16px;margin:14px 0}
.badge{font-size:2.1em;font-weight:700;color:#fff;border-radius:8px;padding:6px 16px;min-width:2.2em;text-align:center}
table{border-collapse:collapse;width:100%;font-size:0.88em} th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f2f2f2} td.reason{color:#444;font-size:0.95em;background:#fafafa}
.figs{display:flex;flex-wrap:wrap;gap:14px} figure{margin:0} figcaption{font-size:0.85em;color:#444;max-width:360px}
img.overview{max-width:100%;border:1px solid #999} img.crop{border:1px solid #999}
.cat{font-weight:700;color:#fff;border-radius:4px;padding:1px 6px}
)css";

std::string cat_span(const std::string& category) {
  return "<span class=\"cat\" style=\"background:" + category_colour(category) + "\">" + html_escape(category) +
         "</span>";
}

std::string second_reading_note() {
  return std::string("<p class=\"note\"><b>Computer second reading, not a diagnosis.</b> Produced by calcscope ") +
         CALCSCOPE_VERSION +
         " (automatic detection, BI-RADS description and assessment of calcifications). It is meant to be read by a "
         "radiologist beside the images; the radiologist's report decides.</p>\n";
}

std::string page_head(const std::string& title, const std::string& extra_css) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
         "</title><style>" + kStyle + extra_css + "</style></head><body>\n";
}

std::string identity(const ImageInfo& info) {
  std::ostringstream h;
  h << "<p class=\"meta\">";
  if (!info.patient_id.empty() || !info.patient_name.empty())
    h << "Patient: " << html_escape(info.patient_name) << " (" << html_escape(info.patient_id) << ") &middot; ";
  if (!info.study_date.empty()) h << "Study date: " << html_escape(info.study_date) << " &middot; ";
  if (!info.accession_number.empty()) h << "Accession: " << html_escape(info.accession_number) << " &middot; ";
  h << "Image: " << html_escape(info.laterality.empty() ? std::string("?") : info.laterality) << " "
    << html_escape(info.view.empty() ? std::string("?") : info.view);
  if (!info.source_path.empty()) h << " &middot; File: " << html_escape(info.source_path);
  if (!info.manufacturer.empty()) h << " &middot; " << html_escape(info.manufacturer);
  h << "</p>\n";
  return h.str();
}

}  // namespace report_detail

namespace {

using report_detail::cat_span;
using report_detail::category_colour;
using report_detail::identity;
using report_detail::second_reading_note;
using report_detail::fixed;
using report_detail::likelihood_text;
using report_detail::words;

double jnum(const nlohmann::json& j, const char* key, double fallback = 0) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string assessment_box(const Assessment& a, const std::string& title) {
  std::ostringstream h;
  h << "<div class=\"assess\" id=\"assessment\"><div class=\"badge\" style=\"background:" << category_colour(a.category)
    << "\">" << html_escape(a.category) << "</div><div><b>" << html_escape(title) << ": BI-RADS " << html_escape(a.category)
    << " &mdash; " << html_escape(category_info(a.category).name) << "</b><br>Likelihood of malignancy: "
    << likelihood_text(a.category, a.likelihood_of_malignancy) << "<br><i>" << html_escape(a.reason)
    << "</i><br><b>Recommendation:</b> " << html_escape(a.recommendation.text);
  if (!a.recommendation.breast.empty())
    h << " <span class=\"meta\">(breast: " << html_escape(a.recommendation.breast) << ")</span>";
  h << "</div></div>\n";
  return h.str();
}

std::string findings_table(const AnalysisResult& result, const ImageDescription& d, const std::string& table_id) {
  std::ostringstream h;
  h << "<table class=\"findings\" id=\"" << html_escape(table_id)
    << "\"><thead><tr><th>Cluster</th><th>Position</th><th>Count</th><th>Extent (mm)</th><th>Morphology</th>"
       "<th>Distribution</th><th>Measured</th><th>Category</th><th>Likelihood</th><th>Rendering intent</th></tr>"
       "</thead><tbody>\n";
  if (d.clusters.empty())
    h << "<tr><td colspan=\"10\">No calcification cluster found.</td></tr>\n";
  for (const auto& c : d.clusters) {
    const Cluster* cl = nullptr;
    for (const auto& k : result.clusters)
      if (k.id == c.cluster_id) cl = &k;
    const auto& m = c.measurements;
    h << "<tr class=\"finding\"><td>" << c.cluster_id << "</td><td>";
    if (cl) h << "x " << fixed(cl->x_mm, 1) << " mm, y " << fixed(cl->y_mm, 1) << " mm";
    if (!c.position.empty()) h << "<br>" << html_escape(c.position);
    if (c.correlated_cluster_id)
      h << "<br>also cluster " << c.correlated_cluster_id << " in " << html_escape(c.correlated_image);
    h << "</td><td>" << (cl ? cl->count : static_cast<int>(jnum(m, "count"))) << "</td><td>"
      << fixed(cl ? cl->extent_mm : jnum(m, "extent_mm"), 1) << "</td><td>" << html_escape(words(c.morphology));
    if (!c.benign_type.empty()) h << ": " << html_escape(words(c.benign_type));
    h << "</td><td>" << html_escape(c.distribution) << "</td><td>median diameter " << fixed(jnum(m, "median_diameter_mm"), 2)
      << " mm; size cv " << fixed(jnum(m, "size_cv"), 2) << "; elongated " << fixed(jnum(m, "elongated_fraction") * 100, 0)
      << " %; axis ratio " << fixed(jnum(m, "axis_ratio", 1), 1) << "; contrast-to-noise " << fixed(jnum(m, "median_cnr"), 1)
      << "; confidence " << fixed(c.confidence, 2) << "</td><td>" << cat_span(c.category) << "</td><td>"
      << likelihood_text(c.category, c.likelihood_of_malignancy) << "</td><td>" << html_escape(c.rendering_intent)
      << "</td></tr>\n<tr><td></td><td class=\"reason\" colspan=\"9\">";
    if (m.is_object() && m.contains("morphology_reason"))
      h << "<b>Morphology:</b> " << html_escape(m["morphology_reason"].get<std::string>()) << ". ";
    if (m.is_object() && m.contains("distribution_reason"))
      h << "<b>Distribution:</b> " << html_escape(m["distribution_reason"].get<std::string>()) << ". ";
    h << "<b>Assessment:</b> " << html_escape(c.reason);
    for (const auto& caution : c.cautions) h << ". <b>Check:</b> " << html_escape(caution);
    h << "</td></tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string image_section(const Image& image, const AnalysisResult& result, const ImageDescription& d,
                          const std::string& id_suffix) {
  std::ostringstream h;
  const std::string overview = report_detail::overview_png_data_uri(image, result, d);
  if (!overview.empty())
    h << "<figure><img class=\"overview\" alt=\"image with marks\" src=\"" << overview
      << "\"><figcaption>Green: breast outline. Yellow circles: calcifications in clusters and single ones "
         "scoring at least "
      << fixed(kMarkSingleCalcificationMinScore, 2) << " (all " << result.calcifications.size()
      << " above the output cut are in the JSON). Numbered outlines: clusters, coloured "
         "by category (red 4-5, amber 3, green 1-2).</figcaption></figure>\n";
  else
    h << "<p class=\"meta\">(image pixels not available for display)</p>\n";
  h << "<h2>Findings</h2>\n" << findings_table(result, d, "findings" + id_suffix);
  if (!result.clusters.empty() && !image.empty()) {
    h << "<h2>Clusters, magnified</h2>\n<div class=\"figs\">";
    for (const auto& cl : result.clusters) {
      std::string cat;
      for (const auto& c : d.clusters)
        if (c.cluster_id == cl.id) cat = c.category;
      h << "<figure><img class=\"crop\" alt=\"cluster " << cl.id << "\" src=\""
        << report_detail::cluster_crop_png_data_uri(image, result, cl) << "\"><figcaption>Cluster " << cl.id << " "
        << cat_span(cat) << ": " << cl.count << " calcifications over " << fixed(cl.extent_mm, 1)
        << " mm</figcaption></figure>";
    }
    h << "</div>\n";
  }
  // Individual calcifications by size class and benign type.
  std::map<std::string, int> sizes, types;
  for (const auto& c : d.calcifications) {
    ++sizes[c.size_class];
    if (!c.benign_type.empty()) ++types[c.benign_type];
  }
  h << "<h2>Individual calcifications</h2><p>" << d.calcifications.size() << " marked";
  for (const auto& [k, n] : sizes) h << "; " << n << " " << html_escape(k);
  if (!types.empty()) {
    h << ". Typically benign shapes:";
    for (const auto& [k, n] : types) h << " " << html_escape(words(k)) << " " << n << ";";
  }
  h << "</p>\n";
  // What the reader and the pipeline noticed about the input (lossy compression, a pixel size from
  // PixelSpacing, film analysed as film, a grey scale put right, ...): the radiologist should know.
  const auto& warnings = result.image_meta_only.info.warnings;
  if (!warnings.empty()) {
    h << "<h2>Notes on the input</h2><ul class=\"input-notes\" id=\"input-notes" << id_suffix << "\">";
    for (const auto& w : warnings) h << "<li>" << html_escape(w) << "</li>";
    h << "</ul>\n";
  }
  return h.str();
}

std::string method_section(const AnalysisResult& result) {
  std::ostringstream h;
  h << "<h2>Method</h2><p class=\"meta\">Algorithm: calcscope " << CALCSCOPE_VERSION
    << " (detection, clustering, BI-RADS description and assessment; thresholds in docs/assessment.md). Scoring models: "
    << html_escape(result.models.empty() ? std::string("n/a") : result.models) << ". Output score cuts: calcifications "
    << fixed(result.min_calcification_score, 2) << ", clusters " << fixed(result.min_cluster_score, 2)
    << ". Pixel size " << fixed(result.image_meta_only.pixel_size_mm * 1000, 0) << " &micro;m.";
  if (!result.stages.empty()) {
    h << " Stages:";
    for (const auto& s : result.stages) h << " " << html_escape(s.name) << " " << fixed(s.milliseconds, 0) << " ms;";
  }
  h << "</p>\n";
  return h.str();
}

}  // namespace

std::string image_report_html(const Image& image, const AnalysisResult& result, const ImageDescription& d) {
  const ImageInfo& info = result.image_meta_only.info.source_path.empty() ? image.info : result.image_meta_only.info;
  std::ostringstream h;
  h << report_detail::page_head("calcscope report") << "<h1>Calcifications: computer second reading</h1>\n"
    << identity(info) << second_reading_note() << assessment_box(d.assessment, "Image assessment")
    << image_section(image, result, d, "") << method_section(result) << "</body></html>\n";
  return h.str();
}

std::string exam_report_html(const ExamResult& exam, const std::vector<std::pair<Image, AnalysisResult>>& images) {
  std::ostringstream h;
  h << report_detail::page_head("calcscope exam report") << "<h1>Calcifications: computer second reading of the exam</h1>\n";
  if (!images.empty()) h << identity(images.front().second.image_meta_only.info);
  h << second_reading_note() << assessment_box(exam.assessment, "Exam assessment");
  h << "<h2>Per breast</h2><table id=\"breasts\"><tr><th>Breast</th><th>Category</th><th>Likelihood</th><th>Reason</th>"
       "<th>Recommendation</th></tr>\n";
  for (const auto& [b, a] : exam.breasts)
    h << "<tr><td>" << (b == "L" ? "left" : "right") << "</td><td>" << cat_span(a.category) << "</td><td>"
      << likelihood_text(a.category, a.likelihood_of_malignancy) << "</td><td>" << html_escape(a.reason) << "</td><td>"
      << html_escape(a.recommendation.text) << "</td></tr>\n";
  h << "</table>\n";
  if (!exam.missing_views.empty()) {
    h << "<p><b>Missing views:</b>";
    for (const auto& v : exam.missing_views) h << " " << html_escape(v) << ";";
    h << "</p>\n";
  }
  h << "<h2>Clusters seen in both views</h2>";
  if (exam.correlations.empty()) h << "<p>None.</p>\n";
  else {
    h << "<table id=\"correlations\"><tr><th>Breast</th><th>CC</th><th>MLO</th><th>Nipple distance CC / MLO (mm)</th>"
         "<th>Quadrant</th><th>Clock</th></tr>\n";
    for (const auto& c : exam.correlations)
      h << "<tr><td>" << html_escape(c.breast) << "</td><td>" << html_escape(c.cc_image) << " #" << c.cc_cluster
        << "</td><td>" << html_escape(c.mlo_image) << " #" << c.mlo_cluster << "</td><td>"
        << fixed(c.cc_nipple_distance_mm, 0) << " / " << fixed(c.mlo_nipple_distance_mm, 0) << "</td><td>"
        << html_escape(c.quadrant) << "</td><td>" << c.clock_hour << " o'clock</td></tr>\n";
    h << "</table>\n";
  }
  for (std::size_t i = 0; i < exam.images.size() && i < images.size(); ++i) {
    const auto& e = exam.images[i];
    h << "<h2 style=\"border-bottom:2px solid #333\">Image " << html_escape(e.key) << " (" << html_escape(e.laterality)
      << " " << html_escape(e.view) << ")</h2>\n"
      << assessment_box(e.description.assessment, "Image assessment")
      << image_section(images[i].first, images[i].second, e.description, std::string("-").append(std::to_string(i + 1)));
  }
  if (!images.empty()) h << method_section(images.front().second);
  h << "</body></html>\n";
  return h.str();
}

}  // namespace calcscope
