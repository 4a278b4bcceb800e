// Session 26 experiment (branch speck-cnn, not product code): does a small CNN on candidate patches
// separate calcifications from tissue candidates better than the 20 hand-made features?
// Usage: cnn_exp N_PHANTOMS [SEED_BASE] [EPOCHS]
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <xgboost/c_api.h>

#include "calcscope/detect/breast.h"
#include "calcscope/detect/scoring.h"
#include "calcscope/eval/eval.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/train/train.h"
#include "train/train_common.h"
#include "train/xgb_binary.h"

using namespace calcscope;

namespace {

constexpr int kSize = 24;
constexpr double kStep = 0.06;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::vector<float> patch_at(const Image& image, double x, double y, double noise) {
  std::vector<float> p(kSize * kSize);
  const double step_px = kStep / image.pixel_size_mm, half = (kSize - 1) / 2.0;
  double mean = 0;
  for (int j = 0; j < kSize; ++j) {
    const double yy = std::clamp(y + (j - half) * step_px, 0.0, image.height - 1.001);
    const int y0 = static_cast<int>(yy);
    const double fy = yy - y0;
    for (int i = 0; i < kSize; ++i) {
      const double xx = std::clamp(x + (i - half) * step_px, 0.0, image.width - 1.001);
      const int x0 = static_cast<int>(xx);
      const double fx = xx - x0;
      const double v = (1 - fx) * (1 - fy) * image.at(x0, y0) + fx * (1 - fy) * image.at(x0 + 1, y0) +
                       (1 - fx) * fy * image.at(x0, y0 + 1) + fx * fy * image.at(x0 + 1, y0 + 1);
      p[j * kSize + i] = static_cast<float>(v);
      mean += v;
    }
  }
  mean /= p.size();
  for (auto& v : p) v = static_cast<float>(std::clamp((v - mean) / std::max(1e-6, noise), -20.0, 20.0) / 5.0);
  return p;
}

struct Row {
  std::vector<float> patch;
  std::vector<double> feats;
  double model = 0, cnn = 0, gb0 = 0, gb1 = 0;
  int label = 0, phantom = 0;
  std::string morph;
};

struct NetImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr};
  torch::nn::Linear f1{nullptr}, f2{nullptr};
  NetImpl() {
    const int w1 = std::getenv("W1") ? std::atoi(std::getenv("W1")) : 8, w2 = std::getenv("W2") ? std::atoi(std::getenv("W2")) : 16;
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, w1, 5)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(w1, w2, 3)));
    f1 = register_module("f1", torch::nn::Linear(16 * w2, 32));
    f2 = register_module("f2", torch::nn::Linear(32, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c1(x)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    x = torch::relu(f1(x.flatten(1)));
    return f2(x).squeeze(1);
  }
};
TORCH_MODULE(Net);

torch::Tensor stack(const std::vector<Row*>& rows) {
  auto t = torch::empty({static_cast<long>(rows.size()), 1, kSize, kSize});
  float* d = t.data_ptr<float>();
  for (std::size_t r = 0; r < rows.size(); ++r) std::copy(rows[r]->patch.begin(), rows[r]->patch.end(), d + r * kSize * kSize);
  return t;
}

void train_and_predict(std::vector<Row*> tr, const std::vector<Row*>& te, int epochs) {
  torch::manual_seed(7);
  Net net;
  double pos = 0, neg = 0;
  for (auto* r : tr) (r->label ? pos : neg) += 1;
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(2e-3).weight_decay(1e-4));
  auto lossf = torch::nn::BCEWithLogitsLoss(torch::nn::BCEWithLogitsLossOptions().pos_weight(torch::tensor({neg / pos})));
  std::mt19937 rng(7);
  const int B = 256;
  for (int e = 0; e < epochs; ++e) {
    std::shuffle(tr.begin(), tr.end(), rng);
    double total = 0;
    int nb = 0;
    net->train();
    for (std::size_t s = 0; s < tr.size(); s += B) {
      std::vector<Row*> b(tr.begin() + s, tr.begin() + std::min(tr.size(), s + B));
      auto x = stack(b);
      auto y = torch::empty({static_cast<long>(b.size())});
      for (std::size_t k = 0; k < b.size(); ++k) y[k] = static_cast<float>(b[k]->label);
      const int rot = rng() % 4;
      if (rot) x = torch::rot90(x, rot, {2, 3});
      if (rng() % 2) x = torch::flip(x, {3});
      opt.zero_grad();
      auto loss = lossf(net->forward(x), y);
      loss.backward();
      opt.step();
      total += loss.item<double>();
      ++nb;
    }
    std::fprintf(stderr, "  epoch %d loss %.4f\n", e, total / nb);
  }
  net->eval();
  torch::NoGradGuard ng;
  for (std::size_t s = 0; s < te.size(); s += 1024) {
    std::vector<Row*> b(te.begin() + s, te.begin() + std::min(te.size(), s + 1024));
    auto out = net->forward(stack(b));
    for (std::size_t k = 0; k < b.size(); ++k) b[k]->cnn = out[k].item<double>();
  }
}

