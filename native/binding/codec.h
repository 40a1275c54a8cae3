// The codecs exposed without a namespace, for unprivileged tests on golden bytes. JS thread.
#pragma once

#include <napi.h>

namespace binding {

// { encode(op, spec) -> Buffer, decode(buffer) -> object[], operations: the table as data }
Napi::Object DefineCodec(Napi::Env env);

}  // namespace binding
