// Breast region: breast vs background and labels, pectoral muscle, skin line, nipple.
#pragma once
#include <array>
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
  bool remove_dark_edge_bands = true; ///< do not search a black film-frame band between an image edge and
                                      ///< the breast, nor skin_margin_mm + smoothing_mm beyond it
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
  bool whole_image = false;        ///< the whole image was taken as tissue (a patch or crop, no segmentation)
  std::array<double, 4> dark_edge_bands_mm{};  ///< width of a dark film-frame band found at the left,
                                               ///< right, top, bottom edge (0 = none; not searched)
};

/// Largest side, in millimetres, of an image that is taken for a patch (a crop of tissue) rather than a
/// mammogram: the smallest mammography detector is 18 x 24 cm and a magnified spot view still covers
/// about 8 cm, while patch sets (INFN, CBIS-DDSM crops) are a few millimetres to a few centimetres.
inline constexpr double kPatchMaxSideMm = 50.0;

/// True when both sides of the image are shorter than kPatchMaxSideMm: no breast could be segmented on
/// it (its whole area is under BreastParams::min_breast_area_mm2), so it is analysed as all tissue.
bool is_patch_sized(const Image& image);

/// Largest side, in millimetres, of an image that may be a crop rather than a mammogram: when no
/// breast outline is found in an image under kCropMaxSideMm on both sides (a crop of tissue with no
/// air around it), analyze() analyses it whole with a warning instead of rejecting it. Full-field
/// images are at least 18 x 24 cm.
inline constexpr double kCropMaxSideMm = 100.0;
bool is_crop_sized(const Image& image);

/// Is the darker of the two Otsu classes of a segmentation histogram (256 bins of the 2 mm-smoothed
/// working image, 8 bits) air? Yes when it is flat (its interquartile range at most kAirMaxSpread of
/// the distance from its median `bg` to the Otsu level `t_otsu`) or near black (`bg` at most
/// kAirMaxLevel of the Otsu level). Fatty tissue, the darker class of a crop that holds no air, is
/// neither: on an 80 mm crop of a 70 um phantom, interquartile range 26 against a distance of 22, median
/// 102 against an Otsu level of 124. Phantoms with air: range 0, median 3, Otsu level 70-73. All 212
/// mini-MIAS images: median at most 21 against Otsu levels of at least 70 (10 of them, with a dark film
/// frame and the breast's dark periphery in the class, have ranges of 0.29-0.78 of the distance, so
/// the level test is what keeps them air). segment_breast() asks it on crop-sized images only
/// (session 23). Pure.
inline constexpr double kAirMaxSpread = 0.25;
inline constexpr double kAirMaxLevel = 0.5;
bool darker_class_is_air(const std::vector<int>& hist, int t_otsu, int bg);
/// How segment_breast()'s NotAMammogram error for such a crop begins (analyze() words its warning by it).
inline constexpr const char* kNoAirMessage = "no air around the tissue";

/// Evidence that an image is stored with inverted polarity (dense tissue dark, air background
/// bright), measured on ~1 mm blocks: the image splits (Otsu) into a darker and a brighter class;
/// in a mammogram the background is the class that covers most of the image border and is flat.
struct PolarityEvidence {
  double dark_border_fraction = 0;    ///< of the border band (outer 3 mm), fraction in the darker class
  double bright_border_fraction = 0;  ///< ... in the brighter class
  double dark_spread = 0;             ///< robust spread (1.4826 MAD) of the darker class, relative to the class gap
  double bright_spread = 0;           ///< ... of the brighter class
  bool inverted = false;              ///< the brighter class is the background: bright_border_fraction >= 0.6
                                      ///< and bright_spread < 0.5 x dark_spread
};
PolarityEvidence polarity_evidence(const Image& image);

/// Throws Error(NotAMammogram) when no breast-shaped foreground is found.
BreastRegion segment_breast(const Image& image, const BreastParams& params = {});

}  // namespace calcscope
