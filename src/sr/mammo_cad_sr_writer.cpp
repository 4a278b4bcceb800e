// Mammography CAD SR writer: builds the TID 4000 content tree with DCMTK's dcmsr.
//
// DCMTK has no TID 4000 builder, so the tree is assembled here item by item. Every item is
// added through DSRDocumentTree, which checks it against the Mammography CAD SR IOD relationship
// constraints (PS3.3 Table A.35.5-2, DSRMammographyCadSRConstraintChecker) and refuses invalid
// ones; the finished document is read back by DCMTK before it is saved.
// Row numbers refer to the tables of PS3.16; docs/sr.md shows the resulting tree.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "dcmtk/config/osconfig.h"  // must come first
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcvrda.h"
#include "dcmtk/dcmdata/dcvrtm.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include "calcscope/core/error.h"
#include "calcscope/sr/codes.h"
#include "calcscope/sr/mammo_cad_sr.h"

namespace calcscope {
namespace {

using DT = DSRTypes;
constexpr const char* kDigitalMammographyForPresentation = "1.2.840.10008.5.1.4.1.1.1.2";

/// A non-empty, valid DICOM date (DA: YYYYMMDD) / time (TM: HHMMSS.FFFFFF, parts optional).
bool valid_da(const std::string& v) { return !v.empty() && DcmDate::checkStringValue(v.c_str(), "1").good(); }
bool valid_tm(const std::string& v) { return !v.empty() && DcmTime::checkStringValue(v.c_str(), "1").good(); }

DSRCodedEntryValue coded(const sr::Code& c) {
  return DSRCodedEntryValue(OFString(c.value.data(), c.value.size()), OFString(c.scheme.data(), c.scheme.size()),
                            OFString(c.meaning.data(), c.meaning.size()));
}

/// Decimal String value (at most 16 characters).
std::string ds(double v) {
  char buf[32];
  for (int precision = 8; precision >= 1; --precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::string(buf).size() <= 16) break;
  }
  return buf;
}

std::string new_uid() {
  char buf[100];
  dcmGenerateUniqueIdentifier(buf, SITE_INSTANCE_UID_ROOT);
  return buf;
}

bool has_non_ascii(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

/// Wraps DSRDocumentTree's cursor API: every add names its parent, every failure throws.
class TreeBuilder {
 public:
  explicit TreeBuilder(DSRDocumentTree& tree) : tree_(tree) {}

  size_t root(const sr::Code& concept_name) {
    const size_t id = tree_.addContentItem(DT::RT_isRoot, DT::VT_Container);
    if (id == 0) fail("root CONTAINER");
    check(tree_.getCurrentContentItem().setConceptName(coded(concept_name)), "root concept name");
    return id;
  }

  size_t add(size_t parent, DT::E_RelationshipType rel, DT::E_ValueType vt, const sr::Code* concept_name,
             const char* what) {
    if (tree_.gotoNode(parent) == 0) fail(what);
    const size_t id = tree_.addContentItem(rel, vt, DT::AM_belowCurrent);
    if (id == 0) fail(what);
    if (concept_name != nullptr) check(tree_.getCurrentContentItem().setConceptName(coded(*concept_name)), what);
    return id;
  }

  size_t container(size_t parent, DT::E_RelationshipType rel, const sr::Code& concept_name) {
    return add(parent, rel, DT::VT_Container, &concept_name, "CONTAINER");
  }

  size_t code(size_t parent, DT::E_RelationshipType rel, const sr::Code& concept_name, const sr::Code& value) {
    const size_t id = add(parent, rel, DT::VT_Code, &concept_name, "CODE");
    check(tree_.getCurrentContentItem().setCodeValue(coded(value)), "CODE value");
    return id;
  }

  size_t text(size_t parent, DT::E_RelationshipType rel, const sr::Code& concept_name, const std::string& value) {
    const size_t id = add(parent, rel, DT::VT_Text, &concept_name, "TEXT");
    check(tree_.getCurrentContentItem().setStringValue(value.c_str()), "TEXT value");
    return id;
  }

  size_t date_or_time(size_t parent, DT::E_ValueType vt, const sr::Code& concept_name, const std::string& value) {
    const size_t id = add(parent, DT::RT_hasAcqContext, vt, &concept_name, "DATE/TIME");
    check(tree_.getCurrentContentItem().setStringValue(value.c_str()), "DATE/TIME value");
    return id;
  }

  size_t num(size_t parent, DT::E_RelationshipType rel, const sr::Code& concept_name, double value,
             const sr::Code& unit) {
    const size_t id = add(parent, rel, DT::VT_Num, &concept_name, "NUM");
    check(tree_.getCurrentContentItem().setNumericValue(DSRNumericMeasurementValue(ds(value).c_str(), coded(unit))),
          "NUM value");
    return id;
  }

  size_t scoord(size_t parent, const sr::Code& concept_name, DT::E_GraphicType type, const std::vector<PointPx>& pts) {
    const size_t id = add(parent, DT::RT_hasProperties, DT::VT_SCoord, &concept_name, "SCOORD");
    DSRSpatialCoordinatesValue value(type);
    // PS3.3 C.18.6.1.2: (0,0) is the top left corner of the top left pixel, so the centre of
    // pixel (i, j) is (i + 0.5, j + 0.5); calcscope's pixel coordinates put it at (i, j).
    for (const PointPx& p : pts) {
      value.getGraphicDataList().addItem(static_cast<Float32>(p.x + 0.5), static_cast<Float32>(p.y + 0.5));
    }
    check(tree_.getCurrentContentItem().setSpatialCoordinates(value), "SCOORD value");
    return id;
  }

  size_t image(size_t parent, const std::string& sop_class, const std::string& sop_instance) {
    const size_t id = add(parent, DT::RT_contains, DT::VT_Image, nullptr, "IMAGE");
    // the UIDs come from the input's header: one DCMTK refuses (damaged, or a SOP class that is not
    // an image) is the input's fault, not a writer bug
    const OFCondition c = tree_.getCurrentContentItem().setImageReference(
        DSRImageReferenceValue(sop_class.c_str(), sop_instance.c_str()));
    if (c.bad())
      throw Error(ErrorCode::InvalidData, "the SR cannot reference the image (SOP Class UID '" + sop_class +
                                              "', SOP Instance UID '" + sop_instance + "'): " + c.text() +
                                              " (check the input DICOM header)");
    return id;
  }

  void observation_uid(size_t node, const std::string& uid) {
    if (tree_.gotoNode(node) == 0) fail("observation UID");
    check(tree_.getCurrentContentItem().setObservationUID(uid.c_str()), "observation UID");
  }

  void template_id(size_t node, const char* tid) {
    if (tree_.gotoNode(node) == 0) fail("template identification");
    check(tree_.getCurrentContentItem().setTemplateIdentification(tid, "DCMR"), "template identification");
  }

  /// By-reference relationship (PS3.3 C.17.3.2.4), e.g. R-SELECTED FROM an Image Library entry.
  void reference(size_t source, DT::E_RelationshipType rel, size_t target) {
    if (tree_.gotoNode(source) == 0) fail("by-reference relationship");
    if (tree_.addByReferenceRelationship(rel, target) == 0) fail("by-reference relationship");
  }

 private:
  [[noreturn]] static void fail(const char* what) {
    throw Error(ErrorCode::Internal,
                std::string("DCMTK refused to add a ") + what +
                    " to the Mammography CAD SR content tree (relationship constraint of PS3.3 A.35.5); "
                    "this is a bug in the SR writer, please report it");
  }
  static void check(const OFCondition& cond, const char* what) {
    if (cond.bad()) {
      throw Error(ErrorCode::Internal, std::string("DCMTK rejected the ") + what + " of an SR content item: " +
                                           cond.text() + " (a bug in the SR writer, please report it)");
    }
  }

  DSRDocumentTree& tree_;
};

/// Union-find over clusters to group CC-MLO links into connected sets.
struct Groups {
  std::vector<int> parent;
  explicit Groups(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int i) { return parent[i] == i ? i : parent[i] = find(parent[i]); }
  void join(int a, int b) { parent[find(a)] = find(b); }
};

struct ClusterSlot {
  std::size_t image = 0;
  const Cluster* cluster = nullptr;
  const ClusterDescription* description = nullptr;
};

/// A temporal link checked against the inputs.
struct TemporalSlot {
  const SrTemporalLink* link = nullptr;
  int current_slot = -1;   ///< index into the current clusters, -1 = resolved (nothing now)
  int prior_image = -1;    ///< index into SrWriteOptions::prior_images, -1 = not given
  const Cluster* prior_cluster = nullptr;  ///< null = no counterpart (new finding)
  const ClusterDescription* prior_description = nullptr;
};

class Writer {
 public:
  Writer(const std::vector<SrImageInput>& images, const std::vector<SrSpatialLink>& links,
         const SrWriteOptions& options, SrWriteSummary& summary)
      : images_(images), links_(links), opt_(options), summary_(summary) {}

  void run(const std::filesystem::path& out) {
    validate_and_fill_identity();
    DSRDocument doc(DT::DT_MammographyCadSR);
    fill_header(doc);
    TreeBuilder b(doc.getTree());
    build_tree(b);
    save(doc, out);
  }

 private:
  // ---- input checks ----------------------------------------------------------------------
  void validate_and_fill_identity() {
    if (images_.empty()) throw Error(ErrorCode::Usage, "write_mammo_cad_sr needs at least one analysed image");
    for (std::size_t i = 0; i < images_.size(); ++i) {
      identity(images_[i], "image " + std::to_string(i), sop_class_, sop_instance_, series_instance_);
    }
    for (std::size_t i = 0; i < opt_.prior_images.size(); ++i) {
      identity(opt_.prior_images[i], "prior image " + std::to_string(i), prior_sop_class_, prior_sop_instance_,
               prior_series_instance_);
    }
    const ImageInfo& first = images_.front().info;
    study_uid_ = first.study_instance_uid;
    if (study_uid_.empty()) {
      if (!opt_.allow_missing_uids) {
        throw Error(ErrorCode::InvalidData, "the image has no Study Instance UID, so the SR has no study to join",
                    first.source_path);
      }
      study_uid_ = new_uid();
      summary_.warnings.push_back("no Study Instance UID; invented one");
    }
    for (std::size_t i = 1; i < images_.size(); ++i) {
      if (!images_[i].info.study_instance_uid.empty() && images_[i].info.study_instance_uid != study_uid_) {
        summary_.warnings.push_back("image " + std::to_string(i) +
                                    " belongs to another study; the SR is written into the first image's study");
      }
    }
    // clusters, in image order then result order
    for (std::size_t i = 0; i < images_.size(); ++i) {
      const SrImageInput& in = images_[i];
      for (const Cluster& c : in.result->clusters) {
        ClusterSlot slot{i, &c, nullptr};
        if (in.description != nullptr) {
          for (const ClusterDescription& d : in.description->clusters) {
            if (d.cluster_id == c.id) slot.description = &d;
          }
        }
        slots_.push_back(slot);
      }
    }
    // links -> groups
    Groups groups(slots_.size());
    for (const SrSpatialLink& link : links_) {
      const int a = slot_of(link.first), b = slot_of(link.second);
      if (a == b) throw Error(ErrorCode::Usage, "a spatial link joins cluster " + std::to_string(link.first.cluster_id) + " to itself");
      groups.join(a, b);
      ++summary_.spatial_links;
    }
    std::map<int, std::vector<int>> by_root;
    for (int i = 0; i < static_cast<int>(slots_.size()); ++i) by_root[groups.find(i)].push_back(i);
    for (auto& [root, members] : by_root) groups_.push_back(members);
    std::sort(groups_.begin(), groups_.end());  // document order follows image/cluster order
    resolve_temporal_links();
  }

  /// SOP Class/Instance and Series Instance UID of one image (invented when allowed).
  void identity(const SrImageInput& in, const std::string& label, std::vector<std::string>& classes,
                std::vector<std::string>& instances, std::vector<std::string>& series_list) {
    if (in.result == nullptr) {
      throw Error(ErrorCode::Usage, "write_mammo_cad_sr: " + label + " has no AnalysisResult", in.info.source_path);
    }
    std::string sop_class = in.info.sop_class_uid, sop_inst = in.info.sop_instance_uid;
    if (sop_class.empty() || sop_inst.empty()) {
      if (!opt_.allow_missing_uids) {
        throw Error(ErrorCode::InvalidData,
                    "a DICOM SR can only reference DICOM images, and this image has no SOP Class/Instance UID "
                    "(raster input?); analyse the DICOM file, or skip the SR report for raster input",
                    in.info.source_path);
      }
      if (sop_class.empty()) sop_class = kDigitalMammographyForPresentation;
      if (sop_inst.empty()) sop_inst = new_uid();
      summary_.warnings.push_back(label + " had no DICOM identity; invented UIDs");
    }
    std::string series = in.info.series_instance_uid;
    if (series.empty()) {
      series = new_uid();
      summary_.warnings.push_back(label + " had no Series Instance UID; invented one");
    }
    classes.push_back(sop_class);
    instances.push_back(sop_inst);
    series_list.push_back(series);
  }

  /// Checks the temporal links and assigns each to its current cluster (one link per cluster).
  void resolve_temporal_links() {
    for (std::size_t l = 0; l < opt_.temporal_links.size(); ++l) {
      const SrTemporalLink& link = opt_.temporal_links[l];
      TemporalSlot t;
      t.link = &link;
      if (link.current.cluster_id != 0) t.current_slot = slot_of(link.current);
      if (!link.prior_sop_instance_uid.empty()) {
        const auto it = std::find(prior_sop_instance_.begin(), prior_sop_instance_.end(), link.prior_sop_instance_uid);
        if (it != prior_sop_instance_.end()) t.prior_image = static_cast<int>(it - prior_sop_instance_.begin());
      }
      if (link.prior_cluster_id != 0) {
        if (t.prior_image < 0) {
          throw Error(ErrorCode::Usage, "a temporal link names prior cluster " + std::to_string(link.prior_cluster_id) +
                                            " on image '" + link.prior_sop_instance_uid +
                                            "', which is not among SrWriteOptions::prior_images");
        }
        const SrImageInput& prior = opt_.prior_images[static_cast<std::size_t>(t.prior_image)];
        for (const Cluster& c : prior.result->clusters) {
          if (c.id == link.prior_cluster_id) t.prior_cluster = &c;
        }
        if (t.prior_cluster == nullptr) {
          throw Error(ErrorCode::Usage, "a temporal link names prior cluster " + std::to_string(link.prior_cluster_id) +
                                            ", which is not in that prior image's AnalysisResult");
        }
        if (prior.description != nullptr) {
          for (const ClusterDescription& d : prior.description->clusters) {
            if (d.cluster_id == link.prior_cluster_id) t.prior_description = &d;
          }
        }
      }
      if (t.current_slot < 0 && t.prior_cluster == nullptr) {
        throw Error(ErrorCode::Usage, "a temporal link needs a current cluster, a prior cluster or both");
      }
      if (t.current_slot >= 0) {
        if (temporal_of_slot_.count(t.current_slot) != 0) {
          summary_.warnings.push_back("cluster " + std::to_string(link.current.cluster_id) +
                                      " has several temporal links; only the first is written");
          continue;
        }
        if (in_spatial_group(t.current_slot)) {
          summary_.warnings.push_back("cluster " + std::to_string(link.current.cluster_id) +
                                      " is part of a CC-MLO group; its temporal link is not written");
          continue;
        }
        temporal_of_slot_[t.current_slot] = static_cast<int>(temporal_.size());
      }
      temporal_.push_back(t);
    }
  }

  bool in_spatial_group(int slot) const {
    for (const std::vector<int>& g : groups_) {
      if (g.size() > 1 && std::find(g.begin(), g.end(), slot) != g.end()) return true;
    }
    return false;
  }

  int slot_of(const SrClusterRef& ref) const {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (sop_instance_[slots_[i].image] == ref.sop_instance_uid && slots_[i].cluster->id == ref.cluster_id) {
        return static_cast<int>(i);
      }
    }
    throw Error(ErrorCode::Usage, "a spatial or temporal link names cluster " + std::to_string(ref.cluster_id) + " on image " +
                                      ref.sop_instance_uid + ", which is not among the SR's images and clusters");
  }

  // ---- DICOM header: patient/study copied from the image, new SR series ----------------------
  void fill_header(DSRDocument& doc) {
    const ImageInfo& info = images_.front().info;
    const bool utf8 = has_non_ascii(info.patient_name) || has_non_ascii(info.patient_id) ||
                      has_non_ascii(opt_.series_description) || has_non_ascii(opt_.manufacturer);
    if (utf8) hdr(doc.setSpecificCharacterSetType(DT::CS_UTF8), "Specific Character Set");
    hdr(doc.createNewSeriesInStudy(study_uid_.c_str()), "Study Instance UID");
    hdr(doc.setPatientName(info.patient_name.c_str(), false), "Patient Name");
    hdr(doc.setPatientID(info.patient_id.c_str(), false), "Patient ID");
    // a damaged date or time stays out (Type 2: empty); the image library entry warns about it
    if (valid_da(info.study_date)) hdr(doc.setStudyDate(info.study_date.c_str(), false), "Study Date");
    if (valid_tm(info.study_time)) hdr(doc.setStudyTime(info.study_time.c_str(), false), "Study Time");
    if (!info.accession_number.empty()) hdr(doc.setAccessionNumber(info.accession_number.c_str(), false), "Accession Number");
    hdr(doc.setManufacturer(opt_.manufacturer.c_str(), false), "Manufacturer");
    hdr(doc.setManufacturerModelName(opt_.model_name.c_str(), false), "Manufacturer's Model Name");
    hdr(doc.setSoftwareVersions((opt_.algorithm_name + " " + opt_.algorithm_version).c_str(), false), "Software Versions");
    hdr(doc.setDeviceSerialNumber("0", false), "Device Serial Number");
    hdr(doc.setSeriesDescription(opt_.series_description.c_str(), false), "Series Description");
    hdr(doc.setSeriesNumber(opt_.series_number.c_str()), "Series Number");
    hdr(doc.setInstanceNumber(opt_.instance_number.c_str()), "Instance Number");
    std::string date = opt_.content_date, time = opt_.content_time;
    if (date.empty() || time.empty()) {
      const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
      std::tm tm{};
      localtime_r(&now, &tm);
      char d[16], t[16];
      std::strftime(d, sizeof d, "%Y%m%d", &tm);
      std::strftime(t, sizeof t, "%H%M%S", &tm);
      if (date.empty()) date = d;
      if (time.empty()) time = t;
    }
    // SR Document General Module: every referenced image is evidence of the current procedure
    for (std::size_t i = 0; i < images_.size(); ++i) {
      const std::string& study = images_[i].info.study_instance_uid.empty() ? study_uid_ : images_[i].info.study_instance_uid;
      hdr(doc.getCurrentRequestedProcedureEvidence().addItem(study.c_str(), series_instance_[i].c_str(),
                                                             sop_class_[i].c_str(), sop_instance_[i].c_str()),
          "Current Requested Procedure Evidence");
    }
    // prior images belong to other studies: Pertinent Other Evidence (PS3.3 C.17.2.3)
    for (std::size_t i = 0; i < opt_.prior_images.size(); ++i) {
      std::string study = opt_.prior_images[i].info.study_instance_uid;
      if (study.empty()) {
        study = new_uid();
        summary_.warnings.push_back("prior image " + std::to_string(i) + " had no Study Instance UID; invented one");
      }
      hdr(doc.getPertinentOtherEvidence().addItem(study.c_str(), prior_series_instance_[i].c_str(),
                                                  prior_sop_class_[i].c_str(), prior_sop_instance_[i].c_str()),
          "Pertinent Other Evidence");
    }
    hdr(doc.setContentDate(date.c_str()), "Content Date");
    hdr(doc.setContentTime(time.c_str()), "Content Time");
  }

  static void hdr(const OFCondition& cond, const char* what) {
    if (cond.bad()) {
      throw Error(ErrorCode::InvalidData, std::string("cannot put the image's ") + what +
                                              " into the SR: " + cond.text() + " (check the input DICOM header)");
    }
  }

  // ---- content tree ---------------------------------------------------------------------------
  void build_tree(TreeBuilder& b) {
    // TID 4000 row 1: root CONTAINER
    const size_t root = b.root(sr::kMammographyCadReport);
    b.template_id(root, "4000");
    // TID 4000 row 2 -> TID 1204: language of content
    b.code(root, DT::RT_hasConceptMod, sr::kLanguageOfContent, sr::kEnglish);

    // TID 4000 rows 3-4: Image Library with one TID 4020 entry per image
    const size_t library = b.container(root, DT::RT_contains, sr::kImageLibrary);
    for (std::size_t i = 0; i < images_.size(); ++i) {
      image_ids_.push_back(library_entry(b, library, images_[i], sop_class_[i], sop_instance_[i]));
    }
    for (std::size_t i = 0; i < opt_.prior_images.size(); ++i) {
      prior_image_ids_.push_back(
          library_entry(b, library, opt_.prior_images[i], prior_sop_class_[i], prior_sop_instance_[i]));
    }

    // TID 4000 row 5 / TID 4001 row 1: CAD Processing and Findings Summary (CID 6047)
    const bool with_findings = !slots_.empty() || !temporal_.empty();
    const size_t summary = b.code(root, DT::RT_contains, sr::kCadProcessingAndFindingsSummary,
                                  with_findings ? sr::kAllSucceededWithFindings : sr::kAllSucceededWithoutFindings);
    for (const std::vector<int>& group : groups_) {
      if (group.size() == 1) {
        const auto t = temporal_of_slot_.find(group.front());
        if (t != temporal_of_slot_.end()) {
          temporal_impression(b, summary, temporal_[static_cast<std::size_t>(t->second)]);
        } else {
          single_cluster_impression(b, summary, group.front());
        }
      } else {
        correlated_impression(b, summary, group);
      }
    }
    for (const TemporalSlot& t : temporal_) {  // resolved: only in the prior
      if (t.current_slot < 0) temporal_impression(b, summary, t);
    }

    // TID 4000 rows 8-9 -> TID 4015/4017: Summary of Detections
    const size_t detections = b.code(root, DT::RT_contains, sr::kSummaryOfDetections, sr::kSucceeded);
    const size_t successful = b.container(detections, DT::RT_inferredFrom, sr::kSuccessfulDetections);
    algorithm_run(b, successful, sr::kDetectionPerformed, sr::calcification_cluster_code(opt_.code_style));
    if (opt_.include_individual_calcifications) {
      algorithm_run(b, successful, sr::kDetectionPerformed, sr::individual_calcification_code(opt_.code_style));
    }

    // TID 4000 rows 10-11 -> TID 4016/4018: Summary of Analyses
    const bool described = std::any_of(images_.begin(), images_.end(),
                                       [](const SrImageInput& in) { return in.description != nullptr; });
    const bool correlated = summary_.spatial_links > 0;
    const bool temporal = !temporal_.empty();
    if (!described && !correlated && !temporal) {
      b.code(root, DT::RT_contains, sr::kSummaryOfAnalyses, sr::kNotAttempted);
    } else {
      const size_t analyses = b.code(root, DT::RT_contains, sr::kSummaryOfAnalyses, sr::kSucceeded);
      const size_t ok = b.container(analyses, DT::RT_inferredFrom, sr::kSuccessfulAnalyses);
      if (described) algorithm_run(b, ok, sr::kAnalysisPerformed, sr::kIndividualImpressionAnalysis);
      if (correlated) algorithm_run(b, ok, sr::kAnalysisPerformed, sr::kSpatialCollocationAnalysis);
      if (temporal) algorithm_run(b, ok, sr::kAnalysisPerformed, sr::kTemporalCorrelation, true);
    }
    summary_.images = static_cast<int>(images_.size());
    summary_.prior_images = static_cast<int>(opt_.prior_images.size());
  }

  /// TID 4020 CAD Image Library Entry.
  size_t library_entry(TreeBuilder& b, size_t library, const SrImageInput& in, const std::string& sop_class,
                       const std::string& sop_instance) {
    const size_t img = b.image(library, sop_class, sop_instance);  // row 1
    if (const sr::Term* lat = sr::find_term_by_word(sr::laterality_terms(), in.info.laterality)) {
      b.code(img, DT::RT_hasAcqContext, sr::kImageLaterality, sr::term_code(*lat, opt_.code_style));  // row 2
    } else if (!in.info.laterality.empty()) {
      summary_.warnings.push_back("image laterality '" + in.info.laterality + "' is not L or R; not written");
    }
    if (const sr::Term* view = find_view(in.info.view)) {
      b.code(img, DT::RT_hasAcqContext, sr::kImageView, sr::term_code(*view, opt_.code_style));  // row 3
    } else if (!in.info.view.empty()) {
      summary_.warnings.push_back("view '" + in.info.view + "' is not in CID 4014; not written");
    }
    // rows 7-8: optional, so a damaged value in the image's header is left out rather than failing the SR
    if (!in.info.study_date.empty()) {
      if (valid_da(in.info.study_date))
        b.date_or_time(img, DT::VT_Date, sr::kStudyDate, in.info.study_date);  // row 7
      else
        summary_.warnings.push_back("study date '" + in.info.study_date + "' is not a DICOM date (YYYYMMDD); not written");
    }
    if (!in.info.study_time.empty()) {
      if (valid_tm(in.info.study_time))
        b.date_or_time(img, DT::VT_Time, sr::kStudyTime, in.info.study_time);  // row 8
      else
        summary_.warnings.push_back("study time '" + in.info.study_time + "' is not a DICOM time (HHMMSS); not written");
    }
    if (in.pixel_size_mm > 0) {
      b.num(img, DT::RT_hasAcqContext, sr::kHorizontalPixelSpacing, in.pixel_size_mm, sr::kUnitMillimeter);  // row 11
      b.num(img, DT::RT_hasAcqContext, sr::kVerticalPixelSpacing, in.pixel_size_mm, sr::kUnitMillimeter);    // row 12
    }
    return img;
  }

  static const sr::Term* find_view(const std::string& view) {
    if (const sr::Term* t = sr::find_term_by_word(sr::view_terms(), view)) return t;
    // "LCC", "RMLO": laterality glued to the view
    if (view.size() > 1 && (view[0] == 'L' || view[0] == 'R')) return sr::find_term_by_word(sr::view_terms(), view.substr(1));
    return nullptr;
  }

  std::string rendering_intent(const ClusterSlot& s) const {
    return s.description != nullptr && !s.description->rendering_intent.empty() ? s.description->rendering_intent
                                                                                 : std::string("Required");
  }

  /// TID 4001 row 3 -> TID 4003: one Individual Impression/Recommendation for one cluster.
  void single_cluster_impression(TreeBuilder& b, size_t summary, int slot) {
    const size_t impression = b.container(summary, DT::RT_inferredFrom, sr::kIndividualImpression);   // TID 4003 row 1
    b.code(impression, DT::RT_hasConceptMod, sr::kRenderingIntent,
           sr::rendering_intent_code(rendering_intent(slots_[slot])));                                 // TID 4003 row 2
    cluster_finding(b, impression, DT::RT_contains, slot);                                             // TID 4003 row 5
  }

  /// TID 4003 with a TID 4004 Composite Feature for clusters seen in several views (CC-MLO).
  void correlated_impression(TreeBuilder& b, size_t summary, const std::vector<int>& group) {
    std::string intent = "Not for Presentation";
    double probability = -1;
    for (int s : group) {
      const std::string r = rendering_intent(slots_[s]);
      if (r == "Required" || (r == "Optional" && intent != "Required")) intent = r;
      if (slots_[s].description != nullptr) {
        probability = std::max(probability, slots_[s].description->likelihood_of_malignancy * 100.0);
      }
    }
    const size_t feature = composite_feature(b, summary, intent, sr::kRelatedSpatially);
    b.code(feature, DT::RT_hasProperties, sr::kScopeOfFeature, sr::kDetectedOnMultipleImages);        // TID 4005 row 2
    b.text(feature, DT::RT_hasProperties, sr::kAlgorithmName, opt_.algorithm_name);                   // TID 4005 row 3 -> 4019
    b.text(feature, DT::RT_hasProperties, sr::kAlgorithmVersion, opt_.algorithm_version);
    if (probability >= 0) {
      b.num(feature, DT::RT_hasProperties, sr::kProbabilityOfCancer, std::clamp(probability, 0.0, 100.0),
            sr::kUnitPercent);                                                                          // TID 4005 row 5
    }
    for (int s : group) cluster_finding(b, feature, DT::RT_inferredFrom, s);                           // TID 4004: INFERRED FROM TID 4006
  }

  /// TID 4003 Individual Impression holding a TID 4004 Composite Feature (calcification cluster) of the
  /// given composite type (TID 4005 row 1); returns the feature node for the rest of the body.
  template <typename Code>
  size_t composite_feature(TreeBuilder& b, size_t summary, const std::string& intent, const Code& composite_type) {
    const size_t impression = b.container(summary, DT::RT_inferredFrom, sr::kIndividualImpression);   // TID 4003 row 1
    b.code(impression, DT::RT_hasConceptMod, sr::kRenderingIntent, sr::rendering_intent_code(intent));  // TID 4003 row 2
    const size_t feature = b.code(impression, DT::RT_contains, sr::kCompositeFeature,                  // TID 4003 row 4,
                                  sr::calcification_cluster_code(opt_.code_style));                    // TID 4004 row 1
    b.observation_uid(feature, new_uid());
    b.code(feature, DT::RT_hasConceptMod, sr::kRenderingIntent, sr::rendering_intent_code(intent));    // TID 4004 row 2
    // TID 4004 row 3 -> TID 4005 Composite Feature Body
    b.code(feature, DT::RT_hasProperties, sr::kCompositeType, composite_type);                        // TID 4005 row 1
    return feature;
  }

  /// TID 4003 with a TID 4004 Composite Feature "related temporally": a current cluster and its
  /// counterpart on a prior image (or only one of them: new / resolved), with the CID 6037
  /// differences (TID 4005 row 11).
  void temporal_impression(TreeBuilder& b, size_t summary, const TemporalSlot& t) {
    const SrTemporalLink& link = *t.link;
    const ClusterSlot* now = t.current_slot >= 0 ? &slots_[static_cast<std::size_t>(t.current_slot)] : nullptr;
    const std::string intent = now != nullptr ? rendering_intent(*now) : std::string("Optional");
    const bool both = now != nullptr && t.prior_cluster != nullptr;
    const size_t feature = composite_feature(b, summary, intent, sr::kRelatedTemporally);
    b.code(feature, DT::RT_hasProperties, sr::kScopeOfFeature,                                        // TID 4005 row 2
           both ? sr::kDetectedOnMultipleImages : sr::kDetectedOnOnlyOneOfTheImages);
    b.text(feature, DT::RT_hasProperties, sr::kAlgorithmName, opt_.algorithm_name);                   // TID 4005 row 3 -> 4019
    b.text(feature, DT::RT_hasProperties, sr::kAlgorithmVersion, opt_.algorithm_version);
    b.text(feature, DT::RT_hasProperties, sr::kAlgorithmParameters, temporal_parameters(link));
    if (now != nullptr && now->description != nullptr) {
      b.num(feature, DT::RT_hasProperties, sr::kProbabilityOfCancer,
            std::clamp(now->description->likelihood_of_malignancy * 100.0, 0.0, 100.0), sr::kUnitPercent);  // TID 4005 row 5
    }
    const bool srt = opt_.code_style == sr::CodeStyle::Srt;
    if (link.difference_in_number_of_calcifications) {                                                // TID 4005 row 11, CID 6037
      b.num(feature, DT::RT_hasProperties,
            srt ? sr::kDifferenceInNumberOfCalcificationsSrt : sr::kDifferenceInNumberOfCalcifications,
            *link.difference_in_number_of_calcifications, sr::kUnitNone);
    }
    if (link.difference_in_location_mm && *link.difference_in_location_mm >= 0) {
      b.num(feature, DT::RT_hasProperties, srt ? sr::kDifferenceInLocationSrt : sr::kDifferenceInLocation,
            *link.difference_in_location_mm, sr::kUnitMillimeter);
    }
    // TID 4004: INFERRED FROM TID 4006, the current finding first, then the prior one
    if (now != nullptr) cluster_finding(b, feature, DT::RT_inferredFrom, t.current_slot);
    if (t.prior_cluster != nullptr) {
      const std::size_t p = static_cast<std::size_t>(t.prior_image);
      finding(b, feature, DT::RT_inferredFrom, opt_.prior_images[p], prior_image_ids_[p], *t.prior_cluster,
              t.prior_description, "Not for Presentation");
    }
    ++summary_.temporal_links;
  }

  /// TID 4019 Algorithm Parameters of a temporal Composite Feature: what the reader needs to rebuild
  /// the link (also for new and resolved findings, which have one member only).
  static std::string temporal_parameters(const SrTemporalLink& link) {
    std::string p = "temporal_link";
    if (!link.change.empty()) p += " change=" + link.change;
    p += " current_cluster_id=" + std::to_string(link.current.cluster_id);
    if (!link.current.sop_instance_uid.empty()) p += " current_sop_instance_uid=" + link.current.sop_instance_uid;
    p += " prior_cluster_id=" + std::to_string(link.prior_cluster_id);
    if (!link.prior_sop_instance_uid.empty()) p += " prior_sop_instance_uid=" + link.prior_sop_instance_uid;
    if (!link.prior_sop_class_uid.empty()) p += " prior_sop_class_uid=" + link.prior_sop_class_uid;
    return p;
  }

  /// TID 4006 Single Image Finding = Calcification Cluster, with TID 4019, 4021 and 4010 content.
  void cluster_finding(TreeBuilder& b, size_t parent, DT::E_RelationshipType rel, int slot) {
    const ClusterSlot& s = slots_[slot];
    finding(b, parent, rel, images_[s.image], image_ids_[s.image], *s.cluster, s.description, rendering_intent(s));
    ++summary_.clusters;
  }

  /// TID 4006 Single Image Finding = Calcification Cluster on any library image (current or prior).
  void finding(TreeBuilder& b, size_t parent, DT::E_RelationshipType rel, const SrImageInput& in,
               size_t image_node, const Cluster& c, const ClusterDescription* d, const std::string& intent) {
    const size_t f = b.code(parent, rel, sr::kSingleImageFinding, sr::calcification_cluster_code(opt_.code_style));  // row 1
    b.observation_uid(f, new_uid());
    b.code(f, DT::RT_hasConceptMod, sr::kRenderingIntent, sr::rendering_intent_code(intent));                    // row 2
    algorithm_identification(b, f, "cluster_id=" + std::to_string(c.id));                                       // TID 4019
    b.num(f, DT::RT_hasProperties, sr::kCertaintyOfFinding, std::clamp(c.score * 100.0, 0.0, 100.0), sr::kUnitPercent);
    if (d != nullptr) {
      b.num(f, DT::RT_hasProperties, sr::kProbabilityOfCancer,
            std::clamp(d->likelihood_of_malignancy * 100.0, 0.0, 100.0), sr::kUnitPercent);
    }
    // TID 4021 Mammography CAD Geometry: Center POINT and Outline POLYLINE, each R-SELECTED FROM the image
    const size_t centre = b.scoord(f, sr::kCenter, DT::GT_Point, {PointPx{c.x, c.y}});
    b.reference(centre, DT::RT_selectedFrom, image_node);
    if (c.outline.size() >= 2) {
      std::vector<PointPx> closed = c.outline;
      if (closed.size() >= 3) closed.push_back(closed.front());
      const size_t outline = b.scoord(f, sr::kOutline, DT::GT_Polyline, closed);
      b.reference(outline, DT::RT_selectedFrom, image_node);
    }
    // TID 4010 Calcification Cluster
    const int count = c.count > 0 ? c.count : static_cast<int>(c.calcification_ids.size());
    b.num(f, DT::RT_hasProperties, sr::kNumberOfCalcifications, count, sr::kUnitNone);
    if (d != nullptr) {
      const std::string& word = d->morphology == "typically_benign" ? d->benign_type : d->morphology;
      if (const sr::Term* t = sr::find_term_by_word(sr::calcification_type_terms(), word)) {
        b.code(f, DT::RT_hasProperties, sr::kCalcificationType, sr::term_code(*t, opt_.code_style));
      } else if (!word.empty()) {
        summary_.warnings.push_back("cluster " + std::to_string(c.id) + ": morphology '" + word + "' has no code; not written");
      }
      if (const sr::Term* t = sr::find_term_by_word(sr::calcification_distribution_terms(), d->distribution)) {
        b.code(f, DT::RT_hasProperties, sr::kCalcificationDistribution, sr::term_code(*t, opt_.code_style));
      } else if (!d->distribution.empty()) {
        summary_.warnings.push_back("cluster " + std::to_string(c.id) + ": distribution '" + d->distribution +
                                    "' has no code; not written");
      }
    }
    // TID 4006 (recursive): the member calcifications, INFERRED FROM
    if (opt_.include_individual_calcifications) {
      for (int id : c.calcification_ids) {
        const auto it = std::find_if(in.result->calcifications.begin(), in.result->calcifications.end(),
                                     [id](const Calcification& k) { return k.id == id; });
        if (it == in.result->calcifications.end()) {
          summary_.warnings.push_back("cluster " + std::to_string(c.id) + " names calcification " + std::to_string(id) +
                                      ", which is not in the result; skipped");
          continue;
        }
        calcification_finding(b, f, image_node, *it, in.description);
      }
    }
  }

  /// TID 4006 Single Image Finding = Individual Calcification (TID 4009 content).
  void calcification_finding(TreeBuilder& b, size_t cluster_node, size_t image_node, const Calcification& k,
                             const ImageDescription* description) {
    const size_t f = b.code(cluster_node, DT::RT_inferredFrom, sr::kSingleImageFinding,
                            sr::individual_calcification_code(opt_.code_style));
    b.code(f, DT::RT_hasConceptMod, sr::kRenderingIntent, sr::kPresentationOptional);
    algorithm_identification(b, f, "calcification_id=" + std::to_string(k.id));
    b.num(f, DT::RT_hasProperties, sr::kCertaintyOfFinding, std::clamp(k.score * 100.0, 0.0, 100.0), sr::kUnitPercent);
    const size_t centre = b.scoord(f, sr::kCenter, DT::GT_Point, {PointPx{k.x, k.y}});
    b.reference(centre, DT::RT_selectedFrom, image_node);
    if (k.diameter_mm > 0) b.num(f, DT::RT_hasProperties, sr::kDiameter, k.diameter_mm, sr::kUnitMillimeter);
    if (description != nullptr) {
      for (const CalcificationDescription& cd : description->calcifications) {
        if (cd.calcification_id != k.id || cd.benign_type.empty()) continue;
        if (const sr::Term* t = sr::find_term_by_word(sr::calcification_type_terms(), cd.benign_type)) {
          b.code(f, DT::RT_hasProperties, sr::kCalcificationType, sr::term_code(*t, opt_.code_style));
        }
      }
    }
    ++summary_.calcifications;
  }

  /// TID 4019 Algorithm Identification (HAS CONCEPT MOD from a Single Image Finding).
  void algorithm_identification(TreeBuilder& b, size_t finding, const std::string& parameters) {
    b.text(finding, DT::RT_hasConceptMod, sr::kAlgorithmName, opt_.algorithm_name);        // row 1
    b.text(finding, DT::RT_hasConceptMod, sr::kAlgorithmVersion, opt_.algorithm_version);  // row 2
    if (!parameters.empty()) b.text(finding, DT::RT_hasConceptMod, sr::kAlgorithmParameters, parameters);  // row 3
  }

  /// TID 4017 CAD Detection Performed / TID 4018 CAD Analysis Performed.
  void algorithm_run(TreeBuilder& b, size_t container, const sr::Code& concept_name, const sr::Code& what,
                     bool with_priors = false) {
    const size_t run = b.code(container, DT::RT_contains, concept_name, what);  // row 1
    b.text(run, DT::RT_hasConceptMod, sr::kAlgorithmName, opt_.algorithm_name);     // row 2 -> TID 4019
    b.text(run, DT::RT_hasConceptMod, sr::kAlgorithmVersion, opt_.algorithm_version);
    for (size_t img : image_ids_) b.reference(run, DT::RT_inferredFrom, img);       // R-INFERRED FROM Image Library entries
    if (with_priors) {
      for (size_t img : prior_image_ids_) b.reference(run, DT::RT_inferredFrom, img);
    }
  }

  // ---- output ---------------------------------------------------------------------------------
  void save(DSRDocument& doc, const std::filesystem::path& out) {
    if (doc.completeDocument().bad()) throw Error(ErrorCode::Internal, "DCMTK could not complete the SR document");
    DcmFileFormat file;
    const OFCondition written = doc.write(*file.getDataset());
    if (written.bad()) {
      throw Error(ErrorCode::Internal, std::string("DCMTK could not encode the SR: ") + written.text() +
                                           " (a bug in the SR writer, please report it)");
    }
    // Read the encoded dataset back with DCMTK's default (strict) checks: relationship
    // constraints, by-reference targets, value types.
    DSRDocument check;
    const OFCondition reread = check.read(*file.getDataset());
    if (reread.bad()) {
      throw Error(ErrorCode::Internal, std::string("the SR written does not pass DCMTK's own checks: ") + reread.text() +
                                           " (a bug in the SR writer, please report it)");
    }
    const OFCondition saved = file.saveFile(out.string().c_str(), EXS_LittleEndianExplicit);
    if (saved.bad()) {
      throw Error(ErrorCode::OutputFailed,
                  std::string("cannot write the SR file: ") + saved.text() + "; check that the directory exists and is writable",
                  out.string());
    }
    OFString uid;
    summary_.path = out;
    if (doc.getSOPInstanceUID(uid).good()) summary_.sop_instance_uid = uid.c_str();
    if (doc.getSeriesInstanceUID(uid).good()) summary_.series_instance_uid = uid.c_str();
    if (doc.getStudyInstanceUID(uid).good()) summary_.study_instance_uid = uid.c_str();
  }

  const std::vector<SrImageInput>& images_;
  const std::vector<SrSpatialLink>& links_;
  const SrWriteOptions& opt_;
  SrWriteSummary& summary_;
  std::vector<std::string> sop_class_, sop_instance_, series_instance_;
  std::string study_uid_;
  std::vector<ClusterSlot> slots_;
  std::vector<std::vector<int>> groups_;
  std::vector<size_t> image_ids_;
  std::vector<std::string> prior_sop_class_, prior_sop_instance_, prior_series_instance_;
  std::vector<size_t> prior_image_ids_;
  std::vector<TemporalSlot> temporal_;
  std::map<int, int> temporal_of_slot_;  ///< current cluster slot -> index into temporal_
};

}  // namespace