std::vector<double> xgb_predict(const std::string& model, const std::vector<float>& x, std::size_t nf) {
  BoosterHandle h;
  XGBoosterCreate(nullptr, 0, &h);
  XGBoosterLoadModelFromBuffer(h, model.data(), model.size());
  DMatrixHandle d;
  XGDMatrixCreateFromMat(x.data(), x.size() / nf, nf, NAN, &d);
  bst_ulong len;
  const float* out;
  XGBoosterPredict(h, d, 0, 0, 0, &len, &out);
  std::vector<double> r(out, out + len);
  XGDMatrixFree(d);
  XGBoosterFree(h);
  return r;
}

void gbdt(const std::vector<Row*>& tr, const std::vector<Row*>& te, bool with_cnn) {
  const std::size_t nf = tr[0]->feats.size() + (with_cnn ? 1 : 0);
  auto mat = [&](const std::vector<Row*>& rows) {
    std::vector<float> x;
    for (auto* r : rows) {
      for (double v : r->feats) x.push_back(static_cast<float>(v));
      if (with_cnn) x.push_back(static_cast<float>(r->cnn));
    }
    return x;
  };
  std::vector<float> y, w;
  double pos = 0, neg = 0;
  for (auto* r : tr) (r->label ? pos : neg) += 1;
  for (auto* r : tr) {
    y.push_back(r->label);
    w.push_back(r->label ? neg / pos : 1.f);
  }
  train_detail::XgbSettings s;
  s.trees = 150;
  s.depth = 5;
  const auto model = train_detail::train_xgb_binary(mat(tr), nf, y, w, s);
  const auto p = xgb_predict(model, mat(te), nf);
  for (std::size_t k = 0; k < te.size(); ++k) (with_cnn ? te[k]->gb1 : te[k]->gb0) = p[k];
}

