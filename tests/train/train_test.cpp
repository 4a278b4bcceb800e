// Pure helpers of the training command (src/train/train.cpp): patient-pair folds and the imaging
// of the digital family's varied phantoms.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "calcscope/core/error.h"
#include "calcscope/core/hash.h"
#include "calcscope/eval/infn_cases.h"
#include "calcscope/io/grey_window.h"
#include "calcscope/train/train.h"
#include "test_support.h"
#include "detect/gbdt.h"
#include "train/train_common.h"
#include "train/xgb_binary.h"

namespace calcscope {
namespace {

TEST(MiasFold, PatientPairsShareAFoldAndEveryFoldIsUsed) {
  std::set<int> used;
  for (int k = 1; k <= 161; ++k) {
    char a[16], b[16];
    std::snprintf(a, sizeof a, "mdb%03d", 2 * k - 1);
    std::snprintf(b, sizeof b, "mdb%03d", 2 * k);
    const int fa = mias_fold(a, 5), fb = mias_fold(b, 5);
    EXPECT_EQ(fa, fb) << a << " and " << b << " are one woman's two breasts";
    EXPECT_GE(fa, 0);
    EXPECT_LT(fa, 5);
    used.insert(fa);
  }
  EXPECT_EQ(used.size(), 5u);
}

TEST(PhantomImagingVariety, CoversTheDocumentedRangesOnIndependentGrids) {
  std::set<long> betas, blurs, noises;
  // per pixel-size slot (i % 3, the training phantoms' cycle): the texture exponents seen
  std::map<int, std::set<long>> beta_by_pixel_slot;
  for (int i = 0; i < 240; ++i) {
    const PhantomImaging v = phantom_imaging_variety(i);
    EXPECT_GE(v.texture_beta, 2.5 - 1e-9);
    EXPECT_LE(v.texture_beta, 3.5 + 1e-9);
    EXPECT_GE(v.blur_mm, 0.04 - 1e-9);
    EXPECT_LE(v.blur_mm, 0.10 + 1e-9);
    EXPECT_GE(v.noise, 0.7 - 1e-9);
    EXPECT_LE(v.noise, 1.8 + 1e-9);
    betas.insert(std::lround(v.texture_beta * 100));
    blurs.insert(std::lround(v.blur_mm * 1000));
    noises.insert(std::lround(v.noise * 1000));
    beta_by_pixel_slot[i % 3].insert(std::lround(v.texture_beta * 100));
  }
  EXPECT_EQ(betas.size(), 11u);
  EXPECT_EQ(blurs.size(), 7u);
  EXPECT_EQ(noises.size(), 13u);
  EXPECT_EQ(*betas.begin(), 250);
  EXPECT_EQ(*betas.rbegin(), 350);
  // every pixel size sees every texture exponent (the grids are not aligned with the 3-cycle)
  for (const auto& [slot, seen] : beta_by_pixel_slot) EXPECT_EQ(seen.size(), 11u) << "pixel slot " << slot;
  // deterministic
  EXPECT_EQ(phantom_imaging_variety(17).noise, phantom_imaging_variety(17).noise);
}

// The wide ranges (TrainOptions::digital_wide_imaging) reach the documented ends on the same grids.
TEST(PhantomImagingVariety, WideRangesReachTheirDocumentedEnds) {
  double lo_beta = 9, hi_beta = 0, lo_blur = 9, hi_blur = 0, lo_noise = 9, hi_noise = 0;
  for (int i = 0; i < 240; ++i) {
    const PhantomImaging v = phantom_imaging_variety(i, true);
    lo_beta = std::min(lo_beta, v.texture_beta), hi_beta = std::max(hi_beta, v.texture_beta);
    lo_blur = std::min(lo_blur, v.blur_mm), hi_blur = std::max(hi_blur, v.blur_mm);
    lo_noise = std::min(lo_noise, v.noise), hi_noise = std::max(hi_noise, v.noise);
  }
  EXPECT_NEAR(lo_beta, 2.2, 1e-9);
  EXPECT_NEAR(hi_beta, 3.8, 1e-9);
  EXPECT_NEAR(lo_blur, 0.02, 1e-9);
  EXPECT_NEAR(hi_blur, 0.12, 1e-9);
  EXPECT_NEAR(lo_noise, 0.5, 1e-9);
  EXPECT_NEAR(hi_noise, 2.5, 1e-9);
  EXPECT_NE(phantom_imaging_variety(5, true).noise, phantom_imaging_variety(5).noise);
}

TEST(NegativeKeepProbabilities, UniformHardAndUnderBudget) {
  // no more negatives than the budget: all kept
  EXPECT_EQ(negative_keep_probabilities({1, 5, 2}, 10), (std::vector<double>{1, 1, 1}));
  // equal hardness: exactly budget / n each (the uniform subsample)
  const auto u = negative_keep_probabilities(std::vector<double>(400, 1.0), 100);
  for (double p : u) EXPECT_EQ(p, 100.0 / 400.0);
  // hardness 1 for 300 easy and 4 for 100 hard negatives, budget 100: lambda * (300 + 400) = 100
  std::vector<double> h(300, 1.0);
  h.insert(h.end(), 100, 4.0);
  const auto p = negative_keep_probabilities(h, 100);
  double sum = 0;
  for (double v : p) sum += v;
  EXPECT_NEAR(sum, 100, 1e-6);
  EXPECT_NEAR(p.front(), 1.0 / 7, 1e-9);
  EXPECT_NEAR(p.back(), 4.0 / 7, 1e-9);
  // a probability never exceeds 1: one very hard negative is always kept, the rest share the budget
  std::vector<double> q(100, 1.0);
  q.push_back(1000.0);
  const auto pq = negative_keep_probabilities(q, 11);
  EXPECT_EQ(pq.back(), 1.0);
  EXPECT_NEAR(pq.front(), 0.1, 1e-9);
}

// A misspelt --film-cluster-ignore name is a usage error before any data are read.
// Bagging (TrainOptions::film_bag): the averaged model's margin is the mean of its members' margins.
TEST(AverageXgbModels, MarginIsTheMeanOfTheMembersMargins) {
  // a made-up two-feature problem: label = x0 + 0.5 x1 > 0.8, with a few flipped labels
  std::vector<float> x, y, w;
  for (int i = 0; i < 400; ++i) {
    const float a = static_cast<float>((i * 37) % 100) / 100.f, b = static_cast<float>((i * 61) % 100) / 100.f;
    x.push_back(a);
    x.push_back(b);
    y.push_back((a + 0.5f * b > 0.8f) != (i % 17 == 0) ? 1.f : 0.f);
    w.push_back(1.f);
  }
  train_detail::XgbSettings s;
  s.trees = 12;
  s.depth = 3;
  s.threads = 1;
  std::vector<std::string> members;
  for (int seed : {7, 8, 9}) {
    s.seed = seed;
    members.push_back(train_detail::train_xgb_binary(x, 2, y, w, s));
  }
  ASSERT_NE(members[0], members[1]) << "different seeds must give different models (row/column subsamples)";
  const auto avg = GbdtModel::from_xgboost_json(nlohmann::json::parse(train_detail::average_xgb_models(members)));
  EXPECT_EQ(avg.num_trees(), 36u);
  EXPECT_EQ(avg.num_features(), 2u);
  const auto logit = [](double p) { return std::log(p / (1 - p)); };
  for (const std::vector<double> f : {std::vector<double>{0.1, 0.1}, {0.5, 0.6}, {0.9, 0.2}, {0.7, 0.9}}) {
    double mean = 0;
    for (const auto& m : members) mean += logit(GbdtModel::from_xgboost_json(nlohmann::json::parse(m)).predict(f)) / 3.0;
    EXPECT_NEAR(logit(avg.predict(f)), mean, 1e-5);
  }
  EXPECT_EQ(train_detail::average_xgb_models({members[0]}), members[0]);
  EXPECT_THROW(train_detail::average_xgb_models({}), Error);
  std::vector<float> x3;
  for (std::size_t i = 0; i < y.size(); ++i) x3.insert(x3.end(), {x[2 * i], x[2 * i + 1], 0.f});
  s.seed = 7;
  EXPECT_THROW(train_detail::average_xgb_models({members[0], train_detail::train_xgb_binary(x3, 3, y, w, s)}), Error);
}

// The session-23 experiment's grey scales (TrainOptions::digital_grey_variety) must stay inside the
// grey window's dead band: analyze() leaves such an image as stored, so training saw what analysis sees.
TEST(PhantomGreyVariety, StaysInsideTheGreyWindowsDeadBand) {
  std::set<long> gains, offsets;
  for (int i = 0; i < 240; ++i) {
    const PhantomGrey g = phantom_grey_variety(i);
    EXPECT_GE(g.gain, 0.88 - 1e-9);
    EXPECT_LE(g.gain, 1.13 + 1e-9);
    gains.insert(std::lround(g.gain * 1e4));
    offsets.insert(std::lround(g.offset * 1e4));
    // the trained region range, put on this grey scale, as the window measures it
    TissueRange t;
    t.low = g.offset + g.gain * kTrainedRegionLow;
    t.high = g.offset + g.gain * kTrainedRegionHigh;
    t.cells = 10000;
    EXPECT_FALSE(off_trained_grey_scale(t)) << "phantom " << i << ": gain " << g.gain << ", offset " << g.offset;
  }
  EXPECT_EQ(gains.size(), 17u);
  EXPECT_EQ(offsets.size(), 19u);
}

// A misspelt name in any of the three "features not used" lists fails before any data are read.
TEST(TrainOptions, UnknownIgnoredFeatureIsAUsageErrorAtOnce) {
  for (int which = 0; which < 3; ++which) {
    TrainOptions o;
    o.phantoms = 0;
    o.verbose = false;
    o.out_dir.clear();
    if (which == 0) o.film_cluster_ignored = {"mean_member_score", "mean_member_scores"};
    if (which == 1) o.digital_calc_ignored = {"cnr_peak", "mean_member_scores"};
    if (which == 2) o.digital_cluster_ignored = {"mean_member_scores"};
    try {
      train_models(o);
      FAIL() << "no error for list " << which;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Usage);
      EXPECT_NE(std::string(e.what()).find("mean_member_scores"), std::string::npos) << e.what();
    }
  }
}

// --speck-net-file: a missing or wrong network file is an error naming it, before any data is read.
TEST(TrainOptions, ABadNetworkFileIsAnErrorNamingIt) {
  const test::TempDir dir("calcscope-bad-net");
  std::ofstream(dir.path() / "net.json") << "{\"not\": \"a network\"}";
  std::ofstream(dir.path() / "text.json") << "not json";
  for (const auto& [name, code] : {std::pair{"absent.json", ErrorCode::FileNotFound},
                                   std::pair{"net.json", ErrorCode::InvalidData},
                                   std::pair{"text.json", ErrorCode::InvalidData}}) {
    TrainOptions o;
    o.phantoms = 0;
    o.verbose = false;
    o.out_dir.clear();
    o.speck_net_file = dir.path() / name;
    try {
      train_models(o);
      FAIL() << "no error for " << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << name << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  }
}

// An input error inside a training worker thread reaches the caller (and the CLI's exit code) instead
// of aborting the process.
TEST(ParallelFor, AnExceptionInAWorkerReachesTheCaller) {
  // thrown on the worker thread only (each item takes 1 ms, so the worker gets some of the 100)
  const auto caller = std::this_thread::get_id();
  EXPECT_THROW(train_detail::parallel_for(100, 2,
                                          [&](int) {
                                            std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                            if (std::this_thread::get_id() != caller)
                                              throw Error(ErrorCode::UnsupportedFormat, "bad", "x.png");
                                          }),
               Error);
  // on one thread the work stops at the first error
  int calls = 0;
  EXPECT_THROW(train_detail::parallel_for(100, 1,
                                          [&](int i) {
                                            ++calls;
                                            if (i == 5) throw Error(ErrorCode::UnsupportedFormat, "bad", "x.png");
                                          }),
               Error);
  EXPECT_EQ(calls, 6);
  std::vector<int> seen(50, 0);
  train_detail::parallel_for(50, 2, [&](int i) { ++seen[i]; });
  for (int v : seen) EXPECT_EQ(v, 1);
}

TEST(TrainPatches, ABadPatchFileIsAnErrorNamingItNotACrash) {
  const test::TempDir dir("calcscope-bad-infn");
  for (const char* cls : {"0", "1"}) {
    std::filesystem::create_directories(dir.path() / cls);
    std::ofstream(dir.path() / cls / "a.png") << "not an image";
  }
  const auto r = test::run_cli("train --patches --patch-phantoms 0 --infn " + test::quoted(dir.path()) + " --out " +
                               test::quoted(dir.path() / "out"));
  EXPECT_EQ(r.exit_code, 5) << r.output;  // unsupported_format
  EXPECT_NE(r.output.find("a.png"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace calcscope

// The INFN case split (speck_net_infn_case_half) hashes the case name with stable_string_hash(): it
// must give what libstdc++'s std::hash gave when session 28 split the cases, on every platform.
TEST(StableStringHash, IsLibstdcxxStdHashWrittenPortably) {
  // pinned: std::hash<std::string> of Debian 12's libstdc++ (x86-64)
  EXPECT_EQ(calcscope::stable_string_hash(""), 6142509188972423790ULL);
  EXPECT_EQ(calcscope::stable_string_hash("a"), 4993892634952068459ULL);
  EXPECT_EQ(calcscope::stable_string_hash("0001"), 325712469222580519ULL);
  EXPECT_EQ(calcscope::stable_string_hash("2052"), 12735827042232856613ULL);
  EXPECT_EQ(calcscope::stable_string_hash("abcdefgh"), 8664279048047335611ULL);
  EXPECT_EQ(calcscope::stable_string_hash("abcdefghijk"), 3672398144843267301ULL);
#if defined(__GLIBCXX__)
  if constexpr (sizeof(std::size_t) == 8) {
    std::string s;
    for (int i = 0; i < 40; ++i) {  // every tail length, bytes above 0x7f included
      EXPECT_EQ(calcscope::stable_string_hash(s), std::hash<std::string>{}(s)) << "length " << s.size();
      s.push_back(static_cast<char>(37 * i + 200));
    }
  }
#endif
  // the split itself reads only the first four characters
  EXPECT_EQ(calcscope::speck_net_infn_case_half("0001_L_CC.png"), calcscope::speck_net_infn_case_half("0001"));
}
