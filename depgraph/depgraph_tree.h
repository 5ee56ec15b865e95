/* depgraph_tree.h - the spatial treap over live pieces, for ND dimensions.
 *
 * Not a public header: depgraph.c includes it once per ND = 1..4 (with ND
 * defined) so that every loop over dimensions has a constant trip count, and
 * collects the results in a table of function pointers, chosen once per
 * analyzer in grt__dg_create(). Everything here is static.
 *
 * Node layout (the tail v[] of dg_node_t, 6*ND int64s):
 *   v[0..ND)    lbox lo   bounding box of the left subtree (valid iff l)
 *   v[ND..2ND)  lbox hi
 *   v[2ND..3ND) rbox lo   bounding box of the right subtree (valid iff r)
 *   v[3ND..4ND) rbox hi
 *   v[4ND..5ND) piece lo
 *   v[5ND..6ND) piece hi
 * lop/rop hold the min/max reduction operator of each subtree, lmask/rmask
 * the privilege classes present in it (CLS_BIT). A parent holds
 * its children's boxes so that a query decides whether to descend without
 * touching the child's cache lines.
 */
#ifndef ND
#error "define ND before including depgraph_tree.h"
#endif

#define T_CAT2(a, b) a##_##b
#define T_CAT(a, b) T_CAT2(a, b)
#define T(name) T_CAT(name, ND)

static inline int64_t *T(lblo)(dg_node_t *x) { return x->v; }
static inline int64_t *T(lbhi)(dg_node_t *x) { return x->v + ND; }
static inline int64_t *T(rblo)(dg_node_t *x) { return x->v + 2 * ND; }
static inline int64_t *T(rbhi)(dg_node_t *x) { return x->v + 3 * ND; }
static inline int64_t *T(plo)(dg_node_t *x) { return x->v + 4 * ND; }
static inline int64_t *T(phi)(dg_node_t *x) { return x->v + 5 * ND; }

static inline int T(meet)(const int64_t *alo, const int64_t *ahi,
                          const int64_t *blo, const int64_t *bhi) {
  for (int d = 0; d < ND; d++)
    if (ahi[d] < blo[d] || bhi[d] < alo[d]) return 0;
  return 1;
}

/* Writes the box, operator range and class mask of the subtree rooted at y. */
static inline void T(summary)(dg_node_t *y, int64_t *lo, int64_t *hi, int *op,
                              uint8_t *mask) {
  const int64_t *pl = T(plo)(y), *ph = T(phi)(y);
  int omin = y->rec->redop, omax = omin;
  uint8_t m = CLS_BIT(y->rec->cls);
  for (int d = 0; d < ND; d++) {
    lo[d] = pl[d];
    hi[d] = ph[d];
  }
  if (y->l) {
    const int64_t *cl = T(lblo)(y), *ch = T(lbhi)(y);
    for (int d = 0; d < ND; d++) {
      if (cl[d] < lo[d]) lo[d] = cl[d];
      if (ch[d] > hi[d]) hi[d] = ch[d];
    }
    if (y->lop[0] < omin) omin = y->lop[0];
    if (y->lop[1] > omax) omax = y->lop[1];
    m |= y->lmask;
  }
  if (y->r) {
    const int64_t *cl = T(rblo)(y), *ch = T(rbhi)(y);
    for (int d = 0; d < ND; d++) {
      if (cl[d] < lo[d]) lo[d] = cl[d];
      if (ch[d] > hi[d]) hi[d] = ch[d];
    }
    if (y->rop[0] < omin) omin = y->rop[0];
    if (y->rop[1] > omax) omax = y->rop[1];
    m |= y->rmask;
  }
  op[0] = omin;
  op[1] = omax;
  *mask = m;
}

static inline void T(fix_l)(dg_node_t *t) {
  if (t->l) T(summary)(t->l, T(lblo)(t), T(lbhi)(t), t->lop, &t->lmask);
}
static inline void T(fix_r)(dg_node_t *t) {
  if (t->r) T(summary)(t->r, T(rblo)(t), T(rbhi)(t), t->rop, &t->rmask);
}

/* Grows a child's box, operator range and class mask by piece x (x joined
 * that subtree). */
static inline void T(grow)(int64_t *lo, int64_t *hi, int *op, uint8_t *mask,
                           dg_node_t *x) {
  *mask |= CLS_BIT(x->rec->cls);
  const int64_t *pl = T(plo)(x), *ph = T(phi)(x);
  for (int d = 0; d < ND; d++) {
    if (pl[d] < lo[d]) lo[d] = pl[d];
    if (ph[d] > hi[d]) hi[d] = ph[d];
  }
  if (x->rec->redop < op[0]) op[0] = x->rec->redop;
  if (x->rec->redop > op[1]) op[1] = x->rec->redop;
}

