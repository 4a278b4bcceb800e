// The candidate-patch network (include/calcscope/detect/speck_net.h).
#include "calcscope/detect/speck_net.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "calcscope/core/error.h"
#include "calcscope/detect/calcifications.h"
#include "calcscope/eval/eval.h"

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
