/* test_install.c - `meson install --destdir` into a scratch directory, then a
 * program outside the tree compiled with `cc ... $(pkg-config --cflags --libs
 * grt)` against the installed files, run, and checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int sh(const char *cmd) {
  int rc = system(cmd);
  return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

static void test_install_outside_program(void **state) {
  (void)state;
  const char *build = getenv("GRT_BUILD_ROOT"), *src = getenv("GRT_OUTSIDE_SRC"),
             *prefix = getenv("GRT_PREFIX"), *libdir = getenv("GRT_LIBDIR"),
             *extra = getenv("GRT_CFLAGS_EXTRA") ? getenv("GRT_CFLAGS_EXTRA") : "";
  assert_non_null(build);
  char dest[] = "/tmp/grt-install-XXXXXX";
  assert_non_null(mkdtemp(dest));
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "meson install -C '%s' --destdir '%s' --no-rebuild > '%s/install.log' 2>&1",
           build, dest, dest);
  if (sh(cmd) != 0) fail_msg("meson install failed: see %s/install.log", dest);
  /* pkg-config sees the installed grt.pc, relocated under the destdir */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && PKG_CONFIG_SYSROOT_DIR='%s' PKG_CONFIG_PATH='%s%s/%s/pkgconfig' "
           "cc -std=c11 -Wall -Werror %s -o outside '%s' $(PKG_CONFIG_SYSROOT_DIR='%s' "
           "PKG_CONFIG_PATH='%s%s/%s/pkgconfig' pkg-config --cflags --libs grt) > cc.log 2>&1",
           dest, dest, dest, prefix, libdir, extra, src, dest, dest, prefix, libdir);
  if (sh(cmd) != 0) fail_msg("compiling against grt.pc failed: see %s/cc.log", dest);
  snprintf(cmd, sizeof cmd, "cd '%s' && LD_LIBRARY_PATH='%s%s/%s' ./outside > run.log 2>&1", dest,
           dest, prefix, libdir);
  if (sh(cmd) != 0) fail_msg("the outside program failed: see %s/run.log", dest);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dest);
  assert_int_equal(sh(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_install_outside_program)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
