// Reports of a comparison with prior mammograms (`calcscope compare --report html,patient,sr`):
// the radiologist's HTML (current and prior side by side with matched marks, magnified crops now and
// then, a table per compared cluster, the assessment before and after the comparison), the patient's
// plain-language summary of what changed (HTML and text), and the DICOM SR with temporal features.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/compare/compare.h"

namespace calcscope {

struct CompareReportRequest {
  bool html = false;     ///< DIR/<stem>.compare.html
  bool patient = false;  ///< DIR/<stem>.compare.patient.html and DIR/<stem>.compare.patient.txt
  bool sr = false;       ///< DIR/<stem>.compare.sr.dcm (write_compare_sr)
};

/// Parses "html,patient,sr" (any subset, comma-separated, "" = none). Throws Error(Usage) on unknown words.
CompareReportRequest parse_compare_report_request(const std::string& list);

struct CompareReportFiles {
  std::vector<std::filesystem::path> written;  ///< every file written, in order
  std::vector<std::string> warnings;           ///< from the SR writer
  int sr_clusters = 0, sr_temporal_links = 0;
};

/// Writes the requested comparison reports into `dir` (created if needed) as <stem>.compare.*.
/// The run's CompareImage::image pointers must still be valid (the pictures are drawn from them).
/// Raster/phantom input without DICOM identity gets invented UIDs in the SR. Throws Error(OutputFailed)
/// when a file cannot be written.
CompareReportFiles write_compare_reports(const CompareRun& run, const CompareReportRequest& request,
                                         const std::filesystem::path& dir, const std::string& stem);

// ---- building blocks (tested on their own) --------------------------------------------------------

/// The radiologist's comparison report: a self-contained HTML page (images as PNG data URIs).
/// Current image and the most recent prior side by side; each compared finding carries the same
/// number and colour (by change label) on both; new findings are marked on the current image only,
/// resolved ones on the prior only, at their prior position. Table rows: <tr class="finding"
/// data-change="LABEL">, one per entry of run.change.clusters, in that order (= the JSON's clusters).
std::string compare_report_html(const CompareRun& run);

/// The patient's summary of the comparison: what changed since which prior date, what it means for
/// the category, what happens next (with dates); a computer's second reading, not a diagnosis.
std::string compare_patient_text(const CompareRun& run);
std::string compare_patient_html(const CompareRun& run);

/// Colour of a change label for marks and badges ("#rrggbb"): new red, increased orange, stable
/// green, decreased blue, resolved grey.
std::string change_colour(const std::string& change);

}  // namespace calcscope
