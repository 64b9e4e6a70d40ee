/// `/`: a live overview for a person during an incident. One self-contained document
/// (inline CSS and script, nothing fetched from elsewhere: the host may have no internet)
/// that polls the JSON API every 2 s with URLs relative to the page, so it works behind a
/// path prefix and through `--web.config.file` basic auth (the browser's auth cache).
/// History for the charts is kept by the browser, from its own polls.
enum OverviewPage {
    static func html(telemetryPath: String, version: String, kernel: String) -> String {
        // Relative, like the API URLs: "./metrics" also works behind a path prefix.
        let metrics = "./" + telemetryPath.drop { $0 == "/" }
        return #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
        <link rel="icon" href="data:,">
        <title>dropledger</title>
        <style>\#(style)</style>
        </head>
        <body>
        <header>
          <h1>dropledger</h1>
          <span class="meta">version <span id="version">\#(escape(version))</span> · kernel <span id="kernel">\#(escape(kernel))</span></span>
          <nav><a href="\#(escape(metrics))">metrics</a> <a href="api/v1/customers?format=text">API</a></nav>
          <span id="updated" class="updated stale"><span class="dot"></span><span id="updated-text">waiting for the first update…</span></span>
        </header>
        <div id="error" class="banner" role="alert" hidden></div>
        <main>
          <div class="toolbar">
            <h2>Customers</h2>
            <span class="seg">sort by <a href="?sort=rate" data-sort="rate">drop rate</a><a href="?sort=loss" data-sort="loss">loss ratio</a></span>
            <span id="summary" class="muted"></span>
          </div>
          <table id="customers">
            <thead><tr>
              <th>customer</th><th>name</th>
              <th class="num" title="drops per second over the last 10 s">drops/s<span class="arrow" data-arrow="rate"></span></th>
              <th class="num" title="dropped packets ÷ packets the tagger tagged for the customer">loss<span class="arrow" data-arrow="loss"></span></th>
              <th class="num">drops</th>
              <th class="num" title="packets the tagger tagged for the customer">tagged</th>
              <th>top reasons</th>
              <th title="drops/s, since the page opened (at most 5 min)">last 5 min</th>
            </tr></thead>
            <tbody id="rows"><tr class="empty"><td colspan="8">loading…</td></tr></tbody>
          </table>
          <section id="detail" class="empty"><p class="muted">Select a customer to see its reasons, drop sites and devices.</p></section>
        </main>
        <noscript><p class="banner">This page needs JavaScript. The data is also at api/v1/customers?format=text.</p></noscript>
        <script>\#(script)</script>
        </body>
        </html>

        """#
    }

    /// For text and attribute values alike.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    private static let style = #"""
    :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --faint: #eaeef2; --soft: #f6f8fa;
            --selected: #ddf4ff; --rate: #0969da; --loss: #cf222e; --warn: #9a6700; --ok: #1a7f37;
            --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
           color: var(--fg); background: #fff; }
    a { color: var(--rate); }
    header { display: flex; align-items: baseline; gap: 16px; padding: 8px 16px;
             border-bottom: 1px solid var(--line); background: var(--soft); }
    h1 { font-size: 16px; margin: 0; }
    h2 { font-size: 14px; margin: 0; }
    h3 { font-size: 12px; margin: 0 0 4px; color: var(--muted); font-weight: 600;
         text-transform: uppercase; letter-spacing: .04em; }
    .meta, .muted { color: var(--muted); }
    nav a { margin-right: 8px; }
    .updated { margin-left: auto; color: var(--muted); white-space: nowrap; }
    .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--ok); margin-right: 6px; }
    .stale .dot { background: var(--muted); }
    .failing .dot { background: var(--loss); }
    .banner { margin: 8px 16px 0; padding: 6px 10px; border: 1px solid #ff8182; background: #ffebe9;
              color: #82071e; border-radius: 4px; }
    main { padding: 8px 16px 16px; }
    .toolbar { display: flex; gap: 14px; align-items: baseline; margin: 4px 0 6px; }
    .seg { color: var(--muted); }
    .seg a { margin-left: 6px; padding: 1px 8px; border: 1px solid var(--line); border-radius: 3px;
             color: var(--fg); text-decoration: none; }
    .seg a[aria-current="true"] { background: var(--fg); border-color: var(--fg); color: #fff; }
    table { border-collapse: collapse; width: 100%; }
    th, td { padding: 3px 8px; border-bottom: 1px solid var(--faint); text-align: left;
             vertical-align: middle; white-space: nowrap; }
    th { font-size: 12px; font-weight: 600; color: var(--muted); border-bottom: 1px solid var(--line); }
    .num { font-family: var(--mono); font-variant-numeric: tabular-nums; text-align: right; }
    th.num { font-family: inherit; }
    .arrow:not(:empty) { margin-left: 3px; color: var(--fg); }
    #customers tbody tr[data-customer] { cursor: pointer; }
    #customers tbody tr[data-customer]:hover { background: var(--soft); }
    #customers tbody tr.selected { background: var(--selected); }
    #customers tbody tr:focus { outline: 2px solid var(--rate); outline-offset: -2px; }
    td.customer { font-family: var(--mono); font-weight: 600; }
    td.name.unnamed { color: var(--muted); }
    td.loss.warn { color: var(--warn); }
    td.loss.bad { color: var(--loss); font-weight: 600; }
    td.reasons { white-space: normal; min-width: 220px; }
    .reason { font-family: var(--mono); font-size: 12px; }
    .reason[title] { text-decoration: underline dotted var(--muted); }
    .desc { color: var(--muted); font-size: 11px; }
    td.trend { width: 124px; }
    svg text { font: 10px var(--mono); fill: var(--muted); }
    .spark-line, .rate-line { fill: none; stroke: var(--rate); stroke-width: 1.5; }
    .spark-area, .rate-area { fill: var(--rate); opacity: .12; }
    .spark-dot { fill: var(--rate); }
    .loss-line { fill: none; stroke: var(--loss); stroke-width: 1.5; stroke-dasharray: 4 2; }
    .grid { stroke: var(--faint); }
    .axis { stroke: var(--line); }
    #detail { margin-top: 14px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
    #detail.empty { color: var(--muted); }
    .detail-head { display: flex; gap: 12px; align-items: baseline; margin-bottom: 8px; }
    .detail-head .id { font-family: var(--mono); }
    .detail-head .name { font-weight: 400; }
    .badge { font-size: 11px; padding: 0 6px; border-radius: 8px; border: 1px solid var(--warn); color: var(--warn); }
    .detail-head button { margin-left: auto; font: inherit; font-size: 12px; }
    .stats { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0 0 10px; }
    .stats dt { color: var(--muted); font-size: 11px; }
    .stats dd { margin: 0; text-align: left; }
    .detail-body { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 4fr); gap: 18px; }
    .legend { font-size: 12px; color: var(--muted); margin-bottom: 2px; }
    .legend .key { display: inline-block; width: 14px; height: 0; border-top: 2px solid var(--rate);
                   vertical-align: middle; margin: 0 4px 0 10px; }
    .legend .key.loss { border-top: 2px dashed var(--loss); }
    .chart { width: 100%; height: auto; display: block; }
    .breakdowns { display: grid; gap: 10px; align-content: start; }
    .breakdowns td, .breakdowns th { padding: 2px 6px; }
    .share { display: inline-block; height: 6px; background: var(--rate); opacity: .5; vertical-align: middle; }
    td.wrap { white-space: normal; }
    """#

    private static let script = #"""
    (() => {
    'use strict';
    const POLL_MS = 2000;
    const HISTORY_MS = 5 * 60 * 1000;
    const MIN_SPAN_MS = 20 * 1000;
    const LIMIT = 50;
    const SVG_NS = 'http://www.w3.org/2000/svg';
    const SPECIAL = {
      none: 'packets without a customer entry in their metadata',
      invalid: 'packets whose metadata was malformed',
      other: 'customers beyond the named set, summed',
    };

    const params = new URLSearchParams(location.search);
    const state = {
      sort: params.get('sort') === 'loss' ? 'loss' : 'rate',
      // A customer picked by a click (or ?customer=); otherwise the detail follows the top row.
      selected: params.get('customer'),
      history: new Map(),   // customer -> [{t, rate, loss}], oldest first
      timer: null, inflight: false, again: false,
      lastSuccess: null,
    };

    const present = v => v !== undefined && v !== null;
    const numbers = new Intl.NumberFormat('en-US');
    const count = n => present(n) ? numbers.format(n) : '—';
    function rate(r) {
      if (!present(r)) return '—';
      if (r === 0) return '0';
      return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
    }
    function percent(ratio) {
      if (!present(ratio)) return '—';
      const p = ratio * 100;
      if (p === 0) return '0 %';
      if (p < 0.01) return '<0.01 %';
      return (p >= 10 ? p.toFixed(1) : p >= 1 ? p.toFixed(2) : p.toFixed(3)) + ' %';
    }
    function bytes(b) {
      if (!present(b)) return '—';
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let v = b, i = 0;
      while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return (i === 0 ? String(v) : v.toFixed(1)) + ' ' + units[i];
    }
    // Axis labels: the nice maxima and their halves, without trailing zeros.
    const tick = v => String(Number(v.toPrecision(3)));
    const two = n => String(n).padStart(2, '0');
    function clock(t) {
      const d = new Date(t);
      return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    }
    function ago(ms) {
      const s = Math.round(ms / 1000);
      if (s === 0) return 'now';
      return s < 60 ? `−${s}s` : s % 60 ? `−${Math.floor(s / 60)}m${s % 60}s` : `−${s / 60}m`;
    }
    function lossClass(ratio) {
      if (!present(ratio)) return '';
      return ratio >= 0.1 ? 'bad' : ratio >= 0.01 ? 'warn' : '';
    }

    // DOM built with textContent only: names come from configuration, never markup.
    function build(node, attributes, children) {
      for (const [key, value] of Object.entries(attributes || {})) {
        if (!present(value) || value === false) continue;
        node.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
      }
      for (const child of children.flat(Infinity)) {
        if (present(child)) node.append(child instanceof Node ? child : String(child));
      }
      return node;
    }
    const el = (tag, attributes, ...children) => build(document.createElement(tag), attributes, children);
    const svg = (tag, attributes, ...children) => build(document.createElementNS(SVG_NS, tag), attributes, children);

    class FetchError extends Error {
      constructor(path, status, message) { super(message); this.path = path; this.status = status; }
    }

    // fetch() refuses a URL with credentials, and a page opened with some (user:pass@host)
    // resolves relative URLs to such URLs: drop them, the browser's auth cache sends them.
    function apiURL(path) {
      const url = new URL(path, document.baseURI);
      url.username = '';
      url.password = '';
      return url.href;
    }

    async function getJSON(path) {
      let response;
      try {
        response = await fetch(apiURL(path), { credentials: 'same-origin', cache: 'no-store',
                                              headers: { Accept: 'application/json' } });
      } catch (error) {
        throw new FetchError(path, 0, error.message || String(error));
      }
      const text = await response.text();
      if (!response.ok) {
        let message = text.trim();
        try { message = JSON.parse(text).error || message; } catch (_) { /* not JSON: keep the text */ }
        throw new FetchError(path, response.status,
                             `HTTP ${response.status} ${response.statusText}${message ? ': ' + message.slice(0, 300) : ''}`);
      }
      try {
        return JSON.parse(text);
      } catch (error) {
        throw new FetchError(path, response.status, 'the answer is not JSON: ' + error.message);
      }
    }

    function fetchList() {
      return getJSON(`api/v1/customers?limit=${LIMIT}&sort=${state.sort}`);
    }

    function record(id, point) {
      let points = state.history.get(id);
      if (!points) state.history.set(id, points = []);
      points.push(point);
      while (points.length && points[0].t < point.t - HISTORY_MS) points.shift();
    }

    function forget(now) {
      for (const [id, points] of state.history) {
        if (!points.length || points[points.length - 1].t < now - HISTORY_MS) state.history.delete(id);
      }
    }

    // The time axis: since the first point (at least MIN_SPAN_MS, at most HISTORY_MS).
    function timeDomain(points, now) {
      const first = points.length ? points[0].t : now;
      return [Math.max(Math.min(first, now - MIN_SPAN_MS), now - HISTORY_MS), now];
    }

    function niceMax(value) {
      if (!(value > 0)) return 1;
      const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
      for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
      return 10 * magnitude;
    }

    // An SVG path through the points that have `key`, in the box [x0, x1] × [y0 (top), y1 (bottom)].
    function line(points, key, domain, max, box) {
      const [t0, t1] = domain, [x0, x1, y0, y1] = box;
      const x = t => x0 + (x1 - x0) * (t - t0) / Math.max(1, t1 - t0);
      const y = v => y1 - (y1 - y0) * Math.min(v, max) / max;
      let d = '', pen = false;
      const drawn = [];
      for (const p of points) {
        const v = p[key];
        if (!present(v) || p.t < t0) { pen = false; continue; }
        const xy = [x(p.t).toFixed(1), y(v).toFixed(1)];
        d += (pen ? 'L' : 'M') + xy.join(',');
        pen = true;
        drawn.push(xy);
      }
      const area = drawn.length
        ? `${d}L${drawn[drawn.length - 1][0]},${y1}L${drawn[0][0]},${y1}Z` : '';
      // One point draws no line: show it as a dot.
      return { d, area, dot: drawn.length === 1 ? drawn[0] : null };
    }

    function sparkline(points, now) {
      const w = 120, h = 24;
      const domain = timeDomain(points, now);
      const max = niceMax(1.1 * Math.max(0, ...points.map(p => p.rate || 0)));
      const { d, area, dot } = line(points, 'rate', domain, max, [1, w - 1, 2, h - 1]);
      const peak = Math.max(0, ...points.map(p => p.rate || 0));
      return svg('svg', { class: 'spark', width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img',
                         'aria-label': `drop rate, peak ${rate(peak)}/s` },
        svg('title', {}, `drops/s since ${clock(domain[0])}: peak ${rate(peak)}/s`),
        svg('line', { class: 'axis', x1: 0, y1: h - 0.5, x2: w, y2: h - 0.5 }),
        area ? svg('path', { class: 'spark-area', d: area }) : null,
        d ? svg('path', { class: 'spark-line', d }) : null,
        dot ? svg('circle', { class: 'spark-dot', cx: dot[0], cy: dot[1], r: 2 }) : null);
    }

    function chart(points, now) {
      const W = 720, H = 190, left = 52, right = 56, top = 10, bottom = 22;
      const box = [left, W - right, top, H - bottom];
      const domain = timeDomain(points, now);
      const rateMax = niceMax(1.1 * Math.max(0, ...points.map(p => p.rate || 0)));
      const losses = points.map(p => p.loss).filter(present);
      const lossMax = losses.length ? Math.min(1, niceMax(1.1 * Math.max(...losses))) : null;
      const parts = [];
      for (const f of [0, 0.5, 1]) {
        const y = box[3] - (box[3] - box[2]) * f;
        parts.push(svg('line', { class: f === 0 ? 'axis' : 'grid', x1: left, x2: W - right, y1: y, y2: y }));
        parts.push(svg('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, tick(rateMax * f)));
        if (lossMax !== null) parts.push(svg('text', { x: W - right + 4, y: y + 3 }, `${tick(lossMax * f * 100)} %`));
      }
      const span = domain[1] - domain[0];
      const step = [5, 10, 15, 30, 60, 120].map(s => s * 1000).find(s => span / s <= 6) || 120000;
      for (let back = 0; back <= span; back += step) {
        const x = box[1] - (box[1] - box[0]) * back / span;
        parts.push(svg('line', { class: 'grid', x1: x, x2: x, y1: box[2], y2: box[3] }));
        parts.push(svg('text', { x, y: H - 6, 'text-anchor': back === 0 ? 'end' : 'middle' }, ago(back)));
      }
      const rates = line(points, 'rate', domain, rateMax, box);
      if (rates.area) parts.push(svg('path', { class: 'rate-area', d: rates.area }));
      if (rates.d) parts.push(svg('path', { class: 'rate-line', d: rates.d }));
      if (lossMax !== null) {
        const loss = line(points, 'loss', domain, lossMax, box);
        if (loss.d) parts.push(svg('path', { class: 'loss-line', d: loss.d }));
      }
      return svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img',
                         'aria-label': 'drop rate and loss ratio over time' }, parts);
    }

    function reasonLabel(reason) {
      return el('span', { class: 'reason', title: reason.description }, reason.reason);
    }

    function reasonsCell(reasons) {
      const shown = reasons.slice(0, 2);
      const first = reasons.find(r => present(r.description));
      return [
        el('div', {}, shown.map((r, i) => [i ? ', ' : '', reasonLabel(r), ' ',
                                           el('span', { class: 'num muted' }, count(r.drops))]),
           reasons.length > shown.length ? el('span', { class: 'muted' }, ` +${reasons.length - shown.length}`) : null),
        first ? el('div', { class: 'desc' }, `${first.reason}: ${first.description}`) : null,
      ];
    }

    function row(customer, now) {
      const id = String(customer.customer);
      const name = present(customer.name) && customer.name !== '' ? customer.name : null;
      const loss = present(customer.loss_ratio) ? customer.loss_ratio : null;
      const tr = el('tr', { 'data-customer': id, tabindex: 0, class: id === shownCustomer() ? 'selected' : null,
                           title: SPECIAL[id] ? `${id}: ${SPECIAL[id]}` : null },
        el('td', { class: 'customer' }, id),
        el('td', { class: name ? 'name' : 'name unnamed' }, name || '—'),
        el('td', { class: 'rate num', 'data-value': customer.rate }, rate(customer.rate)),
        el('td', { class: `loss num ${lossClass(loss)}`, 'data-value': loss }, percent(loss)),
        el('td', { class: 'drops num', 'data-value': customer.drops }, count(customer.drops)),
        el('td', { class: 'tagged num', 'data-value': customer.tagged_packets }, count(customer.tagged_packets)),
        el('td', { class: 'reasons' }, reasonsCell(customer.top_reasons || [])),
        el('td', { class: 'trend' }, sparkline(state.history.get(id) || [], now)));
      return tr;
    }

    let topCustomer = null;
    const shownCustomer = () => state.selected !== null ? state.selected : topCustomer;

    function renderList(list, now) {
      const customers = list.customers || [];
      topCustomer = customers.length ? String(customers[0].customer) : null;
      const body = document.getElementById('rows');
      // Rows are rebuilt at each poll: keep the keyboard focus on the same customer.
      const focused = body.contains(document.activeElement) ? document.activeElement.dataset.customer : undefined;
      body.replaceChildren(...(customers.length ? customers.map(c => row(c, now))
        : [el('tr', { class: 'empty' }, el('td', { colspan: 8, class: 'muted' },
            'No drops counted yet: customers appear here as the kernel drops their packets.'))]));
      if (focused !== undefined) {
        const row = body.querySelector(`tr[data-customer="${CSS.escape(focused)}"]`);
        if (row) row.focus();
      }
      const tracked = list.tracked_customers, evicted = list.evicted_customers;
      document.getElementById('summary').textContent = present(tracked)
        ? `${count(tracked)} tracked${evicted ? `, ${count(evicted)} evicted` : ''}` +
          (tracked > customers.length ? ` · top ${customers.length} shown` : '')
        : '';
    }

    function renderSortControls() {
      for (const link of document.querySelectorAll('[data-sort]')) {
        link.setAttribute('aria-current', String(link.dataset.sort === state.sort));
      }
      for (const arrow of document.querySelectorAll('[data-arrow]')) {
        arrow.textContent = arrow.dataset.arrow === state.sort ? '▼' : '';
      }
    }

    function table(caption, headings, rows, empty) {
      return el('div', {},
        el('h3', {}, caption),
        rows.length
          ? el('table', {}, el('thead', {}, el('tr', {}, headings.map(h => el('th', { class: h.num ? 'num' : null }, h.text)))),
               el('tbody', {}, rows))
          : el('p', { class: 'muted' }, empty));
    }

    function share(drops, total) {
      const fraction = total > 0 ? drops / total : 0;
      return el('td', { class: 'num' },
        el('span', { class: 'share', style: `width:${Math.round(fraction * 60)}px` }), ' ',
        `${(fraction * 100).toFixed(0)} %`);
    }

    function stat(label, ...values) {
      return [el('dt', {}, label), el('dd', { class: 'num' }, values.join(' · '))];
    }

    function renderDetail(detail, now) {
      const pane = document.getElementById('detail');
      const id = String(detail.customer);
      const name = present(detail.name) && detail.name !== '' ? detail.name : null;
      const rates = detail.rates || {}, losses = detail.loss_ratios || {};
      const reasons = detail.reasons || [], functions = detail.functions || [], devices = detail.devices || [];
      const total = detail.drops || 0;
      pane.className = '';
      pane.dataset.customer = id;
      pane.replaceChildren(
        el('div', { class: 'detail-head' },
          el('h2', {}, 'customer ', el('span', { class: 'id' }, id), ' ',
             el('span', { class: name ? 'name' : 'name muted' }, name ? `· ${name}` : '· —')),
          SPECIAL[id] ? el('span', { class: 'muted' }, SPECIAL[id]) : null,
          detail.evicted ? el('span', { class: 'badge', title: 'the totals are exact; the detail was evicted and covers only drops since it restarted' }, 'detail evicted') : null,
          state.selected !== null
            ? el('button', { type: 'button', id: 'follow-top' }, 'follow the top customer')
            : el('span', { class: 'muted' }, '(the top customer; click a row to pick another)')),
        el('dl', { class: 'stats' },
          el('div', {}, stat('drops/s 10s · 1m · 5m', rate(rates['10s']), rate(rates['1m']), rate(rates['5m']))),
          el('div', { class: 'loss-ratios' },
             stat('loss 10s · 1m · 5m', percent(losses['10s']), percent(losses['1m']), percent(losses['5m']))),
          el('div', {}, stat('drops', `${count(detail.drops)} (${bytes(detail.bytes)})`)),
          el('div', {}, stat('tagged packets', present(detail.tagged_packets)
            ? `${count(detail.tagged_packets)} (${bytes(detail.tagged_bytes)})` : '—')),
          el('div', {}, stat('seen', present(detail.first_seen)
            ? `${clock(Date.parse(detail.first_seen))} – ${clock(Date.parse(detail.last_seen))}` : '—'))),
        el('div', { class: 'detail-body' },
          el('div', {},
            el('div', { class: 'legend' }, 'since ', clock(timeDomain(state.history.get(id) || [], now)[0]),
               el('span', { class: 'key' }), 'drops/s (10 s)', el('span', { class: 'key loss' }), 'loss ratio'),
            chart(state.history.get(id) || [], now)),
          el('div', { class: 'breakdowns' },
            table('reasons', [{ text: 'reason' }, { text: 'drops', num: true }, { text: 'share', num: true }],
              reasons.map(r => el('tr', { 'data-reason': r.reason },
                el('td', { class: 'wrap' }, reasonLabel(r), present(r.description) ? el('div', { class: 'desc' }, r.description) : null),
                el('td', { class: 'num' }, count(r.drops)), share(r.drops, total))), 'no reasons kept'),
            table('drop sites', [{ text: 'kernel function' }, { text: 'drops', num: true }, { text: 'share', num: true }],
              functions.map(f => el('tr', { 'data-function': f.function },
                el('td', { class: 'reason' }, f.function), el('td', { class: 'num' }, count(f.drops)), share(f.drops, total))),
              'no drop sites kept'),
            table('devices', [{ text: 'interface' }, { text: 'netns' }, { text: 'drops', num: true }, { text: 'share', num: true }],
              devices.map(d => el('tr', {},
                el('td', {}, present(d.interface) ? d.interface : `ifindex ${d.ifindex}`),
                el('td', { class: present(d.netns_name) ? null : 'num' }, present(d.netns_name) ? d.netns_name : d.netns),
                el('td', { class: 'num' }, count(d.drops)), share(d.drops, total))),
              'no devices kept'))));
    }

    function renderNoDetail() {
      const pane = document.getElementById('detail');
      pane.className = 'empty';
      delete pane.dataset.customer;
      pane.replaceChildren(el('p', { class: 'muted' }, 'No customer to show yet.'));
    }

    function setError(error) {
      const banner = document.getElementById('error');
      const updated = document.getElementById('updated');
      if (!error) {
        banner.hidden = true;
        banner.textContent = '';
        delete banner.dataset.status;
        updated.className = 'updated';
        return;
      }
      banner.hidden = false;
      banner.dataset.status = String(error.status || 0);
      const since = state.lastSuccess ? ` The page shows data from ${clock(state.lastSuccess)}.` : '';
      banner.textContent = `Cannot read ${error.path || 'the API'}: ${error.message}.${since}`;
      updated.className = 'updated failing';
    }

    function setUpdated(now) {
      state.lastSuccess = now;
      document.getElementById('updated-text').textContent = `updated ${clock(now)}, every ${POLL_MS / 1000} s`;
    }

    async function poll() {
      if (state.inflight) { state.again = true; return; }
      state.inflight = true;
      clearTimeout(state.timer);
      try {
        const list = await fetchList();
        const now = Date.now();
        const listed = new Set();
        for (const c of list.customers || []) {
          listed.add(String(c.customer));
          record(String(c.customer), { t: now, rate: c.rate, loss: present(c.loss_ratio) ? c.loss_ratio : null });
        }
        forget(now);
        renderList(list, now);
        const id = shownCustomer();
        if (id !== null) {
          const detail = await getJSON('api/v1/customers/' + encodeURIComponent(id));
          if (!listed.has(id)) {
            const loss = detail.loss_ratios ? detail.loss_ratios['10s'] : detail.loss_ratio;
            record(id, { t: now, rate: detail.rates ? detail.rates['10s'] : null, loss: present(loss) ? loss : null });
          }
          renderDetail(detail, now);
        } else {
          renderNoDetail();
        }
        setUpdated(now);
        setError(null);
      } catch (error) {
        setError(error);
      }
      state.inflight = false;
      if (state.again) { state.again = false; poll(); } else { state.timer = setTimeout(poll, POLL_MS); }
    }

    function rememberInURL() {
      const query = new URLSearchParams(location.search);
      if (state.sort === 'rate') query.delete('sort'); else query.set('sort', state.sort);
      if (state.selected === null) query.delete('customer'); else query.set('customer', state.selected);
      const text = query.toString();
      history.replaceState(null, '', text ? '?' + text : location.pathname);
    }

    function select(id) {
      state.selected = id;
      rememberInURL();
      for (const tr of document.querySelectorAll('#rows tr[data-customer]')) {
        tr.classList.toggle('selected', tr.dataset.customer === shownCustomer());
      }
      poll();
    }

    document.getElementById('rows').addEventListener('click', event => {
      const tr = event.target.closest('tr[data-customer]');
      if (tr) select(tr.dataset.customer);
    });
    document.getElementById('rows').addEventListener('keydown', event => {
      const tr = event.target.closest('tr[data-customer]');
      if (tr && (event.key === 'Enter' || event.key === ' ')) { event.preventDefault(); select(tr.dataset.customer); }
    });
    document.getElementById('detail').addEventListener('click', event => {
      if (event.target.id === 'follow-top') select(null);
    });
    for (const link of document.querySelectorAll('[data-sort]')) {
      link.addEventListener('click', event => {
        event.preventDefault();
        state.sort = link.dataset.sort;
        rememberInURL();
        renderSortControls();
        poll();
      });
    }
    renderSortControls();
    poll();
    })();
    """#
}
