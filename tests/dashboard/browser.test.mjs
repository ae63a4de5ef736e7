// browser.test.mjs -- the dashboard in a real browser: Debian's chromium driven by playwright-core.
//
// Run by t_dashboard_browser.sh against a mamori-server seeded with
// tests/dashboard/fleet.json (see fleet_server.sh for the exact fleet).
// The browser trusts only the test server's dashboard key
// (--ignore-certificate-errors-spki-list with its SHA-256), nothing else.
// Every page visited is kept as a screenshot in $DASH_SHOTS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.DASH_URL;
const shots = process.env.DASH_SHOTS;
const users = {
  alice: process.env.ALICE_PW, // admin
  bob: process.env.BOB_PW, // viewer
};
let browser;
const dialogs = []; // any alert() would mean hostile report content ran

before(async () => {
  fs.mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${process.env.DASH_SPKI}`],
  });
});

after(async () => {
  if (browser) await browser.close();
  assert.deepEqual(dialogs, [], 'no script from report content may run');
});

async function newPage() {
  // Japanese staff browser: Accept-Language ja-JP.
  const context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true });
  const page = await context.newPage();
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  return { context, page };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function login(page, user, password) {
  await page.goto(`${url}/ui/`);
  assert.match(page.url(), /\/ui\/login$/, 'an anonymous visit lands on the login form');
  await page.fill('#user', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('#login')]);
}

async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}

test('a wrong password is refused with a generic message', async () => {
  const { context, page } = await newPage();
  await login(page, 'alice', 'this is not the password');
  assert.match(page.url(), /\/ui\/login$/);
  assert.match(await text(page, '#login-error'), /利用者名またはパスワードが違います/);
  const cookies = await context.cookies();
  assert.equal(cookies.find((c) => c.name === 'mamori_session'), undefined, 'no session cookie');
  await shot(page, 'login-refused');
  await context.close();
});

test('the admin logs in and the overview shows the seeded fleet', async () => {
  const { context, page } = await newPage();
  await login(page, 'alice', users.alice);
  assert.match(page.url(), /\/ui\/$/);
  const session = (await context.cookies()).find((c) => c.name === 'mamori_session');
  assert.ok(session, 'session cookie set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.path, '/ui');

  assert.equal(await text(page, 'h1'), '全体状況');
  assert.equal(await text(page, '#count-hosts'), '7');
  assert.equal(await text(page, '#count-compliant'), '3');
  assert.equal(await text(page, '#count-noncompliant'), '4');
  assert.equal(await text(page, '#count-silent'), '1');
  const screenlock = page.locator('#checks tr', { hasText: 'screenlock.enabled' });
  assert.deepEqual(
    (await screenlock.locator('td.n').allInnerTexts()).map((s) => s.trim()),
    ['5', '1', '0', '0', '83.3%'],
    'pass / fail / error / n.a. / rate of screenlock.enabled',
  );
  assert.equal(await page.locator('#failing tr').count(), 4, 'header + 3 failing checks');
  assert.equal(await page.locator('#silent tr', { hasText: 'silent-pc01' }).count(), 1);
  assert.ok((await page.locator('#chart-checks rect').count()) >= 6, 'bars drawn');
  assert.equal(await page.locator('#chart-trend circle').count(), 1, "today's trend point");
  assert.match(await text(page, '#usb-blocks'), /zeimu-pc01/);
  assert.match(await text(page, '#net-blocks'), /FreeWiFi/);
  const dept = page.locator('#departments tr', { hasText: '総務課' });
  assert.equal(await dept.locator('td.bad').count(), 1, '総務課 at 33% is coloured as bad');
  await shot(page, 'overview');

  await page.goto(`${url}/ui/?lang=en`);
  assert.equal(await text(page, 'h1'), 'Fleet overview');
  await shot(page, 'overview-en');
  await page.goto(`${url}/ui/?lang=ja`);
  await context.close();
});

test('a host page shows its failing check, since when, and the remediation', async () => {
  const { context, page } = await newPage();
  await login(page, 'alice', users.alice);
  await Promise.all([
    page.waitForLoadState('load'),
    page.locator('#failing a', { hasText: 'soumu-pc02' }).click(),
  ]);
  assert.match(page.url(), /\/ui\/hosts\/soumu-pc02$/);
  assert.match(await text(page, 'h1'), /soumu-pc02/);
  const failing = page.locator('#host-checks tr.check-failing');
  assert.equal(await failing.count(), 1);
  assert.match(await failing.innerText(), /放置時に画面が自動でロックされる/);
  assert.match(await failing.innerText(), /不合格/);
  // From the check catalogue the collector links, not from the stored report.
  assert.match(
    (await failing.locator('td.remediation').innerText()).trim(),
    /^GNOME は \/etc\/dconf\/profile\/user に user-db:user と system-db:local を書き/,
  );
  assert.match(await failing.locator('time').innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.equal(await page.locator('#history tr').count(), 4, 'header + 3 reports');
  await shot(page, 'host');
  await context.close();
});

test('events filter by type, and a hostile hostname stays text', async () => {
  const { context, page } = await newPage();
  await login(page, 'alice', users.alice);
  await page.goto(`${url}/ui/events`);
  const hostile = page.locator('#events a', { hasText: '<img src=x onerror=alert(1)>' });
  assert.equal(await hostile.count(), 1, 'the hostname is shown as text');
  await shot(page, 'events');
  await Promise.all([page.waitForLoadState('load'), hostile.click()]);
  assert.match(await text(page, 'h1'), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('main img').count(), 0, 'no element made from report content');
  await shot(page, 'host-hostile');

  await page.goto(`${url}/ui/events`);
  await page.fill('input[name=type]', 'usb.');
  await Promise.all([page.waitForLoadState('load'), page.click('form.filters button')]);
  assert.match(page.url(), /type=usb\./);
  const body = await text(page, '#events');
  assert.match(body, /zeimu-pc01/);
  assert.doesNotMatch(body, /net\.refused/);
  await shot(page, 'events-usb');
  await context.close();
});

test('a CSV download has a BOM and exactly the failing rows', async () => {
  const { context, page } = await newPage();
  await login(page, 'alice', users.alice);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a[href="/ui/csv/failing.csv"]').click(),
  ]);
  assert.match(download.suggestedFilename(), /^mamori-failing-\d{8}\.csv$/);
  const bytes = fs.readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  assert.equal(lines.pop(), '', 'CRLF after the last row');
  assert.equal(lines[0], '点検項目ID,端末,所属,判定,不合格となった日時');
  const rows = lines.slice(1).map((l) => l.split(',').slice(0, 4).join(','));
  assert.deepEqual(rows.sort(), [
    'av.resident,kikaku-pc01,企画課,error',
    'screenlock.enabled,soumu-pc02,総務課,fail',
    'usb.storage_blocked,zeimu-pc01,税務課,fail',
  ]);
  fs.copyFileSync(await download.path(), path.join(shots, 'failing.csv'));
  await context.close();
});

test('a viewer reads the fleet but cannot reach admin actions', async () => {
  const { context, page } = await newPage();
  await login(page, 'bob', users.bob);
  assert.equal(await text(page, '#count-hosts'), '7');
  assert.equal(await page.locator('a[href="/ui/admin/users"]').count(), 0, 'no admin link');
  const response = await page.goto(`${url}/ui/admin/users`);
  assert.equal(response.status(), 403);
  assert.match(await text(page, 'h1'), /管理者の権限が必要/);
  await shot(page, 'viewer-forbidden');
  await context.close();

  const admin = await newPage();
  await login(admin.page, 'alice', users.alice);
  const ok = await admin.page.goto(`${url}/ui/admin/users`);
  assert.equal(ok.status(), 200);
  assert.match(await text(admin.page, '#users'), /bob/);
  await shot(admin.page, 'users');
  await Promise.all([admin.page.waitForLoadState('load'), admin.page.click('#logout')]);
  assert.match(admin.page.url(), /\/ui\/login$/);
  await admin.context.close();
});
