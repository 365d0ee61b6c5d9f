// SPDX-License-Identifier: Apache-2.0
// The roentgen-sdk façade: include this one header.
#pragma once

#include "roentgen/sdk/emitter.h"
#include "roentgen/sdk/json.h"
#include "roentgen/sdk/recorder.h"
#include "roentgen/sdk/sampler.h"
#include "roentgen/sdk/trace_header.h"
