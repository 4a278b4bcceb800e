// calcscope compare: what changed since the prior mammograms (--prior), and where a first reader and
// calcscope disagree (--reader). Thin wrapper over calcscope::compare_exams / double_read.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "calcscope/compare/compare.h"
#include "calcscope/core/error.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/report/compare_report.h"
#include "calcscope/report/json_output.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct CompareArgs {
  std::string current;
  std::vector<std::string> priors;
  std::string current_date;
  std::vector<std::string> prior_dates;
  std::string reader;
  std::string output = ".";
  double pixel_size_mm = 0;
  double min_score = -1;
  std::string reports;  ///< --report: html,patient,sr (DIR/<stem>.compare.html, .compare.patient.html/.txt, .compare.sr.dcm)
};

int run_compare(const CompareArgs& a) {
  if (a.priors.empty() && a.reader.empty())
    throw Error(ErrorCode::Usage, "give --prior FILE (comparison with priors) and/or --reader FILE (double reading)");
  if (!a.prior_dates.empty() && a.prior_dates.size() != a.priors.size())
    throw Error(ErrorCode::Usage, "give one --prior-date per --prior (" + std::to_string(a.priors.size()) +
                                      " priors, " + std::to_string(a.prior_dates.size()) + " dates)");
  const CompareReportRequest reports = parse_compare_report_request(a.reports);
  if ((reports.html || reports.patient || reports.sr) && a.priors.empty())
    throw Error(ErrorCode::Usage, "--report html,patient,sr writes the comparison with priors: give --prior FILE");
  ReadOptions ro;
  if (a.pixel_size_mm > 0) ro.pixel_size_mm = a.pixel_size_mm;
  AnalyzeOptions ao;
  if (a.min_score >= 0) ao.min_calcification_score = ao.min_cluster_score = a.min_score;
  std::filesystem::create_directories(a.output);
  const Image current = read_image(a.current, ro);
  const std::string stem = std::filesystem::path(a.current).stem().string();

  if (!a.priors.empty()) {
    std::vector<Image> priors;
    for (const auto& p : a.priors) priors.push_back(read_image(p, ro));
    std::vector<CompareImage> prior_exams;
    for (std::size_t i = 0; i < priors.size(); ++i)
      prior_exams.push_back({&priors[i], a.priors[i], a.prior_dates.empty() ? std::string() : a.prior_dates[i]});
    CompareOptions o;
    o.analyze = ao;
    const CompareRun r = compare_exams({&current, a.current, a.current_date}, prior_exams, o);
    const auto out = std::filesystem::path(a.output) / (stem + ".compare.json");
    write_json_file(compare_to_json(r), out);
    for (std::size_t i = 0; i < r.priors.size(); ++i) {
      const auto& g = r.registrations[i];
      std::printf("prior %s (%s): rotation %+.1f deg, scale %.3f, shift (%+.1f, %+.1f) mm, quality %.2f (%s)\n",
                  r.priors[i].file.c_str(), r.priors[i].date.empty() ? "date unknown" : r.priors[i].date.c_str(),
                  g.transform.rotation_deg, g.transform.scale, g.transform.shift_x_mm, g.transform.shift_y_mm,
                  g.quality, g.method.c_str());
      for (const auto& w : g.warnings) std::fprintf(stderr, "calcscope: warning: %s\n", w.c_str());
    }
    std::printf("change      x_px    y_px    now  then  stable_since  reason\n");
    for (const auto& c : r.change.clusters)
      std::printf("%-10s  %-6.0f  %-6.0f  %-3d  %-4d  %-12s  %s\n", c.change.c_str(), c.current_px.x, c.current_px.y,
                  c.count_now, c.count_then, c.stable_since.empty() ? "-" : c.stable_since.c_str(), c.reason.c_str());
    std::printf("assessment: %s -> %s%s%s\n", r.assessment.category_before.empty() ? "-" : r.assessment.category_before.c_str(),
                r.assessment.category_after.empty() ? "-" : r.assessment.category_after.c_str(),
                r.assessment.recommendation_text.empty() ? "" : ": ", r.assessment.recommendation_text.c_str());
    std::printf("wrote %s\n", out.string().c_str());
    const CompareReportFiles files = write_compare_reports(r, reports, a.output, stem);
    for (const auto& w : files.warnings) std::fprintf(stderr, "calcscope: warning: %s\n", w.c_str());
    for (const auto& f : files.written) {
      if (f.extension() == ".dcm")
        std::printf("wrote %s (%d clusters, %d temporal links)\n", f.string().c_str(), files.sr_clusters,
                    files.sr_temporal_links);
      else
        std::printf("wrote %s\n", f.string().c_str());
    }
  }
  if (!a.reader.empty()) {
    const auto findings = read_reader_findings(a.reader);
    const DoubleReadingRun r = double_read(current, a.current, findings, a.reader, ao);
    const auto out = std::filesystem::path(a.output) / (stem + ".reading.json");
    write_json_file(reading_to_json(r), out);
    std::cout << reading_table(r.comparison);
    std::printf("wrote %s\n", out.string().c_str());
  }
  return 0;
}
}  // namespace

void register_compare(CLI::App& app, Runner& run) {
  auto a = std::make_shared<CompareArgs>();
  auto* sub = app.add_subcommand(
      "compare", "Compare with prior mammograms (--prior) and/or with a first reader's findings (--reader)");
  sub->add_option("--current", a->current, "the current image (DICOM, PNG, PGM or TIFF)")->required();
  sub->add_option("--prior", a->priors, "a prior image of the same breast and view (repeatable)");
  sub->add_option("--current-date", a->current_date, "exam date YYYY-MM-DD (default: DICOM StudyDate)");
  sub->add_option("--prior-date", a->prior_dates, "exam date of each --prior, in the same order (default: StudyDate)");
  sub->add_option("--reader", a->reader,
                  "first reader's findings: JSON {\"findings\":[{\"x\",\"y\"}...]}, CSV x,y,radius_mm,category, or "
                  "a Mammography CAD SR");
  sub->add_option("-o,--output", a->output, "output directory (created if needed)")->required();
  sub->add_option("--pixel-size", a->pixel_size_mm, "pixel size in mm (required for PNG/PGM/TIFF)")
      ->check(CLI::Range(0.005, 2.0));
  sub->add_option("--report", a->reports,
                  "extra outputs, comma-separated: html = radiologist's comparison report (DIR/<current "
                  "stem>.compare.html), patient = patient summary (.compare.patient.html and .txt), sr = DICOM "
                  "Mammography CAD SR with the temporal comparison (.compare.sr.dcm)");
  sub->add_option("--min-score", a->min_score, "score cut for reported calcifications and clusters (default: recommended)")
      ->check(CLI::Range(0.0, 1.0));
  sub->callback([a, &run] { run = [a] { return run_compare(*a); }; });
}

}  // namespace calcscope::cli
