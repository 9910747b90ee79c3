// examples/instantsearch: InstantSearch.js with @meilisearch/instant-meilisearch on folio's
// Meilisearch-compatible API, from a page on another origin. The numbers it shows must be
// folio's own (`GET /search`), since both APIs search the same index.
//
// Needs `npm ci --prefix examples/instantsearch`; skipped without it unless FOLIO_E2E=require.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { EXAMPLES_URL, FOLIO_ORIGIN, FOLIO_URL, api, browserTest, eventually, searchApi } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const installed = existsSync(path.join(here, '../examples/instantsearch/node_modules/instantsearch.js/package.json'));
const required = process.env.FOLIO_E2E === 'require';

let skip = false;
if (!EXAMPLES_URL) skip = 'EXAMPLES_URL is not set';
else if (!installed) {
  if (required) throw new Error('FOLIO_E2E=require, but examples/instantsearch is not installed: npm ci --prefix examples/instantsearch');
  skip = 'examples/instantsearch/node_modules is missing: npm ci --prefix examples/instantsearch';
}

function exampleUrl(query = '') {
  return `${new URL('instantsearch/', EXAMPLES_URL).href}?folio=${encodeURIComponent(FOLIO_ORIGIN)}${query}`;
}

/** What the InstantSearch widgets show. */
function readWidgets(page) {
  return page.evaluate(() => {
    const all = (s, from = document) => Array.from(from.querySelectorAll(s));
    const list = (id) => all(`#${id} .ais-RefinementList-item`).map((li) => ({
      label: li.querySelector('.ais-RefinementList-labelText').textContent,
      value: li.querySelector('input').value,
      count: Number(li.querySelector('.ais-RefinementList-count').textContent),
      checked: li.querySelector('input').checked,
    }));
    const stats = document.querySelector('.ais-Stats-text');
    return {
      stats: stats ? stats.textContent : '',
      hits: all('.ais-Hits-item').map((item) => ({
        title: item.querySelector('h3').textContent.trim(),
        href: item.querySelector('h3 a').href,
        marks: all('.ais-Highlight-highlighted, .ais-Snippet-highlighted', item).map((m) => m.textContent),
      })),
      source: list('source'),
      theme: list('theme'),
      yearMin: document.querySelector('.ais-RangeInput-input--min').placeholder,
      yearMax: document.querySelector('.ais-RangeInput-input--max').placeholder,
      current: (document.querySelector('.ais-Pagination-item--selected') || {}).textContent,
    };
  });
}

/** Waits until the widgets show folio's total and facet counts for `state`. */
async function expectWidgets(page, state, labels) {
  const expected = await searchApi({ ...state, limit: 5 });
  return eventually(async () => {
    const shown = await readWidgets(page);
    assert.match(shown.stats, new RegExp(`^${expected.total.toLocaleString('en')} results? found`), 'the total');
    assert.equal(shown.hits.length, Math.min(5, expected.total - ((state.page || 1) - 1) * 5));
    for (const name of ['source', 'theme']) {
      const rows = (expected.facets[name] || []).map((f) => ({
        value: f.value,
        count: f.count,
        checked: (state[name] || []).includes(f.value),
      }));
      const sort = (a, b) => a.value.localeCompare(b.value);
      assert.deepEqual(shown[name].map(({ value, count, checked }) => ({ value, count, checked })).sort(sort), rows.sort(sort), name);
    }
    shown.theme.forEach((t) => assert.equal(t.label, labels[t.value] || t.value, 'theme labels from /facets'));
    return { shown, expected };
  }, 10000, `widgets for ${JSON.stringify(state)}`);
}

