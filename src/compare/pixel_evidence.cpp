// Pixel evidence: a calcification of one exam looked up in the other exam's pixels (docs/compare.md).
#include "calcscope/compare/pixel_evidence.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

/// Band-pass contrast-to-noise of a crop of an image, with its per-pixel local maximum.
struct Patch {
  int ox = 0, oy = 0;  ///< top-left of the crop in image pixels
  cv::Mat local_max;   ///< CV_32F: largest CNR within the local search radius
  cv::Mat cnr;         ///< CV_32F: band-pass contrast-to-noise
  cv::Mat tissue;      ///< CV_8U: 1 where the smoothed background is above a quarter of the crop's top
  bool contains(int x, int y) const { return x >= ox && y >= oy && x < ox + local_max.cols && y < oy + local_max.rows; }
  float at(int x, int y) const { return local_max.at<float>(y - oy, x - ox); }
};

Patch band_patch(const Image& im, double x0, double y0, double x1, double y1, double margin_mm,
                 const PixelEvidenceParams& p, double search_mm, int shape = cv::MORPH_ELLIPSE) {
  const double px = im.pixel_size_mm;
  // at least ~8 mm of tissue around the spots for a stable noise estimate
  const int margin = static_cast<int>(std::ceil(std::max(margin_mm, 4.0) / px)) + 2;
  Patch out;
  out.ox = std::clamp(static_cast<int>(std::floor(x0)) - margin, 0, im.width - 1);
  out.oy = std::clamp(static_cast<int>(std::floor(y0)) - margin, 0, im.height - 1);
  const int ex = std::clamp(static_cast<int>(std::ceil(x1)) + margin, 0, im.width - 1);
  const int ey = std::clamp(static_cast<int>(std::ceil(y1)) + margin, 0, im.height - 1);
  const int w = ex - out.ox + 1, h = ey - out.oy + 1;
  cv::Mat crop(h, w, CV_32F);
  for (int y = 0; y < h; ++y)
    std::copy_n(&im.pixels[static_cast<std::size_t>(out.oy + y) * im.width + out.ox], w, crop.ptr<float>(y));
  cv::Mat fine, background;
  const double sf = std::max(0.5, p.fine_sigma_mm / px), sb = std::max(1.5 * sf, p.background_sigma_mm / px);
  cv::GaussianBlur(crop, fine, cv::Size(), sf, sf, cv::BORDER_REFLECT);
  cv::GaussianBlur(crop, background, cv::Size(), sb, sb, cv::BORDER_REFLECT);
  cv::Mat band = fine - background;
  // noise over the tissue of the crop: pixels outside the breast (or outside a resampled image's
  // field, filled with 0) would make it too small
  double top = 0;
  cv::minMaxLoc(background, nullptr, &top);
  std::vector<float> mag, all;
  mag.reserve(static_cast<std::size_t>(w) * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      all.push_back(std::abs(band.at<float>(y, x)));
      if (background.at<float>(y, x) > 0.25 * top) mag.push_back(all.back());
    }
  if (mag.size() < all.size() / 4) mag.swap(all);
  const auto mid = mag.begin() + static_cast<std::ptrdiff_t>(mag.size() / 2);
  std::nth_element(mag.begin(), mid, mag.end());
  const double noise = std::max(1e-6, 1.4826 * static_cast<double>(*mid));
  out.cnr = band / noise;
  out.tissue = background > 0.25 * top;
  const int r = std::max(1, static_cast<int>(std::lround(search_mm / px)));
  cv::dilate(out.cnr, out.local_max, cv::getStructuringElement(shape, cv::Size(2 * r + 1, 2 * r + 1)));
  return out;
}

template <class Fn>
void bounds_of(const std::vector<PointPx>& pts, Fn&& fn) {
  double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
  for (const auto& q : pts) x0 = std::min(x0, q.x), y0 = std::min(y0, q.y), x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
  fn(x0, y0, x1, y1);
}

}  // namespace

std::vector<PointPx> find_spot_peaks(const Image& image, const std::vector<std::pair<PointPx, double>>& circles_px,
                                     double min_cnr, double separation_mm, const PixelEvidenceParams& p) {
  std::vector<PointPx> out;
  if (circles_px.empty()) return out;
  if (image.empty() || image.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidImage, "spot search needs an image with its pixel size", image.info.source_path);
  double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
  for (const auto& [c, r] : circles_px)
    x0 = std::min(x0, c.x - r), y0 = std::min(y0, c.y - r), x1 = std::max(x1, c.x + r), y1 = std::max(y1, c.y + r);
  x0 = std::clamp(x0, 0.0, image.width - 1.0), x1 = std::clamp(x1, 0.0, image.width - 1.0);
  y0 = std::clamp(y0, 0.0, image.height - 1.0), y1 = std::clamp(y1, 0.0, image.height - 1.0);
  if (x1 < x0 || y1 < y0) return out;
  const Patch patch = band_patch(image, x0, y0, x1, y1, 3 * p.background_sigma_mm, p, p.local_search_mm);
  const int sep = std::max(1, static_cast<int>(std::lround(separation_mm / image.pixel_size_mm)));
  cv::Mat peak_max;
  cv::dilate(patch.cnr, peak_max, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * sep + 1, 2 * sep + 1)));
  struct Peak {
    float v;
    int x, y;
  };
  std::vector<Peak> peaks;
  for (int y = static_cast<int>(std::floor(y0)); y <= static_cast<int>(std::ceil(y1)); ++y)
    for (int x = static_cast<int>(std::floor(x0)); x <= static_cast<int>(std::ceil(x1)); ++x) {
      if (!patch.contains(x, y)) continue;
      const int u = x - patch.ox, v = y - patch.oy;
      const float c = patch.cnr.at<float>(v, u);
      if (c < min_cnr || c < peak_max.at<float>(v, u) || !patch.tissue.at<unsigned char>(v, u)) continue;
      const bool inside = std::any_of(circles_px.begin(), circles_px.end(), [&](const auto& cr) {
        return std::hypot(x - cr.first.x, y - cr.first.y) <= cr.second;
      });
      if (inside) peaks.push_back({c, x, y});
    }
  std::sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) {
    return a.v != b.v ? a.v > b.v : (a.y != b.y ? a.y < b.y : a.x < b.x);
  });
  for (const auto& q : peaks) {  // plateaus: keep one pixel
    const bool near = std::any_of(out.begin(), out.end(), [&](const PointPx& o) { return std::hypot(o.x - q.x, o.y - q.y) < sep; });
    if (!near) out.push_back({static_cast<double>(q.x), static_cast<double>(q.y)});
  }
  return out;
}

