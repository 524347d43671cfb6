// Thread-local last-error message and version string.
#include <string>

#include "shim_internal.h"

namespace {
// One message per thread so that concurrent callers never read each other's errors.
thread_local std::string last_error;
} // namespace

void rf::set_last_error(const char* message) {
    try {
        last_error = message != nullptr ? message : "";
    } catch (...) {
        // Out of memory while recording the error: keep the old text rather than throw.
    }
}

extern "C" const char* rf_last_error(void) {
    return last_error.c_str();
}

extern "C" const char* rf_faiss_version(void) {
#define RF_STR2(x) #x
#define RF_STR(x) RF_STR2(x)
    return RF_STR(FAISS_VERSION_MAJOR) "." RF_STR(FAISS_VERSION_MINOR) "." RF_STR(FAISS_VERSION_PATCH);
}
