// Hand-built analysis results for the description, assessment and report tests.
#pragma once
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope::test {

inline constexpr double kPx = 0.1;  // mm per pixel of the hand-built images

/// A calcification at (x_mm, y_mm) with diameter d_mm; other measurements as given.
inline Calcification calc(int id, double x_mm, double y_mm, double d_mm, double elongation = 1.1,
                          double orientation_deg = 0, double irregularity = 0.05, double cnr = 10,
                          double dist_to_skin_mm = 30) {
  Calcification c;
  c.id = id;
  c.x_mm = x_mm;
  c.y_mm = y_mm;
  c.x = x_mm / kPx;
  c.y = y_mm / kPx;
  c.diameter_mm = d_mm;
  c.area_mm2 = std::numbers::pi * d_mm * d_mm / 4;
  c.area_px = c.area_mm2 / (kPx * kPx);
  c.contrast = 0.2;
  c.cnr = cnr;
  c.elongation = elongation;
  c.irregularity = irregularity;
  c.orientation_deg = orientation_deg;
  c.dist_to_skin_mm = dist_to_skin_mm;
  c.score = 0.9;
  return c;
}

/// An empty result for a 160 x 200 mm image: chest wall at the left edge (left breast), nipple at
/// (150 mm, 100 mm), skin line a half ellipse.
inline AnalysisResult empty_result(const std::string& laterality = "L", const std::string& view = "CC") {
  AnalysisResult r;
  r.image_meta_only.width = static_cast<int>(160 / kPx);
  r.image_meta_only.height = static_cast<int>(200 / kPx);
  r.image_meta_only.pixel_size_mm = kPx;
  r.image_meta_only.info.laterality = laterality;
  r.image_meta_only.info.view = view;
  r.image_meta_only.info.format = "phantom";
  r.image_meta_only.info.source_path = "/data/test_" + laterality + "_" + view + ".dcm";
  r.image_meta_only.info.study_date = "20260101";
  r.region.chest_wall_side = -1;
  r.region.nipple = {150 / kPx, 100 / kPx};
  for (int i = 0; i <= 60; ++i) {
    const double a = -std::numbers::pi / 2 + std::numbers::pi * i / 60;
    r.region.skin_line.push_back({150 / kPx * std::cos(a), (100 + 95 * std::sin(a)) / kPx});
  }
  const int w = r.image_meta_only.width, h = r.image_meta_only.height;
  r.region.breast = Mask(w, h, 0);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double xm = x * kPx, ym = y * kPx;
      if ((xm / 150) * (xm / 150) + ((ym - 100) / 95) * ((ym - 100) / 95) <= 1) r.region.breast.at(x, y) = 255;
    }
  r.min_calcification_score = 0.5;
  r.min_cluster_score = 0.5;
  r.models = "test models";
  return r;
}

/// Adds calcifications and a cluster over them; returns the cluster id.
inline int add_cluster(AnalysisResult& r, const std::vector<Calcification>& members, double score = 0.5) {
  Cluster cl;
  cl.id = static_cast<int>(r.clusters.size()) + 1;
  for (const auto& c : members) {
    r.calcifications.push_back(c);
    cl.calcification_ids.push_back(c.id);
    cl.x += c.x;
    cl.y += c.y;
  }
  cl.count = static_cast<int>(members.size());
  cl.x /= cl.count;
  cl.y /= cl.count;
  cl.x_mm = cl.x * kPx;
  cl.y_mm = cl.y * kPx;
  for (const auto& a : members) {
    cl.radius_mm = std::max(cl.radius_mm, std::hypot(a.x_mm - cl.x_mm, a.y_mm - cl.y_mm) + a.diameter_mm / 2);
    for (const auto& b : members) cl.extent_mm = std::max(cl.extent_mm, std::hypot(a.x_mm - b.x_mm, a.y_mm - b.y_mm));
  }
  std::vector<PointPx> pts;
  for (const auto& c : members) pts.push_back({c.x, c.y});
  std::sort(pts.begin(), pts.end(), [&](const PointPx& a, const PointPx& b) {
    return std::atan2(a.y - cl.y, a.x - cl.x) < std::atan2(b.y - cl.y, b.x - cl.x);
  });
  cl.outline = pts;
  cl.score = score;
  cl.mean_member_score = 0.9;
  r.clusters.push_back(cl);
  return cl.id;
}

inline int next_id(const AnalysisResult& r) { return static_cast<int>(r.calcifications.size()) + 1; }

