// Single-linkage grouping of calcifications within link_distance_mm.
#include "calcscope/detect/clusters.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numeric>
#include <set>

#include <opencv2/imgproc.hpp>

namespace calcscope {

const std::vector<std::string>& cluster_feature_names() {
  static const std::vector<std::string> names = {
      "log_count",          // log2 of the number of members
      "mean_member_score",  //
      "max_member_score",   //
      "top3_member_score",  // mean of the three best member scores
      "sum_member_score",   // log2(1 + sum of member scores)
      "extent_mm",          // largest member-to-member distance
      "density_per_cm2",    // members per cm^2 of the hull (hull area floored at 0.25 cm^2)
      "mean_cnr",           //
      "max_cnr",            //
      "mean_diameter_mm",   //
      "diameter_cv",        // coefficient of variation of member diameters
      "mean_elongation",    //
      "mean_dist_to_skin_mm",
      "mean_line_ratio",    //
      "mean_background",    //
      "pixel_size_mm",      //
      "log_strong_count",   // log2(1 + members with score >= 0.9)
      "strong_fraction",    // members with score >= 0.9 / members
      "median_member_score",
      "log_likely_count",          // log2(1 + members with score >= 0.5)
      "mean_disc_cnr_large",       // members' mean hazy-spot contrast (calcification feature disc_cnr_large)
      "image_likely_per_cm2",      // calcifications with score >= 0.5 per cm^2 of this image's breast (how noisy it is)
  };
  return names;
}

namespace {

struct DisjointSet {
  std::vector<int> parent;
  explicit DisjointSet(int n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

/// Single-linkage groups (indices into calcs) of `idx` with links of at most link_mm.
std::vector<std::vector<int>> single_linkage(const std::vector<Calcification>& calcs, const std::vector<int>& idx,
                                             double link_mm) {
  const int n = static_cast<int>(idx.size());
  DisjointSet ds(n);
  const double cell = std::max(1e-3, link_mm);  // grid hashing by link distance
  std::map<std::pair<int, int>, std::vector<int>> grid;
  auto cell_of = [&](const Calcification& c) {
    return std::pair<int, int>{static_cast<int>(std::floor(c.x_mm / cell)), static_cast<int>(std::floor(c.y_mm / cell))};
  };
  for (int k = 0; k < n; ++k) grid[cell_of(calcs[idx[k]])].push_back(k);
  for (int k = 0; k < n; ++k) {
    const auto& c = calcs[idx[k]];
    const auto [gx, gy] = cell_of(c);
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        auto it = grid.find({gx + dx, gy + dy});
        if (it == grid.end()) continue;
        for (int j : it->second) {
          if (j <= k) continue;
          const auto& o = calcs[idx[j]];
          if (std::hypot(o.x_mm - c.x_mm, o.y_mm - c.y_mm) <= link_mm) ds.unite(k, j);
        }
      }
  }
  std::map<int, std::vector<int>> by_root;
  for (int k = 0; k < n; ++k) by_root[ds.find(k)].push_back(idx[k]);
  std::vector<std::vector<int>> out;
  for (auto& [root, g] : by_root) out.push_back(std::move(g));
  return out;
}

/// Largest member-to-member distance of a group (mm).
double group_extent_mm(const std::vector<Calcification>& calcs, const std::vector<int>& g) {
  double extent = 0;
  for (std::size_t a = 0; a < g.size(); ++a)
    for (std::size_t b = a + 1; b < g.size(); ++b)
      extent = std::max(extent, std::hypot(calcs[g[a]].x_mm - calcs[g[b]].x_mm, calcs[g[a]].y_mm - calcs[g[b]].y_mm));
  return extent;
}

/// Minimum spanning tree of a group (Prim, O(n^2)): edges (a, b) as indices into g, and their lengths.
void minimum_spanning_tree(const std::vector<Calcification>& calcs, const std::vector<int>& g,
                           std::vector<std::pair<int, int>>& edges, std::vector<double>& lengths) {
  const int n = static_cast<int>(g.size());
  auto dist = [&](int a, int b) {
    return std::hypot(calcs[g[a]].x_mm - calcs[g[b]].x_mm, calcs[g[a]].y_mm - calcs[g[b]].y_mm);
  };
  std::vector<double> best(n, 1e300);
  std::vector<int> from(n, -1);
  std::vector<char> in(n, 0);
  edges.clear();
  lengths.clear();
  if (n == 0) return;
  best[0] = 0;
  for (int it = 0; it < n; ++it) {
    int u = -1;
    for (int i = 0; i < n; ++i)
      if (!in[i] && (u < 0 || best[i] < best[u])) u = i;
    in[u] = 1;
    if (from[u] >= 0) edges.emplace_back(from[u], u), lengths.push_back(best[u]);
    for (int v = 0; v < n; ++v) {
      if (in[v]) continue;
      const double d = dist(u, v);
      if (d < best[v]) best[v] = d, from[v] = u;
    }
  }
}

/// The two sides of a spanning tree of g without edge `cut`.
void cut_tree(const std::vector<int>& g, const std::vector<std::pair<int, int>>& edges, std::size_t cut,
              std::vector<int>& a, std::vector<int>& b) {
  DisjointSet ds(static_cast<int>(g.size()));
  for (std::size_t e = 0; e < edges.size(); ++e)
    if (e != cut) ds.unite(edges[e].first, edges[e].second);
  const int root = ds.find(edges[cut].first);
  for (int i = 0; i < static_cast<int>(g.size()); ++i) (ds.find(i) == root ? a : b).push_back(g[i]);
}

/// Chains longer than max_extent_mm are re-linked with a shorter link (x0.6) until they are compact
/// or the link reaches 1.5 mm, so that a cluster is not swallowed by a chain of false candidates
/// (its centre would move away from it).
void split_long_groups(const std::vector<Calcification>& calcs, std::vector<std::vector<int>> groups,
                       const ClusterParams& p, std::vector<std::vector<int>>& out, double link_mm = 0) {
  if (link_mm <= 0) link_mm = p.link_distance_mm;
  for (auto& g : groups) {
    const double extent =
        static_cast<int>(g.size()) >= p.min_count && p.max_extent_mm > 0 ? group_extent_mm(calcs, g) : 0.0;
    const double shorter = link_mm * 0.6;
    if (extent > p.max_extent_mm && shorter >= 1.5)
      split_long_groups(calcs, single_linkage(calcs, g, shorter), p, out, shorter);
    else
      out.push_back(std::move(g));
  }
}

/// Splits a group at its longest minimum-spanning-tree link when that link is a clear gap: longer
/// than gap_min_mm and gap_ratio x the median link, with at least min_count members on each side.
/// Two groups joined by a bridge of one or two stray candidates are then reported as what they are.
void split_at_gaps(const std::vector<Calcification>& calcs, std::vector<int> g, const ClusterParams& p,
                   std::vector<std::vector<int>>& out) {
  const int n = static_cast<int>(g.size());
  // (groups above 400 members are left alone: Prim's tree is O(n^2) per level; such groups only
  // arise with no density cap, and the long-chain split has already bounded their extent)
  if (p.gap_ratio <= 0 || n < 2 * p.min_count || n > 400) {
    out.push_back(std::move(g));
    return;
  }
  std::vector<std::pair<int, int>> edges;
  std::vector<double> lengths;
  minimum_spanning_tree(calcs, g, edges, lengths);
  std::vector<double> sorted = lengths;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  const auto longest = static_cast<std::size_t>(std::max_element(lengths.begin(), lengths.end()) - lengths.begin());
  if (lengths[longest] < p.gap_min_mm || lengths[longest] < p.gap_ratio * median) {
    out.push_back(std::move(g));
    return;
  }
  // the two sides of the tree without the longest edge
  std::vector<int> a, b;
  cut_tree(g, edges, longest, a, b);
  if (static_cast<int>(a.size()) < p.min_count || static_cast<int>(b.size()) < p.min_count) {
    out.push_back(std::move(g));
    return;
  }
  split_at_gaps(calcs, std::move(a), p, out);
  split_at_gaps(calcs, std::move(b), p, out);
}

/// How certain a calcification is: the log-odds of its score, clamped to [0.1, 7].
double log_odds_weight(double score) {
  const double s = std::clamp(score, 1e-6, 1 - 1e-6);
  return std::clamp(std::log(s / (1 - s)), 0.1, 7.0);
}

/// Weight of a member in the cluster centre: log_odds_weight() when ClusterParams::weighted_centre
/// is set, else 1.
double member_weight(double score, const ClusterParams& p) { return p.weighted_centre ? log_odds_weight(score) : 1.0; }

/// Greedy 1 cm^2 circles out of group g (ClusterParams::compact_discs): the circle of radius
/// radius_mm centred on a member with the largest sum of member weights (log-odds of the score,
/// at least 0.1 each), taken while it holds at least min_count members.
std::vector<int> extract_discs(const std::vector<Calcification>& calcs, std::vector<int> g, double radius_mm,
                               int min_count, std::vector<std::vector<int>>& out) {
  while (static_cast<int>(g.size()) >= min_count) {
    double best = -1;
    std::vector<int> best_members;
    for (int c : g) {
      std::vector<int> in;
      double w = 0;
      for (int j : g)
        if (std::hypot(calcs[j].x_mm - calcs[c].x_mm, calcs[j].y_mm - calcs[c].y_mm) <= radius_mm) {
          in.push_back(j);
          w += log_odds_weight(calcs[j].score);
        }
      if (static_cast<int>(in.size()) >= min_count && w > best) best = w, best_members = std::move(in);
    }
    if (best_members.empty()) break;
    std::vector<int> rest;
    std::set_difference(g.begin(), g.end(), best_members.begin(), best_members.end(), std::back_inserter(rest));
    out.push_back(std::move(best_members));
    g = std::move(rest);
  }
  return g;  // members in no circle
}

}  // namespace

namespace {

/// The groups (indices into calcs) of the rule in ClusterParams, with the density cap scaled by cap_factor.
std::vector<std::vector<int>> form_groups(const std::vector<Calcification>& calcs, double pixel_size_mm,
                                          const ClusterParams& p, double breast_area_mm2, double cap_factor) {
  std::vector<int> eligible;
  for (int i = 0; i < static_cast<int>(calcs.size()); ++i)
    if (calcs[i].score >= p.min_calcification_score && calcs[i].diameter_mm <= p.max_diameter_mm)
      eligible.push_back(i);
  std::vector<int> below_cap;  // eligible, but left out by the density cap
  if (breast_area_mm2 > 0 && p.max_density_per_cm2 > 0) {
    const auto cap = static_cast<std::size_t>(
        cap_factor * std::max(p.min_grouped, p.max_density_per_cm2 * breast_area_mm2 / 100.0));
    if (eligible.size() > cap) {
      std::stable_sort(eligible.begin(), eligible.end(),
                       [&](int a, int b) { return calcs[a].score > calcs[b].score; });
      below_cap.assign(eligible.begin() + static_cast<std::ptrdiff_t>(cap), eligible.end());
      eligible.resize(cap);
      std::sort(eligible.begin(), eligible.end());
    }
  }
  auto linked = single_linkage(calcs, eligible, p.link_distance_mm);
  if (p.complete_pairs && !below_cap.empty()) {
    // a pair of capped calcifications is completed by the calcifications the cap left out that lie
    // within the link of one of its members (they join; they do not chain among themselves)
    for (auto& g : linked) {
      if (g.size() < 2 || static_cast<int>(g.size()) >= p.min_count) continue;
      const std::vector<int> seeds = g;
      for (int j : below_cap)
        for (int i : seeds)
          if (std::hypot(calcs[i].x_mm - calcs[j].x_mm, calcs[i].y_mm - calcs[j].y_mm) <= p.link_distance_mm) {
            g.push_back(j);
            break;
          }
      std::sort(g.begin(), g.end());
    }
  }
  std::vector<std::vector<int>> groups;
  split_long_groups(calcs, std::move(linked), p, groups);
  if (p.compact_link_mm > 0) {
    std::vector<int> leftover;
    std::vector<std::vector<int>> kept;
    const bool discs = pixel_size_mm < p.compact_discs_below_pixel_mm;
    for (auto& g : groups) {
      if (static_cast<int>(g.size()) < p.min_count) {
        leftover.insert(leftover.end(), g.begin(), g.end());
      } else if (discs && p.long_group_discs && group_extent_mm(calcs, g) > p.compact_max_extent_mm) {
        std::sort(g.begin(), g.end());
        const auto rest = extract_discs(calcs, std::move(g), p.compact_max_extent_mm / 2, p.min_count, kept);
        leftover.insert(leftover.end(), rest.begin(), rest.end());
      } else {
        kept.push_back(std::move(g));
      }
    }
    std::sort(leftover.begin(), leftover.end());
    for (auto& g : single_linkage(calcs, leftover, p.compact_link_mm)) {
      if (static_cast<int>(g.size()) < p.min_count) continue;
      if (group_extent_mm(calcs, g) <= p.compact_max_extent_mm)
        kept.push_back(std::move(g));
      else if (discs)
        extract_discs(calcs, std::move(g), p.compact_max_extent_mm / 2, p.min_count, kept);
    }
    groups = std::move(kept);
  }
  if (p.gap_ratio > 0) {
    std::vector<std::vector<int>> split;
    for (auto& g : groups) split_at_gaps(calcs, std::move(g), p, split);
    groups = std::move(split);
  }
  return groups;
}

}  // namespace

std::vector<Cluster> find_clusters(const std::vector<Calcification>& calcs, double pixel_size_mm,
                                   const ClusterParams& p, double breast_area_mm2) {
  std::vector<std::vector<int>> groups;
  if (p.proposal_density_factor > 0 && pixel_size_mm < p.proposals_below_pixel_mm) {
    std::set<std::vector<int>> seen;
    const auto propose = [&](const ClusterParams& q, double f) {
      for (auto& g : form_groups(calcs, pixel_size_mm, q, breast_area_mm2, f)) {
        std::sort(g.begin(), g.end());
        if (seen.insert(g).second) groups.push_back(std::move(g));
      }
    };
    for (double f : {1.0 / p.proposal_density_factor, 1.0, p.proposal_density_factor}) propose(p, f);
    if (p.strong_proposal_score > p.min_calcification_score) {
      ClusterParams strong = p;
      strong.min_calcification_score = p.strong_proposal_score;
      propose(strong, 1.0);
    }
  } else {
    groups = form_groups(calcs, pixel_size_mm, p, breast_area_mm2, 1.0);
  }

  double image_likely = 0;
  for (const auto& c : calcs) image_likely += c.score >= 0.5;
  const double image_likely_per_cm2 = breast_area_mm2 > 0 ? image_likely / (breast_area_mm2 / 100.0) : 0.0;
  std::vector<Cluster> clusters;
  for (auto& members : groups) {
    if (static_cast<int>(members.size()) < p.min_count) continue;
    Cluster cl;
    cl.count = static_cast<int>(members.size());
    std::vector<cv::Point2f> pts;
    std::vector<double> scores, diam;
    double sx = 0, sy = 0, wsum = 0, cnr_sum = 0, cnr_max = 0, el = 0, skin = 0, line = 0, bg = 0, likely = 0, hazy = 0;
    for (int i : members) {
      const auto& c = calcs[i];
      cl.calcification_ids.push_back(c.id);
      pts.emplace_back(static_cast<float>(c.x), static_cast<float>(c.y));
      const double w = member_weight(c.score, p);
      sx += w * c.x;
      sy += w * c.y;
      wsum += w;
      scores.push_back(c.score);
      diam.push_back(c.diameter_mm);
      cnr_sum += c.cnr;
      cnr_max = std::max(cnr_max, c.cnr);
      el += c.elongation;
      skin += c.dist_to_skin_mm;
      line += c.features.size() > 11 ? c.features[11] : 1.0;
      bg += c.features.size() > 9 ? c.features[9] : 0.0;
      hazy += c.features.size() > 19 ? c.features[19] : 0.0;
      likely += c.score >= 0.5;
    }
    std::sort(cl.calcification_ids.begin(), cl.calcification_ids.end());
    const double cnt = cl.count;
    cl.x = sx / wsum;
    cl.y = sy / wsum;
    cl.x_mm = cl.x * pixel_size_mm;
    cl.y_mm = cl.y * pixel_size_mm;
    double rmax = 0, extent = 0;
    for (int a = 0; a < cl.count; ++a) {
      const auto& ca = calcs[members[a]];
      rmax = std::max(rmax, std::hypot(ca.x_mm - cl.x_mm, ca.y_mm - cl.y_mm) + ca.diameter_mm / 2);
      for (int b = a + 1; b < cl.count; ++b) {
        const auto& cb = calcs[members[b]];
        extent = std::max(extent, std::hypot(ca.x_mm - cb.x_mm, ca.y_mm - cb.y_mm));
      }
    }
    cl.radius_mm = rmax;
    cl.extent_mm = extent;
    std::vector<cv::Point2f> hull;
    cv::convexHull(pts, hull);
    for (const auto& h : hull) cl.outline.push_back({h.x, h.y});
    cl.area_mm2 = hull.size() >= 3 ? cv::contourArea(hull) * pixel_size_mm * pixel_size_mm : 0.0;
    std::vector<double> sorted = scores;
    std::sort(sorted.rbegin(), sorted.rend());
    const double strong = static_cast<double>(std::count_if(scores.begin(), scores.end(), [](double v) { return v >= 0.9; }));
    cl.mean_member_score = std::accumulate(scores.begin(), scores.end(), 0.0) / cnt;
    const double top3 = (sorted[0] + sorted[std::min<std::size_t>(1, sorted.size() - 1)] +
                         sorted[std::min<std::size_t>(2, sorted.size() - 1)]) / 3.0;
    const double mean_d = std::accumulate(diam.begin(), diam.end(), 0.0) / cnt;
    double var_d = 0;
    for (double d : diam) var_d += (d - mean_d) * (d - mean_d);
    const double cv_d = std::sqrt(var_d / cnt) / std::max(1e-6, mean_d);
    cl.features = {std::log2(cnt),
                   cl.mean_member_score,
                   sorted[0],
                   top3,
                   std::log2(1 + std::accumulate(scores.begin(), scores.end(), 0.0)),
                   extent,
                   cnt / std::max(0.25, cl.area_mm2 / 100.0),
                   cnr_sum / cnt,
                   cnr_max,
                   mean_d,
                   cv_d,
                   el / cnt,
                   skin / cnt,
                   line / cnt,
                   bg / cnt,
                   pixel_size_mm,
                   std::log2(1.0 + strong),
                   strong / cnt,
                   sorted[sorted.size() / 2],
                   std::log2(1.0 + likely),
                   hazy / cnt,
                   image_likely_per_cm2};
    clusters.push_back(std::move(cl));
  }
  std::sort(clusters.begin(), clusters.end(),
            [](const Cluster& a, const Cluster& b) { return a.y != b.y ? a.y < b.y : a.x < b.x; });
  for (std::size_t i = 0; i < clusters.size(); ++i) clusters[i].id = static_cast<int>(i) + 1;
  return clusters;
}

void suppress_overlapping_clusters(std::vector<Cluster>& clusters, const ClusterParams& params) {
  if (!(params.proposal_density_factor > 0)) return;
  std::vector<std::size_t> order(clusters.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return clusters[a].score > clusters[b].score; });
  std::set<int> taken;
  std::vector<char> keep(clusters.size(), 0);
  for (std::size_t i : order) {
    const auto& ids = clusters[i].calcification_ids;
    if (std::any_of(ids.begin(), ids.end(), [&](int id) { return taken.count(id) > 0; })) continue;
    keep[i] = 1;
    taken.insert(ids.begin(), ids.end());
  }
  std::vector<Cluster> out;
  for (std::size_t i = 0; i < clusters.size(); ++i)
    if (keep[i]) out.push_back(std::move(clusters[i]));
  for (std::size_t i = 0; i < out.size(); ++i) out[i].id = static_cast<int>(i) + 1;
  clusters = std::move(out);
}

void discount_by_rank(std::vector<Cluster>& clusters, const ClusterParams& params, double pixel_size_mm) {
  const bool on = params.rank_logit_step > 0 && pixel_size_mm >= params.rank_discount_from_pixel_mm;
  std::vector<std::size_t> order(clusters.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return clusters[a].model_score > clusters[b].model_score; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    Cluster& cl = clusters[order[k]];
    if (!on || k == 0) {
      cl.score = cl.model_score;
      continue;
    }
    const double p = std::clamp(cl.model_score, 1e-9, 1 - 1e-9);
    const double z = std::log(p / (1 - p)) - static_cast<double>(k) * params.rank_logit_step;
    cl.score = 1 / (1 + std::exp(-z));
  }
}

void impute_patch_context(std::vector<Cluster>& clusters) {
  static const auto index = [](const char* name) {
    const auto& n = cluster_feature_names();
    return static_cast<std::size_t>(std::find(n.begin(), n.end(), name) - n.begin());
  };
  static const std::size_t skin = index("mean_dist_to_skin_mm"), likely = index("image_likely_per_cm2");
  for (auto& c : clusters) {
    if (skin < c.features.size()) c.features[skin] = kPatchDistToSkinMm;
    if (likely < c.features.size()) c.features[likely] = kPatchLikelyPerCm2;
  }
}

}  // namespace calcscope
