// tilecheck reads a C2SP tlog-tiles log with Go's golang.org/x/mod/sumdb packages, which Serial
// Ledger did not write: the checkpoint's signature with sumdb/note, the tree with sumdb/tlog.
//
// Usage: tilecheck -vkey VKEY [-token T] [-index N -leaf B64] BASE
//
// BASE is an http(s) URL or a folder; -token is sent as a bearer token (entry bundles are for the
// roles that may read the ledger). It prints "ok <origin> <size> <root>" and exits 0, or
// prints why not and exits 1.
package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8 // C2SP tlog-tiles fixes the tile height at 8: 256 hashes a full tile

// c2spPath turns x/mod's "tile/8/L/NNN[.p/W]" (and "tile/8/data/..." for entries) into the C2SP
// "tile/L/NNN[.p/W]" ("tile/entries/..."): the index and width are written the same way in both.
func c2spPath(t tlog.Tile) string {
	rest := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	if t.L == -1 {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

type source struct {
	base  string
	token string
	cache map[tlog.Tile][]byte
}

// client follows no redirect: a sign-in page is not a tile.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (s *source) get(path string) ([]byte, error) {
	if !strings.HasPrefix(s.base, "http://") && !strings.HasPrefix(s.base, "https://") {
		return os.ReadFile(filepath.Join(s.base, filepath.FromSlash(path)))
	}
	req, err := http.NewRequest("GET", strings.TrimSuffix(s.base, "/")+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return data, err
}

// tlog.TileReader
func (s *source) Height() int                     { return height }
func (s *source) SaveTiles([]tlog.Tile, [][]byte) {}
func (s *source) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := s.cache[t]; ok {
			out[i] = data
			continue
		}
		data, err := s.get(c2spPath(t))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		s.cache[t], out[i] = data, data
	}
	return out, nil
}

// checkpoint opens the signed note with the log's key and reads origin, size and root.
func checkpoint(text []byte, vkey string) (string, tlog.Tree, error) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return "", tlog.Tree{}, err
	}
	opened, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint signature: %v", err)
	}
	lines := strings.Split(opened.Text, "\n")
	if len(lines) < 4 {
		return "", tlog.Tree{}, errors.New("checkpoint: fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 1 {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return "", tlog.Tree{}, fmt.Errorf("checkpoint root %q", lines[2])
	}
	tree := tlog.Tree{N: size}
	copy(tree.Hash[:], root)
	return lines[0], tree, nil
}

func run() error {
	vkey := flag.String("vkey", "", "the log's verifier key (signed-note form)")
	token := flag.String("token", "", "a bearer token for the entry bundles")
	index := flag.Int64("index", -1, "an entry to prove included")
	leaf := flag.String("leaf", "", "that entry's leaf hash, standard base64")
	flag.Parse()
	if flag.NArg() != 1 || *vkey == "" || (*index >= 0) != (*leaf != "") {
		return errors.New("usage: tilecheck -vkey VKEY [-token T] [-index N -leaf B64] BASE")
	}
	src := &source{base: flag.Arg(0), token: *token, cache: map[tlog.Tile][]byte{}}
	text, err := src.get("checkpoint")
	if err != nil {
		return err
	}
	origin, tree, err := checkpoint(text, *vkey)
	if err != nil {
		return err
	}
	// TileHashReader checks every tile it reads against the checkpoint's root.
	hashes := tlog.TileHashReader(tree, src)
	root, err := tlog.TreeHash(tree.N, hashes)
	if err != nil {
		return err
	}
	if root != tree.Hash {
		return fmt.Errorf("the tiles give root %v, the checkpoint %v", root, tree.Hash)
	}
	if *index >= 0 {
		want, err := tlog.ParseHash(*leaf)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(tree.N, *index, hashes)
		if err != nil {
			return err
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, *index, want); err != nil {
			return fmt.Errorf("entry %d: %v", *index, err)
		}
		// The entry bundle holding it carries the body whose leaf hash this is.
		bundle := tlog.Tile{H: height, L: -1, N: *index / 256}
		bundle.W = int(min(tree.N-bundle.N*256, 256))
		data, err := src.get(c2spPath(bundle))
		if err != nil {
			return err
		}
		body, err := entryAt(data, int(*index-bundle.N*256))
		if err != nil {
			return err
		}
		if tlog.RecordHash(body) != want {
			return fmt.Errorf("entry %d: the bundle's body does not hash to the leaf", *index)
		}
	}
	fmt.Printf("ok %s %d %v\n", origin, tree.N, tree.Hash)
	return nil
}

// entryAt reads entry i of a C2SP entry bundle (each entry a big-endian uint16 length and bytes).
func entryAt(data []byte, i int) ([]byte, error) {
	r := bytes.NewReader(data)
	for n := 0; ; n++ {
		var size [2]byte
		if _, err := io.ReadFull(r, size[:]); err != nil {
			return nil, fmt.Errorf("entry bundle: no entry %d", i)
		}
		body := make([]byte, int(size[0])<<8|int(size[1]))
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, errors.New("entry bundle: truncated entry")
		}
		if n == i {
			return body, nil
		}
	}
}

func min(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tilecheck:", err)
		os.Exit(1)
	}
}
