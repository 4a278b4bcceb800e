// Fixtures of the server tests: a small phantom (the project's own generator) written as DICOM and
// PNG once per test program, and what `calcscope analyze` writes for it.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "calcscope/io/image_writer.h"
#include "calcscope/phantom/phantom.h"
#include "calcscope/pipeline/batch.h"
#include "calcscope/report/json_output.h"
#include "calcscope/server/server.h"
#include "test_support.h"

namespace calcscope::test {

/// A 70 x 90 mm, 0.1 mm phantom (700 x 900 px) with one punctate cluster: analysed in well under a second.
class ServerPhantom {
 public:
  static const ServerPhantom& get() {
    static const ServerPhantom p;
    return p;
  }
  std::filesystem::path dicom_path() const { return dir_ / "phantom.dcm"; }
  std::filesystem::path png_path() const { return dir_ / "phantom.png"; }
  const std::string& dicom() const { return dicom_; }
  const std::string& png() const { return png_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  ServerPhantom() {
    PhantomSpec spec;
    spec.width_mm = 70;
    spec.height_mm = 90;
    spec.pixel_size_mm = 0.1;
    spec.seed = 11;
    spec.clusters.push_back(parse_cluster_spec("morphology=punctate,count=10,contrast=2,diameter=0.4,extent=6"));
    const Phantom ph = make_phantom(spec);
    DicomWriteOptions w;
    w.laterality = spec.laterality;
    w.view = spec.view;
    write_dicom_mg(ph.image, dicom_path(), w);
    write_raster(ph.image, png_path(), 16);
    dicom_ = slurp(dicom_path());
    png_ = slurp(png_path());
  }
  TempDir dir_{"calcscope-server-phantom"};
  std::string dicom_, png_;
};

/// What the analysis library (the CLI's analyze_file) writes for `bytes` analysed under file name
/// `name`, with `image.file` set to that name (the CLI writes the path it was given).
inline nlohmann::json library_json(const std::string& bytes, const std::string& name,
                                   std::optional<double> pixel_size_mm = std::nullopt) {
  TempDir dir("calcscope-server-ref");
  const auto input = dir / name;
  {
    std::ofstream out(input, std::ios::binary);
    out << bytes;
  }
  BatchOptions o;
  o.read.pixel_size_mm = pixel_size_mm;
  o.output_dir = dir / "out";
  std::filesystem::create_directories(o.output_dir);
  const std::string stem = unique_stems({input}).front();
  analyze_file(input, stem, o);
  nlohmann::json j = read_json_file(o.output_dir / (stem + ".json"));
  j["image"]["file"] = name;
  return j;
}

/// The JSON without what differs between two runs of the same analysis: the stage timings.
inline nlohmann::json without_timings(nlohmann::json j) {
  if (j.contains("stages"))
    for (auto& s : j["stages"]) s.erase("milliseconds");
  return j;
}

}  // namespace calcscope::test
