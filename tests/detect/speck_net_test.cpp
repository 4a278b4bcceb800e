// The candidate-patch network (include/calcscope/detect/speck_net.h).
#include "calcscope/detect/speck_net.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "calcscope/core/error.h"
#include "calcscope/detect/calcifications.h"
#include "calcscope/eval/eval.h"
#include "detect/scoring_models.h"

namespace calcscope {
namespace {

/// A noise image of `side` pixels of `px` mm, optionally with a Gaussian speck (sigma 0.08 mm, peak
/// `peak` noise units) at the centre.
Image noise_image(int side, double px, double peak, std::mt19937& rng) {
  Image im(side, side, px);
  std::normal_distribution<float> n(0.f, 0.01f);
  const double c = (side - 1) / 2.0, s = 0.08 / px;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      im.at(x, y) = 0.5f + n(rng) +
                    static_cast<float>(0.01 * peak * std::exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * s * s)));
  return im;
}

TEST(SpeckNet, PatchIsSampledInMillimetresAndNormalisedByTheNoise) {
  Image im(64, 64, 0.07);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) im.at(x, y) = 0.5f + (x == 32 && y == 32 ? 0.1f : 0.f);
  const auto p = speck_net_patch(im, 32, 32, 0.01);
  ASSERT_EQ(p.size(), static_cast<std::size_t>(kSpeckNetPatch * kSpeckNetPatch));
  double sum = 0, peak = -1e9;
  for (float v : p) {
    sum += v;
    peak = std::max(peak, static_cast<double>(v));
  }
  EXPECT_NEAR(sum, 0.0, 1e-3);  // mean removed
  EXPECT_GT(peak, 0.5);         // the bright pixel, in noise units / 5 (bilinear at a 0.06 mm step)
  EXPECT_LE(peak, 4.0 + 1e-6);  // clamped at 20 noise units / 5
  // the same physical patch at another pixel size: the same extent (a flat image gives zeros everywhere)
  Image flat(40, 40, 0.1);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) flat.at(x, y) = 0.3f;
  for (float v : speck_net_patch(flat, 20, 20, 0.01)) EXPECT_NEAR(v, 0.f, 1e-4);
}

TEST(SpeckNet, LearnsASpeckFromNoiseAndRoundTripsThroughJson) {
  std::mt19937 rng(3);
  std::vector<std::vector<float>> train, test;
  std::vector<int> train_labels, test_labels;
  for (int i = 0; i < 1200; ++i) {
    const int label = i % 3 == 0;
    const Image im = noise_image(31, 0.07, label ? 4.0 : 0.0, rng);
    (i < 900 ? train : test).push_back(speck_net_patch(im, 15, 15, 0.01));
    (i < 900 ? train_labels : test_labels).push_back(label);
  }
  SpeckNetSettings s;
  s.epochs = 6;
  s.width1 = 4;
  s.width2 = 8;
  s.hidden = 8;
  const SpeckNet net = SpeckNet::fit(train, train_labels, s);
  ASSERT_FALSE(net.empty());
  const auto logits = net.logits(test);
  std::vector<double> pos, neg;
  for (std::size_t k = 0; k < logits.size(); ++k) (test_labels[k] ? pos : neg).push_back(logits[k]);
  EXPECT_GT(eval::auc_mann_whitney(pos, neg), 0.95);
  // JSON round trip: the same logits
  const SpeckNet back = SpeckNet::from_json(nlohmann::json::parse(net.to_json().dump()));
  const auto again = back.logits(test);
  ASSERT_EQ(again.size(), logits.size());
  for (std::size_t k = 0; k < logits.size(); ++k) EXPECT_NEAR(again[k], logits[k], 1e-5);
  // and the fit is deterministic
  const auto twice = SpeckNet::fit(train, train_labels, s).logits(test);
  for (std::size_t k = 0; k < logits.size(); ++k) EXPECT_EQ(twice[k], logits[k]);
}

