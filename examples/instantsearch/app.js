// InstantSearch widgets on folio's Meilisearch-compatible API.
import { instantMeiliSearch } from './node_modules/@meilisearch/instant-meilisearch/dist/index.js';

// folio's address: http://127.0.0.1:8080 (folio's default), or ?folio=http://HOST:PORT.
const folioParam = new URLSearchParams(window.location.search).get('folio');
const folio = (folioParam || 'http://127.0.0.1:8080').replace(/\/+$/, '');
// folio needs no key; instant-meilisearch wants a string.
const { searchClient } = instantMeiliSearch(folio, '', { finitePagination: true });

const { searchBox, hits, refinementList, rangeInput, pagination, stats, clearRefinements, configure } =
  instantsearch.widgets;

// The search state lives in the address (so it can be shared), next to ?folio= if given.
const router = instantsearch.routers.history({
  parseURL({ qsModule, location }) {
    const state = qsModule.parse(location.search.slice(1), { arrayLimit: 99 });
    delete state.folio;
    return state;
  },
  createURL({ qsModule, routeState, location }) {
    const state = folioParam ? { ...routeState, folio: folioParam } : routeState;
    const query = qsModule.stringify(state, { addQueryPrefix: true, arrayFormat: 'indices' });
    return `${location.origin}${location.pathname}${query}${location.hash}`;
  },
});

const search = instantsearch({ indexName: 'paragraphs', searchClient, routing: { router } });

// Theme labels from folio's taxonomy (the index stores theme ids).
const themes = await fetch(`${folio}/facets`)
  .then((response) => response.json())
  .then((overview) => Object.fromEntries(overview.themes.map((t) => [t.id, t.label])))
  .catch(() => ({}));
const escapeHtml = (text) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const themeLabels = (items) =>
  items.map((item) => {
    const label = themes[item.value] || item.label;
    // The default template shows `highlighted`, which is HTML.
    return { ...item, label, highlighted: escapeHtml(label) };
  });

// folio's reader, with the query's terms marked and the paragraph in view.
function readerUrl(hit) {
  const query = search.helper ? search.helper.state.query || '' : '';
  const url = new URL(`read/${encodeURIComponent(hit.doc_id)}`, `${folio}/`);
  if (query) url.searchParams.set('q', query);
  url.hash = encodeURIComponent(hit.id);
  return url.href;
}

search.addWidgets([
  configure({ hitsPerPage: 5, attributesToSnippet: ['text:30'], snippetEllipsisText: '…' }),
  searchBox({ container: '#searchbox', placeholder: 'Search paragraphs…', showLoadingIndicator: false }),
  stats({ container: '#stats' }),
  refinementList({ container: '#source', attribute: 'source' }),
  refinementList({ container: '#theme', attribute: 'theme', limit: 20, transformItems: themeLabels }),
  rangeInput({ container: '#year', attribute: 'year' }),
  clearRefinements({ container: '#clear' }),
  hits({
    container: '#hits',
    templates: {
      item: (hit, { html, components }) => html`
        <article>
          <h3><a href="${readerUrl(hit)}">
            ${components.Highlight({ attribute: 'title', hit })}
          </a></h3>
          <p class="meta">${hit.source} · ${hit.year}${hit.section ? ` · ${hit.section}` : ''}</p>
          <p class="snippet">${components.Snippet({ attribute: 'text', hit })}</p>
        </article>
      `,
      empty: (results, { html }) => html`<p>No paragraphs match “${results.query}”.</p>`,
    },
  }),
  pagination({ container: '#pagination' }),
]);

search.start();