/* Key order: Morton (Z) order of the pieces' low corners -- the dimension
 * whose coordinates differ in the most significant bit decides, dimension 0
 * first on ties -- then seq. Returns <0, 0, >0. */
static inline int T(key_cmp)(dg_node_t *a, dg_node_t *b) {
  const int64_t *al = T(plo)(a), *bl = T(plo)(b);
  uint64_t best = 0, ca = 0, cb = 0;
  for (int d = 0; d < ND; d++) {
    uint64_t x = ucoord(al[d]), y = ucoord(bl[d]);
    uint64_t diff = x ^ y;
    if (best < diff && best < (best ^ diff)) {
      best = diff;
      ca = x;
      cb = y;
    }
  }
  if (ca != cb) return ca < cb ? -1 : 1;
  if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
  return 0;
}

/* Joins two treaps where every key of a is below every key of b. */
static dg_node_t *T(merge)(dg_node_t *a, dg_node_t *b) {
  if (!a) return b;
  if (!b) return a;
  if (a->prio > b->prio) {
    a->r = T(merge)(a->r, b);
    T(fix_r)(a);
    return a;
  }
  b->l = T(merge)(a, b->l);
  T(fix_l)(b);
  return b;
}

/* Splits t into keys below k (*a) and above k (*b); k is not in t. */
static void T(split)(dg_node_t *t, dg_node_t *k, dg_node_t **a, dg_node_t **b) {
  if (!t) {
    *a = *b = NULL;
    return;
  }
  if (T(key_cmp)(t, k) < 0) {
    T(split)(t->r, k, &t->r, b);
    T(fix_r)(t);
    *a = t;
  } else {
    T(split)(t->l, k, a, &t->l);
    T(fix_l)(t);
    *b = t;
  }
}

/* Inserts x (piece, rec, seq and prio set) into t; returns the new root.
 * Top-down: the boxes on the way grow by x's piece (x joins each of those
 * subtrees); where x's priority wins, the rest is split under x. */
static dg_node_t *T(insert)(dg_node_t *t, dg_node_t *x) {
  dg_node_t *root = t, *parent = NULL;
  dg_node_t **link = &root;
  int grew = 0; /* the parent's box on the taken side already counts x */
  while (t && x->prio <= t->prio) {
    parent = t;
    if (T(key_cmp)(x, t) < 0) {
      grew = t->l != NULL;
      if (grew) T(grow)(T(lblo)(t), T(lbhi)(t), t->lop, &t->lmask, x);
      link = &t->l;
    } else {
      grew = t->r != NULL;
      if (grew) T(grow)(T(rblo)(t), T(rbhi)(t), t->rop, &t->rmask, x);
      link = &t->r;
    }
    t = *link;
  }
  T(split)(t, x, &x->l, &x->r);
  T(fix_l)(x);
  T(fix_r)(x);
  *link = x;
  if (parent && !grew) { /* x is the parent's new, formerly empty, side */
    if (link == &parent->l)
      T(fix_l)(parent);
    else
      T(fix_r)(parent);
  }
  return root;
}

/* Removes node x (found by key) from t; returns the new root. */
static dg_node_t *T(erase)(dg_node_t *t, dg_node_t *x) {
  if (t == x) return T(merge)(t->l, t->r);
  if (T(key_cmp)(x, t) < 0) {
    t->l = T(erase)(t->l, x);
    T(fix_l)(t);
  } else {
    t->r = T(erase)(t->r, x);
    T(fix_r)(t);
  }
  return t;
}

/* True when a subtree with class mask `mask` and operator range op may hold
 * a piece that conflicts with the query: one of the conflicting classes is
 * there, and it is not only reductions with the querying reduction's
 * operator. */
static inline int T(relevant)(const grt_dg_t *dg, uint8_t mask, const int *op) {
  if (!(mask & dg->qmask)) return 0;
  return !(dg->qcls == CLS_REDUCE && mask == CLS_BIT(CLS_REDUCE) &&
           op[0] == dg->qop && op[1] == dg->qop);
}

/* Reports every piece of the non-empty treap t that overlaps the query and
 * conflicts with it (subtrees without a conflicting class are skipped). Allocates nothing; recursion depth is the tree height. */
