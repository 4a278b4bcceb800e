// Registration of a prior mammogram to the current one (same breast, same view): a similarity
// transform (rotation, isotropic scale, translation) in millimetres, found on the breast masks and a
// photometrically normalised image so that different exposure/processing does not matter.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/image.h"

namespace calcscope {

/// Maps prior-image millimetres to current-image millimetres (both measured from the top-left
/// corner of their image, x to the right, y down):
///   p_current = scale * R(rotation_deg) * p_prior + (shift_x_mm, shift_y_mm)
/// with R rotating +x towards +y (clockwise on screen) for positive angles.
struct SimilarityTransform {
  double rotation_deg = 0;
  double scale = 1;
  double shift_x_mm = 0;
  double shift_y_mm = 0;

  PointPx apply(PointPx prior_mm) const;     ///< prior mm -> current mm
  SimilarityTransform inverse() const;       ///< current mm -> prior mm
  /// (*this) after `first`: p -> this(first(p)).
  SimilarityTransform after(const SimilarityTransform& first) const;
  /// 2x3 row-major matrix [a b tx; c d ty] in mm.
  std::array<double, 6> matrix_mm() const;
  /// The same transform from a 2x3 matrix (its nearest similarity when the matrix has shear).
  static SimilarityTransform from_matrix(const std::array<double, 6>& m);
};

struct RegistrationParams {
  double work_pixel_mm = 1.0;        ///< registration runs on images resampled to this pixel size
  int pyramid_levels = 3;            ///< coarse-to-fine: work_pixel_mm * 2^(levels-1) .. work_pixel_mm
  double smoothing_mm = 1.0;         ///< Gaussian sigma before normalisation
  double max_rotation_deg = 12;      ///< refinements rotating more than this are rejected
  double max_scale_change = 0.15;    ///< ... or scaling by more than this fraction
  std::vector<double> initial_rotations_deg{-6, 0, 6};  ///< starting angles tried at the coarsest level
  int refine_iterations = 100;          ///< per pyramid level
  double refine_epsilon = 1e-5;
  double min_quality = 0.2;          ///< below this correlation the refinement counts as failed
};

struct RegistrationResult {
  SimilarityTransform transform;     ///< prior mm -> current mm
  std::array<double, 6> matrix_px{}; ///< prior pixels -> current pixels, 2x3 row-major
  /// Normalised cross-correlation of the normalised images inside the breast after registration
  /// (-1..1; > ~0.5 is a good match, < min_quality a failed one).
  double quality = 0;
  double quality_initial = 0;        ///< the same before refinement (moment alignment only)
  double mask_overlap = 0;           ///< Dice of the breast masks after registration (0..1)
  std::string method;                ///< "refined" (correlation maximised) or "moments" (fallback)
  std::vector<std::string> warnings;

  PointPx prior_px_to_current_px(PointPx prior_px) const;
  PointPx current_px_to_prior_px(PointPx current_px) const;
};

/// Registers `prior` to `current`. Both need their pixel size; they may differ. Laterality and view
/// are checked when both images know them (Error(InvalidData) when they differ). Never fails on
/// image content: when refinement fails it falls back to moment alignment with a warning.
/// Throws Error(InvalidImage) for empty images and Error(NotAMammogram) when no breast is found.
RegistrationResult register_images(const Image& prior, const Image& current,
                                   const RegistrationParams& params = {});

/// Resamples `prior` onto the current image's grid (width x height, pixel size) through `transform`
/// (prior mm -> current mm); outside the prior image the value is `fill`.
Image warp_image(const Image& prior, const SimilarityTransform& transform, int width, int height,
                 double pixel_size_mm, float fill = 0.f);

nlohmann::json to_json(const SimilarityTransform& t);
nlohmann::json to_json(const RegistrationResult& r);

}  // namespace calcscope
