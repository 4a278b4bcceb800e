// Pixel evidence for the comparison with priors: is a calcification seen in one exam also visible
// in the other exam's pixels at the mapped position? Detector counts fluctuate between two exams
// of the same breast (specks at the detector's limit score above or below its cut, resampling
// softens 1-3 pixel specks), but the local contrast at a known place is a steadier witness: the
// same spot in both images, compared by contrast-to-noise, not by whether the detector kept it.
#pragma once
#include <utility>
#include <vector>

#include "calcscope/compare/register.h"
#include "calcscope/core/image.h"

namespace calcscope {

struct PixelEvidenceParams {
  /// Band-pass measure of a spot: (G(fine) - G(background)) * image, divided by the robust noise
  /// (1.4826 * median absolute band-pass value) of a patch around the spots. Sigmas in mm; the fine
  /// one is at least half a pixel.
  double fine_sigma_mm = 0.05;
  double background_sigma_mm = 0.5;
  /// The response at a spot is the largest within this radius (at least one pixel): a speck's
  /// centroid moves by a fraction of a pixel between exams and through resampling.
  double local_search_mm = 0.1;
  /// ... and in the other image, where the spot lands at a rounded pixel after a whole-pixel offset
  /// (up to a pixel diagonally from where it is), the largest within a square of this half-width
  /// (at least one pixel). A sharp speck (fine sigma half a pixel) is otherwise missed there and a
  /// persisting calcification counts as new or gone; wider lets noise maxima pass for specks.
  double other_search_mm = 0.1;
  /// Residual misregistration searched for, common to all spots of a group (registration error is
  /// locally a shift): the offset maximising the summed responses (each capped at its own-image
  /// response) within this radius.
  double offset_search_mm = 1.5;
  /// A spot is visible in the other image when its response there is at least this fraction of
  /// its response in its own image ...
  double visible_fraction = 0.6;
  /// ... and at least this contrast-to-noise; or when its response there is at least visible_cnr
  /// whatever its own (a clear speck: the ratio only matters for spots near the noise).
  double visible_min_cnr = 1.0;
  double visible_cnr = 4.0;
  /// Spots weaker than this in their own image are not judged (a false candidate of one exam's
  /// noise would otherwise count as a calcification missing from the other).
  double min_own_cnr = 1.5;
  // Defaults: phantom series tuning seeds 100-129, with min_own_cnr and visible_min_cnr kept low
  // enough for 200 um film specks (MIAS members measure 1-5 here). docs/compare.md.
};

/// One spot (a calcification of one exam) looked up in the other exam.
struct SpotEvidence {
  PointPx own_px;           ///< in its own image
  PointPx other_px;         ///< where it lands in the other image (transform + residual offset), pixels
  double own_cnr = 0;       ///< band-pass contrast-to-noise in its own image
  double other_cnr = 0;     ///< the same at other_px in the other image
  bool judged = false;      ///< own_cnr >= min_own_cnr and other_px inside the other image
  bool visible = false;     ///< judged and visible in the other image
};

struct SpotCheck {
  std::vector<SpotEvidence> spots;   ///< in the order given
  double offset_x_mm = 0, offset_y_mm = 0;  ///< residual offset found (other image mm)
  int strong = 0;   ///< spots with own_cnr >= min_own_cnr (judged = those of them inside the other image)
  int judged = 0, visible = 0;
};

/// Local maxima of the band-pass contrast-to-noise (as in check_spots) of at least `min_cnr`
/// inside the given circles (centre and radius in pixels of `image`), at least `separation_mm`
/// apart (the stronger kept), strongest first. The detector does not take part: specks it missed
/// in one exam are found here too. Pixels outside the breast (grey value of the smoothed
/// background below a quarter of the patch's top) are skipped. Throws Error(InvalidImage) without
/// a pixel size; an empty circle list gives an empty list.
std::vector<PointPx> find_spot_peaks(const Image& image, const std::vector<std::pair<PointPx, double>>& circles_px,
                                     double min_cnr, double separation_mm = 0.3, const PixelEvidenceParams& params = {});

/// Looks up `spots_px` (pixels of `own`) in `other` through `own_to_other` (own mm -> other mm).
/// Both images need their pixel size (Error(InvalidImage) otherwise); spots outside `own` throw
/// Error(InvalidData). An empty list gives an empty check.
SpotCheck check_spots(const Image& own, const Image& other, const SimilarityTransform& own_to_other,
                      const std::vector<PointPx>& spots_px, const PixelEvidenceParams& params = {});

}  // namespace calcscope
