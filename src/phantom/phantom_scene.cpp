// What is in the breast: cluster positions, calcification positions and shapes (patient frame, mm).
#include <algorithm>
#include <cmath>

#include "calcscope/core/error.h"
#include "phantom/phantom_internal.h"

namespace calcscope::phantom_detail {
namespace {

double clampd(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }

struct Placed {
  double x, y, r;
};

/// Everything a cluster needs to place its members.
struct ClusterPlan {
  PhantomClusterSpec spec;
  double extent_mm = 8;
  double cx = 0, cy = 0;  ///< patient frame
  bool fixed = false;
  double place_radius() const { return spec.distribution == Distribution::Diffuse ? 0.0 : extent_mm / 2.0; }
};

template <typename T>
T pick(Rng& rng, const std::vector<std::pair<T, double>>& table) {
  double total = 0;
  for (const auto& e : table) total += e.second;
  double u = rng.uniform() * total;
  for (const auto& e : table) {
    if (u < e.second) return e.first;
    u -= e.second;
  }
  return table.back().first;
}

double default_extent(Distribution d, Rng& rng) {
  switch (d) {
    case Distribution::Grouped: return rng.uniform(5, 11);
    case Distribution::Linear: return rng.uniform(8, 18);
    case Distribution::Segmental: return rng.uniform(25, 40);
    case Distribution::Regional: return rng.uniform(25, 40);
    case Distribution::Diffuse: return 0;
  }
  return 8;
}

PhantomClusterSpec random_cluster_spec(Rng& rng) {
  using M = Morphology;
  using D = Distribution;
  PhantomClusterSpec s;
  s.morphology = pick<M>(rng, {{M::FinePleomorphic, 3}, {M::Amorphous, 2}, {M::FineLinearBranching, 2},
                               {M::CoarseHeterogeneous, 2}, {M::Punctate, 2}, {M::Round, 1},
                               {M::CoarsePopcorn, 0.7}, {M::RodLike, 0.7}, {M::Rim, 0.7},
                               {M::Vascular, 0.7}, {M::Skin, 0.5}});
  switch (s.morphology) {
    case M::FineLinearBranching:
      s.distribution = pick<D>(rng, {{D::Linear, 4}, {D::Segmental, 3}, {D::Grouped, 3}});
      break;
    case M::Round:
      s.distribution = pick<D>(rng, {{D::Grouped, 4}, {D::Regional, 3}, {D::Diffuse, 3}});
      break;
    case M::CoarsePopcorn:
    case M::Rim:
      s.distribution = pick<D>(rng, {{D::Grouped, 1}, {D::Regional, 1}});
      break;
    case M::RodLike: s.distribution = pick<D>(rng, {{D::Regional, 1}, {D::Segmental, 1}}); break;
    case M::Vascular: s.distribution = D::Linear; break;
    case M::Skin: s.distribution = D::Grouped; break;
    default:
      s.distribution = pick<D>(rng, {{D::Grouped, 6}, {D::Linear, 1}, {D::Segmental, 1.5}, {D::Regional, 1.5}});
  }
  switch (s.distribution) {
    case D::Grouped: s.count = rng.integer(5, 14); break;
    case D::Linear: s.count = rng.integer(5, 10); break;
    case D::Segmental: s.count = rng.integer(8, 18); break;
    case D::Regional: s.count = rng.integer(8, 18); break;
    case D::Diffuse: s.count = rng.integer(12, 24); break;
  }
  if (s.morphology == M::CoarsePopcorn || s.morphology == M::Rim) s.count = rng.integer(2, 4);
  if (s.morphology == M::Vascular) s.count = rng.integer(3, 5);
  if (s.morphology == M::Skin) s.count = rng.integer(4, 7);
  double lo, hi;
  morphology_size_range(s.morphology, lo, hi);
  s.mean_diameter_mm = rng.uniform(lo + 0.35 * (hi - lo), lo + 0.8 * (hi - lo));
  s.extent_mm = default_extent(s.distribution, rng);
  if (s.morphology == M::Skin) s.extent_mm = rng.uniform(4, 8);
  if (s.morphology == M::Vascular) s.extent_mm = rng.uniform(20, 35);
  if (s.morphology == M::CoarsePopcorn || s.morphology == M::Rim) s.extent_mm = rng.uniform(15, 30);
  return s;
}

/// Effective extent for a spec: segmental/regional are at least 2 cm by definition.
double effective_extent(const PhantomClusterSpec& s) {
  double e = std::max(s.extent_mm, 1.0);
  if (s.distribution == Distribution::Segmental || s.distribution == Distribution::Regional) e = std::max(e, 20.0);
  return e;
}

class Builder {
 public:
  Builder(const PhantomSpec& spec, Scene& scene, Rng& rng)
      : spec_(spec), scene_(scene), a_(scene.anatomy), rng_(rng), f_(compute_fields(scene.anatomy, 0.5, 40.0, false)) {}

