// Detection of individual calcifications: scale-aware (all sizes in millimetres).
#pragma once
#include <vector>

#include "calcscope/core/image.h"
#include "calcscope/detect/breast.h"

namespace calcscope {

class SpeckNet;

struct CalcificationParams {
  double min_diameter_mm = 0.1;    ///< smallest calcification searched for
  double max_diameter_mm = 3.0;    ///< larger bright objects are treated as macrocalcifications up to 2x this
  double background_mm = 1.2;      ///< scale of the local background estimate
  double threshold_cnr = 3.0;      ///< candidate threshold on local contrast-to-noise
  int max_candidates = 4000;       ///< per image, highest contrast first
  /// The network behind the "speck_net" feature (digital images, detect_calcifications_for_analysis());
  /// null = the embedded one (default_speck_net()); point at an empty SpeckNet for none.
  const SpeckNet* speck_net = nullptr;
};

/// One detected calcification. Positions in pixels (column, row, origin top-left) and millimetres.
struct Calcification {
  int id = 0;
  double x = 0, y = 0;            ///< centroid, pixels
  double x_mm = 0, y_mm = 0;      ///< centroid, mm from the top-left corner
  double diameter_mm = 0;         ///< equivalent-circle diameter
  double area_mm2 = 0;
  double area_px = 0;
  double contrast = 0;            ///< peak minus local background, in normalised grey units
  double cnr = 0;                 ///< contrast / local noise
  double elongation = 1;          ///< major/minor axis ratio (>= 1)
  double irregularity = 0;        ///< 1 - 4*pi*area/perimeter^2 (0 = disc)
  double eccentricity = 0;        ///< of the second-moment ellipse
  double orientation_deg = 0;     ///< major-axis angle, degrees from the x axis
  double mean_intensity = 0;
  double dist_to_skin_mm = 0;     ///< distance to the skin line
  double score = 0;               ///< [0,1], higher = more likely a real calcification
  std::vector<double> features;   ///< feature vector used by the scorer (see feature_names())
};

/// Names of the entries of Calcification::features (stable order; the learned model depends on it).
const std::vector<std::string>& calcification_feature_names();

/// Finds candidate calcifications inside region.mask and fills their measurements and features.
/// Scores are left at 0: score_calcifications() sets them.
std::vector<Calcification> detect_calcifications(const Image& image, const BreastRegion& region,
                                                 const CalcificationParams& params = {});

}  // namespace calcscope
