// Double reading: a first reader's findings against calcscope's clusters on the same image.
// Each finding ends up concordant (both marked it), reader-only or CAD-only; the discordant ones
// form the arbitration list with the CAD's score, category and description.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"
#include "calcscope/detect/clusters.h"

namespace calcscope {

/// One finding of the first reader. Position in image pixels or in mm from the top-left corner.
struct ReaderFinding {
  int index = 0;                 ///< 1-based order in the reader's file
  bool has_px = false;
  double x = 0, y = 0;           ///< pixels (column, row)
  bool has_mm = false;
  double x_mm = 0, y_mm = 0;
  double radius_mm = 0;          ///< 0 = a point
  std::string category;          ///< BI-RADS category given by the reader, "" = not given
  std::string image;             ///< file name, stem or SOP Instance UID the finding is on ("" = any)
  std::string description;       ///< free text (SR: type and distribution)
};

/// Reads a reader's findings. Formats (chosen by content):
///  - JSON: {"findings": [{"x": px, "y": px} or {"x_mm", "y_mm"}, "radius_mm"?, "category"?, "image"?,
///    "description"?}]}
///  - CSV: columns x,y[,radius_mm[,category]] in pixels; an optional header line may name the columns
///    (x, y, x_mm, y_mm, radius_mm, category, image) in any order
///  - DICOM Mammography CAD SR (another system's): its clusters, with image = SOP Instance UID.
/// Throws Error(FileNotFound) / Error(InvalidData) naming the line or entry at fault.
std::vector<ReaderFinding> read_reader_findings(const std::filesystem::path& path);

/// True when the finding is on the image called `file_name` (name or stem) or with `sop_instance_uid`.
bool finding_on_image(const ReaderFinding& f, const std::string& file_name, const std::string& sop_instance_uid);

struct DoubleReadingParams {
  /// A reader finding and a CAD cluster agree when their centres are closer than
  /// max(match_distance_mm, reader radius, cluster radius) + match_margin_mm.
  double match_distance_mm = 5.0;
  double match_margin_mm = 2.0;
  /// CAD clusters scoring below this are not CAD marks (but their score is reported for
  /// reader-only findings they lie near). < 0 = every cluster given is a mark.
  double cad_min_score = -1;
};

struct ReadingEntry {
  std::string agreement;          ///< "concordant", "reader_only", "cad_only"
  int reader_index = 0;           ///< 0 for cad_only
  int cad_cluster_id = 0;         ///< 0 for reader_only (unless a sub-threshold cluster lies near)
  double x = 0, y = 0;            ///< current image pixels (reader's position when there is one)
  double x_mm = 0, y_mm = 0;
  double distance_mm = -1;        ///< reader to CAD centre (concordant / sub-threshold near)
  std::string reader_category;
  double cad_score = -1;          ///< -1 = no CAD cluster there at all
  int cad_count = 0;
  std::string cad_category;
  std::string cad_description;    ///< morphology and distribution words
};

struct ReadingComparison {
  std::vector<ReadingEntry> entries;  ///< concordant, then reader-only, then CAD-only
  int concordant = 0, reader_only = 0, cad_only = 0;
};

/// Compares the reader's findings on one image with that image's clusters (pixel size needed for
/// findings given in mm and for distances). `descriptions` (by cluster_id) may be empty.
ReadingComparison compare_readings(const std::vector<ReaderFinding>& reader, const std::vector<Cluster>& cad,
                                   double pixel_size_mm, const std::vector<ClusterDescription>& descriptions,
                                   const DoubleReadingParams& params = {});

nlohmann::json to_json(const ReadingComparison& r);
/// A plain-text table for the terminal (one row per entry).
std::string reading_table(const ReadingComparison& r);

}  // namespace calcscope