  double skin(double x, double y) const { return f_.sample(f_.skin_sd, x, y); }
  double pect(double x, double y) const { return f_.sample(f_.pect_sd, x, y); }
  bool in_image(double x, double y, double margin) const {
    return x >= margin && y >= margin && x <= a_.width_mm - margin && y <= a_.height_mm - margin;
  }

  /// Random centre for a cluster of placement radius r; throws when the breast is too full.
  void place_centre(ClusterPlan& p) {
    const double r = p.place_radius();
    const bool skin_cluster = p.spec.morphology == Morphology::Skin;
    for (int attempt = 0; attempt < 6000; ++attempt) {
      const double relax = attempt < 3000 ? 1.0 : 0.5;
      const double x = rng_.uniform(0, a_.nipple_x), y = rng_.uniform(0, a_.height_mm);
      if (!in_image(x, y, r * relax + 3)) continue;
      if (x < r * relax + 5) continue;  // away from the chest wall
      const double sd = skin(x, y);
      if (skin_cluster) {
        if (sd < r * 0.5 + 1.5 || sd > r + 6) continue;
      } else if (sd < std::max(r * relax + 3.0, 8.0)) {
        continue;
      }
      if (pect(x, y) > -(r * relax + 4.0)) continue;
      bool free = true;
      for (const auto& o : occupied_)
        if (std::hypot(o.x - x, o.y - y) < (o.r + r) * relax + 4.0) free = false;
      if (!free) continue;
      p.cx = x;
      p.cy = y;
      return;
    }
    throw Error(ErrorCode::Usage,
                "cannot place " + std::to_string(occupied_.size() + 1) +
                    " non-overlapping clusters inside this breast; use fewer or smaller clusters or a larger image");
  }

  void occupy(const ClusterPlan& p) {
    if (p.spec.distribution != Distribution::Diffuse) occupied_.push_back({p.cx, p.cy, p.place_radius()});
  }

  /// Is a member of size s acceptable at (x, y)?
  bool member_ok(double x, double y, double s, bool skin_calc, const std::vector<Placed>& members, double sep) const {
    if (!in_image(x, y, s + 1.0) || x < s + 2.0) return false;
    const double sd = skin(x, y);
    if (skin_calc) {
      if (sd < 0.6 + s * 0.5 || sd > 4.0) return false;
    } else if (sd < 2.0 + s * 0.5) {
      return false;
    }
    if (pect(x, y) > -1.0 - s * 0.5) return false;
    for (const auto& m : members)
      if (std::hypot(m.x - x, m.y - y) < (m.r + s * 0.5) * sep + 0.3 * sep) return false;
    return true;
  }

  double member_size(Morphology m, double mean) {
    double lo, hi;
    morphology_size_range(m, lo, hi);
    const double spread = m == Morphology::FinePleomorphic ? 0.35 : 0.2;
    return clampd(mean * std::exp(rng_.normal(0, spread)), lo, hi);
  }

