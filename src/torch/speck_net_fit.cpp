// The candidate-patch network's trainer (session 27): the one piece of calcscope that uses LibTorch.
// It is built as a module of its own (libcalcscope_speck_net_torch.so) and loaded by SpeckNet::fit()
// (src/detect/speck_net.cpp) only when a network is fitted (`calcscope train`, tests), so no other
// calcscope process loads LibTorch (which costs about 0.35 s at every process start). The network's
// forward pass at analysis time is calcscope's own (OpenCV dnn). The architecture here and there must
// agree: conv 5x5 (channels -> width1), ReLU, max-pool 2, conv 3x3 (-> width2), ReLU, max-pool 2,
// dense (-> hidden), ReLU, dense (-> 1). Parameters come back as the JSON of SpeckNet::to_json().
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct NetImpl : torch::nn::Module {
  torch::nn::Conv2d c1{nullptr}, c2{nullptr};
  torch::nn::Linear f1{nullptr}, f2{nullptr};
  NetImpl(int patch, int channels, int w1, int w2, int hidden) {
    const int side = ((patch - 4) / 2 - 2) / 2;
    c1 = register_module("c1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, w1, 5)));
    c2 = register_module("c2", torch::nn::Conv2d(torch::nn::Conv2dOptions(w1, w2, 3)));
    f1 = register_module("f1", torch::nn::Linear(side * side * w2, hidden));
    f2 = register_module("f2", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(c1(x)), 2);
    x = torch::max_pool2d(torch::relu(c2(x)), 2);
    x = torch::relu(f1(x.flatten(1)));
    return f2(x).squeeze(1);
  }
};
TORCH_MODULE(Net);

char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

}  // namespace

/// Fits the network. `patches`: n patches of `len` floats each (channels x patch x patch), `labels` n
/// values 0/1, `settings_json`: {"patch", "channels", "width1", "width2", "hidden", "epochs", "batch",
/// "learning_rate", "weight_decay", "seed"}. `log(user, line)` gets one line per epoch (may be null).
/// Returns 0 and sets *out to the parameters' JSON ({"name": {"shape", "values"}}), or 1 and sets *out
/// to an error message; the caller frees *out with std::free. One LibTorch thread: deterministic.
extern "C" int calcscope_speck_net_fit(const float* patches, std::size_t n, std::size_t len, const int* labels,
                                       const char* settings_json, void (*log)(void*, const char*), void* user,
                                       char** out) {
  try {
    const auto s = nlohmann::json::parse(settings_json);
    const int patch = s.at("patch"), channels = s.at("channels");
    if (len != static_cast<std::size_t>(channels * patch * patch)) {
      *out = copy_out("patch length does not match the settings");
      return 1;
    }
    double pos = 0, neg = 0;
    for (std::size_t i = 0; i < n; ++i) (labels[i] ? pos : neg) += 1;
    torch::set_num_threads(1);
    torch::manual_seed(s.at("seed").get<std::uint64_t>());
    Net net(patch, channels, s.at("width1"), s.at("width2"), s.at("hidden"));
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(s.at("learning_rate").get<double>())
                                                  .weight_decay(s.at("weight_decay").get<double>()));
    torch::nn::BCEWithLogitsLoss loss_fn(
        torch::nn::BCEWithLogitsLossOptions().pos_weight(torch::tensor({static_cast<float>(neg / pos)})));
    std::mt19937_64 rng(s.at("seed").get<std::uint64_t>());
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    const auto B = static_cast<std::size_t>(std::max(1, s.at("batch").get<int>()));
    const int epochs = s.at("epochs");
    net->train();
    for (int e = 0; e < epochs; ++e) {
      std::shuffle(order.begin(), order.end(), rng);
      double total = 0;
      int batches = 0;
      for (std::size_t b = 0; b < n; b += B) {
        const std::size_t end = std::min(n, b + B);
        auto x = torch::empty({static_cast<long>(end - b), channels, patch, patch});
        float* d = x.data_ptr<float>();
        auto y = torch::empty({static_cast<long>(end - b)});
        float* yv = y.data_ptr<float>();
        for (std::size_t k = b; k < end; ++k) {
          std::copy(patches + order[k] * len, patches + (order[k] + 1) * len, d + (k - b) * len);
          yv[k - b] = static_cast<float>(labels[order[k]]);
        }
        const int rot = static_cast<int>(rng() % 4);
        if (rot) x = torch::rot90(x, rot, {2, 3});
        if (rng() % 2) x = torch::flip(x, {3});
        opt.zero_grad();
        auto loss = loss_fn(net->forward(x), y);
        loss.backward();
        opt.step();
        total += loss.item<double>();
        ++batches;
      }
      if (log) {
        const std::string line = "speck net: epoch " + std::to_string(e + 1) + " of " + std::to_string(epochs) +
                                 ", loss " + std::to_string(total / std::max(1, batches));
        log(user, line.c_str());
      }
    }
    net->eval();
    nlohmann::json params = nlohmann::json::object();
    for (const auto& p : net->named_parameters()) {
      const auto t = p.value().detach().contiguous();
      params[p.key()] = {{"shape", t.sizes().vec()},
                         {"values", std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel())}};
    }
    *out = copy_out(params.dump());
    return 0;
  } catch (const std::exception& e) {
    *out = copy_out(e.what());
    return 1;
  }
}
