/* depgraph_tree.h - the wide Z-order R-tree over live pieces, for ND dims.
 *
 * Not a public header: depgraph.c includes it once per ND = 1..4 (with ND
 * defined) so that every loop over dimensions has a constant trip count, and
 * collects the results in a table of function pointers chosen once per
 * analyzer in grt__dg_create(). Everything here is static.
 *
 * The tree is a B+-tree of fanout DG_B ordered by the Morton (Z) order of the
 * pieces' low corners; every inner node holds, for each child, its bounding
 * box, class mask, reduction-operator range and a separator key (a lower
 * bound of the child's keys), all as structure-of-arrays so a visit scans
 * contiguous memory. Leaves hold up to DG_B pieces, also as SoA
 * (lo[d][slot], hi[d][slot]); a leaf's pieces are not kept in order (an
 * insertion appends), they are sorted only when the leaf splits.
 *
 * Nothing here allocates: insertions take nodes from the pools, which
 * depgraph.c has reserved (bound_nodes) before the mutation started.
 */
#ifndef ND
#error "define ND before including depgraph_tree.h"
#endif

#ifndef DG_CW
#error "define DG_CW (32 or 64) before including depgraph_tree.h"
#endif

#define T_CAT2(a, b) a##_##b
#define T_CAT(a, b) T_CAT2(a, b)
#define T(name) T_CAT(T_CAT(T_CAT(name, ND), DG_CW), DG_VAR)

/* Stored coordinates: 32-bit while every coordinate the analyzer has seen
 * fits in int32 (the narrow tree; half the bytes per node visit), 64-bit
 * after the first one that does not (depgraph.c widens the tree then). */
#if DG_CW == 32
#define CT int32_t
#define ROW DG_ROW32
#else
#define CT int64_t
#define ROW DG_ROW64
#endif

/* Node bodies (v[], after the header's count and class masks), laid out so
 * that what a query reads comes first, in one contiguous run that a visit
 * prefetches (grt_dg.hot): the coordinate rows, then the ids (leaf) or
 * child pointers (inner). What only mutations read follows. (Moving the
 * separators into the prefetched run, for the insertion that follows a
 * query on the same path, measured no faster.)
 *   leaf:  lo[d] rows, hi[d] rows | id | op | hit
 *   inner: box lo[d] rows, box hi[d] rows | child | opmin | opmax | sep[d] rows
 */
#define BOXB ((size_t)2 * ND * ROW * sizeof(CT))
#define LLO(x, d) ((CT *)(x)->v + (size_t)(d) * ROW)
#define LHI(x, d) ((CT *)(x)->v + (size_t)(ND + (d)) * ROW)
#define LID(x) ((uint64_t *)((char *)(x)->v + BOXB))
#define LOP(x) ((int32_t *)(LID(x) + DG_CAP))
#define LHIT(x) ((uint32_t *)(LOP(x) + DG_CAP))
#define BLO(x, d) ((CT *)(x)->v + (size_t)(d) * ROW)
#define BHI(x, d) ((CT *)(x)->v + (size_t)(ND + (d)) * ROW)
#define ICHILD(x) ((void **)((char *)(x)->v + BOXB))
#define IOPMIN(x) ((int32_t *)(ICHILD(x) + DG_CAP))
#define IOPMAX(x) (IOPMIN(x) + DG_CAP)
#define SEP(x, d) ((CT *)(IOPMAX(x) + DG_CAP) + (size_t)(d) * ROW)

/* Key order: Morton (Z) order of low corners -- the dimension whose
 * coordinates differ in the most significant bit decides, dimension 0 first
 * on ties. Returns <0, 0, >0. */
static inline int T(key_cmp)(const int64_t *a, const int64_t *b) {
  uint64_t best = 0, ca = 0, cb = 0;
  for (int d = 0; d < ND; d++) {
    uint64_t x = ucoord(a[d]), y = ucoord(b[d]);
    uint64_t diff = x ^ y;
    if (best < diff && best < (best ^ diff)) {
      best = diff;
      ca = x;
      cb = y;
    }
  }
  return ca < cb ? -1 : ca > cb;
}

static inline void T(leaf_key)(const dg_leaf_t *x, int s, int64_t *k) {
  for (int d = 0; d < ND; d++) k[d] = LLO(x, d)[s];
}
static inline void T(sep_key)(const dg_inner_t *x, int s, int64_t *k) {
  for (int d = 0; d < ND; d++) k[d] = SEP(x, d)[s];
}

/* ---- summaries ------------------------------------------------------ */

typedef struct {
  CT lo[ND], hi[ND];
  int32_t omin, omax;
  uint8_t mask;
} T(sum_t);

/* Summaries: with AVX2, whole vectors over the rows (padded and
 * initialised) with the slots past n masked to the neutral element. */
#if DG_CW == 32
#define CT_MAX INT32_MAX
#define CT_MIN INT32_MIN
#else
#define CT_MAX INT64_MAX
#define CT_MIN INT64_MIN
#endif

#ifdef DG_USE_AVX2
static inline int32_t T(hmin32)(__m256i v) {
  __m128i x = _mm_min_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  x = _mm_min_epi32(x, _mm_shuffle_epi32(x, 0x4E));
  x = _mm_min_epi32(x, _mm_shuffle_epi32(x, 0xB1));
  return _mm_cvtsi128_si32(x);
}
static inline int32_t T(hmax32)(__m256i v) {
  __m128i x = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  x = _mm_max_epi32(x, _mm_shuffle_epi32(x, 0x4E));
  x = _mm_max_epi32(x, _mm_shuffle_epi32(x, 0xB1));
  return _mm_cvtsi128_si32(x);
}
/* lanes < n of 8 x 32-bit lanes starting at slot i */
static inline __m256i T(live32)(int i, int n) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), iota);
}
#endif

