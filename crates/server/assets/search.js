/* The search page: the search component, with its state kept in the address bar. */
(function () {
  'use strict';
  var site = new URL('../', document.currentScript.src).href;
  var mount = document.getElementById('app');
  var summary = document.getElementById('corpus-summary');

  function title(state) {
    document.title = (state.q ? '“' + state.q + '” — ' : '') + 'folio — search the corpus';
  }

  function href(state) {
    var query = FolioCore.stateToParams(state).toString();
    return location.pathname + (query ? '?' + query : '');
  }

  var ui = FolioCore.createSearch({
    api: site,
    site: site,
    mount: mount,
    idPrefix: 'folio-',
    scheme: 'auto',
    limit: 10,
    shortcuts: true,
    collapsible: true,
    pageHref: href,
    onChange: function (state, how) {
      var url = href(state);
      if (url !== location.pathname + location.search) {
        if (how.replace) history.replaceState(null, '', url);
        else history.pushState(null, '', url);
      }
      title(state);
    },
  });

  function fromUrl() {
    var state = FolioCore.stateFromParams(new URLSearchParams(location.search));
    title(state);
    ui.setState(state);
  }

  window.addEventListener('popstate', fromUrl);
  fromUrl();

  ui.overview().then(function (overview) {
    var years = overview.facet_stats && overview.facet_stats.year;
    summary.textContent = FolioCore.plural(overview.paragraphs, 'paragraph', 'paragraphs') + ' of ' +
      FolioCore.plural(overview.documents, 'article', 'articles') +
      (overview.facets.source ? ' from ' + FolioCore.plural(overview.facets.source.length, 'source', 'sources') : '') +
      (years ? ', ' + (years.min === years.max ? years.min : years.min + '–' + years.max) : '') + '.';
  }, function () {});
})();
