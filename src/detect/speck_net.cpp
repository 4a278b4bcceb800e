// The candidate-patch network (include/calcscope/detect/speck_net.h), run by LibTorch.
#include "calcscope/detect/speck_net.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <random>

#include "calcscope/core/error.h"
#include "calcscope/detect/calcifications.h"
#include "detect/scoring_models.h"

namespace calcscope {

std::vector<float> speck_net_patch(const Image& image, double x, double y, double noise) {
  constexpr int n = kSpeckNetPatch;
  std::vector<float> p(static_cast<std::size_t>(n) * n, 0.f);
  if (image.width < 2 || image.height < 2) return p;
  const double step_px = kSpeckNetStepMm / image.pixel_size_mm, half = (n - 1) / 2.0;
  const double max_x = image.width - 1.001, max_y = image.height - 1.001;
  double mean = 0;
  for (int j = 0; j < n; ++j) {
    const double yy = std::clamp(y + (j - half) * step_px, 0.0, max_y);
    const int y0 = static_cast<int>(yy);
    const double fy = yy - y0;
    for (int i = 0; i < n; ++i) {
      const double xx = std::clamp(x + (i - half) * step_px, 0.0, max_x);
      const int x0 = static_cast<int>(xx);
      const double fx = xx - x0;
      const double v = (1 - fx) * (1 - fy) * image.at(x0, y0) + fx * (1 - fy) * image.at(x0 + 1, y0) +
                       (1 - fx) * fy * image.at(x0, y0 + 1) + fx * fy * image.at(x0 + 1, y0 + 1);
      p[static_cast<std::size_t>(j) * n + i] = static_cast<float>(v);
      mean += v;
    }
  }
  mean /= static_cast<double>(p.size());
  const double inv = 1.0 / std::max(1e-6, noise);
  for (auto& v : p) v = static_cast<float>(std::clamp((v - mean) * inv, -20.0, 20.0) / 5.0);
  return p;
}

namespace {

struct NetImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr};
  torch::nn::Linear f1{nullptr}, f2{nullptr};
  NetImpl(int w1, int w2, int hidden) {
    // 24 -> conv 5 -> 20 -> pool -> 10 -> conv 3 -> 8 -> pool -> 4
    constexpr int side = ((kSpeckNetPatch - 4) / 2 - 2) / 2;
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, w1, 5)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(w1, w2, 3)));
    f1 = register_module("f1", torch::nn::Linear(side * side * w2, hidden));
    f2 = register_module("f2", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c1(x)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    x = torch::relu(f1(x.flatten(1)));
    return f2(x).squeeze(1);
  }
};
TORCH_MODULE(Net);

torch::Tensor batch_of(const std::vector<std::vector<float>>& patches, std::size_t begin, std::size_t end,
                       const std::vector<std::size_t>* order = nullptr) {
  constexpr int n = kSpeckNetPatch;
  auto t = torch::empty({static_cast<long>(end - begin), 1, n, n});
  float* d = t.data_ptr<float>();
  for (std::size_t r = begin; r < end; ++r) {
    const auto& p = patches[order ? (*order)[r] : r];
    std::copy(p.begin(), p.end(), d + (r - begin) * n * n);
  }
  return t;
}

/// LibTorch's own thread pool: one thread, set once. analyze() runs images on several threads of its
/// own, and a deterministic fit needs one thread.
void torch_single_thread() {
  static std::once_flag once;
  std::call_once(once, [] { torch::set_num_threads(1); });
}

}  // namespace

struct SpeckNet::Impl {
  SpeckNetSettings settings;
  Net net{nullptr};
};

SpeckNet::SpeckNet() = default;
SpeckNet::~SpeckNet() = default;
SpeckNet::SpeckNet(SpeckNet&&) noexcept = default;
SpeckNet& SpeckNet::operator=(SpeckNet&&) noexcept = default;

bool SpeckNet::empty() const { return !impl_; }

std::vector<double> SpeckNet::logits(const std::vector<std::vector<float>>& patches) const {
  std::vector<double> out(patches.size(), 0.0);
  if (!impl_ || patches.empty()) return out;
  torch_single_thread();
  torch::InferenceMode guard;
  constexpr std::size_t kBatch = 512;
  for (std::size_t s = 0; s < patches.size(); s += kBatch) {
    const std::size_t e = std::min(patches.size(), s + kBatch);
    for (std::size_t k = s; k < e; ++k)
      if (patches[k].size() != static_cast<std::size_t>(kSpeckNetPatch * kSpeckNetPatch))
        throw Error(ErrorCode::InvalidData, "speck net: a patch has " + std::to_string(patches[k].size()) + " values");
    const auto y = impl_->net->forward(batch_of(patches, s, e)).contiguous();
    const float* v = y.data_ptr<float>();
    for (std::size_t k = s; k < e; ++k) out[k] = v[k - s];
  }
  return out;
}

nlohmann::json SpeckNet::to_json() const {
  if (!impl_) return nullptr;
  const auto& s = impl_->settings;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : impl_->net->named_parameters()) {
    const auto t = p.value().detach().contiguous();
    params[p.key()] = {{"shape", t.sizes().vec()},
                       {"values", std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel())}};
  }
  return {{"kind", "calcscope-speck-net"}, {"version", 1},
          {"patch", kSpeckNetPatch},      {"step_mm", kSpeckNetStepMm},
          {"width1", s.width1},           {"width2", s.width2},
          {"hidden", s.hidden},           {"parameters", params}};
}

