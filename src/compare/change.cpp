// Matching clusters across exams and labelling what changed (docs/compare.md).
#include "calcscope/compare/change.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "calcscope/core/error.h"

namespace calcscope {
namespace {

struct Pair {
  double distance;
  std::size_t a, b;
};

/// Greedy one-to-one matching by increasing distance; `tolerance(a, b)` is the largest accepted
/// distance for a pair. Returns match[a] = index of b or -1.
template <class Dist, class Tol>
std::vector<int> greedy_match(std::size_t na, std::size_t nb, Dist dist, Tol tolerance) {
  std::vector<Pair> pairs;
  for (std::size_t a = 0; a < na; ++a)
    for (std::size_t b = 0; b < nb; ++b) {
      const double d = dist(a, b);
      if (d <= tolerance(a, b)) pairs.push_back({d, a, b});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return x.distance != y.distance ? x.distance < y.distance : (x.a != y.a ? x.a < y.a : x.b < y.b);
  });
  std::vector<int> match(na, -1);
  std::vector<bool> used(nb, false);
  for (const auto& p : pairs) {
    if (match[p.a] >= 0 || used[p.b]) continue;
    match[p.a] = static_cast<int>(p.b);
    used[p.b] = true;
  }
  return match;
}

const Calcification* find_calcification(const ExamFindings& f, int id) {
  for (const auto& c : f.calcifications)
    if (c.id == id) return &c;
  return nullptr;
}

const ClusterDescription* find_description(const ExamFindings& f, int cluster_id) {
  for (const auto& d : f.descriptions)
    if (d.cluster_id == cluster_id) return &d;
  return nullptr;
}

/// A prior position expressed in current-image millimetres.
PointPx prior_px_to_current_mm(const PriorExam& prior, PointPx px) {
  const double p = prior.findings.pixel_size_mm;
  return prior.registration.transform.apply({px.x * p, px.y * p});
}

double dist(PointPx a, PointPx b) { return std::hypot(a.x - b.x, a.y - b.y); }

bool reportable(const Cluster& c, const ChangeParams& p) {
  return p.report_min_cluster_score < 0 || c.score >= p.report_min_cluster_score;
}

/// Calcification-level comparison: `now_members` (current mm) against every prior calcification
/// mapped into current mm and shifted by `offset_mm` (removes residual misregistration).
struct CalcCounts {
  int persisting = 0, fresh = 0, gone = 0;
};
CalcCounts match_calcifications(const std::vector<PointPx>& now_mm, const std::vector<PointPx>& then_mm,
                                double tolerance_mm) {
  const auto m = greedy_match(
      now_mm.size(), then_mm.size(), [&](std::size_t a, std::size_t b) { return dist(now_mm[a], then_mm[b]); },
      [&](std::size_t, std::size_t) { return tolerance_mm; });
  CalcCounts c;
  c.persisting = static_cast<int>(std::count_if(m.begin(), m.end(), [](int v) { return v >= 0; }));
  c.fresh = static_cast<int>(now_mm.size()) - c.persisting;
  c.gone = static_cast<int>(then_mm.size()) - c.persisting;
  return c;
}

std::vector<PointPx> member_positions_mm(const ExamFindings& f, const Cluster& cl) {
  std::vector<PointPx> out;
  for (int id : cl.calcification_ids)
    if (const auto* c = find_calcification(f, id)) out.push_back({c->x * f.pixel_size_mm, c->y * f.pixel_size_mm});
  return out;
}

std::chrono::year_month_day parse_ymd(const std::string& date) {
  const std::string d = normalise_date(date);
  const int y = std::stoi(d.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(d.substr(5, 2)));
  const unsigned day = static_cast<unsigned>(std::stoi(d.substr(8, 2)));
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{day}};
}

std::string format_ymd(const std::chrono::year_month_day& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                static_cast<unsigned>(d.day()));
  return buf;
}

