// Breast segmentation at a coarse working resolution (default 0.8 mm), mapped back to full size.
#include "calcscope/detect/breast.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "core/cv_adapter.h"

namespace calcscope {
namespace {

int odd(int k) { return std::max(1, k | 1); }

/// Largest 8-connected component of a binary image, holes filled.
cv::Mat largest_component_filled(const cv::Mat& binary) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8, CV_32S);
  int best = 0, best_area = 0;
  for (int i = 1; i < n; ++i) {
    const int a = stats.at<int>(i, cv::CC_STAT_AREA);
    if (a > best_area) best_area = a, best = i;
  }
  cv::Mat out = cv::Mat::zeros(binary.size(), CV_8U);
  if (best == 0) return out;
  out = (labels == best);
  // fill holes: flood the background from a padded border, what is not reached is inside
  cv::Mat padded;
  cv::copyMakeBorder(out, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, 0);
  cv::Mat flood = padded.clone();
  cv::floodFill(flood, cv::Point(0, 0), 255);
  cv::Mat holes = (flood == 0);
  padded |= holes;
  return padded(cv::Rect(1, 1, out.cols, out.rows)).clone();
}

/// Dark film-frame bands: on digitised film an unexposed strip (the film's black frame, a few
/// millimetres wide) can lie between an image edge and the breast where the breast meets that edge
/// (chest wall, top or bottom). The silhouette is thresholded after a 2 mm blur at 0.8 mm pixels,
/// which bridges such a strip, so the strip counts as breast; the step from black to tissue then
/// reads as a line of bright specks (mini-MIAS mdb154: a column of "calcifications" scoring 0.95-0.98
/// one pixel inside the step). Returns the width in full-resolution pixels of the band along `side`
/// (0 left, 1 right, 2 top, 3 bottom): the run of lines, from the edge inward, in which at least
/// 80 % of the silhouette's pixels are at or below `level`. 0 when the silhouette meets that edge
/// over less than 20 mm, and at most max_mm. Bands under 1 mm count as none: a dark scanner row or two
/// at the border is not a frame, and the 2 mm image margin already covers the step beyond it.
int dark_edge_band_px(const cv::Mat& img, const cv::Mat& silhouette, int side, float level, double px_mm,
                      double max_mm = 10.0) {
  const bool vertical = side < 2;  // the band's lines are columns
  const int n_lines = vertical ? img.cols : img.rows, len = vertical ? img.rows : img.cols;
  const int max_lines = std::min(n_lines, static_cast<int>(max_mm / px_mm));
  const int min_run = static_cast<int>(std::ceil(20.0 / px_mm));
  int k = 0;
  for (; k < max_lines; ++k) {
    const int line = (side == 1 || side == 3) ? n_lines - 1 - k : k;
    int inside = 0, dark = 0;
    for (int j = 0; j < len; ++j) {
      const int y = vertical ? j : line, x = vertical ? line : j;
      if (!silhouette.at<uchar>(y, x)) continue;
      ++inside;
      dark += img.at<float>(y, x) <= level;
    }
    if (inside < min_run || dark < 0.8 * inside) break;
  }
  return k * px_mm < 1.0 ? 0 : k;
}

