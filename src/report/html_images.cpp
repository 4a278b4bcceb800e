// Pictures for the HTML reports: OpenCV draws and encodes PNG, embedded as base64 data URIs.
#include "html_images.h"

#include <algorithm>
#include <set>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "calcscope/report/overlay.h"
#include "calcscope/core/error.h"

namespace calcscope::report_detail {
namespace {

cv::Scalar bgr(const std::string& hex) {
  const int v = std::stoi(hex.substr(1), nullptr, 16);
  return cv::Scalar(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff);
}

/// Grey window from the 1st-99.5th percentile of a sample of the pixels.
std::pair<float, float> window(const cv::Mat& f) {
  std::vector<float> s;
  const int step = std::max(1, static_cast<int>(f.total() / 200000));
  for (std::size_t i = 0; i < f.total(); i += step) s.push_back(f.ptr<float>()[i]);
  if (s.empty()) return {0.f, 1.f};
  std::sort(s.begin(), s.end());
  float lo = s[static_cast<std::size_t>(0.01 * (s.size() - 1))];
  float hi = s[static_cast<std::size_t>(0.995 * (s.size() - 1))];
  if (hi <= lo) hi = lo + 1e-3f;
  return {lo, hi};
}

cv::Mat to_bgr8(const cv::Mat& f) {
  const auto [lo, hi] = window(f);
  cv::Mat g;
  f.convertTo(g, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  cv::Mat c;
  cv::cvtColor(g, c, cv::COLOR_GRAY2BGR);
  return c;
}

std::string encode(const cv::Mat& bgr8) {
  std::vector<unsigned char> buf;
  if (!cv::imencode(".png", bgr8, buf))
    throw Error(ErrorCode::Internal, "could not encode a report picture as PNG");
  return "data:image/png;base64," + base64(buf);
}

cv::Mat as_mat(const Image& image) {
  return cv::Mat(image.height, image.width, CV_32F, const_cast<float*>(image.pixels.data()));
}

const Calcification* find_calc(const AnalysisResult& r, int id) {
  for (const auto& c : r.calcifications)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace

std::string base64(const std::vector<unsigned char>& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = in[i] << 16;
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (in[i] << 16) | (in[i + 1] << 8);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string category_colour(const std::string& category) {
  if (category == "1" || category == "2") return "#2e8b57";
  if (category == "3") return "#e0a800";
  if (category == "0") return "#1f6fd1";
  return "#d62728";
}

std::string marked_overview_png_data_uri(const Image& image, const std::vector<PointPx>& skin_line,
                                         const std::vector<PointPx>& calcifications,
                                         const std::vector<ImageMark>& marks, int max_side_px) {
  if (image.empty() || image.width <= 0 || image.height <= 0) return "";
  const double scale = std::min(1.0, static_cast<double>(max_side_px) / std::max(image.width, image.height));
  cv::Mat small;
  cv::resize(as_mat(image), small, cv::Size(), scale, scale, cv::INTER_AREA);
  cv::Mat c = to_bgr8(small);
  const int thick = std::max(1, static_cast<int>(std::lround(std::max(c.cols, c.rows) / 600.0)));
  const auto at = [scale](const PointPx& p) {
    return cv::Point(static_cast<int>(std::lround(p.x * scale)), static_cast<int>(std::lround(p.y * scale)));
  };
  // Breast outline.
  if (skin_line.size() >= 2) {
    std::vector<cv::Point> pts;
    for (const auto& p : skin_line) pts.push_back(at(p));
    cv::polylines(c, pts, false, cv::Scalar(90, 200, 90), thick, cv::LINE_AA);
  }
  // Calcifications.
  for (const auto& k : calcifications) cv::circle(c, at(k), std::max(2, thick + 1), cv::Scalar(0, 215, 255), 1, cv::LINE_AA);
  // Marks (clusters), labelled.
  for (const auto& m : marks) {
    const cv::Scalar col = bgr(m.colour);
    std::vector<cv::Point> hull;
    for (const auto& p : m.outline) hull.push_back(at(p));
    const cv::Point centre = at(m.centre);
    const int r = std::max(8, static_cast<int>(std::lround(m.radius_px * scale)));
    if (hull.size() >= 3) cv::polylines(c, hull, true, col, thick, cv::LINE_AA);
    cv::circle(c, centre, r, col, thick, cv::LINE_AA);
    if (!m.label.empty())
      cv::putText(c, m.label, centre + cv::Point(r + 3, -r), cv::FONT_HERSHEY_SIMPLEX, 0.5 + 0.3 * thick, col, thick + 1,
                  cv::LINE_AA);
  }
  return encode(c);
}

std::string overview_png_data_uri(const Image& image, const AnalysisResult& result,
                                  const ImageDescription& description, int max_side_px) {
  // Cluster members and single calcifications scoring >= kMarkSingleCalcificationMinScore.
  std::set<int> members;
  for (const auto& k : result.clusters) members.insert(k.calcification_ids.begin(), k.calcification_ids.end());
  std::vector<PointPx> calcs;
  for (const auto& k : result.calcifications)
    if (members.count(k.id) || k.score >= kMarkSingleCalcificationMinScore) calcs.push_back({k.x, k.y});
  // Clusters, numbered, coloured by category.
  std::vector<ImageMark> marks;
  for (const auto& cl : result.clusters) {
    std::string cat;
    for (const auto& d : description.clusters)
      if (d.cluster_id == cl.id) cat = d.category;
    marks.push_back({{cl.x, cl.y}, image.mm_to_px(cl.radius_mm) + image.mm_to_px(2), cl.outline, std::to_string(cl.id),
                     category_colour(cat)});
  }
  return marked_overview_png_data_uri(image, result.region.skin_line, calcs, marks, max_side_px);
}

double cluster_crop_half_mm(double cluster_radius_mm) { return std::max(5.0, cluster_radius_mm * 1.4 + 1.0); }

std::string crop_png_data_uri(const Image& image, PointPx centre, double half_mm, const std::vector<ImageSpot>& spots,
                              const std::vector<ImageMark>& marks, int side_px) {
  if (image.empty()) return "";
  const int half = static_cast<int>(std::ceil(image.mm_to_px(half_mm)));
  const int x0 = std::clamp(static_cast<int>(centre.x) - half, 0, image.width - 1);
  const int y0 = std::clamp(static_cast<int>(centre.y) - half, 0, image.height - 1);
  const int x1 = std::clamp(static_cast<int>(centre.x) + half, x0 + 1, image.width);
  const int y1 = std::clamp(static_cast<int>(centre.y) + half, y0 + 1, image.height);
  const cv::Mat roi = as_mat(image)(cv::Rect(x0, y0, x1 - x0, y1 - y0)).clone();
  const double scale = static_cast<double>(side_px) / std::max(roi.cols, roi.rows);
  cv::Mat big;
  cv::resize(roi, big, cv::Size(), scale, scale, scale >= 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  cv::Mat c = to_bgr8(big);
  const auto at = [&](const PointPx& p) {
    return cv::Point(static_cast<int>(std::lround((p.x - x0) * scale)), static_cast<int>(std::lround((p.y - y0) * scale)));
  };
  for (const auto& m : marks)
    cv::circle(c, at(m.centre), std::max(8, static_cast<int>(std::lround(m.radius_px * scale))), bgr(m.colour), 2,
               cv::LINE_AA);
  for (const auto& k : spots) {
    const int r = std::max(4, static_cast<int>(std::lround(k.diameter_px * scale)));
    cv::circle(c, at(k.centre), r, cv::Scalar(0, 215, 255), 1, cv::LINE_AA);
  }
  // Scale bar: 5 mm.
  const int bar = static_cast<int>(std::lround(image.mm_to_px(5.0) * scale));
  cv::line(c, cv::Point(10, c.rows - 12), cv::Point(10 + bar, c.rows - 12), cv::Scalar(255, 255, 255), 2);
  cv::putText(c, "5 mm", cv::Point(12, c.rows - 18), cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(255, 255, 255), 1,
              cv::LINE_AA);
  return encode(c);
}

std::string cluster_crop_png_data_uri(const Image& image, const AnalysisResult& result, const Cluster& cluster,
                                      int side_px) {
  std::vector<ImageSpot> spots;
  for (int id : cluster.calcification_ids)
    if (const Calcification* k = find_calc(result, id)) spots.push_back({{k->x, k->y}, image.mm_to_px(k->diameter_mm)});
  return crop_png_data_uri(image, {cluster.x, cluster.y}, cluster_crop_half_mm(cluster.radius_mm), spots, {}, side_px);
}

}  // namespace calcscope::report_detail