void report(const std::vector<Row>& rows, const char* what, const std::function<bool(const Row&)>& sel) {
  std::vector<double> p[5], n[5];
  for (const auto& r : rows) {
    if (!sel(r)) continue;
    const double v[5] = {r.feats[0], r.model, r.cnn, r.gb0, r.gb1};
    for (int k = 0; k < 5; ++k) (r.label ? p[k] : n[k]).push_back(v[k]);
  }
  if (p[0].empty() || n[0].empty()) return;
  std::printf("%-34s pos %6zu neg %7zu  AUC cnr %.4f  model %.4f  cnn %.4f  gbdt %.4f  gbdt+cnn %.4f", what, p[0].size(),
              n[0].size(), eval::auc_mann_whitney(p[0], n[0]), eval::auc_mann_whitney(p[1], n[1]),
              eval::auc_mann_whitney(p[2], n[2]), eval::auc_mann_whitney(p[3], n[3]), eval::auc_mann_whitney(p[4], n[4]));
  // sensitivity at 1% false-positive rate
  for (int k : {3, 4}) {
    auto nn = n[k];
    std::sort(nn.begin(), nn.end());
    const double t = nn[static_cast<std::size_t>(0.99 * (nn.size() - 1))];
    int c = 0;
    for (double v : p[k]) c += v > t;
    std::printf("  %s@1%%FP %.3f", k == 3 ? "gbdt" : "gbdt+cnn", double(c) / p[k].size());
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 60;
  const std::uint64_t base = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 9000;
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 8;
  torch::set_num_threads(2);
  std::vector<std::vector<Row>> per(n);
  train_detail::parallel_for(n, 2, [&](int i) {
    PhantomSpec spec;
    spec.seed = base + i;
    spec.pixel_size_mm = i % 2 ? 0.1 : 0.07;
    spec.width_mm = 110;
    spec.height_mm = 140;
    spec.view = (i % 4 < 2) ? "MLO" : "CC";
    spec.laterality = (i % 8 < 4) ? "L" : "R";
    spec.density = 0.2 + 0.6 * ((i * 37) % 11) / 10.0;
    spec.random_clusters = 1 + i % 3;
    spec.scattered_benign = 3 + i % 4;
    spec.noise = 0.8 + 0.1 * (i % 5);
    if ((i / 2) % 2) {
      const auto v = phantom_imaging_variety(i);
      spec.texture_beta = v.texture_beta;
      spec.blur_mm = v.blur_mm;
      spec.noise = v.noise;
      if ((i / 4) % 3 == 1) spec.texture = "lumpy";
    }
    const Phantom ph = make_phantom(spec);
    const auto region = segment_breast(ph.image, BreastParams{});
    auto cands = detect_calcifications_for_analysis(ph.image, region, CalcificationParams{});
    score_calcifications(cands, default_models(ph.image.pixel_size_mm));
    const auto truth = eval::parse_phantom_truth(phantom_truth_to_json(ph), "p" + std::to_string(spec.seed));
    const double px = ph.image.pixel_size_mm;
    for (std::size_t k = 0; k < cands.size(); ++k) {
      const auto& c = cands[k];
      bool hit = false, near = false, other = false;
      std::string morph;
      for (const auto& t : truth.calcifications) {
        const bool h = eval::calcification_hit(c.x, c.y, t, px);
        if (t.diameter_mm <= 1.0 && t.length_mm <= t.diameter_mm) {
          if (h && !hit) morph = t.morphology;
          hit |= h;
        } else {
          other |= h;
        }
        near |= std::hypot(c.x - t.x, c.y - t.y) * px <= std::max(t.diameter_mm, t.length_mm) / 2 + 1.0;
      }
      if (other && !hit) continue;
      if (!hit && (near || splitmix(spec.seed * 1000003ULL + k) % 1000 >= 150)) continue;
      Row r;
      r.patch = patch_at(ph.image, c.x, c.y, std::pow(10.0, c.features[3]));
      r.feats = c.features;
      r.model = c.score;
      r.label = hit;
      r.phantom = i;
      r.morph = morph;
      per[i].push_back(std::move(r));
    }
  });
  std::vector<Row> rows;
  for (auto& p : per) std::move(p.begin(), p.end(), std::back_inserter(rows));
  std::vector<Row*> a, b;
  for (auto& r : rows) (r.phantom % 2 ? b : a).push_back(&r);
  std::fprintf(stderr, "rows %zu (a %zu, b %zu)\n", rows.size(), a.size(), b.size());
  // by pixel size parity: a = 70 um phantoms, b = 100 um. Split by phantom index / 2 instead.
  a.clear();
  b.clear();
  for (auto& r : rows) ((r.phantom / 2) % 2 == 0 && (r.phantom / 4) % 2 == 0 ? a : b).push_back(&r);
  a.clear();
  b.clear();
  for (auto& r : rows) (splitmix(r.phantom + 17) % 2 ? b : a).push_back(&r);
  train_and_predict(a, b, epochs);
  train_and_predict(b, a, epochs);
  gbdt(a, b, false);
  gbdt(b, a, false);
  gbdt(a, b, true);
  gbdt(b, a, true);
  report(rows, "all", [](const Row&) { return true; });
  report(rows, "cnr < 4.5", [](const Row& r) { return r.feats[0] < 4.5; });
  report(rows, "cnr 4.5-7", [](const Row& r) { return r.feats[0] >= 4.5 && r.feats[0] < 7; });
  report(rows, "70 um", [](const Row& r) { return r.phantom % 2 == 0; });
  report(rows, "100 um", [](const Row& r) { return r.phantom % 2 == 1; });
  for (const char* m : {"punctate", "fine_pleomorphic", "amorphous", "fine_linear_branching"})
    report(rows, m, [m](const Row& r) { return !r.label || r.morph == m; });
  return 0;
}
