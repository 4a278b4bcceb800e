// Batch analysis: many files or directories, all cores, continues past bad files.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "calcscope/core/error.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/report/reports.h"

namespace calcscope {

/// How stored grey levels map to density. Auto: DICOM follows its PhotometricInterpretation; a raster
/// file (PNG/PGM/TIFF, which has no such tag) is inverted, with a warning, when its background is
/// brighter than the tissue (polarity_evidence(); never with --whole-image, where there is no
/// background). Normal / Inverted force it for every input.
enum class Polarity { Auto, Normal, Inverted };

/// Applies the polarity rule above to a freshly read image (inverts in place, adds a warning).
void apply_polarity(Image& image, Polarity polarity, bool whole_image);

struct BatchOptions {
  ReadOptions read;
  AnalyzeOptions analyze;
  std::filesystem::path output_dir;
  bool overlay = false;       ///< also write <stem>.overlay.png
  ReportRequest reports;      ///< html, patient, sr
  int jobs = 0;               ///< worker threads; 0 = all cores
  bool recursive = false;     ///< descend into sub-directories
  Polarity polarity = Polarity::Auto;
};

struct FileOutcome {
  std::filesystem::path input;
  std::string stem;                ///< output name stem (input file name without extension, made unique)
  bool ok = false;
  ErrorCode error = ErrorCode::Ok;
  std::string message;             ///< error message (names the file and what to do)
  int calcifications = 0;
  int clusters = 0;
  double seconds = 0;
  std::vector<std::string> warnings;
  std::vector<std::filesystem::path> outputs;
  std::filesystem::path sr;        ///< DIR/<stem>.sr.dcm when the SR report was written ("" otherwise)
  std::string category;            ///< the image's BI-RADS category (assessment.category) when analysed
};

struct BatchSummary {
  std::vector<FileOutcome> files;
  int skipped_non_images = 0;  ///< files skipped while expanding directories (.json, .txt, ...)
  double seconds = 0;
  int failed() const;
  /// 0 all ok; 1 a batch of several with some failures; a single input's own error code otherwise.
  int exit_code() const;
};

/// Expands directories (sorted, non-image extensions skipped) and keeps files as given.
/// Throws Error(FileNotFound) for a path that does not exist only when `strict`; otherwise the
/// missing path becomes a failed entry in the batch.
std::vector<std::filesystem::path> expand_inputs(const std::vector<std::filesystem::path>& inputs, bool recursive,
                                                 int* skipped = nullptr);

/// Output stem for an input: file name without its (last) extension; ".dcm.gz"-style double
/// extensions are not special. Duplicates get "_2", "_3", ...
std::vector<std::string> unique_stems(const std::vector<std::filesystem::path>& files);

using ProgressFn = std::function<void(const FileOutcome& done, int finished, int total)>;

/// Analyses every input and writes DIR/<stem>.json (+ overlay/reports). Never throws for a bad
/// input file: it is reported in the summary. Throws Error(OutputFailed) when DIR cannot be created.
BatchSummary run_batch(const std::vector<std::filesystem::path>& inputs, const BatchOptions& options,
                       const ProgressFn& progress = {});

/// Writes DIR/<stem>.json (with description and assessment), the overlay and requested reports.
FileOutcome write_outputs(const Image& image, const AnalysisResult& result, const std::filesystem::path& input,
                          const std::string& stem, const BatchOptions& options);

/// Analyses one file and writes its outputs; throws Error on bad input. display_name: what the
/// outputs call the file (default: input; the server passes the uploaded file's name, not its
/// staging path).
FileOutcome analyze_file(const std::filesystem::path& input, const std::string& stem, const BatchOptions& options,
                         const std::filesystem::path& display_name = {});

}  // namespace calcscope

namespace calcscope {

struct ExamOutcome {
  std::string study;             ///< output name: Study Instance UID, else the inputs' directory name
  std::vector<FileOutcome> files;
  std::string category;          ///< exam-level BI-RADS category
  std::vector<std::filesystem::path> outputs;
};

/// Exam mode: every input is analysed as in run_batch (per-image outputs are written too), then the
/// images are grouped by Study Instance UID (raster inputs: one study per directory) and each study
/// is assessed together (CC-MLO correlation, per-breast and exam category; category 0 when a view
/// is missing or unreadable) and written as DIR/<study>.exam.json (+ requested reports).
std::vector<ExamOutcome> run_exams(const std::vector<std::filesystem::path>& inputs, const BatchOptions& options,
                                   const ProgressFn& progress = {});

}  // namespace calcscope