static inline void T(rows_sum)(const CT *lo0, const CT *hi0, const int32_t *omn,
                               const int32_t *omx, const uint8_t *cls, int n,
                               T(sum_t) *o) {
#ifdef DG_USE_AVX2
  /* whole vectors over the padded rows, slots >= n masked to the neutral
   * element; ops rows are DG_CAP long and the 32nd lane reads the next row
   * of the node (masked) */
  for (int d = 0; d < ND; d++) {
    const CT *lo = lo0 + (size_t)d * ROW, *hi = hi0 + (size_t)d * ROW;
#if DG_CW == 32
    __m256i a = _mm256_set1_epi32(INT32_MAX), b = _mm256_set1_epi32(INT32_MIN);
    for (int i = 0; i < n; i += 8) {
      __m256i live = T(live32)(i, n);
      __m256i l = _mm256_loadu_si256((const __m256i *)(lo + i));
      __m256i h = _mm256_loadu_si256((const __m256i *)(hi + i));
      a = _mm256_min_epi32(a, _mm256_blendv_epi8(a, l, live));
      b = _mm256_max_epi32(b, _mm256_blendv_epi8(b, h, live));
    }
    o->lo[d] = T(hmin32)(a);
    o->hi[d] = T(hmax32)(b);
#else
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    __m256i a = _mm256_set1_epi64x(INT64_MAX), b = _mm256_set1_epi64x(INT64_MIN);
    for (int i = 0; i < n; i += 4) {
      __m256i live = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - i), iota);
      __m256i l = _mm256_loadu_si256((const __m256i *)(lo + i));
      __m256i h = _mm256_loadu_si256((const __m256i *)(hi + i));
      l = _mm256_blendv_epi8(a, l, live);
      h = _mm256_blendv_epi8(b, h, live);
      a = _mm256_blendv_epi8(a, l, _mm256_cmpgt_epi64(a, l));
      b = _mm256_blendv_epi8(b, h, _mm256_cmpgt_epi64(h, b));
    }
    int64_t av[4], bv[4];
    _mm256_storeu_si256((__m256i *)av, a);
    _mm256_storeu_si256((__m256i *)bv, b);
    int64_t am = av[0], bm = bv[0];
    for (int k = 1; k < 4; k++) {
      am = av[k] < am ? av[k] : am;
      bm = bv[k] > bm ? bv[k] : bm;
    }
    o->lo[d] = am;
    o->hi[d] = bm;
#endif
  }
  __m256i a = _mm256_set1_epi32(INT32_MAX), b = _mm256_set1_epi32(INT32_MIN);
  for (int i = 0; i < n; i += 8) {
    __m256i live = T(live32)(i, n);
    __m256i x = _mm256_loadu_si256((const __m256i *)(omn + i));
    __m256i y = _mm256_loadu_si256((const __m256i *)(omx + i));
    a = _mm256_min_epi32(a, _mm256_blendv_epi8(a, x, live));
    b = _mm256_max_epi32(b, _mm256_blendv_epi8(b, y, live));
  }
  o->omin = T(hmin32)(a);
  o->omax = T(hmax32)(b);
  const __m256i iota8 = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                         14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                                         25, 26, 27, 28, 29, 30, 31);
  __m256i c = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)cls),
                               _mm256_cmpgt_epi8(_mm256_set1_epi8((char)n), iota8));
  __m128i x = _mm_or_si128(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
  x = _mm_or_si128(x, _mm_srli_si128(x, 8));
  x = _mm_or_si128(x, _mm_srli_si128(x, 4));
  x = _mm_or_si128(x, _mm_srli_si128(x, 2));
  x = _mm_or_si128(x, _mm_srli_si128(x, 1));
  o->mask = (uint8_t)_mm_cvtsi128_si32(x);
#else
  for (int d = 0; d < ND; d++) {
    const CT *lo = lo0 + (size_t)d * ROW, *hi = hi0 + (size_t)d * ROW;
    CT a = CT_MAX, b = CT_MIN;
    for (int s = 0; s < n; s++) {
      a = lo[s] < a ? lo[s] : a;
      b = hi[s] > b ? hi[s] : b;
    }
    o->lo[d] = a;
    o->hi[d] = b;
  }
  int32_t omin = INT32_MAX, omax = INT32_MIN;
  uint8_t m = 0;
  for (int s = 0; s < n; s++) {
    omin = omn[s] < omin ? omn[s] : omin;
    omax = omx[s] > omax ? omx[s] : omax;
    m |= cls[s];
  }
  o->omin = omin;
  o->omax = omax;
  o->mask = m;
#endif
}

static void T(leaf_sum)(const dg_leaf_t *x, T(sum_t) *o) {
  T(rows_sum)(LLO(x, 0), LHI(x, 0), LOP(x), LOP(x), x->cls, (int)x->n, o);
}

static void T(inner_sum)(const dg_inner_t *x, T(sum_t) *o) {
  T(rows_sum)(BLO(x, 0), BHI(x, 0), IOPMIN(x), IOPMAX(x), x->mask, (int)x->n, o);
}

static inline void T(put_sum)(dg_inner_t *p, int i, const T(sum_t) *s) {
  for (int d = 0; d < ND; d++) {
    BLO(p, d)[i] = s->lo[d];
    BHI(p, d)[i] = s->hi[d];
  }
  IOPMIN(p)[i] = s->omin;
  IOPMAX(p)[i] = s->omax;
  p->mask[i] = s->mask;
}

/* Recomputes child i's summary in p (the child is at level `level`);
 * returns 1 when it differs from the one p held. */
static inline int T(refresh)(dg_inner_t *p, int i, int level) {
  T(sum_t) s;
  if (level == 0)
    T(leaf_sum)((const dg_leaf_t *)ICHILD(p)[i], &s);
  else
    T(inner_sum)((const dg_inner_t *)ICHILD(p)[i], &s);
  int diff = IOPMIN(p)[i] != s.omin || IOPMAX(p)[i] != s.omax || p->mask[i] != s.mask;
  for (int d = 0; d < ND; d++)
    diff |= (BLO(p, d)[i] != s.lo[d]) | (BHI(p, d)[i] != s.hi[d]);
  if (diff) T(put_sum)(p, i, &s);
  return diff;
}

static inline uint32_t T(count)(const void *x, int level) {
  return level == 0 ? ((const dg_leaf_t *)x)->n : ((const dg_inner_t *)x)->n;
}

/* ---- slot moves --------------------------------------------------------- */

