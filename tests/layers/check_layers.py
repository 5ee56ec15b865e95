#!/usr/bin/env python3
"""Layering check for grt (issue 15): the code may only call down.

Three checks, on the source tree and on the object files of a build:

  (a) includes: the graph of quoted #includes between the files of the
      folders in DAG_SCOPE (runtime/) is a DAG;
  (b) calls: the graph "object A uses a global symbol object B defines"
      (from nm: A lists it as U, B as T/D/B/R/...) between the objects of the
      sources in DAG_SCOPE is a DAG. A callback passed as a function pointer
      is not an undefined symbol of the file that calls it, so such upward
      calls are left out by construction;
  (c) layers: every quoted include and every used symbol that crosses from
      one unit (a folder, the public header, the config module, the ground
      floor) to another is allowed by ALLOWED below.

The build is read from BUILD_DIR/compile_commands.json (Meson's ninja
backend always writes it): each source's object file and its -I path, which
resolves quoted includes as the compiler did. Includes that land in the build
dir (grt_build_config.h) and symbols no layer object defines (libc, MPI,
hwloc) are not edges; EXTERNAL_ONLY restricts the latter.

Usage: check_layers.py [--report-only] [--verbose] SOURCE_ROOT BUILD_DIR

Exit status: 0 when everything holds (or with --report-only), 1 when a cycle
or a forbidden edge is found, 2 when the build cannot be read (no
compile_commands.json, an object not built yet, nm missing).
"""

import json
import os
import re
import shlex
import subprocess
import sys
from collections import defaultdict, deque

# ---------------------------------------------------------------------------
# The layer table: unit -> the units it may include or call (itself always).
#
#   'public'   runtime/include/ (grt.h): as an include, the public types;
#   'api'      calling a function declared in the public header, whichever
#              file defines it (kernels and examples use the runtime this way);
#   'ground'   the ground floor: errors, rectangles, handle pools (GROUND_*);
#   'config'   the config module the launcher shares (runtime/config_keys.*,
#              config_limits.h);
#   any other  a top-level folder.
#
# Lower layers may include grt.h for its types (the GRT_E* codes,
# grt_type_t, ...) but never call into the runtime: that needs 'api', which
# they lack.
ALLOWED = {
    'ground':    {'public'},
    'depgraph':  {'ground'},                       # libc only (+ rect.h)
    'store':     {'public', 'ground', 'depgraph'},
    'partition': {'public', 'ground', 'depgraph', 'store'},
    'comm':      {'public', 'ground'},
    'config':    {'public', 'ground'},
    'runtime':   {'public', 'api', 'ground', 'config', 'depgraph', 'store',
                  'partition', 'comm'},
    'kernels':   {'public', 'api'},
    'launcher':  {'config'},
}

# The folders whose files the check reads (everything else, e.g. tests/ and
# benchmarks/, may use internals).
LAYER_FOLDERS = ('depgraph', 'store', 'partition', 'comm', 'runtime',
                 'kernels', 'launcher')

# Checks (a) and (b) (no cycles between files) apply inside these folders.
DAG_SCOPE = ('runtime',)

# The ground floor, wherever the restructuring puts it: any file below a
# subfolder named base/ or ground/ (e.g. runtime/base/, built as its own
# library), or a file with one of these names in the lowest layers. The same
# names directly in runtime/ are NOT ground floor: a lower layer reaching
# runtime/error.h reaches up into runtime/.
GROUND_DIRS = ('base', 'ground')
GROUND_NAMES = re.compile(r'^(grt_error|error|handle|rect)\.[ch]$')
GROUND_HOMES = ('depgraph', 'store', 'partition', 'comm')

# The config module the launcher shares: the key table, its bounds and the
# code both sides use (grt_config_keys, libc only). runtime/config.c, the
# runtime's parser, is runtime code (it asks store/ for the memory size).
CONFIG_FILES = re.compile(r'^runtime/config_(keys|limits)\.[ch]$')

# The public header(s).
PUBLIC_DIR = 'runtime/include/'

# External symbols (defined by no layer object) that only some units may
# use: MPI knowledge lives in comm/ (regex -> units).
EXTERNAL_ONLY = {r'^P?MPI_|^ompi_|^mpi_': {'comm'}}
# ---------------------------------------------------------------------------

SOURCE_EXT = ('.c', '.h')
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
# Global definitions in nm's output (lowercase letters are file-local).
DEFINED_TYPES = set('ABCDGRSTVWiu')
UNDEFINED_TYPES = set('Uw')


