// Body of the cost GEMM, included once per instruction set by gemm_<isa>.cpp after its
// target pragma and inside an anonymous namespace, with a vector wrapper `V` per element type
// (T, R = register type, W = lanes, zero/load/store/bcast/fma/add/neg). No standard-library
// templates are instantiated here: everything compiled under a wider target must stay local
// to its file, or the linker could pick an AVX-512 copy of a shared inline function for
// callers on older CPUs.
//
// Not a standalone header: no include guard, no includes on purpose.

template <class V, int MR, int NV, int KC>
struct GemmImpl {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr int kMR = MR;
  static constexpr int NR = NV * V::W;

  template <int P>
  static void pack(const T* X, Layout layout, int64_t S, int64_t K, const int64_t* idx,
                   int64_t rows, const double* pos_sqnorm, T* out) {
    const int64_t panels = (rows + P - 1) / P;
    for (int64_t b = 0; b < panels; ++b) {
      T* dst = out + b * P * K;
      int64_t pos[P];
      T scale[P];
      const int64_t valid = rows - b * P < P ? rows - b * P : P;
      for (int r = 0; r < P; ++r) {
        pos[r] = 0;
        scale[r] = T(0);
        if (r < valid) {
          pos[r] = idx != nullptr ? idx[b * P + r] : b * P + r;
          scale[r] = T(1);
          if (pos_sqnorm != nullptr) {
            const double sq = pos_sqnorm[pos[r]];
            scale[r] = sq > 0.0 ? static_cast<T>(1.0 / __builtin_sqrt(sq)) : T(0);
          }
        }
      }
      if (layout == Layout::feature_major && idx == nullptr) {
        // Contiguous positions: a straight (vectorisable) copy of each feature row's slice.
        const int64_t base = b * P;
        for (int64_t k = 0; k < K; ++k) {
          const T* xk = X + k * S + base;
          T* d = dst + k * P;
          if (valid == P) {
            for (int r = 0; r < P; ++r) d[r] = xk[r] * scale[r];
          } else {
            for (int r = 0; r < valid; ++r) d[r] = xk[r] * scale[r];
            for (int r = static_cast<int>(valid); r < P; ++r) d[r] = T(0);
          }
        }
      } else if (layout == Layout::feature_major) {
        for (int64_t k = 0; k < K; ++k) {
          const T* xk = X + k * S;
          T* d = dst + k * P;
          for (int r = 0; r < P; ++r) d[r] = r < valid ? xk[pos[r]] * scale[r] : T(0);
        }
      } else {
        for (int r = 0; r < P; ++r) {
          if (r < valid) {
            const T* xr = X + pos[r] * K;
            const T s = scale[r];
            for (int64_t k = 0; k < K; ++k) dst[k * P + r] = xr[k] * s;
          } else {
            for (int64_t k = 0; k < K; ++k) dst[k * P + r] = T(0);
          }
        }
      }
    }
  }

  static void pack_a(const T* X, Layout layout, int64_t S, int64_t K, const int64_t* idx,
                     int64_t rows, const double* pos_sqnorm, T* out) {
    pack<MR>(X, layout, S, K, idx, rows, pos_sqnorm, out);
  }
  static void pack_b(const T* X, Layout layout, int64_t S, int64_t K, const int64_t* idx,
                     int64_t rows, const double* pos_sqnorm, T* out) {
    pack<NR>(X, layout, S, K, idx, rows, pos_sqnorm, out);
  }

  // One MR x NR block of C over kc features. `first`: the first K block writes C, later
  // ones add to it. Negation is applied per block; since rounding is symmetric in sign,
  // (-a) + (-b) == -(a + b) exactly, so the negated cost is the exact negative of the
  // un-negated one.
  static inline void micro(int64_t kc, const T* A, const T* B, T* C, int64_t ldc, bool first,
                           bool negate, int64_t mr, int64_t nr) {
    R acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V::zero();
    for (int64_t k = 0; k < kc; ++k) {
      R b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) b[v] = V::load(B + k * NR + v * V::W);
      const T* a = A + k * MR;
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const R ar = V::bcast(a + r);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = V::fma(ar, b[v], acc[r][v]);
      }
    }
    if (mr == MR && nr == NR) {
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          T* c = C + r * ldc + v * V::W;
          R val = negate ? V::neg(acc[r][v]) : acc[r][v];
          if (!first) val = V::add(V::load(c), val);
          V::store(c, val);
        }
    } else {
      T tmp[MR * NR];
      for (int r = 0; r < MR; ++r)
        for (int v = 0; v < NV; ++v) V::store(tmp + r * NR + v * V::W, acc[r][v]);
      for (int64_t r = 0; r < mr; ++r)
        for (int64_t c = 0; c < nr; ++c) {
          const T val = negate ? -tmp[r * NR + c] : tmp[r * NR + c];
          T& dst = C[r * ldc + c];
          dst = first ? val : dst + val;
        }
    }
  }

  static void gemm(const T* Ap, int64_t rows, const T* Bp, int64_t cols, int64_t K, T* C,
                   int64_t ldc, bool negate) {
    if (rows <= 0 || cols <= 0) return;
    if (K <= 0) {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) C[r * ldc + c] = T(0);
      return;
    }
    const int64_t row_panels = (rows + MR - 1) / MR, col_panels = (cols + NR - 1) / NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kc = K - k0 < KC ? K - k0 : KC;
      for (int64_t ib = 0; ib < row_panels; ++ib) {
        const T* a = Ap + ib * MR * K + k0 * MR;
        const int64_t mr = rows - ib * MR < MR ? rows - ib * MR : MR;
        for (int64_t jb = 0; jb < col_panels; ++jb) {
          const int64_t nr = cols - jb * NR < NR ? cols - jb * NR : NR;
          micro(kc, a, Bp + jb * NR * K + k0 * NR, C + ib * MR * ldc + jb * NR, ldc, k0 == 0,
                negate, mr, nr);
        }
      }
    }
  }

};