  /// Members of one cluster; returns the calcs (patient frame) without ids.
  std::vector<SceneCalc> make_members(const ClusterPlan& p, int count) {
    std::vector<SceneCalc> out;
    std::vector<Placed> placed;
    double lo, hi;
    morphology_size_range(p.spec.morphology, lo, hi);
    const double mean = clampd(p.spec.mean_diameter_mm, lo, hi);
    const double E = p.extent_mm;
    const double toward_nipple = std::atan2(a_.nipple_y - p.cy, a_.nipple_x - p.cx);
    const bool skin_calc = p.spec.morphology == Morphology::Skin;
    const bool vascular = p.spec.morphology == Morphology::Vascular;
    // line / duct geometry
    const double line_dir = vascular ? toward_nipple + rng_.normal(0, 0.4) : toward_nipple + rng_.normal(0, 0.2);
    std::vector<std::vector<cv::Point2d>> ducts;
    if (p.spec.distribution == Distribution::Segmental) ducts = make_ducts(p, toward_nipple);
    if (vascular) {  // the calcified vessel itself
      Vessel v;
      v.width_mm = rng_.uniform(1.2, 2.0);
      v.contrast = 1.0;
      const double half = E / 2 + 8;
      for (double t = -half; t <= half; t += 2.0)
        v.path.emplace_back(p.cx + t * std::cos(line_dir), p.cy + t * std::sin(line_dir));
      vessel_width_ = v.width_mm;
      a_.vessels.push_back(std::move(v));
    }
    for (int i = 0; i < count; ++i) {
      const double s = member_size(p.spec.morphology, mean);
      bool done = false;
      for (int attempt = 0; attempt < 1500 && !done; ++attempt) {
        const double sep = attempt < 500 ? 1.0 : (attempt < 1000 ? 0.5 : 0.0);
        double x = 0, y = 0, dir = toward_nipple + rng_.normal(0, 0.5);
        switch (vascular ? Distribution::Linear : p.spec.distribution) {
          case Distribution::Grouped:
          case Distribution::Regional: {
            const double r = E / 2 * std::sqrt(rng_.uniform()), th = rng_.uniform(0, 2 * kPi);
            x = p.cx + r * std::cos(th);
            y = p.cy + r * std::sin(th);
            break;
          }
          case Distribution::Linear: {
            const double t = rng_.uniform(-E / 2, E / 2), j = vascular ? 0.0 : rng_.normal(0, 0.25);
            x = p.cx + t * std::cos(line_dir) - j * std::sin(line_dir);
            y = p.cy + t * std::sin(line_dir) + j * std::cos(line_dir);
            dir = line_dir + (vascular ? 0.0 : rng_.normal(0, 0.15));
            break;
          }
          case Distribution::Segmental: {
            const auto& d = ducts[static_cast<std::size_t>(rng_.integer(0, static_cast<int>(ducts.size()) - 1))];
            const std::size_t k = static_cast<std::size_t>(rng_.integer(0, static_cast<int>(d.size()) - 2));
            const double t = rng_.uniform();
            const double j = rng_.normal(0, 0.25);
            dir = std::atan2(d[k + 1].y - d[k].y, d[k + 1].x - d[k].x);
            x = d[k].x + t * (d[k + 1].x - d[k].x) - j * std::sin(dir);
            y = d[k].y + t * (d[k + 1].y - d[k].y) + j * std::cos(dir);
            break;
          }
          case Distribution::Diffuse: {
            x = rng_.uniform(0, a_.nipple_x);
            y = rng_.uniform(0, a_.height_mm);
            break;
          }
        }
        SceneCalc c = make_shape(p.spec.morphology, x, y, s, dir);
        const double extent = std::max(c.truth.length_mm, c.truth.diameter_mm);
        if (p.spec.distribution == Distribution::Diffuse) {
          bool clear = true;
          for (const auto& o : occupied_)
            if (std::hypot(o.x - x, o.y - y) < o.r + 3) clear = false;
          if (!clear || skin(x, y) < 6.0) continue;
        } else if (std::hypot(x - p.cx, y - p.cy) + extent / 2 > E / 2 + 0.5 && !vascular &&
                   p.spec.distribution != Distribution::Segmental) {
          continue;
        }
        if (!member_ok(x, y, extent, skin_calc, placed, sep)) continue;
        c.contrast *= p.spec.contrast;
        placed.push_back({x, y, extent / 2});
        out.push_back(std::move(c));
        done = true;
      }
    }
    return out;
  }

