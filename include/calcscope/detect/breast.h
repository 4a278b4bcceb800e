// Breast region: breast vs background and labels, pectoral muscle, skin line, nipple.
#pragma once
#include <vector>

#include "calcscope/core/image.h"

namespace calcscope {

struct BreastParams {
  double work_pixel_mm = 0.8;        ///< segmentation runs on an image resampled to this pixel size
  double smoothing_mm = 2.0;         ///< Gaussian sigma before thresholding
  double skin_margin_mm = 1.0;       ///< band inside the skin line excluded from detection (edge artefacts),
                                     ///< on top of smoothing_mm + work_pixel_mm (the silhouette's own blur)
  bool remove_pectoral = true;       ///< on MLO views (or when the view is unknown and a pectoral is found)
  double min_breast_area_mm2 = 1000; ///< smaller foregrounds are rejected as "no breast found"
  double image_margin_mm = 2.0;      ///< outermost band of the image not searched (film/detector edges)
  bool remove_edge_bands = true;     ///< drop bands cut off by a straight horizontal edge at the top or
                                     ///< bottom border (tape, film edges, label strips on digitised film)
  bool whole_image = false;          ///< treat the whole image as breast tissue (patches, crops)
};

struct BreastRegion {
  Mask mask;                       ///< breast tissue where detection runs (pectoral and skin band removed)
  Mask breast;                     ///< whole breast silhouette (incl. pectoral), full resolution
  int chest_wall_side = 0;         ///< -1 = chest wall at the left image edge, +1 = right
  PointPx nipple;                  ///< estimated nipple position (most distant skin point from chest wall)
  std::vector<PointPx> skin_line;  ///< breast contour (full-resolution pixels)
  bool pectoral_found = false;
  PointPx pectoral_top, pectoral_bottom;  ///< pectoral boundary line ends when found
  double area_mm2 = 0.0;           ///< area of `mask`
};

/// Throws Error(NotAMammogram) when no breast-shaped foreground is found.
BreastRegion segment_breast(const Image& image, const BreastParams& params = {});

}  // namespace calcscope
