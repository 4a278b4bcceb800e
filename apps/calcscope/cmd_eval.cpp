// `calcscope eval`: scores analysis outputs against ground truth (docs/evaluation.md).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"
#include "calcscope/report/json_output.h"
#include "calcscope/eval/infn_cases.h"
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
  std::string patches_positive, patches_negative;
  int infn_case_half = -1;  ///< patch mode: only the INFN cases of this half (speck_net_infn_case_half)
  eval::EvalOptions options;
};

void write_text(const std::string& text, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot create the output file (check the directory)", path);
  out << text;
  if (!out) throw Error(ErrorCode::OutputFailed, "could not write the output file", path);
}

/// Patch mode: fraction of positive patches with at least one calcification in the analysis output
/// (the file's own operating point) and of negative patches with none; and the ROC AUC of the patch
/// score = the best calcification score in the file (0 if none), threshold-free when the analysis
/// kept every candidate (`analyze --min-score 0`). The same for clusters (since 1.1.0): patches
/// reporting a cluster, and the AUC of the best cluster score.
int run_patch_eval(const EvalArgs& a) {
  auto pos = eval::read_results_dir(a.patches_positive);
  auto neg = eval::read_results_dir(a.patches_negative);
  if (a.infn_case_half >= 0)
    for (auto* d : {&pos, &neg})
      std::erase_if(d->images, [&](const auto& e) { return speck_net_infn_case_half(e.first) != a.infn_case_half; });
  const int np = static_cast<int>(pos.images.size()), nn = static_cast<int>(neg.images.size());
  if (np == 0 || nn == 0) throw Error(ErrorCode::InvalidData, "no analysis JSON files in the patch result directories");
  // best score per patch (0 if none), of its calcifications or of its clusters
  auto best_scores = [](const eval::ResultsDir& d, bool clusters) {
    std::vector<double> v;
    for (const auto& [stem, r] : d.images) {
      double best = 0;
      if (clusters)
        for (const auto& c : r.clusters) best = std::max(best, c.score);
      else
        for (const auto& c : r.calcifications) best = std::max(best, c.score);
      v.push_back(best);
    }
    return v;
  };
  auto with = [](const eval::ResultsDir& d, bool clusters) {
    int n = 0;
    for (const auto& [stem, r] : d.images) n += clusters ? !r.clusters.empty() : !r.calcifications.empty();
    return n;
  };
  const int tp = with(pos, false), fp = with(neg, false);
  const int tpk = with(pos, true), fpk = with(neg, true);
  std::printf("patches with calcifications (positive): %d, detected in %d = %.3f\n", np, tp, double(tp) / np);
  std::printf("patches without (negative):             %d, quiet in %d = %.3f\n", nn, nn - fp, double(nn - fp) / nn);
  const double auc = eval::auc_mann_whitney(best_scores(pos, false), best_scores(neg, false));
  std::printf("ROC AUC of the patch score (best calcification score; threshold-free with --min-score 0): %.3f\n",
              auc);
  const double auck = eval::auc_mann_whitney(best_scores(pos, true), best_scores(neg, true));
  std::printf("clusters: positive patches reporting one %d = %.3f, negative patches without one %d = %.3f, "
              "ROC AUC of the best cluster score %.3f\n",
              tpk, double(tpk) / np, nn - fpk, double(nn - fpk) / nn, auck);
  if (!a.output.empty()) {
    nlohmann::json j = {{"schema_version", "1.2.0"}, {"kind", "calcscope-patch-eval"},
                        {"positive", {{"patches", np}, {"detected", tp}, {"fraction", double(tp) / np},
                                      {"with_cluster", tpk}, {"with_cluster_fraction", double(tpk) / np}}},
                        {"negative", {{"patches", nn}, {"quiet", nn - fp}, {"fraction", double(nn - fp) / nn},
                                      {"without_cluster", nn - fpk},
                                      {"without_cluster_fraction", double(nn - fpk) / nn}}},
                        {"patch_score_auc", auc},
                        {"infn_case_half", a.infn_case_half >= 0 ? nlohmann::json(a.infn_case_half) : nlohmann::json(nullptr)},
                        {"patch_score", "best calcification score in the file (0 if none)"},
                        {"cluster_score_auc", auck},
                        {"cluster_score", "best cluster score in the file (0 if none)"}};
    write_text(json_text(j, 2) + "\n", a.output);
  }
  return 0;
}

int run_eval(const EvalArgs& a) {
  if (!a.patches_positive.empty() || !a.patches_negative.empty()) return run_patch_eval(a);
  if (a.results.empty()) throw Error(ErrorCode::Usage, "--results DIR is required");
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
    write_text(json_text(eval::report_to_json(report), 2) + "\n", a.output);
    std::cout << "\nwrote " << a.output << "\n";
  }
  return 0;
}

}  // namespace

void register_eval(CLI::App& app, Runner& run) {
  auto args = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Score `calcscope analyze` outputs against ground truth (FROC, AUC)");
  sub->add_option("--results", args->results, "Directory of <stem>.json files written by `calcscope analyze`");
  sub->add_option("--patches-positive", args->patches_positive,
                  "Patch mode: analysis outputs of patches that contain calcifications (e.g. INFN 1/)");
  sub->add_option("--patches-negative", args->patches_negative,
                  "Patch mode: analysis outputs of patches without calcifications (e.g. INFN 0/)");
  sub->add_option("--infn-case-half", args->infn_case_half,
                  "Patch mode: only the INFN cases of this half (1 = the cases the candidate-patch network never saw; "
                  "0 = those whose normal patches it learnt from)")
      ->check(CLI::Range(0, 1));
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
  sub->add_option("--eligible-min-members", args->options.eligible_min_members,
                  "Phantom truth: the eligible-cluster FROC counts clusters with at least this many calcifications "
                  "of --min-diameter-mm or more")
      ->check(CLI::Range(1, 1000))
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
