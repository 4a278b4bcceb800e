// Fitting the candidate-patch network (detect/speck_net.h) for `calcscope train` (session 26).
//
// Data: `speck_net_phantoms` phantoms on seeds of their own (speck_net_seed...), at 70 and 100 um in
// turn, 110 x 140 mm, 1-3 random clusters and 3-6 scattered benign calcifications each, every second
// pair with the digital family's varied imaging (and every third of those with the lumpy texture).
// Every candidate the detector finds is a patch: positive when it hits an inserted compact
// calcification (up to 1 mm, not elongated; eval::calcification_hit, the training labels' rule),
// negative when no inserted calcification is within 1 mm of its edge (tissue), 15 % of those kept
// (a deterministic hash); a hit on a larger or elongated calcification, and the halo around one, are
// neither. The network is fitted once on half of the phantoms and scored on the other half (the
// area under the ROC of the network alone, recorded in the model card), then on all of them.
// Since session 28 (TrainOptions::speck_net_infn_dir) the final fit also reads real tissue: every
// candidate of the INFN normal patches of half the cases, at an assumed 0.07 and 0.1 mm, as a negative
// (4 copies); the network alone is then scored on the other half of the cases (a patch's score: its
// best candidate's logit), for the model card.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <filesystem>
#include <functional>

#include "calcscope/core/error.h"
#include "calcscope/detect/breast.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/detect/speck_net.h"
#include "calcscope/eval/eval.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/core/hash.h"
#include "calcscope/eval/infn_cases.h"
#include "calcscope/train/train.h"
#include "train/train_common.h"

namespace calcscope::train_detail {

namespace {

struct Patches {
  std::vector<std::vector<float>> patches;
  std::vector<int> labels;
};

/// The candidates of the INFN patches of one half of the cases, found at an assumed pixel size, as network
/// patches: one entry per patch file (label 0 from 0/, 1 from 1/), files in name order.
struct InfnPatch {
  std::vector<std::vector<float>> patches;
  int label = 0;
};
std::vector<InfnPatch> infn_candidates(const std::filesystem::path& dir, int half, double px, std::vector<int> labels,
                                       const CalcificationParams& cp, const BreastParams& breast) {
  std::vector<InfnPatch> out;
  const auto& names = calcification_feature_names();
  const auto k_noise = static_cast<std::size_t>(std::find(names.begin(), names.end(), "log_noise") - names.begin());
  for (int label : labels) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir / std::to_string(label))) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      if (speck_net_infn_case_half(f.filename().string()) != half) continue;
      ReadOptions ro;
      ro.pixel_size_mm = px;
      const Image im = read_image(f, ro);
      BreastParams b = breast;
      b.whole_image = true;  // a patch: all tissue, as analyze takes it
      const auto cands = detect_calcifications_for_analysis(im, segment_breast(im, b), cp);
      InfnPatch ip;
      ip.label = label;
      for (const auto& c : cands)
        ip.patches.push_back(speck_net_patch(im, c.x, c.y, std::pow(10.0, c.features[k_noise])));
      out.push_back(std::move(ip));
    }
  }
  return out;
}

/// ROC AUC of the network alone on patches: each patch scored by its best candidate's logit.
double best_logit_auc(const SpeckNet& net, const std::vector<InfnPatch>& ps) {
  std::vector<double> pos, neg;
  for (const auto& p : ps) {
    double m = -50;
    for (double v : net.logits(p.patches)) m = std::max(m, v);
    (p.label ? pos : neg).push_back(m);
  }
  return pos.empty() || neg.empty() ? 0.5 : eval::auc_mann_whitney(pos, neg);
}

}  // namespace

