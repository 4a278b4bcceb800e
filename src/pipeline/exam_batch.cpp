#include <map>

#include "calcscope/assess/exam.h"
#include "calcscope/pipeline/batch.h"
#include "calcscope/report/json_output.h"

namespace calcscope {

namespace fs = std::filesystem;

std::vector<ExamOutcome> run_exams(const std::vector<fs::path>& inputs, const BatchOptions& options,
                                   const ProgressFn& progress) {
  std::error_code ec;
  fs::create_directories(options.output_dir, ec);
  if (!fs::is_directory(options.output_dir))
    throw Error(ErrorCode::OutputFailed, "cannot create the output directory", options.output_dir.string());
  const auto files = expand_inputs(inputs, options.recursive);
  const auto stems = unique_stems(files);
  struct Study {
    std::vector<std::pair<Image, AnalysisResult>> images;
    std::vector<UnreadableImage> unreadable;
    std::vector<FileOutcome> outcomes;
  };
  std::map<std::string, Study> studies;
  const int total = static_cast<int>(files.size());
  for (int i = 0; i < total; ++i) {
    FileOutcome o;
    o.input = files[i];
    o.stem = stems[i];
    std::string study = files[i].parent_path().filename().string();
    if (study.empty()) study = "exam";
    try {
      Image image = read_image(files[i], options.read);
      if (!image.info.study_instance_uid.empty()) study = image.info.study_instance_uid;
      AnalysisResult r = analyze(image, options.analyze);
      o = write_outputs(image, r, files[i], stems[i], options);
      studies[study].images.emplace_back(std::move(image), std::move(r));
    } catch (const Error& e) {
      o.error = e.code();
      o.message = e.what();
      studies[study].unreadable.push_back({stems[i], "", "", e.message()});
    }
    studies[study].outcomes.push_back(o);
    if (progress) progress(o, i + 1, total);
  }
  std::vector<ExamOutcome> out;
  for (auto& [name, s] : studies) {
    ExamOutcome eo;
    eo.study = name;
    eo.files = s.outcomes;
    const ExamResult exam = assess_exam(s.images, s.unreadable);
    write_exam_reports(exam, s.images, options.reports, options.output_dir, name);
    eo.category = exam.assessment.category;
    eo.outputs.push_back(options.output_dir / (name + ".exam.json"));
    out.push_back(std::move(eo));
  }
  return out;
}

}  // namespace calcscope