  /// Branching ducts of a segment: a triangle with its apex towards the nipple.
  std::vector<std::vector<cv::Point2d>> make_ducts(const ClusterPlan& p, double toward_nipple) {
    std::vector<std::vector<cv::Point2d>> ducts;
    const double E = p.extent_mm;
    const cv::Point2d apex(p.cx + E / 2 * std::cos(toward_nipple), p.cy + E / 2 * std::sin(toward_nipple));
    const double back = toward_nipple + kPi;
    const int n = rng_.integer(3, 5);
    for (int i = 0; i < n; ++i) {
      std::vector<cv::Point2d> d{apex};
      double heading = back + rng_.uniform(-0.38, 0.38);
      const double len = E * rng_.uniform(0.7, 1.0);
      cv::Point2d q = apex;
      for (double s = 0; s < len; s += 2.0) {
        heading += rng_.normal(0, 0.08);
        q += cv::Point2d(2.0 * std::cos(heading), 2.0 * std::sin(heading));
        d.push_back(q);
      }
      ducts.push_back(d);
      // one side branch
      const std::size_t k = d.size() / 2;
      std::vector<cv::Point2d> b{d[k]};
      double hb = heading + (rng_.uniform() < 0.5 ? -1 : 1) * rng_.uniform(0.3, 0.6);
      cv::Point2d qb = d[k];
      for (double s = 0; s < len * 0.4; s += 2.0) {
        qb += cv::Point2d(2.0 * std::cos(hb), 2.0 * std::sin(hb));
        b.push_back(qb);
      }
      if (b.size() >= 2) ducts.push_back(b);
    }
    return ducts;
  }

  Primitive blob(double x, double y, double a, double b, double angle, double irr) {
    Primitive p;
    p.kind = Primitive::Ellipsoid;
    p.cx = x;
    p.cy = y;
    p.a = a;
    p.b = b;
    p.angle = angle;
    for (int k = 0; k < 3; ++k) {
      p.irr_amp[k] = rng_.uniform(0, irr) / (k + 1);
      p.irr_phase[k] = rng_.uniform(0, 2 * kPi);
    }
    return p;
  }
  static Primitive capsule(double x0, double y0, double x1, double y1, double radius) {
    Primitive p;
    p.kind = Primitive::Capsule;
    p.cx = x0;
    p.cy = y0;
    p.x2 = x1;
    p.y2 = y1;
    p.a = radius;
    return p;
  }

