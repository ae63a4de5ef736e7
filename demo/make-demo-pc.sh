#!/usr/bin/env bash
# make-demo-pc.sh DIR -- lay out the file tree of a demo staff PC (市民課, LGWAN).
#
# Everything a Debian desktop has where mamori's checks look, in the real
# formats: a fresh ClamAV daily.cvd header, clamd running (a fake /proc entry),
# GNOME screen lock locked down by dconf, browsers whose managed policies
# forbid saving passwords, GDM without autologin.  One rule is broken on
# purpose -- the idle delay is 30 minutes where the policy allows 10 -- so the
# demo shows a failing check with its remediation.  Generated, not committed,
# because the pattern file must be dated "now".
set -euo pipefail
root=${1:?usage: make-demo-pc.sh DIR}
mkdir -p "$root"
cd "$root"

mkdir -p etc/dconf/profile etc/dconf/db/local.d/locks etc/gdm3 etc/clamav \
    var/lib/clamav etc/opt/chrome/policies/managed etc/firefox/policies \
    proc/812 proc/813 home/tanaka opt/google/chrome usr/lib/firefox

echo "4f1d2c3b5a6e7f8091a2b3c4d5e6f708" > etc/machine-id
echo "shimin-pc-014" > etc/hostname
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/bash
tanaka:x:1000:1000:田中 一郎,,,:/home/tanaka:/bin/bash
P
cat > etc/shadow <<'S'
root:!:20000:0:99999:7:::
tanaka:$y$j9T$demo$notarealhashjustshape:20000:0:99999:7:::
S
chmod 600 etc/shadow

# ClamAV: a CVD header built now (build time + stime), and clamd resident.
printf 'DatabaseDirectory /var/lib/clamav\n' > etc/clamav/freshclam.conf
now=$(date -u +%s)
build=$(LC_ALL=C date -u -d "@$now" '+%d %b %Y %H-%M %z')
hdr="ClamAV-VDB:${build}:27465:2071362:90:0123456789abcdef0123456789abcdef:demo-signature:demo:${now}"
printf '%-512s' "$hdr" > var/lib/clamav/daily.cvd
printf 'demo-signature-payload' >> var/lib/clamav/daily.cvd
echo clamd > proc/812/comm
printf '/usr/sbin/clamd\0--foreground\0' > proc/812/cmdline
echo freshclam > proc/813/comm
printf '/usr/bin/freshclam\0-d\0' > proc/813/cmdline

# GNOME: lock enabled and locked, but the idle delay is 1800 s (policy: 600).
mkdir -p usr/bin
touch usr/bin/gnome-shell
chmod 755 usr/bin/gnome-shell
cat > etc/dconf/profile/user <<'D'
user-db:user
system-db:local
D
cat > etc/dconf/db/local.d/00-screensaver <<'D'
[org/gnome/desktop/session]
idle-delay=uint32 1800

[org/gnome/desktop/screensaver]
lock-enabled=true
lock-delay=uint32 0
D
cat > etc/dconf/db/local.d/locks/screensaver <<'D'
/org/gnome/desktop/session/idle-delay
/org/gnome/desktop/screensaver/lock-enabled
/org/gnome/desktop/screensaver/lock-delay
D
# The compiled database must be newer than its keyfiles (dconf update ran).
sleep 0.01
printf 'GVariant' > etc/dconf/db/local
touch -d '+1 second' etc/dconf/db/local 2>/dev/null || touch etc/dconf/db/local

# GDM without autologin.
cat > etc/gdm3/custom.conf <<'G'
[daemon]
AutomaticLoginEnable=false
TimedLoginEnable=false
G

# Browsers installed, with managed policies that forbid saving passwords.
touch opt/google/chrome/chrome usr/lib/firefox/firefox
chmod 755 opt/google/chrome/chrome usr/lib/firefox/firefox
cat > etc/opt/chrome/policies/managed/mamori.json <<'C'
{"PasswordManagerEnabled": false}
C
cat > etc/firefox/policies/policies.json <<'F'
{"policies": {"PasswordManagerEnabled": false, "OfferToSaveLogins": false}}
F
# The user's Firefox profile has no saved logins.
mkdir -p home/tanaka/.mozilla/firefox/k3x9.default-esr
printf '{"nextId":1,"logins":[],"version":3}' > home/tanaka/.mozilla/firefox/k3x9.default-esr/logins.json

# Network: only loopback and no default route (an LGWAN PC without Internet).
mkdir -p sys/class/net/lo proc/net
echo 00:00:00:00:00:00 > sys/class/net/lo/address
echo 0x9 > sys/class/net/lo/flags
echo unknown > sys/class/net/lo/operstate
printf 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' > proc/net/route
: > proc/net/ipv6_route

echo "demo PC laid out under $root"