SpotCheck check_spots(const Image& own, const Image& other, const SimilarityTransform& own_to_other,
                      const std::vector<PointPx>& spots_px, const PixelEvidenceParams& p) {
  SpotCheck out;
  if (spots_px.empty()) return out;
  for (const Image* im : {&own, &other}) {
    if (im->empty() || im->pixel_size_mm <= 0)
      throw Error(ErrorCode::InvalidImage, "pixel evidence needs both images with their pixel size", im->info.source_path);
  }
  for (const auto& q : spots_px)
    if (!(q.x >= 0 && q.y >= 0 && q.x < own.width && q.y < own.height))
      throw Error(ErrorCode::InvalidData,
                  "a calcification at (" + std::to_string(q.x) + ", " + std::to_string(q.y) +
                      ") px lies outside its image: findings and image do not belong together",
                  own.info.source_path);
  const double po = own.pixel_size_mm, pt = other.pixel_size_mm;

  // own responses
  Patch own_patch;
  bounds_of(spots_px, [&](double x0, double y0, double x1, double y1) {
    own_patch = band_patch(own, x0, y0, x1, y1, 3 * p.background_sigma_mm, p, p.local_search_mm);
  });
  std::vector<PointPx> mapped;  // other image pixels
  for (const auto& q : spots_px) {
    SpotEvidence s;
    s.own_px = q;
    const int ix = std::min(own.width - 1, static_cast<int>(std::lround(q.x)));
    const int iy = std::min(own.height - 1, static_cast<int>(std::lround(q.y)));
    s.own_cnr = own_patch.at(ix, iy);
    const PointPx m = own_to_other.apply({q.x * po, q.y * po});
    mapped.push_back({m.x / pt, m.y / pt});
    s.other_px = mapped.back();
    out.spots.push_back(s);
  }

  // the other image around the mapped spots, with room for the offset search
  Patch other_patch;
  bounds_of(mapped, [&](double x0, double y0, double x1, double y1) {
    x0 = std::clamp(x0, 0.0, other.width - 1.0), x1 = std::clamp(x1, 0.0, other.width - 1.0);
    y0 = std::clamp(y0, 0.0, other.height - 1.0), y1 = std::clamp(y1, 0.0, other.height - 1.0);
    other_patch = band_patch(other, x0, y0, x1, y1, p.offset_search_mm + 3 * p.background_sigma_mm, p, p.other_search_mm,
                              cv::MORPH_RECT);
  });
  auto other_at = [&](std::size_t k, int dx, int dy, float& v) {
    const int x = static_cast<int>(std::lround(mapped[k].x)) + dx, y = static_cast<int>(std::lround(mapped[k].y)) + dy;
    if (!other_patch.contains(x, y)) return false;
    v = other_patch.at(x, y);
    return true;
  };

  // residual offset common to the spots: the summed (capped) responses, a small pull towards 0
  const int r = static_cast<int>(std::floor(p.offset_search_mm / pt));
  int best_dx = 0, best_dy = 0;
  double best = -1e18;
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) {
      if (dx * dx + dy * dy > r * r) continue;
      double sum = 0;
      for (std::size_t k = 0; k < mapped.size(); ++k) {
        if (out.spots[k].own_cnr < p.min_own_cnr) continue;
        float v = 0;
        if (other_at(k, dx, dy, v)) sum += std::min(static_cast<double>(v), out.spots[k].own_cnr);
      }
      sum -= 1e-3 * std::hypot(dx, dy);
      if (sum > best) best = sum, best_dx = dx, best_dy = dy;
    }
  out.offset_x_mm = best_dx * pt;
  out.offset_y_mm = best_dy * pt;
  for (std::size_t k = 0; k < mapped.size(); ++k) {
    SpotEvidence& s = out.spots[k];
    s.other_px = {mapped[k].x + best_dx, mapped[k].y + best_dy};
    float v = 0;
    const bool inside = other_at(k, best_dx, best_dy, v) && s.other_px.x >= 0 && s.other_px.y >= 0 &&
                        s.other_px.x < other.width && s.other_px.y < other.height;
    s.other_cnr = inside ? v : 0;
    s.judged = inside && s.own_cnr >= p.min_own_cnr;
    s.visible = s.judged && ((s.other_cnr >= p.visible_fraction * s.own_cnr && s.other_cnr >= p.visible_min_cnr) ||
                             s.other_cnr >= p.visible_cnr);
    out.strong += s.own_cnr >= p.min_own_cnr;
    out.judged += s.judged;
    out.visible += s.visible;
  }
  return out;
}

}  // namespace calcscope
