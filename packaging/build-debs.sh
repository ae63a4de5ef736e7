#!/bin/sh
# build-debs.sh [OUTDIR] -- build the mamori-agent and mamori-server Debian
# packages from this source tree with one command.
#
# A snapshot of the sources (no build trees, no .git) is taken into a fresh
# temporary directory, packaging/debian/ becomes its debian/, and
# dpkg-buildpackage runs debhelper, which configures CMake in a fresh build
# directory with -DCMAKE_INSTALL_PREFIX=/usr -DMAMORI_LOCALEDIR=/usr/share/locale
# -DMAMORI_TESTS=OFF, builds, installs into debian/tmp and packages.  The
# .deb files (and the .buildinfo/.changes describing them) land in OUTDIR
# (default: build-deb/ in the source tree).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in dpkg-buildpackage dh cmake; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build-debs: $tool not found (run scripts/install-deps.sh)" >&2
        exit 2
    fi
done

# debian/changelog carries the package version; it must match CMake's.
cmake_version=$(sed -n 's/^project(mamori VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(sed -n '1s/^mamori (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
if [ "${deb_version%%[-+~]*}" != "$cmake_version" ]; then
    echo "build-debs: packaging/debian/changelog says $deb_version but CMakeLists.txt says $cmake_version;" >&2
    echo "            add a changelog entry for $cmake_version" >&2
    exit 2
fi

if [ ! -f "$src/packaging/udev/70-mamori-usb.rules" ]; then
    echo "build-debs: warning: packaging/udev/70-mamori-usb.rules is missing;" >&2
    echo "            the agent package will not block USB storage before the agent starts" >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mamori-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
tree=$work/mamori-$deb_version
mkdir -p "$tree"
(cd "$src" && tar -cf - --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
    --exclude=./debian .) | (cd "$tree" && tar -xf -)
cp -R "$src/packaging/debian" "$tree/debian"

# -b: binary packages only; -us -uc: unsigned (the fleet trusts the file it
# was handed, or a signed internal repository); -d: CMake checks the build
# dependencies itself (scripts/install-deps.sh installs them), so a library
# newly added by a room needs no second list here to keep CI building.
opts="parallel=$(nproc)${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}"
(cd "$tree" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -b -us -uc -d)

for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
    [ -e "$f" ] && cp "$f" "$out/"
done
echo "build-debs: packages in $out:"
ls -1 "$out"/*.deb
