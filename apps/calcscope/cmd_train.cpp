// calcscope train: reproduces the learned models and their cross-validation table.
#include <iostream>
#include <memory>
#include <sstream>
#include <tuple>
#include <utility>

#include "calcscope/train/describe_phantoms.h"
#include "calcscope/train/train.h"
#include "calcscope/train/train_patches.h"
#include "calcscope/core/error.h"
#include "commands.h"

namespace calcscope::cli {

namespace {
struct TrainArgs {
  std::string mias = "../shared/data/mias";
  std::string infn;
  int phantoms = 240;
  int folds = 5;
  int threads = 2;
  std::string out = "models";
  std::string oof;
  int cluster_monotone = 0;
  int film_skip_linear = 0;
  int film_bag = 1;
  int lumpy_every = 3;
  int grey_variety = 0;
  int speck_net_phantoms = TrainOptions{}.speck_net_phantoms;
  std::string speck_net_file;
  int speck_net_epochs = TrainOptions{}.speck_net_epochs;
  int wide_imaging = 0;
  std::string film_cluster_ignore = "mean_member_score,strong_fraction,median_member_score";
  std::string digital_calc_ignore, digital_cluster_ignore;
  double infn_pixel_size = 0.1;
  std::string speck_net_infn;
  int min_count = -1;
  double cluster_calc_score = -1;
  double max_density = -1;
  double gap_ratio = -1;
  double compact_discs_below = -1;
  double proposal_factor = -1;
  double hard_negatives = -1;
  int complete_pairs = -1, long_group_discs = -1, extra_phantoms = -1, film_phantoms = -1, weighted_centre = -1, digital_models = 1;
  int descriptor_trees = -1, descriptor_depth = -1;
  int calc_trees = -1, calc_depth = -1;
  bool descriptors = false;
  bool patches = false;
  std::string patch_pixel_sizes = "0.07,0.1";
  double patch_positive_min = -1;
  int patch_trees = -1, patch_depth = -1, patch_phantoms = -1;
  std::vector<std::string> mias_resampled;  // --mias-resampled (empty = TrainOptions default)
  std::string seeds = "1-600";
  std::string eval_seeds = "1000-1100";
  std::string cache;
};

/// A digital pixel size in mm given to `option` (0.03 to kFilmPixelSizeMm); Error(Usage) otherwise,
/// saying what is allowed (`also` is appended, e.g. ", or 'none'").
double digital_pixel_size_arg(const std::string& v, const char* option, const char* also) {
  double mm = 0;
  try {
    mm = std::stod(v);
  } catch (const std::exception&) {
    mm = 0;
  }
  if (!(mm >= 0.03 && mm < kFilmPixelSizeMm))
    throw Error(ErrorCode::Usage, std::string(option) + ": pixel sizes between 0.03 and 0.15 mm" + also + " (got '" + v + "')");
  return mm;
}

/// "A-B" or "A" -> {A, B}; "none" -> {0, -1}.
std::pair<int, int> seed_range(const std::string& s) {
  if (s == "none") return {0, -1};
  try {
    const auto dash = s.find('-');
    if (dash == std::string::npos) return {std::stoi(s), std::stoi(s)};
    return {std::stoi(s.substr(0, dash)), std::stoi(s.substr(dash + 1))};
  } catch (const std::exception&) {
    throw Error(ErrorCode::Usage, "seed range must look like 1-300, not '" + s + "'");
  }
}
}  // namespace

void register_train(CLI::App& app, Runner& run) {
  auto a = std::make_shared<TrainArgs>();
  auto* sub = app.add_subcommand("train", "Train the learned scoring stages with patient-pair cross-validation");
  sub->add_option("--mias", a->mias, "mini-MIAS directory with mdbNNN.png and truth.txt ('' = none)");
  sub->add_option("--infn", a->infn, "INFN patches directory with 0/ and 1/ (default: not used)");
  sub->add_option("--infn-pixel-size", a->infn_pixel_size, "assumed INFN patch pixel size in mm");
  sub->add_option("--phantoms", a->phantoms, "synthetic training images (seeds 500...)")->check(CLI::Range(0, 1000));
  sub->add_option("--folds", a->folds, "cross-validation folds")->check(CLI::Range(2, 20));
  sub->add_option("--threads", a->threads, "threads")->check(CLI::Range(1, 64));
  sub->add_option("--min-count", a->min_count, "cluster rule: minimum members (default: ClusterParams)");
  sub->add_option("--cluster-calc-score", a->cluster_calc_score,
                  "cluster rule: minimum calcification score to be grouped (default: ClusterParams)");
  sub->add_option("--max-density", a->max_density, "cluster rule: grouped calcifications per cm^2 at most");
  sub->add_option("--gap-ratio", a->gap_ratio, "cluster rule: split at a gap this many times the median link (0 = off)")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--complete-pairs", a->complete_pairs,
                  "cluster rule: 1 = pairs take in neighbours the density cap left out, 0 = off (default)")
      ->check(CLI::Range(0, 1));
  sub->add_option("--compact-discs-below", a->compact_discs_below,
                  "cluster rule: 1 cm^2 circles are taken out of compact-link groups too long for one, on images "
                  "with pixels smaller than MM (0 = off)")
      ->check(CLI::Range(0.0, 10.0));
  sub->add_option("--proposal-density-factor", a->proposal_factor,
                  "cluster rule: groups proposed at density caps /F, x1 and xF, overlapping ones suppressed by score "
                  "(default 2 on pixels < 0.15 mm; 0 = one cap, as up to session 10)")
      ->check(CLI::Range(0.0, 10.0));
  sub->add_option("--long-group-discs", a->long_group_discs,
                  "cluster rule: 1 = long 5 mm-link groups are taken apart into 1 cm^2 circles too (with --compact-discs-below)")
      ->check(CLI::Range(0, 1));
  sub->add_option("--digital-hard-negatives", a->hard_negatives,
                  "digital family: keep calcification-model negatives in proportion to (CNR/3)^P, weighted back (0 = uniform)")
      ->check(CLI::Range(0.0, 8.0));
  sub->add_option("--digital-extra-phantoms", a->extra_phantoms,
                  "digital family: this many more varied-imaging phantoms (seeds after the --phantoms ones)")
      ->check(CLI::Range(0, 1000));
  sub->add_option("--film-phantoms", a->film_phantoms,
                  "general (film) family learns from: 0 = every default-imaging phantom, 1 = the 200 um ones only, "
                  "2 = the 200 um ones in both renderings (with --digital-models 1)")
      ->check(CLI::Range(0, 2));
  sub->add_option("--mias-resampled", a->mias_resampled,
                  "digital family: the MIAS images also resampled to these pixel sizes, mm (e.g. 0.07,0.1; 'none' = not)")
      ->delimiter(',');
  sub->add_option("--weighted-centre", a->weighted_centre,
                  "cluster rule: 1 = centre weighted by member score log-odds (default), 0 = plain mean")
      ->check(CLI::Range(0, 1));
  sub->add_option("--digital-models", a->digital_models,
                  "1 = also train the digital models (pixels < 0.15 mm) on every image plus the phantoms rendered again "
                  "with varied imaging (default), 0 = one set of models for every pixel size (the models up to session 8)")
      ->check(CLI::Range(0, 1));
  sub->add_flag("--descriptors", a->descriptors,
                "train the learned cluster descriptors (models/descriptor.json) on 70 um phantoms instead");
  sub->add_option("--seeds", a->seeds, "--descriptors: training phantom seeds (default 1-600)");
  sub->add_option("--eval-seeds", a->eval_seeds,
                  "--descriptors: held-out seeds evaluated after training (disjoint; 'none' = skip)");
  sub->add_option("--calc-trees", a->calc_trees, "calcification model: trees (default 100)")->check(CLI::Range(1, 2000));
  sub->add_option("--calc-depth", a->calc_depth, "calcification model: tree depth (default 4)")->check(CLI::Range(1, 12));
  sub->add_option("--descriptor-trees", a->descriptor_trees, "--descriptors: trees per one-vs-rest model (default 80)")
      ->check(CLI::Range(1, 2000));
  sub->add_option("--descriptor-depth", a->descriptor_depth, "--descriptors: tree depth (default 3)")
      ->check(CLI::Range(1, 12));
  sub->add_flag("--patches", a->patches,
                "train the patch model (models/calcification-patch.json) on the INFN patches (--infn, default "
                "../shared/data/infn-patches) instead; run after the digital models are embedded");
  sub->add_option("--patch-pixel-sizes", a->patch_pixel_sizes,
                  "--patches: comma-separated pixel sizes (mm) each patch is used at")
      ->capture_default_str();
  sub->add_option("--patch-positive-min", a->patch_positive_min,
                  "--patches: image-model score from which a 1/ candidate is labelled positive (default 0.5)");
  sub->add_option("--patch-trees", a->patch_trees, "--patches: trees (default 80)");
  sub->add_option("--patch-phantoms", a->patch_phantoms,
                  "--patches: training phantoms cut into windows (default 120; 0 = INFN only)");
  sub->add_option("--patch-depth", a->patch_depth, "--patches: tree depth (default 3)");
  sub->add_option("--cache", a->cache, "--descriptors: directory caching each seed's analysis (optional)");
  sub->add_option("--cluster-monotone", a->cluster_monotone,
                  "cluster models: 1 = the score may only rise with member counts and member scores (monotone constraints), 0 = unconstrained (default)")
      ->check(CLI::Range(0, 1));
  sub->add_option("--film-skip-linear", a->film_skip_linear,
                  "general (film) family: 1 = phantom candidates positive only through a fine-linear-branching calcification are left out of the calcification model (experiment)")
      ->check(CLI::Range(0, 1));
  sub->add_option("--film-bag", a->film_bag,
                  "general (film) family: each model is the margin average of this many XGBoost models with different seeds (bagging)")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  sub->add_option("--digital-lumpy-every", a->lumpy_every,
                  "digital family: every K-th varied-imaging phantom gets the clustered lumpy tissue texture (0 = none)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  sub->add_option("--speck-net-phantoms", a->speck_net_phantoms,
                  "phantoms the candidate-patch network is fitted on (seeds 9000...; 0 = no network)")
      ->check(CLI::Range(0, 5000));
  sub->add_option("--speck-net-epochs", a->speck_net_epochs, "training epochs of the candidate-patch network")
      ->check(CLI::Range(1, 200));
  sub->add_option("--speck-net-infn", a->speck_net_infn,
                  "INFN patches directory (0/, 1/): the candidates of the normal patches of half the cases become "
                  "negatives of the candidate-patch network (session 28; scripts/train.sh passes "
                  "../shared/data/infn-patches; default: phantoms only)");
  sub->add_option("--speck-net-file", a->speck_net_file,
                  "use this already fitted candidate-patch network (speck-net.json) instead of fitting one "
                  "(--speck-net-phantoms and --speck-net-infn are then ignored); for experiments on the scoring models")
      ->check(CLI::ExistingFile);
  sub->add_option("--digital-grey-variety", a->grey_variety,
                  "digital family: 1 = the varied-imaging phantoms are also written on other grey scales (gain 0.88-1.13, offset -0.03..0.04), 0 = as rendered")
      ->check(CLI::Range(0, 1))
      ->capture_default_str();
  sub->add_option("--digital-wide-imaging", a->wide_imaging,
                  "digital family: 1 = the varied-imaging phantoms span texture exponent 2.2-3.8, blur 0.02-0.12 mm, noise 0.5-2.5 (0 = 2.5-3.5, 0.04-0.10 mm, 0.7-1.8)")
      ->check(CLI::Range(0, 1))
      ->capture_default_str();
  sub->add_option("--digital-calc-ignore", a->digital_calc_ignore,
                  "digital family: comma-separated calcification features its calcification model may not use");
  sub->add_option("--digital-cluster-ignore", a->digital_cluster_ignore,
                  "digital family: comma-separated cluster features its cluster model may not use");
  sub->add_option("--film-cluster-ignore", a->film_cluster_ignore,
                  "general (film) family: comma-separated cluster features its cluster model may not use "
                  "('none' = use every feature, as up to session 14)")
      ->capture_default_str();
  sub->add_option("--oof", a->oof,
                  "development: write the MIAS out-of-fold results here, one <stem>.json each (readable by calcscope eval)");
  sub->add_option("--out", a->out, "where to write calcification[-digital].json, cluster[-digital].json, model-card.json, cv-table.txt");
  sub->callback([a, &run] {
    run = [a] {
      if (a->patches) {
        PatchTrainOptions p;
        p.infn_dir = a->infn.empty() ? std::string("../shared/data/infn-patches") : a->infn;
        p.folds = a->folds;
        p.threads = a->threads;
        p.out_dir = a->out;
        p.pixel_sizes_mm.clear();
        std::stringstream sizes(a->patch_pixel_sizes);
        for (std::string v; std::getline(sizes, v, ',');)
          p.pixel_sizes_mm.push_back(digital_pixel_size_arg(v, "--patch-pixel-sizes", ""));
        if (p.pixel_sizes_mm.empty()) throw Error(ErrorCode::Usage, "--patch-pixel-sizes: give at least one pixel size");
        if (a->patch_positive_min >= 0) p.positive_min_image_score = a->patch_positive_min;
        if (a->patch_trees > 0) p.trees = a->patch_trees;
        if (a->patch_depth > 0) p.depth = a->patch_depth;
        if (a->patch_phantoms >= 0) p.phantoms = a->patch_phantoms;
        const PatchTrainReport r = train_patch_model(p);
        std::cout << r.table << "model written to " << (p.out_dir / "calcification-patch.json").string()
                  << " (rebuild to embed it; the recommended cut goes to kDefaultCalcificationMinScorePatch)\n";
        return 0;
      }
      if (a->descriptors) {
        DescriptorTrainOptions d;
        std::tie(d.first_seed, d.last_seed) = seed_range(a->seeds);
        std::tie(d.eval_first_seed, d.eval_last_seed) = seed_range(a->eval_seeds);
        d.cache_dir = a->cache;
        d.out_dir = a->out;
        d.threads = a->threads;
        if (a->descriptor_trees > 0) d.trees = a->descriptor_trees;
        if (a->descriptor_depth > 0) d.depth = a->descriptor_depth;
        const DescriptorTrainReport r = train_descriptors(d);
        std::cout << r.text << "model written to " << (d.out_dir / "descriptor.json").string()
                  << " (rebuild to embed it)\n";
        return 0;
      }
      TrainOptions o;
      o.mias_dir = a->mias;
      o.infn_dir = a->infn;
      o.infn_pixel_size_mm = a->infn_pixel_size;
      o.phantoms = a->phantoms;
      o.folds = a->folds;
      o.threads = a->threads;
      o.out_dir = a->out;
      o.oof_dir = a->oof;
      o.cluster_monotone = a->cluster_monotone != 0;
      o.film_skip_linear = a->film_skip_linear != 0;
      o.film_bag = a->film_bag;
      o.digital_lumpy_every = a->lumpy_every;
      o.digital_grey_variety = a->grey_variety != 0;
      o.speck_net_phantoms = a->speck_net_phantoms;
      o.speck_net_file = a->speck_net_file;
      o.speck_net_epochs = a->speck_net_epochs;
      o.speck_net_infn_dir = a->speck_net_infn;
      o.digital_wide_imaging = a->wide_imaging != 0;
      auto split_names = [](const std::string& list) {
        std::vector<std::string> out;
        std::stringstream names(list);
        for (std::string n; std::getline(names, n, ',');)
          if (!n.empty()) out.push_back(n);
        return out;
      };
      o.digital_calc_ignored = split_names(a->digital_calc_ignore);
      o.digital_cluster_ignored = split_names(a->digital_cluster_ignore);
      o.film_cluster_ignored =
          a->film_cluster_ignore == "none" ? std::vector<std::string>{} : split_names(a->film_cluster_ignore);
      o.digital_models = a->digital_models == 1;
      if (a->calc_trees > 0) o.trees = a->calc_trees;
      if (a->calc_depth > 0) o.depth = a->calc_depth;
      if (a->min_count > 0) o.analyze.cluster.min_count = a->min_count;
      if (a->max_density >= 0) o.analyze.cluster.max_density_per_cm2 = a->max_density;
      if (a->gap_ratio >= 0) o.analyze.cluster.gap_ratio = a->gap_ratio;
      if (a->complete_pairs >= 0) o.analyze.cluster.complete_pairs = a->complete_pairs == 1;
      if (a->compact_discs_below >= 0) o.analyze.cluster.compact_discs_below_pixel_mm = a->compact_discs_below;
      if (a->proposal_factor >= 0) o.analyze.cluster.proposal_density_factor = a->proposal_factor;
      if (a->extra_phantoms >= 0) o.digital_extra_phantoms = a->extra_phantoms;
      if (a->film_phantoms >= 0) o.film_phantoms = a->film_phantoms;
      if (!a->mias_resampled.empty()) {
        o.mias_resampled_mm.clear();
        for (const auto& v : a->mias_resampled) {
          if (v == "none") continue;
          o.mias_resampled_mm.push_back(digital_pixel_size_arg(v, "--mias-resampled", ", or 'none'"));
        }
      }
      if (a->hard_negatives >= 0) o.digital_hard_negatives = a->hard_negatives;
      if (a->long_group_discs >= 0) o.analyze.cluster.long_group_discs = a->long_group_discs == 1;
      if (a->weighted_centre >= 0) o.analyze.cluster.weighted_centre = a->weighted_centre == 1;
      if (a->cluster_calc_score >= 0) o.analyze.cluster.min_calcification_score = a->cluster_calc_score;
      const TrainReport r = train_models(o);
      std::cout << r.table;
      std::cout << "models written to " << o.out_dir.string() << "/ (rebuild to embed them)\n";
      return 0;
    };
  });
}

}  // namespace calcscope::cli
