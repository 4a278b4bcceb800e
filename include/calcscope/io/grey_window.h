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

/// The same percentiles over the 0.5 mm cells lying wholly inside `tissue` (a mask on the image's
/// grid: the analysis region, pectoral muscle and skin band removed). nullopt under kMinTissueCells
/// cells or on a uniform region. Pure.
std::optional<TissueRange> tissue_range_in(const Image& image, const Mask& tissue);

/// Where tissue_range_in() finds the analysis region (pectoral muscle and the 1 mm skin band
/// removed) of For Presentation phantoms, the grey scale the digital models were trained on: medians
/// over the same 40 development normals as above (low 0.237-0.290, high 0.862-0.867; the gain that
/// maps a phantom's own range onto these varies by 1.8 % (sd) and at most 5 %).
inline constexpr double kTrainedRegionLow = 0.262;
inline constexpr double kTrainedRegionHigh = 0.863;

/// A digital image whose region range maps onto the trained one with a gain within [1 / 1.15, 1.15]
/// and whose low end lies within 0.08 of kTrainedRegionLow is already on the trained grey scale and
/// is left as stored: every phantom of the e2e recipe, the held-out and the robustness sets lies
/// inside (gains 0.94-1.05). Windowing those too moved their scores by a few per cent per image (the
/// range's low end depends on breast size and density) and cost the held-out set 0.832 -> 0.819 in
/// partial area (session 22). A grey scale 15 % off costs little (session 17: v' = 0.9 v kept 32 of
/// 33 clusters at the cut); v' = 0.1 + 0.6 v (gain 1.67) lost a third of them.
inline constexpr double kGreyWindowMaxGain = 1.15;
inline constexpr double kGreyWindowMaxLowShift = 0.08;

/// True when `t` is off the trained scale by more than the limits above (the window is applied).
bool off_trained_grey_scale(const TissueRange& t);

/// v' = to_low + (v - from.low) * (to_high - to_low) / (from.high - from.low), clamped to [0, 1].
void map_tissue_range(Image& image, const TissueRange& from, double to_low, double to_high);

}  // namespace calcscope
