// The candidate-patch network (include/calcscope/detect/speck_net.h): the forward pass on OpenCV dnn;
// fitting in the LibTorch module src/torch/speck_net_fit.cpp, loaded only when a network is fitted.
#include "calcscope/detect/speck_net.h"

#include <dlfcn.h>

#include <opencv2/dnn.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

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

/// One parameter tensor of the network, as SpeckNet::to_json() writes it.
struct Param {
  std::vector<int> shape;
  std::vector<float> values;
};

/// The parameter names and shapes of a network of `s` (PyTorch's names, as the trainer writes them).
std::vector<std::pair<std::string, std::vector<int>>> param_shapes(const SpeckNetSettings& s) {
  constexpr int side = ((kSpeckNetPatch - 4) / 2 - 2) / 2;  // 24 -> conv 5 -> 20 -> pool -> 10 -> conv 3 -> 8 -> pool -> 4
  return {{"c1.weight", {s.width1, 1, 5, 5}}, {"c1.bias", {s.width1}},
          {"c2.weight", {s.width2, s.width1, 3, 3}},   {"c2.bias", {s.width2}},
          {"f1.weight", {s.hidden, side * side * s.width2}}, {"f1.bias", {s.hidden}},
          {"f2.weight", {1, s.hidden}},                {"f2.bias", {1}}};
}

cv::Mat blob(const Param& p) {
  cv::Mat m(static_cast<int>(p.shape.size()), p.shape.data(), CV_32F);
  std::copy(p.values.begin(), p.values.end(), m.ptr<float>());
  return m;
}

cv::Mat row(const Param& p) {
  cv::Mat m(1, static_cast<int>(p.values.size()), CV_32F);
  std::copy(p.values.begin(), p.values.end(), m.ptr<float>());
  return m;
}

void check_patch_size(const std::vector<float>& p) {
  constexpr auto want = static_cast<std::size_t>(kSpeckNetPatch * kSpeckNetPatch);
  if (p.size() != want)
    throw Error(ErrorCode::InvalidData,
                "speck net: a patch has " + std::to_string(p.size()) + " values, " + std::to_string(want) + " expected");
}

}  // namespace

struct SpeckNet::Impl {
  SpeckNetSettings settings;
  std::map<std::string, Param> params;

  /// The forward pass as an OpenCV dnn network (a cv::dnn::Net is not safe to share between threads,
  /// so each logits() call builds its own: a few microseconds).
  cv::dnn::Net build() const {
    cv::dnn::Net net;
    auto conv = [&](const char* name, int k) {
      cv::dnn::LayerParams lp;
      lp.set("kernel_size", k);
      lp.set("num_output", params.at(std::string(name) + ".weight").shape[0]);
      lp.set("bias_term", true);
      lp.blobs = {blob(params.at(std::string(name) + ".weight")), row(params.at(std::string(name) + ".bias"))};
      net.addLayerToPrev(name, "Convolution", lp);
    };
    auto relu = [&](const std::string& name) {
      cv::dnn::LayerParams lp;
      net.addLayerToPrev(name, "ReLU", lp);
    };
    auto pool = [&](const std::string& name) {
      cv::dnn::LayerParams lp;
      lp.set("pool", "max");
      lp.set("kernel_size", 2);
      lp.set("stride", 2);
      net.addLayerToPrev(name, "Pooling", lp);
    };
    auto dense = [&](const char* name) {
      cv::dnn::LayerParams lp;
      const Param& w = params.at(std::string(name) + ".weight");
      lp.set("num_output", w.shape[0]);
      lp.set("bias_term", true);
      lp.set("axis", 1);
      cv::Mat wm(w.shape[0], w.shape[1], CV_32F);
      std::copy(w.values.begin(), w.values.end(), wm.ptr<float>());
      lp.blobs = {wm, row(params.at(std::string(name) + ".bias"))};
      net.addLayerToPrev(name, "InnerProduct", lp);
    };
    conv("c1", 5);
    relu("r1");
    pool("p1");
    conv("c2", 3);
    relu("r2");
    pool("p2");
    dense("f1");
    relu("r3");
    dense("f2");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  }
};

