package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenStoreModesAndRoundTrip(t *testing.T) {
	state := t.TempDir()
	os.MkdirAll(filepath.Join(state, "tokens"), 0o755) // pre-existing, too open
	store, err := OpenTokenStore(state, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(store.Dir()); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	in := &Token{Account: "me@x.test", Provider: "google", AccessToken: "AT", RefreshToken: "RT",
		TokenType: "Bearer", Expiry: exp, Scopes: []string{"s1", "s2"}, Problems: []string{"p"}}
	if err := store.Save(testCtx(t), in); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(store.Path("me@x.test"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	out, err := store.Load("me@x.test")
	if err != nil {
		t.Fatal(err)
	}
	if out.AccessToken != "AT" || out.RefreshToken != "RT" || !out.Expiry.Equal(exp) ||
		strings.Join(out.Scopes, ",") != "s1,s2" || out.Provider != "google" || out.Problems[0] != "p" {
		t.Errorf("round trip: %+v", out)
	}
	if err := store.Delete(testCtx(t), "me@x.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Load("me@x.test"); !errors.Is(err, ErrNoToken) || !errors.Is(err, ErrNeedsLogin) {
		t.Errorf("after delete: %v", err)
	}
}

func TestTokenStoreRejectsBadAccountNames(t *testing.T) {
	store := testStore(t)
	for _, name := range []string{"", "../evil", "a/b", ".hidden", "x\x00y", strings.Repeat("a", 129)} {
		if err := store.Save(testCtx(t), &Token{Account: name, AccessToken: "x"}); err == nil {
			t.Errorf("account %q accepted", name)
		}
	}
}

func TestTokenStoreCorruptFile(t *testing.T) {
	store := testStore(t)
	os.WriteFile(store.Path("c"), []byte(`{"access_token":"SECRET-PART`), 0o600)
	_, err := store.Load("c")
	if !errors.Is(err, ErrNeedsLogin) || errors.Is(err, ErrNoToken) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("corrupt: %v", err)
	}
	if err := store.Save(testCtx(t), &Token{Account: "c", AccessToken: "new"}); err != nil {
		t.Fatalf("save over corrupt file: %v", err)
	}
}

// Readers never see a partial file while writers replace it.
func TestTokenStoreAtomicWrite(t *testing.T) {
	store := testStore(t)
	big := strings.Repeat("x", 64<<10) // several write(2)s worth
	if err := store.Save(testCtx(t), &Token{Account: "a", AccessToken: Secret("v0-" + big)}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var reads, bad int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(store.Path("a"))
			reads++
			var f tokenFile
			if err != nil || json.Unmarshal(b, &f) != nil || !strings.HasSuffix(f.AccessToken, big) {
				bad++
			}
		}
	}()
	for i := range 60 {
		if err := store.Save(testCtx(t), &Token{Account: "a", AccessToken: Secret(fmt.Sprintf("v%d-%s", i, big))}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if bad != 0 || reads == 0 {
		t.Fatalf("%d of %d reads saw a missing or partial file", bad, reads)
	}
	entries, _ := os.ReadDir(store.Dir())
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestSecretNeverPrints(t *testing.T) {
	tok := Token{Account: "a", AccessToken: "TOPSECRET-AT", RefreshToken: "TOPSECRET-RT"}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outs = append(outs, fmt.Sprintf(f, tok), fmt.Sprintf(f, tok.AccessToken))
	}
	j, _ := json.Marshal(tok)
	outs = append(outs, string(j), fmt.Sprint(&tok), fmt.Sprintln(tok.RefreshToken))
	for _, o := range outs {
		if strings.Contains(o, "TOPSECRET") || strings.Contains(o, fmt.Sprintf("%x", "TOPSECRET")) {
			t.Errorf("secret printed: %s", o)
		}
	}
}