def unit_of(rel):
    """The layer unit a file (path relative to the source root) belongs to."""
    parts = rel.split('/')
    if any(p in GROUND_DIRS for p in parts[:-1]):
        return 'ground'
    if rel.startswith(PUBLIC_DIR):
        return 'public'
    if CONFIG_FILES.match(rel):
        return 'config'
    if parts[0] in GROUND_HOMES and GROUND_NAMES.match(parts[-1]):
        return 'ground'
    return parts[0]


def in_dag_scope(rel):
    return rel.split('/')[0] in DAG_SCOPE and not rel.startswith(PUBLIC_DIR)


class Build:
    """What compile_commands.json says: translation units, their objects and
    their include path."""

    def __init__(self, src, bld):
        self.src = os.path.realpath(src)
        self.bld = os.path.realpath(bld)
        path = os.path.join(self.bld, 'compile_commands.json')
        try:
            with open(path) as f:
                entries = json.load(f)
        except OSError as e:
            sys.stderr.write(f'check_layers: cannot read {path}: {e} (run meson setup)\n')
            sys.exit(2)
        self.tus = {}   # rel source -> (object abs path, [include dirs])
        self.lib_obj = {}
        for e in entries:
            d = e.get('directory', self.bld)
            srcfile = os.path.realpath(os.path.join(d, e['file']))
            rel = self.rel(srcfile)
            if rel is None or rel.split('/')[0] not in LAYER_FOLDERS:
                continue
            args = shlex.split(e['command']) if 'command' in e else e['arguments']
            incs, out = [], e.get('output')
            i = 0
            while i < len(args):
                a = args[i]
                if a in ('-I', '-iquote') and i + 1 < len(args):
                    incs.append(args[i + 1]); i += 1
                elif a.startswith('-I') or a.startswith('-iquote'):
                    incs.append(a[2:] if a.startswith('-I') else a[7:])
                elif a == '-o' and i + 1 < len(args) and out is None:
                    out = args[i + 1]
                i += 1
            incs = [os.path.realpath(os.path.join(d, x)) for x in incs]
            incs = [x for x in incs if os.path.isdir(x)]
            obj = os.path.realpath(os.path.join(d, out))
            # Sources built twice (kernels: shared and internal copies; a
            # benchmark compiling depgraph.c itself) have the same symbols:
            # keep one, a library's copy when there is one.
            in_lib = re.search(r'\.(a|so[.0-9]*)\.p$', os.path.dirname(obj)) is not None
            if rel not in self.tus or (in_lib and not self.lib_obj.get(rel)):
                self.tus[rel] = (obj, incs)
                self.lib_obj[rel] = in_lib

    def rel(self, path):
        path = os.path.realpath(path)
        if path.startswith(self.bld + os.sep) or not path.startswith(self.src + os.sep):
            return None
        return os.path.relpath(path, self.src)


# --------------------------------------------------------------- includes ---

