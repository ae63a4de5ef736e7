#!/usr/bin/env bash
# t_packaging.sh BUILD_DIR -- the silent installation, tested on a real Debian 12.
#
# Builds mamori-agent and mamori-server with packaging/build-debs.sh, makes a
# fresh Debian 12 root with `debootstrap --variant=minbase bookworm` (cached as
# a tarball under /var/cache/mamori-test/ so reruns take seconds), and inside
# it, with apt and dpkg as a fleet would use them:
#   - installs the agent with no enroll.conf: files, owners, modes, the
#     group, the device key, the enabled unit, a working mamorictl;
#   - reinstalls it (the upgrade path): key and local policy kept;
#   - removes it: state kept;
#   - installs it with an enroll.conf naming a collector that does not
#     answer: the installation still succeeds;
#   - installs it with preseeded debconf answers: enroll.conf written 0600,
#     the secret gone from debconf;
#   - purges it: not one file more or less than before the installation.
# It also installs and purges mamori-server, runs `systemd-analyze verify`
# on both units, checks the agent unit's hardening directives, and runs
# lintian (when installed) failing on any error or warning not justified in
# packaging/debian/*.lintian-overrides.
#
# Needs root and the Debian mirror; exits 77 (ctest: skipped) with a reason
# when either is missing.  MAMORI_PACKAGING_DEBS=DIR reuses built packages.
set -uo pipefail

build=${1:?usage: t_packaging.sh BUILD_DIR}
src=${MAMORI_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cache=${MAMORI_TEST_CACHE:-/var/cache/mamori-test}
SKIP=77

passes=0
failures=0
ok() { passes=$((passes + 1)); echo "ok - $1"; }
not_ok() { failures=$((failures + 1)); echo "not ok - $1"; }
skip() { echo "SKIP: $*"; exit "$SKIP"; }
check() { # name command...
    local name=$1
    shift
    if "$@" >/dev/null; then ok "$name"; else not_ok "$name"; fi
}

[ "$(id -u)" -eq 0 ] || skip "needs root: debootstrap, chroot and dpkg inside it"
for tool in debootstrap dpkg-buildpackage dh chroot; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (scripts/install-deps.sh)"
done
if [ ! -x "$build/agent/mamori-agent" ] || [ ! -x "$build/server/mamori-server" ]; then
    skip "mamori-agent or mamori-server is not built by this tree yet; nothing to package"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/mamori-pkgtest.XXXXXX")
root=$work/root
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; fi
    for m in "$root/proc" "$root/dev/pts"; do
        mountpoint -q "$m" 2>/dev/null && umount -l "$m"
    done
    rm -rf "$work"
}
trap cleanup EXIT

# --- 1. build the packages ---------------------------------------------------
debs=${MAMORI_PACKAGING_DEBS:-}
if [ -z "$debs" ]; then
    debs=$work/debs
    echo "# building packages (log: build-debs.log)"
    if ! "$src/packaging/build-debs.sh" "$debs" >"$work/build-debs.log" 2>&1; then
        tail -n 40 "$work/build-debs.log"
        not_ok "packaging/build-debs.sh builds both packages"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
agent_deb=$(ls "$debs"/mamori-agent_*.deb)
server_deb=$(ls "$debs"/mamori-server_*.deb)
check "build-debs.sh made mamori-agent and mamori-server" test -f "$agent_deb" -a -f "$server_deb"

# --- 2. package contents, straight from the .deb ----------------------------
dpkg-deb -c "$agent_deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/agent.list"
for path in /usr/sbin/mamori-agent /usr/libexec/mamori-agent/mamori-courier \
    /usr/bin/mamorictl /etc/mamori/policy.json \
    /lib/systemd/system/mamori-agent.service /usr/share/locale/ja/LC_MESSAGES/mamori.mo \
    /usr/share/man/man8/mamori-agent.8.gz /usr/share/man/man8/mamorictl.8.gz \
    /usr/share/man/man5/mamori-policy.5.gz /usr/share/doc/mamori-agent/copyright; do
    check "agent package ships $path" grep -qx "$path" "$work/agent.list"
done
if [ -f "$src/packaging/udev/70-mamori-usb.rules" ]; then
    check "agent package ships the udev rule" grep -qx /lib/udev/rules.d/70-mamori-usb.rules "$work/agent.list"
