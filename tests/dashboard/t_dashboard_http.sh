#!/bin/bash
# t_dashboard_http.sh -- the dashboard of a real, seeded mamori-server, over HTTPS with curl.
#
# What a browser test cannot see easily: exact response headers (CSP, frame,
# referrer, cookie flags), that hostile report content never reaches a page
# unescaped, CSRF and cross-origin refusals, the viewer/admin split on POST
# as well as GET, the login limit (429 after five failures), CSV bytes (BOM,
# CRLF, neutralized formulas), and logout ending the session.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/dashboard/fleet_server.sh
. "$here/fleet_server.sh"
trap fleet_server_stop EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

fleet_server_start
jar=$dir/jar
# req METHOD PATH [curl args...]: status code on stdout; body in $dir/body, headers in $dir/hdr.
req() {
    local method=$1 path=$2
    shift 2
    curl -s --cacert "$ca" -X "$method" -o "$dir/body" -D "$dir/hdr" -w '%{http_code}' \
        -H 'Accept-Language: ja' "$@" "$url$path"
}
login() { # login USER PASSWORD [cookie jar]
    req POST /ui/login -c "${3:-$jar}" -H "Origin: $url" \
        --data-urlencode "user=$1" --data-urlencode "password=$2"
}
body_has() { grep -qF -- "$1" "$dir/body" || fail "$2: body lacks: $1"; }
body_lacks() { ! grep -qF -- "$1" "$dir/body" || fail "$2: body contains: $1"; }
header_is() { grep -qiF -- "$1" "$dir/hdr" || fail "$2: header missing: $1"; }

# Not logged in: every page leads to the login form, which carries the headers.
[ "$(req GET /ui/)" = 303 ] || fail "anonymous overview not redirected"
header_is "Location: /ui/login" "anonymous redirect"
[ "$(req GET /ui/csv/failing.csv)" = 303 ] || fail "anonymous CSV not redirected"
[ "$(req GET /ui/login)" = 200 ] || fail "login page"
header_is "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'" "CSP"
header_is "X-Frame-Options: DENY" "frame"
header_is "Referrer-Policy: no-referrer" "referrer"
body_lacks "<script" "login page has no script"

# A wrong password: one generic answer, no cookie.
[ "$(login alice 'not the password')" = 401 ] || fail "wrong password not refused"
body_has "利用者名またはパスワードが違います" "wrong password message"
! grep -qi '^Set-Cookie: mamori_session=[A-Za-z0-9_-]' "$dir/hdr" || fail "cookie after a wrong password"
[ "$(login nosuchuser 'not the password' "$dir/jar2")" = 401 ] || fail "unknown user not refused"

# The admin logs in.
[ "$(login alice "$ALICE_PW")" = 303 ] || fail "admin login: $(cat "$dir/body")"
grep -i '^Set-Cookie: mamori_session=' "$dir/hdr" | grep -qi 'HttpOnly; Secure; SameSite=Strict' ||
    fail "session cookie flags: $(grep -i set-cookie "$dir/hdr")"
grep -i '^Set-Cookie: mamori_session=' "$dir/hdr" | grep -qi 'Path=/ui' || fail "cookie path"

