// The exception-to-error-code guard (the counterpart of Faiss c_api's macros_impl.h).
#pragma once

#include <faiss/impl/FaissException.h>

#include <new>

namespace rf {

template <typename Fn>
int guard(Fn&& fn) noexcept {
    try {
        fn();
        return RF_OK;
    } catch (const InvalidArgument& e) {
        set_last_error(e.what());
        return RF_ERR_INVALID_ARGUMENT;
    } catch (const faiss::FaissException& e) {
        set_last_error(e.what());
        return RF_ERR_FAISS;
    } catch (const std::bad_alloc& e) {
        set_last_error(e.what());
        return RF_ERR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_last_error(e.what());
        return RF_ERR_STD;
    } catch (...) {
        set_last_error("unknown C++ exception");
        return RF_ERR_UNKNOWN;
    }
}

} // namespace rf
