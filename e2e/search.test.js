// folio's search page in headless Chromium against a real `folio serve` with the bundled corpus.
// Expected numbers come from the API during the test, so the tests follow the corpus.

import assert from 'node:assert/strict';

import { FOLIO_URL, api, browserTest, eventually, expectResults, readUi, searchApi } from './harness.js';

const overview = await api('facets');
const labels = Object.fromEntries(overview.themes.map((t) => [t.id, t.label]));

function params(page) {
  const url = new URL(page.url());
  return {
    q: url.searchParams.get('q'),
    source: url.searchParams.getAll('source'),
    theme: url.searchParams.getAll('theme'),
    year: url.searchParams.get('year'),
    page: url.searchParams.get('page'),
  };
}

browserTest('search page: type, tick sources, narrow the years, page, go back and clear', async ({ page }) => {
  const searches = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.endsWith('/search')) searches.push(request.url());
  });
  await page.goto(FOLIO_URL);

  // Everything before a query: the corpus-wide counts of GET /facets.
  const { ui: start } = await expectResults(page, {}, { labels });
  assert.equal(start.total, overview.paragraphs);
  assert.deepEqual(start.facets.source.map(({ value, count }) => ({ value, count })),
    overview.facets.source.map(({ value, count }) => ({ value, count })));
  const { min, max } = overview.facet_stats.year;
  assert.deepEqual(start.years.map((b) => b.year), Array.from({ length: max - min + 1 }, (_, i) => min + i),
    'one histogram bar per year of the corpus');
  assert.ok(start.years.every((b) => !b.pressed));
  assert.match(await page.locator('#corpus-summary').textContent(), new RegExp(`^${overview.paragraphs} paragraphs of ${overview.documents} articles`));

  // Typing: results follow, debounced (fewer searches than keystrokes).
  const box = page.getByRole('searchbox', { name: 'Search the corpus' });
  const before = searches.length;
  await box.pressSequentially('trade', { delay: 40 });
  const typed = await expectResults(page, { q: 'trade' }, { labels });
  assert.ok(searches.length - before < 'trade'.length, `debounced: ${searches.length - before} searches for 5 keys`);
  assert.equal(params(page).q, 'trade');
  assert.match(await page.title(), /trade/);
  assert.ok(typed.expected.total > 10 && typed.expected.total < overview.paragraphs);
  for (const hit of typed.ui.hits) {
    const marks = hit.marks.concat(hit.titleMarks);
    assert.ok(marks.length > 0, `${hit.id} has marked terms`);
    marks.forEach((m) => assert.match(m, /^trad/i));
  }
  assert.match(typed.ui.status, new RegExp(`^${typed.expected.total} paragraphs match “trade” · showing 1–10$`));

  // Tick a source: the other sources keep their counts (disjunctive facets).
  const all = typed.expected.facets.source;
  const big = all[0].value;
  await page.getByRole('checkbox', { name: new RegExp(`^${big}\\b`) }).check();
  const one = await expectResults(page, { q: 'trade', source: [big] }, { labels });
  assert.deepEqual(params(page).source, [big]);
  assert.equal(one.expected.total, all[0].count, 'the ticked source has the count it showed');
  assert.deepEqual(one.ui.facets.source.map(({ value, count }) => ({ value, count })),
    all.map(({ value, count }) => ({ value, count })), 'other sources still show their counts');

  const second = all[1].value;
  await page.getByRole('checkbox', { name: new RegExp(`^${second}\\b`) }).check();
  const two = await expectResults(page, { q: 'trade', source: [big, second] }, { labels });
  assert.equal(two.expected.total, all[0].count + all[1].count);
  assert.deepEqual(params(page).source, [big, second]);

  // Narrow the years with the inputs.
  const years = two.expected.facets.year.map((f) => f.value);
  const last = years[years.length - 1];
  await page.getByLabel('From').fill(String(last - 1));
  await page.getByLabel('to', { exact: true }).fill(String(last));
  await page.getByLabel('to', { exact: true }).press('Tab');
  const narrowed = await expectResults(page, { q: 'trade', source: [big, second], year: `${last - 1}..${last}` }, { labels });
  assert.equal(params(page).year, `${last - 1}..${last}`);
  assert.ok(narrowed.expected.total > 0 && narrowed.expected.total < two.expected.total);
  assert.deepEqual(narrowed.ui.years.filter((b) => b.pressed).map((b) => b.year), [last - 1, last]);
  narrowed.ui.hits.forEach((h) => assert.ok(h.year >= last - 1 && h.year <= last));

  // ... and with a bar of the histogram: the year with most paragraphs.
  const peak = two.expected.facets.year.reduce((a, b) => (b.count > a.count ? b : a));
  await page.locator(`.folio-bar[data-year="${peak.value}"]`).click();
  const single = await expectResults(page, { q: 'trade', source: [big, second], year: String(peak.value) }, { labels });
  assert.equal(single.expected.total, peak.count);
  assert.equal(params(page).year, String(peak.value));
  assert.deepEqual(single.ui.years.filter((b) => b.pressed).map((b) => b.year), [peak.value]);
  assert.equal(single.ui.from, String(peak.value));
  assert.equal(single.ui.to, String(peak.value));
  assert.ok(peak.count > 20, 'enough hits to page');

  // Page forward, jump to the last page, then back and forward through history.
  const state = { q: 'trade', source: [big, second], year: String(peak.value) };
  await page.getByRole('link', { name: 'Next ›' }).click();
  const p2 = await expectResults(page, { ...state, page: 2 }, { labels });
  assert.equal(params(page).page, '2');
  assert.match(p2.ui.status, /showing 11–20$/);
  assert.ok(p2.ui.pages.find((p) => p.current).text === '2');
  const lastPage = Math.ceil(peak.count / 10);
  await page.getByRole('link', { name: `Page ${lastPage}`, exact: true }).click();
  const pl = await expectResults(page, { ...state, page: lastPage }, { labels });
  assert.equal(pl.ui.hits.length, peak.count - (lastPage - 1) * 10);
  assert.ok(pl.ui.pages.find((p) => p.text === 'Next ›').disabled);

  await page.goBack();
  await expectResults(page, { ...state, page: 2 }, { labels });
  await page.goBack();
  await expectResults(page, state, { labels });
  await page.goBack();
  await expectResults(page, { q: 'trade', source: [big, second], year: `${last - 1}..${last}` }, { labels });
  await page.goForward();
  await expectResults(page, state, { labels });

  // Clear the filters: the query stays.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  const cleared = await expectResults(page, { q: 'trade' }, { labels });
  assert.deepEqual(params(page), { q: 'trade', source: [], theme: [], year: null, page: null });
  assert.equal(cleared.ui.from, '');
  assert.ok(await page.getByRole('button', { name: 'Clear filters' }).isDisabled());
});

