// An overlay PNG for a person to look at: breast outline, calcifications, cluster outlines.
#pragma once
#include <filesystem>

#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Calcifications outside every cluster are marked on images for people (overlay PNG, report
/// overview) only from this score: the JSON keeps every calcification above the output cut, at ~1
/// false positive per cm^2 hundreds of marks on a whole breast, most of them texture.
inline constexpr double kMarkSingleCalcificationMinScore = 0.9;

struct OverlayOptions {
  int max_side_px = 2048;  ///< the overlay is downscaled so its longest side is at most this
  /// Calcifications outside every cluster are marked only from this score; 0 marks them all.
  double single_min_score = kMarkSingleCalcificationMinScore;
};

void write_overlay_png(const Image& image, const AnalysisResult& result, const std::filesystem::path& path,
                       const OverlayOptions& options = {});

}  // namespace calcscope
