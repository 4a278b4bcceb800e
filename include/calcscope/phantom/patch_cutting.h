// Cutting fixed-size 8-bit patches from phantom rasters (`calcscope cut-patches`, scripts/lib/phantom-patches.sh).
// Everything here is in pixels: a patch is a byte-exact crop of the stored values, scaled to 8 bits
// with one linear factor per image (no resampling, no per-patch stretching).
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace calcscope {

/// Default side of a patch, pixels.
inline constexpr int kDefaultPatchSizePx = 60;

/// A patch centre, pixels, origin top-left (a phantom truth cluster's x / y).
struct PatchCentre {
  double x = 0, y = 0;
};

/// What cut_cluster_patches did with one image.
struct ClusterPatchResult {
  std::string stem;              ///< image file stem; patches are <stem>_c<k>.png, k = 1-based centre index
  int written = 0;               ///< patches written
  std::vector<int> skipped;      ///< 1-based indices of centres whose window leaves the image
  double divisor = 0;            ///< 8-bit scale: value * 255 / divisor
};

/// One window per centre: x0 = lround(x) - size/2, y0 = lround(y) - size/2, size x size pixels.
/// Windows that leave the image are skipped (listed in `skipped`). Writes into out_dir (which must
/// exist). Throws Error(FileNotFound / UnsupportedFormat / Unreadable / NotAMammogram / OutputFailed).
ClusterPatchResult cut_cluster_patches(const std::filesystem::path& image, const std::vector<PatchCentre>& centres,
                                       const std::filesystem::path& out_dir, int size = kDefaultPatchSizePx);

/// Per image of cut_tissue_patches: how many of its tiles are all tissue.
struct TissueImageSummary {
  std::string stem;
  double p99 = 0;      ///< 99th percentile of the stored values
  int qualifying = 0;  ///< tiles whose darkest pixel >= 0.25 * p99
  int tiles = 0;       ///< non-overlapping size x size tiles of the image
};

struct TissuePatchResult {
  std::vector<TissueImageSummary> images;  ///< in input order
  std::size_t candidates = 0;              ///< qualifying tiles over all images
  int written = 0;
};

/// Non-overlapping size x size tiles (row-major from the top-left) whose darkest pixel is at least
/// 0.25 x the image's 99th percentile; of all such tiles over all images (image, row, col order)
/// the evenly spaced subset of `count` (evenly_spaced_indices) is written as <stem>_<row>_<col>.png
/// into out_dir (which must exist). Throws like cut_cluster_patches.
TissuePatchResult cut_tissue_patches(const std::vector<std::filesystem::path>& images, int count,
                                     const std::filesystem::path& out_dir, int size = kDefaultPatchSizePx);

/// The evenly spaced subset of min(candidates, max(1, count)) of `candidates` items:
/// index floor(i * candidates / kept) for i = 0 .. kept - 1 (empty when there are no candidates).
std::vector<std::size_t> evenly_spaced_indices(std::size_t candidates, int count);

}  // namespace calcscope
