// Phantom vocabulary (BI-RADS words), the positioning transform and the ground-truth JSON.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "calcscope/core/error.h"
#include "calcscope/phantom/phantom.h"

namespace calcscope {
namespace {

constexpr const char* kTruthKind = "calcscope-phantom-truth";
constexpr const char* kTruthSchemaVersion = "1.0.0";
constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

struct MorphName {
  Morphology m;
  const char* name;
};
constexpr MorphName kMorphNames[] = {
    {Morphology::Punctate, "punctate"},
    {Morphology::Round, "round"},
    {Morphology::Amorphous, "amorphous"},
    {Morphology::CoarseHeterogeneous, "coarse_heterogeneous"},
    {Morphology::FinePleomorphic, "fine_pleomorphic"},
    {Morphology::FineLinearBranching, "fine_linear_branching"},
    {Morphology::CoarsePopcorn, "coarse_popcorn"},
    {Morphology::RodLike, "rod_like"},
    {Morphology::Rim, "rim"},
    {Morphology::Vascular, "vascular"},
    {Morphology::Skin, "skin"},
};
struct DistName {
  Distribution d;
  const char* name;
};
constexpr DistName kDistNames[] = {
    {Distribution::Grouped, "grouped"},     {Distribution::Linear, "linear"},
    {Distribution::Segmental, "segmental"}, {Distribution::Regional, "regional"},
    {Distribution::Diffuse, "diffuse"},
};

/// "Fine-Linear Branching" -> "fine_linear_branching"
std::string normalise_word(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '-' || c == ' ') c = '_';
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

template <typename T>
T get_field(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key))
    throw Error(ErrorCode::InvalidData,
                std::string("phantom truth: missing \"") + key + "\" in " + where +
                    "; the file must follow docs/phantom.md (kind " + kTruthKind + ")");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData,
                std::string("phantom truth: \"") + key + "\" in " + where + " has the wrong type (" + e.what() + ")");
  }
}

}  // namespace

std::string to_string(Morphology m) {
  for (const auto& e : kMorphNames)
    if (e.m == m) return e.name;
  return "unknown";
}

std::string to_string(Distribution d) {
  for (const auto& e : kDistNames)
    if (e.d == d) return e.name;
  return "unknown";
}

Morphology parse_morphology(const std::string& s) {
  const std::string w = normalise_word(s);
  for (const auto& e : kMorphNames)
    if (w == e.name) return e.m;
  if (w == "rodlike") return Morphology::RodLike;
  if (w == "popcorn") return Morphology::CoarsePopcorn;
  std::string list;
  for (const auto& e : kMorphNames) list += std::string(list.empty() ? "" : ", ") + e.name;
  throw Error(ErrorCode::Usage, "unknown calcification morphology '" + s + "'; use one of: " + list);
}

Distribution parse_distribution(const std::string& s) {
  const std::string w = normalise_word(s);
  for (const auto& e : kDistNames)
    if (w == e.name) return e.d;
  if (w == "clustered") return Distribution::Grouped;
  std::string list;
  for (const auto& e : kDistNames) list += std::string(list.empty() ? "" : ", ") + e.name;
  throw Error(ErrorCode::Usage, "unknown calcification distribution '" + s + "'; use one of: " + list);
}

std::pair<double, double> PhantomTransform::apply(double x_mm, double y_mm) const {
  const double a = rotation_deg * kDegToRad, c = std::cos(a), s = std::sin(a);
  const double dx = x_mm - centre_x_mm, dy = y_mm - centre_y_mm;
  return {centre_x_mm + scale * (c * dx - s * dy) + shift_x_mm,
          centre_y_mm + scale * (s * dx + c * dy) + shift_y_mm};
}

std::pair<double, double> PhantomTransform::inverse(double x_mm, double y_mm) const {
  const double a = rotation_deg * kDegToRad, c = std::cos(a), s = std::sin(a);
  const double dx = (x_mm - shift_x_mm - centre_x_mm) / scale, dy = (y_mm - shift_y_mm - centre_y_mm) / scale;
  return {centre_x_mm + c * dx + s * dy, centre_y_mm - s * dx + c * dy};
}

