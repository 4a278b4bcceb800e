// Scoring `calcscope analyze` outputs against ground truth (docs/evaluation.md).
//
// Everything here is a pure function of parsed inputs, so each rule (hit rule, FROC sweep, AUC,
// bootstrap) is tested on hand-computed cases. Positions are pixels (column, row, origin top-left);
// every tolerance is given in millimetres and converted with each image's pixel size.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calcscope::eval {

/// Version of the evaluation JSON written by `calcscope eval --output`.
inline constexpr const char* kEvalSchemaVersion = "1.2.0";

// ---------------------------------------------------------------------------------------------
// Ground truth
// ---------------------------------------------------------------------------------------------

/// One annotated calcification cluster.
struct TruthCluster {
  std::string id;          ///< MIAS: 1-based row order within the image; phantom: the cluster id
  bool locatable = true;   ///< false for MIAS `*NOTE 3*` rows (calcifications with no centre given)
  double x = 0, y = 0;     ///< centre, pixels, origin top-left
  double radius_px = 0;    ///< radius of the truth circle, pixels
  std::string severity;    ///< "B" benign, "M" malignant, "" unknown
  std::string morphology;  ///< phantom truth: the generator's morphology word ("" = unknown)
};

/// One annotated calcification (phantom truth only).
struct TruthCalcification {
  std::string id;
  double x = 0, y = 0;          ///< centre, pixels
  double diameter_mm = 0;       ///< equivalent diameter (for elongated shapes: the width)
  double length_mm = 0;         ///< total length of elongated shapes; <= diameter_mm means compact
  std::optional<double> angle_deg;  ///< orientation of elongated shapes (degrees from the x axis), if known
  std::string cluster_id;       ///< "" or "0" = not in a cluster
  std::string morphology;       ///< phantom truth: the generator's morphology word ("" = unknown)
};

struct TruthImage {
  std::string stem;                 ///< file name without extension, e.g. "mdb211"
  bool has_calcifications = false;  ///< any CALC row / any truth cluster
  std::vector<TruthCluster> clusters;
  bool has_calcification_truth = false;  ///< per-calcification positions known (phantom)
  std::vector<TruthCalcification> calcifications;
  int image_height_px = 0;    ///< grid the truth refers to (0 = unknown); checked against the results
  double pixel_size_mm = 0;   ///< pixel size the truth refers to (0 = unknown)
};

enum class TruthKind { Mias, Phantom };
std::string to_string(TruthKind kind);

struct TruthSet {
  TruthKind kind = TruthKind::Mias;
  std::map<std::string, TruthImage> images;  ///< by stem
};

/// Height of every mini-MIAS image; MIAS Y is counted from the bottom: row = height - Y.
inline constexpr int kMiasImageHeightPx = 1024;

/// Parses MIAS `truth.txt` text (columns REFNUM TISSUE CLASS SEVERITY X Y RADIUS, origin
/// bottom-left). CALC rows become clusters (`*NOTE 3*` rows: not locatable); images whose rows are
/// all non-CALC are "no calcification" images. Throws Error(InvalidData) naming the line.
TruthSet parse_mias_truth(const std::string& text, const std::string& source = "truth.txt",
                          int image_height_px = kMiasImageHeightPx);
/// Reads a MIAS truth file. Throws Error(FileNotFound / Unreadable / InvalidData).
TruthSet read_mias_truth(const std::filesystem::path& file, int image_height_px = kMiasImageHeightPx);

/// Parses one phantom truth JSON (kind "calcscope-phantom-truth"). Throws Error(InvalidData).
TruthImage parse_phantom_truth(const nlohmann::json& json, const std::string& stem,
                               const std::string& source = "");
/// Reads every `<stem>.truth.json` in `dir` (or the single file `dir` names).
/// Throws Error(FileNotFound) if there is none, Error(InvalidData) for a malformed one.
TruthSet read_phantom_truth(const std::filesystem::path& dir);

// ---------------------------------------------------------------------------------------------
// Analysis results (the per-image JSON written by `calcscope analyze`)
// ---------------------------------------------------------------------------------------------

