// Exam mode: CC/MLO correlation and breast / exam assessment.
#include "calcscope/assess/exam.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numbers>
#include <tuple>

namespace calcscope {
namespace {

const AnalysisResult* find_result(const std::vector<std::pair<Image, AnalysisResult>>& images, std::size_t i) {
  return &images[i].second;
}

const Cluster* find_cluster(const AnalysisResult& r, int id) {
  for (const auto& c : r.clusters)
    if (c.id == id) return &c;
  return nullptr;
}

std::string normal_view(const std::string& v) {
  if (v == "CC" || v == "XCCL" || v == "XCCM") return "CC";
  if (v == "MLO" || v == "ML" || v == "LM" || v == "LMO") return "MLO";
  return v;
}

std::string breast_name(const std::string& b) { return b == "L" ? "left" : b == "R" ? "right" : "unknown"; }

}  // namespace

std::string image_key(const ImageInfo& info, const std::string& fallback) {
  if (!info.source_path.empty()) return std::filesystem::path(info.source_path).stem().string();
  if (!info.sop_instance_uid.empty()) return info.sop_instance_uid;
  return fallback;
}

ExamResult assess_exam(const std::vector<std::pair<Image, AnalysisResult>>& images,
                       const std::vector<UnreadableImage>& unreadable, const ExamParams& params) {
  ExamResult exam;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto& [image, result] = images[i];
    const ImageInfo& info = result.image_meta_only.info.laterality.empty() && result.image_meta_only.info.view.empty()
                                ? image.info
                                : result.image_meta_only.info;
    ExamImage e;
    e.key = image_key(info, "image" + std::to_string(i + 1));
    e.laterality = info.laterality;
    e.view = normal_view(info.view);
    e.description = describe_image(image, result, params.describe);
    e.input_warnings = result.image_meta_only.info.warnings;
    if (exam.study_instance_uid.empty()) exam.study_instance_uid = info.study_instance_uid;
    exam.images.push_back(std::move(e));
  }

