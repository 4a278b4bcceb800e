// Synthetic mammograms with known calcifications (tests, demo, evaluation at 70-200 um).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/image.h"

namespace calcscope {

/// BI-RADS morphology words used for inserted calcifications (snake_case in JSON).
/// Suspicious: amorphous, coarse_heterogeneous, fine_pleomorphic, fine_linear_branching.
/// Typically benign: punctate, round, coarse_popcorn, rod_like, rim, vascular, skin.
enum class Morphology {
  Punctate, Round, Amorphous, CoarseHeterogeneous, FinePleomorphic, FineLinearBranching,
  CoarsePopcorn, RodLike, Rim, Vascular, Skin
};
enum class Distribution { Grouped, Linear, Segmental, Regional, Diffuse };

std::string to_string(Morphology m);
std::string to_string(Distribution d);
Morphology parse_morphology(const std::string& s);      ///< throws Error(Usage)
Distribution parse_distribution(const std::string& s);  ///< throws Error(Usage)

struct PhantomClusterSpec {
  Morphology morphology = Morphology::FinePleomorphic;
  Distribution distribution = Distribution::Grouped;
  int count = 8;                 ///< number of calcifications
  double mean_diameter_mm = 0.35;
  double extent_mm = 8.0;        ///< size of the region the members fall in
  double contrast = 1.0;         ///< relative to the default calcification contrast
  double x_mm = -1, y_mm = -1;   ///< centre; < 0 = random position inside the breast
};

struct PhantomSpec {
  double width_mm = 180, height_mm = 230;
  double pixel_size_mm = 0.07;
  int bits = 12;                          ///< stored bits of the written image (8..16)
  std::uint64_t seed = 1;
  std::string laterality = "L";           ///< chest wall at the image edge away from the breast side
  std::string view = "CC";                ///< "MLO" adds a pectoral muscle
  double texture_beta = 3.0;              ///< power-law exponent of the anatomical background
  /// Tissue texture model: "power-law" (Gaussian random field with a 1/f^beta spectrum, the default)
  /// or "lumpy" (clustered lumpy background: Poisson clusters of elongated lumps, a texture model of
  /// a different kind, for robustness checks; texture_beta is then unused).
  std::string texture = "power-law";
  double density = 0.5;                   ///< 0 fatty .. 1 extremely dense
  double noise = 1.0;                     ///< relative quantum + electronic noise level
  double blur_mm = 0.06;                  ///< detector PSF sigma
  /// The grey range the finished image occupies: each grey level v becomes grey_low + (grey_high -
  /// grey_low) v (default 0, 1: as rendered). Another system's display processing, for checking that
  /// the analysis does not depend on it (the grey window, docs/algorithms.md §2).
  double grey_low = 0.0, grey_high = 1.0;
  std::vector<PhantomClusterSpec> clusters;
  int scattered_benign = 0;               ///< isolated benign calcifications (not clusters)
  int random_clusters = 0;                ///< extra clusters with random morphology/distribution
};

struct PhantomCalcification {
  int id = 0;
  double x = 0, y = 0, x_mm = 0, y_mm = 0;
  double diameter_mm = 0;   ///< equivalent diameter (for lines: width)
  double length_mm = 0;     ///< for elongated shapes
  Morphology morphology = Morphology::Punctate;
  int cluster_id = 0;       ///< 0 = not in a cluster
};

struct PhantomCluster {
  int id = 0;
  double x = 0, y = 0, x_mm = 0, y_mm = 0, radius_mm = 0;
  Morphology morphology = Morphology::FinePleomorphic;
  Distribution distribution = Distribution::Grouped;
  std::vector<int> calcification_ids;
  /// Time series only (make_phantom_pair): "new", "resolved", "increased", "decreased", "stable";
  /// "" for a phantom that is not part of a series.
  std::string change;
  int prior_cluster_id = 0;  ///< current phantom: id of the counterpart in the prior (0 = none)
};

/// Positioning change between a prior and the current image of a time series. Maps a point of the
/// prior image (mm, origin at the centre of pixel (0,0), x right, y down) to the current image:
///   p_cur = C + scale * R(rotation_deg) * (p_prior - C) + (shift_x_mm, shift_y_mm)
/// where C is the image centre ((width-1)/2, (height-1)/2) * pixel_size_mm of the prior (same size as the
/// current) and R(a) = [[cos a, -sin a], [sin a, cos a]] (x right, y down: positive = clockwise on screen).
struct PhantomTransform {
  double rotation_deg = 0, shift_x_mm = 0, shift_y_mm = 0, scale = 1;
  double centre_x_mm = 0, centre_y_mm = 0;  ///< C above
  /// prior mm -> current mm
  std::pair<double, double> apply(double x_mm, double y_mm) const;
  /// current mm -> prior mm
  std::pair<double, double> inverse(double x_mm, double y_mm) const;
};

struct Phantom {
  Image image;  ///< [0,1], bright = dense; info carries laterality/view
  std::vector<PhantomCalcification> calcifications;
  std::vector<PhantomCluster> clusters;
  Mask breast;  ///< true breast silhouette
  std::uint64_t seed = 0;
  /// Set on both phantoms of a time series (make_phantom_pair): prior mm -> current mm.
  std::optional<PhantomTransform> transform;
  std::string time_point;  ///< "prior" / "current" in a time series, "" otherwise
};

Phantom make_phantom(const PhantomSpec& spec);

/// Ground-truth JSON (format documented in docs/phantom.md; kind "calcscope-phantom-truth").
nlohmann::json phantom_truth_to_json(const Phantom& phantom);
Phantom phantom_truth_from_json(const nlohmann::json& json);  ///< image left empty; throws Error(InvalidData)

/// Differences between a prior and the current phantom of a time series.
struct PhantomChangeSpec {
  double rotation_deg = 0, shift_x_mm = 0, shift_y_mm = 0, scale = 1;  ///< see PhantomTransform
  double contrast_gain = 1;  ///< prior grey values stretched about the breast mean by this factor
  int add_clusters = 0;      ///< clusters only in the current image ("new")
  int remove_clusters = 0;   ///< clusters only in the prior image ("resolved")
  int grow_clusters = 0;     ///< clusters with more members in the current image ("increased")
  int shrink_clusters = 0;   ///< clusters with fewer members in the current image ("decreased")
};

/// (prior, current): the same breast (anatomy and texture) imaged twice. The prior is rendered with
/// the positioning change applied; its truth coordinates are in the prior image's pixels.
std::pair<Phantom, Phantom> make_phantom_pair(const PhantomSpec& current, const PhantomChangeSpec& change);

/// Parses "morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.3,extent=8,x=60,y=100,contrast=1"
/// (any subset; x/y in mm from the top-left of the current image). Throws Error(Usage).
PhantomClusterSpec parse_cluster_spec(const std::string& text);

/// Writes phantom_truth_to_json(phantom) (throws Error(OutputFailed)); reads a truth file
/// (throws Error(FileNotFound / InvalidData)).
void write_phantom_truth(const Phantom& phantom, const std::filesystem::path& path);
Phantom read_phantom_truth(const std::filesystem::path& path);

/// Image size in pixels for a spec: round(width_mm / pixel_size_mm), round(height_mm / pixel_size_mm).
std::pair<int, int> phantom_size_px(const PhantomSpec& spec);

}  // namespace calcscope
