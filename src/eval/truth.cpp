// Ground-truth readers: MIAS truth.txt and phantom *.truth.json.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "calcscope/core/error.h"
#include "calcscope/eval/eval.h"

namespace calcscope::eval {

namespace fs = std::filesystem;

std::string to_string(TruthKind kind) { return kind == TruthKind::Mias ? "mias" : "phantom"; }

namespace {

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream is(line);
  std::vector<std::string> out;
  std::string tok;
  while (is >> tok) out.push_back(tok);
  return out;
}

bool parse_number(const std::string& s, double& value) {
  try {
    std::size_t used = 0;
    value = std::stod(s, &used);
    return used == s.size() && std::isfinite(value);
  } catch (const std::exception&) {
    return false;
  }
}

std::string read_text(const fs::path& file) {
  if (!fs::exists(file)) throw Error(ErrorCode::FileNotFound, "truth file does not exist", file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::Unreadable, "cannot open the truth file (check permissions)", file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TruthSet parse_mias_truth(const std::string& text, const std::string& source, int image_height_px) {
  if (image_height_px <= 0)
    throw Error(ErrorCode::Usage, "MIAS image height must be positive", source);
  TruthSet set;
  set.kind = TruthKind::Mias;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto tok = split_ws(line);
    if (tok.empty() || tok[0][0] == '#') continue;
    const std::string where = "line " + std::to_string(line_no) + " (\"" + line + "\")";
    if (tok.size() < 3)
      throw Error(ErrorCode::InvalidData,
                  where + ": expected at least REFNUM TISSUE CLASS; is this a MIAS truth.txt?", source);
    TruthImage& img = set.images[tok[0]];
    img.stem = tok[0];
    img.image_height_px = image_height_px;
    if (tok[2] != "CALC") continue;  // NORM or another kind of abnormality
    img.has_calcifications = true;
    TruthCluster c;
    c.id = std::to_string(img.clusters.size() + 1);
    if (tok.size() < 4)
      throw Error(ErrorCode::InvalidData, where + ": CALC row without SEVERITY (B or M)", source);
    c.severity = tok[3];
    if (c.severity != "B" && c.severity != "M")
      throw Error(ErrorCode::InvalidData, where + ": SEVERITY must be B or M, not '" + c.severity + "'", source);
    if (tok.size() >= 5 && tok[4].rfind("*NOTE", 0) == 0) {
      c.locatable = false;  // calcifications present but no centre given
      img.clusters.push_back(c);
      continue;
    }
    double x = 0, y = 0, r = 0;
    if (tok.size() < 7 || !parse_number(tok[4], x) || !parse_number(tok[5], y) || !parse_number(tok[6], r))
      throw Error(ErrorCode::InvalidData, where + ": CALC row needs numeric X Y RADIUS (or *NOTE 3*)", source);
    if (r <= 0 || x < 0 || y < 0 || y > image_height_px)
      throw Error(ErrorCode::InvalidData,
                  where + ": X Y RADIUS out of range for a " + std::to_string(image_height_px) + "-pixel-high image",
                  source);
    c.x = x;
    c.y = image_height_px - y;  // MIAS origin is the bottom-left corner
    c.radius_px = r;
    img.clusters.push_back(c);
  }
  if (set.images.empty()) throw Error(ErrorCode::InvalidData, "no truth rows found", source);
  return set;
}

TruthSet read_mias_truth(const fs::path& file, int image_height_px) {
  return parse_mias_truth(read_text(file), file.string(), image_height_px);
}

namespace {

const nlohmann::json& need(const nlohmann::json& j, const char* key, const std::string& what,
                           const std::string& source) {
  if (!j.is_object() || !j.contains(key))
    throw Error(ErrorCode::InvalidData, what + " has no \"" + key + "\"", source);
  return j.at(key);
}

double need_number(const nlohmann::json& j, const char* key, const std::string& what, const std::string& source) {
  const auto& v = need(j, key, what, source);
  if (!v.is_number()) throw Error(ErrorCode::InvalidData, what + ": \"" + key + "\" must be a number", source);
  return v.get<double>();
}

double opt_number(const nlohmann::json& j, const char* key, double fallback, const std::string& what,
                  const std::string& source) {
  if (!j.contains(key) || j.at(key).is_null()) return fallback;
  return need_number(j, key, what, source);
}

std::string id_string(const nlohmann::json& j, const std::string& what, const std::string& source) {
  if (!j.contains("id")) throw Error(ErrorCode::InvalidData, what + " has no \"id\"", source);
  const auto& v = j.at("id");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  throw Error(ErrorCode::InvalidData, what + ": \"id\" must be a string or an integer", source);
}

}  // namespace

TruthImage parse_phantom_truth(const nlohmann::json& j, const std::string& stem, const std::string& source) {
  if (!j.is_object() || j.value("kind", std::string()) != "calcscope-phantom-truth")
    throw Error(ErrorCode::InvalidData, "not a phantom truth file (expected \"kind\": \"calcscope-phantom-truth\")",
                source);
  TruthImage img;
  img.stem = stem;
  img.has_calcification_truth = true;
  if (j.contains("image") && j.at("image").is_object()) {
    const auto& im = j.at("image");
    img.pixel_size_mm = opt_number(im, "pixel_size_mm", 0, "image", source);
    img.image_height_px = static_cast<int>(opt_number(im, "height", 0, "image", source));
  }
  const auto& clusters = need(j, "clusters", "phantom truth", source);
  const auto& calcs = need(j, "calcifications", "phantom truth", source);
  if (!clusters.is_array() || !calcs.is_array())
    throw Error(ErrorCode::InvalidData, "\"clusters\" and \"calcifications\" must be arrays", source);
  for (const auto& cj : clusters) {
    const std::string what = "cluster " + (cj.is_object() && cj.contains("id") ? cj.at("id").dump() : "?");
    TruthCluster c;
    c.id = id_string(cj, what, source);
    c.x = need_number(cj, "x", what, source);
    c.y = need_number(cj, "y", what, source);
    const double radius_mm = need_number(cj, "radius_mm", what, source);
    if (radius_mm < 0) throw Error(ErrorCode::InvalidData, what + ": negative radius_mm", source);
    if (img.pixel_size_mm > 0) {
      c.radius_px = radius_mm / img.pixel_size_mm;
    } else if (cj.contains("x_mm") && cj.at("x_mm").is_number() && cj.at("x_mm").get<double>() > 0 && c.x > 0) {
      c.radius_px = radius_mm * c.x / cj.at("x_mm").get<double>();  // pixel size implied by x / x_mm
    } else {
      throw Error(ErrorCode::InvalidData, "image.pixel_size_mm is needed to convert radius_mm", source);
    }
    c.severity = cj.value("severity", std::string());
    if (cj.contains("morphology") && cj.at("morphology").is_string()) c.morphology = cj.at("morphology").get<std::string>();
    img.clusters.push_back(c);
  }
  for (const auto& cj : calcs) {
    const std::string what = "calcification " + (cj.is_object() && cj.contains("id") ? cj.at("id").dump() : "?");
    TruthCalcification t;
    t.id = id_string(cj, what, source);
    t.x = need_number(cj, "x", what, source);
    t.y = need_number(cj, "y", what, source);
    t.diameter_mm = need_number(cj, "diameter_mm", what, source);
    t.length_mm = opt_number(cj, "length_mm", 0, what, source);
    if (cj.contains("angle_deg") && !cj.at("angle_deg").is_null())
      t.angle_deg = need_number(cj, "angle_deg", what, source);
    if (t.diameter_mm < 0 || t.length_mm < 0)
      throw Error(ErrorCode::InvalidData, what + ": negative size", source);
    if (cj.contains("cluster_id") && cj.at("cluster_id").is_number_integer())
      t.cluster_id = std::to_string(cj.at("cluster_id").get<long long>());
    else if (cj.contains("cluster_id") && cj.at("cluster_id").is_string())
      t.cluster_id = cj.at("cluster_id").get<std::string>();
    if (cj.contains("morphology") && cj.at("morphology").is_string()) t.morphology = cj.at("morphology").get<std::string>();
    img.calcifications.push_back(t);
  }
  img.has_calcifications = !img.clusters.empty();
  return img;
}

TruthSet read_phantom_truth(const fs::path& dir) {
  static const std::string suffix = ".truth.json";
  std::vector<fs::path> files;
  if (!fs::exists(dir)) throw Error(ErrorCode::FileNotFound, "phantom truth path does not exist", dir.string());
  if (fs::is_directory(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        files.push_back(e.path());
    }
  } else {
    files.push_back(dir);
  }
  if (files.empty())
    throw Error(ErrorCode::FileNotFound,
                "no <stem>.truth.json files here; write them with `calcscope phantom`", dir.string());
  TruthSet set;
  set.kind = TruthKind::Phantom;
  for (const auto& f : files) {
    std::string stem = f.filename().string();
    if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0)
      stem.resize(stem.size() - suffix.size());
    else
      stem = f.stem().string();
    set.images[stem] = parse_phantom_truth(read_json(f), stem, f.string());
  }
  return set;
}

}  // namespace calcscope::eval