SpeckNet::SpeckNet() = default;
SpeckNet::~SpeckNet() = default;
SpeckNet::SpeckNet(SpeckNet&&) noexcept = default;
SpeckNet& SpeckNet::operator=(SpeckNet&&) noexcept = default;

bool SpeckNet::empty() const { return !impl_; }

std::vector<double> SpeckNet::logits(const std::vector<std::vector<float>>& patches) const {
  std::vector<double> out(patches.size(), 0.0);
  if (!impl_ || patches.empty()) return out;
  constexpr int ch = 1;
  for (const auto& p : patches) check_patch_size(p);
  cv::dnn::Net net = impl_->build();
  constexpr std::size_t kBatch = 512;
  const std::size_t len = static_cast<std::size_t>(ch) * kSpeckNetPatch * kSpeckNetPatch;
  for (std::size_t s = 0; s < patches.size(); s += kBatch) {
    const std::size_t e = std::min(patches.size(), s + kBatch);
    const int dims[4] = {static_cast<int>(e - s), ch, kSpeckNetPatch, kSpeckNetPatch};
    cv::Mat in(4, dims, CV_32F);
    float* d = in.ptr<float>();
    for (std::size_t k = s; k < e; ++k) std::copy(patches[k].begin(), patches[k].end(), d + (k - s) * len);
    net.setInput(in);
    const cv::Mat y = net.forward();
    const float* v = y.ptr<float>();
    for (std::size_t k = s; k < e; ++k) out[k] = v[k - s];
  }
  return out;
}

std::string SpeckNet::to_text() const {
  nlohmann::json j = to_json();
  if (j.is_null()) return "null\n";
  // each parameter's values as placeholders, then written by std::to_chars(float): the shortest
  // decimal that reads back as the float (nlohmann's double writer would print the float widened,
  // "-0.038069359999999997" for -0.03806936f)
  std::vector<std::string> lists;
  for (const auto& [name, p] : impl_->params) {
    std::string list;
    char text[32];
    for (float v : p.values) {
      if (!list.empty()) list += ',';
      list.append(text, std::to_chars(text, text + sizeof text, v).ptr);
    }
    j["parameters"][name]["values"] = "@values" + std::to_string(lists.size()) + "@";
    lists.push_back(std::move(list));
  }
  std::string out = j.dump();
  for (std::size_t k = 0; k < lists.size(); ++k) {
    const std::string key = "\"@values" + std::to_string(k) + "@\"";
    const auto at = out.find(key);
    out.replace(at, key.size(), "[" + lists[k] + "]");
  }
  return out + "\n";
}

nlohmann::json SpeckNet::to_json() const {
  if (!impl_) return nullptr;
  const auto& s = impl_->settings;
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, p] : impl_->params) params[name] = {{"shape", p.shape}, {"values", p.values}};
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
    if (s.width1 < 1 || s.width2 < 1 || s.hidden < 1 || s.width1 > 256 ||
        s.width2 > 256 || s.hidden > 1024)
      throw Error(ErrorCode::InvalidData, "speck net: layer widths out of range");
    for (const auto& [name, shape] : param_shapes(s)) {
      const auto& e = j.at("parameters").at(name);
      Param p{e.at("shape").get<std::vector<int>>(), e.at("values").get<std::vector<float>>()};
      std::size_t count = 1;
      for (int d : shape) count *= static_cast<std::size_t>(d);
      if (p.shape != shape || p.values.size() != count)
        throw Error(ErrorCode::InvalidData, "speck net: parameter '" + name + "' has the wrong shape");
      n.impl_->params[name] = std::move(p);
    }
    return n;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("speck net: ") + e.what());
  }
}

