// Rendering a phantom: power-law texture, attenuation, calcifications, detector blur and noise,
// presentation processing, label; and the time series (prior, current).
#include "calcscope/phantom/phantom.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <opencv2/imgproc.hpp>

#include "calcscope/core/error.h"
#include "calcscope/core/hash.h"
#include "core/cv_adapter.h"
#include "phantom/phantom_internal.h"

namespace calcscope {
namespace {

using namespace phantom_detail;

// Linear attenuation coefficients (1/mm) of the simple two-material breast, ~20 keV.
constexpr double kMuFat = 0.045;
constexpr double kMuGland = 0.075;
constexpr double kMuSkin = 0.080;
constexpr double kMuMuscle = 0.072;
constexpr double kMuVessel = 0.12;    ///< per mm of vessel path (vessel field is already a path)
constexpr double kMuCalc = 1.20;      ///< effective calcification minus tissue, per mm of path
constexpr double kSkinMm = 1.5;       ///< skin thickness
constexpr double kPhotonsPerMm2 = 1.2e7;  ///< detected quanta per mm^2 behind no attenuation, noise = 1
constexpr double kElectronicNoise = 25.0; ///< electronic noise (quanta) per 70 um pixel at noise = 1
constexpr double kEqualisation = 0.45;    ///< fraction of the missing fat thickness added back at the edge
constexpr double kBackground = 0.01;
constexpr double kAnisotropy = 0.7;  ///< texture frequencies along x (chest wall -> nipple) count less
constexpr double kCompression = 0.7;         ///< fraction of the large-scale contrast removed
constexpr double kCompressionSigmaMm = 8.0;  ///< scale of "large"

double logistic(double z) { return 1.0 / (1.0 + std::exp(-z)); }
double smoothstep(double x, double e0, double e1) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

void validate(const PhantomSpec& s) {
  auto bad = [](const std::string& what) { throw Error(ErrorCode::Usage, "phantom: " + what); };
  if (!(s.width_mm >= 40 && s.width_mm <= 500) || !(s.height_mm >= 40 && s.height_mm <= 500))
    bad("width and height must be between 40 and 500 mm");
  if (!(s.pixel_size_mm >= 0.02 && s.pixel_size_mm <= 1.0)) bad("pixel size must be between 0.02 and 1 mm");
  if (s.width_mm / s.pixel_size_mm > 20000 || s.height_mm / s.pixel_size_mm > 20000)
    bad("the image would be larger than 20000 pixels on a side; use a larger pixel size");
  if (s.bits < 8 || s.bits > 16) bad("bits must be between 8 and 16");
  if (s.laterality != "L" && s.laterality != "R") bad("laterality must be L or R");
  if (s.view != "CC" && s.view != "MLO") bad("view must be CC or MLO");
  if (!(s.density >= 0 && s.density <= 1)) bad("density must be between 0 and 1");
  if (!(s.noise >= 0 && s.noise <= 10)) bad("noise must be between 0 and 10");
  if (!(s.blur_mm >= 0 && s.blur_mm <= 2)) bad("blur must be between 0 and 2 mm");
  if (!(s.texture_beta >= 1 && s.texture_beta <= 5)) bad("texture beta must be between 1 and 5");
  if (s.texture != "power-law" && s.texture != "lumpy") bad("texture must be power-law or lumpy");
  if (s.random_clusters < 0 || s.scattered_benign < 0) bad("cluster counts must not be negative");
  for (const auto& c : s.clusters) {
    if (c.count < 1 || c.count > 500) bad("a cluster needs 1 to 500 calcifications");
    if (!(c.mean_diameter_mm > 0) || !(c.extent_mm > 0) || !(c.contrast > 0))
      bad("cluster diameter, extent and contrast must be positive");
  }
}

/// Gaussian random field with power spectrum 1/f^beta (unit variance), periodic on an
/// Nx x Ny grid of the given pixel size. Coefficients are a hash of (seed, frequency index), so
/// the large structures are the same at every pixel size.
/// Texture grid step: the same 0.1 mm grid for all detectors at or below 100 um (texture power
/// beyond 5 cycles/mm is far below the quantum noise).
double texture_step_mm(double px) { return std::max(px, 0.1); }

cv::Mat power_law_texture(double width_mm, double height_mm, double px, double beta, std::uint64_t seed) {
  const int nx = cv::getOptimalDFTSize(static_cast<int>(std::ceil(width_mm / px)) + 1);
  const int ny = cv::getOptimalDFTSize(static_cast<int>(std::ceil(height_mm / px)) + 1);
  cv::Mat spec(ny, nx, CV_32FC2);
  const double f0 = 1.0 / 80.0;  // spectrum flattens beyond ~8 cm
  double sum2 = 0;
  std::mt19937_64 fine(splitmix64(seed ^ 0xF1E2D3C4B5A69788ULL) ^ static_cast<std::uint64_t>(nx * 131 + ny));
  constexpr double kHashedBelow = 1.0;  // cycles/mm: hashed (resolution independent) below this
  const double inv = 1.0 / 9007199254740992.0;
  for (int r = 0; r < ny; ++r) {
    const int ky = r <= ny / 2 ? r : r - ny;
    const double fy = ky / (ny * px);
    auto* row = spec.ptr<cv::Vec2f>(r);
    for (int c = 0; c < nx; ++c) {
      const int kx = c <= nx / 2 ? c : c - nx;
      const double fx = kx / (nx * px);
      const double f2 = kAnisotropy * kAnisotropy * fx * fx + fy * fy;  // streaks towards the nipple
      if (kx == 0 && ky == 0) {
        row[c] = cv::Vec2f(0, 0);
        continue;
      }
      const double amp = std::pow(f2 + f0 * f0, -beta / 4.0);
      std::uint64_t h1, h2;
      if (f2 < kHashedBelow * kHashedBelow) {
        const std::uint64_t key = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(kx)) << 32) ^
                                  static_cast<std::uint32_t>(ky);
        h1 = splitmix64(seed ^ splitmix64(key));
        h2 = splitmix64(h1);
      } else {
        h1 = fine();
        h2 = fine();
      }
      const double u1 = std::max(static_cast<double>(h1 >> 11) * inv, 1e-300);
      const double u2 = static_cast<double>(h2 >> 11) * inv;
      const double m = std::sqrt(-2.0 * std::log(u1)) * amp;
      row[c] = cv::Vec2f(static_cast<float>(m * std::cos(2 * kPi * u2)), static_cast<float>(m * std::sin(2 * kPi * u2)));
      sum2 += amp * amp;
    }
  }
  cv::Mat field;
  cv::dft(spec, field, cv::DFT_INVERSE | cv::DFT_COMPLEX_OUTPUT);
  cv::Mat planes[2];
  cv::split(field, planes);
  planes[0] *= 1.0 / std::sqrt(std::max(sum2, 1e-30));
  return planes[0];
}

