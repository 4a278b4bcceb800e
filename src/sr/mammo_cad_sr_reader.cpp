// Mammography CAD SR reader: our own SRs (round trip) and other systems' (double reading).
//
// The content tree is read straight from the dataset's Content Sequence rather than through
// DSRDocument, so that documents DCMTK would reject for a minor constraint violation (common in
// older CAD output) can still be read. By-reference relationships (Referenced Content Item
// Identifier) are resolved to their targets. Finding codes are accepted in all their historical
// forms: SCT 129769006/129770007, SRT F-01775/F-01776 and the retired DCM 111105/111104.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "dcmtk/config/osconfig.h"  // must come first
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcsequen.h"

#include "calcscope/core/text.h"
#include "calcscope/core/error.h"
#include "calcscope/sr/codes.h"
#include "calcscope/sr/mammo_cad_sr.h"

namespace calcscope {
namespace {

constexpr const char* kMammographyCadSrClass = "1.2.840.10008.5.1.4.1.1.88.50";

/// One content item as stored in the dataset.
struct Node {
  std::string rel, vt;
  SrCodedValue concept_name, code;
  std::string text, observation_uid;
  bool has_num = false;
  double num = 0;
  SrCodedValue units;
  std::string graphic_type;
  std::vector<float> graphic_data;
  std::string ref_class, ref_instance;
  std::vector<int> ref_target;  ///< by-reference relationship: position of the target
  std::vector<int> position;    ///< 1 = root, 1.2 = its second child, ...
  std::vector<Node> children;
  const Node* target = nullptr; ///< resolved ref_target
};

std::string get_string(DcmItem& item, const DcmTagKey& tag) {
  OFString v;
  if (item.findAndGetOFStringArray(tag, v).good()) return valid_utf8(v.c_str());
  return {};
}

SrCodedValue get_code(DcmItem& item, const DcmTagKey& seq_tag) {
  SrCodedValue c;
  DcmItem* code_item = nullptr;
  if (item.findAndGetSequenceItem(seq_tag, code_item, 0).good() && code_item != nullptr) {
    c.value = get_string(*code_item, DCM_CodeValue);
    if (c.value.empty()) c.value = get_string(*code_item, DCM_LongCodeValue);
    if (c.value.empty()) c.value = get_string(*code_item, DCM_URNCodeValue);
    c.scheme = get_string(*code_item, DCM_CodingSchemeDesignator);
    c.meaning = get_string(*code_item, DCM_CodeMeaning);
  }
  return c;
}

void parse_children(DcmItem& item, Node& node);

void parse_item(DcmItem& item, Node& node) {
  node.rel = get_string(item, DCM_RelationshipType);
  node.vt = get_string(item, DCM_ValueType);
  node.concept_name = get_code(item, DCM_ConceptNameCodeSequence);
  node.observation_uid = get_string(item, DCM_ObservationUID);
  if (node.vt == "CODE") node.code = get_code(item, DCM_ConceptCodeSequence);
  if (node.vt == "TEXT") node.text = get_string(item, DCM_TextValue);
  if (node.vt == "DATE") node.text = get_string(item, DCM_Date);
  if (node.vt == "TIME") node.text = get_string(item, DCM_Time);
  if (node.vt == "UIDREF") node.text = get_string(item, DCM_UID);
  if (node.vt == "NUM") {
    DcmItem* mv = nullptr;
    if (item.findAndGetSequenceItem(DCM_MeasuredValueSequence, mv, 0).good() && mv != nullptr) {
      Float64 v = 0;
      if (mv->findAndGetFloat64(DCM_NumericValue, v).good()) {
        node.has_num = true;
        node.num = v;
      }
      node.units = get_code(*mv, DCM_MeasurementUnitsCodeSequence);
    }
  }
  if (node.vt == "SCOORD") {
    node.graphic_type = get_string(item, DCM_GraphicType);
    const Float32* data = nullptr;
    unsigned long count = 0;
    if (item.findAndGetFloat32Array(DCM_GraphicData, data, &count).good() && data != nullptr) {
      node.graphic_data.assign(data, data + count);
    }
  }
  if (node.vt == "IMAGE" || node.vt == "COMPOSITE") {
    DcmItem* ref = nullptr;
    if (item.findAndGetSequenceItem(DCM_ReferencedSOPSequence, ref, 0).good() && ref != nullptr) {
      node.ref_class = get_string(*ref, DCM_ReferencedSOPClassUID);
      node.ref_instance = get_string(*ref, DCM_ReferencedSOPInstanceUID);
    }
  }
  if (DcmElement* ids = nullptr; item.findAndGetElement(DCM_ReferencedContentItemIdentifier, ids).good() && ids) {
    for (unsigned long i = 0; i < ids->getVM(); ++i) {
      Uint32 v = 0;
      if (ids->getUint32(v, i).good()) node.ref_target.push_back(static_cast<int>(v));
    }
  }
  parse_children(item, node);
}

void parse_children(DcmItem& item, Node& node) {
  DcmSequenceOfItems* seq = nullptr;
  if (item.findAndGetSequence(DCM_ContentSequence, seq).bad() || seq == nullptr) return;
  node.children.resize(seq->card());
  for (unsigned long i = 0; i < seq->card(); ++i) {
    Node& child = node.children[i];
    child.position = node.position;
    child.position.push_back(static_cast<int>(i + 1));
    parse_item(*seq->getItem(i), child);
  }
}

void index_positions(const Node& node, std::map<std::vector<int>, const Node*>& index) {
  index[node.position] = &node;
  for (const Node& c : node.children) index_positions(c, index);
}

void resolve_references(Node& node, const std::map<std::vector<int>, const Node*>& index,
                        std::vector<std::string>& warnings) {
  if (!node.ref_target.empty()) {
    const auto it = index.find(node.ref_target);
    if (it != index.end()) {
      node.target = it->second;
    } else {
      warnings.push_back("a by-reference relationship points to a content item that does not exist; ignored");
    }
  }
  for (Node& c : node.children) resolve_references(c, index, warnings);
}

bool is(const SrCodedValue& c, const sr::Code& k) { return c.value == k.value && c.scheme == k.scheme; }

/// The item a child stands for: itself, or the target of a by-reference relationship.
const Node& effective(const Node& child) { return child.target != nullptr ? *child.target : child; }

PointPx to_calcscope(float column, float row) { return PointPx{column - 0.5, row - 0.5}; }

std::vector<PointPx> points_of(const Node& scoord) {
  std::vector<PointPx> pts;
  for (std::size_t i = 0; i + 1 < scoord.graphic_data.size(); i += 2) {
    pts.push_back(to_calcscope(scoord.graphic_data[i], scoord.graphic_data[i + 1]));
  }
  return pts;
}

/// Centre of a SCOORD of any graphic type.
bool centre_of(const Node& scoord, PointPx& out) {
  const std::vector<PointPx> pts = points_of(scoord);
  if (pts.empty()) return false;
  if (scoord.graphic_type == "POINT" || scoord.graphic_type == "CIRCLE") {
    out = pts.front();  // CIRCLE: first point is the centre
    return true;
  }
  std::size_t n = pts.size();
  if (n > 1 && std::abs(pts.front().x - pts.back().x) < 1e-6 && std::abs(pts.front().y - pts.back().y) < 1e-6) --n;
  double x = 0, y = 0;
  for (std::size_t i = 0; i < n; ++i) {
    x += pts[i].x;
    y += pts[i].y;
  }
  out = PointPx{x / n, y / n};
  return true;
}

/// The image a SCOORD is SELECTED FROM (by value or by reference).
std::string selected_image(const Node& scoord) {
  for (const Node& c : scoord.children) {
    const Node& e = effective(c);
    if (c.rel == "SELECTED FROM" && e.vt == "IMAGE") return e.ref_instance;
  }
  return {};
}

double percent(const Node& num, std::vector<std::string>& warnings) {
  if (num.units.value == "%") return num.num;
  if (num.units.value == "1" || num.units.value == "{ratio}") return num.num * 100.0;
  warnings.push_back("unexpected unit '" + num.units.value + "' for a percentage; value taken as percent");
  return num.num;
}

std::string status_word(const SrCodedValue& c) {
  for (const sr::Code& k : {sr::kSucceeded, sr::kPartiallySucceeded, sr::kFailed, sr::kNotAttempted}) {
    if (is(c, k)) return std::string(k.meaning);
  }
  return c.meaning;
}

class Interpreter {
 public:
  explicit Interpreter(SrContent& out) : out_(out) {}

