// DICOM Storage SCU: C-ECHO, then C-STORE of DICOM files to a PACS (DCMTK dcmnet, DcmSCU).
// Used by `calcscope send`, by `calcscope analyze --send-sr` and by `calcscope listen --forward-sr`.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "calcscope/core/error.h"
#include "calcscope/net/peer.h"

namespace calcscope {

struct SendOptions {
  std::string calling_aet = "CALCSCOPE";  ///< our AE title (the PACS may have to know it)
  int timeout_seconds = 30;               ///< TCP connect, association (ACSE) and each DIMSE message
  /// C-ECHO on the association before the first C-STORE. A peer that does not accept the
  /// Verification SOP class only gets a note in SendReport::echo_message (the stores are still tried).
  bool echo = true;
};

/// What happened to one file.
struct SentFile {
  std::filesystem::path file;
  bool ok = false;                 ///< stored by the peer (DIMSE status 0x0000, or a warning 0xB000-0xBFFF)
  ErrorCode error = ErrorCode::Ok;
  std::string message;             ///< why it failed (names the file and what to do); a warning when ok
  std::string sop_class_uid, sop_instance_uid, transfer_syntax_uid;
  std::string modality;            ///< short name of the SOP class (MG, SR, DX, ...) or ""
  int dimse_status = -1;           ///< C-STORE response status; -1 = no response (not sent)
  double seconds = 0;
};

/// The outcome of one send_dicom_files() call.
struct SendReport {
  DicomPeer peer;
  std::string calling_aet;
  /// Connection: Ok when an association was established (then echo_* and files say the rest).
  /// PeerUnreachable / AssociationRejected: nothing could be sent, every file carries the same error.
  ErrorCode connection_error = ErrorCode::Ok;
  std::string connection_message;
  bool echo_ok = false;            ///< C-ECHO answered with success
  std::string echo_message;        ///< "" when echo_ok; otherwise why not (not asked, not accepted, failed)
  double echo_ms = 0;
  std::vector<SentFile> files;     ///< in the order given
  double seconds = 0;
  int failed() const;
  /// 0 every file sent; the connection's code when the peer could not be reached and nothing was
  /// sent (peer_unreachable, association_rejected), whatever the number of files; else a single file's own code, or 1
  /// (partial_failure) for several files with some failures. docs/dicom-network.md.
  int exit_code() const;
};

/// Sends `files` to `peer` in one association (more when more than ~120 SOP class / transfer
/// syntax combinations are needed): C-ECHO first (options.echo), then one C-STORE per file. Never
/// throws for a bad file or an unreachable peer: each file's outcome is in the report.
/// Files are checked before connecting: missing (file_not_found), unreadable, not DICOM
/// (unsupported_format: no SOP Class / SOP Instance UID). Each file is sent in its own transfer
/// syntax when the peer accepts it; otherwise uncompressed (JPEG, JPEG-LS and RLE are decompressed;
/// JPEG 2000 cannot be, and then fails with store_failed).
SendReport send_dicom_files(const std::vector<std::filesystem::path>& files, const DicomPeer& peer,
                            const SendOptions& options = {});

/// The per-file table printed by `calcscope send` (header, one row per file, summary line).
std::string format_send_report(const SendReport& report);

}  // namespace calcscope
