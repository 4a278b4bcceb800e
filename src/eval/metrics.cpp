// FROC, ROC AUC, bootstrap and hit rules.
#include <algorithm>
#include <cmath>
#include <map>
#include <limits>
#include <numeric>
#include <random>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"

namespace calcscope::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kRateEps = 1e-12;

/// All detections of all units, highest score first (ties keep unit order).
struct Entry {
  double score;
  int unit;
  const FrocDetection* det;
};

std::vector<Entry> sorted_entries(const std::vector<FrocUnit>& units) {
  std::vector<Entry> entries;
  for (std::size_t u = 0; u < units.size(); ++u)
    for (const auto& d : units[u].detections) {
      if (!std::isfinite(d.score))
        throw Error(ErrorCode::InvalidData, "a detection score is not a finite number");
      entries.push_back({d.score, static_cast<int>(u), &d});
    }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.score > b.score; });
  return entries;
}

/// The FROC curve when unit u is present weight[u] times (bootstrap); weight 1 everywhere = plain curve.
/// Copies of a unit are identical, so each contributes weight x (its own hits and false positives).
std::vector<FrocPoint> sweep(const std::vector<FrocUnit>& units, const std::vector<Entry>& entries,
                             const std::vector<int>& weight) {
  double targets = 0, exposure = 0;
  std::vector<std::vector<char>> found(units.size());
  for (std::size_t u = 0; u < units.size(); ++u) {
    targets += static_cast<double>(weight[u]) * units[u].targets;
    exposure += weight[u] * units[u].exposure;
    found[u].assign(static_cast<std::size_t>(std::max(units[u].targets, 0)), 0);
  }
  const auto point = [&](std::optional<double> thr, long long n_found, long long n_fp) {
    FrocPoint p;
    p.threshold = thr;
    p.found = static_cast<int>(n_found);
    p.false_positives = static_cast<int>(n_fp);
    p.sensitivity = targets > 0 ? n_found / targets : kNaN;
    p.fp_rate = exposure > 0 ? n_fp / exposure : (n_fp > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    return p;
  };
  std::vector<FrocPoint> curve{point(std::nullopt, 0, 0)};
  long long n_found = 0, n_fp = 0;
  std::size_t i = 0;
  while (i < entries.size()) {
    const double s = entries[i].score;
    bool any = false;
    for (; i < entries.size() && entries[i].score == s; ++i) {
      const int u = entries[i].unit;
      const int w = weight[static_cast<std::size_t>(u)];
      if (w == 0) continue;
      any = true;
      const FrocDetection& d = *entries[i].det;
      if (d.false_positive) n_fp += w;
      for (int t : d.targets) {
        if (t < 0 || t >= units[u].targets) throw Error(ErrorCode::Internal, "FROC target index out of range");
        char& f = found[u][static_cast<std::size_t>(t)];
        if (!f) {
          f = 1;
          n_found += w;
        }
      }
    }
    if (any) curve.push_back(point(s, n_found, n_fp));
  }
  return curve;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

/// Resample indices 0..n-1 with replacement: returns how often each was drawn.
std::vector<int> resample_weights(std::size_t n, std::mt19937_64& rng) {
  std::vector<int> w(n, 0);
  for (std::size_t k = 0; k < n; ++k) ++w[rng() % n];
  return w;
}

double distance_to_segment(double px, double py, double ax, double ay, double bx, double by) {
  const double vx = bx - ax, vy = by - ay;
  const double len2 = vx * vx + vy * vy;
  double t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(px - (ax + t * vx), py - (ay + t * vy));
}

}  // namespace

std::vector<FrocPoint> froc_curve(const std::vector<FrocUnit>& units) {
  return sweep(units, sorted_entries(units), std::vector<int>(units.size(), 1));
}

FrocOperatingPoint froc_operating_point(const std::vector<FrocPoint>& curve, double fp_rate_limit) {
  FrocOperatingPoint op;
  op.fp_rate_limit = fp_rate_limit;
  op.sensitivity = kNaN;
  if (curve.empty()) return op;
  const FrocPoint* best = &curve.front();
  for (const auto& p : curve) {
    if (p.fp_rate > fp_rate_limit + kRateEps) break;  // FP rate only grows along the curve
    if (p.sensitivity > best->sensitivity) best = &p;  // strict: keep the highest threshold on ties
  }
  op.sensitivity = best->sensitivity;
  op.threshold = best->threshold;
  op.fp_rate = best->fp_rate;
  op.found = best->found;
  return op;
}

double froc_partial_area(const std::vector<FrocPoint>& curve, double max_fp_rate) {
  if (curve.empty() || !(max_fp_rate > 0)) return kNaN;
  if (std::isnan(curve.front().sensitivity)) return kNaN;
  double area = 0;
  for (std::size_t i = 0; i < curve.size(); ++i) {
    const double from = std::min(curve[i].fp_rate, max_fp_rate);
    const double to = i + 1 < curve.size() ? std::min(curve[i + 1].fp_rate, max_fp_rate) : max_fp_rate;
    area += curve[i].sensitivity * (to - from);
  }
  return area / max_fp_rate;
}

std::vector<std::pair<std::optional<double>, std::optional<double>>> froc_bootstrap(
    const std::vector<FrocUnit>& units, const std::vector<double>& limits, const BootstrapOptions& options) {
  std::vector<std::pair<std::optional<double>, std::optional<double>>> out(limits.size());
  if (units.empty() || options.resamples <= 0) return out;
  const auto entries = sorted_entries(units);
  std::mt19937_64 rng(options.seed);
  std::vector<std::vector<double>> samples(limits.size());
  for (int r = 0; r < options.resamples; ++r) {
    const auto w = resample_weights(units.size(), rng);
    int targets = 0;
    for (std::size_t u = 0; u < units.size(); ++u) targets += w[u] * units[u].targets;
    if (targets == 0) continue;  // sensitivity undefined for this resample
    const auto curve = sweep(units, entries, w);
    for (std::size_t k = 0; k < limits.size(); ++k)
      samples[k].push_back(froc_operating_point(curve, limits[k]).sensitivity);
  }
  for (std::size_t k = 0; k < limits.size(); ++k)
    if (!samples[k].empty()) out[k] = {quantile(samples[k], 0.025), quantile(samples[k], 0.975)};
  return out;
}

double auc_mann_whitney(const std::vector<double>& positives, const std::vector<double>& negatives) {
  if (positives.empty() || negatives.empty()) return kNaN;
  struct V {
    double v;
    bool pos;
  };
  std::vector<V> all;
  for (double p : positives) all.push_back({p, true});
  for (double n : negatives) all.push_back({n, false});
  std::sort(all.begin(), all.end(), [](const V& a, const V& b) { return a.v < b.v; });
  // Sum of mid-ranks of the positives; a tie between a positive and a negative then counts 1/2.
  double rank_sum = 0;
  std::size_t i = 0;
  while (i < all.size()) {
    std::size_t j = i;
    while (j < all.size() && all[j].v == all[i].v) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (std::size_t k = i; k < j; ++k)
      if (all[k].pos) rank_sum += mid_rank;
    i = j;
  }
  const double np = static_cast<double>(positives.size()), nn = static_cast<double>(negatives.size());
  return (rank_sum - np * (np + 1) / 2.0) / (np * nn);
}

std::vector<int> cluster_hits(const DetectedCluster& d, const TruthImage& truth, double pixel_size_mm,
                              double min_radius_mm) {
  if (!(pixel_size_mm > 0)) throw Error(ErrorCode::InvalidData, "pixel size must be positive to match clusters");
  const double min_radius_px = std::max(0.0, min_radius_mm) / pixel_size_mm;
  std::vector<int> hits;
  for (std::size_t t = 0; t < truth.clusters.size(); ++t) {
    const auto& c = truth.clusters[t];
    if (!c.locatable) continue;
    const double r = std::max(c.radius_px, min_radius_px);
    if (std::hypot(d.x - c.x, d.y - c.y) <= r) hits.push_back(static_cast<int>(t));
  }
  return hits;
}

bool calcification_hit(double x_px, double y_px, const TruthCalcification& t, double pixel_size_mm,
                       double margin_mm, double min_distance_mm) {
  const double dx = (x_px - t.x) * pixel_size_mm, dy = (y_px - t.y) * pixel_size_mm;
  if (t.length_mm > t.diameter_mm) {
    if (t.angle_deg) {
      // A capsule: the axis segment (length - width) plus the width's half all round.
      const double half = (t.length_mm - t.diameter_mm) / 2.0;
      const double a = *t.angle_deg * M_PI / 180.0;
      const double ux = std::cos(a) * half, uy = std::sin(a) * half;
      const double tol = std::max(t.diameter_mm / 2.0 + margin_mm, min_distance_mm);
      return distance_to_segment(dx, dy, -ux, -uy, ux, uy) <= tol;
    }
    // Orientation unknown: any point within half the length (plus margin) of the centre.
    return std::hypot(dx, dy) <= std::max(t.length_mm / 2.0 + margin_mm, min_distance_mm);
  }
  return std::hypot(dx, dy) <= std::max(t.diameter_mm / 2.0 + margin_mm, min_distance_mm);
}

std::vector<FrocUnit> cluster_froc_units(const std::vector<EvalCase>& cases, double min_radius_mm) {
  return cluster_froc_units(cases, min_radius_mm, [](const TruthImage&, std::size_t) { return true; });
}

int cluster_members_at_least(const TruthImage& truth, std::size_t index, double min_diameter_mm) {
  int n = 0;
  for (const auto& t : truth.calcifications)
    n += t.cluster_id == truth.clusters.at(index).id && t.diameter_mm >= min_diameter_mm;
  return n;
}

std::vector<FrocUnit> cluster_froc_units(const std::vector<EvalCase>& cases, double min_radius_mm,
                                         const ClusterFilter& counted) {
  std::vector<FrocUnit> units;
  for (const auto& c : cases) {
    // Locatable (and counted) truth clusters are the targets; map truth index -> target index.
    std::vector<int> target_of(c.truth.clusters.size(), -1);
    FrocUnit u;
    u.exposure = 1.0;
    for (std::size_t t = 0; t < c.truth.clusters.size(); ++t)
      if (c.truth.clusters[t].locatable && counted(c.truth, t)) target_of[t] = u.targets++;
    for (const auto& d : c.result.clusters) {
      FrocDetection fd;
      fd.score = d.score;
      const auto hits = cluster_hits(d, c.truth, c.result.pixel_size_mm, min_radius_mm);
      for (int t : hits)
        if (target_of[static_cast<std::size_t>(t)] >= 0) fd.targets.push_back(target_of[static_cast<std::size_t>(t)]);
      fd.false_positive = hits.empty();
      u.detections.push_back(std::move(fd));
    }
    units.push_back(std::move(u));
  }
  return units;
}

std::vector<FrocUnit> calcification_froc_units(const std::vector<EvalCase>& cases, double min_diameter_mm,
                                               double margin_mm, double min_distance_mm) {
  std::vector<FrocUnit> units;
  for (const auto& c : cases) {
    if (!c.truth.has_calcification_truth) continue;
    if (!(c.result.breast_area_mm2 > 0))
      throw Error(ErrorCode::InvalidData,
                  "breast.area_mm2 is missing or zero: needed for false positives per cm^2", c.result.source);
    FrocUnit u;
    u.exposure = c.result.breast_area_mm2 / 100.0;
    std::vector<int> target_of(c.truth.calcifications.size(), -1);
    for (std::size_t t = 0; t < c.truth.calcifications.size(); ++t)
      if (c.truth.calcifications[t].diameter_mm >= min_diameter_mm) target_of[t] = u.targets++;
    for (const auto& d : c.result.calcifications) {
      FrocDetection fd;
      fd.score = d.score;
      fd.false_positive = true;
      for (std::size_t t = 0; t < c.truth.calcifications.size(); ++t) {
        if (!calcification_hit(d.x, d.y, c.truth.calcifications[t], c.result.pixel_size_mm, margin_mm,
                               min_distance_mm))
          continue;
        fd.false_positive = false;  // a real calcification, even if too small to be counted
        if (target_of[t] >= 0) fd.targets.push_back(target_of[t]);
      }
      u.detections.push_back(std::move(fd));
    }
    units.push_back(std::move(u));
  }
  return units;
}

FrocSummary summarise_froc(const std::vector<FrocUnit>& units, const std::vector<double>& rates,
                           const BootstrapOptions& bootstrap) {
  FrocSummary s;
  s.units = static_cast<int>(units.size());
  for (const auto& u : units) {
    s.targets += u.targets;
    s.detections += static_cast<int>(u.detections.size());
    s.exposure += u.exposure;
  }
  s.curve = froc_curve(units);
  const auto ci = froc_bootstrap(units, rates, bootstrap);
  for (std::size_t k = 0; k < rates.size(); ++k) {
    auto op = froc_operating_point(s.curve, rates[k]);
    op.ci_low = ci[k].first;
    op.ci_high = ci[k].second;
    s.operating_points.push_back(op);
  }
  s.max_fp_rate = rates.empty() ? 0.0 : *std::max_element(rates.begin(), rates.end());
  s.partial_area = froc_partial_area(s.curve, s.max_fp_rate);
  return s;
}

ImageLevel image_level_auc(const std::vector<EvalCase>& cases, const BootstrapOptions& bootstrap) {
  std::vector<double> score(cases.size(), 0.0);
  std::vector<char> positive(cases.size(), 0);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (const auto& c : cases[i].result.clusters) score[i] = std::max(score[i], c.score);
    positive[i] = cases[i].truth.has_calcifications ? 1 : 0;
  }
  const auto auc_of = [&](const std::vector<int>& weight) {
    std::vector<double> pos, neg;
    for (std::size_t i = 0; i < cases.size(); ++i)
      for (int k = 0; k < weight[i]; ++k) (positive[i] ? pos : neg).push_back(score[i]);
    return auc_mann_whitney(pos, neg);
  };
  ImageLevel out;
  for (char p : positive) (p ? out.positives : out.negatives)++;
  out.auc = auc_of(std::vector<int>(cases.size(), 1));
  if (std::isnan(out.auc) || bootstrap.resamples <= 0) return out;
  std::mt19937_64 rng(bootstrap.seed);
  std::vector<double> samples;
  for (int r = 0; r < bootstrap.resamples; ++r) {
    const double a = auc_of(resample_weights(cases.size(), rng));
    if (!std::isnan(a)) samples.push_back(a);
  }
  if (!samples.empty()) {
    out.ci_low = quantile(samples, 0.025);
    out.ci_high = quantile(samples, 0.975);
  }
  return out;
}

