// Boai Ledger disclosure page: the cryptographic checks, with WebCrypto only.
//
// Formats (docs/leaf-format.md, docs/disclosure.md):
// - C2SP signed-note: note text ending in "\n", a blank line, then signature
//   lines "— <name> <base64(4-byte key id || signature)>\n". The signed message
//   is the note text including its final newline, not the blank line.
// - Verifier key "<name>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 key)>",
//   key id = SHA-256(name || 0x0A || 0x01 || key)[:4].
// - C2SP tlog-checkpoint body: origin line, decimal tree size, base64 root hash,
//   optional extension lines.
// - C2SP tlog-cosignature (Ed25519, type 0x04): signature = key id(4) ||
//   u64be timestamp || Ed25519 signature(64) over
//   "cosignature/v1\ntime <t>\n" || checkpoint note text.
// - RFC 9162: leaf hash = SHA-256(0x00 || leaf), node = SHA-256(0x01 || l || r);
//   inclusion (2.1.3.2) and consistency (2.1.4.2) verification.
//
// Every function that fails throws a VerifyError with a code and parameters so
// the page can say what failed in the reader's language.
(function () {
  'use strict';

  class VerifyError extends Error {
    constructor(code, params) {
      super(code + ' ' + JSON.stringify(params || {}));
      this.code = code;
      this.params = params || {};
    }
  }

  const enc = new TextEncoder();

  function utf8(s) { return enc.encode(s); }

  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  // Strict standard base64 (RFC 4648 section 4); returns null if malformed.
  function b64decode(s) {
    if (typeof s !== 'string' || !B64.test(s)) return null;
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }

  function hex(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
    return s;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  async function leafHash(leafBytes) {
    return sha256(concat(new Uint8Array([0]), leafBytes));
  }

  async function nodeHash(left, right) {
    return sha256(concat(new Uint8Array([1]), left, right));
  }

  // A 32-byte hash from base64, or a VerifyError naming what it was.
  function hash32(s, what) {
    const h = b64decode(s);
    if (h === null || h.length !== 32) throw new VerifyError('bad-hash', { what: what, value: String(s) });
    return h;
  }

  // Parses "<name>+<hex key id>+<base64(type || key)>" and checks that the key id
  // is the one the name and key give. type is 0x01 (log) or 0x04 (cosigner).
  async function parseVerifierKey(vkey, wantType) {
    // The name has no "+"; the base64 key may.
    const parts = typeof vkey === 'string' ? /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(vkey) : null;
    if (parts === null) {
      throw new VerifyError('vkey-malformed', { vkey: String(vkey) });
    }
    const raw = b64decode(parts[3]);
    if (raw === null || raw.length !== 33 || raw[0] !== wantType) {
      throw new VerifyError('vkey-malformed', { vkey: vkey });
    }
    const keyId = (await sha256(concat(utf8(parts[1]), new Uint8Array([0x0a]), raw))).slice(0, 4);
    if (hex(keyId) !== parts[2]) {
      throw new VerifyError('vkey-keyid', { vkey: vkey, computed: hex(keyId) });
    }
    const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
    return { name: parts[1], keyId: keyId, keyIdHex: parts[2], type: wantType, key: key, text: vkey };
  }

  // Splits a signed note into its text and signature lines (C2SP signed-note).
  function parseNote(note) {
    if (typeof note !== 'string' || !note.endsWith('\n')) throw new VerifyError('note-malformed', { why: 'no final newline' });
    if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new VerifyError('note-malformed', { why: 'control character' });
    const split = note.lastIndexOf('\n\n');
    if (split < 0) throw new VerifyError('note-malformed', { why: 'no blank line before the signatures' });
    const text = note.slice(0, split + 1);
    const sigs = note.slice(split + 2).split('\n');
    sigs.pop();  // after the final newline
    if (sigs.length === 0) throw new VerifyError('note-malformed', { why: 'no signature lines' });
    return { text: text, signatures: sigs.map(parseSignatureLine) };
  }

  // "— <name> <base64>" (one line, without or with its newline).
  function parseSignatureLine(line) {
    const m = /^\u2014 ([^ +\n]+) ([A-Za-z0-9+/]+=*)\n?$/.exec(line);
    const raw = m ? b64decode(m[2]) : null;
    if (!m || raw === null || raw.length < 5) throw new VerifyError('sigline-malformed', { line: String(line).trim() });
    return { name: m[1], keyId: raw.slice(0, 4), sig: raw.slice(4), line: line };
  }

  // Parses a checkpoint body (origin, size, root, extension lines).
  function parseCheckpointText(text) {
    const lines = text.split('\n');
    lines.pop();
    if (lines.length < 3) throw new VerifyError('checkpoint-malformed', { why: 'fewer than three lines' });
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1]) || !Number.isSafeInteger(Number(lines[1]))) {
      throw new VerifyError('checkpoint-malformed', { why: 'tree size "' + lines[1] + '"' });
    }
    const root = b64decode(lines[2]);
    if (root === null || root.length !== 32) throw new VerifyError('checkpoint-malformed', { why: 'root hash "' + lines[2] + '"' });
    return { origin: lines[0], size: Number(lines[1]), root: root, rootB64: lines[2], extensions: lines.slice(3) };
  }

  // Verifies a signed checkpoint under the log's key; returns the parsed body.
  // The signature that counts is the one whose name and key id are the key's.
  async function verifyCheckpoint(noteText, vkey, which) {
    const note = parseNote(noteText);
    const cp = parseCheckpointText(note.text);
    const mine = note.signatures.filter((s) => s.name === vkey.name && equalBytes(s.keyId, vkey.keyId));
    if (mine.length === 0) throw new VerifyError('checkpoint-no-signature', { which: which, name: vkey.name, keyid: vkey.keyIdHex });
    for (const s of mine) {
      const ok = s.sig.length === 64 && await crypto.subtle.verify({ name: 'Ed25519' }, vkey.key, s.sig, utf8(note.text));
      if (!ok) throw new VerifyError('checkpoint-signature', { which: which });
    }
    cp.text = note.text;
    cp.signatures = note.signatures;
    return cp;
  }

  // A cosignature line: name, key id, timestamp (seconds, from the signature).
  function parseCosignature(line) {
    const s = parseSignatureLine(line);
    if (s.sig.length !== 72) throw new VerifyError('cosig-malformed', { line: String(line).trim() });
    let t = 0n;
    for (let i = 0; i < 8; i++) t = (t << 8n) | BigInt(s.sig[i]);
    return { name: s.name, keyId: s.keyId, keyIdHex: hex(s.keyId), time: t, sig: s.sig.slice(8), line: line };
  }

  // Verifies a cosignature with a cosigner key the reader trusts (type 0x04).
  async function verifyCosignature(cosig, ckey, checkpointText) {
    const msg = utf8('cosignature/v1\ntime ' + cosig.time.toString() + '\n' + checkpointText);
    return crypto.subtle.verify({ name: 'Ed25519' }, ckey.key, cosig.sig, msg);
  }

  // RFC 9162 2.1.3.2: the root an inclusion path gives, or null if the path
  // does not fit (too short or too long) an index in a tree of this size.
  async function rootFromInclusion(index, size, hash, path) {
    if (!(index < size)) return null;
    let fn = index, sn = size - 1, r = hash;
    for (const p of path) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  // RFC 9162 2.1.4.2: true if `proof` shows the tree of size m (root oldRoot)
  // is a prefix of the tree of size n (root newRoot).
  async function verifyConsistency(m, n, oldRoot, newRoot, proof) {
    if (m > n) return false;
    if (m === n) return proof.length === 0 && equalBytes(oldRoot, newRoot);
    if (m === 0) return proof.length === 0;
    if (proof.length === 0) return false;
    let path = proof;
    if (isPow2(m)) path = [oldRoot].concat(proof);
    let fn = m - 1, sn = n - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
  }

  // Powers of two beyond 32-bit range (tree sizes are safe integers).
  function isPow2(m) {
    while (m > 1) { if (m % 2 !== 0) return false; m = m / 2; }
    return m === 1;
  }

  window.BoaiVerify = {
    VerifyError, utf8, b64decode, b64encode, hex, equalBytes, sha256, leafHash, hash32,
    parseVerifierKey, parseNote, parseCheckpointText, verifyCheckpoint,
    parseCosignature, verifyCosignature, rootFromInclusion, verifyConsistency,
  };
})();
