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
libudev-dev libusb-1.0-0-dev libssl-dev openssl libcjson-dev nettle-dev libsodium-dev
libsqlite3-dev sqlite3 libpq-dev postgresql
libcurl4-openssl-dev libevent-dev libnl-3-dev libnl-route-3-dev libsystemd-dev
libcriterion-dev umockdev libumockdev-dev
clamav iproute2 procps util-linux locales curl bc ca-certificates faketime
clang libclang-rt-14-dev clang-format cppcheck valgrind
debhelper dpkg-dev fakeroot debootstrap lintian
chromium
usbguard
dbus network-manager python3-dbusmock
"

export DEBIAN_FRONTEND=noninteractive
# Services must not start during install (CI containers and build machines).
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
fi
# NetworkManager is for tests only (tests/net/t_wifi_nm.sh runs its own copy in a
# private network namespace on a private bus; python3-dbusmock plays one with a
# Wi-Fi device for tests/net/t_wifi_nm_mock.sh).  It must never manage this
# machine's network: before it is first installed, mask its units, so neither
# the install nor a reboot starts it (`systemctl unmask` undoes this).
if ! dpkg-query -W -f='${Status}' network-manager 2>/dev/null | grep -q 'ok installed'; then
    mkdir -p /etc/systemd/system
    for unit in NetworkManager.service NetworkManager-wait-online.service \
        NetworkManager-dispatcher.service; do
        [ -e "/etc/systemd/system/$unit" ] || ln -s /dev/null "/etc/systemd/system/$unit"
    done
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
