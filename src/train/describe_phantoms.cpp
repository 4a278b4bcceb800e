// Phantom evaluation and training of the learned cluster descriptors (include/calcscope/train/describe_phantoms.h).
#include "calcscope/train/describe_phantoms.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "calcscope/assess/descriptor_model.h"
#include "calcscope/core/error.h"
#include "train/train_common.h"
#include "train/xgb_binary.h"

namespace calcscope {
namespace fs = std::filesystem;

const std::vector<std::string>& describe_eval_morphologies() {
  static const std::vector<std::string> v = {"amorphous", "coarse_heterogeneous", "fine_pleomorphic",
                                             "fine_linear_branching", "punctate", "round"};
  return v;
}
const std::vector<std::string>& describe_eval_distributions() {
  static const std::vector<std::string> v = {"grouped", "linear", "segmental", "regional"};
  return v;
}

namespace {

/// Cluster k of a seed: morphology and a distribution it can have.
PhantomClusterSpec cluster_for(int seed, int k) {
  const auto& morphs = describe_eval_morphologies();
  const auto& dists = describe_eval_distributions();
  PhantomClusterSpec c;
  const int i = seed * 2 + k;
  const std::string m = morphs[static_cast<std::size_t>(i) % morphs.size()];
  std::string d = dists[static_cast<std::size_t>(i / static_cast<int>(morphs.size()) + k) % dists.size()];
  if (m == "round" && (d == "linear" || d == "segmental")) d = "grouped";
  c.morphology = parse_morphology(m);
  c.distribution = parse_distribution(d);
  c.count = d == "grouped" ? 8 : d == "linear" ? 7 : 12;
  double lo = 0.1, hi = 1.0;
  if (m == "amorphous") lo = 0.1, hi = 0.25;
  else if (m == "coarse_heterogeneous") lo = 0.5, hi = 1.0;
  else if (m == "fine_pleomorphic") lo = 0.12, hi = 0.5;
  else if (m == "fine_linear_branching") lo = 0.1, hi = 0.3;
  else if (m == "punctate") lo = 0.15, hi = 0.49;
  else if (m == "round") lo = 0.5, hi = 0.99;
  c.mean_diameter_mm = lo + (0.35 + 0.45 * ((seed * 7 + k * 3) % 10) / 10.0) * (hi - lo);
  c.extent_mm = d == "grouped" ? 8 : d == "linear" ? 14 : 30;
  return c;
}

nlohmann::json pt(const PointPx& q) { return {q.x, q.y}; }
PointPx pt(const nlohmann::json& j) { return {j[0].get<double>(), j[1].get<double>()}; }

nlohmann::json cache_json(const AnalysisResult& r, const Phantom& ph) {
  nlohmann::json j;
  j["w"] = r.image_meta_only.width;
  j["h"] = r.image_meta_only.height;
  j["px"] = r.image_meta_only.pixel_size_mm;
  j["lat"] = r.image_meta_only.info.laterality;
  j["view"] = r.image_meta_only.info.view;
  j["wall"] = r.region.chest_wall_side;
  j["nipple"] = pt(r.region.nipple);
  for (const auto& q : r.region.skin_line) j["skin"].push_back(pt(q));
  const Mask& mk = r.region.breast;
  int x0 = mk.width, y0 = mk.height, x1 = -1, y1 = -1;
  for (int y = 0; y < mk.height; ++y)
    for (int x = 0; x < mk.width; ++x)
      if (mk.at(x, y)) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  j["bbox"] = {x0, y0, x1, y1, mk.width, mk.height};
  j["calc"] = nlohmann::json::array();
  j["clus"] = nlohmann::json::array();
  for (const auto& c : r.calcifications)
    j["calc"].push_back({c.id, c.x, c.y, c.x_mm, c.y_mm, c.diameter_mm, c.area_mm2, c.area_px, c.contrast, c.cnr,
                         c.elongation, c.irregularity, c.eccentricity, c.orientation_deg, c.mean_intensity,
                         c.dist_to_skin_mm, c.score, c.features});
  for (const auto& c : r.clusters)
    j["clus"].push_back({c.id, c.x, c.y, c.x_mm, c.y_mm, c.radius_mm, c.extent_mm, c.area_mm2, c.count,
                         c.calcification_ids, c.mean_member_score, c.score});
  for (const auto& t : ph.clusters)
    j["truth"].push_back({t.x_mm, t.y_mm, t.radius_mm, to_string(t.morphology), to_string(t.distribution)});
  return j;
}

void from_cache(const nlohmann::json& j, DescribeSeed& s) {
  AnalysisResult& r = s.result;
  r.image_meta_only.width = j["w"];
  r.image_meta_only.height = j["h"];
  r.image_meta_only.pixel_size_mm = j["px"];
  r.image_meta_only.info.laterality = j["lat"];
  r.image_meta_only.info.view = j["view"];
  r.region.chest_wall_side = j["wall"];
  r.region.nipple = pt(j["nipple"]);
  if (j.contains("skin"))
    for (const auto& q : j["skin"]) r.region.skin_line.push_back(pt(q));
  const auto& b = j["bbox"];
  r.region.breast = Mask(b[4], b[5]);
  if (b[2].get<int>() >= 0) {
    r.region.breast.at(b[0], b[1]) = 1;
    r.region.breast.at(b[2], b[3]) = 1;
  }
  for (const auto& a : j["calc"]) {
    Calcification c;
    c.id = a[0]; c.x = a[1]; c.y = a[2]; c.x_mm = a[3]; c.y_mm = a[4]; c.diameter_mm = a[5]; c.area_mm2 = a[6];
    c.area_px = a[7]; c.contrast = a[8]; c.cnr = a[9]; c.elongation = a[10]; c.irregularity = a[11];
    c.eccentricity = a[12]; c.orientation_deg = a[13]; c.mean_intensity = a[14]; c.dist_to_skin_mm = a[15];
    c.score = a[16]; c.features = a[17].get<std::vector<double>>();
    r.calcifications.push_back(c);
  }
  for (const auto& a : j["clus"]) {
    Cluster c;
    c.id = a[0]; c.x = a[1]; c.y = a[2]; c.x_mm = a[3]; c.y_mm = a[4]; c.radius_mm = a[5]; c.extent_mm = a[6];
    c.area_mm2 = a[7]; c.count = a[8]; c.calcification_ids = a[9].get<std::vector<int>>();
    c.mean_member_score = a[10]; c.score = a[11];
    r.clusters.push_back(c);
  }
  for (const auto& a : j["truth"]) {
    PhantomCluster t;
    t.x_mm = a[0]; t.y_mm = a[1]; t.radius_mm = a[2];
    t.morphology = parse_morphology(a[3]);
    t.distribution = parse_distribution(a[4]);
    s.truth.push_back(t);
  }
}

/// Members of detected cluster `j` within radius + 3 mm of true cluster `t`.
int members_inside(const AnalysisResult& r, const Cluster& cl, const PhantomCluster& t) {
  int n = 0;
  for (int id : cl.calcification_ids)
    for (const auto& c : r.calcifications)
      if (c.id == id && std::hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) <= t.radius_mm + 3) ++n;
  return n;
}

std::string word_of(const ClusterDescription& d) {
  return d.morphology == "typically_benign" ? d.benign_type : d.morphology;
}

template <class F>
void parallel_seeds(int first, int last, int threads, F&& fn) {
  train_detail::parallel_for(last - first + 1, std::max(1, threads), [&](int i) { fn(first + i); });
}

std::string pct(int a, int b) {
  std::ostringstream os;
  os << a << "/" << b << " = " << std::fixed << std::setprecision(1) << (b ? 100.0 * a / b : 0.0) << " %";
  return os.str();
}

}  // namespace

