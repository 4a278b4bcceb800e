#include "calcscope/io/grey_window.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "core/cv_adapter.h"

namespace calcscope {

namespace {

/// 0.5th and 99.8th percentiles of the cells (nullopt under kMinTissueCells or when uniform).
std::optional<TissueRange> percentiles(std::vector<float>& vals) {
  if (static_cast<int>(vals.size()) < kMinTissueCells) return std::nullopt;
  std::sort(vals.begin(), vals.end());
  TissueRange t;
  t.low = vals[vals.size() * 5 / 1000];
  t.high = vals[vals.size() * 998 / 1000];
  t.cells = static_cast<int>(vals.size());
  if (!(t.high - t.low > 1e-3)) return std::nullopt;
  return t;
}

/// Size of the 0.5 mm cell grid over `image` (nullopt under 8 cells a side or without a pixel size).
std::optional<cv::Size> half_mm_cells(const Image& image) {
  if (image.empty() || !(image.pixel_size_mm > 0)) return std::nullopt;
  const double cell_px = 0.5 / image.pixel_size_mm;
  const cv::Size g(static_cast<int>(std::lround(image.width / cell_px)),
                   static_cast<int>(std::lround(image.height / cell_px)));
  if (g.width < 8 || g.height < 8) return std::nullopt;
  return g;
}

/// The percentiles of the grid cells where `in` (CV_8U) equals `value`.
std::optional<TissueRange> range_of_cells(const cv::Mat& grid, const cv::Mat& in, std::uint8_t value) {
  std::vector<float> vals;
  for (int r = 0; r < grid.rows; ++r) {
    const auto* m = in.ptr<std::uint8_t>(r);
    const auto* g = grid.ptr<float>(r);
    for (int c = 0; c < grid.cols; ++c)
      if (m[c] == value) vals.push_back(g[c]);
  }
  return percentiles(vals);
}

}  // namespace

std::optional<TissueRange> tissue_range(const Image& image) {
  const auto cells = half_mm_cells(image);
  if (!cells) return std::nullopt;
  cv::Mat grid;
  cv::resize(cvx::view(image), grid, *cells, 0, 0, cv::INTER_AREA);
  cv::Mat grid8;
  grid.convertTo(grid8, CV_8U, 255.0);
  // Otsu separates the air from the tissue but cuts into the thin tissue at the skin, which holds the
  // fattiest cells: the breast is everything above the air's level plus a quarter of the gap
  cv::Mat otsu_mask;
  const double otsu = cv::threshold(grid8, otsu_mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU) / 255.0;
  const double air = cv::mean(grid, grid <= otsu)[0];
  cv::Mat fg = grid > air + 0.25 * (otsu - air);
  // the largest connected region is the breast (labels and markers are small)
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(fg, labels, stats, centroids, 8, CV_32S);
  int best = 0, best_area = 0;
  for (int i = 1; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) > best_area) {
      best_area = stats.at<int>(i, cv::CC_STAT_AREA);
      best = i;
    }
  if (best == 0) return std::nullopt;
  cv::Mat breast = labels == best;
  cv::erode(breast, breast, cv::Mat::ones(3, 3, CV_8U));  // partial-volume cells at the skin
  return range_of_cells(grid, breast, 255);
}

void map_tissue_range(Image& image, const TissueRange& from, double to_low, double to_high) {
  const double gain = (to_high - to_low) / (from.high - from.low);
  for (auto& v : image.pixels) v = static_cast<float>(std::clamp(to_low + (v - from.low) * gain, 0.0, 1.0));
}

std::optional<TissueRange> window_to_trained_tissue_range(Image& image) {
  const auto t = tissue_range(image);
  if (!t) return std::nullopt;
  map_tissue_range(image, *t, kTrainedTissueLow, kTrainedTissueHigh);
  return t;
}

bool off_trained_grey_scale(const TissueRange& t) {
  const double gain = (kTrainedRegionHigh - kTrainedRegionLow) / (t.high - t.low);
  return gain > kGreyWindowMaxGain || gain < 1.0 / kGreyWindowMaxGain ||
         std::abs(t.low - kTrainedRegionLow) > kGreyWindowMaxLowShift;
}

std::optional<TissueRange> tissue_range_in(const Image& image, const Mask& tissue) {
  if (tissue.width != image.width || tissue.height != image.height) return std::nullopt;
  const auto cells = half_mm_cells(image);
  if (!cells) return std::nullopt;
  cv::Mat grid, inside;
  cv::resize(cvx::view(image), grid, *cells, 0, 0, cv::INTER_AREA);
  cv::resize(cvx::view(tissue), inside, *cells, 0, 0, cv::INTER_AREA);
  return range_of_cells(grid, inside, 255);  // cells wholly inside the region
}

}  // namespace calcscope
