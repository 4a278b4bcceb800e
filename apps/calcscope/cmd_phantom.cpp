// `calcscope phantom`: writes a synthetic mammogram and its ground truth (docs/phantom.md).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "calcscope/core/error.h"
#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "commands.h"

namespace calcscope::cli {
namespace {

struct PhantomOptions {
  PhantomSpec spec;
  std::string output, truth, prior, prior_truth;
  std::vector<std::string> clusters;
  std::vector<double> grey_range;
  std::string photometric = "MONOCHROME2";
  bool for_processing = false;
  std::string compression = "none";
  PhantomChangeSpec change;
};

namespace fs = std::filesystem;

fs::path truth_path_for(const fs::path& image) {
  return image.parent_path() / (image.stem().string() + ".truth.json");
}

std::string lower_ext(const fs::path& p) {
  std::string e = p.extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

void write_image(const Phantom& ph, const fs::path& path, const PhantomOptions& o, bool is_prior) {
  if (!path.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
  }
  const std::string ext = lower_ext(path);
  if (ext == ".dcm" || ext == ".dicom") {
    DicomWriteOptions w;
    w.bits_stored = o.spec.bits;
    w.photometric = o.photometric;
    w.presentation_intent = o.for_processing ? "FOR PROCESSING" : "FOR PRESENTATION";
    w.compression = parse_dicom_compression(o.compression);
    w.laterality = o.spec.laterality;
    w.view = o.spec.view;
    w.patient_id = "PHANTOM-" + std::to_string(o.spec.seed);
    w.study_date = is_prior ? "20250101" : "20260101";
    write_dicom_mg(ph.image, path, w);
  } else if (ext == ".png" || ext == ".pgm" || ext == ".tif" || ext == ".tiff") {
    write_raster(ph.image, path, o.spec.bits > 8 ? 16 : 8);
  } else {
    throw Error(ErrorCode::Usage, "unsupported output extension '" + ext + "': use .dcm, .png, .pgm or .tif", path.string());
  }
}

void write_truth(const Phantom& ph, const fs::path& path) {
  if (!path.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
  }
  write_phantom_truth(ph, path);
}

void report(const Phantom& ph, const fs::path& image, const fs::path& truth) {
  std::cout << "wrote " << image.string() << " (" << ph.image.width << " x " << ph.image.height << " px, "
            << ph.image.pixel_size_mm << " mm, " << ph.image.info.laterality << " " << ph.image.info.view << "): "
            << ph.clusters.size() << " clusters, " << ph.calcifications.size() << " calcifications; truth "
            << truth.string() << "\n";
}

}  // namespace

void register_phantom(CLI::App& app, Runner& run) {
  auto o = std::make_shared<PhantomOptions>();
  auto* sub = app.add_subcommand("phantom", "Write a synthetic mammogram with known calcifications and its truth JSON");
  sub->add_option("--output,-o", o->output, "image file: .dcm (DICOM MG), .png, .pgm, .tif")->required();
  sub->add_option("--truth", o->truth, "truth JSON (default: <output stem>.truth.json beside the image)");
  sub->add_option("--seed", o->spec.seed, "random seed (same seed, same image)");
  sub->add_option("--width-mm", o->spec.width_mm, "image width in mm")->capture_default_str();
  sub->add_option("--height-mm", o->spec.height_mm, "image height in mm")->capture_default_str();
  sub->add_option("--pixel-size", o->spec.pixel_size_mm, "pixel size in mm")->capture_default_str();
  sub->add_option("--bits", o->spec.bits, "stored bits (8..16)")->capture_default_str();
  sub->add_option("--laterality", o->spec.laterality, "L or R")->check(CLI::IsMember({"L", "R"}));
  sub->add_option("--view", o->spec.view, "CC or MLO")->check(CLI::IsMember({"CC", "MLO"}));
  sub->add_option("--density", o->spec.density, "breast density 0 (fatty) .. 1 (extremely dense)")->capture_default_str();
  sub->add_option("--noise", o->spec.noise, "relative noise level (0 = none)")->capture_default_str();
  sub->add_option("--blur-mm", o->spec.blur_mm, "detector blur sigma in mm")->capture_default_str();
  sub->add_option("--grey-range", o->grey_range,
                  "LOW,HIGH: the grey range the finished image occupies (default 0,1): another system's display "
                  "processing, e.g. 0.1,0.7")
      ->expected(2)
      ->delimiter(',');
  sub->add_option("--beta", o->spec.texture_beta, "power-law exponent of the tissue texture")->capture_default_str();
  sub->add_option("--texture", o->spec.texture,
                  "tissue texture model: power-law (1/f^beta random field) or lumpy (clustered lumpy background)")
      ->check(CLI::IsMember({"power-law", "lumpy"}))
      ->capture_default_str();
  sub->add_option("--clusters", o->spec.random_clusters, "number of random clusters");
  sub->add_option("--cluster", o->clusters,
                  "a cluster: \"morphology=fine_pleomorphic,distribution=grouped,count=8,diameter=0.3,extent=8,x=60,y=100\" "
                  "(repeatable; x/y in mm from the top-left)");
  sub->add_option("--benign", o->spec.scattered_benign, "number of scattered isolated benign calcifications");
  sub->add_option("--photometric", o->photometric, "DICOM photometric interpretation")
      ->check(CLI::IsMember({"MONOCHROME1", "MONOCHROME2"}));
  sub->add_flag("--for-processing", o->for_processing, "DICOM: write a For Processing image");
  sub->add_option("--compression", o->compression,
                  "DICOM transfer syntax: none, jpeg-lossless, jpeg-baseline, jpeg-ls, rle, jpeg2000");
  sub->add_option("--prior", o->prior, "also write a prior image of a time series (truth beside it)");
  sub->add_option("--prior-truth", o->prior_truth, "truth JSON of the prior (default: <prior stem>.truth.json)");
  sub->add_option("--rotation", o->change.rotation_deg, "prior -> current rotation in degrees (clockwise on screen)");
  sub->add_option("--shift-x-mm", o->change.shift_x_mm, "prior -> current shift along x in mm");
  sub->add_option("--shift-y-mm", o->change.shift_y_mm, "prior -> current shift along y in mm");
  sub->add_option("--scale", o->change.scale, "prior -> current scale");
  sub->add_option("--contrast-gain", o->change.contrast_gain, "prior's contrast relative to the current");
  sub->add_option("--add", o->change.add_clusters, "clusters new in the current image");
  sub->add_option("--remove", o->change.remove_clusters, "clusters of the prior gone in the current image");
  sub->add_option("--grow", o->change.grow_clusters, "clusters with more calcifications in the current image");
  sub->add_option("--shrink", o->change.shrink_clusters, "clusters with fewer calcifications in the current image");
  sub->callback([o, &run] {
    if (!o->grey_range.empty()) {
      const double lo = o->grey_range[0], hi = o->grey_range[1];
      if (!(lo >= 0.0 && lo < hi && hi <= 1.0))
        throw CLI::ValidationError("--grey-range", "needs 0 <= LOW < HIGH <= 1, e.g. 0.1,0.7");
      o->spec.grey_low = lo;
      o->spec.grey_high = hi;
    }
    run = [o] {
      for (const auto& c : o->clusters) o->spec.clusters.push_back(parse_cluster_spec(c));
      const fs::path out = o->output;
      const fs::path truth = o->truth.empty() ? truth_path_for(out) : fs::path(o->truth);
      if (o->prior.empty()) {
        const Phantom ph = make_phantom(o->spec);
        write_image(ph, out, *o, false);
        write_truth(ph, truth);
        report(ph, out, truth);
        return 0;
      }
      const auto [prior, current] = make_phantom_pair(o->spec, o->change);
      const fs::path prior_path = o->prior;
      const fs::path prior_truth = o->prior_truth.empty() ? truth_path_for(prior_path) : fs::path(o->prior_truth);
      write_image(current, out, *o, false);
      write_truth(current, truth);
      write_image(prior, prior_path, *o, true);
      write_truth(prior, prior_truth);
      report(current, out, truth);
      report(prior, prior_path, prior_truth);
      return 0;
    };
  });
}

}  // namespace calcscope::cli
