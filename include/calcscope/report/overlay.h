// An overlay PNG for a person to look at: breast outline, calcifications, cluster outlines.
#pragma once
#include <filesystem>

#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

struct OverlayOptions {
  int max_side_px = 2048;  ///< the overlay is downscaled so its longest side is at most this
};

void write_overlay_png(const Image& image, const AnalysisResult& result, const std::filesystem::path& path,
                       const OverlayOptions& options = {});

}  // namespace calcscope