struct DetectedCluster {
  std::string id;
  double x = 0, y = 0;  ///< centre, pixels
  double score = 0;
  std::optional<double> value;  ///< the field named by value_field (e.g. a malignancy likelihood)
};

struct DetectedCalcification {
  std::string id;
  double x = 0, y = 0;
  double score = 0;
};

struct ImageResult {
  std::string stem;
  std::string source;  ///< file it was read from
  int width = 0, height = 0;
  double pixel_size_mm = 0;
  double breast_area_mm2 = 0;
  std::vector<DetectedCluster> clusters;
  std::vector<DetectedCalcification> calcifications;
};

/// Parses an analysis JSON. `value_field` (may be empty) names a numeric per-cluster field to
/// carry along; dots walk into objects ("assessment.malignancy"). Throws Error(InvalidData).
ImageResult parse_analysis(const nlohmann::json& json, const std::string& stem, const std::string& source = "",
                           const std::string& value_field = "");

/// True when `json` looks like an analysis output (an object with "image" and "clusters").
bool looks_like_analysis(const nlohmann::json& json);

struct ResultsDir {
  std::map<std::string, ImageResult> images;  ///< by stem
  std::vector<std::string> notes;             ///< files skipped and why
};
/// Reads every `<stem>.json` in `dir` (not `*.truth.json`; JSON files that are not analysis
/// outputs are skipped with a note). Throws Error(FileNotFound / InvalidData).
ResultsDir read_results_dir(const std::filesystem::path& dir, const std::string& value_field = "");

/// Reads a JSON file. Throws Error(FileNotFound / Unreadable / InvalidData).
nlohmann::json read_json(const std::filesystem::path& file);

// ---------------------------------------------------------------------------------------------
// Pairing results with truth
// ---------------------------------------------------------------------------------------------

/// One evaluated image: what was found and what is there.
struct EvalCase {
  ImageResult result;
  TruthImage truth;
};

struct PairOptions {
  bool allow_missing = false;  ///< truth images without a result file are skipped instead of an error
  std::optional<std::vector<std::string>> only;  ///< restrict to these stems (`--images LIST_FILE`)
};

struct Pairing {
  std::vector<EvalCase> cases;     ///< sorted by stem
  std::vector<std::string> notes;  ///< what was skipped and why
};

/// Pairs results with truth by stem. Results without truth are skipped with a note; truth images
/// without results throw Error(FileNotFound) listing them unless allow_missing. A results grid that
/// contradicts the truth (height or pixel size) throws Error(InvalidData).
Pairing pair_results_with_truth(const ResultsDir& results, const TruthSet& truth, const PairOptions& options = {});

/// Reads a list of image names (one a line, '#' comments; "mdb001", "mdb001.png" or a path).
std::vector<std::string> read_image_list(const std::filesystem::path& file);

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// A generic FROC input: per unit (an image), detections with a score and the truth objects they hit.
struct FrocDetection {
  double score = 0;
  std::vector<int> targets;  ///< indices of the unit's counted truth objects this detection hits
  bool false_positive = true;  ///< false when it hits any truth object (counted or not)
};
struct FrocUnit {
  int targets = 0;        ///< counted truth objects in this unit (the sensitivity denominator)
  double exposure = 1;    ///< what FP rates are per: 1 image, or the breast area in cm^2
  std::vector<FrocDetection> detections;
};

/// One point of the FROC curve: all detections with score >= threshold are kept.
struct FrocPoint {
  std::optional<double> threshold;  ///< nullopt: nothing kept (the origin)
  int found = 0;                    ///< distinct truth objects hit
  int false_positives = 0;
  double sensitivity = 0;           ///< found / targets (NaN when there are no targets)
  double fp_rate = 0;               ///< false_positives / total exposure
};

/// Sweeps the score threshold over the pooled detections (one point per distinct score, highest first).
std::vector<FrocPoint> froc_curve(const std::vector<FrocUnit>& units);

struct FrocOperatingPoint {
  double fp_rate_limit = 0;          ///< the FP rate asked for
  double sensitivity = 0;            ///< best sensitivity with fp_rate <= limit (NaN if no targets)
  std::optional<double> threshold;   ///< highest threshold giving it (nullopt: nothing kept)
  double fp_rate = 0;                ///< actual FP rate at that threshold
  int found = 0;
  std::optional<double> ci_low, ci_high;  ///< bootstrap 95 % percentile interval of the sensitivity
};