/// The forward pass written out in plain loops (conv 5x5, ReLU, max-pool 2, conv 3x3, ReLU, max-pool 2,
/// dense, ReLU, dense), the reference for the OpenCV dnn network that logits() builds.
double reference_logit(const nlohmann::json& j, const std::vector<float>& x) {
  auto P = [&](const char* n) { return j.at("parameters").at(n).at("values").get<std::vector<float>>(); };
  const int w1 = j.at("width1"), w2 = j.at("width2"), hidden = j.at("hidden");
  auto conv = [](const std::vector<float>& in, int cin, int side, const std::vector<float>& w, const std::vector<float>& b,
                 int cout, int k) {
    const int o = side - k + 1;
    std::vector<float> out(static_cast<std::size_t>(cout) * o * o);
    for (int c = 0; c < cout; ++c)
      for (int y = 0; y < o; ++y)
        for (int x = 0; x < o; ++x) {
          double v = b[c];
          for (int i = 0; i < cin; ++i)
            for (int dy = 0; dy < k; ++dy)
              for (int dx = 0; dx < k; ++dx)
                v += w[((c * cin + i) * k + dy) * k + dx] * in[(i * side + y + dy) * side + x + dx];
          out[(c * o + y) * o + x] = static_cast<float>(std::max(0.0, v));  // with the ReLU
        }
    return out;
  };
  auto pool = [](const std::vector<float>& in, int c, int side) {
    const int o = side / 2;
    std::vector<float> out(static_cast<std::size_t>(c) * o * o);
    for (int k = 0; k < c; ++k)
      for (int y = 0; y < o; ++y)
        for (int x = 0; x < o; ++x)
          out[(k * o + y) * o + x] = std::max({in[(k * side + 2 * y) * side + 2 * x], in[(k * side + 2 * y) * side + 2 * x + 1],
                                               in[(k * side + 2 * y + 1) * side + 2 * x], in[(k * side + 2 * y + 1) * side + 2 * x + 1]});
    return out;
  };
  auto a = pool(conv(x, 1, kSpeckNetPatch, P("c1.weight"), P("c1.bias"), w1, 5), w1, kSpeckNetPatch - 4);
  const int s1 = (kSpeckNetPatch - 4) / 2;
  a = pool(conv(a, w1, s1, P("c2.weight"), P("c2.bias"), w2, 3), w2, s1 - 2);
  const auto f1w = P("f1.weight"), f1b = P("f1.bias"), f2w = P("f2.weight"), f2b = P("f2.bias");
  double out = f2b[0];
  for (int h = 0; h < hidden; ++h) {
    double v = f1b[h];
    for (std::size_t i = 0; i < a.size(); ++i) v += f1w[h * a.size() + i] * a[i];
    out += f2w[h] * std::max(0.0, v);
  }
  return out;
}

// The committed weights are what SpeckNet::to_text() writes (as calcscope train does), and
// they read back to the same floats: since session 28 each weight is written as the shortest decimal
// that reads back as its float (460 -> 270 KB), not as the float widened to double.
TEST(SpeckNet, CommittedWeightsAreWrittenInShortFormAndReadBackExactly) {
  const std::string& text = embedded_model_speck_net();
  ASSERT_FALSE(text.empty());
  const SpeckNet net = SpeckNet::from_json(nlohmann::json::parse(text));
  EXPECT_EQ(net.to_text(), text);
  // random floats of every magnitude a weight has: written and read back bit for bit
  std::mt19937 rng(28);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> e(-40, 10);
  SpeckNetSettings s;
  s.width1 = 2, s.width2 = 2, s.hidden = 3;
  nlohmann::json j = net.to_json();
  j["width1"] = s.width1, j["width2"] = s.width2, j["hidden"] = s.hidden;
  std::vector<float> written;
  for (auto& [name, p] : j["parameters"].items()) {
    std::size_t count = 1;
    std::vector<int> shape;
    if (name == "c1.weight") shape = {2, 1, 5, 5};
    else if (name == "c2.weight") shape = {2, 2, 3, 3};
    else if (name == "f1.weight") shape = {3, 16 * 2};
    else if (name == "f2.weight") shape = {1, 3};
    else shape = {name == "f2.bias" ? 1 : name == "f1.bias" ? 3 : 2};
    for (int d : shape) count *= static_cast<std::size_t>(d);
    std::vector<float> v(count);
    for (auto& x : v) x = std::ldexp(u(rng), e(rng));
    p = {{"shape", shape}, {"values", v}};
  }
  const SpeckNet small = SpeckNet::from_json(j);
  const nlohmann::json again = SpeckNet::from_json(nlohmann::json::parse(small.to_text())).to_json();
  for (auto& [name, p] : j["parameters"].items()) {
    const auto a = p["values"].get<std::vector<float>>();
    const auto b = again["parameters"][name]["values"].get<std::vector<float>>();
    ASSERT_EQ(a.size(), b.size()) << name;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << name << " " << i;
  }
}

