// Shared helpers of the browser tests: Debian's Chromium through playwright-core, a fresh profile
// per test, screenshots on failure, and a watch for console errors and CSP violations.
//
// FOLIO_URL: a running `folio serve` with the bundled corpus (e.g. http://127.0.0.1:8080).
// EXAMPLES_URL: a static server of the repository's examples/ folder on another port.
// CHROMIUM: the browser (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

function baseUrl(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. Run the browser tests through \`cargo test -p folio --test e2e\`, ` +
        'or start the servers yourself (see docs/website.md).'
    );
  }
  return value.endsWith('/') ? value : `${value}/`;
}

export const FOLIO_URL = baseUrl('FOLIO_URL');
export const FOLIO_ORIGIN = new URL(FOLIO_URL).origin;
export const EXAMPLES_URL = process.env.EXAMPLES_URL ? baseUrl('EXAMPLES_URL') : null;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

/** GETs JSON from folio's API. */
export async function api(pathAndQuery) {
  const response = await fetch(new URL(pathAndQuery, FOLIO_URL));
  const body = await response.json();
  assert.equal(response.status, 200, `${pathAndQuery}: ${JSON.stringify(body)}`);
  return body;
}

/** `/search` with the page's state, as the page asks for it. */
export function searchApi({ q = '', source = [], theme = [], year = '', page = 1, limit = 10, sort = '' } = {}) {
  const params = new URLSearchParams({ q });
  source.forEach((s) => params.append('source', s));
  theme.forEach((t) => params.append('theme', t));
  if (year) params.set('year', year);
  if (sort) params.set('sort', sort);
  params.set('limit', String(limit));
  params.set('offset', String((page - 1) * limit));
  return api(`search?${params}`);
}

/** Retries `check` until it stops throwing, or throws its last error after `timeout` ms. */
export async function eventually(check, timeout = 8000, what = '') {
  const start = Date.now();
  let last;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() - start > timeout) {
      if (what && last) last.message = `${what}: ${last.message}`;
      throw last;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Text of each `<mark>` in an HTML string from the API's `highlight` fields. */
export function marksOf(html) {
  const out = [];
  const re = /<mark>(.*?)<\/mark>/g;
  let m;
  while ((m = re.exec(html))) out.push(unescapeHtml(m[1]));
  return out;
}

export function unescapeHtml(html) {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

/** Starts Chromium with a fresh profile. */
export async function launch({ viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'folio-e2e-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    colorScheme,
    locale: 'en-US',
    timeout: 60000,
  });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(20000);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true }).catch(() => {});
    },
  };
}

/**
 * A test with a browser: `fn({ page, context, problems })`. Console errors, page errors and
 * failed requests fail the test (CSP violations are console errors); each page is screenshotted
 * into e2e/artifacts/ when the test fails.
 */
