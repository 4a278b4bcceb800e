// AET@HOST:PORT parsing, AE title checks and the network rows of the one error table.
#include <gtest/gtest.h>

#include "calcscope/core/error.h"
#include "calcscope/net/peer.h"
#include "test_support.h"

namespace calcscope {
namespace {

TEST(DicomPeer, ParsesAetHostPort) {
  const DicomPeer p = parse_dicom_peer("ORTHANC@127.0.0.1:4242");
  EXPECT_EQ(p.aet, "ORTHANC");
  EXPECT_EQ(p.host, "127.0.0.1");
  EXPECT_EQ(p.port, 4242);
  EXPECT_EQ(p.to_string(), "ORTHANC@127.0.0.1:4242");
  EXPECT_EQ(parse_dicom_peer("PACS@pacs.example.org:104").host, "pacs.example.org");
  EXPECT_EQ(parse_dicom_peer("A@[::1]:11112").host, "::1");
}

TEST(DicomPeer, RejectsMalformedPeersWithUsage) {
  for (const char* bad : {"", "127.0.0.1:4242", "@127.0.0.1:4242", "ORTHANC@127.0.0.1", "ORTHANC@:4242",
                          "ORTHANC@host:0", "ORTHANC@host:70000", "ORTHANC@host:42x", "ABCDEFGHIJKLMNOPQ@host:104",
                          "A\\B@host:104"}) {
    try {
      parse_dicom_peer(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Usage) << bad;
      EXPECT_NE(std::string(e.what()).find("AET@HOST:PORT"), std::string::npos) << e.what();
    }
  }
}

TEST(DicomPeer, AeTitleChecks) {
  EXPECT_NO_THROW(check_ae_title("CALCSCOPE", "--aet"));
  EXPECT_NO_THROW(check_ae_title("ABCDEFGHIJKLMNOP", "--aet"));  // 16 characters
  EXPECT_THROW(check_ae_title("", "--aet"), Error);
  EXPECT_THROW(check_ae_title("   ", "--aet"), Error);
  EXPECT_THROW(check_ae_title("ABCDEFGHIJKLMNOPQ", "--aet"), Error);
}

TEST(NetErrors, NetworkCodesAreInTheOneTable) {
  EXPECT_EQ(error_info(ErrorCode::PeerUnreachable).exit_code, 13);
  EXPECT_EQ(error_info(ErrorCode::PeerUnreachable).name, "peer_unreachable");
  EXPECT_EQ(error_info(ErrorCode::AssociationRejected).exit_code, 14);
  EXPECT_EQ(error_info(ErrorCode::AssociationRejected).name, "association_rejected");
  EXPECT_EQ(error_info(ErrorCode::StoreFailed).exit_code, 15);
  EXPECT_EQ(error_info(ErrorCode::StoreFailed).name, "store_failed");
  EXPECT_EQ(error_info(ErrorCode::ListenFailed).exit_code, 16);
  EXPECT_EQ(error_info(ErrorCode::ListenFailed).name, "listen_failed");
}

TEST(NetErrors, ExitCodesCommandAndDocsListEveryRow) {
  const auto r = test::run_cli("exit-codes");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string doc = test::slurp(std::filesystem::path(CALCSCOPE_SOURCE_DIR) / "docs" / "exit-codes.md");
  for (const auto& e : error_table()) {
    const std::string name(e.name);
    if (e.code != ErrorCode::Ok) EXPECT_NE(r.output.find(name), std::string::npos) << name << "\n" << r.output;
    const std::string row = "| " + std::to_string(e.exit_code) + " | " + name + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/exit-codes.md lacks the row " << row;
  }
}

}  // namespace
}  // namespace calcscope
