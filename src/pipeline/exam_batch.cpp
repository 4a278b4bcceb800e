#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

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
  // analyse every file on all cores (as run_batch does), then group by study in file order
  struct Analysed {
    FileOutcome outcome;
    std::string study;
    std::optional<std::pair<Image, AnalysisResult>> image;
    std::string error_message;
  };
  std::vector<Analysed> done(files.size());
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = std::max(1, std::min(total, options.jobs > 0 ? options.jobs : hw));
  std::atomic<int> next{0}, finished{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (int i = next++; i < total; i = next++) {
      Analysed& a = done[i];
      a.outcome.input = files[i];
      a.outcome.stem = stems[i];
      a.study = files[i].parent_path().filename().string();
      if (a.study.empty()) a.study = "exam";
      const auto f0 = std::chrono::steady_clock::now();
      try {
        Image image = read_image(files[i], options.read);
        apply_polarity(image, options.polarity, options.analyze.breast.whole_image);
        if (!image.info.study_instance_uid.empty()) a.study = image.info.study_instance_uid;
        AnalysisResult r = analyze(image, options.analyze);
        a.outcome = write_outputs(image, r, files[i], stems[i], options);
        a.image.emplace(std::move(image), std::move(r));
      } catch (const Error& e) {
        a.outcome.error = e.code();
        a.outcome.message = e.file().empty() ? files[i].string() + ": " + e.message() : e.what();
        a.error_message = e.message();
      } catch (const std::exception& e) {
        a.outcome.error = ErrorCode::Internal;
        a.outcome.message = files[i].string() + ": internal error: " + e.what() + " (please report this)";
        a.error_message = std::string("internal error: ") + e.what();
      }
      a.outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
      const int n = ++finished;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress(a.outcome, n, total);
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < jobs; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (int i = 0; i < total; ++i) {
    Analysed& a = done[i];
    Study& st = studies[a.study];
    if (a.image) st.images.push_back(std::move(*a.image));
    else st.unreadable.push_back({stems[i], "", "", a.error_message});
    st.outcomes.push_back(a.outcome);
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
