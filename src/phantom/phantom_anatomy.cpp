// The breast model in the patient frame: silhouette, pectoral muscle, vessels, and its fields on a grid.
#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "phantom/phantom_internal.h"

namespace calcscope::phantom_detail {
namespace {

double smoothstep(double x, double e0, double e1) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

/// Signed distance (in mm) to the boundary of a binary grid: > 0 inside, < 0 outside, 0 on the edge.
cv::Mat signed_distance(const cv::Mat& inside, double step_mm) {
  cv::Mat din, dout, outside;
  cv::bitwise_not(inside, outside);
  cv::distanceTransform(inside, din, cv::DIST_L2, cv::DIST_MASK_5);
  cv::distanceTransform(outside, dout, cv::DIST_L2, cv::DIST_MASK_5);
  cv::Mat sd(inside.size(), CV_32F);
  for (int r = 0; r < inside.rows; ++r) {
    const auto* m = inside.ptr<std::uint8_t>(r);
    const auto* a = din.ptr<float>(r);
    const auto* b = dout.ptr<float>(r);
    auto* o = sd.ptr<float>(r);
    for (int c = 0; c < inside.cols; ++c)
      o[c] = static_cast<float>((m[c] ? (a[c] - 0.5) : -(b[c] - 0.5)) * step_mm);
  }
  return sd;
}

}  // namespace

Affine Affine::then(const Affine& n) const {
  Affine r;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) r.m[i][j] = n.m[i][0] * m[0][j] + n.m[i][1] * m[1][j];
    r.m[i][2] += n.m[i][2];
  }
  return r;
}

Affine Affine::inverse() const {
  const double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
  Affine r;
  r.m[0][0] = m[1][1] / det;
  r.m[0][1] = -m[0][1] / det;
  r.m[1][0] = -m[1][0] / det;
  r.m[1][1] = m[0][0] / det;
  r.m[0][2] = -(r.m[0][0] * m[0][2] + r.m[0][1] * m[1][2]);
  r.m[1][2] = -(r.m[1][0] * m[0][2] + r.m[1][1] * m[1][2]);
  return r;
}

double Anatomy::depth(double y) const {
  double t = 0;
  if (y < cy) {
    t = (cy - y) / b_top;
    if (mlo) t = std::min(t, top_clamp);  // MLO: the axillary tail runs out of the top edge
  } else {
    t = (y - cy) / b_bottom;
  }
  if (t >= 1.0) return 0.0;
  const double d = depth_max * std::pow(1.0 - std::pow(t, power), 1.0 / power);
  const double s = (y < cy ? -t : t);  // -1 .. 1 along the chest wall
  double mod = 1.0;
  for (int k = 0; k < 3; ++k) mod += harm_amp[k] * std::sin((k + 1) * kPi * (s + 1.0) * 0.5 + harm_phase[k]);
  return d * mod;
}

bool Anatomy::in_pectoral(double x, double y) const {
  if (!mlo || y >= pect_height) return false;
  const double f = y / pect_height;
  return x < pect_width * (1.0 - f) * (1.0 + pect_bulge * std::sin(kPi * std::clamp(f, 0.0, 1.0)));
}

