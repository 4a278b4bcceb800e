// BI-RADS description rules (see include/calcscope/assess/describe.h and docs/assessment.md).
#include "calcscope/assess/describe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <sstream>

namespace calcscope {
namespace {

constexpr double kPi = std::numbers::pi;

double mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size()));
}
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double width_mm(const Calcification& c) { return c.diameter_mm / std::sqrt(std::max(1.0, c.elongation)); }

/// Smallest angle between two axes (undirected), degrees in [0, 90].
double axis_angle_deg(double a_deg, double b_deg) {
  double d = std::fmod(std::fabs(a_deg - b_deg), 180.0);
  if (d > 90) d = 180 - d;
  return d;
}

float sample(const Image& im, double x, double y) {
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  if (x0 < 0 || y0 < 0 || x0 + 1 >= im.width || y0 + 1 >= im.height) {
    const int xc = std::clamp(static_cast<int>(std::lround(x)), 0, im.width - 1);
    const int yc = std::clamp(static_cast<int>(std::lround(y)), 0, im.height - 1);
    return im.at(xc, yc);
  }
  const double fx = x - x0, fy = y - y0;
  return static_cast<float>((1 - fx) * (1 - fy) * im.at(x0, y0) + fx * (1 - fy) * im.at(x0 + 1, y0) +
                            (1 - fx) * fy * im.at(x0, y0 + 1) + fx * fy * im.at(x0 + 1, y0 + 1));
}

// A patch (whole-image mode) has no skin line or nipple of its own: no position relative to the nipple.
bool nipple_known(const BreastRegion& r) {
  return !r.whole_image && (!r.skin_line.empty() || r.nipple.x != 0 || r.nipple.y != 0);
}

std::string fmt(double v, int digits = 2) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}

}  // namespace

nlohmann::json to_json(const GroupMeasurements& m) {
  return {{"count", m.count},
          {"mean_diameter_mm", m.mean_diameter_mm},
          {"median_diameter_mm", m.median_diameter_mm},
          {"size_cv", m.size_cv},
          {"mean_width_mm", m.mean_width_mm},
          {"mean_elongation", m.mean_elongation},
          {"elongated_fraction", m.elongated_fraction},
          {"mean_irregularity", m.mean_irregularity},
          {"irregularity_std", m.irregularity_std},
          {"median_contrast", m.median_contrast},
          {"median_cnr", m.median_cnr},
          {"orientation_coherence", m.orientation_coherence},
          {"axis_alignment", m.axis_alignment},
          {"branching_fraction", m.branching_fraction},
          {"extent_mm", m.extent_mm},
          {"axis_ratio", m.axis_ratio},
          {"long_axis_deg", m.long_axis_deg},
          {"nipple_distance_mm", m.nipple_distance_mm},
          {"nipple_axis_angle_deg", m.nipple_axis_angle_deg},
          {"widening", m.widening},
          {"track_gap_mm", m.track_gap_mm},
          {"track_offset_cv", m.track_offset_cv},
          {"track_balance", m.track_balance},
          {"p75_diameter_mm", m.p75_diameter_mm},
          {"p25_diameter_mm", m.p25_diameter_mm},
          {"max_diameter_mm", m.max_diameter_mm},
          {"contrast_cv", m.contrast_cv},
          {"core_mean_score", m.mean_score},
          {"tiny_fraction", m.tiny_fraction},
          {"irregular_fraction", m.irregular_fraction},
          {"members_total", m.members_total},
          {"spread_count", m.spread_count},
          {"spread_extent_mm", m.spread_extent_mm},
          {"spread_axis_ratio", m.spread_axis_ratio},
          {"spread_nipple_angle_deg", m.spread_nipple_angle_deg},
          {"benign_type_fractions",
           {{"skin", m.skin_fraction},
            {"coarse_popcorn", m.coarse_fraction},
            {"rod_like", m.rod_fraction},
            {"rim", m.rim_fraction},
            {"round", m.round_fraction},
            {"punctate", m.punctate_fraction}}}};
}

std::string size_class(double diameter_mm, const DescribeParams& p) {
  if (diameter_mm < p.micro_max_mm) return "micro";
  if (diameter_mm > p.macro_min_mm) return "macro";
  return "intermediate";
}