std::vector<SrSpatialLink> spatial_links_from_descriptions(const std::vector<SrImageInput>& images) {
  const auto image_of = [&](const std::string& name) -> const SrImageInput* {
    for (const SrImageInput& in : images) {
      if (name.empty()) break;
      if (in.info.sop_instance_uid == name || std::filesystem::path(in.info.source_path).stem().string() == name ||
          std::filesystem::path(in.info.source_path).filename().string() == name) {
        return &in;
      }
    }
    return nullptr;
  };
  std::vector<SrSpatialLink> links;
  for (const SrImageInput& in : images) {
    if (in.description == nullptr || in.info.sop_instance_uid.empty()) continue;
    for (const ClusterDescription& d : in.description->clusters) {
      if (d.correlated_cluster_id == 0) continue;
      const SrImageInput* other = image_of(d.correlated_image);
      if (other == nullptr || other == &in || other->info.sop_instance_uid.empty()) continue;
      const SrSpatialLink link{{in.info.sop_instance_uid, d.cluster_id},
                               {other->info.sop_instance_uid, d.correlated_cluster_id}};
      const SrSpatialLink reverse{link.second, link.first};
      if (std::find(links.begin(), links.end(), link) == links.end() &&
          std::find(links.begin(), links.end(), reverse) == links.end()) {
        links.push_back(link);
      }
    }
  }
  return links;
}

SrWriteSummary write_mammo_cad_sr(const std::vector<SrImageInput>& images,
                                  const std::vector<SrSpatialLink>& spatial_links,
                                  const std::filesystem::path& out, const SrWriteOptions& options) {
  SrWriteSummary summary;
  Writer(images, spatial_links, options, summary).run(out);
  return summary;
}

}  // namespace calcscope