Anatomy make_anatomy(const PhantomSpec& spec, Rng& rng) {
  Anatomy a;
  a.width_mm = spec.width_mm;
  a.height_mm = spec.height_mm;
  a.mlo = spec.view == "MLO";
  const double W = spec.width_mm, H = spec.height_mm;
  a.power = rng.uniform(1.75, 2.1);
  a.depth_max = std::min(W * rng.uniform(0.52, 0.66), W - 25.0);
  for (int k = 0; k < 3; ++k) {
    a.harm_amp[k] = rng.uniform(0.0, 0.035) / (k + 1);
    a.harm_phase[k] = rng.uniform(0, 2 * kPi);
  }
  if (a.mlo) {
    a.cy = H * rng.uniform(0.52, 0.58);
    a.top_clamp = rng.uniform(0.80, 0.88);
    a.b_top = a.cy / a.top_clamp;
    a.b_bottom = std::min(H - a.cy - 0.03 * H, H * rng.uniform(0.36, 0.40));
    const double top_depth = a.depth(0.0);
    a.pect_width = top_depth * rng.uniform(0.55, 0.8);
    a.pect_height = H * rng.uniform(0.40, 0.58);
    a.pect_bulge = rng.uniform(0.05, 0.18);
  } else {
    a.cy = H * rng.uniform(0.47, 0.53);
    const double b = std::min(a.cy, H - a.cy) - 0.04 * H;
    a.b_top = b * rng.uniform(0.80, 0.92);
    a.b_bottom = b * rng.uniform(0.80, 0.92);
  }
  a.thickness_mm = rng.uniform(45, 60);
  a.edge_radius_mm = a.thickness_mm * 0.5;
  // nipple: the point of greatest depth
  double best = -1;
  for (double y = 0; y <= H; y += 0.25) {
    const double d = a.depth(y);
    if (d > best) best = d, a.nipple_y = y;
  }
  a.nipple_x = best;

  // vessels: wandering lines from the chest wall towards the nipple
  const int nv = rng.integer(5, 9);
  for (int i = 0; i < nv; ++i) {
    Vessel v;
    v.width_mm = rng.uniform(0.6, 1.6);
    v.contrast = rng.uniform(0.6, 1.2);
    const double y_lo = std::max(a.cy - a.b_top * 0.8, 5.0), y_hi = std::min(a.cy + a.b_bottom * 0.8, H - 5.0);
    double x = rng.uniform(-2.0, 15.0), y = rng.uniform(y_lo, y_hi);
    if (a.mlo && rng.uniform() < 0.4) {  // vessels coming down from the axilla
      x = rng.uniform(a.pect_width * 0.6, a.depth(0) * 0.9);
      y = -2.0;
    }
    double heading = std::atan2(a.nipple_y - y, a.nipple_x - x) + rng.normal(0, 0.35);
    const double length = rng.uniform(0.5, 1.0) * a.depth_max * 1.1;
    v.path.emplace_back(x, y);
    for (double s = 0; s < length; s += 2.0) {
      const double target = std::atan2(a.nipple_y - y, a.nipple_x - x);
      double diff = std::remainder(target - heading, 2 * kPi);
      heading += 0.08 * diff + rng.normal(0, 0.12);
      x += 2.0 * std::cos(heading);
      y += 2.0 * std::sin(heading);
      if (a.depth(y) - x < 6.0) break;
      v.path.emplace_back(x, y);
    }
    if (v.path.size() >= 3) a.vessels.push_back(std::move(v));
  }
  return a;
}

double Fields::sample(const cv::Mat& f, double x_mm, double y_mm) const {
  const double gx = std::clamp((x_mm - origin_x) / step_mm, 0.0, f.cols - 1.001);
  const double gy = std::clamp((y_mm - origin_y) / step_mm, 0.0, f.rows - 1.001);
  const int ix = static_cast<int>(gx), iy = static_cast<int>(gy);
  const double fx = gx - ix, fy = gy - iy;
  const float* r0 = f.ptr<float>(iy);
  const float* r1 = f.ptr<float>(iy + 1);
  return (1 - fy) * ((1 - fx) * r0[ix] + fx * r0[ix + 1]) + fy * ((1 - fx) * r1[ix] + fx * r1[ix + 1]);
}

Affine Fields::patient_to_grid() const {
  Affine a;
  a.m[0][0] = 1.0 / step_mm;
  a.m[0][1] = 0;
  a.m[0][2] = -origin_x / step_mm;
  a.m[1][0] = 0;
  a.m[1][1] = 1.0 / step_mm;
  a.m[1][2] = -origin_y / step_mm;
  return a;
}