  void run(const Node& root) {
    for (const Node& c : root.children) {
      if (c.vt == "CONTAINER" && is(c.concept_name, sr::kImageLibrary)) read_library(c, {}, {});
    }
    for (const Node& c : root.children) {
      if (is(c.concept_name, sr::kCadProcessingAndFindingsSummary)) {
        out_.findings_summary = c.code;
        out_.with_findings = is(c.code, sr::kAllSucceededWithFindings) || is(c.code, sr::kNotAllSucceededWithFindings) ||
                             (c.code.meaning.find("with findings") != std::string::npos);
        walk(c);
      } else if (is(c.concept_name, sr::kSummaryOfDetections)) {
        out_.detections_status = status_word(c.code);
        read_runs(c, "detection");
      } else if (is(c.concept_name, sr::kSummaryOfAnalyses)) {
        out_.analyses_status = status_word(c.code);
        read_runs(c, "analysis");
      }
    }
    link_composites();
    if (ignored_findings_ > 0) {
      out_.warnings.push_back(std::to_string(ignored_findings_) +
                              " single image findings of other types (masses, density, ...) were not read");
    }
  }

 private:
  // ---- Image Library (TID 4020 entries, optionally inside Image Library Groups) -----------------
  void read_library(const Node& container, std::string laterality, std::string view) {
    acq_context(container, laterality, view, nullptr);
    for (const Node& c : container.children) {
      if (c.vt == "IMAGE") {
        SrImageEntry e;
        e.sop_class_uid = c.ref_class;
        e.sop_instance_uid = c.ref_instance;
        e.laterality = laterality;
        e.view = view;
        acq_context(c, e.laterality, e.view, &e);
        out_.images.push_back(e);
      } else if (c.vt == "CONTAINER") {
        read_library(c, laterality, view);
      }
    }
  }