nlohmann::json phantom_truth_to_json(const Phantom& phantom) {
  using nlohmann::json;
  const Image& im = phantom.image;
  json j;
  j["schema_version"] = kTruthSchemaVersion;
  j["kind"] = kTruthKind;
  j["seed"] = phantom.seed;
  if (!phantom.time_point.empty()) j["time_point"] = phantom.time_point;
  j["image"] = {{"width", im.width},
                {"height", im.height},
                {"pixel_size_mm", im.pixel_size_mm},
                {"laterality", im.info.laterality},
                {"view", im.info.view}};
  if (phantom.transform) {
    const auto& t = *phantom.transform;
    j["transform"] = {{"rotation_deg", t.rotation_deg}, {"shift_x_mm", t.shift_x_mm},
                      {"shift_y_mm", t.shift_y_mm},     {"scale", t.scale},
                      {"centre_x_mm", t.centre_x_mm},   {"centre_y_mm", t.centre_y_mm}};
  }
  json clusters = json::array();
  for (const auto& c : phantom.clusters) {
    clusters.push_back({{"id", c.id},
                        {"x", c.x},
                        {"y", c.y},
                        {"x_mm", c.x_mm},
                        {"y_mm", c.y_mm},
                        {"radius_mm", c.radius_mm},
                        {"count", static_cast<int>(c.calcification_ids.size())},
                        {"morphology", to_string(c.morphology)},
                        {"distribution", to_string(c.distribution)},
                        {"calcification_ids", c.calcification_ids},
                        {"change", c.change},
                        {"prior_cluster_id", c.prior_cluster_id}});
  }
  j["clusters"] = std::move(clusters);
  json calcs = json::array();
  for (const auto& c : phantom.calcifications) {
    calcs.push_back({{"id", c.id},
                     {"x", c.x},
                     {"y", c.y},
                     {"x_mm", c.x_mm},
                     {"y_mm", c.y_mm},
                     {"diameter_mm", c.diameter_mm},
                     {"length_mm", c.length_mm},
                     {"morphology", to_string(c.morphology)},
                     {"cluster_id", c.cluster_id}});
  }
  j["calcifications"] = std::move(calcs);
  return j;
}

Phantom phantom_truth_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw Error(ErrorCode::InvalidData, "phantom truth: expected a JSON object (see docs/phantom.md)");
  const auto kind = get_field<std::string>(j, "kind", "the top level");
  if (kind != kTruthKind)
    throw Error(ErrorCode::InvalidData,
                "phantom truth: \"kind\" is '" + kind + "', expected '" + kTruthKind + "'");
  const auto version = get_field<std::string>(j, "schema_version", "the top level");
  if (version.substr(0, 2) != "1.")
    throw Error(ErrorCode::InvalidData,
                "phantom truth: schema_version " + version + " is not supported (this build reads 1.x)");
  Phantom p;
  p.seed = get_field<std::uint64_t>(j, "seed", "the top level");
  p.time_point = j.value("time_point", std::string());
  const auto& im = j.contains("image") ? j.at("image") : nlohmann::json();
  p.image.width = get_field<int>(im, "width", "\"image\"");
  p.image.height = get_field<int>(im, "height", "\"image\"");
  p.image.pixel_size_mm = get_field<double>(im, "pixel_size_mm", "\"image\"");
  p.image.info.laterality = get_field<std::string>(im, "laterality", "\"image\"");
  p.image.info.view = get_field<std::string>(im, "view", "\"image\"");
  p.image.info.format = "phantom";
  if (p.image.width <= 0 || p.image.height <= 0 || !(p.image.pixel_size_mm > 0))
    throw Error(ErrorCode::InvalidData, "phantom truth: image width, height and pixel_size_mm must be positive");
  if (j.contains("transform") && !j.at("transform").is_null()) {
    const auto& t = j.at("transform");
    PhantomTransform tr;
    tr.rotation_deg = get_field<double>(t, "rotation_deg", "\"transform\"");
    tr.shift_x_mm = get_field<double>(t, "shift_x_mm", "\"transform\"");
    tr.shift_y_mm = get_field<double>(t, "shift_y_mm", "\"transform\"");
    tr.scale = get_field<double>(t, "scale", "\"transform\"");
    tr.centre_x_mm = t.value("centre_x_mm", (p.image.width - 1) * p.image.pixel_size_mm / 2.0);
    tr.centre_y_mm = t.value("centre_y_mm", (p.image.height - 1) * p.image.pixel_size_mm / 2.0);
    if (!(tr.scale > 0)) throw Error(ErrorCode::InvalidData, "phantom truth: transform scale must be positive");
    p.transform = tr;
  }
  if (!j.contains("clusters") || !j.at("clusters").is_array() || !j.contains("calcifications") ||
      !j.at("calcifications").is_array())
    throw Error(ErrorCode::InvalidData, "phantom truth: \"clusters\" and \"calcifications\" arrays are required");
  for (const auto& c : j.at("clusters")) {
    PhantomCluster pc;
    const std::string where = "a cluster";
    pc.id = get_field<int>(c, "id", where);
    pc.x = get_field<double>(c, "x", where);
    pc.y = get_field<double>(c, "y", where);
    pc.x_mm = get_field<double>(c, "x_mm", where);
    pc.y_mm = get_field<double>(c, "y_mm", where);
    pc.radius_mm = get_field<double>(c, "radius_mm", where);
    try {
      pc.morphology = parse_morphology(get_field<std::string>(c, "morphology", where));
      pc.distribution = parse_distribution(get_field<std::string>(c, "distribution", where));
    } catch (const Error& e) {
      throw Error(ErrorCode::InvalidData, "phantom truth: " + e.message());
    }
    pc.calcification_ids = get_field<std::vector<int>>(c, "calcification_ids", where);
    pc.change = c.value("change", std::string());
    pc.prior_cluster_id = c.value("prior_cluster_id", 0);
    if (c.contains("count") && c.at("count").get<int>() != static_cast<int>(pc.calcification_ids.size()))
      throw Error(ErrorCode::InvalidData, "phantom truth: cluster " + std::to_string(pc.id) +
                                              " has a count that differs from its calcification_ids");
    p.clusters.push_back(std::move(pc));
  }
  for (const auto& c : j.at("calcifications")) {
    PhantomCalcification pc;
    const std::string where = "a calcification";
    pc.id = get_field<int>(c, "id", where);
    pc.x = get_field<double>(c, "x", where);
    pc.y = get_field<double>(c, "y", where);
    pc.x_mm = get_field<double>(c, "x_mm", where);
    pc.y_mm = get_field<double>(c, "y_mm", where);
    pc.diameter_mm = get_field<double>(c, "diameter_mm", where);
    pc.length_mm = c.value("length_mm", 0.0);
    try {
      pc.morphology = parse_morphology(get_field<std::string>(c, "morphology", where));
    } catch (const Error& e) {
      throw Error(ErrorCode::InvalidData, "phantom truth: " + e.message());
    }
    pc.cluster_id = c.value("cluster_id", 0);
    p.calcifications.push_back(pc);
  }
  return p;
}

}  // namespace calcscope