std::optional<double> rim_centre_drop(const Image& image, const Calcification& c, const DescribeParams& p) {
  if (image.empty() || image.pixel_size_mm <= 0 || c.diameter_mm < p.rim_min_diameter_mm || c.contrast <= 0)
    return std::nullopt;
  const double r_px = image.mm_to_px(c.diameter_mm / 2);
  if (r_px < 3) return std::nullopt;
  // Centre: mean over a small disc (a quarter of the radius); ring: 24 samples at 0.7 radius.
  const double rc = std::max(0.5, 0.25 * r_px);
  double centre = 0;
  int n = 0;
  for (double dy = -rc; dy <= rc + 1e-9; dy += 0.5)
    for (double dx = -rc; dx <= rc + 1e-9; dx += 0.5)
      if (dx * dx + dy * dy <= rc * rc) {
        centre += sample(image, c.x + dx, c.y + dy);
        ++n;
      }
  centre /= std::max(1, n);
  double ring = 0;
  const int k = 24;
  for (int i = 0; i < k; ++i) {
    const double a = 2 * kPi * i / k;
    ring += sample(image, c.x + 0.7 * r_px * std::cos(a), c.y + 0.7 * r_px * std::sin(a));
  }
  ring /= k;
  return (ring - centre) / c.contrast;
}

std::string benign_type(const Calcification& c, const Image& image, const DescribeParams& p) {
  if (const auto drop = rim_centre_drop(image, c, p); drop && *drop >= p.rim_min_centre_drop) return "rim";
  if (c.diameter_mm > p.coarse_min_mm) return "coarse_popcorn";
  if (c.elongation >= p.rod_min_elongation && width_mm(c) >= p.rod_min_width_mm) return "rod_like";
  const bool roundish = c.elongation <= p.round_max_elongation && c.irregularity <= p.round_max_irregularity;
  if (roundish && c.diameter_mm < p.micro_max_mm) return "punctate";
  if (roundish && c.diameter_mm < p.round_max_mm) return "round";
  return "";
}

