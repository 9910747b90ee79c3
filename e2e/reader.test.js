// The reader: a hit opens its article with the paragraph in view and the query's terms marked,
// and the way back leads to the same results.

import assert from 'node:assert/strict';

import { FOLIO_URL, api, browserTest, eventually, expectResults, marksOf, unescapeHtml } from './harness.js';

const overview = await api('facets');
const labels = Object.fromEntries(overview.themes.map((t) => [t.id, t.label]));

/** The paragraphs of `doc` that match `q`, as the reader asks for them. */
async function docMatches(doc, q) {
  const params = new URLSearchParams({ q, doc, limit: '100', snippet_chars: '0', facets: '' });
  return api(`search?${params}`);
}

function readReader(page) {
  return page.evaluate(() => {
    const all = (s, from = document) => Array.from(from.querySelectorAll(s));
    const viewport = window.innerHeight;
    const target = document.querySelector('.reader-para.is-target');
    const box = target && target.getBoundingClientRect();
    return {
      title: document.querySelector('.reader-title') && document.querySelector('.reader-title').textContent,
      paragraphs: all('.reader-para').map((p) => p.id),
      marked: all('.reader-para.has-match').map((p) => ({
        id: p.id,
        text: p.querySelector('.reader-para-text').textContent,
        marks: all('mark', p).map((m) => m.textContent),
      })),
      target: target && target.id,
      targetInView: !!box && box.top >= 0 && box.bottom <= viewport + 1 && box.height > 0,
      focused: document.activeElement && document.activeElement.id,
      matchCount: document.querySelector('#match-count') && Number(document.querySelector('#match-count').dataset.count),
      back: document.querySelector('#back').href,
      busy: document.querySelector('#reader').getAttribute('aria-busy'),
    };
  });
}