SpeckNet SpeckNet::from_json(const nlohmann::json& j) {
  try {
    if (j.at("kind") != "calcscope-speck-net" || j.at("patch").get<int>() != kSpeckNetPatch ||
        std::abs(j.at("step_mm").get<double>() - kSpeckNetStepMm) > 1e-9)
      throw Error(ErrorCode::InvalidData, "speck net: another kind, patch size or step than this build reads");
    SpeckNet n;
    n.impl_ = std::make_unique<Impl>();
    auto& s = n.impl_->settings;
    s.width1 = j.at("width1").get<int>();
    s.width2 = j.at("width2").get<int>();
    s.hidden = j.at("hidden").get<int>();
    if (s.width1 < 1 || s.width2 < 1 || s.hidden < 1 || s.width1 > 256 || s.width2 > 256 || s.hidden > 1024)
      throw Error(ErrorCode::InvalidData, "speck net: layer widths out of range");
    n.impl_->net = Net(s.width1, s.width2, s.hidden);
    torch::NoGradGuard ng;
    for (auto& p : n.impl_->net->named_parameters()) {
      const auto& e = j.at("parameters").at(p.key());
      const auto shape = e.at("shape").get<std::vector<long>>();
      const auto values = e.at("values").get<std::vector<float>>();
      if (shape != p.value().sizes().vec() || static_cast<long>(values.size()) != p.value().numel())
        throw Error(ErrorCode::InvalidData, "speck net: parameter '" + p.key() + "' has the wrong shape");
      p.value().copy_(torch::from_blob(const_cast<float*>(values.data()), p.value().sizes()));
    }
    n.impl_->net->eval();
    return n;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("speck net: ") + e.what());
  }
}

SpeckNet SpeckNet::fit(const std::vector<std::vector<float>>& patches, const std::vector<int>& labels,
                       const SpeckNetSettings& settings, const std::function<void(const std::string&)>& log) {
  const std::size_t n = patches.size();
  if (labels.size() != n) throw Error(ErrorCode::InvalidData, "speck net: one label per patch is needed");
  double pos = 0, neg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (patches[i].size() != static_cast<std::size_t>(kSpeckNetPatch * kSpeckNetPatch))
      throw Error(ErrorCode::InvalidData, "speck net: a patch has " + std::to_string(patches[i].size()) + " values");
    (labels[i] ? pos : neg) += 1;
  }
  if (pos == 0 || neg == 0) throw Error(ErrorCode::InvalidData, "speck net: both classes need patches");
  torch_single_thread();
  torch::manual_seed(settings.seed);
  SpeckNet out;
  out.impl_ = std::make_unique<Impl>();
  out.impl_->settings = settings;
  Net net(settings.width1, settings.width2, settings.hidden);
  torch::optim::Adam opt(net->parameters(),
                         torch::optim::AdamOptions(settings.learning_rate).weight_decay(settings.weight_decay));
  torch::nn::BCEWithLogitsLoss loss_fn(
      torch::nn::BCEWithLogitsLossOptions().pos_weight(torch::tensor({static_cast<float>(neg / pos)})));
  std::mt19937_64 rng(settings.seed);
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  const auto B = static_cast<std::size_t>(std::max(1, settings.batch));
  net->train();
  for (int e = 0; e < settings.epochs; ++e) {
    std::shuffle(order.begin(), order.end(), rng);
    double total = 0;
    int batches = 0;
    for (std::size_t s = 0; s < n; s += B) {
      const std::size_t end = std::min(n, s + B);
      auto x = batch_of(patches, s, end, &order);
      auto y = torch::empty({static_cast<long>(end - s)});
      float* yv = y.data_ptr<float>();
      for (std::size_t k = s; k < end; ++k) yv[k - s] = static_cast<float>(labels[order[k]]);
      const int rot = static_cast<int>(rng() % 4);
      if (rot) x = torch::rot90(x, rot, {2, 3});
      if (rng() % 2) x = torch::flip(x, {3});
      opt.zero_grad();
      auto loss = loss_fn(net->forward(x), y);
      loss.backward();
      opt.step();
      total += loss.item<double>();
      ++batches;
    }
    if (log) log("speck net: epoch " + std::to_string(e + 1) + " of " + std::to_string(settings.epochs) +
                 ", loss " + std::to_string(total / std::max(1, batches)));
  }
  net->eval();
  out.impl_->net = net;
  return out;
}

const SpeckNet* default_speck_net() {
  static const SpeckNet net = [] {
    const auto& text = embedded_model_speck_net();
    return text.empty() ? SpeckNet{} : SpeckNet::from_json(nlohmann::json::parse(text));
  }();
  return net.empty() ? nullptr : &net;
}

void add_speck_net_feature(std::vector<Calcification>& candidates, const Image& image, const SpeckNet* net) {
  const auto& names = calcification_feature_names();
  static const std::size_t k_net =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "speck_net") - names.begin());
  static const std::size_t k_noise =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "log_noise") - names.begin());
  static const std::size_t k_px =
      static_cast<std::size_t>(std::find(names.begin(), names.end(), "pixel_size_mm") - names.begin());
  std::vector<std::size_t> which;
  std::vector<std::vector<float>> patches;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    auto& f = candidates[i].features;
    if (f.size() <= k_net) continue;
    f[k_net] = 0.0;
    if (!net || net->empty() || !(f[k_px] < kFilmPixelSizeMm)) continue;
    which.push_back(i);
    patches.push_back(speck_net_patch(image, candidates[i].x, candidates[i].y, std::pow(10.0, f[k_noise])));
  }
  if (which.empty()) return;
  const auto logits = net->logits(patches);
  for (std::size_t k = 0; k < which.size(); ++k) candidates[which[k]].features[k_net] = logits[k];
}

}  // namespace calcscope
