// Training of the patch model: see include/calcscope/train/train_patches.h and docs/algorithms.md §3b.
#include "calcscope/train/train_patches.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>

#include "calcscope/core/error.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/eval/eval.h"
#include "calcscope/io/image_reader.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/report/json_output.h"
#include "calcscope/train/train.h"
#include "train/train_common.h"
#include "train/xgb_binary.h"

namespace calcscope {
namespace fs = std::filesystem;

double balanced_patch_cut(const std::vector<PatchScores>& sources) {
  std::vector<double> all;
  for (const auto& s : sources)
    if (!s.positive_best.empty() && !s.negative_best.empty()) {
      all.insert(all.end(), s.positive_best.begin(), s.positive_best.end());
      all.insert(all.end(), s.negative_best.begin(), s.negative_best.end());
    }
  if (all.empty()) return 0.5;
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<double> cuts;
  for (std::size_t i = 0; i + 1 < all.size(); ++i) cuts.push_back(0.5 * (all[i] + all[i + 1]));
  cuts.push_back(all.back() + 1e-9);
  double best_cut = 0.5, best = -1;
  for (const double cut : cuts) {
    double sum = 0;
    for (const auto& s : sources) {
      const auto& pos = s.positive_best;
      const auto& neg = s.negative_best;
      if (pos.empty() || neg.empty()) continue;
      sum += static_cast<double>(std::count_if(pos.begin(), pos.end(), [&](double v) { return v >= cut; })) / pos.size() +
             static_cast<double>(std::count_if(neg.begin(), neg.end(), [&](double v) { return v < cut; })) / neg.size();
    }
    if (sum > best + 1e-12) {
      best = sum;
      best_cut = cut;
    }
  }
  return best_cut;
}

double balanced_patch_cut(const std::vector<double>& pos, const std::vector<double>& neg) {
  return balanced_patch_cut(std::vector<PatchScores>{{pos, neg}});
}

namespace {

struct PatchCase {
  std::string name;
  std::string source;  // "infn", "phantom"
  bool positive = false;
  int fold = 0;
  double pixel_size_mm = 0;
  std::vector<Calcification> candidates;      // scored by the image model
  std::vector<std::vector<double>> features;  // patch_features()
  std::vector<float> labels;                  // 1, 0, -1 (left out)
};

using train_detail::parallel_for;

/// The candidates of a patch the way analyze() finds them: whole image, the image model's scores.
void find_candidates(PatchCase& c, const Image& img) {
  const AnalyzeOptions ao;
  BreastParams bp = ao.breast;
  bp.whole_image = true;
  const BreastRegion region = segment_breast(img, bp);
  c.pixel_size_mm = img.pixel_size_mm;
  c.candidates = detect_calcifications_for_analysis(img, region, ao.calcification);
  score_calcifications(c.candidates, default_models(img.pixel_size_mm));
  c.features = patch_features(c.candidates);
}

/// INFN 1/ labels: the best candidates by the image model positive, the rest left out.
void label_positive_patch(PatchCase& c, const PatchTrainOptions& o) {
  c.labels.assign(c.candidates.size(), -1.f);
  if (c.candidates.empty()) return;
  std::vector<std::size_t> order(c.candidates.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return c.candidates[a].score > c.candidates[b].score; });
  c.labels[order[0]] = 1.f;
  for (std::size_t r = 1; r < order.size() && static_cast<int>(r) < o.positive_max_per_patch; ++r)
    if (c.candidates[order[r]].score >= o.positive_min_image_score) c.labels[order[r]] = 1.f;
}

/// w x h window of `img` at (x0, y0), quantised to 8 bits like a patch file.
Image window8(const Image& img, int x0, int y0, int w, int h) {
  Image out(w, h, img.pixel_size_mm);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      out.at(x, y) = std::round(std::clamp(img.at(x0 + x, y0 + y), 0.f, 1.f) * 255.f) / 255.f;
  return out;
}

/// The windows of one training phantom (section "phantom windows" of the header).
std::vector<PatchCase> phantom_windows(int i, const PatchTrainOptions& o) {
  PhantomSpec spec;
  spec.seed = o.phantom_seed + static_cast<std::uint64_t>(i);
  spec.pixel_size_mm = i % 2 ? 0.1 : 0.07;
  spec.width_mm = 110;
  spec.height_mm = 140;
  spec.view = (i % 4 < 2) ? "CC" : "MLO";
  spec.laterality = (i % 8 < 4) ? "L" : "R";
  spec.density = 0.2 + 0.6 * ((i * 37) % 11) / 10.0;
  spec.random_clusters = 1 + i % 3;
  spec.scattered_benign = 3 + i % 4;
  spec.noise = 0.8 + 0.1 * (i % 5);
  if ((i / 2) % 2 == 1) {
    const PhantomImaging v = phantom_imaging_variety(i);
    spec.texture_beta = v.texture_beta;
    spec.blur_mm = v.blur_mm;
    spec.noise = v.noise;
  }
  const Phantom ph = make_phantom(spec);
  const eval::TruthImage truth = eval::parse_phantom_truth(phantom_truth_to_json(ph), "p");
  const int W = o.window_px, iw = ph.image.width, ih = ph.image.height;
  const double px = ph.image.pixel_size_mm;
  std::mt19937 rng(static_cast<std::uint32_t>(spec.seed));
  std::vector<PatchCase> out;
  const auto make = [&](int x0, int y0, bool positive, const std::string& name) {
    PatchCase c;
    c.name = name;
    c.source = "phantom";
    c.positive = positive;
    c.fold = static_cast<int>(spec.seed % static_cast<std::uint64_t>(o.folds));
    find_candidates(c, window8(ph.image, x0, y0, W, W));
    c.labels.assign(c.candidates.size(), 0.f);
    for (std::size_t k = 0; k < c.candidates.size(); ++k)
      for (auto t : truth.calcifications) {
        t.x -= x0;
        t.y -= y0;
        if (eval::calcification_hit(c.candidates[k].x, c.candidates[k].y, t, px)) {
          c.labels[k] = 1.f;
          break;
        }
      }
    out.push_back(std::move(c));
  };
  std::uniform_int_distribution<int> jitter(-8, 8);
  for (const auto& k : ph.clusters) {
    const int x0 = std::clamp(static_cast<int>(std::lround(k.x)) + jitter(rng) - W / 2, 0, iw - W);
    const int y0 = std::clamp(static_cast<int>(std::lround(k.y)) + jitter(rng) - W / 2, 0, ih - W);
    make(x0, y0, true, "phantom" + std::to_string(spec.seed) + "_c" + std::to_string(k.id));
  }
  std::uniform_int_distribution<int> ux(0, iw - W), uy(0, ih - W);
  const double clear_px = 1.0 / px;
  int made = 0;
  for (int attempt = 0; attempt < 400 && made < o.negatives_per_phantom; ++attempt) {
    const int x0 = ux(rng), y0 = uy(rng);
    bool ok = true;
    for (int y = y0; y < y0 + W && ok; y += 3)
      for (int x = x0; x < x0 + W && ok; x += 3) ok = ph.breast.inside(x, y);
    for (const auto& t : ph.calcifications)
      ok = ok && !(t.x > x0 - clear_px && t.x < x0 + W + clear_px && t.y > y0 - clear_px && t.y < y0 + W + clear_px);
    if (!ok) continue;
    make(x0, y0, false, "phantom" + std::to_string(spec.seed) + "_n" + std::to_string(made));
    ++made;
  }
  return out;
}

std::string train_model(const std::vector<PatchCase>& cases, const std::vector<char>& use, const PatchTrainOptions& o) {
  std::vector<float> x, y, w;
  const std::size_t nf = patch_feature_names().size();
  double pos = 0, neg = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (!use[i]) continue;
    for (std::size_t k = 0; k < cases[i].candidates.size(); ++k) {
      if (cases[i].labels[k] < 0) continue;
      for (double v : cases[i].features[k]) x.push_back(static_cast<float>(v));
      y.push_back(cases[i].labels[k]);
      (cases[i].labels[k] > 0.5f ? pos : neg) += 1;
    }
  }
  if (pos == 0 || neg == 0) throw Error(ErrorCode::InvalidData, "patch training needs positive and negative candidates");
  // each class weighs as much as the other, so that scores around 0.5 separate them
  for (const float l : y) w.push_back(l > 0.5f ? static_cast<float>(neg / pos) : 1.f);
  train_detail::XgbSettings xs;
  xs.trees = o.trees;
  xs.depth = o.depth;
  xs.learning_rate = o.learning_rate;
  xs.threads = o.threads;
  xs.seed = 7;
  return train_detail::train_xgb_binary(x, nf, y, w, xs);
}