/// Calcifications of `f` (score >= the evidence cut) whose position, mapped by `to_current_mm`,
/// lies within `radius_mm` of `centre_mm`: positions (current mm), centre and extent.
struct Evidence {
  std::vector<PointPx> positions_mm;
  PointPx centre_mm, centre_px;  ///< centre_px in f's own pixels
  double extent_mm = 0;
};
template <class Map>
Evidence evidence_near(const ExamFindings& f, PointPx centre_mm, double radius_mm, double min_score, Map to_current_mm) {
  Evidence e;
  for (const auto& c : f.calcifications) {
    if (c.score < min_score) continue;
    const PointPx q = to_current_mm({c.x, c.y});
    if (dist(q, centre_mm) > radius_mm) continue;
    e.positions_mm.push_back(q);
    e.centre_mm.x += q.x, e.centre_mm.y += q.y;
    e.centre_px.x += c.x, e.centre_px.y += c.y;
  }
  const double n = static_cast<double>(e.positions_mm.size());
  if (n > 0) e.centre_mm = {e.centre_mm.x / n, e.centre_mm.y / n}, e.centre_px = {e.centre_px.x / n, e.centre_px.y / n};
  for (const auto& a : e.positions_mm)
    for (const auto& b : e.positions_mm) e.extent_mm = std::max(e.extent_mm, dist(a, b));
  return e;
}

}  // namespace

// ---- dates -----------------------------------------------------------------------------------

std::string normalise_date(const std::string& date) {
  std::string digits;
  for (char c : date)
    if (c >= '0' && c <= '9') digits += c;
  const bool shape_ok = (date.size() == 8 && digits.size() == 8) ||
                        (date.size() == 10 && digits.size() == 8 && date[4] == '-' && date[7] == '-');
  if (!shape_ok)
    throw Error(ErrorCode::Usage, "'" + date + "' is not a date: give exam dates as YYYY-MM-DD (or DICOM YYYYMMDD)");
  const std::chrono::year_month_day ymd{std::chrono::year{std::stoi(digits.substr(0, 4))},
                                        std::chrono::month{static_cast<unsigned>(std::stoi(digits.substr(4, 2)))},
                                        std::chrono::day{static_cast<unsigned>(std::stoi(digits.substr(6, 2)))}};
  if (!ymd.ok()) throw Error(ErrorCode::Usage, "'" + date + "' is not a valid calendar date (YYYY-MM-DD)");
  return format_ymd(ymd);
}

double months_between(const std::string& from, const std::string& to) {
  const auto a = parse_ymd(from), b = parse_ymd(to);
  const int months = (static_cast<int>(b.year()) - static_cast<int>(a.year())) * 12 +
                     (static_cast<int>(static_cast<unsigned>(b.month())) -
                      static_cast<int>(static_cast<unsigned>(a.month())));
  const double days = static_cast<double>(static_cast<unsigned>(b.day())) - static_cast<unsigned>(a.day());
  return months + days / 30.44;
}

std::string add_months(const std::string& date, int months) {
  auto d = parse_ymd(date) + std::chrono::months{months};
  if (!d.ok()) d = std::chrono::year_month_day{std::chrono::year_month_day_last{d.year(), std::chrono::month_day_last{d.month()}}};
  return format_ymd(d);
}

// ---- findings --------------------------------------------------------------------------------

ExamFindings findings_from(const AnalysisResult& result, const std::string& file, const std::string& date) {
  ExamFindings f;
  f.file = file;
  f.date = date.empty() ? std::string() : normalise_date(date);
  f.pixel_size_mm = result.image_meta_only.pixel_size_mm;
  f.width = result.image_meta_only.width;
  f.height = result.image_meta_only.height;
  f.clusters = result.clusters;
  f.calcifications = result.calcifications;
  return f;
}

std::string classify_change(int count_now, int count_then, double extent_now_mm, double extent_then_mm,
                            const ChangeParams& p, std::string* reason) {
  const int dc = count_now - count_then;
  const double count_tol = std::max({static_cast<double>(p.count_change_min), p.count_change_fraction * count_then,
                                     p.count_change_sigmas * std::sqrt(static_cast<double>(count_now + count_then))});
  const double de = extent_now_mm - extent_then_mm;
  const double extent_tol = std::max(p.extent_change_min_mm, p.extent_change_fraction * extent_then_mm);
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d calcifications now, %d then (change counts from %.0f); extent %.1f mm now, %.1f mm then (change counts from %.1f mm)",
                count_now, count_then, std::ceil(count_tol - 1e-9), extent_now_mm, extent_then_mm, extent_tol);
  if (reason) *reason = buf;
  if (dc >= count_tol - 1e-9) return "increased";
  if (-dc >= count_tol - 1e-9) return "decreased";
  if (de >= extent_tol && dc >= 0) return "increased";
  if (-de >= extent_tol && dc <= 0) return "decreased";
  return "stable";
}

