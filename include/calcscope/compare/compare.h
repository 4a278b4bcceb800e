// The whole comparison of a current image with its priors: analyse every image with the same
// options, describe and assess them, register each prior to the current image, match and label
// the clusters, and work out what that means for the assessment. The CLI `calcscope compare` is a
// thin layer over compare_exams() and compare_to_json().
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/assess/assessment.h"
#include "calcscope/compare/assess_change.h"
#include "calcscope/compare/change.h"
#include "calcscope/compare/double_reading.h"
#include "calcscope/compare/register.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {

/// Version of the comparison JSON (<stem>.compare.json); bump on every change of fields.
inline constexpr const char* kCompareSchemaVersion = "1.2.0";
/// Version of the double-reading JSON (<stem>.reading.json).
inline constexpr const char* kReadingSchemaVersion = "1.0.0";

struct CompareOptions {
  /// Analysis options for every image. Its min_cluster_score is the reporting cut: the images are
  /// analysed keeping every cluster so that a finding just below the cut on one exam still counts
  /// as the counterpart of one above it on the other.
  AnalyzeOptions analyze;
  RegistrationParams registration;
  ChangeParams change;              ///< report_min_cluster_score is set from `analyze`
  AssessChangeParams assess;
};

struct CompareImage {
  const Image* image = nullptr;
  std::string file;
  std::string date;  ///< "" = take it from image->info.study_date (DICOM) when present
};

struct CompareRun {
  CompareImage current;
  std::vector<CompareImage> priors;             ///< in the order of change.prior_dates (most recent first)
  std::vector<RegistrationResult> registrations;  ///< one per prior, same order
  AnalysisResult current_analysis;
  std::vector<AnalysisResult> prior_analyses;
  ImageDescription current_description;      ///< described and assessed on its own
  ChangeResult change;
  AssessmentChange assessment;
  double report_min_cluster_score = 0;
};

/// Runs the comparison. Throws Error(Usage) without priors, and whatever analysis or registration throws.
CompareRun compare_exams(const CompareImage& current, const std::vector<CompareImage>& priors,
                         const CompareOptions& options = {});

/// The <stem>.compare.json document (schema_version, current, priors, clusters, assessment).
nlohmann::json compare_to_json(const CompareRun& run);

/// Double reading of one image: calcscope's clusters (analysed with every cluster kept, marks at
/// the options' cluster cut) against the reader's findings on that image.
struct DoubleReadingRun {
  std::string file, reader_file;
  AnalysisResult analysis;
  ImageDescription description;
  int reader_findings_total = 0;     ///< in the reader's file
  int reader_findings_on_image = 0;  ///< of those, on this image
  double cad_min_score = 0;
  ReadingComparison comparison;
};

DoubleReadingRun double_read(const Image& image, const std::string& file, const std::vector<ReaderFinding>& reader,
                             const std::string& reader_file, const AnalyzeOptions& options = {},
                             const DoubleReadingParams& params = {});

/// The <stem>.reading.json document.
nlohmann::json reading_to_json(const DoubleReadingRun& run);

}  // namespace calcscope
