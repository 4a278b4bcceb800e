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
  const double count_tol = std::max({static_cast<double>(p.count_change_min),
                                     p.count_change_fraction * std::max(count_now, count_then),
                                     p.count_change_sigmas * std::sqrt(static_cast<double>(count_now + count_then))});
  const double de = extent_now_mm - extent_then_mm;
  const double extent_tol = std::max(p.extent_change_min_mm, p.extent_change_fraction * extent_then_mm);
  char buf[256];
  if (p.extent_change_min_mm > 0)
    std::snprintf(buf, sizeof buf, "%d calcifications now, %d then (change counts from %.0f); extent %.1f mm now, %.1f mm then (change counts from %.1f mm)",
                  count_now, count_then, std::ceil(count_tol - 1e-9), extent_now_mm, extent_then_mm, extent_tol);
  else
    std::snprintf(buf, sizeof buf, "%d calcifications now, %d then (change counts from %.0f); extent %.1f mm now, %.1f mm then",
                  count_now, count_then, std::ceil(count_tol - 1e-9), extent_now_mm, extent_then_mm);
  if (reason) *reason = buf;
  if (dc >= count_tol - 1e-9) return "increased";
  if (-dc >= count_tol - 1e-9) return "decreased";
  if (p.extent_change_min_mm > 0 && de >= extent_tol && dc >= 0) return "increased";
  if (p.extent_change_min_mm > 0 && -de >= extent_tol && dc <= 0) return "decreased";
  return "stable";
}

// ---- comparison ------------------------------------------------------------------------------
//
// Per prior, the reportable clusters of both exams are grouped: a current and a prior cluster
// whose regions coincide (after registration) are linked, and each connected group is one finding.
// A cluster the detector split in two in one exam, or two it merged, thus stays one finding, and
// the label compares the member counts summed over the group: grouping noise moves members between
// clusters of a group but hardly changes the sum. A group with clusters in one exam only is new
// (or resolved) unless the other exam shows the calcifications anyway (members of clusters below
// the reporting cut, or confident calcifications in the same region).

