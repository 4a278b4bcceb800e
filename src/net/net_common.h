// Private to src/net: process set-up for DCMTK networking, SOP class names, condition mapping.
#pragma once
#include "dcmtk/config/osconfig.h"  // must come first

#include <string>

#include <dcmtk/ofstd/ofcond.h>

#include "calcscope/core/error.h"

namespace calcscope::net_detail {

/// Once per process: SIGPIPE ignored (a peer closing its socket must not kill us; DCMTK then
/// returns an error), DCMTK's dcmnet log quiet unless set_dicom_network_verbose(true), the JPEG /
/// JPEG-LS / RLE codecs registered (decompression for peers that do not accept a compressed syntax).
void ensure_network_setup();

/// Short name of a SOP class: the modality DCMTK associates with it, without DCMTK's lower-case
/// variant marks (MG for the mammography image classes, DX, CR, SC, SR, ...), or "" when unknown.
/// Used when an object has no Modality (0008,0060).
std::string modality_of(const std::string& sop_class_uid);

/// Readable name of a SOP class ("Digital Mammography X-Ray Image Storage - For Presentation"),
/// the UID itself when unknown.
std::string sop_class_name(const std::string& sop_class_uid);

/// Readable name of a transfer syntax, the UID itself when unknown.
std::string transfer_syntax_name(const std::string& ts_uid);

/// The error code of a failed association request: AssociationRejected (the peer answered no, or
/// accepted no presentation context) or PeerUnreachable (everything else: refused, unknown host,
/// timeout, aborted).
ErrorCode association_failure_code(const OFCondition& cond);

}  // namespace calcscope::net_detail
