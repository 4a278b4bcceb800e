// Mammography CAD SR: write, validate with dicom3tools' dciodvfy and DCMTK's dsrdump, read back.
#include <gtest/gtest.h>

#include <algorithm>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmsr/dsrdoc.h"

#include "calcscope/core/error.h"
#include "calcscope/sr/codes.h"
#include "calcscope/sr/mammo_cad_sr.h"
#include "sr_validation.h"
#include "test_support.h"

namespace calcscope {
namespace {

using test::TempDir;

using Shell = test::CommandResult;
Shell shell(const std::string& command) { return test::run_shell(command); }

void expect_valid_dicom(const std::filesystem::path& sr) { test::expect_valid_sr(sr); }

ImageInfo make_info(const std::string& laterality, const std::string& view, const std::string& instance) {
  ImageInfo info;
  info.format = "dicom";
  info.laterality = laterality;
  info.view = view;
  info.sop_class_uid = "1.2.840.10008.5.1.4.1.1.1.2";
  info.sop_instance_uid = instance;
  info.study_instance_uid = "1.2.826.0.1.3680043.8.498.100";
  info.series_instance_uid = "1.2.826.0.1.3680043.8.498.101";
  info.patient_id = "CS-0001";
  info.patient_name = "Test^Patient";
  info.study_date = "20240131";
  info.study_time = "093000";
  info.accession_number = "A123";
  info.manufacturer = "ACME";
  return info;
}

/// Adds a cluster of `n` calcifications around (cx, cy) (pixels) to `result`.
const Cluster& add_cluster(AnalysisResult& result, int cluster_id, double cx, double cy, int n, double pixel_mm) {
  Cluster c;
  c.id = cluster_id;
  c.score = 0.8;
  std::vector<PointPx> ring;
  for (int i = 0; i < n; ++i) {
    Calcification k;
    k.id = cluster_id * 100 + i + 1;
    const double angle = 2.0 * M_PI * i / n;
    k.x = cx + 20.0 * std::cos(angle) + 0.3 * i;
    k.y = cy + 15.0 * std::sin(angle);
    k.x_mm = k.x * pixel_mm;
    k.y_mm = k.y * pixel_mm;
    k.diameter_mm = 0.2 + 0.05 * i;
    k.score = 0.6 + 0.05 * i;
    result.calcifications.push_back(k);
    c.calcification_ids.push_back(k.id);
    ring.push_back(PointPx{k.x, k.y});
    c.x += k.x / n;
    c.y += k.y / n;
  }
  c.count = n;
  c.outline = ring;
  c.x_mm = c.x * pixel_mm;
  c.y_mm = c.y * pixel_mm;
  result.clusters.push_back(c);
  return result.clusters.back();
}

ClusterDescription describe(int cluster_id, const std::string& morphology, const std::string& distribution,
                            double likelihood, const std::string& intent = "Required") {
  ClusterDescription d;
  d.cluster_id = cluster_id;
  d.morphology = morphology;
  d.distribution = distribution;
  d.category = "4B";
  d.likelihood_of_malignancy = likelihood;
  d.rendering_intent = intent;
  return d;
}

SrWriteOptions fixed_options() {
  SrWriteOptions o;
  o.content_date = "20240201";
  o.content_time = "120000";
  return o;
}

const SrCluster* find_cluster(const SrContent& sr, const std::string& image, int cluster_id) {
  for (const SrCluster& c : sr.clusters) {
    if (c.image_sop_instance_uid == image && c.cluster_id == cluster_id) return &c;
  }
  return nullptr;
}

TEST(MammoCadSr, NoFindings) {
  TempDir dir("calcscope-sr");
  AnalysisResult result;
  SrImageInput in{make_info("R", "CC", "1.2.826.0.1.3680043.8.498.1"), 3328, 4096, 0.07, &result, nullptr};
  const auto path = dir / "none.sr.dcm";
  const SrWriteSummary summary = write_mammo_cad_sr({in}, {}, path, fixed_options());
  EXPECT_EQ(summary.clusters, 0);
  EXPECT_EQ(summary.study_instance_uid, in.info.study_instance_uid);
  EXPECT_NE(summary.series_instance_uid, in.info.series_instance_uid);
  expect_valid_dicom(path);

  const SrContent sr = read_mammo_cad_sr(path);
  EXPECT_EQ(sr.sop_class_uid, "1.2.840.10008.5.1.4.1.1.88.50");
  EXPECT_EQ(sr.sop_instance_uid, summary.sop_instance_uid);
  EXPECT_EQ(sr.study_instance_uid, in.info.study_instance_uid);
  EXPECT_EQ(sr.patient_id, "CS-0001");
  EXPECT_EQ(sr.patient_name, "Test^Patient");
  EXPECT_FALSE(sr.with_findings);
  EXPECT_EQ(sr.findings_summary.value, "111241");
  EXPECT_TRUE(sr.clusters.empty());
  ASSERT_EQ(sr.images.size(), 1u);
  EXPECT_EQ(sr.images[0].sop_instance_uid, in.info.sop_instance_uid);
  EXPECT_EQ(sr.images[0].laterality, "R");
  EXPECT_EQ(sr.images[0].view, "CC");
  EXPECT_NEAR(sr.images[0].pixel_spacing_mm, 0.07, 1e-9);
  EXPECT_EQ(sr.detections_status, "Succeeded");
  EXPECT_EQ(sr.analyses_status, "Not Attempted");
  ASSERT_FALSE(sr.algorithms.empty());
  EXPECT_EQ(sr.algorithms[0].algorithm_name, "calcscope");
  EXPECT_EQ(sr.algorithms[0].algorithm_version, CALCSCOPE_VERSION);
}

TEST(MammoCadSr, OneClusterWithFiveCalcificationsRoundTrips) {
  TempDir dir("calcscope-sr");
  AnalysisResult result;
  const Cluster& c = add_cluster(result, 7, 1234.25, 567.75, 5, 0.07);
  ImageDescription desc;
  desc.clusters.push_back(describe(7, "fine_pleomorphic", "grouped", 0.3));
  desc.calcifications.push_back(CalcificationDescription{703, "micro", "punctate"});
  SrImageInput in{make_info("L", "MLO", "1.2.826.0.1.3680043.8.498.2"), 3328, 4096, 0.07, &result, &desc};
  const auto path = dir / "one.sr.dcm";
  const SrWriteSummary summary = write_mammo_cad_sr({in}, {}, path, fixed_options());
  EXPECT_EQ(summary.clusters, 1);
  EXPECT_EQ(summary.calcifications, 5);
  EXPECT_TRUE(summary.warnings.empty());
  expect_valid_dicom(path);

  const SrContent sr = read_mammo_cad_sr(path);
  EXPECT_TRUE(sr.with_findings);
  EXPECT_EQ(sr.findings_summary.value, "111242");
  EXPECT_EQ(sr.analyses_status, "Succeeded");
  ASSERT_EQ(sr.clusters.size(), 1u);
  const SrCluster& r = sr.clusters[0];
  EXPECT_EQ(r.cluster_id, 7);
  EXPECT_EQ(r.image_sop_instance_uid, in.info.sop_instance_uid);
  ASSERT_TRUE(r.has_centre);
  EXPECT_NEAR(r.centre.x, c.x, 0.5);
  EXPECT_NEAR(r.centre.y, c.y, 0.5);
  EXPECT_NEAR(r.centre.x, c.x, 1e-3);  // stored as float: far better than the 0.5 px required
  EXPECT_EQ(r.number_of_calcifications, 5);
  EXPECT_EQ(r.type, "fine_pleomorphic");
  EXPECT_EQ(r.type_code.value, "111344");
  EXPECT_EQ(r.distribution, "grouped");
  EXPECT_EQ(r.distribution_code.value, "129766004");
  ASSERT_TRUE(r.probability_of_cancer_percent.has_value());
  EXPECT_NEAR(*r.probability_of_cancer_percent, 30.0, 1e-6);
  ASSERT_TRUE(r.certainty_percent.has_value());
  EXPECT_NEAR(*r.certainty_percent, 80.0, 1e-6);
  EXPECT_EQ(r.rendering_intent, "Required");
  EXPECT_EQ(r.finding_code.value, "129769006");
  EXPECT_EQ(r.finding_code.scheme, "SCT");
  EXPECT_EQ(r.algorithm_name, "calcscope");
  EXPECT_FALSE(r.observation_uid.empty());
  ASSERT_EQ(r.outline.size(), c.outline.size() + 1);  // closed polyline
  EXPECT_NEAR(r.outline.front().x, r.outline.back().x, 1e-6);
  for (std::size_t i = 0; i < c.outline.size(); ++i) {
    EXPECT_NEAR(r.outline[i].x, c.outline[i].x, 0.5);
    EXPECT_NEAR(r.outline[i].y, c.outline[i].y, 0.5);
  }
  ASSERT_EQ(r.calcifications.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    const Calcification& k = result.calcifications[i];
    EXPECT_NEAR(r.calcifications[i].centre.x, k.x, 0.5);
    EXPECT_NEAR(r.calcifications[i].centre.y, k.y, 0.5);
    EXPECT_NEAR(r.calcifications[i].diameter_mm, k.diameter_mm, 1e-6);
    EXPECT_EQ(r.calcifications[i].image_sop_instance_uid, in.info.sop_instance_uid);
    EXPECT_EQ(r.calcifications[i].rendering_intent, "Optional");
  }
  EXPECT_EQ(r.calcifications[2].type, "punctate");  // calcification 703
  EXPECT_TRUE(r.calcifications[0].type.empty());
  EXPECT_TRUE(sr.calcifications.empty());  // no stand-alone calcifications
}

TEST(MammoCadSr, TwoImagesWithCcMloLink) {
  TempDir dir("calcscope-sr");
  AnalysisResult cc, mlo;
  add_cluster(cc, 1, 800, 900, 6, 0.1);
  add_cluster(cc, 2, 1500, 300, 3, 0.1);
  add_cluster(mlo, 1, 700, 1100, 5, 0.1);
  ImageDescription cc_desc, mlo_desc;
  cc_desc.clusters = {describe(1, "amorphous", "grouped", 0.2), describe(2, "typically_benign", "diffuse", 0.01, "Optional")};
  cc_desc.clusters[1].benign_type = "vascular";
  mlo_desc.clusters = {describe(1, "amorphous", "segmental", 0.25)};
  const ImageInfo cc_info = make_info("L", "CC", "1.2.826.0.1.3680043.8.498.3");
  const ImageInfo mlo_info = make_info("L", "MLO", "1.2.826.0.1.3680043.8.498.4");
  std::vector<SrImageInput> images = {{cc_info, 2560, 3328, 0.1, &cc, &cc_desc},
                                      {mlo_info, 2560, 3328, 0.1, &mlo, &mlo_desc}};
  const std::vector<SrSpatialLink> links = {{{cc_info.sop_instance_uid, 1}, {mlo_info.sop_instance_uid, 1}}};
  const auto path = dir / "exam.sr.dcm";
  const SrWriteSummary summary = write_mammo_cad_sr(images, links, path, fixed_options());
  EXPECT_EQ(summary.images, 2);
  EXPECT_EQ(summary.clusters, 3);
  EXPECT_EQ(summary.spatial_links, 1);
  expect_valid_dicom(path);

  const SrContent sr = read_mammo_cad_sr(path);
  ASSERT_EQ(sr.images.size(), 2u);
  EXPECT_EQ(sr.images[0].view, "CC");
  EXPECT_EQ(sr.images[1].view, "MLO");
  EXPECT_EQ(sr.images[1].laterality, "L");
  ASSERT_EQ(sr.clusters.size(), 3u);
  const SrCluster* a = find_cluster(sr, cc_info.sop_instance_uid, 1);
  const SrCluster* b = find_cluster(sr, mlo_info.sop_instance_uid, 1);
  const SrCluster* benign = find_cluster(sr, cc_info.sop_instance_uid, 2);
  ASSERT_TRUE(a && b && benign);
  EXPECT_EQ(a->number_of_calcifications, 6);
  EXPECT_EQ(b->number_of_calcifications, 5);
  EXPECT_NEAR(a->centre.x, cc.clusters[0].x, 0.5);
  EXPECT_NEAR(b->centre.y, mlo.clusters[0].y, 0.5);
  EXPECT_EQ(b->distribution, "segmental");
  EXPECT_EQ(benign->type, "vascular");
  EXPECT_EQ(benign->distribution, "diffuse");
  EXPECT_EQ(benign->rendering_intent, "Optional");
  ASSERT_EQ(sr.spatial_links.size(), 1u);
  const auto [x, y] = sr.spatial_links[0];
  EXPECT_TRUE((x == a->index && y == b->index) || (x == b->index && y == a->index));
  bool spatial_analysis = false;
  for (const SrAlgorithmRun& run : sr.algorithms) {
    if (run.kind == "analysis" && run.what.value == "133884007") spatial_analysis = true;
  }
  EXPECT_TRUE(spatial_analysis);
}

TEST(MammoCadSr, SpatialLinksComeFromTheDescriptionsOnce) {
  AnalysisResult cc, mlo;
  add_cluster(cc, 1, 800, 900, 6, 0.1);
  add_cluster(mlo, 4, 700, 1100, 5, 0.1);
  ImageInfo cc_info = make_info("L", "CC", "1.2.826.0.1.3680043.8.498.7");
  ImageInfo mlo_info = make_info("L", "MLO", "1.2.826.0.1.3680043.8.498.8");
  cc_info.source_path = "/data/case1/LCC.dcm";
  mlo_info.source_path = "/data/case1/LMLO.dcm";
  ImageDescription cc_desc, mlo_desc;
  cc_desc.clusters = {describe(1, "amorphous", "grouped", 0.2)};
  cc_desc.clusters[0].correlated_cluster_id = 4;
  cc_desc.clusters[0].correlated_image = "LMLO";  // by file stem
  mlo_desc.clusters = {describe(4, "amorphous", "grouped", 0.2)};
  mlo_desc.clusters[0].correlated_cluster_id = 1;
  mlo_desc.clusters[0].correlated_image = cc_info.sop_instance_uid;  // by SOP Instance UID
  const std::vector<SrImageInput> images = {{cc_info, 2560, 3328, 0.1, &cc, &cc_desc},
                                            {mlo_info, 2560, 3328, 0.1, &mlo, &mlo_desc}};
  const std::vector<SrSpatialLink> links = spatial_links_from_descriptions(images);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].first, (SrClusterRef{cc_info.sop_instance_uid, 1}));
  EXPECT_EQ(links[0].second, (SrClusterRef{mlo_info.sop_instance_uid, 4}));
  mlo_desc.clusters[0].correlated_image = "RCC";  // not among the images: dropped, the other side remains
  EXPECT_EQ(spatial_links_from_descriptions(images).size(), 1u);
  cc_desc.clusters[0].correlated_image = "nowhere";
  EXPECT_TRUE(spatial_links_from_descriptions(images).empty());
}

