// Synthetic mammograms with known calcifications (tests, demo, evaluation at 70-200 um).
#pragma once
#include <cstdint>
#include <string>
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
  double density = 0.5;                   ///< 0 fatty .. 1 extremely dense
  double noise = 1.0;                     ///< relative quantum + electronic noise level
  double blur_mm = 0.06;                  ///< detector PSF sigma
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
};

struct Phantom {
  Image image;  ///< [0,1], bright = dense; info carries laterality/view
  std::vector<PhantomCalcification> calcifications;
  std::vector<PhantomCluster> clusters;
  Mask breast;  ///< true breast silhouette
};

Phantom make_phantom(const PhantomSpec& spec);

/// Ground-truth JSON (format documented in docs/phantom.md; kind "calcscope-phantom-truth").
nlohmann::json phantom_truth_to_json(const Phantom& phantom);
Phantom phantom_truth_from_json(const nlohmann::json& json);  ///< image left empty

}  // namespace calcscope