GroupMeasurements measure_group(const std::vector<const Calcification*>& members,
                                const std::vector<std::string>& types, const BreastRegion* region,
                                double pixel_size_mm, const DescribeParams& p) {
  GroupMeasurements m;
  m.count = static_cast<int>(members.size());
  if (members.empty()) return m;
  std::vector<double> d, w, e, irr, con, cnr;
  for (const auto* c : members) {
    d.push_back(c->diameter_mm);
    w.push_back(width_mm(*c));
    e.push_back(std::max(1.0, c->elongation));
    irr.push_back(c->irregularity);
    con.push_back(c->contrast);
    cnr.push_back(c->cnr);
  }
  m.mean_diameter_mm = mean(d);
  m.median_diameter_mm = median(d);
  m.size_cv = m.mean_diameter_mm > 0 ? stddev(d) / m.mean_diameter_mm : 0;
  m.mean_width_mm = mean(w);
  m.mean_elongation = mean(e);
  m.mean_irregularity = mean(irr);
  m.irregularity_std = stddev(irr);
  m.median_contrast = median(con);
  m.median_cnr = median(cnr);
  {
    std::vector<double> ds = d;
    std::sort(ds.begin(), ds.end());
    m.p75_diameter_mm = ds[static_cast<std::size_t>(std::floor(0.75 * static_cast<double>(ds.size() - 1) + 0.5))];
    m.p25_diameter_mm = ds[static_cast<std::size_t>(std::floor(0.25 * static_cast<double>(ds.size() - 1) + 0.5))];
    m.max_diameter_mm = ds.back();
    int tiny = 0;
    double score = 0;
    for (const auto* c : members) {
      if (c->diameter_mm < p.tiny_max_diameter_mm) ++tiny;
      score += c->score;
    }
    m.tiny_fraction = tiny / static_cast<double>(members.size());
    m.mean_score = score / static_cast<double>(members.size());
    const double mc = mean(con);
    m.contrast_cv = mc > 0 ? stddev(con) / mc : 0;
    int irregular = 0;
    for (const auto* c : members)
      if (c->elongation >= p.irregular_min_elongation || c->irregularity >= p.irregular_min_irregularity) ++irregular;
    m.irregular_fraction = irregular / static_cast<double>(members.size());
  }

  // Benign-type shares.
  std::map<std::string, int> tc;
  for (const auto& t : types) ++tc[t];
  const double n = static_cast<double>(members.size());
  m.skin_fraction = tc["skin"] / n;
  m.coarse_fraction = tc["coarse_popcorn"] / n;
  m.rod_fraction = tc["rod_like"] / n;
  m.rim_fraction = tc["rim"] / n;
  m.round_fraction = tc["round"] / n;
  m.punctate_fraction = tc["punctate"] / n;

  // Geometry of member positions (mm).
  double cx = 0, cy = 0;
  for (const auto* c : members) {
    cx += c->x_mm;
    cy += c->y_mm;
  }
  cx /= n;
  cy /= n;
  double sxx = 0, syy = 0, sxy = 0;
  for (const auto* c : members) {
    sxx += (c->x_mm - cx) * (c->x_mm - cx);
    syy += (c->y_mm - cy) * (c->y_mm - cy);
    sxy += (c->x_mm - cx) * (c->y_mm - cy);
  }
  sxx /= n;
  syy /= n;
  sxy /= n;
  const double tr = sxx + syy, det = sxx * syy - sxy * sxy;
  const double disc = std::sqrt(std::max(0.0, tr * tr / 4 - det));
  const double l1 = tr / 2 + disc, l2 = std::max(0.0, tr / 2 - disc);
  // A floor of (0.1 mm)^2 keeps perfectly collinear members finite.
  m.axis_ratio = std::sqrt((l1 + 0.01) / (l2 + 0.01));
  const double axis = 0.5 * std::atan2(2 * sxy, sxx - syy);
  m.long_axis_deg = axis * 180 / kPi;
  const double ux = std::cos(axis), uy = std::sin(axis);

  for (std::size_t i = 0; i < members.size(); ++i)
    for (std::size_t j = i + 1; j < members.size(); ++j)
      m.extent_mm = std::max(m.extent_mm, std::hypot(members[i]->x_mm - members[j]->x_mm,
                                                     members[i]->y_mm - members[j]->y_mm));

  // Orientation of elongated members.
  double c2 = 0, s2 = 0, align = 0;
  int n_el = 0, n_branch = 0;
  for (const auto* c : members) {
    if (c->elongation < p.elongated_min_elongation) continue;
    ++n_el;
    const double t = c->orientation_deg * kPi / 180;
    c2 += std::cos(2 * t);
    s2 += std::sin(2 * t);
    const double dev = axis_angle_deg(c->orientation_deg, m.long_axis_deg);
    align += std::fabs(std::cos(dev * kPi / 180));
    if (dev > 30) ++n_branch;
  }
  m.elongated_fraction = n_el / n;
  if (n_el > 0) {
    m.orientation_coherence = std::hypot(c2, s2) / n_el;
    m.axis_alignment = align / n_el;
    m.branching_fraction = static_cast<double>(n_branch) / n_el;
  }

  // Parallel tracks: perpendicular offsets from the long axis.
  std::vector<double> abs_off;
  int pos = 0, neg = 0;
  for (const auto* c : members) {
    const double s = -(c->x_mm - cx) * uy + (c->y_mm - cy) * ux;
    abs_off.push_back(std::fabs(s));
    (s >= 0 ? pos : neg) += 1;
  }
  const double mo = mean(abs_off);
  m.track_gap_mm = 2 * mo;
  m.track_offset_cv = mo > 0 ? stddev(abs_off) / mo : 0;
  m.track_balance = std::max(pos, neg) > 0 ? static_cast<double>(std::min(pos, neg)) / std::max(pos, neg) : 0;

  // Relation to the nipple: distance, angle of the long axis to the nipple direction, widening.
  if (region && nipple_known(*region) && pixel_size_mm > 0) {
    const double nx = region->nipple.x * pixel_size_mm, ny = region->nipple.y * pixel_size_mm;
    const double dx = nx - cx, dy = ny - cy;
    m.nipple_distance_mm = std::hypot(dx, dy);
    if (m.nipple_distance_mm > 0) {
      m.nipple_axis_angle_deg = axis_angle_deg(std::atan2(dy, dx) * 180 / kPi, m.long_axis_deg);
      // Members split at the median projection on the axis oriented towards the nipple.
      const double sgn = (dx * ux + dy * uy) >= 0 ? 1.0 : -1.0;
      std::vector<double> t;
      for (const auto* c : members) t.push_back(sgn * ((c->x_mm - cx) * ux + (c->y_mm - cy) * uy));
      const double tm = median(t);
      std::vector<double> near, far;
      for (std::size_t i = 0; i < members.size(); ++i) {
        const auto* c = members[i];
        const double s = -(c->x_mm - cx) * uy + (c->y_mm - cy) * ux;
        (t[i] > tm ? near : far).push_back(s);
      }
      if (near.size() >= 2 && far.size() >= 2)
        m.widening = std::max(0.1, stddev(far)) / std::max(0.1, stddev(near));
    }
  }
  return m;
}