TEST(MammoCadSr, LegacyCodingsAreReadLikeCurrentOnes) {
  for (const sr::CodeStyle style : {sr::CodeStyle::Srt, sr::CodeStyle::RetiredDcm}) {
    TempDir dir("calcscope-sr");
    AnalysisResult result;
    add_cluster(result, 3, 400, 500, 4, 0.07);
    ImageDescription desc;
    desc.clusters.push_back(describe(3, "fine_linear_branching", "linear", 0.7));
    SrImageInput in{make_info("R", "MLO", "1.2.826.0.1.3680043.8.498.5"), 3328, 4096, 0.07, &result, &desc};
    SrWriteOptions options = fixed_options();
    options.code_style = style;
    const auto path = dir / "legacy.sr.dcm";
    write_mammo_cad_sr({in}, {}, path, options);
    expect_valid_dicom(path);
    const std::string expected_code = style == sr::CodeStyle::Srt ? "F-01775" : "111105";
    const Shell dump = shell("dsrdump +Pc '" + path.string() + "'");
    EXPECT_NE(dump.output.find(expected_code), std::string::npos) << dump.output;
    EXPECT_EQ(dump.output.find("129769006"), std::string::npos);

    const SrContent sr = read_mammo_cad_sr(path);
    ASSERT_EQ(sr.clusters.size(), 1u);
    EXPECT_EQ(sr.clusters[0].finding_code.value, expected_code);
    EXPECT_EQ(sr.clusters[0].type, "fine_linear_branching");
    EXPECT_EQ(sr.clusters[0].type_code.scheme, "SRT");
    EXPECT_EQ(sr.clusters[0].distribution, "linear");
    EXPECT_EQ(sr.images[0].laterality, "R");
    EXPECT_EQ(sr.images[0].view, "MLO");
    EXPECT_EQ(sr.clusters[0].calcifications.size(), 4u);  // Individual Calcification in the same coding
  }
}