  // ---- CC <-> MLO correlation per breast (greedy on the smallest nipple-distance difference) ----
  for (const std::string breast : {"L", "R"}) {
    struct Candidate {
      double diff;
      std::size_t cc_img, mlo_img;
      std::size_t cc_idx, mlo_idx;
      double d_cc, d_mlo;
    };
    std::vector<Candidate> cands;
    for (std::size_t a = 0; a < exam.images.size(); ++a) {
      if (exam.images[a].laterality != breast || exam.images[a].view != "CC") continue;
      for (std::size_t b = 0; b < exam.images.size(); ++b) {
        if (exam.images[b].laterality != breast || exam.images[b].view != "MLO") continue;
        const AnalysisResult& ra = *find_result(images, a);
        const AnalysisResult& rb = *find_result(images, b);
        for (std::size_t i = 0; i < exam.images[a].description.clusters.size(); ++i) {
          const Cluster* ca = find_cluster(ra, exam.images[a].description.clusters[i].cluster_id);
          if (!ca) continue;
          const double da = describe_position(ca->x, ca->y, ra).nipple_distance_mm;
          if (da < 0) continue;
          for (std::size_t j = 0; j < exam.images[b].description.clusters.size(); ++j) {
            const Cluster* cb = find_cluster(rb, exam.images[b].description.clusters[j].cluster_id);
            if (!cb) continue;
            const double db = describe_position(cb->x, cb->y, rb).nipple_distance_mm;
            if (db < 0) continue;
            const double diff = std::fabs(da - db);
            if (diff <= params.correlation_max_difference_mm) cands.push_back({diff, a, b, i, j, da, db});
          }
        }
      }
    }
    std::sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) { return x.diff < y.diff; });
    for (const auto& c : cands) {
      auto& ccd = exam.images[c.cc_img].description.clusters[c.cc_idx];
      auto& mld = exam.images[c.mlo_img].description.clusters[c.mlo_idx];
      if (ccd.correlated_cluster_id != 0 || mld.correlated_cluster_id != 0) continue;
      ccd.correlated_cluster_id = mld.cluster_id;
      ccd.correlated_image = exam.images[c.mlo_img].key;
      mld.correlated_cluster_id = ccd.cluster_id;
      mld.correlated_image = exam.images[c.cc_img].key;
      const double raised = 1 - (1 - ccd.confidence) * (1 - mld.confidence);
      ccd.confidence = mld.confidence = raised;

      ClusterCorrelation cor;
      cor.breast = breast;
      cor.cc_image = exam.images[c.cc_img].key;
      cor.mlo_image = exam.images[c.mlo_img].key;
      cor.cc_cluster = ccd.cluster_id;
      cor.mlo_cluster = mld.cluster_id;
      cor.cc_nipple_distance_mm = c.d_cc;
      cor.mlo_nipple_distance_mm = c.d_mlo;
      // Lateral offset from CC (lateral at the top), superior offset from MLO (upper at the top).
      const AnalysisResult& rcc = *find_result(images, c.cc_img);
      const AnalysisResult& rml = *find_result(images, c.mlo_img);
      const Cluster* kcc = find_cluster(rcc, ccd.cluster_id);
      const Cluster* kml = find_cluster(rml, mld.cluster_id);
      const double lateral = (rcc.region.nipple.y - kcc->y) * rcc.image_meta_only.pixel_size_mm;
      const double superior = (rml.region.nipple.y - kml->y) * rml.image_meta_only.pixel_size_mm;
      cor.quadrant = std::string(superior >= 0 ? "upper" : "lower") + (lateral >= 0 ? " outer" : " inner");
      // Clock face as the viewer faces the patient: the left breast's outer side is at 3 o'clock.
      const double xv = lateral * (breast == "L" ? 1.0 : -1.0);
      double ang = std::atan2(xv, superior) * 180 / std::numbers::pi;  // clockwise from 12
      if (ang < 0) ang += 360;
      int hour = static_cast<int>(std::lround(ang / 30)) % 12;
      cor.clock_hour = hour == 0 ? 12 : hour;
      const std::string where = ", " + cor.quadrant + " quadrant, about " + std::to_string(cor.clock_hour) + " o'clock";
      ccd.position += where;
      mld.position += where;
      exam.correlations.push_back(cor);
    }
  }

  // ---- assessments ----
  for (auto& e : exam.images) assess_image(e.description, e.laterality, params.assess);

  std::vector<std::string> breasts_seen;
  for (const auto& e : exam.images)
    if (std::find(breasts_seen.begin(), breasts_seen.end(), e.laterality) == breasts_seen.end())
      breasts_seen.push_back(e.laterality);
  for (const auto& u : unreadable)
    if (std::find(breasts_seen.begin(), breasts_seen.end(), u.laterality) == breasts_seen.end())
      breasts_seen.push_back(u.laterality);

  std::vector<std::string> breasts = {"L", "R"};
  for (const std::string& breast : breasts) {
    const bool present = std::find(breasts_seen.begin(), breasts_seen.end(), breast) != breasts_seen.end();
    if (!present && !params.require_both_breasts) continue;
    std::vector<std::string> missing;
    for (const std::string view : {"CC", "MLO"}) {
      const bool have = std::any_of(exam.images.begin(), exam.images.end(), [&](const ExamImage& e) {
        return e.laterality == breast && e.view == view;
      });
      if (have) continue;
      std::string what = breast + " " + view;
      for (const auto& u : unreadable)
        if (u.laterality == breast && normal_view(u.view) == view) what += " (unreadable: " + u.reason + ")";
      missing.push_back(what);
      exam.missing_views.push_back(what);
    }
    Assessment found;
    bool any = false;
    for (const auto& e : exam.images) {
      if (e.laterality != breast) continue;
      Assessment named = e.description.assessment;
      named.reason = e.key + ": " + named.reason;
      found = any ? worse(found, named) : named;
      any = true;
    }
    Assessment a;
    if (!missing.empty()) {
      std::string reason = "the " + breast_name(breast) + " breast cannot be fully judged: missing ";
      for (std::size_t i = 0; i < missing.size(); ++i) reason += (i ? ", " : "") + missing[i];
      const Assessment inc = incomplete_assessment(reason, breast);
      a = any ? worse(found, inc) : inc;
      if (a.category != "0") a.reason += "; also " + reason;
      else if (any) a.reason += " (available view: " + found.reason + ")";
    } else {
      a = found;
    }
    a.recommendation = recommendation_for(a.category, breast);
    exam.breasts[breast] = a;
  }
  Assessment ex;
  bool any = false;
  for (const auto& [b, a] : exam.breasts) {
    Assessment named = a;
    named.reason = breast_name(b) + " breast: " + a.reason;
    ex = any ? worse(ex, named) : named;
    any = true;
  }
  // Images without laterality cannot be placed in a breast: the exam is incomplete.
  for (const auto& e : exam.images)
    if (e.laterality != "L" && e.laterality != "R") {
      const Assessment inc = incomplete_assessment("image " + e.key + " has no laterality (L/R)", "");
      ex = any ? worse(ex, inc) : inc;
      any = true;
    }
  if (!any) ex = incomplete_assessment("no readable image in the exam", "both");
  exam.assessment = ex;
  return exam;
}

nlohmann::json exam_to_json(const ExamResult& exam) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& e : exam.images) {
    nlohmann::json j = description_to_json(e.description);
    j["key"] = e.key;
    j["laterality"] = e.laterality;
    j["view"] = e.view;
    images.push_back(j);
  }
  nlohmann::json cors = nlohmann::json::array();
  for (const auto& c : exam.correlations)
    cors.push_back({{"breast", c.breast},
                    {"cc_image", c.cc_image},
                    {"cc_cluster", c.cc_cluster},
                    {"mlo_image", c.mlo_image},
                    {"mlo_cluster", c.mlo_cluster},
                    {"cc_nipple_distance_mm", c.cc_nipple_distance_mm},
                    {"mlo_nipple_distance_mm", c.mlo_nipple_distance_mm},
                    {"quadrant", c.quadrant},
                    {"clock_hour", c.clock_hour}});
  nlohmann::json breasts = nlohmann::json::object();
  for (const auto& [b, a] : exam.breasts) breasts[b] = to_json(a);
  return {{"kind", "calcscope-exam"},
          {"schema_version", kExamSchemaVersion},
          {"study_instance_uid", exam.study_instance_uid},
          {"images", images},
          {"correlations", cors},
          {"missing_views", exam.missing_views},
          {"breasts", breasts},
          {"assessment", to_json(exam.assessment)}};
}

}  // namespace calcscope
