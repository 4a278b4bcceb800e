// The analysis pipeline: named stages, each timed, parameters recorded in the output.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/image.h"
#include "calcscope/detect/breast.h"
#include "calcscope/detect/calcifications.h"
#include "calcscope/detect/clusters.h"

namespace calcscope {

/// Recommended operating points (docs/algorithms.md), read off the training cross-validation
/// (models/cv-table.txt). Digital images (pixels < kFilmPixelSizeMm, scored by the digital models):
/// the table of the 70/100 um training phantoms in both renderings; calcifications at ~1 false
/// positive per cm^2, clusters at ~0.25 false clusters per training phantom (110 x 140 mm, about a
/// third of a full-field image's breast area; 0.5 per image gave 2.4 false clusters on full-size
/// normal 70 um phantoms, docs/algorithms.md section 5). Use --min-score 0 for FROC curves.
inline constexpr double kDefaultCalcificationMinScore = 0.58;
inline constexpr double kDefaultClusterMinScore = 0.81;
/// Film: the cluster cut at ~0.5 false clusters per image in the MIAS patient-pair cross-validation,
/// on the scores after the image-context discount (ClusterParams::rank_logit_step, film only; 0.11
/// before session 17); the digital cut is far too strict there.
inline constexpr double kDefaultClusterMinScoreFilm = 0.046;
/// Film calcifications: MIAS has no per-calcification truth, so the cut at ~1 false positive per cm^2
/// of the general models on the training phantoms (generator-default imaging, all pixel sizes) is used.
inline constexpr double kDefaultCalcificationMinScoreFilm = 0.71;
/// Patches rescored by the patch model (docs/algorithms.md §3b): the cut that maximises (detected +
/// quiet) / 2 over the out-of-fold patch scores of `calcscope train --patches`, the INFN patches and the
/// phantom windows counting the same (models/patch-cv.txt; a test re-reads it from models/patch-card.json).
inline constexpr double kDefaultCalcificationMinScorePatch = 0.69;

/// The recommended cluster cut for an image of this pixel size.
inline double default_cluster_min_score(double pixel_size_mm) {
  return pixel_size_mm >= kFilmPixelSizeMm ? kDefaultClusterMinScoreFilm : kDefaultClusterMinScore;
}
/// The recommended calcification cut for an image of this pixel size.
inline double default_calcification_min_score(double pixel_size_mm) {
  return pixel_size_mm >= kFilmPixelSizeMm ? kDefaultCalcificationMinScoreFilm : kDefaultCalcificationMinScore;
}

/// kFilmPixelSizeMm (core/image.h) separates film from digital images.
/// Digitised film (pixels >= kFilmPixelSizeMm) is searched for calcifications on a copy resampled to
/// this pixel size: a 1-3 pixel speck at 200 um becomes a resolved spot whose shape, size and contrast
/// features mean what they mean on digital images. Coordinates are returned in the input's pixels.
inline constexpr double kFilmWorkPixelSizeMm = 0.1;

/// The pixel size calcifications are searched at for an image of this pixel size.
inline double detection_pixel_size_mm(double pixel_size_mm) {
  return pixel_size_mm >= kFilmPixelSizeMm ? kFilmWorkPixelSizeMm : pixel_size_mm;
}

/// The image resampled to another pixel size (bicubic by default, clamped to the [0,1] grey range; size
/// round(width x old / new) by round(height x old / new); info kept). Film's working copy, and the
/// resampled-MIAS checks (training's --mias-resampled, tests/e2e/mias_resampled_test.cpp).
/// How resample_image() interpolates: bicubic (the pipeline's) or nearest neighbour (the crude resize
/// some tools make, which check_resolution() recognises: ResolutionCheck::block_upsampled).
enum class Interpolation { Cubic, Nearest, Linear };
Image resample_image(const Image& image, double pixel_size_mm, Interpolation interpolation = Interpolation::Cubic);

/// detect_calcifications() at detection_pixel_size_mm(): film is upsampled (bicubic image, nearest
/// masks), candidates are mapped back to the input's pixel grid (x, y, area_px; mm fields unchanged).
/// Used by analyze() and by training, so both see the same candidates.
std::vector<Calcification> detect_calcifications_for_analysis(const Image& image, const BreastRegion& region,
                                                              const CalcificationParams& params = {});

/// Is an image with digital-size pixels really film resampled to them? Film's detail ends at its
/// own Nyquist frequency (2.5 cycles/mm at 200 um); an upsampled copy has almost no power above
/// that, while a digital image (or a phantom) has tissue texture and quantum noise up to its own
/// Nyquist. Measured on up to 64 tiles of 128 x 128 pixels wholly inside the bright foreground
/// (Hann window, 2-D DFT): log10 of the mean power at 3.5 cycles/mm to 0.9 x Nyquist over the mean
/// power at 2-2.5 cycles/mm (film's top octave), both less the white power of the file's grey-level
/// quantisation (step^2 / 12: 8-bit files). A digital image smoothed after acquisition (noise
/// reduction, or quantum noise blurred by the detector) can lose that power too, but gradually: its
/// power already falls below 2.5 cycles/mm, where resampled film keeps its tissue texture. So the
/// slope below film's Nyquist, log10 of the power at 2-2.5 over 1.25-1.75 cycles/mm, must be gentle.
struct ResolutionCheck {
  bool measured = false;        ///< false: not applicable (film pixels, pixels >= 0.128 mm, whole-image mode) or < 4 tiles
  int tiles = 0;
  double high_to_mid_log10 = 0;
  double mid_to_low_log10 = 0;
  /// measured, high_to_mid_log10 < kFilmLikeMaxHighPowerLog10 and mid_to_low_log10 > kFilmLikeMinMidPowerLog10
  bool film_like = false;
  /// Nearest-neighbour upsampling (session 13): the fraction of pixel columns (rows) inside the
  /// foreground whose value never changes to the next column (row). Upsampling by f copies every
  /// source pixel into f pixels, so 1 - 1/f of the columns never change (0.65 for 0.2 -> 0.07 mm, 0.5
  /// for x2); any other image, filtered or not, has none (measured: 0-0.02).
  double static_columns = 0, static_rows = 0;
  /// both fractions >= kBlockUpsampledMinStatic and within 0.1 of each other
  bool block_upsampled = false;
  double upsampling_factor = 1;  ///< input pixels per source pixel (mean of the two axes) when block_upsampled
  /// The fitted block grid when block_upsampled: source pixel k spans the input's pixel edges
  /// [offset + k factor, offset + (k + 1) factor) along each axis (offset in [-factor / 2, factor / 2]).
  double block_factor_x = 1, block_factor_y = 1, block_offset_x = 0, block_offset_y = 0;
  /// Interpolation from a film grid (session 14): an image interpolated (bilinear, bicubic, Lanczos)
  /// from a coarser grid is smooth between the old samples and bends at them, so the mean absolute
  /// second difference along a row, column by column, repeats with the old grid's period (Gallagher,
  /// "Detection of linear and cubic interpolation in JPEG compressed images", 2005). Measured over
  /// the foreground as the power of that column (row) profile at the frequency of a
  /// kInterpolationGridMinMm-kInterpolationGridMaxMm grid over the profile's median power (x: along
  /// rows, y: along columns); 0 when not measured. Survives white noise that hides film's spectrum
  /// (mdb241 bilinear to 70 um: 24200 clean, 6400 / 370 / 27 with noise of 0.2 / 0.5 / 1 % of the
  /// grey range); shift-invariant filtering (smoothing, detector blur) cannot make it.
  double interpolation_peak_x = 0, interpolation_peak_y = 0;
  /// max(interpolation_peak_x, interpolation_peak_y) >= kInterpolatedFilmMinPeak: the image was
  /// interpolated from a ~0.2 mm grid; analysed as film like film_like (which it implies)
  bool interpolated_from_film_grid = false;
  /// the pixel size analyze() works at: kFilmLikeAnalysisPixelSizeMm when film_like, the source's
  /// (input pixel x upsampling_factor) when block_upsampled, else 0 (the input's)
  double analyse_at_mm = 0;
};
/// Lower limit of ResolutionCheck::static_columns / static_rows for block_upsampled.
inline constexpr double kBlockUpsampledMinStatic = 0.25;
/// The source image of a block-upsampled one (ResolutionCheck::block_upsampled): the middle pixel of
/// every block, at the source's pixel size (input pixel x upsampling_factor).
Image undo_block_upsampling(const Image& image, const ResolutionCheck& rc);
/// Threshold of ResolutionCheck::film_like, halfway between what was measured (docs/algorithms.md
/// §0): all 212 mini-MIAS images resampled to 70 / 100 um -2.74 to -2.24 / -2.37 to -1.96 (8-bit
/// files the same); phantoms at 70 / 100 um (development, held-out and robustness sets, blur
/// 0.04-0.10 mm, noise 0.7-1.8, texture exponent 2.6-3.4) -1.54 and above.
inline constexpr double kFilmLikeMaxHighPowerLog10 = -1.75;
/// Lower limit of ResolutionCheck::mid_to_low_log10 for film_like, halfway between what was measured:
/// all 212 mini-MIAS images resampled to 70 / 100 um (bicubic; bilinear and Lanczos on 4) -0.74 to
/// -0.44; development phantoms at 70 um smoothed after the noise with a Gaussian of 0.8-2 pixels,
/// those whose high band fell below kFilmLikeMaxHighPowerLog10: -0.84 and below.
inline constexpr double kFilmLikeMinMidPowerLog10 = -0.79;
/// The source grid spacings ResolutionCheck::interpolation_peak_x/_y look for: film's 0.2 mm, narrowly.
/// A wider window meets the phantom generator's 0.1 mm texture grid at 70 um (its second harmonic
/// aliases to 0.4 cycles/pixel = a 0.175 mm grid; its fundamental to 0.3 = 0.233 mm).
inline constexpr double kInterpolationGridMinMm = 0.185, kInterpolationGridMaxMm = 0.22;
/// Lower limit of max(interpolation_peak_x, _y) for interpolated_from_film_grid (docs/algorithms.md
/// §0): between the development phantoms at 70 um (at most 10.6 in the window: 36 phantoms, texture
/// exponent 2.5-3.5, blur 0.04-0.10 mm, noise 0.7-1.8) and all 212 mini-MIAS images interpolated
/// bilinearly to 70 um (56 and above).
inline constexpr double kInterpolatedFilmMinPeak = 55.0;
/// The pixel size a film-like image is analysed at (film's, as mini-MIAS).
inline constexpr double kFilmLikeAnalysisPixelSizeMm = 0.2;
ResolutionCheck check_resolution(const Image& image);
/// A DICOM image whose DetectorType (0018,7004) is DIRECT, SCINTILLATOR or STORAGE (a digital or CR
/// detector made it) and whose ConversionType is not DF (digitised film): its pixels are trusted to
/// be the detector's, so the resolution check is skipped. Raster images never declare anything.
bool declares_digital_detector(const ImageInfo& info);
struct AnalyzeOptions;
/// Why analyze() does not run check_resolution() on this image ("" = it does): the check is off,
/// whole-image mode, or declares_digital_detector().
std::string resolution_check_skipped_because(const Image& image, const AnalyzeOptions& options);

struct AnalyzeOptions {
  BreastParams breast;
  CalcificationParams calcification;
  ClusterParams cluster;
  /// An image that is film resampled to digital pixel sizes (check_resolution()) is analysed as
  /// film: resampled to kFilmLikeAnalysisPixelSizeMm, film models and cuts, positions mapped back to
  /// the input's pixels. Raster images are checked, and DICOM files unless their header declares a
  /// digital detector (declares_digital_detector()). false = always at the input's pixel size
  /// (`analyze --native-resolution`).
  bool check_resolution = true;
  /// Score cuts applied to the output. < 0 means "use the defaults above".
  double min_calcification_score = -1;
  double min_cluster_score = -1;
  /// Rescore the candidates of a patch (whole-image mode, both sides under kPatchMaxSideMm, digital
  /// pixels) with the patch model (docs/algorithms.md §3b). false = the image model's scores and cut
  /// (`analyze --no-patch-model`, as up to session 18).
  bool patch_model = true;
  /// Digital images (pixels < kFilmPixelSizeMm, not a patch or crop): the analysis region's tissue
  /// range (0.5th-99.8th percentile of 0.5 mm cells) is mapped onto the range the models were trained
  /// on (kTrainedRegionLow/High, io/grey_window.h) before the candidates are found, so the scores do
  /// not depend on how the file scales its grey levels (session 22). false = as stored
  /// (`analyze --no-grey-window`, as up to session 21).
  bool grey_window = true;
};

struct StageRecord {
  std::string name;
  double milliseconds = 0;
  nlohmann::json parameters;
};

struct AnalysisResult {
  Image image_meta_only;  ///< width/height/pixel size/info of the analysed image (pixels left empty)
  BreastRegion region;
  std::vector<Calcification> calcifications;  ///< after the output score cut (cluster members always kept)
  std::vector<Cluster> clusters;              ///< after the output score cut
  std::vector<StageRecord> stages;
  double min_calcification_score = 0;
  double min_cluster_score = 0;
  /// The pixel size the models, cuts and descriptors were chosen for: the input's, or
  /// kFilmLikeAnalysisPixelSizeMm for film-like raster images (check_resolution()). 0 = the input's.
  double analysed_pixel_size_mm = 0;
  std::string models;  ///< description of the scoring models used
  bool patch_rescored = false;  ///< the calcification scores are the patch model's (AnalyzeOptions::patch_model)
};

struct ScoringModels;

/// The grouping rule's parameters as JSON: the `clusters` stage record of every analysis and the
/// model card's `cluster_rule` (the cluster models are trained on these groups; tests/train checks
/// that the committed models' rule is the default).
nlohmann::json cluster_params_json(const ClusterParams& params);

/// Smallest image analysed: a calcification needs some surroundings to be judged against, and the
/// working copies need a few pixels (images under about 0.3 mm or 8 pixels a side broke inside
/// OpenCV before session 18). Smaller images are rejected (InvalidImage).
inline constexpr double kMinImageSideMm = 1.0;
/// Pixels coarser than this are warned about: mammography detectors and film digitisers use
/// 0.025-0.2 mm, and at 0.3 mm a 0.1-1 mm calcification is at most a few pixels.
inline constexpr double kCoarsestExpectedPixelMm = 0.3;
inline constexpr int kMinImageSidePx = 8;

/// Runs breast segmentation, calcification detection, scoring and clustering with the default
/// (embedded, trained) models. An image under kPatchMaxSideMm (breast.h) on both sides is analysed
/// whole, as a patch. Throws Error(NotAMammogram) when no breast is found, Error(InvalidImage) when
/// a side is under kMinImageSideMm or kMinImageSidePx.
AnalysisResult analyze(const Image& image, const AnalyzeOptions& options = {});
/// Same with explicit scoring models (training and cross-validation use this).
AnalysisResult analyze(const Image& image, const AnalyzeOptions& options, const ScoringModels& models);

}  // namespace calcscope