/// A CAD SR as another vendor might write it: by-value SELECTED FROM, SRT codes, probability as a
/// fraction, a circle for the centre, a stand-alone individual calcification and a mass finding.
TEST(MammoCadSr, ReadsAnotherSystemsSr) {
  TempDir dir("calcscope-sr");
  const auto path = dir / "foreign.dcm";
  {
    DSRDocument doc(DSRTypes::DT_MammographyCadSR);
    doc.setPatientID("OTHER-1");
    auto& t = doc.getTree();
    ASSERT_NE(t.addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container), 0u);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111036", "DCM", "Mammography CAD Report"));
    t.getCurrentContentItem().setTemplateIdentification("4000", "DCMR");
    ASSERT_NE(t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Container, DSRTypes::AM_belowCurrent), 0u);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111028", "DCM", "Image Library"));
    const size_t library = t.getNodeID();
    ASSERT_NE(t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent), 0u);
    t.getCurrentContentItem().setImageReference(DSRImageReferenceValue("1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.4.5"));
    t.addContentItem(DSRTypes::RT_hasAcqContext, DSRTypes::VT_Code, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111027", "DCM", "Image Laterality"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("G-A101", "SRT", "Left"));
    t.gotoNode(library);
    t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Code);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111017", "DCM", "CAD Processing and Findings Summary"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("111242", "DCM", "All algorithms succeeded; with findings"));
    t.addContentItem(DSRTypes::RT_inferredFrom, DSRTypes::VT_Container, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111034", "DCM", "Individual Impression/Recommendation"));
    const size_t impression = t.getNodeID();
    t.addContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Code, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111056", "DCM", "Rendering Intent"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("111150", "DCM", "Presentation Required: Rendering device is expected to present"));
    // cluster finding, SRT code
    t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Code);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111059", "DCM", "Single Image Finding"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("F-01775", "SRT", "Calcification Cluster"));
    const size_t cluster = t.getNodeID();
    t.addContentItem(DSRTypes::RT_hasProperties, DSRTypes::VT_SCoord, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111010", "DCM", "Center"));
    DSRSpatialCoordinatesValue circle(DSRTypes::GT_Circle);
    circle.getGraphicDataList().addItem(100.5f, 200.5f);
    circle.getGraphicDataList().addItem(110.5f, 200.5f);
    t.getCurrentContentItem().setSpatialCoordinates(circle);
    t.addContentItem(DSRTypes::RT_selectedFrom, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setImageReference(DSRImageReferenceValue("1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.4.5"));
    t.gotoNode(cluster);
    t.addContentItem(DSRTypes::RT_hasProperties, DSRTypes::VT_Num, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111047", "DCM", "Probability of cancer"));
    t.getCurrentContentItem().setNumericValue(DSRNumericMeasurementValue("0.42", DSRCodedEntryValue("1", "UCUM", "no units")));
    t.addContentItem(DSRTypes::RT_hasProperties, DSRTypes::VT_Code);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111009", "DCM", "Calcification Type"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("F-0176C", "SRT", "Amorphous calcification"));
    // a mass finding (not read) and a stand-alone individual calcification
    t.gotoNode(cluster);
    t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Code);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111059", "DCM", "Single Image Finding"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("F-01796", "SRT", "Mammography breast density"));
    t.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Code);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111059", "DCM", "Single Image Finding"));
    t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue("111104", "DCM", "Individual Calcification"));
    t.addContentItem(DSRTypes::RT_hasProperties, DSRTypes::VT_SCoord, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setConceptName(DSRCodedEntryValue("111010", "DCM", "Center"));
    DSRSpatialCoordinatesValue point(DSRTypes::GT_Point);
    point.getGraphicDataList().addItem(50.5f, 60.5f);
    t.getCurrentContentItem().setSpatialCoordinates(point);
    t.addContentItem(DSRTypes::RT_selectedFrom, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent);
    t.getCurrentContentItem().setImageReference(DSRImageReferenceValue("1.2.840.10008.5.1.4.1.1.1.2", "1.2.3.4.5"));
    ASSERT_NE(impression, 0u);
    DcmFileFormat file;
    ASSERT_TRUE(doc.write(*file.getDataset()).good());
    ASSERT_TRUE(file.saveFile(path.string().c_str(), EXS_LittleEndianExplicit).good());
  }
  const SrContent sr = read_mammo_cad_sr(path);
  ASSERT_EQ(sr.images.size(), 1u);
  EXPECT_EQ(sr.images[0].laterality, "L");
  ASSERT_EQ(sr.clusters.size(), 1u);
  const SrCluster& c = sr.clusters[0];
  EXPECT_EQ(c.image_sop_instance_uid, "1.2.3.4.5");
  EXPECT_NEAR(c.centre.x, 100.0, 1e-4);
  EXPECT_NEAR(c.centre.y, 200.0, 1e-4);
  EXPECT_EQ(c.type, "amorphous");
  ASSERT_TRUE(c.probability_of_cancer_percent.has_value());
  EXPECT_NEAR(*c.probability_of_cancer_percent, 42.0, 1e-6);
  EXPECT_EQ(c.number_of_calcifications, -1);
  EXPECT_EQ(c.cluster_id, 1);
  ASSERT_EQ(sr.calcifications.size(), 1u);
  EXPECT_NEAR(sr.calcifications[0].centre.x, 50.0, 1e-4);
  EXPECT_EQ(sr.calcifications[0].image_sop_instance_uid, "1.2.3.4.5");
  EXPECT_FALSE(sr.warnings.empty());  // the density finding was skipped, and said so
}