fi
dpkg-deb --ctrl-tarfile "$agent_deb" | tar -xOf - ./conffiles >"$work/conffiles" 2>/dev/null
check "policy.json is a conffile (upgrades keep local changes)" grep -qx /etc/mamori/policy.json "$work/conffiles"
dpkg-deb -c "$server_deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/server.list"
for path in /usr/sbin/mamori-server /lib/systemd/system/mamori-server.service \
    /usr/share/man/man8/mamori-server.8.gz; do
    check "server package ships $path" grep -qx "$path" "$work/server.list"
done

# --- 3. lintian ------------------------------------------------------------
if command -v lintian >/dev/null 2>&1; then
    changes=$(find "$debs" -maxdepth 1 -name "*.changes" | head -n 1)
    targets=${changes:-"$agent_deb $server_deb"}
    # shellcheck disable=SC2086
    if lintian --fail-on error,warning $targets >"$work/lintian.out" 2>&1; then
        ok "lintian: no error or warning left unjustified"
    else
        sed 's/^/    /' "$work/lintian.out"
        not_ok "lintian: no error or warning left unjustified"
    fi
else
    echo "# lintian not installed: not run (apt-get install lintian)"
fi

# --- 4. a fresh Debian 12 root, cached --------------------------------------
# The mirror is the one this machine's apt already uses.
host_mirror() {
    local uri
    uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v security | head -n 1)
    if [ -z "$uri" ]; then
        uri=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*\)[[:space:]]\+bookworm[[:space:]].*/\1/p' \
            /etc/apt/sources.list 2>/dev/null | head -n 1)
    fi
    echo "$uri"
}

base=$cache/bookworm-minbase.tar
if [ ! -s "$base" ]; then
    echo "# creating the cached Debian 12 root (debootstrap, a few minutes once)"
    mkdir -p "$cache"
    fresh=$work/fresh
    # shellcheck disable=SC2046
    if ! debootstrap --variant=minbase bookworm "$fresh" $(host_mirror) >"$work/debootstrap.log" 2>&1; then
        tail -n 15 "$work/debootstrap.log"
        skip "debootstrap failed (no network to the Debian mirror?); see the log above"
    fi
    tar -C "$fresh" -cf "$base.new" . && mv "$base.new" "$base"
    rm -rf "$fresh"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base" || skip "cannot unpack $base"
mount -t proc proc "$root/proc"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# Packages downloaded by earlier runs (dependencies) are reused.
mkdir -p "$cache/archives"
cp "$cache"/archives/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"; }
# apt-get runs in /root, where the packages are, so "./name.deb" works as on a PC.
apt_in_root() { in_root sh -c 'cd /root && exec apt-get -q -y -o Dpkg::Use-Pty=0 "$@"' apt-get "$@"; }

apt_in_root update >"$work/apt-update.log" 2>&1 || echo "# apt-get update failed in the root; using its cached lists"
cp "$agent_deb" "$server_deb" "$root/root/"
agent_name=$(basename "$agent_deb")
server_name=$(basename "$server_deb")

# Dependencies first, so the purge comparison sees only what mamori-agent did;
# systemd too, as on every PC (and so `systemd-analyze verify --root` finds
# the targets the units name).
deps=$(dpkg-deb -f "$agent_deb" Depends)
if ! apt_in_root satisfy "$deps, systemd" >"$work/deps.log" 2>&1; then
    tail -n 15 "$work/deps.log"
    skip "cannot install the agent's dependencies in the root (network?)"
fi

# Every path with its owner and mode, minus what apt/dpkg themselves churn.
snapshot() {
    chroot "$root" find / -xdev \( -path /proc -o -path /var/cache/apt -o -path /var/lib/apt \
        -o -path /var/lib/dpkg -o -path /var/log -o -path /tmp -o -path /root \
        -o -path /var/cache/debconf \) -prune -o -printf '%p %u:%g %m\n' |
        grep -v -E '^/etc/(passwd|group|shadow|gshadow)- ' | sort
}
snapshot >"$work/before.txt"

mode_of() { chroot "$root" stat -c '%a %U:%G' "$1" 2>/dev/null; }
expect_mode() { # path "mode owner:group"
    local got
    got=$(mode_of "$1")
    if [ "$got" = "$2" ]; then ok "$1 is $2"; else not_ok "$1: expected $2, got '${got:-missing}'"; fi
}

# --- 5. install with no enroll.conf -----------------------------------------
if apt_in_root install "./$agent_name" >"$work/install1.log" 2>&1; then
    ok "apt-get install ./$agent_name succeeds with no prompt and no enroll.conf"
else
    sed 's/^/    /' "$work/install1.log" | tail -n 30
    not_ok "apt-get install ./$agent_name succeeds with no prompt and no enroll.conf"