static inline void T(leaf_move)(dg_leaf_t *dst, int ds, const dg_leaf_t *src,
                                int ss, int cnt) {
  if (cnt <= 0) return;
  size_t c = (size_t)cnt;
  memmove(LID(dst) + ds, LID(src) + ss, c * sizeof(uint64_t));
  memmove(LOP(dst) + ds, LOP(src) + ss, c * sizeof(int32_t));
  memmove(dst->cls + ds, src->cls + ss, c);
  for (int d = 0; d < ND; d++) {
    memmove(LLO(dst, d) + ds, LLO(src, d) + ss, c * sizeof(CT));
    memmove(LHI(dst, d) + ds, LHI(src, d) + ss, c * sizeof(CT));
  }
}

/* One slot of x to slot w (compaction): plain stores, not seven memmoves. */
static inline void T(leaf_move1)(dg_leaf_t *x, int w, int s) {
  LID(x)[w] = LID(x)[s];
  LOP(x)[w] = LOP(x)[s];
  x->cls[w] = x->cls[s];
  for (int d = 0; d < ND; d++) {
    LLO(x, d)[w] = LLO(x, d)[s];
    LHI(x, d)[w] = LHI(x, d)[s];
  }
}

static inline void T(inner_move)(dg_inner_t *dst, int ds, const dg_inner_t *src,
                                 int ss, int cnt) {
  if (cnt <= 0) return;
  size_t c = (size_t)cnt;
  memmove(ICHILD(dst) + ds, ICHILD(src) + ss, c * sizeof(void *));
  memmove(IOPMIN(dst) + ds, IOPMIN(src) + ss, c * sizeof(int32_t));
  memmove(IOPMAX(dst) + ds, IOPMAX(src) + ss, c * sizeof(int32_t));
  memmove(dst->mask + ds, src->mask + ss, c);
  for (int d = 0; d < ND; d++) {
    memmove(BLO(dst, d) + ds, BLO(src, d) + ss, c * sizeof(CT));
    memmove(BHI(dst, d) + ds, BHI(src, d) + ss, c * sizeof(CT));
    memmove(SEP(dst, d) + ds, SEP(src, d) + ss, c * sizeof(CT));
  }
}

static inline void T(leaf_set)(dg_leaf_t *x, int s, const dg_piece_t *p) {
  LID(x)[s] = p->who.id;
  LOP(x)[s] = p->who.redop;
  x->cls[s] = CLS_BIT(p->who.cls);
  for (int d = 0; d < ND; d++) {
    LLO(x, d)[s] = (CT)p->lo[d];
    LHI(x, d)[s] = (CT)p->hi[d];
  }
}

/* Whose the piece in slot s of leaf x is. */
static inline dg_who_t T(leaf_who)(const dg_leaf_t *x, int s) {
  dg_who_t w;
  w.id = LID(x)[s];
  w.redop = LOP(x)[s];
  w.cls = (uint8_t)__builtin_ctz(x->cls[s]);
  return w;
}

/* ---- query ------------------------------------------------------------ */

/* True when child i of x may hold a piece that conflicts with the query: a
 * conflicting class is there, and it is not only reductions with the
 * querying reduction's operator. */
static inline int T(relevant)(const grt_dg_t *dg, const dg_inner_t *x, int i) {
  const uint8_t mask = x->mask[i];
  if (!(mask & dg->qmask)) return 0;
  /* the operator range only for a reduction over reductions: the rows are
   * in the node's tail, which a query does not wait for */
  if (dg->qcls != CLS_REDUCE || mask != CLS_BIT(CLS_REDUCE)) return 1;
  return !(IOPMIN(x)[i] == dg->qop && IOPMAX(x)[i] == dg->qop);
}

/* A piece's hit by a writer's rectangle in a batch (dg->collect): remember
 * it once (sparse-set mark in the leaf, valid while nothing mutates) with
 * the writer rectangle that hit it. Returns nonzero on allocation failure. */
static int T(collect)(grt_dg_t *dg, dg_leaf_t *x, int s) {
  uint32_t h = LHIT(x)[s];
  if (!(h < dg->nhits && dg->hits[h].leaf == x && dg->hits[h].slot == s)) {
    if (dg->nhits == dg->caphits && grow_hits(dg)) return 1;
    h = (uint32_t)dg->nhits++;
    dg_hit_t *e = &dg->hits[h];
    e->leaf = x;
    e->slot = s;
    e->npairs = 0;
    e->p.who = T(leaf_who)(x, s);
    for (int d = 0; d < ND; d++) {
      e->p.lo[d] = LLO(x, d)[s];
      e->p.hi[d] = LHI(x, d)[s];
    }
    LHIT(x)[s] = h;
  }
  if (dg->npairs == dg->cappairs && grow_pairs(dg)) return 1;
  dg->pairs[dg->npairs].hit = h;
  dg->pairs[dg->npairs].w = dg->qrect;
  dg->npairs++;
  dg->hits[h].npairs++;
  return 0;
}

/* Bit s set when slot s of leaf x overlaps [qlo, qhi] and has a class in
 * qmask (a branch-free loop the compiler can vectorise). */
#ifdef DG_USE_AVX2
/* Bit i set when rows lo[d][i] <= qhi[d] and hi[d][i] >= qlo[d] for every d
 * and cls[i] & qmask, for i < n (rows of stride ROW, padded to a multiple
 * of the lane count and initialised, so the last load stays inside the node). */
static inline uint32_t T(scan_avx2)(const CT *v, const uint8_t *cls,
                                    int n, const int64_t *qlo,
                                    const int64_t *qhi, uint8_t qmask) {
  uint32_t m = 0;
  __m256i ql[ND], qh[ND];
#if DG_CW == 32 /* 8 lanes of 32 bits */
  for (int d = 0; d < ND; d++) {
    ql[d] = _mm256_set1_epi32((int32_t)qlo[d]);
    qh[d] = _mm256_set1_epi32((int32_t)qhi[d]);
  }
  for (int i = 0; i < n; i += 8) {
    __m256i bad = _mm256_setzero_si256();
    for (int d = 0; d < ND; d++) {
      __m256i lo = _mm256_loadu_si256((const __m256i *)(v + (size_t)d * ROW + i));
      __m256i hi =
          _mm256_loadu_si256((const __m256i *)(v + (size_t)(ND + d) * ROW + i));
      bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(lo, qh[d]));
      bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(ql[d], hi));
    }
    uint32_t b = (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(bad));
    m |= (~b & 0xFFu) << i;
  }