/// Clustered lumpy background (Bochud, Abbey & Eckstein 1999; fitted to mammographic texture by
/// Castella et al. 2008): Poisson-distributed cluster centres, each with a Poisson number of
/// elongated Gaussian lumps scattered around it and sharing its orientation (mostly along x, chest
/// wall to nipple). Lumps come in two sizes (sigma 3.0 x 1.3 mm and 1.2 x 0.5 mm along / across) with
/// exponentially distributed weights. Rendered as impulses per orientation bin convolved in the
/// Fourier domain (periodic, like power_law_texture()); zero mean, unit variance.
cv::Mat lumpy_texture(double width_mm, double height_mm, double px, std::uint64_t seed) {
  const int nx = cv::getOptimalDFTSize(static_cast<int>(std::ceil(width_mm / px)) + 1);
  const int ny = cv::getOptimalDFTSize(static_cast<int>(std::ceil(height_mm / px)) + 1);
  constexpr int kBins = 6;
  struct LumpSize { double along_mm, across_mm, per_cluster; };
  constexpr LumpSize kSizes[2] = {{3.0, 1.3, 20.0}, {1.2, 0.5, 40.0}};
  constexpr double kClustersPerMm2 = 1.0 / 25.0;
  constexpr double kClusterSpreadMm = 4.0;
  std::mt19937_64 rng(splitmix64(seed ^ 0x1C3B5A7F9E2D4C6BULL));
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::exponential_distribution<double> weight(1.0);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const double area = nx * px * ny * px;
  std::poisson_distribution<int> n_clusters(area * kClustersPerMm2);
  std::vector<cv::Mat> impulses(2 * kBins);
  for (auto& m : impulses) m = cv::Mat::zeros(ny, nx, CV_32F);
  const int K = n_clusters(rng);
  for (int k = 0; k < K; ++k) {
    const double cx = uni(rng) * nx * px, cy = uni(rng) * ny * px;
    // orientation: along x (0) +- ~35 degrees, folded into [0, pi)
    double theta = 0.6 * gauss(rng);
    theta = std::fmod(theta + 10 * kPi, kPi);
    const int bin = std::min(kBins - 1, static_cast<int>(theta / kPi * kBins));
    for (int s = 0; s < 2; ++s) {
      std::poisson_distribution<int> n_lumps(kSizes[s].per_cluster);
      const int n = n_lumps(rng);
      cv::Mat& m = impulses[s * kBins + bin];
      for (int i = 0; i < n; ++i) {
        // scattered around the centre, stretched along the cluster's orientation
        const double a = 1.5 * kClusterSpreadMm * gauss(rng), b = 0.6 * kClusterSpreadMm * gauss(rng);
        const double x = cx + a * std::cos(theta) - b * std::sin(theta);
        const double y = cy + a * std::sin(theta) + b * std::cos(theta);
        int c = static_cast<int>(std::floor(x / px)) % nx, r = static_cast<int>(std::floor(y / px)) % ny;
        if (c < 0) c += nx;
        if (r < 0) r += ny;
        m.at<float>(r, c) += static_cast<float>(weight(rng));
      }
    }
  }
  cv::Mat sum = cv::Mat::zeros(ny, nx, CV_32FC2);
  for (int s = 0; s < 2; ++s)
    for (int bin = 0; bin < kBins; ++bin) {
      cv::Mat F;
      cv::dft(impulses[s * kBins + bin], F, cv::DFT_COMPLEX_OUTPUT);
      const double theta = (bin + 0.5) * kPi / kBins;
      const double ct = std::cos(theta), st = std::sin(theta);
      const double su = kSizes[s].along_mm, sv = kSizes[s].across_mm;
      for (int r = 0; r < ny; ++r) {
        const int ky = r <= ny / 2 ? r : r - ny;
        const double fy = ky / (ny * px);
        const auto* in = F.ptr<cv::Vec2f>(r);
        auto* out = sum.ptr<cv::Vec2f>(r);
        for (int c = 0; c < nx; ++c) {
          const int kx = c <= nx / 2 ? c : c - nx;
          const double fx = kx / (nx * px);
          const double fu = fx * ct + fy * st, fv = -fx * st + fy * ct;  // frequency along / across the lump
          const double g = std::exp(-2.0 * kPi * kPi * (su * su * fu * fu + sv * sv * fv * fv));
          out[c] += in[c] * static_cast<float>(g);
        }
      }
    }
  cv::Mat field;
  cv::dft(sum, field, cv::DFT_INVERSE | cv::DFT_REAL_OUTPUT | cv::DFT_SCALE);
  cv::Scalar mean, sd;
  cv::meanStdDev(field, mean, sd);
  field -= mean[0];
  field *= 1.0 / std::max(sd[0], 1e-12);
  return field;
}

