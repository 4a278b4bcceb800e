// BI-RADS description of calcifications and clusters from measured quantities (docs/assessment.md).
// Every rule is a small pure function of measurements in millimetres; the thresholds live in
// DescribeParams with their units in the names.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"
#include "calcscope/assess/descriptor_model.h"
#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

struct DescribeParams {
  // ---- size words (not formal BI-RADS) ----
  double micro_max_mm = 0.5;            ///< microcalcification: diameter < this
  double macro_min_mm = 2.0;            ///< macrocalcification: diameter > this
  // ---- typically benign, per calcification ----
  double coarse_min_mm = 2.0;           ///< coarse / popcorn: diameter > this
  double rod_min_width_mm = 0.5;        ///< large rod-like: width >= this ...
  double rod_min_elongation = 3.0;      ///< ... and major/minor axis ratio >= this
  double round_max_mm = 1.0;            ///< round: diameter < this (punctate: < micro_max_mm)
  double round_max_elongation = 1.6;    ///< round / punctate: nearly circular
  double round_max_irregularity = 0.2;  ///< round / punctate: smooth outline
  double skin_max_distance_mm = 2.5;    ///< skin: centre within this of the skin line (both the detector's
                                        ///< distance and the distance to region.skin_line)
  double rim_min_diameter_mm = 0.8;     ///< rim needs a visible centre (>= ~6 px at 70-100 um)
  double rim_min_centre_drop = 0.25;    ///< rim: ring minus centre >= this fraction of the contrast
  // ---- which members describe a cluster ----
  // Detected clusters also hold false members from the texture (fainter, lower scores): morphology and
  // the cluster's own geometry are measured on its most confident members only, the "core": the
  // ceil(core_fraction x n) best-scoring ones (at least core_min_members; ties at the cut are kept).
  int core_min_members = 5;
  double core_fraction = 0.6;
  // ---- cluster morphology ----
  double elongated_min_elongation = 2.5;     ///< a member counts as "elongated" (linear) above this
  double linear_max_width_mm = 0.5;          ///< fine linear: members thinner than this
  double linear_min_elongated_fraction = 0.4;///< fine linear: at least this share of members elongated
  double pleomorphic_min_size_cv = 0.3;      ///< fine pleomorphic: diameter std/mean above this ...
  double pleomorphic_min_shape_spread = 0.12;///< ... or irregularity std above this
  double coarse_het_min_mm = 0.5;            ///< coarse heterogeneous: median diameter in [min, max] ...
  double coarse_het_max_mm = 1.2;
  double coarse_het_min_irregularity = 0.15; ///< ... and irregular outlines
  double amorphous_max_mm = 0.35;            ///< amorphous: tiny ...
  double amorphous_max_cnr = 5.0;            ///< ... and faint (median contrast-to-noise below this)
  double uniform_max_size_cv = 0.4;          ///< punctate/round cluster: sizes this uniform (std/mean) ...
  double benign_majority = 0.6;              ///< a cluster is "typically benign: X" when >= this share is X
  double irregular_min_elongation = 1.7;     ///< a member counts as "irregular" when elongated above this ...
  double irregular_min_irregularity = 0.15;  ///< ... or its outline is this irregular
  double large_min_p75_mm = 0.47;            ///< upper-quartile diameter at least this: coarse heterogeneous or round
  double round_min_median_mm = 0.545;        ///< round (typically benign): smooth members of median diameter >= this
  double coarse_min_irregular_fraction = 0.1;///< large members: this share irregular -> coarse heterogeneous
  double pleomorphic_min_irregular_fraction = 0.2; ///< small members: this share irregular -> fine pleomorphic
  // ---- vascular: two parallel tracks ----
  double vascular_min_axis_ratio = 3.0;      ///< members spread along a line ...
  double vascular_min_track_gap_mm = 1.0;    ///< ... on both sides of the axis, tracks this far apart or more
  double vascular_max_track_gap_mm = 4.0;
  double vascular_max_offset_cv = 0.45;      ///< |perpendicular offset| nearly constant (std/mean)
  // ---- distribution ----
  // A regional or segmental spread is cut into several small clusters by the detector's 5 mm link, so
  // the distribution also looks at the "spread": the core grown by single linkage (spread_link_mm) over
  // the image's confident calcifications (score >= spread_min_score, diameter >= spread_min_diameter_mm,
  // within spread_radius_mm of the cluster centre), members of neighbouring clusters included.
  double spread_link_mm = 8.0;
  double spread_min_score = 0.9;
  double spread_min_diameter_mm = 0.15;      ///< 1-3 pixel specks at 70 um are mostly noise
  double spread_radius_mm = 30.0;
  double grouped_max_extent_mm = 20.0;       ///< spread extent above this: regional or segmental
  double grouped_max_spread_mm = 13.0;       ///< ... and above this too unless the core is linear
  double linear_min_axis_ratio = 4.0;        ///< linear: principal-axis ratio of the core (sqrt of eigenvalue ratio)
  double segmental_min_extent_mm = 20.0;     ///< (kept for callers; the spread rule above decides "wide")
  double segmental_max_angle_deg = 20.0;     ///< segmental: spread's long axis pointing to the nipple within this ...
  double segmental_min_axis_ratio = 1.5;     ///< ... and elongated (a triangle/duct tree, not a disc)
  double segmental_min_widening = 1.3;       ///< (reported; a widening test was not reliable on detected spreads)
  int diffuse_min_clusters = 4;              ///< diffuse: at least this many clusters ...
  double diffuse_min_spread_fraction = 0.5;  ///< ... spread over this fraction of the breast's size
  // ---- inputs of the learned descriptors (measured and reported whether or not a model is used) ----
  double wide_spread_link_mm = 12.0;         ///< a second, looser spread ("wide_spread_*" measurements)
  double tiny_max_diameter_mm = 0.15;        ///< tiny_fraction: core members below this (1-2 pixel specks at 70 um)
  // ---- learned descriptors (assess/descriptor_model.h) ----
  /// Let the learned model choose the morphology (among the six cluster words) and the distribution
  /// (grouped/linear/segmental/regional) when the image's pixel size lies in the model's training
  /// range; the rules' words stay in `rule_morphology` / `rule_distribution`. Rules decide otherwise,
  /// and always for the typically benign types skin, coarse popcorn, rod-like, rim and vascular.
  bool use_descriptor_model = true;
  const DescriptorModel* descriptor_model = nullptr;  ///< nullptr = DescriptorModel::embedded()
  /// Use the model at every pixel size, not only in its training range (an experiment switch).
  bool descriptor_model_any_pixel_size = false;
};