SeverityLevel severity_auc(const std::vector<EvalCase>& cases, double min_radius_mm, const std::string& field) {
  SeverityLevel out;
  out.field = field;
  std::vector<double> malignant, benign;
  for (const auto& c : cases) {
    // For each truth cluster: the highest-scoring detection with a value that hits it.
    std::vector<const DetectedCluster*> best(c.truth.clusters.size(), nullptr);
    for (const auto& d : c.result.clusters) {
      if (!d.value) continue;
      for (int t : cluster_hits(d, c.truth, c.result.pixel_size_mm, min_radius_mm)) {
        auto& b = best[static_cast<std::size_t>(t)];
        if (!b || d.score > b->score || (d.score == b->score && *d.value > *b->value)) b = &d;
      }
    }
    for (std::size_t t = 0; t < c.truth.clusters.size(); ++t) {
      const auto& tc = c.truth.clusters[t];
      if (!tc.locatable || (tc.severity != "B" && tc.severity != "M")) continue;
      if (!best[t]) {
        ++out.unmatched;
        continue;
      }
      (tc.severity == "M" ? malignant : benign).push_back(*best[t]->value);
    }
  }
  out.malignant = static_cast<int>(malignant.size());
  out.benign = static_cast<int>(benign.size());
  out.auc = auc_mann_whitney(malignant, benign);
  return out;
}

