/* The reader: one document, the query's terms marked, the linked paragraph in view, and the way
 * back to the results (the reader's query string is the search page's). */
(function () {
  'use strict';
  var site = new URL('../', document.currentScript.src).href;
  var h = FolioCore.h;
  var main = document.getElementById('reader');
  var back = document.getElementById('back');

  var path = location.pathname;
  var docId = decodeURIComponent(path.slice(path.lastIndexOf('/read/') + 6).split('/')[0]);
  var state = FolioCore.stateFromParams(new URLSearchParams(location.search));
  var q = state.q.trim();

  var backUrl = new URL(site);
  backUrl.search = FolioCore.stateToParams(state).toString();
  back.href = backUrl.href;
  back.textContent = q ? '← Back to results for “' + q + '”' : '← Back to results';

  main.setAttribute('aria-busy', 'true');
  main.replaceChildren(h('p', { class: 'reader-loading', text: 'Loading the document…' }));

  /** Every paragraph of the document that matches the query, as marked HTML (escaped by the API). */
  function loadMarks() {
    var marks = { paragraphs: {}, title: null, relaxed: false, total: 0 };
    if (!q) return Promise.resolve(marks);
    function page(offset) {
      var url = new URL('search', site);
      url.search = new URLSearchParams({
        q: q, doc: docId, limit: '100', offset: String(offset), snippet_chars: '0', facets: '',
      }).toString();
      return FolioCore.getJSON(url.href).then(function (response) {
        marks.total = response.total;
        marks.relaxed = response.relaxed;
        response.hits.forEach(function (hit) {
          marks.paragraphs[hit.id] = hit.highlight.text;
          if (hit.matches.title.length && !marks.title) marks.title = hit.highlight.title;
        });
        var next = offset + response.hits.length;
        if (response.hits.length > 0 && next < response.total && next <= 10000) return page(next);
        return marks;
      });
    }
    return page(0);
  }

  Promise.all([
    FolioCore.getJSON(new URL('documents/' + encodeURIComponent(docId), site).href),
    FolioCore.loadOverview(site).catch(function () { return null; }),
    loadMarks().catch(function () { return null; }),
  ]).then(function (out) {
    render(out[0], out[1], out[2]);
  }, function (error) {
    main.removeAttribute('aria-busy');
    document.title = 'Not found — folio';
    main.replaceChildren(
      h('h1', { class: 'reader-title', text: error.status === 404 ? 'No such document' : 'The document could not be loaded' }),
      h('p', { class: 'folio-error', role: 'alert', text: error.message }),
      h('p', null, [h('a', { href: backUrl.href, text: 'Back to the search' })])
    );
  });

  function metaRow(term, value) {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) return [];
    return [h('dt', { text: term }), h('dd', null, [value])];
  }

  function render(doc, overview, marks) {
    document.title = doc.title + ' — folio';
    var titleEl = h('h1', { class: 'reader-title', id: 'doc-title' });
    if (marks && marks.title) titleEl.innerHTML = marks.title;
    else titleEl.textContent = doc.title;

    // The document's own themes, else those of its paragraphs, most frequent first.
    var counts = {};
    doc.paragraphs.forEach(function (p) {
      p.themes.forEach(function (t) { counts[t] = (counts[t] || 0) + 1; });
    });
    var themeIds = doc.themes.length ? doc.themes : Object.keys(counts).sort(function (a, b) {
      return counts[b] - counts[a] || (a < b ? -1 : 1);
    });
    var themes = themeIds.length ? h('ul', { class: 'reader-themes' }, themeIds.map(function (t) {
      var label = FolioCore.themeLabel(overview, t);
      return h('li', {
        class: 'folio-theme', 'data-theme': t, text: label,
        title: counts[t] ? label + ': ' + FolioCore.plural(counts[t], 'paragraph', 'paragraphs') : null,
      });
    })) : null;
    var original = doc.url && /^https?:\/\//i.test(doc.url)
      ? h('a', { href: doc.url, rel: 'noopener noreferrer', text: doc.url })
      : null;
    var meta = h('dl', { class: 'reader-meta' }, [].concat(
      metaRow(doc.authors.length > 1 ? 'Authors' : 'Author', doc.authors.join(', ')),
      metaRow('Source', doc.source),
      metaRow('Series', doc.series),
      metaRow('Publisher', doc.publisher),
      metaRow('Date', doc.date || String(doc.year)),
      metaRow('Original', original),
      metaRow('Themes', themes)
    ));

    var matchBar = null;
    var count = marks ? Object.keys(marks.paragraphs).length : 0;
    if (q) {
      var prev = h('button', { type: 'button', class: 'folio-button', id: 'prev-match', text: '↑ Previous match', on: { click: function () { step(-1); } } });
      var next = h('button', { type: 'button', class: 'folio-button', id: 'next-match', text: '↓ Next match', on: { click: function () { step(1); } } });
      prev.disabled = next.disabled = count === 0;
      matchBar = h('div', { class: 'reader-matches', role: 'group', 'aria-label': 'Matches in this document' }, [
        h('p', { class: 'reader-match-count', id: 'match-count', 'data-count': count, text: marks === null
          ? 'The matches could not be marked.'
          : count === 0
            ? 'No paragraph of this document matches “' + q + '”.'
            : '“' + q + '” is marked in ' + FolioCore.plural(count, 'paragraph', 'paragraphs') +
              (marks.relaxed ? ' (any of the words).' : '.') }),
        h('div', { class: 'reader-match-buttons' }, [prev, next]),
      ]);
    }

    var text = h('div', { class: 'reader-text' });
    var section = null;
    var sectionName;
    doc.paragraphs.forEach(function (p) {
      if (section === null || p.section !== sectionName) {
        sectionName = p.section;
        section = h('section', { class: 'reader-section' }, [
          p.section ? h('h2', { class: 'reader-section-title', text: p.section }) : null,
        ]);
        text.appendChild(section);
      }
      var marked = marks && marks.paragraphs[p.id];
      var body = h('span', { class: 'reader-para-text' });
      if (marked !== undefined && marked !== null && marked !== false) body.innerHTML = marked;
      else body.textContent = p.text;
      var anchor = h('a', { class: 'reader-anchor', href: '#' + encodeURIComponent(p.id), 'aria-label': 'Link to paragraph ' + p.position, text: '¶' });
      var children = [];
      if (p.label) children.push(h('span', { class: 'reader-label', text: p.label }), ' ');
      children.push(body, ' ', anchor);
      var para = h(p.kind === 'quote' ? 'blockquote' : 'p', {
        id: p.id, class: 'reader-para kind-' + p.kind + (marked ? ' has-match' : ''),
        'data-position': p.position, tabindex: '-1',
      }, children);
      section.appendChild(para);
    });

    main.removeAttribute('aria-busy');
    main.replaceChildren(h('article', { id: 'document', class: 'reader-doc', 'aria-labelledby': 'doc-title' }, [
      h('header', { class: 'reader-doc-header' }, [
        h('p', { class: 'reader-kicker', text: doc.source + ' · ' + (doc.date || doc.year) }),
        titleEl,
        meta,
      ]),
      matchBar,
      text,
    ]));
    target();
  }

  function paragraphFor(hash) {
    if (!hash) return null;
    var key;
    try {
      key = decodeURIComponent(hash);
    } catch (e) {
      key = hash;
    }
    var el = document.getElementById(key);
    if (el && el.classList.contains('reader-para')) return el;
    var position = /^p?(\d+)$/.exec(key);
    return position ? main.querySelector('.reader-para[data-position="' + position[1] + '"]') : null;
  }

  /** Brings the fragment's paragraph into view and gives it focus. */
  function target() {
    var el = paragraphFor(location.hash.slice(1));
    Array.prototype.forEach.call(main.querySelectorAll('.reader-para.is-target'), function (p) {
      p.classList.remove('is-target');
    });
    if (!el) return;
    el.classList.add('is-target');
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }

  /** Moves to the next (1) or previous (-1) marked paragraph. */
  function step(direction) {
    var matches = Array.prototype.slice.call(main.querySelectorAll('.reader-para.has-match'));
    if (!matches.length) return;
    var current = main.querySelector('.reader-para.is-target');
    var all = Array.prototype.slice.call(main.querySelectorAll('.reader-para'));
    var at = current ? all.indexOf(current) : -1;
    var next;
    if (direction > 0) {
      next = matches.find(function (m) { return all.indexOf(m) > at; }) || matches[0];
    } else {
      var before = matches.filter(function (m) { return at < 0 || all.indexOf(m) < at; });
      next = before.length ? before[before.length - 1] : matches[matches.length - 1];
    }
    history.replaceState(null, '', '#' + encodeURIComponent(next.id));
    target();
  }

  window.addEventListener('hashchange', target);
})();
