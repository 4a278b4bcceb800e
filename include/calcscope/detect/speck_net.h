// A small convolutional network on candidate patches (session 26): the "speck_net" calcification
// feature. Each candidate's patch, sampled on a grid fixed in millimetres and divided by the
// candidate's local noise, goes through two convolution layers and two dense ones; the output logit
// (higher = more like an inserted microcalcification than like tissue) is the last calcification
// feature. Trained by `calcscope train` on phantoms of its own seeds before the scoring models
// (src/train/train_speck_net.cpp), stored as models/speck-net.json and embedded like the other models.
// Only the digital family reads it (film keeps its 20 features); docs/algorithms.md §2b.
// The forward pass runs on OpenCV's dnn module; fitting runs LibTorch in a module of its own
// (src/torch/speck_net_fit.cpp), loaded only by fit(), so analysing never loads LibTorch.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calcscope/core/image.h"

namespace calcscope {

struct Calcification;

inline constexpr int kSpeckNetPatch = 24;          ///< patch side, samples
inline constexpr double kSpeckNetStepMm = 0.06;    ///< sample spacing, mm (the same at every pixel size)

/// The patch the network reads: kSpeckNetPatch^2 samples kSpeckNetStepMm apart centred on pixel (x, y)
/// (bilinear, clamped at the image edges), less its mean, divided by `noise`, clamped to +-20 and
/// divided by 5. Row-major. Pure.
std::vector<float> speck_net_patch(const Image& image, double x, double y, double noise);

/// Architecture and training settings.
struct SpeckNetSettings {
  int width1 = 16;               ///< channels of the first 5 x 5 convolution
  int width2 = 32;               ///< channels of the second 3 x 3 convolution
  int hidden = 32;               ///< units of the dense layer
  int epochs = 25;
  int batch = 256;
  double learning_rate = 2e-3;   ///< Adam
  double weight_decay = 1e-4;
  std::uint64_t seed = 7;
};

class SpeckNet {
 public:
  SpeckNet();
  ~SpeckNet();
  SpeckNet(SpeckNet&&) noexcept;
  SpeckNet& operator=(SpeckNet&&) noexcept;
  SpeckNet(const SpeckNet&) = delete;
  SpeckNet& operator=(const SpeckNet&) = delete;

  bool empty() const;
  /// Logit per patch (each kSpeckNetPatch^2 values); 0 for every patch of an empty net. Thread-safe.
  std::vector<double> logits(const std::vector<std::vector<float>>& patches) const;
  nlohmann::json to_json() const;
  /// to_json() as the text of models/speck-net.json: each weight the shortest decimal that reads back
  /// as its float (std::to_chars), ending in a newline.
  std::string to_text() const;
  /// Throws Error(InvalidData) on a malformed network.
  static SpeckNet from_json(const nlohmann::json& j);
  /// Trains a new network (binary cross-entropy, positives weighted by negatives / positives, each
  /// batch rotated by a multiple of 90 degrees and mirrored at random). Deterministic for a seed (one
  /// thread). `log` receives one line per epoch. Throws Error(InvalidData) when a class is empty or a
  /// patch has the wrong size, Error(MissingComponent) when the LibTorch trainer module cannot be
  /// loaded (speck_net_trainer_module_path()).
  static SpeckNet fit(const std::vector<std::vector<float>>& patches, const std::vector<int>& labels,
                      const SpeckNetSettings& settings, const std::function<void(const std::string&)>& log = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Where SpeckNet::fit() loads the LibTorch trainer module from: $CALCSCOPE_TORCH_MODULE when set,
/// else the build tree's module when it exists, else the installed one
/// (<prefix>/<libdir>/calcscope/libcalcscope_speck_net_torch.so, `cmake --install`).
std::string speck_net_trainer_module_path();

/// The embedded network (models/speck-net.json), or nullptr when none was embedded.
const SpeckNet* default_speck_net();

/// Sets the last feature ("speck_net") of every candidate from the network's logit on its patch of
/// `image` (the image the candidates were found in). Candidates of film (acquisition pixel size
/// feature >= kFilmPixelSizeMm) and every candidate when `net` is null or empty keep 0.
void add_speck_net_feature(std::vector<Calcification>& candidates, const Image& image, const SpeckNet* net);

}  // namespace calcscope
