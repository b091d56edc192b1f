// A dlscan oracle written in C++: a class behind the C ABI of dlscan_oracle.h.
//
// The n-dimensional Rosenbrock function, a thin curved valley:
//   f(x) = sum_i [ b (x_{i+1} - x_i^2)^2 + (a - x_i)^2 ],  minimum 0 at (a, a^2, ...)
// Outputs: f and log10(f + 1e-12). Points with f above `fail_above` fail, to show
// per-point error reporting.
//
// Configuration (flat, see plugins/README.md), all optional:
//   dim = 3  a = 1.0  b = 100.0  fail_above = 1e30
//
// Build:
//   c++ -std=c++17 -shared -fPIC -O2 -I<oracle-api>/include rosenbrock_oracle.cpp -o libdlscan_cpp_rosenbrock.so

#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "dlscan_oracle.h"

namespace {

class Rosenbrock {
  public:
    explicit Rosenbrock(const char *config) {
        static const char *const known[] = {"dim", "a", "b", "fail_above"};
        if (const char *line = dlscan_config_unknown(config, known, 4)) {
            throw std::invalid_argument("cpp-rosenbrock: unknown setting `" +
                                        std::string(line, std::strcspn(line, "\n")) +
                                        "` (known: dim, a, b, fail_above)");
        }
        double dim = 3.0;
        number(config, "dim", dim);
        number(config, "a", a_);
        number(config, "b", b_);
        number(config, "fail_above", fail_above_);
        if (dim != std::floor(dim) || dim < 2 || dim > 100) {
            throw std::invalid_argument("cpp-rosenbrock: dim must be a whole number in 2..100");
        }
        dim_ = static_cast<std::size_t>(dim);
    }

    std::size_t dim() const { return dim_; }
    const char *const *names() const { return names_; }

    // Evaluates n points; returns per-point DLSCAN_POINT_* codes in status.
    void evaluate(std::size_t n, const double *x, double *outputs, int32_t *status) {
        failures_.assign(n, std::string());
        for (std::size_t i = 0; i < n; i++) {
            const double *p = x + i * dim_;
            double f = 0.0;
            for (std::size_t d = 0; d + 1 < dim_; d++) {
                double valley = p[d + 1] - p[d] * p[d];
                f += b_ * valley * valley + (a_ - p[d]) * (a_ - p[d]);
            }
            if (f > fail_above_) {
                failures_[i] = "f = " + std::to_string(f) + " above fail_above";
                status[i] = DLSCAN_POINT_FAILED;
                continue;
            }
            outputs[2 * i] = f;
            outputs[2 * i + 1] = std::log10(f + 1e-12);
            status[i] = DLSCAN_POINT_OK;
        }
    }

    const char *point_error(std::size_t i) const {
        return i < failures_.size() && !failures_[i].empty() ? failures_[i].c_str() : nullptr;
    }

    std::string last_error;

  private:
    static void number(const char *config, const char *key, double &value) {
        if (dlscan_config_number(config, key, &value) < 0) {
            throw std::invalid_argument(std::string("cpp-rosenbrock: ") + key + " must be a number");
        }
    }

    std::size_t dim_ = 3;
    double a_ = 1.0, b_ = 100.0, fail_above_ = 1e30;
    const char *names_[2] = {"f", "log10_f"};
    std::vector<std::string> failures_;
};

// Every entry point catches every exception: none may cross the C ABI.

void *create(const char *config, char *err, std::size_t err_len) {
    try {
        return new Rosenbrock(config);
    } catch (const std::exception &e) {
        std::snprintf(err, err_len, "%s", e.what());
    } catch (...) {
        std::snprintf(err, err_len, "cpp-rosenbrock: unknown exception");
    }
    return nullptr;
}

int32_t describe(void *handle, dlscan_oracle_shape *shape) {
    auto *r = static_cast<Rosenbrock *>(handle);
    shape->n_inputs = r->dim();
    shape->n_outputs = 2;
    shape->output_names = r->names();
    return DLSCAN_CALL_OK;
}

int32_t evaluate(void *handle, std::size_t n, const double *x, double *outputs, int32_t *status) {
    auto *r = static_cast<Rosenbrock *>(handle);
    try {
        r->evaluate(n, x, outputs, status);
        return DLSCAN_CALL_OK;
    } catch (const std::exception &e) {
        r->last_error = e.what();
    } catch (...) {
        r->last_error = "cpp-rosenbrock: unknown exception";
    }
    return DLSCAN_CALL_ERROR;
}

const char *point_error(void *handle, std::size_t i) { return static_cast<Rosenbrock *>(handle)->point_error(i); }

const char *last_error(void *handle) {
    auto *r = static_cast<Rosenbrock *>(handle);
    return r->last_error.empty() ? nullptr : r->last_error.c_str();
}

void destroy(void *handle) { delete static_cast<Rosenbrock *>(handle); }

// C++20 would take designated initialisers; in C++17 the fields go in declaration order.
const dlscan_oracle_descriptor DESCRIPTOR = {
    DLSCAN_ORACLE_ABI_VERSION,
    DLSCAN_ORACLE_ABI_MINOR,
    0,
    sizeof(dlscan_oracle_descriptor),
    "cpp-rosenbrock",
    "1.0.0",
    create,
    describe,
    evaluate,
    point_error,
    last_error,
    destroy,
    DLSCAN_CONFIG_FLAT,
};

} // namespace

extern "C" const dlscan_oracle_descriptor *dlscan_oracle_entry(void) { return &DESCRIPTOR; }