EvalReport evaluate(const std::vector<EvalCase>& cases, TruthKind kind, const EvalOptions& options) {
  if (cases.empty()) throw Error(ErrorCode::InvalidData, "no image to evaluate");
  if (options.min_radius_mm < 0 || options.min_diameter_mm < 0)
    throw Error(ErrorCode::Usage, "--min-radius-mm and --min-diameter-mm must not be negative");
  EvalReport r;
  r.truth_kind = kind;
  r.options = options;
  r.images = static_cast<int>(cases.size());
  int unlocatable = 0;
  bool calc_truth = false;
  for (const auto& c : cases) {
    if (c.truth.has_calcifications) ++r.images_with_calcifications;
    r.truth_clusters += static_cast<int>(c.truth.clusters.size());
    for (const auto& t : c.truth.clusters) (t.locatable ? r.locatable_truth_clusters : unlocatable)++;
    calc_truth = calc_truth || c.truth.has_calcification_truth;
  }
  if (unlocatable > 0)
    r.notes.push_back(std::to_string(unlocatable) +
                      " truth cluster(s) have no centre (MIAS *NOTE 3*): counted at image level only; "
                      "detections on those images are false positives");
  r.clusters = summarise_froc(cluster_froc_units(cases, options.min_radius_mm), options.cluster_fp_rates,
                              options.bootstrap);
  r.image = image_level_auc(cases, options.bootstrap);
  if (kind == TruthKind::Phantom && calc_truth) {
    const double dmin = options.min_diameter_mm;
    const int nmin = options.eligible_min_members;
    r.eligible_clusters = summarise_froc(
        cluster_froc_units(cases, options.min_radius_mm,
                           [&](const TruthImage& t, std::size_t i) { return cluster_members_at_least(t, i, dmin) >= nmin; }),
        options.cluster_fp_rates, options.bootstrap);
    // Found per morphology at the main curve's thresholds.
    std::map<std::string, ClusterGroupFound> groups;
    for (const auto& c : cases)
      for (const auto& t : c.truth.clusters)
        if (t.locatable && !t.morphology.empty()) {
          auto& g = groups[t.morphology];
          g.group = t.morphology;
          ++g.clusters;
        }
    for (auto& [word, g] : groups) {
      g.found.assign(r.clusters.operating_points.size(), 0);
      for (std::size_t k = 0; k < r.clusters.operating_points.size(); ++k) {
        const auto& thr = r.clusters.operating_points[k].threshold;
        if (!thr) continue;
        for (const auto& c : cases) {
          std::vector<char> hit(c.truth.clusters.size(), 0);
          for (const auto& d : c.result.clusters)
            if (d.score >= *thr)
              for (int t : cluster_hits(d, c.truth, c.result.pixel_size_mm, options.min_radius_mm))
                hit[static_cast<std::size_t>(t)] = 1;
          for (std::size_t t = 0; t < c.truth.clusters.size(); ++t)
            g.found[k] += hit[t] && c.truth.clusters[t].morphology == word;
        }
      }
      r.clusters_by_morphology.push_back(g);
    }
  }
  if (calc_truth)
    r.calcifications = summarise_froc(calcification_froc_units(cases, options.min_diameter_mm, options.calc_margin_mm,
                                                               options.calc_min_distance_mm),
                                      options.calcification_fp_rates, options.bootstrap);
  if (r.calcifications) {
    // Found per morphology at the calcification curve's thresholds, and as candidates at all.
    std::map<std::string, CalcificationGroupFound> groups;
    std::map<std::string, std::vector<double>> best;  // per morphology: each truth's best hitting score (-1 = none)
    for (const auto& c : cases) {
      if (!c.truth.has_calcification_truth) continue;
      for (const auto& t : c.truth.calcifications) {
        if (t.morphology.empty() || t.diameter_mm < options.min_diameter_mm) continue;
        double b = -1;
        for (const auto& d : c.result.calcifications)
          if (d.score > b && calcification_hit(d.x, d.y, t, c.result.pixel_size_mm, options.calc_margin_mm,
                                               options.calc_min_distance_mm))
            b = d.score;
        best[t.morphology].push_back(b);
      }
    }
    for (const auto& [word, scores] : best) {
      CalcificationGroupFound g;
      g.group = word;
      g.calcifications = static_cast<int>(scores.size());
      for (double b : scores) g.candidates += b >= 0;
      for (const auto& op : r.calcifications->operating_points) {
        int n = 0;
        if (op.threshold)
          for (double b : scores) n += b >= 0 && b >= *op.threshold;
        g.found.push_back(n);
      }
      r.calcifications_by_morphology.push_back(std::move(g));
    }
  }
  if (!options.value_field.empty()) {
    r.severity = severity_auc(cases, options.min_radius_mm, options.value_field);
    if (r.severity->benign + r.severity->malignant == 0)
      r.notes.push_back("no truth cluster with a severity was matched by a detection carrying \"" +
                        options.value_field + "\"");
  }
  return r;
}

}  // namespace calcscope::eval