  /// One calcification of morphology m, size s (diameter or width, mm), local direction dir.
  SceneCalc make_shape(Morphology m, double x, double y, double s, double dir) {
    SceneCalc c;
    c.truth.morphology = m;
    c.truth.x_mm = x;
    c.truth.y_mm = y;
    c.truth.diameter_mm = s;
    c.truth.length_mm = s;
    const double r = s / 2;
    switch (m) {
      case Morphology::Punctate:
      case Morphology::Round: {
        const double ecc = rng_.uniform(0.8, 1.0);
        c.prims.push_back(blob(x, y, r / std::sqrt(ecc), r * std::sqrt(ecc), rng_.uniform(0, kPi), 0.06));
        break;
      }
      case Morphology::Amorphous: {
        Primitive p;
        p.kind = Primitive::Gaussian;
        p.cx = x;
        p.cy = y;
        p.a = r;
        p.b = r * rng_.uniform(0.7, 1.0);
        p.angle = rng_.uniform(0, kPi);
        c.prims.push_back(p);
        c.contrast = 1.0;  // faint by its spread-out profile alone
        break;
      }
      case Morphology::FinePleomorphic: {
        const double aspect = rng_.uniform(1.0, 2.4);
        const double th = rng_.uniform(0, kPi);
        if (rng_.uniform() < 0.7) {
          c.prims.push_back(blob(x, y, r * std::sqrt(aspect), r / std::sqrt(aspect), th, 0.3));
          c.truth.length_mm = s * std::sqrt(aspect);
        } else {  // comma / V shapes: two overlapping blobs
          const double off = r * 0.6;
          c.prims.push_back(blob(x - off * std::cos(th), y - off * std::sin(th), r * 0.75, r * 0.5, th, 0.2));
          const double th2 = th + rng_.uniform(-1.0, 1.0);
          c.prims.push_back(blob(x + off * std::cos(th2), y + off * std::sin(th2), r * 0.7, r * 0.45, th2, 0.2));
          c.truth.length_mm = s * 1.5;
        }
        break;
      }
      case Morphology::FineLinearBranching: {
        const double L = rng_.uniform(1.2, 4.5);
        double h = dir + rng_.normal(0, 0.25);
        cv::Point2d q(x - L / 2 * std::cos(h), y - L / 2 * std::sin(h));
        const int nseg = 3;
        std::vector<cv::Point2d> pts{q};
        for (int k = 0; k < nseg; ++k) {
          q += cv::Point2d(L / nseg * std::cos(h), L / nseg * std::sin(h));
          pts.push_back(q);
          h += rng_.normal(0, 0.2);
        }
        const int gap = rng_.uniform() < 0.3 ? rng_.integer(0, nseg - 1) : -1;  // broken line
        for (int k = 0; k < nseg; ++k)
          if (k != gap) c.prims.push_back(capsule(pts[k].x, pts[k].y, pts[k + 1].x, pts[k + 1].y, r));
        double total = L;
        if (rng_.uniform() < 0.6) {  // a branch
          const cv::Point2d base = pts[static_cast<std::size_t>(rng_.integer(1, nseg - 1))];
          const double hb = h + (rng_.uniform() < 0.5 ? -1 : 1) * rng_.uniform(0.45, 0.8);
          const double lb = L * rng_.uniform(0.3, 0.6);
          c.prims.push_back(capsule(base.x, base.y, base.x + lb * std::cos(hb), base.y + lb * std::sin(hb), r * 0.8));
          total += lb;
        }
        c.truth.length_mm = L;
        (void)total;
        break;
      }
      case Morphology::CoarseHeterogeneous: {
        const int n = rng_.integer(3, 5);
        for (int k = 0; k < n; ++k) {  // coalescing lumps
          const double rr = r * rng_.uniform(0.55, 0.8), off = (r - rr) * rng_.uniform(0.5, 1.0),
                       th = rng_.uniform(0, 2 * kPi);
          c.prims.push_back(blob(x + off * std::cos(th), y + off * std::sin(th), rr, rr * rng_.uniform(0.6, 1.0),
                                 rng_.uniform(0, kPi), 0.25));
        }
        break;
      }
      case Morphology::CoarsePopcorn: {
        const int n = rng_.integer(4, 7);
        for (int k = 0; k < n; ++k) {
          const double rr = s * rng_.uniform(0.16, 0.28), off = (r - rr) * std::sqrt(rng_.uniform()),
                       th = rng_.uniform(0, 2 * kPi);
          c.prims.push_back(blob(x + off * std::cos(th), y + off * std::sin(th), rr, rr * rng_.uniform(0.7, 1.0),
                                 rng_.uniform(0, kPi), 0.2));
        }
        break;
      }
      case Morphology::RodLike: {
        const double L = rng_.uniform(3.0, 9.0), h = dir + rng_.normal(0, 0.1);
        c.prims.push_back(capsule(x - L / 2 * std::cos(h), y - L / 2 * std::sin(h), x + L / 2 * std::cos(h),
                                  y + L / 2 * std::sin(h), r));
        c.truth.length_mm = L + s;
        break;
      }
      case Morphology::Rim:
      case Morphology::Skin: {
        const double wall = m == Morphology::Rim ? rng_.uniform(0.05, 0.12) : r * rng_.uniform(0.3, 0.45);
        Primitive p = blob(x, y, r, r * rng_.uniform(0.85, 1.0), rng_.uniform(0, kPi), 0.04);
        p.inner = std::clamp(1.0 - wall / r, 0.2, 0.92);
        c.prims.push_back(p);
        break;
      }
      case Morphology::Vascular: {
        const double L = rng_.uniform(3.0, 8.0), sep = vessel_width_ / 2 + r;
        const double ux = std::cos(dir), uy = std::sin(dir), nx = -uy, ny = ux;
        for (int side = -1; side <= 1; side += 2) {
          double t = -L / 2;
          while (t < L / 2) {  // broken tracks
            const double seg = std::min(rng_.uniform(1.0, 3.0), L / 2 - t);
            const double ox = x + side * sep * nx, oy = y + side * sep * ny;
            c.prims.push_back(capsule(ox + t * ux, oy + t * uy, ox + (t + seg) * ux, oy + (t + seg) * uy, r));
            t += seg + rng_.uniform(0.2, 0.8);
          }
        }
        c.truth.length_mm = L;
        break;
      }
    }
    return c;
  }