std::string coarse_pieces_caution(const Cluster& cl, const std::vector<Calcification>& calcs,
                                  const std::map<int, std::size_t>& index, const std::string& morphology,
                                  const DescribeParams& p) {
  if (morphology == "typically_benign") return "";
  double largest = 0;
  for (int id : cl.calcification_ids)
    if (const auto it = index.find(id); it != index.end()) largest = std::max(largest, calcs[it->second].diameter_mm);
  if (!(largest > p.coarse_het_max_mm)) return "";
  return "its largest member is " + fmt(largest, 2) + " mm, larger than coarse heterogeneous calcifications (up to " +
         fmt(p.coarse_het_max_mm, 1) +
         " mm): the group may be the pieces of one benign coarse (popcorn or dystrophic) calcification, which the "
         "detector splits; look at the image before acting on the category";
}

MorphologyWord classify_morphology(const GroupMeasurements& m, const DescribeParams& p) {
  const double maj = p.benign_majority;
  if (m.skin_fraction >= maj)
    return {"typically_benign", "skin", fmt(m.skin_fraction * 100, 0) + " % of members lie within " +
                                            fmt(p.skin_max_distance_mm, 1) + " mm of the skin line"};
  if (m.coarse_fraction >= maj)
    return {"typically_benign", "coarse_popcorn",
            fmt(m.coarse_fraction * 100, 0) + " % of members are larger than " + fmt(p.coarse_min_mm, 1) + " mm"};
  if (m.rod_fraction >= maj)
    return {"typically_benign", "rod_like", fmt(m.rod_fraction * 100, 0) + " % of members are rods at least " +
                                                fmt(p.rod_min_width_mm, 1) + " mm wide"};
  if (m.rim_fraction >= maj)
    return {"typically_benign", "rim", fmt(m.rim_fraction * 100, 0) + " % of members have a lucent centre"};
  if (m.count >= 6 && m.axis_ratio >= p.vascular_min_axis_ratio && m.track_gap_mm >= p.vascular_min_track_gap_mm &&
      m.track_gap_mm <= p.vascular_max_track_gap_mm && m.track_offset_cv <= p.vascular_max_offset_cv &&
      m.track_balance >= 0.3)
    return {"typically_benign", "vascular",
            "members form two parallel tracks " + fmt(m.track_gap_mm, 1) + " mm apart (offset cv " +
                fmt(m.track_offset_cv) + ", axis ratio " + fmt(m.axis_ratio, 1) + ")"};
  if (m.elongated_fraction >= p.linear_min_elongated_fraction && m.mean_width_mm < p.linear_max_width_mm)
    return {"fine_linear_branching", "",
            fmt(m.elongated_fraction * 100, 0) + " % of members are thin lines (elongation >= " +
                fmt(p.elongated_min_elongation, 1) + ", mean width " + fmt(m.mean_width_mm) + " mm); " +
                fmt(m.branching_fraction * 100, 0) + " % deviate from the long axis (branching)"};
  if (m.median_diameter_mm <= p.amorphous_max_mm && m.median_cnr < p.amorphous_max_cnr)
    return {"amorphous", "",
            "tiny (median " + fmt(m.median_diameter_mm) + " mm) and faint (median contrast-to-noise " +
                fmt(m.median_cnr, 1) + " < " + fmt(p.amorphous_max_cnr, 1) + ")"};
  // Size and shape of the core. At 70-100 um the detector measures small irregular calcifications as
  // nearly round, so "irregular" counts members that are elongated or have an irregular outline.
  if (m.p75_diameter_mm >= p.large_min_p75_mm) {
    if (m.irregular_fraction < p.coarse_min_irregular_fraction && m.median_diameter_mm >= p.round_min_median_mm)
      return {"typically_benign", "round",
              "smooth round members (" + fmt(m.irregular_fraction * 100, 0) + " % irregular) of median " +
                  fmt(m.median_diameter_mm) + " mm"};
    return {"coarse_heterogeneous", "",
            "members of 0.5 mm and more (upper quartile " + fmt(m.p75_diameter_mm) + " mm, median " +
                fmt(m.median_diameter_mm) + " mm), " + fmt(m.irregular_fraction * 100, 0) +
                " % irregular or smaller than round ones"};
  }
  if (m.irregular_fraction >= p.pleomorphic_min_irregular_fraction || m.size_cv >= p.pleomorphic_min_size_cv)
    return {"fine_pleomorphic", "",
            "small (median " + fmt(m.median_diameter_mm) + " mm) members varying in shape (" +
                fmt(m.irregular_fraction * 100, 0) + " % irregular) or size (cv " + fmt(m.size_cv) + ")"};
  return {"typically_benign", "punctate",
          "small smooth members (median " + fmt(m.median_diameter_mm) + " mm, " +
              fmt(m.irregular_fraction * 100, 0) + " % irregular, size cv " + fmt(m.size_cv) + ")"};
}

