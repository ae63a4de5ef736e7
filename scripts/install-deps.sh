#!/bin/sh
# install-deps.sh -- install every Debian 12 package mamori needs to build, test
# and package itself.  Idempotent and non-interactive; used by the README quick
# start, by .ci/run and by packaging.  Run as root (or through sudo).
set -eu

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -- "$0" "$@"
fi

PACKAGES="
build-essential cmake pkg-config gettext python3
libudev-dev libusb-1.0-0-dev libssl-dev openssl libcjson-dev nettle-dev
libsqlite3-dev sqlite3 libpq-dev postgresql
libcurl4-openssl-dev libevent-dev libnl-3-dev libnl-route-3-dev libsystemd-dev
libcriterion-dev umockdev libumockdev-dev
clamav iproute2 procps util-linux locales curl bc ca-certificates
clang libclang-rt-14-dev clang-format cppcheck valgrind
debhelper dpkg-dev fakeroot debootstrap lintian
chromium
usbguard
"

export DEBIAN_FRONTEND=noninteractive
# Services must not start during install (CI containers and build machines).
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
fi
apt-get -o DPkg::Lock::Timeout=600 update -q
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $PACKAGES

# Node.js runs the independent JOSE verifier and the dashboard's browser tests.
if ! command -v node >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends nodejs npm
fi

# The Japanese locale, so mamorictl can speak Japanese (and tests can check it).
if ! locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
    sed -i 's/^# *\(ja_JP.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^ja_JP.UTF-8 UTF-8' /etc/locale.gen || echo 'ja_JP.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null
fi
echo "install-deps: all packages present"
