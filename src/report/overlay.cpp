#include "calcscope/report/overlay.h"

#include <algorithm>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "core/cv_adapter.h"

namespace calcscope {

void write_overlay_png(const Image& image, const AnalysisResult& r, const std::filesystem::path& path,
                       const OverlayOptions& options) {
  const double s = std::min(1.0, static_cast<double>(options.max_side_px) / std::max(image.width, image.height));
  cv::Mat small, grey, bgr;
  cv::resize(cvx::view(image), small, cv::Size(), s, s, cv::INTER_AREA);
  small.convertTo(grey, CV_8U, 255.0);
  cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
  auto P = [s](double x, double y) { return cv::Point(static_cast<int>(x * s), static_cast<int>(y * s)); };
  const int thick = std::max(1, static_cast<int>(std::lround(bgr.cols / 1000.0)));
  // breast outline (green) and pectoral line (cyan), nipple (magenta)
  std::vector<cv::Point> skin;
  for (const auto& p : r.region.skin_line) skin.push_back(P(p.x, p.y));
  if (!skin.empty()) cv::polylines(bgr, skin, true, {0, 200, 0}, thick);
  if (r.region.pectoral_found)
    cv::line(bgr, P(r.region.pectoral_top.x, r.region.pectoral_top.y),
             P(r.region.pectoral_bottom.x, r.region.pectoral_bottom.y), {255, 255, 0}, thick);
  cv::drawMarker(bgr, P(r.region.nipple.x, r.region.nipple.y), {255, 0, 255}, cv::MARKER_DIAMOND, 12 * thick, thick);
  // dark film-frame bands (BreastRegion::dark_edge_bands_mm: left, right, top, bottom): tinted blue,
  // they were not searched
  bool bands = false;
  for (int side = 0; side < 4; ++side) {
    const double mm = r.region.dark_edge_bands_mm[side];
    if (!(mm > 0)) continue;
    bands = true;
    const int w = std::max(1, static_cast<int>(std::lround(mm / image.pixel_size_mm * s)));
    cv::Rect band = side == 0   ? cv::Rect(0, 0, w, bgr.rows)
                    : side == 1 ? cv::Rect(bgr.cols - w, 0, w, bgr.rows)
                    : side == 2 ? cv::Rect(0, 0, bgr.cols, w)
                                : cv::Rect(0, bgr.rows - w, bgr.cols, w);
    band &= cv::Rect(0, 0, bgr.cols, bgr.rows);
    cv::Mat roi = bgr(band);
    cv::addWeighted(roi, 0.6, cv::Mat(roi.size(), roi.type(), cv::Scalar(255, 80, 0)), 0.4, 0, roi);
  }
  // calcifications, radius at least 2 display pixels: cluster members yellow; single ones (orange)
  // only from options.single_min_score
  std::set<int> members;
  for (const auto& k : r.clusters) members.insert(k.calcification_ids.begin(), k.calcification_ids.end());
  int singles = 0;
  for (const auto& c : r.calcifications) {
    const bool member = members.count(c.id) > 0;
    if (!member && c.score < options.single_min_score) continue;
    singles += !member;
    const int rad = std::max(2, static_cast<int>(c.diameter_mm / 2 / image.pixel_size_mm * s) + 1);
    cv::circle(bgr, P(c.x, c.y), rad, member ? cv::Scalar(0, 230, 255) : cv::Scalar(0, 140, 255), member ? thick : 1);
  }
  char legend[200];
  std::snprintf(legend, sizeof legend,
                "yellow: %zu calcifications in clusters; orange: %d single ones scoring >= %.2f (%zu in the JSON)",
                members.size(), singles, options.single_min_score, r.calcifications.size());
  cv::putText(bgr, legend, cv::Point(6 * thick, bgr.rows - 8 * thick), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick,
              {0, 230, 255}, thick);
  if (bands)
    cv::putText(bgr, "blue: dark film-frame band, not searched", cv::Point(6 * thick, bgr.rows - 22 * thick),
                cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick, {255, 160, 60}, thick);
  // clusters (red): hull and a circle, with id and score
  for (const auto& k : r.clusters) {
    std::vector<cv::Point> hull;
    for (const auto& p : k.outline) hull.push_back(P(p.x, p.y));
    if (hull.size() >= 2) cv::polylines(bgr, hull, true, {0, 0, 255}, thick);
    const int rad = static_cast<int>(k.radius_mm / image.pixel_size_mm * s) + 4 * thick;
    cv::circle(bgr, P(k.x, k.y), rad, {0, 0, 255}, thick);
    char label[64];
    std::snprintf(label, sizeof label, "#%d %.2f", k.id, k.score);
    cv::putText(bgr, label, P(k.x, k.y) + cv::Point(rad + 3, 0), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick,
                {0, 0, 255}, thick);
  }
  try {
    if (!cv::imwrite(path.string(), bgr)) throw Error(ErrorCode::OutputFailed, "cannot write overlay PNG", path.string());
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::OutputFailed, std::string("cannot write overlay PNG: ") + e.what(), path.string());
  }
}

}  // namespace calcscope