/// The tissue texture of `spec` on the texture grid.
cv::Mat tissue_texture(const PhantomSpec& spec, std::uint64_t seed) {
  const double step = texture_step_mm(spec.pixel_size_mm);
  return spec.texture == "lumpy" ? lumpy_texture(spec.width_mm, spec.height_mm, step, seed)
                                 : power_law_texture(spec.width_mm, spec.height_mm, step, spec.texture_beta, seed);
}

cv::Mat to_cv(const Affine& a) {
  cv::Mat m(2, 3, CV_64F);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) m.at<double>(i, j) = a.m[i][j];
  return m;
}

/// A field on a patient-frame grid resampled to image pixels.
cv::Mat resample(const cv::Mat& field, const Affine& px_to_grid, int w, int h, int border) {
  cv::Mat out;
  cv::warpAffine(field, out, to_cv(px_to_grid), cv::Size(w, h), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, border);
  return out;
}

struct Frame {
  Affine px_to_patient;  ///< image pixel (column, row) -> patient mm
  std::string time_point;
  std::uint64_t noise_seed = 0;
  double contrast_gain = 1.0;
  bool prior = false;
};

void draw_label(cv::Mat& img, const cv::Mat& mask, const PhantomSpec& spec, double px, std::uint64_t seed) {
  const int W = img.cols, H = img.rows;
  const int bw = static_cast<int>(std::lround(36.0 / px)), bh = static_cast<int>(std::lround(15.0 / px));
  const int margin = static_cast<int>(std::lround(6.0 / px));
  if (bw + 2 * margin >= W / 2 || bh + 2 * margin >= H / 3) return;
  const bool right = spec.laterality == "L";  // far from the chest wall
  const int x0 = right ? W - margin - bw : margin;
  for (int y0 : {margin, H - margin - bh}) {
    const cv::Rect box(x0, y0, bw, bh);
    if (cv::countNonZero(mask(box)) > 0) continue;
    cv::Mat ink = cv::Mat::zeros(bh, bw, CV_8U);
    const std::string text = spec.laterality + " " + spec.view;
    const double scale = (6.0 / px) / 22.0;
    const int thick = std::max(1, static_cast<int>(std::lround(0.7 / px)));
    cv::putText(ink, text, cv::Point(static_cast<int>(1.0 / px), static_cast<int>(7.5 / px)),
                cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255), thick, cv::LINE_AA);
    Rng rng(seed);
    double x = 1.0;
    while (x < 34.0) {  // a barcode-like row of blocks
      const double w = rng.uniform(0.6, 2.5);
      if (x + w > 35.0) break;
      cv::rectangle(ink, cv::Rect(static_cast<int>(x / px), static_cast<int>(10.0 / px),
                                  std::max(1, static_cast<int>(w / px)), static_cast<int>(3.5 / px)),
                    cv::Scalar(255), cv::FILLED);
      x += w + rng.uniform(0.4, 1.5);
    }
    for (int r = 0; r < bh; ++r) {
      const auto* k = ink.ptr<std::uint8_t>(r);
      auto* o = img.ptr<float>(y0 + r);
      for (int c = 0; c < bw; ++c) o[x0 + c] = std::max(o[x0 + c], 0.93f * k[c] / 255.f);
    }
    return;
  }
}