browserTest('reader: a hit opens its article, marked, at the paragraph; back to the results', async ({ page }) => {
  // A hit deep in a long article, so that scrolling matters.
  const state = { q: 'trade', source: ['38 North'] };
  await page.goto(`${FOLIO_URL}?q=trade&source=38+North&page=3`);
  const { expected } = await expectResults(page, { ...state, page: 3 }, { labels });
  const hit = expected.hits.reduce((a, b) => (b.position > a.position ? b : a));
  assert.ok(hit.position > 10, 'a paragraph far down its article');
  const resultsUrl = page.url();

  await page.locator(`.folio-hit[data-id="${hit.id}"] .folio-hit-title a`).click();
  await page.waitForURL(/\/read\//);
  const url = new URL(page.url());
  assert.equal(decodeURIComponent(url.pathname), `${new URL(FOLIO_URL).pathname}read/${hit.doc_id}`);
  assert.equal(decodeURIComponent(url.hash.slice(1)), hit.id);
  assert.equal(url.searchParams.get('q'), 'trade');

  const doc = await api(`documents/${encodeURIComponent(hit.doc_id)}`);
  const matches = await docMatches(hit.doc_id, 'trade');
  assert.ok(matches.total > 1 && matches.total <= 100);
  const shown = await eventually(async () => {
    const r = await readReader(page);
    assert.equal(r.busy, null, 'loaded');
    assert.equal(r.target, hit.id, 'the paragraph is the target');
    return r;
  });
  assert.equal(await page.title(), `${doc.title} — folio`);
  assert.equal(shown.title, doc.title);
  assert.deepEqual(shown.paragraphs, doc.paragraphs.map((p) => p.id), 'every paragraph, in order');
  assert.ok(shown.targetInView, 'the paragraph is scrolled into view');
  assert.equal(shown.focused, hit.id, 'and has focus');
  assert.equal(shown.matchCount, matches.total);
  assert.ok(await page.evaluate(() => !!document.querySelector(document.querySelector('.skip-link').getAttribute('href'))),
    'the skip link has a target');

  // Exactly the matching paragraphs are marked, with the API's marks, in document order.
  const byPosition = [...matches.hits].sort((a, b) => a.position - b.position);
  assert.deepEqual(shown.marked.map((m) => m.id), byPosition.map((h) => h.id));
  for (const [i, m] of shown.marked.entries()) {
    assert.equal(m.text, unescapeHtml(byPosition[i].highlight.text), `text of ${m.id}`);
    assert.deepEqual(m.marks, marksOf(byPosition[i].highlight.text), `marks of ${m.id}`);
    assert.ok(m.marks.length > 0);
    m.marks.forEach((mark) => assert.match(mark, /^trad/i));
  }
  const unmarked = doc.paragraphs.find((p) => !byPosition.some((h) => h.id === p.id));
  assert.equal(await page.locator(`[id="${unmarked.id}"] mark`).count(), 0);

  // Metadata and theme labels.
  const meta = await page.locator('.reader-meta').textContent();
  assert.ok(meta.includes(doc.source));
  doc.authors.forEach((a) => assert.ok(meta.includes(a), a));

  // Next and previous match walk the marked paragraphs.
  const at = byPosition.findIndex((h) => h.id === hit.id);
  await page.getByRole('button', { name: '↓ Next match' }).click();
  const next = byPosition[(at + 1) % byPosition.length].id;
  await eventually(async () => {
    const r = await readReader(page);
    assert.equal(r.target, next);
    assert.ok(r.targetInView);
  });
  assert.equal(decodeURIComponent(new URL(page.url()).hash.slice(1)), next);
  await page.getByRole('button', { name: '↑ Previous match' }).click();
  await eventually(async () => assert.equal((await readReader(page)).target, hit.id));

  // The way back: the same results, filters ticked, same page.
  const back = page.getByRole('link', { name: /Back to results for “trade”/ });
  assert.equal(await back.getAttribute('href'), resultsUrl);
  await back.click();
  await page.waitForURL(resultsUrl);
  await expectResults(page, { ...state, page: 3 }, { labels });
  assert.ok(await page.getByRole('checkbox', { name: /^38 North\b/ }).isChecked());
  assert.equal(await page.getByRole('searchbox', { name: 'Search the corpus' }).inputValue(), 'trade');
});

browserTest('reader: position anchors, no query, and back/forward', async ({ page }) => {
  const doc = (await api('search?q=&limit=1&sort=year')).hits[0].doc_id;
  const full = await api(`documents/${encodeURIComponent(doc)}`);
  const para = full.paragraphs[Math.floor(full.paragraphs.length / 2)];
  await page.goto(`${FOLIO_URL}read/${encodeURIComponent(doc)}#p${para.position}`);
  const r = await eventually(async () => {
    const r = await readReader(page);
    assert.equal(r.target, para.id);
    return r;
  });
  assert.ok(r.targetInView);
  assert.equal(r.marked.length, 0, 'nothing is marked without a query');
  assert.equal(r.matchCount, null, 'no match bar without a query');
  assert.equal(new URL(r.back).search, '');

  // A link to another paragraph, then the browser's back button.
  const other = full.paragraphs[1];
  await page.locator(`[id="${other.id}"] .reader-anchor`).focus();
  await page.keyboard.press('Enter');
  await eventually(async () => assert.equal((await readReader(page)).target, other.id));
  await page.goBack();
  await eventually(async () => assert.equal((await readReader(page)).target, para.id));
});

browserTest('reader: an unknown document says so', {
  // The API's 404 for the document is logged by the browser.
  allowProblems: (p) => /404/.test(p),
}, async ({ page }) => {
  await page.goto(`${FOLIO_URL}read/no-such-document?q=trade`);
  await eventually(async () => {
    assert.equal(await page.locator('h1').textContent(), 'No such document');
  });
  assert.match(await page.getByRole('alert').textContent(), /no-such-document/);
  assert.equal(await page.getByRole('link', { name: 'Back to the search' }).getAttribute('href'), `${FOLIO_URL}?q=trade`);
});