DistributionWord classify_distribution(const GroupMeasurements& m, const DescribeParams& p) {
  const bool spread = m.spread_count > 0;
  const double ext = spread ? m.spread_extent_mm : m.extent_mm;
  const double ratio = spread ? m.spread_axis_ratio : m.axis_ratio;
  const double angle = spread ? m.spread_nipple_angle_deg : m.nipple_axis_angle_deg;
  const auto wide = [&]() -> DistributionWord {
    if (angle >= 0 && angle <= p.segmental_max_angle_deg && ratio >= p.segmental_min_axis_ratio)
      return {"segmental", "spreads over " + fmt(ext, 1) + " mm along an axis pointing to the nipple (" +
                               fmt(angle, 0) + " deg off, axis ratio " + fmt(ratio, 1) + ")"};
    return {"regional", "spreads over " + fmt(ext, 1) + " mm without following a duct towards the nipple (" +
                            (angle >= 0 ? fmt(angle, 0) + " deg off, " : std::string()) + "axis ratio " +
                            fmt(ratio, 1) + ")"};
  };
  if (ext > p.grouped_max_extent_mm) return wide();
  if (m.axis_ratio >= p.linear_min_axis_ratio)
    return {"linear", "members lie along a line (principal-axis ratio " + fmt(m.axis_ratio, 1) + " >= " +
                          fmt(p.linear_min_axis_ratio, 1) + ")"};
  if (ext > p.grouped_max_spread_mm) return wide();
  return {"grouped", "within " + fmt(ext, 1) + " mm (<= " + fmt(p.grouped_max_spread_mm, 0) + " mm)"};
}

std::vector<const Calcification*> core_members(std::vector<const Calcification*> members, const DescribeParams& p) {
  const std::size_t n = members.size();
  const std::size_t k = std::min(
      n, std::max(static_cast<std::size_t>(std::max(0, p.core_min_members)),
                  static_cast<std::size_t>(std::ceil(p.core_fraction * static_cast<double>(n)))));
  if (k >= n || k == 0) return members;
  std::stable_sort(members.begin(), members.end(),
                   [](const Calcification* a, const Calcification* b) { return a->score > b->score; });
  const double cut = members[k - 1]->score;
  std::vector<const Calcification*> out;
  for (const auto* c : members)
    if (c->score >= cut) out.push_back(c);
  return out;
}

std::vector<const Calcification*> spread_members(const std::vector<const Calcification*>& core,
                                                 const std::vector<Calcification>& all, const DescribeParams& p) {
  std::vector<const Calcification*> out = core;
  if (core.empty()) return out;
  double cx = 0, cy = 0;
  for (const auto* c : core) cx += c->x_mm, cy += c->y_mm;
  cx /= static_cast<double>(core.size());
  cy /= static_cast<double>(core.size());
  std::vector<const Calcification*> cand;
  for (const auto& c : all) {
    if (c.score < p.spread_min_score || c.diameter_mm < p.spread_min_diameter_mm) continue;
    if (std::hypot(c.x_mm - cx, c.y_mm - cy) > p.spread_radius_mm) continue;
    if (std::find(core.begin(), core.end(), &c) != core.end()) continue;
    cand.push_back(&c);
  }
  std::vector<bool> used(cand.size(), false);
  const double link2 = p.spread_link_mm * p.spread_link_mm;
  for (std::size_t head = 0; head < out.size(); ++head)  // breadth-first single linkage
    for (std::size_t i = 0; i < cand.size(); ++i) {
      if (used[i]) continue;
      const double dx = cand[i]->x_mm - out[head]->x_mm, dy = cand[i]->y_mm - out[head]->y_mm;
      if (dx * dx + dy * dy <= link2) {
        used[i] = true;
        out.push_back(cand[i]);
      }
    }
  return out;
}