fi
expect_mode /usr/sbin/mamori-agent "755 root:root"
expect_mode /usr/bin/mamorictl "755 root:root"
expect_mode /etc/mamori/policy.json "644 root:root"
expect_mode /var/lib/mamori "700 root:root"
expect_mode /var/lib/mamori/device.key "600 root:root"
expect_mode /lib/systemd/system/mamori-agent.service "644 root:root"
if [ -f "$src/packaging/udev/70-mamori-usb.rules" ]; then
    expect_mode /lib/udev/rules.d/70-mamori-usb.rules "644 root:root"
fi
gid=$(in_root getent group mamori | cut -d: -f3)
check "system group mamori exists (gid ${gid:-none} < 1000)" test -n "$gid" -a "${gid:-1000}" -lt 1000
# The courier's user: a system account in group mamori that nobody logs in as.
courier_user=$(in_root getent passwd mamori)
check "system user mamori exists for the courier ($courier_user)" \
    sh -c "echo '$courier_user' | awk -F: -v g='$gid' '\$3 < 1000 && \$3 > 0 && \$4 == g && \$7 == \"/usr/sbin/nologin\"' | grep -q ."
expect_mode /usr/libexec/mamori-agent/mamori-courier "755 root:root"
check "the courier refuses to run as root" \
    sh -c "chroot '$root' /usr/libexec/mamori-agent/mamori-courier --foreground </dev/null 2>&1 | grep -q 'refusing to run as root'"
check "the device key is an Ed25519 private key" \
    sh -c "openssl pkey -in '$root/var/lib/mamori/device.key' -noout -text 2>/dev/null | grep -q ED25519"
check "the unit is enabled for multi-user.target" \
    test -L "$root/etc/systemd/system/multi-user.target.wants/mamori-agent.service"
check "the enrolment retry timer is enabled" \
    test -L "$root/etc/systemd/system/timers.target.wants/mamori-enroll.timer"
expect_mode /usr/libexec/mamori-agent/enroll-from-conf "755 root:root"
check "installed mamorictl runs in the new root" in_root mamorictl --version
check "the shipped default policy validates (segment lgwan)" \
    sh -c "chroot '$root' mamorictl policy validate /etc/mamori/policy.json 2>&1 | grep -q 'segment lgwan'"

# --- 6. the unit: systemd-analyze verify and the hardening -------------------
unit=$root/lib/systemd/system/mamori-agent.service
if command -v systemd-analyze >/dev/null 2>&1; then
    # The group named by SupplementaryGroups= must exist where verify runs.
    if systemd-analyze verify --man=no --root="$root" mamori-agent.service mamori-enroll.timer \
        >"$work/verify.log" 2>&1 && ! grep -q 'mamori-' "$work/verify.log"; then
        ok "systemd-analyze verify mamori-agent.service mamori-enroll.timer"
    else
        sed 's/^/    /' "$work/verify.log"
        not_ok "systemd-analyze verify mamori-agent.service mamori-enroll.timer"
    fi
else
    echo "# systemd-analyze not available: only the static directive checks below"
fi
# systemd's own exposure score (0 = fully locked down, 10 = none): the agent
# must stay at or under 3.4 ("OK"), the collector at or under 2.0.  (The
# agent's 3.4 is 3.0 plus CAP_SETUID/CAP_SETGID/CAP_KILL, which it needs to
# run its delivery helper unprivileged -- the score counts them as exposure,
# although they take TLS and all network input away from root.)
security_score_ok() { # unit threshold
    systemd-analyze security --offline=yes --root="$root" --threshold="$2" "$1" >"$work/security.log" 2>&1
}
if command -v systemd-analyze >/dev/null 2>&1; then
    check "systemd-analyze security: agent exposure <= 3.4" security_score_ok mamori-agent.service 34
fi
for directive in 'Type=notify' 'WatchdogSec=' 'Restart=always' 'ProtectSystem=strict' \
    'ProtectHome=read-only' 'PrivateTmp=yes' 'NoNewPrivileges=yes' 'StateDirectory=mamori' \
    'RuntimeDirectory=mamori' 'RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6' \
    'CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH' 'DefaultDependencies=no' \
    'WantedBy=multi-user.target'; do
    check "unit sets $directive" grep -q "^$directive" "$unit"
done
check "unit starts before user sessions and the display manager" \
    grep -q '^Before=.*display-manager.service.*systemd-user-sessions.service' "$unit"
check "unit leaves /sys writable (no ProtectKernelTunables)" \
    sh -c "! grep -q '^ProtectKernelTunables=yes' '$unit'"
