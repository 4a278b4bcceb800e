// Benign vs malignant on MIAS calcification clusters (include/calcscope/train/describe_mias.h).
#include "train/xgb_binary.h"
#include "calcscope/train/describe_mias.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>

#include "calcscope/assess/assess.h"
#include "calcscope/assess/describe.h"
#include "calcscope/core/error.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/eval/eval.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/train/train.h"

namespace calcscope {
namespace fs = std::filesystem;

namespace {
constexpr double kMiasPixelMm = 0.2;

int pair_of(const std::string& stem) { return train_detail::mias_pair_index(stem); }

/// The truth circle's calcifications described and assessed as one cluster.
MiasMalignancyCase assess_circle(const AnalysisResult& analysed, const eval::TruthCluster& t, const ScoringModels& models,
                                 const MiasMalignancyOptions& o) {
  MiasMalignancyCase c;
  c.severity = t.severity;
  const double px = analysed.image_meta_only.pixel_size_mm;
  const double r_px = std::max(t.radius_px, o.min_radius_mm / px);
  std::vector<Calcification> inside;
  for (const auto& k : analysed.calcifications)
    if (std::hypot(k.x - t.x, k.y - t.y) <= r_px) inside.push_back(k);
  c.candidates = static_cast<int>(inside.size());
  std::sort(inside.begin(), inside.end(), [](const Calcification& a, const Calcification& b) { return a.score > b.score; });
  std::vector<Calcification> members;
  for (const auto& k : inside)
    if (k.score >= o.min_member_score) members.push_back(k);
  if (static_cast<int>(members.size()) < o.min_members)
    members.assign(inside.begin(), inside.begin() + std::min<std::ptrdiff_t>(o.min_members, std::ssize(inside)));
  c.members = static_cast<int>(members.size());
  if (members.empty()) {
    c.likelihood = 0;  // nothing found in the circle: ranked lowest, reported in the table
    c.category = "1";
    return c;
  }
  // One cluster of all members (link long enough to join the whole circle), scored by the cluster model.
  ClusterParams cp;
  cp.link_distance_mm = 2 * r_px * px + 1;
  cp.min_count = 1;
  cp.min_calcification_score = 0;
  cp.max_diameter_mm = 1e9;
  cp.max_extent_mm = 1e9;
  cp.gap_ratio = 0;  // one cluster, whatever gaps the circle holds
  std::vector<Cluster> cl = find_clusters(members, px, cp, 0);
  if (cl.size() != 1)
    throw Error(ErrorCode::Internal, "MIAS malignancy: the circle's members did not form one cluster");
  score_clusters(cl, members, models);
  AnalysisResult r = analysed;
  r.calcifications = members;
  r.clusters = cl;
  ImageDescription d = describe_image(Image{}, r);
  ClusterDescription& cd = d.clusters.at(0);
  assess_cluster(cd);
  c.likelihood = cd.likelihood_of_malignancy;
  c.morphology = cd.morphology == "typically_benign" ? cd.benign_type : cd.morphology;
  c.distribution = cd.distribution;
  c.category = cd.category;
  return c;
}

double auc_of(const std::vector<const MiasMalignancyCase*>& cases) {
  std::vector<double> m, b;
  for (const auto* c : cases) (c->severity == "M" ? m : b).push_back(c->likelihood);
  return eval::auc_mann_whitney(m, b);
}
}  // namespace

MiasMalignancyResult evaluate_mias_malignancy(const MiasMalignancyOptions& o) {
  const fs::path truth_file = o.mias_dir / "truth.txt";
  if (!fs::exists(truth_file))
    throw Error(ErrorCode::FileNotFound, "MIAS truth.txt not found: pass the mini-MIAS directory", truth_file.string());
  const eval::TruthSet truth = eval::read_mias_truth(truth_file);
  const ScoringModels& models = o.heuristic_detector ? heuristic_models() : default_models();
  AnalyzeOptions ao;
  ao.min_calcification_score = 0;
  ao.min_cluster_score = 0;
  MiasMalignancyResult res;
  for (const auto& [stem, ti] : truth.images) {
    std::vector<const eval::TruthCluster*> located;
    for (const auto& t : ti.clusters)
      if (t.locatable && (t.severity == "B" || t.severity == "M")) located.push_back(&t);
    if (located.empty()) continue;
    ReadOptions ro;
    ro.pixel_size_mm = kMiasPixelMm;
    const Image image = read_image(o.mias_dir / (stem + ".png"), ro);
    const AnalysisResult analysed = analyze(image, ao, models);
    for (const auto* t : located) {
      MiasMalignancyCase c = assess_circle(analysed, *t, models, o);
      c.stem = stem;
      c.fold = mias_fold(stem, o.folds);
      (c.severity == "M" ? res.malignant : res.benign) += 1;
      res.cases.push_back(std::move(c));
    }
  }
  if (res.malignant == 0 || res.benign == 0)
    throw Error(ErrorCode::InvalidData, "MIAS malignancy: need both benign and malignant located clusters",
                truth_file.string());
  // Out-of-fold scores: the likelihood model has no parameter fitted to MIAS, so the model applied to
  // each fold is the same and the pooled out-of-fold AUC is computed over all cases.
  std::vector<const MiasMalignancyCase*> all;
  for (const auto& c : res.cases) all.push_back(&c);
  res.auc = auc_of(all);
  // Bootstrap over patient pairs (a woman's two images stay together).
  std::map<int, std::vector<const MiasMalignancyCase*>> by_pair;
  for (const auto* c : all) by_pair[pair_of(c->stem)].push_back(c);
  std::vector<int> pairs;
  for (const auto& [p, v] : by_pair) pairs.push_back(p);
  std::mt19937 rng(20240601u);
  std::uniform_int_distribution<std::size_t> pick(0, pairs.size() - 1);
  std::vector<double> aucs;
  for (int b = 0; b < o.bootstrap; ++b) {
    std::vector<const MiasMalignancyCase*> s;
    for (std::size_t i = 0; i < pairs.size(); ++i)
      for (const auto* c : by_pair[pairs[pick(rng)]]) s.push_back(c);
    const bool m = std::any_of(s.begin(), s.end(), [](const auto* c) { return c->severity == "M"; });
    const bool bn = std::any_of(s.begin(), s.end(), [](const auto* c) { return c->severity == "B"; });
    if (m && bn) aucs.push_back(auc_of(s));
  }
  std::sort(aucs.begin(), aucs.end());
  if (!aucs.empty()) {
    res.ci_low = aucs[static_cast<std::size_t>(0.025 * static_cast<double>(aucs.size() - 1))];
    res.ci_high = aucs[static_cast<std::size_t>(0.975 * static_cast<double>(aucs.size() - 1))];
  }
  std::ostringstream os;
  os << "| image | fold | truth | candidates in circle | members | morphology | distribution | category | likelihood |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : res.cases)
    os << "| " << c.stem << " | " << c.fold << " | " << c.severity << " | " << c.candidates << " | " << c.members
       << " | " << c.morphology << " | " << c.distribution << " | " << c.category << " | " << std::fixed
       << std::setprecision(3) << c.likelihood << " |\n";
  os << "\nBenign vs malignant, likelihood of malignancy, " << o.folds
     << "-fold patient-pair cross-validation (out-of-fold): ROC AUC " << std::fixed << std::setprecision(3) << res.auc
     << "  95% CI " << res.ci_low << " - " << res.ci_high << " (" << o.bootstrap
     << " bootstrap resamples of patient pairs)  n = " << res.cases.size() << " (" << res.malignant
     << " malignant, " << res.benign << " benign); detector: "
     << (o.heuristic_detector ? "heuristic (untrained) models" : "embedded models") << "\n";
  res.text = os.str();
  return res;
}

}  // namespace calcscope