browserTest('search page: a shared address restores the search', async ({ page }) => {
  const sanctions = overview.themes.find((t) => t.id === 'sanctions');
  assert.ok(sanctions, 'the bundled taxonomy has a sanctions theme');
  const { min, max } = overview.facet_stats.year;
  await page.goto(`${FOLIO_URL}?q=sanctions&theme=sanctions&year=${min}..${max - 1}`);
  const state = { q: 'sanctions', theme: ['sanctions'], year: `${min}..${max - 1}` };
  const { ui, expected } = await expectResults(page, state, { labels });
  assert.ok(expected.total > 0);
  assert.equal(ui.input, 'sanctions');
  assert.equal(ui.from, String(min));
  assert.equal(ui.to, String(max - 1));
  assert.ok(await page.getByRole('checkbox', { name: new RegExp(`^${sanctions.label}\\b`) }).isChecked());
  ui.hits.forEach((h) => assert.ok(h.themes.includes(sanctions.label)));

  // A page past the end is brought back to the last one.
  await page.goto(`${FOLIO_URL}?q=trade&page=99`);
  const total = (await searchApi({ q: 'trade' })).total;
  const lastPage = Math.ceil(total / 10);
  assert.ok(lastPage > 1 && lastPage < 99);
  await eventually(async () => assert.equal(new URL(page.url()).searchParams.get('page'), String(lastPage)));
  await expectResults(page, { q: 'trade', page: lastPage }, { labels });

  // A query nothing matches says so.
  await page.goto(`${FOLIO_URL}?q=${encodeURIComponent('"zebra unicorn"')}`);
  await eventually(async () => {
    const shown = await readUi(page);
    assert.equal(shown.total, 0);
    assert.match(shown.status, /^No paragraphs match/);
    assert.equal(shown.hits.length, 0);
  });
});

