/* The widget's boot: find the <script> that loaded us, derive folio's address from its src, and
 * mount the search component in a shadow root of the target element. Served as part of
 * /embed.js, inside a function (see routes/web.rs): FOLIO_CSS and FolioCore are in scope. */
var script = document.currentScript;
var site = new URL('./', script.src).href;

function attr(name, fallback) {
  var value = script.getAttribute('data-' + name);
  return value === null || value === '' ? fallback : value;
}

var widgets = 0;

function mount() {
  var selector = attr('target', null);
  var host = selector ? document.querySelector(selector) : null;
  if (selector && !host) {
    console.error('folio: no element matches data-target="' + selector + '"');
    return;
  }
  if (!host) {
    host = document.createElement('div');
    script.parentNode.insertBefore(host, script.nextSibling);
  }
  if (host.shadowRoot) {
    console.error('folio: the target element already has a shadow root');
    return;
  }
  var shadow = host.attachShadow({ mode: 'open' });
  try {
    // A constructed stylesheet: no <style> element, so a strict style-src on the host page is
    // not in the way.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(FOLIO_CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement('style');
    style.textContent = FOLIO_CSS;
    shadow.appendChild(style);
  }
  var container = document.createElement('div');
  container.className = 'folio-widget';
  shadow.appendChild(container);
  widgets += 1;
  var limit = parseInt(attr('limit', '5'), 10);
  var scheme = attr('color-scheme', 'light');
  var ui = FolioCore.createSearch({
    api: site,
    site: site,
    mount: container,
    idPrefix: 'folio' + widgets + '-',
    scheme: ['auto', 'light', 'dark'].indexOf(scheme) >= 0 ? scheme : 'light',
    limit: limit > 0 && limit <= 100 ? limit : 5,
    placeholder: attr('placeholder', 'Search the corpus…'),
    linkTarget: attr('link-target', null),
    collapsible: false,
    shortcuts: false,
  });
  var state = FolioCore.emptyState();
  state.q = attr('q', '');
  ui.setState(state);
  host.setAttribute('data-folio', 'mounted');
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