/// Quantities measured on a group of calcifications, all in mm or dimensionless.
struct GroupMeasurements {
  int count = 0;
  double mean_diameter_mm = 0, median_diameter_mm = 0, size_cv = 0;
  double mean_width_mm = 0;           ///< diameter / sqrt(elongation): minor axis of the equivalent ellipse
  double mean_elongation = 1, elongated_fraction = 0;
  double mean_irregularity = 0, irregularity_std = 0;
  double median_contrast = 0, median_cnr = 0;
  double orientation_coherence = 0;   ///< |mean of exp(2i*theta)| over elongated members, 0..1
  double axis_alignment = 0;          ///< mean |cos| between elongated members and the group's long axis
  double branching_fraction = 0;      ///< elongated members deviating > 30 deg from the long axis
  double extent_mm = 0;               ///< largest member-to-member distance
  double axis_ratio = 1;              ///< sqrt(lambda1/lambda2) of member positions (1 = round group)
  double long_axis_deg = 0;           ///< direction of the long axis, degrees from x
  double nipple_distance_mm = -1;     ///< centre to nipple (-1 when the nipple is unknown)
  double nipple_axis_angle_deg = -1;  ///< angle between the long axis and the direction to the nipple
  double widening = 1;                ///< perpendicular spread far from / near the nipple
  double track_gap_mm = 0;            ///< mean |perpendicular offset| x 2 (vascular tracks)
  double track_offset_cv = 0;         ///< std/mean of |perpendicular offset|
  double track_balance = 0;           ///< min(side count)/max(side count)
  double p75_diameter_mm = 0;         ///< upper-quartile diameter
  double p25_diameter_mm = 0, max_diameter_mm = 0;
  double contrast_cv = 0;             ///< std/mean of member contrast
  double mean_score = 0;              ///< mean detector score of the members
  double tiny_fraction = 0;           ///< members smaller than DescribeParams::tiny_max_diameter_mm
  double irregular_fraction = 0;      ///< members elongated or with an irregular outline (see DescribeParams)
  int members_total = 0;              ///< cluster members before the core was taken (0 = not recorded)
  // Spread (second-level grouping, see DescribeParams); spread_count 0 = not measured (core used).
  int spread_count = 0;
  double spread_extent_mm = 0, spread_axis_ratio = 1, spread_nipple_angle_deg = -1;
  double skin_fraction = 0;           ///< share of members typed skin, coarse, rod-like, rim, round, punctate:
  double coarse_fraction = 0, rod_fraction = 0, rim_fraction = 0, round_fraction = 0, punctate_fraction = 0;
};

