# t_install.sh — `make install` into a scratch DESTDIR lays out binary, libraries, header,
# pkg-config file and man pages, and a program built against the installed copy through
# pkg-config runs (examples/select.c, linked against the shared library).
if [ "${SANITIZE:-}" = 1 ]; then
    echo "  (install test skipped under sanitizers)"
else
    inst="$E2E_TMP/inst"
    make -s -C "$ROOT" install DESTDIR="$inst" PREFIX=/usr/local >"$E2E_TMP/inst.log" 2>&1
    cond "install: make install succeeds" [ $? = 0 ]
    for f in bin/pluck bin/pluck-serve lib/libpluck.a lib/libpluck.so lib/libpluck.so.0 include/pluck.h share/man/man1/pluck-serve.1 \
             lib/pkgconfig/pluck.pc share/man/man1/pluck.1 share/man/man3/libpluck.3 \
             share/man/man5/pluck-partial.5; do
        cond "install: $f present" [ -e "$inst/usr/local/$f" ]
    done
    soname=$(readelf -d "$inst/usr/local/lib/libpluck.so.0" 2>/dev/null | sed -n 's/.*soname: \[\(.*\)\]/\1/p')
    cond "install: SONAME is libpluck.so.0" [ "$soname" = libpluck.so.0 ]
    # every exported symbol carries the pluck_ prefix
    stray=$(nm -D --defined-only "$inst/usr/local/lib/libpluck.so.0" | awk '{print $3}' | grep -vc '^pluck_')
    cond "install: only pluck_ symbols exported" [ "$stray" = 0 ]
    pc="$inst/usr/local/lib/pkgconfig"
    flags=$(PKG_CONFIG_SYSROOT_DIR="$inst" PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs pluck)
    cc -o "$E2E_TMP/select" "$ROOT/examples/select.c" $flags >"$E2E_TMP/cc.log" 2>&1
    cond "install: example compiles against the installed library" [ $? = 0 ]
    got=$(gzip -dc "$ROOT/testdata/airports.csv.gz" |
          LD_LIBRARY_PATH="$inst/usr/local/lib" "$E2E_TMP/select" \
          "SELECT COUNT(*) FROM S3Object s WHERE s.iso_country = 'US'" 2>/dev/null)
    cond "install: example prints the US count" [ "$got" = 21500 ]
    # `pluck serve` runs the pluck-serve installed beside it; the filter itself does not
    # load the server's libraries
    "$inst/usr/local/bin/pluck" serve --help >"$E2E_TMP/inst-serve.txt" 2>&1
    cond "install: pluck serve runs the installed pluck-serve" grep -q "Usage: pluck serve" "$E2E_TMP/inst-serve.txt"
    cond "install: pluck does not link libmicrohttpd" sh -c "! ldd '$inst/usr/local/bin/pluck' | grep -q microhttpd"
    # the .pc names the prefix of this install, not the one of the first build (issue 14)
    cond "install: pluck.pc names PREFIX=/usr/local" grep -qx 'prefix=/usr/local' "$pc/pluck.pc"
    inst2="$E2E_TMP/inst2"
    make -s -C "$ROOT" install DESTDIR="$inst2" PREFIX=/opt/pluck-e2e >"$E2E_TMP/inst2.log" 2>&1
    cond "install: a second make install PREFIX=/opt/pluck-e2e succeeds" [ $? = 0 ]
    pc2="$inst2/opt/pluck-e2e/lib/pkgconfig"
    cond "install: its pluck.pc is under the new prefix" [ -f "$pc2/pluck.pc" ]
    got=$(PKG_CONFIG_PATH="$pc2" pkg-config --variable=prefix pluck 2>/dev/null)
    cond "install: pkg-config says prefix /opt/pluck-e2e (got '$got')" [ "$got" = /opt/pluck-e2e ]
    got=$(PKG_CONFIG_PATH="$pc2" pkg-config --variable=libdir pluck 2>/dev/null)
    cond "install: ... and libdir /opt/pluck-e2e/lib (got '$got')" [ "$got" = /opt/pluck-e2e/lib ]
    cond "install: the build's own pluck.pc is unchanged by it" grep -qx 'prefix=/usr/local' "$ROOT/build/rel/pluck.pc"
fi
