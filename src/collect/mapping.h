// An exported flow (ExportRecord) to a flow::FlowRecord with the `netflow` profile's fields;
// README.md has the mapping table with units. The ct_* window counts are filled later, in
// output order (meter::CtWindow), by whoever orders the records.
#pragma once

#include <optional>
#include <string_view>

#include "collect/export_record.h"
#include "flow/flow_record.h"
#include "flow/validate.h"

namespace flowsentry::collect {

struct MappingSettings {
  // Exporters count IP bytes; UNSW-NB15 counts wire bytes. Added per packet (Ethernet: 14).
  int link_layer_bytes = 14;
};

// The Argus-style state of a flow from its OR'd TCP flags (TCP), ICMP type/code, or which
// directions carried packets (README.md, "State").
std::string_view state_of(const ExportRecord& r);

// Fills `out` (identity, features; ct_* left 0). A value the flow validation refuses (a time
// before 1990 or past tomorrow at `now`, a count beyond its bound) is returned as the problem.
std::optional<flow::FieldProblem> to_flow_record(const ExportRecord& r,
                                                 const MappingSettings& settings, double now,
                                                 flow::FlowRecord& out);

}  // namespace flowsentry::collect