check "unit grants no CAP_SYS_ADMIN" sh -c "! grep -q '^CapabilityBoundingSet=.*CAP_SYS_ADMIN' '$unit'"

# --- 7. reinstall (the upgrade path) keeps key and local policy ---------------
key_sum() { sha256sum "$root/var/lib/mamori/device.key" 2>/dev/null | cut -d' ' -f1; }
first_key=$(key_sum)
sed -i 's/"max_idle_seconds": 600/"max_idle_seconds": 300/' "$root/etc/mamori/policy.json"
if apt_in_root install --reinstall "./$agent_name" >"$work/install2.log" 2>&1; then
    ok "reinstall succeeds"
else
    tail -n 20 "$work/install2.log"
    not_ok "reinstall succeeds"
fi
check "upgrade keeps the device key" test -n "$first_key" -a "$(key_sum)" = "$first_key"
check "upgrade keeps the local policy change" grep -q '"max_idle_seconds": 300' "$root/etc/mamori/policy.json"

# --- 8. remove keeps state ---------------------------------------------------
apt_in_root remove mamori-agent >"$work/remove.log" 2>&1
check "remove: binaries gone" test ! -e "$root/usr/sbin/mamori-agent"
check "remove keeps the device key" test -s "$root/var/lib/mamori/device.key"
check "remove keeps the local policy" test -s "$root/etc/mamori/policy.json"

# --- 9. install with an unreachable collector ------------------------------
# Port 9 on loopback: nothing listens, the connection is refused at once.
cat >"$root/etc/mamori/enroll.conf" <<'EOF'
server = https://127.0.0.1:9
secret = not-a-real-secret
ca_fingerprint = sha256:00
EOF
chmod 600 "$root/etc/mamori/enroll.conf"
if apt_in_root install "./$agent_name" >"$work/install3.log" 2>&1; then
    ok "install succeeds although the collector in enroll.conf is unreachable"
else
    tail -n 30 "$work/install3.log"
    not_ok "install succeeds although the collector in enroll.conf is unreachable"
fi
check "postinst says enrolment failed and the timer will retry" \
    grep -q 'could not enrol with https://127.0.0.1:9.*mamori-enroll.timer retries' "$work/install3.log"
if in_root sh -c 'mamorictl enroll --help 2>&1 | grep -q -- --secret-file'; then
    check "postinst really ran mamorictl enroll (its refusal is in the log)" \
        grep -q 'enrolment failed' "$work/install3.log"
fi
check "the enrolment secret never appears in the install log" \
    sh -c "test -s '$work/install3.log' && ! grep -q not-a-real-secret '$work/install3.log'"
check "no temporary secret file is left in the state directory" \
    sh -c "test -d '$root/var/lib/mamori' && ! ls '$root/var/lib/mamori/' | grep -q 'enroll.secret.new'"
# Kept for the agent's own re-enrolment when the collector forgets the PC.
expect_mode /var/lib/mamori/enroll.secret "600 root:root"
check "key kept across remove and reinstall" test -n "$first_key" -a "$(key_sum)" = "$first_key"

# --- 10. debconf preseeding ----------------------------------------------------
apt_in_root purge mamori-agent >"$work/purge1.log" 2>&1
printf '%s\n' \
    'mamori-agent mamori-agent/server_url string https://127.0.0.1:9' \
    'mamori-agent mamori-agent/enroll_secret password preseeded-secret-42' \
    'mamori-agent mamori-agent/ca_fingerprint string sha256:11' | in_root debconf-set-selections
if apt_in_root install "./$agent_name" >"$work/install4.log" 2>&1; then
    ok "install with preseeded debconf answers succeeds without a prompt"
else
    tail -n 30 "$work/install4.log"
    not_ok "install with preseeded debconf answers succeeds without a prompt"
fi
expect_mode /etc/mamori/enroll.conf "600 root:root"
expect_mode /etc/mamori/enroll.secret "600 root:root"
check "enroll.conf carries the preseeded server" grep -q '^server = https://127.0.0.1:9$' "$root/etc/mamori/enroll.conf"
check "enroll.secret carries the preseeded secret" grep -qx 'preseeded-secret-42' "$root/etc/mamori/enroll.secret"
check "the secret is gone from the debconf database" \
    sh -c "! grep -rq preseeded-secret-42 '$root/var/cache/debconf/'*.dat"

# --- 11. purge leaves nothing behind ------------------------------------------
apt_in_root purge mamori-agent >"$work/purge2.log" 2>&1
snapshot >"$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt" >"$work/purge.diff"; then
    ok "purge leaves the file system exactly as before the installation"