  int add_cluster(const ClusterPlan& p, int count, const std::string& change, int keep_in_prior, int keep_in_current) {
    SceneCluster sc;
    sc.truth.morphology = p.spec.morphology;
    sc.truth.distribution = p.spec.distribution;
    sc.truth.x_mm = p.cx;
    sc.truth.y_mm = p.cy;
    sc.change = change;
    sc.in_prior = keep_in_prior > 0;
    sc.in_current = keep_in_current > 0;
    const int index = static_cast<int>(scene_.clusters.size());
    scene_.clusters.push_back(sc);
    auto members = make_members(p, count);
    for (std::size_t i = 0; i < members.size(); ++i) {
      auto& m = members[i];
      m.scene_cluster = index;
      m.in_prior = static_cast<int>(i) < keep_in_prior;
      m.in_current = static_cast<int>(i) < keep_in_current;
      scene_.calcs.push_back(std::move(m));
    }
    return index;
  }

  void add_scattered_benign(int n) {
    using M = Morphology;
    for (int i = 0; i < n; ++i) {
      const M m = pick<M>(rng_, {{M::Punctate, 3}, {M::Round, 3}, {M::Rim, 1}, {M::CoarsePopcorn, 1},
                                 {M::RodLike, 1}, {M::Vascular, 0.5}, {M::Skin, 1}});
      double lo, hi;
      morphology_size_range(m, lo, hi);
      for (int attempt = 0; attempt < 2000; ++attempt) {
        const double x = rng_.uniform(0, a_.nipple_x), y = rng_.uniform(0, a_.height_mm);
        bool clear = true;
        for (const auto& o : occupied_)
          if (std::hypot(o.x - x, o.y - y) < o.r + 5) clear = false;
        for (const auto& o : benign_)
          if (std::hypot(o.x - x, o.y - y) < 6) clear = false;
        if (!clear) continue;
        const double s = rng_.uniform(lo, lo + 0.6 * (hi - lo));
        vessel_width_ = 1.4;
        SceneCalc c = make_shape(m, x, y, s, rng_.uniform(0, 2 * kPi));
        const double extent = std::max(c.truth.length_mm, c.truth.diameter_mm);
        if (m != M::Skin && skin(x, y) < 5.0 + extent) continue;
        if (!member_ok(x, y, extent, m == M::Skin, {}, 1.0)) continue;
        benign_.push_back({x, y, extent / 2});
        scene_.calcs.push_back(std::move(c));
        break;
      }
    }
  }

