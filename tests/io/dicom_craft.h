// Hand-made DICOM files (through DCMTK directly) for headers our writer refuses to write.
#pragma once
#include <gtest/gtest.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace calcscope::test {

struct Crafted {
  long rows = 64, cols = 64;
  int samples = 1;
  std::string photometric = "MONOCHROME2";
  int frames = 1;
  bool pixel_data = true;
  long pixel_bytes = -1;  ///< -1: rows*cols*2*samples*frames
  std::string sop_class = UID_DigitalMammographyXRayImageStorageForPresentation;
  std::string modality = "MG";
  bool spacing = true;
  std::string patient_name;  ///< raw bytes, no SpecificCharacterSet written; empty = none
  std::string study_date;    ///< raw bytes; empty = none
  std::string study_uid;     ///< Study Instance UID; empty = none (Series Instance UID too)
};

/// A hand-made DICOM file (through DCMTK directly, to create headers our writer refuses to write).
inline void craft(const std::filesystem::path& p, const Crafted& c) {
  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, c.sop_class.c_str());
  ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.2.1143.1");
  ds->putAndInsertString(DCM_Modality, c.modality.c_str());
  if (c.spacing) ds->putAndInsertString(DCM_ImagerPixelSpacing, "0.1\\0.1");
  if (!c.patient_name.empty()) ds->putAndInsertString(DCM_PatientName, c.patient_name.c_str());
  if (!c.study_date.empty()) ds->putAndInsertString(DCM_StudyDate, c.study_date.c_str());
  if (!c.study_uid.empty()) {
    ds->putAndInsertString(DCM_StudyInstanceUID, c.study_uid.c_str());
    ds->putAndInsertString(DCM_SeriesInstanceUID, (c.study_uid + ".1").c_str());
  }
  if (c.pixel_data) {
    ds->putAndInsertUint16(DCM_SamplesPerPixel, static_cast<Uint16>(c.samples));
    ds->putAndInsertString(DCM_PhotometricInterpretation, c.photometric.c_str());
    if (c.frames != 1) ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(c.frames).c_str());
    ds->putAndInsertUint16(DCM_Rows, static_cast<Uint16>(c.rows));
    ds->putAndInsertUint16(DCM_Columns, static_cast<Uint16>(c.cols));
    ds->putAndInsertUint16(DCM_BitsAllocated, 16);
    ds->putAndInsertUint16(DCM_BitsStored, 12);
    ds->putAndInsertUint16(DCM_HighBit, 11);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    const long n = c.pixel_bytes >= 0 ? c.pixel_bytes / 2 : c.rows * c.cols * c.samples * c.frames;
    std::vector<Uint16> px(static_cast<std::size_t>(std::max(n, 1L)), 0);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<Uint16>(i % 4096);
    ds->putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(n));
  }
  ASSERT_TRUE(file.saveFile(p.c_str(), EXS_LittleEndianExplicit).good());
}

}  // namespace calcscope::test