TEST(SpeckNet, ForwardPassMatchesAPlainLoopReference) {
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0.f, 0.3f);
  SpeckNetSettings s;
  s.width1 = 3;
  s.width2 = 4;
  s.hidden = 5;
  nlohmann::json j = {{"kind", "calcscope-speck-net"}, {"patch", kSpeckNetPatch}, {"step_mm", kSpeckNetStepMm},
                      {"width1", s.width1}, {"width2", s.width2}, {"hidden", s.hidden}};
  const std::vector<std::pair<const char*, std::vector<int>>> shapes = {
      {"c1.weight", {3, 1, 5, 5}}, {"c1.bias", {3}}, {"c2.weight", {4, 3, 3, 3}}, {"c2.bias", {4}},
      {"f1.weight", {5, 64}},      {"f1.bias", {5}}, {"f2.weight", {1, 5}},       {"f2.bias", {1}}};
  for (const auto& [name, shape] : shapes) {
    int n = 1;
    for (int d : shape) n *= d;
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = g(rng);
    j["parameters"][name] = {{"shape", shape}, {"values", v}};
  }
  const SpeckNet net = SpeckNet::from_json(j);
  std::vector<std::vector<float>> patches;
  for (int k = 0; k < 600; ++k) {  // more than one batch of 512
    std::vector<float> p(kSpeckNetPatch * kSpeckNetPatch);
    for (auto& x : p) x = g(rng) * 3;
    patches.push_back(p);
  }
  const auto got = net.logits(patches);
  ASSERT_EQ(got.size(), patches.size());
  double spread = 0;
  for (std::size_t k = 0; k < patches.size(); ++k) {
    const double want = reference_logit(j, patches[k]);
    EXPECT_NEAR(got[k], want, 1e-4 * (1 + std::abs(want))) << k;
    spread += std::abs(want);
  }
  EXPECT_GT(spread / patches.size(), 0.05);  // the reference is not trivially 0
}

TEST(SpeckNet, MalformedNetworksAndDataAreRefused) {
  EXPECT_THROW(SpeckNet::from_json(nlohmann::json{{"kind", "something else"}}), Error);
  nlohmann::json j = {{"kind", "calcscope-speck-net"}, {"patch", kSpeckNetPatch}, {"step_mm", kSpeckNetStepMm},
                      {"width1", 2},  {"width2", 2}, {"hidden", 2}, {"parameters", nlohmann::json::object()}};
  EXPECT_THROW(SpeckNet::from_json(j), Error);  // parameters missing
  j["width1"] = 0;
  EXPECT_THROW(SpeckNet::from_json(j), Error);
  const std::vector<std::vector<float>> one(3, std::vector<float>(kSpeckNetPatch * kSpeckNetPatch, 0.f));
  EXPECT_THROW(SpeckNet::fit(one, {0, 0, 0}, SpeckNetSettings{}), Error);  // one class only
  EXPECT_THROW(SpeckNet::fit({{1.f, 2.f}, {3.f}}, {0, 1}, SpeckNetSettings{}), Error);  // wrong patch size
  // an empty net gives 0 for every patch
  EXPECT_EQ(SpeckNet{}.logits(one), std::vector<double>(3, 0.0));
}

