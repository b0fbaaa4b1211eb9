package imapconn

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// cursor is where the next page of a search starts. It is bound to the
// search (a hash of the criteria) and to the folders' UIDVALIDITY, so a
// cursor is never applied to another search or to renumbered folders.
type cursor struct {
	Folder      string `json:"f"`
	UIDValidity uint32 `json:"v"`
	Before      uint32 `json:"b"`
	Criteria    string `json:"c"`

	// All-folder searches (FolderAll): the folder list's hash and, per
	// folder in name order, its UIDVALIDITY and exclusive UID bound
	// (0: no more matches there).
	All       bool        `json:"-"`
	FolderSet string      `json:"-"`
	Positions []folderPos `json:"-"`
}

type folderPos struct {
	UIDValidity uint32
	Before      uint32
}

func criteriaKey(c Criteria) string {
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// folderSetKey identifies a folder list (names in order).
func folderSetKey(names []string) string {
	sum := sha256.Sum256([]byte(strings.Join(names, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

const allCursorPrefix = "a."

func decodeCursor(s string) (cursor, error) {
	bad := &fault.Error{Kind: fault.Invalid, Op: "search", Err: fmt.Errorf("cursor %q is not valid", truncate(s, 40)),
		Hint: "Pass next_cursor exactly as returned, with the same criteria, or omit it to start over"}
	if rest, ok := strings.CutPrefix(s, allCursorPrefix); ok {
		cur, err := decodeAllCursor(rest)
		if err != nil {
			return cur, bad
		}
		return cur, nil
	}
	var cur cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(raw, &cur)
	}
	if err != nil || cur.Before == 0 {
		return cur, bad
	}
	return cur, nil
}

func encodeCursor(c cursor) string {
	if c.All {
		return allCursorPrefix + encodeAllCursor(c)
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The all-folder cursor is binary (varints) to stay short with many
// folders: criteria key, folder-set key, then (uidvalidity, before) pairs.
func encodeAllCursor(c cursor) string {
	b := []byte(c.Criteria + "." + c.FolderSet + ".")
	for _, p := range c.Positions {
		b = binary.AppendUvarint(b, uint64(p.UIDValidity))
		b = binary.AppendUvarint(b, uint64(p.Before))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAllCursor(s string) (cursor, error) {
	cur := cursor{All: true}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cur, err
	}
	parts := strings.SplitN(string(raw), ".", 3)
	if len(parts) != 3 {
		return cur, fmt.Errorf("short cursor")
	}
	cur.Criteria, cur.FolderSet = parts[0], parts[1]
	rest := []byte(parts[2])
	for len(rest) > 0 {
		uv, n := binary.Uvarint(rest)
		if n <= 0 || uv > 1<<32-1 {
			return cur, fmt.Errorf("bad cursor")
		}
		rest = rest[n:]
		before, n := binary.Uvarint(rest)
		if n <= 0 || before > 1<<32-1 {
			return cur, fmt.Errorf("bad cursor")
		}
		rest = rest[n:]
		cur.Positions = append(cur.Positions, folderPos{UIDValidity: uint32(uv), Before: uint32(before)})
	}
	return cur, nil
}
