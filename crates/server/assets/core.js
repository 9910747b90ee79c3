/* folio's search component, shared by the search page and the embeddable widget.
 *
 * It builds its own DOM (so it can live in a shadow root), talks to folio's JSON API, and never
 * puts API text into the page as HTML except the `highlight` fields, which the API escapes and
 * marks with <mark>. No framework, no inline styles or handlers: it runs under a strict CSP. */
var FolioCore = (function () {
  'use strict';

  var FACETS = ['source', 'theme'];
  var SORTS = [
    ['relevance', 'Best match'],
    ['-year', 'Newest first'],
    ['year', 'Oldest first'],
  ];
  var MAX_OFFSET = 10000;

  /* ---------- DOM helpers ---------- */

  /** Creates an element. `props`: class, text (textContent), html (trusted API highlight only),
   *  on (event listeners), and otherwise attributes, or properties for checked/value/disabled. */
  function h(tag, props, children) {
    var el = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'class') el.className = value;
        else if (key === 'text') el.textContent = value;
        else if (key === 'html') el.innerHTML = value;
        else if (key === 'on') {
          Object.keys(value).forEach(function (type) {
            el.addEventListener(type, value[type]);
          });
        } else if (key === 'checked' || key === 'value' || key === 'disabled') el[key] = value;
        else el.setAttribute(key, value === true ? '' : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return el;
  }

  function srOnly(text) {
    return h('span', { class: 'folio-sr', text: text });
  }

  var numberFormat = new Intl.NumberFormat('en');
  function fmt(n) {
    return numberFormat.format(n);
  }

  function plural(n, one, many) {
    return fmt(n) + ' ' + (n === 1 ? one : many);
  }

  /* ---------- state <-> query string ---------- */

  function emptyState() {
    return { q: '', source: [], theme: [], from: null, to: null, page: 1, sort: 'relevance' };
  }

  function parseYear(text) {
    var n = Number(String(text || '').trim());
    return Number.isInteger(n) && n >= 1 && n <= 9999 ? n : null;
  }

  /** Reads a state from the query string the page and the reader share. */
  function stateFromParams(params) {
    var state = emptyState();
    state.q = params.get('q') || '';
    FACETS.forEach(function (name) {
      state[name] = params.getAll(name).filter(function (v, i, all) {
        return v !== '' && all.indexOf(v) === i;
      });
    });
    var year = params.get('year') || '';
    if (year.indexOf('..') >= 0) {
      var parts = year.split('..');
      state.from = parseYear(parts[0]);
      state.to = parseYear(parts[1]);
    } else if (year) {
      state.from = state.to = parseYear(year);
    }
    if (state.from !== null && state.to !== null && state.from > state.to) {
      var t = state.from;
      state.from = state.to;
      state.to = t;
    }
    var page = parseInt(params.get('page') || '1', 10);
    state.page = page > 0 ? page : 1;
    var sort = params.get('sort') || 'relevance';
    state.sort = SORTS.some(function (s) { return s[0] === sort; }) ? sort : 'relevance';
    return state;
  }

  function yearParam(state) {
    if (state.from === null && state.to === null) return '';
    if (state.from !== null && state.from === state.to) return String(state.from);
    return (state.from === null ? '' : state.from) + '..' + (state.to === null ? '' : state.to);
  }

  /** The query string of a state; defaults are left out. */
  function stateToParams(state) {
    var params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    FACETS.forEach(function (name) {
      state[name].forEach(function (v) { params.append(name, v); });
    });
    var year = yearParam(state);
    if (year) params.set('year', year);
    if (state.sort && state.sort !== 'relevance') params.set('sort', state.sort);
    if (state.page > 1) params.set('page', String(state.page));
    return params;
  }

  function hasFilters(state) {
    return state.source.length > 0 || state.theme.length > 0 || state.from !== null || state.to !== null;
  }

  function copyState(state) {
    var copy = Object.assign({}, state);
    copy.source = state.source.slice();
    copy.theme = state.theme.slice();
    return copy;
  }

  /* ---------- the API ---------- */

  function ApiError(message, status, code) {
    var error = new Error(message);
    error.status = status;
    error.code = code;
    return error;
  }

  /** GETs JSON; rejects with the API's error message. */
  function getJSON(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: 'application/json' } }).then(
      function (response) {
        return response.text().then(function (body) {
          var data = null;
          try {
            data = body ? JSON.parse(body) : null;
          } catch (e) {
            data = null;
          }
          if (!response.ok) {
            var err = data && data.error ? data.error : {};
            throw ApiError(err.message || 'The server answered ' + response.status + '.', response.status, err.code);
          }
          if (data === null) throw ApiError('The server sent no JSON.', response.status);
          return data;
        });
      },
      function (error) {
        if (error && error.name === 'AbortError') throw error;
        throw ApiError('Could not reach the search service.', 0, 'network');
      }
    );
  }

  /** The URL of a search for `state`. */
  function searchUrl(api, state, limit) {
    var url = new URL('search', api);
    var p = url.searchParams;
    p.set('q', state.q);
    FACETS.forEach(function (name) {
      state[name].forEach(function (v) { p.append(name, v); });
    });
    var year = yearParam(state);
    if (year) p.set('year', year);
    if (state.sort !== 'relevance') p.set('sort', state.sort);
    p.set('limit', String(limit));
    p.set('offset', String((state.page - 1) * limit));
    p.set('facets', 'source,year,theme');
    return url.href;
  }

  /** Corpus totals, the year range and theme labels (`GET /facets`), fetched once per API. */
  var overviews = {};
  function loadOverview(api) {
    if (!overviews[api]) {
      overviews[api] = getJSON(new URL('facets', api).href).then(function (data) {
        var labels = {};
        var descriptions = {};
        (data.themes || []).forEach(function (t) {
          labels[t.id] = t.label;
          descriptions[t.id] = t.description;
        });
        data.themeLabels = labels;
        data.themeDescriptions = descriptions;
        return data;
      });
      overviews[api].catch(function () {
        delete overviews[api];
      });
    }
    return overviews[api];
  }

  function themeLabel(overview, id) {
    return (overview && overview.themeLabels && overview.themeLabels[id]) || id;
  }

  /** The reader's URL for a hit: same query string as the search, the paragraph as fragment. */
  function readerUrl(site, docId, state, paragraphId) {
    var url = new URL('read/' + encodeURIComponent(docId), site);
    var params = stateToParams(state);
    url.search = params.toString();
    if (paragraphId) url.hash = encodeURIComponent(paragraphId);
    return url.href;
  }

  /* ---------- the search component ---------- */

  /**
   * Mounts a search UI into `opts.mount`.
   * opts.api: folio's base URL (ending in '/'); opts.limit: hits per page; opts.idPrefix;
   * opts.scheme: 'auto' | 'light' | 'dark'; opts.onChange(state, how): the state changed by the
   * user (how.replace: a refinement of the previous change, as when typing);
   * opts.pageHref(state): a link for a page (or none: buttons); opts.linkTarget: target of hit
   * links; opts.shortcuts: '/' focuses the search box; opts.collapsible: filters in a <details>.
   */
  function createSearch(opts) {
    var api = opts.api;
    var limit = opts.limit || 10;
    var prefix = opts.idPrefix || 'folio-';
    var rootNode = opts.mount.getRootNode();
    var state = emptyState();
    var overview = null;
    var lastResponse = null;
    var seq = 0;
    var inflight = null;
    var typingTimer = null;
    var yearTimer = null;
    var lastWasTyping = false;

    function id(name) {
      return prefix + name;
    }

    /* --- static structure --- */
    var input = h('input', {
      id: id('q'), class: 'folio-input', type: 'search', name: 'q', autocomplete: 'off',
      spellcheck: 'false', placeholder: opts.placeholder || 'Search paragraphs…',
      'aria-describedby': id('status'), enterkeyhint: 'search',
    });
    var form = h('form', { class: 'folio-searchbar', role: 'search', action: '', on: { submit: onSubmit } }, [
      h('label', { for: id('q'), class: 'folio-sr', text: 'Search the corpus' }),
      input,
      h('button', { type: 'submit', class: 'folio-button folio-button-primary', text: 'Search' }),
    ]);

    var facetLists = {};
    var facetBoxes = FACETS.map(function (name) {
      var list = h('ul', { class: 'folio-facet-list', id: id(name + '-list') });
      facetLists[name] = list;
      return h('fieldset', { class: 'folio-facet', 'data-facet': name }, [
        h('legend', { class: 'folio-legend', text: name === 'source' ? 'Source' : 'Theme' }),
        list,
      ]);
    });

    var histogram = h('div', {
      class: 'folio-histogram', role: 'group', id: id('histogram'),
      'aria-label': 'Paragraphs per year; choose a year to show only it',
    });
    var histogramAxis = h('div', { class: 'folio-histogram-axis', 'aria-hidden': 'true' });
    var fromInput = h('input', {
      id: id('from'), class: 'folio-year-input', type: 'number', inputmode: 'numeric',
      min: '1', max: '9999', step: '1', name: 'from',
      on: { change: onYearChange, input: onYearInput },
    });
    var toInput = h('input', {
      id: id('to'), class: 'folio-year-input', type: 'number', inputmode: 'numeric',
      min: '1', max: '9999', step: '1', name: 'to',
      on: { change: onYearChange, input: onYearInput },
    });
    var yearsClear = h('button', {
      type: 'button', class: 'folio-link-button', text: 'Any year', hidden: true,
      on: { click: function () { setYears(null, null); } },
    });
    var yearBox = h('fieldset', { class: 'folio-facet folio-years' }, [
      h('legend', { class: 'folio-legend', text: 'Years' }),
      histogram,
      histogramAxis,
      h('div', { class: 'folio-year-inputs' }, [
        h('label', { for: id('from'), text: 'From' }), fromInput,
        h('label', { for: id('to'), text: 'to' }), toInput,
        yearsClear,
      ]),
    ]);

    var clearButton = h('button', {
      type: 'button', class: 'folio-button folio-clear', text: 'Clear filters',
      on: { click: onClear },
    });

    var filterChildren = [facetBoxes[0], facetBoxes[1], yearBox, clearButton];
    var filters;
    if (opts.collapsible) {
      filters = h('details', { class: 'folio-filters', id: id('filters') }, [
        h('summary', { class: 'folio-filters-summary' }, [
          h('span', { text: 'Filters' }),
          h('span', { class: 'folio-filter-count', id: id('filter-count') }),
        ]),
        h('div', { class: 'folio-filters-body' }, filterChildren),
      ]);
    } else {
      filters = h('div', { class: 'folio-filters', id: id('filters'), role: 'group', 'aria-label': 'Filters' }, [
        h('div', { class: 'folio-filters-body' }, filterChildren),
      ]);
    }

    var heading = h('h2', { class: 'folio-sr', id: id('results-heading'), tabindex: '-1', text: 'Results' });
    var status = h('p', { class: 'folio-status', id: id('status'), role: 'status', 'aria-live': 'polite' });
    var sortSelect = h('select', { id: id('sort'), class: 'folio-select', on: { change: onSort } },
      SORTS.map(function (s) { return h('option', { value: s[0], text: s[1] }); }));
    var notice = h('p', { class: 'folio-notice', hidden: true });
    var errorBox = h('p', { class: 'folio-error', role: 'alert', hidden: true });
    var hitsList = h('ol', { class: 'folio-hits', id: id('hits'), on: { keydown: onHitsKey } });
    var pager = h('nav', { class: 'folio-pager', 'aria-label': 'Result pages' });
    var results = h('section', { class: 'folio-results', id: id('results'), 'aria-labelledby': id('results-heading') }, [
      heading,
      h('div', { class: 'folio-toolbar' }, [
        status,
        h('div', { class: 'folio-sort' }, [h('label', { for: id('sort'), text: 'Sort' }), sortSelect]),
      ]),
      notice,
      errorBox,
      hitsList,
      pager,
    ]);

    var root = h('div', { class: 'folio', 'data-scheme': opts.scheme || 'auto' }, [
      form,
      h('div', { class: 'folio-layout' }, [filters, results]),
    ]);
    opts.mount.replaceChildren(root);

    if (opts.collapsible) {
      // Open on wide screens; on a phone the filters fold under one line.
      filters.open = opts.mount.getBoundingClientRect().width >= 720;
    }

    input.addEventListener('input', onType);
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown') {
        var first = hitsList.querySelector('a');
        if (first) {
          event.preventDefault();
          first.focus();
        }
      }
    });
    if (opts.shortcuts) {
      document.addEventListener('keydown', function (event) {
        if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
        var target = event.target;
        var tag = target && target.tagName;
        var typing = tag === 'TEXTAREA' || tag === 'SELECT' || (target && target.isContentEditable) ||
          (tag === 'INPUT' && !/^(checkbox|radio|button|submit|reset)$/.test(target.type));
        if (typing) return;
        event.preventDefault();
        input.focus();
        input.select();
      });
    }

    /* --- user actions --- */

    function commit(next, how) {
      how = how || {};
      var replace = !!how.replace;
      lastWasTyping = !!how.typing;
      state = next;
      if (opts.onChange) opts.onChange(copyState(state), { replace: replace });
      syncControls(false);
      run(how);
    }

    function onType() {
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () {
        if (input.value === state.q) return;
        var next = copyState(state);
        next.q = input.value;
        next.page = 1;
        // The first change of a burst of typing adds a history entry; the next ones refine it.
        commit(next, { typing: true, replace: lastWasTyping });
      }, opts.debounce || 250);
    }

    function onSubmit(event) {
      event.preventDefault();
      clearTimeout(typingTimer);
      var next = copyState(state);
      next.q = input.value;
      next.page = 1;
      if (next.q === state.q && lastResponse) {
        focusResults();
        return;
      }
      commit(next, { typing: false, replace: lastWasTyping });
    }

    function onFacet(event) {
      var box = event.target;
      var name = box.getAttribute('data-facet');
      var next = copyState(state);
      var values = next[name].filter(function (v) { return v !== box.value; });
      if (box.checked) values.push(box.value);
      next[name] = values;
      next.page = 1;
      commit(next);
    }

    function setYears(from, to) {
      if (from !== null && to !== null && from > to) {
        var t = from;
        from = to;
        to = t;
      }
      if (from === state.from && to === state.to) {
        syncControls(true);
        return;
      }
      var next = copyState(state);
      next.from = from;
      next.to = to;
      next.page = 1;
      commit(next);
    }

    function yearsFromInputs() {
      var from = fromInput.value === '' ? null : parseYear(fromInput.value);
      var to = toInput.value === '' ? null : parseYear(toInput.value);
      return { from: from, to: to, valid: (fromInput.value === '' || from !== null) && (toInput.value === '' || to !== null) };
    }

    function onYearChange() {
      clearTimeout(yearTimer);
      var y = yearsFromInputs();
      if (y.valid) setYears(y.from, y.to);
    }

    function onYearInput() {
      clearTimeout(yearTimer);
      yearTimer = setTimeout(function () {
        var y = yearsFromInputs();
        // Wait for whole years while typing.
        var whole = function (v) { return v === null || v >= 1000; };
        if (y.valid && whole(y.from) && whole(y.to)) setYears(y.from, y.to);
      }, 700);
    }

    function onBar(event) {
      var year = Number(event.currentTarget.getAttribute('data-year'));
      if (event.shiftKey && (state.from !== null || state.to !== null)) {
        var from = state.from === null ? year : Math.min(state.from, year);
        var to = state.to === null ? year : Math.max(state.to, year);
        setYears(from, to);
      } else if (state.from === year && state.to === year) {
        setYears(null, null);
      } else {
        setYears(year, year);
      }
    }

    function onClear() {
      var next = copyState(state);
      next.source = [];
      next.theme = [];
      next.from = null;
      next.to = null;
      next.page = 1;
      commit(next);
      input.focus();
    }

    function onSort() {
      var next = copyState(state);
      next.sort = sortSelect.value;
      next.page = 1;
      commit(next);
    }

    function goToPage(page) {
      var next = copyState(state);
      next.page = page;
      commit(next, { focusResults: true });
    }

    function onHitsKey(event) {
      if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
      var links = Array.prototype.slice.call(hitsList.querySelectorAll('.folio-hit-title a'));
      var at = links.indexOf(rootNode.activeElement);
      if (at < 0) return;
      event.preventDefault();
      if (event.key === 'ArrowDown' && at + 1 < links.length) links[at + 1].focus();
      else if (event.key === 'ArrowUp') (at > 0 ? links[at - 1] : input).focus();
    }

    function focusResults() {
      heading.focus({ preventScroll: true });
      var top = results.getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight) results.scrollIntoView({ block: 'start' });
    }

    /* --- searching --- */

    function run(how) {
      how = how || {};
      var mySeq = ++seq;
      if (inflight) inflight.abort();
      inflight = new AbortController();
      var signal = inflight.signal;
      results.setAttribute('aria-busy', 'true');
      var url = searchUrl(api, state, limit);
      var ready = overview ? Promise.resolve(overview) : loadOverview(api).then(function (o) {
        overview = o;
        return o;
      }, function () { return null; });
      Promise.all([getJSON(url, signal), ready]).then(function (out) {
        if (mySeq !== seq) return;
        inflight = null;
        results.removeAttribute('aria-busy');
        var response = out[0];
        var pages = pageCount(response.total);
        if (response.total > 0 && state.page > pages) {
          var next = copyState(state);
          next.page = pages;
          commit(next, { replace: true, focusResults: how.focusResults });
          return;
        }
        lastResponse = response;
        errorBox.hidden = true;
        render(response);
        if (how.focusResults) focusResults();
        root.dispatchEvent(new CustomEvent('folio:results', { bubbles: true, composed: true, detail: { total: response.total } }));
      }, function (error) {
        if (mySeq !== seq || (error && error.name === 'AbortError')) return;
        inflight = null;
        results.removeAttribute('aria-busy');
        errorBox.textContent = error.message || String(error);
        errorBox.hidden = false;
        status.textContent = 'The search failed.';
      });
    }

    function pageCount(total) {
      var pages = Math.ceil(total / limit);
      var deepest = Math.floor(MAX_OFFSET / limit) + 1;
      return Math.max(1, Math.min(pages, deepest));
    }

    /* --- rendering --- */

    /** Keeps keyboard focus on the "same" control when a list is rebuilt. */
    function keepFocus(container, rebuild) {
      var active = rootNode.activeElement;
      var key = active && container.contains(active) ? active.getAttribute('data-key') : null;
      rebuild();
      if (key !== null) {
        var again = Array.prototype.find.call(container.querySelectorAll('[data-key]'), function (el) {
          return el.getAttribute('data-key') === key;
        });
        if (again && !again.disabled) again.focus({ preventScroll: true });
      }
    }

    function renderFacet(name, counts) {
      var list = facetLists[name];
      var values = (counts || []).slice();
      // Selected values are always listed, even when nothing matches them any more.
      state[name].forEach(function (v) {
        var listed = values.some(function (f) { return f.value.toLowerCase() === v.toLowerCase(); });
        if (!listed) values.push({ value: v, count: 0, selected: true });
      });
      keepFocus(list, function () {
        if (values.length === 0) {
          list.replaceChildren(h('li', { class: 'folio-empty', text: 'None' }));
          return;
        }
        list.replaceChildren.apply(list, values.map(function (f, i) {
          var checked = state[name].some(function (v) { return v.toLowerCase() === f.value.toLowerCase(); });
          var boxId = id(name + '-' + i);
          var label = name === 'theme' ? themeLabel(overview, f.value) : f.value;
          var description = name === 'theme' && overview && overview.themeDescriptions[f.value];
          return h('li', { class: 'folio-facet-item', 'data-value': f.value, 'data-count': f.count }, [
            h('input', {
              type: 'checkbox', id: boxId, class: 'folio-check', value: f.value, checked: checked,
              'data-facet': name, 'data-key': name + ':' + f.value, on: { change: onFacet },
            }),
            h('label', { for: boxId, class: 'folio-facet-label', title: description || null }, [
              h('span', { class: 'folio-facet-name', text: label }),
              h('span', { class: 'folio-count' }, [fmt(f.count), srOnly(f.count === 1 ? ' paragraph' : ' paragraphs')]),
            ]),
          ]);
        }));
      });
    }

    function yearDomain(response) {
      var stats = (overview && overview.facet_stats && overview.facet_stats.year) ||
        (response.facet_stats && response.facet_stats.year);
      var min = stats ? stats.min : null;
      var max = stats ? stats.max : null;
      (response.facets.year || []).forEach(function (f) {
        if (min === null || f.value < min) min = f.value;
        if (max === null || f.value > max) max = f.value;
      });
      if (state.from !== null && min !== null) min = Math.min(min, state.from);
      if (state.to !== null && max !== null) max = Math.max(max, state.to);
      return min === null ? null : { min: min, max: max };
    }

    function renderHistogram(response) {
      var domain = yearDomain(response);
      var counts = {};
      var peak = 0;
      (response.facets.year || []).forEach(function (f) {
        counts[f.value] = f.count;
        if (f.count > peak) peak = f.count;
      });
      fromInput.placeholder = domain ? String(domain.min) : '';
      toInput.placeholder = domain ? String(domain.max) : '';
      if (!domain || domain.max - domain.min > 400) {
        histogram.replaceChildren();
        histogramAxis.replaceChildren();
        return;
      }
      keepFocus(histogram, function () {
        var bars = [];
        for (var year = domain.min; year <= domain.max; year++) {
          var count = counts[year] || 0;
          var inRange = (state.from !== null || state.to !== null) &&
            (state.from === null || year >= state.from) && (state.to === null || year <= state.to);
          var text = year + ': ' + plural(count, 'paragraph', 'paragraphs');
          var fill = h('span', { class: 'folio-bar-fill' });
          // CSSOM, not a style attribute: allowed by the CSP.
          fill.style.height = count === 0 ? '0' : Math.max(4, Math.round((count / Math.max(peak, 1)) * 100)) + '%';
          bars.push(h('button', {
            type: 'button', class: 'folio-bar' + (inRange ? ' is-selected' : ''), 'data-year': year,
            'data-count': count, 'data-key': 'year:' + year, 'aria-pressed': inRange ? 'true' : 'false',
            'aria-label': text, title: text, disabled: count === 0 && !inRange, on: { click: onBar },
          }, [fill]));
        }
        histogram.replaceChildren.apply(histogram, bars);
      });
      histogramAxis.replaceChildren(
        h('span', { text: String(domain.min) }),
        h('span', { text: String(domain.max) })
      );
    }

    function hitMeta(hit) {
      var parts = [
        h('span', { class: 'folio-hit-source', text: hit.source }),
        h('span', { class: 'folio-hit-year', text: String(hit.year) }),
      ];
      if (hit.highlight && hit.highlight.section) {
        parts.push(h('span', { class: 'folio-hit-section', html: hit.highlight.section }));
      } else if (hit.section) {
        parts.push(h('span', { class: 'folio-hit-section', text: hit.section }));
      }
      if (hit.kind && hit.kind !== 'body') {
        parts.push(h('span', { class: 'folio-hit-kind', text: hit.kind + (hit.label ? ' ' + hit.label : '') }));
      }
      return h('p', { class: 'folio-hit-meta' }, parts);
    }

    function renderHit(hit) {
      var href = readerUrl(opts.site || api, hit.doc_id, state, hit.id);
      var link = h('a', { href: href, html: hit.highlight.title, target: opts.linkTarget || null });
      if (opts.linkTarget === '_blank') link.rel = 'noopener';
      var themes = hit.themes.length ? h('ul', { class: 'folio-hit-themes', 'aria-label': 'Themes' },
        hit.themes.map(function (t) {
          return h('li', { class: 'folio-theme', 'data-theme': t, text: themeLabel(overview, t) });
        })) : null;
      return h('li', { class: 'folio-hit', 'data-id': hit.id, 'data-doc': hit.doc_id }, [
        h('article', { class: 'folio-hit-body' }, [
          h('h3', { class: 'folio-hit-title' }, [link]),
          hitMeta(hit),
          h('p', { class: 'folio-snippet', html: hit.highlight.text }),
          themes,
        ]),
      ]);
    }

    function pageControl(page, label, current, disabled, rel) {
      var text = label || String(page);
      var aria = label ? null : 'Page ' + page;
      if (disabled) return h('span', { class: 'folio-page is-disabled', 'aria-disabled': 'true', text: text });
      var onClick = function (event) {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        goToPage(page);
      };
      var props = {
        class: 'folio-page' + (current ? ' is-current' : ''), 'aria-label': aria,
        'aria-current': current ? 'page' : null, rel: rel || null, text: text, 'data-page': page,
        on: { click: onClick },
      };
      if (opts.pageHref) {
        var next = copyState(state);
        next.page = page;
        props.href = opts.pageHref(next);
        return h('a', props);
      }
      props.type = 'button';
      delete props.rel;
      return h('button', props);
    }

    function renderPager(total) {
      var pages = pageCount(total);
      if (total <= limit) {
        pager.replaceChildren();
        pager.hidden = true;
        return;
      }
      pager.hidden = false;
      var page = state.page;
      var wanted = [1, pages];
      for (var p = page - 2; p <= page + 2; p++) if (p >= 1 && p <= pages) wanted.push(p);
      wanted = wanted.filter(function (v, i, all) { return all.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
      var items = [h('li', null, [pageControl(page - 1, '‹ Previous', false, page <= 1, 'prev')])];
      wanted.forEach(function (p, i) {
        if (i > 0 && p - wanted[i - 1] > 1) items.push(h('li', { class: 'folio-gap', 'aria-hidden': 'true', text: '…' }));
        items.push(h('li', null, [pageControl(p, null, p === page, false)]));
      });
      items.push(h('li', null, [pageControl(page + 1, 'Next ›', false, page >= pages, 'next')]));
      pager.replaceChildren(h('ul', { class: 'folio-pages' }, items));
    }

    function renderStatus(response) {
      var total = response.total;
      status.setAttribute('data-total', String(total));
      var q = state.q.trim();
      if (total === 0) {
        status.textContent = 'No paragraphs match' + (q ? ' “' + q + '”' : '') + (hasFilters(state) ? ' with these filters.' : '.');
        return;
      }
      var first = response.offset + 1;
      var last = response.offset + response.hits.length;
      status.replaceChildren(
        h('strong', { class: 'folio-total', text: plural(total, 'paragraph', 'paragraphs') }),
        (q ? ' match “' + q + '”' : '') + ' · ',
        h('span', { class: 'folio-range', text: 'showing ' + fmt(first) + '–' + fmt(last) })
      );
    }

    function render(response) {
      renderStatus(response);
      FACETS.forEach(function (name) { renderFacet(name, response.facets[name]); });
      renderHistogram(response);
      notice.hidden = !response.relaxed;
      notice.textContent = response.relaxed
        ? 'No paragraph has all of the words; showing paragraphs with any of them.'
        : '';
      hitsList.start = response.offset + 1;
      hitsList.replaceChildren.apply(hitsList, response.hits.map(renderHit));
      renderPager(response.total);
      syncControls(false);
    }

    /** Puts the state into the controls the user is not busy with. */
    function syncControls(force) {
      var active = rootNode.activeElement;
      if (force || (active !== input && input.value !== state.q)) input.value = state.q;
      if (force || active !== fromInput) fromInput.value = state.from === null ? '' : String(state.from);
      if (force || active !== toInput) toInput.value = state.to === null ? '' : String(state.to);
      sortSelect.value = state.sort;
      yearsClear.hidden = state.from === null && state.to === null;
      clearButton.disabled = !hasFilters(state);
      FACETS.forEach(function (name) {
        Array.prototype.forEach.call(facetLists[name].querySelectorAll('input'), function (box) {
          box.checked = state[name].some(function (v) { return v.toLowerCase() === box.value.toLowerCase(); });
        });
      });
      if (opts.collapsible) {
        var n = state.source.length + state.theme.length + (state.from !== null || state.to !== null ? 1 : 0);
        var badge = root.querySelector('.folio-filter-count');
        if (badge) badge.textContent = n ? ' (' + n + ' active)' : '';
      }
    }

    return {
      /** Shows `next` (from the URL, or the host), without reporting it back through onChange. */
      setState: function (next) {
        clearTimeout(typingTimer);
        lastWasTyping = false;
        state = copyState(next);
        syncControls(true);
        run();
      },
      getState: function () {
        return copyState(state);
      },
      focus: function () {
        input.focus();
      },
      root: root,
      overview: function () {
        return loadOverview(api);
      },
    };
  }

  return {
    h: h,
    fmt: fmt,
    plural: plural,
    emptyState: emptyState,
    stateFromParams: stateFromParams,
    stateToParams: stateToParams,
    getJSON: getJSON,
    loadOverview: loadOverview,
    themeLabel: themeLabel,
    readerUrl: readerUrl,
    createSearch: createSearch,
  };
})();
