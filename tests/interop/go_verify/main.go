// Command go_verify checks Boai Ledger checkpoints and proofs with an independent
// implementation: Go's golang.org/x/mod/sumdb/note (C2SP signed notes, Ed25519)
// and golang.org/x/mod/sumdb/tlog (RFC 6962 Merkle proofs). Nothing here shares
// code with the C++ ledger; the tlog-proof and checkpoint text formats are parsed
// from their C2SP specifications.
//
// Usage:
//
//	go_verify -vkey FILE -checkpoint FILE [-origin NAME]
//	          [-inclusion TLOG_PROOF_FILE,LEAF_FILE]...
//	          [-consistency OLD_CHECKPOINT_FILE,PROOF_FILE]...
//
// -checkpoint is the newest signed checkpoint; each -consistency proof (one base64
// hash a line, RFC 9162 PROOF order) must show the old checkpoint's tree is a
// prefix of it. Each -inclusion tlog-proof must carry a checkpoint signed by the
// key and show that the leaf bytes (the file's exact contents) are at its index.
//
// Exit status: 0 if everything verified, 1 if anything was rejected, 2 on usage
// or I/O errors.
package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type pairList [][2]string

func (p *pairList) String() string { return fmt.Sprint(*p) }
func (p *pairList) Set(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return errors.New("want FILE,FILE")
	}
	*p = append(*p, [2]string{parts[0], parts[1]})
	return nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// rejected marks a verification failure, as opposed to a usage or I/O problem.
type rejected struct{ err error }

func (r rejected) Error() string { return r.err.Error() }

func reject(format string, args ...any) error { return rejected{fmt.Errorf(format, args...)} }

func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, err)
	}
	return b, nil
}

// openCheckpoint verifies a signed checkpoint note and parses its body
// (c2sp.org/tlog-checkpoint: origin, decimal size, base64 root, extension lines).
func openCheckpoint(msg []byte, verifiers note.Verifiers, origin string) (checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return checkpoint{}, reject("checkpoint signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, reject("checkpoint has %d lines, want at least 3", len(lines))
	}
	var c checkpoint
	c.origin = lines[0]
	if c.origin == "" || (origin != "" && c.origin != origin) {
		return checkpoint{}, reject("checkpoint origin %q, want %q", c.origin, origin)
	}
	c.size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || c.size < 0 || lines[1] != strconv.FormatInt(c.size, 10) {
		return checkpoint{}, reject("checkpoint size %q is not a decimal", lines[1])
	}
	c.root, err = tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, reject("checkpoint root %q: %v", lines[2], err)
	}
	return c, nil
}

// parseTlogProof parses c2sp.org/tlog-proof@v1 text.
func parseTlogProof(text []byte) (index int64, proof tlog.RecordProof, cp []byte, err error) {
	rest := string(text)
	next := func() (string, bool) {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		line := rest[:i]
		rest = rest[i+1:]
		return line, true
	}
	line, ok := next()
	if !ok || line != "c2sp.org/tlog-proof@v1" {
		return 0, nil, nil, reject("tlog-proof: bad header line %q", line)
	}
	line, ok = next()
	if ok && strings.HasPrefix(line, "extra ") {
		if _, err := base64.StdEncoding.DecodeString(line[len("extra "):]); err != nil {
			return 0, nil, nil, reject("tlog-proof: bad extra line")
		}
		line, ok = next()
	}
	if !ok || !strings.HasPrefix(line, "index ") {
		return 0, nil, nil, reject("tlog-proof: want an index line, got %q", line)
	}
	num := line[len("index "):]
	index, err = strconv.ParseInt(num, 10, 64)
	if err != nil || index < 0 || num != strconv.FormatInt(index, 10) {
		return 0, nil, nil, reject("tlog-proof: bad index %q", num)
	}
	for {
		line, ok = next()
		if !ok {
			return 0, nil, nil, reject("tlog-proof: no blank line before the checkpoint")
		}
		if line == "" {
			break
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			return 0, nil, nil, reject("tlog-proof: bad hash line %q", line)
		}
		proof = append(proof, h)
	}
	if rest == "" {
		return 0, nil, nil, reject("tlog-proof: no checkpoint")
	}
	return index, proof, []byte(rest), nil
}