  void acq_context(const Node& node, std::string& laterality, std::string& view, SrImageEntry* entry) {
    for (const Node& a : node.children) {
      if (a.rel != "HAS ACQ CONTEXT") continue;
      if (is(a.concept_name, sr::kImageLaterality)) {
        if (const sr::Term* t = sr::find_term_by_code(sr::laterality_terms(), a.code.value, a.code.scheme, a.code.meaning)) {
          laterality = std::string(t->word);
        }
      } else if (is(a.concept_name, sr::kImageView)) {
        if (const sr::Term* t = sr::find_term_by_code(sr::view_terms(), a.code.value, a.code.scheme, a.code.meaning)) {
          view = std::string(t->word);
        }
      } else if (entry != nullptr && is(a.concept_name, sr::kStudyDate)) {
        entry->study_date = a.text;
      } else if (entry != nullptr && is(a.concept_name, sr::kHorizontalPixelSpacing) && a.has_num) {
        entry->pixel_spacing_mm = a.units.value == "um" ? a.num / 1000.0 : a.num;
      }
    }
  }

  // ---- findings ------------------------------------------------------------------------------
  void walk(const Node& node) {
    for (const Node& c : node.children) {
      if (c.target != nullptr) continue;  // by-reference: its target is visited where it lives
      if (c.vt == "CODE" && is(c.concept_name, sr::kSingleImageFinding)) {
        finding(c);
      } else {
        if (c.vt == "CODE" && is(c.concept_name, sr::kCompositeFeature)) composites_.push_back(&c);
        walk(c);
      }
    }
  }