PhantomSpec describe_eval_phantom_spec(int seed, double pixel_size_mm) {
  PhantomSpec spec;
  spec.pixel_size_mm = pixel_size_mm;
  spec.seed = static_cast<std::uint64_t>(seed);
  spec.laterality = seed % 2 ? "L" : "R";
  spec.view = seed % 3 ? "CC" : "MLO";
  spec.clusters = {cluster_for(seed, 0), cluster_for(seed, 1)};
  return spec;
}

DescribeSeed analyse_describe_seed(int seed, const fs::path& cache_dir, double pixel_size_mm) {
  DescribeSeed s;
  s.seed = seed;
  const fs::path file = cache_dir.empty() ? fs::path() : cache_dir / ("seed" + std::to_string(seed) + ".json");
  if (!file.empty() && fs::exists(file)) {
    std::ifstream in(file);
    try {
      from_cache(nlohmann::json::parse(in), s);
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorCode::InvalidData, std::string("unreadable analysis cache (delete it): ") + e.what(), file.string());
    }
    return s;
  }
  const Phantom ph = make_phantom(describe_eval_phantom_spec(seed, pixel_size_mm));
  s.result = analyze(ph.image);
  s.truth = ph.clusters;
  if (!file.empty()) {
    fs::create_directories(cache_dir);
    const fs::path tmp = file.string() + ".tmp" + std::to_string(seed);
    std::ofstream(tmp) << cache_json(s.result, ph).dump();
    fs::rename(tmp, file);
  } else {
    s.image = ph.image;
  }
  return s;
}