export function browserTest(name, options, fn) {
  if (typeof options === 'function') {
    fn = options;
    options = {};
  }
  test(name, { timeout: options.timeout || 90000, todo: options.todo }, async () => {
    const browser = await launch(options);
    const problems = [];
    const watch = (page) => {
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error on ${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error on ${page.url()}: ${error.message}`));
      page.on('requestfailed', (request) => {
        const failure = request.failure();
        // Requests the page itself aborts (a newer search replaced an older one) are fine.
        if (failure && /ERR_ABORTED/.test(failure.errorText)) return;
        problems.push(`request failed: ${request.url()}: ${failure && failure.errorText}`);
      });
    };
    browser.context.on('page', watch);
    const page = browser.context.pages()[0] || (await browser.context.newPage());
    watch(page);
    try {
      await fn({ page, context: browser.context, problems });
      const allowed = options.allowProblems || (() => false);
      assert.deepEqual(problems.filter((p) => !allowed(p)), [], 'no console errors, page errors or failed requests');
    } catch (error) {
      await mkdir(ARTIFACTS, { recursive: true });
      const pages = browser.context.pages();
      for (let i = 0; i < pages.length; i++) {
        const file = path.join(ARTIFACTS, `${slug(name)}-${i + 1}.png`);
        await pages[i].screenshot({ path: file, fullPage: true }).catch(() => {});
        console.error(`screenshot of ${pages[i].url()}: ${file}`);
      }
      if (problems.length) console.error(`browser problems:\n  ${problems.join('\n  ')}`);
      throw error;
    } finally {
      await browser.close();
    }
  });
}

/**
 * What the search component shows, read from the DOM: of the page, or of the widget in the shadow
 * root of `host` (a selector).
 */
export function readUi(page, host = null) {
  return page.evaluate((hostSelector) => {
    const root = hostSelector ? document.querySelector(hostSelector).shadowRoot : document;
    const all = (selector, from = root) => Array.from(from.querySelectorAll(selector));
    const one = (selector, from = root) => from.querySelector(selector);
    const text = (el) => (el ? el.textContent : null);
    const status = one('.folio-status');
    const facets = {};
    for (const name of ['source', 'theme']) {
      facets[name] = all(`.folio-facet[data-facet="${name}"] .folio-facet-item`).map((li) => ({
        value: li.dataset.value,
        count: Number(li.dataset.count),
        label: text(one('.folio-facet-name', li)),
        checked: one('input', li).checked,
      }));
    }
    return {
      total: status && status.hasAttribute('data-total') ? Number(status.dataset.total) : null,
      status: text(status),
      busy: one('.folio-results').getAttribute('aria-busy') === 'true',
      error: one('.folio-error') && !one('.folio-error').hidden ? text(one('.folio-error')) : null,
      notice: one('.folio-notice') && !one('.folio-notice').hidden ? text(one('.folio-notice')) : null,
      input: one('.folio-input').value,
      from: one('.folio-year-input[name="from"]').value,
      to: one('.folio-year-input[name="to"]').value,
      hits: all('.folio-hit').map((li) => ({
        id: li.dataset.id,
        doc: li.dataset.doc,
        title: text(one('.folio-hit-title', li)),
        href: one('.folio-hit-title a', li).href,
        titleMarks: all('.folio-hit-title mark', li).map(text),
        source: text(one('.folio-hit-source', li)),
        year: Number(text(one('.folio-hit-year', li))),
        section: text(one('.folio-hit-section', li)),
        snippet: text(one('.folio-snippet', li)),
        marks: all('.folio-snippet mark', li).map(text),
        themes: all('.folio-theme', li).map(text),
      })),
      facets,
      years: all('.folio-bar').map((bar) => ({
        year: Number(bar.dataset.year),
        count: Number(bar.dataset.count),
        pressed: bar.getAttribute('aria-pressed') === 'true',
      })),
      pages: all('.folio-page').map((el) => ({
        text: el.textContent,
        current: el.getAttribute('aria-current') === 'page',
        disabled: el.classList.contains('is-disabled'),
      })),
    };
  }, host);
}

/** Facet counts as the API gives them, with the ticked state the page should show. */
function facetRows(counts, selected) {
  return (counts || []).map((f) => ({
    value: f.value,
    count: f.count,
    checked: selected.some((s) => s.toLowerCase() === f.value.toLowerCase()),
  }));
}

/**
 * Waits until the component shows exactly what the API answers for `state` (hits in order, total,
 * facet counts and ticks, the year histogram) and checks every hit's fields and marks.
 * Returns the API's response and what the page shows.
 */
export async function expectResults(page, state, { host = null, limit = 10, labels = {} } = {}) {
  const expected = await searchApi({ ...state, limit });
  const ui = await eventually(async () => {
    const ui = await readUi(page, host);
    assert.equal(ui.busy, false, 'the results are not loading');
    assert.equal(ui.error, null, 'no error is shown');
    assert.equal(ui.total, expected.total, 'the total');
    assert.deepEqual(ui.hits.map((h) => h.id), expected.hits.map((h) => h.id), 'the hits, in order');
    for (const name of ['source', 'theme']) {
      assert.deepEqual(
        ui.facets[name].map(({ value, count, checked }) => ({ value, count, checked })),
        facetRows(expected.facets[name], state[name] || []),
        `the ${name} facet`
      );
    }
    return ui;
  }, 10000, `results of ${JSON.stringify(state)}`);

  ui.facets.theme.forEach((f) => assert.equal(f.label, labels[f.value] || f.value, `label of theme ${f.value}`));
  const yearCounts = Object.fromEntries((expected.facets.year || []).map((f) => [f.value, f.count]));
  for (const bar of ui.years) {
    assert.equal(bar.count, yearCounts[bar.year] || 0, `histogram bar of ${bar.year}`);
  }
  for (const year of Object.keys(yearCounts)) {
    assert.ok(ui.years.some((b) => b.year === Number(year)), `a histogram bar for ${year}`);
  }
  expected.hits.forEach((hit, i) => {
    const shown = ui.hits[i];
    assert.equal(shown.title, unescapeHtml(hit.highlight.title), 'hit title');
    assert.deepEqual(shown.titleMarks, marksOf(hit.highlight.title), 'marks in the title');
    assert.equal(shown.source, hit.source, 'hit source');
    assert.equal(shown.year, hit.year, 'hit year');
    if (hit.section) assert.equal(shown.section, hit.section, 'hit section');
    assert.equal(shown.snippet, unescapeHtml(hit.highlight.text), 'hit snippet');
    assert.deepEqual(shown.marks, marksOf(hit.highlight.text), 'marks in the snippet');
    assert.deepEqual(shown.themes, hit.themes.map((t) => labels[t] || t), 'theme labels');
    const href = new URL(shown.href);
    assert.equal(href.origin, FOLIO_ORIGIN, 'hits link to folio');
    assert.equal(decodeURIComponent(href.pathname), `${new URL(FOLIO_URL).pathname}read/${hit.doc_id}`);
    assert.equal(decodeURIComponent(href.hash.slice(1)), hit.id, 'the link names the paragraph');
  });
  return { expected, ui };
}
