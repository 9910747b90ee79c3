// The embeddable widget on a page of another origin (examples/embed/index.html, served by a plain
// static server): one <script> line mounts search, facets, years and pages into #search through
// CORS, under a strict CSP of the host page, with no styles leaking either way.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import test from 'node:test';

import { EXAMPLES_URL, FOLIO_ORIGIN, FOLIO_URL, api, browserTest, eventually, expectResults, readUi } from './harness.js';

const overview = await api('facets');
const labels = Object.fromEntries(overview.themes.map((t) => [t.id, t.label]));
const HOST = '#search';
const LIMIT = 5;
/** The address the example's one-line embed points at (folio's default listen address). */
const EXAMPLE_FOLIO = 'http://127.0.0.1:8080/';

/**
 * Serves the example as the static server has it, with the embed line pointing at the folio under
 * test, and a strict CSP on the host page: scripts and connections only from folio, styles only
 * the page's own <style> block.
 */
async function serveExample(page) {
  const exampleUrl = new URL('embed/index.html', EXAMPLES_URL).href;
  // A page answered by the test (route.fulfill) has no server address, so Chromium treats it as
  // public and asks before it talks to a loopback folio (Local Network Access): allow it, as a
  // user would for a folio on their own machine.
  await page.context().grantPermissions(['local-network-access'], { origin: new URL(exampleUrl).origin });
  let csp = null;
  let failure = null;
  await page.route(exampleUrl, async (route) => {
    try {
      const response = await route.fetch();
      assert.equal(response.status(), 200, 'the static server serves the example');
      const original = await response.text();
      const markup = original.replace(/<!--[\s\S]*?-->/g, '');
      assert.equal(markup.match(/<script\b/g).length, 1, 'the example has one script: the embed line');
      assert.match(markup, /\n<script src="http:\/\/127\.0\.0\.1:8080\/embed\.js" data-target="#search"><\/script>\n/);
      const body = original.replaceAll(EXAMPLE_FOLIO, FOLIO_URL);
      const style = /<style>([\s\S]*?)<\/style>/.exec(body)[1];
      const hash = createHash('sha256').update(style, 'utf8').digest('base64');
      csp = `default-src 'none'; script-src ${FOLIO_ORIGIN}; connect-src ${FOLIO_ORIGIN}; ` +
        `style-src 'sha256-${hash}'; img-src 'self' data:; base-uri 'none'; form-action 'none'`;
      await route.fulfill({
        response,
        body,
        headers: { ...response.headers(), 'content-security-policy': csp, 'content-length': String(Buffer.byteLength(body)) },
      });
    } catch (error) {
      failure = error;
      await route.abort();
    }
  });
  await page.goto(exampleUrl).catch((error) => {
    throw failure || error;
  });
  if (failure) throw failure;
  return { exampleUrl, csp: () => csp };
}

const skip = EXAMPLES_URL ? false : 'EXAMPLES_URL is not set';