# Overview: the exact counts of the seed, hostile names escaped.
[ "$(req GET /ui/ -b "$jar")" = 200 ] || fail "overview"
body_has 'id="count-hosts">7<' "hosts"
body_has 'id="count-compliant">3<' "compliant"
body_has 'id="count-noncompliant">4<' "not compliant"
body_has 'id="count-silent">1<' "silent"
body_has '=HYPERLINK(&quot;http://evil.example&quot;)' "escaped department"
body_lacks '<script' "no script"
body_has 'silent-pc01' "silent host listed"
body_has '登録されていないUSBメモリをブロックしました' "USB block listed"
body_has '許可されていない無線LANへの接続を拒否しました' "network refusal listed"
csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$dir/body" | head -1 | sed 's/.*value="\([0-9a-f]*\)"/\1/')
[ ${#csrf} = 64 ] || fail "no CSRF token in the page"
[ "$(req GET '/ui/?lang=en' -b "$jar")" = 200 ] && body_has 'Fleet overview' "English page"

# One PC: the failing check, since when, and what to do (Japanese).
[ "$(req GET /ui/hosts/soumu-pc02 -b "$jar")" = 200 ] || fail "host page"
body_has '放置時に画面が自動でロックされる' "check title"
# fleet.json's reports are schema 1 and carry their own remediation; the
# catalogue's words (collectors/catalogue.c) win for a known check.
body_has 'GNOME は /etc/dconf/profile/user に user-db:user と system-db:local を書き' "remediation"
body_lacks '設定で画面ロックを有効にし' "the report's own remediation"
body_has 'class="check-failing"' "failing row"
[ "$(req GET '/ui/hosts/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E' -b "$jar")" = 200 ] ||
    fail "hostile host page"
body_lacks "<script>alert('detail')" "hostile detail"
body_lacks "<b>bold?</b>" "hostile evidence"
body_has "&lt;script&gt;alert(&#39;detail&#39;)&lt;/script&gt;" "escaped detail"
[ "$(req GET /ui/hosts/no-such-pc -b "$jar")" = 404 ] || fail "unknown host"

# Events: hostile hostnames and summaries escaped; filters; the same as CSV.
[ "$(req GET /ui/events -b "$jar")" = 200 ] || fail "events page"
body_has '&lt;img src=x onerror=alert(1)&gt;' "escaped hostname"
body_has '/ui/hosts/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E' "encoded host link"
body_lacks '<img src=x' "raw hostname"
body_lacks '<i>kbd</i>' "raw facts"
body_lacks "<script>alert('event')" "hostile event summary"
[ "$(req GET '/ui/events?type=usb.' -b "$jar")" = 200 ] || fail "events page"
body_has 'zeimu-pc01' "usb event host"
body_lacks 'net.refused' "type filter"
[ "$(req GET '/ui/hosts?q=zeimu-pc01' -b "$jar")" = 303 ] || fail "host search"
header_is "Location: /ui/hosts/zeimu-pc01" "host search target"
[ "$(req GET '/ui/events?since=not-a-date' -b "$jar")" = 400 ] || fail "bad since accepted"
[ "$(req GET '/ui/csv/events.csv?type=net.' -b "$jar")" = 200 ] || fail "events CSV"
grep -q 'net.refused' "$dir/body" || fail "events CSV lacks net.refused"
! grep -q 'usb.blocked' "$dir/body" || fail "events CSV filter let usb.blocked through"

# CSV: BOM, CRLF, the failing rows, neutralized formulas.
[ "$(req GET /ui/csv/failing.csv -b "$jar")" = 200 ] || fail "failing CSV"
header_is "Content-Type: text/csv; charset=utf-8" "CSV type"
header_is "Content-Disposition: attachment" "CSV download"
[ "$(head -c 3 "$dir/body" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "CSV without BOM"
[ "$(grep -c $'\r$' "$dir/body")" = 4 ] || fail "CSV: header + 3 CRLF rows expected"
grep -q '^screenlock.enabled,soumu-pc02,総務課,fail,' "$dir/body" || fail "failing row soumu-pc02"
grep -q '^av.resident,kikaku-pc01,企画課,error,' "$dir/body" || fail "failing row kikaku-pc01"
[ "$(req GET /ui/csv/departments.csv -b "$jar")" = 200 ] || fail "departments CSV"
grep -qF "\"'=HYPERLINK(\"\"http://evil.example\"\")\"" "$dir/body" || fail "formula not neutralized"
for t in checks segments trend silent usb-blocks net-blocks audit; do
    [ "$(req GET "/ui/csv/$t.csv" -b "$jar")" = 200 ] || fail "CSV $t"
    [ "$(head -c 3 "$dir/body" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "CSV $t without BOM"
done
[ "$(req GET '/ui/csv/host-checks.csv?host=soumu-pc02' -b "$jar")" = 200 ] || fail "host CSV"
grep -q 'GNOME は /etc/dconf/profile/user' "$dir/body" || fail "host CSV remediation"
[ "$(req GET /ui/csv/nope.csv -b "$jar")" = 404 ] || fail "unknown CSV"

# Forms: CSRF token and same origin required.
[ "$(req POST /ui/logout -b "$jar" -H "Origin: $url" -d 'csrf=00')" = 403 ] || fail "logout without CSRF"
[ "$(req POST /ui/logout -b "$jar" -H 'Origin: https://evil.example' -d "csrf=$csrf")" = 403 ] ||
    fail "cross-origin post"
[ "$(req POST /ui/logout -b "$jar" -H 'Sec-Fetch-Site: cross-site' -d "csrf=$csrf")" = 403 ] ||
    fail "cross-site post (fetch metadata)"
[ "$(req GET /ui/admin/users -b "$jar")" = 200 ] || fail "admin users page"
body_has '>bob<' "user list"

# The viewer reads but cannot act as admin.
[ "$(login bob "$BOB_PW" "$dir/bobjar")" = 303 ] || fail "viewer login"
[ "$(req GET /ui/ -b "$dir/bobjar")" = 200 ] || fail "viewer overview"
body_lacks '/ui/admin/users' "viewer sees the admin link"
bcsrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$dir/body" | head -1 | sed 's/.*value="\([0-9a-f]*\)"/\1/')
[ "$(req GET /ui/admin/users -b "$dir/bobjar")" = 403 ] || fail "viewer reached the user list"
[ "$(req POST /ui/admin/users/remove -b "$dir/bobjar" -H "Origin: $url" \
    -d "csrf=$bcsrf&name=alice")" = 403 ] || fail "viewer removed a user"
"$build/server/mamori-server" admin list --config "$conf" | grep -q '^alice ' || fail "alice gone"

# Logout ends the session on the server, not only in the browser.
cp "$jar" "$dir/stolen"
[ "$(req POST /ui/logout -b "$jar" -c "$jar" -H "Origin: $url" -d "csrf=$csrf")" = 303 ] || fail "logout"
[ "$(req GET /ui/ -b "$dir/stolen")" = 303 ] || fail "session alive after logout"

# Five failures from one address: the sixth try is refused even with the right password.
for i in 1 2 3; do
    [ "$(login "guess$i" 'wrong wrong wrong' "$dir/x")" = 401 ] || fail "failure $i"
done
# (two failures happened above: alice and nosuchuser)
[ "$(login alice "$ALICE_PW" "$dir/x")" = 429 ] || fail "no login limit after 5 failures"
header_is "Retry-After: 300" "retry-after"
body_has 'ログインの失敗が続いたため' "limit message"

# Certificates: clients offering Ed25519 (agents, curl) keep the collector's
# certificate; browsers, which do not, get dashboard.pem.
hostport=${url#https://}
echo | openssl s_client -connect "$hostport" -CAfile "$ca" >"$dir/tls1" 2>&1 || true
grep -q 'Peer signature type: ed25519' "$dir/tls1" || fail "collector certificate for agents"
grep -q 'Verify return code: 0 (ok)' "$dir/tls1" || fail "collector certificate does not verify"
echo | openssl s_client -connect "$hostport" -sigalgs 'ECDSA+SHA256:RSA-PSS+SHA256' >"$dir/tls2" 2>&1 || true
grep -q 'Peer signature type: ECDSA' "$dir/tls2" || fail "dashboard certificate for browsers"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" "$url/v1/health")" = 200 ] ||
    fail "health endpoint"
echo "PASS"
