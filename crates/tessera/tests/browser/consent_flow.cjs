// Drives Tessera's sign-in, consent and account pages in real headless Chromium.
//
// Usage: node consent_flow.cjs BASE_URL AUTHORIZE_PATH SCREENSHOT_DIR
// Prints one JSON object: the callback URL the browser was sent to, what the pages showed,
// and any Content-Security-Policy violation or console error seen on the way.
const { chromium } = require('playwright-core');

const [base, authorizePath, shots] = process.argv.slice(2);
const CALLBACK = 'http://127.0.0.1:8900/callback';

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = { problems: [] };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') out.problems.push(m.text()); });
    // Nothing listens at the app's callback: answer for it, and remember where we were sent.
    await page.route(`${CALLBACK}**`, (route) => {
      out.callback = route.request().url();
      route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
    });

    await page.goto(base + authorizePath);
    out.loginTitle = await page.title();
    await page.screenshot({ path: `${shots}/login.png`, fullPage: true });
    // Keyboard only: type, Tab to the next field, Enter to submit.
    await page.focus('#account');
    await page.keyboard.type('alice-union');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alice-password');
    await page.keyboard.press('Enter');
    await page.waitForSelector('button[value=approve]');
    out.consentTitle = await page.title();
    out.consentText = await page.locator('main').innerText();
    await page.screenshot({ path: `${shots}/consent.png`, fullPage: true });
    await page.click('button[value=approve]');
    await page.waitForURL(`${CALLBACK}**`);

    // A second browser (no session) after consent was given: signing in leads straight back
    // to the app (the form's redirect chain ends at the app, which CSP must not block).
    const second = await browser.newContext();
    const again = await second.newPage();
    again.on('console', (m) => { if (m.type() === 'error') out.problems.push(m.text()); });
    await again.route(`${CALLBACK}**`, (route) => {
      out.secondCallback = route.request().url();
      route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
    });
    await again.goto(base + authorizePath);
    await again.fill('#account', 'alice-union');
    await again.fill('#password', 'alice-password');
    await again.click('button[type=submit]');
    await again.waitForURL(`${CALLBACK}**`);
    await second.close();

    await page.goto(`${base}/account`);
    out.accountText = await page.locator('main').innerText();
    await page.screenshot({ path: `${shots}/account.png`, fullPage: true });
    await page.click('text=Withdraw');
    await page.waitForLoadState();
    out.afterWithdrawText = await page.locator('main').innerText();
  } catch (e) {
    out.error = String(e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})();