#else /* 4 lanes of 64 bits */
  for (int d = 0; d < ND; d++) {
    ql[d] = _mm256_set1_epi64x(qlo[d]);
    qh[d] = _mm256_set1_epi64x(qhi[d]);
  }
  for (int i = 0; i < n; i += 4) {
    __m256i bad = _mm256_setzero_si256();
    for (int d = 0; d < ND; d++) {
      __m256i lo = _mm256_loadu_si256((const __m256i *)(v + (size_t)d * ROW + i));
      __m256i hi =
          _mm256_loadu_si256((const __m256i *)(v + (size_t)(ND + d) * ROW + i));
      bad = _mm256_or_si256(bad, _mm256_cmpgt_epi64(lo, qh[d]));
      bad = _mm256_or_si256(bad, _mm256_cmpgt_epi64(ql[d], hi));
    }
    uint32_t b = (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(bad));
    m |= (~b & 0xFu) << i;
  }
#endif
  __m256i c = _mm256_loadu_si256((const __m256i *)cls);
  __m256i z = _mm256_cmpeq_epi8(_mm256_and_si256(c, _mm256_set1_epi8((char)qmask)),
                                _mm256_setzero_si256());
  m &= ~(uint32_t)_mm256_movemask_epi8(z);
  return m & ((1u << n) - 1u);
}
#endif

static inline uint32_t T(leaf_hits)(const dg_leaf_t *x, const int64_t *qlo,
                                    const int64_t *qhi, uint8_t qmask) {
#ifdef DG_USE_AVX2
  return T(scan_avx2)((const CT *)x->v, x->cls, (int)x->n, qlo, qhi, qmask);
#endif
  const int n = (int)x->n;
  uint32_t m = 0;
  for (int s = 0; s < n; s++) {
    int ok = (x->cls[s] & qmask) != 0;
    for (int d = 0; d < ND; d++)
      ok &= (LLO(x, d)[s] <= qhi[d]) & (LHI(x, d)[s] >= qlo[d]);
    m |= (uint32_t)ok << s;
  }
  return m;
}

/* Bit i set when child i's box overlaps [qlo, qhi] and holds a class in
 * qmask. */
static inline uint32_t T(inner_hits)(const dg_inner_t *x, const int64_t *qlo,
                                     const int64_t *qhi, uint8_t qmask) {
#ifdef DG_USE_AVX2
  return T(scan_avx2)((const CT *)x->v, x->mask, (int)x->n, qlo, qhi, qmask);
#endif
  const int n = (int)x->n;
  uint32_t m = 0;
  for (int i = 0; i < n; i++) {
    int ok = (x->mask[i] & qmask) != 0;
    for (int d = 0; d < ND; d++)
      ok &= (BLO(x, d)[i] <= qhi[d]) & (BHI(x, d)[i] >= qlo[d]);
    m |= (uint32_t)ok << i;
  }
  return m;
}

/* Lone writer: remember leaf x (hit slots m) and the path to it. */
static int T(record_leaf)(grt_dg_t *dg, dg_leaf_t *x, uint32_t m) {
  const size_t h = (size_t)dg->height;
  if (grow_arr(dg, (void **)&dg->lhits, &dg->caplhits, dg->nlhits + 1,
               sizeof(dg_lhit_t)) ||
      grow_arr(dg, (void **)&dg->lsteps, &dg->caplsteps, (dg->nlhits + 1) * h,
               sizeof(dg_step_t)))
    return 1;
  dg_lhit_t *e = &dg->lhits[dg->nlhits];
  e->leaf = x;
  e->mask = m;
  dg_step_t *st = dg->lsteps + dg->nlhits * h;
  for (size_t lv = 1; lv <= h; lv++) {
    st[lv - 1].node = dg->qpath[lv];
    st[lv - 1].idx = dg->qpidx[lv];
  }
  dg->nlhits++;
  return 0;
}

static int T(query_leaf)(grt_dg_t *dg, dg_leaf_t *x) {
  uint32_t m = T(leaf_hits)(x, dg->qlo, dg->qhi, dg->qmask);
  /* a writer reports every hit (qmask 0x7, no same-operator skip), so m is
   * exactly what its cut removes */
  if (m && dg->record && T(record_leaf)(dg, x, m)) return 1;
  while (m) {
    int s = __builtin_ctz(m);
    m &= m - 1;
    if (dg->qcls == CLS_REDUCE && x->cls[s] == CLS_BIT(CLS_REDUCE) &&
        LOP(x)[s] == dg->qop)
      continue; /* same-operator reductions do not conflict */
    if (report(dg, LID(x)[s])) return 1;
    dg->nhit++;
    if (dg->collect && T(collect)(dg, x, s)) return 1;
  }
  return 0;
}

/* Reports every piece under t (at `level`) that overlaps the query and
 * conflicts with it; counts them in dg->nhit and, for a writer of a batch,
 * collects them. Allocates only in collect mode (scratch). */
static int T(query)(grt_dg_t *dg, void *t, int level) {
  if (level == 0) return T(query_leaf)(dg, (dg_leaf_t *)t);
  const dg_inner_t *x = t;
  uint32_t m = T(inner_hits)(x, dg->qlo, dg->qhi, dg->qmask);
  /* Start loading every child to visit before visiting the first: with
   * ~10^6 pieces the lower levels are not in cache. A leaf is loaded whole
   * but for its planning marks (a cut or an insertion there reads or
   * writes its operator row too), an inner node only as far as the query
   * reads it (header, boxes, children). A read or reduction inserts after
   * its query, descending by the separators of the nodes it passes: their
   * tails (operator ranges, separators) are loaded after the children, so
   * that they do not compete with the lines the query waits for. (Loading
   * the inner children whole was 3 % slower at random 10^6 and 6 % at
   * stencil 10^6.) */
  const size_t bytes = level == 1 ? dg->lpf : dg->hot;
  for (uint32_t b = dg->live > DG_PREFETCH_LIVE ? m : 0; b; b &= b - 1) {
    const char *c = ICHILD(x)[__builtin_ctz(b)];
    for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o);
  }
  if (dg->qcls != CLS_WRITE && dg->live > DG_PREFETCH_LIVE) {
    const uintptr_t end = (uintptr_t)x + dg->inners.esize; /* this node's tail */
    for (uintptr_t a = ((uintptr_t)x + dg->hot) & ~(uintptr_t)63; a < end; a += 64)
      __builtin_prefetch((const void *)a);
  }
  while (m) {
    int i = __builtin_ctz(m);
    m &= m - 1;
    if (!T(relevant)(dg, x, i)) continue;
    dg->qpath[level] = (dg_inner_t *)x;
    dg->qpidx[level] = i;
    if (T(query)(dg, ICHILD(x)[i], level - 1)) return 1;
  }
  return 0;
}