TEST(MammoCadSr, RasterInputNeedsExplicitPermission) {
  TempDir dir("calcscope-sr");
  AnalysisResult result;
  add_cluster(result, 1, 100, 100, 3, 0.2);
  ImageInfo raster;
  raster.format = "png";
  raster.source_path = "mias.png";
  SrImageInput in{raster, 1024, 1024, 0.2, &result, nullptr};
  try {
    write_mammo_cad_sr({in}, {}, dir / "raster.sr.dcm", fixed_options());
    FAIL() << "expected Error(InvalidData)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
    EXPECT_EQ(e.file(), "mias.png");
  }
  SrWriteOptions options = fixed_options();
  options.allow_missing_uids = true;
  const SrWriteSummary summary = write_mammo_cad_sr({in}, {}, dir / "raster.sr.dcm", options);
  EXPECT_FALSE(summary.warnings.empty());
  expect_valid_dicom(dir / "raster.sr.dcm");
  const SrContent sr = read_mammo_cad_sr(dir / "raster.sr.dcm");
  ASSERT_EQ(sr.clusters.size(), 1u);
  EXPECT_TRUE(sr.images[0].laterality.empty());
  EXPECT_TRUE(sr.clusters[0].type.empty());
  EXPECT_FALSE(sr.clusters[0].probability_of_cancer_percent.has_value());  // no description, no probability
}

