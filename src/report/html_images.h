// Internal: pictures embedded in the HTML reports (OpenCV adapter; not part of the public API).
#pragma once
#include <string>
#include <vector>

#include "calcscope/assess/assessment.h"
#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope::report_detail {

std::string base64(const std::vector<unsigned char>& bytes);

/// A numbered mark drawn on a picture: a circle (and the outline when given) in one colour, with a label.
struct ImageMark {
  PointPx centre;                ///< image pixels
  double radius_px = 0;          ///< image pixels (drawn at least 8 display pixels)
  std::vector<PointPx> outline;  ///< optional polygon, image pixels
  std::string label;             ///< drawn beside the circle ("" = none)
  std::string colour = "#d62728";
};

/// A calcification drawn as a small yellow circle (image pixels).
struct ImageSpot {
  PointPx centre;
  double diameter_px = 0;
};

/// The whole image downscaled (longest side <= max_side_px) with the breast outline (green, may be
/// empty), calcifications (yellow) and the marks; "data:image/png;base64,..." ("" when no pixels).
std::string marked_overview_png_data_uri(const Image& image, const std::vector<PointPx>& skin_line,
                                         const std::vector<PointPx>& calcifications,
                                         const std::vector<ImageMark>& marks, int max_side_px = 1024);

/// A magnified square crop (side_px) of half-width half_mm around `centre` (image pixels) with the spots
/// marked, the marks' circles (no labels) and a 5 mm scale bar.
std::string crop_png_data_uri(const Image& image, PointPx centre, double half_mm, const std::vector<ImageSpot>& spots,
                              const std::vector<ImageMark>& marks = {}, int side_px = 360);

/// Half-width in mm of the crop cluster_crop_png_data_uri shows around a cluster of this radius.
double cluster_crop_half_mm(double cluster_radius_mm);

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