func parseHashLines(text []byte) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		h, err := tlog.ParseHash(line)
		if err != nil {
			return nil, reject("consistency proof: bad hash line %q", line)
		}
		p = append(p, h)
	}
	return p, nil
}

func run() error {
	vkeyFile := flag.String("vkey", "", "file holding the log's verifier key")
	cpFile := flag.String("checkpoint", "", "file holding the newest signed checkpoint")
	origin := flag.String("origin", "", "expected checkpoint origin (optional)")
	var inclusions, consistencies pairList
	flag.Var(&inclusions, "inclusion", "TLOG_PROOF_FILE,LEAF_FILE (repeatable)")
	flag.Var(&consistencies, "consistency", "OLD_CHECKPOINT_FILE,PROOF_FILE (repeatable)")
	flag.Parse()
	if *vkeyFile == "" || *cpFile == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}

	vkey, err := readFile(*vkeyFile)
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	verifiers := note.VerifierList(verifier)

	msg, err := readFile(*cpFile)
	if err != nil {
		return err
	}
	latest, err := openCheckpoint(msg, verifiers, *origin)
	if err != nil {
		return err
	}
	fmt.Printf("OK checkpoint %s size %d root %v\n", latest.origin, latest.size, latest.root)

	for _, inc := range inclusions {
		text, err := readFile(inc[0])
		if err != nil {
			return err
		}
		leaf, err := readFile(inc[1])
		if err != nil {
			return err
		}
		index, proof, cpText, err := parseTlogProof(text)
		if err != nil {
			return fmt.Errorf("%s: %w", inc[0], err)
		}
		cp, err := openCheckpoint(cpText, verifiers, *origin)
		if err != nil {
			return fmt.Errorf("%s: %w", inc[0], err)
		}
		if index >= cp.size {
			return reject("%s: index %d is not below the checkpoint size %d", inc[0], index, cp.size)
		}
		// tlog.RecordHash is SHA-256(0x00 || data); RecordProof is in RFC 6962
		// PATH order (leaf's sibling first), as tlog-proof lines are.
		if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(leaf)); err != nil {
			return reject("%s: inclusion of %s at index %d in tree %d: %v", inc[0], inc[1], index, cp.size, err)
		}
		fmt.Printf("OK inclusion index %d (%d hashes) in tree %d\n", index, len(proof), cp.size)
	}

	for _, c := range consistencies {
		old, err := readFile(c[0])
		if err != nil {
			return err
		}
		oldCp, err := openCheckpoint(old, verifiers, *origin)
		if err != nil {
			return fmt.Errorf("%s: %w", c[0], err)
		}
		text, err := readFile(c[1])
		if err != nil {
			return err
		}
		proof, err := parseHashLines(text)
		if err != nil {
			return fmt.Errorf("%s: %w", c[1], err)
		}
		if oldCp.size < 1 || oldCp.size > latest.size {
			return reject("%s: old size %d is not in [1, %d]", c[0], oldCp.size, latest.size)
		}
		// CheckTree(proof, new size, new root, old size, old root); TreeProof is in
		// RFC 6962 PROOF order.
		if err := tlog.CheckTree(proof, latest.size, latest.root, oldCp.size, oldCp.root); err != nil {
			return reject("%s: consistency %d -> %d: %v", c[1], oldCp.size, latest.size, err)
		}
		fmt.Printf("OK consistency %d -> %d (%d hashes)\n", oldCp.size, latest.size, len(proof))
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		var r rejected
		if errors.As(err, &r) {
			fmt.Fprintln(os.Stderr, "REJECTED:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "ERROR:", err)
		os.Exit(2)
	}
}
