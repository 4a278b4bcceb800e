// A DICOM network peer ("AET@HOST:PORT") and the settings shared by calcscope's SCU and SCP.
// docs/dicom-network.md describes the three commands built on this (send, analyze --send-sr, listen).
#pragma once
#include <string>

namespace calcscope {

/// A remote Application Entity: its AE title, host name or IP address, and TCP port.
struct DicomPeer {
  std::string aet;
  std::string host;
  int port = 104;
  /// "AET@HOST:PORT"
  std::string to_string() const;
  bool operator==(const DicomPeer&) const = default;
};

/// Parses "AET@HOST:PORT" (AE title 1-16 characters of the DICOM default repertoire without
/// backslash; port 1-65535). Throws Error(Usage) naming what is wrong.
DicomPeer parse_dicom_peer(const std::string& text);

/// Checks an AE title (our own: --calling-aet, --aet): 1-16 characters, no backslash or control
/// characters, not only spaces. Throws Error(Usage).
void check_ae_title(const std::string& aet, const std::string& what);

/// Process set-up for DICOM networking, once: SIGPIPE ignored (a peer closing its socket must not
/// end the process), TCP_NODELAY=1 in the environment unless already set (DCMTK 3.6.7 keeps Nagle's
/// algorithm on otherwise: ~40 ms per message), codecs registered. send_dicom_files() and
/// StorageListener::start() call it; call it yourself before starting threads that may send, since
/// it changes the environment.
void init_dicom_network();

/// DCMTK's network log (dcmtk.dcmnet) goes to stderr only when verbose; by default calcscope reports
/// every failure itself (per-file tables, log lines) and keeps DCMTK quiet.
void set_dicom_network_verbose(bool verbose);

}  // namespace calcscope
