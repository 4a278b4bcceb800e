#include "calcscope/report/json_output.h"

#include <cmath>
#include <fstream>

#include "calcscope/core/error.h"
#include "calcscope/detect/calcifications.h"
#include "calcscope/detect/clusters.h"

namespace calcscope {
namespace {

// Non-finite values would be written as null and break the contract: they are written as 0.
double r3(double v) { return std::isfinite(v) ? std::round(v * 1000.0) / 1000.0 : 0.0; }
double r4(double v) { return std::isfinite(v) ? std::round(v * 10000.0) / 10000.0 : 0.0; }

nlohmann::json point(const PointPx& p, double px) {
  return {{"x", r3(p.x)}, {"y", r3(p.y)}, {"x_mm", r3(p.x * px)}, {"y_mm", r3(p.y * px)}};
}

}  // namespace

nlohmann::json analysis_to_json(const AnalysisResult& r) {
  const Image& im = r.image_meta_only;
  const double px = im.pixel_size_mm;
  nlohmann::json j;
  j["schema_version"] = kAnalysisSchemaVersion;
  j["generator"] = {{"name", "calcscope"}, {"version", CALCSCOPE_VERSION}, {"models", r.models}};
  j["image"] = {{"file", im.info.source_path},
                {"width", im.width},
                {"height", im.height},
                {"pixel_size_mm", px},
                {"pixel_size_source", im.info.pixel_size_source},
                {"width_mm", r3(im.width_mm())},
                {"height_mm", r3(im.height_mm())},
                {"laterality", im.info.laterality},
                {"view", im.info.view},
                {"format", im.info.format},
                {"photometric", im.info.photometric},
                {"presentation_intent", im.info.presentation_intent},
                {"bits_stored", im.info.bits_stored},
                {"sop_instance_uid", im.info.sop_instance_uid},
                {"study_instance_uid", im.info.study_instance_uid},
                {"study_date", im.info.study_date},
                {"warnings", im.info.warnings}};
  const auto& reg = r.region;
  nlohmann::json breast = {{"area_mm2", r3(reg.area_mm2)},
                           {"chest_wall_side", reg.chest_wall_side < 0 ? "left" : "right"},
                           {"nipple", point(reg.nipple, px)},
                           {"pectoral_found", reg.pectoral_found},
                           {"whole_image", reg.whole_image},
                           {"dark_edge_bands_mm", {{"left", r3(reg.dark_edge_bands_mm[0])},
                                                   {"right", r3(reg.dark_edge_bands_mm[1])},
                                                   {"top", r3(reg.dark_edge_bands_mm[2])},
                                                   {"bottom", r3(reg.dark_edge_bands_mm[3])}}}};
  if (reg.pectoral_found)
    breast["pectoral_line"] = {point(reg.pectoral_top, px), point(reg.pectoral_bottom, px)};
  // skin line, decimated to about one point per 2 mm to keep the file small
  nlohmann::json skin = nlohmann::json::array();
  // (by distance travelled: the contour's own spacing depends on the segmentation grid)
  double since_last = 1e9;
  for (std::size_t i = 0; i < reg.skin_line.size(); ++i) {
    if (i > 0)
      since_last += std::hypot(reg.skin_line[i].x - reg.skin_line[i - 1].x, reg.skin_line[i].y - reg.skin_line[i - 1].y) * px;
    if (since_last >= 2.0) {
      skin.push_back({r3(reg.skin_line[i].x), r3(reg.skin_line[i].y)});
      since_last = 0;
    }
  }
  breast["skin_line"] = skin;
  j["breast"] = breast;

  nlohmann::json calcs = nlohmann::json::array();
  const auto& fnames = calcification_feature_names();
  for (const auto& c : r.calcifications) {
    nlohmann::json f = nlohmann::json::object();
    for (std::size_t i = 0; i < c.features.size() && i < fnames.size(); ++i) f[fnames[i]] = r4(c.features[i]);
    calcs.push_back({{"id", c.id},
                     {"x", r3(c.x)},
                     {"y", r3(c.y)},
                     {"x_mm", r3(c.x_mm)},
                     {"y_mm", r3(c.y_mm)},
                     {"diameter_mm", r3(c.diameter_mm)},
                     {"area_mm2", r4(c.area_mm2)},
                     {"contrast", r4(c.contrast)},
                     {"cnr", r3(c.cnr)},
                     {"elongation", r3(c.elongation)},
                     {"irregularity", r3(c.irregularity)},
                     {"eccentricity", r3(c.eccentricity)},
                     {"orientation_deg", r3(c.orientation_deg)},
                     {"dist_to_skin_mm", r3(c.dist_to_skin_mm)},
                     {"score", r4(c.score)},
                     {"features", f}});
  }
  j["calcifications"] = calcs;

  nlohmann::json clusters = nlohmann::json::array();
  const auto& knames = cluster_feature_names();
  for (const auto& k : r.clusters) {
    nlohmann::json outline = nlohmann::json::array();
    for (const auto& p : k.outline) outline.push_back({r3(p.x), r3(p.y)});
    nlohmann::json f = nlohmann::json::object();
    for (std::size_t i = 0; i < k.features.size() && i < knames.size(); ++i) f[knames[i]] = r4(k.features[i]);
    clusters.push_back({{"id", k.id},
                        {"x", r3(k.x)},
                        {"y", r3(k.y)},
                        {"x_mm", r3(k.x_mm)},
                        {"y_mm", r3(k.y_mm)},
                        {"radius_mm", r3(k.radius_mm)},
                        {"extent_mm", r3(k.extent_mm)},
                        {"area_mm2", r3(k.area_mm2)},
                        {"count", k.count},
                        {"score", r4(k.score)},
                        {"model_score", r4(k.model_score)},
                        {"mean_member_score", r4(k.mean_member_score)},
                        {"calcification_ids", k.calcification_ids},
                        {"outline", outline},
                        {"features", f}});
  }
  j["clusters"] = clusters;
  j["operating_point"] = {{"min_calcification_score", r.min_calcification_score},
                          {"min_cluster_score", r.min_cluster_score},
                          {"patch_model", r.patch_rescored}};
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : r.stages)
    stages.push_back({{"name", s.name}, {"milliseconds", r3(s.milliseconds)}, {"parameters", s.parameters}});
  j["stages"] = stages;
  return j;
}

std::string json_text(const nlohmann::json& json, int indent) {
  return json.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_json_file(const nlohmann::json& json, const std::filesystem::path& path) {
  const std::string text = json_text(json);
  std::ofstream out(path);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot write (check the output directory exists and is writable)",
                        path.string());
  out << text << "\n";
  if (!out) throw Error(ErrorCode::OutputFailed, "write failed (disk full?)", path.string());
}

nlohmann::json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::FileNotFound, "cannot open JSON file", path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("not valid JSON: ") + e.what(), path.string());
  }
}

}  // namespace calcscope