  void finding(const Node& f) {
    if (visited_.count(&f) != 0) return;
    visited_.insert(&f);
    if (sr::is_calcification_cluster(f.code.value, f.code.scheme, f.code.meaning)) {
      cluster(f);
    } else if (sr::is_individual_calcification(f.code.value, f.code.scheme, f.code.meaning)) {
      out_.calcifications.push_back(calcification(f));
    } else {
      ++ignored_findings_;
      walk(f);  // e.g. a mass finding with calcification children
    }
  }

  /// Common properties of a finding item (TID 4006 / 4019 / 4021 / 4009 / 4010).
  template <typename T>
  void properties(const Node& f, T& out, std::string& parameters) {
    for (const Node& child : f.children) {
      const Node& c = effective(child);
      if (is(c.concept_name, sr::kRenderingIntent)) {
        out.rendering_intent = sr::rendering_intent_word(c.code.value, c.code.scheme);
        if (out.rendering_intent.empty()) out.rendering_intent = c.code.meaning;
      } else if (is(c.concept_name, sr::kCenter) && c.vt == "SCOORD") {
        out.has_centre = centre_of(c, out.centre);
        if (out.image_sop_instance_uid.empty()) out.image_sop_instance_uid = selected_image(c);
      } else if (is(c.concept_name, sr::kOutline) && c.vt == "SCOORD") {
        out.outline = points_of(c);
        if (out.image_sop_instance_uid.empty()) out.image_sop_instance_uid = selected_image(c);
      } else if (is(c.concept_name, sr::kCalcificationType) && c.vt == "CODE") {
        out.type_code = c.code;
        if (const sr::Term* t = sr::find_term_by_code(sr::calcification_type_terms(), c.code.value, c.code.scheme,
                                                      c.code.meaning)) {
          out.type = std::string(t->word);
        }
      } else if (is(c.concept_name, sr::kAlgorithmParameters)) {
        parameters = c.text;
      }
    }
    if (!out.has_centre && !out.outline.empty()) {
      double x = 0, y = 0;
      for (const PointPx& p : out.outline) {
        x += p.x;
        y += p.y;
      }
      out.centre = PointPx{x / out.outline.size(), y / out.outline.size()};
      out.has_centre = true;
    }
  }

  SrCalcification calcification(const Node& f) {
    SrCalcification k;
    std::string parameters;
    properties(f, k, parameters);
    for (const Node& child : f.children) {
      const Node& c = effective(child);
      if (c.vt == "NUM" && c.has_num && (is(c.concept_name, sr::kDiameter) || c.concept_name.meaning == "Diameter")) {
        k.diameter_mm = c.units.value == "um" ? c.num / 1000.0 : c.num;
      }
    }
    return k;
  }

