// Boai Ledger disclosure page: start-up, the verification run, "find my gift"
// and the language toggle.
//
// The badge #verify-status carries data-state="pending" while the checks run,
// "verified" when every check passed, "failed" (with the first reason shown and
// every reason listed under Integrity) otherwise. What is checked, in order:
// the verifier key (well-formed, key id right, equal to a key pinned with
// #vkey=), the checkpoint's Ed25519 signature and origin, cosignatures (verified
// when the reader gives cosigner keys with #cosigner=; a named cosigner must have
// a valid cosignature), the previous checkpoint and the consistency proof, each
// listed leaf (index, version, leaf hash, inclusion proof, prev link to a listed
// predecessor), the period (kind, from, to and fund agree with its id), then every
// figure recomputed from the leaves (figures.js). A statement verified under its
// own key (no #vkey=) says so: a re-signed copy would verify the same way.
(function () {
  'use strict';

  const V = window.BoaiVerify, F = window.BoaiFigures, R = window.BoaiRender, I18N = window.BoaiI18n;
  const t = (k, p) => I18N.t(k, p);
  const el = R.el;

  // Reader options from the address: ?lang=en or #lang=en, #vkey=..., #cosigner=...
  // A verifier key's base64 may hold "+", which form decoding would turn into a space.
  const params = new URLSearchParams((location.search.slice(1) + '&' + location.hash.slice(1)).replace(/\+/g, '%2B'));

  const state = {
    s: window.BOAI_STATEMENT,
    status: 'pending',
    errors: [],            // [{code, params}] in the order found
    checks: [],            // [{key, ok, detail}] for the Integrity section
    entryResult: new Map(), // index -> null (ok) | {code, params}
    listed: new Map(),     // index -> {index, kind, body}
    checkpoint: null,
    cosigs: [],
    counted: new Set(),
    found: null,           // the last "find my gift" query
  };

  // ---------- verification ----------

  function fail(e, where) {
    const err = e instanceof V.VerifyError || e instanceof F.FigureError ? { code: e.code, params: e.params }
      : (e && e.code ? e : { code: 'exception', params: { message: String(e && e.message ? e.message : e) } });
    state.errors.push(err);
    if (where) state.checks.push({ key: where, ok: false, err: err });
    return err;
  }

  async function verifyAll() {
    const s = state.s;
    const ig = s.integrity;
    if (s.format !== 'boai-statement/1') { fail({ code: 'format', params: { format: s.format } }, 'verify.checkpoint'); return; }

    // The key and the checkpoint: nothing else means anything without them.
    let vkey, cp;
    try {
      vkey = await V.parseVerifierKey(ig.verifier_key, 0x01);
      const pinned = params.get('vkey');
      if (pinned && pinned !== ig.verifier_key) throw new V.VerifyError('vkey-pinned', { got: ig.verifier_key, want: pinned });
      cp = await V.verifyCheckpoint(ig.checkpoint, vkey, t('which.checkpoint'));
      if (cp.origin !== ig.origin) throw new V.VerifyError('origin', { got: cp.origin, want: ig.origin });
      if (cp.origin !== s.organisation.log) throw new V.VerifyError('origin', { got: cp.origin, want: s.organisation.log });
      state.checkpoint = cp;
      state.checks.push({ key: 'verify.checkpoint', ok: true, detail: t('verify.size', { size: cp.size, root: cp.rootB64 }) });
    } catch (e) {
      fail(e, 'verify.checkpoint');
      return;
    }

    await verifyCosignatures(cp, ig.cosignatures || []);
    await verifyPrevious(cp, vkey, ig.previous);
    const leavesOk = await verifyEntries(cp, ig.entries || []);
    verifyPeriod(s.period);
    if (leavesOk) verifyFigures(); else state.checks.push({ key: 'verify.figures', ok: false, err: { code: 'skipped' } });
  }

  async function verifyCosignatures(cp, lines) {
    const keys = [];
    for (const k of params.getAll('cosigner')) {
      try { keys.push(await V.parseVerifierKey(k, 0x04)); } catch (e) { fail(e, 'verify.cosigs'); }
    }
    for (const line of lines) {
      try {
        const c = V.parseCosignature(line);
        const key = keys.find((k) => k.name === c.name && V.equalBytes(k.keyId, c.keyId));
        c.verified = false;
        if (key) {
          if (!(await V.verifyCosignature(c, key, cp.text))) throw new V.VerifyError('cosig-invalid', { name: c.name });
          c.verified = true;
          c.key = key.text;
        }
        state.cosigs.push(c);
      } catch (e) {
        fail(e, 'verify.cosigs');
      }
    }
    // A cosigner the reader named must have cosigned this checkpoint.
    for (const k of keys) {
      if (!state.cosigs.some((c) => c.verified && c.key === k.text)) {
        fail({ code: 'cosig-missing', params: { name: k.name } }, 'verify.cosigs');
      }
    }
  }

  async function verifyPrevious(cp, vkey, prev) {
    if (prev === null || prev === undefined) return;
    try {
      const p = await V.verifyCheckpoint(prev.checkpoint, vkey, t('which.previous'));
      if (p.origin !== cp.origin) throw new V.VerifyError('origin', { got: p.origin, want: cp.origin });
      if (p.size !== prev.size) throw new V.VerifyError('previous-size', { got: p.size, want: prev.size });
      const proof = prev.consistency_proof.map((h, k) => V.hash32(h, 'consistency_proof[' + k + ']'));
      if (!(await V.verifyConsistency(p.size, cp.size, p.root, cp.root, proof))) {
        throw new V.VerifyError('consistency', { m: p.size, n: cp.size });
      }
      state.checks.push({ key: 'verify.previous', ok: true, detail: t('verify.previous.ok', { size: p.size }) });
    } catch (e) {
      fail(e, 'verify.previous');
    }
  }

  // Returns true if every listed leaf parsed (the figures need them all).
  async function verifyEntries(cp, entries) {
    let parsedAll = true, firstErr = null, last = -1, lastHash = null;
    for (const e of entries) {
      const index = e.index;
      let err = null;
      try {
        if (!Number.isSafeInteger(index) || index <= last) throw new V.VerifyError('entry-order', { index: index });
        const bytes = V.utf8(e.leaf);
        const h = await V.leafHash(bytes);
        let leaf;
        try { leaf = JSON.parse(e.leaf); } catch (x) { leaf = null; }
        if (leaf === null || typeof leaf !== 'object' || typeof leaf.body !== 'object' || leaf.body === null) {
          parsedAll = false;
          throw new V.VerifyError('entry-json', { index: index });
        }
        state.listed.set(index, { index: index, kind: String(leaf.kind), body: leaf.body });
        if (leaf.v !== 1) throw new V.VerifyError('entry-version', { index: index, v: leaf.v });
        if (leaf.index !== index) throw new V.VerifyError('entry-index', { index: index, got: leaf.index });
        if (!V.equalBytes(h, V.hash32(e.leaf_hash, 'entry ' + index + ' leaf_hash'))) throw new V.VerifyError('leaf-hash', { index: index });
        const path = e.inclusion_proof.map((p, k) => V.hash32(p, 'entry ' + index + ' inclusion_proof[' + k + ']'));
        const root = await V.rootFromInclusion(index, cp.size, h, path);
        if (root === null || !V.equalBytes(root, cp.root)) throw new V.VerifyError('inclusion', { index: index });
        if (lastHash !== null && last === index - 1 && leaf.prev !== V.hex(lastHash)) {
          throw new V.VerifyError('prev-link', { index: index, prev: last });
        }
        lastHash = h;
      } catch (x) {
        err = fail(x, null);
        if (firstErr === null) firstErr = err;
        lastHash = null;
      }
      last = Number.isSafeInteger(index) ? Math.max(last, index) : last;
      state.entryResult.set(index, err);
    }
    // The first failing entry, as the badge names it (errors are in the order found).
    if (firstErr === null) state.checks.push({ key: 'verify.entries', ok: true, detail: t('verify.entries.ok', { n: entries.length }) });
    else state.checks.push({ key: 'verify.entries', ok: false, err: firstErr });
    return parsedAll;
  }

  // The period a statement names must be the one its id means, as boai-audit
  // check-statement resolves it: a year, quarter or month has fixed dates and no
  // fund; a campaign starts on its listed campaign.open's start, ends no earlier
  // than its end, and is its fund's; a programme starts at the earliest
  // effective_from of its listed rules and has the newest rules' fund. (The end of
  // a campaign or programme period is the date of the ledger's newest entry, which
  // only check-statement can see.)
  function expectedPeriod(period) {
    const id = String(period.id), pad = (n) => String(n).padStart(2, '0');
    const last = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();
    let m;
    if ((m = /^(\d{4})$/.exec(id))) return { kind: 'year', from: id + '-01-01', to: id + '-12-31', fund: null };
    if ((m = /^(\d{4})Q([1-4])$/.exec(id))) {
      const y = Number(m[1]), q = Number(m[2]);
      return { kind: 'quarter', from: m[1] + '-' + pad(3 * q - 2) + '-01', to: m[1] + '-' + pad(3 * q) + '-' + pad(last(y, 3 * q)), fund: null };
    }
    if ((m = /^(\d{4})-(\d{2})$/.exec(id)) && Number(m[2]) >= 1 && Number(m[2]) <= 12) {
      return { kind: 'month', from: id + '-01', to: id + '-' + pad(last(Number(m[1]), Number(m[2]))), fund: null };
    }
    const bodies = [...state.listed.values()].sort((a, b) => a.index - b.index);
    const camp = bodies.find((l) => l.kind === 'campaign.open' && l.body.id === id);
    if (camp) return { kind: 'campaign', from: String(camp.body.start), minTo: String(camp.body.end), fund: String(camp.body.fund) };
    const rules = bodies.filter((l) => l.kind === 'programme.rules' && l.body.programme === id);
    if (rules.length > 0) {
      const from = rules.map((l) => String(l.body.effective_from)).sort()[0];
      return { kind: 'programme', from: from, minTo: from, fund: String(rules[rules.length - 1].body.fund) };
    }
    return null;
  }

  function verifyPeriod(period) {
    try {
      const p = period && typeof period === 'object' ? period : {};
      const want = expectedPeriod(p);
      if (want === null) throw { code: 'period-unknown', params: { id: String(p.id) } };
      if (p.kind !== want.kind) throw { code: 'period-kind', params: { id: p.id, kind: String(p.kind), want: want.kind } };
      const toOk = want.to !== undefined ? p.to === want.to : (typeof p.to === 'string' && p.to >= want.minTo);
      if (p.from !== want.from || !toOk) {
        throw { code: 'period-dates', params: { id: p.id, from: String(p.from), to: String(p.to), wantFrom: want.from,
          wantTo: want.to !== undefined ? want.to : '≥ ' + want.minTo } };
      }
      if ((p.fund === undefined ? null : p.fund) !== want.fund) {
        throw { code: 'period-fund', params: { id: p.id, fund: String(p.fund), want: String(want.fund) } };
      }
      state.checks.push({ key: 'verify.period', ok: true, detail: t('verify.period.ok', { id: p.id, from: p.from, to: p.to }) });
    } catch (e) {
      fail(e, 'verify.period');
    }
  }

  function verifyFigures() {
    const s = state.s;
    try {
      const fig = F.compute(s.period, state.listed);
      for (const r of fig.donors) state.counted.add(r.index);
      for (const r of fig.payments.items) state.counted.add(r.index);
      for (const r of fig.corrections) state.counted.add(r.index);
      const d = F.compare(fig, s);
      if (d) throw { code: d.missing ? 'figure.missing' : (d.extra ? 'figure.extra' : 'figure'), params: d };
      state.checks.push({ key: 'verify.figures', ok: true, detail: t('verify.figures.ok') });
    } catch (e) {
      fail(e, 'verify.figures');
    }
  }

  // An error in the current language.
  function reason(err) {
    if (!err) return '';
    if (err.code === 'skipped') return t('check.fail');
    const p = Object.assign({}, err.params);
    if (err.code === 'period-kind') {
      for (const k of ['kind', 'want']) if (I18N.has('periodkind.' + p[k])) p[k] = t('periodkind.' + p[k]);
    }
    if (err.code.startsWith('figure')) {
      p.table = I18N.tableName(p.table);
      p.row = p.row === null || p.row === undefined ? '' : ' ' + p.row;
      if (p.field) {
        const label = I18N.has('col.' + p.field) ? t('col.' + p.field).replace(/（元）| \(yuan\)/, '') : p.field;
        p.field = (I18N.lang() === 'en' ? ', ' + label.toLowerCase() : ' · ' + label);
      } else {
        p.field = '';
      }
      const show = (v) => (v === null || v === undefined ? 'null' : (p.money && (typeof v === 'number' || typeof v === 'bigint') ? '¥' + R.yuan(v) : String(v)));
      p.statement = show(err.params.statement);
      p.leaves = show(err.params.leaves);
      // Money is summed; a name, date or count the leaves give is not a sum.
      if (err.code === 'figure' && !p.money) return t('err.figure.value', p);
    }
    return t('err.' + err.code, p);
  }

  // ---------- drawing ----------

  function renderStatus() {
    const b = document.getElementById('verify-status');
    b.dataset.state = state.status;
    // Verified under the statement's own key unless the reader pinned one (#vkey=).
    const pinned = params.get('vkey') !== null;
    const text = state.status === 'pending' ? t('verify.pending')
      : state.status === 'verified' ? t(pinned ? 'verify.verified' : 'verify.verified.unpinned') : t('verify.failed', { reason: reason(state.errors[0]) });
    b.querySelector('.badge-text').textContent = text;
    if (state.status === 'verified') b.dataset.pinned = pinned ? 'yes' : 'no';
    if (state.status === 'failed') b.dataset.reason = state.errors[0].code;
  }

  function integritySection() {
    const s = state.s, ig = s.integrity;
    const checks = el('ul', { class: 'checks' }, state.checks.map((c) => el('li', { class: c.ok ? 'ok' : 'bad' },
      el('strong', {}, t(c.key) + t('colon')), c.ok ? t('check.ok') + (c.detail ? ' — ' + c.detail : '') : t('check.fail') + ' — ' + reason(c.err))));
    const more = state.errors.length > 1 ? el('details', {}, el('summary', {}, t('verify.checks') + ' (' + state.errors.length + ')'),
      el('ol', {}, state.errors.map((e) => el('li', {}, reason(e))))) : null;
    const cosigs = state.cosigs.length === 0 && (ig.cosignatures || []).length === 0 ? el('p', {}, t('verify.cosigs.none'))
      : el('ul', {}, state.cosigs.map((c) => el('li', {}, t('verify.cosig.row', {
        name: c.name, time: new Date(Number(c.time) * 1000).toISOString().replace('.000Z', 'Z'),
        state: c.verified ? t('verify.cosig.verified', { key: c.key }) : t('verify.cosig.unchecked') }))));
    return R.section('integrity', 'sec.integrity',
      el('p', {}, t('verify.explain')),
      el('h3', {}, t('verify.checks')), checks, more,
      el('p', { class: 'note' }, t('verify.limits')),
      el('h3', {}, t('verify.key')), el('p', {}, el('code', { class: 'wrap' }, ig.verifier_key)), el('p', { class: 'note' }, t('verify.key.note')),
      el('h3', {}, t('verify.checkpoint')), el('pre', { class: 'wrap' }, ig.checkpoint),
      el('dl', { class: 'facts' }, el('dt', {}, t('integrity.origin')), el('dd', {}, ig.origin),
        el('dt', {}, t('integrity.entries')), el('dd', {}, String((ig.entries || []).length))),
      el('h3', {}, t('verify.cosigs')), cosigs,
      el('h3', {}, t('verify.previous')), ig.previous ? el('pre', { class: 'wrap' }, ig.previous.checkpoint) : el('p', {}, t('verify.previous.none')),
      el('p', { class: 'note' }, t('integrity.download')),
      el('ul', { class: 'files' }, ['statement.json', 'income.csv', 'income_by_channel.csv', 'payments.csv', 'donors.csv', 'campaigns.csv',
        'funds.csv', 'in_kind.csv', 'corrections.csv', 'aid.csv', 'indicators.csv', 'monthly.csv']
        .map((f) => el('li', {}, el('a', { href: f }, f)))));
  }

  function findSection() {
    const form = el('form', { class: 'find', role: 'search', 'aria-describedby': 'find-help' },
      el('fieldset', {}, el('legend', {}, t('find.by')),
        el('label', {}, el('input', { type: 'radio', name: 'by', value: 'receipt', checked: true }), ' ', t('find.by.receipt')),
        el('label', {}, el('input', { type: 'radio', name: 'by', value: 'index' }), ' ', t('find.by.index'))),
      el('label', { for: 'find-q' }, t('find.label')),
      el('div', { class: 'find-row' }, el('input', { id: 'find-q', name: 'q', type: 'search', inputmode: 'text', autocomplete: 'off' }),
        el('button', { type: 'submit' }, t('find.button'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const by = form.querySelector('input[name=by]:checked').value;
      find(form.q.value, by);
    });
    return R.section('find', 'sec.find', el('p', { id: 'find-help' }, t('find.help')), form,
      el('div', { id: 'find-result', 'aria-live': 'polite' }));
  }

  // The listed leaf at an index, parsed (null if unparseable or not listed).
  function leafAt(index) {
    const e = state.s.integrity.entries.find((x) => x.index === index);
    if (!e) return null;
    try { const l = JSON.parse(e.leaf); return l && typeof l.body === 'object' && l.body !== null ? l : null; } catch (x) { return null; }
  }

  // A query as typed on a phone: NFKC (full-width ＨＢ２０１９ １３ and ＃４２ become
  // HB2019 13 and #42), "第13号" is 13, spaces trimmed.
  function normaliseQuery(q) {
    q = String(q).normalize('NFKC').trim().replace(/\s+/g, ' ');
    return q.replace(/第\s*(\d+)\s*[号號]?$/, ' $1').replace(/(\d)\s*[号號]$/, '$1').trim();
  }

  // Looks a gift up among the listed leaves by receipt ("17", "HB2019 17", "hb2019
  // 第17号", the receipt key "HB2019-0017"), by the gift's idempotency key (an online
  // gift's platform transaction id, e.g. "TX99-2019-1002"), or by entry index ("#42").
  // Book names and keys are compared without regard to case.
  function find(q, by) {
    state.found = { q: q, by: by };
    const out = document.getElementById('find-result');
    out.textContent = '';
    q = normaliseQuery(q);
    if (q === '') return;
    let indexes = [];
    const m = /^#\s*(\d+)$/.exec(q);
    if (m || by === 'index') {
      const n = Number(m ? m[1] : q.replace(/^#/, ''));
      if (state.s.integrity.entries.some((e) => e.index === n)) indexes = [n];
    } else {
      // Trailing digits are the number, what comes before them (less separators and
      // "No.") the book.
      const rm = /^(.*?)[\s\-#]*(?:No\.?\s*)?0*(\d+)$/i.exec(q);
      const number = rm ? Number(rm[2]) : NaN;
      const book = rm && rm[1] !== '' ? rm[1].toUpperCase() : null;
      const key = q.toUpperCase();
      for (const e of state.s.integrity.entries) {
        const l = leafAt(e.index);
        if (!l || l.kind !== 'gift') continue;
        const r = l.body.receipt;
        const byReceipt = r && r.number === number && (book === null || String(r.book).toUpperCase() === book);
        const byKey = typeof l.key === 'string' && l.key.toUpperCase() === key;
        if (byReceipt || byKey) indexes.push(e.index);
      }
    }
    if (indexes.length === 0) { out.appendChild(el('p', { class: 'notfound' }, t('find.none', { q: q }))); return; }
    if (indexes.length > 1) out.appendChild(el('p', {}, t('find.many', { n: indexes.length })));
    for (const i of indexes) out.appendChild(entryCard(i));
    out.querySelector('h3').focus();
  }

  // An entry as its leaf says it, with its own verification result.
  function entryCard(index) {
    const e = state.s.integrity.entries.find((x) => x.index === index);
    const leaf = leafAt(index);
    const b = leaf ? leaf.body : {};
    const res = state.entryResult.has(index) ? state.entryResult.get(index) : undefined;
    let verdict;
    if (state.status === 'pending') verdict = el('p', { class: 'entry-state', 'data-state': 'pending' }, t('find.entry.pending'));
    // Not reached by the entry checks (the checkpoint or the key failed first).
    else if (res === undefined) verdict = el('p', { class: 'entry-state', 'data-state': 'failed' }, t('find.entry.unverified', { reason: reason(state.errors[0]) }));
    else if (res === null && state.checkpoint) verdict = el('p', { class: 'entry-state', 'data-state': 'verified' }, t('find.entry.ok', { size: state.checkpoint.size }));
    else verdict = el('p', { class: 'entry-state', 'data-state': 'failed' }, t('find.entry.fail', { reason: reason(res || state.errors[0]) }));
    const pretty = leaf ? JSON.stringify(leaf, null, 2) : e.leaf;
    const kind = leaf ? String(leaf.kind) : '';
    const fact = (k, v) => (v === undefined || v === null || v === '' ? null : [el('dt', {}, t(k)), el('dd', {}, v)]);
    const reversal = state.s.integrity.entries.map((x) => leafAt(x.index)).find((l) => l && l.kind === 'reversal' && l.body.reverses === index);
    const amount = Number.isSafeInteger(b.amount) ? '¥' + R.yuan(b.amount) : null;
    return el('article', { class: 'entry-card', id: 'found-' + index },
      el('h3', { tabindex: '-1' }, t('find.found', { index: index }) + (kind ? ' · ' + (I18N.has('kind.' + kind) ? t('kind.' + kind) : kind) : '')),
      el('dl', { class: 'facts' },
        fact('col.date', typeof b.date === 'string' ? b.date : null),
        fact('col.display', b.donor && typeof b.donor.display === 'string' ? b.donor.display : null),
        fact('col.amount', amount),
        fact('col.channel', typeof b.channel === 'string' ? t('channel.' + b.channel) : null),
        fact('col.fund', typeof b.fund === 'string' ? b.fund : null),
        fact('col.campaign', typeof b.campaign === 'string' ? b.campaign : null),
        fact('col.receipt', b.receipt ? b.receipt.book + ' ' + b.receipt.number : null),
        reversal ? [el('dt', {}, t('col.reversed_by')), el('dd', {}, R.entryLink(reversal.index))] : null),
      verdict,
      state.counted.has(index) ? el('p', {}, t('find.counted')) : null,
      el('details', {}, el('summary', {}, t('find.leaf')), el('pre', { class: 'wrap leaf' }, pretty)));
  }

  function render() {
    const s = state.s;
    document.documentElement.lang = I18N.lang() === 'en' ? 'en' : 'zh-CN';
    document.title = t('title') + ' · ' + s.organisation.name + ' · ' + s.period.id;
    document.querySelectorAll('[data-i18n]').forEach((n) => { n.textContent = t(n.dataset.i18n); });
    const toggle = document.getElementById('lang-toggle');
    toggle.textContent = t('lang.toggle');
    toggle.lang = I18N.lang() === 'en' ? 'zh-CN' : 'en';
    toggle.setAttribute('aria-label', t('lang.toggle.label'));
    document.getElementById('subtitle').textContent = t('subtitle', { org: s.organisation.name, period: s.period.id, from: s.period.from, to: s.period.to })
      + (s.period.fund ? ' · ' + t('period.fund', { fund: s.period.fund }) : '');
    const names = new Map(s.funds.map((f) => [f.id, f.name]));
    for (const r of s.income.by_fund) if (!names.has(r.fund) && r.name) names.set(r.fund, r.name);
    const main = document.getElementById('main');
    main.textContent = '';
    const sections = [R.summary(s), R.income(s, names), R.payments(s, names), R.chart(s, names), R.campaigns(s, names), R.funds(s),
      R.inKind(s, names), R.aid(s), R.corrections(s), R.donors(s, names), R.indicators(s), findSection(), integritySection()];
    for (const sec of sections) main.appendChild(sec);
    const toc = document.querySelector('#toc ul');
    toc.textContent = '';
    for (const sec of sections) toc.appendChild(el('li', {}, el('a', { href: '#' + sec.id }, sec.querySelector('h2').textContent)));
    document.getElementById('footer-note').textContent = t('unit.note');
    renderStatus();
    if (state.found) {
      document.getElementById('find-q').value = state.found.q;
      find(state.found.q, state.found.by);
    }
  }

  // Entry links: to the row if one is shown, else through "find my gift".
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-entry]');
    if (!a) return;
    const row = document.getElementById('entry-' + a.dataset.entry);
    if (row) {
      document.querySelectorAll('.target').forEach((n) => n.classList.remove('target'));
      row.classList.add('target');
      return;
    }
    ev.preventDefault();
    document.getElementById('find-q').value = '#' + a.dataset.entry;
    find('#' + a.dataset.entry, 'index');
    document.getElementById('find').scrollIntoView();
  });

  async function main() {
    let lang = params.get('lang');
    try { if (!lang) lang = localStorage.getItem('boai-lang'); } catch (e) { /* storage may be off */ }
    I18N.setLang(lang === 'en' ? 'en' : 'zh');
    document.getElementById('lang-toggle').addEventListener('click', () => {
      I18N.setLang(I18N.lang() === 'en' ? 'zh' : 'en');
      try { localStorage.setItem('boai-lang', I18N.lang()); } catch (e) { /* ignore */ }
      if (state.s) render(); else noStatement();
    });
    document.getElementById('print').addEventListener('click', () => window.print());
    if (!state.s || typeof state.s !== 'object' || !state.s.integrity) { noStatement(); return; }
    try {
      render();
    } catch (e) {
      fail(e, null);
      state.status = 'failed';
      renderStatus();
      return;
    }
    try {
      await verifyAll();
    } catch (e) {
      fail(e, null);
    }
    state.status = state.errors.length === 0 ? 'verified' : 'failed';
    render();
    // A link such as index.html#receipt=HB2019-0001 or #entry=42 (e.g. from a QR code
    // on a receipt) opens the entry in "find my gift".
    const q = params.get('receipt') !== null ? [params.get('receipt'), 'receipt']
      : (params.get('entry') !== null ? ['#' + params.get('entry'), 'index'] : null);
    if (q) {
      document.getElementById('find-q').value = q[0];
      find(q[0], q[1]);
    }
  }

  function noStatement() {
    state.status = 'failed';
    state.errors = [{ code: 'nostatement', params: {} }];
    document.getElementById('main').textContent = '';
    document.getElementById('main').appendChild(el('p', { class: 'notfound' }, t('nostatement')));
    renderStatus();
  }

  main();
})();
