// The grey scale of images whose file does not fix it (For Processing DICOM): a window read from
// the breast's own tissue range, the convention our For Presentation images follow.
#pragma once
#include <optional>

#include "calcscope/core/image.h"

namespace calcscope {

/// The breast's tissue range on a 0.5 mm grid (area-averaged, so noise and calcifications average
/// out): the 0.5th and 99.8th percentiles of the grid cells inside the breast (Otsu threshold over
/// the air, largest connected region, one cell eroded). Dense tissue must be bright.
struct TissueRange {
  double low = 0.0;   ///< 0.5th percentile (the fattiest tissue)
  double high = 0.0;  ///< 99.8th percentile (the densest tissue)
  int cells = 0;      ///< grid cells inside the breast
};

/// nullopt when the image is too small (fewer than kMinTissueCells breast cells: a thumbnail or a
/// test object) or its breast is uniform. Pure.
inline constexpr int kMinTissueCells = 400;  // 1 cm^2 of breast at 0.5 mm cells
std::optional<TissueRange> tissue_range(const Image& image);

/// Where the breast's tissue range sits on the grey scale the models were trained on: measured with
/// tissue_range() on For Presentation phantoms (docs/input-formats.md, "For Processing images";
/// the medians over 40 development normal phantoms, seeds 3200-3219 at 0.07 and 0.1 mm, 120 x 150 mm,
/// density 0.5: low 0.229-0.253, high 0.860-0.863). The phantom's own window puts its tissue's
/// 0.5-99.8 % range at 0.11-0.86; the low end reads higher here because the 0.5 mm cells at the
/// skin, half air, are not counted.
inline constexpr double kTrainedTissueLow = 0.238;
inline constexpr double kTrainedTissueHigh = 0.862;

/// Maps the tissue range of `image` linearly onto [kTrainedTissueLow, kTrainedTissueHigh] (clamped
/// to [0, 1]). Returns the range used, or nullopt (image unchanged) when tissue_range() has none.
std::optional<TissueRange> window_to_trained_tissue_range(Image& image);

}  // namespace calcscope
