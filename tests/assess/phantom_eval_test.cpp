// Done-when 1 of issue 4: morphology and distribution confusion matrices on 70 um phantoms.
// Each phantom holds two clusters (>= 5 calcifications) of known morphology and distribution; the
// real pipeline (analyze + describe) runs on it, detected clusters are matched to the truth, and the
// words are compared. Seeds 1-50 were used to tune the rules; the reported figures use seeds 1000-1100:
//   CALCSCOPE_ASSESS_SEEDS=1000-1100 build/release/tests/test_assess --gtest_filter='PhantomEvaluation.*'
// Without the variable a 2-seed smoke run checks that the evaluation works end to end.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <algorithm>
#include <sstream>

#include "calcscope/assess/describe.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"

namespace calcscope {
namespace {

const std::vector<std::string> kMorph = {"amorphous", "coarse_heterogeneous", "fine_pleomorphic",
                                         "fine_linear_branching", "punctate", "round"};
const std::vector<std::string> kDist = {"grouped", "linear", "segmental", "regional"};

struct Confusion {
  std::vector<std::string> labels;
  std::map<std::string, std::map<std::string, int>> n;  // truth -> predicted -> count
  void add(const std::string& t, const std::string& p) { ++n[t][p]; }
  int total() const {
    int s = 0;
    for (const auto& [t, row] : n)
      for (const auto& [p, k] : row) s += k;
    return s;
  }
  int correct() const {
    int s = 0;
    for (const auto& [t, row] : n)
      if (row.count(t)) s += row.at(t);
    return s;
  }
  std::string table(const std::string& title) const {
    std::set<std::string> cols(labels.begin(), labels.end());
    for (const auto& [t, row] : n)
      for (const auto& [p, k] : row) cols.insert(p);
    std::vector<std::string> order = labels;
    for (const auto& c : cols)
      if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
    std::ostringstream os;
    os << "| " << title << " (truth \\ described) |";
    for (const auto& c : order) os << " " << c << " |";
    os << " correct |\n|---|";
    for (std::size_t i = 0; i <= order.size(); ++i) os << "---|";
    os << "\n";
    for (const auto& t : labels) {
      if (!n.count(t)) continue;
      int row_total = 0;
      os << "| " << t << " |";
      for (const auto& c : order) {
        const int k = n.at(t).count(c) ? n.at(t).at(c) : 0;
        row_total += k;
        os << " " << k << " |";
      }
      const int ok = n.at(t).count(t) ? n.at(t).at(t) : 0;
      os << " " << ok << "/" << row_total << " |\n";
    }
    os << "\nOverall: " << correct() << "/" << total() << " = " << std::fixed << std::setprecision(1)
       << (total() ? 100.0 * correct() / total() : 0.0) << " %\n";
    return os.str();
  }
};

std::pair<int, int> seed_range() {
  const char* env = std::getenv("CALCSCOPE_ASSESS_SEEDS");
  if (!env) return {1, 2};
  const std::string s(env);
  const auto dash = s.find('-');
  if (dash == std::string::npos) return {std::stoi(s), std::stoi(s)};
  return {std::stoi(s.substr(0, dash)), std::stoi(s.substr(dash + 1))};
}

/// Deterministic spec for the cluster k of a seed: morphology and a distribution it can have.
PhantomClusterSpec cluster_for(int seed, int k) {
  PhantomClusterSpec c;
  const int i = seed * 2 + k;
  const std::string m = kMorph[static_cast<std::size_t>(i) % kMorph.size()];
  std::string d = kDist[static_cast<std::size_t>(i / static_cast<int>(kMorph.size()) + k) % kDist.size()];
  if (m == "round" && (d == "linear" || d == "segmental")) d = "grouped";
  c.morphology = parse_morphology(m);
  c.distribution = parse_distribution(d);
  c.count = d == "grouped" ? 8 : d == "linear" ? 7 : 12;
  double lo = 0.1, hi = 1.0;
  if (m == "amorphous") lo = 0.1, hi = 0.25;
  else if (m == "coarse_heterogeneous") lo = 0.5, hi = 1.0;
  else if (m == "fine_pleomorphic") lo = 0.12, hi = 0.5;
  else if (m == "fine_linear_branching") lo = 0.1, hi = 0.3;
  else if (m == "punctate") lo = 0.15, hi = 0.49;
  else if (m == "round") lo = 0.5, hi = 0.99;
  c.mean_diameter_mm = lo + (0.35 + 0.45 * ((seed * 7 + k * 3) % 10) / 10.0) * (hi - lo);
  c.extent_mm = d == "grouped" ? 8 : d == "linear" ? 14 : 30;
  return c;
}

TEST(PhantomEvaluation, MorphologyAndDistributionConfusion) {
  const auto [first, last] = seed_range();
  Confusion morph{kMorph, {}}, dist{kDist, {}};
  int truths = 0, found = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int seed = first; seed <= last; ++seed) {
    PhantomSpec spec;
    spec.pixel_size_mm = 0.07;
    spec.seed = static_cast<std::uint64_t>(seed);
    spec.laterality = seed % 2 ? "L" : "R";
    spec.view = seed % 3 ? "CC" : "MLO";
    spec.clusters = {cluster_for(seed, 0), cluster_for(seed, 1)};
    const Phantom ph = make_phantom(spec);
    const AnalysisResult r = analyze(ph.image);
    const ImageDescription d = describe_image(ph.image, r);
    for (const auto& t : ph.clusters) {
      ++truths;
      // The detected cluster with the most members inside the truth region (radius + 3 mm).
      const ClusterDescription* best = nullptr;
      int best_n = 0;
      for (std::size_t j = 0; j < r.clusters.size(); ++j) {
        int n = 0;
        for (int id : r.clusters[j].calcification_ids)
          for (const auto& c : r.calcifications)
            if (c.id == id && std::hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) <= t.radius_mm + 3) ++n;
        if (n > best_n) {
          best_n = n;
          best = &d.clusters[j];
        }
      }
      const std::string tm = to_string(t.morphology), td = to_string(t.distribution);
      if (!best) {
        morph.add(tm, "(missed)");
        dist.add(td, "(missed)");
        continue;
      }
      ++found;
      morph.add(tm, best->morphology == "typically_benign" ? best->benign_type : best->morphology);
      dist.add(td, best->distribution);
      if (std::getenv("CALCSCOPE_ASSESS_VERBOSE"))
        std::cout << "seed " << seed << " truth " << tm << "/" << td << " -> "
                  << (best->morphology == "typically_benign" ? best->benign_type : best->morphology) << "/"
                  << best->distribution << " " << best->measurements.dump() << "\n";
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "\nSeeds " << first << "-" << last << ": " << truths << " true clusters, " << found
            << " detected and matched (" << std::fixed << std::setprecision(0) << secs << " s)\n\n"
            << morph.table("morphology") << "\n"
            << dist.table("distribution") << std::endl;
  EXPECT_EQ(truths, 2 * (last - first + 1));
  EXPECT_GT(found, 0) << "no true cluster was detected: the evaluation measured nothing";
}

}  // namespace
}  // namespace calcscope