double best_score(const std::vector<double>& s) { return s.empty() ? 0.0 : *std::max_element(s.begin(), s.end()); }

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f %%", 100 * v);
  return b;
}

}  // namespace

PatchTrainReport train_patch_model(const PatchTrainOptions& o) {
  const auto t_start = std::chrono::steady_clock::now();
  auto log = [&](const std::string& m) {
    if (o.verbose) std::cerr << "train --patches: " << m << "\n";
  };
  if (o.folds < 2) throw Error(ErrorCode::Usage, "--folds must be at least 2");
  // ---- INFN patches, at each assumed pixel size ------------------------------------------------
  std::vector<std::pair<fs::path, bool>> files;
  for (const char* cls : {"0", "1"}) {
    const fs::path dir = o.infn_dir / cls;
    if (!fs::is_directory(dir))
      throw Error(ErrorCode::FileNotFound, "INFN patch directory needs 0/ and 1/ subdirectories", dir.string());
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) v.push_back(e.path());
    std::sort(v.begin(), v.end());
    for (auto& p : v) files.emplace_back(p, std::string(cls) == "1");
  }
  if (files.empty()) throw Error(ErrorCode::FileNotFound, "no INFN patches", o.infn_dir.string());
  const std::size_t P = files.size(), S = o.pixel_sizes_mm.size();
  std::vector<PatchCase> cases(P * S);
  parallel_for(static_cast<int>(P * S), o.threads, [&](int idx) {
    const auto& [path, positive] = files[idx / S];
    ReadOptions ro;
    ro.pixel_size_mm = o.pixel_sizes_mm[idx % S];
    PatchCase c;
    c.name = path.parent_path().filename().string() + "/" + path.filename().string();
    c.source = "infn";
    c.positive = positive;
    const std::string group = path.filename().string().substr(0, 4);  // INFN case number
    c.fold = static_cast<int>(std::hash<std::string>{}(group) % static_cast<std::size_t>(o.folds));
    find_candidates(c, read_image(path, ro));
    if (positive) label_positive_patch(c, o);
    else c.labels.assign(c.candidates.size(), 0.f);
    cases[idx] = std::move(c);
  });
  log(std::to_string(P) + " INFN patches at " + std::to_string(S) + " pixel sizes");
  // ---- phantom windows ---------------------------------------------------------------------------
  std::vector<std::vector<PatchCase>> per_phantom(static_cast<std::size_t>(std::max(0, o.phantoms)));
  parallel_for(std::max(0, o.phantoms), o.threads, [&](int i) { per_phantom[i] = phantom_windows(i, o); });
  int phantom_pos = 0, phantom_neg = 0;
  for (auto& v : per_phantom)
    for (auto& c : v) {
      (c.positive ? phantom_pos : phantom_neg)++;
      cases.push_back(std::move(c));
    }
  if (o.phantoms > 0)
    log(std::to_string(o.phantoms) + " phantoms: " + std::to_string(phantom_pos) + " cluster windows, " +
        std::to_string(phantom_neg) + " tissue windows");
  const train_detail::LabelCounts labels = train_detail::count_labels(cases);
  log("candidates " + labels.text());

  // ---- grouped cross-validation ------------------------------------------------------------------
  const int F = o.folds;
  std::vector<std::vector<double>> oof(cases.size());
  for (int f = 0; f < F; ++f) {
    std::vector<char> use(cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) use[i] = cases[i].fold != f;
    const auto m = load_patch_model(train_model(cases, use, o));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      if (cases[i].fold != f) continue;
      for (const auto& fv : cases[i].features) oof[i].push_back(m->score(fv));
    }
    log("fold " + std::to_string(f) + " done");
  }
  // the cut: each source (INFN, phantom windows) counts the same
  const auto scores_by_source = [&](auto keep) {
    std::vector<PatchScores> v(2);
    for (std::size_t i = 0; i < cases.size(); ++i)
      if (keep(i)) {
        auto& s = v[cases[i].source == "infn" ? 0 : 1];
        (cases[i].positive ? s.positive_best : s.negative_best).push_back(best_score(oof[i]));
      }
    return v;
  };
  std::vector<double> fold_cut(F);
  for (int f = 0; f < F; ++f) fold_cut[f] = balanced_patch_cut(scores_by_source([&](std::size_t i) { return cases[i].fold != f; }));
  PatchTrainReport rep;
  rep.cut = balanced_patch_cut(scores_by_source([](std::size_t) { return true; }));

  std::ostringstream t;
  nlohmann::json cv = nlohmann::json::array();
  t << "== Patch model, " << F << "-fold cross-validation (INFN grouped by case, phantom windows by seed; "
    << "out-of-fold scores; each fold's cut chosen on the other folds) ==\n";
  t << "source    pixel mm  patches (pos + neg)  model   AUC     detected  quiet     cut\n";
  for (const std::string source : {"infn", "phantom"}) {
    for (const double px : o.pixel_sizes_mm) {
      std::vector<double> p, n, bp, bn;
      int det = 0, quiet = 0, bdet = 0, bquiet = 0;
      const double image_cut = default_calcification_min_score(px);
      for (std::size_t i = 0; i < cases.size(); ++i) {
        if (cases[i].source != source || std::abs(cases[i].pixel_size_mm - px) > 1e-9) continue;
        const double b = best_score(oof[i]);
        double bi = 0;
        for (const auto& c : cases[i].candidates) bi = std::max(bi, c.score);
        if (cases[i].positive) {
          p.push_back(b);
          bp.push_back(bi);
          det += b >= fold_cut[cases[i].fold];
          bdet += bi >= image_cut;
        } else {
          n.push_back(b);
          bn.push_back(bi);
          quiet += b < fold_cut[cases[i].fold];
          bquiet += bi < image_cut;
        }
      }
      if (p.empty() || n.empty()) continue;
      const double auc = eval::auc_mann_whitney(p, n), bauc = eval::auc_mann_whitney(bp, bn);
      char line[256];
      std::snprintf(line, sizeof line, "%-9s %-9.3g %4zu + %-4zu          image   %.3f   %-8s  %-8s  %.2f (image model's)\n",
                    source.c_str(), px, p.size(), n.size(), bauc, pct(double(bdet) / p.size()).c_str(),
                    pct(double(bquiet) / n.size()).c_str(), image_cut);
      t << line;
      std::snprintf(line, sizeof line, "%-9s %-9.3g %4zu + %-4zu          patch   %.3f   %-8s  %-8s  per fold\n",
                    source.c_str(), px, p.size(), n.size(), auc, pct(double(det) / p.size()).c_str(),
                    pct(double(quiet) / n.size()).c_str());
      t << line;
      cv.push_back({{"source", source},
                    {"pixel_size_mm", px},
                    {"positive_patches", p.size()},
                    {"negative_patches", n.size()},
                    {"image_model", {{"auc", bauc}, {"detected", double(bdet) / p.size()},
                                     {"quiet", double(bquiet) / n.size()}, {"cut", image_cut}}},
                    {"patch_model", {{"auc", auc}, {"detected", double(det) / p.size()},
                                     {"quiet", double(quiet) / n.size()}}}});
    }
  }
  t << "fold cuts:";
  for (double c : fold_cut) {
    char b[16];
    std::snprintf(b, sizeof b, " %.3f", c);
    t << b;
  }
  char line[128];
  std::snprintf(line, sizeof line, "\nrecommended cut (all out-of-fold scores): %.3f\n", rep.cut);
  t << line;
  rep.table = t.str();

  std::vector<char> all(cases.size(), 1);
  rep.model = train_model(cases, all, o);
  log("final model trained");
  rep.card = {{"schema_version", "1.0.0"},
              {"generator", {{"name", "calcscope"}, {"version", CALCSCOPE_VERSION}}},
              {"model", {{"file", "calcification-patch.json"}, {"kind", "xgboost binary:logistic"}, {"trees", o.trees},
                         {"max_depth", o.depth}, {"learning_rate", o.learning_rate}, {"features", patch_feature_names()}}},
              {"used_for", "patches: images analysed whole, both sides under 50 mm, pixels under 0.15 mm"},
              {"recommended_cut", rep.cut},
              {"data",
               {{"infn_patches", P},
                {"infn_pixel_sizes_mm", o.pixel_sizes_mm},
                {"infn_labels", "0/: every candidate negative; 1/: the candidates the image model scores >= " +
                                    std::to_string(o.positive_min_image_score) + " (at most " +
                                    std::to_string(o.positive_max_per_patch) +
                                    ", best first; the best one always) positive, the rest left out"},
                {"phantoms", o.phantoms},
                {"phantom_seeds", {o.phantom_seed, o.phantom_seed + std::max(0, o.phantoms - 1)}},
                {"phantom_windows", {{"cluster", phantom_pos}, {"tissue", phantom_neg}, {"size_px", o.window_px}}},
                {"candidates", {{"positive", labels.positive}, {"negative", labels.negative}, {"left_out", labels.left_out}}}}},
              {"cross_validation", {{"folds", F},
                                    {"grouping", "INFN case number (first 4 characters of the file name); phantom seed"},
                                    {"fold_cuts", fold_cut}, {"results", cv}}},
              {"training_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()}};
  if (!o.out_dir.empty()) {
    fs::create_directories(o.out_dir);
    const auto write_text = train_detail::write_text_file;
    write_text(o.out_dir / "calcification-patch.json", rep.model);
    write_json_file(rep.card, o.out_dir / "patch-card.json");
    write_text(o.out_dir / "patch-cv.txt", rep.table);
  }
  return rep;
}

}  // namespace calcscope