/// Best sensitivity with FP rate <= limit, and the highest threshold that gives it.
FrocOperatingPoint froc_operating_point(const std::vector<FrocPoint>& curve, double fp_rate_limit);

/// Area under the step FROC curve (sensitivity reachable with FP rate <= f) for f in [0, max_fp_rate],
/// divided by max_fp_rate (so 1 = every target found with no false positive). NaN if no targets.
double froc_partial_area(const std::vector<FrocPoint>& curve, double max_fp_rate);

struct BootstrapOptions {
  int resamples = 1000;
  std::uint64_t seed = 20250101;
};

/// Percentile 95 % intervals of the sensitivity at each FP rate limit, resampling units with
/// replacement. Resamples without any target are dropped. Returns {low, high} per limit
/// (nullopt when no resample was usable).
std::vector<std::pair<std::optional<double>, std::optional<double>>> froc_bootstrap(
    const std::vector<FrocUnit>& units, const std::vector<double>& fp_rate_limits, const BootstrapOptions& options);

/// Area under the ROC curve by the Mann-Whitney statistic, ties counted 1/2. NaN if a side is empty.
double auc_mann_whitney(const std::vector<double>& positives, const std::vector<double>& negatives);

/// Default FP rates reported (per image for clusters, per cm^2 for calcifications).
inline const std::vector<double>& default_fp_rates() {
  static const std::vector<double> rates = {0.1, 0.25, 0.5, 1.0, 2.0};
  return rates;
}

/// Indices (into truth.clusters) of the locatable truth clusters whose circle, of radius
/// max(truth radius, min_radius_mm), contains the centre of `detection`.
std::vector<int> cluster_hits(const DetectedCluster& detection, const TruthImage& truth, double pixel_size_mm,
                              double min_radius_mm);

/// Whether a detected calcification centre hits a truth calcification: within
/// max(diameter/2 + margin_mm, min_distance_mm) of its centre, or of its axis for elongated ones.
bool calcification_hit(double x_px, double y_px, const TruthCalcification& truth, double pixel_size_mm,
                       double margin_mm = 0.25, double min_distance_mm = 0.5);

/// Builds the per-image FROC units for cluster-level evaluation (exposure 1 per image).
std::vector<FrocUnit> cluster_froc_units(const std::vector<EvalCase>& cases, double min_radius_mm);

/// Truth-cluster filter: (image, index into image.clusters) -> counted as a target.
using ClusterFilter = std::function<bool(const TruthImage&, std::size_t)>;
/// The same units with only the truth clusters `counted` accepts as targets; a detection that hits
/// only uncounted truth clusters is neither found nor a false positive (it found something real).
std::vector<FrocUnit> cluster_froc_units(const std::vector<EvalCase>& cases, double min_radius_mm,
                                         const ClusterFilter& counted);

/// Phantom truth: members of truth cluster `index` at least `min_diameter_mm` wide.
int cluster_members_at_least(const TruthImage& truth, std::size_t index, double min_diameter_mm);

/// Builds per-image units for calcification-level evaluation (phantom truth only; exposure = breast
/// area in cm^2). Targets are truth calcifications with diameter >= min_diameter_mm; hits on smaller
/// ones are neither found nor false positives.
std::vector<FrocUnit> calcification_froc_units(const std::vector<EvalCase>& cases, double min_diameter_mm,
                                               double margin_mm = 0.25, double min_distance_mm = 0.5);

struct EvalOptions {
  double min_radius_mm = 5.0;     ///< smallest truth-circle radius for cluster hits
  double min_diameter_mm = 0.2;   ///< calcification-level sensitivity counts truth at least this wide
  double calc_margin_mm = 0.25;   ///< calcification hit: within diameter/2 + margin ...
  double calc_min_distance_mm = 0.5;  ///< ... but never less than this
  std::vector<double> cluster_fp_rates = default_fp_rates();       ///< per image
  std::vector<double> calcification_fp_rates = default_fp_rates(); ///< per cm^2
  BootstrapOptions bootstrap;
  std::string value_field;  ///< per-cluster field for benign-vs-malignant AUC ("" = none)
  /// Phantom truth: the "eligible" cluster FROC counts clusters with at least this many members of
  /// at least min_diameter_mm (issue 2's end-to-end definition: 5 of >= 0.2 mm).
  int eligible_min_members = 5;
};

