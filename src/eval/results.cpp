// Reading analysis outputs and pairing them with truth.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"

namespace calcscope::eval {

namespace fs = std::filesystem;

nlohmann::json read_json(const fs::path& file) {
  if (!fs::exists(file)) throw Error(ErrorCode::FileNotFound, "file does not exist", file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::Unreadable, "cannot open the file (check permissions)", file.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("not valid JSON: ") + e.what(), file.string());
  }
}

bool looks_like_analysis(const nlohmann::json& json) {
  return json.is_object() && json.contains("image") && json.contains("clusters");
}

namespace {

double number(const nlohmann::json& obj, const char* key, const std::string& what, const std::string& source,
              bool required = true, double fallback = 0) {
  if (!obj.is_object() || !obj.contains(key) || obj.at(key).is_null()) {
    if (!required) return fallback;
    throw Error(ErrorCode::InvalidData, what + " has no \"" + key + "\"", source);
  }
  const auto& v = obj.at(key);
  if (!v.is_number()) throw Error(ErrorCode::InvalidData, what + ": \"" + key + "\" must be a number", source);
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw Error(ErrorCode::InvalidData, what + ": \"" + key + "\" is not finite", source);
  return d;
}

std::string id_of(const nlohmann::json& obj, std::size_t index) {
  if (obj.contains("id")) {
    const auto& v = obj.at("id");
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<long long>());
  }
  std::string id(1, '#');  // appended, not "#" + ...: GCC 12 warns falsely (-Wrestrict) on that operator+
  id += std::to_string(index);
  return id;
}

/// Follows a dotted path ("assessment.malignancy") inside `obj`; nullptr if absent.
const nlohmann::json* lookup(const nlohmann::json& obj, const std::string& path) {
  const nlohmann::json* cur = &obj;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &cur->at(key);
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

}  // namespace

ImageResult parse_analysis(const nlohmann::json& j, const std::string& stem, const std::string& source,
                           const std::string& value_field) {
  if (!looks_like_analysis(j))
    throw Error(ErrorCode::InvalidData, "not a calcscope analysis JSON (needs \"image\" and \"clusters\")", source);
  ImageResult r;
  r.stem = stem;
  r.source = source;
  const auto& im = j.at("image");
  r.width = static_cast<int>(number(im, "width", "image", source));
  r.height = static_cast<int>(number(im, "height", "image", source));
  r.pixel_size_mm = number(im, "pixel_size_mm", "image", source);
  if (r.width <= 0 || r.height <= 0 || r.pixel_size_mm <= 0)
    throw Error(ErrorCode::InvalidData, "image width, height and pixel_size_mm must be positive", source);
  if (j.contains("breast") && j.at("breast").is_object())
    r.breast_area_mm2 = number(j.at("breast"), "area_mm2", "breast", source, false, 0);

  const auto& clusters = j.at("clusters");
  if (!clusters.is_array()) throw Error(ErrorCode::InvalidData, "\"clusters\" must be an array", source);
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const auto& cj = clusters[i];
    DetectedCluster c;
    c.id = id_of(cj, i);
    const std::string what = "cluster " + c.id;
    c.x = number(cj, "x", what, source);
    c.y = number(cj, "y", what, source);
    c.score = number(cj, "score", what, source);
    if (!value_field.empty()) {
      if (const auto* v = lookup(cj, value_field); v && !v->is_null()) {
        if (!v->is_number())
          throw Error(ErrorCode::InvalidData, what + ": \"" + value_field + "\" must be a number", source);
        c.value = v->get<double>();
      }
    }
    r.clusters.push_back(c);
  }
  if (j.contains("calcifications")) {
    const auto& calcs = j.at("calcifications");
    if (!calcs.is_array()) throw Error(ErrorCode::InvalidData, "\"calcifications\" must be an array", source);
    for (std::size_t i = 0; i < calcs.size(); ++i) {
      DetectedCalcification c;
      c.id = id_of(calcs[i], i);
      const std::string what = "calcification " + c.id;
      c.x = number(calcs[i], "x", what, source);
      c.y = number(calcs[i], "y", what, source);
      c.score = number(calcs[i], "score", what, source);
      r.calcifications.push_back(c);
    }
  }
  return r;
}