PhantomSpec speck_net_phantom_spec(int i, std::uint64_t seed) {
  PhantomSpec spec;
  spec.seed = seed;
  spec.pixel_size_mm = i % 2 ? 0.1 : 0.07;
  spec.width_mm = 110;
  spec.height_mm = 140;
  spec.view = (i % 4 < 2) ? "MLO" : "CC";
  spec.laterality.assign(1, i % 8 < 4 ? 'L' : 'R');  // a char: GCC 12 warns (-Wrestrict) on the literal
  spec.density = 0.2 + 0.6 * ((i * 37) % 11) / 10.0;
  spec.random_clusters = 1 + i % 3;
  spec.scattered_benign = 3 + i % 4;
  spec.noise = 0.8 + 0.1 * (i % 5);
  if ((i / 2) % 2) {
    const PhantomImaging v = phantom_imaging_variety(i);
    spec.texture_beta = v.texture_beta;
    spec.blur_mm = v.blur_mm;
    spec.noise = v.noise;
    if ((i / 4) % 3 == 1) spec.texture = "lumpy";
  }
  return spec;
}

SpeckNetFitResult fit_training_speck_net(const TrainOptions& o, const std::function<void(const std::string&)>& log) {
  const int n = o.speck_net_phantoms;
  if (!o.speck_net_infn_dir.empty())  // before the phantoms: a wrong directory fails at once
    for (const char* sub : {"0", "1"})
      if (!std::filesystem::is_directory(o.speck_net_infn_dir / sub))
        throw Error(ErrorCode::FileNotFound,
                    std::string("--speck-net-infn needs the INFN patches directory with 0/ and 1/; ") + sub +
                        "/ is missing",
                    o.speck_net_infn_dir.string());
  BreastParams breast = o.analyze.breast;
  breast.remove_dark_edge_bands = false;  // as the training images
  const SpeckNet none;
  CalcificationParams cp = o.analyze.calcification;
  cp.speck_net = &none;
  std::vector<Patches> per(static_cast<std::size_t>(std::max(0, n)));
  parallel_for(n, o.threads, [&](int i) {
    const PhantomSpec spec = speck_net_phantom_spec(i, o.speck_net_seed + static_cast<std::uint64_t>(i));
    const Phantom ph = make_phantom(spec);
    const auto region = segment_breast(ph.image, breast);
    const auto cands = detect_calcifications_for_analysis(ph.image, region, cp);
    const auto truth = eval::parse_phantom_truth(phantom_truth_to_json(ph), std::string("speck").append(std::to_string(spec.seed)));
    const double px = ph.image.pixel_size_mm;
    const auto& names = calcification_feature_names();
    const auto k_noise = static_cast<std::size_t>(std::find(names.begin(), names.end(), "log_noise") - names.begin());
    auto& out = per[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < cands.size(); ++k) {
      const auto& c = cands[k];
      bool hit = false, near = false, other = false;
      for (const auto& t : truth.calcifications) {
        const bool h = eval::calcification_hit(c.x, c.y, t, px);
        (t.diameter_mm <= 1.0 && t.length_mm <= t.diameter_mm ? hit : other) |= h;
        near |= std::hypot(c.x - t.x, c.y - t.y) * px <= std::max(t.diameter_mm, t.length_mm) / 2 + 1.0;
      }
      if (other && !hit) continue;
      if (!hit && (near || splitmix64(spec.seed * 1000003ULL + k) % 1000 >= 150)) continue;
      out.patches.push_back(speck_net_patch(ph.image, c.x, c.y, std::pow(10.0, c.features[k_noise])));
      out.labels.push_back(hit ? 1 : 0);
    }
  });
  SpeckNetSettings settings;
  settings.epochs = o.speck_net_epochs;
  // real tissue (session 28): the normal INFN patches of half the cases as negatives, the other half kept out
  Patches infn_negatives;
  std::vector<InfnPatch> kept_out_07, kept_out_10;
  const bool infn = !o.speck_net_infn_dir.empty();
  if (infn) {
    for (double ipx : {0.07, 0.1})
      for (const auto& ip : infn_candidates(o.speck_net_infn_dir, 0, ipx, {0}, cp, breast))
        for (int r = 0; r < o.speck_net_infn_copies; ++r)
          for (const auto& q : ip.patches) infn_negatives.patches.push_back(q), infn_negatives.labels.push_back(0);
    kept_out_07 = infn_candidates(o.speck_net_infn_dir, 1, 0.07, {0, 1}, cp, breast);
    kept_out_10 = infn_candidates(o.speck_net_infn_dir, 1, 0.1, {0, 1}, cp, breast);
  }
  // half / half: the network alone, fitted on one half of the phantoms and scored on the other
  Patches a, b, all;
  for (int i = 0; i < n; ++i) {
    auto& p = per[static_cast<std::size_t>(i)];
    Patches& half = splitmix64(static_cast<std::uint64_t>(i) + 17) % 2 ? b : a;
    half.patches.insert(half.patches.end(), p.patches.begin(), p.patches.end());
    half.labels.insert(half.labels.end(), p.labels.begin(), p.labels.end());
  }
  const SpeckNet on_a = SpeckNet::fit(a.patches, a.labels, settings);
  const auto scored = on_a.logits(b.patches);
  std::vector<double> pos, neg;
  for (std::size_t k = 0; k < scored.size(); ++k) (b.labels[k] ? pos : neg).push_back(scored[k]);
  const double auc = pos.empty() || neg.empty() ? 0.5 : eval::auc_mann_whitney(pos, neg);
  a = {};
  b = {};
  for (auto& p : per) {
    std::move(p.patches.begin(), p.patches.end(), std::back_inserter(all.patches));
    all.labels.insert(all.labels.end(), p.labels.begin(), p.labels.end());
  }
  const std::size_t infn_count = infn_negatives.patches.size();
  std::move(infn_negatives.patches.begin(), infn_negatives.patches.end(), std::back_inserter(all.patches));
  all.labels.insert(all.labels.end(), infn_negatives.labels.begin(), infn_negatives.labels.end());
  std::size_t n_pos = 0;
  for (int l : all.labels) n_pos += l;
  SpeckNetFitResult r;
  r.net = SpeckNet::fit(all.patches, all.labels, settings, log);
  nlohmann::json infn_card = nullptr;
  std::string infn_summary;
  if (infn) {
    const double auc07 = best_logit_auc(r.net, kept_out_07), auc10 = best_logit_auc(r.net, kept_out_10);
    std::size_t pos = 0;
    for (const auto& p : kept_out_07) pos += p.label;
    infn_card = {{"negatives_from", "INFN 0/ patches of the cases of half 0, at 0.07 and 0.1 mm"},
                 {"negative_patches", infn_count},
                 {"copies", o.speck_net_infn_copies},
                 {"kept_out_patches", {{"positive", pos}, {"negative", kept_out_07.size() - pos}}},
                 {"kept_out_auc_best_candidate_0.07_mm", auc07},
                 {"kept_out_auc_best_candidate_0.1_mm", auc10}};
    char buf[200];
    std::snprintf(buf, sizeof buf, "; %zu real-tissue negatives (INFN, half the cases); on the other half the network "
                  "alone: AUC %.3f / %.3f at 0.07 / 0.1 mm", infn_count, auc07, auc10);
    infn_summary = buf;
  }
  r.card = {{"file", "speck-net.json"},
            {"kind", "convolutional network on noise-normalised candidate patches (LibTorch)"},
            {"patch", kSpeckNetPatch},
            {"step_mm", kSpeckNetStepMm},
            {"layers", {settings.width1, settings.width2, settings.hidden}},
            {"epochs", settings.epochs},
            {"phantoms", n},
            {"phantom_seeds", {o.speck_net_seed, o.speck_net_seed + static_cast<std::uint64_t>(std::max(0, n - 1))}},
            {"patches", {{"positive", n_pos}, {"negative", all.labels.size() - n_pos}}},
            {"auc_fitted_on_one_half_scored_on_the_other", auc},
            {"infn_negatives", infn_card}};
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu positive and %zu negative patches from %d phantoms; the network alone: AUC %.4f "
                "(fitted on half of the phantoms, scored on the other half)", n_pos, all.labels.size() - n_pos - infn_count,
                n, auc);
  r.summary = buf + infn_summary;
  return r;
}

}  // namespace calcscope::train_detail