def source_files(src):
    out = []
    for top in LAYER_FOLDERS:
        for root, dirs, files in os.walk(os.path.join(src, top)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(SOURCE_EXT):
                    out.append(os.path.relpath(os.path.join(root, f), src))
    return out


def include_graph(build):
    """Edges (a -> b) for every quoted include of a layer file, resolved as
    the compiler does: the includer's folder first, then the -I path of the
    translation unit being compiled. Includes that land outside the source
    tree (grt_build_config.h in the build dir) are not edges."""
    src = build.src
    names_cache = {}

    def includes_of(rel):
        if rel not in names_cache:
            try:
                with open(os.path.join(src, rel), errors='replace') as f:
                    names_cache[rel] = INCLUDE_RE.findall(f.read())
            except OSError:
                names_cache[rel] = []
        return names_cache[rel]

    def resolve(rel, name, incs):
        for d in [os.path.dirname(os.path.join(src, rel))] + incs:
            p = os.path.join(d, name)
            if os.path.isfile(p):
                return build.rel(p)   # None when in the build dir
        return None

    edges = defaultdict(set)
    seen = set()

    def walk(rel, incs):
        key = (rel, tuple(incs))
        if key in seen:
            return
        seen.add(key)
        for name in includes_of(rel):
            tgt = resolve(rel, name, incs)
            if tgt is None or tgt == rel:
                continue
            if tgt.split('/')[0] in LAYER_FOLDERS:
                edges[rel].add(tgt)
                walk(tgt, incs)

    for rel, (_, incs) in sorted(build.tus.items()):
        walk(rel, incs)
    # Files no translation unit reaches: resolve with the include path of a
    # translation unit of the same folder (or none).
    reached = {k[0] for k in seen}
    for rel in source_files(src):
        if rel in reached:
            continue
        top = rel.split('/')[0]
        incs = next((i for r, (_, i) in sorted(build.tus.items())
                     if r.split('/')[0] == top), [])
        walk(rel, incs)
    return edges


# -------------------------------------------------------------------- nm ---

def symbol_graph(build, report_only):
    """(uses, defs): uses[a][b] = symbols a uses that b defines; external[a]
    = symbols a uses that no layer object defines."""
    objs = {rel: obj for rel, (obj, _) in build.tus.items()}
    missing = [o for o in objs.values() if not os.path.isfile(o)]
    if missing:
        sys.stderr.write('check_layers: objects not built yet (run ninja; '
                         'name their library in tests/layers/meson.build):\n  '
                         + '\n  '.join(missing[:10]) + '\n')
        if not report_only:
            sys.exit(2)
        objs = {r: o for r, o in objs.items() if os.path.isfile(o)}
    if not objs:
        return defaultdict(lambda: defaultdict(set)), defaultdict(set)
    by_obj = {obj: rel for rel, obj in objs.items()}

    def run_nm(tool):
        return subprocess.run([tool, '-A', '--no-sort'] + sorted(by_obj),
                              check=True, capture_output=True, text=True).stdout
    try:
        out = run_nm('nm')
        # GCC's slim LTO objects hold no symbol table of their own: gcc-nm
        # reads it through the LTO plugin.
        if '__gnu_lto_slim' in out:
            out = run_nm('gcc-nm')
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write(f'check_layers: nm failed: {e}\n')
        sys.exit(2)
    defined = defaultdict(list)
    used = defaultdict(set)
    for line in out.splitlines():
        # "path.o:0000000000000000 T name" or "path.o:                 U name"
        head, _, rest = line.partition(':')
        f = rest.split()
        if len(f) < 2 or head not in by_obj:
            continue
        typ, sym = f[-2], f[-1]
        rel = by_obj[head]
        if typ in DEFINED_TYPES:
            defined[sym].append(rel)
        elif typ in UNDEFINED_TYPES:
            used[rel].add(sym)
    if not defined:
        # An object list that yields no symbol at all means nm's output was
        # not understood (or the objects are empty): the check would be blind.
        sys.stderr.write('check_layers: nm listed no global symbol in '
                         f'{len(by_obj)} objects: cannot check calls\n')
        sys.exit(2)
    uses = defaultdict(lambda: defaultdict(set))
    external = defaultdict(set)
    for rel, syms in used.items():
        for s in syms:
            owners = defined.get(s)
            if not owners:
                external[rel].add(s)
                continue
            for b in owners:
                if b != rel:
                    uses[rel][b].add(s)
    return uses, external


def public_api(src):
    """Names of the functions the public header(s) declare."""
    names = set()
    d = os.path.join(src, PUBLIC_DIR)
    for f in os.listdir(d) if os.path.isdir(d) else []:
        if f.endswith('.h'):
            with open(os.path.join(d, f), errors='replace') as fh:
                text = fh.read()
            for decl in re.findall(r'GRT_EXPORT\b[^;{]*?\b(\w+)\s*\(', text):
                names.add(decl)
    return names


# ---------------------------------------------------------------- cycles ---

def sccs(nodes, succ):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter[0]; counter[0] += 1
        stack.append(root); on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]; counter[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def shortest_cycle_through(v, comp, succ):
    """The shortest cycle v -> ... -> v inside comp (a node list)."""
    comp = set(comp)
    prev = {}
    q = deque([v])
    seen = {v}
    while q:
        u = q.popleft()
        for w in sorted(succ.get(u, ())):
            if w not in comp:
                continue
            if w == v:
                path = [u]
                while path[-1] != v:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [v]
            if w not in seen:
                seen.add(w); prev[w] = u; q.append(w)
    return None


def cycles_of(succ, nodes):
    """Per strongly connected component: its files, every pair of files
    that use each other, and the distinct shortest cycles through each file."""
    result = []
    for comp in sccs(nodes, succ):
        cycles, keys = [], set()
        for a in comp:
            for b in comp:
                if a < b and b in succ.get(a, ()) and a in succ.get(b, ()):
                    keys.add((a, b))
                    cycles.append([a, b, a])
        for v in comp:
            c = shortest_cycle_through(v, comp, succ)
            if c is None:
                continue
            body = c[:-1]
            i = body.index(min(body))
            key = tuple(body[i:] + body[:i])
            if key not in keys:
                keys.add(key)
                cycles.append(list(key) + [key[0]])
        cycles.sort(key=lambda c: (len(c), c))
        result.append((comp, cycles))
    return result


# ------------------------------------------------------------------ main ---

def main(argv):
    report_only = '--report-only' in argv
    verbose = '--verbose' in argv
    pos = [a for a in argv if not a.startswith('--')]
    if len(pos) != 2:
        sys.stderr.write(__doc__)
        return 2
    build = Build(pos[0], pos[1])
    problems = 0
    out = []

    inc = include_graph(build)
    uses, external = symbol_graph(build, report_only)
    api = public_api(build.src)

    def scoped_cycles(graph, nodes, title):
        """The cycle groups of @graph restricted to DAG_SCOPE, with the
        section's heading appended to out."""
        scoped = {a: {b for b in bs if in_dag_scope(b)}
                  for a, bs in graph.items() if in_dag_scope(a)}
        comps = cycles_of(scoped, nodes(scoped))
        out.append(f'== {title} {", ".join(DAG_SCOPE)}/: '
                   + ('a DAG' if not comps else f'{len(comps)} cycle group(s)'))
        return comps

    # (a) include cycles.
    comps = scoped_cycles(inc, lambda g: set(g) | {b for bs in g.values() for b in bs},
                          '(a) include graph of')
    for comp, cycles in comps:
        problems += 1
        out.append(f'  files in one include cycle: {" ".join(comp)}')
        for c in cycles:
            out.append('    ' + ' -> '.join(c))

    # (b) call cycles.
    comps = scoped_cycles(uses, lambda g: {r for r in build.tus if in_dag_scope(r)},
                          '(b) call graph between the objects of')
    for comp, cycles in comps:
        problems += 1
        out.append(f'  {len(comp)} files in one call cycle: {" ".join(comp)}')
        shown = cycles if verbose else cycles[:20]
        for c in shown:
            out.append('    cycle:')
            for a, b in zip(c, c[1:]):
                syms = sorted(uses[a][b])
                more = f' (+{len(syms) - 1})' if len(syms) > 1 else ''
                if verbose:
                    more = ' ' + ' '.join(syms[1:]) if len(syms) > 1 else ''
                out.append(f'      {a} -> {b}   {syms[0]}{more}')
        if len(cycles) > len(shown):
            out.append(f'    ... {len(cycles) - len(shown)} more cycles (--verbose)')

    # (c) layer order.
    bad_inc, bad_sym = [], []
    for a in sorted(inc):
        ua = unit_of(a)
        for b in sorted(inc[a]):
            ub = unit_of(b)
            if ub != ua and ub not in ALLOWED.get(ua, ()):
                bad_inc.append(f'  {a} [{ua}] includes {b} [{ub}]')
    for a in sorted(uses):
        ua = unit_of(a)
        for b in sorted(uses[a]):
            ub = unit_of(b)
            if ub == ua or ub in ALLOWED.get(ua, ()):
                continue
            syms = sorted(uses[a][b])
            if 'api' in ALLOWED.get(ua, ()):
                syms = [s for s in syms if s not in api]
            if syms:
                bad_sym.append(f'  {a} [{ua}] uses {b} [{ub}]: {", ".join(syms)}')
    for a in sorted(external):
        ua = unit_of(a)
        for pat, units in EXTERNAL_ONLY.items():
            syms = sorted(s for s in external[a] if re.search(pat, s))
            if syms and ua not in units:
                bad_sym.append(f'  {a} [{ua}] uses external {", ".join(syms)}'
                               f' (only {", ".join(sorted(units))} may)')
    out.append('== (c) layer order: '
               + ('every include and call goes down'
                  if not bad_inc and not bad_sym
                  else f'{len(bad_inc)} include(s), {len(bad_sym)} call edge(s) go up or sideways'))
    if bad_inc:
        out.append(' includes:')
        out.extend(bad_inc)
    if bad_sym:
        out.append(' symbols:')
        out.extend(bad_sym)
    problems += len(bad_inc) + len(bad_sym)

    print('\n'.join(out))
    if problems:
        if report_only:
            print(f'check_layers: {problems} problem(s), reported only (--report-only)')
            return 0
        print(f'check_layers: FAILED, {problems} problem(s)')
        return 1
    print('check_layers: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