ResultsDir read_results_dir(const fs::path& dir, const std::string& value_field) {
  if (!fs::exists(dir)) throw Error(ErrorCode::FileNotFound, "results directory does not exist", dir.string());
  if (!fs::is_directory(dir))
    throw Error(ErrorCode::Usage, "--results must be the directory `calcscope analyze --output` wrote", dir.string());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    if (name.size() > 11 && name.compare(name.size() - 11, 11, ".truth.json") == 0) continue;
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ResultsDir out;
  for (const auto& f : files) {
    const auto j = read_json(f);
    if (!looks_like_analysis(j)) {
      out.notes.push_back("skipped " + f.filename().string() + ": not an analysis output");
      continue;
    }
    const std::string stem = f.stem().string();
    out.images[stem] = parse_analysis(j, stem, f.string(), value_field);
  }
  if (out.images.empty())
    throw Error(ErrorCode::FileNotFound, "no analysis JSON files (<stem>.json) in the results directory",
                dir.string());
  return out;
}

std::vector<std::string> read_image_list(const fs::path& file) {
  if (!fs::exists(file)) throw Error(ErrorCode::FileNotFound, "image list does not exist", file.string());
  std::ifstream in(file);
  if (!in) throw Error(ErrorCode::Unreadable, "cannot open the image list", file.string());
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream is(line);
    std::string tok;
    if (!(is >> tok) || tok[0] == '#') continue;
    std::string stem = fs::path(tok).filename().string();
    for (const char* ext : {".truth.json", ".json", ".png", ".pgm", ".tif", ".tiff", ".dcm"}) {
      const std::string e = ext;
      if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
        stem.resize(stem.size() - e.size());
        break;
      }
    }
    out.push_back(stem);
  }
  if (out.empty()) throw Error(ErrorCode::InvalidData, "the image list names no image", file.string());
  return out;
}

namespace {

std::string join_limited(const std::vector<std::string>& items, std::size_t limit = 20) {
  std::string s;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > limit) s += ", ... (" + std::to_string(items.size()) + " in all)";
  return s;
}

}  // namespace

Pairing pair_results_with_truth(const ResultsDir& results, const TruthSet& truth, const PairOptions& options) {
  Pairing out;
  std::set<std::string> wanted;
  if (options.only) {
    std::vector<std::string> unknown;
    for (const auto& s : *options.only) {
      if (!truth.images.count(s)) unknown.push_back(s);
      wanted.insert(s);
    }
    if (!unknown.empty())
      throw Error(ErrorCode::InvalidData, "images in the list have no ground truth: " + join_limited(unknown));
  }
  const auto selected = [&](const std::string& stem) { return !options.only || wanted.count(stem) > 0; };

  std::vector<std::string> no_truth;
  for (const auto& [stem, r] : results.images)
    if (!truth.images.count(stem) && selected(stem)) no_truth.push_back(stem);
  if (!no_truth.empty() && !options.only)
    out.notes.push_back("skipped " + std::to_string(no_truth.size()) + " result(s) with no ground truth: " +
                        join_limited(no_truth));

  std::vector<std::string> missing;
  for (const auto& [stem, t] : truth.images) {
    if (!selected(stem)) continue;
    const auto it = results.images.find(stem);
    if (it == results.images.end()) {
      missing.push_back(stem);
      continue;
    }
    const ImageResult& r = it->second;
    if (t.image_height_px > 0 && r.height != t.image_height_px)
      throw Error(ErrorCode::InvalidData,
                  "result is " + std::to_string(r.height) + " pixels high but the truth refers to a " +
                      std::to_string(t.image_height_px) + "-pixel-high image: analyse the original image",
                  r.source);
    if (t.pixel_size_mm > 0 && std::abs(r.pixel_size_mm - t.pixel_size_mm) > 0.01 * t.pixel_size_mm)
      throw Error(ErrorCode::InvalidData,
                  "result pixel size " + std::to_string(r.pixel_size_mm) + " mm differs from the truth's " +
                      std::to_string(t.pixel_size_mm) + " mm",
                  r.source);
    out.cases.push_back({r, t});
  }
  if (!missing.empty()) {
    if (!options.allow_missing)
      throw Error(ErrorCode::FileNotFound,
                  std::to_string(missing.size()) + " truth image(s) have no result file: " + join_limited(missing) +
                      " (analyse them, restrict with --images, or pass --allow-missing)");
    out.notes.push_back("skipped " + std::to_string(missing.size()) +
                        " truth image(s) with no result (--allow-missing): " + join_limited(missing));
  }
  if (out.cases.empty())
    throw Error(ErrorCode::InvalidData, "no result file matches a truth image: nothing to evaluate");
  return out;
}

}  // namespace calcscope::eval