/* ---- cut ---------------------------------------------------------------- */

/* Appends the parts of piece p outside [wlo, whi] (which it overlaps) to
 * dg->frag as at most 2*ND slabs (dimension order, low slab first); returns
 * how many. The caller made room. */
static int T(slabs)(grt_dg_t *dg, const dg_piece_t *p, const int64_t *wlo,
                    const int64_t *whi) {
  int64_t lo[ND], hi[ND];
  for (int d = 0; d < ND; d++) {
    lo[d] = p->lo[d];
    hi[d] = p->hi[d];
  }
  int k = 0;
  for (int d = 0; d < ND; d++) {
    if (lo[d] < wlo[d]) {
      dg_piece_t *f = &dg->frag[dg->nfrag + (size_t)k++];
      f->who = p->who;
      f->placed = 0;
      for (int e = 0; e < ND; e++) {
        f->lo[e] = lo[e];
        f->hi[e] = hi[e];
      }
      f->hi[d] = wlo[d] - 1;
      lo[d] = wlo[d];
    }
    if (hi[d] > whi[d]) {
      dg_piece_t *f = &dg->frag[dg->nfrag + (size_t)k++];
      f->who = p->who;
      f->placed = 0;
      for (int e = 0; e < ND; e++) {
        f->lo[e] = lo[e];
        f->hi[e] = hi[e];
      }
      f->lo[d] = whi[d] + 1;
      hi[d] = whi[d];
    }
  }
  dg->nfrag += (size_t)k;
  return k;
}

/* The slabs that the lone writer's recorded hits will leave (what slabs()
 * makes for each: one per side where the piece sticks out of the writer). */
static size_t T(count_slabs)(const grt_dg_t *dg) {
  const int64_t *qlo = dg->qlo, *qhi = dg->qhi;
  size_t n = 0;
  for (size_t j = 0; j < dg->nlhits; j++) {
    const dg_leaf_t *x = dg->lhits[j].leaf;
    for (uint32_t b = dg->lhits[j].mask; b; b &= b - 1) {
      const int s = __builtin_ctz(b);
      for (int d = 0; d < ND; d++)
        n += (size_t)(LLO(x, d)[s] < qlo[d]) + (size_t)(LHI(x, d)[s] > qhi[d]);
    }
  }
  return n;
}

/* Removes from leaf x every piece overlapping the query rectangle. In lone
 * mode (dg->lone) it also makes each removed piece's remainder slabs (into
 * dg->frag, room reserved) and lets a piece with the removed one's low corner
 * -- the writer itself, or the low slab -- take its slot (same key, so the
 * order holds and no insertion is needed). Returns 1 when x's summary or
 * count may have changed: 0 when every removed piece was replaced in its
 * slot by one with the same box, class and operator (a writer over exactly
 * the piece it retires, the common case of a tiled store), so the parent
 * needs no refresh and no fix. */
static int T(cut_leaf_m)(grt_dg_t *dg, dg_leaf_t *x, const uint32_t m) {
  const int64_t *qlo = dg->qlo, *qhi = dg->qhi;
  if (!m) return 0;
  const int n = (int)x->n;
  int w = __builtin_ctz(m), resum = 0; /* slots below the first hit stay */
  for (int s = w; s < n; s++) {
    if (!(m >> s & 1u)) {
      if (w != s) T(leaf_move1)(x, w, s);
      w++;
      continue;
    }
    if (dg->lone) {
      dg_piece_t p;
      p.who = T(leaf_who)(x, s);
      int same = 1;
      for (int d = 0; d < ND; d++) {
        p.lo[d] = LLO(x, d)[s];
        p.hi[d] = LHI(x, d)[s];
        same &= p.lo[d] == qlo[d];
      }
      size_t f0 = dg->nfrag;
      int nf = T(slabs)(dg, &p, qlo, qhi);
      dg_piece_t *put = NULL;
      dg_piece_t wp;
      if (same && !dg->wplaced) {
        wp.who = dg->wwho;
        for (int d = 0; d < ND; d++) {
          wp.lo[d] = qlo[d];
          wp.hi[d] = qhi[d];
        }
        put = &wp;
        dg->wplaced = 1;
        dg->live++;
      } else if (nf > 0 && !same) {
        /* the first low slab, if any, starts at p's corner */
        dg_piece_t *f = &dg->frag[f0];
        int eq = 1;
        for (int d = 0; d < ND; d++) eq &= f->lo[d] == p.lo[d];
        if (eq) {
          f->placed = 1;
          put = f;
          dg->live++;
        }
      }
      if (put) {
        /* the same box, class and operator in the same slot (a writer
         * replacing a piece it covers exactly): x's summary and count
         * are unchanged by this slot */
        int eq = x->cls[s] == CLS_BIT(put->who.cls) && LOP(x)[s] == put->who.redop;
        for (int d = 0; d < ND; d++) eq &= (put->lo[d] == p.lo[d]) & (put->hi[d] == p.hi[d]);
        resum |= !eq;
        T(leaf_set)(x, w, put);
        w++;
      } else {
        resum = 1;
      }
    } else {
      resum = 1;
    }
    dg->live--;
  }
  x->n = (uint32_t)w;
  return resum;
}

static int T(cut_leaf)(grt_dg_t *dg, dg_leaf_t *x) {
  return T(cut_leaf_m)(dg, x, T(leaf_hits)(x, dg->qlo, dg->qhi, 0x7));
}