browserTest('search page: keyboard only', async ({ page }) => {
  await page.goto(FOLIO_URL);
  await expectResults(page, {}, { labels });
  // The first Tab shows the skip link, which leads to the results.
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const link = document.activeElement;
    const box = link.getBoundingClientRect();
    return { text: link.textContent, visible: box.top >= 0 && box.height > 0, target: !!document.querySelector(link.getAttribute('href')) };
  });
  assert.deepEqual(skip, { text: 'Skip to results', visible: true, target: true });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'folio-q', '/ focuses the search box');
  await page.keyboard.type('juche', { delay: 30 });
  await page.keyboard.press('Enter');
  const juche = await expectResults(page, { q: 'juche' }, { labels });

  // Tab to the first source checkbox and tick it with the space bar.
  const first = juche.expected.facets.source[0].value;
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement.getAttribute('data-key'));
    if (focused === `source:${first}`) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-key')), `source:${first}`);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Space');
  await expectResults(page, { q: 'juche', source: [first] }, { labels });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-key')), `source:${first}`,
    'focus stays on the checkbox after the facets are redrawn');

  // From the search box, the arrow key goes down into the results; Enter opens the reader.
  await page.keyboard.press('/');
  await page.keyboard.press('ArrowDown');
  const focusedHit = await page.evaluate(() => document.activeElement.closest('.folio-hit').dataset.id);
  assert.equal(focusedHit, (await searchApi({ q: 'juche', source: [first] })).hits[0].id);
  await page.keyboard.press('ArrowDown');
  const secondHit = await page.evaluate(() => document.activeElement.closest('.folio-hit').dataset.id);
  assert.notEqual(secondHit, focusedHit);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/read\//);
  assert.equal(decodeURIComponent(new URL(page.url()).hash.slice(1)), secondHit);
  await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement.id), secondHit),
    8000, 'the reader focuses the paragraph');
});

browserTest('search page: readable on a phone, in the dark', { viewport: { width: 375, height: 740 }, colorScheme: 'dark' }, async ({ page }) => {
  await page.goto(`${FOLIO_URL}?q=trade`);
  await expectResults(page, { q: 'trade' }, { labels });
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    filtersOpen: document.querySelector('.folio-filters').open,
    background: getComputedStyle(document.body).backgroundColor,
    text: getComputedStyle(document.querySelector('.folio-snippet')).color,
  }));
  assert.ok(layout.scrollWidth <= layout.width, `no sideways scrolling (${layout.scrollWidth} > ${layout.width})`);
  assert.equal(layout.filtersOpen, false, 'filters are folded on a phone');
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  assert.ok(luminance(layout.background) < 60, `dark background: ${layout.background}`);
  assert.ok(luminance(layout.text) > 180, `light text: ${layout.text}`);

  await page.getByText('Filters', { exact: true }).click();
  const checkbox = page.getByRole('checkbox').first();
  assert.ok(await checkbox.isVisible(), 'the filters open');
  const size = await checkbox.boundingBox();
  assert.ok(size.width >= 16 && size.height >= 16, 'checkboxes are large enough to tap');
});

browserTest('search page: light scheme by default', async ({ page }) => {
  await page.goto(FOLIO_URL);
  await expectResults(page, {}, { labels });
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(255, 255, 255)');
  const open = await page.evaluate(() => document.querySelector('.folio-filters').open);
  assert.equal(open, true, 'filters are open on a wide screen');
});