namespace {

/// The trainer module (src/torch/speck_net_fit.cpp), loaded on first use and kept.
using FitFn = int (*)(const float*, std::size_t, std::size_t, const int*, const char*, void (*)(void*, const char*),
                      void*, char**);

FitFn trainer() {
  static FitFn fn = [] {
    const std::string path = speck_net_trainer_module_path();
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h)
      throw Error(ErrorCode::MissingComponent, std::string("speck net: the network trainer (LibTorch module) could not be "
                                                   "loaded: ") + dlerror() + ". Build the project "
                                                   "(cmake --build build/release), install it (cmake --install), "
                                                   "or point CALCSCOPE_TORCH_MODULE at "
                                                   "libcalcscope_speck_net_torch.so");
    auto f = reinterpret_cast<FitFn>(dlsym(h, "calcscope_speck_net_fit"));
    if (!f)
      throw Error(ErrorCode::MissingComponent, "speck net: " + path +
                                                   " is not the network trainer (it has no calcscope_speck_net_fit): "
                                                   "build the project or point CALCSCOPE_TORCH_MODULE at "
                                                   "libcalcscope_speck_net_torch.so");
    return f;
  }();
  return fn;
}

}  // namespace

SpeckNet SpeckNet::fit(const std::vector<std::vector<float>>& patches, const std::vector<int>& labels,
                       const SpeckNetSettings& settings, const std::function<void(const std::string&)>& log) {
  const std::size_t n = patches.size();
  if (labels.size() != n) throw Error(ErrorCode::InvalidData, "speck net: one label per patch is needed");
  double pos = 0, neg = 0;
  for (std::size_t i = 0; i < n; ++i) {
    check_patch_size(patches[i]);
    (labels[i] ? pos : neg) += 1;
  }
  if (pos == 0 || neg == 0) throw Error(ErrorCode::InvalidData, "speck net: both classes need patches");
  constexpr std::size_t len = static_cast<std::size_t>(kSpeckNetPatch) * kSpeckNetPatch;
  std::vector<float> flat(n * len);
  for (std::size_t i = 0; i < n; ++i) std::copy(patches[i].begin(), patches[i].end(), flat.begin() + i * len);
  const nlohmann::json sj = {{"patch", kSpeckNetPatch},     {"channels", 1},
                             {"width1", settings.width1},   {"width2", settings.width2},
                             {"hidden", settings.hidden},   {"epochs", settings.epochs},
                             {"batch", settings.batch},     {"learning_rate", settings.learning_rate},
                             {"weight_decay", settings.weight_decay}, {"seed", settings.seed}};
  struct Log {
    static void line(void* user, const char* text) { (*static_cast<const std::function<void(const std::string&)>*>(user))(text); }
  };
  char* out = nullptr;
  const int rc = trainer()(flat.data(), n, len, labels.data(), sj.dump().c_str(), log ? &Log::line : nullptr,
                           const_cast<void*>(static_cast<const void*>(&log)), &out);
  const std::string text = out ? out : "";
  std::free(out);
  if (rc != 0) throw Error(ErrorCode::Internal, "speck net: the trainer failed: " + text);
  nlohmann::json j = {{"kind", "calcscope-speck-net"}, {"patch", kSpeckNetPatch}, {"step_mm", kSpeckNetStepMm},
                      {"width1", settings.width1}, {"width2", settings.width2}, {"hidden", settings.hidden},
                      {"parameters", nlohmann::json::parse(text)}};
  SpeckNet net = from_json(j);
  net.impl_->settings = settings;
  return net;
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

std::string speck_net_trainer_module_path() {
  if (const char* env = std::getenv("CALCSCOPE_TORCH_MODULE"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::exists(CALCSCOPE_TORCH_MODULE, ec)) return CALCSCOPE_TORCH_MODULE;  // the build tree's
  return CALCSCOPE_TORCH_MODULE_INSTALLED;  // where `cmake --install` puts it
}

}  // namespace calcscope
