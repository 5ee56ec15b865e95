#!/usr/bin/env python3
"""Self-test of check_layers.py: on a small tree made here, it must find an
include cycle, a call cycle and calls and includes up the layer table, and
pass a tree without them. Guards the check against going silently blind
(e.g. an nm output it no longer parses).

Usage: test_check_layers.py CC"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_layers  # noqa: E402

FILES = {
    # runtime/: a.h <-> b.h include each other; r1.c <-> r2.c call each other.
    'runtime/a.h': '#pragma once\n#include "b.h"\n',
    'runtime/b.h': '#pragma once\n#include "a.h"\n',
    'runtime/r1.c': 'int r1(void); int r2(int);\nint r1(void) { return r2(0); }\n',
    'runtime/r2.c': 'int r1(void); int r2(int);\nint r2(int x) { return x ? r1() : 0; }\n',
    # store/: includes runtime/a.h and calls r1: both go up.
    'store/s.c': '#include "a.h"\nint r1(void); int s(void);\nint s(void) { return r1(); }\n',
    # depgraph/: called by store (allowed), calls nothing.
    'depgraph/d.c': 'int d(void);\nint d(void) { return 1; }\n',
    'store/t.c': 'int d(void); int t(void);\nint t(void) { return d(); }\n',
}
CLEAN = ('runtime/a.h', 'runtime/b.h', 'runtime/r1.c', 'store/s.c')


def build(root, cc, files):
    bld = os.path.join(root, 'build')
    os.makedirs(bld, exist_ok=True)
    cmds = []
    for rel, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), 'w') as f:
            f.write(text)
    for rel in files:
        if not rel.endswith('.c'):
            continue
        obj = rel.replace('/', '_') + '.o'
        args = cc + ['-I../runtime', '-c', '../' + rel, '-o', obj]
        subprocess.run(args, cwd=bld, check=True)
        cmds.append({'directory': bld, 'file': '../' + rel, 'output': obj,
                     'arguments': args})
    with open(os.path.join(bld, 'compile_commands.json'), 'w') as f:
        json.dump(cmds, f)
    return bld


def run(root, bld, *flags):
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = check_layers.main(list(flags) + [root, bld])
    return rc, buf.getvalue()


def main(argv):
    cc = argv[1:] or ['cc']
    failures = []
    with tempfile.TemporaryDirectory() as root:
        bld = build(root, cc, FILES)
        rc, out = run(root, bld)
        expect = [
            'runtime/a.h -> runtime/b.h -> runtime/a.h',
            'runtime/r1.c -> runtime/r2.c   r2',
            'runtime/r2.c -> runtime/r1.c   r1',
            'store/s.c [store] includes runtime/a.h [runtime]',
            'store/s.c [store] uses runtime/r1.c [runtime]: r1',
        ]
        if rc != 1:
            failures.append(f'strict mode returned {rc}, not 1')
        for e in expect:
            if e not in out:
                failures.append(f'missing from the report: {e!r}')
        if 'store/t.c' in out:
            failures.append('store -> depgraph reported, but it is allowed')
        rc, _ = run(root, bld, '--report-only')
        if rc != 0:
            failures.append(f'--report-only returned {rc}, not 0')
    with tempfile.TemporaryDirectory() as root:
        clean = {k: FILES[k] for k in CLEAN}
        clean['runtime/b.h'] = '#pragma once\n'
        clean['runtime/r1.c'] = 'int r1(void);\nint r1(void) { return 0; }\n'
        clean['store/s.c'] = 'int s(void);\nint s(void) { return 0; }\n'
        bld = build(root, cc, clean)
        rc, out = run(root, bld)
        if rc != 0:
            failures.append(f'a clean tree failed ({rc}):\n{out}')
    if failures:
        print(out)
        print('\n'.join(failures))
        return 1
    print('check_layers self-test: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