bool is_diffuse(const std::vector<Cluster>& clusters, const BreastRegion& region, double pixel_size_mm,
                const DescribeParams& p) {
  if (static_cast<int>(clusters.size()) < p.diffuse_min_clusters) return false;
  // Breast size: diagonal of the bounding box of the breast silhouette (or the detection mask).
  const Mask& mk = region.breast.pixels.empty() ? region.mask : region.breast;
  int x0 = mk.width, y0 = mk.height, x1 = -1, y1 = -1;
  for (int y = 0; y < mk.height; ++y)
    for (int x = 0; x < mk.width; ++x)
      if (mk.at(x, y)) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
  if (x1 < 0) return false;
  const double diag_mm = std::hypot(x1 - x0, y1 - y0) * pixel_size_mm;  // masks are full resolution
  double spread = 0;
  for (std::size_t i = 0; i < clusters.size(); ++i)
    for (std::size_t j = i + 1; j < clusters.size(); ++j)
      spread = std::max(spread, std::hypot(clusters[i].x_mm - clusters[j].x_mm, clusters[i].y_mm - clusters[j].y_mm));
  return spread >= p.diffuse_min_spread_fraction * diag_mm;
}

namespace {
const char* const kTypicallyBenignByRule[] = {"skin", "coarse_popcorn", "rod_like", "rim", "vascular"};

nlohmann::json rounded(const std::map<std::string, double>& probs) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : probs) j[k] = std::round(v * 1000) / 1000;
  return j;
}

/// The learned words replace the rules' ones (which stay in rule_* fields); see DescribeParams.
void apply_descriptor_model(const DescriptorModel& model, ClusterDescription& d, const MorphologyWord& mw,
                            const DistributionWord& dw) {
  d.measurements["rule_morphology"] = mw.morphology == "typically_benign" ? mw.benign_type : mw.morphology;
  d.measurements["rule_distribution"] = dw.distribution;
  const bool benign_by_rule =
      std::find(std::begin(kTypicallyBenignByRule), std::end(kTypicallyBenignByRule), mw.benign_type) !=
      std::end(kTypicallyBenignByRule);
  if (!benign_by_rule) {
    if (const auto v = model.morphology(d.measurements)) {
      d.measurements["morphology_probabilities"] = rounded(v->probabilities);
      d.measurements["morphology_source"] = "model";
      const bool benign = v->word == "punctate" || v->word == "round";
      d.morphology = benign ? "typically_benign" : v->word;
      d.benign_type = benign ? v->word : "";
      d.measurements["morphology_reason"] =
          "learned model over the measurements: " + v->word + " (probability " + fmt(v->probability) +
          "); the rules say " + d.measurements["rule_morphology"].get<std::string>() + ": " + mw.why;
    }
  } else {
    d.measurements["morphology_source"] = "rules";
  }
  if (const auto v = model.distribution(d.measurements)) {
    d.measurements["distribution_probabilities"] = rounded(v->probabilities);
    d.measurements["distribution_source"] = "model";
    d.distribution = v->word;
    d.measurements["distribution_reason"] = "learned model over the measurements: " + v->word + " (probability " +
                                            fmt(v->probability) + "); the rules say " + dw.distribution + ": " +
                                            dw.why;
  }
}
}  // namespace

