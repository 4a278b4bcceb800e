// `calcscope eval`: scores analysis outputs against ground truth (docs/evaluation.md).
#include <fstream>
#include <iostream>
#include <memory>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"
#include "commands.h"

namespace calcscope::cli {

namespace {

struct EvalArgs {
  std::string results;
  std::string mias_truth;
  std::string phantom_truth;
  std::string output;
  std::string images;
  bool allow_missing = false;
  eval::EvalOptions options;
};

void write_text(const std::string& text, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot create the output file (check the directory)", path);
  out << text;
  if (!out) throw Error(ErrorCode::OutputFailed, "could not write the output file", path);
}

int run_eval(const EvalArgs& a) {
  if (a.mias_truth.empty() == a.phantom_truth.empty())
    throw Error(ErrorCode::Usage, "give exactly one of --mias-truth FILE or --phantom-truth DIR");
  const eval::TruthSet truth =
      a.mias_truth.empty() ? eval::read_phantom_truth(a.phantom_truth) : eval::read_mias_truth(a.mias_truth);
  const eval::ResultsDir results = eval::read_results_dir(a.results, a.options.value_field);
  eval::PairOptions pair;
  pair.allow_missing = a.allow_missing;
  if (!a.images.empty()) pair.only = eval::read_image_list(a.images);
  const eval::Pairing pairing = eval::pair_results_with_truth(results, truth, pair);

  eval::EvalReport report = eval::evaluate(pairing.cases, truth.kind, a.options);
  report.notes.insert(report.notes.begin(), pairing.notes.begin(), pairing.notes.end());
  report.notes.insert(report.notes.begin(), results.notes.begin(), results.notes.end());

  std::cout << eval::format_report(report);
  if (!a.output.empty()) {
    write_text(eval::report_to_json(report).dump(2) + "\n", a.output);
    std::cout << "\nwrote " << a.output << "\n";
  }
  return 0;
}

}  // namespace

void register_eval(CLI::App& app, Runner& run) {
  auto args = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Score `calcscope analyze` outputs against ground truth (FROC, AUC)");
  sub->add_option("--results", args->results, "Directory of <stem>.json files written by `calcscope analyze`")
      ->required();
  auto* mias = sub->add_option("--mias-truth", args->mias_truth, "MIAS truth.txt (REFNUM TISSUE CLASS SEVERITY X Y RADIUS)");
  auto* phantom = sub->add_option("--phantom-truth", args->phantom_truth,
                                  "Directory of <stem>.truth.json files written by `calcscope phantom`");
  mias->excludes(phantom);
  sub->add_option("--min-radius-mm", args->options.min_radius_mm,
                  "Smallest truth-circle radius for cluster hits, mm")
      ->capture_default_str();
  sub->add_option("--min-diameter-mm", args->options.min_diameter_mm,
                  "Calcification-level sensitivity counts truth calcifications at least this wide, mm")
      ->capture_default_str();
  sub->add_option("--malignancy-field", args->options.value_field,
                  "Per-cluster numeric field for a benign-vs-malignant AUC (dots walk into objects)");
  sub->add_option("--bootstrap", args->options.bootstrap.resamples, "Bootstrap resamples for the 95% intervals (0 = none)")
      ->capture_default_str();
  sub->add_option("--seed", args->options.bootstrap.seed, "Bootstrap random seed")->capture_default_str();
  sub->add_option("--output", args->output, "Write the evaluation as JSON here");
  sub->add_option("--images", args->images, "Evaluate only the images named in this file (one a line)");
  sub->add_flag("--allow-missing", args->allow_missing, "Skip truth images that have no result file");
  sub->callback([args, &run] { run = [args] { return run_eval(*args); }; });
}

}  // namespace calcscope::cli