// ---- clusters of each morphology (centre cx, cy in mm) ----

/// 8 members, sizes 0.15..0.45 mm, irregular: fine pleomorphic, grouped.
inline std::vector<Calcification> pleomorphic(int first_id, double cx, double cy) {
  std::vector<Calcification> v;
  const double d[] = {0.15, 0.42, 0.22, 0.38, 0.18, 0.45, 0.25, 0.33};
  const double irr[] = {0.1, 0.4, 0.2, 0.35, 0.05, 0.45, 0.3, 0.15};
  for (int i = 0; i < 8; ++i)
    v.push_back(calc(first_id + i, cx + 3 * std::cos(i * 0.8), cy + 2.5 * std::sin(i * 1.3), d[i], 1.6, i * 20, irr[i], 8));
  return v;
}

/// 8 thin lines (width ~0.2 mm, elongation 4), roughly along x with two branches: fine linear branching.
inline std::vector<Calcification> linear_branching(int first_id, double cx, double cy) {
  std::vector<Calcification> v;
  const double ori[] = {0, 5, -5, 40, 0, -35, 3, 0};
  for (int i = 0; i < 8; ++i)
    v.push_back(calc(first_id + i, cx - 4 + i * 1.1, cy + (i % 3) * 0.8, 0.4, 4.0, ori[i], 0.3, 9));
  return v;
}

/// 6 uniform smooth dots of 0.3 mm in a 5 mm group: punctate.
inline std::vector<Calcification> punctate(int first_id, double cx, double cy, double d = 0.3) {
  std::vector<Calcification> v;
  for (int i = 0; i < 6; ++i)
    v.push_back(calc(first_id + i, cx + 2 * std::cos(i * 1.05), cy + 2 * std::sin(i * 1.05), d * (1 + 0.05 * (i % 2)), 1.1,
                     0, 0.05, 12));
  return v;
}

/// 7 tiny faint members: amorphous.
inline std::vector<Calcification> amorphous(int first_id, double cx, double cy) {
  std::vector<Calcification> v;
  for (int i = 0; i < 7; ++i)
    v.push_back(calc(first_id + i, cx + 3 * std::cos(i * 0.9), cy + 3 * std::sin(i * 0.9), 0.2 + 0.02 * (i % 3), 1.3, 0, 0.2, 3.5));
  return v;
}

/// 7 irregular members of 0.6-0.9 mm: coarse heterogeneous.
inline std::vector<Calcification> coarse_heterogeneous(int first_id, double cx, double cy, double spread_mm = 3) {
  std::vector<Calcification> v;
  for (int i = 0; i < 7; ++i)
    v.push_back(calc(first_id + i, cx + spread_mm * std::cos(i * 0.9), cy + spread_mm * std::sin(i * 0.9),
                     0.6 + 0.05 * (i % 4), 1.5, i * 25, 0.25 + 0.05 * (i % 3), 12));
  return v;
}

/// A synthetic image matching empty_result(): a bright half ellipse with calcifications drawn as discs
/// (rim calcifications as rings).
inline Image render(const AnalysisResult& r, const std::vector<int>& rim_ids = {}) {
  Image im(r.image_meta_only.width, r.image_meta_only.height, kPx, 0.02f);
  im.info = r.image_meta_only.info;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const double xm = x * kPx, ym = y * kPx;
      const double q = (xm / 150) * (xm / 150) + ((ym - 100) / 95) * ((ym - 100) / 95);
      if (q <= 1) im.at(x, y) = static_cast<float>(0.35 + 0.15 * (1 - q) + 0.03 * std::sin(xm * 0.7) * std::cos(ym * 0.5));
    }
  for (const auto& c : r.calcifications) {
    const double rad = c.diameter_mm / 2 / kPx;
    const bool rim = std::find(rim_ids.begin(), rim_ids.end(), c.id) != rim_ids.end();
    for (int dy = -static_cast<int>(rad) - 1; dy <= rad + 1; ++dy)
      for (int dx = -static_cast<int>(rad) - 1; dx <= rad + 1; ++dx) {
        const double d = std::hypot(dx, dy);
        const int x = static_cast<int>(c.x) + dx, y = static_cast<int>(c.y) + dy;
        if (x < 0 || y < 0 || x >= im.width || y >= im.height || d > rad) continue;
        if (rim && d < rad * 0.55) continue;
        im.at(x, y) += static_cast<float>(c.contrast);
      }
  }
  return im;
}

}  // namespace calcscope::test
