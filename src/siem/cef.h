// ArcSight Common Event Format (CEF 0) lines for syslog payloads:
//   CEF:0|flowsentry|flowsentry|VERSION|signatureId|name|severity|k=v k=v ...
// Header fields escape `\` and `|`; extension values escape `\`, `=` and line breaks (`\n`,
// `\r`), as the CEF specification says. Extension keys are CEF's own (src, dst, spt, dpt,
// proto, app, rt, msg, cat, ...) plus labelled custom strings/numbers (cs1/cs1Label, ...).
#pragma once

#include <string>
#include <string_view>

#include "detect/alert.h"
#include "model/verdict.h"

namespace flowsentry::siem {

std::string cef_escape_header(std::string_view s);
std::string cef_escape_value(std::string_view s);

// 0-10 severity CEF wants.
int cef_severity(detect::Severity s);

std::string cef_alert(const detect::Alert& alert);
std::string cef_verdict(const model::ScoredFlow& f, double now);

}  // namespace flowsentry::siem