  void cluster(const Node& f) {
    SrCluster cl;
    cl.index = static_cast<int>(out_.clusters.size()) + 1;
    cl.cluster_id = cl.index;
    cl.finding_code = f.code;
    cl.observation_uid = f.observation_uid;
    std::string parameters;
    properties(f, cl, parameters);
    if (const auto pos = parameters.find("cluster_id="); pos != std::string::npos) {
      try {
        cl.cluster_id = std::stoi(parameters.substr(pos + 11));
      } catch (const std::exception&) {
        out_.warnings.push_back("unreadable cluster_id in Algorithm Parameters '" + parameters + "'");
      }
    }
    for (const Node& child : f.children) {
      const Node& c = effective(child);
      if (is(c.concept_name, sr::kAlgorithmName)) {
        cl.algorithm_name = c.text;
      } else if (is(c.concept_name, sr::kAlgorithmVersion)) {
        cl.algorithm_version = c.text;
      } else if (c.vt == "NUM" && c.has_num && is(c.concept_name, sr::kNumberOfCalcifications)) {
        cl.number_of_calcifications = static_cast<int>(std::lround(c.num));
      } else if (c.vt == "NUM" && c.has_num && is(c.concept_name, sr::kProbabilityOfCancer)) {
        cl.probability_of_cancer_percent = percent(c, out_.warnings);
      } else if (c.vt == "NUM" && c.has_num && is(c.concept_name, sr::kCertaintyOfFinding)) {
        cl.certainty_percent = percent(c, out_.warnings);
      } else if (c.vt == "CODE" && is(c.concept_name, sr::kCalcificationDistribution)) {
        cl.distribution_code = c.code;
        if (const sr::Term* t = sr::find_term_by_code(sr::calcification_distribution_terms(), c.code.value,
                                                      c.code.scheme, c.code.meaning)) {
          cl.distribution = std::string(t->word);
        }
      } else if (c.vt == "CODE" && is(c.concept_name, sr::kSingleImageFinding) &&
                 sr::is_individual_calcification(c.code.value, c.code.scheme, c.code.meaning)) {
        visited_.insert(&c);
        SrCalcification k = calcification(c);
        if (k.image_sop_instance_uid.empty()) k.image_sop_instance_uid = cl.image_sop_instance_uid;
        cl.calcifications.push_back(std::move(k));
      }
    }
    if (cl.image_sop_instance_uid.empty() && out_.images.size() == 1) {
      cl.image_sop_instance_uid = out_.images.front().sop_instance_uid;
    }
    cluster_of_[&f] = cl.index;
    out_.clusters.push_back(std::move(cl));
  }

  /// Composite Features (TID 4004/4005): "related spatially" become pairs of cluster indices,
  /// "related temporally" become temporal links (their prior members move to prior_clusters).
  void link_composites() {
    std::set<int> prior_members;
    for (const Node* feature : composites_) {
      bool spatial = false, temporal = false;
      std::vector<int> members;
      std::string parameters;
      std::optional<int> difference_count;
      std::optional<double> difference_location_mm;
      for (const Node& child : feature->children) {
        const Node& c = effective(child);
        if (is(c.concept_name, sr::kCompositeType)) {
          spatial = is(c.code, sr::kRelatedSpatially);
          temporal = is(c.code, sr::kRelatedTemporally);
        } else if (is(c.concept_name, sr::kAlgorithmParameters)) {
          parameters = c.text;
        } else if (c.vt == "NUM" && c.has_num &&
                   (is(c.concept_name, sr::kDifferenceInNumberOfCalcifications) ||
                    is(c.concept_name, sr::kDifferenceInNumberOfCalcificationsSrt))) {
          difference_count = static_cast<int>(std::lround(c.num));
        } else if (c.vt == "NUM" && c.has_num &&
                   (is(c.concept_name, sr::kDifferenceInLocation) || is(c.concept_name, sr::kDifferenceInLocationSrt))) {
          difference_location_mm = c.units.value == "um" ? c.num / 1000.0 : c.units.value == "cm" ? c.num * 10.0 : c.num;
        } else if (child.rel == "INFERRED FROM") {
          const auto it = cluster_of_.find(&c);
          if (it != cluster_of_.end()) members.push_back(it->second);
        }
      }
      if (temporal) {
        read_temporal(members, parameters, difference_count, difference_location_mm, prior_members);
        continue;
      }
      if (!spatial) continue;
      for (std::size_t i = 0; i < members.size(); ++i) {
        for (std::size_t j = i + 1; j < members.size(); ++j) out_.spatial_links.emplace_back(members[i], members[j]);
      }
    }
    separate_prior_clusters(prior_members);
  }

  /// "key=value" words of calcscope's Algorithm Parameters.
  static std::map<std::string, std::string> parameter_words(const std::string& text) {
    std::map<std::string, std::string> kv;
    std::istringstream in(text);
    for (std::string word; in >> word;) {
      const auto eq = word.find('=');
      if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
    }
    return kv;
  }

  std::string study_date_of(const std::string& image_uid) const {
    for (const SrImageEntry& e : out_.images) {
      if (e.sop_instance_uid == image_uid) return e.study_date;
    }
    return {};
  }