/* Children of x (at `level` >= 1) flagged in `chg` changed: drop the empty
 * ones, refresh the others' summaries, and merge an underfull child into a
 * neighbour when both fit in 3/4 of a node. Highest index first, so lower
 * flags stay valid. Returns 1 when x's own summary may have changed (a child
 * went away or a child's summary changed). */
static int T(fix_children)(grt_dg_t *dg, dg_inner_t *x, int level, uint32_t chg) {
  const int cl = level - 1;
  int out = 0;
  while (chg) { /* the flagged children, highest index first */
    const int i = 31 - __builtin_clz(chg);
    chg &= ~(1u << i);
    void *c = ICHILD(x)[i];
    uint32_t cnt = T(count)(c, cl);
    if (cnt == 0) {
      free_node(dg, c, cl);
      T(inner_move)(x, i, x, i + 1, (int)x->n - i - 1);
      x->n--;
      out = 1;
      continue;
    }
    int j = -1; /* merge child j+1 into child j */
    if (cnt < DG_B / 4 && x->n > 1) {
      if (i > 0 && T(count)(ICHILD(x)[i - 1], cl) + cnt <= 3 * DG_B / 4)
        j = i - 1;
      else if (i == 0 && T(count)(ICHILD(x)[1], cl) + cnt <= 3 * DG_B / 4)
        j = 0;
    }
    if (j < 0) {
      out |= T(refresh)(x, i, cl);
      continue;
    }
    void *a = ICHILD(x)[j], *b = ICHILD(x)[j + 1];
    if (cl == 0) {
      dg_leaf_t *la = a, *lb = b;
      T(leaf_move)(la, (int)la->n, lb, 0, (int)lb->n);
      la->n += lb->n;
    } else {
      dg_inner_t *ia = a, *ib = b;
      T(inner_move)(ia, (int)ia->n, ib, 0, (int)ib->n);
      ia->n += ib->n;
    }
    free_node(dg, b, cl);
    T(inner_move)(x, j + 1, x, j + 2, (int)x->n - j - 2);
    x->n--;
    T(refresh)(x, j, cl);
    out = 1;
  }
  return out;
}

/* Cut pass under t (at `level`): removes every piece overlapping the query.
 * Returns 1 when t changed (its summary in the parent must be redone). */
static int T(cut)(grt_dg_t *dg, void *t, int level) {
  if (level == 0) return T(cut_leaf)(dg, (dg_leaf_t *)t);
  dg_inner_t *x = t;
  uint32_t m = T(inner_hits)(x, dg->qlo, dg->qhi, 0x7), chg = 0;
  while (m) {
    int i = __builtin_ctz(m);
    m &= m - 1;
    if (T(cut)(dg, ICHILD(x)[i], level - 1)) chg |= 1u << i;
  }
  return chg ? T(fix_children)(dg, x, level, chg) : 0;
}

/* The lone writer's cut without a second descent: the same work as
 * T(cut)(root) -- the same leaves in the same order, the same
 * fix_children calls bottom-up once a node's recorded children are all
 * done -- driven by the leaves and paths its query recorded (dg->lhits).
 * A node is fixed only when the walk leaves it, so the recorded child
 * indices of the nodes still open stay valid. */
static void T(cut_recorded)(grt_dg_t *dg) {
  const int H = dg->height;
  if (H == 0) {
    T(cut_leaf_m)(dg, dg->lhits[0].leaf, dg->lhits[0].mask);
    return;
  }
  dg_inner_t *cur[DG_MAXLEV];
  uint32_t chg[DG_MAXLEV];
  int cidx[DG_MAXLEV]; /* cidx[lv]: index of cur[lv - 1] in cur[lv] */
  for (int lv = 1; lv <= H; lv++) {
    cur[lv] = NULL;
    chg[lv] = 0;
  }
  for (size_t j = 0; j < dg->nlhits; j++) {
    const dg_step_t *st = dg->lsteps + j * (size_t)H;
    /* the lowest level whose node is still the open one */
    int top = 1;
    while (top <= H && cur[top] != st[top - 1].node) top++;
    /* close the open nodes below it, bottom-up */
    for (int lv = 1; lv < top && lv < H; lv++) {
      if (cur[lv] && chg[lv] && T(fix_children)(dg, cur[lv], lv, chg[lv]))
        chg[lv + 1] |= 1u << cidx[lv + 1];
      chg[lv] = 0;
    }
    for (int lv = 1; lv < top && lv <= H; lv++) cur[lv] = st[lv - 1].node;
    for (int lv = 1; lv <= H; lv++) cidx[lv] = st[lv - 1].idx;
    if (T(cut_leaf_m)(dg, dg->lhits[j].leaf, dg->lhits[j].mask))
      chg[1] |= 1u << cidx[1];
  }
  for (int lv = 1; lv < H; lv++) {
    if (chg[lv] && T(fix_children)(dg, cur[lv], lv, chg[lv]))
      chg[lv + 1] |= 1u << cidx[lv + 1];
  }
  if (chg[H]) T(fix_children)(dg, cur[H], H, chg[H]);
}

/* ---- prune -------------------------------------------------------------- */

/* Drops the pieces of leaf x whose access is done; 1 when x changed.
 * done() is asked by id, once per run of pieces of one access (the slabs
 * of one piece are often neighbours in the key order). */
static int T(prune_leaf)(grt_dg_t *dg, dg_leaf_t *x, grt_dg_done_fn done, void *ctx) {
  int n = (int)x->n, w = 0;
  for (int s = 0; s < n; s++) {
    const uint64_t id = LID(x)[s];
    if (!dg->pvalid || id != dg->pid) {
      dg->pid = id;
      dg->pdone = done(ctx, id) != 0;
      dg->pvalid = 1;
    }
    if (!dg->pdone) {
      if (w != s) T(leaf_move1)(x, w, s);
      w++;
      continue;
    }
    dg->live--;
  }
  x->n = (uint32_t)w;
  return w != n;
}

/* Prune pass under t (at `level`); 1 when t changed. Over the leaves of a
 * level-1 node, leaf i + 2 is being loaded while leaf i is pruned, since at
 * 10^6 pieces the leaves are cache misses. */
