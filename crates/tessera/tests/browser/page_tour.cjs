// Opens every page of the web UI in headless Chromium at a desktop (1280 px) and a phone
// (390 px) width, photographs each, and reports for each whether the page is wider than the
// window, whether its h1 is larger than its h2, and whether Chinese text on it renders with
// real glyphs (each character drawn differently from the font's missing-glyph box).
//
// Usage: node page_tour.cjs BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR PAGES_JSON
// PAGES_JSON: [{"name": "...", "path": "/...", "who": "anon" | "alice" | "reviewer"}]
// Prints one JSON object: {"pages": [{name, width, scrollWidth, innerWidth, h1, h2, cjk}], ...}.
const { chromium } = require('playwright-core');

const [base, operatorToken, shots, pagesJson] = process.argv.slice(2);
const pages = JSON.parse(pagesJson);
const WIDTHS = [1280, 390];

/** For each CJK character in the main text: whether it draws unlike a missing glyph. */
function cjkRenders() {
  const text = (document.querySelector('main') || document.body).innerText;
  const chars = Array.from(new Set(text.match(/[\u4e00-\u9fff]/g) || [])).slice(0, 12);
  const el = document.querySelector('main') || document.body;
  const font = getComputedStyle(el).font;
  const draw = (ch) => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 64;
    const g = c.getContext('2d');
    g.font = font.replace(/\d+(\.\d+)?px/, '40px');
    g.fillText(ch, 4, 48);
    return Array.from(g.getImageData(0, 0, 64, 64).data).join(',');
  };
  // U+0378 is unassigned: every font draws it as its missing-glyph box.
  const tofu = draw('\u0378');
  return chars.map((ch) => ({ ch, glyph: draw(ch) !== tofu }));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const out = { pages: [], problems: [] };
  try {
    const contexts = {};
    for (const who of ['anon', 'alice', 'reviewer']) {
      contexts[who] = await browser.newContext();
    }
    const alice = await contexts.alice.newPage();
    await alice.goto(`${base}/login?next=/console`);
    await alice.fill('#account', 'alice-union');
    await alice.fill('#password', 'alice-password');
    await alice.click('button[type=submit]');
    await alice.waitForURL(`${base}/console`);
    const reviewer = await contexts.reviewer.newPage();
    await reviewer.goto(`${base}/console/reviewer`);
    await reviewer.fill('#token', operatorToken);
    await reviewer.click('button[type=submit]');
    await reviewer.waitForURL(`${base}/console/reviews`);
    for (const p of pages) {
      const page = await contexts[p.who].newPage();
      page.on('pageerror', (e) => out.problems.push(`${p.name}: ${e}`));
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${base}${p.path}`);
        await page.evaluate(() => document.fonts.ready);
        const m = await page.evaluate(() => {
          const size = (sel) => { const e = document.querySelector(sel); return e ? parseFloat(getComputedStyle(e).fontSize) : null; };
          return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, h1: size('h1'), h2: size('main h2') };
        });
        m.cjk = await page.evaluate(cjkRenders);
        m.status = page.url();
        await page.screenshot({ path: `${shots}/${p.name}-${width}.png`, fullPage: true });
        out.pages.push({ name: p.name, width, ...m });
      }
      await page.close();
    }
  } catch (e) {
    out.error = String(e && e.stack || e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})();