struct FrocSummary {
  int units = 0;              ///< images
  int targets = 0;            ///< counted truth objects
  int detections = 0;
  double exposure = 0;        ///< images, or cm^2 of breast
  std::vector<FrocPoint> curve;
  std::vector<FrocOperatingPoint> operating_points;
  double partial_area = 0;    ///< normalised, over [0, largest FP rate reported]
  double max_fp_rate = 0;     ///< the upper limit of partial_area
};

/// Sweep, operating points at `rates`, partial area up to the largest rate and bootstrap CIs.
FrocSummary summarise_froc(const std::vector<FrocUnit>& units, const std::vector<double>& rates,
                           const BootstrapOptions& bootstrap);

struct ImageLevel {
  int positives = 0, negatives = 0;
  double auc = 0;  ///< NaN if a class is empty
  std::optional<double> ci_low, ci_high;
};

/// Image-level ROC AUC of "has calcifications" with image score = max cluster score (0 if none).
ImageLevel image_level_auc(const std::vector<EvalCase>& cases, const BootstrapOptions& bootstrap);

struct SeverityLevel {
  std::string field;
  int benign = 0, malignant = 0;  ///< truth clusters matched by a detection with a value
  int unmatched = 0;              ///< B/M truth clusters without such a detection (left out)
  double auc = 0;                 ///< malignant = positive; NaN if a class is empty
};

/// Benign vs malignant AUC of DetectedCluster::value: each locatable B/M truth cluster takes the
/// value of the highest-scoring detection (with a value) that hits it.
SeverityLevel severity_auc(const std::vector<EvalCase>& cases, double min_radius_mm, const std::string& field);

/// Truth clusters of one kind (a morphology word) found at the operating points of the main cluster
/// FROC: found[k] = those hit by a detection scoring >= that point's threshold.
struct ClusterGroupFound {
  std::string group;
  int clusters = 0;
  std::vector<int> found;  ///< one per EvalOptions::cluster_fp_rates
};

/// Truth calcifications (>= EvalOptions::min_diameter_mm) of one morphology found at the operating
/// points of the calcification FROC: found[k] = those hit by a detection scoring >= that point's
/// threshold; candidates = those hit by any detection (the candidate stage's ceiling).
struct CalcificationGroupFound {
  std::string group;
  int calcifications = 0;
  std::vector<int> found;  ///< one per EvalOptions::calcification_fp_rates
  int candidates = 0;
};

struct EvalReport {
  TruthKind truth_kind = TruthKind::Mias;
  EvalOptions options;
  int images = 0;
  int images_with_calcifications = 0;
  int truth_clusters = 0;             ///< all truth clusters
  int locatable_truth_clusters = 0;
  FrocSummary clusters;
  ImageLevel image;
  std::optional<FrocSummary> calcifications;  ///< when per-calcification truth exists
  std::optional<SeverityLevel> severity;      ///< when options.value_field is set
  /// Phantom truth: the cluster FROC over the eligible clusters only (EvalOptions::eligible_min_members
  /// members >= min_diameter_mm); detections of the other truth clusters are not false positives.
  std::optional<FrocSummary> eligible_clusters;
  /// Phantom truth with morphology words: found per morphology at the main FROC's thresholds.
  std::vector<ClusterGroupFound> clusters_by_morphology;
  /// Phantom truth with morphology words: calcifications found per morphology (since 1.2.0).
  std::vector<CalcificationGroupFound> calcifications_by_morphology;
  std::vector<std::string> notes;
};

/// Runs every evaluation that the truth supports.
EvalReport evaluate(const std::vector<EvalCase>& cases, TruthKind kind, const EvalOptions& options);

/// JSON form of the report (with schema_version and the full curves).
nlohmann::json report_to_json(const EvalReport& report);

/// Aligned plain-text tables for the terminal.
std::string format_report(const EvalReport& report);

}  // namespace calcscope::eval