/// Renders one image of the scene and fills its truth. `ids` maps scene cluster index -> cluster id
/// in this image; `prior_ids` (current image of a series) gives the prior's ids.
Phantom render(const PhantomSpec& spec, const Scene& scene, const cv::Mat& texture, const Frame& fr,
               std::map<int, int>& ids, const std::map<int, int>* prior_ids) {
  const double px = spec.pixel_size_mm;
  const auto [W, H] = phantom_size_px(spec);
  const Anatomy& an = scene.anatomy;

  // ---- anatomy fields at ~0.2 mm, then per pixel ----
  const Fields f = compute_fields(an, std::max(px, 0.2), 40.0, true);
  const Affine to_grid = fr.px_to_patient.then(f.patient_to_grid());
  const cv::Mat skin_sd = resample(f.skin_sd, to_grid, W, H, cv::BORDER_REPLICATE);
  const cv::Mat pect_sd = resample(f.pect_sd, to_grid, W, H, cv::BORDER_REPLICATE);
  const cv::Mat gland = resample(f.gland, to_grid, W, H, cv::BORDER_REPLICATE);
  const cv::Mat vessel = resample(f.vessel, to_grid, W, H, cv::BORDER_REPLICATE);
  Affine to_tex = fr.px_to_patient;  // texture grid: patient mm / step
  const double tstep = texture_step_mm(px);
  for (int j = 0; j < 3; ++j) to_tex.m[0][j] /= tstep, to_tex.m[1][j] /= tstep;
  const cv::Mat tex = resample(texture, to_tex, W, H, cv::BORDER_WRAP);

  const double T = an.thickness_mm, R = an.edge_radius_mm;
  const double bias = 4.0 * (spec.density - 0.5);
  cv::Mat atten(H, W, CV_32F), thick(H, W, CV_32F);
  Mask breast(W, H);
  for (int r = 0; r < H; ++r) {
    const float* sd = skin_sd.ptr<float>(r);
    const float* ps = pect_sd.ptr<float>(r);
    const float* gl = gland.ptr<float>(r);
    const float* ve = vessel.ptr<float>(r);
    const float* tx = tex.ptr<float>(r);
    float* A = atten.ptr<float>(r);
    float* tk = thick.ptr<float>(r);
    std::uint8_t* mk = &breast.pixels[static_cast<std::size_t>(r) * W];
    for (int c = 0; c < W; ++c) {
      const double d = sd[c];
      if (d <= 0) {
        A[c] = 0.f;
        tk[c] = 0.f;
        mk[c] = 0;
        continue;
      }
      mk[c] = 255;
      const double e = std::min(d / R, 1.0);
      const double t = T * std::sqrt(1.0 - (1.0 - e) * (1.0 - e));
      // the skin seen edge-on: path length through a shell of kSkinMm on a rounded edge
      double sp = 2.0 * std::sqrt(2.0 * R * d);
      if (d > kSkinMm) sp -= 2.0 * std::sqrt(2.0 * R * (d - kSkinMm));
      sp = std::min(sp, t);
      const double g = (0.45 + 0.55 * gl[c]) * logistic(1.7 * tx[c] + bias);
      double a = (t - sp) * (kMuFat + (kMuGland - kMuFat) * g) + kMuSkin * sp + kMuVessel * ve[c];
      const double wp = smoothstep(ps[c], -0.3, 0.3);
      if (wp > 0) {
        const double muscle = t * kMuMuscle * (1.0 + 0.15 * smoothstep(ps[c], 0.0, 40.0)) + 0.12 * tx[c] + kMuSkin * sp;
        a = (1.0 - wp) * a + wp * muscle;
      }
      A[c] = static_cast<float>(a);
      tk[c] = static_cast<float>(t);
    }
  }

  // tissue alone (equalised, on a 0.5 mm grid): the display window comes from it, so inserted
  // calcifications never change the grey values of the tissue around them
  const cv::Size half_grid(std::max(8, static_cast<int>(std::lround(W * px / 0.5))),
                           std::max(8, static_cast<int>(std::lround(H * px / 0.5))));
  cv::Mat tissue_half, mask_half;
  {
    cv::Mat eq(H, W, CV_32F);
    for (int r = 0; r < H; ++r) {
      const float* A = atten.ptr<float>(r);
      const float* tk = thick.ptr<float>(r);
      float* o = eq.ptr<float>(r);
      for (int c = 0; c < W; ++c) o[c] = tk[c] > 0 ? static_cast<float>(A[c] + kEqualisation * kMuFat * (T - tk[c])) : 0.f;
    }
    cv::resize(eq, tissue_half, half_grid, 0, 0, cv::INTER_AREA);
    cv::Mat mf;
    cvx::view(breast).convertTo(mf, CV_32F, 1.0 / 255.0);
    cv::resize(mf, mask_half, half_grid, 0, 0, cv::INTER_AREA);
  }

  // ---- calcifications, supersampled so tiny ones keep their integrated contrast ----
  const Affine patient_to_px = fr.px_to_patient.inverse();
  const double frame_scale = fr.px_to_patient.scale() / px;  // patient mm per image mm
  const int ss = std::clamp(static_cast<int>(std::ceil(px / 0.02)), 2, 10);
  struct Visible {
    std::size_t index;
    double x_px, y_px;
  };
  std::vector<Visible> visible;
  for (std::size_t i = 0; i < scene.calcs.size(); ++i) {
    const SceneCalc& sc = scene.calcs[i];
    if (!(fr.prior ? sc.in_prior : sc.in_current)) continue;
    double cx, cy;
    patient_to_px.apply(sc.truth.x_mm, sc.truth.y_mm, cx, cy);
    const int ix = static_cast<int>(std::lround(cx)), iy = static_cast<int>(std::lround(cy));
    if (ix < 0 || iy < 0 || ix >= W || iy >= H || !breast.inside(ix, iy)) continue;
    visible.push_back({i, cx, cy});
    double bx0 = 1e300, by0 = 1e300, bx1 = -1e300, by1 = -1e300;
    for (const auto& p : sc.prims) {
      double x0, y0, x1, y1;
      p.bounds(x0, y0, x1, y1);
      for (double X : {x0, x1})
        for (double Y : {y0, y1}) {
          double u, v;
          patient_to_px.apply(X, Y, u, v);
          bx0 = std::min(bx0, u), bx1 = std::max(bx1, u), by0 = std::min(by0, v), by1 = std::max(by1, v);
        }
    }
    const int c0 = std::max(0, static_cast<int>(std::floor(bx0)) - 1);
    const int c1 = std::min(W - 1, static_cast<int>(std::ceil(bx1)) + 1);
    const int r0 = std::max(0, static_cast<int>(std::floor(by0)) - 1);
    const int r1 = std::min(H - 1, static_cast<int>(std::ceil(by1)) + 1);
    const double gain = kMuCalc * sc.contrast / (ss * ss);
    for (int r = r0; r <= r1; ++r) {
      float* A = atten.ptr<float>(r);
      for (int c = c0; c <= c1; ++c) {
        if (!breast.at(c, r)) continue;
        double sum = 0;
        for (int sy = 0; sy < ss; ++sy) {
          const double yy = r - 0.5 + (sy + 0.5) / ss;
          for (int sx = 0; sx < ss; ++sx) {
            const double xx = c - 0.5 + (sx + 0.5) / ss;
            double X, Y;
            fr.px_to_patient.apply(xx, yy, X, Y);
            double best = 0;
            for (const auto& p : sc.prims) best = std::max(best, p.path(X, Y));
            sum += best;
          }
        }
        A[c] += static_cast<float>(gain * sum);
      }
    }
  }

  // ---- detector: blur, quantum + electronic noise (per mm^2, so pixel sizes look alike) ----
  const double sigma_px = spec.blur_mm / px;
  if (sigma_px > 0.05) cv::GaussianBlur(atten, atten, cv::Size(0, 0), sigma_px, sigma_px, cv::BORDER_REPLICATE);
  if (spec.noise > 0) {
    const double n0 = kPhotonsPerMm2 * px * px / (spec.noise * spec.noise);
    const double e2 = std::pow(kElectronicNoise * (px / 0.07), 2.0);
    static const std::vector<float> normals = [] {  // a table of normal deviates, indexed by random bits
      std::vector<float> t(65536);
      Rng g(0x6E6F697365ULL);
      for (auto& v : t) v = static_cast<float>(g.normal());
      return t;
    }();
    std::mt19937_64 rng(fr.noise_seed);
    for (int r = 0; r < H; ++r) {
      float* A = atten.ptr<float>(r);
      std::uint64_t bits = 0;
      for (int c = 0; c < W; ++c) {
        if ((c & 3) == 0) bits = rng();
        const double z = normals[bits & 0xFFFF];
        bits >>= 16;
        const double s = n0 * std::exp(-static_cast<double>(A[c]));
        const double noisy = std::max(s + std::sqrt(s + e2) * z, 0.5);
        A[c] = static_cast<float>(-std::log(noisy / n0));
      }
    }
  }

  // ---- presentation processing: peripheral equalisation, large-scale contrast compression
  //      (like the multi-scale processing of FFDM systems) and a window from the breast's own range ----
  const cv::Mat mk = cvx::view(breast);
  cv::Mat maskf;
  mk.convertTo(maskf, CV_32F, 1.0 / 255.0);
  for (int r = 0; r < H; ++r) {
    float* A = atten.ptr<float>(r);
    const float* tk = thick.ptr<float>(r);
    for (int c = 0; c < W; ++c)
      A[c] = tk[c] > 0 ? static_cast<float>(A[c] + kEqualisation * kMuFat * (T - tk[c])) : 0.f;
  }
  const cv::Size coarse(std::max(8, static_cast<int>(std::lround(W * px))), std::max(8, static_cast<int>(std::lround(H * px))));
  cv::Mat low, lowm;
  cv::resize(atten, low, coarse, 0, 0, cv::INTER_AREA);
  cv::resize(maskf, lowm, coarse, 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(low, low, cv::Size(0, 0), kCompressionSigmaMm);
  cv::GaussianBlur(lowm, lowm, cv::Size(0, 0), kCompressionSigmaMm);
  low = low / cv::max(lowm, 1e-3);
  cv::Mat low_full;
  cv::resize(low, low_full, cv::Size(W, H), 0, 0, cv::INTER_LINEAR);
  const double ref = cv::mean(low_full, mk)[0];
  atten -= kCompression * (low_full - ref);
  // window: percentiles of the processed tissue on a 0.5 mm grid (noise-free, the same at every pixel size)
  double lo = 0, hi = 1;
  {
    cv::Mat low_half;
    cv::resize(low, low_half, half_grid, 0, 0, cv::INTER_LINEAR);
    std::vector<float> vals;
    for (int r = 0; r < tissue_half.rows; ++r)
      for (int c = 0; c < tissue_half.cols; ++c)
        if (mask_half.at<float>(r, c) > 0.999f)
          vals.push_back(static_cast<float>(tissue_half.at<float>(r, c) - kCompression * (low_half.at<float>(r, c) - ref)));
    if (vals.size() > 10) {
      std::sort(vals.begin(), vals.end());
      const double p_lo = vals[vals.size() / 200], p_hi = vals[vals.size() * 998 / 1000];
      // p_lo -> 0.10 and p_hi -> 0.86: headroom for calcifications above the densest tissue
      hi = p_hi + (p_hi - p_lo) * (0.14 / 0.76);
      lo = p_lo - (p_hi - p_lo) * (0.10 / 0.76);
    }
  }
  Image image(W, H, px);
  cv::Mat out = cvx::view(image);
  for (int r = 0; r < H; ++r) {
    const float* A = atten.ptr<float>(r);
    const float* tk = thick.ptr<float>(r);
    float* o = out.ptr<float>(r);
    for (int c = 0; c < W; ++c) {
      double v = std::max((A[c] - lo) / (hi - lo), 0.0);
      if (v > 0.88) v = 0.88 + 0.12 * std::tanh((v - 0.88) / 0.12);  // soft shoulder instead of clipping
      o[c] = static_cast<float>(tk[c] > 0 ? kBackground + (1.0 - kBackground) * v : kBackground);
    }
  }
  if (fr.contrast_gain != 1.0) {
    const double mean = cv::mean(out, mk)[0];
    for (int r = 0; r < H; ++r) {
      float* o = out.ptr<float>(r);
      const auto* m = mk.ptr<std::uint8_t>(r);
      for (int c = 0; c < W; ++c)
        if (m[c]) o[c] = static_cast<float>(std::clamp(mean + fr.contrast_gain * (o[c] - mean), 0.0, 1.0));
    }
  }
  draw_label(out, cvx::view(breast), spec, px, scene.label_seed);
  if (spec.grey_low != 0.0 || spec.grey_high != 1.0)
    for (auto& v : image.pixels) v = static_cast<float>(spec.grey_low + (spec.grey_high - spec.grey_low) * v);
  const double levels = std::pow(2.0, spec.bits) - 1.0;
  for (auto& v : image.pixels) v = static_cast<float>(std::round(std::clamp(v, 0.f, 1.f) * levels) / levels);

  image.info.format = "phantom";
  image.info.laterality = spec.laterality;
  image.info.view = spec.view;
  image.info.photometric = "MONOCHROME2";
  image.info.presentation_intent = "FOR PRESENTATION";
  image.info.pixel_size_source = "phantom";
  image.info.bits_stored = spec.bits;
  image.info.manufacturer = "calcscope phantom";

  // ---- truth in this image's pixels and mm ----
  Phantom ph;
  ph.seed = spec.seed;
  ph.time_point = fr.time_point;
  ph.breast = std::move(breast);
  std::map<int, std::vector<const Visible*>> by_cluster;
  for (const auto& v : visible)
    if (scene.calcs[v.index].scene_cluster >= 0) by_cluster[scene.calcs[v.index].scene_cluster].push_back(&v);
  ids.clear();
  int next_cluster = 1;
  for (const auto& [ci, members] : by_cluster) ids[ci] = next_cluster++;
  std::map<std::size_t, int> calc_ids;
  int next_calc = 1;
  for (const auto& v : visible) calc_ids[v.index] = next_calc++;
  for (const auto& v : visible) {
    const SceneCalc& sc = scene.calcs[v.index];
    PhantomCalcification c = sc.truth;
    c.id = calc_ids[v.index];
    c.x = v.x_px;
    c.y = v.y_px;
    c.x_mm = v.x_px * px;
    c.y_mm = v.y_px * px;
    c.diameter_mm = sc.truth.diameter_mm / frame_scale;
    c.length_mm = sc.truth.length_mm / frame_scale;
    c.cluster_id = sc.scene_cluster >= 0 ? ids[sc.scene_cluster] : 0;
    ph.calcifications.push_back(c);
  }
  for (const auto& [ci, members] : by_cluster) {
    const SceneCluster& scl = scene.clusters[static_cast<std::size_t>(ci)];
    PhantomCluster pc = scl.truth;
    pc.id = ids[ci];
    double cx, cy;
    if (pc.distribution == Distribution::Diffuse) {
      cx = cy = 0;
      for (const auto* m : members) cx += m->x_px, cy += m->y_px;
      cx /= members.size();
      cy /= members.size();
    } else {
      patient_to_px.apply(scl.truth.x_mm, scl.truth.y_mm, cx, cy);
    }
    pc.x = cx;
    pc.y = cy;
    pc.x_mm = cx * px;
    pc.y_mm = cy * px;
    pc.radius_mm = 0;
    for (const auto* m : members) {
      const auto& t = scene.calcs[m->index].truth;
      const double half = 0.5 * std::max(t.diameter_mm, t.length_mm) / frame_scale;
      pc.radius_mm = std::max(pc.radius_mm, std::hypot(m->x_px - cx, m->y_px - cy) * px + half);
      pc.calcification_ids.push_back(calc_ids[m->index]);
    }
    pc.change = scl.change;
    pc.prior_cluster_id = 0;
    if (prior_ids) {
      const auto it = prior_ids->find(ci);
      if (it != prior_ids->end()) pc.prior_cluster_id = it->second;
    }
    ph.clusters.push_back(std::move(pc));
  }
  ph.image = std::move(image);
  return ph;
}

Affine current_frame(const PhantomSpec& spec) {
  Affine px_to_mm;
  px_to_mm.m[0][0] = px_to_mm.m[1][1] = spec.pixel_size_mm;
  return px_to_mm.then(image_mm_to_patient(spec));
}

}  // namespace