Fields compute_fields(const Anatomy& a, double step_mm, double margin_mm, bool with_vessels) {
  Fields f;
  f.step_mm = step_mm;
  f.origin_x = -margin_mm;
  f.origin_y = -margin_mm;
  const int nx = static_cast<int>(std::ceil((a.width_mm + 2 * margin_mm) / step_mm)) + 1;
  const int ny = static_cast<int>(std::ceil((a.height_mm + 2 * margin_mm) / step_mm)) + 1;
  cv::Mat inside(ny, nx, CV_8U), pect(ny, nx, CV_8U);
  std::vector<double> depth_row(ny);
  for (int r = 0; r < ny; ++r) depth_row[r] = a.depth(f.origin_y + r * step_mm);
  for (int r = 0; r < ny; ++r) {
    const double y = f.origin_y + r * step_mm;
    auto* m = inside.ptr<std::uint8_t>(r);
    auto* p = pect.ptr<std::uint8_t>(r);
    for (int c = 0; c < nx; ++c) {
      const double x = f.origin_x + c * step_mm;
      m[c] = (depth_row[r] > 0 && x < depth_row[r]) ? 255 : 0;
      p[c] = (m[c] && a.in_pectoral(x, y)) ? 255 : 0;
    }
  }
  f.skin_sd = signed_distance(inside, step_mm);
  if (a.mlo) {
    f.pect_sd = signed_distance(pect, step_mm);
  } else {
    f.pect_sd = cv::Mat(ny, nx, CV_32F, cv::Scalar(-1000.f));
  }
  f.gland = cv::Mat(ny, nx, CV_32F);
  for (int r = 0; r < ny; ++r) {
    const float* sd = f.skin_sd.ptr<float>(r);
    const float* ps = f.pect_sd.ptr<float>(r);
    auto* g = f.gland.ptr<float>(r);
    for (int c = 0; c < nx; ++c) {
      const double x = f.origin_x + c * step_mm;
      // subcutaneous fat under the skin and retromammary fat in front of the chest wall
      const double e = smoothstep(sd[c], 3.0, 20.0) * (0.35 + 0.65 * smoothstep(x, 0.0, 30.0)) *
                       (1.0 - smoothstep(ps[c], -8.0, 0.0));
      g[c] = static_cast<float>(e);
    }
  }
  f.vessel = cv::Mat::zeros(ny, nx, CV_32F);
  if (with_vessels) {
    for (const auto& v : a.vessels) {
      const std::size_t n = v.path.size();
      for (std::size_t i = 0; i + 1 < n; ++i) {
        const double taper = 1.0 - 0.45 * static_cast<double>(i) / static_cast<double>(n);
        const double rad = 0.5 * v.width_mm * taper;
        const cv::Point2d p0 = v.path[i], p1 = v.path[i + 1];
        const double dx = p1.x - p0.x, dy = p1.y - p0.y, len2 = dx * dx + dy * dy;
        const int c0 = std::max(0, static_cast<int>((std::min(p0.x, p1.x) - rad - f.origin_x) / step_mm) - 1);
        const int c1 = std::min(nx - 1, static_cast<int>((std::max(p0.x, p1.x) + rad - f.origin_x) / step_mm) + 1);
        const int r0 = std::max(0, static_cast<int>((std::min(p0.y, p1.y) - rad - f.origin_y) / step_mm) - 1);
        const int r1 = std::min(ny - 1, static_cast<int>((std::max(p0.y, p1.y) + rad - f.origin_y) / step_mm) + 1);
        for (int r = r0; r <= r1; ++r) {
          auto* o = f.vessel.ptr<float>(r);
          const double y = f.origin_y + r * step_mm;
          for (int c = c0; c <= c1; ++c) {
            const double x = f.origin_x + c * step_mm;
            const double t = std::clamp(((x - p0.x) * dx + (y - p0.y) * dy) / len2, 0.0, 1.0);
            const double ex = x - (p0.x + t * dx), ey = y - (p0.y + t * dy);
            const double d2 = ex * ex + ey * ey;
            if (d2 >= rad * rad) continue;
            const double path = 2.0 * std::sqrt(rad * rad - d2) * v.contrast;
            o[c] = std::max(o[c], static_cast<float>(path));
          }
        }
      }
    }
  }
  return f;
}

}  // namespace calcscope::phantom_detail