  /// One temporal Composite Feature. Members on the prior image (named by calcscope's parameters, or
  /// with an older Study Date in the Image Library) are prior findings; the others are current.
  void read_temporal(const std::vector<int>& members, const std::string& parameters, std::optional<int> difference_count,
                     std::optional<double> difference_location_mm, std::set<int>& prior_members) {
    std::map<std::string, std::string> kv = parameter_words(parameters);
    std::string newest;  // the current exam: the newest Study Date of the Image Library
    for (const SrImageEntry& e : out_.images) newest = std::max(newest, e.study_date);
    std::vector<int> now, then;
    for (int m : members) {
      const SrCluster& c = out_.clusters[static_cast<std::size_t>(m - 1)];
      const std::string date = study_date_of(c.image_sop_instance_uid);
      bool prior = false;
      if (!kv["prior_sop_instance_uid"].empty()) {
        prior = c.image_sop_instance_uid == kv["prior_sop_instance_uid"];
      } else if (!kv["current_sop_instance_uid"].empty()) {
        prior = c.image_sop_instance_uid != kv["current_sop_instance_uid"];
      } else if (!date.empty() && !newest.empty()) {
        prior = date < newest;
      } else if (!now.empty()) {
        prior = true;  // no dates, no parameters: the first member is taken as the current one
      }
      (prior ? then : now).push_back(m);
    }
    if (now.size() > 1 || then.size() > 1) {
      out_.warnings.push_back("a temporal Composite Feature has " + std::to_string(now.size()) + " current and " +
                              std::to_string(then.size()) + " prior members; the first of each is linked");
    }
    SrTemporalLink link;
    if (!now.empty()) {
      const SrCluster& c = out_.clusters[static_cast<std::size_t>(now.front() - 1)];
      link.current = {c.image_sop_instance_uid, c.cluster_id};
    } else {
      link.current.sop_instance_uid = kv["current_sop_instance_uid"];
    }
    if (!then.empty()) {
      const SrCluster& c = out_.clusters[static_cast<std::size_t>(then.front() - 1)];
      link.prior_sop_instance_uid = c.image_sop_instance_uid;
      link.prior_cluster_id = c.cluster_id;
    } else {
      link.prior_sop_instance_uid = kv["prior_sop_instance_uid"];
      if (!kv["prior_cluster_id"].empty()) {
        try {
          link.prior_cluster_id = std::stoi(kv["prior_cluster_id"]);
        } catch (const std::exception&) {
          out_.warnings.push_back("unreadable prior_cluster_id in Algorithm Parameters '" + parameters + "'");
        }
      }
    }
    for (const SrImageEntry& e : out_.images) {
      if (e.sop_instance_uid == link.prior_sop_instance_uid) link.prior_sop_class_uid = e.sop_class_uid;
    }
    if (link.prior_sop_class_uid.empty()) link.prior_sop_class_uid = kv["prior_sop_class_uid"];
    link.difference_in_number_of_calcifications = difference_count;
    link.difference_in_location_mm = difference_location_mm;
    link.change = kv["change"];
    for (int m : then) prior_members.insert(m);
    out_.temporal_links.push_back(std::move(link));
  }

  /// Moves the prior findings out of SrContent::clusters (renumbering the rest and the spatial links)
  /// and marks the images only the priors are on.
  void separate_prior_clusters(const std::set<int>& prior_members) {
    std::map<int, int> renumber;
    std::vector<SrCluster> current;
    for (SrCluster& c : out_.clusters) {
      if (prior_members.count(c.index) != 0) {
        c.index = static_cast<int>(out_.prior_clusters.size()) + 1;
        out_.prior_clusters.push_back(std::move(c));
      } else {
        renumber[c.index] = static_cast<int>(current.size()) + 1;
        c.index = renumber[c.index];
        current.push_back(std::move(c));
      }
    }
    out_.clusters = std::move(current);
    std::vector<std::pair<int, int>> links;
    for (const auto& [a, b] : out_.spatial_links) {
      if (renumber.count(a) != 0 && renumber.count(b) != 0) links.emplace_back(renumber[a], renumber[b]);
    }
    out_.spatial_links = std::move(links);
    std::set<std::string> prior_images, current_images;
    for (const SrTemporalLink& l : out_.temporal_links) prior_images.insert(l.prior_sop_instance_uid);
    for (const SrCluster& c : out_.prior_clusters) prior_images.insert(c.image_sop_instance_uid);
    for (const SrCluster& c : out_.clusters) current_images.insert(c.image_sop_instance_uid);
    for (const SrTemporalLink& l : out_.temporal_links) current_images.insert(l.current.sop_instance_uid);
    for (SrImageEntry& e : out_.images) {
      e.prior = prior_images.count(e.sop_instance_uid) != 0 && current_images.count(e.sop_instance_uid) == 0;
    }
  }

