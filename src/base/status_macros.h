// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "base/result.h"
#include "base/status.h"

// Evaluates `expr` (a Status); returns it from the calling function if it is not OK.
#define RG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::roentgen::Status rg_status_ = (expr);  \
    if (!rg_status_.ok()) return rg_status_; \
  } while (false)

#define RG_CONCAT_INNER_(a, b) a##b
#define RG_CONCAT_(a, b) RG_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (a Result<T>); on error returns its Status, else moves the value into
// `lhs`, which may be a declaration (`auto x`) or an existing variable.
#define RG_ASSIGN_OR_RETURN(lhs, rexpr) \
  RG_ASSIGN_OR_RETURN_IMPL_(RG_CONCAT_(rg_result_, __LINE__), lhs, rexpr)
#define RG_ASSIGN_OR_RETURN_IMPL_(result, lhs, rexpr) \
  auto result = (rexpr);                              \
  if (!result.ok()) return result.error();            \
  lhs = std::move(result).value()
