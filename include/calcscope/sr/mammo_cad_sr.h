// DICOM Mammography CAD SR (PS3.16 TID 4000): writing calcscope's findings for a PACS, and
// reading a CAD SR back (our own, or another system's for double reading).
//
// Usage from a report writer (one call per exam or per image):
//
//   calcscope::SrImageInput in{image.info, image.width, image.height, image.pixel_size_mm, &result, &description};
//   calcscope::write_mammo_cad_sr({in}, {}, dir / (stem + ".sr.dcm"), {});
//
// The SR goes into the study of the images (Study Instance UID, patient and study attributes are
// copied from the first image's ImageInfo), in a new series, with Modality SR.
// docs/sr.md shows the content tree.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "calcscope/assess/assessment.h"
#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/sr/codes.h"

namespace calcscope {

/// One analysed image: its identity, its grid and what was found on it.
struct SrImageInput {
  ImageInfo info;              ///< SOP class/instance, study, patient, laterality ("L"/"R"), view ("CC"/"MLO"/...)
  int width = 0, height = 0;   ///< pixels
  double pixel_size_mm = 0;    ///< written as Horizontal/Vertical Pixel Spacing in the Image Library
  const AnalysisResult* result = nullptr;             ///< required: clusters and calcifications in pixels
  const ImageDescription* description = nullptr;      ///< may be null: then no type/distribution/probability
};

/// A cluster on one image: the image's SOP Instance UID and Cluster::id.
struct SrClusterRef {
  std::string sop_instance_uid;
  int cluster_id = 0;
  bool operator==(const SrClusterRef&) const = default;
};

/// Two clusters that are the same lesion seen in two views (CC-MLO correlation).
using SrSpatialLink = std::pair<SrClusterRef, SrClusterRef>;

/// A cluster compared with a prior exam (prior comparison). Written as a TID 4004 Composite Feature
/// "related temporally" (111153) whose members are the current cluster's and the prior cluster's
/// Single Image Findings, with the difference in number of calcifications (129810007, SCT) and
/// in location (129808005, SCT) from CID 6037 (TID 4005 row 11). docs/sr.md shows the tree.
struct SrTemporalLink {
  /// The current cluster. cluster_id 0 = nothing now (resolved): only the prior finding is written;
  /// sop_instance_uid still names the current image.
  SrClusterRef current;
  std::string prior_sop_class_uid;
  std::string prior_sop_instance_uid;  ///< must be one of SrWriteOptions::prior_images when prior_cluster_id != 0
  int prior_cluster_id = 0;  ///< 0 = no matching cluster in the prior (new finding)
  std::optional<int> difference_in_number_of_calcifications;  ///< current minus prior
  std::optional<double> difference_in_location_mm;            ///< mapped prior centre to current centre
  std::string change;  ///< calcscope's label ("new", "stable", ...): no standard code, kept in Algorithm Parameters
  bool operator==(const SrTemporalLink&) const = default;
};

struct SrWriteOptions {
  std::string manufacturer = "calcscope";
  std::string model_name = "calcscope";
  std::string algorithm_name = "calcscope";            ///< TID 4019 Algorithm Name
  std::string algorithm_version = CALCSCOPE_VERSION;   ///< TID 4019 Algorithm Version
  std::string series_description = "calcscope Mammography CAD SR";
  std::string series_number = "9901";
  std::string instance_number = "1";
  bool include_individual_calcifications = true;  ///< cluster members as child Single Image Findings
  /// Raster or phantom input has no DICOM identity. false: throw Error(InvalidData). true: invent
  /// UIDs (the SR then references images no PACS has: for demos and tests only).
  bool allow_missing_uids = false;
  /// "YYYYMMDD" / "HHMMSS" content date and time; empty = now.
  std::string content_date, content_time;
  sr::CodeStyle code_style = sr::CodeStyle::Sct;  ///< SRT / retired DCM only for interoperability tests
  std::vector<SrTemporalLink> temporal_links;     ///< see SrTemporalLink
  /// The prior images the temporal links refer to: listed in the Image Library (with their Study
  /// Date) and in the Pertinent Other Evidence, their clusters written only as members of the
  /// temporal Composite Features (rendering intent "Not for Presentation"). Same rules as `images`.
  std::vector<SrImageInput> prior_images;
};

/// What was written, for the caller's JSON output.
struct SrWriteSummary {
  std::filesystem::path path;
  std::string sop_instance_uid, series_instance_uid, study_instance_uid;
  int images = 0, clusters = 0, calcifications = 0, spatial_links = 0;
  int prior_images = 0, temporal_links = 0;  ///< temporal links written (skipped ones are in warnings)
  std::vector<std::string> warnings;
};

/// The CC-MLO links stated by the descriptions (ClusterDescription::correlated_cluster_id and
/// correlated_image, which may be the other image's SOP Instance UID or its file stem), each pair
/// once. Links to images that are not in `images` are left out.
std::vector<SrSpatialLink> spatial_links_from_descriptions(const std::vector<SrImageInput>& images);

/// Writes one Mammography CAD SR covering `images` (one Image Library entry each, in order).
/// `spatial_links` pairs clusters on different images of the same breast; each connected group
/// becomes one Composite Feature "related spatially". Throws Error(Usage) for bad input (no image,
/// null result, a link to an unknown cluster), Error(InvalidData) for missing DICOM identity
/// (unless allow_missing_uids), Error(OutputFailed) when the file cannot be written, and
/// Error(Internal) when DCMTK rejects the content tree (a bug in the writer).
SrWriteSummary write_mammo_cad_sr(const std::vector<SrImageInput>& images,
                                  const std::vector<SrSpatialLink>& spatial_links,
                                  const std::filesystem::path& out, const SrWriteOptions& options = {});

// ---- reading ---------------------------------------------------------------------------------

struct SrCodedValue {
  std::string value, scheme, meaning;
  bool empty() const { return value.empty() && meaning.empty(); }
};

struct SrImageEntry {
  std::string sop_class_uid, sop_instance_uid;
  std::string laterality;  ///< "L", "R" or ""
  std::string view;        ///< "CC", "MLO", ... or ""
  double pixel_spacing_mm = 0;  ///< horizontal; 0 when absent
  std::string study_date;
  bool prior = false;  ///< only referenced as the prior of a temporal comparison
};

struct SrCalcification {
  std::string image_sop_instance_uid;
  bool has_centre = false;
  PointPx centre;                  ///< calcscope pixel coordinates (DICOM SCOORD minus 0.5)
  std::vector<PointPx> outline;
  double diameter_mm = 0;          ///< 0 when absent
  std::string type;                ///< calcscope word ("punctate", ...) or ""
  SrCodedValue type_code;
  std::string rendering_intent;
};

struct SrCluster {
  int index = 0;                   ///< 1-based order in the document
  int cluster_id = 0;              ///< calcscope's Cluster::id when written by calcscope, else = index
  std::string image_sop_instance_uid;
  bool has_centre = false;
  PointPx centre;                  ///< calcscope pixel coordinates (DICOM SCOORD minus 0.5)
  std::vector<PointPx> outline;    ///< closed polyline, last point repeated as written
  int number_of_calcifications = -1;  ///< -1 = not stated
  std::string type;                ///< calcscope word or "" (type_code keeps the raw code)
  SrCodedValue type_code;
  std::string distribution;
  SrCodedValue distribution_code;
  std::optional<double> probability_of_cancer_percent;
  std::optional<double> certainty_percent;
  std::string rendering_intent;    ///< "Required", "Optional", "Not for Presentation" or ""
  std::string algorithm_name, algorithm_version;
  SrCodedValue finding_code;       ///< as written: SCT 129769006, SRT F-01775 or DCM 111105
  std::string observation_uid;
  std::vector<SrCalcification> calcifications;  ///< member findings (INFERRED FROM)
};

struct SrAlgorithmRun {
  std::string kind;      ///< "detection" or "analysis"
  std::string status;    ///< "Succeeded" / "Failed"
  SrCodedValue what;     ///< Detection Performed / Analysis Performed value
  std::string algorithm_name, algorithm_version;
};

struct SrContent {
  std::string sop_class_uid, sop_instance_uid, series_instance_uid, study_instance_uid;
  std::string patient_id, patient_name, manufacturer, content_date, content_time;
  SrCodedValue findings_summary;   ///< CID 6047 value of (111017)
  bool with_findings = false;
  std::string detections_status, analyses_status;  ///< "Succeeded", "Failed", "Not Attempted", ...
  std::vector<SrImageEntry> images;
  std::vector<SrCluster> clusters;
  std::vector<SrCalcification> calcifications;    ///< individual calcifications outside any cluster
  std::vector<std::pair<int, int>> spatial_links; ///< pairs of SrCluster::index related spatially
  /// Clusters on prior images, members of temporal Composite Features (not current findings).
  std::vector<SrCluster> prior_clusters;
  /// Composite Features "related temporally": current cluster (image, Cluster::id as written by
  /// calcscope, else the reading order) against its prior counterpart.
  std::vector<SrTemporalLink> temporal_links;
  std::vector<SrAlgorithmRun> algorithms;
  std::vector<std::string> warnings;               ///< parts not understood (skipped, not fatal)
};

/// Reads a Mammography CAD SR (any conformant writer; by-value and by-reference geometry,
/// SCT/SRT/retired DCM finding codes). In a temporal Composite Feature the members on older images
/// (Study Date in the Image Library, or calcscope's Algorithm Parameters) are the prior findings.
/// Throws Error(FileNotFound), Error(Unreadable) when the file
/// is not DICOM, Error(InvalidData) when it is not a Mammography CAD SR.
SrContent read_mammo_cad_sr(const std::filesystem::path& path);

}  // namespace calcscope