static void T(query)(grt_dg_t *dg, dg_node_t *t) {
  const int64_t *qlo = dg->qlo, *qhi = dg->qhi;
  for (;;) {
    if (T(meet)(T(plo)(t), T(phi)(t), qlo, qhi) && conflicts(dg, t->rec))
      report(dg, t->rec);
    if (t->l && T(relevant)(dg, t->lmask, t->lop) &&
        T(meet)(T(lblo)(t), T(lbhi)(t), qlo, qhi))
      T(query)(dg, t->l);
    if (t->r && T(relevant)(dg, t->rmask, t->rop) &&
        T(meet)(T(rblo)(t), T(rbhi)(t), qlo, qhi))
      t = t->r;
    else
      return;
  }
}

/* Node t is being cut by the query rectangle. When a piece with t's low
 * corner will replace it -- the lone writer itself (same corner), or t's low slab in the first dimension where t starts below the
 * query -- that piece goes into a fresh node that takes t's place: same key
 * (corner and seq), same priority, same children, so no merge and no
 * insertion. t keeps its data for undo. Returns the fresh node, or NULL
 * (no such piece, or no memory: the caller then merges as usual and the
 * batch fails later on its own allocation). */
static dg_node_t *T(take_place)(grt_dg_t *dg, dg_node_t *t) {
  const int64_t *pl = T(plo)(t), *qlo = dg->qlo;
  int slab = -1, same = 1;
  for (int d = 0; d < ND; d++) {
    if (pl[d] != qlo[d]) same = 0;
    if (slab < 0 && pl[d] < qlo[d]) slab = d;
  }
  int writer = same && dg->wrec && !dg->wplaced;
  if (!writer && slab < 0) return NULL;
  dg_node_t *f = node_alloc(dg);
  if (!f) return NULL;
  memcpy(f, t, dg->node_size);
  f->flags = NODE_FRESH;
  f->next = dg->fresh;
  dg->fresh = f;
  if (writer) {
    f->rec = dg->wrec;
    int64_t *fh = T(phi)(f);
    for (int d = 0; d < ND; d++) fh[d] = dg->qhi[d];
    dg->wplaced = 1;
  } else {
    T(phi)(f)[slab] = qlo[slab] - 1;
    t->flags = (uint16_t)(t->flags | NODE_SLAB | (slab << SLAB_SHIFT));
  }
  f->rec->npieces++;
  dg->live++;
  return f;
}

/* Removes from the non-empty treap t every piece overlapping the query
 * (reporting it when dg->report), linking removed nodes on dg->pass. Sets
 * *changed when t's subtree changed. Returns the new root. */
static dg_node_t *T(cut)(grt_dg_t *dg, dg_node_t *t, int *changed) {
  const int64_t *qlo = dg->qlo, *qhi = dg->qhi;
  int ch = 0, c;
  if (t->l && T(meet)(T(lblo)(t), T(lbhi)(t), qlo, qhi)) {
    c = 0;
    t->l = T(cut)(dg, t->l, &c);
    if (c) {
      ch = 1;
      T(fix_l)(t);
    }
  }
  if (t->r && T(meet)(T(rblo)(t), T(rbhi)(t), qlo, qhi)) {
    c = 0;
    t->r = T(cut)(dg, t->r, &c);
    if (c) {
      ch = 1;
      T(fix_r)(t);
    }
  }
  if (T(meet)(T(plo)(t), T(phi)(t), qlo, qhi)) {
    if (dg->report) report(dg, t->rec);
    dg_node_t *m = T(take_place)(dg, t);
    if (!m) m = T(merge)(t->l, t->r);
    t->l = t->r = NULL;
    t->pnext = dg->pass;
    dg->pass = t;
    *changed = 1;
    return m;
  }
  *changed = ch;
  return t;
}

/* Removes the pieces of completed accesses from t; sets *changed when t's
 * subtree changed (boxes are only recomputed then). Returns the new root. */
static dg_node_t *T(prune)(grt_dg_t *dg, dg_node_t *t, grt_dg_done_fn done,
                           void *ctx, int *changed) {
  int ch = 0, c;
  if (t->l) {
    c = 0;
    t->l = T(prune)(dg, t->l, done, ctx, &c);
    if (c) {
      ch = 1;
      T(fix_l)(t);
    }
  }
  if (t->r) {
    c = 0;
    t->r = T(prune)(dg, t->r, done, ctx, &c);
    if (c) {
      ch = 1;
      T(fix_r)(t);
    }
  }
  if (!is_done(dg, t->rec, done, ctx)) {
    *changed = ch;
    return t;
  }
  dg_node_t *m = T(merge)(t->l, t->r);
  drop_node(dg, t);
  *changed = 1;
  return m;
}

static const dg_ops_t T(ops) = {
    .query = T(query),
    .cut = T(cut),
    .insert = T(insert),
    .erase = T(erase),
    .prune = T(prune),
};

#undef T
#undef T_CAT
#undef T_CAT2
#undef ND