// ---- comparison ------------------------------------------------------------------------------

ChangeResult compare_findings(const ExamFindings& current, std::vector<PriorExam> priors, const ChangeParams& p) {
  if (priors.empty()) throw Error(ErrorCode::Usage, "comparison needs at least one prior exam");
  if (current.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidData, "the current findings have no pixel size", current.file);
  for (auto& pr : priors) {
    if (pr.findings.pixel_size_mm <= 0)
      throw Error(ErrorCode::InvalidData, "the prior findings have no pixel size", pr.findings.file);
    if (!pr.findings.date.empty()) pr.findings.date = normalise_date(pr.findings.date);
  }
  const bool all_dated = std::all_of(priors.begin(), priors.end(), [](const PriorExam& x) { return !x.findings.date.empty(); });
  if (all_dated)
    std::stable_sort(priors.begin(), priors.end(),
                     [](const PriorExam& a, const PriorExam& b) { return a.findings.date > b.findings.date; });

  ChangeResult result;
  result.current_date = current.date.empty() ? std::string() : normalise_date(current.date);
  for (const auto& pr : priors) {
    result.prior_dates.push_back(pr.findings.date);
    result.prior_files.push_back(pr.findings.file);
  }
  const double pc = current.pixel_size_mm;
  std::vector<PointPx> now_centres;
  for (const auto& c : current.clusters) now_centres.push_back({c.x * pc, c.y * pc});

  // matches[k][i]: index of the cluster of prior k matched to current cluster i, or -1
  std::vector<std::vector<int>> matches;
  std::vector<std::vector<PointPx>> mapped_centres;  // prior k cluster centres in current mm
  for (const auto& pr : priors) {
    std::vector<PointPx> centres;
    for (const auto& c : pr.findings.clusters) centres.push_back(prior_px_to_current_mm(pr, {c.x, c.y}));
    const double s = pr.registration.transform.scale;
    matches.push_back(greedy_match(
        current.clusters.size(), centres.size(),
        [&](std::size_t a, std::size_t b) { return dist(now_centres[a], centres[b]); },
        [&](std::size_t a, std::size_t b) {
          return std::max(p.match_distance_mm,
                          std::max(current.clusters[a].radius_mm, pr.findings.clusters[b].radius_mm * s) +
                              p.match_margin_mm);
        }));
    // a counterpart below the reporting cut must be of comparable size
    auto& m = matches.back();
    for (std::size_t a = 0; a < m.size(); ++a) {
      if (m[a] < 0) continue;
      const Cluster& now = current.clusters[a];
      const Cluster& then = pr.findings.clusters[static_cast<std::size_t>(m[a])];
      const bool weak_then = !reportable(then, p) && then.count < p.min_evidence_fraction * now.count;
      const bool weak_now = !reportable(now, p) && now.count < p.min_evidence_fraction * then.count;
      if (weak_then || weak_now) m[a] = -1;
    }
    mapped_centres.push_back(std::move(centres));
  }

  auto evidence = [&](const ExamFindings& f, PointPx centre_mm, double radius_mm, auto map) {
    return evidence_near(f, centre_mm, radius_mm, p.evidence_min_calcification_score, map);
  };
  // all calcifications of a prior in current mm (for calcification-level matching)
  auto prior_calcs_near = [&](std::size_t k, PointPx centre_mm, double radius_mm, PointPx offset_mm) {
    std::vector<PointPx> out;
    for (const auto& c : priors[k].findings.calcifications) {
      PointPx q = prior_px_to_current_mm(priors[k], {c.x, c.y});
      q.x += offset_mm.x, q.y += offset_mm.y;
      if (dist(q, centre_mm) <= radius_mm) out.push_back(q);
    }
    return out;
  };


  // label of current cluster i against cluster j of prior k (region counts, see ChangeParams)
  auto pair_label = [&](std::size_t k, std::size_t i, std::size_t j, std::string* reason, int* rn, int* rt) {
    const Cluster& now = current.clusters[i];
    const Cluster& then = priors[k].findings.clusters[j];
    const double s = priors[k].registration.transform.scale;
    if (!p.compare_region_counts)
      return classify_change(now.count, then.count, now.extent_mm, then.extent_mm * s, p, reason);
    const PointPx mapped = mapped_centres[k][j];
    const PointPx offset{now_centres[i].x - mapped.x, now_centres[i].y - mapped.y};
    const double r = std::max(now.radius_mm, then.radius_mm * s) + p.calcification_match_mm;
    const auto region_now = evidence(current, now_centres[i], r, [&](PointPx q) { return PointPx{q.x * pc, q.y * pc}; });
    const auto region_then = evidence(priors[k].findings, now_centres[i], r, [&](PointPx q) {
      const PointPx m = prior_px_to_current_mm(priors[k], q);
      return PointPx{m.x + offset.x, m.y + offset.y};
    });
    const int n_now = static_cast<int>(region_now.positions_mm.size()), n_then = static_cast<int>(region_then.positions_mm.size());
    if (rn) *rn = n_now;
    if (rt) *rt = n_then;
    std::string why;
    const std::string label = classify_change(std::max(now.count, n_now), std::max(then.count, n_then),
                                              std::max(now.extent_mm, region_now.extent_mm),
                                              std::max(then.extent_mm * s, region_then.extent_mm), p, &why);
    if (reason) *reason = "in the same region: " + why;
    return label;
  };

  for (std::size_t i = 0; i < current.clusters.size(); ++i) {
    const Cluster& now = current.clusters[i];
    const int j0 = matches[0][i];
    const bool prior_reportable = j0 >= 0 && reportable(priors[0].findings.clusters[static_cast<std::size_t>(j0)], p);
    if (!reportable(now, p) && !prior_reportable) continue;
    ClusterChange ch;
    ch.current_cluster_id = now.id;
    ch.current_px = {now.x, now.y};
    ch.x_mm = now.x * pc, ch.y_mm = now.y * pc;
    ch.count_now = now.count;
    ch.extent_mm_now = now.extent_mm;
    ch.score_now = now.score;
    const auto* desc_now = find_description(current, now.id);
    if (desc_now) ch.morphology_now = desc_now->morphology, ch.distribution_now = desc_now->distribution;

    // history over all priors, and the stable run from the most recent one backwards
    bool run_matched = true, run_stable = true;
    for (std::size_t k = 0; k < priors.size(); ++k) {
      PriorMatch h;
      h.date = priors[k].findings.date;
      h.file = priors[k].findings.file;
      const int j = matches[k][i];
      if (j >= 0) {
        const Cluster& then = priors[k].findings.clusters[static_cast<std::size_t>(j)];
        h.prior_cluster_id = then.id;
        h.count_then = then.count;
        h.extent_mm_then = then.extent_mm;
        h.change = pair_label(k, i, static_cast<std::size_t>(j), nullptr, nullptr, nullptr);
      } else {
        h.change = "new";
      }
      run_matched = run_matched && j >= 0;
      if (run_matched && !h.date.empty()) ch.first_seen = h.date;
      run_stable = run_stable && h.change == "stable";
      if (run_stable) {
        ++ch.stable_priors;
        ch.stable_since = h.date;  // "" when this prior's date is unknown
      }
      ch.history.push_back(h);
    }
    if (ch.stable_priors == 0) ch.stable_since.clear();

    ch.prior_index = 0;
    if (j0 >= 0) {
      const Cluster& then = priors[0].findings.clusters[static_cast<std::size_t>(j0)];
      const PointPx mapped = mapped_centres[0][static_cast<std::size_t>(j0)];
      ch.prior_cluster_id = then.id;
      ch.prior_px = {then.x, then.y};
      ch.has_prior_position = true;
      ch.match_distance_mm = dist(mapped, now_centres[i]);
      ch.count_then = then.count;
      ch.extent_mm_then = then.extent_mm;
      ch.score_then = then.score;
      // calcification level, after removing the residual offset between the two centres
      const PointPx offset{now_centres[i].x - mapped.x, now_centres[i].y - mapped.y};
      const double r = std::max(now.radius_mm, then.radius_mm) + p.calcification_match_mm;
      ch.change = pair_label(0, i, static_cast<std::size_t>(j0), &ch.reason, &ch.region_count_now, &ch.region_count_then);
      const auto c = match_calcifications(member_positions_mm(current, now),
                                          prior_calcs_near(0, now_centres[i], r, offset), p.calcification_match_mm);
      ch.calcifications_persisting = c.persisting, ch.calcifications_new = c.fresh, ch.calcifications_gone = c.gone;
      if (const auto* desc_then = find_description(priors[0].findings, then.id)) {
        ch.morphology_then = desc_then->morphology, ch.distribution_then = desc_then->distribution;
        if (desc_now) {
          ch.morphology_changed = !ch.morphology_now.empty() && !ch.morphology_then.empty() &&
                                  ch.morphology_now != ch.morphology_then;
          ch.distribution_changed = !ch.distribution_now.empty() && !ch.distribution_then.empty() &&
                                    ch.distribution_now != ch.distribution_then;
        }
      }
    } else {
      const double r = now.radius_mm + p.calcification_match_mm;
      const auto near = evidence(priors[0].findings, now_centres[i], r, [&](PointPx q) { return prior_px_to_current_mm(priors[0], q); });
      const auto c = match_calcifications(member_positions_mm(current, now), near.positions_mm, 1.5 * p.calcification_match_mm);
      ch.calcifications_persisting = c.persisting, ch.calcifications_new = c.fresh, ch.calcifications_gone = 0;
      const std::string then_words = " in the prior" + (priors[0].findings.date.empty() ? std::string() : " of " + priors[0].findings.date);
      if (p.min_calcification_evidence > 0 && static_cast<int>(near.positions_mm.size()) >= p.min_calcification_evidence &&
          static_cast<double>(near.positions_mm.size()) >= p.min_evidence_fraction * now.count) {
        // the calcifications were there, only not grouped into a cluster: compare the counts
        ch.count_then = static_cast<int>(near.positions_mm.size());
        ch.extent_mm_then = near.extent_mm;
        ch.prior_px = near.centre_px;
        ch.has_prior_position = true;
        ch.change = classify_change(now.count, ch.count_then, now.extent_mm, near.extent_mm, p, &ch.reason);
        ch.reason = "no cluster" + then_words + ", but " + std::to_string(ch.count_then) +
                    " calcifications were visible at this place: " + ch.reason;
      } else {
        ch.change = "new";
        ch.reason = "no cluster within " + std::to_string(static_cast<int>(std::lround(std::max(p.match_distance_mm, now.radius_mm + p.match_margin_mm)))) +
                    " mm" + then_words + "; " + std::to_string(c.persisting) + " of its " + std::to_string(now.count) +
                    " calcifications were already visible then";
      }
    }
    result.clusters.push_back(std::move(ch));
  }

  // prior clusters of the most recent prior that have no counterpart now
  std::vector<bool> matched_prior(priors[0].findings.clusters.size(), false);
  for (int j : matches[0])
    if (j >= 0) matched_prior[static_cast<std::size_t>(j)] = true;
  const double s0 = priors[0].registration.transform.scale;
  for (std::size_t j = 0; j < priors[0].findings.clusters.size(); ++j) {
    const Cluster& then = priors[0].findings.clusters[j];
    if (matched_prior[j] || !reportable(then, p)) continue;
    ClusterChange ch;
    ch.change = "resolved";
    ch.prior_cluster_id = then.id;
    ch.prior_index = 0;
    const PointPx mapped = mapped_centres[0][j];
    ch.x_mm = mapped.x, ch.y_mm = mapped.y;
    ch.current_px = {mapped.x / pc, mapped.y / pc};
    ch.prior_px = {then.x, then.y};
    ch.has_prior_position = true;
    ch.count_then = then.count;
    ch.extent_mm_then = then.extent_mm;
    ch.score_then = then.score;
    const double r = then.radius_mm * s0 + p.calcification_match_mm;
    std::vector<PointPx> then_members;
    for (int id : then.calcification_ids)
      if (const auto* c = find_calcification(priors[0].findings, id))
        then_members.push_back(prior_px_to_current_mm(priors[0], {c->x, c->y}));
    const auto near = evidence(current, mapped, r, [&](PointPx q) { return PointPx{q.x * pc, q.y * pc}; });
    const auto c = match_calcifications(near.positions_mm, then_members, 1.5 * p.calcification_match_mm);
    ch.calcifications_persisting = c.persisting;
    ch.calcifications_gone = c.gone;
    const std::string then_words = " in the prior" + (priors[0].findings.date.empty() ? std::string() : " of " + priors[0].findings.date);
    if (p.min_calcification_evidence > 0 && static_cast<int>(near.positions_mm.size()) >= p.min_calcification_evidence &&
        static_cast<double>(near.positions_mm.size()) >= p.min_evidence_fraction * then.count) {
      // still there, only no longer grouped into a cluster
      ch.count_now = static_cast<int>(near.positions_mm.size());
      ch.extent_mm_now = near.extent_mm;
      ch.current_px = {near.centre_mm.x / pc, near.centre_mm.y / pc};
      ch.x_mm = near.centre_mm.x, ch.y_mm = near.centre_mm.y;
      ch.change = classify_change(ch.count_now, then.count, near.extent_mm, then.extent_mm * s0, p, &ch.reason);
      ch.reason = "cluster" + then_words + " is not grouped into a cluster now, but " + std::to_string(ch.count_now) +
                  " calcifications are still visible at its place: " + ch.reason;
    } else {
      ch.count_now = 0;
      ch.reason = "cluster of " + std::to_string(then.count) + " calcifications" + then_words + " has no cluster within " +
                  std::to_string(static_cast<int>(std::lround(std::max(p.match_distance_mm, then.radius_mm * s0 + p.match_margin_mm)))) +
                  " mm now; " + std::to_string(c.persisting) + " of its calcifications are still visible";
    }
    if (const auto* d = find_description(priors[0].findings, then.id))
      ch.morphology_then = d->morphology, ch.distribution_then = d->distribution;
    result.clusters.push_back(std::move(ch));
  }
  return result;
}

