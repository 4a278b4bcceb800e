// Internal pieces of the phantom generator (not a public header).
//
// Frames: the "patient frame" is canonical: millimetres, chest wall along x = 0, the breast points
// to +x, y down. An image frame maps to it with an affine map (mirror for laterality R, plus the
// positioning change of a prior). Everything random is decided in the patient frame on grids that
// do not depend on the pixel size, so the same seed gives the same breast at 70, 100 and 200 um.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "calcscope/phantom/phantom.h"

namespace calcscope::phantom_detail {

constexpr double kPi = 3.14159265358979323846;

/// Portable random numbers on top of std::mt19937_64 (the std distributions differ between libraries).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}
  std::uint64_t bits() { return eng_(); }
  double uniform() { return static_cast<double>(eng_() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  int integer(int lo, int hi) {  ///< inclusive
    return lo + static_cast<int>(uniform() * (hi - lo + 1)) % (hi - lo + 1);
  }
  double normal() {
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * uniform());
  }
  double normal(double m, double s) { return m + s * normal(); }

 private:
  std::mt19937_64 eng_;
};

/// Affine map a*x + b*y + c (rows) from one 2-D frame to another.
struct Affine {
  double m[2][3] = {{1, 0, 0}, {0, 1, 0}};
  void apply(double x, double y, double& ox, double& oy) const {
    ox = m[0][0] * x + m[0][1] * y + m[0][2];
    oy = m[1][0] * x + m[1][1] * y + m[1][2];
  }
  Affine then(const Affine& next) const;  ///< next(this(p))
  Affine inverse() const;
  double scale() const { return std::sqrt(std::abs(m[0][0] * m[1][1] - m[0][1] * m[1][0])); }
};

struct Vessel {
  std::vector<cv::Point2d> path;  ///< patient mm
  double width_mm = 1.0;
  double contrast = 1.0;
};

/// The breast itself, in the patient frame.
struct Anatomy {
  double width_mm = 0, height_mm = 0;
  bool mlo = false;
  double cy = 0, depth_max = 0, b_top = 0, b_bottom = 0, power = 2.3, top_clamp = 1.0;
  std::array<double, 3> harm_amp{}, harm_phase{};
  double pect_width = 0, pect_height = 0, pect_bulge = 0;  ///< MLO only
  double thickness_mm = 50, edge_radius_mm = 25;
  double nipple_x = 0, nipple_y = 0;
  std::vector<Vessel> vessels;

  double depth(double y) const;  ///< breast extent along x at height y (0 = no breast)
  bool inside(double x, double y) const { return x < depth(y); }
  bool in_pectoral(double x, double y) const;
};

/// Scalar fields of the anatomy sampled on a patient-frame grid (origin_mm + index * step_mm).
struct Fields {
  double step_mm = 0.5, origin_x = 0, origin_y = 0;
  cv::Mat skin_sd;      ///< signed distance to the skin line, mm (> 0 inside the breast)
  cv::Mat pect_sd;      ///< signed distance to the pectoral edge, mm (> 0 inside the muscle)
  cv::Mat gland;        ///< fibroglandular envelope 0..1
  cv::Mat vessel;       ///< vessel attenuation (line integral units)
  double sample(const cv::Mat& f, double x_mm, double y_mm) const;  ///< bilinear, clamped
  /// grid index = (patient mm - origin) / step, as an Affine from patient mm
  Affine patient_to_grid() const;
};

Fields compute_fields(const Anatomy& anatomy, double step_mm, double margin_mm, bool with_vessels);

/// One primitive of a calcification's projected thickness (all mm, patient frame).
struct Primitive {
  enum Kind { Ellipsoid, Gaussian, Capsule } kind = Ellipsoid;
  double cx = 0, cy = 0;     ///< centre (capsule: first end)
  double x2 = 0, y2 = 0;     ///< capsule: second end
  double a = 0.1, b = 0.1;   ///< semi-axes (capsule: a = radius)
  double angle = 0;          ///< rad, orientation of axis a
  double height = 1.0;       ///< multiplies the path length
  double inner = 0;          ///< shell: inner/outer radius ratio (0 = solid)
  std::array<double, 3> irr_amp{}, irr_phase{};  ///< outline harmonics k = 2, 3, 4
  double path(double x, double y) const;  ///< projected thickness at (x, y), mm
  void bounds(double& x0, double& y0, double& x1, double& y1) const;
};

struct SceneCalc {
  PhantomCalcification truth;  ///< x_mm/y_mm in the patient frame; x/y unused
  std::vector<Primitive> prims;
  double contrast = 1.0;
  int scene_cluster = -1;  ///< index into Scene::clusters, -1 = isolated
  bool in_prior = true, in_current = true;
};

struct SceneCluster {
  PhantomCluster truth;  ///< x_mm/y_mm in the patient frame
  std::string change;    ///< "" single phantom; "new", "resolved", ... in a series
  bool in_prior = true, in_current = true;
};

struct Scene {
  Anatomy anatomy;
  std::vector<SceneCluster> clusters;
  std::vector<SceneCalc> calcs;
  std::uint64_t texture_seed = 0, noise_seed = 0, label_seed = 0;
};

/// Patient frame <-> current image mm (mirror for laterality R).
Affine image_mm_to_patient(const PhantomSpec& spec);

Anatomy make_anatomy(const PhantomSpec& spec, Rng& rng);

/// Cluster roles for a time series; all zero for a single phantom.
struct SeriesRoles {
  int add = 0, remove = 0, grow = 0, shrink = 0;
  bool series = false;
};

Scene make_scene(const PhantomSpec& spec, const SeriesRoles& roles);

/// Range of member sizes for a morphology (diameter or line width, mm).
void morphology_size_range(Morphology m, double& lo, double& hi);

}  // namespace calcscope::phantom_detail
