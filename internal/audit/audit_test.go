package audit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLinesAreWholeAndRotated(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := l.Write(Entry{Account: "a", Tool: "move", IDs: []string{fmt.Sprintf("m1.%d-%d", g, i)}, Outcome: "ok"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	files, _ := filepath.Glob(filepath.Join(dir, "audit.log*"))
	lines := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".lock") {
			continue
		}
		if strings.HasSuffix(f, ".4") {
			t.Errorf("keep=3 but %s exists", f)
		}
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var e Entry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("%s: torn line %q: %v", f, sc.Text(), err)
			}
			lines++
		}
		fh.Close()
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	if lines == 0 || lines > 400 {
		t.Errorf("%d lines survive", lines)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.log.1")); err != nil {
		t.Errorf("no rotation happened: %v", err)
	}
}

func TestEntriesAreBounded(t *testing.T) {
	l, _ := Open(t.TempDir(), 0, 0)
	ids := make([]string, 300)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	if err := l.Write(Entry{Tool: "delete", IDs: ids, Detail: strings.Repeat("x", 2000), Outcome: "ok"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(l.Path())
	var e Entry
	json.Unmarshal(b, &e)
	if len(e.IDs) != 101 || !strings.HasPrefix(e.IDs[100], "… 200 more") || len(e.Detail) > 510 {
		t.Errorf("entry not bounded: %d ids, detail %d", len(e.IDs), len(e.Detail))
	}
	var nilLog *Log
	if err := nilLog.Write(Entry{}); err != nil {
		t.Error(err)
	}
}