BreastPosition describe_position(double x_px, double y_px, const AnalysisResult& result) {
  BreastPosition pos;
  const auto& r = result.region;
  const double px = result.image_meta_only.pixel_size_mm;
  if (!nipple_known(r) || px <= 0) return pos;
  pos.nipple_distance_mm = std::hypot(x_px - r.nipple.x, y_px - r.nipple.y) * px;
  std::ostringstream os;
  os << fmt(pos.nipple_distance_mm, 0) << " mm from the nipple";
  if (r.chest_wall_side != 0 && result.image_meta_only.width > 0) {
    const double wall_x = r.chest_wall_side < 0 ? 0.0 : result.image_meta_only.width - 1.0;
    const double span = std::fabs(wall_x - r.nipple.x);
    if (span > 0) {
      pos.depth_fraction = std::clamp(std::fabs(x_px - r.nipple.x) / span, 0.0, 1.0);
      pos.depth = pos.depth_fraction < 1.0 / 3 ? "anterior" : pos.depth_fraction < 2.0 / 3 ? "middle" : "posterior";
      os << ", " << pos.depth << " third";
    }
  }
  const std::string& view = result.image_meta_only.info.view;
  if (view == "CC") pos.half = y_px < r.nipple.y ? "lateral" : "medial";  // lateral displayed at the top
  else if (view == "MLO" || view == "ML" || view == "LM") pos.half = y_px < r.nipple.y ? "upper" : "lower";
  if (!pos.half.empty()) os << ", " << pos.half << " half";
  pos.text = os.str();
  return pos;
}

