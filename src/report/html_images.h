// Internal: pictures embedded in the HTML reports (OpenCV adapter; not part of the public API).
#pragma once
#include <string>
#include <vector>

#include "calcscope/assess/assessment.h"
#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope::report_detail {

std::string base64(const std::vector<unsigned char>& bytes);

/// The whole image downscaled (longest side <= max_side_px) with the breast outline, calcifications
/// and numbered cluster outlines; "data:image/png;base64,..." ("" when the image has no pixels).
std::string overview_png_data_uri(const Image& image, const AnalysisResult& result,
                                  const ImageDescription& description, int max_side_px = 1024);

/// A magnified crop around one cluster (side_px square) with its members marked.
std::string cluster_crop_png_data_uri(const Image& image, const AnalysisResult& result, const Cluster& cluster,
                                      int side_px = 360);

/// Colour of a category for marks and badges, "#rrggbb".
std::string category_colour(const std::string& category);

}  // namespace calcscope::report_detail