// Without the trainer module a fit fails with missing_component (exit 17), naming the module and the
// variable that points at it (session 28; before, an internal error). Run in a fresh process ("threadsafe"
// death-test style re-runs this test alone), since the module, once loaded, stays loaded.
TEST(SpeckNet, FitWithoutTheTrainerModuleIsAMissingComponent) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("CALCSCOPE_TORCH_MODULE", "/nonexistent/libcalcscope_speck_net_torch.so", 1);
        std::vector<std::vector<float>> two(2, std::vector<float>(kSpeckNetPatch * kSpeckNetPatch, 0.f));
        try {
          (void)SpeckNet::fit(two, {0, 1}, SpeckNetSettings{});
        } catch (const Error& e) {
          const std::string m = e.what();
          const bool named = m.find("/nonexistent/") != std::string::npos &&
                             m.find("CALCSCOPE_TORCH_MODULE") != std::string::npos;
          std::_Exit(named ? error_info(e.code()).exit_code : 99);
        }
        std::_Exit(98);
      },
      ::testing::ExitedWithCode(17), "");
}

// Where the trainer module is looked for: the variable, else the build tree's module (which exists
// here), else the installed one (cmake --install; tests/install checks that it is installed).
TEST(SpeckNet, TrainerModulePathIsTheVariableThenTheBuildTreeThenTheInstalledOne) {
  const char* old = std::getenv("CALCSCOPE_TORCH_MODULE");
  const std::string saved = old ? old : "";
  setenv("CALCSCOPE_TORCH_MODULE", "/somewhere/else.so", 1);
  EXPECT_EQ(speck_net_trainer_module_path(), "/somewhere/else.so");
  unsetenv("CALCSCOPE_TORCH_MODULE");
  const std::string path = speck_net_trainer_module_path();
  EXPECT_TRUE(std::filesystem::exists(path)) << path;
  EXPECT_NE(path.find("libcalcscope_speck_net_torch"), std::string::npos) << path;
  if (old) setenv("CALCSCOPE_TORCH_MODULE", saved.c_str(), 1);
}

TEST(SpeckNet, FeatureIsLeftAtZeroOnFilmAndWithoutANetwork) {
  std::mt19937 rng(5);
  const Image im = noise_image(41, 0.07, 6.0, rng);
  Calcification c;
  c.x = c.y = 20;
  c.features.assign(calcification_feature_names().size(), 0.0);
  const auto& names = calcification_feature_names();
  const auto at = [&](const char* n) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), n) - names.begin());
  };
  ASSERT_LT(at("speck_net"), names.size());
  c.features[at("log_noise")] = -2.0;
  c.features[at("pixel_size_mm")] = 0.07;
  c.features[at("speck_net")] = 123.0;
  std::vector<Calcification> cands = {c, c};
  cands[1].features[at("pixel_size_mm")] = 0.2;  // film
  add_speck_net_feature(cands, im, nullptr);
  EXPECT_EQ(cands[0].features[at("speck_net")], 0.0);
  EXPECT_EQ(cands[1].features[at("speck_net")], 0.0);
  // with a network: the digital candidate gets its logit, the film one stays 0
  std::vector<std::vector<float>> p;
  std::vector<int> l;
  for (int i = 0; i < 200; ++i) {
    p.push_back(speck_net_patch(noise_image(31, 0.07, i % 2 ? 6.0 : 0.0, rng), 15, 15, 0.01));
    l.push_back(i % 2);
  }
  SpeckNetSettings s;
  s.epochs = 2;
  s.width1 = s.width2 = s.hidden = 2;
  const SpeckNet net = SpeckNet::fit(p, l, s);
  add_speck_net_feature(cands, im, &net);
  EXPECT_NE(cands[0].features[at("speck_net")], 0.0);
  EXPECT_EQ(cands[0].features[at("speck_net")], net.logits({speck_net_patch(im, 20, 20, 0.01)})[0]);
  EXPECT_EQ(cands[1].features[at("speck_net")], 0.0);
}

}  // namespace
}  // namespace calcscope
