// Boai Ledger disclosure page: every figure of the statement, recomputed from
// the listed leaves alone, exactly as docs/disclosure.md ("How every figure is
// computed") says, and compared with what the statement says.
//
// Money is summed as BigInt (integer fen); nothing here uses floating point for
// amounts. Leaves are parsed with JSON.parse: leaf numbers are integers within
// +-(2^53 - 1) (docs/leaf-format.md), so they are read exactly.
(function () {
  'use strict';

  const CHANNELS = ['cash', 'bank', 'online', 'in_kind'];
  // Fields that hold money (fen); the rest are counts, indexes or text.
  const MONEY = new Set(['total', 'donations', 'grants', 'matching', 'amount', 'target', 'raised',
    'matched', 'clawed_back', 'matched_net', 'settled_gifts', 'settled_matching', 'settled',
    'opening', 'income', 'payments', 'closing']);

  const S = (o, f) => (o && typeof o === 'object' && typeof o[f] === 'string' ? o[f] : '');
  const I = (o, f) => (o && typeof o === 'object' && Number.isSafeInteger(o[f]) ? BigInt(o[f]) : 0n);
  const orNull = (s) => (s === '' ? null : s);
  const hasPostings = (l) => Array.isArray(l.body.postings);

  // Byte order of UTF-8 = code point order, as std::map<std::string> sorts.
  function cmp(a, b) {
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) return d < 0 ? -1 : 1;
    }
    return x.length - y.length;
  }
  const cmpPair = (a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]);

  // A map keyed by a tuple of strings, iterated in sorted order.
  class TupleMap {
    constructor(init) { this.m = new Map(); this.init = init; }
    get(key) {
      const k = JSON.stringify(key);
      if (!this.m.has(k)) this.m.set(k, { key: key, v: this.init() });
      return this.m.get(k).v;
    }
    has(key) { return this.m.has(JSON.stringify(key)); }
    sorted() {
      return Array.from(this.m.values()).sort((a, b) => cmpPair([].concat(a.key, ''), [].concat(b.key, '')));
    }
  }

  class FigureError extends Error {
    constructor(code, params) { super(code); this.code = code; this.params = params; }
  }

  // listed: Map index(Number) -> {index, kind, body}, in index order.
  function compute(period, listed) {
    const fund = period.fund || '';
    const inPeriod = (d) => d !== '' && d >= period.from && d <= period.to;
    const touches = (l) => {
      if (fund === '') return true;
      if (!hasPostings(l)) return false;
      return l.body.postings.some((p) => S(p, 'fund') === fund);
    };
    const get = (index, by, what) => {
      const l = listed.get(Number(index));
      if (!l) throw new FigureError('not-listed', { by: by.index, kind: by.kind, what: what, index: Number(index) });
      return l;
    };

    let donations = 0n, grants = 0n, matching = 0n;
    const byChannel = new Map(CHANNELS.map((c) => [c, { amount: 0n, count: 0n }]));
    const byFund = new TupleMap(() => ({ donations: 0n, grants: 0n, matching: 0n }));
    const campaigns = new Map();
    const camp = (id) => {
      if (!campaigns.has(id)) campaigns.set(id, { raised: 0n, gifts: 0n, matched: 0n, clawed_back: 0n, settled_gifts: 0n, settled_matching: 0n });
      return campaigns.get(id);
    };
    const payments = { amount: 0n, count: 0n };
    const byProgramme = new TupleMap(() => ({ amount: 0n, count: 0n }));
    const aid = new TupleMap(() => ({ amount: 0n, count: 0n }));
    const fundPayments = new Map();
    const monthly = new TupleMap(() => ({ income: 0n, payments: 0n }));

    function count(l, sign, month) {
      const b = l.body;
      if (l.kind === 'gift') {
        const a = sign * I(b, 'amount');
        const f = byFund.get([S(b, 'fund')]);
        if (S(b, 'income') === 'grant') { grants += a; f.grants += a; } else { donations += a; f.donations += a; }
        if (!byChannel.has(S(b, 'channel'))) byChannel.set(S(b, 'channel'), { amount: 0n, count: 0n });
        const ch = byChannel.get(S(b, 'channel'));
        ch.amount += a; ch.count += sign;
        if (S(b, 'campaign') !== '') { const c = camp(S(b, 'campaign')); c.raised += a; c.gifts += sign; }
        monthly.get([month, S(b, 'fund')]).income += a;
      } else if (l.kind === 'match' || l.kind === 'match.clawback') {
        let a = sign * I(b, 'amount');
        const f = S(b.postings && b.postings[0], 'fund');
        const c = camp(S(b, 'campaign'));
        if (l.kind === 'match.clawback') { c.clawed_back += a; a = -a; } else { c.matched += a; }
        matching += a;
        byFund.get([f]).matching += a;
        monthly.get([month, f]).income += a;
      } else if (l.kind === 'settlement') {
        const c = camp(S(b, 'campaign'));
        c.settled_gifts += sign * I(b, 'gifts');
        c.settled_matching += sign * I(b, 'matching');
      } else if (l.kind === 'payment.approve') {
        const r = get(I(b, 'request'), l, 'request').body;
        const a = sign * I(r, 'amount');
        const f = S(r, 'fund');
        const programme = r.grant ? S(r.grant, 'programme') : '';
        payments.amount += a; payments.count += sign;
        const bp = byProgramme.get([f, programme]);
        bp.amount += a; bp.count += sign;
        fundPayments.set(f, (fundPayments.get(f) || 0n) + a);
        if (programme !== '') { const t = aid.get([programme, S(r.grant, 'tier')]); t.amount += a; t.count += sign; }
        monthly.get([month, f]).payments += a;
      }
    }

    const accountType = new Map(), fundName = new Map(), reversedBy = new Map(), receipts = new Map();
    const rulesName = new Map(), rulesVersion = new Map();
    for (const [i, l] of listed) {
      const b = l.body;
      if (l.kind === 'account.open') accountType.set(S(b, 'id'), S(b, 'type'));
      if (l.kind === 'fund.open') fundName.set(S(b, 'id'), S(b, 'name'));
      if (l.kind === 'reversal') reversedBy.set(Number(I(b, 'reverses')), i);
      if (l.kind === 'gift' && b.receipt) receipts.set(JSON.stringify([S(b.receipt, 'book'), Number(I(b.receipt, 'number'))]), i);
      if (l.kind === 'programme.rules' && I(b, 'version') > (rulesVersion.get(S(b, 'programme')) || 0n)) {
        rulesVersion.set(S(b, 'programme'), I(b, 'version'));
        rulesName.set(S(b, 'programme'), S(b, 'name'));
      }
    }
    const reversalOf = (i) => (reversedBy.has(i) ? reversedBy.get(i) : null);
    const amountOf = (t) => {
      if (t.kind === 'settlement') return I(t.body, 'gifts') + I(t.body, 'matching');
      if (t.kind === 'payment.approve') {
        const r = listed.get(Number(I(t.body, 'request')));
        return r ? I(r.body, 'amount') : 0n;
      }
      return I(t.body, 'amount');
    };

    const donors = [], inKind = [], items = [], corrections = [], indicators = [];
    const opening = new Map(), closing = new Map();
    const add = (m, k, v) => m.set(k, (m.get(k) || 0n) + v);
    for (const [i, l] of listed) {
      const b = l.body;
      const date = S(b, 'date');
      if (hasPostings(l) && date !== '' && date <= period.to) {
        for (const p of b.postings) {
          const type = accountType.get(S(p, 'account'));
          if (type !== 'income' && type !== 'expense' && type !== 'net_assets') continue;
          const net = -I(p, 'amount');
          add(closing, S(p, 'fund'), net);
          if (date < period.from) add(opening, S(p, 'fund'), net);
        }
      }
      const counted = inPeriod(date) && (hasPostings(l) ? touches(l) : true);
      if (!counted) continue;
      const month = date.slice(0, 7);
      if (l.kind === 'reversal') {
        const t = get(I(b, 'reverses'), l, 'reversed');
        count(t, -1n, month);
        corrections.push({ index: i, kind: 'reversal', date: date, corrects: t.index, corrects_kind: t.kind,
          amount: amountOf(t), receipt_book: null, receipt_number: null, reason: S(b, 'reason') });
        continue;
      }
      if (l.kind === 'receipt.void') {
        const k = JSON.stringify([S(b, 'book'), Number(I(b, 'number'))]);
        const g = receipts.has(k) ? receipts.get(k) : null;
        corrections.push({ index: i, kind: 'receipt.void', date: date, corrects: g, corrects_kind: g === null ? null : 'gift',
          amount: null, receipt_book: S(b, 'book'), receipt_number: I(b, 'number'), reason: S(b, 'reason') });
        continue;
      }
      if (l.kind === 'indicator') {
        indicators.push({ index: i, date: date, id: S(b, 'id'), name: S(b, 'name'), value: I(b, 'value'), unit: S(b, 'unit') });
        continue;
      }
      if (!hasPostings(l)) continue;
      count(l, 1n, month);
      if (l.kind === 'gift') {
        const display = b.donor ? S(b.donor, 'display') : '';
        donors.push({ index: i, date: date, display: display, amount: I(b, 'amount'), channel: S(b, 'channel'),
          income: S(b, 'income'), fund: S(b, 'fund'), campaign: orNull(S(b, 'campaign')),
          receipt_book: b.receipt ? S(b.receipt, 'book') : null,
          receipt_number: b.receipt ? I(b.receipt, 'number') : null, reversed_by: reversalOf(i) });
        if (b.in_kind) {
          const k = b.in_kind;
          inKind.push({ index: i, date: date, fund: S(b, 'fund'), description: S(k, 'description'),
            quantity: I(k, 'quantity'), unit: S(k, 'unit'), method: S(k, 'method'), amount: I(b, 'amount'),
            evidence_sha256: S(k, 'evidence_sha256'), donor: display, reversed_by: reversalOf(i) });
        }
      } else if (l.kind === 'payment.approve') {
        const r = get(I(b, 'request'), l, 'request').body;
        items.push({ index: i, request: I(b, 'request'), date: date, fund: S(r, 'fund'),
          programme: r.grant ? S(r.grant, 'programme') : null, tier: r.grant ? S(r.grant, 'tier') : null,
          purpose: S(r, 'purpose'), method: S(r, 'method'), amount: I(r, 'amount'), reversed_by: reversalOf(i) });
      }
    }

    const out = {};
    out.income = {
      total: donations + grants + matching, donations: donations, grants: grants, matching: matching,
      by_channel: CHANNELS.map((c) => ({ channel: c, amount: byChannel.get(c).amount, count: byChannel.get(c).count })),
      by_fund: byFund.sorted().map((e) => ({ fund: e.key[0], name: fundName.get(e.key[0]) || '',
        donations: e.v.donations, grants: e.v.grants, matching: e.v.matching,
        total: e.v.donations + e.v.grants + e.v.matching })),
    };
    out.payments = {
      total: payments.amount, count: payments.count,
      by_programme: byProgramme.sorted().map((e) => ({ fund: e.key[0], name: fundName.get(e.key[0]) || '',
        programme: orNull(e.key[1]), amount: e.v.amount, count: e.v.count })),
      items: items,
    };
    out.in_kind = inKind;
    out.campaigns = [];
    out.funds = [];
    for (const [i, l] of listed) {
      const b = l.body;
      if (l.kind === 'campaign.open') {
        const c = camp(S(b, 'id'));
        out.campaigns.push({ id: S(b, 'id'), index: i, name: S(b, 'name'), fund: S(b, 'fund'), platform: S(b, 'platform'),
          start: S(b, 'start'), end: S(b, 'end'), target: I(b, 'target'), raised: c.raised, gifts: c.gifts,
          matched: c.matched, clawed_back: c.clawed_back, matched_net: c.matched - c.clawed_back,
          settled_gifts: c.settled_gifts, settled_matching: c.settled_matching,
          settled: c.settled_gifts + c.settled_matching });
      } else if (l.kind === 'fund.open') {
        const id = S(b, 'id');
        const f = byFund.has([id]) ? byFund.get([id]) : { donations: 0n, grants: 0n, matching: 0n };
        out.funds.push({ id: id, index: i, name: S(b, 'name'), purpose: S(b, 'purpose'), restricted: b.restricted === true,
          opening: opening.get(id) || 0n, income: f.donations + f.grants + f.matching,
          payments: fundPayments.get(id) || 0n, closing: closing.get(id) || 0n });
      }
    }
    for (const id of campaigns.keys()) {
      if (!out.campaigns.some((c) => c.id === id)) throw new FigureError('campaign-not-listed', { campaign: id });
    }
    out.aid = aid.sorted().map((e) => ({ programme: e.key[0], name: rulesName.get(e.key[0]) || '', tier: e.key[1],
      count: e.v.count, amount: e.v.amount }));
    out.donors = donors;
    out.corrections = corrections;
    out.indicators = indicators;
    out.monthly = monthly.sorted().map((e) => ({ month: e.key[0], fund: e.key[1], income: e.v.income, payments: e.v.payments }));
    return out;
  }

  const SECTIONS = ['income', 'payments', 'in_kind', 'campaigns', 'funds', 'aid', 'donors', 'corrections', 'indicators', 'monthly'];

  // How a row of each table is named in a message.
  function rowKey(table, row) {
    switch (table) {
      case 'income.by_channel': return row.channel;
      case 'income.by_fund': return row.fund;
      case 'payments.by_programme': return row.fund + (row.programme === null ? '' : ' / ' + row.programme);
      case 'campaigns': return row.id;
      case 'funds': return row.id;
      case 'aid': return row.programme + ' / ' + row.tier;
      case 'monthly': return row.month + ' ' + row.fund;
      default: return '#' + row.index;
    }
  }

  function same(a, b) {
    if (typeof a === 'bigint') return (typeof b === 'number' && Number.isSafeInteger(b) && BigInt(b) === a);
    return a === b;
  }

  // The first difference between the recomputed figures and the statement, as
  // {table, row, field, statement, leaves, money}, or null if they agree.
  function compare(expected, statement) {
    function diff(table, row, field, want, got) {
      return { table: table, row: row, field: field, leaves: want, statement: got === undefined ? null : got, money: MONEY.has(field) };
    }
    function rows(table, want, got) {
      if (!Array.isArray(got)) return diff(table, null, 'rows', want.length, null);
      for (let k = 0; k < Math.max(want.length, got.length); k++) {
        const w = want[k], g = got[k];
        if (w === undefined) return { table: table, row: rowKey(table, g), field: null, extra: true };
        if (g === undefined || typeof g !== 'object' || g === null) return { table: table, row: rowKey(table, w), field: null, missing: true };
        for (const f of Object.keys(w)) {
          if (!same(w[f], g[f])) return diff(table, rowKey(table, w), f, w[f], g[f]);
        }
      }
      return null;
    }
    for (const sec of SECTIONS) {
      const want = expected[sec], got = statement[sec];
      if (Array.isArray(want)) {
        const d = rows(sec, want, got);
        if (d) return d;
        continue;
      }
      if (got === null || typeof got !== 'object') return diff(sec, null, sec, null, null);
      for (const f of Object.keys(want)) {
        const d = Array.isArray(want[f]) ? rows(sec + '.' + f, want[f], got[f])
          : (same(want[f], got[f]) ? null : diff(sec, null, f, want[f], got[f]));
        if (d) return d;
      }
    }
    return null;
  }

  window.BoaiFigures = { compute, compare, FigureError, MONEY, cmp };
})();