  // ---- Summary of Detections / Analyses (TID 4015-4018) -----------------------------------------
  void read_runs(const Node& summary, const std::string& kind) {
    for (const Node& container : summary.children) {
      const Node& box = effective(container);
      if (box.vt != "CONTAINER") continue;
      const bool ok = is(box.concept_name, sr::kSuccessfulDetections) || is(box.concept_name, sr::kSuccessfulAnalyses);
      for (const Node& run_node : box.children) {
        if (run_node.vt != "CODE") continue;
        SrAlgorithmRun run;
        run.kind = kind;
        run.status = ok ? "Succeeded" : "Failed";
        run.what = run_node.code;
        for (const Node& a : run_node.children) {
          const Node& e = effective(a);
          if (is(e.concept_name, sr::kAlgorithmName)) run.algorithm_name = e.text;
          if (is(e.concept_name, sr::kAlgorithmVersion)) run.algorithm_version = e.text;
        }
        out_.algorithms.push_back(run);
      }
    }
  }

  SrContent& out_;
  std::set<const Node*> visited_;
  std::map<const Node*, int> cluster_of_;
  std::vector<const Node*> composites_;
  int ignored_findings_ = 0;
};

}  // namespace

SrContent read_mammo_cad_sr(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(ErrorCode::FileNotFound, "the SR file does not exist; check the path", path.string());
  }
  DcmFileFormat file;
  const OFCondition loaded = file.loadFile(path.string().c_str());
  if (loaded.bad()) {
    throw Error(ErrorCode::Unreadable,
                std::string("cannot read the file as DICOM (") + loaded.text() + "); give a DICOM SR file",
                path.string());
  }
  DcmDataset& ds = *file.getDataset();
  SrContent out;
  out.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  out.sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
  out.series_instance_uid = get_string(ds, DCM_SeriesInstanceUID);
  out.study_instance_uid = get_string(ds, DCM_StudyInstanceUID);
  out.patient_id = get_string(ds, DCM_PatientID);
  out.patient_name = get_string(ds, DCM_PatientName);
  out.manufacturer = get_string(ds, DCM_Manufacturer);
  out.content_date = get_string(ds, DCM_ContentDate);
  out.content_time = get_string(ds, DCM_ContentTime);

  Node root;
  root.position = {1};
  root.vt = get_string(ds, DCM_ValueType);
  root.concept_name = get_code(ds, DCM_ConceptNameCodeSequence);
  if (root.vt != "CONTAINER" || !is(root.concept_name, sr::kMammographyCadReport)) {
    throw Error(ErrorCode::InvalidData,
                "not a Mammography CAD SR: the document root is not (111036, DCM, \"Mammography CAD Report\")"
                " (SOP Class " + out.sop_class_uid + ")",
                path.string());
  }
  if (out.sop_class_uid != kMammographyCadSrClass) {
    out.warnings.push_back("SOP Class " + out.sop_class_uid + " is not Mammography CAD SR; read by its root concept");
  }
  parse_children(ds, root);
  std::map<std::vector<int>, const Node*> index;
  index_positions(root, index);
  resolve_references(root, index, out.warnings);
  Interpreter(out).run(root);
  return out;
}

}  // namespace calcscope
