// Orchestration of a comparison with priors (docs/compare.md).
#include "calcscope/compare/compare.h"

#include <algorithm>
#include <numeric>

#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"

namespace calcscope {
namespace {

std::string exam_date(const CompareImage& e) {
  if (!e.date.empty()) return normalise_date(e.date);
  if (e.image && !e.image->info.study_date.empty()) return normalise_date(e.image->info.study_date);
  return {};
}

}  // namespace

CompareRun compare_exams(const CompareImage& current, const std::vector<CompareImage>& priors, const CompareOptions& o) {
  if (!current.image) throw Error(ErrorCode::Usage, "comparison needs a current image");
  if (priors.empty()) throw Error(ErrorCode::Usage, "comparison needs at least one prior image (--prior FILE)");
  CompareRun run;
  run.current = current;
  run.current.date = exam_date(current);
  run.report_min_cluster_score =
      o.analyze.min_cluster_score >= 0 ? o.analyze.min_cluster_score
                                       : default_cluster_min_score(current.image->pixel_size_mm);
  AnalyzeOptions keep_all = o.analyze;
  keep_all.min_cluster_score = 0;  // matching sees every cluster; the cut applies to what is reported
  // ... and the calcifications that count as evidence of an ungrouped cluster
  const double calc_cut = o.analyze.min_calcification_score >= 0 ? o.analyze.min_calcification_score
                                                                  : default_calcification_min_score(current.image->pixel_size_mm);
  keep_all.min_calcification_score = std::min(calc_cut, o.change.evidence_min_calcification_score);

  run.current_analysis = analyze(*current.image, keep_all);
  run.current_description = describe_image(*current.image, run.current_analysis);
  assess_image(run.current_description, current.image->info.laterality);
  ExamFindings now = findings_from(run.current_analysis, current.file, run.current.date);
  now.descriptions = run.current_description.clusters;
  now.image = current.image;  // pixel evidence at the mapped member positions

  std::vector<PriorExam> prior_exams;
  std::vector<CompareImage> dated;
  std::vector<RegistrationResult> regs;
  std::vector<AnalysisResult> analyses;
  for (const auto& p : priors) {
    if (!p.image) throw Error(ErrorCode::Usage, "a prior image is missing", p.file);
    CompareImage e = p;
    e.date = exam_date(p);
    RegistrationResult reg = register_images(*p.image, *current.image, o.registration);
    AnalysisResult a = analyze(*p.image, keep_all);
    ImageDescription d = describe_image(*p.image, a);
    assess_image(d, p.image->info.laterality);
    PriorExam pe;
    pe.findings = findings_from(a, p.file, e.date);
    pe.findings.descriptions = d.clusters;
    pe.findings.image = p.image;
    pe.registration = reg;
    prior_exams.push_back(std::move(pe));
    dated.push_back(e);
    regs.push_back(std::move(reg));
    analyses.push_back(std::move(a));
  }
  ChangeParams cp = o.change;
  cp.report_min_cluster_score = run.report_min_cluster_score;
  run.change = compare_findings(now, prior_exams, cp);
  // compare_findings sorts the priors (most recent first when all are dated): follow its order
  std::vector<std::size_t> order(priors.size());
  std::iota(order.begin(), order.end(), 0);
  const bool all_dated = std::all_of(dated.begin(), dated.end(), [](const CompareImage& e) { return !e.date.empty(); });
  if (all_dated)
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return dated[a].date > dated[b].date; });
  for (std::size_t i : order) {
    run.priors.push_back(dated[i]);
    run.registrations.push_back(regs[i]);
    run.prior_analyses.push_back(analyses[i]);
  }
  run.assessment = assess_changes(run.change, run.current_description.clusters, o.assess);
  return run;
}

nlohmann::json compare_to_json(const CompareRun& run) {
  nlohmann::json j;
  j["schema_version"] = kCompareSchemaVersion;
  j["kind"] = "calcscope-compare";
  j["current"] = {{"file", run.current.file},
                  {"date", run.current.date},
                  {"width", run.current_analysis.image_meta_only.width},
                  {"height", run.current_analysis.image_meta_only.height},
                  {"pixel_size_mm", run.current_analysis.image_meta_only.pixel_size_mm},
                  {"clusters_detected", run.current_analysis.clusters.size()}};
  auto& priors = j["priors"] = nlohmann::json::array();
  for (std::size_t i = 0; i < run.priors.size(); ++i) {
    const auto& r = run.registrations[i];
    priors.push_back({{"file", run.priors[i].file},
                      {"date", run.priors[i].date},
                      {"pixel_size_mm", run.prior_analyses[i].image_meta_only.pixel_size_mm},
                      {"transform", to_json(r.transform)},
                      {"matrix_px", r.matrix_px},
                      {"registration_quality", r.quality},
                      {"registration_method", r.method},
                      {"mask_overlap", r.mask_overlap},
                      {"warnings", r.warnings}});
  }
  auto& clusters = j["clusters"] = nlohmann::json::array();
  for (const auto& c : run.change.clusters) clusters.push_back(to_json(c));
  j["assessment"] = to_json(run.assessment);
  j["assessment"]["current_alone"] = to_json(run.current_description.assessment);
  j["report_min_cluster_score"] = run.report_min_cluster_score;
  j["models"] = run.current_analysis.models;
  return j;
}

DoubleReadingRun double_read(const Image& image, const std::string& file, const std::vector<ReaderFinding>& reader,
                             const std::string& reader_file, const AnalyzeOptions& options,
                             const DoubleReadingParams& params) {
  DoubleReadingRun run;
  run.file = file;
  run.reader_file = reader_file;
  run.cad_min_score =
      options.min_cluster_score >= 0 ? options.min_cluster_score : default_cluster_min_score(image.pixel_size_mm);
  AnalyzeOptions keep_all = options;
  keep_all.min_cluster_score = 0;  // sub-threshold clusters are reported beside reader-only findings
  run.analysis = analyze(image, keep_all);
  run.description = describe_image(image, run.analysis);
  assess_image(run.description, image.info.laterality);
  run.reader_findings_total = static_cast<int>(reader.size());
  std::vector<ReaderFinding> on_image;
  for (const auto& f : reader)
    if (finding_on_image(f, file, image.info.sop_instance_uid)) on_image.push_back(f);
  run.reader_findings_on_image = static_cast<int>(on_image.size());
  DoubleReadingParams p = params;
  p.cad_min_score = run.cad_min_score;
  run.comparison = compare_readings(on_image, run.analysis.clusters, image.pixel_size_mm, run.description.clusters, p);
  return run;
}

nlohmann::json reading_to_json(const DoubleReadingRun& run) {
  nlohmann::json j = to_json(run.comparison);
  j["schema_version"] = kReadingSchemaVersion;
  j["kind"] = "calcscope-double-reading";
  j["current"] = {{"file", run.file},
                  {"width", run.analysis.image_meta_only.width},
                  {"height", run.analysis.image_meta_only.height},
                  {"pixel_size_mm", run.analysis.image_meta_only.pixel_size_mm}};
  j["reader"] = {{"file", run.reader_file},
                 {"findings_total", run.reader_findings_total},
                 {"findings_on_this_image", run.reader_findings_on_image}};
  j["cad_min_score"] = run.cad_min_score;
  j["models"] = run.analysis.models;
  return j;
}

}  // namespace calcscope