nlohmann::json to_json(const ClusterChange& c) {
  nlohmann::json j{{"change", c.change},
                   {"x", c.current_px.x},
                   {"y", c.current_px.y},
                   {"x_mm", c.x_mm},
                   {"y_mm", c.y_mm},
                   {"current_cluster_id", c.current_cluster_id},
                   {"prior_cluster_id", c.prior_cluster_id},
                   {"count_now", c.count_now},
                   {"count_then", c.count_then},
                   {"extent_mm_now", c.extent_mm_now},
                   {"extent_mm_then", c.extent_mm_then},
                   {"score_now", c.score_now},
                   {"region_count_now", c.region_count_now},
                   {"region_count_then", c.region_count_then},
                   {"score_then", c.score_then},
                   {"calcifications", {{"new", c.calcifications_new}, {"persisting", c.calcifications_persisting}, {"gone", c.calcifications_gone}}},
                   {"stable_since", c.stable_since},
                   {"stable_priors", c.stable_priors},
                   {"first_seen", c.first_seen},
                   {"reason", c.reason}};
  if (c.has_prior_position) {
    j["prior_x"] = c.prior_px.x;
    j["prior_y"] = c.prior_px.y;
  }
  if (c.match_distance_mm >= 0) j["match_distance_mm"] = c.match_distance_mm;
  if (!c.morphology_now.empty() || !c.morphology_then.empty())
    j["morphology"] = {{"now", c.morphology_now}, {"then", c.morphology_then}, {"changed", c.morphology_changed}};
  if (!c.distribution_now.empty() || !c.distribution_then.empty())
    j["distribution"] = {{"now", c.distribution_now}, {"then", c.distribution_then}, {"changed", c.distribution_changed}};
  auto& h = j["history"] = nlohmann::json::array();
  for (const auto& m : c.history)
    h.push_back({{"date", m.date}, {"file", m.file}, {"prior_cluster_id", m.prior_cluster_id}, {"change", m.change},
                 {"count_then", m.count_then}, {"extent_mm_then", m.extent_mm_then}});
  return j;
}

}  // namespace calcscope
