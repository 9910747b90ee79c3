// The website's files as HTTP sees them: content types, caching, the pages' CSP, and markup with
// no inline script, style or handler (so the CSP needs no exception).

import assert from 'node:assert/strict';
import test from 'node:test';

import { FOLIO_URL } from './harness.js';

function get(path, headers = {}) {
  return fetch(new URL(path, FOLIO_URL), { headers });
}

function directives(csp) {
  return Object.fromEntries(
    csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...values] = d.split(/\s+/);
      return [name, values.join(' ')];
    })
  );
}

const PAGES = ['', 'read/000_f985a095ab119c7d', 'read/no-such-document'];

for (const path of PAGES) {
  test(`GET /${path}: HTML under a strict CSP`, async () => {
    const response = await get(path);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const csp = response.headers.get('content-security-policy');
    assert.ok(csp, 'a Content-Security-Policy header');
    assert.doesNotMatch(csp, /unsafe-|\*|data:.*script|http:|https:/, csp);
    const d = directives(csp);
    assert.ok(["'none'", "'self'"].includes(d['default-src']), `default-src ${d['default-src']}`);
    assert.equal(d['script-src'], "'self'");
    assert.equal(d['style-src'], "'self'");
    assert.equal(d['connect-src'], "'self'");
    assert.equal(d['img-src'], "'self' data:");
    assert.equal(d['base-uri'], "'none'");
    assert.equal(d['frame-ancestors'], "'self'");
    assert.equal(d['form-action'], "'self'");

    const html = await response.text();
    const markup = html.replace(/<!--[\s\S]*?-->/g, '');
    assert.doesNotMatch(markup, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline scripts');
    assert.doesNotMatch(markup, /<style\b/, 'no style elements');
    assert.doesNotMatch(markup, /\sstyle=/, 'no style attributes');
    assert.doesNotMatch(markup, /\son[a-z]+=/, 'no inline event handlers');
    assert.doesNotMatch(markup, /(src|href)="(https?:)?\/\//, 'nothing from other hosts (works offline)');
    assert.match(markup, /<html lang="en">/);
    assert.match(markup, /<meta name="viewport"/);

    // Every script and stylesheet the page names is served, with the right type.
    const refs = [...markup.matchAll(/(?:src|href)="([^"#?]+\.(js|css|svg))"/g)];
    assert.ok(refs.length >= 4);
    for (const [, ref, ext] of refs) {
      const asset = await fetch(new URL(ref, response.url));
      assert.equal(asset.status, 200, ref);
      const type = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' }[ext];
      assert.equal(asset.headers.get('content-type'), type, ref);
    }
  });
}

test('assets: cached for an hour, revalidated with their ETag', async () => {
  for (const file of ['core.js', 'search.js', 'reader.js', 'folio.css', 'site.css', 'favicon.svg']) {
    const response = await get(`assets/${file}`);
    assert.equal(response.status, 200, file);
    assert.equal(response.headers.get('cache-control'), 'public, max-age=3600, must-revalidate');
    const etag = response.headers.get('etag');
    assert.match(etag, /^W\/"[0-9a-f]{16}"$/);
    const again = await get(`assets/${file}`, { 'If-None-Match': etag });
    assert.equal(again.status, 304, `${file} revalidates`);
  }
  const missing = await get('assets/nope.js');
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'not_found');
});

test('GET /embed.js: one classic script, loadable from any origin', async () => {
  const response = await get('embed.js', { Origin: 'https://blog.example' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(response.headers.get('access-control-allow-origin'), '*');
  assert.equal(response.headers.get('cross-origin-resource-policy'), 'cross-origin');
  assert.match(response.headers.get('cache-control'), /max-age=3600/);
  const body = await response.text();
  assert.match(body, /^\/\* folio search widget/);
  assert.match(body.trim(), /\}\)\(\);$/, 'wrapped in a function: no globals');
  assert.ok(body.includes('--folio-accent'), 'carries its stylesheet');
  assert.doesNotMatch(body, /\beval\(|new Function\(/, 'no eval');
  // It parses as a script.
  new Function(body); // eslint-disable-line no-new-func
});

test('OpenAPI: the website routes are documented under the website tag', async () => {
  const doc = await (await get('openapi.json')).json();
  for (const path of ['/', '/read/{doc_id}', '/embed.js', '/assets/{file}']) {
    assert.ok(doc.paths[path], path);
    assert.deepEqual(doc.paths[path].get.tags, ['website'], path);
  }
});
