// Per-image and per-exam reports: HTML for the radiologist, plain language for the patient, DICOM SR.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/core/image.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

struct ReportRequest {
  bool html = false;     ///< <stem>.report.html
  bool patient = false;  ///< <stem>.patient.html and <stem>.patient.txt
  bool sr = false;       ///< <stem>.sr.dcm
};

/// Parses "html,patient,sr" (any subset). Throws Error(Usage) on unknown words.
ReportRequest parse_report_request(const std::string& list);

/// Writes the requested reports for one analysed image beside its JSON: DIR/<stem>.report.html, ...
/// Also returns the extra JSON fields (description, assessment) to merge into the analysis JSON.
nlohmann::json write_image_reports(const Image& image, const AnalysisResult& result,
                                   const ReportRequest& request, const std::filesystem::path& dir,
                                   const std::string& stem);

/// Describes and assesses one image without writing files (fields merged into the analysis JSON).
nlohmann::json describe_and_assess(const Image& image, const AnalysisResult& result);

}  // namespace calcscope