TEST(MammoCadSr, BadInputIsRefusedWithAClearError) {
  TempDir dir("calcscope-sr");
  EXPECT_THROW(write_mammo_cad_sr({}, {}, dir / "x.dcm", fixed_options()), Error);
  AnalysisResult result;
  add_cluster(result, 1, 100, 100, 3, 0.1);
  SrImageInput in{make_info("L", "CC", "1.2.826.0.1.3680043.8.498.6"), 100, 100, 0.1, &result, nullptr};
  const std::vector<SrSpatialLink> bad = {{{in.info.sop_instance_uid, 1}, {"1.2.3.999", 1}}};
  try {
    write_mammo_cad_sr({in}, bad, dir / "x.dcm", fixed_options());
    FAIL() << "expected Error(Usage)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Usage);
  }
  try {
    write_mammo_cad_sr({in}, {}, dir / "no-such-dir" / "x.dcm", fixed_options());
    FAIL() << "expected Error(OutputFailed)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::OutputFailed);
  }
}

// A damaged header is the input's fault (session 24, found by damaging files at random): a study date
// or time that is not DA / TM is left out with a warning, and a SOP class DCMTK will not reference as
// an image is Error(InvalidData) naming the UIDs. Both used to be internal errors.
TEST(MammoCadSr, DamagedHeaderValuesAreTheInputsFault) {
  TempDir dir("calcscope-sr");
  AnalysisResult result;
  ImageInfo info = make_info("L", "CC", "1.2.826.0.1.3680043.8.498.7");
  info.study_date = "2024\xc2\x9a" "0101";
  info.study_time = "09x000";
  SrImageInput in{info, 100, 100, 0.1, &result, nullptr};
  const SrWriteSummary s = write_mammo_cad_sr({in}, {}, dir / "dates.sr.dcm", fixed_options());
  const auto warned = [&](const std::string& what) {
    return std::any_of(s.warnings.begin(), s.warnings.end(),
                       [&](const std::string& w) { return w.find(what) != std::string::npos; });
  };
  EXPECT_TRUE(warned("study date")) << testing::PrintToString(s.warnings);
  EXPECT_TRUE(warned("study time")) << testing::PrintToString(s.warnings);
  expect_valid_dicom(dir / "dates.sr.dcm");

  in.info = make_info("L", "CC", "1.2.826.0.1.3680043.8.498.8");
  in.info.sop_class_uid = "1.2.840.10008.5.1.4.1.1.1.22";  // a UID, but no image storage class
  try {
    write_mammo_cad_sr({in}, {}, dir / "class.sr.dcm", fixed_options());
    FAIL() << "expected Error(InvalidData)";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData) << e.what();
    EXPECT_NE(std::string(e.what()).find("1.2.840.10008.5.1.4.1.1.1.22"), std::string::npos) << e.what();
  }
}