static int T(prune)(grt_dg_t *dg, void *t, int level, grt_dg_done_fn done,
                    void *ctx) {
  if (level == 0) return T(prune_leaf)(dg, (dg_leaf_t *)t, done, ctx);
  dg_inner_t *x = t;
  uint32_t chg = 0;
  const int n = (int)x->n;
  void **ch = ICHILD(x);
  /* prefetch only above DG_PREFETCH_LIVE pieces, like queries */
  const size_t bytes = dg->live <= DG_PREFETCH_LIVE ? 0
                       : level == 1                 ? dg->lpf
                                                    : dg->inners.esize;
  if (level == 1) {
    for (int i = 0; i < n && i < 2; i++)
      for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch((char *)ch[i] + o);
    for (int i = 0; i < n; i++) {
      if (i + 2 < n)
        for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch((char *)ch[i + 2] + o);
      if (T(prune_leaf)(dg, ch[i], done, ctx)) chg |= 1u << i;
    }
    return chg ? T(fix_children)(dg, x, level, chg) : 0;
  }
  for (int i = 0; i < n; i++) {
    if (i + 1 < n) { /* fetch the next child while this one runs */
      const char *c = ch[i + 1];
      for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(c + o);
    }
    if (T(prune)(dg, ch[i], level - 1, done, ctx)) chg |= 1u << i;
  }
  return chg ? T(fix_children)(dg, x, level, chg) : 0;
}

/* ---- insert ------------------------------------------------------------- */

/* Where to split m (= DG_B + 1) entries whose keys are rows[d][0..m): the
 * left size h in [DG_MINSPLIT, m - DG_MINSPLIT] at which adjacent keys differ
 * in the highest Morton bit (so both halves are unions of aligned Z-order
 * blocks and their boxes stay compact), nearest the middle on ties. */
static int T(split_at)(const CT *const *rows, int m) {
  int best = m / 2, bz = -1, bdist = m;
  for (int h = DG_MINSPLIT; h <= m - DG_MINSPLIT; h++) {
    int z = -1;
    for (int d = 0; d < ND; d++) {
      uint64_t x = ucoord((int64_t)rows[d][h - 1]) ^ ucoord((int64_t)rows[d][h]);
      if (x) {
        int b = (63 - __builtin_clzll(x)) * ND + (ND - 1 - d);
        if (b > z) z = b;
      }
    }
    int dist = h > m / 2 ? h - m / 2 : m / 2 - h;
    if (z > bz || (z == bz && dist < bdist)) {
      best = h;
      bz = z;
      bdist = dist;
    }
  }
  return best;
}

/* Sorts the (DG_B + 1) pieces of an overfull leaf by key, before it splits
 * (stable insertion sort, so equal keys keep their order). */
static void T(leaf_sort)(dg_leaf_t *x) {
  const int n = (int)x->n;
  int64_t k[DG_CAP][ND];
  int idx[DG_CAP];
  for (int s = 0; s < n; s++) {
    T(leaf_key)(x, s, k[s]);
    idx[s] = s;
  }
  int sorted = 1;
  for (int s = 1; s < n; s++) {
    int v = idx[s], j = s;
    while (j > 0 && T(key_cmp)(k[idx[j - 1]], k[v]) > 0) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = v;
    if (j != s) sorted = 0;
  }
  if (sorted) return;
  uint64_t id[DG_CAP];
  int32_t op[DG_CAP];
  uint8_t cls[DG_CAP];
  CT lo[ND][DG_CAP], hi[ND][DG_CAP];
  for (int s = 0; s < n; s++) {
    id[s] = LID(x)[idx[s]];
    op[s] = LOP(x)[idx[s]];
    cls[s] = x->cls[idx[s]];
    for (int d = 0; d < ND; d++) {
      lo[d][s] = LLO(x, d)[idx[s]];
      hi[d][s] = LHI(x, d)[idx[s]];
    }
  }
  memcpy(LID(x), id, (size_t)n * sizeof(id[0]));
  memcpy(LOP(x), op, (size_t)n * sizeof(op[0]));
  memcpy(x->cls, cls, (size_t)n);
  for (int d = 0; d < ND; d++) {
    memcpy(LLO(x, d), lo[d], (size_t)n * sizeof(CT));
    memcpy(LHI(x, d), hi[d], (size_t)n * sizeof(CT));
  }
}

/* Child whose key range takes k: the last with separator <= k (or 0). */
static inline int T(inner_pos)(const dg_inner_t *x, const int64_t *k) {
#if defined(DG_USE_AVX2) && DG_CW == 32
  /* All separators at once, 8 lanes a vector: lane "sep <= k" in Morton
   * order (key_cmp, lane-wise: the dimension whose coordinates differ in
   * the highest bit decides, the lowest dimension on ties). The separators
   * are sorted, so those lanes are a prefix and their count gives the
   * position -- no data-dependent branch, where a binary search
   * mispredicts about every other step. In 32 bits, ucoord() order is
   * signed order, and ucoord(a) ^ ucoord(b) = a ^ b. */
  const int n = (int)x->n;
  const __m256i bias = _mm256_set1_epi32(INT32_MIN);
  __m256i kk[ND];
  for (int d = 0; d < ND; d++) kk[d] = _mm256_set1_epi32((int32_t)k[d]);
  uint32_t le = 0;
  for (int i = 0; i < n; i += 8) {
    __m256i s0 = _mm256_loadu_si256((const __m256i *)(SEP(x, 0) + i));
    __m256i cs = s0, ck = kk[0];
    __m256i best = _mm256_xor_si256(_mm256_xor_si256(s0, kk[0]), bias); /* biased */
    for (int d = 1; d < ND; d++) {
      __m256i sd = _mm256_loadu_si256((const __m256i *)(SEP(x, d) + i));
      __m256i diff = _mm256_xor_si256(sd, kk[d]);
      __m256i bd = _mm256_xor_si256(diff, bias);
      /* best <u diff && best <u (best ^ diff), on biased values */
      __m256i bx = _mm256_xor_si256(_mm256_xor_si256(best, bias), diff);
      __m256i take = _mm256_and_si256(_mm256_cmpgt_epi32(bd, best),
                                      _mm256_cmpgt_epi32(_mm256_xor_si256(bx, bias), best));
      best = _mm256_blendv_epi8(best, bd, take);
      cs = _mm256_blendv_epi8(cs, sd, take);
      ck = _mm256_blendv_epi8(ck, kk[d], take);
    }
    __m256i gt = _mm256_cmpgt_epi32(cs, ck); /* sep > k */
    le |= (~(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(gt)) & 0xFFu) << i;
  }
  le &= (1u << n) - 1u; /* n <= DG_B <= 31 */
  const int cnt = __builtin_ctz(~le); /* le is a prefix: its length */
  return cnt > 0 ? cnt - 1 : 0;
#endif
  int a = 0, b = (int)x->n;
  while (a < b) {
    int m = (a + b) >> 1;
    int64_t mk[ND];
    T(sep_key)(x, m, mk);
    if (T(key_cmp)(mk, k) <= 0)
      a = m + 1;
    else
      b = m;
  }
  return a > 0 ? a - 1 : 0;
}

