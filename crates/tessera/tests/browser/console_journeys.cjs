// Drives the console's main journeys in real headless Chromium: a developer registers an app
// and requests a special scope, a reviewer declines it with a reason, the developer reads the
// reason and resubmits, the reviewer approves; an admin without the eligible role cannot
// authorize a sensitive scope, the one with it authorizes and revokes; the audit log shows
// each step; the 403 helper explains a real error body. Key steps are done with the keyboard
// only, and every main page is photographed.
//
// Usage: node console_journeys.cjs BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR DINGTALK_403_BODY
// Prints one JSON object with what the pages showed and any console error or CSP violation.
const { chromium } = require('playwright-core');

const [base, operatorToken, shots, dingtalkBody] = process.argv.slice(2);

/** Presses Tab until the focused element matches `selector`; whether it got there. */
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) {
      return true;
    }
  }
  return false;
}

/** Form fields on the page that no label names (every field must have one). */
function unlabeled(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter((el) => el.labels.length === 0)
    .map((el) => `${location.pathname}: ${el.outerHTML.slice(0, 80)}`));
}

/** Records the page's unlabeled fields and takes its screenshot. */
async function shoot(page, out, name, fullPage = true) {
  out.unlabeled.push(...(await unlabeled(page)));
  await page.screenshot({ path: `${shots}/${name}`, fullPage });
}

/** Whether the focused element shows a focus ring. */
function focusVisible(page) {
  return page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle !== 'none');
}

async function newPage(browser, out, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.problems.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => out.problems.push(`${page.url()}: ${e}`));
  return page;
}

