// Grouping calcifications into clusters.
#pragma once
#include <vector>

#include "calcscope/core/image.h"
#include "calcscope/detect/calcifications.h"

namespace calcscope {

/// Default rule: calcifications closer than link_distance_mm are linked (single linkage); a
/// linked group with at least min_count members is a cluster. With link 5 mm and min 3 this is the
/// CAD convention "3 or more within 1 cm^2" (see docs/algorithms.md for the reasoning).
struct ClusterParams {
  double link_distance_mm = 5.0;
  int min_count = 3;
  double min_calcification_score = 0.3;  ///< only calcifications at least this likely are grouped
  double max_diameter_mm = 2.0;          ///< macrocalcifications are not grouped into micro clusters
  /// Only the best-scoring calcifications are grouped, at most this many per cm^2 of breast: random
  /// false candidates then stay too sparse to chain into clusters (expected neighbours within the
  /// 5 mm link: 0.785 * density).
  double max_density_per_cm2 = 0.6;
  double min_grouped = 60;  ///< ... but never fewer than this many (small breasts, crops)
  /// Groups longer than this are re-linked with a 0.6x shorter link (down to 1.5 mm): a chain of
  /// false candidates must not swallow a compact cluster. Segmental/regional extents are recovered
  /// by the description stage's second-level grouping.
  double max_extent_mm = 15.0;
  /// Second rule, the CAD convention "3 or more within 1 cm^2": calcifications left out of every
  /// cluster by the 5 mm link are linked again at compact_link_mm, and a group is kept when it has
  /// at least min_count members and fits a 1 cm^2 circle (extent <= compact_max_extent_mm). A
  /// partly detected cluster whose visible members sit in pairs 5-7 mm apart is then still found.
  /// 0 switches the rule off.
  double compact_link_mm = 7.0;
  double compact_max_extent_mm = 11.3;
  /// The second rule taken literally: a compact_link_mm group too long for a 1 cm^2 circle is not
  /// dropped; the 1 cm^2 circles (radius compact_max_extent_mm / 2, centred on a member) holding the
  /// most certain members (sum of score log-odds, as the centre weights) are taken out of it one by
  /// one while they hold at least min_count members. A cluster that the 5 mm link chained to false
  /// candidates into a group longer than max_extent_mm, and the shorter re-link then broke into
  /// pairs, is found again. Applied to images with pixels smaller than this (mm); 0 = never.
  double compact_discs_below_pixel_mm = 0.0;
  /// With compact discs: 5 mm-link groups longer than compact_max_extent_mm are taken apart into
  /// 1 cm^2 circles the same way (what no circle takes goes to the second rule).
  bool long_group_discs = false;
  /// A group is split at its longest minimum-spanning-tree link when that link is longer than
  /// gap_min_mm and gap_ratio x the median link and each side keeps min_count members (two groups
  /// joined by a bridge of stray candidates). 0 switches the split off.
  double gap_ratio = 2.0;
  double gap_min_mm = 3.0;
  /// A pair of capped calcifications (2 members, linked) is completed by the calcifications the
  /// density cap left out that lie within link_distance_mm of one of its members: two certain
  /// calcifications with doubtful neighbours are grouped, doubtful ones alone never are.
  bool complete_pairs = false;
  /// The centre is the members' mean weighted by the log-odds of their scores (clamped to
  /// [0.1, 7]): certain calcifications pull it more than doubtful ones around them.
  bool weighted_centre = true;
  /// Cluster proposals at several density caps (session 11, the default; 0 = one cap): with a
  /// factor f > 1 the groups are formed three times, at caps max_density_per_cm2 / f, x 1 and x f
  /// (min_grouped scaled alike), every distinct group becomes a scored candidate cluster, and
  /// suppress_overlapping_clusters() keeps the best-scoring of those sharing a member. A true
  /// cluster whose members lose their cap slots to texture in a noisy image can still form at the
  /// looser cap; one chained to false candidates can form cleanly at the tighter one.
  double proposal_density_factor = 2.0;
  /// ... on images with pixels smaller than this (mm): digital images. Film keeps one cap (the
  /// MIAS cross-validation fell from 0.594 to 0.549 with proposals on film, session 11).
  double proposals_below_pixel_mm = 0.15;
  /// One more proposal family on those images (session 29): the groups formed from the calcifications
  /// scoring at least this alone. A cluster of near-certain calcifications in a field of doubtful
  /// specks chains with them at every cap into a group longer than max_extent_mm; re-linked shorter
  /// and shorter it falls apart into pairs, and the compact rule's 7 mm link chains its pieces with
  /// the doubtful specks again (a coarse heterogeneous cluster of 7 members, all scoring 0.96-1.00,
  /// was never proposed: stress seed 4823). Its strong members alone form it. 0 = off.
  double strong_proposal_score = 0.9;
  /// Image context (session 17): discount_by_rank() divides a cluster's odds by
  /// e^rank_logit_step for every better-scoring cluster of the same image, so that one image's
  /// crowd of look-alike false groups (a calcified vessel, a field of texture specks) no longer
  /// fills the top of a whole series' ranking. The image's best cluster keeps its model score.
  /// The step was chosen on the 70 um development phantoms (docs/algorithms.md section 4); 0 switches
  /// it off.
  double rank_logit_step = 1.0;
  /// ... on images with pixels at least this large (mm): film. Digital images keep the model score:
  /// there the re-read operating point lost a sixth of the end-to-end test's clusters (three per
  /// image) and doubled the false clusters on normal phantoms (models/README.md, session 17).
  double rank_discount_from_pixel_mm = 0.15;
};

struct Cluster {
  int id = 0;
  double x = 0, y = 0;              ///< centre (members weighted by score log-odds, see ClusterParams::weighted_centre), pixels
  double x_mm = 0, y_mm = 0;
  double radius_mm = 0;             ///< max distance centre -> member edge
  double extent_mm = 0;             ///< largest member-to-member distance
  double area_mm2 = 0;              ///< convex hull area
  int count = 0;
  std::vector<int> calcification_ids;
  std::vector<PointPx> outline;     ///< convex hull of members, pixels
  double mean_member_score = 0;
  double score = 0;                 ///< [0,1], comparable across images (thresholded by FROC): model_score
                                    ///< discounted by the better clusters of the image (discount_by_rank())
  double model_score = 0;           ///< [0,1], the cluster model's score alone (set by score_clusters())
  std::vector<double> features;     ///< see cluster_feature_names()
};

const std::vector<std::string>& cluster_feature_names();

/// Groups calcifications (ids refer to Calcification::id). Scores are set by score_clusters().
/// `breast_area_mm2` (> 0) enables the density cap of params.max_density_per_cm2.
std::vector<Cluster> find_clusters(const std::vector<Calcification>& calcifications, double pixel_size_mm,
                                   const ClusterParams& params = {}, double breast_area_mm2 = 0);

/// Non-maximum suppression of scored cluster proposals: best score first, a cluster sharing a member
/// with one already kept is dropped. Ids are renumbered 1.. in the order of find_clusters (row, then
/// column). Does nothing unless params.proposal_density_factor > 0 (single-cap groups never share).
void suppress_overlapping_clusters(std::vector<Cluster>& clusters, const ClusterParams& params);

/// The image-context discount: with the clusters ranked by model_score (best first, ties in their
/// order), the k-th (k = 0, 1, ...) gets score = 1 / (1 + exp(-(logit(model_score) - k x
/// params.rank_logit_step))). Order and ids are unchanged. A pure function of the model scores.
/// Applied only when pixel_size_mm >= params.rank_discount_from_pixel_mm (otherwise score = model_score).
void discount_by_rank(std::vector<Cluster>& clusters, const ClusterParams& params, double pixel_size_mm);

/// On a patch (whole-image mode) the two cluster features that describe the cluster's place in a
/// whole breast are undefined: there is no skin line (mean_dist_to_skin_mm), and the "image" is the
/// few mm² around the cluster, so image_likely_per_cm2 counts the cluster itself (68 per cm² on an
/// INFN patch, against 1.9-2.5 on whole phantoms). They are replaced by their medians over the clusters
/// formed on 16 default-imaging 70 um phantoms (seeds 4000-4015, session 18; not INFN, not e2e seeds).
inline constexpr double kPatchDistToSkinMm = 33.0;
inline constexpr double kPatchLikelyPerCm2 = 2.0;
void impute_patch_context(std::vector<Cluster>& clusters);

}  // namespace calcscope
