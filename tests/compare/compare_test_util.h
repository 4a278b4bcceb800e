// Helpers for the compare tests: synthetic breast images, hand-made findings.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "calcscope/compare/change.h"
#include "calcscope/compare/register.h"
#include "calcscope/core/image.h"

namespace calcscope::test {

/// A breast-like image without the phantom generator: a half-ellipse on the left edge with smooth
/// random texture (sum of Gaussian blobs), dark background. Deterministic for a seed.
inline Image synthetic_breast(double pixel_mm = 0.4, std::uint32_t seed = 7) {
  const int w = static_cast<int>(std::lround(160 / pixel_mm)), h = static_cast<int>(std::lround(220 / pixel_mm));
  Image im(w, h, pixel_mm, 0.f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double cx = 0, cy = 110, ax = 105, ay = 90;  // mm
  std::vector<float> tex(im.pixels.size(), 0.f);
  for (int b = 0; b < 260; ++b) {
    const double bx = u(rng) * 110, by = 20 + u(rng) * 180, s = 2 + u(rng) * 9, a = (u(rng) - 0.4) * 0.25;
    const int x0 = std::max(0, static_cast<int>((bx - 3 * s) / pixel_mm)), x1 = std::min(w - 1, static_cast<int>((bx + 3 * s) / pixel_mm));
    const int y0 = std::max(0, static_cast<int>((by - 3 * s) / pixel_mm)), y1 = std::min(h - 1, static_cast<int>((by + 3 * s) / pixel_mm));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double dx = x * pixel_mm - bx, dy = y * pixel_mm - by;
        tex[static_cast<std::size_t>(y) * w + x] += static_cast<float>(a * std::exp(-(dx * dx + dy * dy) / (2 * s * s)));
      }
  }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double dx = (x * pixel_mm - cx) / ax, dy = (y * pixel_mm - cy) / ay;
      const double r2 = dx * dx + dy * dy;
      if (r2 > 1) continue;
      const double thickness = std::sqrt(1 - r2);  // thinner towards the skin line
      im.at(x, y) = static_cast<float>(std::clamp(0.25 + 0.35 * thickness + tex[static_cast<std::size_t>(y) * w + x], 0.02, 1.0));
    }
  return im;
}

/// The same grey values through a different "processing": gamma and gain.
inline void change_contrast(Image& im, double gamma, double gain) {
  for (auto& v : im.pixels) v = static_cast<float>(std::clamp(gain * std::pow(std::max(0.f, v), gamma), 0.0, 1.0));
}

/// Median distance (mm) between where `estimated` and `truth` send points of a grid inside the breast.
inline double median_error_mm(const SimilarityTransform& estimated, const SimilarityTransform& truth,
                              const std::vector<PointPx>& points_mm) {
  std::vector<double> e;
  for (const auto& p : points_mm) {
    const PointPx a = estimated.apply(p), b = truth.apply(p);
    e.push_back(std::hypot(a.x - b.x, a.y - b.y));
  }
  std::sort(e.begin(), e.end());
  return e.empty() ? 1e9 : e[e.size() / 2];
}

/// A cluster of `count` members around (x_mm, y_mm) on a `pixel_mm` grid; members appended to `calcs`.
inline Cluster make_cluster(int id, double x_mm, double y_mm, int count, double spread_mm, double pixel_mm,
                            std::vector<Calcification>& calcs, double score = 0.9) {
  Cluster c;
  c.id = id;
  c.x = x_mm / pixel_mm, c.y = y_mm / pixel_mm, c.x_mm = x_mm, c.y_mm = y_mm;
  c.count = count;
  c.score = score;
  double extent = 0;
  std::vector<PointPx> pts;
  for (int i = 0; i < count; ++i) {
    // deterministic spiral: members keep their place when the count grows
    const double a = i * 2.399963, r = spread_mm * std::sqrt((i + 0.5) / 12.0);
    pts.push_back({x_mm + r * std::cos(a), y_mm + r * std::sin(a)});
  }
  for (std::size_t i = 0; i < pts.size(); ++i) {
    Calcification k;
    k.id = id * 1000 + static_cast<int>(i) + 1;
    k.x_mm = pts[i].x, k.y_mm = pts[i].y, k.x = pts[i].x / pixel_mm, k.y = pts[i].y / pixel_mm;
    k.diameter_mm = 0.3;
    k.score = 0.9;
    calcs.push_back(k);
    c.calcification_ids.push_back(k.id);
    c.radius_mm = std::max(c.radius_mm, std::hypot(pts[i].x - x_mm, pts[i].y - y_mm) + 0.15);
    for (const auto& q : pts) extent = std::max(extent, std::hypot(q.x - pts[i].x, q.y - pts[i].y));
  }
  c.extent_mm = extent;
  return c;
}

}  // namespace calcscope::test