async function signIn(page, account, password) {
  await page.goto(`${base}/login?next=/console`);
  await page.focus('#account');
  await page.keyboard.type(account);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/console`);
}

const main = async (page) => (await page.locator('main').innerText());

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = { problems: [], keyboard: {}, focusRing: {}, unlabeled: [] };
  try {
    const alice = await newPage(browser, out, {
      permissions: ['clipboard-read', 'clipboard-write'], viewport: { width: 1280, height: 800 },
    });
    const reviewer = await newPage(browser, out, { viewport: { width: 1280, height: 800 } });
    const bob = await newPage(browser, out, { viewport: { width: 1280, height: 800 } });

    // The developer signs in (keyboard only) and lands on the overview.
    await signIn(alice, 'alice-union', 'alice-password');
    out.overview = await main(alice);
    await shoot(alice, out, 'console-overview.png');
    await alice.keyboard.press('Tab');
    out.keyboard.skipLinkFirst = await alice.evaluate(() => document.activeElement.textContent === 'Skip to content');

    // Registers an app from the keyboard; the secret is shown once, with a copy button.
    await alice.click('nav >> text=Apps');
    await alice.waitForURL(`${base}/console/orgs/dingdemo/apps`);
    out.appsEmpty = await main(alice);
    await shoot(alice, out, 'console-apps.png');
    out.keyboard.appName = await tabTo(alice, '#name');
    await alice.keyboard.type('HR bot');
    await alice.keyboard.press('Enter');
    await alice.waitForURL(`${base}/console/orgs/dingdemo/apps`);
    await alice.waitForSelector('#secret');
    out.secretPage = await main(alice);
    out.secret = (await alice.locator('#secret').innerText()).trim();
    await shoot(alice, out, 'console-secret.png');
    await alice.click('button[data-copy=secret]');
    await alice.waitForFunction(() => document.querySelector('button[data-copy=secret]').textContent !== 'Copy secret');
    out.copyButton = await alice.locator('button[data-copy=secret]').innerText();
    out.clipboard = await alice.evaluate(() => navigator.clipboard.readText());

    // "Manage permissions": search by keyboard, request the special scope with a description.
    await alice.click('text=Next: request the permissions the app needs');
    await alice.waitForSelector('#q');
    out.keyboard.search = await tabTo(alice, '#q');
    await alice.keyboard.type('attendance');
    await alice.keyboard.press('Enter');
    await alice.waitForURL(/q=attendance/);
    out.searchResult = await main(alice);
    out.keyboard.description = await tabTo(alice, '#scope-hr\\.attendance\\.read textarea');
    await alice.keyboard.type('Plan shifts');
    out.keyboard.requestButton = await tabTo(alice, '#scope-hr\\.attendance\\.read button');
    out.focusRing.requestButton = await focusVisible(alice);
    await alice.keyboard.press('Enter');
    await alice.waitForSelector('#scope-hr\\.attendance\\.read >> text=Pending review');
    out.afterRequest = await alice.locator('#scope-hr\\.attendance\\.read').innerText();
    const appPath = new URL(alice.url()).pathname;

    // The reviewer signs in with the operator token and declines with a reason (keyboard).
    await reviewer.goto(`${base}/console/reviewer`);
    await reviewer.focus('#token');
    await reviewer.keyboard.type(operatorToken);
    await reviewer.keyboard.press('Enter');
    await reviewer.waitForURL(`${base}/console/reviews`);
    out.queue = await main(reviewer);
    await shoot(reviewer, out, 'console-reviews.png');
    out.keyboard.reason = await tabTo(reviewer, '#reason0');
    await reviewer.keyboard.type('Say which records the bot reads and for how long it keeps them.');
    out.keyboard.decline = await tabTo(reviewer, 'button.danger');
    out.focusRing.decline = await focusVisible(reviewer);
    await reviewer.keyboard.press('Enter');
    await reviewer.waitForSelector('text=Nothing is waiting for review');
    out.queueAfterDecline = await main(reviewer);

    // The developer reads the reason (on the tag's hover title and in the text) and resubmits.
    await alice.reload();
    const tag = alice.locator('#scope-hr\\.attendance\\.read .badge.b-bad');
    await tag.hover();
    out.declinedTagTitle = await tag.getAttribute('title');
    out.afterDecline = await alice.locator('#scope-hr\\.attendance\\.read').innerText();
    await shoot(alice, out, 'console-permissions.png');
    await alice.fill('#scope-hr\\.attendance\\.read textarea', 'Plan shifts from check-in times of the last 30 days; nothing is kept.');
    await alice.click('#scope-hr\\.attendance\\.read button:has-text("Resubmit")');
    await alice.waitForSelector('#scope-hr\\.attendance\\.read >> text=Pending review');

    // The reviewer approves.
    await reviewer.reload();
    out.queueResubmitted = await main(reviewer);
    await reviewer.click('button:has-text("Approve")');
    await reviewer.waitForSelector('text=Nothing is waiting for review');
    await alice.reload();
    out.afterApprove = await alice.locator('#scope-hr\\.attendance\\.read').innerText();

    // An admin without the eligible role cannot authorize the sensitive scope.
    await signIn(bob, 'bob-union', 'bob-password');
    await bob.goto(`${base}/console/orgs/dingdemo/workbench`);
    out.bobWorkbench = await main(bob);
    const bobRow = bob.locator('section[aria-labelledby="app-suitedemo"] tr', { hasText: 'qyapi_manage_addresslist' });
    out.bobRow = await bobRow.innerText();
    out.bobButtonDisabled = await bobRow.locator('button').isDisabled();
    out.bobForms = await bobRow.locator('form').count();

    // The one with it authorizes (keyboard) and then revokes.
    await alice.goto(`${base}/console/orgs/dingdemo/workbench`);
    out.workbenchBefore = await main(alice);
    const grantButton = 'form[action="/console/orgs/dingdemo/installations/suitedemo/grants/qyapi_manage_addresslist"] button';
    out.keyboard.authorize = await tabTo(alice, grantButton, 120);
    await alice.keyboard.press('Enter');
    const suiteRow = 'section[aria-labelledby="app-suitedemo"] tr:has-text("qyapi_manage_addresslist")';
    await alice.waitForSelector(`${suiteRow} .badge.b-ok:text-is("Authorized")`);
    const aliceRow = alice.locator('section[aria-labelledby="app-suitedemo"] tr', { hasText: 'qyapi_manage_addresslist' });
    out.afterAuthorize = await aliceRow.innerText();
    await shoot(alice, out, 'console-workbench.png');
    await shoot(alice, out, 'console-workbench-top.png', false);
    await alice.click(`${grantButton}:has-text("Revoke")`);
    await alice.waitForSelector(`${suiteRow} .badge.b-off:text-is("Revoked")`);
    out.afterRevoke = await alice.locator('section[aria-labelledby="app-suitedemo"] tr', { hasText: 'qyapi_manage_addresslist' }).innerText();

    // The audit log shows each step; filtering by action narrows it.
    await alice.click('nav >> text=Audit log');
    await alice.waitForURL(`${base}/console/orgs/dingdemo/audit`);
    out.audit = await main(alice);
    await shoot(alice, out, 'console-audit.png');
    await alice.selectOption('#action', 'scope_revoked');
    await alice.click('button:has-text("Filter")');
    await alice.waitForURL(/action=scope_revoked/);
    out.auditFiltered = await alice.locator('tbody').innerText();

    // The 403 helper explains the body a real refused call got.
    await alice.goto(`${base}/console/apps/dingbasic/explain`);
    await alice.fill('#body', dingtalkBody);
    await alice.click('button:has-text("Explain")');
    await alice.waitForSelector('text=What is missing');
    out.explain = await main(alice);
    await shoot(alice, out, 'console-explain.png');
    await alice.click('main table a');
    await alice.waitForURL(/\/permissions\?q=/);
    out.explainLink = alice.url();
    out.appPath = appPath;

    // The app's page: credentials and redirect URIs; the secret is not on it any more.
    await alice.goto(`${base}${appPath.replace(/\/permissions$/, '')}`);
    out.appPage = await main(alice);
    await shoot(alice, out, 'console-app.png');
    await reviewer.goto(`${base}/console/reviewer`);
    await shoot(reviewer, out, 'console-reviewer-signin.png');
  } catch (e) {
    out.error = String(e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})();