std::vector<DescribeCase> describe_cases(const DescribeSeed& s, const DescribeParams& p) {
  const ImageDescription d = describe_image(s.image, s.result, p);
  std::vector<DescribeCase> out;
  for (const auto& t : s.truth) {
    DescribeCase c;
    c.seed = s.seed;
    c.truth_morphology = to_string(t.morphology);
    c.truth_distribution = to_string(t.distribution);
    int best_n = 0;
    for (std::size_t j = 0; j < s.result.clusters.size(); ++j) {
      const int n = members_inside(s.result, s.result.clusters[j], t);
      if (n > best_n) {
        best_n = n;
        c.detected = true;
        c.cluster = d.clusters[j];
      }
    }
    if (c.detected) {
      c.morphology = word_of(c.cluster);
      c.distribution = c.cluster.distribution;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<DescriptorSample> descriptor_samples(const DescribeSeed& s, const DescribeParams& p) {
  DescribeParams rules = p;
  rules.use_descriptor_model = false;  // the inputs do not depend on the model
  const ImageDescription d = describe_image(s.image, s.result, rules);
  std::vector<DescriptorSample> out;
  for (std::size_t j = 0; j < s.result.clusters.size(); ++j) {
    int best_n = 1;
    const PhantomCluster* best = nullptr;
    for (const auto& t : s.truth) {
      const int n = members_inside(s.result, s.result.clusters[j], t);
      if (n > best_n) best_n = n, best = &t;
    }
    if (!best) continue;
    DescriptorSample smp;
    smp.seed = s.seed;
    smp.morphology = to_string(best->morphology);
    smp.distribution = to_string(best->distribution);
    smp.measurements = d.clusters[j].measurements;
    out.push_back(std::move(smp));
  }
  return out;
}

int Confusion::total() const {
  int s = 0;
  for (const auto& [t, row] : n)
    for (const auto& [q, k] : row) s += k;
  return s;
}
int Confusion::correct() const {
  int s = 0;
  for (const auto& [t, row] : n)
    if (row.count(t)) s += row.at(t);
  return s;
}
int Confusion::total_excluding(const std::string& predicted) const {
  int s = 0;
  for (const auto& [t, row] : n)
    for (const auto& [q, k] : row)
      if (q != predicted) s += k;
  return s;
}
std::string Confusion::table(const std::string& title) const {
  std::set<std::string> cols;
  for (const auto& [t, row] : n)
    for (const auto& [q, k] : row) cols.insert(q);
  std::vector<std::string> order = labels;
  for (const auto& c : cols)
    if (c != "(missed)" && std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
  order.push_back("(missed)");
  std::ostringstream os;
  os << "| " << title << " (truth \\ described) |";
  for (const auto& c : order) os << " " << c << " |";
  os << " correct |\n|---|";
  for (std::size_t i = 0; i <= order.size(); ++i) os << "---|";
  os << "\n";
  for (const auto& t : labels) {
    if (!n.count(t)) continue;
    int row_total = 0;
    os << "| " << t << " |";
    for (const auto& c : order) {
      const int k = n.at(t).count(c) ? n.at(t).at(c) : 0;
      row_total += k;
      os << " " << k << " |";
    }
    const int ok = n.at(t).count(t) ? n.at(t).at(t) : 0;
    os << " " << ok << "/" << row_total << " |\n";
  }
  return os.str();
}

DescribeEvaluation evaluate_descriptors(int first, int last, const fs::path& cache_dir, int threads,
                                        const DescribeParams& p, bool verbose, double pixel_size_mm) {
  DescribeEvaluation ev;
  ev.first_seed = first;
  ev.last_seed = last;
  ev.morphology.labels = describe_eval_morphologies();
  ev.distribution.labels = describe_eval_distributions();
  std::map<int, std::vector<DescribeCase>> by_seed;
  std::mutex mu;
  const auto t0 = std::chrono::steady_clock::now();
  parallel_seeds(first, last, threads, [&](int seed) {
    auto cases = describe_cases(analyse_describe_seed(seed, cache_dir, pixel_size_mm), p);
    const std::lock_guard<std::mutex> lock(mu);
    by_seed[seed] = std::move(cases);
  });
  std::ostringstream log;
  for (const auto& [seed, cases] : by_seed)
    for (const auto& c : cases) {
      ++ev.truths;
      ev.detected += c.detected;
      ev.morphology.add(c.truth_morphology, c.detected ? c.morphology : "(missed)");
      ev.distribution.add(c.truth_distribution, c.detected ? c.distribution : "(missed)");
      if (verbose && c.detected)
        log << "seed " << seed << " truth " << c.truth_morphology << "/" << c.truth_distribution << " -> "
            << c.morphology << "/" << c.distribution << " " << c.cluster.measurements.dump() << "\n";
    }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ostringstream os;
  os << log.str() << "Seeds " << first << "-" << last << " (" << std::lround(pixel_size_mm * 1000)
     << " um phantoms, two clusters of 7-12 calcifications each): "
     << ev.truths << " true clusters, " << ev.detected << " detected and matched (" << std::fixed
     << std::setprecision(0) << secs << " s)\n\n"
     << ev.morphology.table("morphology") << "\nMorphology: " << pct(ev.morphology.correct(), ev.detected)
     << " of detected clusters, " << pct(ev.morphology.correct(), ev.truths) << " of all true clusters\n\n"
     << ev.distribution.table("distribution") << "\nDistribution: " << pct(ev.distribution.correct(), ev.detected)
     << " of detected clusters, " << pct(ev.distribution.correct(), ev.truths) << " of all true clusters\n";
  ev.text = os.str();
  return ev;
}

// ---------------------------------------------------------------- training
namespace {

/// Keeps only what GbdtModel reads (the file stays small enough to embed).
nlohmann::json strip_model(const nlohmann::json& full) {
  const auto& learner = full.at("learner");
  nlohmann::json trees = nlohmann::json::array();
  for (const auto& t : learner.at("gradient_booster").at("model").at("trees")) {
    nlohmann::json thr = nlohmann::json::array();
    for (const auto& v : t.at("split_conditions")) thr.push_back(std::stof(std::to_string(v.get<float>())));
    trees.push_back({{"left_children", t.at("left_children")},
                     {"right_children", t.at("right_children")},
                     {"split_indices", t.at("split_indices")},
                     {"split_conditions", thr},
                     {"default_left", t.at("default_left")}});
  }
  return {{"learner",
           {{"learner_model_param",
             {{"base_score", learner.at("learner_model_param").at("base_score")},
              {"num_feature", learner.at("learner_model_param").at("num_feature")}}},
            {"objective", {{"name", "binary:logistic"}}},
            {"gradient_booster", {{"model", {{"trees", trees}}}}}}}};
}

/// One-vs-rest binary:logistic model for `word`, classes balanced; returns the stripped JSON.
nlohmann::json train_one(const std::vector<DescriptorSample>& data, bool morphology, const std::string& word,
                         const DescriptorTrainOptions& o) {
  const std::size_t nf = descriptor_feature_names().size();
  std::vector<float> x, y, w;
  double pos = 0;
  for (const auto& s : data) {
    for (double v : descriptor_features(s.measurements)) x.push_back(static_cast<float>(v));
    const bool is = (morphology ? s.morphology : s.distribution) == word;
    y.push_back(is ? 1.f : 0.f);
    pos += is;
  }
  if (pos == 0) throw Error(ErrorCode::InvalidData, "descriptor training: no sample of " + word + "; use more seeds");
  const double neg = static_cast<double>(data.size()) - pos;
  for (float l : y) w.push_back(static_cast<float>(l > 0.5f ? neg / pos : 1.0));
  train_detail::XgbSettings xs;
  xs.trees = o.trees;
  xs.depth = o.depth;
  xs.learning_rate = o.learning_rate;
  xs.threads = o.threads;
  xs.seed = 11;
  return strip_model(nlohmann::json::parse(train_detail::train_xgb_binary(x, nf, y, w, xs)));
}

}  // namespace

DescriptorTrainReport train_descriptors(const DescriptorTrainOptions& o) {
  if (o.last_seed < o.first_seed) throw Error(ErrorCode::Usage, "descriptor training: empty seed range");
  if (o.eval_last_seed >= o.eval_first_seed && o.eval_first_seed > 0 &&
      !(o.eval_last_seed < o.first_seed || o.eval_first_seed > o.last_seed))
    throw Error(ErrorCode::Usage,
                "descriptor training: the evaluation seeds overlap the training seeds; choose disjoint ranges");
  const auto t0 = std::chrono::steady_clock::now();
  std::map<int, std::vector<DescriptorSample>> by_seed;
  std::mutex mu;
  std::atomic<int> done{0};
  parallel_seeds(o.first_seed, o.last_seed, o.threads, [&](int seed) {
    auto s = descriptor_samples(analyse_describe_seed(seed, o.cache_dir));
    const std::lock_guard<std::mutex> lock(mu);
    by_seed[seed] = std::move(s);
    if (o.verbose && ++done % 25 == 0)
      std::cerr << "train --descriptors: " << done << "/" << (o.last_seed - o.first_seed + 1) << " seeds analysed\n";
  });
  std::vector<DescriptorSample> data;
  for (auto& [seed, v] : by_seed)
    for (auto& s : v) data.push_back(std::move(s));
  if (data.size() < 20)
    throw Error(ErrorCode::InvalidData, "descriptor training: only " + std::to_string(data.size()) +
                                            " detected clusters matched a true one; use more seeds");
  // A word without training samples gets no model, and the model then never says it (amorphous
  // clusters are seldom detected: a cross-validation fold or a short seed range may have none). The
  // words left out are listed in the report and the model card.
  std::vector<std::string> absent;
  auto train_all = [&](const std::vector<DescriptorSample>& d, bool final_model) {
    nlohmann::json m;
    m["format"] = "calcscope-descriptor-1";
    m["features"] = descriptor_feature_names();
    // trained at 0.07 mm; used up to 0.11 mm since session 8: at 0.1 mm (phantom seeds 1101-1220) it
    // described 84-89 % / 72-75 % of detected clusters right against the rules' 69-74 % / 59-65 %
    m["pixel_size_mm"] = {0.06, 0.11};
    auto present = [&](bool morphology, const std::string& w) {
      return std::any_of(d.begin(), d.end(), [&](const DescriptorSample& s) {
        return (morphology ? s.morphology : s.distribution) == w;
      });
    };
    for (const auto& w : describe_eval_morphologies()) {
      if (present(true, w)) m["morphology"][w] = train_one(d, true, w, o);
      else if (final_model) absent.push_back(w);
    }
    for (const auto& w : describe_eval_distributions()) {
      if (present(false, w)) m["distribution"][w] = train_one(d, false, w, o);
      else if (final_model) absent.push_back(w);
    }
    if (m["morphology"].size() < 2 || m["distribution"].size() < 2)
      throw Error(ErrorCode::InvalidData,
                  "descriptor training: fewer than two morphologies or distributions among the detected clusters; "
                  "use more seeds");
    return m;
  };
  // Cross-validation on the training seeds (folds by seed): a development figure, so that choices
  // about the descriptor model need not look at the held-out seeds.
  DescriptorTrainReport r;
  for (int f = 0; o.cv_folds >= 2 && f < o.cv_folds; ++f) {
    std::vector<DescriptorSample> in, out;
    for (const auto& s : data) (s.seed % o.cv_folds == f ? out : in).push_back(s);
    if (out.empty()) continue;
    const DescriptorModel m = DescriptorModel::from_json(train_all(in, false));
    for (const auto& s : out) {
      const auto vm = m.morphology(s.measurements);
      const auto vd = m.distribution(s.measurements);
      ++r.cv_samples;
      r.cv_morphology_correct += vm && vm->word == s.morphology;
      r.cv_distribution_correct += vd && vd->word == s.distribution;
    }
  }
  nlohmann::json model = train_all(data, true);
  std::map<std::string, int> counts_m, counts_d;
  for (const auto& s : data) ++counts_m[s.morphology], ++counts_d[s.distribution];
  model["card"] = {{"what", "one-vs-rest gradient-boosted trees (XGBoost binary:logistic, classes balanced) "
                            "over the measured cluster quantities"},
                   {"command", "calcscope train --descriptors --seeds " + std::to_string(o.first_seed) + "-" +
                                   std::to_string(o.last_seed)},
                   {"training_seeds", {o.first_seed, o.last_seed}},
                   {"phantoms", "70 um, two clusters per phantom (describe_eval_phantom_spec)"},
                   {"samples", data.size()},
                   {"morphology_samples", counts_m},
                   {"distribution_samples", counts_d},
                   {"trees", o.trees},
                   {"depth", o.depth},
                   {"learning_rate", o.learning_rate},
                   {"words_without_samples", absent},
                   {"cross_validation",
                    {{"folds", o.cv_folds},
                     {"samples", r.cv_samples},
                     {"morphology_correct", r.cv_morphology_correct},
                     {"distribution_correct", r.cv_distribution_correct}}}};
  fs::create_directories(o.out_dir);
  const fs::path out = o.out_dir / "descriptor.json";
  {
    std::ofstream f(out);
    if (!f) throw Error(ErrorCode::OutputFailed, "cannot write the descriptor model", out.string());
    f << model.dump() << "\n";
  }
  r.model = model;
  std::ostringstream os;
  os << "descriptor model: " << data.size() << " detected clusters matched to truth on seeds " << o.first_seed << "-"
     << o.last_seed << " ("
     << std::fixed << std::setprecision(0)
     << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s); written to "
     << out.string() << "\n";
  if (!absent.empty()) {
    os << "no training sample (the model never says these words; the rules still can):";
    for (const auto& w : absent) os << " " << w;
    os << "\n";
  }
  if (r.cv_samples > 0)
    os << o.cv_folds << "-fold cross-validation on the training seeds (folds by seed, matched clusters, the model's "
       << "word without the rules): morphology " << pct(r.cv_morphology_correct, r.cv_samples) << ", distribution "
       << pct(r.cv_distribution_correct, r.cv_samples) << "\n";
  if (o.eval_first_seed > 0 && o.eval_last_seed >= o.eval_first_seed) {
    const DescriptorModel m = DescriptorModel::from_json(model);
    DescribeParams p;
    p.descriptor_model = &m;
    os << "\nHeld-out evaluation with the new model:\n"
       << evaluate_descriptors(o.eval_first_seed, o.eval_last_seed, o.cache_dir, o.threads, p).text;
  }
  r.text = os.str();
  return r;
}

}  // namespace calcscope