namespace calcscope {

PhantomClusterSpec parse_cluster_spec(const std::string& text) {
  PhantomClusterSpec spec;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw Error(ErrorCode::Usage, "cluster option '" + item + "' is not key=value (e.g. count=8)");
    const std::string key = normalise_word(item.substr(0, eq)), value = item.substr(eq + 1);
    auto number = [&](double lo, double hi) {
      try {
        std::size_t used = 0;
        const double v = std::stod(value, &used);
        if (used != value.size() || !(v >= lo && v <= hi)) throw std::invalid_argument("range");
        return v;
      } catch (const std::exception&) {
        throw Error(ErrorCode::Usage, "cluster option " + key + "=" + value + ": expected a number from " +
                                          std::to_string(lo) + " to " + std::to_string(hi));
      }
    };
    if (key == "morphology" || key == "type") spec.morphology = parse_morphology(value);
    else if (key == "distribution") spec.distribution = parse_distribution(value);
    else if (key == "count" || key == "n") spec.count = static_cast<int>(number(1, 500));
    else if (key == "diameter" || key == "diameter_mm" || key == "size") spec.mean_diameter_mm = number(0.01, 20);
    else if (key == "extent" || key == "extent_mm") spec.extent_mm = number(0.5, 300);
    else if (key == "x" || key == "x_mm") spec.x_mm = number(0, 1000);
    else if (key == "y" || key == "y_mm") spec.y_mm = number(0, 1000);
    else if (key == "contrast") spec.contrast = number(0.01, 20);
    else
      throw Error(ErrorCode::Usage, "unknown cluster option '" + key +
                                        "'; use morphology, distribution, count, diameter, extent, x, y, contrast");
    if (pos > text.size()) break;
  }
  if ((spec.x_mm >= 0) != (spec.y_mm >= 0))
    throw Error(ErrorCode::Usage, "cluster option: give both x and y (mm) or neither");
  return spec;
}

void write_phantom_truth(const Phantom& phantom, const std::filesystem::path& path) {
  std::ofstream out(path);
  if (!out) throw Error(ErrorCode::OutputFailed, "cannot write the truth file; check the directory exists and is writable", path.string());
  out << phantom_truth_to_json(phantom).dump(2) << "\n";
  if (!out) throw Error(ErrorCode::OutputFailed, "writing the truth file failed (disk full?)", path.string());
}

Phantom read_phantom_truth(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    throw Error(ErrorCode::FileNotFound, "truth file not found", path.string());
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::Unreadable, "cannot open the truth file", path.string());
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::InvalidData, std::string("truth file is not valid JSON: ") + e.what(), path.string());
  }
  try {
    return phantom_truth_from_json(j);
  } catch (const Error& e) {
    throw Error(e.code(), e.message(), path.string());
  }
}

}  // namespace calcscope