/* After an insertion overfilled leaf l (path[lv], pidx[lv]: the inner node
 * at level lv on the way down and the child taken): splits l, adds the new
 * sibling to its parent, and so on up while a node overflows; a root split
 * adds a level. Out of line: about one insertion in eight gets here. */
static __attribute__((noinline)) void T(split_up)(grt_dg_t *dg, dg_leaf_t *l,
                                                  dg_inner_t *const *path,
                                                  const int *pidx) {
  T(leaf_sort)(l);
  const CT *rows[ND];
  for (int d = 0; d < ND; d++) rows[d] = LLO(l, d);
  int h = T(split_at)(rows, (int)l->n);
  dg_leaf_t *ly = take_leaf(dg);
  T(leaf_move)(ly, 0, l, h, (int)l->n - h);
  ly->n = l->n - (uint32_t)h;
  l->n = (uint32_t)h;
  void *left = l, *c = ly;
  T(sum_t) cs;
  int64_t ck[ND], lk[ND];
  T(leaf_sum)(ly, &cs);
  T(leaf_key)(ly, 0, ck); /* both halves are sorted right after the split */
  T(leaf_key)(l, 0, lk);
  for (int lv = 1; lv <= dg->height; lv++) {
    dg_inner_t *x = path[lv];
    int at = pidx[lv] + 1;
    T(refresh)(x, at - 1, lv - 1);
    T(inner_move)(x, at + 1, x, at, (int)x->n - at);
    ICHILD(x)[at] = c;
    T(put_sum)(x, at, &cs);
    for (int d = 0; d < ND; d++) SEP(x, d)[at] = (CT)ck[d];
    x->n++;
    if (x->n <= DG_B) return;
    for (int d = 0; d < ND; d++) rows[d] = SEP(x, d);
    h = T(split_at)(rows, (int)x->n);
    dg_inner_t *y = take_inner(dg, lv);
    T(inner_move)(y, 0, x, h, (int)x->n - h);
    y->n = x->n - (uint32_t)h;
    x->n = (uint32_t)h;
    left = x;
    c = y;
    T(inner_sum)(y, &cs);
    T(sep_key)(y, 0, ck);
    T(sep_key)(x, 0, lk);
  }
  /* the root split: a new root over (left, c) */
  dg_inner_t *r = take_inner(dg, dg->height + 1);
  r->n = 2;
  ICHILD(r)[0] = left;
  ICHILD(r)[1] = c;
  T(refresh)(r, 0, dg->height);
  T(put_sum)(r, 1, &cs);
  for (int d = 0; d < ND; d++) {
    SEP(r, d)[0] = (CT)lk[d];
    SEP(r, d)[1] = (CT)ck[d];
  }
  dg->root = r;
  dg->height++;
}

/* Inserts piece p into the tree (nodes reserved by the caller). Descends by
 * key, growing the boxes on the way, and appends p to the leaf. */
static void T(insert)(grt_dg_t *dg, const dg_piece_t *p) {
  if (!dg->root) {
    dg_leaf_t *x = take_leaf(dg);
    x->n = 0;
    dg->root = x;
    dg->height = 0;
  }
  dg_inner_t *path[DG_MAXLEV];
  int pidx[DG_MAXLEV];
  const uint8_t cb = CLS_BIT(p->who.cls);
  const int32_t op = p->who.redop;
  void *t = dg->root;
  for (int lv = dg->height; lv > 0; lv--) {
    dg_inner_t *x = t;
    int i = T(inner_pos)(x, p->lo);
    if (i == 0) { /* keep separator 0 a lower bound of the subtree */
      int64_t k0[ND];
      T(sep_key)(x, 0, k0);
      if (T(key_cmp)(p->lo, k0) < 0)
        for (int d = 0; d < ND; d++) SEP(x, d)[0] = (CT)p->lo[d];
    }
    for (int d = 0; d < ND; d++) {
      if (p->lo[d] < BLO(x, d)[i]) BLO(x, d)[i] = (CT)p->lo[d];
      if (p->hi[d] > BHI(x, d)[i]) BHI(x, d)[i] = (CT)p->hi[d];
    }
    x->mask[i] |= cb;
    if (op < IOPMIN(x)[i]) IOPMIN(x)[i] = op;
    if (op > IOPMAX(x)[i]) IOPMAX(x)[i] = op;
    path[lv] = x;
    pidx[lv] = i;
    t = ICHILD(x)[i];
  }
  dg_leaf_t *l = t;
  T(leaf_set)(l, (int)l->n, p); /* leaves are unsorted until they split */
  l->n++;
  dg->live++;
  if (l->n > DG_B) T(split_up)(dg, l, path, pidx);
}

static const dg_ops_t T(ops) = {
    .query = T(query),
    .cut = T(cut),
    .cut_recorded = T(cut_recorded),
    .insert = T(insert),
    .prune = T(prune),
    .count_slabs = T(count_slabs),
    .slabs = T(slabs),
};

#undef CT
#undef CT_MAX
#undef CT_MIN
#undef ROW
#undef BOXB
#undef LID
#undef LOP
#undef LHIT
#undef ICHILD
#undef IOPMIN
#undef IOPMAX
#undef LLO
#undef LHI
#undef BLO
#undef BHI
#undef SEP
#undef T
#undef T_CAT
#undef T_CAT2
#undef ND
