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
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "calcscope/detect/breast.h"
#include "calcscope/detect/speck_net.h"
#include "calcscope/eval/eval.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/train/train.h"
#include "train/train_common.h"

namespace calcscope::train_detail {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Patches {
  std::vector<std::vector<float>> patches;
  std::vector<int> labels;
};

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
      if (!hit && (near || splitmix(spec.seed * 1000003ULL + k) % 1000 >= 150)) continue;
      out.patches.push_back(speck_net_patch(ph.image, c.x, c.y, std::pow(10.0, c.features[k_noise])));
      out.labels.push_back(hit ? 1 : 0);
    }
  });
  SpeckNetSettings settings;
  settings.epochs = o.speck_net_epochs;
  // half / half: the network alone, fitted on one half of the phantoms and scored on the other
  Patches a, b, all;
  for (int i = 0; i < n; ++i) {
    auto& p = per[static_cast<std::size_t>(i)];
    Patches& half = splitmix(static_cast<std::uint64_t>(i) + 17) % 2 ? b : a;
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
  std::size_t n_pos = 0;
  for (int l : all.labels) n_pos += l;
  SpeckNetFitResult r;
  r.net = SpeckNet::fit(all.patches, all.labels, settings, log);
  r.card = {{"file", "speck-net.json"},
            {"kind", "convolutional network on noise-normalised candidate patches (LibTorch)"},
            {"patch", kSpeckNetPatch},
            {"step_mm", kSpeckNetStepMm},
            {"layers", {settings.width1, settings.width2, settings.hidden}},
            {"epochs", settings.epochs},
            {"phantoms", n},
            {"phantom_seeds", {o.speck_net_seed, o.speck_net_seed + static_cast<std::uint64_t>(std::max(0, n - 1))}},
            {"patches", {{"positive", n_pos}, {"negative", all.labels.size() - n_pos}}},
            {"auc_fitted_on_one_half_scored_on_the_other", auc}};
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu positive and %zu negative patches from %d phantoms; the network alone: AUC %.4f "
                "(fitted on half of the phantoms, scored on the other half)", n_pos, all.labels.size() - n_pos, n, auc);
  r.summary = buf;
  return r;
}

}  // namespace calcscope::train_detail