TEST(MammoCadSr, ReaderRefusesWhatIsNotAMammographyCadSr) {
  TempDir dir("calcscope-sr");
  try {
    read_mammo_cad_sr(dir / "missing.dcm");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::FileNotFound);
  }
  {
    std::ofstream(dir / "text.dcm") << "not dicom at all";
  }
  try {
    read_mammo_cad_sr(dir / "text.dcm");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unreadable);
  }
  {
    DSRDocument doc(DSRTypes::DT_BasicTextSR);
    doc.getTree().addContentItem(DSRTypes::RT_isRoot, DSRTypes::VT_Container);
    doc.getTree().getCurrentContentItem().setConceptName(DSRCodedEntryValue("11528-7", "LN", "Radiology Report"));
    DcmFileFormat file;
    ASSERT_TRUE(doc.write(*file.getDataset()).good());
    ASSERT_TRUE(file.saveFile((dir / "basic.dcm").string().c_str(), EXS_LittleEndianExplicit).good());
  }
  try {
    read_mammo_cad_sr(dir / "basic.dcm");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidData);
  }
}

TEST(MammoCadSrCodes, WordsAndCodesMapBothWays) {
  for (const auto* terms : {&sr::calcification_type_terms(), &sr::calcification_distribution_terms(),
                            &sr::laterality_terms(), &sr::view_terms()}) {
    for (const sr::Term& t : *terms) {
      EXPECT_EQ(sr::find_term_by_word(*terms, t.word), &t);
      EXPECT_EQ(sr::find_term_by_code(*terms, t.sct.value, t.sct.scheme), &t);
      if (!t.srt_value.empty()) EXPECT_EQ(sr::find_term_by_code(*terms, t.srt_value, "SRT"), &t);
    }
  }
  for (const char* word : {"amorphous", "coarse_heterogeneous", "fine_pleomorphic", "fine_linear_branching", "punctate",
                           "round", "coarse_popcorn", "rod_like", "rim", "vascular", "skin"}) {
    EXPECT_NE(sr::find_term_by_word(sr::calcification_type_terms(), word), nullptr) << word;
  }
  for (const char* word : {"grouped", "linear", "segmental", "regional", "diffuse"}) {
    EXPECT_NE(sr::find_term_by_word(sr::calcification_distribution_terms(), word), nullptr) << word;
  }
  EXPECT_TRUE(sr::is_calcification_cluster("F-01775", "SRT"));
  EXPECT_TRUE(sr::is_calcification_cluster("111105", "DCM"));
  EXPECT_TRUE(sr::is_calcification_cluster("129769006", "SCT"));
  EXPECT_FALSE(sr::is_calcification_cluster("129770007", "SCT"));
  EXPECT_TRUE(sr::is_individual_calcification("F-01776", "SRT"));
  EXPECT_TRUE(sr::is_individual_calcification("111104", "DCM"));
  EXPECT_EQ(sr::rendering_intent_word("111151", "DCM"), "Optional");
  EXPECT_EQ(sr::rendering_intent_code("Not for Presentation").value, "111152");
}

}  // namespace
}  // namespace calcscope