std::pair<int, int> phantom_size_px(const PhantomSpec& spec) {
  return {static_cast<int>(std::lround(spec.width_mm / spec.pixel_size_mm)),
          static_cast<int>(std::lround(spec.height_mm / spec.pixel_size_mm))};
}

Phantom make_phantom(const PhantomSpec& spec) {
  validate(spec);
  const Scene scene = make_scene(spec, SeriesRoles{});
  const cv::Mat texture = tissue_texture(spec, scene.texture_seed);
  Frame fr;
  fr.px_to_patient = current_frame(spec);
  fr.noise_seed = scene.noise_seed;
  std::map<int, int> ids;
  return render(spec, scene, texture, fr, ids, nullptr);
}

std::pair<Phantom, Phantom> make_phantom_pair(const PhantomSpec& current, const PhantomChangeSpec& change) {
  validate(current);
  if (!(change.scale >= 0.5 && change.scale <= 2.0))
    throw Error(ErrorCode::Usage, "phantom: the prior's scale must be between 0.5 and 2");
  if (!(std::abs(change.rotation_deg) <= 45) || !(std::abs(change.shift_x_mm) <= 100) || !(std::abs(change.shift_y_mm) <= 100))
    throw Error(ErrorCode::Usage, "phantom: use a rotation within 45 degrees and shifts within 100 mm");
  if (!(change.contrast_gain > 0 && change.contrast_gain <= 5))
    throw Error(ErrorCode::Usage, "phantom: contrast gain must be between 0 and 5");
  if (change.add_clusters < 0 || change.remove_clusters < 0 || change.grow_clusters < 0 || change.shrink_clusters < 0)
    throw Error(ErrorCode::Usage, "phantom: cluster change counts must not be negative");
  SeriesRoles roles;
  roles.series = true;
  roles.add = change.add_clusters;
  roles.remove = change.remove_clusters;
  roles.grow = change.grow_clusters;
  roles.shrink = change.shrink_clusters;
  const Scene scene = make_scene(current, roles);
  const auto [W, H] = phantom_size_px(current);
  const double px = current.pixel_size_mm;
  const cv::Mat texture = tissue_texture(current, scene.texture_seed);

  PhantomTransform tr;
  tr.rotation_deg = change.rotation_deg;
  tr.shift_x_mm = change.shift_x_mm;
  tr.shift_y_mm = change.shift_y_mm;
  tr.scale = change.scale;
  tr.centre_x_mm = (W - 1) * px / 2.0;
  tr.centre_y_mm = (H - 1) * px / 2.0;
  // prior pixel -> prior mm -> current mm (the transform) -> patient frame
  Affine prior_to_current;
  {
    const double a = tr.rotation_deg * kPi / 180.0, c = std::cos(a), s = std::sin(a);
    prior_to_current.m[0][0] = tr.scale * c;
    prior_to_current.m[0][1] = -tr.scale * s;
    prior_to_current.m[1][0] = tr.scale * s;
    prior_to_current.m[1][1] = tr.scale * c;
    prior_to_current.m[0][2] = tr.centre_x_mm - tr.scale * (c * tr.centre_x_mm - s * tr.centre_y_mm) + tr.shift_x_mm;
    prior_to_current.m[1][2] = tr.centre_y_mm - tr.scale * (s * tr.centre_x_mm + c * tr.centre_y_mm) + tr.shift_y_mm;
  }
  Affine px_to_mm;
  px_to_mm.m[0][0] = px_to_mm.m[1][1] = px;

  Frame prior_frame;
  prior_frame.px_to_patient = px_to_mm.then(prior_to_current).then(image_mm_to_patient(current));
  prior_frame.time_point = "prior";
  prior_frame.noise_seed = splitmix64(scene.noise_seed ^ 0x7072696F72ULL);
  prior_frame.contrast_gain = change.contrast_gain;
  prior_frame.prior = true;
  std::map<int, int> prior_ids, current_ids;
  Phantom prior = render(current, scene, texture, prior_frame, prior_ids, nullptr);

  Frame cur_frame;
  cur_frame.px_to_patient = current_frame(current);
  cur_frame.time_point = "current";
  cur_frame.noise_seed = scene.noise_seed;
  Phantom cur = render(current, scene, texture, cur_frame, current_ids, &prior_ids);
  prior.transform = tr;
  cur.transform = tr;
  return {std::move(prior), std::move(cur)};
}

}  // namespace calcscope