namespace {

struct Finding {
  std::vector<std::size_t> now, then;  // reportable clusters of the current exam / of the prior
  int count_now = 0, count_then = 0;   // member counts summed over the group (or the evidence)
  double extent_now_mm = 0, extent_then_mm = 0;
  int region_now = -1, region_then = -1;
  std::vector<std::size_t> weak_now, weak_then;  // linked clusters below the reporting cut
  // pixel evidence (-1 = not checked): members now judged / visible in the prior, and the reverse
  int judged_now = -1, visible_then = -1, judged_then = -1, visible_now = -1;
  std::string change, reason;
};

struct Union {
  std::vector<std::size_t> parent;
  explicit Union(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), std::size_t{0}); }
  std::size_t find(std::size_t i) { return parent[i] == i ? i : parent[i] = find(parent[i]); }
  void join(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

double extent_of(const std::vector<PointPx>& pts) {
  double e = 0;
  for (std::size_t a = 0; a < pts.size(); ++a)
    for (std::size_t b = a + 1; b < pts.size(); ++b) e = std::max(e, dist(pts[a], pts[b]));
  return e;
}

/// One prior against the current exam: clusters in current mm, groups, labels.
class PriorComparison {
 public:
  PriorComparison(const ExamFindings& current, const PriorExam& prior, const ChangeParams& p)
      : cur_(current), pr_(prior), p_(p) {
    const double pc = current.pixel_size_mm;
    for (const auto& c : current.clusters) now_centres_.push_back({c.x * pc, c.y * pc});
    for (const auto& c : prior.findings.clusters) then_centres_.push_back(to_current_mm({c.x, c.y}));
    build();
  }

  /// Prior cluster positions in current mm.
  PointPx mapped_centre(std::size_t j) const { return then_centres_[j]; }
  PointPx to_current_mm(PointPx prior_px) const { return prior_px_to_current_mm(pr_, prior_px); }
  const std::vector<Finding>& findings() const { return findings_; }
  /// The group of current cluster i (-1 when it is below the cut and in no group).
  int finding_of_current(std::size_t i) const { return now_group_[i]; }
  /// The prior cluster of the group closest to current cluster i (-1 = none).
  int closest_prior(std::size_t i) const {
    const int g = now_group_[i];
    if (g < 0) return -1;
    int best = -1;
    double best_d = 1e18;
    const auto& f = findings_[static_cast<std::size_t>(g)];
    for (auto list : {&f.then, &f.weak_then})
      for (std::size_t j : *list) {
        const double d = dist(now_centres_[i], then_centres_[j]);
        if (d < best_d) best_d = d, best = static_cast<int>(j);
      }
    return best;
  }
  /// Mapped prior member positions of a group, and the residual offset (now centre - then centre).
  std::vector<PointPx> then_members_mm(const Finding& f) const {
    std::vector<PointPx> out;
    for (auto list : {&f.then, &f.weak_then})
      for (std::size_t j : *list)
        for (int id : pr_.findings.clusters[j].calcification_ids)
          if (const auto* c = find_calcification(pr_.findings, id)) out.push_back(to_current_mm({c->x, c->y}));
    return out;
  }
  std::vector<PointPx> now_members_mm(const Finding& f) const {
    std::vector<PointPx> out;
    for (auto list : {&f.now, &f.weak_now})
      for (std::size_t i : *list) {
        const auto m = member_positions_mm(cur_, cur_.clusters[i]);
        out.insert(out.end(), m.begin(), m.end());
      }
    return out;
  }
  /// Circles (current mm) covering a group's clusters of both exams.
  std::vector<std::pair<PointPx, double>> circles(const Finding& f) const {
    std::vector<std::pair<PointPx, double>> out;
    const double s = pr_.registration.transform.scale;
    for (std::size_t i : f.now) out.push_back({now_centres_[i], cur_.clusters[i].radius_mm + p_.calcification_match_mm});
    for (std::size_t j : f.then)
      out.push_back({then_centres_[j], pr_.findings.clusters[j].radius_mm * s + p_.calcification_match_mm});
    return out;
  }

 private:
  bool linked(PointPx a, double ra_mm, PointPx b, double rb_mm) const {
    return dist(a, b) <= std::max(p_.match_distance_mm, std::max(ra_mm, rb_mm) + p_.match_margin_mm);
  }

  /// Confident calcifications of `f` (mapped by `map`) inside any of the circles.
  template <class Map>
  int region_count(const ExamFindings& f, const std::vector<std::pair<PointPx, double>>& circ, Map map) const {
    int n = 0;
    for (const auto& c : f.calcifications) {
      if (c.score < p_.confident_calcification_score) continue;
      const PointPx q = map(PointPx{c.x, c.y});
      for (const auto& [centre, r] : circ)
        if (dist(q, centre) <= r) {
          ++n;
          break;
        }
    }
    return n;
  }

  void build() {
    const std::size_t nn = cur_.clusters.size(), nt = pr_.findings.clusters.size();
    const double s = pr_.registration.transform.scale;
    std::vector<bool> rep_now(nn), rep_then(nt);
    for (std::size_t i = 0; i < nn; ++i) rep_now[i] = reportable(cur_.clusters[i], p_);
    for (std::size_t j = 0; j < nt; ++j) rep_then[j] = reportable(pr_.findings.clusters[j], p_);
    // groups of reportable clusters: nodes 0..nn-1 current, nn.. prior
    Union u(nn + nt);
    for (std::size_t i = 0; i < nn; ++i)
      for (std::size_t j = 0; j < nt; ++j)
        if (rep_now[i] && rep_then[j] &&
            linked(now_centres_[i], cur_.clusters[i].radius_mm, then_centres_[j], pr_.findings.clusters[j].radius_mm * s))
          u.join(i, nn + j);
    std::map<std::size_t, std::size_t> group_index;
    now_group_.assign(nn, -1);
    for (std::size_t n = 0; n < nn + nt; ++n) {
      const bool is_now = n < nn;
      if (is_now ? !rep_now[n] : !rep_then[n - nn]) continue;
      const std::size_t root = u.find(n);
      auto it = group_index.find(root);
      if (it == group_index.end()) {
        it = group_index.emplace(root, findings_.size()).first;
        findings_.emplace_back();
      }
      Finding& f = findings_[it->second];
      if (is_now) {
        f.now.push_back(n);
        now_group_[n] = static_cast<int>(it->second);
      } else {
        f.then.push_back(n - nn);
      }
    }
    // clusters below the cut linked to a group of the other exam: evidence that it was (is) there
    for (std::size_t g = 0; g < findings_.size(); ++g) {
      Finding& f = findings_[g];
      for (std::size_t j = 0; j < nt; ++j) {
        if (rep_then[j]) continue;
        for (std::size_t i : f.now)
          if (linked(now_centres_[i], cur_.clusters[i].radius_mm, then_centres_[j], pr_.findings.clusters[j].radius_mm * s)) {
            f.weak_then.push_back(j);
            break;
          }
      }
      for (std::size_t i = 0; i < nn; ++i) {
        if (rep_now[i] || now_group_[i] >= 0) continue;
        for (std::size_t j : f.then)
          if (linked(now_centres_[i], cur_.clusters[i].radius_mm, then_centres_[j], pr_.findings.clusters[j].radius_mm * s)) {
            f.weak_now.push_back(i);
            now_group_[i] = static_cast<int>(g);
            break;
          }
      }
    }
    for (auto& f : findings_) label(f);
  }

  void label(Finding& f) {
    const double pc = cur_.pixel_size_mm;
    auto sum = [](const std::vector<std::size_t>& idx, const std::vector<Cluster>& cl) {
      int n = 0;
      for (std::size_t k : idx) n += cl[k].count;
      return n;
    };
    const auto circ = circles(f);
    f.region_now = region_count(cur_, circ, [&](PointPx q) { return PointPx{q.x * pc, q.y * pc}; });
    f.region_then = region_count(pr_.findings, circ, [&](PointPx q) { return to_current_mm(q); });
    f.count_now = sum(f.now, cur_.clusters);
    f.count_then = sum(f.then, pr_.findings.clusters);
    std::vector<PointPx> now_pts, then_pts;
    for (std::size_t i : f.now) {
      const auto m = member_positions_mm(cur_, cur_.clusters[i]);
      now_pts.insert(now_pts.end(), m.begin(), m.end());
    }
    for (std::size_t j : f.then)
      for (int id : pr_.findings.clusters[j].calcification_ids)
        if (const auto* c = find_calcification(pr_.findings, id)) then_pts.push_back(to_current_mm({c->x, c->y}));
    f.extent_now_mm = extent_of(now_pts);
    f.extent_then_mm = extent_of(then_pts);
    const std::string then_words =
        " in the prior" + (pr_.findings.date.empty() ? std::string() : " of " + pr_.findings.date);
    if (p_.use_pixel_evidence && cur_.image && pr_.findings.image && label_by_pixels(f, then_words)) return;
    const bool one_sided = f.now.empty() || f.then.empty();
    if (one_sided) {
      // the other exam's evidence: its confident calcifications at this place
      const bool missing_then = f.then.empty();
      // (the member counts of clusters below the cut are no evidence: chains of false candidates)
      const int evidence = missing_then ? f.region_then : f.region_now;
      const int count = missing_then ? f.count_now : f.count_then;
      if (p_.min_calcification_evidence > 0 && evidence >= p_.min_calcification_evidence &&
          evidence >= p_.min_evidence_fraction * count) {
        (missing_then ? f.count_then : f.count_now) = evidence;
        std::string why;
        f.change = classify_change(f.count_now, f.count_then, f.extent_now_mm, f.extent_then_mm, p_, &why);
        if (missing_then) f.extent_then_mm = 0;
        f.reason = (missing_then ? "no reported cluster" + then_words + ", but " + std::to_string(evidence) +
                                       " calcifications were visible at this place: "
                                 : "the cluster" + then_words + " is not reported now, but " + std::to_string(evidence) +
                                       " calcifications are still visible at its place: ") +
                   why;
        return;
      }
      if (missing_then) {
        f.change = "new";
        f.reason = "no cluster" + then_words + " at this place (" + std::to_string(f.region_then) +
                   " confident calcifications there then, " + std::to_string(f.count_now) + " now)";
      } else {
        f.change = "resolved";
        f.reason = "cluster of " + std::to_string(f.count_then) + " calcifications" + then_words +
                   " has no cluster at its place now (" + std::to_string(f.region_now) + " confident calcifications there)";
      }
      return;
    }
    std::string why;
    f.change = classify_change(f.count_now, f.count_then, f.extent_now_mm, f.extent_then_mm, p_, &why);
    f.reason = why;
    if (f.now.size() > 1 || f.then.size() > 1)
      f.reason = std::to_string(f.now.size()) + " cluster(s) now and " + std::to_string(f.then.size()) +
                 " then at this place, judged as one finding: " + f.reason;
  }

  /// The spots of a finding in one exam (pixels of that exam): the members of its clusters, and
  /// the exam's other calcifications scoring >= pixel_region_min_score inside the group's circles
  /// (a cluster's members the detector did not group, or a cluster not reported in this exam).
  template <class Map>
  std::vector<PointPx> spots_px(const ExamFindings& ex, const std::vector<std::size_t>& clusters,
                                const std::vector<std::pair<PointPx, double>>& circ, Map to_mm) const {
    std::vector<int> chosen;
    for (std::size_t k : clusters)
      for (int id : ex.clusters[k].calcification_ids) chosen.push_back(id);
    for (const auto& c : ex.calcifications) {
      if (c.score < p_.pixel_region_min_score) continue;
      const PointPx q = to_mm(PointPx{c.x, c.y});
      for (const auto& [centre, r] : circ)
        if (dist(q, centre) <= r) {
          chosen.push_back(c.id);
          break;
        }
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    std::vector<PointPx> out;
    for (int id : chosen)
      if (const auto* c = find_calcification(ex, id)) out.push_back({c->x, c->y});
    return out;
  }

  /// Peaks of the band-pass contrast in one exam inside the group's circles (current mm, mapped into
  /// that exam's pixels by `to_px`) that are not already among `spots` (within the peak separation).
  template <class ToPx>
  void add_peaks(const Image& im, const std::vector<std::pair<PointPx, double>>& circ, double mm_to_px, ToPx to_px,
                 std::vector<PointPx>& spots) const {
    if (p_.pixel_peak_min_cnr <= 0) return;
    std::vector<std::pair<PointPx, double>> circ_px;
    for (const auto& [centre, r] : circ) circ_px.push_back({to_px(centre), r * mm_to_px});
    const double sep_px = p_.pixel_peak_separation_mm / im.pixel_size_mm;
    const std::size_t detector_spots = spots.size();
    for (const auto& q : find_spot_peaks(im, circ_px, p_.pixel_peak_min_cnr, p_.pixel_peak_separation_mm, p_.pixel_evidence)) {
      bool near = false;
      for (std::size_t k = 0; k < detector_spots && !near; ++k) near = dist(spots[k], q) < sep_px;
      if (!near) spots.push_back(q);
    }
  }

  /// Labels `f` from the pixels at its calcifications' mapped positions; false when they cannot
  /// decide (too few judged: outside the other image's field; or calcifications both appeared and
  /// disappeared in a group with clusters in both exams): the counts decide then.
  bool label_by_pixels(Finding& f, const std::string& then_words) {
    const SimilarityTransform& t = pr_.registration.transform;
    const SimilarityTransform back = t.inverse();
    const double pc = cur_.pixel_size_mm, pp = pr_.findings.pixel_size_mm;
    const auto circ = circles(f);
    auto spots_now = spots_px(cur_, f.now, circ, [&](PointPx q) { return PointPx{q.x * pc, q.y * pc}; });
    auto spots_then = spots_px(pr_.findings, f.then, circ, [&](PointPx q) { return to_current_mm(q); });
    const std::size_t detector_now = spots_now.size(), detector_then = spots_then.size();
    // specks the detector missed in one exam: peaks of the band-pass contrast in the same circles
    add_peaks(*cur_.image, circ, 1 / pc, [&](PointPx q) { return PointPx{q.x / pc, q.y / pc}; }, spots_now);
    add_peaks(*pr_.findings.image, circ, 1 / (pp * t.scale), [&](PointPx q) {
      const PointPx m = back.apply(q);
      return PointPx{m.x / pp, m.y / pp};
    }, spots_then);
    const SpotCheck now = check_spots(*cur_.image, *pr_.findings.image, back, spots_now, p_.pixel_evidence);
    const SpotCheck then = check_spots(*pr_.findings.image, *cur_.image, t, spots_then, p_.pixel_evidence);
    f.judged_now = now.judged, f.visible_then = now.visible;
    f.judged_then = then.judged, f.visible_now = then.visible;
    auto enough = [&](int n, int judged, double fraction, int minimum) {
      return judged > 0 && n >= std::max(static_cast<double>(minimum), fraction * judged) - 1e-9;
    };
    // the detected spots alone (members and confident calcifications): the presence decision and
    // the denominators (band-pass peaks also fall on texture seen in both exams and would dilute them)
    struct Tally {
      int judged = 0, visible = 0;
      double judged_cnr = 0, visible_cnr = 0;  // own contrast-to-noise summed over them
      int clear_judged = 0, clear_visible = 0;  // of them, those with own CNR >= pixel_present_clear_cnr
    };
    auto detected = [&](const SpotCheck& sc, std::size_t n) {
      Tally t;
      for (std::size_t k = 0; k < n && k < sc.spots.size(); ++k) {
        const SpotEvidence& s = sc.spots[k];
        t.judged += s.judged, t.visible += s.visible;
        if (s.judged) t.judged_cnr += s.own_cnr;
        if (s.visible) t.visible_cnr += s.own_cnr;
        if (s.judged && p_.pixel_present_clear_cnr > 0 && s.own_cnr >= p_.pixel_present_clear_cnr)
          ++t.clear_judged, t.clear_visible += s.visible;
      }
      return t;
    };
    const Tally det_now = detected(now, detector_now), det_then = detected(then, detector_then);
    const int fresh = now.judged - now.visible, gone = then.judged - then.visible;
    const bool grew = enough(fresh, std::max(1, det_now.judged), p_.pixel_change_fraction, p_.pixel_change_min);
    const bool shrank = enough(gone, std::max(1, det_then.judged), p_.pixel_change_fraction, p_.pixel_change_min);
    char buf[320];
    if (f.then.empty() || f.now.empty()) {
      const bool missing_then = f.then.empty();
      const SpotCheck& sc = missing_then ? now : then;
      if (sc.judged == 0 || sc.judged < p_.pixel_min_judged_fraction * sc.strong) return false;  // outside the other field of view
      const Tally c = missing_then ? det_now : det_then;
      if (c.judged == 0) return false;
      // present when enough of the spots' contrast is still visible: a cluster's calcifications are
      // its strongest spots, the texture specks the detector took in are weak and visible in both
      // exams (a resolved cluster's place keeps them), so each spot counts by its own contrast
      const bool present = c.visible >= p_.pixel_present_min &&
                           (p_.pixel_present_by_contrast
                                ? c.visible_cnr >= p_.pixel_present_fraction * c.judged_cnr - 1e-9
                                : enough(c.visible, c.judged, p_.pixel_present_fraction, p_.pixel_present_min));
      // ... and enough of its clear spots are visible too: the texture specks a detector cluster
      // takes in are seen in both exams, so half of the spots can be visible at a new (resolved)
      // cluster's place while the calcifications that make it, its clear spots, are not
      const bool clear_missing = c.clear_judged >= p_.pixel_present_clear_min &&
                                 c.clear_visible < p_.pixel_present_clear_fraction * c.clear_judged - 1e-9;
      if (!present || clear_missing) {
        f.change = missing_then ? "new" : "resolved";
        std::snprintf(buf, sizeof buf, missing_then ? "no cluster%s at this place, and %d of its %d calcifications were not visible there then (pixel check)"
                                                    : "the cluster%s is not found now, and %d of its %d calcifications are no longer visible (pixel check)",
                      then_words.c_str(), c.judged - c.visible, c.judged);
        f.reason = buf;
        if (present) {  // half of the spots visible, but not the clear ones
          std::snprintf(buf, sizeof buf, "; %d of its %d clear calcifications (contrast-to-noise >= %.1f) %s visible",
                        c.clear_visible, c.clear_judged, p_.pixel_present_clear_cnr, missing_then ? "were" : "are");
          f.reason.insert(f.reason.size() - std::string(" (pixel check)").size(), buf);
        }
        return true;
      }
      // present in both exams: judged both ways, by the spots of each exam not visible in the other
      (missing_then ? f.count_then : f.count_now) = c.visible;
      f.change = grew && !shrank ? "increased" : shrank && !grew ? "decreased" : "stable";
      std::snprintf(buf, sizeof buf, missing_then ? "no reported cluster%s, but %d of its %d calcifications were visible there then"
                                                  : "the cluster%s is not reported now, but %d of its %d calcifications are still visible",
                    then_words.c_str(), c.visible, c.judged);
      f.reason = buf;
      std::snprintf(buf, sizeof buf, "; %d of %d spots now not visible then, %d of %d spots then not visible now (pixel check)",
                    fresh, now.judged, gone, then.judged);
      f.reason += buf;
      return true;
    }
    if (grew && shrank) return false;
    if (now.judged < p_.pixel_min_judged_fraction * now.strong || then.judged < p_.pixel_min_judged_fraction * then.strong)
      return false;
    f.change = grew ? "increased" : shrank ? "decreased" : "stable";
    std::snprintf(buf, sizeof buf, "%d calcifications now, %d then; of the current spots %d of %d were visible%s, of the prior ones %d of %d are visible now (pixel check)",
                  f.count_now, f.count_then, now.visible, now.judged, then_words.c_str(), then.visible, then.judged);
    f.reason = buf;
    if (f.now.size() > 1 || f.then.size() > 1)
      f.reason = std::to_string(f.now.size()) + " cluster(s) now and " + std::to_string(f.then.size()) +
                 " then at this place, judged as one finding: " + f.reason;
    return true;
  }

  const ExamFindings& cur_;
  const PriorExam& pr_;
  const ChangeParams& p_;
  std::vector<PointPx> now_centres_, then_centres_;
  std::vector<Finding> findings_;
  std::vector<int> now_group_;
};

}  // namespace

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
  std::vector<PriorComparison> cmp;
  cmp.reserve(priors.size());
  for (const auto& pr : priors) cmp.emplace_back(current, pr, p);
  const PriorComparison& c0 = cmp[0];
  const PriorExam& p0 = priors[0];

  // calcification level for a group: `now_pts` against the prior's calcifications near the group,
  // after removing the residual offset between the two groups' member centres
  auto calcification_level = [&](const Finding& f, const std::vector<PointPx>& now_pts, ClusterChange& ch) {
    const auto then_members = c0.then_members_mm(f);
    const auto now_members = c0.now_members_mm(f);
    PointPx offset{0, 0};
    if (!then_members.empty() && !now_members.empty()) {
      PointPx a{0, 0}, b{0, 0};
      for (const auto& q : now_members) a.x += q.x, a.y += q.y;
      for (const auto& q : then_members) b.x += q.x, b.y += q.y;
      offset = {a.x / now_members.size() - b.x / then_members.size(), a.y / now_members.size() - b.y / then_members.size()};
      if (std::hypot(offset.x, offset.y) > p.match_distance_mm) offset = {0, 0};  // groups of different shape
    }
    const auto circ = c0.circles(f);
    std::vector<PointPx> then_pts;
    for (const auto& c : p0.findings.calcifications) {
      if (c.score < p.evidence_min_calcification_score) continue;
      PointPx q = c0.to_current_mm({c.x, c.y});
      q.x += offset.x, q.y += offset.y;
      for (const auto& [centre, r] : circ)
        if (dist(q, centre) <= r) {
          then_pts.push_back(q);
          break;
        }
    }
    const auto m = match_calcifications(now_pts, then_pts, p.calcification_match_mm);
    ch.calcifications_persisting = m.persisting;
    ch.calcifications_new = m.fresh;
    ch.calcifications_gone = f.now.empty() ? static_cast<int>(then_members.size()) - m.persisting : m.gone;
    if (ch.calcifications_gone < 0) ch.calcifications_gone = 0;
  };
  auto fill_group = [&](const Finding& f, ClusterChange& ch) {
    ch.change = f.change;
    ch.reason = f.reason;
    ch.count_now = f.count_now;
    ch.count_then = f.count_then;
    ch.extent_mm_now = f.extent_now_mm;
    ch.extent_mm_then = f.extent_then_mm;
    ch.region_count_now = f.region_now;
    ch.region_count_then = f.region_then;
    ch.group_clusters_now = static_cast<int>(f.now.size());
    ch.group_clusters_then = static_cast<int>(f.then.size());
    ch.members_judged_now = f.judged_now, ch.members_visible_then = f.visible_then;
    ch.members_judged_then = f.judged_then, ch.members_visible_now = f.visible_now;
  };

  for (std::size_t i = 0; i < current.clusters.size(); ++i) {
    const Cluster& now = current.clusters[i];
    const int g0 = c0.finding_of_current(i);
    if (g0 < 0) continue;                      // below the cut and not the counterpart of a reported prior cluster
    const Finding& f0 = c0.findings()[static_cast<std::size_t>(g0)];
    if (!reportable(now, p)) continue;         // a weak counterpart: reported with the prior's group below
    ClusterChange ch;
    ch.current_cluster_id = now.id;
    ch.current_px = {now.x, now.y};
    ch.x_mm = now.x * pc, ch.y_mm = now.y * pc;
    ch.score_now = now.score;
    fill_group(f0, ch);
    const auto* desc_now = find_description(current, now.id);
    if (desc_now) ch.morphology_now = desc_now->morphology, ch.distribution_now = desc_now->distribution;

    // history over all priors, and the stable run from the most recent one backwards
    bool run_matched = true, run_stable = true;
    for (std::size_t k = 0; k < priors.size(); ++k) {
      PriorMatch h;
      h.date = priors[k].findings.date;
      h.file = priors[k].findings.file;
      const int g = cmp[k].finding_of_current(i);
      const Finding* fk = g >= 0 ? &cmp[k].findings()[static_cast<std::size_t>(g)] : nullptr;
      const int j = cmp[k].closest_prior(i);
      h.change = fk ? fk->change : "new";
      if (j >= 0) {
        const Cluster& then = priors[k].findings.clusters[static_cast<std::size_t>(j)];
        h.prior_cluster_id = then.id;
      }
      if (fk) h.count_then = fk->count_then, h.extent_mm_then = fk->extent_then_mm;
      const bool present = h.change != "new";
      run_matched = run_matched && present;
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
    const int j0 = c0.closest_prior(i);
    if (j0 >= 0) {
      const Cluster& then = p0.findings.clusters[static_cast<std::size_t>(j0)];
      ch.prior_cluster_id = then.id;
      ch.prior_px = {then.x, then.y};
      ch.has_prior_position = true;
      ch.match_distance_mm = dist(c0.mapped_centre(static_cast<std::size_t>(j0)), {ch.x_mm, ch.y_mm});
      ch.score_then = then.score;
      if (const auto* desc_then = find_description(p0.findings, then.id)) {
        ch.morphology_then = desc_then->morphology, ch.distribution_then = desc_then->distribution;
        if (desc_now) {
          ch.morphology_changed = !ch.morphology_now.empty() && !ch.morphology_then.empty() &&
                                  ch.morphology_now != ch.morphology_then;
          ch.distribution_changed = !ch.distribution_now.empty() && !ch.distribution_then.empty() &&
                                    ch.distribution_now != ch.distribution_then;
        }
      }
    } else if (f0.change != "new") {
      // present in the prior without a cluster there: the place it was seen
      const PointPx pc_mm = p0.registration.transform.inverse().apply({ch.x_mm, ch.y_mm});
      ch.prior_px = {pc_mm.x / p0.findings.pixel_size_mm, pc_mm.y / p0.findings.pixel_size_mm};
      ch.has_prior_position = true;
    }
    calcification_level(f0, member_positions_mm(current, now), ch);
    result.clusters.push_back(std::move(ch));
  }

  // groups of the most recent prior with no reported cluster now: resolved (or still visible)
  for (const Finding& f : c0.findings()) {
    if (!f.now.empty()) continue;
    std::size_t j = f.then.front();
    for (std::size_t k : f.then)
      if (p0.findings.clusters[k].score > p0.findings.clusters[j].score) j = k;
    const Cluster& then = p0.findings.clusters[j];
    // a prior cluster that the positioning change put outside the current image cannot be seen
    // now: not a change, and no place in the current image to report it at
    const PointPx at = c0.mapped_centre(j);
    if (current.width > 0 && current.height > 0 &&
        (at.x < 0 || at.y < 0 || at.x >= current.width * pc || at.y >= current.height * pc))
      continue;
    ClusterChange ch;
    fill_group(f, ch);
    ch.prior_cluster_id = then.id;
    ch.prior_index = 0;
    const PointPx mapped = c0.mapped_centre(j);
    ch.x_mm = mapped.x, ch.y_mm = mapped.y;
    ch.current_px = {mapped.x / pc, mapped.y / pc};
    ch.prior_px = {then.x, then.y};
    ch.has_prior_position = true;
    ch.score_then = then.score;
    if (!f.weak_now.empty() && f.change != "resolved") {  // still there as a cluster below the cut: its position now
      const Cluster& weak = current.clusters[f.weak_now.front()];
      ch.current_cluster_id = weak.id;
      ch.current_px = {weak.x, weak.y};
      ch.x_mm = weak.x * pc, ch.y_mm = weak.y * pc;
      ch.score_now = weak.score;
      ch.match_distance_mm = dist(mapped, {ch.x_mm, ch.y_mm});
    }
    calcification_level(f, c0.now_members_mm(f), ch);
    if (const auto* d = find_description(p0.findings, then.id))
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
                   {"group_clusters_now", c.group_clusters_now},
                   {"group_clusters_then", c.group_clusters_then},
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
  if (c.members_judged_now >= 0)
    j["pixel_evidence"] = {{"members_judged_now", c.members_judged_now},
                           {"members_visible_then", c.members_visible_then},
                           {"members_judged_then", c.members_judged_then},
                           {"members_visible_now", c.members_visible_now}};
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