/// Straight horizontal edges at the top and bottom of the image: adhesive tape, film edges and label
/// strips on digitised film. Breast tissue does not end in a long straight horizontal line with more
/// foreground between that line and the image border, so such a band is removed from `fg` (the
/// thresholded foreground) when one row within `max_band_mm` of the border shows an intensity step
/// of at least `min_step` over at least `min_run_mm` of columns, flat on both sides (not a gradient,
/// not a thin scanner line), with the band side foreground for at least 5 mm of it. The cut covers
/// the band's columns (extended while the band rows stay foreground) ± 2 mm, from the border to 2 mm
/// past the edge. `raw` is the unsmoothed working image in [0,1]. Returns the number of bands removed.
int remove_edge_bands(const cv::Mat& raw, cv::Mat& fg, double px_mm, double min_run_mm = 25,
                      double max_band_mm = 30, double min_step = 0.15) {
  const int H = raw.rows, W = raw.cols;
  const int max_rows = std::min(H / 3, static_cast<int>(max_band_mm / px_mm));
  const int min_run = std::max(5, static_cast<int>(std::lround(min_run_mm / px_mm)));
  const int min_part = std::max(3, static_cast<int>(std::lround(5.0 / px_mm)));
  const int max_gap = std::max(1, static_cast<int>(std::lround(1.0 / px_mm)));
  const int margin = std::max(1, static_cast<int>(std::lround(2.0 / px_mm)));
  int removed = 0;
  for (int side = 0; side < 2; ++side) {
    auto row = [&](int k) { return side == 0 ? k : H - 1 - k; };  // k counts rows from this border
    auto at = [&](int k, int x) { return raw.at<float>(row(std::clamp(k, 0, H - 1)), x); };
    auto is_fg = [&](int k, int x) { return fg.at<uchar>(row(k), x) != 0; };
    auto band_fg = [&](int k, int x) {  // rows 0 .. k-2 at least 90 % foreground
      int n = 0;
      for (int j = 0; j <= k - 2; ++j) n += is_fg(j, x);
      return n * 10 >= (k - 1) * 9;
    };
    auto step_at = [&](int k, int x) {
      const double in = 0.5 * (at(k - 2, x) + at(k - 3, x)), out = 0.5 * (at(k + 2, x) + at(k + 3, x));
      const double in_far = 0.5 * (at(k - 5, x) + at(k - 6, x)), out_far = 0.5 * (at(k + 5, x) + at(k + 6, x));
      const double step = std::abs(in - out), slope = std::abs(in - in_far) + std::abs(out - out_far);
      return step >= min_step && step >= 1.5 * slope;
    };
    int best_k = -1, best_a = 0, best_b = 0;
    for (int k = 3; k + 6 < max_rows; ++k) {
      int run_start = -1, gap = 0, last_good = -1;
      for (int x = 0; x <= W; ++x) {
        const bool good = x < W && step_at(k, x);
        if (good) {
          if (run_start < 0) run_start = x;
          last_good = x;
          gap = 0;
          continue;
        }
        if (run_start < 0 || (++gap <= max_gap && x < W)) continue;
        if (last_good - run_start + 1 >= min_run) {
          int on_fg = 0;
          for (int c = run_start; c <= last_good; ++c) on_fg += band_fg(k, c);
          if (on_fg >= min_part && k > best_k) best_k = k, best_a = run_start, best_b = last_good;
        }
        run_start = -1;
        gap = 0;
      }
    }
    if (best_k < 0) continue;
    while (best_a > 0 && band_fg(best_k, best_a - 1)) --best_a;
    while (best_b < W - 1 && band_fg(best_k, best_b + 1)) ++best_b;
    const int a = std::max(0, best_a - margin), b = std::min(W - 1, best_b + margin);
    for (int j = 0; j <= std::min(H - 1, best_k + margin); ++j) fg.row(row(j)).colRange(a, b + 1).setTo(0);
    ++removed;
  }
  return removed;
}

/// Finds the pectoral muscle on a working image whose chest wall is at the left (x = 0 side of the
/// breast). Returns a mask of the pectoral region (empty when none is found) and the boundary line.
struct PectoralFit {
  bool found = false;
  cv::Point2d top, bottom;  // line ends (work pixels): top on the first breast row, bottom at the chest wall
  cv::Mat region;
};

