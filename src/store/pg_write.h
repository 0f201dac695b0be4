// What PostgresStore::write sends, built client-side: the batch as binary COPY data (no text
// formatting or parsing of the 17 doubles per flow) and the rollup additions as one SQL string
// of multi-row upserts, so a batch is BEGIN, COPY, and one round trip for rollups + COMMIT.
#pragma once

#include <span>
#include <string>

#include "model/verdict.h"
#include "store/rollup.h"

namespace flowsentry::store {

// The anomaly_scores columns the COPY data holds, in order.
extern const char* const kPgFlowColumns;

// Binary COPY data (header, one tuple per flow, trailer) for kPgFlowColumns; the features
// column is filled for the flows keeps_features(flow, feature_sample) picks, NULL otherwise.
std::string pg_binary_copy(std::span<const model::ScoredFlow> batch, double feature_sample);

// "INSERT ... VALUES (...), ... ON CONFLICT ... DO UPDATE ...;" for every non-empty table.
std::string pg_rollup_sql(const RollupBuilder& rollups);

// The host_rollup_1h part of pg_rollup_sql ("" when the batch has no addresses).
std::string pg_host_rollup_sql(const RollupBuilder& rollups);

// A SQL string literal for s, valid whatever standard_conforming_strings says.
std::string pg_literal(std::string_view s);

}  // namespace flowsentry::store
