// Uses the installed calcscope library as an integrator would: makes a phantom with one cluster,
// analyses it with the embedded models and prints the result's JSON summary. Exit 0 only when the
// inserted cluster is found (a cluster centre within 5 mm of it).
#include <cmath>
#include <cstdio>

#include "calcscope/core/error.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/analyze.h"
#include "calcscope/report/json_output.h"

int main() {
  try {
    calcscope::PhantomSpec spec;
    spec.width_mm = 60;
    spec.height_mm = 80;
    spec.pixel_size_mm = 0.1;
    spec.seed = 7;
    calcscope::PhantomClusterSpec c;
    c.morphology = calcscope::Morphology::Punctate;
    c.count = 8;
    c.mean_diameter_mm = 0.4;
    c.extent_mm = 6;
    spec.clusters.push_back(c);
    const calcscope::Phantom phantom = calcscope::make_phantom(spec);
    const calcscope::AnalysisResult result = calcscope::analyze(phantom.image);
    const nlohmann::json j = calcscope::analysis_to_json(result);
    std::printf("schema %s: %zu calcifications, %zu clusters\n", j.at("schema_version").get<std::string>().c_str(),
                j.at("calcifications").size(), j.at("clusters").size());
    const auto& truth = phantom.clusters.at(0);
    for (const auto& k : j.at("clusters")) {
      const double d = std::hypot(k.at("x").get<double>() - truth.x, k.at("y").get<double>() - truth.y) * spec.pixel_size_mm;
      if (d <= 5.0) {
        std::printf("inserted cluster found: %.1f mm from its centre, score %.3f\n", d, k.at("score").get<double>());
        return 0;
      }
    }
    std::printf("inserted cluster not found\n");
    return 1;
  } catch (const calcscope::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