if (skip) {
  test('InstantSearch example', { skip }, () => {});
} else {
  const overview = await api('facets');
  const labels = Object.fromEntries(overview.themes.map((t) => [t.id, t.label]));

  browserTest('InstantSearch example: search box, refinements, year range, pages, stats and clearing', async ({ page }) => {
    const calls = [];
    page.on('request', (r) => {
      if (r.url().startsWith(FOLIO_ORIGIN)) calls.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(exampleUrl());
    const start = await expectWidgets(page, {}, labels);
    assert.equal(start.expected.total, overview.paragraphs);
    assert.equal(start.shown.yearMin, String(overview.facet_stats.year.min));
    assert.equal(start.shown.yearMax, String(overview.facet_stats.year.max));
    assert.ok(calls.includes('POST /multi-search'), calls.join(', '));

    await page.locator('.ais-SearchBox-input').pressSequentially('trade', { delay: 30 });
    const typed = await expectWidgets(page, { q: 'trade' }, labels);
    for (const hit of typed.shown.hits) {
      assert.ok(hit.marks.length > 0, `${hit.title}: marked terms`);
      hit.marks.forEach((m) => assert.match(m, /^trad/i));
      const href = new URL(hit.href);
      assert.equal(href.origin, FOLIO_ORIGIN);
      assert.equal(href.searchParams.get('q'), 'trade');
    }

    // Narrow the years while the range is wide, then refine.
    const years = typed.expected.facets.year.map((f) => f.value).sort();
    assert.ok(years.length > 2);
    const range = `${years[1]}..${years[years.length - 1]}`;
    await page.locator('.ais-RangeInput-input--min').fill(String(years[1]));
    await page.locator('.ais-RangeInput-input--max').fill(String(years[years.length - 1]));
    await page.locator('.ais-RangeInput-submit').click();
    const ranged = await expectWidgets(page, { q: 'trade', year: range }, labels);
    assert.ok(ranged.expected.total < typed.expected.total);

    const source = ranged.expected.facets.source[0].value;
    await page.locator('#source').getByRole('checkbox', { name: new RegExp(`^${source}`) }).check();
    const ticked = await expectWidgets(page, { q: 'trade', year: range, source: [source] }, labels);
    assert.ok(ticked.shown.source.length > 1, 'the other sources keep their counts');

    const theme = ticked.expected.facets.theme[0].value;
    await page.locator('#theme').getByRole('checkbox', { name: new RegExp(`^${labels[theme]}`) }).check();
    const state = { q: 'trade', source: [source], theme: [theme], year: range };
    const themed = await expectWidgets(page, state, labels);
    assert.ok(themed.expected.total > 5, 'enough hits to page');

    await page.locator('.ais-Pagination-item--page').filter({ hasText: /^2$/ }).click();
    await expectWidgets(page, { ...state, page: 2 }, labels);
    await eventually(async () => assert.equal((await readWidgets(page)).current, '2'));
    await eventually(async () => {
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('paragraphs[page]'), '2', 'the state is in the address');
      assert.equal(url.searchParams.get('folio'), FOLIO_ORIGIN, 'the routing keeps ?folio=');
    });

    // A shared address brings the same state back.
    await page.goto(page.url());
    await expectWidgets(page, { ...state, page: 2 }, labels);

    await page.locator('.ais-ClearRefinements-button').click();
    await expectWidgets(page, { q: 'trade' }, labels);

    // A hit opens folio's reader.
    const first = (await readWidgets(page)).hits[0];
    await page.locator('.ais-Hits-item h3 a').first().click();
    await page.waitForURL(`${FOLIO_URL}read/**`);
    assert.equal(page.url(), first.href);
    await eventually(async () => assert.ok(await page.locator('.reader-para.is-target mark').count() > 0));
  });

  browserTest('InstantSearch example: titles are shown as written', async ({ page }) => {
    await page.goto(exampleUrl());
    const title = (await api('search?q=&limit=100')).hits.find((h) => h.title.includes("'")).title;
    await eventually(async () => {
      const { hits } = await readWidgets(page);
      assert.ok(hits.length > 0);
      hits.forEach((h) => assert.doesNotMatch(h.title, /&#39;|&amp;|&quot;/));
    });
    assert.ok(title);
  });
}