if (skip) {
  test('embed widget', { skip }, () => {});
} else {
  browserTest('embed: search, facets, years and pages on another origin, through CORS', async ({ page }) => {
    const folioRequests = [];
    page.on('response', (response) => {
      if (response.url().startsWith(FOLIO_ORIGIN)) folioRequests.push(response);
    });
    const { exampleUrl, csp } = await serveExample(page);
    assert.notEqual(new URL(exampleUrl).origin, FOLIO_ORIGIN, 'the host page is on another origin');
    assert.ok(csp(), 'the host page is served with a strict CSP');

    await page.locator(`${HOST}[data-folio="mounted"]`).waitFor({ state: 'attached' });
    const initial = await expectResults(page, {}, { host: HOST, limit: LIMIT, labels });
    assert.equal(initial.ui.total, overview.paragraphs);
    assert.equal(initial.ui.hits.length, LIMIT);
    assert.equal(await page.evaluate(() => document.querySelector('#search').children.length), 0,
      'the widget lives in the shadow root, not in the host element');

    // Type a query.
    await page.locator(`${HOST} .folio-input`).pressSequentially('trade', { delay: 30 });
    const typed = await expectResults(page, { q: 'trade' }, { host: HOST, limit: LIMIT, labels });
    assert.ok(typed.expected.total > LIMIT);

    // Tick a source; the others keep their counts.
    const sources = typed.expected.facets.source;
    assert.ok(sources.length > 1);
    await page.locator(HOST).getByRole('checkbox', { name: new RegExp(`^${sources[0].value}\\b`) }).check();
    const ticked = await expectResults(page, { q: 'trade', source: [sources[0].value] }, { host: HOST, limit: LIMIT, labels });
    assert.equal(ticked.expected.total, sources[0].count);
    assert.equal(ticked.ui.facets.source.length, sources.length);

    // Tick a theme too.
    const theme = ticked.expected.facets.theme[0];
    await page.locator(HOST).getByRole('checkbox', { name: new RegExp(`^${labels[theme.value]}\\b`) }).check();
    const themed = await expectResults(page, { q: 'trade', source: [sources[0].value], theme: [theme.value] },
      { host: HOST, limit: LIMIT, labels });
    assert.equal(themed.expected.total, theme.count);

    // Narrow the years.
    const year = themed.expected.facets.year.reduce((a, b) => (b.count > a.count ? b : a)).value;
    await page.locator(HOST).getByLabel('From').fill(String(year));
    await page.locator(HOST).getByLabel('to', { exact: true }).fill(String(year));
    await page.locator(HOST).getByLabel('to', { exact: true }).press('Tab');
    const state = { q: 'trade', source: [sources[0].value], theme: [theme.value], year: String(year) };
    const narrowed = await expectResults(page, state, { host: HOST, limit: LIMIT, labels });
    assert.deepEqual(narrowed.ui.years.filter((b) => b.pressed).map((b) => b.year), [year]);

    // Page through.
    assert.ok(narrowed.expected.total > LIMIT, 'enough hits to page');
    await page.locator(HOST).getByRole('button', { name: 'Next ›' }).click();
    const second = await expectResults(page, { ...state, page: 2 }, { host: HOST, limit: LIMIT, labels });
    assert.ok(second.ui.pages.find((p) => p.current).text === '2');
    assert.equal(page.url(), exampleUrl, "the widget leaves the host page's address alone");

    // Every call went cross-origin to folio and was allowed by CORS.
    const paths = folioRequests.map((r) => new URL(r.url()).pathname);
    assert.ok(paths.includes('/embed.js') && paths.includes('/facets') && paths.includes('/search'), paths.join(' '));
    for (const response of folioRequests.filter((r) => r.url().includes('/search'))) {
      assert.equal(response.status(), 200);
      const allowed = (await response.allHeaders())['access-control-allow-origin'];
      assert.ok(allowed === '*' || allowed === new URL(exampleUrl).origin, `CORS header: ${allowed}`);
    }

    // Nothing leaks into the host page's globals.
    assert.deepEqual(await page.evaluate(() => [typeof window.FolioCore, typeof window.FOLIO_CSS, typeof window.mount]),
      ['undefined', 'undefined', 'undefined']);

    // A hit opens folio's reader, with the terms marked.
    const hit = second.expected.hits[0];
    await page.locator(`${HOST} .folio-hit[data-id="${hit.id}"] .folio-hit-title a`).click();
    await page.waitForURL(`${FOLIO_URL}read/**`);
    await eventually(async () => {
      assert.equal(await page.evaluate(() => document.querySelector('.reader-para.is-target')?.id), hit.id);
      assert.ok(await page.locator(`[id="${hit.id}"] mark`).count() > 0);
    });
  });

  browserTest('embed: styles stay apart; the host tunes the widget with custom properties', async ({ page }) => {
    await serveExample(page);
    await page.locator(`${HOST}[data-folio="mounted"]`).waitFor({ state: 'attached' });
    await page.locator(`${HOST} .folio-input`).fill('trade');
    await expectResults(page, { q: 'trade' }, { host: HOST, limit: LIMIT, labels });

    const styles = await page.evaluate(() => {
      const root = document.querySelector('#search').shadowRoot;
      const css = (el, prop) => getComputedStyle(el).getPropertyValue(prop);
      const input = root.querySelector('.folio-input');
      const button = root.querySelector('.folio-button-primary');
      const mark = root.querySelector('.folio-snippet mark');
      const snippet = root.querySelector('.folio-snippet');
      return {
        inputBorder: css(input, 'border-top-style'),
        buttonTransform: css(button, 'text-transform'),
        buttonBackground: css(button, 'background-color'),
        buttonFont: css(button, 'font-family'),
        markBackground: css(mark, 'background-color'),
        snippetColor: css(snippet, 'color'),
        hostText: css(document.querySelector('#host-text'), 'color'),
        hostMark: css(document.querySelector('#host-text mark'), 'background-color'),
        hostButton: css(document.querySelector('#host-button'), 'border-top-style'),
        documentSheets: document.styleSheets.length,
        adopted: document.adoptedStyleSheets.length,
        shadowSheets: root.adoptedStyleSheets.length + root.querySelectorAll('style').length,
      };
    });
    // The host's CSS does not reach in...
    assert.notEqual(styles.inputBorder, 'dashed');
    assert.equal(styles.buttonTransform, 'none');
    assert.notEqual(styles.snippetColor, 'rgb(120, 40, 0)');
    assert.ok(!/monospace/.test(styles.buttonFont));
    // ... except through the custom properties it sets on #search.
    assert.equal(styles.buttonBackground, 'rgb(123, 44, 191)', '--folio-accent');
    assert.equal(styles.markBackground, 'rgb(216, 243, 220)', '--folio-mark-bg');
    assert.match(styles.buttonFont, /Georgia/, '--folio-font');
    // The widget's CSS does not reach out.
    assert.equal(styles.hostText, 'rgb(120, 40, 0)');
    assert.equal(styles.hostMark, 'rgb(255, 0, 0)');
    assert.equal(styles.hostButton, 'dashed');
    assert.equal(styles.documentSheets, 1, "only the host's own stylesheet is in the document");
    assert.equal(styles.adopted, 0);
    assert.equal(styles.shadowSheets, 1);

    // Keyboard: Tab from the host's button lands in the widget's search box.
    await page.locator('#host-button').focus();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'search');
    assert.equal(await page.evaluate(() => document.querySelector('#search').shadowRoot.activeElement.className), 'folio-input');
    const ui = await readUi(page, HOST);
    assert.equal(ui.input, 'trade');
  });
}