nlohmann::json to_json(const GroupMeasurements& m);

/// ClusterDescription::cautions' coarse-pieces caution, "" when it does not apply: the cluster is not
/// typically benign and its largest member (all members, `index` maps calcification id -> position in
/// `calcs`) is wider than p.coarse_het_max_mm, the lexicon's upper size of coarse heterogeneous
/// calcifications. Such a group may be one benign popcorn or dystrophic calcification in pieces.
std::string coarse_pieces_caution(const Cluster& cl, const std::vector<Calcification>& calcs,
                                  const std::map<int, std::size_t>& index, const std::string& morphology,
                                  const DescribeParams& p = {});

/// Size class of one calcification: "micro", "intermediate" or "macro".
std::string size_class(double diameter_mm, const DescribeParams& p = {});

/// Ring-minus-centre brightness relative to contrast (rim test); nullopt when the image has no pixels
/// or the calcification is too small to see a centre.
std::optional<double> rim_centre_drop(const Image& image, const Calcification& c, const DescribeParams& p = {});

/// Typically benign type of one calcification, "" when none applies. `image` may be empty (rim not tested).
std::string benign_type(const Calcification& c, const Image& image, const DescribeParams& p = {});

/// Measures a group of calcifications; `region` supplies the nipple (pass nullptr when unknown).
GroupMeasurements measure_group(const std::vector<const Calcification*>& members,
                                const std::vector<std::string>& member_benign_types,
                                const BreastRegion* region, double pixel_size_mm,
                                const DescribeParams& p = {});

/// The cluster's core: its most confident members (see DescribeParams::core_fraction).
std::vector<const Calcification*> core_members(std::vector<const Calcification*> members, const DescribeParams& p = {});

/// Second-level grouping: `core` grown over `all` (see DescribeParams::spread_link_mm); the result holds
/// the core first.
std::vector<const Calcification*> spread_members(const std::vector<const Calcification*>& core,
                                                 const std::vector<Calcification>& all, const DescribeParams& p = {});

/// Cluster morphology word (and benign type when "typically_benign") from the measurements.
struct MorphologyWord {
  std::string morphology;
  std::string benign_type;
  std::string why;
};
MorphologyWord classify_morphology(const GroupMeasurements& m, const DescribeParams& p = {});

/// Distribution word (grouped, linear, segmental, regional) of one cluster; "diffuse" is decided at
/// image level by is_diffuse().
struct DistributionWord {
  std::string distribution;
  std::string why;
};
DistributionWord classify_distribution(const GroupMeasurements& m, const DescribeParams& p = {});

/// Image-level pattern: many clusters scattered across the breast.
bool is_diffuse(const std::vector<Cluster>& clusters, const BreastRegion& region, double pixel_size_mm,
                const DescribeParams& p = {});

/// Describes every calcification and cluster of an analysed image (no assessment yet: see assess.h).
/// `image` may be empty (pixels not available): the rim test is then skipped.
ImageDescription describe_image(const Image& image, const AnalysisResult& result, const DescribeParams& p = {});

/// Where a point lies, in words a reader can use: distance to the nipple and, from the view, the half of
/// the breast ("lateral"/"medial" on CC with lateral at the top of the image, "upper"/"lower" on MLO).
struct BreastPosition {
  double nipple_distance_mm = -1;
  double depth_fraction = -1;   ///< 0 at the nipple .. 1 at the chest wall (-1 unknown)
  std::string depth;            ///< "anterior", "middle", "posterior" third or ""
  std::string half;             ///< "lateral", "medial", "upper", "lower" or ""
  std::string text;             ///< e.g. "42 mm from the nipple, middle third, lateral half"
};
BreastPosition describe_position(double x_px, double y_px, const AnalysisResult& result);

}  // namespace calcscope