ImageDescription describe_image(const Image& image, const AnalysisResult& result, const DescribeParams& p) {
  ImageDescription out;
  const double px = result.image_meta_only.pixel_size_mm > 0 ? result.image_meta_only.pixel_size_mm : image.pixel_size_mm;
  // Skin line points away from the image border (the chest-wall side is not skin).
  std::vector<std::pair<PointPx, PointPx>> skin;  // segments of the skin line
  const int w = result.image_meta_only.width > 0 ? result.image_meta_only.width : image.width;
  const int h = result.image_meta_only.height > 0 ? result.image_meta_only.height : image.height;
  const auto inner = [&](const PointPx& q) { return q.x > 2 && q.y > 2 && q.x < w - 3 && q.y < h - 3; };
  const auto& line = result.region.skin_line;
  for (std::size_t i = 0; i + 1 < line.size(); ++i)
    if (inner(line[i]) && inner(line[i + 1])) skin.emplace_back(line[i], line[i + 1]);
  const auto skin_distance_mm = [&](const Calcification& c) {
    double best = 1e300;
    for (const auto& [a, b] : skin) {
      const double vx = b.x - a.x, vy = b.y - a.y, len2 = vx * vx + vy * vy;
      const double t = len2 > 0 ? std::clamp(((c.x - a.x) * vx + (c.y - a.y) * vy) / len2, 0.0, 1.0) : 0.0;
      const double dx = a.x + t * vx - c.x, dy = a.y + t * vy - c.y;
      best = std::min(best, dx * dx + dy * dy);
    }
    return std::sqrt(best) * px;
  };
  const DescriptorModel* model = nullptr;
  if (p.use_descriptor_model) {
    model = p.descriptor_model ? p.descriptor_model : DescriptorModel::embedded();
    // the pixel size the image was analysed at: film resampled to fine pixels is described as film
    const double apx = result.analysed_pixel_size_mm > 0 ? result.analysed_pixel_size_mm : px;
    if (model && !p.descriptor_model_any_pixel_size &&
        !(apx >= model->min_pixel_size_mm() && apx <= model->max_pixel_size_mm()))
      model = nullptr;
  }
  std::map<int, std::size_t> index;  // calcification id -> position in result/out
  for (const auto& c : result.calcifications) {
    CalcificationDescription d;
    d.calcification_id = c.id;
    d.size_class = size_class(c.diameter_mm, p);
    if (!skin.empty() && c.dist_to_skin_mm <= p.skin_max_distance_mm && skin_distance_mm(c) <= p.skin_max_distance_mm)
      d.benign_type = "skin";
    else d.benign_type = benign_type(c, image, p);
    index[c.id] = out.calcifications.size();
    out.calcifications.push_back(d);
  }
  for (const auto& cl : result.clusters) {
    std::vector<const Calcification*> members;
    std::vector<std::string> types;
    for (int id : cl.calcification_ids) {
      const auto it = index.find(id);
      if (it == index.end()) continue;
      members.push_back(&result.calcifications[it->second]);
      types.push_back(out.calcifications[it->second].benign_type);
    }
    // Morphology and the cluster's own geometry from the core; the distribution also from the spread.
    const std::vector<const Calcification*> core = core_members(members, p);
    std::vector<std::string> core_types;
    for (const auto* c : core) core_types.push_back(types[static_cast<std::size_t>(
        std::find(members.begin(), members.end(), c) - members.begin())]);
    GroupMeasurements m = measure_group(core, core_types, &result.region, px, p);
    m.members_total = static_cast<int>(members.size());
    GroupMeasurements wide_spread;
    int neighbours_15 = 0, neighbours_30 = 0;
    if (!core.empty()) {
      const auto spread = spread_members(core, result.calcifications, p);
      const GroupMeasurements sm =
          measure_group(spread, std::vector<std::string>(spread.size()), &result.region, px, p);
      m.spread_count = sm.count;
      m.spread_extent_mm = sm.extent_mm;
      m.spread_axis_ratio = sm.axis_ratio;
      m.spread_nipple_angle_deg = sm.nipple_axis_angle_deg;
      DescribeParams wide = p;
      wide.spread_link_mm = p.wide_spread_link_mm;
      const auto wspread = spread_members(core, result.calcifications, wide);
      wide_spread = measure_group(wspread, std::vector<std::string>(wspread.size()), &result.region, px, p);
      // Confident calcifications around the core's centre (image context of the cluster).
      double cx = 0, cy = 0;
      for (const auto* c : core) cx += c->x_mm, cy += c->y_mm;
      cx /= static_cast<double>(core.size());
      cy /= static_cast<double>(core.size());
      for (const auto& c : result.calcifications) {
        if (c.score < p.spread_min_score || c.diameter_mm < p.spread_min_diameter_mm) continue;
        const double dist = std::hypot(c.x_mm - cx, c.y_mm - cy);
        neighbours_15 += dist <= 15.0;
        neighbours_30 += dist <= 30.0;
      }
    }
    ClusterDescription d;
    d.cluster_id = cl.id;
    const MorphologyWord mw = classify_morphology(m, p);
    d.morphology = mw.morphology;
    d.benign_type = mw.benign_type;
    const DistributionWord dw = classify_distribution(m, p);
    d.distribution = dw.distribution;
    d.measurements = to_json(m);
    d.measurements["count"] = cl.count > 0 ? cl.count : m.count;
    d.measurements["cluster_extent_mm"] = cl.extent_mm;
    d.measurements["cluster_area_mm2"] = cl.area_mm2;
    d.measurements["cluster_score"] = cl.model_score;  // the descriptor model's input: the model's own score
    d.measurements["wide_spread_count"] = wide_spread.count;
    d.measurements["wide_spread_extent_mm"] = wide_spread.extent_mm;
    d.measurements["wide_spread_axis_ratio"] = wide_spread.axis_ratio;
    d.measurements["wide_spread_nipple_angle_deg"] = wide_spread.nipple_axis_angle_deg;
    d.measurements["wide_spread_widening"] = wide_spread.widening;
    d.measurements["neighbours_15mm"] = neighbours_15;
    d.measurements["neighbours_30mm"] = neighbours_30;
    d.measurements["morphology_reason"] = mw.why;
    d.measurements["distribution_reason"] = dw.why;
    if (model) apply_descriptor_model(*model, d, mw, dw);
    d.confidence = cl.score;
    d.position = describe_position(cl.x, cl.y, result).text;
    if (const auto caution = coarse_pieces_caution(cl, result.calcifications, index, d.morphology, p); !caution.empty())
      d.cautions.push_back(caution);
    if (mw.benign_type == "vascular")
      for (int id : cl.calcification_ids)
        if (const auto it = index.find(id); it != index.end()) out.calcifications[it->second].benign_type = "vascular";
    out.clusters.push_back(std::move(d));
  }
  // Diffuse: many clusters of round/punctate calcifications scattered across the breast (an image-level
  // pattern; suspicious-looking clusters keep their own distribution).
  std::vector<Cluster> dotlike;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < out.clusters.size(); ++i)
    if (out.clusters[i].benign_type == "punctate" || out.clusters[i].benign_type == "round") {
      dotlike.push_back(result.clusters[i]);
      which.push_back(i);
    }
  if (is_diffuse(dotlike, result.region, px, p))
    for (std::size_t i : which) {
      out.clusters[i].distribution = "diffuse";
      out.clusters[i].measurements["distribution_reason"] =
          std::to_string(dotlike.size()) + " clusters of round/punctate calcifications scattered across the breast";
    }
  return out;
}

}  // namespace calcscope
