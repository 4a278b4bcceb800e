// Per-image and per-exam reports: HTML for the radiologist, plain language for the patient, DICOM SR.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"
#include "calcscope/assess/exam.h"
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
/// Throws Error(OutputFailed) when a file cannot be written.
nlohmann::json write_image_reports(const Image& image, const AnalysisResult& result,
                                   const ReportRequest& request, const std::filesystem::path& dir,
                                   const std::string& stem);

/// Describes and assesses one image without writing files (fields merged into the analysis JSON):
/// {"description": {"calcifications": [...], "clusters": [...]}, "assessment": {...}}.
nlohmann::json describe_and_assess(const Image& image, const AnalysisResult& result);

/// Describes and assesses one image (the structs behind describe_and_assess).
ImageDescription describe_and_assess_image(const Image& image, const AnalysisResult& result);

/// Writes the exam outputs: DIR/<study>.exam.json always; with request.html DIR/<study>.report.html
/// (one section per image, correlations, per-breast and exam assessment); with request.patient
/// DIR/<study>.patient.html and .txt. `images` are the same pairs given to assess_exam().
/// Returns the exam JSON written.
nlohmann::json write_exam_reports(const ExamResult& exam, const std::vector<std::pair<Image, AnalysisResult>>& images,
                                  const ReportRequest& request, const std::filesystem::path& dir,
                                  const std::string& study);

// ---- building blocks (tested on their own) --------------------------------------------------------

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

/// The radiologist's report of one image as a self-contained HTML page (images embedded as PNG data URIs).
std::string image_report_html(const Image& image, const AnalysisResult& result, const ImageDescription& description);

/// The radiologist's report of an exam (assessment per breast and exam, correlations, one section per image).
std::string exam_report_html(const ExamResult& exam, const std::vector<std::pair<Image, AnalysisResult>>& images);

/// One finding as the patient summary tells it.
struct PatientFinding {
  std::string breast;  ///< "L", "R" or ""
  std::string category;
  double likelihood_of_malignancy = 0;
  std::string morphology, benign_type, distribution;
  int count = 0;
  double extent_mm = 0;
  std::string position;
  bool seen_in_both_views = false;
  /// The description's cautions (ClusterDescription::cautions): told in plain words, so that a second
  /// reader knows to look.
  std::vector<std::string> cautions;
};

struct PatientSummary {
  std::string exam_date;  ///< YYYYMMDD or ""
  int image_count = 0;
  std::vector<PatientFinding> findings;
  Assessment assessment;  ///< overall (image or exam)
  std::vector<std::string> missing_views;
  /// How many notes the reader and the pipeline made about the input files (lossy compression, a pixel
  /// size from PixelSpacing, film, a grey scale put right, ...): the radiologist's report lists them in
  /// technical words; the patient is told, in plain words, that they exist and what they mean.
  int input_notes = 0;
};

PatientSummary patient_summary_for_image(const AnalysisResult& result, const ImageDescription& description);
PatientSummary patient_summary_for_exam(const ExamResult& exam);

/// Plain-language summary for the patient (text and self-contained HTML).
std::string patient_summary_text(const PatientSummary& summary);
std::string patient_summary_html(const PatientSummary& summary);

/// "YYYYMMDD" + months -> "month YYYY" (e.g. "July 2026"); "" when the date is unknown.
std::string month_after(const std::string& yyyymmdd, int months);

}  // namespace calcscope
