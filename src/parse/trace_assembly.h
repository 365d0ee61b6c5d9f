// SPDX-License-Identifier: Apache-2.0
#pragma once

// Read-time trace assembly (xray-semantics.md §0.1 step 2): independent subsegments are put
// back into the `subsegments` array of their parent, so that a trace is returned as its
// top-level segments with everything else nested, the way BatchGetTraces shows it.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roentgen::parse {

// Nests every independent subsegment (a document with "type": "subsegment") into the
// entity whose `id` equals its `parent_id`: a segment or a subsegment, embedded or itself an
// independent subsegment, anywhere in `documents`. Input: the raw documents of one trace,
// already deduplicated by id (complete beating in-progress). Output: the top-level documents.
//
//  * A nested document is inserted verbatim (its own trace_id/parent_id/type included) at the
//    end of the parent's `subsegments` array, which is created when missing. Only the inserted
//    text changes: the parent's own bytes, formatting included, stay as they were.
//  * A document that receives nothing is returned byte-identical.
//  * Order: top-level documents keep their input order; children of one parent are appended
//    in input order.
//  * Orphans (parent not found, or `parent_id` naming an entity inside the subsegment itself)
//    and documents that are not valid JSON objects are returned as top-level documents.
//  * Cycles (A's parent inside B, B's parent inside A) are broken deterministically: the first
//    such document in input order becomes top-level. Nesting deeper than 64 documents is cut
//    the same way. Nothing is ever dropped or duplicated.
//  * When an id occurs more than once, the first occurrence (input order, then document order)
//    is the parent.
// Thread-safe (no shared state). Cost: one json_dom parse per document plus linear copying.
std::vector<std::string> NestIndependentSubsegments(std::span<const std::string_view> documents);

}  // namespace roentgen::parse