 private:
  const PhantomSpec& spec_;
  Scene& scene_;
  Anatomy& a_;
  Rng& rng_;
  Fields f_;
  std::vector<Placed> occupied_, benign_;
  double vessel_width_ = 1.4;
};

}  // namespace

void morphology_size_range(Morphology m, double& lo, double& hi) {
  switch (m) {
    case Morphology::Punctate: lo = 0.15, hi = 0.49; return;
    case Morphology::Round: lo = 0.5, hi = 0.99; return;
    case Morphology::Amorphous: lo = 0.1, hi = 0.25; return;
    case Morphology::FinePleomorphic: lo = 0.12, hi = 0.5; return;
    case Morphology::FineLinearBranching: lo = 0.1, hi = 0.3; return;
    case Morphology::CoarseHeterogeneous: lo = 0.5, hi = 1.0; return;
    case Morphology::CoarsePopcorn: lo = 2.0, hi = 4.0; return;
    case Morphology::RodLike: lo = 0.5, hi = 1.2; return;
    case Morphology::Rim: lo = 1.0, hi = 4.0; return;
    case Morphology::Vascular: lo = 0.15, hi = 0.35; return;
    case Morphology::Skin: lo = 0.5, hi = 1.5; return;
  }
  lo = 0.1, hi = 1.0;
}

Affine image_mm_to_patient(const PhantomSpec& spec) {
  Affine a;
  if (spec.laterality == "R") {  // chest wall at the right edge: mirror
    a.m[0][0] = -1;
    a.m[0][2] = spec.width_mm;
  }
  return a;
}

Scene make_scene(const PhantomSpec& spec, const SeriesRoles& roles) {
  Rng master(spec.seed);
  Scene scene;
  scene.texture_seed = master.bits();
  scene.noise_seed = master.bits();
  scene.label_seed = master.bits();
  Rng anatomy_rng(master.bits());
  Rng calc_rng(master.bits());
  scene.anatomy = make_anatomy(spec, anatomy_rng);

  // the list of clusters: user specs, random ones, and what a series needs
  std::vector<ClusterPlan> plans;
  const Affine to_patient = image_mm_to_patient(spec);
  for (const auto& cs : spec.clusters) {
    ClusterPlan p;
    p.spec = cs;
    p.extent_mm = effective_extent(cs);
    if (cs.count < 1) throw Error(ErrorCode::Usage, "a cluster needs count >= 1");
    if (cs.x_mm >= 0 && cs.y_mm >= 0) {
      to_patient.apply(cs.x_mm, cs.y_mm, p.cx, p.cy);
      if (!scene.anatomy.inside(p.cx, p.cy) || p.cy > spec.height_mm || p.cy < 0)
        throw Error(ErrorCode::Usage, "cluster centre (" + std::to_string(cs.x_mm) + ", " + std::to_string(cs.y_mm) +
                                          ") mm is outside the breast; leave x/y out for a random position");
      p.fixed = true;
    }
    plans.push_back(p);
  }
  const int base_random = std::max(0, spec.random_clusters);
  const int needed = roles.add + roles.grow + roles.shrink;
  const int n_random = std::max(base_random, needed - static_cast<int>(plans.size()));
  for (int i = 0; i < n_random + roles.remove; ++i) {
    ClusterPlan p;
    p.spec = random_cluster_spec(calc_rng);
    if (roles.grow + roles.shrink > 0 && p.spec.count < 5) p.spec.count = 5;
    p.extent_mm = effective_extent(p.spec);
    plans.push_back(p);
  }
  Builder b(spec, scene, calc_rng);
  for (auto& p : plans)
    if (p.fixed) b.occupy(p);
  for (auto& p : plans) {
    if (p.fixed || p.spec.distribution == Distribution::Diffuse) continue;
    b.place_centre(p);
    b.occupy(p);
  }
  const int n_current = static_cast<int>(plans.size()) - roles.remove;
  for (int i = 0; i < static_cast<int>(plans.size()); ++i) {
    auto& p = plans[static_cast<std::size_t>(i)];
    if (p.spec.distribution == Distribution::Diffuse) {
      p.cx = scene.anatomy.nipple_x / 2;
      p.cy = scene.anatomy.nipple_y;
    }
    const int n = p.spec.count;
    if (!roles.series) {
      b.add_cluster(p, n, "", n, n);
    } else if (i >= n_current) {
      b.add_cluster(p, n, "resolved", n, 0);
    } else if (i < roles.add) {
      b.add_cluster(p, n, "new", 0, n);
    } else if (i < roles.add + roles.grow) {
      b.add_cluster(p, n, "increased", std::max(1, static_cast<int>(std::lround(n * 0.55))), n);
    } else if (i < roles.add + roles.grow + roles.shrink) {
      const int extra = std::max(2, static_cast<int>(std::lround(n * 0.6)));
      b.add_cluster(p, n + extra, "decreased", n + extra, n);
    } else {
      b.add_cluster(p, n, "stable", n, n);
    }
  }
  b.add_scattered_benign(std::max(0, spec.scattered_benign));
  return scene;
}

// ---- primitives --------------------------------------------------------------------------

double Primitive::path(double x, double y) const {
  if (kind == Capsule) {
    const double dx = x2 - cx, dy = y2 - cy, len2 = dx * dx + dy * dy;
    const double t = len2 > 0 ? std::clamp(((x - cx) * dx + (y - cy) * dy) / len2, 0.0, 1.0) : 0.0;
    const double ex = x - (cx + t * dx), ey = y - (cy + t * dy), d2 = ex * ex + ey * ey;
    return d2 >= a * a ? 0.0 : height * 2.0 * std::sqrt(a * a - d2);
  }
  const double c = std::cos(angle), s = std::sin(angle);
  const double u = ((x - cx) * c + (y - cy) * s) / a, v = (-(x - cx) * s + (y - cy) * c) / b;
  double q2 = u * u + v * v;
  if (kind == Gaussian) return q2 > 9.0 ? 0.0 : height * 1.6 * std::sqrt(a * b) * std::exp(-q2);  // hazy
  if (irr_amp[0] + irr_amp[1] + irr_amp[2] > 0 && q2 > 1e-12) {
    const double th = std::atan2(v, u);
    double mod = 1.0;
    for (int k = 0; k < 3; ++k) mod += irr_amp[k] * std::cos((k + 2) * th + irr_phase[k]);
    q2 /= mod * mod;
  }
  if (q2 >= 1.0) return 0.0;
  const double depth = std::sqrt(a * b);  // out-of-plane semi-axis
  double p = 2.0 * depth * std::sqrt(1.0 - q2);
  if (inner > 0) {
    const double i2 = q2 / (inner * inner);
    if (i2 < 1.0) p -= 2.0 * depth * inner * std::sqrt(1.0 - i2);
  }
  return height * p;
}

void Primitive::bounds(double& x0, double& y0, double& x1, double& y1) const {
  if (kind == Capsule) {
    x0 = std::min(cx, x2) - a;
    x1 = std::max(cx, x2) + a;
    y0 = std::min(cy, y2) - a;
    y1 = std::max(cy, y2) + a;
    return;
  }
  double r = std::max(a, b) * (1.0 + irr_amp[0] + irr_amp[1] + irr_amp[2]);
  if (kind == Gaussian) r = std::max(a, b) * 3.0;
  x0 = cx - r;
  x1 = cx + r;
  y0 = cy - r;
  y1 = cy + r;
}

}  // namespace calcscope::phantom_detail