PectoralFit find_pectoral(const cv::Mat& work, const cv::Mat& breast, int chest_x) {
  PectoralFit fit;
  cv::Rect bb = cv::boundingRect(breast);
  if (bb.width < 10 || bb.height < 10) return fit;
  // candidate zone: upper 60 % of the breast, chest-wall 60 % of its width
  cv::Rect zone(bb.x, bb.y, std::max(1, bb.width * 6 / 10), std::max(1, bb.height * 6 / 10));
  cv::Mat zmask = breast(zone) > 0;
  cv::Mat zimg = work(zone);
  // Otsu within the zone on 8-bit values
  double lo, hi;
  cv::minMaxLoc(zimg, &lo, &hi, nullptr, nullptr, zmask);
  if (hi - lo < 1e-6) return fit;
  cv::Mat z8;
  zimg.convertTo(z8, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  std::vector<uchar> vals;
  for (int y = 0; y < z8.rows; ++y)
    for (int x = 0; x < z8.cols; ++x)
      if (zmask.at<uchar>(y, x)) vals.push_back(z8.at<uchar>(y, x));
  if (vals.size() < 50) return fit;
  cv::Mat vm(1, static_cast<int>(vals.size()), CV_8U, vals.data());
  cv::Mat dummy;
  const double t = cv::threshold(vm, dummy, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::Mat bright = (z8 > t) & zmask;
  cv::morphologyEx(bright, bright, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  // keep the bright component touching the top-left (chest-wall, top) corner
  cv::Mat labels;
  const int n = cv::connectedComponents(bright, labels, 8, CV_32S);
  int corner_label = 0;
  const int probe_rows = std::max(2, zone.height / 12);
  const int probe_cols = std::max(2, (chest_x - zone.x) + zone.width / 12);
  for (int y = 0; y < probe_rows && !corner_label; ++y)
    for (int x = 0; x < std::min(probe_cols, zone.width) && !corner_label; ++x)
      if (labels.at<int>(y, x) > 0) corner_label = labels.at<int>(y, x);
  if (n < 2 || corner_label == 0) return fit;
  cv::Mat comp = labels == corner_label;
  // boundary: for each row, the right-most pixel of the component; fit x = a + b*y
  std::vector<cv::Point2d> pts;
  for (int y = 0; y < comp.rows; ++y) {
    int right = -1;
    for (int x = comp.cols - 1; x >= 0; --x)
      if (comp.at<uchar>(y, x)) { right = x; break; }
    if (right >= 0) pts.emplace_back(right, y);
  }
  if (pts.size() < 8) return fit;
  // robust line fit (Huber)
  cv::Vec4f line;
  std::vector<cv::Point2f> ptsf(pts.begin(), pts.end());
  cv::fitLine(ptsf, line, cv::DIST_HUBER, 0, 0.01, 0.01);
  const double vx = line[0], vy = line[1], x0 = line[2], y0 = line[3];
  if (std::abs(vy) < 1e-3) return fit;
  const double slope = vx / vy;  // dx/dy: the boundary moves toward the chest wall going down
  if (slope > -0.1 || slope < -6.0) return fit;
  const double x_at_top = x0 + slope * (0 - y0);
  const double y_at_wall = y0 + (0 - x0) / slope;  // where x = 0 (zone's left edge)
  if (x_at_top <= 2 || y_at_wall <= 2) return fit;
  // contrast check: the muscle should be brighter than the tissue just beyond the line
  double in_sum = 0, out_sum = 0;
  int in_n = 0, out_n = 0;
  for (int y = 0; y < zone.height; ++y) {
    const double xl = x_at_top + slope * y;
    for (int x = 0; x < zone.width; ++x) {
      if (!zmask.at<uchar>(y, x)) continue;
      const double d = x - xl;
      if (d < 0 && d > -12) in_sum += zimg.at<float>(y, x), ++in_n;
      else if (d > 2 && d < 14) out_sum += zimg.at<float>(y, x), ++out_n;
    }
  }
  if (in_n < 20 || out_n < 20) return fit;
  if (in_sum / in_n - out_sum / out_n < 0.02 * (hi - lo) + 1e-6) return fit;
  const double area = 0.5 * x_at_top * std::min<double>(y_at_wall, zone.height);
  if (area > 0.45 * cv::countNonZero(breast)) return fit;
  fit.found = true;
  fit.top = {zone.x + x_at_top, static_cast<double>(zone.y)};
  fit.bottom = {static_cast<double>(zone.x), zone.y + y_at_wall};
  fit.region = cv::Mat::zeros(work.size(), CV_8U);
  std::vector<cv::Point> tri = {cv::Point(zone.x, zone.y - 2), cv::Point(static_cast<int>(std::lround(fit.top.x)), zone.y - 2),
                                cv::Point(static_cast<int>(std::lround(fit.bottom.x)), static_cast<int>(std::lround(fit.bottom.y)))};
  // extend the triangle to the image top (rows above the breast bounding box are outside anyway)
  tri[0].y = 0;
  tri[1].y = 0;
  tri[1].x = static_cast<int>(std::lround(zone.x + x_at_top - slope * zone.y));
  cv::fillConvexPoly(fit.region, tri, 255);
  return fit;
}

}  // namespace

bool darker_class_is_air(const std::vector<int>& hist, int t_otsu, int bg) {
  t_otsu = std::clamp(t_otsu, 0, static_cast<int>(hist.size()) - 1);
  long n = 0;
  for (int v = 0; v <= t_otsu; ++v) n += hist[v];
  if (n == 0) return true;  // nothing darker than the Otsu level: nothing to call tissue either
  auto quantile = [&](double f) {
    long acc = 0;
    for (int v = 0; v <= t_otsu; ++v)
      if ((acc += hist[v]) >= f * n) return v;
    return t_otsu;
  };
  return quantile(0.75) - quantile(0.25) <= kAirMaxSpread * (t_otsu - bg) || bg <= kAirMaxLevel * t_otsu;
}

bool is_patch_sized(const Image& image) {
  return image.pixel_size_mm > 0 && image.width_mm() < kPatchMaxSideMm && image.height_mm() < kPatchMaxSideMm;
}

bool is_crop_sized(const Image& image) {
  return image.pixel_size_mm > 0 && image.width_mm() < kCropMaxSideMm && image.height_mm() < kCropMaxSideMm;
}

BreastRegion segment_breast(const Image& image, const BreastParams& params) {
  if (image.empty() || image.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidImage, "empty image or unknown pixel size", image.info.source_path);
  if (params.whole_image) {
    BreastRegion region;
    region.mask = Mask(image.width, image.height, 255);
    region.breast = Mask(image.width, image.height, 255);
    region.chest_wall_side = -1;
    region.nipple = {image.width - 1.0, image.height / 2.0};
    region.skin_line = {{0, 0}, {image.width - 1.0, 0}, {image.width - 1.0, image.height - 1.0}, {0, image.height - 1.0}};
    region.area_mm2 = image.width_mm() * image.height_mm();
    region.whole_image = true;
    return region;
  }
  const double scale = std::min(1.0, image.pixel_size_mm / params.work_pixel_mm);
  cv::Mat full = cvx::view(image);
  cv::Mat work;
  cv::resize(full, work, cv::Size(), scale, scale, cv::INTER_AREA);
  const double work_px_mm = image.pixel_size_mm / scale;
  const double sigma_px = params.smoothing_mm / work_px_mm;
  const cv::Mat raw = work.clone();  // unsmoothed, for straight edges (tape, film edges)
  cv::GaussianBlur(work, work, cv::Size(), sigma_px);

  // Foreground threshold: a fraction of the way from background to the Otsu level, so that the thin
  // (dark) tissue near the skin line stays inside.
  cv::Mat w8;
  work.convertTo(w8, CV_8U, 255.0);
  cv::Mat otsu_bin;
  const double t_otsu = cv::threshold(w8, otsu_bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  // background level: median of the pixels below the Otsu level
  std::vector<int> hist(256, 0);
  for (int y = 0; y < w8.rows; ++y)
    for (int x = 0; x < w8.cols; ++x) ++hist[w8.at<uchar>(y, x)];
  long below = 0;
  for (int v = 0; v <= static_cast<int>(t_otsu); ++v) below += hist[v];
  long acc = 0;
  int bg = 0;
  for (int v = 0; v <= static_cast<int>(t_otsu); ++v) {
    acc += hist[v];
    if (acc * 2 >= below) { bg = v; break; }
  }
  // A crop of breast tissue has no air: Otsu then splits fatty from dense tissue, and the "breast" would
  // be the dense half. Only crop-sized images are asked (darker_class_is_air()); analyze() then takes
  // the crop whole, as when no outline is found at all.
  if (is_crop_sized(image) && !darker_class_is_air(hist, static_cast<int>(t_otsu), bg))
    throw Error(ErrorCode::NotAMammogram,
                std::string(kNoAirMessage) +
                    " (the darker grey levels are as textured as the rest): a crop of breast tissue, not a whole breast",
                image.info.source_path);
  const double t = bg + 0.35 * (t_otsu - bg);
  cv::Mat fg = w8 > t;
  const int open_k = odd(static_cast<int>(std::lround(3.0 / work_px_mm)));
  cv::morphologyEx(fg, fg, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {open_k, open_k}));
  if (params.remove_edge_bands) remove_edge_bands(raw, fg, work_px_mm);
  cv::Mat breast = largest_component_filled(fg);
  const double area_mm2 = cv::countNonZero(breast) * work_px_mm * work_px_mm;
  if (area_mm2 < params.min_breast_area_mm2)
    throw Error(ErrorCode::NotAMammogram,
                "no breast found (foreground of " + std::to_string(static_cast<int>(area_mm2)) +
                    " mm^2): is this a mammogram, and is the pixel size right?",
                image.info.source_path);

  BreastRegion region;
  // chest wall side: breast mass is heavier toward the chest wall than its bounding-box centre
  const cv::Moments m = cv::moments(breast, true);
  const cv::Rect bb = cv::boundingRect(breast);
  const double cx = m.m10 / std::max(1.0, m.m00);
  region.chest_wall_side = (cx < bb.x + bb.width / 2.0) ? -1 : +1;

  // work on a copy flipped so that the chest wall is at the left. The flipped copies get their own
  // buffers: `breast` (the silhouette returned as region.breast) must stay unflipped.
  cv::Mat breast_l, work_l;
  if (region.chest_wall_side > 0) {
    cv::flip(breast, breast_l, 1);
    cv::flip(work, work_l, 1);
  } else {
    breast_l = breast;
    work_l = work;
  }
  const cv::Rect bbl = cv::boundingRect(breast_l);
  cv::Mat tissue_l = breast_l.clone();
  const bool try_pectoral = params.remove_pectoral && image.info.view != "CC" && image.info.view != "XCC" &&
                            image.info.view != "XCCL" && image.info.view != "XCCM";
  PectoralFit pect;
  if (try_pectoral) pect = find_pectoral(work_l, breast_l, bbl.x);
  if (pect.found) tissue_l.setTo(0, pect.region);

  // skin line and nipple (on the flipped copy: nipple = contour point farthest from the chest wall)
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(breast_l.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
  std::size_t best = 0;
  for (std::size_t i = 1; i < contours.size(); ++i)
    if (contours[i].size() > contours[best].size()) best = i;
  const auto& contour = contours.at(best);
  int max_x = -1;
  std::vector<int> ys;
  for (const auto& p : contour) max_x = std::max(max_x, p.x);
  for (const auto& p : contour)
    if (p.x >= max_x - 1) ys.push_back(p.y);
  std::sort(ys.begin(), ys.end());
  cv::Point2d nipple_l(max_x, ys.empty() ? bbl.y + bbl.height / 2.0 : ys[ys.size() / 2]);

  // skin band excluded from detection
  // (+ the smoothing and one working pixel: the smoothed silhouette reaches ~1 sigma past the skin)
  const double margin_mm = params.skin_margin_mm + params.smoothing_mm + work_px_mm;
  const int margin_k = odd(static_cast<int>(std::lround(2 * margin_mm / work_px_mm)));
  cv::erode(tissue_l, tissue_l, cv::getStructuringElement(cv::MORPH_ELLIPSE, {margin_k, margin_k}));

  auto unflip_x = [&](double x) { return region.chest_wall_side > 0 ? (work.cols - 1 - x) : x; };
  if (region.chest_wall_side > 0) {
    cv::flip(tissue_l, tissue_l, 1);
  }
  const double inv = 1.0 / scale;
  auto to_full = [&](double x, double y) { return PointPx{(unflip_x(x) + 0.5) * inv - 0.5, (y + 0.5) * inv - 0.5}; };
  region.nipple = to_full(nipple_l.x, nipple_l.y);
  region.skin_line.reserve(contour.size());
  for (const auto& p : contour) region.skin_line.push_back(to_full(p.x, p.y));
  region.pectoral_found = pect.found;
  if (pect.found) {
    region.pectoral_top = to_full(pect.top.x, pect.top.y);
    region.pectoral_bottom = to_full(pect.bottom.x, pect.bottom.y);
  }

  // back to full resolution (nearest keeps it binary)
  cv::Mat tissue_full, breast_full;
  cv::resize(tissue_l, tissue_full, full.size(), 0, 0, cv::INTER_NEAREST);
  cv::resize(breast, breast_full, full.size(), 0, 0, cv::INTER_NEAREST);
  // the outermost image_margin_mm of the image is not searched: film and detector edges carry
  // artefacts (film-edge strips, scanner lines), and a speck cut by the border cannot be judged
  const int edge_px = static_cast<int>(std::ceil(params.image_margin_mm / image.pixel_size_mm - 1e-9));
  if (edge_px > 0) {
    const int ex = std::min(edge_px, tissue_full.cols), ey = std::min(edge_px, tissue_full.rows);
    tissue_full.rowRange(0, ey).setTo(0);
    tissue_full.rowRange(tissue_full.rows - ey, tissue_full.rows).setTo(0);
    tissue_full.colRange(0, ex).setTo(0);
    tissue_full.colRange(tissue_full.cols - ex, tissue_full.cols).setTo(0);
  }
  // a dark film-frame band at an edge (dark_edge_band_px) is not searched either, nor the
  // skin-band width beyond it: the black-to-tissue step is an edge like the skin line
  if (params.remove_dark_edge_bands) {
    const float level = static_cast<float>(t / 255.0);
    const int beyond = static_cast<int>(std::ceil((params.skin_margin_mm + params.smoothing_mm) / image.pixel_size_mm));
    for (int side = 0; side < 4; ++side) {
      const int k = dark_edge_band_px(full, breast_full, side, level, image.pixel_size_mm);
      if (k == 0) continue;
      region.dark_edge_bands_mm[side] = k * image.pixel_size_mm;
      const int w = std::min(k + beyond, side < 2 ? tissue_full.cols : tissue_full.rows);
      if (side == 0) tissue_full.colRange(0, w).setTo(0);
      if (side == 1) tissue_full.colRange(tissue_full.cols - w, tissue_full.cols).setTo(0);
      if (side == 2) tissue_full.rowRange(0, w).setTo(0);
      if (side == 3) tissue_full.rowRange(tissue_full.rows - w, tissue_full.rows).setTo(0);
    }
  }
  region.mask = cvx::to_mask(tissue_full);
  region.breast = cvx::to_mask(breast_full);
  region.area_mm2 = cv::countNonZero(tissue_full) * image.pixel_size_mm * image.pixel_size_mm;
  return region;
}

PolarityEvidence polarity_evidence(const Image& image) {
  PolarityEvidence e;
  if (image.empty() || image.pixel_size_mm <= 0) return e;
  // ~1 mm blocks (area-averaged), stretched to 8 bits for Otsu
  const int w = static_cast<int>(image.width * image.pixel_size_mm), h = static_cast<int>(image.height * image.pixel_size_mm);
  if (w < 8 || h < 8) return e;
  cv::Mat small;
  cv::resize(cvx::view(image), small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  const std::vector<float> v(small.begin<float>(), small.end<float>());
  const auto [mn_it, mx_it] = std::minmax_element(v.begin(), v.end());
  const float mn = *mn_it, mx = *mx_it;
  if (mx - mn <= 1e-6f) return e;
  cv::Mat u8;
  small.convertTo(u8, CV_8U, 255.0 / (mx - mn), -255.0 * mn / (mx - mn));
  cv::Mat bin;
  const double t = cv::threshold(u8, bin, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  std::vector<float> dark, bright;
  for (int i = 0; i < w * h; ++i) (u8.data[i] > t ? bright : dark).push_back(v[i]);
  if (dark.empty() || bright.empty()) return e;
  auto median = [](std::vector<float> x) {
    std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2), x.end());
    return static_cast<double>(x[x.size() / 2]);
  };
  auto mad = [&](const std::vector<float>& x, double m) {
    std::vector<float> d(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) d[i] = static_cast<float>(std::abs(x[i] - m));
    return 1.4826 * median(std::move(d));
  };
  const double md = median(dark), mb = median(bright), gap = std::max(1e-9, mb - md);
  e.dark_spread = mad(dark, md) / gap;
  e.bright_spread = mad(bright, mb) / gap;
  const int band = std::max(1, std::min({3, w / 8, h / 8}));
  int n = 0, nb = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (x >= band && x < w - band && y >= band && y < h - band) continue;
      ++n;
      nb += u8.at<std::uint8_t>(y, x) > t;
    }
  e.bright_border_fraction = static_cast<double>(nb) / n;
  e.dark_border_fraction = 1.0 - e.bright_border_fraction;
  e.inverted = e.bright_border_fraction >= 0.6 && e.bright_spread < 0.5 * e.dark_spread;
  return e;
}

}  // namespace calcscope
