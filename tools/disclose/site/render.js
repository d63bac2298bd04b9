// Boai Ledger disclosure page: drawing the statement (tables, chart, summary).
// Only DOM APIs with textContent: nothing from the statement is ever parsed as
// HTML. Money is integer fen, shown as yuan with integer (BigInt) arithmetic.
(function () {
  'use strict';

  const t = (k, p) => window.BoaiI18n.t(k, p);

  // fen (Number or BigInt) -> "1,234.56" (or "-1,234.56").
  function yuan(fen) {
    if (fen === null || fen === undefined) return t('none');
    let v = BigInt(fen);
    const neg = v < 0n;
    if (neg) v = -v;
    const whole = (v / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    const cents = (v % 100n).toString().padStart(2, '0');
    return (neg ? '-' : '') + whole + '.' + cents;
  }

  // n/d as a percentage with one decimal, by integer arithmetic; null if d <= 0.
  function percent(n, d) {
    n = BigInt(n); d = BigInt(d);
    if (d <= 0n) return null;
    const tenths = (n * 1000n + d / 2n) / d;
    return { text: (tenths / 10n).toString() + '.' + (tenths % 10n).toString(), tenths: tenths };
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' || typeof c === 'bigint' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  // A link to an entry: to its row if the page shows one, else to "find my gift".
  function entryLink(index) {
    if (index === null || index === undefined) return t('none');
    return el('a', { href: '#entry-' + index, 'data-entry': index, class: 'entry' }, '#' + index);
  }

  function section(id, titleKey, ...content) {
    return el('section', { id: id, 'aria-labelledby': id + '-h' }, el('h2', { id: id + '-h' }, t(titleKey)), ...content);
  }

  // Columns whose values must not wrap (dates, entry links).
  const NOWRAP = new Set(['col.date', 'col.index', 'col.month', 'col.window']);

  // columns: [{h: i18n key, v: row => text|Node, num: bool}]; rowId: row => id.
  function table(captionKey, columns, rows, opts) {
    opts = opts || {};
    const cap = t(captionKey);
    const thead = el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null }, t(c.h)))));
    const tbody = el('tbody', {}, rows.map((r) => el('tr', { id: opts.rowId ? opts.rowId(r) : null, class: opts.rowClass ? opts.rowClass(r) : null },
      columns.map((c, k) => el(k === 0 && opts.rowHeader ? 'th' : 'td', { class: c.num ? 'num' : (NOWRAP.has(c.h) ? 'nowrap' : null), scope: k === 0 && opts.rowHeader ? 'row' : null }, c.v(r))))));
    const parts = [el('caption', { class: opts.showCaption ? null : 'visually-hidden' }, cap), thead, tbody];
    if (opts.foot) parts.push(el('tfoot', {}, el('tr', {}, opts.foot.map((f, k) => el(k === 0 ? 'th' : 'td', { class: k > 0 ? 'num' : null, scope: k === 0 ? 'row' : null }, f)))));
    if (rows.length === 0) parts.push(el('tbody', {}, el('tr', {}, el('td', { colspan: columns.length, class: 'empty' }, t('none')))));
    return el('div', { class: 'table-wrap', role: 'region', 'aria-label': cap, tabindex: '0' }, el('table', {}, parts));
  }

  const code = (s) => el('code', {}, s);
  const reversed = (r) => (r.reversed_by === null ? '' : el('span', { class: 'reversed' }, t('reversed.by'), entryLink(r.reversed_by)));
  const channel = (c) => t('channel.' + c);
  const fundLabel = (names, id) => (names.get(id) ? names.get(id) : id);

  function summary(s) {
    const card = (k, v, money) => el('div', { class: 'card' }, el('dt', {}, t(k)), el('dd', {}, money ? '¥' + yuan(v) : String(v)));
    const gifts = s.income.by_channel.reduce((a, r) => a + BigInt(r.count), 0n);
    return section('summary', 'sec.summary',
      el('dl', { class: 'cards' },
        card('sum.income', s.income.total, true), card('sum.donations', s.income.donations, true),
        card('sum.grants', s.income.grants, true), card('sum.matching', s.income.matching, true),
        card('sum.payments', s.payments.total, true), card('sum.gifts', gifts, false),
        card('sum.payments.count', s.payments.count, false)),
      el('p', { class: 'note' }, t('unit.note')));
  }

  function income(s, names) {
    const f = s.income.by_fund;
    return section('income', 'sec.income',
      el('h3', {}, t('sec.income.channel')),
      table('sec.income.channel', [
        { h: 'col.channel', v: (r) => channel(r.channel) },
        { h: 'col.count', v: (r) => String(r.count), num: true },
        { h: 'col.amount', v: (r) => yuan(r.amount), num: true }],
      s.income.by_channel, { rowHeader: true }),
      el('h3', {}, t('sec.income.fund')),
      table('sec.income.fund', [
        { h: 'col.fund', v: (r) => r.name || r.fund },
        { h: 'col.donations', v: (r) => yuan(r.donations), num: true },
        { h: 'col.grants', v: (r) => yuan(r.grants), num: true },
        { h: 'col.matching', v: (r) => yuan(r.matching), num: true },
        { h: 'col.total', v: (r) => yuan(r.total), num: true }],
      f, { rowHeader: true, foot: [t('col.total'), yuan(s.income.donations), yuan(s.income.grants), yuan(s.income.matching), yuan(s.income.total)] }));
  }

  function payments(s, names) {
    return section('payments', 'sec.payments',
      el('h3', {}, t('sec.payments.programme')),
      table('sec.payments.programme', [
        { h: 'col.fund', v: (r) => r.name || r.fund },
        { h: 'col.programme', v: (r) => (r.programme === null ? t('general') : r.programme) },
        { h: 'col.count', v: (r) => String(r.count), num: true },
        { h: 'col.amount', v: (r) => yuan(r.amount), num: true }],
      s.payments.by_programme, { rowHeader: true, foot: [t('col.total'), '', String(s.payments.count), yuan(s.payments.total)] }),
      el('h3', {}, t('sec.payments.items')),
      table('sec.payments.items', [
        { h: 'col.index', v: (r) => entryLink(r.index) },
        { h: 'col.date', v: (r) => r.date },
        { h: 'col.fund', v: (r) => fundLabel(names, r.fund) },
        { h: 'col.programme', v: (r) => (r.programme === null ? t('general') : r.programme + (r.tier ? ' · ' + r.tier : '')) },
        { h: 'col.purpose', v: (r) => r.purpose },
        { h: 'col.method', v: (r) => t('method.' + r.method) },
        { h: 'col.amount', v: (r) => yuan(r.amount), num: true },
        { h: 'col.reversed_by', v: reversed }],
      s.payments.items, { rowId: (r) => 'entry-' + r.index, rowClass: (r) => (r.reversed_by === null ? null : 'is-reversed') }));
  }

  function campaigns(s, names) {
    const progress = (r) => {
      const got = BigInt(r.raised) + BigInt(r.matched_net);
      const p = percent(got, r.target);
      if (!p) return t('none');
      const pct = Number(p.tenths > 1000n ? 1000n : (p.tenths < 0n ? 0n : p.tenths)) / 10;
      const bar = el('span', { class: 'bar' }, el('span', { class: 'fill' }));
      bar.firstChild.style.width = pct + '%';
      return el('span', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct,
        'aria-valuetext': t('progress.label', { pct: p.text }) }, bar, el('span', { class: 'pct' }, p.text + '%'));
    };
    return section('campaigns', 'sec.campaigns', table('sec.campaigns', [
      { h: 'col.name', v: (r) => el('span', {}, r.name, el('br'), el('small', {}, r.id)) },
      { h: 'col.platform', v: (r) => r.platform },
      { h: 'col.window', v: (r) => r.start + ' – ' + r.end },
      { h: 'col.target', v: (r) => yuan(r.target), num: true },
      { h: 'col.raised', v: (r) => yuan(r.raised), num: true },
      { h: 'col.gifts', v: (r) => String(r.gifts), num: true },
      { h: 'col.matched', v: (r) => yuan(r.matched), num: true },
      { h: 'col.clawed_back', v: (r) => yuan(r.clawed_back), num: true },
      { h: 'col.matched_net', v: (r) => yuan(r.matched_net), num: true },
      { h: 'col.settled', v: (r) => yuan(r.settled), num: true },
      { h: 'col.progress', v: progress }],
    s.campaigns, { rowHeader: true, rowId: (r) => 'entry-' + r.index }));
  }

  function funds(s) {
    return section('funds', 'sec.funds', table('sec.funds', [
      { h: 'col.fund', v: (r) => el('span', {}, r.name, el('br'), el('small', {}, r.id)) },
      { h: 'col.restricted', v: (r) => t(r.restricted ? 'yes' : 'no') },
      { h: 'col.purpose_text', v: (r) => r.purpose },
      { h: 'col.opening', v: (r) => yuan(r.opening), num: true },
      { h: 'col.income', v: (r) => yuan(r.income), num: true },
      { h: 'col.payments', v: (r) => yuan(r.payments), num: true },
      { h: 'col.closing', v: (r) => yuan(r.closing), num: true }],
    s.funds, { rowHeader: true, rowId: (r) => 'entry-' + r.index }));
  }

  function inKind(s, names) {
    return section('in-kind', 'sec.in_kind', table('sec.in_kind', [
      { h: 'col.index', v: (r) => entryLink(r.index) },
      { h: 'col.date', v: (r) => r.date },
      { h: 'col.donor', v: (r) => r.donor },
      { h: 'col.description', v: (r) => r.description },
      { h: 'col.quantity', v: (r) => String(r.quantity) + ' ' + r.unit, num: true },
      { h: 'col.valuation', v: (r) => t('valuation.' + r.method) },
      { h: 'col.amount', v: (r) => yuan(r.amount), num: true },
      { h: 'col.fund', v: (r) => fundLabel(names, r.fund) },
      { h: 'col.evidence_sha256', v: (r) => el('code', { class: 'hash', title: r.evidence_sha256 }, r.evidence_sha256.slice(0, 12) + '…') },
      { h: 'col.reversed_by', v: reversed }],
    s.in_kind, { rowClass: (r) => (r.reversed_by === null ? null : 'is-reversed') }));
  }

  function aid(s) {
    return section('aid', 'sec.aid', table('sec.aid', [
      { h: 'col.programme', v: (r) => el('span', {}, r.name || r.programme, el('br'), el('small', {}, r.programme)) },
      { h: 'col.tier', v: (r) => r.tier },
      { h: 'col.count', v: (r) => String(r.count), num: true },
      { h: 'col.amount', v: (r) => yuan(r.amount), num: true }],
    s.aid, { rowHeader: true }));
  }

  function corrections(s) {
    return section('corrections', 'sec.corrections', table('sec.corrections', [
      { h: 'col.index', v: (r) => entryLink(r.index) },
      { h: 'col.date', v: (r) => r.date },
      { h: 'col.kind', v: (r) => t('kind.' + r.kind) },
      { h: 'col.corrects', v: (r) => (r.corrects === null ? t('none') : el('span', {}, entryLink(r.corrects), ' ', r.corrects_kind ? t('kind.' + r.corrects_kind) : '')) },
      { h: 'col.receipt', v: (r) => (r.receipt_book === null ? '' : r.receipt_book + ' ' + r.receipt_number) },
      { h: 'col.amount', v: (r) => (r.amount === null ? '' : yuan(r.amount)), num: true },
      { h: 'col.reason', v: (r) => r.reason }],
    s.corrections, { rowId: (r) => 'entry-' + r.index }));
  }

  function donors(s, names) {
    return section('donors', 'sec.donors', table('sec.donors', [
      { h: 'col.index', v: (r) => entryLink(r.index) },
      { h: 'col.date', v: (r) => r.date },
      { h: 'col.display', v: (r) => r.display },
      { h: 'col.amount', v: (r) => yuan(r.amount), num: true },
      { h: 'col.channel', v: (r) => channel(r.channel) },
      { h: 'col.income_type', v: (r) => t('income.' + r.income) },
      { h: 'col.fund', v: (r) => fundLabel(names, r.fund) + (r.campaign ? ' · ' + r.campaign : '') },
      { h: 'col.receipt', v: (r) => (r.receipt_book === null ? '' : r.receipt_book + ' ' + r.receipt_number) },
      { h: 'col.reversed_by', v: reversed }],
    s.donors, { rowId: (r) => 'entry-' + r.index, rowClass: (r) => (r.reversed_by === null ? null : 'is-reversed') }));
  }

  function indicators(s) {
    // The current count of an id: latest date, then highest index.
    const current = new Map();
    for (const r of s.indicators) {
      const c = current.get(r.id);
      if (!c || r.date > c.date || (r.date === c.date && r.index > c.index)) current.set(r.id, r);
    }
    return section('indicators', 'sec.indicators', table('sec.indicators', [
      { h: 'col.name', v: (r) => r.name },
      { h: 'col.value', v: (r) => String(r.value) + ' ' + r.unit, num: true },
      { h: 'col.date', v: (r) => r.date + (current.get(r.id) === r ? '' : ' (' + t('indicator.superseded') + ')') },
      { h: 'col.index', v: (r) => entryLink(r.index) }],
    s.indicators, { rowHeader: true, rowClass: (r) => (current.get(r.id) === r ? null : 'is-superseded') }));
  }

  // Months from..to as "YYYY-MM".
  function monthsOf(from, to) {
    const out = [];
    let y = Number(from.slice(0, 4)), m = Number(from.slice(5, 7));
    const end = to.slice(0, 7);
    for (let guard = 0; guard < 1200; guard++) {
      const k = String(y).padStart(4, '0') + '-' + String(m).padStart(2, '0');
      out.push(k);
      if (k >= end) break;
      if (++m > 12) { m = 1; y++; }
    }
    return out;
  }

  const PALETTE = ['#1b6ca8', '#c0392b', '#2e8b57', '#8e44ad', '#d35400', '#16a085', '#7f6a00', '#5d6d7e'];
  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const c of children) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    return e;
  }

  // Stacked bars per month: income per fund above the axis, payments below.
  function chart(s, names) {
    const months = monthsOf(s.period.from, s.period.to);
    const funds = Array.from(new Set(s.monthly.map((r) => r.fund))).sort(window.BoaiFigures.cmp);
    const color = (f) => PALETTE[funds.indexOf(f) % PALETTE.length];
    const cell = new Map(s.monthly.map((r) => [r.month + ' ' + r.fund, r]));
    let maxIn = 0n, maxOut = 0n;
    for (const m of months) {
      let i = 0n, o = 0n;
      for (const f of funds) {
        const r = cell.get(m + ' ' + f);
        if (r) { if (BigInt(r.income) > 0n) i += BigInt(r.income); if (BigInt(r.payments) > 0n) o += BigInt(r.payments); }
      }
      if (i > maxIn) maxIn = i;
      if (o > maxOut) maxOut = o;
    }
    const content = [];
    if (maxIn === 0n && maxOut === 0n) {
      content.push(el('p', {}, t('chart.empty')));
    } else {
      const W = 760, H = 320, left = 96, right = 12, top = 16, bottom = 40;
      const plotH = H - top - bottom;
      const total = maxIn + maxOut;
      // Pixel geometry only: amounts become pixel heights here, never figures.
      const scale = (v) => Number(v * 1000000n / total) / 1000000 * plotH;
      const zeroY = top + scale(maxIn);
      const slot = (W - left - right) / months.length;
      const barW = Math.max(2, Math.min(40, slot * 0.35));
      const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'chart-title chart-desc', class: 'chart' },
        svg('title', { id: 'chart-title' }, t('sec.chart')), svg('desc', { id: 'chart-desc' }, t('chart.desc')));
      root.appendChild(svg('line', { x1: left, x2: W - right, y1: zeroY, y2: zeroY, class: 'axis' }));
      const label = (y, text) => root.appendChild(svg('text', { x: left - 6, y: y, class: 'tick', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, text));
      label(zeroY, '0');
      if (maxIn > 0n) label(top, '¥' + yuan(maxIn));
      if (maxOut > 0n) label(H - bottom, '-¥' + yuan(maxOut));
      months.forEach((m, k) => {
        const x = left + slot * k + slot / 2;
        let yi = zeroY, yo = zeroY;
        for (const f of funds) {
          const r = cell.get(m + ' ' + f);
          if (!r) continue;
          const fname = fundLabel(names, f);
          if (BigInt(r.income) > 0n) {
            const h = scale(BigInt(r.income));
            yi -= h;
            root.appendChild(svg('rect', { x: x - barW - 1, y: yi, width: barW, height: Math.max(h, 0.5), fill: color(f) },
              svg('title', {}, t('chart.tip', { month: m, fund: fname, what: t('chart.income'), amount: yuan(r.income) }))));
          }
          if (BigInt(r.payments) > 0n) {
            const h = scale(BigInt(r.payments));
            root.appendChild(svg('rect', { x: x + 1, y: yo, width: barW, height: Math.max(h, 0.5), fill: color(f), class: 'out' },
              svg('title', {}, t('chart.tip', { month: m, fund: fname, what: t('chart.payments'), amount: yuan(r.payments) }))));
            yo += h;
          }
        }
        if (months.length <= 24 || k % Math.ceil(months.length / 24) === 0) {
          root.appendChild(svg('text', { x: x, y: H - bottom + 16, class: 'tick', 'text-anchor': 'middle' }, months.length > 12 ? m : m.slice(5)));
        }
      });
      content.push(root);
      content.push(el('ul', { class: 'legend' },
        funds.map((f) => { const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' }); sw.style.background = color(f); return el('li', {}, sw, fundLabel(names, f)); }),
        el('li', {}, el('span', { class: 'swatch solid', 'aria-hidden': 'true' }), t('chart.income')),
        el('li', {}, el('span', { class: 'swatch hatched', 'aria-hidden': 'true' }), t('chart.payments'))));
    }
    content.push(el('details', { class: 'monthly' }, el('summary', {}, t('sec.monthly')), table('sec.monthly', [
      { h: 'col.month', v: (r) => r.month },
      { h: 'col.fund', v: (r) => fundLabel(names, r.fund) },
      { h: 'col.income', v: (r) => yuan(r.income), num: true },
      { h: 'col.payments', v: (r) => yuan(r.payments), num: true }],
    s.monthly, { rowHeader: true })));
    return section('chart', 'sec.chart', ...content);
  }

  window.BoaiRender = {
    yuan, percent, el, entryLink, section, table, code,
    summary, income, payments, campaigns, funds, inKind, aid, corrections, donors, indicators, chart,
  };
})();