else
    sed 's/^/    /' "$work/purge.diff" | head -n 40
    not_ok "purge leaves the file system exactly as before the installation"
fi
check "purge removes the group mamori" sh -c "! chroot '$root' getent group mamori >/dev/null"
check "purge removes the user mamori" sh -c "! chroot '$root' getent passwd mamori >/dev/null"
check "purge removes the debconf answers" \
    sh -c "! grep -q 'mamori-agent/' '$root/var/cache/debconf/config.dat'"

# --- 12. the collector package -------------------------------------------------
if apt_in_root install "./$server_name" >"$work/server.log" 2>&1; then
    ok "apt-get install ./$server_name succeeds"
else
    tail -n 30 "$work/server.log"
    not_ok "apt-get install ./$server_name succeeds"
fi
check "system user mamori-server exists" in_root getent passwd mamori-server
expect_mode /var/lib/mamori-server "700 mamori-server:mamori-server"
expect_mode /usr/sbin/mamori-server "755 root:root"
if command -v systemd-analyze >/dev/null 2>&1; then
    if systemd-analyze verify --man=no --root="$root" mamori-server.service >"$work/verify2.log" 2>&1 &&
        ! grep -q 'mamori-server.service' "$work/verify2.log"; then
        ok "systemd-analyze verify mamori-server.service"
    else
        sed 's/^/    /' "$work/verify2.log"
        not_ok "systemd-analyze verify mamori-server.service"
    fi
fi
if command -v systemd-analyze >/dev/null 2>&1; then
    check "systemd-analyze security: collector exposure <= 2.0" security_score_ok mamori-server.service 20
fi
server_unit=$root/lib/systemd/system/mamori-server.service
check "server unit runs as mamori-server" grep -q '^User=mamori-server' "$server_unit"
check "server unit has no capabilities" grep -qx 'CapabilityBoundingSet=' "$server_unit"

# --- 13. the happy path: a real collector in the same root, a silent enrolment
port=$((20000 + $$ % 20000))
as_server() { chroot --userspec=mamori-server:mamori-server "$root" env -i PATH=/usr/sbin:/usr/bin \
    HOME=/var/lib/mamori-server LANG=C.UTF-8 "$@"; }
if as_server mamori-server init /var/lib/mamori-server --name 127.0.0.1 --port "$port" \
    >"$work/init.log" 2>&1; then
    ok "mamori-server init creates a collector in /var/lib/mamori-server"
else
    sed 's/^/    /' "$work/init.log"
    not_ok "mamori-server init creates a collector in /var/lib/mamori-server"
fi
# Not through as_server: $! must be the server itself, not a subshell.
chroot --userspec=mamori-server:mamori-server "$root" env -i PATH=/usr/sbin:/usr/bin LANG=C.UTF-8 \
    mamori-server serve --config /var/lib/mamori-server/server.conf >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
done
mkdir -p "$root/etc/mamori"
printf '%s\n' "server = https://127.0.0.1:$port" \
    "secret_file = /var/lib/mamori-server/enroll.secret" \
    "ca_file = /var/lib/mamori-server/ca.pem" >"$root/etc/mamori/enroll.conf"
if apt_in_root install "./$agent_name" >"$work/install5.log" 2>&1 &&
    grep -q "enrolled with https://127.0.0.1:$port" "$work/install5.log"; then
    ok "silent install enrols the PC with a reachable collector"
else
    sed 's/^/    /' "$work/install5.log" | tail -n 20
    sed 's/^/    /' "$work/serve.log" | tail -n 10
    not_ok "silent install enrols the PC with a reachable collector"
fi
check "the device certificate is stored in the state directory" test -s "$root/var/lib/mamori/device.crt"
check "enroll.json records the secret file, for the agent's re-enrolment" \
    grep -q '"secret_file":.*"/var/lib/mamori-server/enroll.secret"' "$root/var/lib/mamori/enroll.json"
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=""
apt_in_root purge mamori-agent >"$work/purge4.log" 2>&1
check "purge after enrolment removes the certificate too" test ! -e "$root/var/lib/mamori"

apt_in_root purge mamori-server >"$work/purge3.log" 2>&1
check "purge removes the mamori-server user and its state" \
    sh -c "! chroot '$root' getent passwd mamori-server >/dev/null && test ! -e '$root/var/lib/mamori-server'"

# Keep the downloaded dependencies for the next run.
cp -n "$root"/var/cache/apt/archives/*.deb "$cache/archives/" 2>/dev/null || true

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
